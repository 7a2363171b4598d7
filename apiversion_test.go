package main

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"claudit/feed"
	"claudit/feed/sim"
)

// api_version in the config file is the anthropic-version claudit sends;
// without it, feed.APIVersion.
func TestConfigAPIVersionIsSent(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := sim.New(sim.Config{Seed: 7, Events: 50, End: simEnd, Now: func() time.Time { return testNow }})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("anthropic-version"))
		mu.Unlock()
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	last := func() string {
		mu.Lock()
		defer mu.Unlock()
		if len(seen) == 0 {
			return ""
		}
		return seen[len(seen)-1]
	}
	e := newTestEnv(t)
	e.vars[envBaseURL] = hs.URL
	e.vars[envCache] = filepath.Join(t.TempDir(), "c.db")
	e.key = sim.AdminKey
	e.vars[envConfig] = filepath.Join(t.TempDir(), "none.toml")
	if code, _, stderr := e.run("status", "--check"); code != 0 || last() != feed.APIVersion {
		t.Fatalf("default: exit %d, anthropic-version %q: %s", code, last(), stderr)
	}
	writeConfig(t, e, "api_version = \"2026-10-21\"\n")
	if code, _, stderr := e.run("status", "--check"); code != 0 || last() != "2026-10-21" {
		t.Fatalf("api_version = 2026-10-21: exit %d, anthropic-version %q: %s", code, last(), stderr)
	}
	path := writeConfig(t, e, "api_version = \"latest\"\n")
	code, stdout, stderr := e.run("status")
	if code != exitUsage || stdout != "" || !strings.Contains(stderr, "config file "+path+": api_version: ") ||
		!strings.Contains(stderr, `"latest" is not a date`) {
		t.Fatalf("bad api_version: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// status and login say what kind of key it is and what it reaches.
func TestStatusAndLoginNameTheKeyKind(t *testing.T) {
	_, url := startSim(t, sim.Config{Seed: 7, Events: 50})
	e := newTestEnv(t)
	e.vars[envBaseURL] = url
	e.vars[envCache] = filepath.Join(t.TempDir(), "c.db")
	e.vars[envConfig] = filepath.Join(t.TempDir(), "none.toml")
	for _, tt := range []struct{ key, want string }{
		{sim.AdminKey, "key kind     Admin API key (Claude Console, sk-ant-admin01-…): reads the Activity Feed only"},
		{sim.ComplianceKey, "key kind     Compliance Access Key (Claude Enterprise admin key, sk-ant-api01-…): reads what its scopes allow; the Activity Feed needs read:compliance_activities or read:org_audit"},
	} {
		e.key = tt.key
		if code, stdout, stderr := e.run("status"); code != 0 || !strings.Contains(stdout, tt.want) {
			t.Errorf("status with %s: exit %d, stdout lacks %q:\n%s%s", tt.key, code, tt.want, stdout, stderr)
		}
	}
	e.key = ""
	delete(e.vars, envKeyVar)
	e.stdin = strings.NewReader(sim.ComplianceKey + "\n")
	code, stdout, stderr := e.run("login")
	if code != 0 || !strings.Contains(stdout, "Kind: Compliance Access Key (Claude Enterprise admin key, sk-ant-api01-…); it reads") {
		t.Fatalf("login: exit %d\n%s%s", code, stdout, stderr)
	}
	e.stdin = strings.NewReader("sk-ant-api03-abcdefghijklmnopqrstuvwxyz\n")
	if code, _, stderr := e.run("login"); code != exitAuth || !strings.Contains(stderr, "read:org_audit") {
		t.Fatalf("login with a Claude API key: exit %d: %s", code, stderr)
	}
}

// A 403 for the feed names both scopes that would grant it.
func TestPermissionMessageNamesOrgAudit(t *testing.T) {
	_, url := startSim(t, sim.Config{Seed: 7, Events: 50})
	e := newTestEnv(t)
	e.vars[envBaseURL] = url
	e.vars[envCache] = filepath.Join(t.TempDir(), "c.db")
	e.vars[envConfig] = filepath.Join(t.TempDir(), "none.toml")
	e.key = sim.UserDataOnlyKey
	code, _, stderr := e.run("sync", "since:1h")
	if code != exitAuth || !strings.Contains(stderr, "Create a Compliance Access Key with read:compliance_activities or read:org_audit") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// An activity type newer than the catalogue: the sync that first brings it
// into the cache says so once; query finds it by type and by free text;
// status counts it beside the catalogue's date and size.
func TestTypesNewerThanTheCatalogue(t *testing.T) {
	const newType = "quantum_widget_created" // served by the simulator's story
	if _, ok := feed.Catalogue().Lookup(newType); ok {
		t.Fatalf("%s is catalogued now; pick a type the catalogue does not know", newType)
	}
	_, url := startSim(t, sim.Config{Seed: 7, Events: 3000})
	e := newTestEnv(t)
	e.vars[envBaseURL] = url
	e.vars[envCache] = filepath.Join(t.TempDir(), "c.db")
	e.vars[envConfig] = filepath.Join(t.TempDir(), "none.toml")
	e.key = sim.AdminKey
	const note = "claudit: 1 activity type newer than the built-in catalogue (" + newType + "); their events are stored and searchable as usual\n"
	code, _, stderr := e.run("sync")
	if code != 0 || strings.Count(stderr, note) != 1 {
		t.Fatalf("first sync: exit %d, want the note once on stderr:\n%s", code, stderr)
	}
	for _, args := range [][]string{{"sync"}, {"query", "type:" + newType}} {
		code, _, stderr := e.run(args...)
		if code != 0 || strings.Contains(stderr, "newer than the built-in catalogue") {
			t.Fatalf("%v: exit %d, the note came again:\n%s", args, code, stderr)
		}
	}
	for _, args := range [][]string{{"query", "--offline", "type:" + newType}, {"query", "--offline", `"quantum_widget"`}} {
		code, stdout, stderr := e.run(args...)
		if code != 0 || !strings.Contains(stdout, newType) {
			t.Fatalf("%v: exit %d, the event is not found:\n%s%s", args, code, stdout, stderr)
		}
	}
	code, stdout, stderr := e.run("status")
	want := "catalogue    518 activity types, as of 2026-12-02; the cache holds 1 type newer than it (" + newType + ")\n"
	if code != 0 || !strings.Contains(stdout, want) {
		t.Fatalf("status: exit %d, stdout lacks %q:\n%s%s", code, want, stdout, stderr)
	}
}
