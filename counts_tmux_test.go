package main

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// position matches the status line's "row/total" position.
var position = regexp.MustCompile(`(\?|[\d,]+)/(≥ )?([\d,]+)\s*$`)

// TestExactCountsInTmux runs the demo (300,000 events) in tmux: after G
// the position is the exact total the query bar shows, not
// "?/≥ 100,000"; the palette's :actor alias queries an actor the cache
// lacks, and the empty table names the one it has.
func TestExactCountsInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds the binary and runs the demo in tmux")
	}
	bin := buildBinary(t)
	tm := startTmux(t, 140, 40, bin+" demo", "TERM=xterm-256color", "NO_COLOR=1", "XDG_CONFIG_HOME="+t.TempDir())
	tm.waitText("synced", 3*time.Minute)

	tm.keys("G")
	screen := tm.waitFor("the position of the oldest row", 30*time.Second, func(s string) bool {
		m := position.FindStringSubmatch(strings.TrimRight(s, "\n "))
		return m != nil && m[1] == m[3] && m[2] == ""
	})
	m := position.FindStringSubmatch(strings.TrimRight(screen, "\n "))
	if n := strings.ReplaceAll(m[3], ",", ""); len(n) < 6 || !strings.Contains(screen, m[3]+" events") {
		t.Fatalf("after G the position is %s of %s, and the bar does not say %s events:\n%s", m[1], m[3], m[3], screen)
	}

	tm.keys(":", "literal:actor alice@example.com", "Enter")
	tm.waitFor("the near miss", 30*time.Second, func(s string) bool {
		return strings.Contains(s, "0 events in") &&
			strings.Contains(s, "no actor alice@example.com in the cache; did you mean alice.admin@example.com")
	})
	tm.keys("q")
	tm.waitText("EXIT:0", 15*time.Second)
}
