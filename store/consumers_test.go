package store

import (
	"context"
	"testing"
	"time"

	"claudit/feed"
)

// TestArrivedFollowsCommitOrder: the arrival log gives back what each Put
// inserted, Put by Put and oldest first inside one, so an event indexed
// late (old created_at, stored last) comes after the newer ones stored
// before it; duplicates arrive nowhere; a position resumes exactly.
func TestArrivedFollowsCommitOrder(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	acts, _ := simActivities(t, 7, 300, testNow.Add(-time.Hour)) // newest first
	head, err := s.ArrivalHead(ctx)
	if err != nil || head != 0 {
		t.Fatalf("ArrivalHead on an empty cache = %d, %v", head, err)
	}
	// The newest 100, then the 100 before them, then the oldest 100 (a
	// backfill, or late events), then a page of duplicates.
	putPages(t, s, acts[:100], 100)
	mid, _ := s.ArrivalHead(ctx)
	putPages(t, s, acts[100:200], 100)
	putPages(t, s, acts[200:], 100)
	putPages(t, s, acts[50:150], 100)

	var want []string
	for _, page := range [][]feed.Activity{acts[:100], acts[100:200], acts[200:]} {
		for i := len(page) - 1; i >= 0; i-- { // oldest first within a Put
			want = append(want, page[i].ID)
		}
	}
	all := feed.Query{ShowSelf: true}
	got, through, err := s.Arrived(ctx, all, testNow, 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if head, _ := s.ArrivalHead(ctx); through != head || head != 3 {
		t.Fatalf("through %d, head %d: want 3 arrivals (duplicates arrive nowhere)", through, head)
	}
	if ids := rowIDs(got); !equalStrings(ids, want) {
		t.Fatalf("Arrived: %d rows, want %d in commit order, oldest first per Put", len(ids), len(want))
	}
	// From the position after the first Put on, in steps of one arrival.
	var resumed []string
	for pos := mid; ; {
		rows, next, err := s.Arrived(ctx, all, testNow, pos, 1)
		if err != nil {
			t.Fatal(err)
		}
		if next == pos {
			break
		}
		resumed = append(resumed, rowIDs(rows)...)
		pos = next
	}
	if !equalStrings(resumed, want[100:]) {
		t.Fatalf("resumed after the first Put: %d rows, want %d", len(resumed), len(want)-100)
	}
}

// TestArrivedFilters: the query applies to arrivals as to Search, self
// calls left out unless asked for.
func TestArrivedFilters(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	acts, _ := simActivities(t, 3, 400, testNow.Add(-time.Hour))
	putPages(t, s, acts, 150)
	typ := acts[0].Type
	q, err := feed.Parse("type:" + typ)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := s.Arrived(ctx, q, testNow, 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range acts {
		if a.Type == typ {
			n++
		}
	}
	if len(got) != n || n == 0 {
		t.Fatalf("type:%s: %d arrived, want %d", typ, len(got), n)
	}
	for _, r := range got {
		if r.Type != typ {
			t.Fatalf("type:%s gave a %s", typ, r.Type)
		}
	}
}

func TestConsumerPosition(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if _, ok, err := s.Consumer(ctx, "siem"); ok || err != nil {
		t.Fatalf("new consumer: ok %v, %v", ok, err)
	}
	for _, seq := range []int64{4, 9} {
		if err := s.SetConsumer(ctx, "siem", "type:@keys", seq); err != nil {
			t.Fatal(err)
		}
		if got, ok, err := s.Consumer(ctx, "siem"); got != seq || !ok || err != nil {
			t.Fatalf("Consumer = %d, %v, %v; want %d", got, ok, err, seq)
		}
	}
}

func rowIDs(rows []Row) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.ID
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestBudgetAndConsumers(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if rl, _, err := s.Budget(ctx); rl.Known || err != nil {
		t.Fatalf("Budget on a new cache = %+v, %v", rl, err)
	}
	want := feed.RateLimit{Limit: 600, Remaining: 587, Reset: testNow.Add(time.Minute), Known: true}
	if err := s.RecordBudget(ctx, want, testNow); err != nil {
		t.Fatal(err)
	}
	_ = s.RecordBudget(ctx, feed.RateLimit{}, testNow.Add(time.Hour)) // unknown: kept out
	if rl, seen, err := s.Budget(ctx); rl != want || !seen.Equal(testNow) || err != nil {
		t.Fatalf("Budget = %+v at %v, %v; want %+v at %v", rl, seen, err, want, testNow)
	}
	acts, _ := simActivities(t, 5, 30, testNow.Add(-time.Hour))
	putPages(t, s, acts, 10) // three arrivals
	if err := s.SetConsumer(ctx, "siem", "type:@keys", 1); err != nil {
		t.Fatal(err)
	}
	cs, err := s.Consumers(ctx)
	if err != nil || len(cs) != 1 || cs[0].Name != "siem" || cs[0].Query != "type:@keys" || cs[0].Seq != 1 || cs[0].Behind != 2 {
		t.Fatalf("Consumers = %+v, %v", cs, err)
	}
}
