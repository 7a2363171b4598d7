package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"claudit/feed"
	"claudit/feed/sim"
)

// testDirectory is a small directory: two orgs, three users (one in both
// orgs), a group, a role and two Compliance keys.
func testDirectory() *feed.Directory {
	const orgA, orgB = "0b2c0000-0000-4000-8000-00000000000a", "1c3d0000-0000-4000-8000-00000000000b"
	return &feed.Directory{
		Requests: 8,
		Orgs:     []feed.Organization{{UUID: orgA, Name: "Research"}, {UUID: orgB, Name: "Research Labs"}},
		Users: []feed.DirectoryUser{
			{ID: "user_01ALICE", Email: "alice@example.com", FullName: "Alice Chen", Role: "owner", OrgUUID: orgA},
			{ID: "user_01ALICE", Email: "alice@example.com", FullName: "Alice Chen", Role: "user", OrgUUID: orgB},
			{ID: "user_01BOB", Email: "bob@example.com", FullName: "Bob Stone", Role: "developer", OrgUUID: orgA},
			{ID: "user_01BOBBY", Email: "bobby@example.com", FullName: "Bob Stone", Role: "user", OrgUUID: orgB},
		},
		Roles: []feed.Role{{ID: "rbac_role_01ADMIN", Name: "Admins", OrgUUID: orgA}},
		Groups: []feed.Group{{ID: "rbac_group_01SEC", Name: "Security", MembersKnown: true,
			Members: []feed.GroupMember{{UserID: "user_01ALICE", Email: "alice@example.com"}}}},
		Keys: []feed.ComplianceKey{
			{ID: "apikey_01SIEM", Name: "Nightly SIEM pull", Scopes: []string{feed.ScopeActivities}, Active: true,
				CreatedByID: "user_01ALICE", CreatedAt: simEnd.Add(-72 * time.Hour)},
			{ID: "apikey_01OLD", Name: "Old export", Active: false, ExpiresAt: simEnd.Add(-time.Hour)},
		},
	}
}

// fakeDirectory counts its calls and returns d (a copy) or err.
type fakeDirectory struct {
	calls atomic.Int32
	d     *feed.Directory
	err   error
}

func (f *fakeDirectory) fetch(_ context.Context, c *feed.Client) (*feed.Directory, error) {
	f.calls.Add(1)
	if c == nil {
		return nil, errors.New("no client")
	}
	if f.err != nil {
		return nil, f.err
	}
	d := *f.d
	return &d, nil
}

// dirEnv is an environment on a small simulator with key and a fake
// directory; config is the config file's text.
func dirEnv(t *testing.T, key, config string, f *fakeDirectory) *testEnv {
	t.Helper()
	_, url := startSim(t, sim.Config{Seed: 7, Events: 300})
	e := newTestEnv(t)
	dir := t.TempDir()
	e.vars[envBaseURL] = url
	e.vars[envCache] = filepath.Join(dir, "c.db")
	e.vars[envConfig] = filepath.Join(dir, "config.toml")
	if config != "" {
		if err := os.WriteFile(e.vars[envConfig], []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	e.key = key
	if f != nil {
		e.fetchDirectory = f.fetch
	}
	return e
}

// directoryLines are the stderr lines about the directory.
func directoryLines(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, "names ") || strings.Contains(l, "directory") {
			out = append(out, l)
		}
	}
	return out
}

// An Admin API key cannot read the directory: sync exits 0 with one line
// that says which key and scopes names need, makes no directory request,
// and status says the same.
func TestSyncDirectoryAdminKey(t *testing.T) {
	f := &fakeDirectory{d: testDirectory()}
	e := dirEnv(t, sim.AdminKey, "", f)
	code, _, stderr := e.run("sync")
	lines := directoryLines(stderr)
	want := "claudit: names need a Compliance Access Key with read:compliance_org_data and read:compliance_user_data"
	if code != 0 || len(lines) != 1 || !strings.HasPrefix(lines[0], want) {
		t.Fatalf("exit %d, directory lines %q, want one starting %q\n%s", code, lines, want, stderr)
	}
	if n := f.calls.Load(); n != 0 {
		t.Errorf("an Admin key made %d directory requests", n)
	}
	code, stdout, _ := e.run("status")
	if code != 0 || !strings.Contains(stdout, "refreshed 0s ago") || !strings.Contains(stdout, strings.TrimPrefix(want, "claudit: ")) {
		t.Fatalf("status: exit %d\n%s", code, stdout)
	}
	// Within directory_ttl the next sync neither retries nor repeats it.
	if code, _, stderr := e.run("sync"); code != 0 || len(directoryLines(stderr)) != 0 {
		t.Fatalf("second sync: exit %d\n%s", code, stderr)
	}
}

// A Compliance key refreshes the directory on the first sync, not again
// within directory_ttl, again once it is older, and always with
// --directory; directory_ttl = "0" refreshes only when asked.
func TestSyncDirectoryTTL(t *testing.T) {
	f := &fakeDirectory{d: testDirectory()}
	e := dirEnv(t, sim.ComplianceKey, `directory_ttl = "2h"`+"\n", f)
	run := func(args ...string) string {
		t.Helper()
		code, _, stderr := e.run(args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, stderr)
		}
		return stderr
	}
	if stderr := run("sync"); f.calls.Load() != 1 || len(directoryLines(stderr)) != 0 {
		t.Fatalf("first sync: %d directory fetches, stderr %q", f.calls.Load(), stderr)
	}
	run("sync")
	if n := f.calls.Load(); n != 1 {
		t.Fatalf("a sync within directory_ttl fetched the directory again (%d)", n)
	}
	run("sync", "--directory")
	if n := f.calls.Load(); n != 2 {
		t.Fatalf("sync --directory: %d fetches, want 2", n)
	}
	later := testNow.Add(3 * time.Hour)
	e.now = func() time.Time { return later }
	run("sync")
	if n := f.calls.Load(); n != 3 {
		t.Fatalf("a sync after directory_ttl: %d fetches, want 3", n)
	}
	_, stdout, _ := e.run("status")
	if !strings.Contains(stdout, "refreshed 0s ago") || !strings.Contains(stdout, "2 organizations, 3 users, 0 removed users, 1 group, 1 role, 2 Compliance keys") {
		t.Fatalf("status:\n%s", stdout)
	}

	never := &fakeDirectory{d: testDirectory()}
	e = dirEnv(t, sim.ComplianceKey, `directory_ttl = "0"`+"\n", never)
	run("sync")
	if n := never.calls.Load(); n != 0 {
		t.Fatalf("directory_ttl 0: %d fetches", n)
	}
	if _, stdout, _ := e.run("status"); !strings.Contains(stdout, "never refreshed (directory_ttl is 0") {
		t.Fatalf("status:\n%s", stdout)
	}
	run("sync", "--directory")
	if n := never.calls.Load(); n != 1 {
		t.Fatalf("directory_ttl 0 with --directory: %d fetches", n)
	}

	e = dirEnv(t, sim.ComplianceKey, `directory_ttl = "soon"`+"\n", f)
	if code, _, stderr := e.run("sync"); code != exitUsage || !strings.Contains(stderr, "directory_ttl") {
		t.Fatalf("bad directory_ttl: exit %d\n%s", code, stderr)
	}
}

// A key with only the org-data scope gets organizations, roles, groups
// and keys; the line names the missing scope.
func TestSyncDirectoryPartialScope(t *testing.T) {
	d := testDirectory()
	d.Users = nil
	d.Groups[0].Members, d.Groups[0].MembersKnown = nil, false
	d.Denied = []feed.DeniedPart{{Part: feed.PartUsers, Scope: feed.ScopeUserData}, {Part: feed.PartMembers, Scope: feed.ScopeUserData}}
	e := dirEnv(t, sim.ComplianceKey, "", &fakeDirectory{d: d})
	code, _, stderr := e.run("sync")
	lines := directoryLines(stderr)
	if code != 0 || len(lines) != 1 || !strings.Contains(lines[0], "lacks read:compliance_user_data") || !strings.Contains(lines[0], "users, members") {
		t.Fatalf("exit %d, lines %q", code, lines)
	}
	if _, stdout, _ := e.run("status"); !strings.Contains(stdout, "lacks read:compliance_user_data") || !strings.Contains(stdout, "2 organizations, 0 users") {
		t.Fatalf("status:\n%s", stdout)
	}
}

// A directory that cannot be read (network, 5xx after retries) is a
// warning: the feed sync's exit code stands; a 403 is the key's scopes.
func TestSyncDirectoryFailureIsAWarning(t *testing.T) {
	f := &fakeDirectory{err: &feed.APIError{Status: 503, Type: "api_error", Message: "overloaded"}}
	e := dirEnv(t, sim.ComplianceKey, "", f)
	code, _, stderr := e.run("sync")
	lines := directoryLines(stderr)
	if code != 0 || len(lines) != 1 || !strings.Contains(lines[0], "warning: the directory could not be refreshed") ||
		!strings.Contains(lines[0], "ids are shown as they are") {
		t.Fatalf("exit %d, lines %q\n%s", code, lines, stderr)
	}
	f.err = &feed.APIError{Status: 403, Type: feed.ErrTypePermission, Message: "Missing required scopes."}
	code, _, stderr = e.run("sync", "--directory")
	if lines := directoryLines(stderr); code != 0 || len(lines) != 1 || !strings.Contains(lines[0], "names need a Compliance Access Key") {
		t.Fatalf("403: exit %d, lines %q", code, lines)
	}
}

// syncedDirEnv is dirEnv after a sync that stored testDirectory.
func syncedDirEnv(t *testing.T) *testEnv {
	t.Helper()
	e := dirEnv(t, sim.ComplianceKey, "", &fakeDirectory{d: testDirectory()})
	if code, _, stderr := e.run("sync"); code != 0 {
		t.Fatalf("sync: exit %d\n%s", code, stderr)
	}
	return e
}

func TestWho(t *testing.T) {
	e := syncedDirEnv(t)
	code, stdout, stderr := e.run("who", "alice@example.com")
	want := "user  Alice Chen <alice@example.com>\n" +
		"  id         user_01ALICE\n" +
		"  role       owner\n" +
		"  orgs       Research <0b2c0000-0000-4000-8000-00000000000a>, Research Labs <1c3d0000-0000-4000-8000-00000000000b>\n" +
		"  groups     Security <rbac_group_01SEC>\n" +
		"  listed     2026-11-25 12:05:00 +00:00\n"
	if code != 0 || stdout != want {
		t.Fatalf("who alice: exit %d, stderr %q\n%s\nwant\n%s", code, stderr, stdout, want)
	}
	// A name shared by two users lists both; a key shows its settings
	// with its creator resolved.
	if _, stdout, _ := e.run("who", "Bob", "Stone"); strings.Count(stdout, "user  Bob Stone") != 2 {
		t.Errorf("who Bob Stone:\n%s", stdout)
	}
	_, stdout, _ = e.run("who", `key:"Nightly SIEM pull"`)
	for _, s := range []string{"key  Nightly SIEM pull", "apikey_01SIEM", "scopes     read:compliance_activities", "state      active",
		"expires    never", "created by Alice Chen <user_01ALICE>"} {
		if !strings.Contains(stdout, s) {
			t.Errorf("who key: no %q in\n%s", s, stdout)
		}
	}
	// json
	code, stdout, _ = e.run("who", "apikey_01OLD", "--format", "json")
	if code != 0 || !strings.Contains(stdout, `"kind": "key"`) || !strings.Contains(stdout, `"active": false`) ||
		!strings.Contains(stdout, `"expires_at": "2026-11-25T11:00:00Z"`) || !strings.Contains(stdout, `"removed_at": null`) {
		t.Fatalf("who --format json: exit %d\n%s", code, stdout)
	}
	// Nothing known: exit 1, with how old the directory is.
	code, _, stderr = e.run("who", "Carol")
	if code != exitUsage || !strings.Contains(stderr, `nothing in the directory matches "Carol" (refreshed 0s ago: 3 users, 2 organizations, 2 Compliance keys)`) {
		t.Fatalf("who unknown: exit %d %q", code, stderr)
	}
	// While redacting, e-mails, names and ids are masked.
	_, stdout, _ = e.run("--redact", "who", "alice@example.com")
	if strings.Contains(stdout, "alice@") || strings.Contains(stdout, "Alice") || strings.Contains(stdout, "user_01ALICE") ||
		!strings.Contains(stdout, "Research") {
		t.Errorf("who --redact leaks:\n%s", stdout)
	}
}

func TestWhoWithoutDirectory(t *testing.T) {
	e := dirEnv(t, sim.AdminKey, "", nil)
	code, _, stderr := e.run("who", "user_01ALICE")
	if code != exitUsage || !strings.Contains(stderr, "the directory was never refreshed") {
		t.Fatalf("never refreshed: exit %d %q", code, stderr)
	}
	e.run("sync")
	code, _, stderr = e.run("who", "user_01ALICE")
	if code != exitUsage || !strings.Contains(stderr, "names need a Compliance Access Key") {
		t.Fatalf("admin key: exit %d %q", code, stderr)
	}
}

// scenarioDirectory names the simulator's first user "Alice Chen", its
// two orgs "Research" and "Research Labs" and its leaked key "Nightly SIEM
// pull".
func scenarioDirectory(sc sim.Scenario) *feed.Directory {
	return &feed.Directory{
		Orgs:  []feed.Organization{{UUID: sc.Org1UUID, Name: "Research"}, {UUID: sc.Org2UUID, Name: "Research Labs"}},
		Users: []feed.DirectoryUser{{ID: sc.UserIDs[0], Email: sc.Users[0], FullName: "Alice Chen", Role: "owner", OrgUUID: sc.Org1UUID}},
		Keys:  []feed.ComplianceKey{{ID: sc.LeakedKeyID, Name: "Nightly SIEM pull", Active: true}},
	}
}

// scenarioEnv is a cache synced from the simulator, with or without the
// scenario's directory.
func scenarioEnv(t *testing.T, withDirectory bool) (*testEnv, sim.Scenario) {
	t.Helper()
	srv, url := startSim(t, sim.Config{Seed: 7, Events: 1500})
	sc := srv.Scenario()
	e := newTestEnv(t)
	dir := t.TempDir()
	e.vars[envBaseURL] = url
	e.vars[envCache] = filepath.Join(dir, "c.db")
	e.vars[envConfig] = filepath.Join(dir, "none.toml")
	e.key = sim.ComplianceKey
	f := &fakeDirectory{d: scenarioDirectory(sc)}
	if !withDirectory {
		f.d = &feed.Directory{}
	}
	e.fetchDirectory = f.fetch
	if code, _, stderr := e.run("sync"); code != 0 {
		t.Fatalf("sync: exit %d\n%s", code, stderr)
	}
	return e, sc
}

// Names in a query resolve to the ids they stand for before the query is
// split between the server and the cache; an unknown name is an error.
func TestQueryResolvesNames(t *testing.T) {
	e, sc := scenarioEnv(t, true)
	same := func(named, ids string) {
		t.Helper()
		c1, byName, err1 := e.run("query", "--offline", "--format", "ndjson", named)
		c2, byID, _ := e.run("query", "--offline", "--format", "ndjson", ids)
		if c1 != 0 || c2 != 0 || byName != byID || byName == "" {
			t.Fatalf("%s: exit %d/%d, %d vs %d bytes (%s)", named, c1, c2, len(byName), len(byID), err1)
		}
	}
	same(`actor:"Alice Chen"`, "actor:"+sc.UserIDs[0])
	same(`org:"Research*"`, "org:"+sc.Org1UUID+" org:"+sc.Org2UUID)
	same(`org:"research labs"`, "org:"+sc.Org2UUID)
	same(`key:"Nightly SIEM pull"`, "key:"+sc.LeakedKeyID)
	same(`-actor:"Alice Chen" since:2d`, "-actor:"+sc.UserIDs[0]+" since:2d")
	// A synced query by name asks the server for the user's ids.
	if code, _, stderr := e.run("query", `actor:"Alice Chen"`, "since:1h"); code != 0 {
		t.Fatalf("query by name with a sync: exit %d\n%s", code, stderr)
	}
	code, _, stderr := e.run("query", "--offline", `actor:"Carol Ng"`)
	if code != exitUsage || !strings.Contains(stderr, `no user named "Carol Ng" in the directory (refreshed 0s ago`) || !strings.Contains(stderr, "^") {
		t.Fatalf("unknown name: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := e.run("query", "--offline", `org:"Nope*"`); code != exitUsage || !strings.Contains(stderr, `no organization matching "Nope*"`) {
		t.Fatalf("unknown org glob: exit %d\n%s", code, stderr)
	}
	// Without a directory, an org name says why it cannot be resolved.
	e2, _ := scenarioEnv(t, false)
	e2.fetchDirectory = nil
	if code, _, stderr := e2.run("query", "--offline", `actor:"Alice Chen"`); code != exitUsage || !strings.Contains(stderr, `no user named "Alice Chen"`) {
		t.Fatalf("empty directory: exit %d\n%s", code, stderr)
	}
}

// query --format table and csv show the directory's names; json and
// ndjson stay the raw events byte for byte.
func TestQueryPrintsNames(t *testing.T) {
	with, sc := scenarioEnv(t, true)
	without, _ := scenarioEnv(t, false)
	q := "actor:" + sc.UserIDs[0]
	for _, format := range []string{"json", "ndjson"} {
		_, a, _ := with.run("query", "--offline", "--format", format, q)
		_, b, _ := without.run("query", "--offline", "--format", format, q)
		if a != b || a == "" {
			t.Fatalf("%s differs with a directory (%d vs %d bytes)", format, len(a), len(b))
		}
	}
	_, csvOut, _ := with.run("query", "--offline", "--format", "csv", q)
	lines := strings.Split(strings.TrimSpace(csvOut), "\n")
	if !strings.HasSuffix(lines[0], ",summary,actor_name,organization_name,target_name") || !strings.Contains(lines[1], ",Alice Chen,Research") {
		t.Fatalf("csv:\n%s", strings.Join(lines[:2], "\n"))
	}
	_, plain, _ := without.run("query", "--offline", "--format", "csv", q)
	if strings.Contains(strings.SplitN(plain, "\n", 2)[0], "actor_name") {
		t.Errorf("csv without a directory gained name columns")
	}
	_, table, _ := with.run("query", "--offline", q)
	if !strings.Contains(table, "Alice Chen <"+sc.Users[0]+">") {
		t.Fatalf("table has no name:\n%s", table)
	}
	_, table, _ = with.run("--redact", "query", "--offline", q)
	if strings.Contains(table, "Alice Chen") || strings.Contains(table, sc.Users[0]) || !strings.Contains(table, "id⟨") {
		t.Fatalf("redacted table leaks the name:\n%s", table)
	}
}

// An export by name records the ids the name stood for, so the bundle
// verifies from its own query text, without the directory.
func TestExportByNameVerifies(t *testing.T) {
	e, sc := scenarioEnv(t, true)
	dir := filepath.Join(t.TempDir(), "bundle")
	code, _, stderr := e.run("export", "--offline", `key:"Nightly SIEM pull"`, "--out", dir)
	if code != 0 {
		t.Fatalf("export: exit %d\n%s", code, stderr)
	}
	manifest, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil || !strings.Contains(string(manifest), `"key:`+sc.LeakedKeyID+`"`) {
		t.Fatalf("manifest does not record the key id (%v):\n%.600s", err, manifest)
	}
	if code, stdout, stderr := e.run("export", "--verify", dir); code != 0 {
		t.Fatalf("verify: exit %d\n%s%s", code, stdout, stderr)
	}
}

// query --format json --resolve adds what the directory knows of each
// activity's ids in a "_resolved" array; other formats refuse it.
func TestQueryResolveJSON(t *testing.T) {
	e, sc := scenarioEnv(t, true)
	q := "actor:" + sc.UserIDs[0]
	code, out, stderr := e.run("query", "--offline", "--format", "json", "--resolve", "--limit", "5", q)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var acts []struct {
		ID       string          `json:"id"`
		Resolved []resolvedEntry `json:"_resolved"`
	}
	if err := json.Unmarshal([]byte(out), &acts); err != nil || len(acts) != 5 {
		t.Fatalf("not a JSON array of 5 (%v):\n%s", err, out)
	}
	first := acts[0].Resolved
	if len(first) == 0 || first[0].ID != sc.UserIDs[0] || first[0].Name != "Alice Chen" || first[0].Kind != "user" {
		t.Fatalf("_resolved = %+v", first)
	}
	_, plain, _ := e.run("query", "--offline", "--format", "json", "--limit", "5", q)
	if strings.Contains(plain, "_resolved") {
		t.Error("json without --resolve changed")
	}
	_, masked, _ := e.run("--redact", "query", "--offline", "--format", "json", "--resolve", "--limit", "5", q)
	if strings.Contains(masked, "Alice Chen") || strings.Contains(masked, sc.UserIDs[0]) || strings.Contains(masked, sc.Users[0]) || !strings.Contains(masked, "_resolved") {
		t.Errorf("redacted --resolve leaks:\n%.800s", masked)
	}
	if code, _, stderr := e.run("query", "--offline", "--format", "ndjson", "--resolve", q); code != exitUsage || !strings.Contains(stderr, "--format json only") {
		t.Errorf("ndjson --resolve: exit %d %q", code, stderr)
	}
}

// Names from the directory are untrusted text: who, status and the query
// table never let one drive the terminal.
func TestDirectoryNamesAreSanitised(t *testing.T) {
	srv, url := startSim(t, sim.Config{Seed: 7, Events: 300})
	sc := srv.Scenario()
	e := newTestEnv(t)
	dir := t.TempDir()
	e.vars[envBaseURL] = url
	e.vars[envCache] = filepath.Join(dir, "c.db")
	e.vars[envConfig] = filepath.Join(dir, "none.toml")
	e.key = sim.ComplianceKey
	d := scenarioDirectory(sc)
	d.Users[0].FullName = "\x1b]52;c;cm0gLXJmIH4=\x07Alice\x1b[2J"
	d.Orgs[0].Name = "Research\u202e\x9b31m"
	e.fetchDirectory = (&fakeDirectory{d: d}).fetch
	if code, _, stderr := e.run("sync"); code != 0 {
		t.Fatalf("sync: exit %d\n%s", code, stderr)
	}
	for _, args := range [][]string{{"who", sc.Users[0]}, {"who", sc.Org1UUID}, {"query", "--offline", "actor:" + sc.UserIDs[0]},
		{"query", "--offline", "--format", "csv", "actor:" + sc.UserIDs[0]}, {"query", "--offline", `org:"nope"`}} {
		_, stdout, stderr := e.run(args...)
		for _, bad := range []string{"\x1b", "\x07", "\u202e", "\x9b"} {
			if strings.Contains(stdout+stderr, bad) {
				t.Errorf("%v prints %q", args, bad)
			}
		}
	}
}

// claudit key adds the directory's entry of a Compliance key below the
// dossier and says where it disagrees with the events; without a
// directory the dossier is as before.
func TestKeyDossierDirectory(t *testing.T) {
	with, sc := scenarioEnv(t, true)
	without, _ := scenarioEnv(t, false)
	code, out, stderr := with.run("key", "--offline", sc.LeakedKeyID)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, s := range []string{"\ndirectory (refreshed 0s ago)\nkey  Nightly SIEM pull\n", "  state      active\n",
		"  differs    the events show it deactivated at "} {
		if !strings.Contains(out, s) {
			t.Errorf("no %q in\n%s", s, out)
		}
	}
	_, plain, _ := without.run("key", "--offline", sc.LeakedKeyID)
	if !strings.HasPrefix(out, plain) || strings.Contains(plain, "directory (") {
		t.Errorf("the dossier itself changed with a directory:\n%s\nwithout:\n%s", out, plain)
	}
	_, j1, _ := with.run("key", "--offline", "--format", "json", sc.LeakedKeyID)
	_, j2, _ := without.run("key", "--offline", "--format", "json", sc.LeakedKeyID)
	if j1 != j2 {
		t.Error("key --format json changed with a directory")
	}
}

// Shell completion offers the cache's values and the directory's names and
// e-mails for actor:, key: and org:, reading the cache without creating
// one, and nothing while redacting.
func TestCompletionOffersNames(t *testing.T) {
	d := testDirectory()
	d.Users = append(d.Users, feed.DirectoryUser{ID: "user_01EVIL", Email: "evil@example.com", OrgUUID: d.Orgs[0].UUID,
		FullName: "Alice\x1b]52;c;aGk=\x07\u202eEvil", Role: "user"})
	e := dirEnv(t, sim.ComplianceKey, "", &fakeDirectory{d: d})
	if code, _, stderr := e.run("sync"); code != 0 {
		t.Fatalf("sync: exit %d\n%s", code, stderr)
	}
	complete := func(args ...string) []string {
		t.Helper()
		code, stdout, stderr := e.run(append([]string{"__complete", "query"}, args...)...)
		if code != 0 {
			t.Fatalf("__complete %q: exit %d %s", args, code, stderr)
		}
		var out []string
		for _, l := range strings.Split(stdout, "\n") {
			if l != "" && !strings.HasPrefix(l, ":") && !strings.HasPrefix(l, "Completion ended") {
				out = append(out, l)
			}
		}
		return out
	}
	has := func(list []string, want string) bool {
		for _, l := range list {
			if l == want {
				return true
			}
		}
		return false
	}
	got := complete("actor:Ali")
	if !has(got, `actor:"Alice Chen"`) {
		t.Errorf("actor:Ali → %q", got)
	}
	// A hostile name never reaches the shell.
	for _, l := range got {
		if strings.ContainsAny(l, "\x1b\x07\u202e") {
			t.Errorf("completion offers a control sequence: %q", l)
		}
	}
	if got := complete("since:7d", "actor:alice@"); !has(got, "actor:alice@example.com") {
		t.Errorf("actor:alice@ → %q", got)
	}
	if got := complete("key:Nig"); !has(got, `key:"Nightly SIEM pull"`) {
		t.Errorf("key:Nig → %q", got)
	}
	if got := complete("org:Research"); !has(got, "org:Research") || !has(got, `org:"Research Labs"`) {
		t.Errorf("org:Research → %q", got)
	}
	if got := complete("--redact", "actor:Ali"); len(got) != 0 {
		t.Errorf("completion while redacting offers %q", got)
	}
	// No cache: nothing offered, nothing created.
	missing := filepath.Join(t.TempDir(), "none.db")
	e.vars[envCache] = missing
	if got := complete("actor:Ali"); len(got) != 0 {
		t.Errorf("without a cache: %q", got)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("completion created the cache: %v", err)
	}
}
