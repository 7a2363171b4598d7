package ui

import (
	"bytes"
	"claudit/ui/printer"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"claudit/feed"
	"claudit/store"
)

// Context (c): everything ±5 minutes around the event, across all
// actors, with the cursor on the event; esc returns to where it was.
func TestContextAndBack(t *testing.T) {
	const n = 2000
	src := synthSource(n)
	h := newHarness(t, src, 160, 48, withQuery("type:@keys"))
	for range 6 {
		h.key("pgdown")
	}
	r, _ := h.m.table.selected()
	h.key("c")
	wantQ := fmt.Sprintf("from:%s to:%s", r.CreatedAt.Add(-5*time.Minute).Format(time.RFC3339), r.CreatedAt.Add(5*time.Minute).Format(time.RFC3339))
	if got := h.m.query.String(); got != wantQ {
		t.Fatalf("context query %q, want %q", got, wantQ)
	}
	if h.selectedID() != r.ID {
		t.Fatalf("context: selected %s, want the event %s", h.selectedID(), r.ID)
	}
	types := map[string]bool{}
	for _, row := range h.m.table.rows {
		if row.CreatedAt.Before(r.CreatedAt.Add(-5*time.Minute)) || !row.CreatedAt.Before(r.CreatedAt.Add(5*time.Minute)) {
			t.Fatalf("row %s at %v outside the context", row.ID, row.CreatedAt)
		}
		types[row.Type] = true
	}
	if len(types) < 5 {
		t.Fatalf("context shows only %d types: it must drop the query's filters", len(types))
	}
	// [t-5m, t+5m) at one event a second; the event sits mid-screen with
	// what followed it above.
	h.mustContain("context ±5m of "+r.CreatedAt.Format("15:04:05"), "600 events")
	if row, body := h.m.table.cursor-h.m.table.offset, h.m.table.bodyHeight(); row < body/3 || row > body*2/3 {
		t.Fatalf("the event is on screen row %d of %d", row, body)
	}
	// Moving inside the context, then back: the cursor returns to the row
	// the analyst left, in the original query.
	h.key("j", "j")
	h.key("esc")
	if h.m.query.String() != "type:@keys" || h.selectedID() != r.ID {
		t.Fatalf("esc: query %q at %s, want type:@keys at %s", h.m.query.String(), h.selectedID(), r.ID)
	}
	if len(h.m.stack) != 0 || len(h.m.bar.crumbs) != 0 {
		t.Fatal("the stack must be empty again")
	}
}

func TestNote(t *testing.T) {
	src := newFakeRows(exampleRows(t))
	h := newHarness(t, src, 160, 48)
	h.key("j", "M")
	if h.overlayName() != "note" {
		t.Fatal("M opens the note editor")
	}
	h.typeText("abc")
	h.mustContain("✎ note on 14:01:58: abc")
	h.key("esc")
	id := h.selectedID()
	if src.marks[id] {
		t.Fatal("esc must not save")
	}
	h.key("M")
	h.typeText("deleted the SIEM key | =cmd")
	h.key("enter")
	if !src.marks[id] || src.notes[id] != "deleted the SIEM key | =cmd" {
		t.Fatalf("note not saved: %v %q", src.marks[id], src.notes[id])
	}
	h.mustContain("★ marked: deleted the SIEM key", "★1")
	// M again edits the existing note.
	h.key("M")
	if got := h.m.note.input.Value(); got != "deleted the SIEM key | =cmd" {
		t.Fatalf("M starts from the note: %q", got)
	}
	h.key("esc")
	// Unmarking drops the note and the count.
	h.key("m")
	if src.marks[id] || h.m.marked != 0 {
		t.Fatal("m unmarks")
	}
}

// Marks persist in the cache: mark, note, reopen, is:marked finds them.
func TestMarksPersistInCache(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	open := func() *store.Store {
		st, err := store.Open(ctx, path, store.WithNow(func() time.Time { return testNow }))
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	st := open()
	var acts []feed.Activity
	for _, r := range exampleRows(t) {
		acts = append(acts, r.Activity)
	}
	if _, err := st.Put(ctx, feed.Batch{Activities: acts, Covered: feed.Range{From: testNow.Add(-48 * time.Hour), To: testNow}}); err != nil {
		t.Fatal(err)
	}
	h := newHarnessSource(t, st, 160, 48)
	h.key("j")
	first := h.selectedID()
	h.key("m", "j", "M")
	second := h.selectedID()
	h.typeText("key created from 192.0.2.10 at night")
	h.key("enter")
	if h.m.marked != 2 {
		t.Fatalf("%d marked", h.m.marked)
	}
	h.key("q")
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st = open()
	defer st.Close()
	rows, err := st.Search(ctx, markedQuery(), testNow, store.Cursor{}, store.Older, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].ID != first || rows[1].ID != second || !rows[0].Marked ||
		rows[1].Note != "key created from 192.0.2.10 at night" {
		t.Fatalf("after reopening: %+v", rows)
	}
	// The query bar finds them with is:marked, and the count is back.
	h = newHarnessSource(t, st, 160, 48)
	if h.m.marked != 2 {
		t.Fatalf("marked count after reopening: %d", h.m.marked)
	}
	h.key("/", "ctrl+u")
	h.typeText("is:marked")
	h.key("enter")
	if len(h.m.table.rows) != 2 || h.m.table.rows[0].ID != first {
		t.Fatalf("is:marked shows %d rows", len(h.m.table.rows))
	}
	h.mustContain("★    09-15 14:01:58", "2 events")
	// Unmarking in an is:marked view drops the row.
	h.key("m")
	if len(h.m.table.rows) != 1 || h.m.marked != 1 {
		t.Fatalf("after unmark: %d rows, %d marked", len(h.m.table.rows), h.m.marked)
	}
}

// timelineRows are three marked example rows, one with a hostile note.
func timelineRows(t *testing.T) []store.Row {
	rows := exampleRows(t)
	out := []store.Row{rows[1], rows[3], rows[2]} // not in time order
	out[0].Note = "SIEM key deleted | by alice `x` <b>*bold*</b> [link](x)"
	out[1].Note = "=HYPERLINK(\"http://evil\") \x1b[31mred\u202e"
	out[2].Note = ""
	for i := range out {
		out[i].Marked = true
	}
	return out
}

func TestTimelineGolden(t *testing.T) {
	loc := time.FixedZone("CEST", 2*3600)
	rows := timelineRows(t)
	for _, c := range []struct{ format, golden string }{
		{printer.FormatMarkdown, "timeline_markdown"},
		{"md", "timeline_markdown"},
		{printer.FormatCSV, "timeline_csv"},
	} {
		var b bytes.Buffer
		if err := printer.WriteTimeline(&b, rows, c.format, loc); err != nil {
			t.Fatal(err)
		}
		requireGolden(t, c.golden, b.String())
		// Pure: the order of the input does not matter, and the input is
		// left alone.
		rev := slices.Clone(rows)
		slices.Reverse(rev)
		var b2 bytes.Buffer
		if err := printer.WriteTimeline(&b2, rev, c.format, loc); err != nil || b2.String() != b.String() {
			t.Fatalf("%s: the input order changed the output", c.format)
		}
		if rev[0].ID != rows[len(rows)-1].ID {
			t.Fatal("WriteTimeline sorted its input in place")
		}
		if strings.ContainsAny(b.String(), "\x1b\u202e") {
			t.Fatalf("%s: control characters got through", c.format)
		}
	}
	if err := printer.WriteTimeline(&bytes.Buffer{}, rows, "pdf", loc); err == nil || !strings.Contains(err.Error(), `"pdf"`) {
		t.Fatalf("unknown format: %v", err)
	}
}

// :timeline writes the marked events into ExportDir.
func TestTimelineFromPalette(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	src := newFakeRows(exampleRows(t))
	h := newHarness(t, src, 160, 48, withDeps(func(d *Deps) { d.ExportDir = dir }))
	h.key(":")
	h.typeText("timeline")
	h.key("enter")
	h.mustContain("timeline failed: no marked events")

	h.key("j", "m", "j", "M")
	h.typeText("created at night")
	h.key("enter")
	runTimeline := func(format string) string {
		h.key(":")
		h.typeText("timeline " + format)
		want := actTimelineMarkdown
		if format == "csv" {
			want = actTimelineCSV
		}
		if a, _ := h.m.palette.selected(); a != want {
			t.Fatalf("palette selects %v for %q", a, format)
		}
		h.key("enter")
		return h.m.statusText
	}
	status := runTimeline("csv")
	path := filepath.Join(dir, "claudit-timeline-20260915T150000Z.csv")
	if status != "timeline of 2 marked events written to "+path {
		t.Fatalf("status %q", status)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("timeline mode %v", fi.Mode())
	}
	marked, _ := markedRows(context.Background(), src, testNow)
	var want bytes.Buffer
	if err := printer.WriteTimeline(&want, marked, printer.FormatCSV, h.m.local); err != nil {
		t.Fatal(err)
	}
	if string(got) != want.String() || !strings.Contains(string(got), "created at night") {
		t.Fatalf("timeline file:\n%s\nwant:\n%s", got, want.String())
	}
	// The same second again: a new file, never an overwrite.
	status = runTimeline("csv")
	if !strings.HasSuffix(status, "claudit-timeline-20260915T150000Z-2.csv") {
		t.Fatalf("second timeline: %q", status)
	}
	// Redacting: the file masks personal data too.
	h.key("R")
	status = runTimeline("md")
	p := strings.TrimSuffix(strings.TrimPrefix(status, "timeline of 2 marked events written to "), " (redacted)")
	md, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (status %q)", err, status)
	}
	if strings.Contains(string(md), "alice.admin@example.com") || strings.Contains(string(md), "192.0.2.10") ||
		!strings.Contains(string(md), h.m.red.Field("email_address", "alice.admin@example.com")) {
		t.Fatalf("redacted timeline:\n%s", md)
	}
}

// exportCall records one Deps.Export call.
type exportCall struct {
	query, dir string
	red        *feed.Redactor
}

func TestExportFromUI(t *testing.T) {
	dir := t.TempDir()
	var calls []exportCall
	export := func(ctx context.Context, q feed.Query, d string, r *feed.Redactor) (string, error) {
		calls = append(calls, exportCall{q.String(), d, r})
		return d, os.Mkdir(d, 0o700)
	}
	h := newHarness(t, newFakeRows(exampleRows(t)), 160, 48, withDeps(func(d *Deps) {
		d.Export, d.ExportDir = export, dir
	}))
	h.key("ctrl+s")
	want := filepath.Join(dir, "claudit-evidence-20260915T150000Z")
	if len(calls) != 1 || calls[0].query != "since:24h" || calls[0].dir != want || calls[0].red != nil {
		t.Fatalf("ctrl+s: %+v", calls)
	}
	h.mustContain("evidence bundle of the current query written to " + want)
	// With marks, the marked events are exported; the taken name gets -2;
	// while redacting, the session's Redactor goes along.
	h.key("j", "m", "R", "ctrl+s")
	if len(calls) != 2 || calls[1].query != "is:marked" || calls[1].dir != want+"-2" || calls[1].red != h.m.red {
		t.Fatalf("ctrl+s with a mark: %+v", calls[1:])
	}
	h.mustContain("evidence bundle of 1 marked event written to", "(redacted)")
	// A failing export says why.
	h.m.deps.Export = func(context.Context, feed.Query, string, *feed.Redactor) (string, error) {
		return "", fmt.Errorf("disk full")
	}
	h.key("ctrl+s")
	h.mustContain("evidence bundle failed: disk full")
	// Without an Export hook ctrl+s is off and hidden.
	h2 := newHarness(t, newFakeRows(exampleRows(t)), 160, 48)
	if h2.m.keys.Export.Enabled() {
		t.Fatal("ctrl+s enabled without Deps.Export")
	}
}

// Without an ExportDir, ctrl+s and :timeline refuse and say why: nothing is
// written into the current directory.
func TestExportNeverIntoTheCurrentDirectory(t *testing.T) {
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadDir(cwd)
	if err != nil {
		t.Fatal(err)
	}
	var calls int
	export := func(_ context.Context, _ feed.Query, d string, _ *feed.Redactor) (string, error) {
		calls++
		return d, os.Mkdir(d, 0o700)
	}
	h := newHarness(t, newFakeRows(exampleRows(t)), 160, 48, withDeps(func(d *Deps) { d.Export = export }))
	h.key("ctrl+s")
	h.mustContain("evidence bundle failed: no evidence directory")
	h.key("j", "m", ":")
	h.typeText("timeline")
	h.key("enter")
	h.mustContain("timeline failed: no evidence directory")
	after, err := os.ReadDir(cwd)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 0 || len(after) != len(before) {
		t.Fatalf("%d exports ran, the current directory has %d entries, had %d", calls, len(after), len(before))
	}
}

// personalData returns every e-mail address and IP address in rows' raw
// JSON.
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

// tripRows are events that trip every rule, a burst of failed sign-ins
// and ordinary events, on Tuesday 2026-09-15 (UTC, the harness's zone).
func tripRows(t *testing.T) []store.Row {
	t.Helper()
	var rows []store.Row
	add := func(id, typ string, at time.Time, actor, extra string) {
		if extra != "" {
			extra = "," + extra
		}
		raw := fmt.Sprintf(`{"id":%q,"created_at":%q,"organization_id":"org_01EXAMPLEORG000000000002","organization_uuid":null,"actor":%s,"type":%q%s}`,
			id, at.Format(time.RFC3339), actor, typ, extra)
		var a feed.Activity
		if err := json.Unmarshal([]byte(raw), &a); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, toRow(a))
	}
	alice := `{"type":"user_actor","email_address":"alice.admin@example.com","user_id":"user_01ALICE","ip_address":"192.0.2.10"}`
	day := time.Date(2026, 9, 15, 0, 0, 0, 0, time.UTC)
	add("activity_01TRIP000000000000001", "admin_api_key_created", day.Add(14*time.Hour), alice, `"admin_api_key_id":"adminkey_01NEW","scopes":[]`)
	add("activity_01TRIP000000000000002", "org_compliance_api_settings_updated", day.Add(13*time.Hour+50*time.Minute), alice,
		`"compliance_api_enabled":null,"compliance_api_logging_enabled":false`)
	add("activity_01TRIP000000000000003", "org_sso_toggled", day.Add(13*time.Hour+40*time.Minute), alice, `"enabled":false`)
	add("activity_01TRIP000000000000004", "api_key_created", day.Add(3*time.Hour), alice, `"api_key_id":"apikey_01NIGHT","scopes":[],"restricted_to_organization":true`)
	add("activity_01TRIP000000000000005", "api_key_created", day.Add(10*time.Hour), alice, `"api_key_id":"apikey_01DAY","scopes":[],"restricted_to_organization":true`)
	for i := range 5 {
		add(fmt.Sprintf("activity_01TRIP00000000000001%d", i), "sso_login_failed", day.Add(2*time.Hour+time.Duration(i)*time.Minute),
			fmt.Sprintf(`{"type":"unauthenticated_user_actor","unauthenticated_email_address":"u%d@example.com","ip_address":"203.0.113.66"}`, i), "")
	}
	add("activity_01TRIP000000000000020", "sso_login_failed", day.Add(time.Hour),
		`{"type":"unauthenticated_user_actor","unauthenticated_email_address":"typo@example.com","ip_address":"192.0.2.200"}`, "")
	return rows
}

// selectID moves the cursor down to the row id.
func selectID(h *harness, id string) {
	h.t.Helper()
	for range 1000 {
		if h.selectedID() == id {
			return
		}
		h.key("j")
	}
	h.t.Fatalf("row %s not reached", id)
}

func TestTripwiresFlagged(t *testing.T) {
	h := newHarness(t, newFakeRows(tripRows(t)), 160, 48)
	flagged := map[string]bool{}
	for _, l := range strings.Split(h.screen(), "\n") {
		if len(l) > 2 && strings.Contains(l, "09-15 ") {
			fields := strings.Fields(l)
			flagged[fields[len(fields)-1]] = strings.HasPrefix(l, " !")
		}
	}
	wantTrip := map[string]bool{
		"activity_01TRIP000000000000001": true, "activity_01TRIP000000000000002": true, "activity_01TRIP000000000000003": true,
		"activity_01TRIP000000000000004": true, "activity_01TRIP000000000000005": false, "activity_01TRIP000000000000020": false,
	}
	for i := range 5 {
		wantTrip[fmt.Sprintf("activity_01TRIP00000000000001%d", i)] = true
	}
	for i, r := range h.m.table.rows {
		got := len(h.m.table.tripsOf(r)) > 0
		if got != wantTrip[r.ID] {
			t.Errorf("%s (%s): tripped %v, want %v", r.ID, r.Type, got, wantTrip[r.ID])
		}
		if line := strings.Split(h.m.table.View(), "\n")[i+1]; strings.Contains(line, "!") != wantTrip[r.ID] {
			t.Errorf("%s: flag column %q", r.ID, line[:20])
		}
	}
	// The detail pane names the rule.
	h.mustContain("! TRIPWIRE admin-key-created: an admin API key was created")
	selectID(h, "activity_01TRIP000000000000004")
	h.mustContain("! TRIPWIRE key-created-off-hours")
	selectID(h, "activity_01TRIP000000000000012")
	h.mustContain("! TRIPWIRE failed-sign-in-burst")
	requireGolden(t, "160x48_tripwires", h.screen())
}

func TestFacetsPivot(t *testing.T) {
	src := newFakeRows(exampleRows(t))
	src.facets = store.Facets{
		Actors: []store.FacetCount{{Value: "alice.admin@example.com", Count: 2}, {Value: "bob.dev@example.com", Count: 1}},
		Types:  []store.FacetCount{{Value: "scoped_api_key_deleted", Count: 1}, {Value: "api_key_created", Count: 1}},
		IPs:    []store.FacetCount{{Value: "192.0.2.10", Count: 2}, {Value: "198.51.100.77", Count: 2}},
		Keys:   []store.FacetCount{{Value: "apikey_01EXAMPLECONSOLE00000042", Count: 2}},
	}
	h := newHarness(t, src, 160, 48)
	h.key("s")
	if h.overlayName() != "facets" || src.callCount("Facets") != 1 {
		t.Fatal("s opens the facets of the query")
	}
	h.mustContain("TOP VALUES since:24h", "ACTORS", "TYPES", "IP ADDRESSES", "KEYS", "alice.admin@example.com", "198.51.100.77")
	requireGolden(t, "160x48_facets", h.screen())
	// Down to the second IP and pivot on it.
	for {
		it, _ := h.m.facets.selected()
		if it.value == "198.51.100.77" {
			break
		}
		h.key("j")
	}
	h.key("enter")
	if h.overlayName() != "none" || h.m.query.String() != "since:24h ip:198.51.100.77" || len(h.m.stack) != 1 {
		t.Fatalf("facet pivot: overlay %v, query %q", h.overlayName(), h.m.query.String())
	}
	for _, r := range h.m.table.rows {
		if r.Actor.IPAddress != "198.51.100.77" {
			t.Fatalf("row from %s after the ip pivot", r.Actor.IPAddress)
		}
	}
	h.key("esc")
	if h.m.query.String() != "since:24h" {
		t.Fatal("esc undoes a facet pivot")
	}
	// A key facet pivots on key:, and esc closes without pivoting.
	h.key("s", "G", "enter")
	if h.m.query.String() != "since:24h key:apikey_01EXAMPLECONSOLE00000042" {
		t.Fatalf("key facet: %q", h.m.query.String())
	}
	h.key("esc", "s", "esc")
	if h.overlayName() != "none" || h.m.query.String() != "since:24h" {
		t.Fatal("esc closes the facets")
	}
}

// Facets over the real store pivot the same way.
func TestFacetsRealStore(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "c.db"), store.WithNow(func() time.Time { return testNow }))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var acts []feed.Activity
	for _, r := range exampleRows(t) {
		acts = append(acts, r.Activity)
	}
	if _, err := st.Put(ctx, feed.Batch{Activities: acts}); err != nil {
		t.Fatal(err)
	}
	h := newHarnessSource(t, st, 160, 48)
	h.key("s")
	if len(h.m.facets.items) == 0 {
		t.Fatalf("no facets from the store: %v", h.m.facets.err)
	}
	h.key("enter") // the top actor
	it := h.m.stack[0]
	if it.query.String() != "since:24h" || !strings.HasPrefix(h.m.query.String(), "since:24h actor:") || len(h.m.table.rows) == 0 {
		t.Fatalf("pivot on the top actor: %q, %d rows", h.m.query.String(), len(h.m.table.rows))
	}
}
