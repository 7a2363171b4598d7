package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"claudit/feed"
)

// mkAct builds an activity with the given fields; extra is appended to the
// JSON object (e.g. `,"api_key_id":"apikey_…"`).
func mkAct(t testing.TB, id string, at time.Time, typ, actor, extra string) feed.Activity {
	t.Helper()
	raw := fmt.Sprintf(`{"id":%q,"created_at":%q,"organization_id":"org_01TESTORG00000001","organization_uuid":"11111111-2222-4333-8444-000000000001","actor":%s,"type":%q%s}`,
		id, at.UTC().Format(time.RFC3339Nano), actor, typ, extra)
	var a feed.Activity
	if err := a.UnmarshalJSON([]byte(raw)); err != nil {
		t.Fatalf("bad test activity %s: %v", raw, err)
	}
	return a
}

func userActor(email, userID string) string {
	return fmt.Sprintf(`{"type":"user_actor","email_address":%q,"user_id":%q,"ip_address":"192.0.2.10","user_agent":"Mozilla/5.0 test"}`, email, userID)
}

func apiActor(key, ip string) string {
	return fmt.Sprintf(`{"type":"api_actor","api_key_id":%q,"ip_address":%q,"user_agent":"claudit/test"}`, key, ip)
}

func allIDs(t testing.TB, s *Store) []string {
	t.Helper()
	rows, err := s.Search(context.Background(), feed.Query{}, testNow, Cursor{}, Older, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids
}

// wantOrder is the brute-force newest-first order of acts by (created_at, id).
func wantOrder(acts []feed.Activity) []string {
	sorted := slices.Clone(acts)
	slices.SortFunc(sorted, func(a, b feed.Activity) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	ids := make([]string, 0, len(sorted))
	for i, a := range sorted {
		if i > 0 && a.ID == sorted[i-1].ID {
			continue
		}
		ids = append(ids, a.ID)
	}
	return ids
}

func TestIngestIdempotentAnyOrder(t *testing.T) {
	s := openTest(t)
	acts, _ := simActivities(t, 3, 1500, testNow)
	// Reordered pages with overlaps, then everything again.
	shuffled := slices.Clone(acts)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	first := putPages(t, s, shuffled[:1000], 300)
	second := putPages(t, s, acts, 450)
	if first.Inserted != 1000 || second.Inserted != len(acts)-1000 || second.Duplicate != 1000 {
		t.Fatalf("first %+v second %+v", first, second)
	}
	third := putPages(t, s, append(slices.Clone(acts[:10]), acts[:10]...), 100)
	if third.Inserted != 0 || third.Duplicate != 20 || third.Anomalies != 0 {
		t.Fatalf("re-ingest with in-page duplicates: %+v", third)
	}
	if got, want := allIDs(t, s), wantOrder(acts); !slices.Equal(got, want) {
		t.Fatalf("cache holds %d ids, want %d (order or content differs)", len(got), len(want))
	}
	// Raw JSON is kept byte for byte.
	for _, a := range acts[:50] {
		r, err := s.Get(context.Background(), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if string(r.Raw) != string(a.Raw) {
			t.Fatalf("%s: raw changed", a.ID)
		}
	}
	if _, err := s.Get(context.Background(), "activity_nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get(missing) = %v, want ErrNotFound", err)
	}
}

func TestAnomaliesKeptOnce(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	a := mkAct(t, "activity_01A", testNow.Add(-time.Hour), "claude_chat_viewed", userActor("a@example.com", "user_01AAAAAAAAAA"), `,"claude_chat_id":"claude_chat_01XXXXXXXXXX"`)
	changed := mkAct(t, "activity_01A", testNow.Add(-time.Hour), "claude_chat_viewed", userActor("a@example.com", "user_01AAAAAAAAAA"), `,"claude_chat_id":"claude_chat_01YYYYYYYYYY"`)
	if res, err := s.Put(ctx, feed.Batch{Activities: []feed.Activity{a}}); err != nil || res.Inserted != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	res, err := s.Put(ctx, feed.Batch{Activities: []feed.Activity{changed, changed}, RunID: 7})
	if err != nil || res.Anomalies != 2 || res.Inserted != 0 {
		t.Fatalf("changed duplicate: %+v %v", res, err)
	}
	got, err := s.Get(ctx, "activity_01A")
	if err != nil || string(got.Raw) != string(a.Raw) {
		t.Fatalf("first copy not kept: %v", err)
	}
	var n int
	if err := s.r.QueryRow(`SELECT count(*) FROM anomalies WHERE id = 'activity_01A' AND run_id = 7 AND json = ?`, string(changed.Raw)).Scan(&n); err != nil || n != 2 {
		t.Fatalf("anomalies recorded: %d %v", n, err)
	}
	// The new mention is not indexed: the kept copy is the truth.
	q, _ := feed.Parse("id:claude_chat_01YYYYYYYYYY")
	if n, _, err := s.Count(ctx, q, testNow, 0); err != nil || n != 0 {
		t.Fatalf("anomaly content indexed: %d %v", n, err)
	}
}

func TestLateFlag(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	covered := feed.Range{From: testNow.Add(-2 * time.Hour), To: testNow.Add(-time.Hour)}
	page := []feed.Activity{mkAct(t, "activity_01P", testNow.Add(-90*time.Minute), "user_logged_in", userActor("a@example.com", "user_01AAAAAAAAAA"), "")}
	if res, err := s.Put(ctx, feed.Batch{Filter: "activity_types[]=x", Activities: page, Covered: covered}); err != nil || res.Late != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	late := mkAct(t, "activity_01L", testNow.Add(-80*time.Minute), "user_logged_in", userActor("a@example.com", "user_01AAAAAAAAAA"), "")
	outside := mkAct(t, "activity_01O", testNow.Add(-30*time.Minute), "user_logged_in", userActor("a@example.com", "user_01AAAAAAAAAA"), "")
	// Another filter's coverage does not make a row late…
	res, err := s.Put(ctx, feed.Batch{Filter: "activity_types[]=y", Activities: []feed.Activity{late, outside}})
	if err != nil || res.Late != 0 || res.Inserted != 2 {
		t.Fatalf("other filter: %+v %v", res, err)
	}
	// …but the same filter's, or the unfiltered one, does.
	late2 := mkAct(t, "activity_01M", testNow.Add(-70*time.Minute), "user_logged_in", userActor("a@example.com", "user_01AAAAAAAAAA"), "")
	res, err = s.Put(ctx, feed.Batch{Filter: "activity_types[]=x", Activities: []feed.Activity{late2}})
	if err != nil || res.Late != 1 {
		t.Fatalf("same filter: %+v %v", res, err)
	}
	if _, err := s.Put(ctx, feed.Batch{Covered: feed.Range{From: testNow.Add(-10 * time.Hour), To: testNow.Add(-9 * time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	late3 := mkAct(t, "activity_01N", testNow.Add(-570*time.Minute), "user_logged_in", userActor("a@example.com", "user_01AAAAAAAAAA"), "")
	if res, err := s.Put(ctx, feed.Batch{Filter: "activity_types[]=z", Activities: []feed.Activity{late3}}); err != nil || res.Late != 1 {
		t.Fatalf("unfiltered coverage: %+v %v", res, err)
	}
	q, _ := feed.Parse("is:late")
	rows, err := s.Search(ctx, q, testNow, Cursor{}, Older, 10)
	if err != nil || len(rows) != 2 || rows[0].ID != "activity_01M" || rows[1].ID != "activity_01N" || !rows[0].Late {
		t.Fatalf("is:late = %v %v", ids(rows), err)
	}
}

func ids(rows []Row) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.ID
	}
	return out
}

func TestSelfEvents(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	own, other := "apikey_01OWNKEY000000000001", "apikey_01SIEMKEY00000000001"
	cac := func(id string, at time.Duration, key, req string) feed.Activity {
		a := mkAct(t, id, testNow.Add(-at), "compliance_api_accessed", apiActor(key, "198.51.100.20"),
			fmt.Sprintf(`,"request_id":%q,"request_method":"GET","status_code":200,"url":"/v1/compliance/activities","request_body":null`, req))
		return a
	}
	// An old poll by our key, before claudit knows the key is its own.
	if _, err := s.Put(ctx, feed.Batch{Activities: []feed.Activity{cac("activity_01C1", 3*time.Hour, own, "req_01UNKNOWN0000000001"), cac("activity_01C2", 3*time.Hour, other, "req_01SIEM000000000000001")}}); err != nil {
		t.Fatal(err)
	}
	// A page whose response carried req_A, and then the event req_A caused.
	if _, err := s.Put(ctx, feed.Batch{RequestID: "req_01AAAAAAAAAAAAAAAAAA1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, feed.Batch{Activities: []feed.Activity{cac("activity_01C3", time.Hour, own, "req_01AAAAAAAAAAAAAAAAAA1"), cac("activity_01C4", time.Hour, other, "req_01SIEM000000000000002")}}); err != nil {
		t.Fatal(err)
	}
	// A later poll by the learnt key with a request id claudit never saw.
	if _, err := s.Put(ctx, feed.Batch{Activities: []feed.Activity{cac("activity_01C5", time.Minute, own, "req_01LOST000000000000001")}}); err != nil {
		t.Fatal(err)
	}
	q, _ := feed.Parse("is:self")
	rows, err := s.Search(ctx, q, testNow, Cursor{}, Older, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(rows); !slices.Equal(got, []string{"activity_01C5", "activity_01C3", "activity_01C1"}) {
		t.Fatalf("is:self = %v", got)
	}
	q, _ = feed.Parse("-is:self type:compliance_api_accessed")
	rows, err = s.Search(ctx, q, testNow, Cursor{}, Older, 10)
	if got := ids(rows); err != nil || !slices.Equal(got, []string{"activity_01C4", "activity_01C2"}) {
		t.Fatalf("-is:self = %v %v", got, err)
	}
	// A request id recorded after its event was cached.
	s2 := openTest(t)
	if _, err := s2.Put(ctx, feed.Batch{Activities: []feed.Activity{cac("activity_01D1", time.Hour, own, "req_01LATERREQ000000001"), cac("activity_01D2", 2*time.Hour, own, "req_01X00000000000000001")}}); err != nil {
		t.Fatal(err)
	}
	if err := s2.RecordRequestIDs(ctx, "req_01LATERREQ000000001"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"activity_01D1", "activity_01D2"} {
		r, err := s2.Get(ctx, id)
		if err != nil || !r.Self {
			t.Fatalf("%s Self = %v (%v)", id, r.Self, err)
		}
	}
}

func TestPutAtomicWithCursorAndCoverage(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	good := mkAct(t, "activity_01G", testNow.Add(-time.Hour), "user_logged_in", userActor("a@example.com", "user_01AAAAAAAAAA"), "")
	bad := feed.Activity{ID: "activity_01B"} // no raw JSON: the page must fail whole
	_, err := s.Put(ctx, feed.Batch{Activities: []feed.Activity{good, bad}, CursorName: "tail", CursorValue: "c1",
		Covered: feed.Range{From: testNow.Add(-2 * time.Hour), To: testNow}})
	if err == nil {
		t.Fatal("Put of a page with a broken activity succeeded")
	}
	if c, _ := s.Cursor(ctx, "tail"); c != "" {
		t.Fatalf("cursor persisted from a failed page: %q", c)
	}
	if m, _ := s.Missing(ctx, "", feed.Range{From: testNow.Add(-2 * time.Hour), To: testNow}); len(m) != 1 {
		t.Fatalf("coverage persisted from a failed page: %v", m)
	}
	if _, err := s.Put(ctx, feed.Batch{Activities: []feed.Activity{good}, CursorName: "tail", CursorValue: "c1",
		Covered: feed.Range{From: testNow.Add(-2 * time.Hour), To: testNow}}); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Cursor(ctx, "tail"); c != "c1" {
		t.Fatalf("cursor = %q", c)
	}
	if m, _ := s.Missing(ctx, "x", feed.Range{From: testNow.Add(-3 * time.Hour), To: testNow}); len(m) != 1 || !m[0].To.Equal(testNow.Add(-2*time.Hour)) {
		t.Fatalf("missing = %v", m)
	}
}

func TestRunsAndMarks(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	info := feed.RunInfo{Kind: "window", Query: "since:24h", Filter: "f", Window: feed.Range{From: testNow.Add(-24 * time.Hour), To: testNow}, Started: testNow}
	id, err := s.BeginRun(ctx, info)
	if err != nil {
		t.Fatal(err)
	}
	sum := feed.RunSummary{Finished: testNow.Add(time.Minute), Pages: 3, Events: 12000, Inserted: 11000, Late: 2, Anomalies: 1, Retries: 4,
		StartCursor: "a", EndCursor: "b", FinalRequestID: "req_3", RequestIDs: []string{"req_1", "req_2", "req_3"}, Err: "boom"}
	if err := s.EndRun(ctx, id, sum); err != nil {
		t.Fatal(err)
	}
	if err := s.EndRun(ctx, id+100, sum); !errors.Is(err, ErrNotFound) {
		t.Fatalf("EndRun(unknown) = %v", err)
	}
	runs, err := s.Runs(ctx, 5)
	if err != nil || len(runs) != 1 {
		t.Fatalf("%v %v", runs, err)
	}
	got := runs[0]
	if got.ID != id || got.Info.Kind != info.Kind || got.Info.Query != info.Query || got.Info.Filter != info.Filter ||
		!got.Info.Window.From.Equal(info.Window.From) || !got.Info.Window.To.Equal(info.Window.To) || !got.Info.Started.Equal(info.Started) ||
		!got.Summary.Finished.Equal(sum.Finished) || got.Summary.Pages != 3 || got.Summary.Events != 12000 || got.Summary.Inserted != 11000 ||
		got.Summary.Late != 2 || got.Summary.Anomalies != 1 || got.Summary.Retries != 4 || got.Summary.StartCursor != "a" ||
		got.Summary.EndCursor != "b" || got.Summary.FinalRequestID != "req_3" || !slices.Equal(got.Summary.RequestIDs, sum.RequestIDs) || got.Summary.Err != "boom" {
		t.Fatalf("run round trip: %+v", got)
	}
	a := mkAct(t, "activity_01M", testNow.Add(-time.Hour), "user_logged_in", userActor("a@example.com", "user_01AAAAAAAAAA"), "")
	putPages(t, s, []feed.Activity{a}, 1)
	if err := s.Mark(ctx, a.ID, "suspicious"); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.Get(ctx, a.ID); !r.Marked || r.Note != "suspicious" {
		t.Fatalf("after Mark: %+v", r)
	}
	if err := s.Unmark(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.Get(ctx, a.ID); r.Marked || r.Note != "" {
		t.Fatalf("after Unmark: %+v", r)
	}
	if err := s.Mark(ctx, "activity_nope", ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Mark(missing) = %v", err)
	}
	st, err := s.Stats(ctx)
	if err != nil || st.Events != 1 || st.LastRun == nil || st.LastRun.ID != id || !st.Oldest.Equal(a.CreatedAt) || !st.Newest.Equal(a.CreatedAt) || st.Mode != "-rw-------" || st.Bytes == 0 {
		t.Fatalf("stats %+v %v", st, err)
	}
}

func TestPermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "claudit")
	path := filepath.Join(dir, "p.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	putPages(t, s, []feed.Activity{mkAct(t, "activity_01X", testNow, "user_logged_in", userActor("a@example.com", "user_01AAAAAAAAAA"), "")}, 1)
	for p, want := range map[string]os.FileMode{dir: 0o700, path: 0o600, path + "-wal": 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s mode %v, want %v", p, fi.Mode().Perm(), want)
		}
	}
	st, _ := s.Stats(context.Background())
	if st.Tightened {
		t.Error("fresh cache reported as tightened")
	}
	s.Close()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, _ = s.Stats(context.Background())
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 || !st.Tightened || st.Events != 1 {
		t.Fatalf("reopen of a 0644 cache: mode %v, stats %+v", fi.Mode().Perm(), st)
	}
}

func TestMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	putPages(t, s, []feed.Activity{mkAct(t, "activity_01X", testNow, "user_logged_in", userActor("a@example.com", "user_01AAAAAAAAAA"), "")}, 1)
	s.Close()
	// Re-opening an existing cache applies nothing twice and keeps the data;
	// so does a second store opened on it concurrently.
	s1, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s1.Close()
	s2, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	known, err := embeddedMigrations()
	if err != nil {
		t.Fatal(err)
	}
	var n, v int
	if err := s1.r.QueryRow(`SELECT count(*), max(version) FROM migrations`).Scan(&n, &v); err != nil || n != len(known) || v != known[len(known)-1].version {
		t.Fatalf("migrations: n=%d v=%d %v, want %d up to %d", n, v, err, len(known), known[len(known)-1].version)
	}
	putPages(t, s2, []feed.Activity{mkAct(t, "activity_01Y", testNow, "user_logged_in", userActor("a@example.com", "user_01AAAAAAAAAA"), "")}, 1)
	if got := allIDs(t, s1); !slices.Equal(got, []string{"activity_01Y", "activity_01X"}) {
		t.Fatalf("reader sees %v", got)
	}
	// A file that is not a database is reported as corrupt.
	junk := filepath.Join(t.TempDir(), "junk.db")
	os.WriteFile(junk, []byte(strings.Repeat("not a database ", 400)), 0o600)
	if _, err := Open(context.Background(), junk); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open(junk) = %v, want ErrCorrupt", err)
	}
}

func TestCountCapAndCancel(t *testing.T) {
	s := openTest(t)
	acts, _ := simActivities(t, 5, 1000, testNow)
	putPages(t, s, acts, 1000)
	ctx := context.Background()
	// An excluded ip is counted row by row (the rollups answer types,
	// time and flags only), so the limit caps it.
	if n, capped, err := s.Count(ctx, feed.Query{}.With("ip", "203.0.113.254", true), testNow, 100); err != nil || n != 100 || !capped {
		t.Fatalf("capped count = %d %v %v", n, capped, err)
	}
	if n, capped, err := s.Count(ctx, feed.Query{}, testNow, 0); err != nil || n != len(acts) || capped {
		t.Fatalf("full count = %d %v %v", n, capped, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := s.Count(cctx, feed.Query{}, testNow, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled count = %v", err)
	}
}
