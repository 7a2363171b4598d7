package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"claudit/feed/sim"
)

// rowTime matches the start of a table row: the four flag cells, then the
// time column.
var rowTime = regexp.MustCompile(`(?m)^.... (\d\d-\d\d \d\d:\d\d:\d\d)`)

// TestDemoInTmux runs the built binary's demo in a real 140×40 terminal:
// rows appear, a key query filters, K shows who deactivated the key, y
// copies without crashing, and q exits with the terminal restored.
func TestDemoInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds the binary and runs the demo in tmux")
	}
	bin := buildBinary(t)
	scenario := sim.New(demoSimConfig()).Scenario()
	tm := startTmux(t, 140, 40, bin+" demo", "TERM=xterm-256color", "NO_COLOR=1", "XDG_CONFIG_HOME="+t.TempDir())

	tm.waitFor("the first rows", 60*time.Second, func(s string) bool {
		return strings.Contains(s, "TIME") && len(rowTime.FindAllString(s, -1)) > 5
	})
	// The first screen comes before the sync ends; let the window fill.
	tm.waitText("synced", 3*time.Minute)

	tm.keys("/", "literal:key:"+scenario.DeactivatedKeyID, "Enter")
	tm.waitFor("the key's events", 30*time.Second, func(s string) bool {
		return strings.Contains(s, "key:"+scenario.DeactivatedKeyID) && strings.Contains(s, "scoped_api_key_updat")
	})
	// The demo's directory names the key; I shows the ids instead.
	tm.keys("I")
	screen := tm.waitText("table shows ids", 10*time.Second)
	// Every row names the key, as actor or target (the key acts too: its
	// claude_chat_viewed rows belong). Cells are cut, so look for the id's
	// start.
	for _, line := range strings.Split(screen, "\n") {
		if rowTime.MatchString(line) && !strings.Contains(line, scenario.DeactivatedKeyID[:10]) {
			t.Fatalf("the key filter let an unrelated event through: %q\n%s", line, screen)
		}
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

// lateRow matches a table row whose flag column carries the late mark.
var lateRow = regexp.MustCompile(`(?m)^...L \d\d-\d\d \d\d:\d\d:\d\d`)

// rowTimes returns the time column of every row on screen, top to bottom.
func rowTimes(screen string) []string {
	var out []string
	for _, m := range rowTime.FindAllStringSubmatch(screen, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestLiveTailInTmux runs the explorer against a simulator process that
// keeps emitting events, some indexed late: with live tail on, new events
// appear at the top, claudit's own calls are hidden and counted, pausing
// holds the view while a badge counts arrivals, late arrivals caught by
// reconciliation are marked, and q exits cleanly.
func TestLiveTailInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds the binary and runs it in tmux for about two minutes")
	}
	bin := buildBinary(t)
	home := t.TempDir()
	env := append(withoutKeyEnv(os.Environ()), "HOME="+home, "XDG_CACHE_HOME="+home, "NO_COLOR=1", "TZ=UTC")
	// Events late by up to 90 s: those later than the 60 s indexing lag
	// plus one reconcile interval are missed by the catch-up loop and the
	// reconcile pass that covered their time, and caught by the next one.
	url, _ := startSimProcess(t, bin, env, "--seed", "5", "--events", "3000", "--live-rate", "90",
		"--faults", "late=0.4,lateby=90s")
	cache := filepath.Join(home, "live.db")
	command := fmt.Sprintf("%s --cache %s --base-url %s --tail-poll 2s --tail-reconcile 5s since:1h", bin, cache, url)
	tm := startTmux(t, 140, 40, command, append(env, envKeyVar+"="+sim.AdminKey)...)

	before := rowTimes(tm.waitFor("the synced window", 60*time.Second, func(s string) bool {
		return strings.Contains(s, "synced") && len(rowTimes(s)) > 0
	}))

	tm.keys("f")
	tm.waitText("● LIVE", 10*time.Second)
	tm.waitFor("a new event at the top", 30*time.Second, func(s string) bool {
		rows := rowTimes(s)
		return len(rows) > 0 && rows[0] > before[0]
	})
	tm.waitFor("the count of hidden own calls", 30*time.Second, func(s string) bool {
		return strings.Contains(s, "own hidden")
	})

	tm.keys("Space")
	held := rowTimes(tm.waitText("PAUSED", 10*time.Second))
	screen := tm.waitFor("the new-events badge while paused", 30*time.Second, func(s string) bool {
		return strings.Contains(s, "▲") && strings.Contains(s, " new")
	})
	if got := rowTimes(screen); len(got) == 0 || got[0] != held[0] {
		t.Fatalf("the paused view moved: top row %v, held %v\n%s", got[:min(1, len(got))], held[0], screen)
	}
	tm.keys("f")
	tm.waitFor("following to resume", 10*time.Second, func(s string) bool { return !strings.Contains(s, "PAUSED") })

	// Late arrivals: narrow to them and wait for the reconcile passes.
	tm.keys("/", "C-u", "literal:since:1h is:late", "Enter")
	screen = tm.waitFor("a late arrival marked L", 3*time.Minute, func(s string) bool {
		return strings.Contains(s, "is:late") && lateRow.MatchString(s)
	})
	if n := len(rowTimes(screen)); n != len(lateRow.FindAllString(screen, -1)) {
		t.Fatalf("is:late shows rows without the late mark:\n%s", screen)
	}

	tm.keys("q")
	tm.waitText("EXIT:0", 15*time.Second)
	if alt := tm.paneFlag("alternate_on"); alt != "0" {
		t.Fatalf("the terminal is still in the alternate screen after quitting (alternate_on=%s)", alt)
	}
}
