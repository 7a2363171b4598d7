package feed

import (
	"errors"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm.UTC()
}

func mustParse(t *testing.T, s string) Query {
	t.Helper()
	q, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return q
}

func inc(v ...string) Terms { return Terms{Include: v} }
func exc(v ...string) Terms { return Terms{Exclude: v} }

func TestParseValid(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		in   string
		want Query
	}{
		{"", Query{}},
		{"   \t\n ", Query{}},
		{"since:15m", Query{Window: Window{Since: 15 * time.Minute}}},
		{"since:90s", Query{Window: Window{Since: 90 * time.Second}}},
		{"since:24h", Query{Window: Window{Since: day}}},
		{"since:7d", Query{Window: Window{Since: 7 * day}}},
		{"since:2w", Query{Window: Window{Since: 14 * day}}},
		{"since:1h30m", Query{Window: Window{Since: 90 * time.Minute}}},
		{"since:1h since:60m", Query{Window: Window{Since: time.Hour}}}, // duplicate dedupes
		{"since:2026-09-01", Query{Window: Window{From: mustTime(t, "2026-09-01T00:00:00Z")}}},
		{"from:2026-09-01T02:00:00Z", Query{Window: Window{From: mustTime(t, "2026-09-01T02:00:00Z")}}},
		{"from:2026-09-01T02:00:00.5+02:00", Query{Window: Window{From: mustTime(t, "2026-09-01T00:00:00.5Z")}}},
		{"from:2026-09-01", Query{Window: Window{From: mustTime(t, "2026-09-01T00:00:00Z")}}},
		{"from:2026-09-01T02:00", Query{Window: Window{From: mustTime(t, "2026-09-01T02:00:00Z")}}},
		{"from:2026-09-01T02:00Z", Query{Window: Window{From: mustTime(t, "2026-09-01T02:00:00Z")}}},
		{"from:2026-09-01T02:00-03:30", Query{Window: Window{From: mustTime(t, "2026-09-01T05:30:00Z")}}},
		{"from:2026-09-01t02:00z", Query{Window: Window{From: mustTime(t, "2026-09-01T02:00:00Z")}}},
		{"to:2026-09-02", Query{Window: Window{To: mustTime(t, "2026-09-02T00:00:00Z")}}},
		{"from:2026-09-01 to:2026-09-02", Query{Window: Window{
			From: mustTime(t, "2026-09-01T00:00:00Z"), To: mustTime(t, "2026-09-02T00:00:00Z")}}},
		{"actor:alice@example.com", Query{Actor: inc("alice@example.com")}},
		{"actor:user_01ALICE -actor:bob@example.com", Query{Actor: Terms{Include: []string{"user_01ALICE"}, Exclude: []string{"bob@example.com"}}}},
		{`actor:"repo:org/x:ref:refs/heads/main"`, Query{Actor: inc("repo:org/x:ref:refs/heads/main")}},
		{"actor:system:serviceaccount:ns:name", Query{Actor: inc("system:serviceaccount:ns:name")}},
		{"key:apikey_01X key:apikey_01X", Query{Key: inc("apikey_01X")}},
		{"type:scoped_api_key_updated", Query{Type: inc("scoped_api_key_updated")}},
		{"type:brand_new_type_not_in_catalogue", Query{Type: inc("brand_new_type_not_in_catalogue")}},
		{"type:*api_key* type:@KEYS -type:claude_chat_viewed", Query{Type: Terms{
			Include: []string{"*api_key*", "@keys"}, Exclude: []string{"claude_chat_viewed"}}}},
		{"org:org_01EXAMPLE", Query{Org: inc("org_01EXAMPLE")}},
		{"org:11111111-2222-4333-8444-00000000000A", Query{Org: inc("11111111-2222-4333-8444-00000000000a")}},
		{"ip:198.51.100.7", Query{IP: inc("198.51.100.7")}},
		{"ip:2001:DB8::1", Query{IP: inc("2001:db8::1")}},
		{"ip:198.51.100.9/24", Query{IP: inc("198.51.100.0/24")}},
		{"id:claude_chat_01X", Query{ID: inc("claude_chat_01X")}},
		{"is:self", Query{Is: inc("self")}},
		{"-is:self is:LATE is:marked is:tripwire", Query{Is: Terms{Include: []string{"late", "marked", "tripwire"}, Exclude: []string{"self"}}}},
		{"text:hello", Query{Text: inc("hello")}},
		{`"free text" word`, Query{Text: inc("free text", "word")}},
		{`-"free text" -word`, Query{Text: exc("free text", "word")}},
		{`"say \"hi\" \\ \n"`, Query{Text: inc(`say "hi" \ \n`)}},
		{`ab"c`, Query{Text: inc(`ab"c`)}},
		{"user_agent claude_code compliance_activities", Query{Text: inc("claude_code", "compliance_activities", "user_agent")}},
		// bare ids, ips and e-mails are classified
		{"apikey_01EXAMPLE", Query{ID: inc("apikey_01EXAMPLE")}},
		{"user_42", Query{ID: inc("user_42")}},
		{"directory_01EXAMPLEDIRECTORY000001", Query{ID: inc("directory_01EXAMPLEDIRECTORY000001")}},
		{"11111111-2222-4333-8444-000000000001", Query{ID: inc("11111111-2222-4333-8444-000000000001")}},
		{"-activity_01EXAMPLEFEED00000000120", Query{ID: exc("activity_01EXAMPLEFEED00000000120")}},
		{"198.51.100.7 2001:db8::1 -192.0.2.10", Query{IP: Terms{Include: []string{"198.51.100.7", "2001:db8::1"}, Exclude: []string{"192.0.2.10"}}}},
		{"alice.admin@example.com", Query{Actor: inc("alice.admin@example.com")}},
		{"Actor:x@y.z", Query{Actor: inc("x@y.z")}},
		{"--xy", Query{Text: exc("-xy")}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%q) =\n %#v\nwant\n %#v", tt.in, got, tt.want)
		}
		again, err := Parse(got.String())
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Errorf("round trip of %q via %q: %#v, %v", tt.in, got.String(), again, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in      string
		pos     int
		token   string
		msgPart string
	}{
		{"since:banana", 0, "since:banana", "not a duration or time"},
		{"since:0m", 0, "since:0m", "positive"},
		{"since:99999d", 0, "since:99999d", "too long"},
		{"since:99999999999999999999d", 0, "since:99999999999999999999d", "too long"},
		{"since:15x", 0, "since:15x", "not a duration or time"},
		{"since:1h since:2h", 9, "since:2h", "since given twice"},
		{"since:1h from:2026-09-01", 9, "from:2026-09-01", "cannot be combined with since"},
		{"to:2026-09-01 since:1h", 14, "since:1h", "cannot be combined with from/to"},
		{"-since:1h", 0, "-since:1h", "cannot be excluded"},
		{"from:yesterday", 0, "from:yesterday", "not a time"},
		{"from:2026-13-01", 0, "from:2026-13-01", "not a time"},
		{"from:1969-12-31", 0, "from:1969-12-31", "out of range"},
		{"from:2026-09-02 to:2026-09-01", 16, "to:2026-09-01", "must be before to"},
		{"from:2026-09-01 to:2026-09-01", 16, "to:2026-09-01", "empty window"},
		{"from:2026-09-01 from:2026-09-02", 16, "from:2026-09-02", "from given twice"},
		{"type:@nope", 0, "type:@nope", "unknown preset"},
		{"type:*zzzz*", 0, "type:*zzzz*", "matches no known activity type"},
		{"type:[", 0, "type:[", "bad type pattern"},
		{"org:acme", 0, "org:acme", "not an organization id"},
		{"org:org_", 0, "org:org_", "not an organization id"},
		{"ip:999.1.1.1", 0, "ip:999.1.1.1", "not an IP address"},
		{"ip:fe80::1%eth0", 0, "ip:fe80::1%eth0", "not an IP address"},
		{"is:bogus", 0, "is:bogus", `unknown flag "bogus"`},
		{"since:1h foo:bar", 9, "foo:bar", `unknown field "foo"; valid fields: since, from, to, actor, key, type, org, ip, id, is, text`},
		{"https://example.com", 0, "https://example.com", "unknown field"},
		{":x", 0, ":x", "missing field name"},
		{"actor:", 0, "actor:", "empty value"},
		{`actor:""`, 0, `actor:""`, "empty value"},
		{`""`, 0, `""`, "empty quoted text"},
		{"key: apikey_01X", 0, "key:", "empty value"},
		{`abc "unterminated`, 4, `"unterminated`, "unterminated quote"},
		{`actor:"a b`, 6, `"a b`, "unterminated quote"},
		{`"a"b`, 3, "b", "closing quote"},
		{`actor:"a"b`, 9, "b", "closing quote"},
		{"xyz -", 4, "-", "must be followed by a term"},
		// Free text is a substring search of three characters or more.
		{`"ab"`, 0, `"ab"`, "too short: search for at least 3 characters"},
		{`since:1h -"é!"`, 9, `-"é!"`, "too short"},
		{"since:1h ok", 9, "ok", "too short"},
		{"- x", 0, "-", "must be followed by a term"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q) error = %v, want *ParseError", tt.in, err)
			continue
		}
		if pe.Pos != tt.pos || pe.Token != tt.token || !strings.Contains(pe.Msg, tt.msgPart) {
			t.Errorf("Parse(%q) = {Pos:%d Token:%q Msg:%q}, want Pos %d Token %q Msg containing %q",
				tt.in, pe.Pos, pe.Token, pe.Msg, tt.pos, tt.token, tt.msgPart)
		}
	}
}

func TestParseErrorString(t *testing.T) {
	_, err := Parse("type:@keys since:banana")
	if err == nil {
		t.Fatal("want error")
	}
	got := err.Error()
	if !strings.HasPrefix(got, "since:banana — not a duration or time") || !strings.HasSuffix(got, "at column 12") {
		t.Errorf("Error() = %q", got)
	}
	e := &ParseError{Pos: 3, Msg: "boom"}
	if e.Error() != "boom at column 4" {
		t.Errorf("Error() without token = %q", e.Error())
	}
}

func TestStringCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"since:60m", "since:1h"},
		{"since:1440m", "since:24h"},
		{"since:1d", "since:24h"},
		{"since:48h", "since:2d"},
		{"since:2w", "since:14d"},
		{"since:90s", "since:90s"},
		{"since:120s", "since:2m"},
		{"since:2026-09-01T02:00+02:00", "from:2026-09-01T00:00:00Z"},
		{"to:2026-09-01T00:00:00.120Z from:2026-08-01", "from:2026-08-01T00:00:00Z to:2026-09-01T00:00:00.12Z"},
		{`word -"b c" type:b type:a is:self key:k actor:"x y" 10.0.0.1 org:org_1 id:i`,
			`actor:"x y" key:k type:a type:b org:org_1 ip:10.0.0.1 id:i is:self "word" -"b c"`},
		{`actor:a\b`, `actor:"a\\b"`},
	}
	for _, tt := range tests {
		q := mustParse(t, tt.in)
		if got := q.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestIsZeroAndHasTimeTerm(t *testing.T) {
	if !(Query{}).IsZero() || (Query{}).HasTimeTerm() {
		t.Error("zero query")
	}
	for _, s := range []string{"since:1h", "to:2026-01-01", "is:self", `"xyz"`, "-type:a_b"} {
		q := mustParse(t, s)
		if q.IsZero() {
			t.Errorf("%q IsZero", s)
		}
		if got, want := q.HasTimeTerm(), strings.Contains(s, ":") && (strings.HasPrefix(s, "since") || strings.HasPrefix(s, "to")); got != want {
			t.Errorf("%q HasTimeTerm = %v", s, got)
		}
	}
}

func TestBounds(t *testing.T) {
	now := mustTime(t, "2026-09-15T12:00:00Z")
	day := 24 * time.Hour
	tests := []struct {
		q        string
		def      time.Duration
		from, to time.Time
	}{
		{"since:1h", 30 * day, now.Add(-time.Hour), now},
		{"", 30 * day, now.Add(-30 * day), now},
		{"type:@keys", 0, time.Time{}, time.Time{}},
		{"from:2026-09-01", 30 * day, mustTime(t, "2026-09-01T00:00:00Z"), time.Time{}},
		{"to:2026-09-02", 30 * day, time.Time{}, mustTime(t, "2026-09-02T00:00:00Z")},
		{"from:2026-09-01 to:2026-09-02", 0, mustTime(t, "2026-09-01T00:00:00Z"), mustTime(t, "2026-09-02T00:00:00Z")},
	}
	for _, tt := range tests {
		from, to := mustParse(t, tt.q).Bounds(now, tt.def)
		if !from.Equal(tt.from) || !to.Equal(tt.to) {
			t.Errorf("%q Bounds(%v) = [%v, %v), want [%v, %v)", tt.q, tt.def, from, to, tt.from, tt.to)
		}
	}
}

func TestServerFilter(t *testing.T) {
	keys, err := Catalogue().Expand("@keys")
	if err != nil {
		t.Fatal(err)
	}
	noise, _ := Catalogue().Expand("@noise")
	keysMinus := slices.DeleteFunc(slices.Clone(keys), func(s string) bool { return s == "api_key_created" })
	tests := []struct {
		q    string
		want url.Values
	}{
		{"", url.Values{}},
		{"since:1h key:apikey_01X ip:10.0.0.1 \"xyz\" is:self", url.Values{}},
		{"type:b_type type:a_type type:a_type", url.Values{ParamActivityTypes: {"a_type", "b_type"}}},
		{"type:@keys type:api_key_created", url.Values{ParamActivityTypes: keys}},
		{"-type:@noise", url.Values{ParamExcludeActivityTypes: noise}},
		{"type:@keys -type:api_key_created", url.Values{ParamActivityTypes: keysMinus}},
		{"type:api_key_created -type:api_key_created", url.Values{ParamActivityTypes: {"api_key_created"}}},
		{"type:*", url.Values{}},
		{"type:* -type:api_key_created", url.Values{ParamExcludeActivityTypes: {"api_key_created"}}},
		{"actor:user_01B actor:user_01A", url.Values{ParamActorIDs: {"user_01A", "user_01B"}}},
		{"actor:user_01A actor:alice@example.com", url.Values{}},
		{"actor:apikey_01A", url.Values{}},
		{"-actor:user_01A", url.Values{}},
		{"org:org_1 org:11111111-2222-4333-8444-000000000001 -org:org_2", url.Values{
			ParamOrganizationIDs: {"11111111-2222-4333-8444-000000000001", "org_1"}}},
	}
	for _, tt := range tests {
		got, err := mustParse(t, tt.q).ServerFilter()
		if err != nil {
			t.Errorf("%q: %v", tt.q, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q ServerFilter = %v, want %v", tt.q, got, tt.want)
		}
		if got.Has(ParamActivityTypes) && got.Has(ParamExcludeActivityTypes) {
			t.Errorf("%q sends both type lists", tt.q)
		}
	}
	// The signature is independent of how the query was written.
	a, _ := mustParse(t, "type:@keys actor:user_2 actor:user_1 org:org_9").ServerFilter()
	b, _ := mustParse(t, "org:org_9 actor:user_1 type:*_key_* type:@keys actor:user_2 type:*api_key*").ServerFilter()
	if a.Encode() != b.Encode() {
		t.Errorf("signatures differ:\n%s\n%s", a.Encode(), b.Encode())
	}
	if !strings.HasPrefix(a.Encode(), "activity_types%5B%5D=") {
		t.Errorf("brackets not encoded: %s", a.Encode()[:40])
	}
	// A hand-made query with an unknown preset is an error, not an empty filter.
	if _, err := (Query{Type: inc("@nope")}).ServerFilter(); err == nil {
		t.Error("unknown preset: want error")
	}
}

// TestServerFilterSize keeps every preset, its exclusion and the broadest
// glob within a URL length that proxies and servers accept.
func TestServerFilterSize(t *testing.T) {
	terms := []string{"type:*", "-type:*", "type:*_*"}
	for _, p := range Catalogue().Presets() {
		terms = append(terms, "type:@"+p.Name, "-type:@"+p.Name)
	}
	for _, term := range terms {
		v, err := mustParse(t, term).ServerFilter()
		if err != nil {
			t.Fatalf("%s: %v", term, err)
		}
		if n := len(v.Encode()); n > 16<<10 {
			t.Errorf("%s: filter is %d bytes", term, n)
		}
	}
}

func TestServerParams(t *testing.T) {
	q := mustParse(t, "type:api_key_created")
	from := time.Date(2026, 9, 1, 4, 0, 0, 500, time.FixedZone("x", 2*3600))
	to := mustTime(t, "2026-09-02T00:00:00Z")
	v, err := q.ServerParams(from, to)
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{
		ParamActivityTypes: {"api_key_created"},
		ParamCreatedAtGTE:  {"2026-09-01T02:00:00.0000005Z"},
		ParamCreatedAtLT:   {"2026-09-02T00:00:00Z"},
	}
	if !reflect.DeepEqual(v, want) {
		t.Errorf("ServerParams = %v, want %v", v, want)
	}
	v, _ = q.ServerParams(time.Time{}, time.Time{})
	if v.Has(ParamCreatedAtGTE) || v.Has(ParamCreatedAtLT) {
		t.Errorf("zero bounds sent: %v", v)
	}
	// ServerParams must not leak into ServerFilter (no shared maps).
	f, _ := q.ServerFilter()
	if f.Has(ParamCreatedAtGTE) {
		t.Error("ServerFilter has a time bound")
	}
}

func TestNeedsLocalFilter(t *testing.T) {
	tests := []struct {
		q    string
		want bool
	}{
		{"", false},
		{"since:1h type:@keys -type:api_key_created actor:user_01A org:org_1", false},
		{"-type:@noise", false},
		{"key:apikey_01X", true},
		{"ip:10.0.0.1", true},
		{`"xyz"`, true},
		{"id:x", true},
		{"is:self", true},
		{"-is:self", true},
		{"actor:alice@example.com", true},
		{"actor:user_01A actor:apikey_01B", true},
		{"-actor:user_01A", true},
		{"-org:org_1", true},
		{"type:api_key_created -type:api_key_created", true},
		{"type:*", true},
		{"type:@admin", false},
		{"-type:*", true},
	}
	for _, tt := range tests {
		if got := mustParse(t, tt.q).NeedsLocalFilter(); got != tt.want {
			t.Errorf("%q NeedsLocalFilter = %v, want %v", tt.q, got, tt.want)
		}
	}
}

func TestWith(t *testing.T) {
	base := mustParse(t, "since:24h actor:bob@example.com -type:claude_chat_viewed")
	baseText := base.String()

	q := base.With("actor", "alice@example.com", false)
	if got, want := q.String(), "since:24h actor:alice@example.com actor:bob@example.com -type:claude_chat_viewed"; got != want {
		t.Errorf("With actor = %q, want %q", got, want)
	}
	if base.String() != baseText {
		t.Errorf("With mutated the receiver: %q", base.String())
	}
	if q2 := q.With("actor", "alice@example.com", false); !reflect.DeepEqual(q2, q) {
		t.Errorf("With is not idempotent: %q", q2.String())
	}
	// excluding an included value moves it, and back again
	q = base.With("actor", "bob@example.com", true)
	if got, want := q.String(), "since:24h -actor:bob@example.com -type:claude_chat_viewed"; got != want {
		t.Errorf("exclude pivot = %q, want %q", got, want)
	}
	q = q.With("actor", "bob@example.com", false)
	if !reflect.DeepEqual(q.Actor, base.Actor) {
		t.Errorf("re-include = %#v", q.Actor)
	}
	// values are normalised like Parse
	q = base.With("ip", "10.1.2.3/8", false).With("TYPE", "@KEYS", false).With("is", "SELF", true)
	if got, want := q.String(), "since:24h actor:bob@example.com type:@keys -type:claude_chat_viewed ip:10.0.0.0/8 -is:self"; got != want {
		t.Errorf("normalised With = %q, want %q", got, want)
	}
	// invalid field or value: unchanged
	for _, c := range [][2]string{{"nope", "x"}, {"ip", "banana"}, {"type", "@nope"}, {"org", "acme"}, {"actor", ""}, {"since", "banana"}, {"is", "x"}} {
		if q := base.With(c[0], c[1], false); !reflect.DeepEqual(q, base) {
			t.Errorf("With(%q, %q) changed the query to %q", c[0], c[1], q.String())
		}
	}
	// window fields replace the window
	q = base.With("since", "1h", false)
	if q.Window != (Window{Since: time.Hour}) {
		t.Errorf("With since = %+v", q.Window)
	}
	q = base.With("from", "2026-09-01", false)
	if want := (Window{From: mustTime(t, "2026-09-01T00:00:00Z")}); q.Window != want {
		t.Errorf("With from over since = %+v", q.Window)
	}
	q = q.With("to", "2026-09-02", false)
	if want := (Window{From: mustTime(t, "2026-09-01T00:00:00Z"), To: mustTime(t, "2026-09-02T00:00:00Z")}); q.Window != want {
		t.Errorf("With to = %+v", q.Window)
	}
	if q2 := q.With("to", "2026-08-01", false); !reflect.DeepEqual(q2, q) {
		t.Errorf("With to before from changed the query: %q", q2.String())
	}
	for _, q := range []Query{q, base.With("key", "a b", false), base.With("text", `x"y`, true)} {
		if again := mustParse(t, q.String()); !reflect.DeepEqual(again, q) {
			t.Errorf("With result does not round-trip: %q", q.String())
		}
	}
}

func TestWithWindow(t *testing.T) {
	base := mustParse(t, "type:@keys since:1h")
	q := base.WithWindow(Window{Since: 1500 * time.Millisecond})
	if q.Window != (Window{Since: time.Second}) || !reflect.DeepEqual(q.Type, base.Type) {
		t.Errorf("WithWindow since = %+v", q)
	}
	if q := base.WithWindow(Window{Since: time.Millisecond}); q.Window.Since != time.Second {
		t.Errorf("sub-second since = %v", q.Window.Since)
	}
	loc := time.FixedZone("x", -3600)
	from := time.Now().In(loc) // has a monotonic reading
	q = base.WithWindow(Window{Since: time.Hour, From: from})
	if q.Window.From != (time.Time{}) {
		t.Error("relative window kept From")
	}
	q = base.WithWindow(Window{From: from})
	if q.Window.From.Location() != time.UTC || !q.Window.From.Equal(from) || q.Window.Since != 0 {
		t.Errorf("absolute window = %+v", q.Window)
	}
	if again := mustParse(t, q.String()); !reflect.DeepEqual(again, q) {
		t.Errorf("WithWindow result does not round-trip: %q\n%#v\n%#v", q.String(), again.Window, q.Window)
	}
	if q := base.WithWindow(Window{}); q.HasTimeTerm() {
		t.Error("zero window kept a time term")
	}
}

func TestQueryFields(t *testing.T) {
	fields := QueryFields()
	var names []string
	for _, f := range fields {
		names = append(names, f.Name)
		if f.Help == "" || f.Example == "" {
			t.Errorf("field %q lacks help or example", f.Name)
		}
		// Every example must be valid query text once the "…" placeholder
		// is filled in.
		ex := strings.ReplaceAll(f.Example, "…", "EXAMPLE0000")
		if _, err := Parse(ex); err != nil {
			t.Errorf("example %q does not parse: %v", ex, err)
		}
	}
	want := []string{"since", "from", "to", "actor", "key", "type", "org", "ip", "id", "is", "text"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("QueryFields names = %v, want %v", names, want)
	}
	fields[0].Name = "mutated"
	if QueryFields()[0].Name != "since" {
		t.Error("QueryFields shares state between calls")
	}
}

func TestLooksLikeID(t *testing.T) {
	yes := []string{"apikey_01EXAMPLE", "user_01ALICE00000000000000001", "org_1", "adminkey_01X", "svac_9",
		"wrkspc_01A", "rbac_role_01X", "req_01X", "claude_chat_01EXAMPLE", "event_01EXAMPLESCIMEVENT000000042",
		"11111111-2222-4333-8444-000000000001"}
	no := []string{"user_agent", "claude_code", "compliance_api_accessed", "organization_identifier", "hello",
		"_01EXAMPLEXXX", "user_", "User_01X", "foo_bar_01ABCDEF", "apikey_01-X", "11111111-2222-4333-8444-00000000000g"}
	for _, s := range yes {
		if !looksLikeID(s) {
			t.Errorf("looksLikeID(%q) = false", s)
		}
	}
	for _, s := range no {
		if looksLikeID(s) {
			t.Errorf("looksLikeID(%q) = true", s)
		}
	}
}

// BenchmarkParse measures parsing a typical query bar input.
func BenchmarkParse(b *testing.B) {
	const s = `since:24h actor:alice@example.com key:apikey_01EXAMPLE type:*api_key* -type:@noise ip:198.51.100.0/24 "free text"`
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if _, err := Parse(s); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "queries/s")
}
