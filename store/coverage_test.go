package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"claudit/feed"
)

// bitmap is the brute-force model of coverage over a small integer domain.
func bitmap(spans []span, n int) []bool {
	b := make([]bool, n)
	for _, s := range spans {
		for i := max(s.lo, 0); i < min(s.hi, int64(n)); i++ {
			b[i] = true
		}
	}
	return b
}

func TestCoverageAlgebraProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n = 120
	for range 2000 {
		var in []span
		for range rng.IntN(8) {
			lo := int64(rng.IntN(n))
			in = append(in, span{lo, lo + int64(rng.IntN(30))})
		}
		m := mergeSpans(slices.Clone(in))
		if !slices.Equal(bitmap(m, n), bitmap(in, n)) {
			t.Fatalf("merge(%v) = %v changes coverage", in, m)
		}
		for i := 1; i < len(m); i++ {
			if m[i].lo <= m[i-1].hi {
				t.Fatalf("merge(%v) = %v: overlapping or adjacent spans left", in, m)
			}
		}
		w := span{int64(rng.IntN(n)), int64(rng.IntN(n))}
		gaps := gapSpans(m, w)
		want := make([]bool, n)
		cov := bitmap(m, n)
		for i := w.lo; i < w.hi; i++ {
			want[i] = !cov[i]
		}
		if !slices.Equal(bitmap(gaps, n), want) {
			t.Fatalf("gaps(%v, %v) = %v", m, w, gaps)
		}
		for i := 1; i < len(gaps); i++ {
			if gaps[i].hi >= gaps[i-1].lo {
				t.Fatalf("gaps %v not newest first and disjoint", gaps)
			}
		}
		for _, x := range []int64{w.lo, w.hi - 1, int64(rng.IntN(n))} {
			if x >= 0 && x < n && contains(m, x) != cov[x] {
				t.Fatalf("contains(%v, %d) = %v", m, x, !cov[x])
			}
		}
	}
}

func TestCoverageFilters(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	at := func(h int) time.Time { return testNow.Add(time.Duration(h) * time.Hour) }
	put := func(filter string, from, to int) {
		t.Helper()
		if _, err := s.Put(ctx, feed.Batch{Filter: filter, Covered: feed.Range{From: at(from), To: at(to)}}); err != nil {
			t.Fatal(err)
		}
	}
	put("f", -10, -8)
	put("f", -8, -6) // adjacent: merges
	put("", -4, -2)  // unfiltered covers every filter
	put("g", -12, -1)
	missing, err := s.Missing(ctx, "f", feed.Range{From: at(-12), To: at(0)})
	if err != nil {
		t.Fatal(err)
	}
	want := []feed.Range{{From: at(-2), To: at(0)}, {From: at(-6), To: at(-4)}, {From: at(-12), To: at(-10)}}
	if !slices.EqualFunc(missing, want, func(a, b feed.Range) bool { return a.From.Equal(b.From) && a.To.Equal(b.To) }) {
		t.Fatalf("Missing(f) = %v, want %v", missing, want)
	}
	// The unfiltered signature is not covered by a filtered range.
	if m, _ := s.Missing(ctx, "", feed.Range{From: at(-10), To: at(-6)}); len(m) != 1 {
		t.Fatalf("Missing(\"\") = %v", m)
	}
	c, err := s.Coverage(ctx, "f", feed.Range{From: at(-12), To: at(0)})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Covered) != 2 || !c.Covered[0].From.Equal(at(-10)) || len(c.Missing) != 3 || c.Fraction != 0.5 {
		t.Fatalf("Coverage = %+v", c)
	}
	var rows int
	s.r.QueryRow(`SELECT count(*) FROM coverage WHERE filter = 'f'`).Scan(&rows)
	if rows != 1 {
		t.Fatalf("adjacent ranges stored as %d rows", rows)
	}
}

// The crash test re-executes the test binary as a child that ingests pages
// in a loop; the parent SIGKILLs it mid-way and checks the cache.
const crashEnv = "CLAUDIT_STORE_CRASH_CHILD"

// crashPages is the deterministic data of the crash test: page i holds
// activities crash-i-0… and covers [base+i h, base+(i+1) h).
func crashPage(t testing.TB, i, size int) feed.Batch {
	base := testNow.Add(-1000 * time.Hour)
	var acts []feed.Activity
	for j := range size {
		at := base.Add(time.Duration(i)*time.Hour + time.Duration(j)*time.Second)
		acts = append(acts, mkAct(t, fmt.Sprintf("activity_crash%05d_%04d", i, j), at, "claude_chat_viewed",
			userActor("a@example.com", "user_01AAAAAAAAAA"), fmt.Sprintf(`,"claude_chat_id":"claude_chat_01C%010d"`, i*size+j)))
	}
	return feed.Batch{Activities: acts, Covered: feed.Range{From: base.Add(time.Duration(i) * time.Hour), To: base.Add(time.Duration(i+1) * time.Hour)},
		CursorName: "crash", CursorValue: strconv.Itoa(i)}
}

func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("only runs as the crash test's child process")
	}
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		if _, err := s.Put(context.Background(), crashPage(t, i, 500)); err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			os.WriteFile(path+".ready", nil, 0o600)
		}
	}
}

func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process; skipped with -short")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
		cmd.Env = append(os.Environ(), crashEnv+"="+path)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			if _, err := os.Stat(path + ".ready"); err == nil {
				break
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatal("child never became ready")
			}
			time.Sleep(10 * time.Millisecond) // polling a file with a deadline
		}
		// Let it run into the middle of some page, then kill it.
		time.Sleep(time.Duration(50+round*70) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		os.Remove(path + ".ready")

		s, err := Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		cur, _ := s.Cursor(context.Background(), "crash")
		last, _ := strconv.Atoi(cur)
		var rows []struct{ page, n int }
		rs, err := s.r.Query(`SELECT substr(id, 15, 5), count(*) FROM activities GROUP BY 1 ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		for rs.Next() {
			var p string
			var n int
			rs.Scan(&p, &n)
			pi, _ := strconv.Atoi(p)
			rows = append(rows, struct{ page, n int }{pi, n})
		}
		rs.Close()
		if len(rows) != last+1 {
			t.Fatalf("round %d: cursor says %d pages, cache holds %d", round, last+1, len(rows))
		}
		for i, r := range rows {
			if r.page != i || r.n != 500 {
				t.Fatalf("round %d: page %d holds %d of 500 activities", round, r.page, r.n)
			}
		}
		base := testNow.Add(-1000 * time.Hour)
		c, err := s.Coverage(context.Background(), "", feed.Range{From: base, To: base.Add(time.Duration(last+1) * time.Hour)})
		if err != nil || c.Fraction != 1 || len(c.Covered) != 1 {
			t.Fatalf("round %d: coverage after crash %+v %v", round, c, err)
		}
		if m, _ := s.Missing(context.Background(), "", feed.Range{From: base, To: base.Add(time.Duration(last+2) * time.Hour)}); len(m) != 1 {
			t.Fatalf("round %d: uncommitted page counted as covered: %v", round, m)
		}
		// FTS and rows agree: every committed chat id is searchable.
		q, _ := feed.Parse(fmt.Sprintf("id:claude_chat_01C%010d", last*500+499))
		if n, _, err := s.Count(context.Background(), q, testNow, 0); err != nil || n != 1 {
			t.Fatalf("round %d: last committed page not indexed: %d %v", round, n, err)
		}
		s.Close()
		t.Logf("round %d: killed after %d committed pages", round, last+1)
	}
}
