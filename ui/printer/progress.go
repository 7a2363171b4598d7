package printer

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"claudit/feed"

	"github.com/charmbracelet/x/ansi"
)

// ProgressOptions configures a ProgressBar.
type ProgressOptions struct {
	// Width is the terminal width; the line never exceeds it.
	Width int
	// Theme paints the bar (nil: plain; never with NO_COLOR / --no-color).
	Theme *Theme
	// Window is the whole window being synced; Covered is the fraction of
	// it already in the cache when the sync started. The API has no total
	// count, so progress is measured in time: how far back the sync has
	// reached. A window with an open start shows no percentage.
	Window  feed.Range
	Covered float64
	// Now is the clock used to throttle redraws (nil = time.Now).
	Now func() time.Time
	// Loc is the zone the reached time is shown in (nil = UTC).
	Loc *time.Location
}

// progressEvery is the fastest redraw rate: a page can arrive every few
// milliseconds and a terminal need not see each one.
const progressEvery = 100 * time.Millisecond

// ProgressBar draws a sync's progress on one line of a terminal (stderr):
// the bar of time reached against the window, events, pages, retries and
// the rate budget, plus a note while a retry waits. It is driven from the
// syncing goroutine through feed.WithProgress; the client's retry hook calls
// it from whichever goroutine's request waits (a parallel sync has several),
// so the methods that draw hold mu.
type ProgressBar struct {
	mu      sync.Mutex
	w       io.Writer
	opt     ProgressOptions
	fetched map[feed.Range]time.Duration // per gap: how much of it is done
	last    feed.Progress
	retry   string
	drawn   time.Time
	started time.Time // first report, for events/s
	bar     Painter
}

// NewProgressBar returns a bar that draws on w.
func NewProgressBar(w io.Writer, opt ProgressOptions) *ProgressBar {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	b := &ProgressBar{w: w, opt: opt, fetched: map[feed.Range]time.Duration{}}
	if opt.Theme != nil {
		b.bar = NewPainter(opt.Theme.Bar)
	}
	return b
}

// Update records a progress report and redraws (at most every 100 ms).
func (b *ProgressBar) Update(p feed.Progress) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.started.IsZero() {
		b.started = b.opt.Now()
	}
	if p.Phase == "window" && !p.Window.To.IsZero() && !p.Reached.IsZero() {
		b.fetched[p.Window] = max(b.fetched[p.Window], p.Window.To.Sub(p.Reached))
	}
	if p.Phase != "done" {
		// "done" carries totals only; keep the last window's rate budget.
		rl := b.last.RateLimit
		b.last = p
		if !p.RateLimit.Known {
			b.last.RateLimit = rl
		}
	}
	b.retry = ""
	b.draw(false)
}

// Retry shows that a request failed and when it will be retried.
func (b *ProgressBar) Retry(ev feed.RetryEvent) {
	b.mu.Lock()
	defer b.mu.Unlock()
	what := "network error"
	if ev.Status != 0 {
		what = fmt.Sprintf("HTTP %d", ev.Status)
	}
	b.retry = fmt.Sprintf("retrying in %s (%s)", ev.Wait.Round(100*time.Millisecond), what)
	b.draw(true)
}

// Finish erases the line, leaving the terminal as it was.
func (b *ProgressBar) Finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.drawn.IsZero() {
		_, _ = io.WriteString(b.w, "\r"+ansi.EraseEntireLine)
	}
}

func (b *ProgressBar) draw(force bool) {
	now := b.opt.Now()
	if !force && !b.drawn.IsZero() && now.Sub(b.drawn) < progressEvery {
		return
	}
	b.drawn = now
	_, _ = io.WriteString(b.w, "\r"+b.Line()+ansi.EraseLineRight)
}

// Fraction is how much of the window is in the cache: what was covered at
// the start plus what this sync has fetched; -1 when the window has no start.
func (b *ProgressBar) Fraction() float64 {
	w := b.opt.Window
	if w.From.IsZero() || !w.To.After(w.From) {
		return -1
	}
	var done time.Duration
	for _, d := range b.fetched {
		done += d
	}
	return min(1, b.opt.Covered+float64(done)/float64(w.To.Sub(w.From)))
}

// barCells is the width of the bar itself.
const barCells = 20

// Line renders the current progress line, cut to the terminal width.
func (b *ProgressBar) Line() string {
	p := b.last
	var parts []string
	if f := b.Fraction(); f >= 0 {
		full := int(f * barCells)
		bar := strings.Repeat("█", full) + strings.Repeat("░", barCells-full)
		parts = append(parts, b.bar.Paint(bar)+fmt.Sprintf(" %3d%%", int(f*100)))
	} else {
		parts = append(parts, "syncing")
	}
	if b.retry != "" {
		parts = append(parts, b.retry)
	}
	// Parallel windows each reach back on their own: no single "reached".
	if !p.Reached.IsZero() && p.Windows == 0 {
		loc := b.opt.Loc
		if loc == nil {
			loc = time.UTC
		}
		parts = append(parts, "reached "+p.Reached.In(loc).Format("2006-01-02 15:04 -07:00"))
	}
	parts = append(parts, Count(p.Events, "event"), Count(p.Pages, "page"))
	if p.Windows > 0 {
		// A parallel sync: its rate and how many of its windows are done.
		if d := b.opt.Now().Sub(b.started); d > 0 {
			parts = append(parts, Thousands(int(float64(p.Events)/d.Seconds()))+" events/s")
		}
		parts = append(parts, fmt.Sprintf("windows %d/%d", p.WindowsDone, p.Windows))
	}
	if p.Retries > 0 {
		parts = append(parts, Count(p.Retries, "retry"))
	}
	if rl := p.RateLimit; rl.Known {
		parts = append(parts, fmt.Sprintf("budget %d/%d", rl.Remaining, rl.Limit))
	}
	line := strings.Join(parts, " · ")
	if b.opt.Width > 0 && ansi.StringWidth(line) > b.opt.Width-1 {
		line = ansi.Truncate(line, max(1, b.opt.Width-1), "…")
	}
	return line
}

// SyncSummary is the one line a sync prints off a terminal, e.g.
// "synced 2026-10-26 12:00 → 2026-11-25 11:59 UTC: 12 pages, 53,211 events
// (53,100 new, 2 late), 3 retries, budget 588/600, in 4.1s".
func SyncSummary(s feed.RunSummary, window feed.Range, rl feed.RateLimit, elapsed time.Duration) string {
	const layout = "2006-01-02 15:04"
	span := window.From.UTC().Format(layout) + " → " + window.To.UTC().Format(layout) + " UTC"
	if window.From.IsZero() {
		span = "everything up to " + window.To.UTC().Format(layout) + " UTC"
	}
	var b strings.Builder
	if s.Pages == 0 {
		b.WriteString("the cache already covers " + span + ": nothing to fetch")
	} else {
		fmt.Fprintf(&b, "synced %s: %s, %s (%s new", span, Count(s.Pages, "page"), Count(s.Events, "event"), Thousands(s.Inserted))
		if s.Late > 0 {
			fmt.Fprintf(&b, ", %s late", Thousands(s.Late))
		}
		if s.Anomalies > 0 {
			fmt.Fprintf(&b, ", %s changed on the server", Thousands(s.Anomalies))
		}
		b.WriteString(")")
	}
	if s.Retries > 0 {
		b.WriteString(", " + Count(s.Retries, "retry"))
	}
	if rl.Known {
		fmt.Fprintf(&b, ", budget %d/%d", rl.Remaining, rl.Limit)
	}
	fmt.Fprintf(&b, ", in %s", elapsed.Round(100*time.Millisecond))
	return b.String()
}
