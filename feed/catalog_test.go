package feed

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCatalogueTypes(t *testing.T) {
	c := Catalogue()
	names := c.Names()
	if len(names) != 518 || c.Len() != 518 {
		t.Fatalf("catalogue has %d types (Len %d), want 518", len(names), c.Len())
	}
	if got := c.AsOf().Format(time.DateOnly); got != "2026-12-02" {
		t.Errorf("AsOf = %s, want 2026-12-02", got)
	}
	if !slices.IsSorted(names) {
		t.Error("Names not sorted")
	}
	names[0] = "mutated"
	if c.Names()[0] == "mutated" {
		t.Error("Names exposes internal state")
	}
	ti, ok := c.Lookup("scoped_api_key_updated")
	if !ok || ti.Name != "scoped_api_key_updated" || ti.Group != "api_keys" || ti.Summary == "" {
		t.Errorf("Lookup(scoped_api_key_updated) = %+v, %v", ti, ok)
	}
	if !slices.ContainsFunc(ti.Fields, func(f FieldInfo) bool { return f.Name == "updates" }) {
		t.Errorf("scoped_api_key_updated fields lack updates: %+v", ti.Fields)
	}
	if ti, _ := c.Lookup("compliance_api_accessed"); !slices.Equal(ti.ActorVariants, []string{ActorAPI}) {
		t.Errorf("compliance_api_accessed actor variants = %v", ti.ActorVariants)
	}
	if _, ok := c.Lookup("no_such_type"); ok {
		t.Error("Lookup of an unknown type succeeded")
	}
	if g := c.Group("no_such_type"); g != "other" {
		t.Errorf("Group(unknown) = %q", g)
	}
	for _, n := range c.Names() {
		if c.Group(n) == "" {
			t.Errorf("%s has no group", n)
		}
	}
}

func TestCatalogueExpand(t *testing.T) {
	c := Catalogue()
	tests := []struct {
		term    string
		want    []string // nil: only check the error / non-emptiness
		wantErr string
	}{
		{"api_key_created", []string{"api_key_created"}, ""},
		{"brand_new_type", []string{"brand_new_type"}, ""}, // unknown exact names pass through
		{"admin_api_key_*", []string{"admin_api_key_created", "admin_api_key_deleted", "admin_api_key_updated"}, ""},
		{"scoped_api_key_?pdated", []string{"scoped_api_key_updated"}, ""},
		{"*zzzz*", nil, "matches no known activity type"},
		{"[", nil, "bad type pattern"},
		{"@nope", nil, "unknown preset"},
	}
	for _, tt := range tests {
		got, err := c.Expand(tt.term)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Expand(%q) error = %v, want %q", tt.term, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("Expand(%q) = %v, %v; want %v", tt.term, got, err, tt.want)
		}
	}
	all, err := c.Expand("*")
	if err != nil || len(all) != 518 {
		t.Errorf("Expand(*) = %d types, %v", len(all), err)
	}
	if !IsPattern("@keys") || !IsPattern("*x") || !IsPattern("a?") || IsPattern("api_key_created") {
		t.Error("IsPattern")
	}
}

func TestCataloguePresets(t *testing.T) {
	c := Catalogue()
	presets := c.Presets()
	byName := map[string]bool{}
	for _, p := range presets {
		byName[p.Name] = true
		if p.Description == "" {
			t.Errorf("preset %q has no description", p.Name)
		}
		names, err := c.Expand("@" + p.Name)
		if err != nil || len(names) == 0 {
			t.Errorf("preset @%s expands to %d types, %v", p.Name, len(names), err)
		}
		for _, n := range names {
			if _, ok := c.Lookup(n); !ok {
				t.Errorf("preset @%s contains uncatalogued %q", p.Name, n)
			}
		}
	}
	for _, want := range []string{"keys", "auth", "admin", "members", "exfil", "noise", "api_keys", "admin_keys", "scim", "compliance"} {
		if !byName[want] {
			t.Errorf("preset @%s missing", want)
		}
	}
	contains := map[string][]string{
		"keys":    {"api_key_created", "scoped_api_key_updated", "scoped_api_key_deleted", "admin_api_key_deleted", "platform_api_key_updated", "platform_api_key_created", "service_key_revoked"},
		"auth":    {"sso_login_initiated", "sso_login_succeeded"},
		"members": {"org_user_invite_sent", "scim_user_created"},
		"noise":   {"compliance_api_accessed", "claude_chat_viewed"},
		"admin":   {"admin_api_key_created"},
	}
	for preset, members := range contains {
		names, _ := c.Expand("@" + preset)
		for _, m := range members {
			if _, ok := slices.BinarySearch(names, m); !ok {
				t.Errorf("@%s lacks %s", preset, m)
			}
		}
	}
	keys, _ := c.Expand("@keys")
	if _, ok := slices.BinarySearch(keys, "claude_chat_viewed"); ok {
		t.Error("@keys contains claude_chat_viewed")
	}
	// Every group is a preset containing all its types (curated presets
	// such as @auth and @members extend the group of the same name).
	for _, n := range c.Names() {
		names, err := c.Expand("@" + c.Group(n))
		if err != nil {
			t.Fatalf("group %s is not a preset: %v", c.Group(n), err)
		}
		if _, ok := slices.BinarySearch(names, n); !ok {
			t.Errorf("@%s lacks its member %s", c.Group(n), n)
		}
	}
}

func TestCatalogueExpandAll(t *testing.T) {
	c := Catalogue()
	got, err := c.ExpandAll([]string{"scoped_api_key_*", "scoped_api_key_updated", "brand_new"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Errorf("ExpandAll not sorted/deduped: %v", got)
	}
	if !slices.Contains(got, "brand_new") || !slices.Contains(got, "scoped_api_key_deleted") {
		t.Errorf("ExpandAll = %v", got)
	}
	if _, err := c.ExpandAll([]string{"ok_type", "@nope"}); err == nil {
		t.Error("ExpandAll with an unknown preset: want error")
	}
	if got, err := c.ExpandAll(nil); err != nil || len(got) != 0 {
		t.Errorf("ExpandAll(nil) = %v, %v", got, err)
	}
}

// TestCatalogueSince20260926 checks the rows ACTIVITY_FEED.md §17.7 added:
// their groups, actors and the fields §17.3 and §17.4 publish.
func TestCatalogueSince20260926(t *testing.T) {
	c := Catalogue()
	tests := []struct {
		name, group string
		actors      []string
		fields      []string
	}{
		{"anthropic_access", "compliance", []string{ActorAnthropic}, []string{"accessed_at", "accessor_department", "reason_code", "resource_details", "workspace_id", "workspace_uuid", "transparency_log_leaf_index"}},
		{"cmek_preserve", "compliance", []string{ActorAnthropic}, []string{"accessed_at", "accessor_department", "reason_code", "resource_details"}},
		{"org_security_control_attestation_updated", "compliance", []string{"user_actor", "system_actor"}, []string{"control", "action", "status", "previous_status", "review_date"}},
		{"account_migration_completed", "members", nil, nil},
	}
	for _, tt := range tests {
		ti, ok := c.Lookup(tt.name)
		if !ok {
			t.Errorf("%s not catalogued", tt.name)
			continue
		}
		if ti.Group != tt.group || !slices.Equal(ti.ActorVariants, tt.actors) || ti.Summary == "" {
			t.Errorf("%s: group %q actors %v summary %q", tt.name, ti.Group, ti.ActorVariants, ti.Summary)
		}
		for _, f := range tt.fields {
			if !slices.ContainsFunc(ti.Fields, func(fi FieldInfo) bool { return fi.Name == f }) {
				t.Errorf("%s lacks field %s", tt.name, f)
			}
		}
	}
	admin, _ := c.Expand("@admin")
	if _, ok := slices.BinarySearch(admin, "org_security_control_attestation_updated"); !ok {
		t.Error("@admin lacks org_security_control_attestation_updated (group compliance)")
	}
}

func TestParseCatalogRejects(t *testing.T) {
	for _, tt := range []struct{ doc, want string }{
		{`{"type_count": 0, "types": {}}`, "as_of"},
		{`{"as_of": "2026-13-01", "type_count": 0, "types": {}}`, "as_of"},
		{`{"as_of": "2026-12-02", "type_count": 2, "types": {"a": {"group": "other"}}}`, "type_count is 2 but 1"},
	} {
		if _, err := parseCatalog([]byte(tt.doc)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseCatalog(%s) = %v, want an error with %q", tt.doc, err, tt.want)
		}
	}
}

func TestCatalogueUncatalogued(t *testing.T) {
	got := Catalogue().Uncatalogued([]string{"quantum_widget_created", "api_key_created", "anthropic_access", "a_new_type", "quantum_widget_created"})
	if want := []string{"a_new_type", "quantum_widget_created"}; !slices.Equal(got, want) {
		t.Errorf("Uncatalogued = %v, want %v", got, want)
	}
	if got := Catalogue().Uncatalogued(nil); len(got) != 0 {
		t.Errorf("Uncatalogued(nil) = %v", got)
	}
}

func TestEditDistanceWithin(t *testing.T) {
	for _, c := range []struct {
		a, b  string
		limit int
		d     int
		ok    bool
	}{
		{"kitten", "sitting", 3, 3, true},
		{"kitten", "sitting", 2, 0, false},
		{"", "abc", 3, 3, true},
		{"abc", "abc", 0, 0, true},
		{"abcdef", "a", 2, 0, false},
		{"qeury", "query", 2, 2, true},
	} {
		if d, ok := EditDistanceWithin(c.a, c.b, c.limit); d != c.d || ok != c.ok {
			t.Errorf("EditDistanceWithin(%q, %q, %d) = %d %v, want %d %v", c.a, c.b, c.limit, d, ok, c.d, c.ok)
		}
		if c.ok && EditDistance(c.a, c.b) != c.d {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", c.a, c.b, EditDistance(c.a, c.b), c.d)
		}
	}
}
