package main

import (
	"database/sql"
	"os"
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

// execCache runs SQL on the cache file with database/sql.
func execCache(t *testing.T, path, stmt string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(stmt); err != nil {
		t.Fatal(err)
	}
}

func TestBrokenCacheIsExit4(t *testing.T) {
	for _, c := range []struct{ stmt, want string }{
		{`DROP TABLE sync_runs`, "sync_runs"},
		{`DROP TABLE activities`, "activities"},
		{`INSERT INTO migrations(version, name, applied) VALUES (999, '0999_future.sql', 0)`, "written by a newer claudit: upgrade, or use another --cache"},
	} {
		e, _, _ := syncedEnv(t)
		execCache(t, e.vars[envCache], c.stmt)
		for _, args := range [][]string{{"query", "since:2d"}, {"query", "--offline", "since:2d"}, {"sync", "since:2d"}, {"status"}} {
			code, _, stderr := e.run(args...)
			if code != exitCache || !strings.Contains(stderr, c.want) {
				t.Fatalf("%s, then %v: exit %d, want %d naming %q: %s", c.stmt, args, code, exitCache, c.want, stderr)
			}
		}
	}
}

func TestSymlinkCacheRefused(t *testing.T) {
	e, _, _ := syncedEnv(t)
	target := e.vars[envCache]
	if err := os.Chmod(target, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "link.db")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	e.vars[envCache] = link
	code, _, stderr := e.run("query", "--offline", "since:2d")
	if code != exitCache || !strings.Contains(stderr, "symbolic link to "+target) {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if fi, err := os.Stat(target); err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("the target was chmodded through the link: %v %v", fi.Mode(), err)
	}
}

func TestZeroResultsSaySo(t *testing.T) {
	e, _, _ := syncedEnv(t)
	code, stdout, stderr := e.run("query", "--offline", "since:2d", "actor:nobody@example.com")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "0 events in 2026-") || !strings.Contains(stderr, "(the cache covers 100% of it)") {
		t.Fatalf("stderr does not say so:\n%s", stderr)
	}
	if strings.Contains(stdout, "0 events") {
		t.Fatalf("the note belongs on stderr, stdout stays the table:\n%s", stdout)
	}
	// Other formats stay silent: an empty array or nothing is the answer.
	if _, _, stderr := e.run("query", "--offline", "since:2d", "actor:nobody@example.com", "--format", "json"); strings.Contains(stderr, "0 events") {
		t.Fatalf("json: %s", stderr)
	}
}

func TestOfflineQueryOnReadOnlyCache(t *testing.T) {
	e, _, _ := syncedEnv(t)
	path := e.vars[envCache]
	_, want, _ := e.run("query", "--offline", "since:2d", "--format", "ndjson")
	if want == "" {
		t.Fatal("no rows to compare")
	}
	dir := filepath.Dir(path)
	if err := os.Chmod(path, 0o400); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o700); os.Chmod(path, 0o600) })
	if f, err := os.OpenFile(path, os.O_RDWR, 0); err == nil {
		f.Close()
		t.Skip("running as root: a 0400 file stays writable")
	}
	code, got, stderr := e.run("query", "--offline", "since:2d", "--format", "ndjson")
	if code != 0 || got != want {
		t.Fatalf("read-only cache: exit %d, %d bytes (want %d): %s", code, len(got), len(want), stderr)
	}
}
