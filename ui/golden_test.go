package ui

import (
	"testing"

	"claudit/store"

	"github.com/charmbracelet/x/exp/golden"
)

// requireGolden compares a colour-stripped screen with
// testdata/golden/<name>.golden through charmbracelet/x/exp/golden
// (-update rewrites the file instead).
func requireGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.RequireEqual(goldenName{t, "golden/" + name}, got)
}

// goldenName gives golden.RequireEqual, which names the file after the
// test, the file name the screens have.
type goldenName struct {
	*testing.T
	name string
}

// Name is the golden file's name under testdata.
func (g goldenName) Name() string { return g.name }

func TestGoldenScreens(t *testing.T) {
	rows := exampleRows(t)
	dossier := store.Dossier{
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
	for _, c := range []struct {
		name string
		w, h int
		keys []string
	}{
		{"80x24", 80, 24, nil},
		{"80x24_detail", 80, 24, []string{"j", "j", "j", "enter"}},
		{"80x24_query_error", 80, 24, []string{"/", "ctrl+u", "a", "c", "t", "o", "r", ":", "x", "@", "y", " ", "f", "o", "o", ":", "1"}},
		{"80x24_palette", 80, 24, []string{":", "c", "o", "p"}},
		{"160x48", 160, 48, []string{"j", "j", "j"}},
		{"160x48_pivot", 160, 48, []string{"j", "j", "enter", "j", "j", "enter"}},
		{"160x48_help", 160, 48, []string{"?"}},
		{"160x48_dossier", 160, 48, []string{"j", "j", "j", "tab", "j", "j", "K"}},
		{"59x20_too_small", 59, 20, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := newFakeRows(rows)
			src.dossiers = map[string]store.Dossier{dossier.KeyID: dossier}
			h := newHarness(t, src, c.w, c.h)
			for _, k := range c.keys {
				if k == " " {
					k = "space"
				}
				h.key(k)
			}
			requireGolden(t, c.name, h.screen())
		})
	}
}

// The analyst's column choice (Deps.Columns) sets which columns show and
// in which order; the flags column stays first.
func TestGoldenCustomColumns(t *testing.T) {
	rows := exampleRows(t)
	for _, c := range []struct {
		name string
		w, h int
		cols []string
	}{
		{"80x24_columns", 80, 24, []string{"actor", "type", "ip", "time"}},
		{"160x48_columns", 160, 48, []string{"time", "ip", "actor"}},
		{"60x15_columns_narrow", 60, 15, []string{"org", "time", "target", "actor"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, newFakeRows(rows), c.w, c.h, withDeps(func(d *Deps) { d.Columns = c.cols }))
			h.key("j")
			requireGolden(t, c.name, h.screen())
		})
	}
}
