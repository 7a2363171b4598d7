package store

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"claudit/feed"
)

// freeTextActs are activities whose string values exercise the substring
// search: ids, IPs, user agents, names with punctuation, nested values and
// JSON escapes.
func freeTextActs(t testing.TB) []feed.Activity {
	siem := mkAct(t, "activity_01SIEM0000000001", testNow.Add(-time.Minute), "api_key_created",
		`{"type":"api_actor","api_key_id":"apikey_01HxYzAbcDEF123456","ip_address":"203.0.113.50","user_agent":"python-requests/2.31.0"}`,
		`,"api_key_name":"SIEM export (prod)","url":"https://example.com/v1/compliance/activities?limit=5000"`)
	nested := mkAct(t, "activity_01NEST0000000002", testNow.Add(-2*time.Minute), "user_logged_in",
		userActor("alice@example.com", "user_01ALICE000000"),
		`,"details":{"changes":[{"old":"Caf\u00e9 \u00dcn\u00efcode","new":"say \"hi\" to xyzzy"},{"deep":{"deeper":"plugh abca cabd"}}]}`)
	names := mkAct(t, "activity_01NAME0000000003", testNow.Add(-3*time.Minute), "user_logged_in",
		userActor("bob@example.com", "user_01BOB00000000"),
		`,"python_requests":"no","siem_export_prod":true,"changes":17`)
	return []feed.Activity{siem, nested, names}
}

func searchIDs(t testing.TB, s *Store, q feed.Query) []string {
	t.Helper()
	rows, err := s.Search(context.Background(), q, testNow, Cursor{}, Older, 1<<30)
	if err != nil {
		t.Fatalf("search %+v: %v", q.Text, err)
	}
	n, _, err := s.Count(context.Background(), q, testNow, 0)
	if err != nil || n != len(rows) {
		t.Fatalf("count %+v = %d (%v), search found %d", q.Text, n, err, len(rows))
	}
	return ids(rows)
}

func textQuery(include, exclude []string) feed.Query {
	return feed.Query{Text: feed.Terms{Include: include, Exclude: exclude}}
}

func TestFreeTextIsSubstringOfValues(t *testing.T) {
	s := openTest(t)
	acts := freeTextActs(t)
	putPages(t, s, acts, 10)
	siem, nested, names := acts[0].ID, acts[1].ID, acts[2].ID
	for _, c := range []struct {
		needle string
		want   []string
	}{
		{"203.0.113.50", []string{siem}},              // an IP
		{"apikey_01HxYzAbcDEF123456", []string{siem}}, // a whole id
		{"HxYzAbc", []string{siem}},                   // a piece of an id
		{"hxyzabc", []string{siem}},                   // case-insensitive
		{"PYTHON-REQUESTS", []string{siem}},           // a user agent, upper-cased
		{"SIEM export (prod)", []string{siem}},        // spaces and punctuation
		{"v1/compliance/act", []string{siem}},         // a URL
		{"alice@EXAMPLE", []string{nested}},           // an e-mail
		{"café", []string{nested}},                    // é written \u00e9 in the JSON
		{"CAFÉ ÜNÏ", []string{nested}},                // non-ASCII case folding
		{`say "hi"`, []string{nested}},                // across a \" escape
		{"plugh abca", []string{nested}},              // nested two levels down
		{"user_01bob", []string{names}},
		{"mozilla/5.0", []string{nested, names}},
		// Member names are not values.
		{"python_requests", nil},
		{"siem_export", nil},
		{"changes", nil},
		{"organization_uuid", nil},
		// The activity's own id and time are searched with id: and the
		// time terms.
		{"SIEM0000000001", nil},
		{"2026-09-15T11:59", nil},
		// Trigrams that meet only across two values, or in another order,
		// are candidates the check turns down.
		{"xyzzy\nplugh", nil},
		{"abcabd", nil},
		{"Mozilla/5.0 testx", nil},
	} {
		if got := searchIDs(t, s, textQuery([]string{c.needle}, nil)); !slices.Equal(got, c.want) {
			t.Errorf("%q = %v, want %v", c.needle, got, c.want)
		}
	}
	// A quoted IP finds what ip: finds.
	ipq, err := feed.Parse("ip:203.0.113.50")
	if err != nil {
		t.Fatal(err)
	}
	if byIP, byText := searchIDs(t, s, ipq), searchIDs(t, s, textQuery([]string{"203.0.113.50"}, nil)); !slices.Equal(byIP, byText) {
		t.Errorf("ip: %v, quoted %v", byIP, byText)
	}
	// Several needles: any of them; excluded needles: none of them, by the
	// same substring semantics.
	if got := searchIDs(t, s, textQuery([]string{"hxyz", "BOB@"}, nil)); !slices.Equal(got, []string{siem, names}) {
		t.Errorf("any of two = %v", got)
	}
	if got := searchIDs(t, s, textQuery(nil, []string{"PYTHON-REQUESTS"})); !slices.Equal(got, []string{nested, names}) {
		t.Errorf("excluded = %v", got)
	}
	if got := searchIDs(t, s, textQuery(nil, []string{"python_requests", "café"})); !slices.Equal(got, []string{siem, names}) {
		t.Errorf("excluded member name and value = %v", got)
	}
	if got := searchIDs(t, s, textQuery([]string{"mozilla"}, []string{"ÜNÏCODE"})); !slices.Equal(got, []string{names}) {
		t.Errorf("included and excluded = %v", got)
	}
	// With a reference term the reference index drives and free text
	// filters.
	q := textQuery([]string{"example"}, nil)
	q.Actor.Include = []string{"alice@example.com"}
	if got := searchIDs(t, s, q); !slices.Equal(got, []string{nested}) {
		t.Errorf("actor and text = %v", got)
	}
	// Histogram and facets agree with the search.
	h, err := s.Histogram(context.Background(), textQuery([]string{"example.com"}, nil), testNow, testNow.Add(-time.Hour), testNow, 4)
	if err != nil {
		t.Fatal(err)
	}
	if sum := h.Buckets[0] + h.Buckets[1] + h.Buckets[2] + h.Buckets[3]; sum != 3 {
		t.Errorf("histogram of example.com = %v", h.Buckets)
	}
}

// TestFreeTextLongValues pins what the substring index covers of a hostile
// value: its first maxSubValue bytes are found, the rest is not indexed,
// and the index text of one activity stays bounded.
func TestFreeTextLongValues(t *testing.T) {
	s := openTest(t)
	long := "needleHEAD" + strings.Repeat("x", 64<<10) + "needleTAIL"
	many := ""
	for i := range 40 {
		many += fmt.Sprintf(`,"f%d":"%s"`, i, strings.Repeat(string(rune('a'+i%26)), maxSubValue))
	}
	a := mkAct(t, "activity_01LONG0000000001", testNow.Add(-time.Minute), "user_logged_in",
		userActor("carol@example.com", "user_01CAROL00000"), fmt.Sprintf(`,"note":%q%s`, long, many))
	putPages(t, s, []feed.Activity{a}, 1)
	if got := searchIDs(t, s, textQuery([]string{"NEEDLEhead"}, nil)); len(got) != 1 {
		t.Errorf("head of a long value = %v", got)
	}
	if got := searchIDs(t, s, textQuery([]string{"needleTAIL"}, nil)); len(got) != 0 {
		t.Errorf("tail of a 64 KiB value = %v, want not indexed", got)
	}
	// Excluded needles are checked row by row, on the same values.
	if got := searchIDs(t, s, textQuery(nil, []string{"needleTAIL"})); len(got) != 1 {
		t.Errorf("excluded tail of a 64 KiB value = %v, want the activity", got)
	}
	if got := searchIDs(t, s, textQuery(nil, []string{"NEEDLEhead"})); len(got) != 0 {
		t.Errorf("excluded head of a long value = %v, want none", got)
	}
	vals, _, err := subValues(a.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Join(vals, "")); n > maxSubTotal+maxSubValue {
		t.Errorf("indexed values of one activity = %d bytes", n)
	}
}

// TestFreeTextMigrationBackfill opens a cache made before migration 2: the
// migration indexes the activities it already holds.
func TestFreeTextMigrationBackfill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	s, err := Open(context.Background(), path, WithNow(func() time.Time { return testNow }))
	if err != nil {
		t.Fatal(err)
	}
	acts := freeTextActs(t)
	putPages(t, s, acts, 10)
	// Back to schema 1: no substring index, migration 2 not applied.
	if _, err := s.w.Exec(`DROP TABLE subvals; DROP TABLE vref; DELETE FROM migrations WHERE version = 2`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(context.Background(), path, WithNow(func() time.Time { return testNow }))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := searchIDs(t, s, textQuery([]string{"HxYzAbc"}, nil)); !slices.Equal(got, []string{acts[0].ID}) {
		t.Errorf("after the migration = %v", got)
	}
	if got := searchIDs(t, s, textQuery([]string{`say "hi"`}, nil)); !slices.Equal(got, []string{acts[1].ID}) {
		t.Errorf("after the migration, escaped = %v", got)
	}
	// New activities go on being indexed.
	more := mkAct(t, "activity_01MORE0000000004", testNow.Add(-4*time.Minute), "user_logged_in", userActor("dave@example.com", "user_01DAVE000000"), "")
	putPages(t, s, []feed.Activity{more}, 1)
	if got := searchIDs(t, s, textQuery([]string{"DAVE@"}, nil)); !slices.Equal(got, []string{more.ID}) {
		t.Errorf("after the migration, new = %v", got)
	}
}
