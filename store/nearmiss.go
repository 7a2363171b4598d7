package store

import (
	"context"
	"slices"
	"strings"
	"time"

	"claudit/feed"
)

// NearMiss is a value a query asks for that no cached activity has, with
// the values of the same field the cache does have that come closest.
type NearMiss struct {
	Field   string   // query field: actor, key, ip, org or type
	Value   string   // the value as the query has it
	Closest []string // most alike first; empty when none comes close
}

// String is the miss as a sentence: "no actor alice@example.com in the
// cache; did you mean alice.admin@example.com?".
func (m NearMiss) String() string {
	s := "no " + m.Field + " " + m.Value + " in the cache"
	switch n := len(m.Closest); n {
	case 0:
		return s
	case 1:
		return s + "; did you mean " + m.Closest[0] + "?"
	default:
		return s + "; did you mean " + strings.Join(m.Closest[:n-1], ", ") + " or " + m.Closest[n-1] + "?"
	}
}

// nearMissFields are the query fields whose values NearMisses checks, in
// the order it reports them.
var nearMissFields = []string{"actor", "key", "type", "ip", "org"}

// NearMisses looks at the values q includes (actors, keys, type names, ip
// addresses, orgs; not patterns, presets or prefixes) and returns, for each
// one no activity in the whole cache has, up to n values of that field the
// cache has seen that come closest: within a small edit distance, or
// containing it, or (an e-mail) a local part that starts with its local
// part. "Not in the cache" is about the cache alone: a value the cache
// lacks may still be on the server, outside what was synced.
func (s *Store) NearMisses(ctx context.Context, q feed.Query, n int) ([]NearMiss, error) {
	var out []NearMiss
	for _, field := range nearMissFields {
		for _, v := range nearMissValues(q, field) {
			seen, err := s.hasValue(ctx, field, v)
			if err != nil {
				return nil, err
			}
			if seen {
				continue
			}
			miss := NearMiss{Field: field, Value: v}
			if n > 0 {
				if miss.Closest, err = s.closest(ctx, field, v, n); err != nil {
					return nil, err
				}
			}
			out = append(out, miss)
		}
	}
	return out, nil
}

// nearMissValues are the plain values q includes for field: no type
// globs or presets, no CIDR prefixes.
func nearMissValues(q feed.Query, field string) []string {
	var vals []string
	skip := ""
	switch field {
	case "actor":
		vals = q.Actor.Include
	case "key":
		vals = q.Key.Include
	case "org":
		vals = q.Org.Include
	case "ip":
		vals, skip = q.IP.Include, "/"
	case "type":
		vals, skip = q.Type.Include, "*?[@"
	}
	return slices.DeleteFunc(slices.Clone(vals), func(v string) bool {
		return v == "" || skip != "" && strings.ContainsAny(v, skip)
	})
}

// hasValue reports whether any cached activity, claudit's own included,
// has v as field, asking the same indexes a query does over the whole
// cache.
func (s *Store) hasValue(ctx context.Context, field, v string) (bool, error) {
	q := feed.Query{ShowSelf: true}.With(field, v, false)
	if q.IsZero() {
		return true, nil // not a value the query language takes: nothing to say
	}
	n, _, err := s.Count(ctx, q, time.Time{}, 1) // no window: now is not read
	return n > 0, err
}

// closest returns up to n values seen for field (the completion counts)
// that come close to v, most alike first, then most frequent.
func (s *Store) closest(ctx context.Context, field, v string, n int) ([]string, error) {
	rs, err := s.r.QueryContext(ctx, `SELECT v, n FROM suggest WHERE field = ?`, field)
	if err != nil {
		return nil, mapErr("near misses", err)
	}
	defer rs.Close()
	type cand struct {
		v    string
		d, n int
	}
	want := strings.ToLower(v)
	limit := maxEdits(want)
	var cands []cand
	for rs.Next() {
		var c cand
		if err := rs.Scan(&c.v, &c.n); err != nil {
			return nil, mapErr("near misses", err)
		}
		got := strings.ToLower(c.v)
		if got == want {
			continue
		}
		if d, ok := feed.EditDistanceWithin(want, got, limit); ok {
			c.d = d
		} else if alike(want, got) {
			c.d = limit + 1 + abs(len(got)-len(want)) // after every close spelling
		} else {
			continue
		}
		cands = append(cands, c)
	}
	if err := rs.Err(); err != nil {
		return nil, mapErr("near misses", err)
	}
	slices.SortFunc(cands, func(a, b cand) int {
		if a.d != b.d {
			return a.d - b.d
		}
		if a.n != b.n {
			return b.n - a.n
		}
		return strings.Compare(a.v, b.v)
	})
	out := make([]string, 0, min(n, len(cands)))
	for _, c := range cands[:min(n, len(cands))] {
		out = append(out, c.v)
	}
	return out, nil
}

// maxEdits is how many single-character edits still make a near miss of
// v: one in a short value, a fifth of a long one.
func maxEdits(v string) int {
	switch n := len(v); {
	case n <= 4:
		return 1
	case n <= 10:
		return 2
	default:
		return max(3, n/5)
	}
}

// alike reports whether got is a longer relative of want: it contains
// want, or, both being e-mails, got's local part starts with want's
// ("alice@example.com" and "alice.admin@example.com").
func alike(want, got string) bool {
	if len(want) >= 4 && strings.Contains(got, want) {
		return true
	}
	wl, _, wok := strings.Cut(want, "@")
	gl, _, gok := strings.Cut(got, "@")
	return wok && gok && len(wl) >= 3 && strings.HasPrefix(gl, wl)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
