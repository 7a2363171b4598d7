package printer

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestOCSFLines: one OCSF event per row and line, in the rows' order, with
// the row's id and the time the cache stored it, and, like the table,
// nothing a terminal could act on even for hostile and corrupt rows.
func TestOCSFLines(t *testing.T) {
	rows := append(exampleRows(t), hostileRows(t)...)
	stored := time.Date(2026, 12, 1, 2, 3, 4, 5e6, time.UTC)
	for i := range rows {
		rows[i].Ingested = stored
	}
	out := printRows(t, FormatOCSF, rows, PrintOptions{})
	checkFrame(t, "ocsf", out, true)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(rows) {
		t.Fatalf("%d lines for %d rows", len(lines), len(rows))
	}
	for i, line := range lines {
		var ev struct {
			ClassUID *int `json:"class_uid"`
			Metadata struct {
				UID        string `json:"uid"`
				Version    string `json:"version"`
				LoggedTime int64  `json:"logged_time"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("line %d: %v\n%.200s", i, err, line)
		}
		if ev.Metadata.UID != rows[i].ID || ev.Metadata.Version != "1.6.0" || ev.ClassUID == nil ||
			ev.Metadata.LoggedTime != stored.UnixMilli() {
			t.Errorf("line %d: %+v for row %s", i, ev, rows[i].ID)
		}
	}
}
