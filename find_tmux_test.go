package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"claudit/feed/sim"
	"claudit/ui/printer"
)

// matchOf matches the find's "match K of N" on the status line.
var matchOf = regexp.MustCompile(`match (\d+) of ([\d,]+)`)

// TestFindInTmux runs the explorer over a synced cache in a real terminal:
// ctrl+f finds an e-mail without changing the query, the status line
// counts its matches exactly (as claudit query counts the same free
// text), n and N step through them and wrap, and esc clears the find.
func TestFindInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds the binary and runs the explorer in tmux")
	}
	e, sc, url := syncedEnv(t)
	code, out, stderr := e.run("query", "--offline", "--format", "ndjson", `"`+sc.DeactivatedBy+`"`)
	if code != 0 {
		t.Fatalf("query: exit %d: %s", code, stderr)
	}
	want := strings.Count(out, "\n")
	if want < 3 {
		t.Fatalf("%d events name %s: the data does not test a find", want, sc.DeactivatedBy)
	}
	bin := buildBinary(t)
	home := t.TempDir()
	tm := startTmux(t, 160, 40, bin+" --base-url "+url+" --cache "+e.vars[envCache],
		"TERM=xterm-256color", "NO_COLOR=1", "HOME="+home, "XDG_CONFIG_HOME="+home, envKeyVar+"="+sim.AdminKey)
	tm.waitFor("the first rows", 60*time.Second, func(s string) bool { return len(rowTime.FindAllString(s, -1)) > 5 })

	tm.keys("C-f")
	tm.waitText("find: ", 10*time.Second)
	tm.keys("literal:"+sc.DeactivatedBy, "Enter")
	total := printer.Thousands(want)
	at := func(k string) func(string) bool {
		return func(s string) bool {
			m := matchOf.FindStringSubmatch(s)
			return m != nil && m[1] == k && m[2] == total
		}
	}
	screen := tm.waitFor("match 1 of "+total, 30*time.Second, at("1"))
	if strings.Contains(screen, "› "+sc.DeactivatedBy) {
		t.Fatalf("the find changed the query:\n%s", screen)
	}
	tm.keys("n")
	tm.waitFor("match 2", 15*time.Second, at("2"))
	tm.keys("N")
	tm.waitFor("match 1 again", 15*time.Second, at("1"))
	tm.keys("N")
	tm.waitFor("the wrap to the last match", 15*time.Second, func(s string) bool {
		return at(total)(s) && strings.Contains(s, "search hit TOP, continuing at BOTTOM")
	})
	tm.keys("Escape")
	tm.waitFor("the find to clear", 15*time.Second, func(s string) bool {
		return strings.Contains(s, "find cleared") && !matchOf.MatchString(s)
	})
	tm.keys("q")
	tm.waitText("EXIT:0", 15*time.Second)
}
