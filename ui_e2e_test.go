package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"claudit/feed/sim"
)

// rowTime matches the time column of a table row.
var rowTime = regexp.MustCompile(`\d\d-\d\d \d\d:\d\d:\d\d`)

// TestDemoInTmux runs the built binary's demo in a real 140×40 terminal:
// rows appear, a key query filters, K shows who deactivated the key, y
// copies without crashing, and q exits with the terminal restored.
func TestDemoInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds the binary and runs the demo in tmux")
	}
	bin := buildBinary(t)
	scenario := sim.New(demoSimConfig()).Scenario()
	tm := startTmux(t, 140, 40, bin+" demo", "TERM=xterm-256color", "NO_COLOR=1")

	tm.waitFor("the first rows", 60*time.Second, func(s string) bool {
		return strings.Contains(s, "TIME") && len(rowTime.FindAllString(s, -1)) > 5
	})
	// The first screen comes before the sync ends; let the window fill.
	tm.waitText("synced", 3*time.Minute)

	tm.keys("/", "literal:key:"+scenario.DeactivatedKeyID, "Enter")
	screen := tm.waitFor("the key's events", 30*time.Second, func(s string) bool {
		return strings.Contains(s, "key:"+scenario.DeactivatedKeyID) && strings.Contains(s, "scoped_api_key_updat")
	})
	if strings.Contains(screen, "claude_chat_viewed") {
		t.Fatalf("the key filter let unrelated events through:\n%s", screen)
	}

	tm.keys("K")
	screen = tm.waitFor("the dossier", 15*time.Second, func(s string) bool {
		return strings.Contains(s, "DOSSIER") && strings.Contains(s, "LIFECYCLE")
	})
	if !strings.Contains(screen, "deactivated") || !strings.Contains(screen, scenario.DeactivatedBy) {
		t.Fatalf("the dossier does not say that %s deactivated the key:\n%s", scenario.DeactivatedBy, screen)
	}

	// Escape alone: followed at once by another key, a terminal reads it
	// as alt+<key>.
	tm.keys("Escape")
	tm.waitFor("the dossier to close", 10*time.Second, func(s string) bool { return !strings.Contains(s, "DOSSIER") })
	tm.keys("y")
	tm.waitFor("the copy confirmation", 10*time.Second, func(s string) bool {
		return strings.Contains(strings.ToLower(s), "copied")
	})

	tm.keys("q")
	tm.waitText("EXIT:0", 15*time.Second)
	if alt := tm.paneFlag("alternate_on"); alt != "0" {
		t.Fatalf("the terminal is still in the alternate screen after quitting (alternate_on=%s)", alt)
	}
	if cur := tm.paneFlag("cursor_flag"); cur != "1" {
		t.Fatalf("the cursor is still hidden after quitting (cursor_flag=%s)", cur)
	}
}
