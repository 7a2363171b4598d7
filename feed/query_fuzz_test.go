package feed

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// parseSeeds cover every field, every bare-word classification and every
// error path of Parse; they run as ordinary tests in `go test`.
var parseSeeds = []string{
	"",
	"since:15m", "since:1h", "since:24h", "since:7d", "since:30d", "since:90s", "since:2w", "since:1h30m",
	"since:2026-09-01", "since:banana", "since:0s", "since:99999d", "since:1h since:2h", "-since:1h",
	"from:2026-11-25T02:00Z to:2026-11-26", "from:2026-09-01T02:00:00.123456789+05:45",
	"from:2026-09-01T02:00", "to:2026-09-01T02:00:00", "from:2026-09-02 to:2026-09-01",
	"from:1969-12-31", "from:9999-12-31T23:59-01:00", "since:1h to:2026-09-01", "from:x",
	"actor:alice@example.com", "actor:user_01ALICE", `actor:"a b"`, "-actor:bob@example.com", "actor:",
	"key:apikey_01EXAMPLE", "-key:apikey_01X", `key:"k\"q"`,
	"type:scoped_api_key_updated", "type:*api_key*", "type:@keys", "-type:claude_chat_viewed",
	"type:@nope", "type:*zzz*", "type:[", "type:unknown_new_type",
	"org:org_01EXAMPLE", "org:11111111-2222-4333-8444-000000000001", "org:acme",
	"ip:198.51.100.7", "ip:2001:db8::1", "ip:10.0.0.0/8", "ip:banana", "ip:fe80::1%eth0",
	"id:claude_chat_01X", "is:self", "-is:self", "is:late is:marked is:tripwire", "is:nope",
	"text:hello", `"free text"`, `-"free text"`, `"a \"quoted\" \\ word"`, `"unterminated`,
	`"a"b`, `actor:"a"b`, "foo:bar", ":x", "https://example.com", "- x", "x -", "--x",
	"apikey_01EXAMPLE", "user_agent", "11111111-2222-4333-8444-000000000001", "198.51.100.7",
	"::1", "alice@example.com", "-alice@example.com", "word \u00a0 other\u2028third", "\xff\xfe",
	"since:24h actor:alice@example.com key:apikey_01 type:*api_key* -type:@noise org:org_1 ip:192.0.2.0/24 is:self \"x y\" z",
}

func FuzzParse(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Parse(s)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error %v is not a *ParseError", s, err)
			}
			if pe.Pos < 0 || pe.Pos > len(s) || !strings.HasPrefix(s[pe.Pos:], pe.Token) || pe.Msg == "" {
				t.Fatalf("Parse(%q) error %+v does not point at its token", s, pe)
			}
			return
		}
		text := q.String()
		again, err := Parse(text)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but its String %q fails: %v", s, text, err)
		}
		if !reflect.DeepEqual(again, q) {
			t.Fatalf("round trip of %q via %q:\n got %#v\nwant %#v", s, text, again, q)
		}
		if again.String() != text {
			t.Fatalf("String not stable: %q then %q", text, again.String())
		}
		if _, err := q.ServerFilter(); err != nil {
			t.Fatalf("ServerFilter of parsed %q: %v", s, err)
		}
	})
}

// FuzzWith checks that pivots keep a query Parse-able and round-trippable
// and never touch the receiver.
func FuzzWith(f *testing.F) {
	for i, fld := range QueryFields() {
		f.Add("since:24h actor:bob@example.com", fld.Name, strings.TrimPrefix(fld.Example, fld.Name+":"), i%2 == 0)
	}
	f.Add("actor:a@b.c", "actor", "a@b.c", true)
	f.Add("", "ip", "10.1.2.3/8", false)
	f.Add("", "text", `a "b" \`, true)
	f.Add("", "bogus", "x", false)
	f.Fuzz(func(t *testing.T, base, field, value string, exclude bool) {
		q, err := Parse(base)
		if err != nil {
			return
		}
		before := q.String()
		r := q.With(field, value, exclude)
		if q.String() != before {
			t.Fatalf("With mutated the receiver: %q → %q", before, q.String())
		}
		again, err := Parse(r.String())
		if err != nil {
			t.Fatalf("With(%q, %q, %v) on %q gave %q, which fails: %v", field, value, exclude, base, r.String(), err)
		}
		if !reflect.DeepEqual(again, r) {
			t.Fatalf("With result %q does not round-trip", r.String())
		}
	})
}
