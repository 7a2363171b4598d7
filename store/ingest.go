package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"

	"claudit/feed"
)

const (
	// ridShift leaves 2^20 slots per millisecond (see ridOf).
	ridShift = 20
	ridSlots = 1 << ridShift
	// maxBucket keeps rid positive and inside int64 (ms before 2248).
	maxBucket = 1<<(63-ridShift) - 1
	typeCAC   = "compliance_api_accessed"
)

// bucket is the millisecond bucket of a unix-nanosecond time, clamped so
// that every time maps to a valid rid range; it never decreases as t grows.
func bucket(t int64) int64 {
	ms := t / int64(time.Millisecond)
	if t < 0 && t%int64(time.Millisecond) != 0 {
		ms-- // floor, not truncation
	}
	return min(max(ms, 0), maxBucket)
}

// ridOf is the rid of an activity of millisecond bucket b in slot slot:
// rids order activities newest first, (maxBucket-b) << ridShift | slot, so
// the pages of a backfill (which walks back in time) append at the end of
// every B-tree keyed by rid instead of splitting its first pages.
func ridOf(b int64, slot uint64) int64 {
	return (maxBucket-b)<<ridShift | int64(slot&(ridSlots-1))
}

// ridBucket is the millisecond bucket of a rid.
func ridBucket(rid int64) int64 { return maxBucket - rid>>ridShift }

// ridRange is the rid range [lo, hi] (inclusive) of the millisecond
// buckets [b0, b1); b0 < b1.
func ridRange(b0, b1 int64) (lo, hi int64) {
	return ridOf(b1-1, 0), ridOf(b0, ridSlots-1)
}

// timeBuckets is the bucket range [b0, b1) of the times [lo, hi) (open
// bounds minNanos and maxNanos).
func timeBuckets(lo, hi int64) (b0, b1 int64) {
	b0, b1 = bucket(lo), maxBucket+1
	if hi != maxNanos {
		b1 = bucket(hi-1) + 1
	}
	return b0, b1
}

func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// floorDiv is a / b rounded toward negative infinity (b > 0).
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// ingestRow is one activity prepared for insertion.
type ingestRow struct {
	a          *feed.Activity
	rid, t     int64
	terms      [9]string // see termCols
	self, late bool
	// trip is set when a tripwire rule fires on the activity alone
	// (feed.Trip, working hours in the machine's zone); the burst rule
	// needs many events and is applied by the explorer.
	trip bool
	refs string // reference-index tokens
	// subVals and subHashes are the searchable string values, folded, and
	// their hashes (see substr.go).
	subVals   []string
	subHashes []uint64
	reqID     string
	actorKey  string   // api_key_id of an api_actor (compliance_api_accessed)
	ips       []string // every IP address mentioned, for CIDR terms
}

// ingestRow.terms holds, in order, the interned columns type, atype, actor,
// email, ip, ua, org, orgu and tkey.

const maxUA = 1024

// preparer turns activities into ingestRows, reusing its buffers.
type preparer struct {
	r   refs
	buf []byte
}

// row extracts everything Put stores for one activity. It runs before the
// write lock is taken.
func (p *preparer) row(a *feed.Activity) (ingestRow, error) {
	if a.ID == "" {
		return ingestRow{}, errors.New("activity without id")
	}
	if len(a.Raw) == 0 {
		return ingestRow{}, fmt.Errorf("activity %q has no raw JSON", a.ID)
	}
	r := &p.r
	if err := extractRefs(a.Raw, r); err != nil {
		return ingestRow{}, fmt.Errorf("activity %q: %w", a.ID, err)
	}
	t := nanos(a.CreatedAt, 0)
	h := fnv64(a.ID)
	row := ingestRow{a: a, t: t, reqID: r.requestID}
	row.rid = ridOf(bucket(t), h)
	email := a.Actor.EmailAddress
	if email == "" {
		email = a.Actor.UnauthenticatedEmailAddress
	}
	ua := a.Actor.UserAgent
	if len(ua) > maxUA {
		ua = ua[:maxUA]
	}
	row.terms = [9]string{a.Type, a.Actor.Type, a.Actor.ID(), strings.ToLower(email),
		normRef(a.Actor.IPAddress), ua, a.OrganizationID, strings.ToLower(a.OrganizationUUID), r.targetKey}
	if a.Type == typeCAC && a.Actor.Type == feed.ActorAPI {
		row.actorKey = a.Actor.APIKeyID
	}
	// Actor ids the walker may not see as id-like (e.g. a federated subject
	// in an unusual shape) are added explicitly, and so is the activity's
	// own id, which deduplication and Get find through the index.
	if id := a.Actor.ID(); id != "" {
		r.add(roleActor, id)
	}
	r.add(roleOther, a.ID)
	buf := p.buf[:0]
	for role := range r.byRole {
		for _, v := range r.byRole[role] {
			if (strings.IndexByte(v, '.') > 0 || strings.IndexByte(v, ':') > 0) && len(v) <= 45 {
				if _, err := netip.ParseAddr(v); err == nil && !slices.Contains(row.ips, v) {
					row.ips = append(row.ips, v)
				}
			}
			buf = appendToken(buf, rolePrefix(role), v)
			buf = append(buf, ' ')
		}
	}
	for _, v := range r.org {
		buf = appendToken(buf, tokOrg, v)
		buf = append(buf, ' ')
	}
	buf = appendToken(buf, tokType, a.Type)
	row.refs = string(buf)
	row.subVals, row.subHashes = slices.Clone(r.subVals), slices.Clone(r.subHashes)
	p.buf = buf
	return row, nil
}

// parallelRows is the page size from which preparing is split over two
// goroutines.
const parallelRows = 1024

// prepareRows prepares the first copy of every id of a page; later copies
// in the same page are returned apart (dups), with first mapping an id to
// its first copy.
func prepareRows(acts []feed.Activity) (rows []ingestRow, dups []*feed.Activity, first map[string]*feed.Activity, err error) {
	first = make(map[string]*feed.Activity, len(acts))
	uniq := make([]*feed.Activity, 0, len(acts))
	for i := range acts {
		a := &acts[i]
		if _, ok := first[a.ID]; ok {
			dups = append(dups, a)
			continue
		}
		first[a.ID] = a
		uniq = append(uniq, a)
	}
	rows = make([]ingestRow, len(uniq))
	prep := func(lo, hi int) error {
		var p preparer
		for i := lo; i < hi; i++ {
			row, err := p.row(uniq[i])
			if err != nil {
				return err
			}
			row.trip = len(feed.Trip(*uniq[i], time.Local)) > 0
			rows[i] = row
		}
		return nil
	}
	if len(uniq) < parallelRows {
		err = prep(0, len(uniq))
	} else {
		// Extraction is pure Go: the second core does half of it.
		half := len(uniq) / 2
		var wg sync.WaitGroup
		var errHi error
		wg.Go(func() { errHi = prep(half, len(uniq)) })
		err = prep(0, half)
		wg.Wait()
		if err == nil {
			err = errHi
		}
	}
	if err != nil {
		return nil, nil, nil, err
	}
	return rows, dups, first, nil
}

// sortByRid returns rows in ascending rid order (sorting small keys, then
// moving each big row once).
func sortByRid(rows []ingestRow) []ingestRow {
	type key struct {
		rid int64
		i   int
	}
	keys := make([]key, len(rows))
	sorted := true
	for i := range rows {
		keys[i] = key{rows[i].rid, i}
		sorted = sorted && (i == 0 || rows[i-1].rid <= rows[i].rid)
	}
	if sorted {
		return rows
	}
	slices.SortFunc(keys, func(a, b key) int { return cmpInt(a.rid, b.rid) })
	out := make([]ingestRow, len(rows))
	for j, k := range keys {
		out[j] = rows[k.i]
	}
	return out
}

// Put commits a page, its coverage, its cursor and its request-id in one
// transaction. Activities already cached are counted, not rewritten; an id
// that comes back with different content is kept once and recorded as an
// anomaly.
func (s *Store) Put(ctx context.Context, b feed.Batch) (feed.PutResult, error) {
	var res feed.PutResult
	rows, inBatchDup, first, err := prepareRows(b.Activities)
	if err != nil {
		return res, fmt.Errorf("store page: %w", err)
	}
	rows = sortByRid(rows)
	now := s.now().UnixNano()

	sqlTx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return res, mapErr("store page", err)
	}
	defer sqlTx.Rollback()
	tx := &wtx{Tx: sqlTx, cache: &s.stmts}
	fresh := freshTerms{terms: map[string]int64{}}
	fail := func(err error) (feed.PutResult, error) { return feed.PutResult{}, mapErr("store page", err) }

	// Before this page's own FTS rows: the lookup of already cached events
	// of the request must not flush pending index data.
	if b.RequestID != "" {
		if err := recordRequestIDs(ctx, tx.Tx, []string{b.RequestID}, now); err != nil {
			return fail(err)
		}
	}
	cov, err := loadCoverage(ctx, tx, coverageFilters(b.Filter)...)
	if err != nil {
		return fail(err)
	}
	newKeys, err := s.markSelf(ctx, tx.Tx, rows, now)
	if err != nil {
		return fail(err)
	}
	for i := range rows {
		rows[i].late = contains(cov, rows[i].t)
	}
	hashes := make([]uint64, len(rows))
	for i := range rows {
		hashes[i] = idHash(rows[i].a.ID)
	}
	ids0, err := loadIDFilter(ctx, tx, hashes, &s.bloom)
	if err != nil {
		return fail(err)
	}
	// kept is the cached copy of ids that were already cached; in-page
	// repeats are compared with it (or with the copy inserted now).
	kept, inserted, err := dedup(ctx, tx, rows, ids0)
	if err != nil {
		return fail(err)
	}
	for i := range rows {
		raw, ok := kept[rows[i].a.ID]
		if !ok {
			continue
		}
		if raw == string(rows[i].a.Raw) {
			res.Duplicate++
		} else {
			res.Anomalies++
			if err := recordAnomaly(ctx, tx.Tx, rows[i].a, b.RunID, now); err != nil {
				return fail(err)
			}
		}
	}
	for _, a := range inBatchDup {
		keptRaw, ok := kept[a.ID]
		if !ok {
			keptRaw = string(first[a.ID].Raw)
		}
		if string(a.Raw) == keptRaw {
			res.Duplicate++
		} else {
			res.Anomalies++
			if err := recordAnomaly(ctx, tx.Tx, a, b.RunID, now); err != nil {
				return fail(err)
			}
		}
	}
	ids, err := s.intern(ctx, tx, rows, inserted, &fresh)
	if err != nil {
		return fail(err)
	}
	if err := s.insertActivities(ctx, tx, rows, inserted, ids, now); err != nil {
		return fail(err)
	}
	// Ascending rowids: FTS5 must flush its pending data whenever a rowid
	// is not larger than the previous one, and B-trees append faster.
	slices.SortFunc(inserted, func(x, y int) int { return cmpInt(rows[x].rid, rows[y].rid) })
	res.Inserted = len(inserted)
	for _, i := range inserted {
		if rows[i].late {
			res.Late++
		}
	}
	added := make([]uint64, len(inserted))
	for k, i := range inserted {
		added[k] = hashes[i]
	}
	if err := ids0.add(ctx, tx, added, s.ids); err != nil {
		return fail(err)
	}
	if err := countSuggest(ctx, tx, rows, inserted); err != nil {
		return fail(err)
	}
	if err := rollUp(ctx, tx, rows, inserted, ids.terms); err != nil {
		return fail(err)
	}
	if err := learnKeys(ctx, tx.Tx, newKeys, now); err != nil {
		return fail(err)
	}
	// A Covered range needs both bounds: an open bound would claim
	// completeness for all of the past or future.
	if !b.Covered.From.IsZero() && !b.Covered.To.IsZero() {
		if err := extendCoverage(ctx, tx.Tx, b.Filter, toSpan(b.Covered)); err != nil {
			return fail(err)
		}
	}
	if b.CursorName != "" {
		if _, err := tx.ExecContext(ctx, `INSERT INTO cursors(name, value, updated) VALUES (?, ?, ?)
			ON CONFLICT(name) DO UPDATE SET value = excluded.value, updated = excluded.updated`,
			b.CursorName, b.CursorValue, now); err != nil {
			return fail(err)
		}
	}
	// The FTS rows go last, in one statement: FTS5 flushes its pending
	// data at every statement boundary, so one statement writes one
	// segment.
	if err := insertFTS(ctx, tx, rows, inserted); err != nil {
		return fail(err)
	}
	if err := s.insertSub(ctx, tx, rows, inserted); err != nil {
		return fail(err)
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	s.publishTerms(&fresh)
	s.bloom.publish(ids0)
	s.ck.committed()
	s.stmts.warm(ctx, s.w, tx.missed)
	return res, nil
}

func recordAnomaly(ctx context.Context, tx *sql.Tx, a *feed.Activity, runID, now int64) error {
	var run any
	if runID != 0 {
		run = runID
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO anomalies(id, seen, run_id, json) VALUES (?, ?, ?, ?)`,
		a.ID, now, run, string(a.Raw))
	return err
}

// markSelf sets Self on compliance_api_accessed rows caused by claudit: their
// request_id is one claudit received, or their key is one learnt earlier.
// It returns the keys learnt from this batch.
func (s *Store) markSelf(ctx context.Context, tx *sql.Tx, rows []ingestRow, now int64) ([]string, error) {
	var reqs []any
	for i := range rows {
		if rows[i].actorKey != "" && rows[i].reqID != "" {
			reqs = append(reqs, rows[i].reqID)
		}
	}
	if len(reqs) == 0 {
		// Still need the known keys for rows without a request id.
		if !hasCAC(rows) {
			return nil, nil
		}
	}
	known := map[string]bool{}
	for start := 0; start < len(reqs); start += 500 {
		part := reqs[start:min(len(reqs), start+500)]
		q := `SELECT id FROM request_ids WHERE id IN (` + placeholders(len(part)) + `)`
		rs, err := tx.QueryContext(ctx, q, part...)
		if err != nil {
			return nil, err
		}
		for rs.Next() {
			var id string
			if err := rs.Scan(&id); err != nil {
				rs.Close()
				return nil, err
			}
			known[id] = true
		}
		if err := rs.Close(); err != nil {
			return nil, err
		}
	}
	own, err := ownKeys(ctx, tx)
	if err != nil {
		return nil, err
	}
	var learnt []string
	for i := range rows {
		if rows[i].actorKey != "" && known[rows[i].reqID] && !own[rows[i].actorKey] {
			own[rows[i].actorKey] = true
			learnt = append(learnt, rows[i].actorKey)
		}
	}
	for i := range rows {
		if rows[i].actorKey != "" && (own[rows[i].actorKey] || known[rows[i].reqID]) {
			rows[i].self = true
		}
	}
	return learnt, nil
}

func hasCAC(rows []ingestRow) bool {
	for i := range rows {
		if rows[i].actorKey != "" {
			return true
		}
	}
	return false
}

func ownKeys(ctx context.Context, q querier) (map[string]bool, error) {
	rs, err := q.QueryContext(ctx, `SELECT key FROM own_keys`)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	own := map[string]bool{}
	for rs.Next() {
		var k string
		if err := rs.Scan(&k); err != nil {
			return nil, err
		}
		own[k] = true
	}
	return own, rs.Err()
}

// learnKeys records keys as claudit's own and marks their earlier
// compliance_api_accessed events Self.
func learnKeys(ctx context.Context, tx *sql.Tx, keys []string, now int64) error {
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO own_keys(key, learnt) VALUES (?, ?)`, k, now); err != nil {
			return err
		}
		var typeID, actorID sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT (SELECT id FROM terms WHERE v = ?), (SELECT id FROM terms WHERE v = ?)`,
			typeCAC, k).Scan(&typeID, &actorID)
		if err != nil {
			return err
		}
		if !typeID.Valid || !actorID.Valid {
			continue // never stored: nothing to mark
		}
		// The match through the FTS index would flush it early; the typed
		// columns say the same thing.
		if _, err := tx.ExecContext(ctx, `UPDATE activities SET self = 1 WHERE type = ? AND actor = ? AND self = 0`,
			typeID.Int64, actorID.Int64); err != nil {
			return err
		}
	}
	return nil
}

// RecordRequestIDs records request-ids of responses claudit received, so the
// compliance_api_accessed events they caused are marked Self (including
// ones already cached).
func (s *Store) RecordRequestIDs(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	now := s.now().UnixNano()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return mapErr("record request ids", err)
	}
	defer tx.Rollback()
	if err := recordRequestIDs(ctx, tx, ids, now); err != nil {
		return mapErr("record request ids", err)
	}
	return mapErr("record request ids", tx.Commit())
}

func recordRequestIDs(ctx context.Context, tx *sql.Tx, ids []string, now int64) error {
	var keys []string
	for _, id := range ids {
		if id == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO request_ids(id, seen) VALUES (?, ?)`, id, now); err != nil {
			return err
		}
		// An event of this request may already be cached: find it through
		// the reference index (request_id is a top-level id: role target).
		match := "r : " + token(tokTarget, normRef(id)) + " AND r : " + token(tokType, typeCAC)
		rs, err := tx.QueryContext(ctx, `SELECT t.v FROM fts JOIN activities a ON a.rid = fts.rowid
			JOIN terms t ON t.id = a.actor WHERE fts MATCH ?`, match)
		if err != nil {
			return err
		}
		for rs.Next() {
			var k string
			if err := rs.Scan(&k); err != nil {
				rs.Close()
				return err
			}
			keys = append(keys, k)
		}
		if err := rs.Close(); err != nil {
			return err
		}
	}
	own, err := ownKeys(ctx, tx)
	if err != nil {
		return err
	}
	var learnt []string
	for _, k := range keys {
		if !own[k] {
			own[k] = true
			learnt = append(learnt, k)
		}
	}
	return learnKeys(ctx, tx, learnt, now)
}

// freshTerms collects the dictionary entries a write transaction saw
// that the store's caches lack; they are published only after commit (a
// rollback must not leave ids that do not exist).
type freshTerms struct {
	terms map[string]int64
}

// internIDs are the dictionary ids of a page's values.
type internIDs struct {
	terms map[string]int64 // terms.id by value
}

// intern returns the dictionary ids of every interned value of the rows to
// insert, adding new values.
func (s *Store) intern(ctx context.Context, tx *wtx, rows []ingestRow, idx []int, fresh *freshTerms) (internIDs, error) {
	ids := internIDs{terms: make(map[string]int64, 64)}
	var missing []string
	s.termMu.Lock()
	for _, i := range idx {
		for _, v := range rows[i].terms {
			if v == "" {
				continue
			}
			if _, ok := ids.terms[v]; ok {
				continue
			}
			if id, ok := s.terms[v]; ok {
				ids.terms[v] = id
				continue
			}
			ids.terms[v] = 0
			missing = append(missing, v)
		}
	}
	s.termMu.Unlock()
	if err := internTable(ctx, tx, "terms", missing, ids.terms, fresh.terms, nil); err != nil {
		return ids, err
	}
	return ids, nil
}

// internTable looks values up in a dictionary table (terms),
// inserting the missing ones; created collects the ids it inserted.
func internTable(ctx context.Context, tx *wtx, table string, missing []string, ids, fresh map[string]int64, created *[]int64) error {
	for start := 0; start < len(missing); start += 500 {
		part := missing[start:min(len(missing), start+500)]
		args := make([]any, len(part))
		for i, v := range part {
			args[i] = v
		}
		rs, err := tx.QueryContext(ctx, `SELECT id, v FROM `+table+` WHERE v IN (`+placeholders(len(part))+`)`, args...)
		if err != nil {
			return err
		}
		for rs.Next() {
			var id int64
			var v string
			if err := rs.Scan(&id, &v); err != nil {
				rs.Close()
				return err
			}
			ids[v] = id
			fresh[v] = id // committed by someone else: safe to cache even on rollback
		}
		if err := rs.Close(); err != nil {
			return err
		}
	}
	for _, v := range missing {
		if ids[v] != 0 {
			continue
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO `+table+`(v) VALUES (?) RETURNING id`, v).Scan(&id); err != nil {
			return err
		}
		ids[v] = id
		fresh[strings.Clone(v)] = id // cached for good: not sharing a page's memory
		if created != nil {
			*created = append(*created, id)
		}
	}
	return nil
}

func (s *Store) publishTerms(fresh *freshTerms) {
	if len(fresh.terms) == 0 {
		return
	}
	s.termMu.Lock()
	for v, id := range fresh.terms {
		s.terms[v] = id
	}
	s.termMu.Unlock()
}

func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?,", n-1) + "?"
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// evenChunk is the size of the chunks n rows are split into, at most max
// each and all but the last the same (a page of 5000 in 5 of 1000), so
// their statement is cached once.
func evenChunk(n, limit int) int {
	if n <= limit {
		return max(n, 1)
	}
	k := (n + limit - 1) / limit
	return (n + k - 1) / k
}

func termArg(ids map[string]int64, v string) any {
	if v == "" {
		return nil
	}
	return ids[v]
}

// Bulk statement sizes (rows per statement), bounded by SQLite's 32766
// parameters per statement.
const (
	actCols  = 14
	actChunk = 1000
	ftsChunk = 10000
)

func (row *ingestRow) actArgs(args []any, ids map[string]int64, now int64) []any {
	args = append(args, row.rid, row.a.ID, row.t)
	for _, v := range row.terms {
		args = append(args, termArg(ids, v))
	}
	// The driver copies the text: no need for a Go copy of the raw JSON.
	raw := unsafe.String(unsafe.SliceData(row.a.Raw), len(row.a.Raw))
	return append(args, now, raw)
}

// actInsert leaves the flags to their defaults (0): the few Self, Late and tripwire
// rows are updated after (fewer values to bind per row).
const actInsert = `INSERT INTO activities(rid, id, t, type, atype, actor, email, ip, ua, org, orgu, tkey, ingested, raw)`

// insertActivities bulk-inserts the rows idx points at. A row whose rid
// slot another id holds (same millisecond, same 20 hash bits) moves to the
// next free slot.
func (s *Store) insertActivities(ctx context.Context, tx *wtx, rows []ingestRow, idx []int, ids internIDs, now int64) error {
	size := evenChunk(len(idx), actChunk)
	args := make([]any, 0, size*actCols)
	for start := 0; start < len(idx); start += size {
		part := idx[start:min(len(idx), start+size)]
		// Plain ? parameters: SQLite looks numbered ones up by a linear
		// search, which makes binding thousands of them quadratic.
		st, err := tx.bulk(ctx, actInsert, "ON CONFLICT DO NOTHING", actCols, len(part))
		if err != nil {
			return err
		}
		args = args[:0]
		for _, i := range part {
			args = rows[i].actArgs(args, ids.terms, now)
		}
		res, err := st.ExecContext(ctx, args...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if int(n) == len(part) {
			continue
		}
		// Some rids were taken: the rows whose id is not at their rid move.
		rids := make([]int64, len(part))
		for k, i := range part {
			rids[k] = rows[i].rid
		}
		held, err := heldIDs(ctx, tx, rids)
		if err != nil {
			return err
		}
		for _, i := range part {
			if held[rows[i].rid].id != rows[i].a.ID {
				if err := insertProbing(ctx, tx, &rows[i], ids.terms, now); err != nil {
					return err
				}
			}
		}
	}
	for _, i := range idx {
		if rows[i].self || rows[i].late || rows[i].trip {
			if _, err := tx.ExecContext(ctx, `UPDATE activities SET self = ?, late = ?, tripwire = ? WHERE rid = ?`,
				b2i(rows[i].self), b2i(rows[i].late), b2i(rows[i].trip), rows[i].rid); err != nil {
				return err
			}
		}
	}
	return nil
}

// insertProbing inserts one row whose rid slot is taken, trying the next
// free slot of the same millisecond.
func insertProbing(ctx context.Context, tx *wtx, row *ingestRow, ids map[string]int64, now int64) error {
	lo := ridOf(bucket(row.t), 0)
	slot := row.rid - lo
	for n := 0; n < ridSlots; n++ {
		slot = (slot + 1) % ridSlots
		row.rid = lo + slot
		var taken int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM activities WHERE rid = ?`, row.rid).Scan(&taken); err != nil {
			return err
		}
		if taken == 0 {
			_, err := tx.ExecContext(ctx, actInsert+` VALUES (`+placeholders(actCols)+`)`, row.actArgs(nil, ids, now)...)
			return err
		}
	}
	return fmt.Errorf("activity %q: more than %d activities in one millisecond", row.a.ID, ridSlots)
}

// insertFTS adds the inserted rows (in ascending rid order) to the
// reference index.
func insertFTS(ctx context.Context, tx *wtx, rows []ingestRow, idx []int) error {
	args := make([]any, 0, min(len(idx), ftsChunk)*3)
	for start := 0; start < len(idx); start += ftsChunk {
		part := idx[start:min(len(idx), start+ftsChunk)]
		st, err := tx.bulk(ctx, `INSERT INTO fts(rowid, r, tx)`, "", 3, len(part))
		if err != nil {
			return err
		}
		args = args[:0]
		for _, i := range part {
			// The words column (tx) of the first schema is no longer
			// written: free text is a substring search (substr.go).
			args = append(args, rows[i].rid, rows[i].refs, "")
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// Rollup units: histograms add whole hours (per type) and whole minutes
// (all types) and count only the rest row by row.
const (
	hourNs   = int64(time.Hour)
	minuteNs = int64(time.Minute)
)

type rollKey struct{ typ, unit int64 }

// rollUp adds the inserted rows to the hourly and per-minute counts.
func rollUp(ctx context.Context, tx *wtx, rows []ingestRow, idx []int, terms map[string]int64) error {
	if len(idx) == 0 {
		return nil
	}
	hours := map[rollKey]int64{}
	minutes := map[int64]int64{}
	for _, i := range idx {
		h := floorDiv(rows[i].t, hourNs)
		hours[rollKey{terms[rows[i].terms[0]], h}]++
		hours[rollKey{0, h}]++
		minutes[floorDiv(rows[i].t, minuteNs)]++
	}
	hk := make([]rollKey, 0, len(hours))
	for k := range hours {
		hk = append(hk, k)
	}
	slices.SortFunc(hk, func(a, b rollKey) int {
		if c := cmpInt(a.typ, b.typ); c != 0 {
			return c
		}
		return cmpInt(a.unit, b.unit)
	})
	args := make([]any, 0, 3*len(hk))
	for _, k := range hk {
		args = append(args, k.typ, k.unit, hours[k])
	}
	if err := upsertAdd(ctx, tx, `INSERT INTO roll_h(type, h, n)`, `ON CONFLICT(type, h) DO UPDATE SET n = n + excluded.n`, 3, args); err != nil {
		return err
	}
	mk := make([]int64, 0, len(minutes))
	for m := range minutes {
		mk = append(mk, m)
	}
	slices.Sort(mk)
	args = args[:0]
	for _, m := range mk {
		args = append(args, m, minutes[m])
	}
	return upsertAdd(ctx, tx, `INSERT INTO roll_m(m, n)`, `ON CONFLICT(m) DO UPDATE SET n = n + excluded.n`, 2, args)
}

// upsertChunk bounds the rows of one additive upsert statement.
const upsertChunk = 512

// upsertAdd runs an additive upsert ("… DO UPDATE SET n = n + excluded.n")
// of args, rows of cols values whose last is the count to add. Each
// statement's rows are padded to a power of two with copies of its first
// row adding 0, so a few cached statements serve every page.
func upsertAdd(ctx context.Context, tx *wtx, prefix, suffix string, cols int, args []any) error {
	n := len(args) / cols
	for start := 0; start < n; start += upsertChunk {
		part := args[start*cols : min(n, start+upsertChunk)*cols]
		rows := len(part) / cols
		size := 16
		for size < rows {
			size *= 2
		}
		if size > rows {
			padded := make([]any, 0, size*cols)
			padded = append(padded, part...)
			for range size - rows {
				padded = append(append(padded, part[:cols-1]...), 0)
			}
			part = padded
		}
		st, err := tx.bulk(ctx, prefix, suffix, cols, size)
		if err != nil {
			return err
		}
		if _, err := st.ExecContext(ctx, part...); err != nil {
			return err
		}
	}
	return nil
}

// suggestKey is one (field, value) pair counted for completion.
type suggestKey struct{ field, v string }

// countSuggest adds the inserted rows' values to the completion counts.
func countSuggest(ctx context.Context, tx *wtx, rows []ingestRow, idx []int) error {
	counts := map[suggestKey]int{}
	for _, i := range idx {
		row := &rows[i]
		a := row.a
		if row.terms[3] != "" {
			counts[suggestKey{"actor", row.terms[3]}]++
		}
		if id := row.terms[2]; id != "" {
			counts[suggestKey{"actor", id}]++
			if a.Actor.Type == feed.ActorAPI || a.Actor.Type == feed.ActorAdminAPIKey {
				counts[suggestKey{"key", id}]++
			}
		}
		if row.terms[8] != "" && row.terms[8] != row.terms[2] {
			counts[suggestKey{"key", row.terms[8]}]++
		}
		for _, ip := range row.ips {
			counts[suggestKey{"ip", ip}]++
		}
		if row.terms[6] != "" {
			counts[suggestKey{"org", row.terms[6]}]++
		}
		if row.terms[7] != "" {
			counts[suggestKey{"org", row.terms[7]}]++
		}
		counts[suggestKey{"type", row.terms[0]}]++
	}
	if len(counts) == 0 {
		return nil
	}
	keys := make([]suggestKey, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	args := make([]any, 0, 3*len(keys))
	for _, k := range keys {
		args = append(args, k.field, k.v, counts[k])
	}
	return upsertAdd(ctx, tx, `INSERT INTO suggest(field, v, n)`, `ON CONFLICT(field, v) DO UPDATE SET n = n + excluded.n`, 3, args)
}

// Cursor returns a persisted cursor by name ("" when none).
func (s *Store) Cursor(ctx context.Context, name string) (string, error) {
	var v string
	err := s.r.QueryRowContext(ctx, `SELECT value FROM cursors WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, mapErr("read cursor", err)
}

// BeginRun records the start of a sync run and returns its id.
func (s *Store) BeginRun(ctx context.Context, r feed.RunInfo) (int64, error) {
	started := r.Started
	if started.IsZero() {
		started = s.now()
	}
	var id int64
	err := s.w.QueryRowContext(ctx, `INSERT INTO sync_runs(kind, query, filter, win_from, win_to, started)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		r.Kind, r.Query, r.Filter, nullTime(r.Window.From), nullTime(r.Window.To), started.UnixNano()).Scan(&id)
	return id, mapErr("record sync run", err)
}

// EndRun records the outcome of a sync run; its request-ids are recorded
// as claudit's own.
func (s *Store) EndRun(ctx context.Context, id int64, r feed.RunSummary) error {
	finished := r.Finished
	if finished.IsZero() {
		finished = s.now()
	}
	reqs := r.RequestIDs
	if reqs == nil {
		reqs = []string{}
	}
	reqJSON, err := json.Marshal(reqs)
	if err != nil {
		return fmt.Errorf("record sync run: %w", err)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return mapErr("record sync run", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE sync_runs SET finished = ?, pages = ?, events = ?, inserted = ?, late = ?,
		anomalies = ?, retries = ?, start_cursor = ?, end_cursor = ?, final_request_id = ?, request_ids = ?, err = ?
		WHERE id = ?`, finished.UnixNano(), r.Pages, r.Events, r.Inserted, r.Late, r.Anomalies, r.Retries,
		r.StartCursor, r.EndCursor, r.FinalRequestID, string(reqJSON), r.Err, id)
	if err != nil {
		return mapErr("record sync run", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("record sync run %d: %w", id, ErrNotFound)
	}
	ids := append([]string{}, r.RequestIDs...)
	if r.FinalRequestID != "" {
		ids = append(ids, r.FinalRequestID)
	}
	if err := recordRequestIDs(ctx, tx, ids, finished.UnixNano()); err != nil {
		return mapErr("record sync run", err)
	}
	if err := tx.Commit(); err != nil {
		return mapErr("record sync run", err)
	}
	s.compactIndexes(ctx)
	return nil
}

// compactPages bounds the work of one compaction (FTS5 pages of 8000
// bytes written): a second or two for a million-event cache.
const compactPages = 20000

// compactIndexes merges the segments a sync run left in the FTS index:
// every query opens every segment, so a few big ones answer faster than
// the dozens a long run leaves. Only levels of usermerge (4) or more
// similar segments are merged, so a short run does not rewrite the whole
// index. It is an optimisation: failure (e.g. a cancelled context) leaves
// the work to the next run.
func (s *Store) compactIndexes(ctx context.Context) {
	_, _ = s.w.ExecContext(ctx, `INSERT INTO fts(fts, rank) VALUES ('merge', ?)`, compactPages)
	_, _ = s.w.ExecContext(ctx, `INSERT INTO vref(vref, rank) VALUES ('merge', ?)`, compactPages)
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}
