package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"claudit/feed"
)

// findActs are n activities, several sharing each created_at (ties broken
// by id), every third naming "Needle-<i>" in a nested value (each its own
// value: with n past maxNeedleValues the index cannot answer the needle and
// the rows are checked one by one), every fifth with a type the test query
// leaves out, every second bob's rather than alice's.
func findActs(t testing.TB, n int) []feed.Activity {
	acts := make([]feed.Activity, 0, n)
	for i := range n {
		at := testNow.Add(-time.Duration(i/3) * time.Second) // three per second
		typ := "user_logged_in"
		if i%5 == 0 {
			typ = "claude_chat_viewed"
		}
		extra := fmt.Sprintf(`,"details":{"note":"plain %d"}`, i)
		if i%3 == 1 {
			extra = fmt.Sprintf(`,"details":{"note":"has NEEDLE-%d inside"}`, i)
		}
		actor := userActor("alice@example.com", "user_01ALICE000000")
		if i%2 == 0 {
			actor = userActor("bob@example.com", "user_01BOB00000000")
		}
		acts = append(acts, mkAct(t, fmt.Sprintf("activity_01FIND%010d", n-i), at, typ, actor, extra))
	}
	return acts
}

// TestFindWithinResult walks a find both ways, one match at a time, and
// checks it against the query's rows filtered by TextMatches: same rows,
// same order (ties in created_at by id), counts and ranks that agree,
// through the substring index and through the row-by-row check.
func TestFindWithinResult(t *testing.T) {
	for _, c := range []struct {
		name string
		n    int
	}{{"indexed", 300}, {"row by row", 3*maxNeedleValues + 300}} {
		t.Run(c.name, func(t *testing.T) {
			s := openTest(t)
			ctx := context.Background()
			putPages(t, s, findActs(t, c.n), 5000)
			q, err := feed.Parse("-type:claude_chat_viewed alice")
			if err != nil {
				t.Fatal(err)
			}
			const text = "needle-"
			all, err := s.Search(ctx, q, testNow, Cursor{}, Older, 1<<30)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, r := range all {
				if TextMatches(r.Raw, text) {
					want = append(want, r.ID)
				}
			}
			if len(want) == 0 || len(want) == len(all) {
				t.Fatalf("%d of %d rows match: the data does not test a find", len(want), len(all))
			}
			walk := func(dir Direction) []string {
				var got []string
				var from Cursor
				for {
					rows, err := s.FindSearch(ctx, q, testNow, text, from, dir, 1)
					if err != nil {
						t.Fatal(err)
					}
					if len(rows) == 0 {
						return got
					}
					got = append(got, rows[0].ID)
					from = rows[0].Cursor()
				}
			}
			if got := walk(Older); !slices.Equal(got, want) {
				t.Fatalf("older walk: %d matches %v…, want %d %v…", len(got), head(got), len(want), head(want))
			}
			up := walk(Newer)
			slices.Reverse(up)
			if !slices.Equal(up, want) {
				t.Fatalf("newer walk: %d matches, want %d", len(up), len(want))
			}
			n, capped, err := s.FindCount(ctx, q, testNow, text, Cursor{}, 0)
			if err != nil || capped || n != len(want) {
				t.Fatalf("count %d capped %v (%v), want %d", n, capped, err, len(want))
			}
			if n, capped, _ := s.FindCount(ctx, q, testNow, text, Cursor{}, 10); n != 10 || !capped {
				t.Fatalf("capped count %d %v", n, capped)
			}
			// The rank of a match is the matches above it, plus one; the
			// rows of a tie come in id order.
			for _, i := range []int{0, 1, len(want) / 2, len(want) - 1} {
				r, err := s.Get(ctx, want[i])
				if err != nil {
					t.Fatal(err)
				}
				above, _, err := s.FindCount(ctx, q, testNow, text, r.Cursor(), 0)
				if err != nil || above != i {
					t.Fatalf("matches above %s: %d (%v), want %d", want[i], above, err, i)
				}
			}
			// An empty find is the query itself.
			if n, _, _ := s.FindCount(ctx, q, testNow, "", Cursor{}, 0); n != len(all) {
				t.Fatalf("empty find counts %d, want %d", n, len(all))
			}
			// A needle no row has finds nothing.
			if rows, err := s.FindSearch(ctx, q, testNow, "no such needle", Cursor{}, Older, 1); err != nil || len(rows) != 0 {
				t.Fatalf("absent needle: %d rows (%v)", len(rows), err)
			}
		})
	}
}

func head(ids []string) []string { return ids[:min(3, len(ids))] }

// BenchmarkFind measures a find within a query's result on the 1M cache
// (ms/op): the next match below the middle of the result (n), the count
// of matches (exact) and the rank of the last match (the matches above
// it), for a needle few events hold and one most do.
func BenchmarkFind(b *testing.B) {
	s, c := openShared(b)
	ctx := context.Background()
	sc := c.scenario
	for name, text := range map[string]string{
		"rare":   sc.LeakedKeyID[7:17],
		"common": "mozilla",
	} {
		q := feed.Query{}
		mid := c.acts[len(c.acts)/2]
		from := Cursor{CreatedAt: mid.CreatedAt, ID: mid.ID}
		b.Run(name+"/next", func(b *testing.B) {
			benchQuery(b, s, "", func(q feed.Query) error {
				_, err := s.FindSearch(ctx, q, testNow, text, from, Older, 1)
				return err
			})
		})
		b.Run(name+"/count", func(b *testing.B) {
			benchQuery(b, s, "", func(q feed.Query) error {
				_, _, err := s.FindCount(ctx, q, testNow, text, Cursor{}, 0)
				return err
			})
		})
		last, err := s.FindSearch(ctx, q, testNow, text, Cursor{}, Newer, 1)
		if err != nil || len(last) == 0 {
			b.Fatalf("no match of %q (%v)", text, err)
		}
		b.Run(name+"/rank-of-last", func(b *testing.B) {
			benchQuery(b, s, "", func(q feed.Query) error {
				_, _, err := s.FindCount(ctx, q, testNow, text, last[0].Cursor(), 0)
				return err
			})
		})
	}
}
