package store

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"claudit/feed"
)

// TestIngestCopiesWhatItKeeps ingests two pages whose activities' raw JSON
// share one buffer (as a reader reusing its page buffer would hand them
// over), overwriting the buffer between and after the pages: everything
// the store keeps — rows, the reference index, the term dictionary it
// caches in memory — must be its own copy, not the walker's views of that
// buffer.
func TestIngestCopiesWhatItKeeps(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	actsA, _ := simActivities(t, 11, 400, testNow.Add(-72*time.Hour))
	actsB, _ := simActivities(t, 12, 400, testNow.Add(-24*time.Hour))
	size := func(acts []feed.Activity) (n int) {
		for _, a := range acts {
			n += len(a.Raw)
		}
		return n
	}
	buf := make([]byte, 0, max(size(actsA), size(actsB)))
	// inBuf copies the activities' raw JSON into buf, from its start, and
	// points their Raw there.
	inBuf := func(acts []feed.Activity) []feed.Activity {
		buf = buf[:0]
		out := slices.Clone(acts)
		for i := range out {
			start := len(buf)
			buf = append(buf, out[i].Raw...)
			out[i].Raw = buf[start:len(buf):len(buf)]
		}
		return out
	}
	// cachedTerms copies the term dictionary the store keeps in memory.
	cachedTerms := func() []string {
		s.termMu.Lock()
		defer s.termMu.Unlock()
		var out []string
		for v := range s.terms {
			out = append(out, strings.Clone(v))
		}
		slices.Sort(out)
		return out
	}
	overwrite := func() {
		for i := range buf[:cap(buf)] {
			buf[:cap(buf)][i] = 'x'
		}
	}
	for _, acts := range [][]feed.Activity{actsA, actsB} {
		if _, err := s.Put(ctx, feed.Batch{Activities: inBuf(acts)}); err != nil {
			t.Fatal(err)
		}
		before := cachedTerms()
		overwrite()
		if after := cachedTerms(); !slices.Equal(before, after) {
			t.Fatalf("the cached terms changed with the page buffer:\n%q\n%q", before, after)
		}
	}
	byActor := map[string][]string{}
	for _, a := range append(slices.Clone(actsA), actsB...) {
		row, err := s.Get(ctx, a.ID)
		if err != nil {
			t.Fatalf("Get(%s): %v", a.ID, err)
		}
		if !bytes.Equal(row.Raw, a.Raw) || row.Type != a.Type || row.Actor.ID() != a.Actor.ID() {
			t.Fatalf("Get(%s) = %s %s %q, want %s %s %q", a.ID, row.Type, row.Actor.ID(), row.Raw, a.Type, a.Actor.ID(), a.Raw)
		}
		if id := a.Actor.ID(); id != "" {
			byActor[id] = append(byActor[id], a.ID)
		}
	}
	checked := 0
	for actor, ids := range byActor {
		if checked == 40 {
			break
		}
		checked++
		q, err := feed.Parse("actor:" + actor)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := s.Search(ctx, q, testNow, Cursor{}, Older, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if !slices.ContainsFunc(rows, func(r Row) bool { return r.ID == id }) {
				t.Fatalf("actor:%s does not find %s", actor, id)
			}
		}
		for _, r := range rows {
			if r.Actor.ID() != actor {
				t.Fatalf("actor:%s finds %s, whose actor is %s", actor, r.ID, r.Actor.ID())
			}
		}
	}
	if checked == 0 {
		t.Fatal("no actors to look up")
	}
}
