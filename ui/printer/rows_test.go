package printer

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"claudit/feed"
	"claudit/store"

	"github.com/charmbracelet/x/ansi"
)

// printRows renders rows in format and returns the output.
func printRows(t *testing.T, format string, rows []store.Row, opt PrintOptions) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewRowWriter(format, &buf, opt)
	if err != nil {
		t.Fatal(err)
	}
	// Two batches, to exercise streaming.
	half := len(rows) / 2
	if err := w.WriteRows(rows[:half]); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRows(rows[half:]); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestNewRowWriterRejectsUnknownFormat(t *testing.T) {
	if _, err := NewRowWriter("xml", &bytes.Buffer{}, PrintOptions{}); err == nil || !strings.Contains(err.Error(), "table, json, ndjson, csv") {
		t.Fatalf("err = %v, want the list of formats", err)
	}
}

func TestNDJSONAndJSONAreRawBytes(t *testing.T) {
	rows := exampleRows(t)
	got := printRows(t, FormatNDJSON, rows, PrintOptions{})
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != len(rows) {
		t.Fatalf("%d lines for %d rows", len(lines), len(rows))
	}
	for i, r := range rows {
		// The examples are pretty-printed: a line holds the same JSON
		// without the whitespace between tokens.
		want, err := feed.RawLine(r.Raw)
		if err != nil {
			t.Fatal(err)
		}
		if lines[i] != string(want) {
			t.Fatalf("line %d differs from the raw activity:\n got %s\nwant %s", i, lines[i], want)
		}
		if !bytes.ContainsAny(r.Raw, "\n") && lines[i] != string(r.Raw) {
			t.Fatalf("line %d: a one-line raw activity was changed", i)
		}
	}

	arr := printRows(t, FormatJSON, rows, PrintOptions{})
	var decoded []json.RawMessage
	if err := json.Unmarshal([]byte(arr), &decoded); err != nil {
		t.Fatalf("json output is not an array: %v", err)
	}
	for i, r := range rows {
		if want, _ := feed.RawLine(r.Raw); !bytes.Equal(decoded[i], want) {
			t.Fatalf("element %d differs from the raw activity", i)
		}
	}
	if empty := printRows(t, FormatJSON, nil, PrintOptions{}); empty != "[]\n" {
		t.Fatalf("empty json = %q, want []", empty)
	}
}

func TestCSVIsRFC4180AndDefused(t *testing.T) {
	rows := exampleRows(t)
	// A hostile user agent: a formula, a quote, a comma and a newline.
	evil := rows[0]
	evil.Actor.UserAgent = "=HYPERLINK(\"http://evil\",\"x\"),\nnext"
	rows = append([]store.Row{evil}, rows...)
	out := printRows(t, FormatCSV, rows, PrintOptions{Loc: time.UTC})
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("output is not valid CSV: %v", err)
	}
	if strings.Join(recs[0], ",") != strings.Join(csvColumns(false), ",") {
		t.Fatalf("header = %v", recs[0])
	}
	if len(recs) != len(rows)+1 {
		t.Fatalf("%d records for %d rows", len(recs)-1, len(rows))
	}
	ua := recs[1][7]
	if !strings.HasPrefix(ua, "'=") || strings.Contains(ua, "\n") {
		t.Fatalf("user agent cell = %q: want the formula defused and the newline escaped", ua)
	}
	for i, r := range rows {
		if recs[i+1][0] != r.ID || recs[i+1][1] != r.CreatedAt.UTC().Format(time.RFC3339Nano) {
			t.Fatalf("record %d = %v", i, recs[i+1][:2])
		}
	}
	if hdr := printRows(t, FormatCSV, nil, PrintOptions{}); hdr != strings.Join(csvColumns(false), ",")+"\n" {
		t.Fatalf("empty csv = %q, want the header only", hdr)
	}
}

func TestTableAlignedAndSanitised(t *testing.T) {
	rows := append(exampleRows(t), hostileRows(t)...)
	for _, color := range []bool{false, true} {
		out := printRows(t, FormatTable, rows, PrintOptions{Loc: time.UTC, Theme: themed(color)})
		checkFrame(t, fmt.Sprintf("table color=%v", color), out, !color)
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != len(rows)+1 {
			t.Fatalf("%d lines for %d rows", len(lines)-1, len(rows))
		}
		if !color && strings.Contains(out, "\x1b") {
			t.Fatal("escape sequence in a table without colour")
		}
		if color && !strings.Contains(out, "\x1b[") {
			t.Fatal("no colour in a coloured table")
		}
		// Every column starts at the same cell on every line.
		header := ansi.Strip(lines[0])
		for _, title := range []string{"TYPE", "ACTOR", "TARGET", "IP"} {
			col := strings.Index(header, title)
			for i, l := range lines[1:] {
				plain := ansi.Strip(l)
				cells := []rune(plain)
				prefix := ansi.StringWidth(string(cells[:min(len(cells), col)]))
				if prefix != col || col > 0 && cells[col-1] != ' ' {
					t.Fatalf("%s: line %d: column %s not aligned at %d:\n%s\n%s", title, i+1, title, col, header, plain)
				}
			}
		}
	}
	// The hostile payloads are visible, escaped.
	out := printRows(t, FormatTable, hostileRows(t), PrintOptions{Loc: time.UTC})
	if !strings.Contains(out, `\x1b[31m`) || !strings.Contains(out, `\u202e`) {
		t.Fatalf("hostile text not shown escaped:\n%.400s", out)
	}
}

func TestTableFitsTheTerminal(t *testing.T) {
	rows := append(exampleRows(t), hostileRows(t)...)
	for _, width := range []int{200, 120, 100, 80, 60} {
		out := printRows(t, FormatTable, rows, PrintOptions{Width: width, Loc: time.UTC})
		for i, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			if w := ansi.StringWidth(l); w > width {
				t.Fatalf("width %d: line %d is %d cells:\n%s", width, i, w, l)
			}
		}
		header := strings.SplitN(out, "\n", 2)[0]
		if !strings.HasPrefix(header, "TIME") || !strings.Contains(header, "TYPE") || !strings.Contains(header, "ACTOR") {
			t.Fatalf("width %d: essential columns missing: %q", width, header)
		}
		if width <= 80 && strings.Contains(header, "SUMMARY") {
			t.Fatalf("width %d: the summary should be dropped first: %q", width, header)
		}
	}
}

func TestTableTimeShowsOffset(t *testing.T) {
	rows := exampleRows(t)[:1]
	zone := time.FixedZone("IST", 5*3600+1800)
	out := printRows(t, FormatTable, rows, PrintOptions{Loc: zone})
	want := rows[0].CreatedAt.In(zone).Format("2006-01-02 15:04:05") + " +05:30"
	if !strings.Contains(out, want) {
		t.Fatalf("table does not show %q:\n%s", want, out)
	}
	out = printRows(t, FormatTable, rows, PrintOptions{})
	if !strings.Contains(out, rows[0].CreatedAt.UTC().Format("15:04:05")+" +00:00") {
		t.Fatalf("UTC table lacks +00:00:\n%s", out)
	}
}

func TestTerminalSafeJSON(t *testing.T) {
	in := map[string]string{"a": "x\u009b31m\u202egpj.exe\u200b\U000e0041\x1b"}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, in); err != nil {
		t.Fatal(err)
	}
	checkFrame(t, "json", buf.String(), true)
	var back map[string]string
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatalf("escaped JSON no longer parses: %v\n%s", err, buf.String())
	}
	if back["a"] != in["a"] {
		t.Fatalf("escaped JSON means something else: %q", back["a"])
	}
	if plain := []byte(`{"a":"b"}`); !bytes.Equal(TerminalSafeJSON(plain), plain) {
		t.Fatal("ASCII JSON changed")
	}
}

// testDossier is a dossier with a hostile actor in its lifecycle.
func testDossier(t *testing.T) store.Dossier {
	rows := hostileRows(t)
	r := rows[0]
	return store.Dossier{
		KeyID: "apikey_01TEST", KeyKind: "compliance/scoped", Name: "SIEM \u202eexport",
		Lifecycle: []store.LifecycleEvent{{Row: r, Action: "deactivated", Change: []feed.Update{{
			Type: "activation_state", Previous: json.RawMessage(`"active"`), Current: json.RawMessage(`"inactive"`)}}}},
		ActedCount: 3, FirstSeen: r.CreatedAt.Add(-time.Hour), LastSeen: r.CreatedAt,
		ByType: []store.FacetCount{{Value: "claude_chat_viewed", Count: 3}},
		IPs:    []store.FacetCount{{Value: "203.0.113.66", Count: 3}}, Mentions: 4,
	}
}

func TestWriteDossier(t *testing.T) {
	d := testDossier(t)
	for _, color := range []bool{false, true} {
		var buf bytes.Buffer
		if err := WriteDossier(&buf, d, PrintOptions{Theme: themed(color), Width: 100}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		checkFrame(t, "dossier", out, !color)
		plain := ansi.Strip(out)
		for _, want := range []string{"KEY apikey_01TEST", "(compliance/scoped)", `\u202e`, "LIFECYCLE", "deactivated",
			"activation_state: active → inactive", "user agent: ua", "WHAT IT DID", "events 3", "claude_chat_viewed", "203.0.113.66"} {
			if !strings.Contains(plain, want) {
				t.Fatalf("dossier lacks %q:\n%s", want, plain)
			}
		}
		for i, l := range strings.Split(strings.TrimSuffix(plain, "\n"), "\n") {
			if ansi.StringWidth(l) > 100 {
				t.Fatalf("line %d wider than 100: %q", i, l)
			}
		}
	}
	var empty bytes.Buffer
	if err := WriteDossier(&empty, store.Dossier{KeyID: "apikey_01NONE"}, PrintOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(empty.String(), "no event that mentions this key") {
		t.Fatalf("empty dossier: %s", empty.String())
	}
}

func TestDossierJSON(t *testing.T) {
	d := testDossier(t)
	var buf bytes.Buffer
	if err := WriteDossierJSON(&buf, d, PrintOptions{}); err != nil {
		t.Fatal(err)
	}
	checkFrame(t, "dossier json", buf.String(), true)
	var back DossierJSON
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.KeyID != d.KeyID || back.Name != d.Name || len(back.Lifecycle) != 1 || back.Activity.Count != 3 {
		t.Fatalf("round trip lost data: %+v", back)
	}
	ch := back.Lifecycle[0].Changes[0]
	if ch.Field != "activation_state" || string(ch.Previous) != `"active"` || string(ch.Current) != `"inactive"` {
		t.Fatalf("change = %+v", ch)
	}
	if back.Lifecycle[0].Actor.IP != d.Lifecycle[0].Row.Actor.IPAddress {
		t.Fatal("actor ip lost")
	}
}

func TestProgressBar(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	clock := now
	window := feed.Range{From: now.Add(-10 * time.Hour), To: now}
	var buf bytes.Buffer
	b := NewProgressBar(&buf, ProgressOptions{Width: 120, Window: window, Covered: 0.5, Now: func() time.Time { return clock }})
	if f := b.Fraction(); f != 0.5 {
		t.Fatalf("initial fraction = %v, want the covered 0.5", f)
	}
	gap := feed.Range{From: now.Add(-5 * time.Hour), To: now}
	b.Update(feed.Progress{Phase: "window", Window: gap, Reached: now.Add(-1 * time.Hour), Pages: 3, Events: 12345, Retries: 2,
		RateLimit: feed.RateLimit{Limit: 600, Remaining: 580, Known: true}})
	if f := b.Fraction(); f != 0.6 {
		t.Fatalf("fraction = %v, want 0.6 (half covered + 1h of 10h)", f)
	}
	line := b.Line()
	for _, want := range []string{" 60%", "reached 2026-11-25 11:00 +00:00", "12,345 events", "3 pages", "2 retries", "budget 580/600"} {
		if !strings.Contains(line, want) {
			t.Fatalf("line %q lacks %q", line, want)
		}
	}
	// Redraws are throttled; a retry is shown at once.
	drawn := buf.Len()
	b.Update(feed.Progress{Phase: "window", Window: gap, Reached: now.Add(-2 * time.Hour)})
	if buf.Len() != drawn {
		t.Fatal("redrew within 100ms")
	}
	b.Retry(feed.RetryEvent{Attempt: 1, Wait: 2 * time.Second, Status: 429})
	if !strings.Contains(buf.String()[drawn:], "retrying in 2s (HTTP 429)") {
		t.Fatalf("retry not drawn: %q", buf.String()[drawn:])
	}
	clock = clock.Add(time.Second)
	b.Update(feed.Progress{Phase: "window", Window: gap, Reached: gap.From})
	if f := b.Fraction(); f != 1 {
		t.Fatalf("fraction at the end of the only gap = %v, want 1", f)
	}
	b.Finish()
	if !strings.HasSuffix(buf.String(), "\r\x1b[2K") {
		t.Fatal("Finish did not erase the line")
	}
	narrow := NewProgressBar(&bytes.Buffer{}, ProgressOptions{Width: 30, Window: window})
	narrow.Update(feed.Progress{Phase: "window", Window: gap, Reached: now.Add(-time.Hour), Events: 5})
	if w := ansi.StringWidth(narrow.Line()); w > 29 {
		t.Fatalf("line is %d cells in a 30-cell terminal", w)
	}
	open := NewProgressBar(&bytes.Buffer{}, ProgressOptions{Window: feed.Range{To: now}})
	if open.Fraction() != -1 || !strings.HasPrefix(open.Line(), "syncing") {
		t.Fatalf("open window: fraction %v, line %q", open.Fraction(), open.Line())
	}
}

func TestSyncSummaryAndCounts(t *testing.T) {
	w := feed.Range{From: time.Date(2026, 10, 26, 12, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 25, 11, 59, 0, 0, time.UTC)}
	s := SyncSummary(feed.RunSummary{Pages: 12, Events: 53211, Inserted: 53100, Late: 2, Retries: 1}, w,
		feed.RateLimit{Limit: 600, Remaining: 588, Known: true}, 4100*time.Millisecond)
	want := "synced 2026-10-26 12:00 → 2026-11-25 11:59 UTC: 12 pages, 53,211 events (53,100 new, 2 late), 1 retry, budget 588/600, in 4.1s"
	if s != want {
		t.Fatalf("summary\n got %q\nwant %q", s, want)
	}
	if s := SyncSummary(feed.RunSummary{}, w, feed.RateLimit{}, 0); !strings.Contains(s, "already covers") {
		t.Fatalf("no-op summary = %q", s)
	}
	for n, want := range map[int]string{0: "0 activities", 1: "1 activity", 1234567: "1,234,567 activities", -1000: "-1,000 activities"} {
		if got := Count(n, "activity"); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}

// printBenchRows is n rows cycling through the documented examples.
func printBenchRows(b *testing.B, n int) []store.Row {
	ex := exampleRows(b)
	rows := make([]store.Row, n)
	for i := range rows {
		rows[i] = ex[i%len(ex)]
	}
	return rows
}

func BenchmarkPrintFormats(b *testing.B) {
	rows := printBenchRows(b, 10_000)
	for _, format := range RowFormats() {
		b.Run(format, func(b *testing.B) {
			for b.Loop() {
				w, err := NewRowWriter(format, io.Discard, PrintOptions{Width: 160})
				if err != nil {
					b.Fatal(err)
				}
				for i := 0; i < len(rows); i += 1000 {
					if err := w.WriteRows(rows[i : i+1000]); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(rows))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
