package printer

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"claudit/feed"
	"claudit/store"
)

// TestRedactPrinters checks the CLI's choke point: with a Redactor every
// format of `claudit query` and both of `claudit key` mask what the
// redacted explorer masks, with the same masks and the same rows.
func TestRedactPrinters(t *testing.T) {
	rows := exampleRows(t)
	pii := append(personalData(rows), "apikey_01EXAMPLEOLDSIEM00000003")
	red := feed.NewRedactor([]byte("print"))
	mail := red.Field("email_address", "alice.admin@example.com")
	for _, format := range RowFormats() {
		plain := printRows(t, format, rows, PrintOptions{Width: 200})
		masked := printRows(t, format, rows, PrintOptions{Width: 200, Redactor: red})
		for _, v := range pii {
			if format == FormatNDJSON && !strings.Contains(plain, v) {
				t.Fatalf("%s: the unredacted output lacks %q, the test proves nothing", format, v)
			}
			if strings.Contains(masked, v) {
				t.Fatalf("%s: %q printed while redacting:\n%s", format, v, masked)
			}
		}
		if !strings.Contains(masked, mail) {
			t.Fatalf("%s: the mask %s is not printed:\n%s", format, mail, masked)
		}
		if a, b := strings.Count(plain, "\n"), strings.Count(masked, "\n"); a != b {
			t.Fatalf("%s: %d lines unredacted, %d redacted", format, a, b)
		}
		if format == FormatJSON {
			var back []json.RawMessage
			if err := json.Unmarshal([]byte(masked), &back); err != nil || len(back) != len(rows) {
				t.Fatalf("redacted json: %d elements, %v", len(back), err)
			}
		}
	}
	d := store.Dossier{KeyID: "apikey_01EXAMPLEOLDSIEM00000003", Name: "ci for alice.admin@example.com",
		Lifecycle: []store.LifecycleEvent{{Row: rows[2], Action: "created",
			Change: []feed.Update{{Type: "name", Previous: json.RawMessage(`"x"`), Current: json.RawMessage(`"alice.admin@example.com"`)}}}},
		IPs: []store.FacetCount{{Value: "192.0.2.10", Count: 1}}, UserAgents: []store.FacetCount{{Value: "curl/8.5.0", Count: 1}}}
	for _, json := range []bool{false, true} {
		var buf bytes.Buffer
		opt := PrintOptions{Width: 120, Redactor: red}
		var err error
		if json {
			err = WriteDossierJSON(&buf, d, opt)
		} else {
			err = WriteDossier(&buf, d, opt)
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range append(pii, "curl/8.5.0") {
			if strings.Contains(buf.String(), v) {
				t.Fatalf("dossier (json %v): %q printed while redacting:\n%s", json, v, buf.String())
			}
		}
		if !strings.Contains(buf.String(), mail) || !strings.Contains(buf.String(), red.Field("api_key_id", d.KeyID)) {
			t.Fatalf("dossier (json %v) lacks the masks:\n%s", json, buf.String())
		}
	}
}
