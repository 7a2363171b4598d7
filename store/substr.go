package store

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"modernc.org/sqlite"

	"claudit/feed"
)

// Free text is a substring search: a needle matches the activities one of
// whose JSON string values (any member, nested, decoded; not the member
// names) contains it, case-insensitively (both sides lower-cased rune by
// rune, unicode.ToLower), as grep -i over the values would. The activity's
// own id and created_at are not free text (id: and the time terms search
// them): they are the only values every activity has of its own.
//
// Most values repeat across activities (e-mails, addresses, user agents,
// key ids, names), so the index works on distinct values:
//
//   - subv, an FTS5 trigram index (detail=none) of every distinct value,
//     folded, once, with its 64-bit hash as rowid;
//   - vref, a contentless FTS5 index (detail=none) holding for each
//     activity one token per value it has ("s" and the hash in base 36).
//
// A needle's trigrams give the candidate values, each checked in Go
// (strings.Contains on the folded value, so trigrams that meet only in
// another order never match); the tokens of the values that contain it
// are then looked up in vref, newest first. A needle too short for a
// trigram, or one that more than maxNeedleValues values contain, is
// checked row by row instead (claudit_contains over the decoded values of
// raw). Hostile values stay bounded: a value is indexed by its first
// maxSubValue bytes and an activity by its first maxSubTotal bytes of
// values; text past those limits is not found.
const (
	maxSubValue = 4096
	maxSubTotal = 64 << 10
	// maxSubTrigrams bounds the trigrams a needle's candidate query asks
	// for: a dozen spread over it select as well as all of them.
	maxSubTrigrams = 12
	// maxNeedleValues bounds the values one needle's index lookup may
	// yield; a needle in more values is common enough to find by reading
	// the activities newest first.
	maxNeedleValues = 2000
	// maxSubSeen bounds Store.subSeen.
	maxSubSeen = 1 << 20
	// minNeedle is the shortest needle, in characters, the trigram index
	// can look up (feed.Parse refuses shorter ones).
	minNeedle = feed.MinFreeText
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

// subToken is the vref token of a value hash.
func appendSubToken(dst []byte, h uint64) []byte {
	return strconv.AppendUint(append(dst, 's'), h, 36)
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

// appendFold appends s lower-cased as foldText does, without allocating
// for ASCII.
func appendFold(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf:
			return append(dst, foldText(s[i:])...)
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// subValues is the searchable values of an activity's raw JSON and their
// hashes, as ingest collects them on its own walk.
func subValues(raw []byte) ([]string, []uint64, error) {
	var r refs
	w := walker{b: raw, visit: r.addSub}
	w.skipSpace()
	err := w.value(0, "", false)
	return r.subVals, r.subHashes, err
}

// containsFold reports whether a string value of the activity JSON raw,
// lower-cased, contains needle (already lower-cased by foldText).
func containsFold(raw, needle string) (bool, error) {
	found := false
	var scratch []byte
	w := walker{b: unsafe.Slice(unsafe.StringData(raw), len(raw)), visit: func(s string) {
		if found || len(s) < len(needle)/utf8.UTFMax {
			return
		}
		scratch = appendFold(scratch[:0], s)
		found = bytes.Contains(scratch, unsafe.Slice(unsafe.StringData(needle), len(needle)))
	}}
	w.skipSpace()
	if err := w.value(0, "", false); err != nil {
		return false, fmt.Errorf("cached activity: %w", err)
	}
	return found, nil
}

// subMatch is the sub-table FTS5 expression of a folded needle's
// candidates: some of its trigrams (every third, and the last), each an
// FTS5 string, so user text never reads as query syntax. "" when the
// needle is too short to have a trigram.
func subMatch(needle string) string {
	rs := []rune(needle)
	if len(rs) < minNeedle {
		return ""
	}
	var starts []int
	for i := 0; i+3 <= len(rs) && len(starts) < maxSubTrigrams-1; i += 3 {
		starts = append(starts, i)
	}
	if last := len(rs) - 3; starts[len(starts)-1] != last {
		starts = append(starts, last)
	}
	parts := make([]string, len(starts))
	for i, at := range starts {
		parts[i] = `"` + strings.ReplaceAll(string(rs[at:at+3]), `"`, `""`) + `"`
	}
	return strings.Join(parts, " AND ")
}

// subRow is one activity's searchable values for the substring index.
type subRow struct {
	rid    int64
	vals   []string
	hashes []uint64
}

// insertSub indexes the inserted rows' string values and returns the
// hashes of the values it added to subv (to publish after commit).
func (s *Store) insertSub(ctx context.Context, tx *wtx, rows []ingestRow, idx []int) ([]uint64, error) {
	subs := make([]subRow, len(idx))
	for k, i := range idx {
		subs[k] = subRow{rows[i].rid, rows[i].subVals, rows[i].subHashes}
	}
	s.termMu.Lock()
	seen := s.subSeen
	unknown := map[uint64]string{}
	for _, r := range subs {
		for j, h := range r.hashes {
			if _, ok := seen[h]; !ok {
				unknown[h] = r.vals[j]
			}
		}
	}
	s.termMu.Unlock()
	return writeSub(ctx, tx, subs, unknown)
}

// publishSubVals records committed subv values in the store's cache.
func (s *Store) publishSubVals(hashes []uint64) {
	s.termMu.Lock()
	defer s.termMu.Unlock()
	if s.subSeen == nil || len(s.subSeen)+len(hashes) > maxSubSeen {
		s.subSeen = make(map[uint64]struct{}, len(hashes))
	}
	for _, h := range hashes {
		s.subSeen[h] = struct{}{}
	}
}

// writeSub adds the values of unknown that subv lacks, and every row's
// tokens to vref. It returns the hashes of unknown (all in subv after
// commit).
func writeSub(ctx context.Context, tx *wtx, subs []subRow, unknown map[uint64]string) ([]uint64, error) {
	hashes := make([]uint64, 0, len(unknown))
	for h := range unknown {
		hashes = append(hashes, h)
	}
	var missing []any
	have := map[int64]bool{}
	for start := 0; start < len(hashes); start += 500 {
		part := hashes[start:min(len(hashes), start+500)]
		args := make([]any, len(part))
		for i, h := range part {
			args[i] = int64(h)
		}
		rs, err := tx.QueryContext(ctx, `SELECT id FROM subv_content WHERE id IN (`+placeholders(len(part))+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rs.Next() {
			var id int64
			if err := rs.Scan(&id); err != nil {
				rs.Close()
				return nil, err
			}
			have[id] = true
		}
		if err := rs.Close(); err != nil {
			return nil, err
		}
	}
	for _, h := range hashes {
		if !have[int64(h)] {
			missing = append(missing, int64(h), unknown[h])
		}
	}
	for start := 0; start < len(missing); start += 2 * ftsChunk {
		part := missing[start:min(len(missing), start+2*ftsChunk)]
		st, err := tx.bulk(ctx, `INSERT INTO subv(rowid, v)`, "", 2, len(part)/2)
		if err != nil {
			return nil, err
		}
		if _, err := st.ExecContext(ctx, part...); err != nil {
			return nil, err
		}
	}
	args := make([]any, 0, min(len(subs), ftsChunk)*2)
	var buf []byte
	for start := 0; start < len(subs); start += ftsChunk {
		part := subs[start:min(len(subs), start+ftsChunk)]
		st, err := tx.bulk(ctx, `INSERT INTO vref(rowid, s)`, "", 2, len(part))
		if err != nil {
			return nil, err
		}
		args = args[:0]
		for _, r := range part {
			buf = buf[:0]
			for j, h := range r.hashes {
				if j > 0 {
					buf = append(buf, ' ')
				}
				buf = appendSubToken(buf, h)
			}
			args = append(args, r.rid, string(buf))
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return nil, err
		}
	}
	return hashes, nil
}

// backfillSub indexes the activities a cache held before the substring
// index existed (migration 2), in the migration's transaction.
func backfillSub(ctx context.Context, sqlTx *sql.Tx) error {
	const batch = 5000
	tx := &wtx{Tx: sqlTx}
	last := int64(-1 << 63)
	for {
		rs, err := tx.QueryContext(ctx, `SELECT rid, raw FROM activities WHERE rid > ? ORDER BY rid LIMIT ?`, last, batch)
		if err != nil {
			return err
		}
		var subs []subRow
		unknown := map[uint64]string{}
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
			for j, h := range hashes {
				unknown[h] = vals[j]
			}
			subs = append(subs, subRow{rid, vals, hashes})
			last = rid
		}
		if err := rs.Close(); err != nil {
			return err
		}
		if len(subs) == 0 {
			return nil
		}
		if _, err := writeSub(ctx, tx, subs, unknown); err != nil {
			return err
		}
	}
}

// needleTokens returns the vref tokens of the values that contain a folded
// needle; ok is false when the index cannot say (a needle too short for a
// trigram, or in more than maxNeedleValues values).
func (s *Store) needleTokens(ctx context.Context, needle string) (tokens []string, ok bool, err error) {
	m := subMatch(needle)
	if m == "" {
		return nil, false, nil
	}
	rs, err := s.r.QueryContext(ctx, `SELECT rowid, v FROM subv WHERE subv MATCH ?`, m)
	if err != nil {
		return nil, false, mapErr("search cache", err)
	}
	defer rs.Close()
	for rs.Next() {
		var h int64
		var v string
		if err := rs.Scan(&h, &v); err != nil {
			return nil, false, mapErr("search cache", err)
		}
		if !strings.Contains(v, needle) {
			continue
		}
		if len(tokens) == maxNeedleValues {
			return nil, false, nil
		}
		tokens = append(tokens, string(appendSubToken(nil, uint64(h))))
	}
	return tokens, true, mapErr("search cache", rs.Err())
}
