package ui

import (
	"fmt"
	"strings"
	"time"

	"claudit/feed"
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
	syncErr  error
	rate     feed.RateLimit // the newest budget any sync or poll reported

	// Live tail: the last good poll, a failed one, a retry in progress.
	live        bool
	tail        feed.Progress
	tailErr     error
	retryUntil  time.Time
	retryStatus int
	now         time.Time // for "polled 3s ago" and the retry countdown

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

// View renders the header, exactly width cells.
func (h headerModel) View() string {
	st := h.styles.Header
	sep := st.Sep.Render(" · ")
	parts := []string{st.Title.Render("claudit")}
	if h.profile != "" {
		parts = append(parts, st.Bar.Render(safe.Text(h.profile)))
	}
	if h.keyLabel != "" {
		parts = append(parts, st.Bar.Render(safe.Text(h.keyLabel)))
	} else if h.offline {
		parts = append(parts, st.Dim.Render("no key"))
	}
	switch {
	case h.covFraction < 0:
		parts = append(parts, st.Dim.Render("cache ? of "+h.window))
	case h.covFraction >= 1:
		parts = append(parts, st.Good.Render("cache 100% of "+h.window))
	default:
		parts = append(parts, st.Warn.Render(fmt.Sprintf("cache %d%% of %s", int(h.covFraction*100), h.window)))
	}
	if rl := h.rate; rl.Known {
		s := st.Bar
		if rl.Limit > 0 && rl.Remaining*10 < rl.Limit {
			s = st.Bad
		}
		parts = append(parts, s.Render(fmt.Sprintf("budget %d/%d", rl.Remaining, rl.Limit)))
	}
	switch {
	case h.offline:
		parts = append(parts, st.Dim.Render("offline"))
	case h.syncErr != nil:
		parts = append(parts, st.Bad.Render("sync failed"))
	case h.syncing && h.progress.Phase == "tail":
		parts = append(parts, st.Live.Render("● LIVE"))
	case h.syncing && h.progress.Phase == "retry":
		wait := h.progress.RetryWait.Round(time.Second)
		parts = append(parts, st.Warn.Render(fmt.Sprintf("retrying (%d) in %s", h.progress.RetryStatus, wait)))
	case h.syncing:
		parts = append(parts, st.Warn.Render(fmt.Sprintf("fetching %d%% · %d new", syncPercent(h.progress), h.progress.Inserted)))
	case h.live:
		// "synced" would only repeat what LIVE says.
	case h.synced:
		parts = append(parts, st.Good.Render("synced"))
	default:
		parts = append(parts, st.Dim.Render("not synced yet"))
	}
	if h.live {
		parts = append(parts, h.liveParts()...)
	}
	line := " " + strings.Join(parts, sep)
	if w := ansi.StringWidth(line); w < h.width {
		line += st.Bar.Render(strings.Repeat(" ", h.width-w))
	}
	return fit(line, h.width)
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
