package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"claudit/feed"
)

// TestIDFilterPaths shrinks the id filter so a small cache goes through
// every path: recent hashes only, the first build, folding recent ids in,
// and growing rebuilds; repeats (same or changed content, same or changed
// created_at) must be recognised on each.
func TestIDFilterPaths(t *testing.T) {
	s := openTest(t)
	s.ids = idTuning{recentMax: 150, minCap: 64}
	ctx := context.Background()
	acts, _ := simActivities(t, 31, 3000, testNow)
	rng := rand.New(rand.NewPCG(5, 6))
	var inserted, dup, anomalies int
	put := func(page []feed.Activity) {
		t.Helper()
		res, err := s.Put(ctx, feed.Batch{Activities: page})
		if err != nil {
			t.Fatal(err)
		}
		inserted += res.Inserted
		dup += res.Duplicate
		anomalies += res.Anomalies
	}
	wantDup, wantAnom := 0, 0
	for start := 0; start < len(acts); start += 200 {
		page := slices.Clone(acts[start:min(len(acts), start+200)])
		put(page)
		if start == 0 {
			continue
		}
		// Repeat some earlier activities as they were, and some with a
		// changed created_at (so not at their home rid).
		var again []feed.Activity
		for range 20 {
			again = append(again, acts[rng.IntN(start)])
		}
		for range 3 {
			a := acts[rng.IntN(start)]
			again = append(again, mkAct(t, a.ID, a.CreatedAt.Add(-time.Duration(1+rng.IntN(5000))*time.Second), a.Type, `{"type":"user_actor","email_address":"x@example.com","user_id":"user_01XXXXXXXXXX"}`, ""))
		}
		// Every copy, in-page repeats too, is compared with the cached one.
		for _, a := range again {
			if string(a.Raw) == string(find(acts, a.ID).Raw) {
				wantDup++
			} else {
				wantAnom++
			}
		}
		before := inserted
		put(again)
		if inserted != before {
			t.Fatalf("page at %d: %d repeats inserted again", start, inserted-before)
		}
	}
	if inserted != len(acts) {
		t.Fatalf("inserted %d, want %d (dup %d, anomalies %d)", inserted, len(acts), dup, anomalies)
	}
	var blocks, n int64
	if err := s.r.QueryRow(`SELECT (SELECT v FROM meta WHERE k = 'bloom_blocks'), (SELECT v FROM meta WHERE k = 'bloom_n')`).Scan(&blocks, &n); err != nil {
		t.Fatal(err)
	}
	if blocks < 2 || n == 0 {
		t.Fatalf("the filter was not built and grown: %d blocks, %d ids", blocks, n)
	}
	// No false negatives: every cached id may be there.
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	hashes := make([]uint64, len(acts))
	for i, a := range acts {
		hashes[i] = idHash(a.ID)
	}
	f, err := loadIDFilter(ctx, &wtx{Tx: tx}, hashes, &bloomCache{})
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range acts {
		if !f.mayHave(hashes[i]) {
			t.Fatalf("filter has no %s", a.ID)
		}
	}
	// Absent ids are mostly ruled out.
	fp := 0
	for i := range 2000 {
		if f.mayHave(idHash(fmt.Sprintf("activity_absent_%d", i))) {
			fp++
		}
	}
	if fp > 100 {
		t.Errorf("%d of 2000 absent ids pass the filter", fp)
	}
	if got := allIDs(t, s); !slices.Equal(got, wantOrder(acts)) {
		t.Fatalf("cache holds %d ids, want %d", len(got), len(acts))
	}
	for _, a := range acts[:100] {
		if r, err := s.Get(ctx, a.ID); err != nil || string(r.Raw) != string(a.Raw) {
			t.Fatalf("Get(%s) = %v", a.ID, err)
		}
	}
	if dup != wantDup || anomalies != wantAnom {
		t.Fatalf("duplicates %d anomalies %d, want %d and %d", dup, anomalies, wantDup, wantAnom)
	}
}

// TestIDFilterTwoStores alternates pages between two stores on one file:
// each store's cached filter must notice the other's changes, or a repeat
// with a changed created_at would be inserted twice.
func TestIDFilterTwoStores(t *testing.T) {
	path := filepath.Join(t.TempDir(), "two.db")
	ctx := context.Background()
	var stores [2]*Store
	for i := range stores {
		s, err := Open(ctx, path, WithNow(func() time.Time { return testNow }))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		s.ids = idTuning{recentMax: 100, minCap: 64}
		stores[i] = s
	}
	acts, _ := simActivities(t, 32, 2000, testNow)
	inserted := 0
	for k, start := 0, 0; start < len(acts); k, start = k+1, start+150 {
		s := stores[k%2]
		page := slices.Clone(acts[start:min(len(acts), start+150)])
		if start > 0 {
			// The previous page, written by the other store, again, moved
			// in time.
			for _, a := range acts[max(0, start-150):start][:5] {
				page = append(page, mkAct(t, a.ID, a.CreatedAt.Add(-time.Hour), a.Type, `{"type":"user_actor","email_address":"y@example.com","user_id":"user_01YYYYYYYYYY"}`, ""))
			}
		}
		res, err := s.Put(ctx, feed.Batch{Activities: page})
		if err != nil {
			t.Fatal(err)
		}
		inserted += res.Inserted
		if start > 0 && res.Anomalies != 5 {
			t.Fatalf("page at %d: %d anomalies, want 5", start, res.Anomalies)
		}
	}
	if inserted != len(acts) {
		t.Fatalf("inserted %d, want %d", inserted, len(acts))
	}
}
