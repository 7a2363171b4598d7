package feed

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The documented error bodies (shared/api/examples), full platform shape.
const (
	example400 = `{
  "type": "error",
  "error": {
    "type": "invalid_request_error",
    "message": "The ` + "`created_at.gte`" + ` parameter contains an invalid timestamp format. Timestamps must be provided in RFC 3339 format e.g., \"2024-03-01T00:00:00Z\". Got \"2026-09-01\"."
  },
  "request_id": "req_01EXAMPLEERROR0000000400"
}`
	example401 = `{
  "type": "error",
  "error": {
    "type": "authentication_error",
    "message": "The API key provided is invalid or has been revoked."
  },
  "request_id": "req_01EXAMPLEERROR0000000401"
}`
	example403 = `{
  "type": "error",
  "error": {
    "type": "permission_error",
    "message": "Missing required scopes. Got: ['read:compliance_user_data'] Needed: ['read:compliance_activities']"
  },
  "request_id": "req_01EXAMPLEERROR0000000403"
}`
	example429 = `{
  "type": "error",
  "error": {
    "type": "rate_limit_error",
    "message": "Compliance API rate limit of 600 requests per minute per parent organization has been exceeded. Retry after the time indicated by the retry-after header. Quote the request-id response header when contacting Anthropic support."
  },
  "request_id": "req_01EXAMPLEERROR0000000429"
}`
)

func httpResp(status int, hdr ...string) *http.Response {
	h := http.Header{}
	for i := 0; i+1 < len(hdr); i += 2 {
		h.Set(hdr[i], hdr[i+1])
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(""))}
}

func TestParseAPIErrorExamples(t *testing.T) {
	now := time.Date(2026, 9, 15, 14, 0, 0, 0, time.UTC)
	f := false
	tests := []struct {
		name   string
		resp   *http.Response
		body   string
		want   APIError
		isAuth bool
		isPerm bool
		isRate bool
		isBad  bool
	}{
		{"400", httpResp(400, "request-id", "req_01EXAMPLEERROR0000000400"), example400, APIError{Status: 400, Type: ErrTypeInvalidRequest,
			Message:   "The `created_at.gte` parameter contains an invalid timestamp format. Timestamps must be provided in RFC 3339 format e.g., \"2024-03-01T00:00:00Z\". Got \"2026-09-01\".",
			RequestID: "req_01EXAMPLEERROR0000000400"}, false, false, false, true},
		{"401 id from body", httpResp(401), example401, APIError{Status: 401, Type: ErrTypeAuthentication,
			Message: "The API key provided is invalid or has been revoked.", RequestID: "req_01EXAMPLEERROR0000000401"}, true, false, false, false},
		{"403 scopes", httpResp(403, "request-id", "req_hdr"), example403, APIError{Status: 403, Type: ErrTypePermission,
			Message:   "Missing required scopes. Got: ['read:compliance_user_data'] Needed: ['read:compliance_activities']",
			RequestID: "req_hdr", GotScopes: []string{"read:compliance_user_data"}, NeededScopes: []string{"read:compliance_activities"}}, false, true, false, false},
		{"429", httpResp(429, "request-id", "req_01EXAMPLEERROR0000000429", "retry-after", "25"), example429, APIError{Status: 429, Type: ErrTypeRateLimit,
			Message:   "Compliance API rate limit of 600 requests per minute per parent organization has been exceeded. Retry after the time indicated by the retry-after header. Quote the request-id response header when contacting Anthropic support.",
			RequestID: "req_01EXAMPLEERROR0000000429", RetryAfter: 25 * time.Second}, false, false, true, false},
		{"guide shape", httpResp(500, "x-should-retry", "false"), `{"error":{"type":"api_error","message":"Internal server error"}}`,
			APIError{Status: 500, Type: ErrTypeAPI, Message: "Internal server error", ShouldRetry: &f}, false, false, false, false},
		{"html from a proxy", httpResp(502, "content-type", "text/html; charset=utf-8"), "<html><body>\x1b[31mBad gateway</body></html>",
			APIError{Status: 502, Message: "Bad Gateway with a non-JSON body (text/html, 42 bytes); probably a proxy or load balancer between claudit and the API"}, false, false, false, false},
		{"empty body", httpResp(503), "", APIError{Status: 503, Message: "Service Unavailable with an empty body; probably a proxy or load balancer between claudit and the API"}, false, false, false, false},
		{"json without error object", httpResp(404), `{"message":"nope"}`, APIError{Status: 404,
			Message: "Not Found with a non-JSON body; probably a proxy or load balancer between claudit and the API"}, false, false, false, false},
		{"403 empty scopes", httpResp(403), `{"error":{"type":"permission_error","message":"Missing required scopes. Got: [] Needed: ['a', \"b\"]"}}`,
			APIError{Status: 403, Type: ErrTypePermission, Message: `Missing required scopes. Got: [] Needed: ['a', "b"]`,
				GotScopes: []string{}, NeededScopes: []string{"a", "b"}}, false, true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseAPIError(tt.resp, []byte(tt.body), now)
			if !reflect.DeepEqual(*got, tt.want) {
				t.Fatalf("got  %#v\nwant %#v", *got, tt.want)
			}
			var err error = fmt.Errorf("wrapped: %w", got)
			_, isRate := IsRateLimit(err)
			if IsAuth(err) != tt.isAuth || IsPermission(err) != tt.isPerm || isRate != tt.isRate || IsInvalidRequest(err) != tt.isBad {
				t.Errorf("helpers: auth %v perm %v rate %v bad %v", IsAuth(err), IsPermission(err), isRate, IsInvalidRequest(err))
			}
			msg := got.Error()
			if strings.ContainsAny(msg, "\x1b\n") || (got.RequestID != "" && !strings.Contains(msg, got.RequestID)) ||
				!strings.Contains(msg, fmt.Sprint(got.Status)) {
				t.Errorf("Error() = %q", msg)
			}
		})
	}
}

func TestIsHelpersOnOtherErrors(t *testing.T) {
	for _, err := range []error{nil, errors.New("x"), ErrUnreachable, &RetryExhaustedError{Attempts: 2, Last: io.EOF}} {
		if _, rl := IsRateLimit(err); IsAuth(err) || IsPermission(err) || rl || IsInvalidRequest(err) {
			t.Errorf("%v classified as an API error", err)
		}
	}
	re := &RetryExhaustedError{Attempts: 8, Last: &APIError{Status: 429, RetryAfter: 3 * time.Second}}
	if d, ok := IsRateLimit(re); !ok || d != 3*time.Second {
		t.Errorf("IsRateLimit through RetryExhaustedError: %v %v", d, ok)
	}
	if !strings.Contains(re.Error(), "8 attempts") || !strings.Contains(re.Error(), "HTTP 429") {
		t.Errorf("RetryExhaustedError.Error() = %q", re.Error())
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 9, 15, 14, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"25", 25 * time.Second, true},
		{" 0 ", 0, true},
		{"1.5", 1500 * time.Millisecond, true},
		{"99999999999999999999", time.Duration(1 << 62 / int64(time.Second) * int64(time.Second)), true},
		{now.Add(42 * time.Second).Format(http.TimeFormat), 42 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"", 0, false},
		{"-3", 0, false},
		{"NaN", 0, false},
		{"soon", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %v %v, want %v %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestEscapeText(t *testing.T) {
	tests := map[string]string{
		"plain text, ünïcode ✓":         "plain text, ünïcode ✓",
		"esc \x1b[2J clear":             `esc \x1b[2J clear`,
		"osc \x1b]52;c;eA==\x07":        `osc \x1b]52;c;eA==\x07`,
		"c1 \u009b31m":                  `c1 \u009b31m`,
		"bidi \u202egnp.exe zw\u200bsp": `bidi \u202egnp.exe zw\u200bsp`,
		"bad \xff utf8":                 `bad \xff utf8`,
		"nl\nand tab\t":                 `nl\x0aand tab\x09`,
	}
	for in, want := range tests {
		if got := escapeText(in, 100); got != want {
			t.Errorf("escapeText(%q) = %q, want %q", in, got, want)
		}
	}
	if got := escapeText(strings.Repeat("a", 500), 10); got != "aaaaaaaaaa…" {
		t.Errorf("cap: %q", got)
	}
}
