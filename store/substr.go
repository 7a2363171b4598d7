package store

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"unicode/utf8"
	"unsafe"

	"modernc.org/sqlite"

	"claudit/feed"
)

// Free text is a substring search: a needle matches the activities one of
// whose JSON string values (any member, nested, decoded; not the member
// names) contains it, case-insensitively (both sides lower-cased rune by
// rune, unicode.ToLower), as grep -i over the values would.
//
// The sub table (a contentless FTS5 trigram index, detail=none) holds each
// activity's string values, lower-cased and newline-separated, and yields
// the candidates: the activities that have every trigram of the needle.
// claudit_contains then checks each candidate against the decoded values
// of its raw JSON, so trigrams that meet only across two values, or across
// JSON escapes, never make a match. Hostile values stay bounded: the index
// covers the first maxSubValue bytes of each value and the first
// maxSubTotal bytes of an activity's values; text past those limits is not
// found (the check itself reads the whole value).
const (
	maxSubValue = 4096
	maxSubTotal = 64 << 10
	// maxSubTrigrams bounds the trigrams a needle's candidate query asks
	// for: a dozen spread over it select as well as all of them.
	maxSubTrigrams = 12
	// minNeedle is the shortest needle, in characters, the trigram index
	// can look up (feed.Parse refuses shorter ones).
	minNeedle = feed.MinFreeText
)

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

// appendSubText appends one string value to an activity's substring index
// text, within maxSubValue and maxSubTotal.
func appendSubText(dst []byte, s string) []byte {
	if s == "" || len(dst) >= maxSubTotal {
		return dst
	}
	if len(s) > maxSubValue {
		n := maxSubValue
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n]
	}
	if len(dst) > 0 {
		dst = append(dst, '\n')
	}
	return appendFold(dst, s)
}

// subText is the substring index text of an activity's raw JSON (what
// ingest collects in refs.sub on its own walk).
func subText(raw []byte, dst []byte) ([]byte, error) {
	dst = dst[:0]
	w := walker{b: raw, visit: func(s string) { dst = appendSubText(dst, s) }}
	w.skipSpace()
	err := w.value(0, "", false)
	return dst, err
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

// insertSub adds the inserted rows' string values to the substring index.
func insertSub(ctx context.Context, tx *wtx, rows []ingestRow, idx []int) error {
	args := make([]any, 0, min(len(idx), ftsChunk)*2)
	for start := 0; start < len(idx); start += ftsChunk {
		part := idx[start:min(len(idx), start+ftsChunk)]
		st, err := tx.bulk(ctx, `INSERT INTO sub(rowid, v)`, "", 2, len(part))
		if err != nil {
			return err
		}
		args = args[:0]
		for _, i := range part {
			args = append(args, rows[i].rid, rows[i].sub)
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// backfillSub indexes the activities a cache held before the substring
// index existed (migration 2), in the migration's transaction.
func backfillSub(ctx context.Context, tx *sql.Tx) error {
	const batch = 5000
	last := int64(-1 << 63)
	var buf []byte
	for {
		rs, err := tx.QueryContext(ctx, `SELECT rid, raw FROM activities WHERE rid > ? ORDER BY rid LIMIT ?`, last, batch)
		if err != nil {
			return err
		}
		var args []any
		for rs.Next() {
			var rid int64
			var raw []byte
			if err := rs.Scan(&rid, &raw); err != nil {
				rs.Close()
				return err
			}
			if buf, err = subText(raw, buf); err != nil {
				rs.Close()
				return fmt.Errorf("cached activity at rid %d: %w", rid, err)
			}
			args = append(args, rid, string(buf))
			last = rid
		}
		if err := rs.Close(); err != nil {
			return err
		}
		if len(args) == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sub(rowid, v) VALUES `+
			strings.TrimSuffix(strings.Repeat("(?, ?),", len(args)/2), ","), args...); err != nil {
			return err
		}
	}
}
