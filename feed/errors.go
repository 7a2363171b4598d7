package feed

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Error types the platform sends in error.type (ACTIVITY_FEED.md §11).
const (
	// ErrTypeInvalidRequest is a 400: bad parameter, timestamp or cursor.
	ErrTypeInvalidRequest = "invalid_request_error"
	// ErrTypeAuthentication is a 401: missing, wrong or revoked key.
	ErrTypeAuthentication = "authentication_error"
	// ErrTypePermission is a 403: the key lacks the scope.
	ErrTypePermission = "permission_error"
	// ErrTypeNotFound is a 404.
	ErrTypeNotFound = "not_found_error"
	// ErrTypeRateLimit is a 429: the organisation's budget is spent.
	ErrTypeRateLimit = "rate_limit_error"
	// ErrTypeAPI is a 500: an internal error.
	ErrTypeAPI = "api_error"
	// ErrTypeOverloaded is a 529 (or 503): the platform is overloaded.
	ErrTypeOverloaded = "overloaded_error"
)

// ErrUnreachable is wrapped by the error returned when the server cannot be
// reached at all (connection refused, DNS failure, no route) for longer than
// RetryPolicy.UnreachableAfter.
var ErrUnreachable = errors.New("server unreachable")

// ErrStalled is wrapped by the error of an attempt during which the server
// sent nothing for RetryPolicy.IdleTimeout: no response headers, or a body
// that stopped flowing.
var ErrStalled = errors.New("the server stopped sending")

// ErrNoProgress is wrapped by the error an iterator stops with when the
// server keeps answering has_more:true without a cursor that moves.
var ErrNoProgress = errors.New("server reports more results but the cursor does not advance")

// CursorCycleError is returned when a walk is handed a cursor it has
// already sent: the server's cursors go round in a circle (A → B → A) while
// it keeps saying has_more:true. Positions only ever move one way, so
// following the cycle would repeat the same pages for ever and spend the
// organisation's shared rate budget; the walk stops at the first repeat.
type CursorCycleError struct {
	Cursor    string // the cursor that came back (untrusted: escaped by Error)
	Pages     int    // pages fetched in the walk, the repeating one included
	Distance  int    // pages between the cursor's first and second appearance
	RequestID string // request-id of the response that repeated it
}

// Error names the repeated cursor, the length of the cycle and the request.
func (e *CursorCycleError) Error() string {
	msg := fmt.Sprintf("the server's cursors go in a circle: %s came back after %d pages while has_more stayed true (stopped after %d requests",
		escapeText(e.Cursor, 64), e.Distance, e.Pages)
	if e.RequestID != "" {
		msg += ", request-id " + escapeText(e.RequestID, 64)
	}
	return msg + ")"
}

// cursorLog remembers, for one walk, which page first handed out each
// cursor, so a cursor that comes back is caught on its first repeat.
type cursorLog struct {
	seen  map[string]int // cursor → the page (1-based) that first returned it
	pages int
}

// check records the cursor a page returned and reports a *CursorCycleError
// when it is one an earlier page already returned, or the cursor the walk
// started from. An empty cursor is not a position and never cycles; the
// cursor the page was requested with (no move at all) is the caller's
// "stuck" case, not a cycle.
func (l *cursorLog) check(sent, got, requestID string) error {
	if l.seen == nil {
		l.seen = map[string]int{}
	}
	l.pages++
	if got == "" || got == sent {
		return nil
	}
	if first, ok := l.seen[got]; ok {
		return &CursorCycleError{Cursor: got, Pages: l.pages, Distance: l.pages - first, RequestID: requestID}
	}
	l.seen[got] = l.pages
	return nil
}

// start records the cursor a walk starts from (page 0), so a server that
// leads back to it is caught too.
func (l *cursorLog) start(cursor string) {
	if cursor == "" {
		return
	}
	if l.seen == nil {
		l.seen = map[string]int{}
	}
	l.seen[cursor] = 0
}

// APIError is an error response from the API. Branch on Status and Type
// (the helpers IsAuth, IsPermission, IsRateLimit and IsInvalidRequest do):
// the platform may reword Message at any time.
type APIError struct {
	Status    int    // HTTP status code
	Type      string // error.type, "" when the body was not the platform's JSON shape
	Message   string // error.message as sent (untrusted text: sanitise before display)
	RequestID string // request-id header, or request_id from the body
	// RetryAfter is the wait the server asked for in retry-after (0 if none).
	RetryAfter time.Duration
	// ShouldRetry is the x-should-retry header; nil when absent.
	ShouldRetry *bool
	// GotScopes and NeededScopes are parsed from a 403 "Missing required
	// scopes. Got: [...] Needed: [...]" message; nil when not reported.
	GotScopes, NeededScopes []string
}

// maxMessageRunes bounds the message quoted in Error: a hostile or broken
// server must not flood a terminal through an error line.
const maxMessageRunes = 300

// Error returns one sentence with the status, the error type, the message
// (control and formatting characters escaped, length capped) and the
// request id.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("compliance API error: HTTP ")
	b.WriteString(strconv.Itoa(e.Status))
	if t := e.Type; t != "" {
		b.WriteByte(' ')
		b.WriteString(escapeText(t, 64))
	}
	if m := e.Message; m != "" {
		b.WriteString(": ")
		b.WriteString(escapeText(m, maxMessageRunes))
	}
	if e.RequestID != "" {
		b.WriteString(" (request-id ")
		b.WriteString(escapeText(e.RequestID, 64))
		b.WriteByte(')')
	}
	return b.String()
}

// RetryExhaustedError is returned when a request kept failing with
// retryable errors until RetryPolicy's attempt or time budget ran out.
type RetryExhaustedError struct {
	Attempts int
	Last     error
}

// Error says how many attempts were made and what the last one returned.
func (e *RetryExhaustedError) Error() string {
	return fmt.Sprintf("gave up after %d attempts: %v", e.Attempts, e.Last)
}

// Unwrap returns the last attempt's error, so errors.As finds its *APIError.
func (e *RetryExhaustedError) Unwrap() error { return e.Last }

func asAPIError(err error) (*APIError, bool) {
	var ae *APIError
	ok := errors.As(err, &ae)
	return ae, ok
}

// IsAuth reports whether err is (or wraps) a 401 authentication_error: the
// key is missing, wrong, revoked or disabled.
func IsAuth(err error) bool {
	ae, ok := asAPIError(err)
	return ok && (ae.Status == http.StatusUnauthorized || ae.Type == ErrTypeAuthentication)
}

// IsPermission reports whether err is (or wraps) a 403 permission_error:
// the key is valid but lacks the scope (see APIError.GotScopes).
func IsPermission(err error) bool {
	ae, ok := asAPIError(err)
	return ok && (ae.Status == http.StatusForbidden || ae.Type == ErrTypePermission)
}

// IsRateLimit reports whether err is (or wraps) a 429 rate_limit_error and
// returns the retry-after the server asked for (0 if it sent none).
func IsRateLimit(err error) (time.Duration, bool) {
	ae, ok := asAPIError(err)
	if !ok || (ae.Status != http.StatusTooManyRequests && ae.Type != ErrTypeRateLimit) {
		return 0, false
	}
	return ae.RetryAfter, true
}

// IsInvalidRequest reports whether err is (or wraps) a 400
// invalid_request_error: a bad parameter, timestamp or cursor.
func IsInvalidRequest(err error) bool {
	ae, ok := asAPIError(err)
	return ok && (ae.Status == http.StatusBadRequest || ae.Type == ErrTypeInvalidRequest)
}

// parseAPIError builds the APIError for a non-2xx response from its headers
// and body. It accepts both documented body shapes,
// {"error":{type,message}} and the full platform shape with top-level
// "type":"error" and "request_id"; anything else (a proxy's HTML page) gives
// an APIError with an empty Type and a short message that quotes nothing
// from the body.
func parseAPIError(resp *http.Response, body []byte, now time.Time) *APIError {
	e := &APIError{Status: resp.StatusCode, RequestID: resp.Header.Get("request-id")}
	var env struct {
		Error *struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
		RequestID string `json:"request_id"`
	}
	if err := json.Unmarshal(body, &env); err == nil && env.Error != nil {
		e.Type = env.Error.Type
		e.Message = env.Error.Message
		if e.RequestID == "" {
			e.RequestID = env.RequestID
		}
	} else {
		e.Message = opaqueBodyMessage(resp, len(body))
	}
	if ra, ok := parseRetryAfter(resp.Header.Get("retry-after"), now); ok {
		e.RetryAfter = ra
	}
	switch strings.ToLower(strings.TrimSpace(resp.Header.Get("x-should-retry"))) {
	case "true":
		t := true
		e.ShouldRetry = &t
	case "false":
		f := false
		e.ShouldRetry = &f
	}
	if e.Status == http.StatusForbidden || e.Type == ErrTypePermission {
		e.GotScopes, e.NeededScopes = parseScopes(e.Message)
	}
	return e
}

// opaqueBodyMessage describes a body that is not the platform's error JSON
// without quoting it: such bodies come from proxies and load balancers and
// may hold anything.
func opaqueBodyMessage(resp *http.Response, n int) string {
	what := "an empty body"
	if n > 0 {
		what = "a non-JSON body"
		if mt, _, err := mime.ParseMediaType(resp.Header.Get("content-type")); err == nil && mt != "" && len(mt) <= 64 {
			what = fmt.Sprintf("a non-JSON body (%s, %d bytes)", mt, n)
		}
	}
	msg := http.StatusText(resp.StatusCode)
	if msg == "" {
		msg = "unexpected status"
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return msg + ": the server answered with a redirect, which claudit never follows so the key is sent to the configured host only"
	}
	return msg + " with " + what + "; probably a proxy or load balancer between claudit and the API"
}

// parseScopes extracts the two lists from the documented 403 message
// "Missing required scopes. Got: ['a', 'b'] Needed: ['c']". A list that is
// not present stays nil; an empty list is a non-nil empty slice.
func parseScopes(msg string) (got, needed []string) {
	return scopeList(msg, "Got:"), scopeList(msg, "Needed:")
}

func scopeList(msg, label string) []string {
	i := strings.Index(msg, label)
	if i < 0 {
		return nil
	}
	rest := strings.TrimSpace(msg[i+len(label):])
	if !strings.HasPrefix(rest, "[") {
		return nil
	}
	end := strings.IndexByte(rest, ']')
	if end < 0 {
		return nil
	}
	out := []string{}
	for item := range strings.SplitSeq(rest[1:end], ",") {
		item = strings.Trim(strings.TrimSpace(item), `'"`)
		if item != "" {
			out = append(out, item)
		}
	}
	return out
}

// escapeText makes untrusted text safe for an error line: control, format
// (bidi overrides, zero-width) and other non-graphic runes and invalid UTF-8
// become Go escapes, and the text is cut to limit runes.
func escapeText(s string, limit int) string {
	var b strings.Builder
	for i, n := 0, 0; i < len(s); n++ {
		if n == limit {
			b.WriteString("…")
			break
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && w == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == ' ' || (unicode.IsGraphic(r) && !unicode.Is(unicode.Cf, r)):
			b.WriteRune(r)
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r <= 0xFFFF:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
		i += w
	}
	return b.String()
}
