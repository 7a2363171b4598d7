package ui

import (
	"encoding/json"
	"strings"
	"testing"

	"claudit/feed"
	"claudit/store"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// TestRedactQueryBar drives every way a value reaches the query bar while
// redacting: a pivot, opening the bar on it, history, completion from the
// cache, typing and pasting (masks map back to the real value), a parse
// error echoing the text, the breadcrumbs and a saved view in the palette.
// Nothing the redactor masks is drawn, and the masked query still finds
// what the real one finds.
func TestRedactQueryBar(t *testing.T) {
	rows := exampleRows(t)
	pii := personalData(rows)
	const alice = "alice.admin@example.com"
	src := newFakeRows(rows)
	src.suggest = map[string][]string{"actor": {alice, "bob@example.com"}}
	h := newHarness(t, src, 160, 48, withDeps(func(d *Deps) {
		d.Redact = true
		d.Views = []View{{Name: "alice", Query: "actor:" + alice}}
	}))
	mail := h.m.red.Field("email_address", alice)
	noPII := func(what string) {
		t.Helper()
		s := h.screen()
		for _, v := range append(pii, "bob@example.com") {
			if strings.Contains(s, v) {
				t.Fatalf("%s: %q on screen while redacting:\n%s", what, v, s)
			}
		}
	}
	all := h.m.total

	h.key("j", "j", "tab") // alice's api_key_created, detail focused
	h.key("enter")         // pivot on the actor
	noPII("after a pivot")
	if got := h.m.query.String(); !strings.Contains(got, alice) {
		t.Fatalf("the pivot queries %q, not the real e-mail", got)
	}
	pivoted, real := h.m.total, h.m.query.String()
	masked := strings.ReplaceAll(real, alice, mail)
	if pivoted == 0 || pivoted == all {
		t.Fatalf("pivot found %d of %d rows", pivoted, all)
	}
	h.mustContain("esc ← ", "+actor:"+mail)

	// Opening the bar shows the masked query; applying it unchanged
	// queries the real value.
	h.key("/")
	noPII("query bar open")
	if v := h.m.bar.input.Value(); v != masked {
		t.Fatalf("bar opened with %q, want %q", v, masked)
	}
	h.key("enter")
	if got := h.m.query.String(); got != real || h.m.total != pivoted {
		t.Fatalf("re-applied masked bar: query %q, %d rows (want %d)", got, h.m.total, pivoted)
	}

	// History holds real text and shows it masked.
	h.key("/", "ctrl+u")
	h.key("up")
	noPII("history")
	if v := h.m.bar.input.Value(); v != masked {
		t.Fatalf("history recalled %q", v)
	}

	// Completion lists masked values from the cache and inserts a mask.
	h.key("ctrl+u")
	h.typeText("actor:")
	h.key("tab")
	noPII("completion list")
	h.mustContain(mail, h.m.red.Field("email_address", "bob@example.com"))
	h.key("tab")
	if v := h.m.bar.input.Value(); v != "actor:"+mail {
		t.Fatalf("completion inserted %q", v)
	}

	// Typed real text is drawn masked; a parse error echoing it too.
	h.key("ctrl+u")
	h.typeText("actor:" + alice + " ip:" + alice)
	noPII("typed text and its parse error")
	if h.m.bar.err == nil || !strings.Contains(h.m.bar.err.Error(), alice) {
		t.Fatalf("want a parse error naming the e-mail, got %v", h.m.bar.err)
	}

	// Half typed: the e-mail is not one yet, and already masked.
	h.key("ctrl+u")
	h.typeText("ip:" + alice[:15])
	if s := h.screen(); strings.Contains(s, alice[:12]) || h.m.bar.err == nil {
		t.Fatalf("half-typed e-mail and its parse error (%v) while redacting:\n%s", h.m.bar.err, s)
	}

	// A pasted mask queries the real value.
	h.key("ctrl+u")
	h.send(tea.PasteMsg{Content: masked})
	h.key("enter")
	if got := h.m.query.String(); got != real || h.m.total != pivoted {
		t.Fatalf("pasted mask: query %q, %d rows", got, h.m.total)
	}

	// A saved view's query in the palette.
	h.key(":")
	h.typeText("alice")
	noPII("palette")
	h.mustContain("view alice — actor:" + mail)
}

// TestRedactShownCursor keeps the cursor where the analyst is typing when
// the words around it are drawn masked.
func TestRedactShownCursor(t *testing.T) {
	red := feed.NewRedactor([]byte("t"))
	mail := red.Field("email_address", "a@b.example")
	for _, c := range []struct {
		value   string
		pos     int
		shown   string
		wantPos int
	}{
		{"type:x", 3, "type:x", 3},
		{"actor:a@b.example type:x", 25, "actor:" + mail + " type:x", len([]rune("actor:" + mail + " type:x"))},
		{"actor:a@b.example type:x", 17, "actor:" + mail + " type:x", len([]rune("actor:" + mail))},
		{"actor:a@b.example type:x", 0, "actor:" + mail + " type:x", 0},
		{"type:x actor:a@b.example", 2, "type:x actor:" + mail, 2},
	} {
		b := queryBar{red: red}
		b.input.SetValue(c.value)
		b.input.SetCursor(c.pos)
		r, pos := b.shown()
		if string(r) != c.shown || pos != c.wantPos {
			t.Errorf("%q at %d: shown %q at %d, want %q at %d", c.value, c.pos, string(r), pos, c.shown, c.wantPos)
		}
	}
}

// TestRedactNote: while redacting the note editor draws its text masked,
// a pasted mask is saved as the real value, and the Redactor given in
// Deps is the one the screen uses (one mask per value per process).
func TestRedactNote(t *testing.T) {
	const alice = "alice.admin@example.com"
	red := feed.NewRedactor([]byte("note"))
	mail := red.Field("email_address", alice)
	src := newFakeRows(exampleRows(t))
	h := newHarness(t, src, 160, 48, withDeps(func(d *Deps) { d.Redact, d.Redactor = true, red }))
	h.key("j", "M")
	h.typeText("ask " + alice)
	if s := h.screen(); strings.Contains(s, alice) || !strings.Contains(s, ": ask "+mail) {
		t.Fatalf("typed note while redacting:\n%s", s)
	}
	h.key("ctrl+u")
	h.send(tea.PasteMsg{Content: "ask " + mail})
	h.key("enter")
	id := h.selectedID()
	if got := src.notes[id]; got != "ask "+alice {
		t.Fatalf("saved note %q, want the real value", got)
	}
	h.key("M") // editing the saved note again
	if s := h.screen(); strings.Contains(s, alice) || !strings.Contains(s, "ask "+mail) {
		t.Fatalf("reopened note while redacting:\n%s", s)
	}
}

// TestMaskPartial: an e-mail or IP being typed is masked before the
// redactor would recognise it; other words are left as typed.
func TestMaskPartial(t *testing.T) {
	red := feed.NewRedactor([]byte("partial"))
	for _, c := range []struct{ word, hidden string }{
		{"actor:bob.security@ex", "bob.security"},
		{"bob@", "bob"},
		{"ip:198.51.", "198.51"},
		{"ip:198.51.100.7", "198.51.100.7"},
		{"ip:2001:db8:", "2001:db8"},
		{"actor:alice.admin@example.com", "alice.admin"},
	} {
		if got := maskPartial(red, c.word); strings.Contains(got, c.hidden) {
			t.Errorf("maskPartial(%q) = %q shows %q", c.word, got, c.hidden)
		}
	}
	for _, w := range []string{"type:@keys", "since:24h", "type:scoped_api_key_updated", "is:self", "from:2026-11-25T02:00Z", "ip:"} {
		if got := maskPartial(red, w); got != w {
			t.Errorf("maskPartial(%q) = %q, want it as typed", w, got)
		}
	}
}

func TestRedactConsistent(t *testing.T) {
	rows := exampleRows(t)
	pii := personalData(rows)
	if len(pii) < 8 {
		t.Fatalf("the examples hold only %d e-mails and IPs", len(pii))
	}
	src := newFakeRows(rows)
	src.facets = store.Facets{
		Actors: []store.FacetCount{{Value: "alice.admin@example.com", Count: 2}},
		IPs:    []store.FacetCount{{Value: "192.0.2.10", Count: 2}},
	}
	src.dossiers = map[string]store.Dossier{"apikey_01EXAMPLENEW000000000009": {
		KeyID: "apikey_01EXAMPLENEW000000000009", Lifecycle: []store.LifecycleEvent{{Row: rows[2], Action: "created"}},
		IPs: []store.FacetCount{{Value: "192.0.2.10", Count: 1}},
	}}
	h := newHarness(t, src, 160, 48)
	h.key("j", "j") // alice's api_key_created
	h.mustContain("alice.admin@example.com", "192.0.2.10")
	h.key("R")
	red := h.m.red
	mail := red.Field("email_address", "alice.admin@example.com")
	ip := red.Field("ip_address", "192.0.2.10")
	if !strings.HasPrefix(mail, "u-") || !strings.HasPrefix(ip, "ip-") {
		t.Fatalf("masks %q %q", mail, ip)
	}
	noPII := func(what string) {
		t.Helper()
		s := h.screen()
		for _, v := range pii {
			if strings.Contains(s, v) {
				t.Fatalf("%s: %q on screen while redacting:\n%s", what, v, s)
			}
		}
	}
	noPII("table and detail")
	// One mask for one e-mail: the table row, the actor block, the pivot
	// list and the raw JSON, which is what Redactor.JSON makes of it.
	var tableLine string
	for _, l := range strings.Split(h.screen(), "\n") {
		if strings.Contains(l, " 09-15 14:01:12 +00:00 ") {
			tableLine = l
		}
	}
	if !strings.Contains(tableLine, mail) || !strings.Contains(tableLine, ip) {
		t.Fatalf("table row %q lacks %s / %s", tableLine, mail, ip)
	}
	detail := ansi.Strip(h.m.detail.View())
	if strings.Count(detail, mail) < 3 || !strings.Contains(detail, `"email_address": "`+mail+`"`) {
		t.Fatalf("detail pane:\n%s", detail)
	}
	var raw map[string]any
	if err := json.Unmarshal(red.JSON(rows[2].Raw), &raw); err != nil {
		t.Fatal(err)
	}
	if raw["actor"].(map[string]any)["email_address"] != mail {
		t.Fatalf("Redactor.JSON masks the e-mail as %v, the screen as %s", raw["actor"], mail)
	}
	h.mustContain("REDACT")
	// Every other view.
	h.key("tab")
	noPII("detail focused")
	h.key("y")
	if got := h.clipboard[len(h.clipboard)-1]; got != mail {
		t.Fatalf("y copied %q while redacting", got)
	}
	h.key("Y")
	if got := h.clipboard[len(h.clipboard)-1]; strings.Contains(got, "alice.admin") || !json.Valid([]byte(got)) {
		t.Fatalf("Y copied %q while redacting", got)
	}
	h.key("enter") // pivot on the actor: query bar and crumbs
	noPII("after a pivot")
	h.mustContain("actor:" + mail)
	h.key("esc")
	h.key("s")
	noPII("facets")
	h.mustContain(mail, ip)
	h.key("esc")
	h.key("K")
	noPII("dossier")
	h.key("esc", "esc")
	h.key("?")
	noPII("help")
	h.key("esc")
	// Off again: the data is back.
	h.key("R")
	h.mustContain("alice.admin@example.com")
	// --redact starts masked.
	h2 := newHarness(t, newFakeRows(rows), 80, 24, withDeps(func(d *Deps) { d.Redact = true }))
	if s := h2.screen(); strings.Contains(s, "alice.admin@example.com") || !strings.Contains(s, "REDACT") {
		t.Fatalf("Deps.Redact:\n%s", s)
	}
}

func TestRedactGolden(t *testing.T) {
	h := newHarness(t, newFakeRows(exampleRows(t)), 160, 48)
	h.m.red = feed.NewRedactor([]byte("golden")) // fixed masks for a stable screen
	h.key("j", "j", "R")
	h.fireTicks()
	requireGolden(t, "160x48_redact", h.screen())
}
