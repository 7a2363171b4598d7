package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"claudit/feed"
	"claudit/feed/sim"
	"claudit/store"
)

// TestQueryOrderAsc: --order asc prints exactly the rows of the default
// order, reversed, in every page size; --limit keeps the oldest N; a bad
// value is a usage error.
func TestQueryOrderAsc(t *testing.T) {
	e, _, _ := syncedEnv(t)
	ids := func(out string) []string {
		var got []string
		for l := range strings.Lines(out) {
			var a struct{ ID string }
			if err := json.Unmarshal([]byte(l), &a); err != nil {
				t.Fatalf("line %q: %v", l, err)
			}
			got = append(got, a.ID)
		}
		return got
	}
	code, desc, stderr := e.run("query", "--offline", "--format", "ndjson")
	if code != 0 {
		t.Fatalf("query: exit %d: %s", code, stderr)
	}
	want := ids(desc)
	slices.Reverse(want)
	if len(want) < 2*searchPage {
		t.Fatalf("only %d rows: the test needs more than two pages", len(want))
	}
	code, asc, stderr := e.run("query", "--offline", "--format", "ndjson", "--order", "asc")
	if code != 0 {
		t.Fatalf("query --order asc: exit %d: %s", code, stderr)
	}
	if got := ids(asc); !slices.Equal(got, want) {
		t.Fatalf("--order asc: %d rows, want the %d of desc reversed", len(got), len(want))
	}
	_, first, _ := e.run("query", "--offline", "--format", "ndjson", "--order", "asc", "--limit", "3")
	if got := ids(first); !slices.Equal(got, want[:3]) {
		t.Fatalf("--order asc --limit 3 = %v, want %v", got, want[:3])
	}
	if code, _, stderr := e.run("query", "--offline", "--order", "up"); code != exitUsage || !strings.Contains(stderr, "--order") {
		t.Fatalf("--order up: exit %d: %s", code, stderr)
	}
}

// BenchmarkQueryNDJSONAsc streams `query --format ndjson --order asc` over
// a 1,000,000-event cache (skipped with -short): events/s, the live heap
// after the first 100,000 rows (heap-MB, after a GC) and how much larger it
// ever was at the later samples, every 100,000 rows (growth-MB): about 0,
// because rows are read a keyset page at a time.
func BenchmarkQueryNDJSONAsc(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a 1,000,000-event cache; skipped with -short")
	}
	const events = 1_000_000
	path := filepath.Join(b.TempDir(), "bench.db")
	ctx := context.Background()
	acts := sim.New(sim.Config{Seed: 9, Events: events, End: simEnd, Now: func() time.Time { return testNow }}).Activities()
	st, err := store.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	window := feed.Range{From: simEnd.Add(-31 * 24 * time.Hour), To: testNow}
	for i := len(acts); i > 0; i -= 5000 {
		if _, err := st.Put(ctx, feed.Batch{Activities: acts[max(0, i-5000):i], Covered: window}); err != nil {
			b.Fatal(err)
		}
	}
	acts = nil
	runtime.GC()
	e := &testEnv{}
	e.environment = &environment{getenv: func(string) string { return "" }, isTerminal: func(any) bool { return false },
		now: func() time.Time { return testNow }, location: time.UTC}
	a := &app{env: e.environment}
	var first, peak uint64
	for b.Loop() {
		cw := &countingWriter{sample: 100_000, next: 100_000, first: &first, peak: &peak}
		a.env.stdout = cw
		if err := a.printRows(ctx, st, feed.Query{}, "ndjson", 0, store.Newer, false); err != nil {
			b.Fatal(err)
		}
		if cw.lines != events {
			b.Fatalf("%d lines, want %d", cw.lines, events)
		}
	}
	st.Close()
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(first)/(1<<20), "heap-MB")
	b.ReportMetric((float64(peak)-float64(first))/(1<<20), "growth-MB")
}

// countingWriter counts lines and samples the live heap every sample
// lines: the first sample, and the largest.
type countingWriter struct {
	lines, next, sample int
	first, peak         *uint64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.lines += bytes.Count(p, []byte{'\n'})
	if c.lines >= c.next {
		c.next += c.sample
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if *c.first == 0 {
			*c.first = ms.HeapAlloc
		}
		*c.peak = max(*c.peak, ms.HeapAlloc)
	}
	return len(p), nil
}

// TestStatusJSON pins status --format json: every field the README
// documents, by name and kind, with the values of a freshly synced cache.
func TestStatusJSON(t *testing.T) {
	e, _, _ := syncedEnv(t)
	code, out, stderr := e.run("status", "--format", "json")
	if code != 0 {
		t.Fatalf("status --format json: exit %d: %s", code, stderr)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	fields := map[string][]string{
		"":          {"base_url", "budget", "cache", "check", "config", "consumers", "coverage", "freshness", "key", "last_sync", "profile"},
		"key":       {"error", "kind", "masked", "source"},
		"cache":     {"bytes", "error", "events", "exists", "mode", "newest", "oldest", "path"},
		"coverage":  {"fraction", "gaps", "newest_gaps", "window"},
		"freshness": {"age_seconds", "covered_until", "newest_event", "newest_event_age_seconds"},
		"last_sync": {"error", "events", "finished", "inserted", "kind", "late", "outcome", "pages", "query", "retries", "started", "window"},
		"budget":    {"age_seconds", "limit", "remaining", "reset", "seen"},
	}
	for obj, want := range fields {
		m := got
		if obj != "" {
			m, _ = got[obj].(map[string]any)
		}
		var keys []string
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, want) {
			t.Errorf("%q has fields %v, want %v", obj, keys, want)
		}
	}
	cache := got["cache"].(map[string]any)
	if cache["events"] != float64(3000) || cache["exists"] != true || cache["error"] != "" {
		t.Errorf("cache = %v", cache)
	}
	if s := got["last_sync"].(map[string]any); s["outcome"] != "ok" || s["kind"] != "window" {
		t.Errorf("last_sync = %v", s)
	}
	if c := got["coverage"].(map[string]any); c["fraction"] != float64(1) || c["gaps"] != float64(0) {
		t.Errorf("coverage = %v", c)
	}
	f := got["freshness"].(map[string]any)
	if age, ok := f["age_seconds"].(float64); !ok || age < feed.SettledLag.Seconds() || age > feed.SettledLag.Seconds()+1 {
		t.Errorf("freshness = %v: want covered until now less the settled lag", f)
	}
	if b := got["budget"].(map[string]any); b["limit"] != float64(600) || b["remaining"].(float64) <= 0 {
		t.Errorf("budget = %v: want the simulator's 600/min as the sync last saw it", b)
	}
	if k := got["key"].(map[string]any); k["source"] != "env" || k["kind"] != "admin" || strings.Contains(out, sim.AdminKey) {
		t.Errorf("key = %v", k)
	}
	if got["check"] != nil || fmt.Sprint(got["consumers"]) != "[]" {
		t.Errorf("check %v, consumers %v: want null and []", got["check"], got["consumers"])
	}
	if code, _, _ := e.run("status", "--format", "yaml"); code != exitUsage {
		t.Errorf("--format yaml: exit %d, want %d", code, exitUsage)
	}
}
