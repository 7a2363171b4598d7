package feed

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestSuggestType(t *testing.T) {
	c := Catalogue()
	if got := c.SuggestType("scoped_api_key_updatd"); len(got) == 0 || got[0] != "scoped_api_key_updated" {
		t.Fatalf("SuggestType(scoped_api_key_updatd) = %v, want scoped_api_key_updated first", got)
	}
	if got := c.SuggestType("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"); len(got) != 0 {
		t.Fatalf("nothing is close to zzz…, got %v", got)
	}
	if got := c.SuggestType("api_key_created"); len(got) == 0 || got[0] != "api_key_created" {
		t.Fatalf("a known name is its own nearest: %v", got)
	}
}

func TestUnknownTypeWarning(t *testing.T) {
	for _, s := range []string{"since:1h type:scoped_api_key_updatd", "since:1h -type:scoped_api_key_updatd"} {
		q := mustParse(t, s)
		if got := q.UnknownTypes(); !slices.Equal(got, []string{"scoped_api_key_updatd"}) {
			t.Fatalf("%s: UnknownTypes = %v", s, got)
		}
		ws := Warnings(s)
		if len(ws) != 1 {
			t.Fatalf("%s: warnings %v, want one", s, ws)
		}
		w := ws[0]
		if w.Pos != len("since:1h ") {
			t.Fatalf("%s: warning at %d", s, w.Pos)
		}
		if !strings.HasPrefix(s[w.Pos:], w.Token) || !strings.Contains(w.Msg, "did you mean scoped_api_key_updated?") {
			t.Fatalf("%s: warning %+v", s, w)
		}
	}
	for _, s := range []string{"type:scoped_api_key_updated", "type:*api_key*", "type:@keys", ""} {
		if ws := Warnings(s); len(ws) != 0 {
			t.Fatalf("%q: unexpected warnings %v", s, ws)
		}
		if got := mustParse(t, s).UnknownTypes(); len(got) != 0 {
			t.Fatalf("%q: UnknownTypes = %v", s, got)
		}
	}
}

func TestImplausibleTypeIsAnError(t *testing.T) {
	for _, s := range []string{"type:scoped-api-key-updated", "-type:api.key.created", "type:\"api key\""} {
		_, err := Parse(s)
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("%s: want a ParseError, got %v", s, err)
		}
		if !strings.Contains(pe.Msg, "not in the built-in catalogue") {
			t.Fatalf("%s: message %q", s, pe.Msg)
		}
	}
	_, err := Parse("type:scoped-api-key-updated")
	if !strings.Contains(err.Error(), "did you mean scoped_api_key_updated?") {
		t.Fatalf("no suggestion: %v", err)
	}
}
