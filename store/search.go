package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"claudit/feed"
)

// plan is a query compiled for the cache. Reference, type and text terms
// go to the FTS index (match), which then drives the scan newest first; the
// rest are SQL conditions on the activities row (where).
type plan struct {
	match string // FTS5 expression every row must match ("" = none)
	// sub, when match is "", is the vref expression (the values that
	// contain a free-text needle; see substr.go) that drives the scan.
	sub      string
	notMatch string // FTS5 expression no row may match ("" = none)
	where    []string
	args     []any
	lo, hi   int64 // time window [lo, hi) in unix nanoseconds
	none     bool  // nothing can match (e.g. a CIDR with no known address)

	// typesOnly says the query filters on nothing but types, time and
	// excluded flags; typeIn (nil = every type) and typeOut are then the
	// type term ids it keeps and drops, so counts can come from the
	// rollups.
	typesOnly       bool
	typeIn, typeOut []int64
	// hidden are the flag columns ("a.self", "a.late", …) whose rows the
	// query leaves out: claudit's own calls by default (feed.Query.HidesSelf)
	// and every -is: flag. Each is a condition on the row, and for the
	// rollups (which count every row) a subtraction of the flagged rows,
	// which the flags' partial indexes read.
	hidden []string
}

// maxFTSTypes bounds how many type names go into the FTS expression;
// larger sets (broad presets) are checked on the row instead.
const maxFTSTypes = 64

// compile turns q into a plan; defaultSince 0 leaves a query without a
// time term open (the whole cache).
func (s *Store) compile(ctx context.Context, q feed.Query, now time.Time) (*plan, error) {
	p := &plan{typesOnly: true}
	from, to := q.Bounds(now, 0)
	p.lo, p.hi = nanos(from, minNanos), nanos(to, maxNanos)
	var pos, neg []string
	typeGroup := 0 // 1 when pos holds the type tokens
	cat := feed.Catalogue()

	if len(q.Type.Include) > 0 {
		names, err := cat.ExpandAll(q.Type.Include)
		if err != nil {
			return nil, fmt.Errorf("type: %w", err)
		}
		ids, err := s.termIDs(ctx, names)
		if err != nil {
			return nil, err
		}
		p.typeIn = ids
		switch {
		case len(ids) == 0:
			p.none = true
		case len(names) <= maxFTSTypes:
			pos = append(pos, refGroup(typeTokens(names)))
			typeGroup = 1
		default:
			p.where = append(p.where, "a.type IN ("+joinInts(ids)+")")
		}
	}
	if len(q.Type.Exclude) > 0 {
		names, err := cat.ExpandAll(q.Type.Exclude)
		if err != nil {
			return nil, fmt.Errorf("type: %w", err)
		}
		ids, err := s.termIDs(ctx, names)
		if err != nil {
			return nil, err
		}
		if len(ids) > 0 {
			p.typeOut = ids
			p.where = append(p.where, "a.type NOT IN ("+joinInts(ids)+")")
		}
	}
	refField := func(t feed.Terms, prefixes ...byte) {
		if len(t.Include) > 0 {
			pos = append(pos, refGroup(refTokens(t.Include, prefixes...)))
		}
		if len(t.Exclude) > 0 {
			neg = append(neg, refGroup(refTokens(t.Exclude, prefixes...)))
		}
	}
	anyRole := []byte{tokActor, tokTarget, tokOther, tokOrg}
	refField(q.Actor, tokActor)
	refField(q.Key, tokActor, tokTarget)
	refField(q.Org, tokOrg)
	refField(q.ID, anyRole...)

	if len(q.IP.Include) > 0 {
		vals, err := s.expandIPs(ctx, q.IP.Include)
		if err != nil {
			return nil, err
		}
		if len(vals) == 0 {
			p.none = true
		} else {
			pos = append(pos, refGroup(refTokens(vals, anyRole...)))
		}
	}
	if len(q.IP.Exclude) > 0 {
		vals, err := s.expandIPs(ctx, q.IP.Exclude)
		if err != nil {
			return nil, err
		}
		if len(vals) > 0 {
			neg = append(neg, refGroup(refTokens(vals, anyRole...)))
		}
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
			// The bare column (not "= 1") matches the partial indexes'
			// WHERE clause, so a flag query reads only the flagged rows.
			ors = append(ors, c)
		}
		p.where = append(p.where, "("+strings.Join(ors, " OR ")+")")
		p.typesOnly = false
	}
	for _, v := range q.Is.Exclude {
		c, err := flag(v)
		if err != nil {
			return nil, err
		}
		p.where = append(p.where, c+" = 0")
		p.hidden = append(p.hidden, c)
	}
	if q.HidesSelf() {
		p.where = append(p.where, "a.self = 0")
		p.hidden = append(p.hidden, "a.self")
	}

	// Type tokens alone do not make the query more than a type filter.
	if len(pos) > typeGroup || len(neg) > 0 {
		p.typesOnly = false
	}
	if len(pos) > 0 {
		p.match = "(" + strings.Join(pos, ") AND (") + ")"
	}
	if len(neg) > 0 {
		p.notMatch = "(" + strings.Join(neg, ") OR (") + ")"
		if p.match != "" {
			p.match += " NOT " + p.notMatch
		} else if b0, b1 := timeBuckets(p.lo, p.hi); b0 < b1 {
			// Only the matches inside the window are read.
			lo, hi := ridRange(b0, b1)
			p.where = append(p.where, "a.rid NOT IN (SELECT rowid FROM fts WHERE fts MATCH ? AND rowid >= ? AND rowid <= ?)")
			p.args = append(p.args, p.notMatch, lo, hi)
		}
	}
	if err := s.freeText(ctx, p, q.Text); err != nil {
		return nil, err
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

// joinInts is ids as a comma-separated SQL list (term ids are integers the
// store made, so they are safe to inline; the list stays out of the
// statement's parameters).
func joinInts(ids []int64) string {
	var b []byte
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(b)
}

// refGroup is "r : (t1 OR t2 …)": any of the tokens in the references
// column. Tokens are a letter and base 36 digits, so they need no quoting
// and user input never reaches the FTS syntax. No tokens (no usable value)
// is a token no activity has.
func refGroup(tokens []string) string {
	if len(tokens) == 0 {
		return "r : none"
	}
	return "r : (" + strings.Join(tokens, " OR ") + ")"
}

func typeTokens(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = token(tokType, n)
	}
	return out
}

// refTokens are the tokens of every value under every prefix (role).
func refTokens(vals []string, prefixes ...byte) []string {
	out := make([]string, 0, len(vals)*len(prefixes))
	for _, v := range vals {
		if n := normRef(v); n != "" {
			for _, pfx := range prefixes {
				out = append(out, token(pfx, n))
			}
		}
	}
	return out
}

// freeText adds the free-text terms, substring searches (see substr.go):
// a row has a value containing one of the included needles and none
// containing an excluded one. The values' tokens in vref drive the scan
// when no reference term (nor an earlier freeText call) does; a needle the
// index cannot answer is checked on every row read. Each call's terms are
// ANDed with what p already holds (a find within a result, find.go).
func (s *Store) freeText(ctx context.Context, p *plan, t feed.Terms) error {
	if len(t.Include) > 0 {
		var tokens, checks []string
		var needles []any
		indexed := true
		for _, n := range t.Include {
			n = foldText(n)
			toks, ok, err := s.needleTokens(ctx, n)
			if err != nil {
				return err
			}
			indexed = indexed && ok
			tokens = append(tokens, toks...)
			checks = append(checks, containsFunc+"(a.raw, ?)")
			needles = append(needles, n)
		}
		switch {
		case !indexed:
			p.where = append(p.where, "("+strings.Join(checks, " OR ")+")")
			p.args = append(p.args, needles...)
		case len(tokens) == 0:
			p.none = true
		case p.match == "" && p.sub == "":
			p.sub = strings.Join(tokens, " OR ")
		default:
			p.where = append(p.where, "a.rid IN (SELECT rowid FROM vref WHERE vref MATCH ?)")
			p.args = append(p.args, strings.Join(tokens, " OR "))
		}
		p.typesOnly = false
	}
	// An excluded needle is checked on each row read: the rows that have
	// it may be most of the window, too many to collect first.
	for _, n := range t.Exclude {
		p.where = append(p.where, "NOT "+containsFunc+"(a.raw, ?)")
		p.args = append(p.args, foldText(n))
		p.typesOnly = false
	}
	return nil
}

// indexed reports whether an FTS index drives the plan's scan (its matches
// are then read newest first, and are few compared with the window).
func (p *plan) indexed() bool { return p.match != "" || p.sub != "" }

// termIDs returns the term ids of the given values that exist.
func (s *Store) termIDs(ctx context.Context, vals []string) ([]int64, error) {
	var out []int64
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

// from returns the FROM clause and its leading args for the plan, limited
// to the millisecond buckets [b0, b1) as well as to the plan's window.
func (p *plan) from(b0, b1 int64) (string, []any) {
	w0, w1 := timeBuckets(p.lo, p.hi)
	b0, b1 = max(b0, w0), min(b1, w1)
	lo, hi := int64(1), int64(0) // empty
	if b0 < b1 {
		lo, hi = ridRange(b0, b1)
	}
	if p.match != "" {
		return `fts CROSS JOIN activities a ON a.rid = fts.rowid WHERE fts MATCH ? AND fts.rowid >= ? AND fts.rowid <= ?`,
			[]any{p.match, lo, hi}
	}
	if p.sub != "" {
		return `vref CROSS JOIN activities a ON a.rid = vref.rowid WHERE vref MATCH ? AND vref.rowid >= ? AND vref.rowid <= ?`,
			[]any{p.sub, lo, hi}
	}
	return `activities a WHERE a.rid >= ? AND a.rid <= ?`, []any{lo, hi}
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

// order is the column the driver is ordered by; ascending is newest
// first.
func (p *plan) order() string {
	if p.match != "" {
		return "fts.rowid"
	}
	if p.sub != "" {
		return "vref.rowid"
	}
	return "a.rid"
}

const rowCols = `a.rid, a.t, a.id, a.raw, a.ingested, a.self, a.late, a.marked,
	CASE WHEN a.marked THEN (SELECT note FROM notes WHERE notes.id = a.id) END`

type scanned struct {
	Row
	rid, t int64
}

func scanRows(rs *sql.Rows) ([]scanned, error) { return scanRowsAs(rs, true) }

// scanRowsAs reads rowCols rows; without decode, each Activity holds its
// ID, CreatedAt and Raw only (see SearchRaw).
func scanRowsAs(rs *sql.Rows, decode bool) ([]scanned, error) {
	defer rs.Close()
	var out []scanned
	for rs.Next() {
		var r scanned
		var raw []byte
		var self, late, marked int64
		var note sql.NullString
		var ing int64
		if err := rs.Scan(&r.rid, &r.t, &r.ID, &raw, &ing, &self, &late, &marked, &note); err != nil {
			return nil, err
		}
		if decode {
			if err := json.Unmarshal(raw, &r.Activity); err != nil {
				return nil, fmt.Errorf("cached activity %s: %w", r.ID, err)
			}
		} else {
			r.CreatedAt, r.Raw = time.Unix(0, r.t).UTC(), raw
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

// tieSlack is how many rows more than asked Search reads, to see where the
// last millisecond ends.
const tieSlack = 16

// Search returns up to n rows matching q next to the keyset cursor from:
// with Older the rows strictly older than from (zero = the newest rows),
// with Newer the rows strictly newer (zero = the oldest rows). Both come
// back newest first. A query without a time term searches the whole cache.
func (s *Store) Search(ctx context.Context, q feed.Query, now time.Time, from Cursor, dir Direction, n int) ([]Row, error) {
	return s.search(ctx, q, now, from, dir, n, true)
}

// SearchRaw is Search for output that needs nothing but the raw JSON
// (ndjson, json): each row's Activity holds only its ID, CreatedAt and Raw,
// undecoded, which makes streaming a large answer several times faster.
func (s *Store) SearchRaw(ctx context.Context, q feed.Query, now time.Time, from Cursor, dir Direction, n int) ([]Row, error) {
	return s.search(ctx, q, now, from, dir, n, false)
}

func (s *Store) search(ctx context.Context, q feed.Query, now time.Time, from Cursor, dir Direction, n int, decode bool) ([]Row, error) {
	if n <= 0 {
		return nil, nil
	}
	p, err := s.compile(ctx, q, now)
	if err != nil {
		return nil, err
	}
	return s.searchPlan(ctx, p, from, dir, n, decode)
}

// searchPlan is search over a compiled plan.
func (s *Store) searchPlan(ctx context.Context, p *plan, from Cursor, dir Direction, n int, decode bool) ([]Row, error) {
	if p.none || n <= 0 {
		return nil, nil
	}
	older := dir != Newer
	// The millisecond buckets to search, [b0, b1).
	b0, b1 := int64(0), int64(maxBucket+1)
	var keyset string
	var kargs []any
	if !from.IsZero() {
		ct := nanos(from.CreatedAt, 0)
		if older {
			b1 = bucket(ct) + 1
			keyset = "(a.t < ? OR (a.t = ? AND a.id < ?))"
		} else {
			b0 = bucket(ct)
			keyset = "(a.t > ? OR (a.t = ? AND a.id > ?))"
		}
		kargs = []any{ct, ct, from.ID}
	}
	sortDir := "" // ascending rid: newest first
	if !older {
		sortDir = " DESC"
	}
	run := func(lo, hi int64, limit int) ([]scanned, error) {
		fromSQL, fargs := p.from(lo, hi)
		cond, cargs := p.cond(keyset, kargs...)
		q := "SELECT " + rowCols + " FROM " + fromSQL + cond + " ORDER BY " + p.order() + sortDir
		args := append(fargs, cargs...)
		if limit > 0 {
			q += " LIMIT ?"
			args = append(args, limit)
		}
		rs, err := s.r.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		return scanRowsAs(rs, decode)
	}
	// rid orders by millisecond only: the rows of the last millisecond
	// taken must all be there to put ties in (created_at, id) order. A few
	// rows more than asked usually show the millisecond ended.
	got, err := run(b0, b1, n+tieSlack)
	if err != nil {
		return nil, mapErr("search cache", err)
	}
	if len(got) > n {
		b := ridBucket(got[n-1].rid)
		end := n
		for end < len(got) && ridBucket(got[end].rid) == b {
			end++
		}
		if end == len(got) && len(got) == n+tieSlack {
			// The millisecond may go on: fetch all of it.
			var keep []scanned
			for _, r := range got {
				if ridBucket(r.rid) != b {
					keep = append(keep, r)
				}
			}
			tail, err := run(max(b0, b), min(b1, b+1), 0)
			if err != nil {
				return nil, mapErr("search cache", err)
			}
			got = append(keep, tail...)
		} else {
			got = got[:end]
		}
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

// ctxErr reports a cancelled context as such, any other error mapped.
func ctxErr(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", what, ctx.Err())
	}
	return mapErr(what, err)
}

// Get returns one cached activity by id (ErrNotFound when absent).
func (s *Store) Get(ctx context.Context, id string) (Row, error) {
	rid, ok, err := findID(ctx, s.r, id)
	if err != nil {
		return Row{}, mapErr("read activity", err)
	}
	if !ok {
		return Row{}, fmt.Errorf("activity %s: %w", id, ErrNotFound)
	}
	rs, err := s.r.QueryContext(ctx, "SELECT "+rowCols+" FROM activities a WHERE a.rid = ?", rid)
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
