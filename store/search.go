package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"claudit/feed"
)

// plan is a query compiled for the cache. Reference, type and text terms go
// to the FTS index (match), which then drives the scan newest first; the
// rest are SQL conditions on the activities row (where).
type plan struct {
	match    string // FTS5 expression every row must match ("" = none)
	notMatch string // FTS5 expression no row may match ("" = none)
	where    []string
	args     []any
	lo, hi   int64 // time window [lo, hi) in unix nanoseconds
	none     bool  // nothing can match (e.g. a CIDR with no known address)
}

// maxFTSTypes bounds how many type names go into the FTS expression; larger
// sets (broad presets) are checked on the row instead.
const maxFTSTypes = 64

// compile turns q into a plan; defaultSince 0 leaves a query without a
// time term open (the whole cache).
func (s *Store) compile(ctx context.Context, q feed.Query, now time.Time) (*plan, error) {
	p := &plan{}
	from, to := q.Bounds(now, 0)
	p.lo, p.hi = nanos(from, minNanos), nanos(to, maxNanos)
	var pos, neg []string
	cat := feed.Catalogue()

	if len(q.Type.Include) > 0 {
		names, err := cat.ExpandAll(q.Type.Include)
		if err != nil {
			return nil, fmt.Errorf("type: %w", err)
		}
		if len(names) <= maxFTSTypes {
			pos = append(pos, ftsAny([]string{"mt"}, typeTokens(names)))
		} else {
			ids, err := s.termIDs(ctx, names)
			if err != nil {
				return nil, err
			}
			if len(ids) == 0 {
				p.none = true
			}
			p.where = append(p.where, "a.type IN ("+placeholders(len(ids))+")")
			p.args = append(p.args, ids...)
		}
	}
	if len(q.Type.Exclude) > 0 {
		names, err := cat.ExpandAll(q.Type.Exclude)
		if err != nil {
			return nil, fmt.Errorf("type: %w", err)
		}
		if ids, err := s.termIDs(ctx, names); err != nil {
			return nil, err
		} else if len(ids) > 0 {
			p.where = append(p.where, "a.type NOT IN ("+placeholders(len(ids))+")")
			p.args = append(p.args, ids...)
		}
	}
	refField := func(t feed.Terms, cols []string) {
		if len(t.Include) > 0 {
			pos = append(pos, ftsAny(cols, refTokens(t.Include)))
		}
		if len(t.Exclude) > 0 {
			neg = append(neg, ftsAny(cols, refTokens(t.Exclude)))
		}
	}
	anyRole := []string{"ra", "rt", "ro", "mt"}
	refField(q.Actor, []string{"ra"})
	refField(q.Key, []string{"ra", "rt"})
	refField(q.Org, []string{"mt"})
	refField(q.ID, anyRole)

	if len(q.IP.Include) > 0 {
		vals, err := s.expandIPs(ctx, q.IP.Include)
		if err != nil {
			return nil, err
		}
		if len(vals) == 0 {
			p.none = true
		} else {
			pos = append(pos, ftsAny(anyRole, refTokens(vals)))
		}
	}
	if len(q.IP.Exclude) > 0 {
		vals, err := s.expandIPs(ctx, q.IP.Exclude)
		if err != nil {
			return nil, err
		}
		if len(vals) > 0 {
			neg = append(neg, ftsAny(anyRole, refTokens(vals)))
		}
	}
	var phrases []string
	for _, t := range q.Text.Include {
		if ph, ok := ftsPhrase(t); ok {
			phrases = append(phrases, ph)
		}
	}
	if len(phrases) > 0 {
		pos = append(pos, "tx : ("+strings.Join(phrases, " OR ")+")")
	}
	phrases = phrases[:0]
	for _, t := range q.Text.Exclude {
		if ph, ok := ftsPhrase(t); ok {
			phrases = append(phrases, ph)
		}
	}
	if len(phrases) > 0 {
		neg = append(neg, "tx : ("+strings.Join(phrases, " OR ")+")")
	}

	flag := func(v string) (string, error) {
		switch v {
		case feed.IsSelf, feed.IsLate, feed.IsMarked, feed.IsTripwire:
			return "a." + v, nil
		}
		return "", fmt.Errorf("is:%s: unknown flag", v)
	}
	if len(q.Is.Include) > 0 {
		var ors []string
		for _, v := range q.Is.Include {
			c, err := flag(v)
			if err != nil {
				return nil, err
			}
			ors = append(ors, c+" = 1")
		}
		p.where = append(p.where, "("+strings.Join(ors, " OR ")+")")
	}
	for _, v := range q.Is.Exclude {
		c, err := flag(v)
		if err != nil {
			return nil, err
		}
		p.where = append(p.where, c+" = 0")
	}

	if len(pos) > 0 {
		p.match = "(" + strings.Join(pos, ") AND (") + ")"
	}
	if len(neg) > 0 {
		p.notMatch = "(" + strings.Join(neg, ") OR (") + ")"
		if p.match != "" {
			p.match += " NOT " + p.notMatch
		} else {
			p.where = append(p.where, "a.rid NOT IN (SELECT rowid FROM fts WHERE fts MATCH ?)")
			p.args = append(p.args, p.notMatch)
		}
	}
	if p.lo != minNanos {
		p.where = append(p.where, "a.t >= ?")
		p.args = append(p.args, p.lo)
	}
	if p.hi != maxNanos {
		p.where = append(p.where, "a.t < ?")
		p.args = append(p.args, p.hi)
	}
	if p.lo >= p.hi {
		p.none = true
	}
	return p, nil
}

func typeTokens(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = refToken("type:" + n)
	}
	return out
}

func refTokens(vals []string) []string {
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		if n := normRef(v); n != "" {
			out = append(out, refToken(n))
		}
	}
	return out
}

// ftsAny is "{cols} : (t1 OR t2 …)". Tokens are r+base36, so they need no
// quoting and user input never reaches the FTS syntax.
func ftsAny(cols, tokens []string) string {
	if len(tokens) == 0 {
		return "{" + strings.Join(cols, " ") + "} : rnone"
	}
	return "{" + strings.Join(cols, " ") + "} : (" + strings.Join(tokens, " OR ") + ")"
}

// ftsPhrase quotes free text as one FTS5 phrase (a "string" in FTS5 syntax
// can hold any character; quotes are doubled), so user input can never be
// read as query syntax. ok is false when the text has no word characters:
// such a term does not filter.
func ftsPhrase(text string) (string, bool) {
	has := false
	for _, r := range text {
		if isWordRune(r) {
			has = true
			break
		}
	}
	if !has {
		return "", false
	}
	return `"` + strings.ReplaceAll(text, `"`, `""`) + `"`, true
}

// isWordRune approximates the unicode61 tokenizer's token characters.
func isWordRune(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= 0x80 && r != 0xA0 && !(r >= 0x2000 && r <= 0x206F)
}

// termIDs returns the term ids of the given values that exist.
func (s *Store) termIDs(ctx context.Context, vals []string) ([]any, error) {
	var out []any
	for start := 0; start < len(vals); start += 500 {
		part := vals[start:min(len(vals), start+500)]
		args := make([]any, len(part))
		for i, v := range part {
			args[i] = v
		}
		rs, err := s.r.QueryContext(ctx, `SELECT id FROM terms WHERE v IN (`+placeholders(len(part))+`)`, args...)
		if err != nil {
			return nil, mapErr("search cache", err)
		}
		for rs.Next() {
			var id int64
			if err := rs.Scan(&id); err != nil {
				rs.Close()
				return nil, mapErr("search cache", err)
			}
			out = append(out, id)
		}
		if err := rs.Close(); err != nil {
			return nil, mapErr("search cache", err)
		}
	}
	return out, nil
}

// expandIPs turns addresses and CIDR prefixes into the addresses the cache
// has seen: a prefix matches every known address inside it.
func (s *Store) expandIPs(ctx context.Context, terms []string) ([]string, error) {
	var out []string
	var prefixes []netip.Prefix
	for _, t := range terms {
		if strings.Contains(t, "/") {
			pfx, err := netip.ParsePrefix(t)
			if err != nil {
				return nil, fmt.Errorf("ip:%s: %w", t, err)
			}
			prefixes = append(prefixes, pfx.Masked())
			continue
		}
		out = append(out, t)
	}
	if len(prefixes) == 0 {
		return out, nil
	}
	rs, err := s.r.QueryContext(ctx, `SELECT v FROM suggest WHERE field = 'ip'`)
	if err != nil {
		return nil, mapErr("search cache", err)
	}
	defer rs.Close()
	for rs.Next() {
		var v string
		if err := rs.Scan(&v); err != nil {
			return nil, mapErr("search cache", err)
		}
		a, err := netip.ParseAddr(v)
		if err != nil {
			continue
		}
		for _, pfx := range prefixes {
			if pfx.Contains(a) {
				out = append(out, v)
				break
			}
		}
	}
	return out, mapErr("search cache", rs.Err())
}

// from returns the FROM clause and its leading args for the plan, with an
// extra rid range [ridFrom, ridTo).
func (p *plan) from(ridFrom, ridTo int64) (string, []any) {
	lo := max(ridFrom, ridLo(bucket(p.lo)))
	hi := ridTo
	if p.hi != maxNanos {
		hi = min(hi, ridHi(bucket(p.hi-1)))
	}
	if p.match != "" {
		return `fts CROSS JOIN activities a ON a.rid = fts.rowid WHERE fts MATCH ? AND fts.rowid >= ? AND fts.rowid < ?`,
			[]any{p.match, lo, hi}
	}
	return `activities a WHERE a.rid >= ? AND a.rid < ?`, []any{lo, hi}
}

func (p *plan) cond(extra string, extraArgs ...any) (string, []any) {
	where := p.where
	args := p.args
	if extra != "" {
		where = append(slices.Clone(where), extra)
		args = append(slices.Clone(args), extraArgs...)
	}
	if len(where) == 0 {
		return "", args
	}
	return " AND " + strings.Join(where, " AND "), args
}

// order is the column the driver is ordered by.
func (p *plan) order() string {
	if p.match != "" {
		return "fts.rowid"
	}
	return "a.rid"
}

const rowCols = `a.rid, a.t, a.id, (SELECT json FROM raw WHERE raw.rid = a.rid), a.ingested, a.self, a.late, a.marked,
	CASE WHEN a.marked THEN (SELECT note FROM notes WHERE notes.id = a.id) END`

type scanned struct {
	Row
	rid, t int64
}

func scanRows(rs *sql.Rows) ([]scanned, error) {
	defer rs.Close()
	var out []scanned
	for rs.Next() {
		var r scanned
		var raw string
		var self, late, marked int64
		var note sql.NullString
		var ing int64
		if err := rs.Scan(&r.rid, &r.t, &r.ID, &raw, &ing, &self, &late, &marked, &note); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(raw), &r.Activity); err != nil {
			return nil, fmt.Errorf("cached activity %s: %w", r.ID, err)
		}
		r.Group = feed.Catalogue().Group(r.Type)
		r.Ingested = time.Unix(0, ing).UTC()
		r.Self, r.Late, r.Marked, r.Note = self != 0, late != 0, marked != 0, note.String
		out = append(out, r)
	}
	return out, rs.Err()
}

func cmpScanned(a, b scanned) int {
	switch {
	case a.t < b.t:
		return -1
	case a.t > b.t:
		return 1
	}
	return strings.Compare(a.ID, b.ID)
}

// Search returns up to n rows matching q next to the keyset cursor from:
// with Older the rows strictly older than from (zero = the newest rows),
// with Newer the rows strictly newer (zero = the oldest rows). Both come
// back newest first. A query without a time term searches the whole cache.
func (s *Store) Search(ctx context.Context, q feed.Query, now time.Time, from Cursor, dir Direction, n int) ([]Row, error) {
	if n <= 0 {
		return nil, nil
	}
	p, err := s.compile(ctx, q, now)
	if err != nil {
		return nil, err
	}
	if p.none {
		return nil, nil
	}
	older := dir != Newer
	ridFrom, ridTo := int64(minNanos), int64(maxNanos)
	var keyset string
	var kargs []any
	if !from.IsZero() {
		ct := nanos(from.CreatedAt, 0)
		if older {
			ridTo = ridHi(bucket(ct))
			keyset = "(a.t < ? OR (a.t = ? AND a.id < ?))"
		} else {
			ridFrom = ridLo(bucket(ct))
			keyset = "(a.t > ? OR (a.t = ? AND a.id > ?))"
		}
		kargs = []any{ct, ct, from.ID}
	}
	sortDir := "DESC"
	if !older {
		sortDir = "ASC"
	}
	run := func(lo, hi int64, limit int) ([]scanned, error) {
		fromSQL, fargs := p.from(lo, hi)
		cond, cargs := p.cond(keyset, kargs...)
		q := "SELECT " + rowCols + " FROM " + fromSQL + cond + " ORDER BY " + p.order() + " " + sortDir
		args := append(fargs, cargs...)
		if limit > 0 {
			q += " LIMIT ?"
			args = append(args, limit)
		}
		rs, err := s.r.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		return scanRows(rs)
	}
	got, err := run(ridFrom, ridTo, n)
	if err != nil {
		return nil, mapErr("search cache", err)
	}
	if len(got) == n {
		// rid orders by millisecond only: fetch the whole last millisecond
		// so ties are put in (created_at, id) order exactly.
		b := got[n-1].rid >> ridShift
		var keep []scanned
		for _, r := range got {
			if r.rid>>ridShift != b {
				keep = append(keep, r)
			}
		}
		tail, err := run(max(ridFrom, ridLo(b)), min(ridTo, ridHi(b)), 0)
		if err != nil {
			return nil, mapErr("search cache", err)
		}
		got = append(keep, tail...)
	}
	slices.SortFunc(got, cmpScanned)
	if older {
		slices.Reverse(got)
		got = got[:min(n, len(got))]
	} else {
		got = got[:min(n, len(got))]
		slices.Reverse(got)
	}
	out := make([]Row, len(got))
	for i := range got {
		out[i] = got[i].Row
	}
	return out, nil
}

// Get returns one cached activity by id (ErrNotFound when absent).
func (s *Store) Get(ctx context.Context, id string) (Row, error) {
	rs, err := s.r.QueryContext(ctx, "SELECT "+rowCols+" FROM activities a WHERE a.id = ?", id)
	if err != nil {
		return Row{}, mapErr("read activity", err)
	}
	got, err := scanRows(rs)
	if err != nil {
		return Row{}, mapErr("read activity", err)
	}
	if len(got) == 0 {
		return Row{}, fmt.Errorf("activity %s: %w", id, ErrNotFound)
	}
	return got[0].Row, nil
}

// Count counts the activities matching q, stopping at limit (capped is then
// true; limit <= 0 counts everything). Cancelling ctx interrupts it.
func (s *Store) Count(ctx context.Context, q feed.Query, now time.Time, limit int) (int, bool, error) {
	p, err := s.compile(ctx, q, now)
	if err != nil {
		return 0, false, err
	}
	if p.none {
		return 0, false, nil
	}
	fromSQL, fargs := p.from(minNanos, maxNanos)
	cond, cargs := p.cond("")
	inner := "SELECT 1 FROM " + fromSQL + cond
	args := append(fargs, cargs...)
	if limit > 0 {
		inner += " LIMIT ?"
		args = append(args, limit+1)
	}
	var n int
	if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM ("+inner+")", args...).Scan(&n); err != nil {
		if ctx.Err() != nil {
			return 0, false, fmt.Errorf("count: %w", ctx.Err())
		}
		return 0, false, mapErr("count", err)
	}
	if limit > 0 && n > limit {
		return limit, true, nil
	}
	return n, false, nil
}
