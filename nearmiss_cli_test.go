package main

import (
	"strings"
	"testing"
)

// A query that finds nothing names the values it asks for that the cache
// has never seen, with the closest it has, after the coverage note; the
// exit code stays that of an empty answer.
func TestZeroResultsNearMiss(t *testing.T) {
	e, _, _ := syncedEnv(t)
	code, _, stderr := e.run("query", "--offline", "actor:alice@example.com")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	cov := strings.Index(stderr, "0 events in the whole cache (it covers ")
	miss := strings.Index(stderr, "claudit: no actor alice@example.com in the cache; did you mean ")
	if cov < 0 || miss < cov || !strings.Contains(stderr[miss:], "alice.admin@example.com") {
		t.Fatalf("stderr:\n%s", stderr)
	}

	// An actor the cache has is no near miss, even where the window holds
	// none of its events: that is the coverage note's to say.
	_, _, stderr = e.run("query", "--offline", "actor:alice.admin@example.com", "from:2001-01-01", "to:2001-01-02")
	if !strings.Contains(stderr, "0 events in 2001-01-01") || strings.Contains(stderr, "in the cache;") || strings.Contains(stderr, "no actor") {
		t.Fatalf("a cached actor reported missing:\n%s", stderr)
	}

	// Redacted, the suggestion is masked like every other e-mail.
	_, _, stderr = e.run("query", "--offline", "--redact", "actor:alice@example.com")
	if !strings.Contains(stderr, "in the cache; did you mean ") || strings.Contains(stderr, "alice.admin@example.com") {
		t.Fatalf("redacted:\n%s", stderr)
	}

	// Other formats stay silent, as for the coverage note.
	if _, _, stderr := e.run("query", "--offline", "actor:alice@example.com", "--format", "json"); strings.Contains(stderr, "no actor") {
		t.Fatalf("json: %s", stderr)
	}
}
