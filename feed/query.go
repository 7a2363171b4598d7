package feed

import (
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Query is one parsed query of the claudit query language (DESIGN.md, "Query
// language"). The same value drives the TUI, the CLI and saved views.
// Parse(q.String()) equals q. Values inside each Terms list are sorted and
// de-duplicated by Parse and With, so equal queries compare equal.
type Query struct {
	Window Window
	Actor  Terms // e-mail or user_… id (or any actor id: api key, admin key, service account)
	Key    Terms // an API key id, as actor or as target
	Type   Terms // exact type names, globs (*api_key*) or presets (@keys), lower-cased
	Org    Terms // org_… id or organization UUID
	IP     Terms // addresses and CIDR prefixes, in netip canonical form
	Text   Terms // free text (quoted or bare words): substrings of any string value, case-insensitive
	ID     Terms // bare ids: any mention anywhere in the event
	// Is holds the flags self (claudit's own compliance_api_accessed
	// polls), late, marked and tripwire; the cache evaluates them.
	Is Terms
	// ShowSelf keeps claudit's own calls in a query without an is:self
	// term, which otherwise leaves them out (HidesSelf). It has no text
	// form (String omits it): the explorer's S sets it on what it reads.
	ShowSelf bool
}

// HidesSelf reports whether q leaves claudit's own API calls out: by
// default, unless an is:self term says otherwise (is:self shows only them)
// or ShowSelf is set. Every count, histogram, facet and answer of the
// cache follows it.
func (q Query) HidesSelf() bool {
	return !q.ShowSelf && !slices.Contains(q.Is.Include, IsSelf) && !slices.Contains(q.Is.Exclude, IsSelf)
}

// MinFreeText is the shortest free-text term, in characters, Parse accepts:
// the cache finds substrings through an index of three-character pieces.
const MinFreeText = 3

// Terms holds the values of one field: an event must match at least one
// Include value (when there are any) and none of the Exclude values.
type Terms struct {
	Include []string
	Exclude []string
}

// IsZero reports whether t has no values.
func (t Terms) IsZero() bool { return len(t.Include) == 0 && len(t.Exclude) == 0 }

// Window is the time range of a query: either relative (Since > 0, ending
// now) or absolute (From and/or To set; a zero bound is open). A zero Window
// means "no time term".
type Window struct {
	Since time.Duration
	From  time.Time
	To    time.Time
}

// IsZero reports whether w is "no time term".
func (w Window) IsZero() bool { return w.Since == 0 && w.From.IsZero() && w.To.IsZero() }

// The "is:" flags.
const (
	IsSelf     = "self"
	IsLate     = "late"
	IsMarked   = "marked"
	IsTripwire = "tripwire"
)

// isFlags lists the "is:" flags for validation and messages.
func isFlags() []string { return []string{IsSelf, IsLate, IsMarked, IsTripwire} }

// maxSince bounds relative windows; far beyond any retention and far below
// time.Duration's overflow.
const maxSince = 3650 * 24 * time.Hour

// QueryField describes one field of the query language for the TUI query
// bar's completion and help. (It is not called FieldInfo because that name
// already describes a catalogue type's fields.)
type QueryField struct {
	Name    string // field name without the colon, e.g. "since"
	Example string // a complete example term, e.g. "since:24h"
	Help    string // one line of help
}

// queryFields is the list behind QueryFields, in the canonical term order.
func queryFields() []QueryField {
	return []QueryField{
		{"since", "since:24h", "relative window ending now: 90s, 15m, 1h, 24h, 7d, 2w (or a start time)"},
		{"from", "from:2026-09-01T02:00Z", "window start: RFC 3339, YYYY-MM-DD or YYYY-MM-DDThh:mm[Z|±hh:mm]; no zone = UTC"},
		{"to", "to:2026-09-02", "window end, exclusive; same formats as from"},
		{"actor", "actor:alice@example.com", "who acted: e-mail, user_… id, any actor id (key, admin key, service account) or full name (\"Alice Chen\")"},
		{"key", "key:apikey_01…", "an API key id or Compliance key name, as the actor or as the target"},
		{"type", "type:@keys", "activity type: exact name, glob (*api_key*) or @preset"},
		{"org", "org:org_01…", "organization: org_… id, UUID or name (\"Research\", globs allowed)"},
		{"ip", "ip:198.51.100.7", "actor IP address or CIDR prefix (198.51.100.0/24)"},
		{"id", "id:claude_chat_01…", "any id mentioned anywhere in the event"},
		{"is", "is:self", "flags: self (claudit's own API calls), late, marked, tripwire"},
		{"text", `"free text"`, "free text anywhere in the event (quote phrases)"},
	}
}

// QueryFields lists the fields of the query language in canonical order,
// for completion and help. Prefix any term with "-" to exclude.
func QueryFields() []QueryField { return queryFields() }

func fieldNames() string {
	var names []string
	for _, f := range queryFields() {
		names = append(names, f.Name)
	}
	return strings.Join(names, ", ")
}

func isField(name string) bool {
	for _, f := range queryFields() {
		if f.Name == name {
			return true
		}
	}
	return false
}

func fieldExample(name string) string {
	for _, f := range queryFields() {
		if f.Name == name {
			return f.Example
		}
	}
	return ""
}

// classifyBare decides what an unquoted word without a field is: an id, an
// e-mail (actor) or free text. IPs are recognised before this.
func classifyBare(w string) string {
	switch {
	case looksLikeID(w):
		return "id"
	case looksLikeEmail(w):
		return "actor"
	default:
		return "text"
	}
}

// looksLikeID reports whether a bare word is an id rather than a word. A
// tagged id's random part has digits or capitals; requiring one keeps words
// like user_agent or claude_code as free text.
func looksLikeID(w string) bool {
	if IsUUID(w) {
		return true
	}
	cut := strings.LastIndexByte(w, '_')
	if cut <= 0 || cut == len(w)-1 {
		return false
	}
	head, tail := w[:cut], w[cut+1:]
	if !IsIDTail(tail) {
		return false
	}
	for _, seg := range strings.Split(head, "_") {
		if seg == "" || !isLowerAlnum(seg) || seg[0] < 'a' || seg[0] > 'z' {
			return false
		}
	}
	// The tagged-id prefixes of the API (ACTIVITY_FEED.md §8) plus the admin
	// key prefix the examples use accept short ids; others need 10+ chars.
	switch head, _, _ := strings.Cut(w, "_"); head {
	case "apikey", "user", "org", "activity", "claude", "adminkey", "svac", "wrkspc", "rbac", "req":
		return true
	}
	return len(tail) >= 10
}

// IsIDTail reports whether s can be the random part of a tagged id: letters
// and digits only, with at least one digit or capital (so user_agent stays a
// word). The query parser and the store's reference extraction both use it.
func IsIDTail(s string) bool {
	signal := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c >= 'A' && c <= 'Z':
			signal = true
		case c >= 'a' && c <= 'z':
		default:
			return false
		}
	}
	return signal
}

func isLowerAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// IsUUID reports whether s is a UUID in 8-4-4-4-12 hex form (organization
// UUIDs and other opaque ids).
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// looksLikeEmail is a deliberately loose check (local@domain.tld) used only
// to route a bare word to the actor field.
func looksLikeEmail(w string) bool {
	at := strings.LastIndexByte(w, '@')
	if at <= 0 || strings.IndexByte(w, '@') != at {
		return false
	}
	dom := w[at+1:]
	dot := strings.LastIndexByte(dom, '.')
	return dot > 0 && dot < len(dom)-1 && !strings.ContainsAny(w, `"\`)
}

// canonicalIP parses an address or CIDR prefix (no zones) and returns its
// canonical form; prefixes are masked so 10.1.2.3/8 and 10.0.0.0/8 agree.
func canonicalIP(s string) (string, bool) {
	if strings.Contains(s, "/") {
		pfx, err := netip.ParsePrefix(s)
		if err != nil {
			return "", false
		}
		return pfx.Masked().String(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return "", false
	}
	return a.String(), true
}

// String returns the canonical text of q: window first, then the fields in
// QueryFields order, includes before excludes, values sorted; free text is
// always quoted. Parse(q.String()) equals q for any q that Parse returned.
func (q Query) String() string {
	var parts []string
	if q.Window.Since > 0 {
		parts = append(parts, "since:"+formatDuration(q.Window.Since))
	}
	if !q.Window.From.IsZero() {
		parts = append(parts, "from:"+q.Window.From.UTC().Format(time.RFC3339Nano))
	}
	if !q.Window.To.IsZero() {
		parts = append(parts, "to:"+q.Window.To.UTC().Format(time.RFC3339Nano))
	}
	names := termFieldNames()
	for i, t := range q.terms() {
		name := names[i]
		for _, neg := range []bool{false, true} {
			vals := t.Include
			prefix := ""
			if neg {
				vals, prefix = t.Exclude, "-"
			}
			for _, v := range vals {
				if name == "text" {
					parts = append(parts, prefix+quote(v))
				} else {
					parts = append(parts, prefix+name+":"+quoteIfNeeded(v))
				}
			}
		}
	}
	return strings.Join(parts, " ")
}

func quote(v string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		if v[i] == '"' || v[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	b.WriteByte('"')
	return b.String()
}

// QuoteValue is v as a query value: quoted (with \" and \\ escaped) when
// it is empty or holds a space, a quote or a backslash, else as it is.
// Completion inserts names with it (actor:"Alice Chen").
func QuoteValue(v string) string { return quoteIfNeeded(v) }

func quoteIfNeeded(v string) string {
	if v == "" || strings.ContainsAny(v, `"\`) {
		return quote(v)
	}
	for i := 0; i < len(v); {
		sp, w := spaceAt(v, i)
		if sp {
			return quote(v)
		}
		i += w
	}
	return v
}

// IsZero reports whether q has no terms at all.
func (q Query) IsZero() bool {
	if !q.Window.IsZero() {
		return false
	}
	for _, t := range q.terms() {
		if !t.IsZero() {
			return false
		}
	}
	return true
}

// HasTimeTerm reports whether q has since, from or to.
func (q Query) HasTimeTerm() bool { return !q.Window.IsZero() }

// Bounds resolves q's window against now. A relative window is
// [now-Since, now); an absolute one is returned as given, a zero bound
// meaning open. Without a time term the window is [now-defaultSince, now),
// or fully open (both zero) when defaultSince <= 0, which is how the cache
// searches "everything".
func (q Query) Bounds(now time.Time, defaultSince time.Duration) (from, to time.Time) {
	switch {
	case q.Window.Since > 0:
		return now.Add(-q.Window.Since), now
	case !q.Window.From.IsZero() || !q.Window.To.IsZero():
		return q.Window.From, q.Window.To
	case defaultSince > 0:
		return now.Add(-defaultSince), now
	default:
		return time.Time{}, time.Time{}
	}
}

// clone returns a deep copy so With never aliases the receiver's slices.
func (q Query) clone() Query {
	c := q
	for _, t := range c.terms() {
		t.Include = slices.Clone(t.Include)
		t.Exclude = slices.Clone(t.Exclude)
	}
	return c
}

// With returns a copy of q with one more term, validated and normalised as
// Parse would (the pivot helper of the UI). field is a QueryFields name;
// exclude makes it a "-field:value" term and removes the same value from the
// opposite list (and vice versa), so pivots never contradict themselves.
// since, from and to replace the corresponding part of the window (since
// replaces it all); exclude is ignored for them. An invalid field or value
// returns q unchanged.
func (q Query) With(field, value string, exclude bool) Query {
	field = strings.ToLower(field)
	switch field {
	case "since", "from", "to":
		p := parser{q: q.clone()}
		w := p.q.Window
		p.q.Window = Window{}
		if field != "since" && w.Since == 0 {
			// keep the other absolute bound
			if field == "from" && !w.To.IsZero() {
				p.q.Window.To, p.hasTo = w.To, true
			}
			if field == "to" && !w.From.IsZero() {
				p.q.Window.From, p.hasFrom = w.From, true
			}
		}
		if err := p.window(field, value, 0, ""); err != nil {
			return q
		}
		return p.q
	}
	p := parser{q: q.clone()}
	if err := p.apply(field, value, exclude, 0, ""); err != nil {
		return q
	}
	// The value as apply normalised it is the last one appended.
	t := p.q.terms()[slices.Index(termFieldNames(), field)]
	if exclude {
		v := t.Exclude[len(t.Exclude)-1]
		t.Include = slices.DeleteFunc(t.Include, func(s string) bool { return s == v })
	} else {
		v := t.Include[len(t.Include)-1]
		t.Exclude = slices.DeleteFunc(t.Exclude, func(s string) bool { return s == v })
	}
	p.q.normalize()
	return p.q
}

// WithWindow returns a copy of q with its window replaced by w, normalised
// as Parse would: a relative window drops From/To and is rounded down to
// whole seconds (at least 1s), times are UTC without monotonic readings.
// The caller keeps From before To.
func (q Query) WithWindow(w Window) Query {
	c := q.clone()
	if w.Since > 0 {
		s := min(w.Since.Truncate(time.Second), maxSince)
		c.Window = Window{Since: max(s, time.Second)}
		return c
	}
	c.Window = Window{}
	if !w.From.IsZero() {
		c.Window.From = w.From.UTC().Round(0)
	}
	if !w.To.IsZero() {
		c.Window.To = w.To.UTC().Round(0)
	}
	return c
}
