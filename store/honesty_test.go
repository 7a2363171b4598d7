package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"claudit/feed"
)

// rawExec runs SQL on a closed cache file with database/sql, as a damaged
// or foreign file would have been written.
func rawExec(t *testing.T, path, stmt string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(stmt); err != nil {
		t.Fatal(err)
	}
}

func closedCache(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.db")
	s, err := Open(context.Background(), path, WithNow(func() time.Time { return testNow }))
	if err != nil {
		t.Fatal(err)
	}
	acts, _ := simActivities(t, 3, 200, testNow)
	putPages(t, s, acts, 100)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := closedCache(t)
	rawExec(t, path, `INSERT INTO migrations(version, name, applied) VALUES (999, '0999_future.sql', 0)`)
	_, err := Open(context.Background(), path)
	if !errors.Is(err, ErrNewer) || !strings.Contains(err.Error(), "written by a newer claudit") {
		t.Fatalf("Open of a newer cache: %v", err)
	}
}

func TestOpenRefusesMissingTable(t *testing.T) {
	path := closedCache(t)
	rawExec(t, path, `DROP TABLE sync_runs`)
	_, err := Open(context.Background(), path)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "sync_runs") {
		t.Fatalf("Open without sync_runs: %v", err)
	}
}

func TestTableDroppedWhileOpenIsCorrupt(t *testing.T) {
	s := openTest(t)
	acts, _ := simActivities(t, 3, 50, testNow)
	putPages(t, s, acts, 50)
	rawExec(t, s.Path(), `DROP TABLE roll_h`)
	_, _, err := s.Count(context.Background(), mustQuery(t, "since:30d"), testNow, 0)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("count after roll_h was dropped: %v", err)
	}
}

func TestOpenRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target.db")
	if err := os.WriteFile(target, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.db")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), link)
	if !errors.Is(err, ErrSymlink) || !strings.Contains(err.Error(), link) || !strings.Contains(err.Error(), target) {
		t.Fatalf("Open through a link: %v", err)
	}
	fi, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Fatalf("the link's target was chmodded to %v", fi.Mode().Perm())
	}
}

func mustQuery(t *testing.T, s string) feed.Query {
	t.Helper()
	q, err := feed.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestSelfHiddenByDefault(t *testing.T) {
	s := openTest(t)
	acts, _ := simActivities(t, 5, 3000, testNow)
	putPages(t, s, acts, 500)
	ctx := context.Background()
	res, err := s.w.ExecContext(ctx, `UPDATE activities SET self = 1 WHERE type = (SELECT id FROM terms WHERE v = 'compliance_api_accessed') AND rid % 3 != 0`)
	if err != nil {
		t.Fatal(err)
	}
	selfN, _ := res.RowsAffected()
	if selfN < 10 {
		t.Fatalf("only %d self rows to test with", selfN)
	}
	all := func(q feed.Query) (n, self int) {
		rows, err := s.Search(ctx, q, testNow, Cursor{}, Older, 100_000)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.Self {
				self++
			}
		}
		return len(rows), self
	}
	for _, qs := range []string{"since:30d", "", "type:compliance_api_accessed", "since:7d type:*api*", "-type:claude_chat_viewed since:20d"} {
		q := mustQuery(t, qs)
		rows, self := all(q)
		if self != 0 {
			t.Fatalf("%q: %d own calls in the answer", qs, self)
		}
		n, _, err := s.Count(ctx, q, testNow, 0)
		if err != nil || n != rows {
			t.Fatalf("%q: count %d (%v), the answer has %d rows", qs, n, err, rows)
		}
		from, to := testNow.Add(-30*24*time.Hour), testNow
		h, err := s.Histogram(ctx, q, testNow, from, to, 97)
		if err != nil {
			t.Fatal(err)
		}
		sum := 0
		for _, b := range h.Buckets {
			sum += b
		}
		// Every time term here lies inside the histogram's 30 days.
		inWin := rows
		if !q.HasTimeTerm() {
			inWin, _ = all(q.WithWindow(feed.Window{From: from, To: to}))
		}
		if sum != inWin {
			t.Fatalf("%q: histogram sums to %d, the answer has %d rows", qs, sum, inWin)
		}
		f, err := s.Facets(ctx, q, testNow, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if f.Rows != rows {
			t.Fatalf("%q: facets read %d rows, the answer has %d", qs, f.Rows, rows)
		}
		shown := q
		shown.ShowSelf = true
		withSelf, self := all(shown)
		if n, _, _ := s.Count(ctx, shown, testNow, 0); n != withSelf || self == 0 || withSelf != rows+self {
			t.Fatalf("%q with ShowSelf: count %d, rows %d (%d own), hidden answer %d", qs, n, withSelf, self, rows)
		}
	}
	only := mustQuery(t, "is:self")
	if rows, self := all(only); rows != int(selfN) || self != rows {
		t.Fatalf("is:self: %d rows (%d own), want %d", rows, self, selfN)
	}
}

func TestOpenReadOnlyWritesNothing(t *testing.T) {
	path := closedCache(t)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	n, _, err := s.Count(ctx, mustQuery(t, ""), testNow, 0)
	if err != nil || n == 0 {
		t.Fatalf("count on a read-only cache: %d, %v", n, err)
	}
	rows, err := s.Search(ctx, mustQuery(t, ""), testNow, Cursor{}, Older, 10)
	if err != nil || len(rows) == 0 {
		t.Fatalf("search on a read-only cache: %d rows, %v", len(rows), err)
	}
	if err := s.Mark(ctx, rows[0].ID, "x"); err == nil {
		t.Fatal("a write through a read-only store succeeded")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(before) != string(after) {
		t.Fatal("opening read-only changed the file")
	}
	// A cache that needs a migration cannot take it read-only.
	rawExec(t, path, `DELETE FROM migrations`)
	if _, err := OpenReadOnly(ctx, path); err == nil {
		t.Fatal("a cache that needs migrating opened read-only")
	}
	if _, err := OpenReadOnly(ctx, filepath.Join(t.TempDir(), "absent.db")); !errors.Is(err, ErrPermission) {
		t.Fatalf("absent file: %v", err)
	}
}
