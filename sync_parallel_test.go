package main

import (
	"path/filepath"
	"strings"
	"testing"

	"claudit/feed/sim"
)

// sync --parallel (issue 13): 1 walks one cursor, the default fetches
// windows at once; both fetch the window exactly, and the progress line of
// a parallel sync shows its windows. Out of range is a usage error.
func TestSyncParallelFlag(t *testing.T) {
	s, url := startSim(t, sim.Config{Seed: 8, Events: 4000})
	for _, tc := range []struct {
		args    []string
		windows bool
	}{{[]string{"--parallel", "1"}, false}, {nil, true}} {
		e := newTestEnv(t)
		e.vars[envBaseURL] = url
		e.vars[envCache] = filepath.Join(t.TempDir(), "c.db")
		e.key = sim.AdminKey
		e.isTerminal = func(s any) bool { return s == e.stderr }
		e.termWidth = func(any) int { return 200 }
		before := s.Requests()
		code, _, stderr := e.run(append([]string{"sync", "since:20d", "--page-size", "500"}, tc.args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d, stderr %q", tc.args, code, stderr)
		}
		if got := strings.Contains(stderr, "windows "); got != tc.windows {
			t.Fatalf("%v: progress shows windows = %v, want %v: %q", tc.args, got, tc.windows, stderr)
		}
		if n := s.Requests() - before; n < 2 {
			t.Fatalf("%v: %d requests", tc.args, n)
		}
	}
	e := newTestEnv(t)
	for _, bad := range []string{"0", "33"} {
		code, _, stderr := e.run("sync", "--parallel", bad)
		if code != exitUsage || !strings.Contains(stderr, "--parallel "+bad+": want 1 to 32") {
			t.Fatalf("--parallel %s: exit %d, stderr %q", bad, code, stderr)
		}
	}
}
