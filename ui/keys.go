package ui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"charm.land/bubbles/v2/key"
)

// KeyMap is every binding of the program, grouped by area. The root model
// owns one (built by DefaultKeyMap) and disables bindings that make no
// sense in the current state, which also hides them from help.
type KeyMap struct {
	// Global.
	Quit, Help, Palette, Query, Back, Retry    key.Binding
	Window, ToggleUTC, Follow, Redact, Freeze  key.Binding
	Copy, CopyJSON, Mark, Note, Dossier, Focus key.Binding
	Context, Facets, Export, IDs               key.Binding

	// Find within the results (find.go).
	Find, FindNext, FindPrev key.Binding

	// Live tail: enabled only while it runs.
	Pause, SelfToggle key.Binding

	// Table and detail navigation.
	Up, Down, Top, Bottom, HalfDown, HalfUp, PageDown, PageUp key.Binding
	Open, Pivot                                               key.Binding

	// The histogram's time cursor (histnav.go).
	HistPrev, HistNext, Zoom key.Binding

	// Query bar and palette.
	Apply, Cancel, Complete, CompletePrev, HistoryPrev, HistoryNext, Next, Prev key.Binding
}

// DefaultKeyMap returns the bindings described in DESIGN.md ("The screen"):
// vim/lnav/k9s habits. The keys are the registry's (commands).
func DefaultKeyMap() KeyMap {
	var k KeyMap
	for _, c := range registry {
		if c.key != nil && c.keys != nil {
			*c.key(&k) = key.NewBinding(key.WithKeys(c.keys...), key.WithHelp(c.label, c.desc))
		}
	}
	return k
}

// shortHelp is the status line's help: the dialog on top's keys, else
// those of the error page or of the focused pane.
func (m Model) shortHelp() []key.Binding {
	k := m.keys
	switch {
	case m.state == stateError:
		return []key.Binding{k.Retry, k.Quit}
	case len(m.dialogs) > 0:
		return m.dialogs.top().shortHelp(k)
	case m.focus == focusDetail:
		return []key.Binding{k.Help, k.Pivot, k.Back, k.Focus, k.Copy, k.Dossier, k.Quit}
	}
	return []key.Binding{k.Help, k.Query, k.Open, k.Dossier, k.Follow, k.Copy, k.Mark, k.Palette, k.Quit}
}

// fullHelp is the ? overlay of a pane, in columns.
func fullHelp(k KeyMap, f focus) [][]key.Binding {
	// Find moves through the result as less's / and n do.
	nav := []key.Binding{k.Up, k.Down, k.Top, k.Bottom, k.HalfDown, k.HalfUp, k.PageDown, k.PageUp, k.Find, k.FindNext, k.FindPrev}
	act := []key.Binding{k.Open, k.Focus, k.Back, k.Context, k.Dossier, k.Facets, k.Copy, k.CopyJSON}
	if f == focusDetail {
		act = []key.Binding{k.Pivot, k.Focus, k.Back, k.Context, k.Dossier, k.Facets, k.Copy, k.CopyJSON}
	}
	evidence := []key.Binding{k.Mark, k.Note, k.Export, k.Redact, k.IDs}
	view := []key.Binding{k.Query, k.Window, k.ToggleUTC, k.Follow, k.Pause, k.SelfToggle, k.Freeze, k.Retry}
	hist := []key.Binding{k.HistPrev, k.HistNext, k.Zoom}
	app := []key.Binding{k.Palette, k.Help, k.Quit}
	return [][]key.Binding{nav, act, evidence, view, hist, app}
}

// namedBinding is a binding with the action name the config file's [keys]
// table uses for it.
type namedBinding struct {
	name string
	b    *key.Binding
}

// named lists the bindings KeyOverrides may rebind, in registry order.
// The keys of the query bar, the palette and the note editor (enter, esc,
// tab, arrows) are not among them: they edit text.
func (k *KeyMap) named() []namedBinding {
	var out []namedBinding
	for _, c := range registry {
		if c.name != "" {
			out = append(out, namedBinding{c.name, c.key(k)})
		}
	}
	return out
}

// BindableActions lists the action names KeyMap.Rebind accepts (the
// config file's [keys] table), in registry order.
func BindableActions() []string {
	var k KeyMap
	var out []string
	for _, n := range k.named() {
		out = append(out, n.name)
	}
	return out
}

// windowKeys is how many keys the window action takes: one per preset
// (15m 1h 6h 24h 7d 30d), in that order.
const windowKeys = 6

// Rebind returns k with the keys of the named actions replaced: overrides
// maps an action name (BindableActions) to its new keys, written as Bubble
// Tea names ("f", "L", "ctrl+s", "alt+enter", "space", "f5"). The help
// line shows the new keys. It fails, leaving k unchanged, on an unknown
// action, an empty list, a key name that can never match, window without
// exactly six keys, or a key that would now trigger two actions.
func (k KeyMap) Rebind(overrides map[string][]string) (KeyMap, error) {
	if len(overrides) == 0 {
		return k, nil
	}
	out := k
	named := out.named()
	index := map[string]int{}
	for i, n := range named {
		index[n.name] = i
	}
	actions := make([]string, 0, len(overrides))
	for a := range overrides {
		actions = append(actions, a)
	}
	slices.Sort(actions)
	for _, a := range actions {
		keys := overrides[a]
		i, ok := index[a]
		if !ok {
			return k, fmt.Errorf("unknown action %q; actions: %s", a, strings.Join(BindableActions(), ", "))
		}
		if len(keys) == 0 {
			return k, fmt.Errorf("%s: the list of keys is empty; give at least one key", a)
		}
		if a == "window" && len(keys) != windowKeys {
			return k, fmt.Errorf("window: give exactly %d keys, for the windows 15m 1h 6h 24h 7d 30d in that order", windowKeys)
		}
		for j, s := range keys {
			if err := checkKeyName(s); err != nil {
				return k, fmt.Errorf("%s: %w", a, err)
			}
			if slices.Contains(keys[:j], s) {
				return k, fmt.Errorf("%s: key %q is listed twice", a, s)
			}
			if s == "ctrl+c" && a != "quit" {
				return k, fmt.Errorf("%s: ctrl+c always quits", a)
			}
		}
		b := named[i].b
		b.SetKeys(keys...)
		label := strings.Join(keys, "/")
		if a == "window" {
			label = keys[0] + "…" + keys[windowKeys-1]
		}
		b.SetHelp(label, b.Help().Desc)
	}
	// A rebound key must not also trigger another action.
	for _, a := range actions {
		for _, s := range overrides[a] {
			for _, other := range named {
				if other.name == a || !slices.Contains(other.b.Keys(), s) || sharesKeys(a, other.name) {
					continue
				}
				return k, fmt.Errorf("%s: key %q is also bound to %s; rebind %s as well", a, s, other.name, other.name)
			}
		}
	}
	return out, nil
}

// sharesKeys reports whether actions a and b share a key by design: they
// never apply at the same time (enter opens the detail pane from the
// table and pivots inside it; space pauses live tail and pages otherwise).
func sharesKeys(a, b string) bool {
	for _, p := range [][2]string{{"open", "pivot"}, {"pause", "page_down"}} {
		if p == [2]string{a, b} || p == [2]string{b, a} {
			return true
		}
	}
	return false
}

// keyModifiers are the modifiers of a key name, in the order Bubble Tea
// writes them.
func keyModifiers() []string { return []string{"ctrl", "alt", "shift", "meta", "hyper", "super"} }

// keyNames are the named keys Bubble Tea reports (besides f1…f63 and
// single characters).
func keyNames() []string {
	return []string{
		"enter", "tab", "backspace", "esc", "space", "up", "down", "left", "right",
		"home", "end", "pgup", "pgdown", "insert", "delete", "begin", "find", "select",
	}
}

// checkKeyName rejects a key name no key press would ever match: Bubble
// Tea writes modifiers in a fixed order and a shifted letter as itself.
func checkKeyName(s string) error {
	bad := func(hint string) error {
		return fmt.Errorf("%q is not a key name Bubble Tea reports%s; write e.g. \"f\", \"L\", \"ctrl+f\", \"alt+enter\", \"space\", \"f5\"", s, hint)
	}
	if s == "" || strings.TrimSpace(s) != s || strings.ContainsAny(s, " \t\n") {
		return bad("")
	}
	parts := strings.Split(s, "+")
	base := parts[len(parts)-1]
	mods := parts[:len(parts)-1]
	if base == "" { // "+" itself, or "ctrl++"
		if s == "+" {
			return nil
		}
		if strings.HasSuffix(s, "++") {
			base, mods = "+", parts[:len(parts)-2]
		} else {
			return bad("")
		}
	}
	last := -1
	for _, m := range mods {
		i := slices.Index(keyModifiers(), m)
		if i < 0 {
			return bad(fmt.Sprintf(" (unknown modifier %q)", m))
		}
		if i <= last {
			return bad(" (write the modifiers in the order ctrl, alt, shift, meta, hyper, super)")
		}
		last = i
	}
	r := []rune(base)
	switch {
	case len(r) == 1:
		if !unicode.IsPrint(r[0]) || r[0] == ' ' {
			return bad("")
		}
		if len(mods) > 0 && unicode.IsUpper(r[0]) {
			return bad(fmt.Sprintf(" (with a modifier write the letter in lower case: %s+%c, adding shift if needed)",
				strings.Join(mods, "+"), unicode.ToLower(r[0])))
		}
		if len(mods) == 1 && mods[0] == "shift" && unicode.IsLetter(r[0]) {
			return bad(fmt.Sprintf(" (a shifted letter is the capital itself: %q)", string(unicode.ToUpper(r[0]))))
		}
		return nil
	case slices.Contains(keyNames(), base):
		return nil
	case len(base) > 1 && base[0] == 'f':
		if n, err := strconv.Atoi(base[1:]); err == nil && n >= 1 && n <= 63 && strconv.Itoa(n) == base[1:] {
			return nil
		}
	}
	return bad("")
}
