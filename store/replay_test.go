package store

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"claudit/feed"
)

// replaySeed replays one seed of TestReplayProperty (the seed a failure
// printed): go test -run TestReplayProperty ./store/ -replay.seed=N.
var replaySeed = flag.Uint64("replay.seed", 0, "seed of TestReplayProperty (0: the fixed ones)")

// slotTwins returns n ids of the form activity_01TWIN…, each sharing the
// low ridShift bits of its hash (its rid slot) with base's, so activities
// of one millisecond collide on their home rid.
func slotTwins(base string, n int) []string {
	want := fnv64(base) & (ridSlots - 1)
	var out []string
	for i := 0; len(out) < n; i++ {
		id := fmt.Sprintf("activity_01TWIN%08d", i)
		if fnv64(id)&(ridSlots-1) == want {
			out = append(out, id)
		}
	}
	return out
}

// TestReplayProperty replays a set of distinct events as random pages,
// reordered, repeated and overlapping, against a tiny id filter (so the
// recent blobs, folds, rebuilds and Bloom false positives are all taken),
// with some events sharing one millisecond and one rid slot (so slot
// collisions and probing are taken). Whatever the order, the cache must
// end with exactly the distinct events, each once, every repeat counted
// as a duplicate, and rollups that add up to the same counts. The seed is
// printed so a failure reproduces (-replay.seed).
func TestReplayProperty(t *testing.T) {
	base, _ := simActivities(t, 77, 1200, testNow)
	// Same millisecond, same slot: the first is at home, the others probe.
	ms := testNow.Add(-90 * time.Minute).Truncate(time.Millisecond)
	first := "activity_01TWINBASE000"
	events := slices.Clone(base)
	for _, id := range append([]string{first}, slotTwins(first, 4)...) {
		events = append(events, mkAct(t, id, ms, "user_logged_in", userActor("twin@example.com", "user_01TWINUSER00"), ""))
	}
	seeds := []uint64{1, 2, 3}
	if *replaySeed != 0 {
		seeds = []uint64{*replaySeed}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Logf("seed %d", seed)
			replay(t, rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), events)
		})
	}
}

func replay(t *testing.T, rng *rand.Rand, events []feed.Activity) {
	ctx := context.Background()
	s := openTest(t)
	s.ids = idTuning{recentMax: 1 + int64(rng.IntN(200)), minCap: 16 + int64(rng.IntN(64))}
	// The stream: every event once, in random order, plus repeats of
	// random events (some in the same page as their first copy), cut into
	// pages of random sizes.
	stream := slices.Clone(events)
	rng.Shuffle(len(stream), func(i, j int) { stream[i], stream[j] = stream[j], stream[i] })
	for range len(events) / 2 {
		k := rng.IntN(len(stream) + 1)
		stream = slices.Insert(stream, k, events[rng.IntN(len(events))])
	}
	var got feed.PutResult
	fed := 0
	for start := 0; start < len(stream); {
		end := min(len(stream), start+1+rng.IntN(250))
		// Overlap: sometimes the page starts a little before the last one ended.
		lo := start
		if start > 0 && rng.IntN(3) == 0 {
			lo = max(0, start-rng.IntN(40))
		}
		res, err := s.Put(ctx, feed.Batch{Activities: slices.Clone(stream[lo:end])})
		if err != nil {
			t.Fatalf("Put: %v", err)
		}
		fed += end - lo
		got.Inserted += res.Inserted
		got.Duplicate += res.Duplicate
		got.Anomalies += res.Anomalies
		start = end
	}
	if got.Inserted != len(events) || got.Anomalies != 0 {
		t.Fatalf("inserted %d anomalies %d, want %d and 0", got.Inserted, got.Anomalies, len(events))
	}
	// Every other copy the pages carried (overlaps included) is a duplicate.
	if got.Duplicate != fed-len(events) {
		t.Fatalf("duplicates %d, want %d (copies fed %d)", got.Duplicate, fed-len(events), fed)
	}
	// The twins share a millisecond and a home slot: all but one moved.
	var twins int
	if err := s.r.QueryRow(`SELECT count(DISTINCT rid) FROM activities WHERE id LIKE 'activity_01TWIN%'`).Scan(&twins); err != nil || twins != 5 {
		t.Fatalf("slot twins at %d rids, want 5 (%v)", twins, err)
	}
	if ids := allIDs(t, s); !slices.Equal(ids, wantOrder(events)) {
		t.Fatalf("cache holds %d ids, want the %d distinct events", len(ids), len(events))
	}
	var n, distinct, rollH, rollM int64
	if err := s.r.QueryRow(`SELECT count(*), count(DISTINCT id) FROM activities`).Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	if err := s.r.QueryRow(`SELECT (SELECT coalesce(sum(n), 0) FROM roll_h WHERE type = 0), (SELECT coalesce(sum(n), 0) FROM roll_m)`).Scan(&rollH, &rollM); err != nil {
		t.Fatal(err)
	}
	if n != int64(len(events)) || distinct != n || rollH != n || rollM != n {
		t.Fatalf("rows %d distinct %d roll_h %d roll_m %d, want %d each", n, distinct, rollH, rollM, len(events))
	}
	// Per type, the hourly rollup agrees with the rows.
	byType := map[string]int64{}
	for _, a := range events {
		byType[a.Type]++
	}
	rs, err := s.r.Query(`SELECT t.v, sum(r.n) FROM roll_h r JOIN terms t ON t.id = r.type WHERE r.type != 0 GROUP BY t.v`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	seen := map[string]int64{}
	for rs.Next() {
		var typ string
		var c int64
		if err := rs.Scan(&typ, &c); err != nil {
			t.Fatal(err)
		}
		seen[typ] = c
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	for typ, c := range byType {
		if seen[typ] != c {
			t.Fatalf("roll_h for %s: %d, want %d", typ, seen[typ], c)
		}
	}
	if c, _, err := s.Count(ctx, feed.Query{}, testNow, 0); err != nil || c != len(events) {
		t.Fatalf("Count = %d, %v; want %d", c, err, len(events))
	}
	for _, a := range events[len(events)-5:] {
		if r, err := s.Get(ctx, a.ID); err != nil || string(r.Raw) != string(a.Raw) {
			t.Fatalf("Get(%s) = %v", a.ID, err)
		}
	}
}
