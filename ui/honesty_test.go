package ui

import (
	"strings"
	"testing"
)

// caretColumn is the column of the first "^" on screen and of the first
// occurrence of token above it.
func caretColumn(t *testing.T, screen, token string) (caret, tok int) {
	t.Helper()
	caret, tok = -1, -1
	for _, l := range strings.Split(screen, "\n") {
		if i := strings.Index(l, token); i >= 0 && tok < 0 {
			tok = len([]rune(l[:i]))
		}
		if i := strings.Index(l, "^"); i >= 0 && caret < 0 {
			caret = len([]rune(l[:i]))
		}
	}
	return caret, tok
}

func TestQueryBarWarnsAboutUnknownType(t *testing.T) {
	h := newHarness(t, newFakeRows(exampleRows(t)), 240, 30)
	h.key("/", "ctrl+u")
	h.typeText("since:24h type:scoped_api_key_updatd")
	h.mustContain("^ type:scoped_api_key_updatd: activity type \"scoped_api_key_updatd\" is not in the built-in catalogue; did you mean scoped_api_key_updated?")
	if c, tok := caretColumn(t, h.screen(), "type:scoped_api_key_updatd"); c != tok || c <= 0 {
		t.Fatalf("caret at column %d, token at %d:\n%s", c, tok, h.screen())
	}
	// A warning does not block the query: enter applies it, and the bar
	// keeps saying so under the applied query.
	h.key("enter")
	if h.overlayName() != "none" || h.m.query.String() != "since:24h type:scoped_api_key_updatd" {
		t.Fatalf("enter with a warning: overlay %v, query %q", h.overlayName(), h.m.query.String())
	}
	h.mustContain("did you mean scoped_api_key_updated?")
	if c, tok := caretColumn(t, h.screen(), "type:scoped_api_key_updatd"); c != tok || c <= 0 {
		t.Fatalf("applied: caret at column %d, token at %d:\n%s", c, tok, h.screen())
	}
	// A catalogued type has no warning.
	h.key("/", "ctrl+u")
	h.typeText("since:24h type:scoped_api_key_updated")
	h.key("enter")
	if strings.Contains(h.screen(), "did you mean") {
		t.Fatalf("warning for a catalogued type:\n%s", h.screen())
	}
}
