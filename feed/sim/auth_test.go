package sim

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func remaining(t *testing.T, w *httptest.ResponseRecorder) int {
	t.Helper()
	n, err := strconv.Atoi(w.Header().Get("anthropic-ratelimit-requests-remaining"))
	if err != nil {
		t.Fatalf("remaining header %q: %v", w.Header().Get("anthropic-ratelimit-requests-remaining"), err)
	}
	return n
}

func TestAuthentication(t *testing.T) {
	s, _ := newTestServer(t, func(c *Config) { c.Events = 20; c.RateLimit = 0 })
	s.Revoke(UserDataOnlyKey)
	for name, key := range map[string]string{
		"missing": "", "unknown": "sk-ant-api01-nope", "claude api key": "sk-ant-api03-sim-whatever",
		"revoked": UserDataOnlyKey, "bearer only": "",
	} {
		r := httptest.NewRequest(http.MethodGet, ActivitiesPath, nil)
		if key != "" {
			r.Header.Set("x-api-key", key)
		}
		if name == "bearer only" {
			r.Header.Set("Authorization", "Bearer "+ComplianceKey)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusUnauthorized {
			t.Errorf("%s: status %d", name, w.Code)
			continue
		}
		if w.Header().Get("anthropic-ratelimit-requests-limit") != "" {
			t.Errorf("%s: rate-limit headers on a 401", name)
		}
		if strings.Contains(w.Body.String(), "sk-ant") {
			t.Errorf("%s: the body echoes a key: %s", name, w.Body.String())
		}
	}
	// An empty header is the same as none.
	r := httptest.NewRequest(http.MethodGet, ActivitiesPath, nil)
	r.Header.Set("x-api-key", "")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized {
		t.Errorf("empty key: %d", w.Code)
	}
	// None of those used quota.
	if w := get(t, s, ComplianceKey, ""); w.Code != 200 || remaining(t, w) != 599 {
		t.Errorf("first authenticated request: status %d remaining %s", w.Code, w.Header().Get("anthropic-ratelimit-requests-remaining"))
	}
	if got := s.Requests(); got != 7 {
		t.Errorf("Requests() = %d, want 7", got)
	}
}

func TestScopes(t *testing.T) {
	s, _ := newTestServer(t, func(c *Config) { c.Events = 20; c.RateLimit = 0 })
	e := mustError(t, s, UserDataOnlyKey, "", http.StatusForbidden)
	if e.Error.Type != "permission_error" ||
		e.Error.Message != "Missing required scopes. Got: ['read:compliance_user_data'] Needed: ['read:compliance_activities']" {
		t.Errorf("403 body %+v", e.Error)
	}
	// The 403 spent one unit of quota.
	w := get(t, s, UserDataOnlyKey, "")
	if remaining(t, w) != 598 {
		t.Errorf("after two 403s remaining = %d, want 598", remaining(t, w))
	}
	s.SetScopes(UserDataOnlyKey, []string{ScopeUserData, ScopeOrgData})
	e = mustError(t, s, UserDataOnlyKey, "", http.StatusForbidden)
	if want := "Missing required scopes. Got: ['read:compliance_user_data', 'read:compliance_org_data'] Needed: ['read:compliance_activities']"; e.Error.Message != want {
		t.Errorf("message %q", e.Error.Message)
	}
	s.SetScopes(UserDataOnlyKey, nil)
	if e = mustError(t, s, UserDataOnlyKey, "", http.StatusForbidden); !strings.Contains(e.Error.Message, "Got: []") {
		t.Errorf("message %q", e.Error.Message)
	}
	s.SetScopes(UserDataOnlyKey, []string{ScopeActivities})
	if w := get(t, s, UserDataOnlyKey, ""); w.Code != http.StatusOK {
		t.Errorf("after granting the scope: %d", w.Code)
	}
	// read:org_audit reaches the feed too (§17.2).
	s.SetScopes(UserDataOnlyKey, []string{ScopeOrgAudit})
	if w := get(t, s, UserDataOnlyKey, ""); w.Code != http.StatusOK {
		t.Errorf("read:org_audit alone: %d, want 200", w.Code)
	}
	if w := get(t, s, AdminKey, ""); w.Code != http.StatusOK {
		t.Errorf("admin key: %d", w.Code)
	}
	s.Revoke(AdminKey)
	mustError(t, s, AdminKey, "", http.StatusUnauthorized)
}

func TestRateLimit(t *testing.T) {
	s, clk := newTestServer(t, func(c *Config) { c.Events = 20; c.RateLimit = 3 })
	start := clk.Now()
	for i := range 3 {
		w := get(t, s, ComplianceKey, "")
		if w.Code != 200 || remaining(t, w) != 2-i {
			t.Fatalf("request %d: status %d remaining %d", i, w.Code, remaining(t, w))
		}
		if got := w.Header().Get("anthropic-ratelimit-requests-limit"); got != "3" {
			t.Errorf("limit header %q", got)
		}
		if got := w.Header().Get("anthropic-ratelimit-requests-reset"); got != start.Add(time.Minute).Format(time.RFC3339) {
			t.Errorf("reset header %q, want %s", got, start.Add(time.Minute).Format(time.RFC3339))
		}
		clk.Advance(time.Second)
	}
	e := mustError(t, s, ComplianceKey, "", http.StatusTooManyRequests)
	if e.Error.Type != "rate_limit_error" || e.Error.Message != fmt.Sprintf(msgRateLimited, 3) {
		t.Errorf("429 body %+v", e.Error)
	}
	w := get(t, s, ComplianceKey, "")
	if w.Code != 429 || w.Header().Get("retry-after") != "57" || remaining(t, w) != 0 {
		t.Errorf("429: retry-after %q remaining %d", w.Header().Get("retry-after"), remaining(t, w))
	}
	// A 401 is rejected before the rate limit (no 429 for a wrong key).
	mustError(t, s, "sk-ant-api01-nope", "", http.StatusUnauthorized)
	clk.Advance(56*time.Second + 500*time.Millisecond)
	if w := get(t, s, ComplianceKey, ""); w.Code != 429 || w.Header().Get("retry-after") != "1" {
		t.Errorf("half a second before reset: %d retry-after %q", w.Code, w.Header().Get("retry-after"))
	}
	clk.Advance(time.Second)
	if w := get(t, s, ComplianceKey, ""); w.Code != 200 || remaining(t, w) != 2 {
		t.Errorf("after the window: status %d remaining %d", w.Code, remaining(t, w))
	}
}

func TestHeadersAndRoutes(t *testing.T) {
	s, clk := newTestServer(t, func(c *Config) { c.Events = 20 })
	seen := map[string]bool{}
	for range 20 {
		w := get(t, s, ComplianceKey, "")
		id := w.Header().Get("request-id")
		if !strings.HasPrefix(id, "req_01") || len(id) != len("req_01")+22 || seen[id] {
			t.Fatalf("request-id %q (seen before: %v)", id, seen[id])
		}
		seen[id] = true
		if got, want := w.Header().Get("Date"), clk.Now().UTC().Format(http.TimeFormat); got != want {
			t.Errorf("Date %q, want %q (the sim clock)", got, want)
		}
		clk.Advance(1500 * time.Millisecond)
	}
	for _, path := range []string{"/v1/compliance/apps/chats", "/", "/v1/compliance/activities/x"} {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.Header.Set("x-api-key", ComplianceKey)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != 404 || !strings.Contains(w.Body.String(), `"type":"not_found_error"`) || w.Header().Get("request-id") == "" {
			t.Errorf("%s: %d %s", path, w.Code, w.Body.String())
		}
	}
	for _, m := range []string{http.MethodPost, http.MethodDelete, http.MethodPut, http.MethodHead} {
		r := httptest.NewRequest(m, ActivitiesPath, nil)
		r.Header.Set("x-api-key", ComplianceKey)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != 405 || w.Header().Get("Allow") != "GET" {
			t.Errorf("%s: %d allow %q", m, w.Code, w.Header().Get("Allow"))
		}
		if m != http.MethodHead && !strings.Contains(w.Body.String(), `"type":"error"`) {
			t.Errorf("%s: body %s", m, w.Body.String())
		}
	}
}
