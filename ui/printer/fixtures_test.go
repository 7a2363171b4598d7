package printer

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"claudit/feed"
	"claudit/store"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// testTheme paints with a few colours, as the CLI's theme does.
var testTheme = &Theme{
	Header: lipgloss.NewStyle().Bold(true),
	Time:   lipgloss.NewStyle().Foreground(lipgloss.Color("#7D8590")),
	Dim:    lipgloss.NewStyle().Faint(true),
	Label:  lipgloss.NewStyle().Foreground(lipgloss.Color("#7D8590")),
	Change: lipgloss.NewStyle().Foreground(lipgloss.Color("#E3B341")),
	Bar:    lipgloss.NewStyle().Foreground(lipgloss.Color("#79C0FF")),
	Type:   func(string) lipgloss.Style { return lipgloss.NewStyle().Foreground(lipgloss.Color("#56D4DD")) },
}

// themed is testTheme when color is set, else nil (plain).
func themed(color bool) *Theme {
	if color {
		return testTheme
	}
	return nil
}

// exampleRows decodes the documented example pages (testdata/examples).
func exampleRows(t testing.TB) []store.Row {
	t.Helper()
	var rows []store.Row
	for _, name := range []string{"page-mixed.json", "page-final.json"} {
		var page struct{ Data []feed.Activity }
		b, err := os.ReadFile(filepath.Join("testdata", "examples", name))
		if err == nil {
			err = json.Unmarshal(b, &page)
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, a := range page.Data {
			rows = append(rows, store.Row{Activity: a, Group: feed.Catalogue().Group(a.Type)})
		}
	}
	return rows
}

// hostileRows carries terminal escapes, bidi overrides and a 64 KiB value
// in every field a printer shows, once as valid JSON and once as the raw
// bytes a corrupt cache could hold.
func hostileRows(t testing.TB) []store.Row {
	t.Helper()
	big := strings.Repeat("A\x1b[2J\u202e", 64*1024/6)
	at := time.Date(2026, 9, 15, 14, 50, 0, 0, time.UTC)
	var rows []store.Row
	for i, h := range []string{"\x1b[31m", "\x1b]52;c;aGk=\x07", "\u009b", "\u202e", "\u200b", big} {
		b, err := json.Marshal(map[string]any{
			"id": fmt.Sprintf("activity_01HOSTILE%04d", i), "type": "scoped_api_key_updated",
			"created_at":      at.Add(-time.Duration(i) * time.Minute).Format(time.RFC3339),
			"organization_id": "org_" + h,
			"actor": map[string]any{"type": "user_actor", "email_address": "mallory" + h + "@example.com",
				"user_id": "user_" + h, "ip_address": "203.0.113.9" + h, "user_agent": "ua" + h},
			"api_key_id": "apikey_" + h, "api_key_name": "name" + h,
			"updates": []map[string]any{{"type": "name" + h, "previous_value": "old" + h, "current_value": "new" + h}},
		})
		if err != nil {
			t.Fatal(err)
		}
		var a feed.Activity
		if err := json.Unmarshal(b, &a); err != nil {
			t.Fatal(err)
		}
		row := store.Row{Activity: a, Group: feed.Catalogue().Group(a.Type)}
		bad := row
		bad.ID, bad.Type, bad.Group = fmt.Sprintf("activity_01HOSTILEX%04d", i), "type"+h, "other"
		bad.CreatedAt = bad.CreatedAt.Add(-30 * time.Second)
		bad.Raw = []byte(`{"id":"` + bad.ID + `","ua":"` + h + `"}`)
		bad.Note = "note" + h
		rows = append(rows, row, bad)
	}
	return rows
}

// sgr matches the only escape sequences a coloured printer may write.
var sgr = regexp.MustCompile(`\x1b\[[0-9;:]*m`)

// checkFrame fails if out could act on a terminal: plain output holds no
// escape at all, coloured output only SGR colours; the text itself holds
// no control, bidi, zero-width or invalid character.
func checkFrame(t *testing.T, what, out string, plain bool) {
	t.Helper()
	text := out
	if !plain {
		text = sgr.ReplaceAllString(out, "")
		if ansi.Strip(out) != text {
			t.Fatalf("%s: an escape other than SGR colour", what)
		}
	}
	for i, r := range text {
		bad := r < 0x20 && r != '\n' || r == 0x7f || r >= 0x80 && r <= 0x9f || r == utf8.RuneError ||
			r == 0x061c || r >= 0x200b && r <= 0x200f || r >= 0x202a && r <= 0x202e ||
			r >= 0x2060 && r <= 0x2069 || r == 0xfeff || r == 0x2028 || r == 0x2029
		if bad {
			t.Fatalf("%s: forbidden rune %U at byte %d: %q", what, r, i, text[max(0, i-20):min(len(text), i+20)])
		}
	}
}

// personalData is every e-mail address and IPv4 address in the rows' raw
// JSON: what redaction must hide.
func personalData(rows []store.Row) []string {
	re := regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[a-z]{2,}|\b\d{1,3}(?:\.\d{1,3}){3}\b`)
	seen := map[string]bool{}
	var out []string
	for _, r := range rows {
		for _, v := range re.FindAllString(string(r.Raw), -1) {
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	return out
}
