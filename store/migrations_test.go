package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"claudit/feed"
)

// TestMigrationsAppendOnly pins the released migrations. Caches in the
// field have applied them and recorded only their number: editing one
// changes nothing in those files and leaves them with a schema this build
// does not expect (0001 and 0002 were, see oldschemas.go). New schema goes
// in a new file (0006_… and up); never update these digests.
func TestMigrationsAppendOnly(t *testing.T) {
	pinned := map[string]string{
		"0001_init.sql":      "c5d35f1793d14eed5f8a481d14a5a9864893c83b514801cea82f229bc22eea43",
		"0002_substring.sql": "2ecc90d44ff18cf88c44e6a31d25165196433b1fcb6fb75b8510214e85f4af39",
		"0003_lease.sql":     "7d886a96155ec7c25c7e53c6414455ecdf21dad363ebf065564aa43d1fc395c8",
		"0004_directory.sql": "ca1963ebe2f8c12c7a1091a66fdd6ff47db81b42c897d1b2c802a4c014a191b3",
		"0005_consumers.sql": "6bd89abf2e349c1595f967dc51f413de3a78303085fbcd32a487432627a2faa1",
	}
	for name, want := range pinned {
		body, err := migrationFS.ReadFile("migrations/" + name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sum := sha256.Sum256(body)
		if got := hex.EncodeToString(sum[:]); got != want {
			t.Errorf("%s was edited (sha256 %s): add a new migration instead", name, got)
		}
	}
}

// TestOpenMigratesFirstSchema1 builds a cache with the first text of
// 0001 (cf9d520, kept in testdata) as a claudit of that time would have
// written it, and opens it: it is upgraded in place, every activity, flag,
// note, cursor and run kept.
func TestOpenMigratesFirstSchema1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	old, err := os.ReadFile("testdata/schema1_cf9d520.sql")
	if err != nil {
		t.Fatal(err)
	}
	acts, _ := simActivities(t, 9, 120, testNow)
	acts = append(acts, mkAct(t, "activity_01BLANKRAW", testNow.Add(-time.Minute), "user_logged_in", userActor("old@example.com", "user_01OLDUSER000"), ""))
	marked := acts[7].ID
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(string(old))
	exec(`CREATE TABLE migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied INTEGER NOT NULL)`)
	exec(`INSERT INTO migrations VALUES (1, '0001_init.sql', 1)`)
	terms := map[string]int64{}
	term := func(v string) int64 {
		if id, ok := terms[v]; ok {
			return id
		}
		exec(`INSERT INTO terms(v) VALUES (?)`, v)
		terms[v] = int64(len(terms) + 1)
		return terms[v]
	}
	for i, a := range acts {
		// The first layout: oldest first, (created_at in ms) << 20 plus a slot.
		rid := a.CreatedAt.UnixMilli()<<20 | int64(i)
		exec(`INSERT INTO activities(rid, id, t, type, self, marked, ingested) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			rid, a.ID, a.CreatedAt.UnixNano(), term(a.Type), b2i(i%50 == 3), b2i(a.ID == marked), int64(1000+i))
		exec(`INSERT INTO raw(rid, json) VALUES (?, ?)`, rid, string(a.Raw))
	}
	exec(`INSERT INTO notes(id, note, marked) VALUES (?, 'look at this', 5)`, marked)
	exec(`INSERT INTO cursors(name, value, updated) VALUES ('sync', 'cur_OLD', 6)`)
	exec(`INSERT INTO sync_runs(kind, query, filter, started, finished, pages, events) VALUES ('sync', '', '', 1, 2, 3, 121)`)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(ctx, path, WithNow(func() time.Time { return testNow }))
	if err != nil {
		t.Fatalf("Open of a first-schema cache: %v", err)
	}
	defer s.Close()
	// Self events are hidden from searches: compare the rows themselves.
	var got []string
	rs, err := s.r.Query(`SELECT id FROM activities`)
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var id string
		if err := rs.Scan(&id); err != nil {
			t.Fatal(err)
		}
		got = append(got, id)
	}
	rs.Close()
	want := wantOrder(acts)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("migrated cache holds %d ids, want %d", len(got), len(want))
	}
	for _, a := range acts {
		r, err := s.Get(ctx, a.ID)
		if err != nil || string(r.Raw) != string(a.Raw) {
			t.Fatalf("Get(%s) = %v (raw kept: %t)", a.ID, err, string(r.Raw) == string(a.Raw))
		}
		if r.Marked != (a.ID == marked) {
			t.Fatalf("%s: marked %t", a.ID, r.Marked)
		}
	}
	if r, _ := s.Get(ctx, marked); r.Note != "look at this" {
		t.Fatalf("note %q", r.Note)
	}
	var self, ingested int64
	if err := s.r.QueryRow(`SELECT sum(self), sum(ingested) FROM activities`).Scan(&self, &ingested); err != nil {
		t.Fatal(err)
	}
	var wantSelf, wantIngested int64
	for i := range acts {
		wantSelf += b2i(i%50 == 3)
		wantIngested += int64(1000 + i)
	}
	if self != wantSelf || ingested != wantIngested {
		t.Fatalf("self %d ingested %d, want %d and %d (flags and times not copied back)", self, ingested, wantSelf, wantIngested)
	}
	if c, err := s.Cursor(ctx, "sync"); err != nil || c != "cur_OLD" {
		t.Fatalf("cursor %q %v", c, err)
	}
	if runs, err := s.Runs(ctx, 10); err != nil || len(runs) != 1 {
		t.Fatalf("runs %d %v", len(runs), err)
	}
	if n, _, err := s.Count(ctx, feed.Query{}, testNow, 0); err != nil || n != len(acts)-int(wantSelf) {
		t.Fatalf("Count = %d %v", n, err)
	}
	for _, table := range []string{"v1_activities", "v1_raw", "raw"} {
		if ok, err := hasTable(ctx, s.r, table); err != nil || ok {
			t.Fatalf("table %s left behind (%v)", table, err)
		}
	}
	known, err := embeddedMigrations()
	if err != nil {
		t.Fatal(err)
	}
	var n, v int
	if err := s.r.QueryRow(`SELECT count(*), max(version) FROM migrations`).Scan(&n, &v); err != nil || n != len(known) || v != known[len(known)-1].version {
		t.Fatalf("migrations: n=%d v=%d %v, want every embedded one (%d)", n, v, err, len(known))
	}
	// Ingest goes on as in any cache: repeats are recognised.
	res, err := s.Put(ctx, feed.Batch{Activities: acts[:50]})
	if err != nil || res.Inserted != 0 || res.Duplicate != 50 {
		t.Fatalf("Put after migration: %+v %v", res, err)
	}
	// Free text over the re-ingested values works.
	who := strings.ToUpper(firstEmail(t, acts))
	q, err := feed.Parse(fmt.Sprintf("%q", who[:8]))
	if err != nil {
		t.Fatal(err)
	}
	if n, _, err := s.Count(ctx, q, testNow, 0); err != nil || n == 0 {
		t.Fatalf("free text %s after migration: %d %v", who, n, err)
	}
	s.Close()
	// Opening it again applies nothing.
	s2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
}

// TestOpenMigratesEarlier0002 opens caches that applied an earlier text of
// migration 0002 (kept in testdata): their substring index is rebuilt and
// free text finds what it found before.
func TestOpenMigratesEarlier0002(t *testing.T) {
	for _, file := range []string{"testdata/schema2_4b752db.sql", "testdata/schema2_f2be7cd.sql"} {
		t.Run(file, func(t *testing.T) {
			ctx := context.Background()
			path := closedCache(t)
			old, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			rawExec(t, path, "DROP TABLE subvals; DROP TABLE vref; "+string(old))
			s, err := Open(ctx, path, WithNow(func() time.Time { return testNow }))
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer s.Close()
			for _, table := range []string{"sub", "subv"} {
				if ok, err := hasTable(ctx, s.r, table); err != nil || ok {
					t.Fatalf("table %s left behind (%v)", table, err)
				}
			}
			acts, _ := simActivities(t, 3, 200, testNow)
			who := firstEmail(t, acts)
			q, err := feed.Parse(fmt.Sprintf("%q", strings.ToUpper(who[:6])))
			if err != nil {
				t.Fatal(err)
			}
			want := 0
			for _, a := range acts {
				if strings.Contains(string(a.Raw), who[:6]) {
					want++
				}
			}
			if n, _, err := s.Count(ctx, q, testNow, 0); err != nil || n == 0 {
				t.Fatalf("free text %q after migration: %d %v (raw matches %d)", who[:6], n, err, want)
			}
		})
	}
}

// firstEmail is the first actor e-mail of acts (of 8 or more characters).
func firstEmail(t *testing.T, acts []feed.Activity) string {
	t.Helper()
	for _, a := range acts {
		if len(a.Actor.EmailAddress) >= 8 {
			return a.Actor.EmailAddress
		}
	}
	t.Fatal("no actor e-mail in the test activities")
	return ""
}
