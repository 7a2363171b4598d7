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
	"time"

	"claudit/feed"
)

const (
	// ridShift leaves 2^20 slots per millisecond: rid = ms << ridShift | slot.
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

func ridLo(b int64) int64 { return b << ridShift }

// ridHi is the exclusive end of bucket b's rid range.
func ridHi(b int64) int64 {
	if b >= maxBucket {
		return 1<<63 - 1
	}
	return (b + 1) << ridShift
}

func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// ingestRow is one activity prepared for insertion.
type ingestRow struct {
	a          *feed.Activity
	rid, t     int64
	terms      [9]string // see termCols
	self, late bool
	fts        [5]string // ra, rt, ro, mt, tx
	reqID      string
	actorKey   string   // api_key_id of an api_actor (compliance_api_accessed)
	ips        []string // every IP address mentioned, for CIDR terms
}

// ingestRow.terms holds, in order, the interned columns type, atype, actor,
// email, ip, ua, org, orgu and tkey.

const maxUA = 1024

// prepareRow extracts everything Put stores for one activity. It runs
// before the write lock is taken.
func prepareRow(a *feed.Activity, r *refs, tok []byte) (ingestRow, error) {
	if a.ID == "" {
		return ingestRow{}, errors.New("activity without id")
	}
	if len(a.Raw) == 0 {
		return ingestRow{}, fmt.Errorf("activity %q has no raw JSON", a.ID)
	}
	if err := extractRefs(a.Raw, r); err != nil {
		return ingestRow{}, fmt.Errorf("activity %q: %w", a.ID, err)
	}
	t := nanos(a.CreatedAt, 0)
	row := ingestRow{a: a, t: t, reqID: r.requestID}
	row.rid = ridLo(bucket(t)) | int64(fnv64(a.ID)&(ridSlots-1))
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
	// in an unusual shape) are added explicitly.
	if id := a.Actor.ID(); id != "" {
		r.add(roleActor, id)
	}
	for role := range r.byRole {
		tok = tok[:0]
		for i, v := range r.byRole[role] {
			if (strings.IndexByte(v, '.') > 0 || strings.IndexByte(v, ':') > 0) && len(v) <= 45 {
				if _, err := netip.ParseAddr(v); err == nil && !slices.Contains(row.ips, v) {
					row.ips = append(row.ips, v)
				}
			}
			if i > 0 {
				tok = append(tok, ' ')
			}
			tok = appendRefToken(tok, v)
		}
		row.fts[role] = string(tok)
	}
	tok = appendRefToken(tok[:0], "type:"+a.Type)
	for _, v := range r.org {
		tok = append(tok, ' ')
		tok = appendRefToken(tok, v)
	}
	row.fts[3] = string(tok)
	tok = append(tok[:0], strings.ReplaceAll(a.Type, "_", " ")...)
	if len(r.text) > 0 {
		tok = append(tok, ' ')
		tok = append(tok, r.text...)
	}
	row.fts[4] = string(tok)
	return row, nil
}

// Put commits a page, its coverage, its cursor and its request-id in one
// transaction. Activities already cached are counted, not rewritten; an id
// that comes back with different content is kept once and recorded as an
// anomaly.
func (s *Store) Put(ctx context.Context, b feed.Batch) (feed.PutResult, error) {
	var res feed.PutResult
	rows := make([]ingestRow, 0, len(b.Activities))
	var r refs
	var tok []byte
	first := make(map[string]*feed.Activity, len(b.Activities))
	var inBatchDup []*feed.Activity
	for i := range b.Activities {
		a := &b.Activities[i]
		if _, ok := first[a.ID]; ok {
			inBatchDup = append(inBatchDup, a)
			continue
		}
		row, err := prepareRow(a, &r, tok)
		if err != nil {
			return res, fmt.Errorf("store page: %w", err)
		}
		first[a.ID] = a
		rows = append(rows, row)
	}
	slices.SortFunc(rows, func(x, y ingestRow) int { return cmpInt(x.rid, y.rid) })
	now := s.now().UnixNano()

	sqlTx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return res, mapErr("store page", err)
	}
	defer sqlTx.Rollback()
	tx := &wtx{Tx: sqlTx}
	newTerms := map[string]int64{}
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
	ids, err := s.intern(ctx, tx, rows, newTerms)
	if err != nil {
		return fail(err)
	}
	inserted, leftovers, err := s.insertActivities(ctx, tx, rows, ids, now)
	if err != nil {
		return fail(err)
	}
	// kept is the cached copy of ids that were already cached; in-page
	// repeats are compared with it (or with the copy inserted now).
	kept := map[string]string{}
	// Rows the bulk insert skipped: already cached (duplicate or anomaly),
	// or their rid slot was taken by another id in the same millisecond.
	for _, i := range leftovers {
		row := &rows[i]
		var rid int64
		var raw string
		err := tx.QueryRowContext(ctx, `SELECT a.rid, r.json FROM activities a JOIN raw r ON r.rid = a.rid WHERE a.id = ?`, row.a.ID).Scan(&rid, &raw)
		switch {
		case err == nil:
			kept[row.a.ID] = raw
			if raw == string(row.a.Raw) {
				res.Duplicate++
			} else {
				res.Anomalies++
				if err := recordAnomaly(ctx, tx.Tx, row.a, b.RunID, now); err != nil {
					return fail(err)
				}
			}
			continue
		case !errors.Is(err, sql.ErrNoRows):
			return fail(err)
		}
		if err := s.insertProbing(ctx, tx, row, ids, now); err != nil {
			return fail(err)
		}
		inserted = append(inserted, i)
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
	// Ascending rowids: FTS5 must flush its pending data whenever a rowid
	// is not larger than the previous one, and B-trees append faster.
	slices.SortFunc(inserted, func(x, y int) int { return cmpInt(rows[x].rid, rows[y].rid) })
	res.Inserted = len(inserted)
	for _, i := range inserted {
		if rows[i].late {
			res.Late++
		}
	}
	if err := s.insertRaw(ctx, tx, rows, inserted); err != nil {
		return fail(err)
	}
	if err := s.countSuggest(ctx, tx, rows, inserted); err != nil {
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
	// The FTS rows go last: FTS5 flushes its pending index data at every
	// statement boundary, so one big final statement writes one segment.
	if err := s.insertFTS(ctx, tx, rows, inserted); err != nil {
		return fail(err)
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	s.publishTerms(newTerms)
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
		match := "rt:" + refToken(normRef(id)) + " AND mt:" + refToken("type:"+typeCAC)
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

// intern returns the term ids of every interned column value of rows,
// inserting new terms. New ids go to fresh and are published to the cache
// only after commit (a rollback must not leave ids that do not exist).
func (s *Store) intern(ctx context.Context, tx *wtx, rows []ingestRow, fresh map[string]int64) (map[string]int64, error) {
	ids := make(map[string]int64, 64)
	var missing []string
	s.termMu.Lock()
	for i := range rows {
		for _, v := range rows[i].terms {
			if v == "" {
				continue
			}
			if _, ok := ids[v]; ok {
				continue
			}
			if id, ok := s.terms[v]; ok {
				ids[v] = id
				continue
			}
			ids[v] = 0
			missing = append(missing, v)
		}
	}
	s.termMu.Unlock()
	for start := 0; start < len(missing); start += 500 {
		part := missing[start:min(len(missing), start+500)]
		args := make([]any, len(part))
		for i, v := range part {
			args[i] = v
		}
		rs, err := tx.QueryContext(ctx, `SELECT id, v FROM terms WHERE v IN (`+placeholders(len(part))+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rs.Next() {
			var id int64
			var v string
			if err := rs.Scan(&id, &v); err != nil {
				rs.Close()
				return nil, err
			}
			ids[v] = id
			fresh[v] = id // committed by someone else: safe to cache even on rollback
		}
		if err := rs.Close(); err != nil {
			return nil, err
		}
	}
	for _, v := range missing {
		if ids[v] != 0 {
			continue
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO terms(v) VALUES (?) RETURNING id`, v).Scan(&id); err != nil {
			return nil, err
		}
		ids[v] = id
		fresh[v] = id
	}
	return ids, nil
}

func (s *Store) publishTerms(fresh map[string]int64) {
	if len(fresh) == 0 {
		return
	}
	s.termMu.Lock()
	for v, id := range fresh {
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

// Bulk statement sizes (rows per statement), bounded by SQLite's 32766
// parameters per statement.
const (
	actCols   = 15
	actChunk  = 256
	rawChunk  = 1000
	ftsCols   = 6
	ftsChunk  = 5000
	sugChunk  = 500
	sugFields = 3
)

// wtx is a write transaction with its own cache of bulk statements
// (statements prepared on the pool cannot be used while the single write
// connection is busy with the transaction).
type wtx struct {
	*sql.Tx
	stmts map[string]*sql.Stmt
}

// bulk returns a prepared statement "prefix VALUES (?,…),(?,…) suffix" for
// n rows of cols values.
func (tx *wtx) bulk(ctx context.Context, prefix, suffix string, cols, n int) (*sql.Stmt, error) {
	key := fmt.Sprintf("%s|%d|%s", prefix, n, suffix)
	if st, ok := tx.stmts[key]; ok {
		return st, nil
	}
	var sb strings.Builder
	sb.Grow(len(prefix) + len(suffix) + n*(2*cols+2))
	sb.WriteString(prefix)
	sb.WriteString(" VALUES ")
	row := "(" + placeholders(cols) + ")"
	for i := 0; i < n; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(row)
	}
	sb.WriteByte(' ')
	sb.WriteString(suffix)
	st, err := tx.PrepareContext(ctx, sb.String())
	if err != nil {
		return nil, err
	}
	if tx.stmts == nil {
		tx.stmts = map[string]*sql.Stmt{}
	}
	tx.stmts[key] = st
	return st, nil
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

func termArg(ids map[string]int64, v string) any {
	if v == "" {
		return nil
	}
	return ids[v]
}

func (row *ingestRow) actArgs(args []any, ids map[string]int64, now int64) []any {
	args = append(args, row.rid, row.a.ID, row.t)
	for _, v := range row.terms {
		args = append(args, termArg(ids, v))
	}
	return append(args, b2i(row.self), b2i(row.late), now)
}

const actInsert = `INSERT INTO activities(rid, id, t, type, atype, actor, email, ip, ua, org, orgu, tkey, self, late, ingested)`

// insertActivities bulk-inserts rows, returning the indexes of the rows
// inserted and of those skipped (id already cached or rid slot taken).
func (s *Store) insertActivities(ctx context.Context, tx *wtx, rows []ingestRow, ids map[string]int64, now int64) (inserted, leftovers []int, err error) {
	byRid := make(map[int64]int, len(rows))
	got := make(map[int]bool, len(rows))
	args := make([]any, 0, actChunk*actCols)
	for start := 0; start < len(rows); start += actChunk {
		part := rows[start:min(len(rows), start+actChunk)]
		st, err := tx.bulk(ctx, actInsert, "ON CONFLICT DO NOTHING RETURNING rid", actCols, len(part))
		if err != nil {
			return nil, nil, err
		}
		args = args[:0]
		for i := range part {
			args = part[i].actArgs(args, ids, now)
			if _, dup := byRid[part[i].rid]; !dup {
				byRid[part[i].rid] = start + i
			}
		}
		rs, err := st.QueryContext(ctx, args...)
		if err != nil {
			return nil, nil, err
		}
		for rs.Next() {
			var rid int64
			if err := rs.Scan(&rid); err != nil {
				rs.Close()
				return nil, nil, err
			}
			got[byRid[rid]] = true
		}
		if err := rs.Close(); err != nil {
			return nil, nil, err
		}
	}
	for i := range rows {
		if got[i] {
			inserted = append(inserted, i)
		} else {
			leftovers = append(leftovers, i)
		}
	}
	return inserted, leftovers, nil
}

// insertProbing inserts one row whose rid slot is taken, trying the next
// free slot of the same millisecond.
func (s *Store) insertProbing(ctx context.Context, tx *wtx, row *ingestRow, ids map[string]int64, now int64) error {
	b := bucket(row.t)
	lo := ridLo(b)
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

func (s *Store) insertRaw(ctx context.Context, tx *wtx, rows []ingestRow, idx []int) error {
	args := make([]any, 0, rawChunk*2)
	for start := 0; start < len(idx); start += rawChunk {
		part := idx[start:min(len(idx), start+rawChunk)]
		st, err := tx.bulk(ctx, `INSERT INTO raw(rid, json)`, "", 2, len(part))
		if err != nil {
			return err
		}
		args = args[:0]
		for _, i := range part {
			args = append(args, rows[i].rid, string(rows[i].a.Raw))
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) insertFTS(ctx context.Context, tx *wtx, rows []ingestRow, idx []int) error {
	args := make([]any, 0, min(len(idx), ftsChunk)*ftsCols)
	for start := 0; start < len(idx); start += ftsChunk {
		part := idx[start:min(len(idx), start+ftsChunk)]
		st, err := tx.bulk(ctx, `INSERT INTO fts(rowid, ra, rt, ro, mt, tx)`, "", ftsCols, len(part))
		if err != nil {
			return err
		}
		args = args[:0]
		for _, i := range part {
			f := &rows[i].fts
			args = append(args, rows[i].rid, f[0], f[1], f[2], f[3], f[4])
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// suggestKey is one (field, value) pair counted for completion.
type suggestKey struct{ field, v string }

// countSuggest adds the inserted rows' values to the completion counts.
func (s *Store) countSuggest(ctx context.Context, tx *wtx, rows []ingestRow, idx []int) error {
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
	args := make([]any, 0, min(len(keys), sugChunk)*sugFields)
	for start := 0; start < len(keys); start += sugChunk {
		part := keys[start:min(len(keys), start+sugChunk)]
		st, err := tx.bulk(ctx, `INSERT INTO suggest(field, v, n)`, `ON CONFLICT(field, v) DO UPDATE SET n = n + excluded.n`, sugFields, len(part))
		if err != nil {
			return err
		}
		args = args[:0]
		for _, k := range part {
			args = append(args, k.field, k.v, counts[k])
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
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
	return mapErr("record sync run", tx.Commit())
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}
