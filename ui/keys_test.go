package ui

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestRebindValidates(t *testing.T) {
	for _, c := range []struct {
		name string
		o    map[string][]string
		want string // substring of the error
	}{
		{"unknown action", map[string][]string{"fly": {"x"}}, `unknown action "fly"`},
		{"empty list", map[string][]string{"follow": {}}, "follow: the list of keys is empty"},
		{"bad key name", map[string][]string{"follow": {"Ctrl-F"}}, `"Ctrl-F" is not a key name`},
		{"modifier order", map[string][]string{"follow": {"alt+ctrl+f"}}, "in the order ctrl, alt"},
		{"shifted letter", map[string][]string{"follow": {"shift+l"}}, `the capital itself: "L"`},
		{"capital with ctrl", map[string][]string{"follow": {"ctrl+L"}}, "ctrl+l"},
		{"blank", map[string][]string{"follow": {" "}}, "not a key name"},
		{"listed twice", map[string][]string{"follow": {"f", "f"}}, `key "f" is listed twice`},
		{"ctrl+c", map[string][]string{"follow": {"ctrl+c"}}, "ctrl+c always quits"},
		{"window count", map[string][]string{"window": {"1", "2"}}, "exactly 6 keys"},
		{"conflict", map[string][]string{"follow": {"j"}}, `follow: key "j" is also bound to down`},
		{"conflict with window", map[string][]string{"mark": {"3"}}, "also bound to window"},
	} {
		t.Run(c.name, func(t *testing.T) {
			def := DefaultKeyMap()
			got, err := def.Rebind(c.o)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
			if !slices.Equal(got.Follow.Keys(), []string{"f"}) || !slices.Equal(def.Follow.Keys(), []string{"f"}) {
				t.Fatalf("a failed Rebind changed the keys: %v %v", got.Follow.Keys(), def.Follow.Keys())
			}
		})
	}
}

func TestRebindAccepts(t *testing.T) {
	def := DefaultKeyMap()
	km, err := def.Rebind(map[string][]string{
		"follow": {"f", "L"},
		"down":   {"e", "down"}, // frees j …
		"mark":   {"j"},         // … for mark
		"window": {"f1", "f2", "f3", "f4", "f5", "f6"},
		"quit":   {"ctrl+q", "alt+shift+x", "+", "ctrl++"},
		"open":   {"enter", "o"},
		"pivot":  {"enter", "o"}, // open and pivot share keys by design
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(km.Follow.Keys(), []string{"f", "L"}) || km.Follow.Help().Key != "f/L" || km.Follow.Help().Desc != "live" {
		t.Fatalf("follow %v %+v", km.Follow.Keys(), km.Follow.Help())
	}
	if km.Window.Help().Key != "f1…f6" {
		t.Fatalf("window help %q", km.Window.Help().Key)
	}
	if !slices.Equal(def.Follow.Keys(), []string{"f"}) || !slices.Equal(def.Down.Keys(), []string{"j", "down"}) {
		t.Fatal("Rebind changed the receiver")
	}
	if _, err := def.Rebind(nil); err != nil {
		t.Fatal(err)
	}
	if got := BindableActions(); len(got) < 30 || !slices.Contains(got, "follow") || slices.Contains(got, "apply") {
		t.Fatalf("BindableActions %v", got)
	}
}

// A rebound key triggers its action; a key the override replaced no
// longer does.
func TestKeyOverrides(t *testing.T) {
	src := newFakeRows(exampleRows(t))
	h := newHarness(t, src, 100, 30, withDeps(func(d *Deps) {
		d.KeyOverrides = map[string][]string{"utc": {"u"}, "down": {"e", "down"}, "window": {"!", "@", "#", "$", "%", "^"}}
	}))
	if h.m.statusErr {
		t.Fatalf("status error %q", h.m.statusText)
	}
	before := h.m.loc
	h.key("t")
	if h.m.loc != before {
		t.Fatal("t still toggles UTC after utc = [\"u\"]")
	}
	h.key("u")
	if h.m.loc == before {
		t.Fatal("u does not toggle UTC")
	}
	h.key("j")
	if h.m.table.cursor != 0 {
		t.Fatal("j still moves down after down = [\"e\", \"down\"]")
	}
	h.key("e")
	if h.m.table.cursor != 1 {
		t.Fatalf("e does not move down (cursor %d)", h.m.table.cursor)
	}
	h.key("#")
	if got := h.m.query.Window.Since.String(); got != "6h0m0s" {
		t.Fatalf("# (third window key) set since %s, want 6h", got)
	}
	h.key("3")
	if got := h.m.query.Window.Since.String(); got != "6h0m0s" {
		t.Fatalf("3 still sets a window: since %s", got)
	}
	// The help line and the palette show the new keys.
	h.key("?")
	h.mustContain("e/down down", "!…^ 15m 1h 6h 24h 7d 30d")
	if !regexp.MustCompile(`\bu +UTC/local`).MatchString(h.screen()) {
		t.Fatalf("help does not show u for UTC/local:\n%s", h.screen())
	}
	h.key("esc", ":")
	h.typeText("toggle utc")
	h.mustContain("toggle UTC / local time")
	if it, _ := h.m.palette.selectedItem(); it.keys != "u" {
		t.Fatalf("palette shows key %q for the UTC toggle", it.keys)
	}
}

// Overrides that fail keep the default keys and say why.
func TestKeyOverridesInvalidKeepDefaults(t *testing.T) {
	h := newHarness(t, newFakeRows(exampleRows(t)), 100, 30, withDeps(func(d *Deps) {
		d.KeyOverrides = map[string][]string{"fly": {"x"}}
	}))
	if !h.m.statusErr || !strings.Contains(h.m.statusText, `unknown action "fly"`) {
		t.Fatalf("status %q", h.m.statusText)
	}
	h.key("j")
	if h.m.table.cursor != 1 {
		t.Fatal("default keys not in use")
	}
}
