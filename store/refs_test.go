package store

import (
	"encoding/json"
	"os"
	"slices"
	"strconv"
	"testing"

	"claudit/feed"
)

func examplePage(t testing.TB, name string) []feed.Activity {
	t.Helper()
	b, err := os.ReadFile("/work/shared/api/examples/" + name)
	if err != nil {
		t.Skipf("example page not available: %v", err)
	}
	var page struct{ Data []feed.Activity }
	if err := json.Unmarshal(b, &page); err != nil {
		t.Fatal(err)
	}
	return page.Data
}

func TestExtractRefsExamples(t *testing.T) {
	acts := examplePage(t, "page-mixed.json")
	byID := map[string]feed.Activity{}
	for _, a := range acts {
		byID[a.ID] = a
	}
	var r refs
	check := func(id string, role int, want ...string) {
		t.Helper()
		if err := extractRefs(byID[id].Raw, &r); err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !slices.Contains(r.byRole[role], w) {
				t.Errorf("%s: role %d = %q, want it to contain %q", id, role, r.byRole[role], w)
			}
		}
	}
	// compliance_api_accessed: key as actor, request id as target.
	check("activity_01EXAMPLEFEED00000000120", roleActor, "apikey_01EXAMPLETUIKEY000000001", "198.51.100.20")
	check("activity_01EXAMPLEFEED00000000120", roleTarget, "req_01EXAMPLEREQUEST0000000120")
	if r.requestID != "req_01EXAMPLEREQUEST0000000120" {
		t.Errorf("requestID = %q", r.requestID)
	}
	check("activity_01EXAMPLEFEED00000000120", roleOther, "activity_01EXAMPLEFEED00000000120")
	// scoped_api_key_deleted: user as actor (e-mail lower-cased), key as target.
	check("activity_01EXAMPLEFEED00000000119", roleActor, "alice.admin@example.com", "user_01ALICE00000000000000001", "192.0.2.10")
	check("activity_01EXAMPLEFEED00000000119", roleTarget, "apikey_01EXAMPLEOLDSIEM00000003")
	if r.targetKey != "apikey_01EXAMPLEOLDSIEM00000003" {
		t.Errorf("targetKey = %q", r.targetKey)
	}
	if !slices.Contains(r.subVals, "siem export (old)") {
		t.Errorf("values %q lack the key name", r.subVals)
	}
	if !slices.Contains(r.org, "11111111-2222-4333-8444-000000000001") || !slices.Contains(r.org, "org_01EXAMPLEORG000000000001") {
		t.Errorf("org = %q", r.org)
	}
	// invite: the invited e-mail is a target mention.
	check("activity_01EXAMPLEFEED00000000111", roleTarget, "dana.contractor@example.com")
	check("activity_01EXAMPLEFEED00000000111", roleActor, "adminkey_01EXAMPLE000000000000007")
	// SCIM: directory id as actor, user as target.
	check("activity_01EXAMPLEFEED00000000114", roleActor, "directory_01EXAMPLEDIRECTORY000001")
	check("activity_01EXAMPLEFEED00000000114", roleTarget, "user_01CAROL00000000000000001")
}

func TestExtractRefsEscapesAndNesting(t *testing.T) {
	raw := `{"id":"activity_X","type":"t","actor":{"type":"user_actor","email_address":"Bob@Example.COM","user_id":"user_01ABCDEFGHIJ","ip_address":"::ffff:10.0.0.1","user_agent":"a\"b\u00e9\ud83d\ude00"},
	  "updates":[{"type":"name","previous_value":"old","current_value":"new"}],"nested":{"deep":{"chat_id":"claude_chat_01ABCDEFGHIJK"}},
	  "group_ids":["rbac_group_1234567890A","rbac_group_1234567890B"],"count":3,"ok":true,"nothing":null,"when_at":"2026-01-01T00:00:00Z"}`
	var r refs
	if err := extractRefs([]byte(raw), &r); err != nil {
		t.Fatal(err)
	}
	want := [3][]string{
		{"bob@example.com", "user_01ABCDEFGHIJ", "10.0.0.1"},
		{"rbac_group_1234567890A", "rbac_group_1234567890B"},
		{"activity_X", "claude_chat_01ABCDEFGHIJK"},
	}
	for role := range want {
		if !slices.Equal(r.byRole[role], want[role]) {
			t.Errorf("role %d = %q, want %q", role, r.byRole[role], want[role])
		}
	}
	if !slices.Contains(r.subVals, "a\"bé😀") || !slices.Contains(r.subVals, "old") || slices.Contains(r.subVals, "activity_x") {
		t.Errorf("values = %q (want the decoded user agent and update, not the activity's own id)", r.subVals)
	}
	for _, bad := range []string{`{"a":`, `{"a":"x`, `[1,2`, `{"a" 1}`, `{"a":"\x"}`} {
		if err := extractRefs([]byte(bad), &r); err == nil {
			t.Errorf("extractRefs(%q) succeeded", bad)
		}
	}
}

func TestRefTokenStable(t *testing.T) {
	// The token is persisted in caches: it must never change.
	if got := refToken("apikey_01ABC"); got != refToken("apikey_01ABC") || got == refToken("apikey_01abc") {
		t.Fatalf("refToken not exact: %q", got)
	}
	// FNV-1a 64 of "" is its offset basis, 14695981039346656037.
	if got := refToken(""); got != "r"+"3d3ey4ez2mg7p" && got != "r"+strconv.FormatUint(14695981039346656037, 36) {
		t.Fatalf("refToken(\"\") = %q", got)
	}
	if normRef("A@B.C") != "a@b.c" || normRef("2001:DB8::1") != "2001:db8::1" || normRef("AbC_1") != "AbC_1" {
		t.Fatal("normRef")
	}
}

func BenchmarkExtractRefs(b *testing.B) {
	acts := examplePage(b, "page-mixed.json")
	var r refs
	n := 0
	for b.Loop() {
		a := acts[n%len(acts)]
		if err := extractRefs(a.Raw, &r); err != nil {
			b.Fatal(err)
		}
		n++
	}
}
