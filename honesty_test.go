package main

import (
	"path/filepath"
	"strings"
	"testing"

	"claudit/feed/sim"
)

func TestTypoTypeIsAUsageError(t *testing.T) {
	_, url := startSim(t, sim.Config{Seed: 7, Events: 300})
	e := newTestEnv(t)
	e.vars[envBaseURL] = url
	e.vars[envCache] = filepath.Join(t.TempDir(), "test.db")
	e.key = sim.AdminKey
	// A fresh cache: the filtered window must be fetched, so the name is
	// sent and the server rejects it.
	for _, args := range [][]string{
		{"query", "since:2d", "type:scoped_api_key_updatd"},
		{"query", "since:2d", "-type:scoped_api_key_updatd"},
		{"sync", "since:2d", "type:scoped_api_key_updatd"},
	} {
		code, _, stderr := e.run(args...)
		if code != exitUsage {
			t.Fatalf("%v: exit %d, want %d (usage, not network/API): %s", args, code, exitUsage, stderr)
		}
		for _, want := range []string{"did you mean scoped_api_key_updated?", "rejected activity type", "^^^^"} {
			if !strings.Contains(stderr, want) {
				t.Fatalf("%v: stderr lacks %q:\n%s", args, want, stderr)
			}
		}
	}

	// Offline nothing is sent: the same warning, at the token, and exit 0.
	code, _, stderr := e.run("query", "--offline", "since:2d", "type:scoped_api_key_updatd")
	if code != exitOK || !strings.Contains(stderr, "warning: type:scoped_api_key_updatd — activity type \"scoped_api_key_updatd\" is not in the built-in catalogue; did you mean scoped_api_key_updated?") {
		t.Fatalf("offline: exit %d, stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "  since:2d type:scoped_api_key_updatd\n           ^^^^^") {
		t.Fatalf("offline: no caret under the token:\n%s", stderr)
	}

	// A name that cannot be a type is refused before anything is sent.
	code, _, stderr = e.run("query", "--offline", "type:scoped-api-key-updated")
	if code != exitUsage || !strings.Contains(stderr, "did you mean scoped_api_key_updated?") {
		t.Fatalf("implausible name: exit %d: %s", code, stderr)
	}
	// A catalogued type has no warning.
	if code, _, stderr := e.run("query", "--offline", "since:2d", "type:scoped_api_key_updated"); code != 0 || strings.Contains(stderr, "warning") {
		t.Fatalf("catalogued type: exit %d: %s", code, stderr)
	}
}
