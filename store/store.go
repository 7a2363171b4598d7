package store

import (
	"cmp"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"claudit/feed"
)

// The store satisfies the Syncer's sink.
var _ feed.Sink = (*Store)(nil)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Store is an open cache. It is safe for concurrent use; several processes
// may open the same file (one writes at a time, all can read).
type Store struct {
	path      string
	now       func() time.Time
	w         *sql.DB // the single write connection: SQLite allows one writer
	r         *sql.DB // a pool of read-only connections
	tightened bool

	// terms caches committed dictionary ids (value → id) of the terms
	// table. Ids are immutable once committed, so a stale cache is only
	// ever incomplete, never wrong.
	termMu sync.Mutex
	terms  map[string]int64

	freeVals valueSet  // the distinct free-text values (see substr.go)
	stmts    stmtCache // bulk statements of the write connection
	ids      idTuning  // the id filter's sizes (a field so tests can shrink them)
	bloom    bloomCache
	ck       *checkpointer
	names    namesCache // the directory's index, until the next refresh
}

type options struct {
	now func() time.Time
	// The writer's page cache (KiB) and memory map (bytes); 0 = the
	// defaults in openDB.
	writerCacheKiB, writerMmap int
}

// Option configures Open.
type Option func(*options)

// WithNow sets the clock used for ingest times and run bookkeeping (tests).
func WithNow(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithWriterMemory sizes the writer connection's page cache (KiB) and
// memory map (bytes), for a process whose cache is small beside the
// memory it shares with other work (the demo holds its simulator too).
// Both count as resident memory: the defaults, 64 MiB and 256 MiB, suit a
// million-event backfill (BenchmarkBackfillMemory). 0 keeps a default.
func WithWriterMemory(cacheKiB, mmapBytes int) Option {
	return func(o *options) { o.writerCacheKiB, o.writerMmap = cacheKiB, mmapBytes }
}

// DefaultPath returns the cache file of a profile:
// os.UserCacheDir()/claudit/<profile>.db.
func DefaultPath(profile string) (string, error) {
	if profile == "" || profile == "." || profile == ".." || strings.ContainsAny(profile, `/\`+"\x00") {
		return "", fmt.Errorf("profile name %q cannot be used as a file name", profile)
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("locate the user cache directory: %w", err)
	}
	return filepath.Join(dir, "claudit", profile+".db"), nil
}

// Open opens (creating when needed) the cache at path, tightens its
// permissions, applies the pending migrations and returns the store.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	o := options{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if path == "" {
		return nil, errors.New("open cache: empty path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open cache %s: %w", path, err)
	}
	tightened, err := secureFiles(abs)
	if err != nil {
		return nil, err
	}
	s := &Store{path: abs, now: o.now, tightened: tightened, terms: map[string]int64{}, ids: idTuning{recentMax: recentMax, minCap: bloomMinCap}}
	if s.w, err = openDB(abs, false, o); err != nil {
		return nil, err
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	if err := s.migrate(ctx); err != nil {
		s.w.Close()
		return nil, err
	}
	if err := s.checkSchema(ctx); err != nil {
		s.w.Close()
		return nil, err
	}
	if s.r, err = openDB(abs, true, o); err != nil {
		s.w.Close()
		return nil, err
	}
	s.r.SetMaxOpenConns(4)
	s.r.SetMaxIdleConns(4)
	s.r.SetConnMaxLifetime(0)
	if err := s.r.PingContext(ctx); err != nil {
		s.Close()
		return nil, mapErr("open cache "+abs, err)
	}
	s.ck = newCheckpointer(abs)
	if err := s.reingestSchema1(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// schemaTables are the tables the store reads and writes once a cache is
// migrated (a cache of the first form of schema 1 is upgraded first, see
// schema1.go). A damaged file may have lost some: it cannot be read, only
// rebuilt. The tables migration 0002 retired (vtx, textvals) are not
// required.
func schemaTables() []string {
	return []string{"terms", "activities", "idbloom", "idhashes", "fts", "roll_h", "roll_m", "meta", "notes",
		"anomalies", "coverage", "cursors", "request_ids", "own_keys", "sync_runs", "suggest", "subvals", "vref",
		"dir_refresh", "dir_orgs", "dir_org_aliases", "dir_users", "dir_roles", "dir_groups", "dir_group_members", "dir_keys"}
}

// checkSchema reports a missing table as ErrCorrupt, naming it.
func (s *Store) checkSchema(ctx context.Context) error {
	rs, err := s.w.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		return mapErr("open cache "+s.path, err)
	}
	have := map[string]bool{}
	for rs.Next() {
		var name string
		if err := rs.Scan(&name); err != nil {
			rs.Close()
			return mapErr("open cache "+s.path, err)
		}
		have[name] = true
	}
	if err := rs.Close(); err != nil {
		return mapErr("open cache "+s.path, err)
	}
	var missing []string
	for _, t := range schemaTables() {
		if !have[t] {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("open cache %s: table %s missing (a damaged file): %w",
			s.path, strings.Join(missing, ", "), ErrCorrupt)
	}
	return nil
}

// OpenReadOnly opens an existing cache for reading only, without creating,
// tightening, migrating or checkpointing anything, so a read-only file or
// directory can be searched (query --offline). A file that needs a
// migration first is refused: it cannot take one. Writes fail.
func OpenReadOnly(ctx context.Context, path string, opts ...Option) (*Store, error) {
	o := options{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open cache %s: %w", path, err)
	}
	fi, err := os.Lstat(abs)
	switch {
	case err != nil:
		return nil, fmt.Errorf("open cache %s: %w", abs, errors.Join(ErrPermission, err))
	case fi.Mode()&fs.ModeSymlink != 0:
		target, _ := os.Readlink(abs)
		return nil, fmt.Errorf("open cache %s: it is a symbolic link to %s: %w", abs, target, ErrSymlink)
	}
	var s *Store
	// Without a writable directory or -shm file the WAL cannot be shared:
	// the file is then read as immutable (nothing can be writing it).
	for _, immutable := range []bool{false, true} {
		if s, err = openReadOnly(ctx, abs, immutable, o.now); err == nil {
			return s, nil
		}
	}
	return nil, err
}

func openReadOnly(ctx context.Context, abs string, immutable bool, now func() time.Time) (*Store, error) {
	s := &Store{path: abs, now: now, terms: map[string]int64{}, ids: idTuning{recentMax: recentMax, minCap: bloomMinCap}}
	var err error
	if s.w, err = openRODB(abs, immutable); err != nil {
		return nil, err
	}
	s.w.SetMaxOpenConns(1)
	if s.r, err = openRODB(abs, immutable); err != nil {
		s.w.Close()
		return nil, err
	}
	s.r.SetMaxOpenConns(4)
	known, err := embeddedMigrations()
	if err == nil {
		var v int
		if v, err = s.schemaVersion(ctx, known); err == nil && len(known) > 0 && v < known[len(known)-1].version {
			err = fmt.Errorf("open cache %s: it needs a schema upgrade, which a read-only file cannot take: %w", abs, ErrPermission)
		}
	}
	if err == nil {
		err = s.checkSchema(ctx)
	}
	if err != nil {
		s.w.Close()
		s.r.Close()
		return nil, err
	}
	return s, nil
}

// openRODB opens a read-only connection pool (mode=ro, optionally
// immutable) with the readers' pragmas.
func openRODB(path string, immutable bool) (*sql.DB, error) {
	q := url.Values{}
	q.Set("mode", "ro")
	if immutable {
		q.Set("immutable", "1")
	}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Add("_pragma", "cache_size(-8192)")
	q.Add("_pragma", "query_only(1)")
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, mapErr("open cache "+path, err)
	}
	return db, nil
}

// openDB opens one connection pool on the file with the cache's pragmas
// (o sizes the writer's memory).
func openDB(path string, readOnly bool, o options) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	// Set before the first write (a no-op on an existing file): bigger
	// pages mean fewer pages to split, write to the WAL and checkpoint.
	q.Add("_pragma", "page_size(8192)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "temp_store(MEMORY)")
	if readOnly {
		// Readers serve keyset windows of a few hundred rows: a small page
		// cache each and plain reads (no mmap) keep the explorer's resident
		// memory low however far it scrolls through a large cache.
		q.Add("_pragma", "cache_size(-8192)")
		q.Add("_pragma", "query_only(1)")
	} else {
		// The writer's larger page cache and memory-mapped reads keep the
		// hot indexes of a million-event cache in memory during ingest.
		// Mapped pages count as resident memory, so the map is capped at
		// 256 MiB: a 1M-event backfill peaked at ~405 MB with 1 GiB and
		// ~290 MB with 256 MiB, at the same ingest rate (0 and 128 MiB were
		// slower; BenchmarkBackfillMemory).
		q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", cmp.Or(o.writerCacheKiB, 65536)))
		q.Add("_pragma", fmt.Sprintf("mmap_size(%d)", cmp.Or(o.writerMmap, 268435456)))
		// Write transactions take the lock up front: a deferred transaction
		// that upgrades later can fail with SQLITE_BUSY despite busy_timeout.
		q.Set("_txlock", "immediate")
		// Checkpoints run in the background (see checkpointer); this one is
		// the backstop, at 256 MiB of WAL. After a checkpoint the WAL file
		// is cut back to 64 MiB.
		q.Add("_pragma", "wal_autocheckpoint(32768)")
		q.Add("_pragma", "journal_size_limit(67108864)")
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, mapErr("open cache "+path, err)
	}
	return db, nil
}

// secureFiles creates the cache directory (0700) and file (0600) before
// SQLite opens it, so the -wal and -shm files SQLite creates inherit 0600.
// An existing file (or WAL/SHM) readable by others is tightened.
func secureFiles(path string) (tightened bool, err error) {
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		// Only a directory we create is ours to set: an existing one may be
		// the user's own (e.g. --cache /tmp/x.db).
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return false, fmt.Errorf("create cache directory %s: %w", dir, errors.Join(ErrPermission, err))
		}
	}
	// A link is refused rather than followed: tightening through it would
	// chmod a file that is not claudit's (Lstat, never Stat, below).
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if fi, err := os.Lstat(p); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			return false, fmt.Errorf("open cache %s: it is a symbolic link to %s: %w", p, target, ErrSymlink)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return false, fmt.Errorf("open cache %s: %w", path, errors.Join(ErrPermission, err))
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Lstat(p)
		if err != nil || !fi.Mode().IsRegular() {
			continue // WAL and SHM exist only while in use
		}
		if fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, fi.Mode().Perm()&0o700); err != nil {
				return false, fmt.Errorf("tighten permissions of %s: %w", p, errors.Join(ErrPermission, err))
			}
			tightened = true
		}
	}
	return tightened, nil
}

// Close closes the cache.
func (s *Store) Close() error {
	var errs []error
	if s.ck != nil {
		s.ck.close()
	}
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	s.stmts.close()
	if s.w != nil {
		// A last PRAGMA optimize keeps the planner's statistics fresh for the
		// next open; failure is harmless.
		_, _ = s.w.Exec("PRAGMA optimize")
		errs = append(errs, s.w.Close())
	}
	return mapErr("close cache", errors.Join(errs...))
}

// Path returns the absolute path of the cache file.
func (s *Store) Path() string { return s.path }

// migration is one embedded schema migration.
type migration struct {
	version int
	name    string
}

// embeddedMigrations lists the embedded migrations in the order they are
// applied: by number (not by name: 10 after 9).
func embeddedMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	var known []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("embedded migration %s: name must start with a number and _", e.Name())
		}
		known = append(known, migration{version, e.Name()})
	}
	sort.Slice(known, func(i, j int) bool { return known[i].version < known[j].version })
	return known, nil
}

// schemaVersion returns the newest migration the file has applied. One
// this binary does not have means a newer claudit wrote the file: reading
// it with an older schema could give wrong answers (ErrNewer).
func (s *Store) schemaVersion(ctx context.Context, known []migration) (int, error) {
	newest := 0
	if len(known) > 0 {
		newest = known[len(known)-1].version
	}
	var top sql.NullInt64
	if err := s.w.QueryRowContext(ctx, `SELECT max(version) FROM migrations`).Scan(&top); err != nil {
		return 0, mapErr("open cache "+s.path, err)
	}
	if top.Valid && int(top.Int64) > newest {
		return 0, fmt.Errorf("open cache %s: schema version %d, this claudit knows up to %d: %w", s.path, top.Int64, newest, ErrNewer)
	}
	return int(top.Int64), nil
}

// migrate applies the embedded migrations that the file has not seen yet,
// each in its own transaction recorded in the migrations table.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (
		version INTEGER PRIMARY KEY,
		name    TEXT NOT NULL,
		applied INTEGER NOT NULL
	)`); err != nil {
		return mapErr("open cache "+s.path, err)
	}
	known, err := embeddedMigrations()
	if err != nil {
		return err
	}
	version, err := s.schemaVersion(ctx, known)
	if err != nil {
		return err
	}
	if version >= 1 {
		first, err := s.isSchema1First(ctx)
		if err != nil {
			return mapErr("open cache "+s.path, err)
		}
		if first {
			if err := s.upgradeSchema1First(ctx); err != nil {
				return err
			}
		}
	}
	if version >= 2 {
		if err := s.redoSchema2(ctx); err != nil {
			return err
		}
	}
	for _, m := range known {
		version, name := m.version, m.name
		body, err := migrationFS.ReadFile("migrations/" + name)
		if err != nil {
			return fmt.Errorf("read embedded migration %s: %w", name, err)
		}
		if err := s.applyMigration(ctx, version, name, string(body)); err != nil {
			return err
		}
	}
	return nil
}

// migrationFills are the Go steps of migrations, run after the SQL in the
// same transaction: filling a new index from the rows already cached.
var migrationFills = map[int]func(context.Context, *sql.Tx) error{
	2: backfillSub,
}

func (s *Store) applyMigration(ctx context.Context, version int, name, body string) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return mapErr("migrate cache", err)
	}
	defer tx.Rollback()
	// Checked inside the (immediate) transaction: another process may have
	// applied it while we waited for the lock.
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM migrations WHERE version = ?`, version).Scan(&n); err != nil {
		return mapErr("migrate cache", err)
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return mapErr("migrate cache: "+name, err)
	}
	if fill := migrationFills[version]; fill != nil {
		if err := fill(ctx, tx); err != nil {
			return mapErr("migrate cache: "+name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO migrations(version, name, applied) VALUES (?, ?, ?)`,
		version, name, s.now().UnixNano()); err != nil {
		return mapErr("migrate cache: "+name, err)
	}
	return mapErr("migrate cache: "+name, tx.Commit())
}
