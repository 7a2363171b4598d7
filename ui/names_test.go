package ui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"claudit/feed"
	"claudit/store"

	"github.com/charmbracelet/x/ansi"
)

// hostileName is a directory name carrying escape sequences: the
// directory is as untrusted as the feed.
const hostileName = "Carol\x1b[31m\u202eEvil\x1b]52;c;aGk=\x07"

// exampleNames is a directory for exampleRows: Alice current, Bob removed
// two days ago, Carol with a hostile name, two keys (the console key's
// name and state differ from what its events say) and the first org.
func exampleNames() *store.Names {
	return store.NewNames([]store.Entity{
		{Kind: store.KindUser, ID: "user_01ALICE00000000000000001", Name: "Alice Chen", Email: "alice.admin@example.com", Role: "owner"},
		{Kind: store.KindUser, ID: "user_01BOB0000000000000000001", Name: "Bob Dev", Email: "bob.dev@example.com", Role: "user",
			Removed: testNow.Add(-48 * time.Hour)},
		{Kind: store.KindUser, ID: "user_01CAROL00000000000000001", Name: hostileName, Email: "carol.new@example.com"},
		{Kind: store.KindKey, ID: "apikey_01EXAMPLETUIKEY000000001", Name: "Nightly SIEM pull",
			Key: &feed.ComplianceKey{ID: "apikey_01EXAMPLETUIKEY000000001", Name: "Nightly SIEM pull", Active: true,
				Scopes: []string{"read:compliance_activities"}, CreatedByID: "user_01ALICE00000000000000001"}},
		{Kind: store.KindKey, ID: "apikey_01EXAMPLECONSOLE00000042", Name: "ci deploy v2",
			Key: &feed.ComplianceKey{ID: "apikey_01EXAMPLECONSOLE00000042", Name: "ci deploy v2", Active: true,
				Scopes:    []string{"read:compliance_activities", "read:compliance_user_data"},
				CreatedAt: testNow.Add(-90 * 24 * time.Hour), CreatedByID: "user_01ALICE00000000000000001",
				ExpiresAt: testNow.Add(30 * 24 * time.Hour)}},
		{Kind: store.KindOrg, ID: "11111111-2222-4333-8444-000000000001", Aliases: []string{"org_01EXAMPLEORG000000000001"}, Name: "Research"},
	})
}

func namedSource(t testing.TB) *fakeSource {
	src := newFakeRows(exampleRows(t))
	src.names = exampleNames()
	return src
}

// selectType moves the cursor to the first row of type typ.
func selectType(t *testing.T, h *harness, typ string) {
	t.Helper()
	for i, r := range h.m.table.rows {
		if r.Type == typ {
			h.m.table.cursor = i
			h.m.table.ensureVisible()
			h.m.showSelected()
			return
		}
	}
	t.Fatalf("no row of type %s", typ)
}

func tableText(h *harness) string { return ansi.Strip(h.m.table.View()) }

// detailText is the detail pane's content with wrapped lines joined again.
func detailText(h *harness) string {
	var parts []string
	for i := range h.m.detail.lines {
		l := h.m.detail.lines[i]
		if p := h.m.detail.pivotAt; p >= 0 && i >= p && i < p+len(h.m.detail.fields) {
			l = h.m.detail.pivotLine(i - p)
		}
		parts = append(parts, strings.TrimRight(ansi.Strip(l), " "))
	}
	return strings.Join(parts, " ")
}

func detailContains(t *testing.T, h *harness, parts ...string) {
	t.Helper()
	s := detailText(h)
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Fatalf("detail lacks %q:\n%s", p, s)
		}
	}
}

func TestNamesInTable(t *testing.T) {
	h := newHarness(t, namedSource(t), 200, 48)
	if h.src.callCount("Names") != 1 {
		t.Fatalf("Names read %d times at start", h.src.callCount("Names"))
	}
	tbl := tableText(h)
	for _, want := range []string{"Alice Chen", "key Nightly SIEM pull", "Research", "Bob Dev"} {
		if !strings.Contains(tbl, want) {
			t.Fatalf("table lacks %q:\n%s", want, tbl)
		}
	}
	if strings.Contains(tbl, "alice.admin@") || strings.Contains(tbl, "org_01EXAMPLEORG000000000001") {
		t.Fatalf("table shows ids the directory names:\n%s", tbl)
	}
	// The ids are one keystroke away, and back.
	h.key("I")
	tbl = tableText(h)
	if strings.Contains(tbl, "Alice Chen") || !strings.Contains(tbl, "alice.admin@example.com") ||
		!strings.Contains(tbl, "key apikey_01EXAMPLETUIKEY") {
		t.Fatalf("I shows the ids:\n%s", tbl)
	}
	h.mustContain("table shows ids")
	h.key("I")
	if !strings.Contains(tableText(h), "Alice Chen") {
		t.Fatalf("I again shows the names:\n%s", tableText(h))
	}
}

// Without a directory (or before it is read) the table is as it was.
func TestNamesNoneKeepsIDs(t *testing.T) {
	with := newHarness(t, newFakeRows(exampleRows(t)), 200, 48)
	if !strings.Contains(tableText(with), "alice.admin@example.com") {
		t.Fatal(tableText(with))
	}
	src := newFakeRows(exampleRows(t))
	src.namesErr = errors.New("disk on fire")
	h := newHarness(t, src, 200, 48)
	h.mustContain("directory names: disk on fire")
	if !strings.Contains(tableText(h), "alice.admin@example.com") {
		t.Fatal(tableText(h))
	}
}

func TestNamesInDetail(t *testing.T) {
	h := newHarness(t, namedSource(t), 200, 60)
	selectType(t, h, "scoped_api_key_deleted")
	detailContains(t, h, "NAMES",
		"user_01ALICE00000000000000001 → Alice Chen · alice.admin@example.com · owner",
		"11111111-2222-4333-8444-000000000001 → org Research",
		"org_01EXAMPLEORG000000000001 → org Research",
	)
	// The pivot list names what it narrows to.
	detailContains(t, h, "actor  alice.admin@example.com · Alice Chen", "org    org_01EXAMPLEORG000000000001 · Research")
	// A removed user keeps the last known name, said to be removed.
	selectType(t, h, "platform_api_key_created")
	detailContains(t, h, "ACTOR   Bob Dev (removed since 2026-09-13 15:00)",
		"user_01BOB0000000000000000001 → Bob Dev · bob.dev@example.com · user (removed since 2026-09-13 15:00)")
	if !strings.Contains(tableText(h), "Bob Dev") {
		t.Fatal(tableText(h))
	}
}

// Redaction masks the names and e-mails from the directory wherever they
// show, with the same masks as the events' own values.
func TestNamesRedacted(t *testing.T) {
	h := newHarness(t, namedSource(t), 200, 60)
	selectType(t, h, "scoped_api_key_deleted")
	h.key("R")
	s := h.screen()
	for _, leak := range []string{"Alice Chen", "alice.admin", "Bob Dev", "bob.dev", "user_01ALICE"} {
		if strings.Contains(s, leak) {
			t.Fatalf("redacted screen shows %q:\n%s", leak, s)
		}
	}
	nameMask := h.m.red.Field("email_address", "Alice Chen")
	emailMask := h.m.red.Field("email_address", "alice.admin@example.com")
	idMask := h.m.red.Field("user_id", "user_01ALICE00000000000000001")
	if !strings.Contains(tableText(h), nameMask) {
		t.Fatalf("table lacks the name's mask %s:\n%s", nameMask, tableText(h))
	}
	// The raw JSON's mask of the e-mail is the one the names section shows.
	detailContains(t, h, idMask+" → "+nameMask+" · "+emailMask+" · owner", `"email_address": "`+emailMask+`"`)
	h.key("R")
	h.mustContain("Alice Chen")
}

// A hostile name from the directory is shown escaped, never interpreted.
func TestNamesHostileSanitised(t *testing.T) {
	h := newHarness(t, namedSource(t), 200, 60)
	selectType(t, h, "scim_user_created")
	checkFrame(t, "hostile directory name", h.m.View().Content, false)
	detailContains(t, h, `Carol\x1b[31m\u202eEvil`)
	h.key("I")
	checkFrame(t, "hostile directory name, ids", h.m.View().Content, false)
}

// The index is read again after each completed sync: a refreshed
// directory shows without a restart.
func TestNamesReloadAfterSync(t *testing.T) {
	src := newFakeRows(exampleRows(t))
	h := newHarness(t, src, 200, 48, withSync(func(ctx context.Context, q feed.Query, report func(feed.Progress)) error {
		src.mu.Lock()
		src.names = exampleNames()
		src.mu.Unlock()
		return nil
	}))
	if n := src.callCount("Names"); n < 2 {
		t.Fatalf("Names read %d times; want again after the sync", n)
	}
	if !strings.Contains(tableText(h), "Alice Chen") {
		t.Fatalf("names after the sync:\n%s", tableText(h))
	}
}

// eventIDs finds ids wherever the event carries them: nested, in arrays,
// in updates; strings the directory does not know, and long ones, are
// skipped.
func TestEventIDs(t *testing.T) {
	n := store.NewNames([]store.Entity{
		{Kind: store.KindGroup, ID: "rbac_group_01ENG", Name: "Engineering"},
		{Kind: store.KindRole, ID: "rbac_role_01ADMIN", Name: "Admin"},
		{Kind: store.KindUser, ID: "user_01DANA", Name: "Dana"},
		{Kind: store.KindOrg, ID: "11111111-2222-4333-8444-000000000009", Aliases: []string{"org_01NINE"}, Name: "Nine"},
	})
	a := feed.Activity{Raw: []byte(`{"id":"activity_01X","organization_id":"org_01NINE","actor":{"user_id":"user_01DANA"},
		"invited_rbac_group_ids":["rbac_group_01ENG","rbac_group_01UNKNOWN"],
		"updates":[{"type":"role","previous_value":"rbac_role_01ADMIN","current_value":"user_01DANA"}],
		"big":"` + strings.Repeat("x", 4096) + `"}`)}
	got := eventIDs(n, a)
	want := []string{"org_01NINE", "user_01DANA", "rbac_group_01ENG", "rbac_role_01ADMIN"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("eventIDs = %v, want %v", got, want)
	}
	if eventIDs(nil, a) != nil {
		t.Fatal("a nil directory knows no ids")
	}
	e, _ := n.Lookup("rbac_group_01ENG")
	if got := describeEntity(e); got != "group Engineering" {
		t.Fatalf("describeEntity = %q", got)
	}
}

// The wide screen with names: at 200 columns the types and e-mails are
// whole, the directory's names stand in the table and the detail pane.
func TestGoldenNames(t *testing.T) {
	h := newHarness(t, namedSource(t), 200, 50)
	h.key("j")
	requireGolden(t, "200x50_names", h.screen())
	h.key("I")
	requireGolden(t, "200x50_ids", h.screen())
}

// Names in the query bar resolve to the directory's ids before the query
// runs; a name the directory does not know is an error at the term.
func TestNamesInQueryBar(t *testing.T) {
	h := newHarness(t, namedSource(t), 160, 48)
	h.key("/", "ctrl+u")
	h.typeText(`actor:"Alice Chen"`)
	h.key("enter")
	if got := h.m.query.Actor.Include; len(got) != 1 || got[0] != "user_01ALICE00000000000000001" {
		t.Fatalf(`actor:"Alice Chen" ran as %v, want Alice's user id`, got)
	}
	h.key("/", "ctrl+u")
	h.typeText(`key:"Nightly SIEM pull" org:"Res*"`)
	h.key("enter")
	if k, o := h.m.query.Key.Include, h.m.query.Org.Include; len(k) != 1 || k[0] != "apikey_01EXAMPLETUIKEY000000001" || len(o) != 1 {
		t.Fatalf("key and org names ran as key %v org %v", k, o)
	}
	h.key("/", "ctrl+u")
	h.typeText(`actor:"Nobody Here"`)
	h.mustContain(`no user named "Nobody Here" in the directory`)
}

// A key that reaches only the feed: the header says why there are no names.
func TestNamesHeaderSaysWhyNoNames(t *testing.T) {
	src := newFakeRows(exampleRows(t))
	src.names = store.NewNames(nil).WithState(store.DirectoryState{Fetched: testNow, Denied: []feed.DeniedPart{
		{Part: feed.PartOrganizations, Scope: feed.ScopeOrgData}, {Part: feed.PartUsers, Scope: feed.ScopeUserData},
		{Part: feed.PartRoles, Scope: feed.ScopeOrgData}, {Part: feed.PartGroups, Scope: feed.ScopeOrgData},
		{Part: feed.PartMembers, Scope: feed.ScopeUserData}, {Part: feed.PartKeys, Scope: feed.ScopeOrgData}}})
	h := newHarness(t, src, 200, 48)
	h.mustContain("ids only: names need a Compliance Access Key")
	// A complete directory says nothing.
	h2 := newHarness(t, namedSource(t), 200, 48)
	if strings.Contains(h2.screen(), "names need") {
		t.Fatalf("a complete directory still warns:\n%s", h2.screen())
	}
}

// TestCompletionOffersDirectoryNames: the query bar completes actor:,
// key: and org: from the directory as well as from the cache, quoting
// names with spaces, never erasing what was typed, and masked while
// redacting (the mask still queries the person).
func TestCompletionOffersDirectoryNames(t *testing.T) {
	src := namedSource(t)
	src.suggest = map[string][]string{"actor": {"alice.admin@example.com", "bob.dev@example.com"}}
	h := newHarness(t, src, 160, 48)
	complete := func(text string) string {
		t.Helper()
		h.key("/", "ctrl+u")
		h.typeText(text)
		h.key("tab")
		v := h.m.bar.input.Value()
		h.key("esc")
		return v
	}
	for _, c := range []struct{ typed, want string }{
		{`actor:"Alice C`, `actor:"Alice Chen" `},
		{`since:24h actor:"Alice C`, `since:24h actor:"Alice Chen" `},
		{`key:Nigh`, `key:"Nightly SIEM pull" `},
		{`org:Res`, `org:Research `},
		{`-actor:"Bob D`, `-actor:"Bob Dev" `}, // removed, still known
		{`actor:al`, `actor:al`},               // alice.admin@… and "Alice Chen": nothing erased
	} {
		if got := complete(c.typed); got != c.want {
			t.Errorf("%s⇥ = %q, want %q", c.typed, got, c.want)
		}
	}
	h.key("/", "ctrl+u")
	h.typeText("actor:al")
	h.key("tab")
	h.mustContain(`actor:"Alice Chen"`, "actor:alice.admin@example.com")
	h.key("esc")

	// The completed name parses to the person's id.
	h.key("/", "ctrl+u")
	h.typeText(`actor:"Alice C`)
	h.key("tab")
	q, err := h.m.bar.query()
	if err != nil || !strings.Contains(q.String(), "user_01ALICE00000000000000001") {
		t.Fatalf("completed name queries %q (%v)", q.String(), err)
	}
	h.key("esc")

	h.key("R")
	h.key("/", "ctrl+u")
	h.typeText(`actor:"Alice C`)
	h.key("tab")
	v := h.m.bar.input.Value()
	if strings.Contains(v, "Alice") || !strings.HasPrefix(v, `actor:"`) {
		t.Fatalf("redacted completion shows the name: %q", v)
	}
	if q, err := h.m.bar.query(); err != nil || !strings.Contains(q.String(), "user_01ALICE00000000000000001") {
		t.Fatalf("masked completion queries %q (%v)", q.String(), err)
	}
}
