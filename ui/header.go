package ui

import (
	"fmt"
	"strings"
	"time"

	"claudit/feed"
	"claudit/ui/printer"
	"claudit/ui/safe"

	"github.com/charmbracelet/x/ansi"
)

// headerModel is the top line: profile, key, cache coverage of the window,
// rate budget and sync progress.
type headerModel struct {
	profile  string
	keyLabel string

	window      string  // "last 24h", "2026-09-01 → 2026-09-02"
	covFraction float64 // 0..1, -1 while unknown

	offline  bool
	syncing  bool
	synced   bool // a sync of the current query finished without error
	progress feed.Progress
	// syncStarted and progressAt time the sync for its events/s.
	syncStarted time.Time
	progressAt  time.Time
	syncErr     error
	rate        feed.RateLimit // the newest budget any sync or poll reported

	// Live tail: the last good poll, a failed one, a retry in progress.
	live        bool
	tail        feed.Progress
	tailErr     error
	retryUntil  time.Time
	retryStatus int
	now         time.Time // for "polled 3s ago" and the retry countdown
	// names says, when the directory's last refresh could not read every
	// part, that names need a Compliance Access Key (last: it is the first
	// to be cut on a narrow terminal).
	names string

	width  int
	styles *Styles
}

// syncPercent is how far the sync has walked back through its window.
func syncPercent(p feed.Progress) int {
	span := p.Window.To.Sub(p.Window.From)
	if span <= 0 || p.Reached.IsZero() {
		return 0
	}
	done := p.Window.To.Sub(p.Reached)
	return int(min(100, max(0, done*100/span)))
}

// headerPart is one " · "-separated part of the header. A part with a
// step gives way when the header does not fit: from step compactAt on it
// shows compact instead of text, from step dropAt on it is left out.
type headerPart struct {
	text, compact     string
	compactAt, dropAt int
}

// The steps by which a parallel sync's header makes room, in order: its
// count of new rows goes first, then the key label; the sync parts turn
// compact; then the profile, the rate and the budget go, keeping the
// coverage and the windows done.
const (
	stepDropNew = iota + 1
	stepDropKey
	stepCompact
	stepDropProfile
	stepDropRate
	stepDropBudget
	headerSteps = stepDropBudget
)

// parallel reports whether the header shows a parallel window sync.
func (h headerModel) parallel() bool {
	return h.syncing && h.progress.Phase == "window" && h.progress.Windows > 0
}

// eventsPerSecond is the sync's rate so far, 0 while unknown.
func (h headerModel) eventsPerSecond() int {
	d := h.progressAt.Sub(h.syncStarted)
	if h.syncStarted.IsZero() || d <= 0 {
		return 0
	}
	return int(float64(h.progress.Events) / d.Seconds())
}

// compactRate prints an events/s figure in at most four digits: 950, 5.2k, 52k.
func compactRate(n int) string {
	switch {
	case n >= 10_000:
		return fmt.Sprintf("%dk", n/1000)
	case n >= 1000:
		return fmt.Sprintf("%.1fk", float64(n/100)/10)
	}
	return fmt.Sprint(n)
}

// View renders the header, exactly width cells.
func (h headerModel) View() string {
	parts := h.parts()
	last := 0 // only a parallel sync's parts give way
	if h.parallel() {
		last = headerSteps
	}
	var line string
	for step := 0; ; step++ {
		line = h.join(parts, step)
		if step >= last || ansi.StringWidth(line) <= h.width {
			break
		}
	}
	if w := ansi.StringWidth(line); w < h.width {
		line += h.styles.Header.Bar.Render(strings.Repeat(" ", h.width-w))
	}
	return fit(line, h.width)
}

// join renders the parts as they stand at the given step.
func (h headerModel) join(parts []headerPart, step int) string {
	texts := make([]string, 0, len(parts))
	for _, p := range parts {
		switch {
		case p.dropAt > 0 && step >= p.dropAt:
		case p.compactAt > 0 && step >= p.compactAt:
			texts = append(texts, p.compact)
		default:
			texts = append(texts, p.text)
		}
	}
	return " " + strings.Join(texts, h.styles.Header.Sep.Render(" · "))
}

// parts are the header's parts, each with the steps at which it gives way.
func (h headerModel) parts() []headerPart {
	st := h.styles.Header
	par := h.parallel()
	// drop makes a part give way at step, in a parallel sync only: every
	// other header renders as it always has.
	drop := func(p headerPart, step int) headerPart {
		if par {
			p.dropAt = step
		}
		return p
	}
	plain := func(s string) headerPart { return headerPart{text: s} }
	parts := []headerPart{plain(st.Title.Render("claudit"))}
	if h.profile != "" {
		parts = append(parts, drop(plain(st.Bar.Render(safe.Text(h.profile))), stepDropProfile))
	}
	if h.keyLabel != "" {
		parts = append(parts, drop(plain(st.Bar.Render(safe.Text(h.keyLabel))), stepDropKey))
	} else if h.offline {
		parts = append(parts, plain(st.Dim.Render("no key")))
	}
	switch {
	case h.covFraction < 0:
		parts = append(parts, plain(st.Dim.Render("cache ? of "+h.window)))
	case h.covFraction >= 1:
		parts = append(parts, plain(st.Good.Render("cache 100% of "+h.window)))
	default:
		parts = append(parts, plain(st.Warn.Render(fmt.Sprintf("cache %d%% of %s", int(h.covFraction*100), h.window))))
	}
	if rl := h.rate; rl.Known {
		s := st.Bar
		if rl.Limit > 0 && rl.Remaining*10 < rl.Limit {
			s = st.Bad
		}
		parts = append(parts, drop(plain(s.Render(fmt.Sprintf("budget %d/%d", rl.Remaining, rl.Limit))), stepDropBudget))
	}
	if par {
		return append(parts, h.parallelParts()...)
	}
	var rest []string
	switch {
	case h.offline:
		rest = append(rest, st.Dim.Render("offline"))
	case h.syncErr != nil:
		rest = append(rest, st.Bad.Render("sync failed"))
	case h.syncing && h.progress.Phase == "tail":
		rest = append(rest, st.Live.Render("● LIVE"))
	case h.syncing && h.progress.Phase == "retry":
		wait := h.progress.RetryWait.Round(time.Second)
		rest = append(rest, st.Warn.Render(fmt.Sprintf("retrying (%d) in %s", h.progress.RetryStatus, wait)))
	case h.syncing:
		rest = append(rest, st.Warn.Render(fmt.Sprintf("fetching %d%% · %d new", syncPercent(h.progress), h.progress.Inserted)))
	case h.live:
		// "synced" would only repeat what LIVE says.
	case h.synced:
		rest = append(rest, st.Good.Render("synced"))
	default:
		rest = append(rest, st.Dim.Render("not synced yet"))
	}
	if h.live {
		rest = append(rest, h.liveParts()...)
	}
	if h.names != "" {
		rest = append(rest, st.Dim.Render(safe.Text(h.names)))
	}
	for _, r := range rest {
		parts = append(parts, plain(r))
	}
	return parts
}

// parallelParts describe a parallel window sync: the windows done, the
// new rows and the rate.
func (h headerModel) parallelParts() []headerPart {
	st := h.styles.Header
	p := h.progress
	parts := []headerPart{{
		text:      st.Warn.Render(fmt.Sprintf("fetching %d/%d windows", p.WindowsDone, p.Windows)),
		compact:   st.Warn.Render(fmt.Sprintf("fetching %d/%d", p.WindowsDone, p.Windows)),
		compactAt: stepCompact,
	}, {
		text:   st.Warn.Render(printer.Thousands(p.Inserted) + " new"),
		dropAt: stepDropNew,
	}}
	if r := h.eventsPerSecond(); r > 0 {
		parts = append(parts, headerPart{
			text:      st.Bar.Render(printer.Thousands(r) + " events/s"),
			compact:   st.Bar.Render(compactRate(r) + " ev/s"),
			compactAt: stepCompact,
			dropAt:    stepDropRate,
		})
	}
	return parts
}

// liveParts describe the live tail: the mark, a retry countdown or a
// failed poll, the poll interval and how long ago the last poll ended.
func (h headerModel) liveParts() []string {
	st := h.styles.Header
	parts := []string{st.Live.Render("● LIVE")}
	switch {
	case !h.retryUntil.IsZero() && h.now.Before(h.retryUntil):
		left := (h.retryUntil.Sub(h.now) + time.Second - 1).Truncate(time.Second) // rounded up: never "0s" before it fires
		text := "retry in " + left.String()
		if h.retryStatus != 0 {
			text += fmt.Sprintf(" (%d)", h.retryStatus)
		}
		parts = append(parts, st.Warn.Render(text))
	case h.tailErr != nil:
		parts = append(parts, st.Warn.Render("poll failed"))
	}
	if d := h.tail.PollInterval.Round(time.Second); d > 0 {
		parts = append(parts, st.Bar.Render("every "+shortDuration(d)))
	}
	if h.tail.LastPoll.IsZero() {
		parts = append(parts, st.Dim.Render("connecting…"))
	} else {
		ago := max(0, h.now.Sub(h.tail.LastPoll)).Round(time.Second)
		parts = append(parts, st.Dim.Render("polled "+shortDuration(ago)+" ago"))
	}
	return parts
}

// describeWindow is the human name of a query's window.
func describeWindow(q feed.Query, from, to time.Time, defaultSince time.Duration, loc *time.Location) string {
	w := q.Window
	switch {
	case w.Since > 0:
		return "last " + shortDuration(w.Since)
	case !w.From.IsZero() || !w.To.IsZero():
		f := func(t time.Time) string {
			if t.IsZero() {
				return "…"
			}
			return t.In(loc).Format("2006-01-02 15:04")
		}
		return f(w.From) + " → " + f(w.To)
	}
	return "last " + shortDuration(defaultSince)
}

// shortDuration prints 15m, 6h, 24h, 7d.
func shortDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d == 0:
		return "0s"
	}
	return d.String()
}
