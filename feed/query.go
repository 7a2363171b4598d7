package feed

import (
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
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
		{"actor", "actor:alice@example.com", "who acted: e-mail, user_… id or any actor id (key, admin key, service account)"},
		{"key", "key:apikey_01…", "an API key id, as the actor or as the target"},
		{"type", "type:@keys", "activity type: exact name, glob (*api_key*) or @preset"},
		{"org", "org:org_01…", "organization: org_… id or UUID"},
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

// ParseError is a query syntax or value error at a position in the input.
type ParseError struct {
	Pos   int    // 0-based byte offset of the offending token in the input
	Token string // the offending token as written
	Msg   string // what is wrong and what is accepted
}

// Error renders the error with a 1-based column, e.g.
// `since:banana — not a duration or time … at column 1`.
func (e *ParseError) Error() string {
	if e.Token == "" {
		return fmt.Sprintf("%s at column %d", e.Msg, e.Pos+1)
	}
	return fmt.Sprintf("%s — %s at column %d", e.Token, e.Msg, e.Pos+1)
}

// Parse parses a query. The empty string is the zero Query. Errors are
// *ParseError.
func Parse(s string) (Query, error) {
	p := parser{src: s}
	if err := p.run(); err != nil {
		return Query{}, err
	}
	return p.q, nil
}

// Warning is a term that parses but may not mean what was meant: an exact
// type name the catalogue does not know (it is still sent: the server may
// know newer types). Pos and Token locate it as in ParseError.
type Warning struct {
	Pos   int    // 0-based byte offset of the token in the input
	Token string // the token as written
	Msg   string // what is odd and what was probably meant
}

// String renders the warning like ParseError.Error.
func (w Warning) String() string {
	return fmt.Sprintf("%s — %s at column %d", w.Token, w.Msg, w.Pos+1)
}

// Warnings parses s and returns the warnings of its terms, in input order
// (none when s does not parse: the error says more).
func Warnings(s string) []Warning {
	p := parser{src: s}
	if err := p.run(); err != nil {
		return nil
	}
	return p.warnings
}

// UnknownTypes returns the exact type names of q's type terms (included or
// excluded) that the catalogue does not know, sorted.
func (q Query) UnknownTypes() []string {
	var out []string
	for _, v := range append(slices.Clone(q.Type.Include), q.Type.Exclude...) {
		if !IsPattern(v) {
			if _, ok := Catalogue().Lookup(v); !ok {
				out = append(out, v)
			}
		}
	}
	return sortedSet(out)
}

// parser holds the state of one Parse call.
type parser struct {
	src string
	q   Query
	// positions of the window terms already seen, for conflict errors
	sincePos, fromPos, toPos int
	sinceTok, fromTok, toTok string
	hasSince, hasFrom, hasTo bool
	warnings                 []Warning
}

func (p *parser) errAt(pos int, tok, format string, args ...any) *ParseError {
	return &ParseError{Pos: pos, Token: tok, Msg: fmt.Sprintf(format, args...)}
}

// spaceAt reports whether a whitespace rune starts at s[i], and its width.
func spaceAt(s string, i int) (bool, int) {
	r, w := utf8.DecodeRuneInString(s[i:])
	return unicode.IsSpace(r), w
}

func (p *parser) run() error {
	s := p.src
	for i := 0; i < len(s); {
		if sp, w := spaceAt(s, i); sp {
			i += w
			continue
		}
		next, err := p.token(i)
		if err != nil {
			return err
		}
		i = next
	}
	return p.finish()
}

// wordEnd returns the end of the unquoted word starting at i.
func wordEnd(s string, i int) int {
	for i < len(s) {
		if sp, _ := spaceAt(s, i); sp {
			return i
		}
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return i
}

// readQuoted reads a double-quoted string starting at s[i] == '"'. Inside,
// \" and \\ are escapes; any other backslash is literal.
func (p *parser) readQuoted(i int) (string, int, error) {
	s := p.src
	var b strings.Builder
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == '\\' && j+1 < len(s) && (s[j+1] == '"' || s[j+1] == '\\'):
			b.WriteByte(s[j+1])
			j++
		case c == '"':
			end := j + 1
			if end < len(s) {
				if sp, _ := spaceAt(s, end); !sp {
					we := wordEnd(s, end)
					return "", 0, p.errAt(end, s[end:we], "unexpected text right after a closing quote; separate terms with a space")
				}
			}
			return b.String(), end, nil
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, p.errAt(i, s[i:], `unterminated quote; close it with " (write \" for a quote inside)`)
}

// token parses the term starting at i and returns the index after it.
func (p *parser) token(start int) (int, error) {
	s := p.src
	i := start
	neg := false
	if s[i] == '-' {
		neg = true
		i++
		if i == len(s) {
			return 0, p.errAt(start, "-", `"-" must be followed by a term to exclude, e.g. -type:claude_chat_viewed`)
		}
		if sp, _ := spaceAt(s, i); sp {
			return 0, p.errAt(start, "-", `"-" must be followed by a term to exclude, e.g. -type:claude_chat_viewed`)
		}
	}
	if s[i] == '"' {
		v, end, err := p.readQuoted(i)
		if err != nil {
			return 0, err
		}
		tok := s[start:end]
		if v == "" {
			return 0, p.errAt(start, tok, "empty quoted text; put the words to search between the quotes")
		}
		return end, p.apply("text", v, neg, start, tok)
	}
	end := wordEnd(s, i)
	word := s[i:end]
	if v, ok := canonicalIP(word); ok {
		return end, p.apply("ip", v, neg, start, s[start:end])
	}
	colon := strings.IndexByte(word, ':')
	if colon < 0 {
		return end, p.apply(classifyBare(word), word, neg, start, s[start:end])
	}
	field := strings.ToLower(word[:colon])
	vstart := i + colon + 1
	if field == "" {
		return 0, p.errAt(start, s[start:end], "missing field name before ':'; valid fields: %s (quote free text that contains ':')", fieldNames())
	}
	if !isField(field) {
		return 0, p.errAt(start, s[start:end], "unknown field %q; valid fields: %s (quote free text that contains ':')", word[:colon], fieldNames())
	}
	value := word[colon+1:]
	if vstart < len(s) && s[vstart] == '"' {
		v, qend, err := p.readQuoted(vstart)
		if err != nil {
			return 0, err
		}
		end, value = qend, v
	}
	tok := s[start:end]
	if value == "" {
		return 0, p.errAt(start, tok, "empty value for %s: (no space after the colon); e.g. %s", field, fieldExample(field))
	}
	return end, p.apply(field, value, neg, start, tok)
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
	if !isIDTail(tail) {
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

func isIDTail(s string) bool {
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

// apply validates one term and adds it to the query.
func (p *parser) apply(field, value string, neg bool, pos int, tok string) error {
	if value == "" {
		return p.errAt(pos, tok, "empty value for %s:; e.g. %s", field, fieldExample(field))
	}
	switch field {
	case "since", "from", "to":
		if neg {
			return p.errAt(pos, tok, "a time term cannot be excluded; use since:, from: or to: without '-'")
		}
		return p.window(field, value, pos, tok)
	case "actor":
		addTerm(&p.q.Actor, value, neg)
	case "key":
		addTerm(&p.q.Key, value, neg)
	case "id":
		addTerm(&p.q.ID, value, neg)
	case "text":
		// Free text is a substring search through a trigram index: it
		// needs three characters to look anything up.
		if utf8.RuneCountInString(value) < MinFreeText {
			return p.errAt(pos, tok, "free text %q is too short: search for at least %d characters (a substring of any value)", value, MinFreeText)
		}
		addTerm(&p.q.Text, value, neg)
	case "type":
		v := strings.ToLower(value)
		if _, err := Catalogue().Expand(v); err != nil {
			hint := "use an exact type name, a glob like *api_key*, or a preset (" + presetList() + ")"
			return p.errAt(pos, tok, "%v; %s", err, hint)
		}
		if err := p.checkTypeName(v, pos, tok); err != nil {
			return err
		}
		addTerm(&p.q.Type, v, neg)
	case "org":
		v, ok := canonicalOrg(value)
		if !ok {
			return p.errAt(pos, tok, "not an organization id; use org_… or a UUID like 11111111-2222-4333-8444-000000000001")
		}
		addTerm(&p.q.Org, v, neg)
	case "ip":
		v, ok := canonicalIP(value)
		if !ok {
			return p.errAt(pos, tok, "not an IP address or CIDR prefix; e.g. 198.51.100.7, 2001:db8::1 or 198.51.100.0/24")
		}
		addTerm(&p.q.IP, v, neg)
	case "is":
		v := strings.ToLower(value)
		if !slices.Contains(isFlags(), v) {
			return p.errAt(pos, tok, "unknown flag %q; is: accepts %s", value, strings.Join(isFlags(), ", "))
		}
		addTerm(&p.q.Is, v, neg)
	default:
		return p.errAt(pos, tok, "unknown field %q; valid fields: %s", field, fieldNames())
	}
	return nil
}

// checkTypeName looks an exact type name up in the catalogue: an unknown
// one that looks like a type name is kept with a warning (the server may
// know it), anything else is an error. Both suggest the nearest names.
func (p *parser) checkTypeName(v string, pos int, tok string) error {
	if IsPattern(v) {
		return nil
	}
	if _, ok := Catalogue().Lookup(v); ok {
		return nil
	}
	if !PlausibleTypeName(v) {
		return p.errAt(pos, tok, "%s (type names are lower-case letters, digits and _)", UnknownTypeHint(v))
	}
	p.warnings = append(p.warnings, Warning{Pos: pos, Token: tok,
		Msg: UnknownTypeHint(v) + " (sent as is: the server may know newer types)"})
	return nil
}

func presetList() string {
	var names []string
	for _, pr := range Catalogue().Presets() {
		names = append(names, "@"+pr.Name)
	}
	return strings.Join(names, " ")
}

func canonicalOrg(v string) (string, bool) {
	if IsUUID(v) {
		return strings.ToLower(v), true
	}
	if len(v) > len("org_") && strings.HasPrefix(v, "org_") {
		return v, true
	}
	return "", false
}

func addTerm(t *Terms, v string, neg bool) {
	if neg {
		t.Exclude = append(t.Exclude, v)
	} else {
		t.Include = append(t.Include, v)
	}
}

// window applies a since/from/to term.
func (p *parser) window(field, value string, pos int, tok string) error {
	w := &p.q.Window
	switch field {
	case "since":
		var since time.Duration
		var from time.Time
		if d, err := parseSince(value); err == nil {
			since = d
		} else if t, terr := parseTime(value); terr == nil {
			from = t
		} else if err != errNotDuration {
			return p.errAt(pos, tok, "%v", err)
		} else if terr != errNotTime {
			return p.errAt(pos, tok, "%v", terr)
		} else {
			return p.errAt(pos, tok, "not a duration or time; use e.g. since:15m, since:24h, since:7d or since:2026-09-01")
		}
		if p.hasSince {
			if since == w.Since && from.Equal(w.From) {
				return nil // duplicate term
			}
			return p.errAt(pos, tok, "since given twice (first %s at column %d); keep one", p.sinceTok, p.sincePos+1)
		}
		if p.hasFrom || p.hasTo {
			other, opos := p.fromTok, p.fromPos
			if !p.hasFrom {
				other, opos = p.toTok, p.toPos
			}
			return p.errAt(pos, tok, "since cannot be combined with from/to (%s at column %d); use one or the other", other, opos+1)
		}
		p.hasSince, p.sincePos, p.sinceTok = true, pos, tok
		w.Since, w.From = since, from
	case "from", "to":
		t, err := parseTime(value)
		if err == errNotTime {
			return p.errAt(pos, tok, "not a time; use RFC 3339 (2026-09-01T02:00:00Z), YYYY-MM-DD or YYYY-MM-DDThh:mm[Z|±hh:mm] (no zone = UTC)")
		} else if err != nil {
			return p.errAt(pos, tok, "%v", err)
		}
		if p.hasSince {
			return p.errAt(pos, tok, "%s cannot be combined with since (%s at column %d); use one or the other", field, p.sinceTok, p.sincePos+1)
		}
		has, cur, fpos, ftok := &p.hasFrom, &w.From, &p.fromPos, &p.fromTok
		if field == "to" {
			has, cur, fpos, ftok = &p.hasTo, &w.To, &p.toPos, &p.toTok
		}
		if *has {
			if t.Equal(*cur) {
				return nil
			}
			return p.errAt(pos, tok, "%s given twice (first %s at column %d); keep one", field, *ftok, *fpos+1)
		}
		*has, *cur, *fpos, *ftok = true, t, pos, tok
		if p.hasFrom && p.hasTo && !w.From.Before(w.To) {
			return p.errAt(pos, tok, "empty window: from (%s) must be before to (%s); to is exclusive",
				w.From.Format(time.RFC3339Nano), w.To.Format(time.RFC3339Nano))
		}
	}
	return nil
}

// finish normalises the term lists: sorted, de-duplicated, nil when empty.
func (p *parser) finish() error {
	p.q.normalize()
	return nil
}

func (q *Query) normalize() {
	for _, t := range q.terms() {
		t.Include = sortedSet(t.Include)
		t.Exclude = sortedSet(t.Exclude)
	}
}

func sortedSet(v []string) []string {
	if len(v) == 0 {
		return nil
	}
	slices.Sort(v)
	return slices.Compact(v)
}

// terms returns the term lists in canonical order with their field names.
func (q *Query) terms() []*Terms {
	return []*Terms{&q.Actor, &q.Key, &q.Type, &q.Org, &q.IP, &q.ID, &q.Is, &q.Text}
}

// termFieldNames are the field names of terms(), in the same order.
func termFieldNames() []string {
	return []string{"actor", "key", "type", "org", "ip", "id", "is", "text"}
}

var (
	errNotDuration = fmt.Errorf("not a duration")
	errNotTime     = fmt.Errorf("not a time")
)

// parseSince parses one or more <integer><unit> groups, unit s, m, h, d or
// w (e.g. 90s, 15m, 7d, 1h30m). errNotDuration means "not this syntax".
func parseSince(v string) (time.Duration, error) {
	if v == "" || v[0] < '0' || v[0] > '9' {
		return 0, errNotDuration
	}
	var total time.Duration
	for i := 0; i < len(v); {
		j := i
		for j < len(v) && v[j] >= '0' && v[j] <= '9' {
			j++
		}
		if j == i || j == len(v) {
			return 0, errNotDuration
		}
		var unit time.Duration
		switch v[j] {
		case 's':
			unit = time.Second
		case 'm':
			unit = time.Minute
		case 'h':
			unit = time.Hour
		case 'd':
			unit = 24 * time.Hour
		case 'w':
			unit = 7 * 24 * time.Hour
		default:
			return 0, errNotDuration
		}
		n, err := strconv.ParseInt(v[i:j], 10, 64)
		if err != nil || n > int64(maxSince/unit) {
			return 0, fmt.Errorf("duration too long; at most %s", formatDuration(maxSince))
		}
		total += time.Duration(n) * unit
		if total > maxSince {
			return 0, fmt.Errorf("duration too long; at most %s", formatDuration(maxSince))
		}
		i = j + 1
	}
	if total <= 0 {
		return 0, fmt.Errorf("duration must be positive; e.g. since:15m")
	}
	return total, nil
}

// formatDuration is the canonical form of a since value: whole days when
// longer than a day (7d), else the largest exact unit (24h, 15m, 90s).
func formatDuration(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d > day && d%day == 0:
		return strconv.FormatInt(int64(d/day), 10) + "d"
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	default:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
}

// parseTime parses a from/to value into UTC. errNotTime means "no layout
// matched".
func parseTime(v string) (time.Time, error) {
	if len(v) < len("2006-01-02") || v[0] < '0' || v[0] > '9' {
		return time.Time{}, errNotTime
	}
	u := strings.ToUpper(v)
	// The accepted formats; those without a zone are UTC.
	layouts := [...]string{
		time.RFC3339Nano,
		"2006-01-02T15:04Z07:00",
		"2006-01-02T15:04:05.999999999",
		"2006-01-02T15:04",
		"2006-01-02",
	}
	for _, l := range layouts {
		t, err := time.Parse(l, u)
		if err != nil {
			continue
		}
		t = t.UTC()
		if y := t.Year(); y < 1970 || y > 9999 {
			return time.Time{}, fmt.Errorf("time out of range; years 1970 to 9999 (UTC)")
		}
		return t, nil
	}
	return time.Time{}, errNotTime
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

// Server-side filter parameter names (ACTIVITY_FEED.md §3).
const (
	ParamActivityTypes        = "activity_types[]"
	ParamExcludeActivityTypes = "exclude_activity_types[]"
	ParamActorIDs             = "actor_ids[]"
	ParamOrganizationIDs      = "organization_ids[]"
	ParamCreatedAtGTE         = "created_at.gte"
	ParamCreatedAtLT          = "created_at.lt"
)

// serverTypes returns the type list to send and whether it is an include
// list. With both includes and excludes the server gets the include list
// minus the excludes, never both lists (the API forbids combining them).
func (q Query) serverTypes() (list []string, include, exact bool, err error) {
	c := Catalogue()
	inc, err := c.ExpandAll(q.Type.Include)
	if err != nil {
		return nil, false, false, fmt.Errorf("type filter: %w", err)
	}
	exc, err := c.ExpandAll(q.Type.Exclude)
	if err != nil {
		return nil, false, false, fmt.Errorf("type filter: %w", err)
	}
	if len(inc) > 0 && len(exc) > 0 {
		kept := slices.DeleteFunc(slices.Clone(inc), func(n string) bool {
			_, found := slices.BinarySearch(exc, n)
			return found
		})
		if len(kept) == 0 {
			// Nothing can match; an empty list would mean "all types", so
			// send the include list and let the cache drop the rest.
			return inc, true, false, nil
		}
		inc = kept
	}
	if len(inc) == 0 {
		if len(exc) > maxServerTypes {
			// Too long for a URL; an include list of the complement would
			// drop types the catalogue does not know yet, so send no type
			// filter and let the cache filter.
			return nil, false, false, nil
		}
		return exc, false, true, nil
	}
	if len(inc) > maxServerTypes {
		// A broad glob (type:*) would make a URL of tens of kilobytes;
		// exclude the smaller complement instead. Types the catalogue does
		// not know then come through too, so the cache must filter again.
		var comp []string
		for _, n := range c.Names() {
			if _, found := slices.BinarySearch(inc, n); !found {
				comp = append(comp, n)
			}
		}
		if len(comp) < len(inc) {
			return comp, false, false, nil
		}
	}
	return inc, true, true, nil
}

// maxServerTypes is the longest activity_types[] list sent as is: about 8 KB
// of query string, well under common URL limits.
const maxServerTypes = 250

// allUserIDs reports whether v is non-empty and every value is a user_… id,
// the only actor ids the server can filter on.
func allUserIDs(v []string) bool {
	if len(v) == 0 {
		return false
	}
	for _, s := range v {
		if !strings.HasPrefix(s, "user_") {
			return false
		}
	}
	return true
}

// ServerFilter returns only what the server filters on, without time
// bounds: activity_types[] or exclude_activity_types[] (expanded, sorted,
// de-duplicated; never both), actor_ids[] when every actor include is a
// user id, and organization_ids[] for org includes. An include list longer
// than a few hundred types is sent as the exclusion of its complement. Its
// Encode() is deterministic and is the coverage filter signature
// ("" = unfiltered).
func (q Query) ServerFilter() (url.Values, error) {
	v := url.Values{}
	types, include, _, err := q.serverTypes()
	if err != nil {
		return nil, err
	}
	if len(types) > 0 {
		if include {
			v[ParamActivityTypes] = types
		} else {
			v[ParamExcludeActivityTypes] = types
		}
	}
	if allUserIDs(q.Actor.Include) {
		v[ParamActorIDs] = slices.Clone(q.Actor.Include)
	}
	if len(q.Org.Include) > 0 {
		v[ParamOrganizationIDs] = slices.Clone(q.Org.Include)
	}
	return v, nil
}

// ServerParams is ServerFilter plus created_at.gte=from and created_at.lt=to
// (RFC 3339 UTC with nanoseconds as needed); a zero bound is omitted.
func (q Query) ServerParams(from, to time.Time) (url.Values, error) {
	v, err := q.ServerFilter()
	if err != nil {
		return nil, err
	}
	if !from.IsZero() {
		v.Set(ParamCreatedAtGTE, from.UTC().Format(time.RFC3339Nano))
	}
	if !to.IsZero() {
		v.Set(ParamCreatedAtLT, to.UTC().Format(time.RFC3339Nano))
	}
	return v, nil
}

// NeedsLocalFilter reports whether some term cannot be evaluated by the
// server, so results fetched with ServerFilter must be filtered again.
func (q Query) NeedsLocalFilter() bool {
	if !q.Key.IsZero() || !q.IP.IsZero() || !q.Text.IsZero() || !q.ID.IsZero() || !q.Is.IsZero() {
		return true
	}
	if len(q.Actor.Exclude) > 0 || (len(q.Actor.Include) > 0 && !allUserIDs(q.Actor.Include)) {
		return true
	}
	if len(q.Org.Exclude) > 0 {
		return true
	}
	_, _, exact, err := q.serverTypes()
	return err != nil || !exact
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
