package ui

import (
	"strings"
	"testing"
	"time"

	"claudit/store"
)

func TestDossier(t *testing.T) {
	src := newFakeRows(exampleRows(t))
	rows := exampleRows(t)
	src.dossiers = map[string]store.Dossier{
		"apikey_01EXAMPLECONSOLE00000042": {
			KeyID: "apikey_01EXAMPLECONSOLE00000042", KeyKind: "console", Name: "ci deploy",
			Lifecycle:  []store.LifecycleEvent{{Row: rows[3], Action: "deactivated", Change: rows[3].Updates()}},
			ActedCount: 7, Mentions: 9,
			ByType: []store.FacetCount{{Value: "claude_chat_viewed", Count: 7}},
			IPs:    []store.FacetCount{{Value: "198.51.100.77", Count: 7}},
		},
	}
	h := newHarness(t, src, 160, 48)
	h.key("j", "j", "j") // platform_api_key_updated by an admin key
	h.key("K")
	if h.overlayName() != "dossier" || h.m.dossier.keyID != "adminkey_01EXAMPLE000000000000007" {
		t.Fatalf("K opens the dossier of the first key mentioned, got %q", h.m.dossier.keyID)
	}
	h.key("esc", "tab")
	for h.m.detail.fields[h.m.detail.sel].Value != "apikey_01EXAMPLECONSOLE00000042" {
		h.key("j")
	}
	h.key("K") // the key selected in the detail pane wins
	h.mustContain("KEY DOSSIER", "apikey_01EXAMPLECONSOLE00000042", "console", `"ci deploy"`,
		"deactivated", "status: active → inactive", "claude_chat_viewed", "198.51.100.77", "mentioned by 9")
	h.key("esc", "tab")
	if h.overlayName() != "none" {
		t.Fatal("esc closes the dossier")
	}
	// An event without a key: K is disabled and does nothing.
	h.key("j", "j", "j", "j") // sso_login_initiated
	if h.m.keys.Dossier.Enabled() {
		t.Fatal("K must be disabled without a key mention")
	}
	h.key("K")
	if h.overlayName() != "none" {
		t.Fatal("K opened a dossier for an event without a key")
	}
}

func TestHelpFollowsFocus(t *testing.T) {
	h := newHarness(t, newFakeRows(exampleRows(t)), 160, 48)
	h.key("?")
	h.mustContain("help · table", "detail", "half page down", "esc or ? closes")
	if strings.Contains(h.screen(), "retry") {
		t.Fatal("retry is meaningless when ready and must be hidden")
	}
	if strings.Contains(h.screen(), "narrow to value") {
		t.Fatal("table help shows a detail binding")
	}
	h.key("esc", "tab", "?")
	h.mustContain("help · detail pane", "narrow to value")
	h.key("?")
	if h.overlayName() != "none" {
		t.Fatal("? closes help")
	}
}

func TestPalette(t *testing.T) {
	h := newHarness(t, newFakeRows(exampleRows(t)), 100, 30)
	h.key(":")
	h.typeText("utc")
	h.mustContain(": utc", "toggle UTC / local time")
	h.key("enter")
	if h.m.loc == time.UTC || h.overlayName() != "none" {
		t.Fatal("palette did not run the UTC toggle")
	}
	h.key(":")
	h.typeText("cpj")
	if a, _ := h.m.palette.selected(); a != actCopyJSON {
		t.Fatalf("cpj selects %v", a)
	}
	h.key("esc")
	h.key(":")
	h.typeText("zzzz")
	h.mustContain("no matching command")
	h.key("enter")
	if h.overlayName() != "none" {
		t.Fatal("enter with no match closes the palette")
	}
}
