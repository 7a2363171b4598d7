package main

import (
	"strings"
	"testing"
)

// TestQueryFreeTextIsSubstring: a quoted IP or id, or a piece of one, finds
// in the cache the events the field terms find (it found none when free
// text matched whole words only).
func TestQueryFreeTextIsSubstring(t *testing.T) {
	e, sc, _ := syncedEnv(t)
	query := func(q string) string {
		t.Helper()
		code, stdout, stderr := e.run("query", "--offline", "--format", "ndjson", "--limit", "100000", q)
		if code != 0 {
			t.Fatalf("query %s: exit %d: %s", q, code, stderr)
		}
		return stdout
	}
	for _, c := range [][2]string{
		{`"` + sc.AttackerIP + `"`, "ip:" + sc.AttackerIP},
		{`"` + sc.LeakedKeyID + `"`, sc.LeakedKeyID},
		{`"` + strings.ToUpper(sc.LeakedKeyID[len("apikey_"):]) + `"`, sc.LeakedKeyID},
	} {
		byText, byField := query(c[0]), query(c[1])
		if byText != byField || strings.Count(byField, "\n") == 0 {
			t.Errorf("%s: %d events, %s: %d", c[0], strings.Count(byText, "\n"), c[1], strings.Count(byField, "\n"))
		}
	}
	// A needle of fewer than three characters is a usage error at the token.
	code, _, stderr := e.run("query", "--offline", `since:1d "ab"`)
	if code != exitUsage || !strings.Contains(stderr, "too short") || !strings.Contains(stderr, "         ^^^^") {
		t.Fatalf("2-character needle: exit %d: %s", code, stderr)
	}
}
