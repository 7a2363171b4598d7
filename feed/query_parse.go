package feed

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The query parser: tokens, terms and their checks, relative and absolute
// times.

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
	// resolve turns names in actor, key and org terms into ids (ParseWith;
	// nil: values are kept as written).
	resolve NameResolver
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

// apply validates one term and adds it to the query.
func (p *parser) apply(field, value string, neg bool, pos int, tok string) error {
	if value == "" {
		return p.errAt(pos, tok, "empty value for %s:; e.g. %s", field, fieldExample(field))
	}
	if handled, err := p.resolveName(field, value, neg, pos, tok); handled {
		return err
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
