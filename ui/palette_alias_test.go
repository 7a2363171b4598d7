package ui

import (
	"strings"
	"testing"
)

// aliasHarness is the explorer on the example rows with cached values to
// complete from.
func aliasHarness(t *testing.T, opts ...harnessOpt) (*harness, *fakeSource) {
	t.Helper()
	src := newFakeRows(exampleRows(t))
	src.suggest = map[string][]string{
		"actor": {"alice.admin@example.com", "alice@example.org", "bob.dev@example.com"},
		"type":  {"user_logged_in", "api_key_created"},
	}
	return newHarness(t, src, 160, 60, opts...), src // tall enough for every entry
}

// :actor completes from the cache and replaces the query's actor; esc
// returns to the query before.
func TestPaletteAliasActor(t *testing.T) {
	h, src := aliasHarness(t, withQuery("since:24h actor:bob.dev@example.com"))
	h.key(":")
	h.mustContain("actor VALUE", "key ID", "type NAME", "ip ADDRESS", "since DURATION", "view NAME")
	calls := src.callCount("Suggest")
	h.typeText("actor ali")
	if src.callCount("Suggest") == calls {
		t.Fatal("the alias's argument was not completed from the cache")
	}
	h.mustContain("actor ali ", "actor alice.admin@example.com", "actor alice@example.org")
	if strings.Contains(h.screen(), "actor bob.dev@example.com") {
		t.Fatalf("a value not starting with the argument is listed:\n%s", h.screen())
	}
	h.key("down", "enter")
	if got, want := h.m.query.String(), "since:24h actor:alice.admin@example.com"; got != want {
		t.Fatalf("query %q, want %q", got, want)
	}
	if h.overlayName() != "none" || len(h.m.stack) != 1 {
		t.Fatalf("overlay %s, stack %d", h.overlayName(), len(h.m.stack))
	}
	h.key("esc")
	if got := h.m.query.String(); got != "since:24h actor:bob.dev@example.com" {
		t.Fatalf("esc: query %q", got)
	}
}

// What is typed runs as typed; tab completes it to the first cached value.
func TestPaletteAliasTypedAndTab(t *testing.T) {
	h, _ := aliasHarness(t, withQuery("since:24h type:@keys"))
	h.key(":")
	h.typeText("type user_log")
	h.key("tab")
	if got := h.m.palette.input.Value(); got != "type user_logged_in" {
		t.Fatalf("tab: input %q", got)
	}
	h.key("enter")
	if got := h.m.query.String(); got != "since:24h type:user_logged_in" {
		t.Fatalf("query %q", got)
	}

	h.key(":")
	h.typeText("type @ke") // presets complete too
	h.mustContain("type @keys")
	h.key("esc", ":")
	h.typeText("ip 198.51.100.7")
	h.key("enter")
	if got := h.m.query.String(); got != "since:24h type:user_logged_in ip:198.51.100.7" {
		t.Fatalf("query %q", got)
	}
}

// :since sets the window; a bad duration says so and changes nothing.
func TestPaletteAliasSince(t *testing.T) {
	h, _ := aliasHarness(t, withQuery("type:@keys"))
	h.key(":")
	h.typeText("since 6")
	h.mustContain("since 6h") // the presets complete
	h.typeText("h")
	h.key("enter")
	if got := h.m.query.String(); got != "since:6h type:@keys" {
		t.Fatalf("query %q", got)
	}
	h.key(":")
	h.typeText("since banana")
	h.key("enter")
	if got := h.m.query.String(); got != "since:6h type:@keys" || !h.m.statusErr || !strings.Contains(h.m.statusText, ":since banana") {
		t.Fatalf("query %q, status %q", got, h.m.statusText)
	}
}

// :key opens the key's dossier; :view applies a saved view by name.
func TestPaletteAliasKeyAndView(t *testing.T) {
	h, src := aliasHarness(t, withDeps(func(d *Deps) {
		d.Views = []View{{Name: "incident", Query: "since:24h type:@keys -is:self"}}
	}))
	h.key(":")
	h.typeText("key apikey_01TARGET")
	h.key("enter")
	if h.overlayName() != "dossier" || h.m.dossier.keyID != "apikey_01TARGET" || src.callCount("Dossier") == 0 {
		t.Fatalf("overlay %s, dossier of %q", h.overlayName(), h.m.dossier.keyID)
	}
	h.key("esc", ":")
	h.typeText("view inc")
	h.mustContain("view incident")
	h.key("down", "enter")
	if got := h.m.query.String(); got != "since:24h type:@keys -is:self" {
		t.Fatalf("query %q", got)
	}
	h.key(":")
	h.typeText("view nope")
	h.key("enter")
	if !h.m.statusErr || !strings.Contains(h.m.statusText, "no view named nope") {
		t.Fatalf("status %q", h.m.statusText)
	}
}

// The alias's entry in the command list starts typing its argument.
func TestPaletteAliasEntry(t *testing.T) {
	h, _ := aliasHarness(t)
	h.key(":")
	h.typeText("ip ADD")
	h.key("esc", ":")
	for i, hit := range h.m.palette.hits {
		if h.m.palette.items[hit.Index].title == "ip ADDRESS" {
			h.m.palette.sel = i
		}
	}
	h.key("enter")
	if h.overlayName() != "palette" || h.m.palette.input.Value() != "ip " || h.m.palette.alias == nil {
		t.Fatalf("overlay %s, input %q", h.overlayName(), h.m.palette.input.Value())
	}
	h.key("enter")
	if h.overlayName() != "none" || !h.m.statusErr || !strings.Contains(h.m.statusText, ":ip needs address") {
		t.Fatalf("overlay %s, status %q", h.overlayName(), h.m.statusText)
	}
}

// While redacting, cached values are listed masked, and choosing one
// queries the real value.
func TestPaletteAliasRedacted(t *testing.T) {
	h, _ := aliasHarness(t, withDeps(func(d *Deps) { d.Redact = true }))
	h.key(":")
	h.typeText("actor ")
	if s := h.screen(); strings.Contains(s, "alice.admin@example.com") || !strings.Contains(s, "actor "+h.m.red.Field("email_address", "alice.admin@example.com")) {
		t.Fatalf("not masked:\n%s", s)
	}
	h.key("enter")
	if got := h.m.query.String(); got != "since:24h actor:alice.admin@example.com" {
		t.Fatalf("query %q", got)
	}
	if strings.Contains(h.screen(), "alice.admin@example.com") {
		t.Fatalf("the real value reached the screen:\n%s", h.screen())
	}
}

// :actor and :key take a directory name as well as an id.
func TestPaletteAliasNames(t *testing.T) {
	src := namedSource(t)
	h := newHarness(t, src, 160, 48, withQuery("since:24h"))
	h.key(":")
	h.typeText("actor Alice Chen")
	h.key("enter")
	if got := h.m.query.Actor.Include; len(got) != 1 || got[0] != "user_01ALICE00000000000000001" {
		t.Fatalf(":actor Alice Chen ran as %v", got)
	}
	h.key(":")
	h.typeText("actor Nobody Here")
	h.key("enter")
	h.mustContain(`no user named Nobody Here in the directory`)
}
