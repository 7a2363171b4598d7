package feed

import (
	"errors"
	"fmt"
	"net/url"
	"testing"
)

// testResolver knows two users called Bob Stone, one key and two orgs
// whose names start with Research.
func testResolver(calls *[]string) NameResolver {
	return func(field, value string) ([]string, error) {
		*calls = append(*calls, field+":"+value)
		switch field + ":" + value {
		case "actor:Alice Chen":
			return []string{"user_01ALICE"}, nil
		case "actor:Bob Stone":
			return []string{"user_01BOBBY", "user_01BOB"}, nil
		case "key:Nightly SIEM pull":
			return []string{"apikey_01SIEM"}, nil
		case "org:Research*":
			return []string{"0b2c0000-0000-4000-8000-00000000000a", "1C3D0000-0000-4000-8000-00000000000B"}, nil
		case "actor:keep":
			return nil, nil
		}
		return nil, fmt.Errorf("no %s named %q in the directory", field, value)
	}
}

func TestParseWithResolvesNames(t *testing.T) {
	cases := []struct {
		in, want string
		server   url.Values
	}{
		{`actor:"Alice Chen" since:1h`, `since:1h actor:user_01ALICE`, url.Values{ParamActorIDs: {"user_01ALICE"}}},
		{`actor:"Bob Stone"`, `actor:user_01BOB actor:user_01BOBBY`, url.Values{ParamActorIDs: {"user_01BOB", "user_01BOBBY"}}},
		{`-actor:"Bob Stone"`, `-actor:user_01BOB -actor:user_01BOBBY`, url.Values{}},
		{`key:"Nightly SIEM pull"`, `key:apikey_01SIEM`, url.Values{}},
		{`org:"Research*"`, `org:0b2c0000-0000-4000-8000-00000000000a org:1c3d0000-0000-4000-8000-00000000000b`,
			url.Values{ParamOrganizationIDs: {"0b2c0000-0000-4000-8000-00000000000a", "1c3d0000-0000-4000-8000-00000000000b"}}},
		// Ids and e-mails are not names: they are never looked up.
		{`actor:alice@example.com actor:user_01X key:apikey_01Y org:org_01Z`, `actor:alice@example.com actor:user_01X key:apikey_01Y org:org_01Z`, nil},
		{`actor:keep`, `actor:keep`, nil},
	}
	for _, c := range cases {
		var calls []string
		q, _, err := ParseWith(c.in, testResolver(&calls))
		if err != nil {
			t.Errorf("ParseWith(%s): %v", c.in, err)
			continue
		}
		if got := q.String(); got != c.want {
			t.Errorf("ParseWith(%s) = %s, want %s", c.in, got, c.want)
		}
		if c.server != nil {
			f, err := q.ServerFilter()
			if err != nil || f.Encode() != c.server.Encode() {
				t.Errorf("%s: server filter %v %v, want %v", c.in, f, err, c.server)
			}
		}
		if c.in == cases[5].in && len(calls) != 0 {
			t.Errorf("ids were looked up: %v", calls)
		}
		// The resolved query parses to itself without a resolver.
		if again, err := Parse(q.String()); err != nil || again.String() != q.String() {
			t.Errorf("%s: re-parse %v %v", c.in, again, err)
		}
	}
}

func TestParseWithUnknownName(t *testing.T) {
	var calls []string
	_, _, err := ParseWith(`since:1h actor:"Carol Ng"`, testResolver(&calls))
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Pos != 9 || pe.Msg != `no actor named "Carol Ng" in the directory` {
		t.Fatalf("err = %#v", err)
	}
	// Without a resolver, Parse is unchanged: an org name is not an id.
	if _, err := Parse(`org:Research`); err == nil {
		t.Error("Parse accepted an org name without a resolver")
	}
	if _, w, err := ParseWith(`type:api_key_creatd org:"Research*"`, testResolver(&calls)); err != nil || len(w) != 1 {
		t.Errorf("warnings %v %v", w, err)
	}
}

func TestIsName(t *testing.T) {
	for _, c := range []struct {
		field, v string
		want     bool
	}{
		{"actor", "Alice Chen", true}, {"actor", "alice@example.com", false}, {"actor", "user_01ABC", false},
		{"actor", "adminkey_01X", false}, {"key", "Nightly SIEM pull", true}, {"key", "apikey_01X", false},
		{"org", "Research", true}, {"org", "org_01X", false}, {"org", "11111111-2222-4333-8444-000000000001", false},
		{"type", "x", false}, {"actor", "", false},
	} {
		if got := IsName(c.field, c.v); got != c.want {
			t.Errorf("IsName(%s, %q) = %t", c.field, c.v, got)
		}
	}
	if !IsName("ORG", "x") {
		t.Error("field names are case-insensitive")
	}
}
