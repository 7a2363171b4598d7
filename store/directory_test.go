package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"claudit/feed"
)

const (
	orgA = "0b2c0000-0000-4000-8000-00000000000a"
	orgB = "1c3d0000-0000-4000-8000-00000000000b"
)

// testDirectory is a small complete directory fetched at t.
func testDirectory(t time.Time) *feed.Directory {
	return &feed.Directory{
		Fetched:  t,
		Requests: 9,
		Orgs:     []feed.Organization{{UUID: orgA, Name: "Research"}, {UUID: orgB, Name: "Research Labs"}},
		Users: []feed.DirectoryUser{
			{ID: "user_01ALICE", Email: "alice@example.com", FullName: "Alice Chen", Role: "owner", OrgUUID: orgA},
			{ID: "user_01ALICE", Email: "alice@example.com", FullName: "Alice Chen", Role: "user", OrgUUID: orgB},
			{ID: "user_01BOB", Email: "bob@example.com", FullName: "Bob Stone", Role: "developer", OrgUUID: orgA},
		},
		Roles: []feed.Role{{ID: "rbac_role_01ADMIN", Name: "Admins", OrgUUID: orgA}},
		Groups: []feed.Group{{ID: "rbac_group_01SEC", Name: "Security", MembersKnown: true,
			Members: []feed.GroupMember{{UserID: "user_01ALICE", Email: "alice@example.com"}, {UserID: "user_01BOB"}}}},
		Keys: []feed.ComplianceKey{{ID: "apikey_01SIEM", Name: "Nightly SIEM pull", Scopes: []string{feed.ScopeOrgData}, Active: true,
			CreatedByID: "user_01ALICE", CreatedAt: t.Add(-48 * time.Hour)}},
	}
}

func mustNames(t *testing.T, s *Store) *Names {
	t.Helper()
	n, err := s.Names(context.Background())
	if err != nil {
		t.Fatalf("Names: %v", err)
	}
	return n
}

func TestSaveDirectoryAndNames(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if st, err := s.DirectoryState(ctx); err != nil || st.Known() {
		t.Fatalf("fresh cache: state %+v %v, want never refreshed", st, err)
	}
	if n := mustNames(t, s); n.Len() != 0 {
		t.Fatalf("fresh cache knows %d names", n.Len())
	}
	if err := s.SaveDirectory(ctx, testDirectory(testNow)); err != nil {
		t.Fatal(err)
	}
	n := mustNames(t, s)
	alice, ok := n.Lookup("user_01ALICE")
	if !ok || alice.Name != "Alice Chen" || alice.Role != "owner" || !slices.Equal(alice.Orgs, []string{orgA, orgB}) || !alice.Removed.IsZero() {
		t.Fatalf("alice = %+v %t", alice, ok)
	}
	if got := n.Label(orgB); got != "Research Labs" {
		t.Errorf("Label(org) = %q", got)
	}
	k, ok := n.Lookup("apikey_01SIEM")
	if !ok || k.Key == nil || !k.Key.Active || k.Key.CreatedByID != "user_01ALICE" || !slices.Equal(k.Key.Scopes, []string{feed.ScopeOrgData}) ||
		!k.Key.CreatedAt.Equal(testNow.Add(-48*time.Hour)) || !k.Key.ExpiresAt.IsZero() {
		t.Fatalf("key = %+v", k)
	}
	if g := n.GroupsOf("user_01BOB"); len(g) != 1 || g[0].Name != "Security" {
		t.Errorf("GroupsOf(bob) = %+v", g)
	}
	if r := n.Label("rbac_role_01ADMIN"); r != "Admins" {
		t.Errorf("role label %q", r)
	}
	st, err := s.DirectoryState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := DirectoryState{Fetched: testNow, Requests: 9, Orgs: 2, Users: 2, Roles: 1, Groups: 1, Members: 2, Keys: 1}
	if fmt.Sprint(st) != fmt.Sprint(want) {
		t.Fatalf("state %+v, want %+v", st, want)
	}
	// The index is built once per refresh.
	if n2 := mustNames(t, s); n2 != n {
		t.Error("Names rebuilt the index without a refresh in between")
	}
}

// TestSaveDirectoryMarksRemoved: a user (group member, key, org) that a
// later refresh no longer lists keeps its name, removed since that
// refresh; one that comes back is current again.
func TestSaveDirectoryMarksRemoved(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if err := s.SaveDirectory(ctx, testDirectory(testNow)); err != nil {
		t.Fatal(err)
	}
	later := testNow.Add(2 * time.Hour)
	d := testDirectory(later)
	d.Users = d.Users[:2] // Bob left
	d.Groups[0].Members = d.Groups[0].Members[:1]
	d.Keys = nil
	if err := s.SaveDirectory(ctx, d); err != nil {
		t.Fatal(err)
	}
	n := mustNames(t, s)
	bob, ok := n.Lookup("user_01BOB")
	if !ok || bob.Name != "Bob Stone" || !bob.Removed.Equal(later) || !bob.Fetched.Equal(testNow) {
		t.Fatalf("bob after leaving = %+v %t, want the last known name, removed at %v", bob, ok, later)
	}
	if found := n.Find("bob stone", KindUser); len(found) != 1 {
		t.Errorf("a removed user is still found by name: %v", found)
	}
	if k, _ := n.Lookup("apikey_01SIEM"); !k.Removed.Equal(later) {
		t.Errorf("unlisted key removed %v", k.Removed)
	}
	if g := n.GroupsOf("user_01BOB"); len(g) != 0 {
		t.Errorf("bob still a member of %v", g)
	}
	if st, _ := s.DirectoryState(ctx); st.Users != 1 || st.Removed != 1 || st.Keys != 0 || st.Members != 1 {
		t.Errorf("state %+v", st)
	}
	// Bob comes back.
	back := testNow.Add(4 * time.Hour)
	if err := s.SaveDirectory(ctx, testDirectory(back)); err != nil {
		t.Fatal(err)
	}
	if bob, _ := mustNames(t, s).Lookup("user_01BOB"); !bob.Removed.IsZero() || !bob.Fetched.Equal(back) {
		t.Errorf("bob back = %+v", bob)
	}
	// A removal is dated by the first refresh that missed it.
	d = testDirectory(back.Add(time.Hour))
	d.Users = d.Users[:2]
	_ = s.SaveDirectory(ctx, d)
	d.Fetched = back.Add(2 * time.Hour)
	_ = s.SaveDirectory(ctx, d)
	if bob, _ := mustNames(t, s).Lookup("user_01BOB"); !bob.Removed.Equal(back.Add(time.Hour)) {
		t.Errorf("bob removed %v, want the first refresh without him", bob.Removed)
	}
}

// TestSaveDirectoryDeniedKeepsRows: a refresh whose key could not read a
// part must not take that part's rows for removed.
func TestSaveDirectoryDeniedKeepsRows(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if err := s.SaveDirectory(ctx, testDirectory(testNow)); err != nil {
		t.Fatal(err)
	}
	later := testNow.Add(time.Hour)
	// An org-data-only key: no users, no members.
	d := testDirectory(later)
	d.Users = nil
	d.Groups[0].Members, d.Groups[0].MembersKnown = nil, false
	d.Denied = []feed.DeniedPart{{Part: feed.PartUsers, Scope: feed.ScopeUserData}, {Part: feed.PartMembers, Scope: feed.ScopeUserData}}
	if err := s.SaveDirectory(ctx, d); err != nil {
		t.Fatal(err)
	}
	n := mustNames(t, s)
	for _, id := range []string{"user_01ALICE", "user_01BOB"} {
		if u, _ := n.Lookup(id); !u.Removed.IsZero() || u.Name == "" {
			t.Errorf("%s after a refresh without the user scope: %+v", id, u)
		}
	}
	if g := n.GroupsOf("user_01BOB"); len(g) != 1 {
		t.Errorf("members dropped by a refresh that could not read them: %v", g)
	}
	st, _ := s.DirectoryState(ctx)
	if !st.Fetched.Equal(later) || len(st.Denied) != 2 || !slices.Equal(st.DeniedScopes(), []string{feed.ScopeUserData}) || st.AllDenied() {
		t.Errorf("state %+v", st)
	}
	// An Admin key: everything denied, nothing removed.
	var all []feed.DeniedPart
	for _, p := range DirectoryParts() {
		all = append(all, feed.DeniedPart{Part: p, Scope: feed.ScopeOrgData})
	}
	if err := s.SaveDirectory(ctx, &feed.Directory{Fetched: later.Add(time.Hour), Denied: all}); err != nil {
		t.Fatal(err)
	}
	st, _ = s.DirectoryState(ctx)
	if !st.AllDenied() || st.Orgs != 2 || st.Users != 2 || st.Keys != 1 || st.Groups != 1 || st.Roles != 1 {
		t.Errorf("after an all-denied refresh: %+v", st)
	}
	// Organizations denied alone: the per-org parts could not be read either.
	if err := s.SaveDirectory(ctx, &feed.Directory{Fetched: later.Add(2 * time.Hour),
		Denied: []feed.DeniedPart{{Part: feed.PartOrganizations, Scope: feed.ScopeOrgData}}}); err != nil {
		t.Fatal(err)
	}
	if st, _ = s.DirectoryState(ctx); st.Users != 2 || st.Keys != 1 || st.Roles != 1 || st.Groups != 0 {
		t.Errorf("after an orgs-denied refresh: %+v (users, keys and roles kept; groups listed empty)", st)
	}
}

// TestDirectoryOrgAliases: the org_… id of an organization is learnt from
// activities that carry both ids.
func TestDirectoryOrgAliases(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	acts, _ := simActivities(t, 5, 50, testNow)
	putPages(t, s, acts, 50)
	var orgID, orgUUID string
	for _, a := range acts {
		if a.OrganizationID != "" && a.OrganizationUUID != "" {
			orgID, orgUUID = a.OrganizationID, a.OrganizationUUID
			break
		}
	}
	if orgID == "" {
		t.Skip("the simulated activities carry no organization_id with a uuid")
	}
	d := testDirectory(testNow)
	d.Orgs = append(d.Orgs, feed.Organization{UUID: orgUUID, Name: "Simulated"})
	if err := s.SaveDirectory(ctx, d); err != nil {
		t.Fatal(err)
	}
	n := mustNames(t, s)
	if got := n.Label(orgID); got != "Simulated" {
		t.Fatalf("Label(%s) = %q, want the org's name through its alias", orgID, got)
	}
	if e, _ := n.Lookup(orgID); !slices.Contains(e.Aliases, orgID) {
		t.Errorf("aliases %v", e.Aliases)
	}
}

// BenchmarkNamesLoad measures building the index from the tables of a
// directory of 10k users and 200 groups (the first Names after a refresh).
func BenchmarkNamesLoad(b *testing.B) {
	ctx := context.Background()
	s := openTest(b)
	d := &feed.Directory{Fetched: testNow, Orgs: []feed.Organization{{UUID: orgA, Name: "Research"}}}
	for i := range 10000 {
		d.Users = append(d.Users, feed.DirectoryUser{ID: fmt.Sprintf("user_%05dX", i), Email: fmt.Sprintf("u%05d@example.com", i),
			FullName: fmt.Sprintf("User %05d", i), Role: "user", OrgUUID: orgA})
	}
	for g := range 200 {
		grp := feed.Group{ID: fmt.Sprintf("rbac_group_%03dX", g), Name: fmt.Sprintf("Group %03d", g), MembersKnown: true}
		for m := range 50 {
			grp.Members = append(grp.Members, feed.GroupMember{UserID: fmt.Sprintf("user_%05dX", (g*50+m)%10000)})
		}
		d.Groups = append(d.Groups, grp)
	}
	start := time.Now()
	if err := s.SaveDirectory(ctx, d); err != nil {
		b.Fatal(err)
	}
	save := time.Since(start)
	for b.Loop() {
		es, err := s.loadEntities(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if n := NewNames(es); n.Len() != 10201 {
			b.Fatalf("%d entities", n.Len())
		}
	}
	// The refresh that stored it, once (the setup, outside the loop).
	b.ReportMetric(float64(save.Milliseconds()), "save-ms")
}

// TestOpenMigratesSchema3ToDirectory opens a cache of schema 3 (before the
// directory tables): 0004 and later are applied, the activities are kept, and the
// directory starts empty and never refreshed.
func TestOpenMigratesSchema3ToDirectory(t *testing.T) {
	ctx := context.Background()
	path := closedCache(t)
	rawExec(t, path, `DROP TABLE dir_refresh; DROP TABLE dir_orgs; DROP TABLE dir_org_aliases; DROP TABLE dir_users;
		DROP TABLE dir_roles; DROP TABLE dir_groups; DROP TABLE dir_group_members; DROP TABLE dir_keys;
		DROP TABLE arrivals; DROP TABLE consumers; DROP TABLE budget;
		DELETE FROM migrations WHERE version >= 4`)
	s, err := Open(ctx, path, WithNow(func() time.Time { return testNow }))
	if err != nil {
		t.Fatalf("Open of a schema-3 cache: %v", err)
	}
	defer s.Close()
	var v int
	known, err := embeddedMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.r.QueryRow(`SELECT max(version) FROM migrations`).Scan(&v); err != nil || v != known[len(known)-1].version {
		t.Fatalf("schema version %d %v, want %d", v, err, known[len(known)-1].version)
	}
	if n, _, err := s.Count(ctx, feed.Query{ShowSelf: true}, testNow, 0); err != nil || n != 200 {
		t.Fatalf("activities after migration: %d %v", n, err)
	}
	if st, err := s.DirectoryState(ctx); err != nil || st.Known() {
		t.Fatalf("directory after migration: %+v %v", st, err)
	}
	if err := s.SaveDirectory(ctx, testDirectory(testNow)); err != nil {
		t.Fatal(err)
	}
	if mustNames(t, s).Label("user_01BOB") != "Bob Stone" {
		t.Error("directory not usable after migration")
	}
}
