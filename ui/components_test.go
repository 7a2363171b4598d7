package ui

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"claudit/feed"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

func TestHighlightJSON(t *testing.T) {
	st := NewStyles(true)
	key, str, num := newPainter(st.JSON.Key), newPainter(st.JSON.String), newPainter(st.JSON.Number)
	lines := highlightJSON([]byte(`{"a":"x","n":12.5,"b":[true,null]}`), &st)
	plain := make([]string, len(lines))
	for i, l := range lines {
		plain[i] = ansi.Strip(l)
	}
	want := []string{`{`, `  "a": "x",`, `  "n": 12.5,`, `  "b": [`, `    true,`, `    null`, `  ]`, `}`}
	if strings.Join(plain, "\n") != strings.Join(want, "\n") {
		t.Fatalf("pretty print:\n%s", strings.Join(plain, "\n"))
	}
	if !strings.Contains(lines[1], key.paint(`"a"`)) || !strings.Contains(lines[1], str.paint(`"x"`)) ||
		!strings.Contains(lines[2], num.paint("12.5")) {
		t.Fatalf("keys, strings and numbers must be coloured differently: %q %q", lines[1], lines[2])
	}
	if key == str || str == num {
		t.Fatal("the dark palette gives keys, strings and numbers one colour")
	}
	// Invalid JSON (raw control bytes) is shown sanitised, not dropped.
	bad := highlightJSON([]byte("{\"a\":\"\x1b[31m\"}"), &st)
	if got := strings.Join(bad, "\n"); !strings.Contains(got, `\x1b[31m`) || strings.ContainsRune(got, 0x1b) {
		t.Fatalf("invalid JSON: %q", got)
	}
}

func TestPivotFields(t *testing.T) {
	rows := exampleRows(t)
	var got []string
	for _, f := range pivotFields(rows[3].Activity) { // platform_api_key_updated by an admin key
		got = append(got, f.Label+"="+f.Field+":"+f.Value)
	}
	want := []string{
		"actor=actor:adminkey_01EXAMPLE000000000000007",
		"key=key:adminkey_01EXAMPLE000000000000007",
		"key=key:apikey_01EXAMPLECONSOLE00000042",
		"ip=ip:198.51.100.77",
		"org=org:org_01EXAMPLEORG000000000002",
		"type=type:platform_api_key_updated",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("fields:\n%s", strings.Join(got, "\n"))
	}
	// Every field is a query the language accepts.
	for _, f := range pivotFields(rows[3].Activity) {
		q := feed.Query{}.With(f.Field, f.Value, false)
		if q.IsZero() {
			t.Errorf("With(%s, %s) refused", f.Field, f.Value)
		}
	}
}

func TestFitAndSafeCell(t *testing.T) {
	for _, c := range []struct {
		in   string
		w    int
		want string
	}{
		{"abc", 5, "abc  "},
		{"abcdef", 4, "abc…"},
		{"abcd", 4, "abcd"},
		{"日本語テキスト", 6, "日本… "},
		{"x", 0, ""},
	} {
		if got := fit(c.in, c.w); got != c.want {
			t.Errorf("fit(%q, %d) = %q, want %q", c.in, c.w, got, c.want)
		}
	}
	big := strings.Repeat("\u202e", 100_000)
	if got := safeCell(big, 10); ansi.StringWidth(fit(got, 10)) != 10 || strings.ContainsRune(got, '\u202e') || len(got) > 200 {
		t.Fatalf("safeCell of a huge hostile string: %d bytes %q", len(got), got)
	}
	zw := strings.Repeat("e\u0301", 50_000) // combining marks: cut, and says so
	if got := fit(safeCell(zw, 10), 10); !strings.HasSuffix(strings.TrimRight(got, " "), "…") {
		t.Fatalf("a cut cell must end in an ellipsis: %q", got)
	}
}

func TestLineInput(t *testing.T) {
	var l lineInput
	press := func(keys ...string) {
		for _, k := range keys {
			l = l.Update(keyMsg(k))
		}
	}
	for _, r := range "since:24h actor:bob" {
		if r == ' ' {
			press("space")
		} else {
			press(string(r))
		}
	}
	press("ctrl+w")
	if l.Value() != "since:24h " {
		t.Fatalf("ctrl+w: %q", l.Value())
	}
	press("home", "right", "backspace")
	if l.Value() != "ince:24h " || l.Position() != 0 {
		t.Fatalf("home right backspace: %q at %d", l.Value(), l.Position())
	}
	press("ctrl+k")
	if l.Value() != "" {
		t.Fatalf("ctrl+k: %q", l.Value())
	}
	l = l.Update(tea.PasteMsg{Content: "a\nb\tc"})
	if l.Value() != "a b c" {
		t.Fatalf("paste keeps one line: %q", l.Value())
	}
	press("left", "left", "left", "ctrl+u")
	if l.Value() != "b c" || l.Position() != 0 {
		t.Fatalf("ctrl+u: %q at %d", l.Value(), l.Position())
	}
	l = lineInput{limit: 3}
	l = l.Update(tea.PasteMsg{Content: "abcdef"})
	if l.Value() != "abc" {
		t.Fatalf("limit: %q", l.Value())
	}
}

// The status TTL runs on Bubble Tea's real timer, under a fake clock.
func TestStatusTTLWithRealTick(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, newFakeRows(exampleRows(t)), 100, 30)
		h.m.tick = tea.Tick
		m, cmd := h.m.Update(keyMsg("y"))
		h.m = m.(Model)
		if h.m.statusText != "copied activity id" {
			t.Fatalf("status %q", h.m.statusText)
		}
		start := time.Now()
		var expired tea.Msg
		for _, c := range cmd().(tea.BatchMsg) {
			if msg, ok := c().(statusExpiredMsg); ok {
				expired = msg
			}
		}
		if expired == nil || time.Since(start) != statusTTL {
			t.Fatalf("expiry %v after %v", expired, time.Since(start))
		}
		h.send(expired)
		if h.m.statusText != "" {
			t.Fatal("status not cleared")
		}
	})
}

func TestSparkline(t *testing.T) {
	st := plainStyles()
	from := testNow.Add(-time.Hour)
	h := histModel{width: 8, loc: time.UTC, styles: &st, has: true}
	h.h.From, h.h.To, h.h.Buckets = from, testNow, []int{0, 1, 2, 4, 8, 16, 32, 64}
	h.marker, h.hasMarker = from.Add(40*time.Minute), true // bucket 5
	lines := strings.Split(ansi.Strip(h.View()), "\n")
	if lines[0] != " ▁▁▁▁▂▄█" {
		t.Fatalf("bars %q", lines[0])
	}
	if strings.IndexRune(lines[1], '▲') != 5 || len([]rune(lines[1])) != 8 {
		t.Fatalf("marker line %q", lines[1])
	}
}
