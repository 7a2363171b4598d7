package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"claudit/feed"
)

// TestHistogramUnaligned checks histograms whose bucket edges fall inside
// hours and minutes (so the rollups' whole hours, whole minutes, the
// complement of a long partial hour and row counts all take part) against
// counting the activities one by one.
func TestHistogramUnaligned(t *testing.T) {
	s := openTest(t)
	acts, _ := simActivities(t, 41, 2000, testNow)
	putPages(t, s, acts, 700)
	ctx := context.Background()
	windows := []struct {
		from, to time.Time
		buckets  int
	}{
		{testNow.Add(-71*time.Hour - 13*time.Minute - 7500*time.Millisecond), testNow.Add(-17*time.Minute - 3*time.Second), 37},
		{testNow.Add(-5*time.Hour - 59*time.Minute), testNow.Add(-1*time.Hour - time.Second), 7},
		{testNow.Add(-100 * time.Minute), testNow.Add(-99*time.Minute - 30*time.Second), 3},
		{testNow.Add(-30 * 24 * time.Hour), testNow.Add(time.Hour), 120},
	}
	for _, qs := range []string{"", "type:@keys", "-type:@noise", "type:@auth -type:sso_login_succeeded", "since:6h", "type:@members since:2d", "-type:claude_chat_viewed"} {
		q, err := feed.Parse(qs)
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.compile(ctx, q, testNow)
		if err != nil {
			t.Fatal(err)
		}
		if !p.typesOnly {
			t.Fatalf("%q: not answered from the rollups", qs)
		}
		from, to := q.Bounds(testNow, 0)
		match := func(a feed.Activity) bool {
			if !from.IsZero() && a.CreatedAt.Before(from) || !to.IsZero() && !a.CreatedAt.Before(to) {
				return false
			}
			in := len(q.Type.Include) == 0
			for _, term := range q.Type.Include {
				names, _ := feed.Catalogue().Expand(term)
				in = in || slices.Contains(names, a.Type)
			}
			for _, term := range q.Type.Exclude {
				names, _ := feed.Catalogue().Expand(term)
				in = in && !slices.Contains(names, a.Type)
			}
			return in
		}
		for _, w := range windows {
			h, err := s.Histogram(ctx, q, testNow, w.from, w.to, w.buckets)
			if err != nil {
				t.Fatal(err)
			}
			lo, hi := w.from.UnixNano(), w.to.UnixNano()
			width := float64(hi-lo) / float64(w.buckets)
			want := make([]int, w.buckets)
			for _, a := range acts {
				ts := a.CreatedAt.UnixNano()
				if ts < lo || ts >= hi || !match(a) {
					continue
				}
				want[histBucket(ts, lo, width, w.buckets)]++
			}
			if !slices.Equal(h.Buckets, want) {
				t.Errorf("%q over %v..%v: buckets %v, want %v", qs, w.from, w.to, h.Buckets, want)
			}
		}
		n, _, err := s.Count(ctx, q, testNow, 0)
		wantN := 0
		for _, a := range acts {
			if match(a) {
				wantN++
			}
		}
		if err != nil || n != wantN {
			t.Errorf("%q: count %d (%v), want %d", qs, n, err, wantN)
		}
	}
}

// TestFacetsBounded checks that Facets reads at most facetRows results and
// says so, and counts exactly below that.
func TestFacetsBounded(t *testing.T) {
	s := openTest(t)
	acts, _ := simActivities(t, 42, 1500, testNow)
	putPages(t, s, acts, 1500)
	ctx := context.Background()
	f, err := s.Facets(ctx, feed.Query{}, testNow, 3)
	if err != nil || f.Capped || f.Rows != len(acts) {
		t.Fatalf("facets of %d: rows %d capped %v (%v)", len(acts), f.Rows, f.Capped, err)
	}
	q, _ := feed.Parse("type:@auth")
	f, err = s.Facets(ctx, q, testNow, 50)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	names, _ := feed.Catalogue().Expand("@auth")
	for _, a := range acts {
		if slices.Contains(names, a.Type) {
			want[a.Type]++
		}
	}
	if len(f.Types) != len(want) {
		t.Fatalf("type facet %v, want %v", f.Types, want)
	}
	for i, fc := range f.Types {
		if want[fc.Value] != fc.Count || i > 0 && f.Types[i-1].Count < fc.Count {
			t.Fatalf("type facet %v, want %v (count order)", f.Types, want)
		}
	}
}
