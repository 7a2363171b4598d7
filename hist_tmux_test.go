package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// histLabel matches the histogram cursor's label on the axis line.
var histLabel = regexp.MustCompile(`\d\d:\d\d(:\d\d)?–(\d\d-\d\d )?\d\d:\d\d(:\d\d)? · [\d,]+ events?`)

// TestHistogramNavigatorInTmux drives the histogram in a real terminal:
// [ puts the time cursor on the previous bucket and names it, a mouse
// click (an SGR report, as a terminal sends it) moves it to the column
// clicked, z zooms the query into that bucket and esc zooms back out.
func TestHistogramNavigatorInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds the binary and runs it in tmux")
	}
	bin := buildBinary(t)
	url, _ := startSimProcess(t, bin, withoutKeyEnv(os.Environ()), "--seed", "7", "--events", "3000")
	env, _ := tailEnv(t, url)
	tm := startTmux(t, 120, 30, bin+" since:24h", env...)
	tm.waitFor("the synced window", 60*time.Second, func(s string) bool {
		return strings.Contains(s, "synced") && len(rowTimes(s)) > 10
	})
	// Lines: header, query bar, bars, axis.
	axis := func(s string) string { return strings.Split(s, "\n")[3] }

	tm.keys("[")
	tm.waitFor("the cursor's label", 10*time.Second, func(s string) bool { return histLabel.MatchString(axis(s)) })

	// A left click on the bars at column 31 (SGR reports count from 1).
	tm.keys("literal:\x1b[<0;31;3M", "literal:\x1b[<0;31;3m")
	tm.waitFor("the cursor under the clicked column", 10*time.Second, func(s string) bool {
		r := []rune(axis(s))
		return len(r) > 30 && r[30] == '▲' && histLabel.MatchString(axis(s))
	})

	// The zoom's breadcrumb goes under the query bar.
	tm.keys("z")
	tm.waitFor("the zoomed query", 10*time.Second, func(s string) bool {
		lines := strings.Split(s, "\n")
		return strings.Contains(lines[1], "› from:") && strings.Contains(lines[2], "since:24h › zoom ")
	})
	tm.keys("Escape")
	tm.waitFor("the window zoomed out again", 10*time.Second, func(s string) bool {
		return strings.Contains(strings.Split(s, "\n")[1], "since:24h")
	})
	tm.keys("q")
	tm.waitText("EXIT:0", 15*time.Second)
}
