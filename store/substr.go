package store

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"

	"modernc.org/sqlite"
)

// Free text is a substring search: a needle matches the activities one of
// whose JSON string values (any member, nested, decoded; not the member
// names) contains it, case-insensitively (both sides lower-cased rune by
// rune, unicode.ToLower), as grep -i over the values would. The activity's
// own id and created_at are not free text (id: and the time terms search
// them): they are the only values every activity has of its own.
//
// Most values repeat across activities (e-mails, addresses, user agents,
// key ids, names), so the search works on distinct values:
//
//   - subvals holds every distinct value, folded, once: appended in blobs
//     (one per page that brought new values) with their 64-bit hashes, and
//     read into memory (Store.freeVals), where a needle is looked for with
//     bytes.Index over all of them at once;
//   - vref, a contentless FTS5 index (detail=none), holds for each
//     activity one token per value it has ("s" and the hash in base 36).
//
// The tokens of the values that contain the needle are then looked up in
// vref, newest first. A needle that more than maxNeedleValues values
// contain is checked row by row instead (claudit_contains over the decoded
// values of raw): it is common, so a page of matches is read quickly; so
// is an excluded needle. Both ways see the same values.
// Hostile values stay bounded: a value is indexed by its first maxSubValue
// bytes and an activity by its first maxSubTotal bytes of values; text past
// those limits is not found.
const (
	maxSubValue = 4096
	maxSubTotal = 64 << 10
	// maxNeedleValues bounds the values one needle's index lookup may
	// yield; a needle in more values is common enough to find by reading
	// the activities newest first.
	maxNeedleValues = 2000
)

// freeTextValue reports whether the string value at depth under key is
// searched as free text: all but the activity's own id and created_at.
func freeTextValue(depth int, key string, inActor bool) bool {
	return !(depth == 1 && !inActor && (key == "id" || key == "created_at"))
}

// addSub adds one string value to the activity's searchable values.
func (r *refs) addSub(s string) {
	if s == "" || r.subLen >= maxSubTotal {
		return
	}
	if len(s) > maxSubValue {
		n := maxSubValue
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n]
	}
	v := foldText(s)
	h := fnv64(v)
	if slices.Contains(r.subHashes, h) {
		return
	}
	if v == s {
		v = strings.Clone(s) // s may alias the raw JSON
	}
	r.subVals = append(r.subVals, v)
	r.subHashes = append(r.subHashes, h)
	r.subLen += len(v)
}

// appendSubToken appends the vref token of a value hash.
func appendSubToken(dst []byte, h uint64) []byte {
	return strconv.AppendUint(append(dst, 's'), h, 36)
}

// subTokens is the text of a row's vref entry: the tokens of hashes,
// space-separated.
func subTokens(hashes []uint64) string {
	buf := make([]byte, 0, len(hashes)*15)
	for j, h := range hashes {
		if j > 0 {
			buf = append(buf, ' ')
		}
		buf = appendSubToken(buf, h)
	}
	return string(buf)
}

// containsFunc is the SQL function claudit_contains(raw, needle): 1 when a
// string value of the activity JSON raw contains needle (already folded).
const containsFunc = "claudit_contains"

func init() {
	// Registered on the driver before any connection opens; it fails only
	// for a name registered twice, which is a programming error.
	if err := sqlite.RegisterDeterministicScalarFunction(containsFunc, 2, sqlContains); err != nil {
		panic(err)
	}
}

func sqlContains(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	text := func(v driver.Value) (string, error) {
		switch v := v.(type) {
		case string:
			return v, nil
		case []byte:
			return string(v), nil
		}
		return "", fmt.Errorf("%s: want text, got %T", containsFunc, v)
	}
	raw, err := text(args[0])
	if err != nil {
		return nil, err
	}
	needle, err := text(args[1])
	if err != nil {
		return nil, err
	}
	ok, err := containsFold(raw, needle)
	if err != nil {
		return nil, err
	}
	return b2i(ok), nil
}

// foldText is the case folding of free text: every rune lower-cased.
func foldText(s string) string { return strings.ToLower(s) }

// subValues is the searchable values of an activity's raw JSON and their
// hashes, as ingest collects them on its own walk.
func subValues(raw []byte) ([]string, []uint64, error) {
	var r refs
	w := walker{b: raw, visit: r.addSub}
	w.skipSpace()
	err := w.value(0, "", false)
	return r.subVals, r.subHashes, err
}

// containsFold reports whether one of the searchable values of the
// activity JSON raw (as the index holds them: folded, within maxSubValue
// and maxSubTotal) contains needle (already folded by foldText), so the
// row-by-row check and the index agree.
func containsFold(raw, needle string) (bool, error) {
	vals, _, err := subValues(unsafe.Slice(unsafe.StringData(raw), len(raw)))
	if err != nil {
		return false, fmt.Errorf("cached activity: %w", err)
	}
	for _, v := range vals {
		if strings.Contains(v, needle) {
			return true, nil
		}
	}
	return false, nil
}

// subRow is one activity's searchable values for the substring index,
// and their vref text (subTokens).
type subRow struct {
	rid    int64
	vals   []string
	hashes []uint64
	tokens string
}

// valueSet is the distinct values of subvals in memory: all of them,
// folded, back to back in buf, value i ending at ends[i], with hash hs[i].
// seen holds every hash once a write needed it (readers never build it).
// upto is the last blob read.
type valueSet struct {
	mu   sync.Mutex
	upto int64
	buf  []byte
	ends []int
	hs   []uint64
	seen map[uint64]struct{}
}

// refresh reads the blobs added since the last call (by any process);
// withSeen builds seen too.
func (vs *valueSet) refresh(ctx context.Context, q querier, withSeen bool) error {
	rs, err := q.QueryContext(ctx, `SELECT seq, hashes, vals FROM subvals WHERE seq > ? ORDER BY seq`, vs.upto)
	if err != nil {
		return err
	}
	defer rs.Close()
	if withSeen && vs.seen == nil {
		vs.seen = make(map[uint64]struct{}, len(vs.hs))
		for _, h := range vs.hs {
			vs.seen[h] = struct{}{}
		}
	}
	for rs.Next() {
		var seq int64
		var hashes, vals []byte
		if err := rs.Scan(&seq, &hashes, &vals); err != nil {
			return err
		}
		n := len(hashes) / 8
		for i := range n {
			l, w := binary.Uvarint(vals)
			if w <= 0 || uint64(len(vals)-w) < l {
				return fmt.Errorf("subvals blob %d: %w", seq, ErrCorrupt)
			}
			h := binary.LittleEndian.Uint64(hashes[8*i:])
			vs.buf = append(vs.buf, vals[w:w+int(l)]...)
			vs.ends = append(vs.ends, len(vs.buf))
			vs.hs = append(vs.hs, h)
			if vs.seen != nil {
				vs.seen[h] = struct{}{}
			}
			vals = vals[w+int(l):]
		}
		vs.upto = seq
	}
	return rs.Err()
}

// containing returns the hashes of the values that contain needle (at most
// limit; ok false when there are more).
func (vs *valueSet) containing(needle string, limit int) (hs []uint64, ok bool) {
	nb := unsafe.Slice(unsafe.StringData(needle), len(needle))
	for i := 0; i < len(vs.buf); {
		j := bytes.Index(vs.buf[i:], nb)
		if j < 0 {
			break
		}
		at := i + j
		k := sort.SearchInts(vs.ends, at+1) // the value holding at
		if at+len(nb) > vs.ends[k] {
			i = at + 1 // spans two values
			continue
		}
		if len(hs) == limit {
			return nil, false
		}
		hs = append(hs, vs.hs[k])
		i = vs.ends[k]
	}
	return hs, true
}

// writeSub adds the rows' values that subvals lacks (one blob) and every
// row's tokens to vref. vs must be fresh (refreshed in this transaction);
// it is not changed (the blob is read back after commit).
func writeSub(ctx context.Context, tx *wtx, subs []subRow, vs *valueSet) error {
	var hashes, vals []byte
	added := map[uint64]bool{}
	for _, r := range subs {
		for j, h := range r.hashes {
			if _, ok := vs.seen[h]; ok || added[h] {
				continue
			}
			added[h] = true
			hashes = binary.LittleEndian.AppendUint64(hashes, h)
			vals = binary.AppendUvarint(vals, uint64(len(r.vals[j])))
			vals = append(vals, r.vals[j]...)
		}
	}
	if len(hashes) > 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO subvals(hashes, vals) VALUES (?, ?)`, hashes, vals); err != nil {
			return err
		}
	}
	args := make([]any, 0, min(len(subs), ftsChunk)*2)
	for start := 0; start < len(subs); start += ftsChunk {
		part := subs[start:min(len(subs), start+ftsChunk)]
		st, err := tx.bulk(ctx, `INSERT INTO vref(rowid, s)`, "", 2, len(part))
		if err != nil {
			return err
		}
		args = args[:0]
		for _, r := range part {
			args = append(args, r.rid, r.tokens)
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// insertSub indexes the inserted rows' string values.
func (s *Store) insertSub(ctx context.Context, tx *wtx, rows []ingestRow, idx []int) error {
	subs := make([]subRow, len(idx))
	for k, i := range idx {
		subs[k] = subRow{rows[i].rid, rows[i].subVals, rows[i].subHashes, rows[i].subTokens}
	}
	s.freeVals.mu.Lock()
	defer s.freeVals.mu.Unlock()
	if err := s.freeVals.refresh(ctx, tx, true); err != nil {
		return err
	}
	return writeSub(ctx, tx, subs, &s.freeVals)
}

// backfillSub indexes the activities a cache held before the substring
// index existed (migration 2), in the migration's transaction.
func backfillSub(ctx context.Context, sqlTx *sql.Tx) error {
	const batch = 5000
	tx := &wtx{Tx: sqlTx}
	var vs valueSet
	last := int64(-1 << 63)
	for {
		rs, err := tx.QueryContext(ctx, `SELECT rid, raw FROM activities WHERE rid > ? ORDER BY rid LIMIT ?`, last, batch)
		if err != nil {
			return err
		}
		var subs []subRow
		for rs.Next() {
			var rid int64
			var raw []byte
			if err := rs.Scan(&rid, &raw); err != nil {
				rs.Close()
				return err
			}
			vals, hashes, err := subValues(raw)
			if err != nil {
				rs.Close()
				return fmt.Errorf("cached activity at rid %d: %w", rid, err)
			}
			subs = append(subs, subRow{rid, vals, hashes, subTokens(hashes)})
			last = rid
		}
		if err := rs.Close(); err != nil {
			return err
		}
		if len(subs) == 0 {
			return nil
		}
		if err := vs.refresh(ctx, tx, true); err != nil {
			return err
		}
		if err := writeSub(ctx, tx, subs, &vs); err != nil {
			return err
		}
	}
}

// needleTokens returns the vref tokens of the values that contain a folded
// needle; ok is false when the values are too many to look up (more than
// maxNeedleValues).
func (s *Store) needleTokens(ctx context.Context, needle string) (tokens []string, ok bool, err error) {
	if needle == "" {
		return nil, false, nil
	}
	s.freeVals.mu.Lock()
	defer s.freeVals.mu.Unlock()
	if err := s.freeVals.refresh(ctx, s.r, false); err != nil {
		return nil, false, mapErr("search cache", err)
	}
	hs, ok := s.freeVals.containing(needle, maxNeedleValues)
	if !ok {
		return nil, false, nil
	}
	for _, h := range hs {
		tokens = append(tokens, string(appendSubToken(nil, h)))
	}
	return tokens, true, nil
}
