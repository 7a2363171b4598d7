package store

import (
	"context"
	"testing"
	"time"

	"claudit/feed"
)

// is:tripwire finds exactly the events a per-event tripwire rule fires on,
// flagged at ingest.
func TestTripwireFlagAtIngest(t *testing.T) {
	s := openTest(t)
	end := time.Date(2026, 9, 15, 12, 0, 0, 0, time.UTC)
	acts, _ := simActivities(t, 3, 3000, end)
	putPages(t, s, acts, 500)
	want := map[string]bool{}
	for _, a := range acts {
		if len(feed.Trip(a, time.Local)) > 0 {
			want[a.ID] = true
		}
	}
	if len(want) == 0 {
		t.Fatal("the dataset has no tripwire event: the test proves nothing")
	}
	q, err := feed.Parse("is:tripwire")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.Search(context.Background(), q, end, Cursor{}, Older, 10000)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(want) {
		t.Fatalf("is:tripwire found %d events, the rules fire on %d", len(rows), len(want))
	}
	for _, r := range rows {
		if !want[r.ID] {
			t.Fatalf("%s (%s) is flagged but no rule fires on it", r.ID, r.Type)
		}
	}
}
