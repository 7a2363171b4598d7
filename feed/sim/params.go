package sim

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"claudit/feed"
)

const (
	defaultLimit = 100
	maxLimit     = 5000
)

// query is a validated request to the feed.
type query struct {
	typeSet  []bool // by plan index; nil = every type
	exclude  bool   // typeSet lists types to drop, not to keep
	users    []string
	orgSet   []bool // by org index; nil = every organisation
	lo, hi   int64  // keep lo <= created_at < hi (ns)
	cursor   position
	hasCur   bool
	before   bool   // the cursor is before_id (else after_id)
	curParam string // the cursor as sent, for the EmptyHasMore fault
	limit    int
	asc      bool
}

// badRequest is a 400 invalid_request_error with a message for the client.
type badRequest struct{ msg string }

func (e *badRequest) Error() string { return e.msg }

func invalid(format string, args ...any) error {
	return &badRequest{msg: fmt.Sprintf(format, args...)}
}

// parseQuery validates the query string against the contract (§3, §11,
// §15). Unknown parameters are ignored, as the platform does.
func (s *Server) parseQuery(rawQuery string) (*query, error) {
	vals, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, invalid("The query string is malformed: %v.", err)
	}
	q := &query{lo: math.MinInt64, hi: math.MaxInt64, limit: defaultLimit}

	// Array parameters are accepted in bracket syntax only (§15.2).
	for _, name := range []string{"activity_types", "exclude_activity_types", "actor_ids", "user_ids", "organization_ids"} {
		if _, ok := vals[name]; ok {
			return nil, invalid("The `%s` parameter must use bracket syntax: send `%s[]=…` once per value.", name, name)
		}
	}
	inc, exc := vals["activity_types[]"], vals["exclude_activity_types[]"]
	if len(inc) > 0 && len(exc) > 0 {
		return nil, invalid("`activity_types[]` and `exclude_activity_types[]` cannot be combined.")
	}
	for _, tl := range []struct {
		name string
		vs   []string
	}{{"activity_types[]", inc}, {"exclude_activity_types[]", exc}} {
		if len(tl.vs) == 0 {
			continue
		}
		q.typeSet = make([]bool, len(s.gen.plans))
		q.exclude = tl.name == "exclude_activity_types[]"
		for _, t := range tl.vs {
			idx, ok := s.typeIndex(t)
			if !ok {
				return nil, invalid("Invalid value \"%s\" for `%s`: not a known activity type.", t, tl.name)
			}
			q.typeSet[idx] = true
		}
	}

	for _, name := range []string{"actor_ids[]", "user_ids[]"} {
		for _, id := range vals[name] {
			if !strings.HasPrefix(id, "user_") || len(id) == len("user_") {
				return nil, invalid("Invalid value \"%s\" for `%s`: only user IDs (user_…) are supported.", id, name)
			}
			q.users = append(q.users, id)
		}
	}

	if orgs, ok := vals["organization_ids[]"]; ok {
		q.orgSet = make([]bool, len(s.gen.w.orgs))
		for _, v := range orgs {
			for i, o := range s.gen.w.orgs {
				if v == o.id || strings.EqualFold(v, o.uuid) {
					q.orgSet[i] = true
				}
			}
		}
	}

	for _, b := range []string{"created_at.gte", "created_at.gt", "created_at.lte", "created_at.lt"} {
		for _, v := range vals[b] {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return nil, invalid("The `%s` parameter contains an invalid timestamp format. Timestamps must be provided in RFC 3339 format e.g., \"2024-03-01T00:00:00Z\". Got \"%s\".", b, v)
			}
			ns := clampNanos(t)
			switch b {
			case "created_at.gte":
				q.lo = max(q.lo, ns)
			case "created_at.gt":
				q.lo = max(q.lo, ns+1)
			case "created_at.lte":
				q.hi = min(q.hi, ns+1)
			case "created_at.lt":
				q.hi = min(q.hi, ns)
			}
		}
	}

	for _, name := range []string{"limit", "order", "after_id", "before_id"} {
		if len(vals[name]) > 1 {
			return nil, invalid("The `%s` parameter may be given only once.", name)
		}
	}
	if v, ok := vals["limit"]; ok {
		n, err := strconv.Atoi(v[0])
		if err != nil {
			return nil, invalid("The limit parameter must be an integer between 1 and %d, inclusive. Got \"%s\".", maxLimit, v[0])
		}
		if n < 1 || n > maxLimit {
			return nil, invalid("The limit parameter must be between 1 and %d, inclusive. Got %d.", maxLimit, n)
		}
		q.limit = n
	}
	if v, ok := vals["order"]; ok {
		switch v[0] {
		case "asc":
			q.asc = true
		case "desc":
		default:
			return nil, invalid("Invalid value \"%s\" for `order`: must be \"asc\" or \"desc\".", v[0])
		}
	}

	after, hasAfter := vals["after_id"]
	before, hasBefore := vals["before_id"]
	if hasAfter && hasBefore {
		return nil, invalid("Only one of `after_id` and `before_id` may be provided.")
	}
	if hasAfter || hasBefore {
		name, c := "after_id", ""
		if hasAfter {
			c = after[0]
		} else {
			name, c = "before_id", before[0]
		}
		pos, ok := s.decodeCursor(c)
		if !ok {
			return nil, invalid("Invalid `%s`. No activity found for `%s` \"%s\"", name, name, c)
		}
		q.cursor, q.hasCur, q.before, q.curParam = pos, true, hasBefore, c
	}
	return q, nil
}

// typeIndex resolves an activity type for a filter: any catalogued type,
// and any other type that exists in the data (the future type).
func (s *Server) typeIndex(t string) (int32, bool) {
	p := s.gen.byName[t]
	if p == nil {
		return 0, false
	}
	if _, ok := feed.Catalogue().Lookup(t); !ok && !s.seen[p.idx] {
		return 0, false
	}
	return p.idx, true
}

// clampNanos is t in unix ns, clamped to what int64 holds (years 1678–2262)
// so that far-away bounds still compare correctly.
func clampNanos(t time.Time) int64 {
	const minSec, maxSec = math.MinInt64/int64(time.Second) + 1, math.MaxInt64/int64(time.Second) - 1
	if s := t.Unix(); s < minSec {
		return math.MinInt64 + 1
	} else if s > maxSec {
		return math.MaxInt64 - 1
	}
	return t.UnixNano()
}

// match reports whether e passes the query's filters and is indexed at now.
func (q *query) match(e *event, now int64) bool {
	if e.vis > now {
		return false
	}
	if q.typeSet != nil && q.typeSet[e.typ] == q.exclude {
		return false
	}
	if q.users != nil {
		found := false
		for _, u := range q.users {
			if u == e.user {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if q.orgSet != nil && (e.org < 0 || !q.orgSet[e.org]) {
		return false
	}
	return true
}
