package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"claudit/feed"
	"claudit/feed/sim"
	"claudit/store"

	"github.com/charmbracelet/x/exp/golden"
)

func TestGoldenOutputs(t *testing.T) {
	e, sc, _ := syncedEnv(t)
	leaked := sc.LeakedKeyID
	cases := []struct {
		name string
		args []string
		term int // > 0: stdout is a terminal of this width (no colour: --no-color)
	}{
		{"query_table", []string{"query", "--offline", "since:2d", "type:@keys"}, 0},
		{"query_table_80", []string{"query", "--offline", "--no-color", "since:2d", "type:@keys"}, 80},
		{"query_table_incident", []string{"query", "--offline", "key:" + leaked, "--limit", "25"}, 0},
		{"query_json", []string{"query", "--offline", "--format", "json", "key:" + leaked, "type:@keys"}, 0},
		{"query_ndjson", []string{"query", "--offline", "--format", "ndjson", "key:" + leaked, "type:@keys"}, 0},
		{"query_csv", []string{"query", "--offline", "-o", "csv", "since:1d", "-type:compliance_api_accessed", "--limit", "40"}, 0},
		{"key_table", []string{"key", "--offline", leaked}, 0},
		{"key_json", []string{"key", leaked, "--offline", "--format", "json"}, 0},
		{"key_table_local_time", []string{"key", "--offline", sc.RevokedConsoleKeyID}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.location = time.UTC
			if strings.HasSuffix(c.name, "local_time") {
				e.location = time.FixedZone("", -5*3600)
			}
			e.isTerminal = func(s any) bool { return c.term > 0 && s == e.stdout }
			e.termWidth = func(any) int { return c.term }
			defer func() { e.isTerminal = func(any) bool { return false } }()
			code, stdout, stderr := e.run(c.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if stderr != "" {
				t.Fatalf("unexpected stderr: %s", stderr)
			}
			if strings.Contains(stdout, "\x1b") {
				t.Fatal("escape sequence in output that is not a colour terminal")
			}
			golden.RequireEqual(t, stdout) // testdata/TestGoldenOutputs/<name>.golden; -update rewrites it
		})
	}

	// The goldens are checked against the formats' own rules too, so an
	// -update cannot bless a broken output.
	_, ndjson, _ := e.run("query", "--offline", "--format", "ndjson", "key:"+leaked, "type:@keys")
	var prev feed.Activity
	for i, line := range strings.Split(strings.TrimSuffix(ndjson, "\n"), "\n") {
		var a feed.Activity
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("ndjson line %d: %v", i+1, err)
		}
		if i > 0 && a.CreatedAt.After(prev.CreatedAt) {
			t.Fatalf("ndjson line %d is newer than the line before", i+1)
		}
		prev = a
	}
	_, csvOut, _ := e.run("query", "--offline", "-o", "csv", "since:1d", "--limit", "40")
	recs, err := csv.NewReader(strings.NewReader(csvOut)).ReadAll()
	if err != nil || len(recs) != 41 || recs[0][0] != "id" {
		t.Fatalf("csv: %d records, %v", len(recs), err)
	}
	_, keyJSON, _ := e.run("key", leaked, "--offline", "--format", "json")
	var d struct {
		KeyID     string `json:"key_id"`
		Lifecycle []struct {
			Action string `json:"action"`
			Actor  struct {
				Label string `json:"label"`
			} `json:"actor"`
		} `json:"lifecycle"`
	}
	if err := json.Unmarshal([]byte(keyJSON), &d); err != nil || d.KeyID != leaked {
		t.Fatalf("key json: %v", err)
	}
	var deactivatedBy string
	for _, l := range d.Lifecycle {
		if l.Action == "deactivated" {
			deactivatedBy = l.Actor.Label
		}
	}
	if deactivatedBy != sc.DeactivatedBy {
		t.Fatalf("the dossier says %q deactivated the leaked key, the story says %q", deactivatedBy, sc.DeactivatedBy)
	}
}

func TestQueryJSONMatchesTheServer(t *testing.T) {
	e, sc, _ := syncedEnv(t)
	srv := sim.New(sim.Config{Seed: 7, Events: 3000, End: simEnd, Now: func() time.Time { return testNow }})
	code, stdout, stderr := e.run("query", "--offline", "--format", "json", "since:1d")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got []json.RawMessage
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatal(err)
	}
	truth := srv.Truth(testNow.Add(-24*time.Hour), testNow)
	if len(got) != len(truth) || len(got) == 0 {
		t.Fatalf("%d activities, the server has %d in the last day", len(got), len(truth))
	}
	for i := range truth {
		if !bytes.Equal(got[i], truth[i].Raw) {
			t.Fatalf("activity %d differs from the server's bytes:\n got %s\nwant %s", i, got[i], truth[i].Raw)
		}
	}
	_ = sc
}

func TestExitCodes(t *testing.T) {
	srv, url := startSim(t, sim.Config{Seed: 7, Events: 1200})
	_ = srv
	newEnv := func(t *testing.T, key string) *testEnv {
		e := newTestEnv(t)
		e.vars[envBaseURL] = url
		e.vars[envCache] = filepath.Join(t.TempDir(), "c.db")
		e.key = key
		return e
	}
	t.Run("bad key 401", func(t *testing.T) {
		e := newEnv(t, "sk-ant-admin01-not-a-real-key-0000")
		code, _, stderr := e.run("sync")
		if code != exitAuth || !strings.Contains(stderr, "rejected (401)") || !strings.Contains(stderr, envKeyVar) {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
		e.key = ""
		e.keyring.m[keychainService+"/default"] = "sk-ant-admin01-not-a-real-key-0000"
		code, _, stderr = e.run("query")
		if code != exitAuth || !strings.Contains(stderr, "claudit login --profile default") {
			t.Fatalf("keychain key: exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("missing scope 403", func(t *testing.T) {
		e := newEnv(t, sim.UserDataOnlyKey)
		code, _, stderr := e.run("query", "since:1h")
		if code != exitAuth || !strings.Contains(stderr, "(403)") ||
			!strings.Contains(stderr, "it has read:compliance_user_data") || !strings.Contains(stderr, "needs read:compliance_activities") {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("stopped server", func(t *testing.T) {
		dead := httptest.NewServer(nil)
		deadURL := dead.URL
		dead.Close()
		e := newEnv(t, sim.AdminKey)
		start := time.Now()
		code, _, stderr := e.run("sync", "--base-url", deadURL)
		if code != exitAPI || !strings.Contains(stderr, "cannot be reached") {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("gave up after %s, want about a second with the retry override", d)
		}
	})
	t.Run("server errors after retries", func(t *testing.T) {
		_, failing := startSim(t, sim.Config{Seed: 7, Events: 100, Faults: sim.Faults{ServerErrorEvery: 1}})
		e := newEnv(t, sim.AdminKey)
		code, _, stderr := e.run("sync", "--base-url", failing)
		if code != exitAPI || !strings.Contains(stderr, "kept failing") {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("malformed query", func(t *testing.T) {
		e := newEnv(t, sim.AdminKey)
		code, _, stderr := e.run("query", "type:@keys", "since:banana")
		lines := strings.Split(stderr, "\n")
		if code != exitUsage || len(lines) < 3 || !strings.Contains(lines[0], "since:banana") {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
		col := strings.Index(lines[1], "since:banana")
		if lines[2] != strings.Repeat(" ", col)+strings.Repeat("^", len("since:banana")) {
			t.Fatalf("caret line %q does not point at the token in %q", lines[2], lines[1])
		}
		code, _, stderr = e.run("query", "colour:red")
		if code != exitUsage || !strings.Contains(stderr, "^") {
			t.Fatalf("unknown field: exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("unwritable cache", func(t *testing.T) {
		e := newEnv(t, sim.AdminKey)
		file := filepath.Join(t.TempDir(), "a-file")
		if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		// A cache under a regular file cannot be created, even by root.
		code, _, stderr := e.run("sync", "--cache", filepath.Join(file, "c.db"))
		if code != exitCache || !strings.Contains(stderr, "cache error") {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
		if os.Geteuid() != 0 {
			ro := filepath.Join(t.TempDir(), "ro")
			if err := os.Mkdir(ro, 0o500); err != nil {
				t.Fatal(err)
			}
			code, _, stderr = e.run("query", "--cache", filepath.Join(ro, "c.db"))
			if code != exitCache {
				t.Fatalf("read-only dir: exit %d, stderr %q", code, stderr)
			}
		}
		bad := filepath.Join(t.TempDir(), "corrupt.db")
		if err := os.WriteFile(bad, bytes.Repeat([]byte("not a database "), 100), 0o600); err != nil {
			t.Fatal(err)
		}
		code, _, stderr = e.run("query", "--offline", "--cache", bad)
		if code != exitCache || !strings.Contains(stderr, "damaged") {
			t.Fatalf("corrupt cache: exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("no key", func(t *testing.T) {
		e := newEnv(t, "")
		code, _, stderr := e.run("sync")
		if code != exitAuth || !strings.Contains(stderr, "claudit login") {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
		e.keyring.err = &keychainError{op: "read", profile: "default", backend: "test", kind: errNoSecretService, cause: os.ErrNotExist}
		code, _, stderr = e.run("sync")
		if code != exitAuth || !strings.Contains(stderr, "Secret Service") || !strings.Contains(stderr, envKeyVar) {
			t.Fatalf("no secret service: exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("usage", func(t *testing.T) {
		e := newEnv(t, sim.AdminKey)
		for _, args := range [][]string{
			{"query", "--bogus"}, {"key"}, {"query", "--format", "xml"}, {"export", "--digest", "sha256:0"}, {"login", "extra"},
			{"--profile", "../etc", "status"}, {"querry"}, {"sync", "--base-url", "http://example.com"},
		} {
			if code, _, stderr := e.run(args...); code != exitUsage || stderr == "" || strings.Contains(stderr, "goroutine") {
				t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
			}
		}
	})
	t.Run("zero results", func(t *testing.T) {
		e := newEnv(t, sim.AdminKey)
		code, stdout, _ := e.run("query", "actor:nobody@example.com", "--format", "json")
		if code != exitOK || stdout != "[]\n" {
			t.Fatalf("exit %d, stdout %q", code, stdout)
		}
	})
}

func TestGlobalFlagsAnywhereAndEnv(t *testing.T) {
	e, _, url := syncedEnv(t)
	cache := e.vars[envCache]
	delete(e.vars, envCache)
	delete(e.vars, envBaseURL)
	e.vars["XDG_CACHE_HOME"] = t.TempDir()
	for _, args := range [][]string{
		{"--cache", cache, "query", "--offline", "since:1d", "--format", "ndjson"},
		{"query", "--offline", "since:1d", "--format", "ndjson", "--cache", cache},
		{"query", "--cache=" + cache, "since:1d", "--offline", "-o", "ndjson"},
	} {
		code, stdout, stderr := e.run(args...)
		if code != 0 || strings.Count(stdout, "\n") < 10 {
			t.Fatalf("%v: exit %d, %d lines, stderr %s", args, code, strings.Count(stdout, "\n"), stderr)
		}
	}
	// CLAUDIT_CACHE and CLAUDIT_BASE_URL are used when the flags are not.
	e.vars[envCache] = cache
	e.vars[envBaseURL] = url
	if code, stdout, stderr := e.run("status"); code != 0 || !strings.Contains(stdout, cache) || !strings.Contains(stdout, url) {
		t.Fatalf("status: exit %d\n%s%s", code, stdout, stderr)
	}
	// A flag wins over the environment.
	other := filepath.Join(t.TempDir(), "other.db")
	if _, stdout, _ := e.run("status", "--cache", other); !strings.Contains(stdout, other) {
		t.Fatalf("--cache did not win over %s:\n%s", envCache, stdout)
	}
	// Exclusion terms are query terms, not flags.
	code, all, _ := e.run("query", "--offline", "since:1d", "-o", "csv")
	code2, some, stderr := e.run("query", "--offline", "since:1d", "-type:compliance_api_accessed", "-o", "csv")
	if code != 0 || code2 != 0 || strings.Count(some, "\n") >= strings.Count(all, "\n") || strings.Contains(some, ",compliance_api_accessed,") {
		t.Fatalf("exclusion: exit %d/%d, %d vs %d lines, %s", code, code2, strings.Count(some, "\n"), strings.Count(all, "\n"), stderr)
	}
}

func TestOfflineCoverageNote(t *testing.T) {
	e := newTestEnv(t)
	e.vars[envCache] = filepath.Join(t.TempDir(), "empty.db")
	code, _, stderr := e.run("query", "--offline", "since:7d")
	if code != 0 || !strings.Contains(stderr, "covers 0% of the query's window") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	e2, _, _ := syncedEnv(t)
	if code, _, stderr := e2.run("query", "--offline", "since:7d"); code != 0 || stderr != "" {
		t.Fatalf("a fully synced window should need no note: exit %d, %q", code, stderr)
	}
}

func TestSyncProgressAndSummary(t *testing.T) {
	_, url := startSim(t, sim.Config{Seed: 7, Events: 3000})
	e := newTestEnv(t)
	e.vars[envBaseURL] = url
	e.vars[envCache] = filepath.Join(t.TempDir(), "c.db")
	e.key = sim.AdminKey
	// Off a terminal: one summary line (after the note on the simulator's
	// type from the future, which this first sync brings into the cache,
	// and before the one that an Admin key cannot read the directory).
	code, stdout, stderr := e.run("sync", "since:10d", "--page-size", "500")
	if code != 0 || stdout != "" || strings.Count(stderr, "\n") != 3 || !strings.Contains(stderr, "names need a Compliance Access Key") || !strings.Contains(stderr, "newer than the built-in catalogue") || !strings.Contains(stderr, "synced ") || !strings.Contains(stderr, "pages") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	offTerminal := summaryLine(t, stderr)
	// On a terminal: a progress bar redrawn with \r, then erased, then the
	// same summary line, the last (the directory is fresh now).
	e.isTerminal = func(s any) bool { return s == e.stderr }
	e.termWidth = func(any) int { return 100 }
	code, _, stderr = e.run("sync", "since:20d", "--page-size", "200")
	bar, after, erased := strings.Cut(stderr, "\r\x1b[2K")
	if code != 0 || !erased || !strings.Contains(bar, "\r") || !strings.Contains(bar, "%") ||
		!strings.HasPrefix(after, "claudit: synced ") || strings.Count(after, "\n") != 1 || !strings.HasSuffix(after, "\n") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	// The two lines have one form: only the window, the counts and the
	// time differ.
	if onTerminal := summaryLine(t, after); shape(onTerminal) != shape(offTerminal) {
		t.Fatalf("summary on a terminal %q, off one %q", onTerminal, offTerminal)
	}
	// Nothing to fetch: the line still ends the run.
	code, _, stderr = e.run("sync", "since:20d")
	if _, after, _ := strings.Cut(stderr, "\r\x1b[2K"); code != 0 || !strings.HasPrefix(after, "claudit: the cache already covers ") || strings.Count(after, "\n") != 1 {
		t.Fatalf("nothing to fetch on a terminal: exit %d, stderr %q", code, stderr)
	}
}

// summaryLine is sync's summary line in stderr.
func summaryLine(t *testing.T, stderr string) string {
	t.Helper()
	for l := range strings.SplitSeq(stderr, "\n") {
		if strings.HasPrefix(l, "claudit: synced ") {
			return l
		}
	}
	t.Fatalf("no summary line in %q", stderr)
	return ""
}

// shape is a summary line without its digits and elapsed time.
func shape(s string) string {
	s, _, _ = strings.Cut(s, ", in ")
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r == ',' || r == '.' {
			return -1
		}
		return r
	}, s)
}

func TestExportAndVerify(t *testing.T) {
	e, sc, _ := syncedEnv(t)
	dir := filepath.Join(t.TempDir(), "bundle")
	code, stdout, stderr := e.run("export", "key:"+sc.LeakedKeyID, "--out", dir)
	if code != 0 || !strings.Contains(stdout, "wrote ") {
		t.Fatalf("export: exit %d: %s%s", code, stdout, stderr)
	}
	res, err := store.VerifyBundle(dir, store.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Manifest
	if m.Query != "key:"+sc.LeakedKeyID || m.Tool != "claudit "+toolVersion() || len(m.RequestIDs) == 0 || len(m.EarlierRuns) == 0 ||
		m.Counts.Events == 0 || m.ServerParams[feed.ParamCreatedAtGTE] == nil {
		t.Fatalf("manifest = %+v", m)
	}
	if code, stdout, _ := e.run("export", "--verify", dir); code != 0 || !strings.HasPrefix(stdout, "ok: ") {
		t.Fatalf("verify: exit %d: %s", code, stdout)
	}
	data := filepath.Join(dir, store.BundleActivities)
	b, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x01
	if err := os.WriteFile(data, b, 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = e.run("export", "--verify", dir)
	if code != exitUnverified || !strings.Contains(stderr, "does not verify") || !strings.Contains(stderr, "activities.ndjson line ") {
		t.Fatalf("tampered: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := e.run("export", "--out", dir); code == 0 || !strings.Contains(stderr, "not empty") {
		t.Fatalf("export over a bundle: exit %d, %q", code, stderr)
	}
}

func TestVersionHelpCompletion(t *testing.T) {
	e := newTestEnv(t)
	if code, stdout, _ := e.run("--version"); code != 0 || stdout != currentBuild().text() || !strings.HasPrefix(stdout, "claudit "+toolVersion()+"\n") {
		t.Fatalf("--version: %d %q", code, stdout)
	}
	code, stdout, _ := e.run("--help")
	if code != 0 || !strings.Contains(stdout, "Examples:") || !strings.Contains(stdout, "Exit codes") {
		t.Fatalf("--help: %d\n%s", code, stdout)
	}
	for _, sub := range []string{"login", "logout", "status", "sync", "query", "key", "who", "export", "tail", "sim", "demo", "version", "man", "completion"} {
		if !strings.Contains(stdout, "  "+sub+" ") {
			t.Errorf("help does not list %s", sub)
		}
	}
	for _, shell := range []string{"bash", "zsh", "fish"} {
		if code, stdout, _ := e.run("completion", shell); code != 0 || !strings.Contains(stdout, "claudit") {
			t.Errorf("completion %s: exit %d", shell, code)
		}
	}
	// Completion of query terms goes through cobra's __complete.
	if _, stdout, _ := e.run("__complete", "query", "type:@ke"); !strings.Contains(stdout, "type:@keys") {
		t.Fatalf("completion of type:@ke = %q", stdout)
	}
}

func TestArgProtection(t *testing.T) {
	got := protectQueryArgs([]string{"query", "-type:x", "-actor:a@b", `-"text"`, "-o", "--cache", "-x:y", "--", "-type:z"})
	want := []string{"query", negMarker + "-type:x", negMarker + "-actor:a@b", negMarker + `-"text"`, "-o", "--cache", "-x:y", "--", "-type:z"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q", got)
	}
	if q := queryText(got[1:4]); q != `-type:x -actor:a@b -"text"` {
		t.Fatalf("queryText = %q", q)
	}
}

func TestColourOnlyOnATerminalWithoutNoColor(t *testing.T) {
	e, _, _ := syncedEnv(t)
	args := []string{"query", "--offline", "since:1d", "--limit", "5"}
	e.isTerminal = func(s any) bool { return s == e.stdout }
	e.termWidth = func(any) int { return 160 }
	if _, out, _ := e.run(args...); !strings.Contains(out, "\x1b[") {
		t.Fatalf("no colour on a terminal:\n%s", out)
	}
	for name, setup := range map[string]func(){
		"NO_COLOR":   func() { e.vars[envNoColor] = "1" },
		"--no-color": func() { args = append(args, "--no-color") },
		"TERM=dumb":  func() { e.vars["TERM"] = "dumb" },
		"a pipe":     func() { e.isTerminal = func(any) bool { return false } },
	} {
		saved := args
		setup()
		if _, out, _ := e.run(args...); strings.Contains(out, "\x1b") {
			t.Errorf("%s: escape sequences in the output", name)
		}
		args = saved
		delete(e.vars, envNoColor)
		delete(e.vars, "TERM")
		e.isTerminal = func(s any) bool { return s == e.stdout }
	}
}
