package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"claudit/store"
)

// ocsfIDs decodes OCSF lines and returns their metadata.uid in order.
func ocsfIDs(t *testing.T, out string) []string {
	t.Helper()
	var ids []string
	for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var ev struct {
			ClassUID *int `json:"class_uid"`
			Metadata struct {
				UID        string `json:"uid"`
				Version    string `json:"version"`
				LoggedTime int64  `json:"logged_time"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.ClassUID == nil || ev.Metadata.Version != "1.6.0" {
			t.Fatalf("line %d is not an OCSF event (%v): %.200s", i+1, err, line)
		}
		ids = append(ids, ev.Metadata.UID)
	}
	return ids
}

func rawIDs(t *testing.T, out string) []string {
	t.Helper()
	var ids []string
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var a struct{ ID string }
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	return ids
}

// query --format ocsf prints one event per activity ndjson prints, in the
// same order; export --format ocsf adds events.ocsf.ndjson to the bundle,
// which --verify checks; --format is refused where it does not apply.
func TestOCSFFormat(t *testing.T) {
	e, sc, _ := syncedEnv(t)
	_, raw, _ := e.run("query", "--offline", "--format", "ndjson", "key:"+sc.LeakedKeyID)
	code, out, stderr := e.run("query", "--offline", "--format", "ocsf", "key:"+sc.LeakedKeyID)
	if code != 0 {
		t.Fatalf("query --format ocsf: exit %d: %s", code, stderr)
	}
	want, got := rawIDs(t, raw), ocsfIDs(t, out)
	if len(want) < 2 || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("ocsf ids %v, ndjson ids %v", got, want)
	}

	dir := filepath.Join(t.TempDir(), "bundle")
	code, out, stderr = e.run("export", "--offline", "--format", "ocsf", "key:"+sc.LeakedKeyID, "--out", dir)
	if code != 0 || !strings.Contains(out, store.BundleOCSF) {
		t.Fatalf("export --format ocsf: exit %d: %s%s", code, out, stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, store.BundleOCSF))
	if err != nil {
		t.Fatal(err)
	}
	if got := ocsfIDs(t, string(b)); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("bundle ocsf ids %v, want %v", got, want)
	}
	if code, out, stderr := e.run("export", "--verify", dir); code != 0 || !strings.Contains(out, store.BundleOCSF+" matches") {
		t.Fatalf("verify: exit %d: %s%s", code, out, stderr)
	}
	if err := os.WriteFile(filepath.Join(dir, store.BundleOCSF), b[:len(b)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := e.run("export", "--verify", dir); code != exitUnverified || !strings.Contains(stderr, store.BundleOCSF) {
		t.Fatalf("verify of a cut %s: exit %d: %s", store.BundleOCSF, code, stderr)
	}

	for _, args := range [][]string{
		{"query", "--offline", "--format", "xml"},
		{"export", "--offline", "--format", "csv", "--out", filepath.Join(t.TempDir(), "b")},
		{"export", "--verify", dir, "--format", "ocsf"},
	} {
		if code, _, stderr := e.run(args...); code != exitUsage || !strings.Contains(stderr, "--format") {
			t.Errorf("%v: exit %d: %s", args, code, stderr)
		}
	}
	// Without --format, export writes the raw bundle alone, as before.
	plain := filepath.Join(t.TempDir(), "plain")
	if code, _, stderr := e.run("export", "--offline", "key:"+sc.LeakedKeyID, "--out", plain); code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(plain, store.BundleOCSF)); !os.IsNotExist(err) {
		t.Fatalf("export without --format wrote %s: %v", store.BundleOCSF, err)
	}
}
