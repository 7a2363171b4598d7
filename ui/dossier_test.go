package ui

import (
	"strings"
	"testing"

	"claudit/feed"
	"claudit/store"
)

// consoleDossier is the dossier of the example console key (as the golden
// screens use it).
func consoleDossier(rows []store.Row) store.Dossier {
	return store.Dossier{
		KeyID: "apikey_01EXAMPLECONSOLE00000042", KeyKind: "console", Name: "ci deploy",
		Lifecycle: []store.LifecycleEvent{
			{Row: rows[4], Action: "created"},
			{Row: rows[3], Action: "deactivated", Change: rows[3].Updates()},
		},
		ActedCount: 7, Mentions: 9, FirstSeen: rows[4].CreatedAt, LastSeen: rows[3].CreatedAt,
		ByType:     []store.FacetCount{{Value: "claude_chat_viewed", Count: 5}, {Value: "claude_file_uploaded", Count: 2}},
		IPs:        []store.FacetCount{{Value: "198.51.100.77", Count: 7}},
		UserAgents: []store.FacetCount{{Value: "terraform-provider-example/1.4.0", Count: 7}},
	}
}

// dossierHarness opens the console key's dossier at 160×48, with the
// example directory when named.
func dossierHarness(t *testing.T, named bool) *harness {
	t.Helper()
	rows := exampleRows(t)
	src := newFakeRows(rows)
	src.dossiers = map[string]store.Dossier{"apikey_01EXAMPLECONSOLE00000042": consoleDossier(rows)}
	if named {
		src.names = exampleNames()
	}
	h := newHarness(t, src, 160, 48)
	h.key("j", "j", "j", "tab", "j", "j", "K") // the key field of the platform_api_key_updated row
	if h.overlayName() != "dossier" || h.m.dossier.keyID != "apikey_01EXAMPLECONSOLE00000042" {
		t.Fatalf("dossier of %q open: %s", h.m.dossier.keyID, h.overlayName())
	}
	return h
}

func TestDossierDirectory(t *testing.T) {
	h := dossierHarness(t, true)
	h.mustContain(
		"DIRECTORY  the key as the directory lists it now",
		`name       "ci deploy v2"`,
		"state      active",
		"scopes     read:compliance_activities read:compliance_user_data",
		"created    2026-06-17 15:00:00 +00:00 by Alice Chen",
		"expires    2026-10-15 15:00:00 +00:00",
		"≠ state: the events say deactivated (2026-09-15 13:58:40 +00:00), the directory says active",
		`≠ name: the events say "ci deploy", the directory says "ci deploy v2"`,
		// Lifecycle actors are named too.
		"created      Bob Dev · bob.dev@example.com",
		// User agents as `claudit key` prints them.
		"user agent: terraform-provider-example/1.4.0",
	)
	// Redaction masks the names in the dossier as well.
	h.key("esc", "R", "K")
	s := h.screen()
	for _, leak := range []string{"Alice Chen", "Bob Dev", "bob.dev@"} {
		if strings.Contains(s, leak) {
			t.Fatalf("redacted dossier shows %q:\n%s", leak, s)
		}
	}
	h.mustContain("by "+h.m.red.Field("email_address", "Alice Chen"), "created      "+h.m.red.Field("email_address", "Bob Dev"))
}

func TestDossierWithoutDirectory(t *testing.T) {
	h := dossierHarness(t, false)
	if strings.Contains(h.screen(), "DIRECTORY") {
		t.Fatalf("no directory, yet a directory section:\n%s", h.screen())
	}
	h.key("esc")
	h.m.setNames(store.NewNames([]store.Entity{{Kind: store.KindUser, ID: "user_01X", Name: "X"}}))
	h.key("K")
	h.mustContain("DIRECTORY  the directory does not list this key")
}

// Every row of the dossier pivots, and esc comes back to the dossier as it
// was left.
func TestDossierPivot(t *testing.T) {
	h := dossierHarness(t, true)
	base := h.m.query.String()
	// The first row is the created event: everything around it, on it.
	h.key("enter")
	if h.overlayName() != "none" || h.selectedID() != "activity_01EXAMPLEFEED00000000116" ||
		!strings.Contains(h.m.query.String(), "from:") {
		t.Fatalf("event pivot: overlay %s, on %s, query %q", h.overlayName(), h.selectedID(), h.m.query.String())
	}
	h.mustContain("esc returns to the dossier")
	h.key("esc")
	if h.overlayName() != "dossier" || h.m.dossier.sel != 0 || h.m.query.String() != base {
		t.Fatalf("esc: overlay %s, sel %d, query %q", h.overlayName(), h.m.dossier.sel, h.m.query.String())
	}
	h.mustContain("KEY DOSSIER apikey_01EXAMPLECONSOLE00000042", "≠ state")

	// Rows: created, deactivated, two types, an ip, a user agent.
	for _, c := range []struct {
		down int
		want string
	}{
		{2, "type:claude_chat_viewed"},
		{4, "ip:198.51.100.77"},
		{5, "terraform-provider-example/1.4.0"},
	} {
		h.key("g")
		for range c.down {
			h.key("j")
		}
		h.key("enter")
		q := h.m.query.String()
		if h.overlayName() != "none" || !strings.Contains(q, "actor:apikey_01EXAMPLECONSOLE00000042") || !strings.Contains(q, c.want) {
			t.Fatalf("row %d: overlay %s, query %q, want %s", c.down, h.overlayName(), q, c.want)
		}
		h.key("esc")
		if h.overlayName() != "dossier" || h.m.dossier.sel != c.down {
			t.Fatalf("row %d: esc gives overlay %s, sel %d", c.down, h.overlayName(), h.m.dossier.sel)
		}
	}
	// esc in the dossier itself closes it, as before.
	h.key("esc")
	if h.overlayName() != "none" || h.m.query.String() != base {
		t.Fatalf("esc closes: overlay %s, query %q", h.overlayName(), h.m.query.String())
	}
}

// While redacting, a pivot from the dossier shows its value masked in the
// breadcrumbs, and a user agent, which the query bar would show, is
// refused.
func TestDossierPivotRedacted(t *testing.T) {
	h := dossierHarness(t, true)
	h.key("esc", "R", "K", "G", "enter")
	if h.overlayName() != "dossier" {
		t.Fatalf("user agent pivot while redacting: overlay %s", h.overlayName())
	}
	h.mustContain("a user agent pivot would show it in the query bar")
	h.key("k", "enter") // the ip
	s := h.screen()
	if h.overlayName() != "none" || strings.Contains(s, "198.51.100.77") || strings.Contains(s, "terraform-provider-example") {
		t.Fatalf("ip pivot while redacting: overlay %s\n%s", h.overlayName(), s)
	}
	h.mustContain("dossier ip:" + h.m.red.Field("ip_address", "198.51.100.77"))
}

// A hostile key name or scope from the directory is shown escaped.
func TestDossierHostileDirectory(t *testing.T) {
	rows := exampleRows(t)
	src := newFakeRows(rows)
	src.dossiers = map[string]store.Dossier{"apikey_01EXAMPLECONSOLE00000042": consoleDossier(rows)}
	src.names = store.NewNames([]store.Entity{{Kind: store.KindKey, ID: "apikey_01EXAMPLECONSOLE00000042", Name: hostileName,
		Key: &feed.ComplianceKey{ID: "apikey_01EXAMPLECONSOLE00000042", Name: hostileName, Scopes: []string{"read:\x1b[2J"}, CreatedByID: "user_\u202e"}}})
	h := newHarness(t, src, 160, 48)
	h.key("j", "j", "j", "tab", "j", "j", "K")
	checkFrame(t, "hostile dossier", h.m.View().Content, false)
	h.mustContain(`read:\x1b[2J`, `≠ name: the events say "ci deploy", the directory says "Carol\x1b[31m\u202eEvil`)
}
