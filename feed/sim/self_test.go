package sim

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"claudit/feed"
)

// selfEvents returns the compliance_api_accessed events of a key id, by
// request_id, from every event that exists (indexed or not).
func selfEvents(t *testing.T, s *Server, keyID string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, a := range s.Activities() {
		if a.Type != "compliance_api_accessed" || a.Actor.APIKeyID != keyID {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(a.Raw, &m); err != nil {
			t.Fatal(err)
		}
		out[m["request_id"].(string)] = m
	}
	return out
}

func TestSelfEvents(t *testing.T) {
	s, clk := newTestServer(t, func(c *Config) { c.Events = 20; c.RateLimit = 2 })
	keyID := DefaultKeys()[ComplianceKey].KeyID
	reqAt := clk.Now()
	w := get(t, s, ComplianceKey, "limit=5&order=asc")
	rid := w.Header().Get("request-id")
	ev := selfEvents(t, s, keyID)[rid]
	if ev == nil {
		t.Fatalf("no compliance_api_accessed with request_id %s", rid)
	}
	actor := ev["actor"].(map[string]any)
	checks := map[string]any{
		"organization_id": nil, "organization_uuid": nil, "request_method": "GET", "status_code": float64(200),
		"url": ActivitiesPath + "?limit=5&order=asc", "request_body": nil, "created_at": reqAt.UTC().Format("2006-01-02T15:04:05Z"),
	}
	for k, want := range checks {
		if ev[k] != want {
			t.Errorf("%s = %v, want %v", k, ev[k], want)
		}
	}
	if actor["type"] != "api_actor" || actor["api_key_id"] != keyID || actor["ip_address"] != "192.0.2.1" || actor["user_agent"] != "sim-test/1.0" {
		t.Errorf("actor %v", actor)
	}

	// Not queryable until SelfEventDelay (default 3 s) has passed.
	clk.Advance(time.Minute) // a fresh rate-limit budget
	only := q("activity_types[]", "compliance_api_accessed", "created_at.gte", reqAt.Format(time.RFC3339))
	p := mustPage(t, s, only)
	found := false
	for _, a := range decodeAll(t, p) {
		var f struct {
			RequestID string `json:"request_id"`
		}
		_ = json.Unmarshal(a.Raw, &f)
		found = found || f.RequestID == rid
	}
	if !found {
		t.Errorf("self event not visible after the delay")
	}

	// 400, 403 and 429 are logged with their status; 401 and injected
	// server failures are not.
	statuses := map[string]int{}
	for _, tc := range []struct {
		key, query string
	}{{ComplianceKey, "limit=0"}, {UserDataOnlyKey, ""}, {ComplianceKey, ""}, {"sk-ant-api01-nope", ""}} {
		clk.Advance(time.Minute) // a fresh budget of 2 per step
		if tc.query == "" && tc.key == ComplianceKey {
			get(t, s, ComplianceKey, "")
			get(t, s, ComplianceKey, "") // budget spent: the next is a 429
		}
		w := get(t, s, tc.key, tc.query)
		statuses[w.Header().Get("request-id")] = w.Code
	}
	s.SetFaults(Faults{ServerErrorEvery: 1})
	w5 := get(t, s, ComplianceKey, "")
	all := map[string]map[string]any{}
	for _, k := range []string{keyID, DefaultKeys()[UserDataOnlyKey].KeyID} {
		for rid, ev := range selfEvents(t, s, k) {
			all[rid] = ev
		}
	}
	for rid, code := range statuses {
		ev, ok := all[rid]
		if code == http.StatusUnauthorized {
			if ok {
				t.Errorf("a 401 was logged")
			}
			continue
		}
		if !ok || ev["status_code"] != float64(code) {
			t.Errorf("request with status %d: self event %v", code, ev)
		}
	}
	if _, ok := all[w5.Header().Get("request-id")]; ok || w5.Code != 500 {
		t.Errorf("injected %d was logged", w5.Code)
	}
}

func TestSelfEventDelayAndAdminKey(t *testing.T) {
	s, clk := newTestServer(t, func(c *Config) { c.Events = 20; c.SelfEventDelay = -1 })
	w := get(t, s, AdminKey, "")
	rid := w.Header().Get("request-id")
	truth := s.Truth(clk.Now(), time.Time{})
	if len(truth) != 1 || truth[0].Actor.APIKeyID != DefaultKeys()[AdminKey].KeyID || truth[0].Type != "compliance_api_accessed" {
		t.Fatalf("with no delay the self event is visible at once: %v", activityIDs(truth))
	}
	var f struct {
		RequestID string `json:"request_id"`
	}
	if err := json.Unmarshal(truth[0].Raw, &f); err != nil || f.RequestID != rid {
		t.Errorf("request_id %q, want %q", f.RequestID, rid)
	}
	s2, clk2 := newTestServer(t, func(c *Config) { c.Events = 20; c.SelfEventDelay = 30 * time.Second })
	at := clk2.Now()
	get(t, s2, ComplianceKey, "")
	clk2.Advance(30*time.Second - time.Millisecond)
	if got := s2.Truth(at, time.Time{}); len(got) != 0 {
		t.Errorf("self event visible 1 ms before the delay")
	}
	clk2.Advance(time.Millisecond)
	if got := s2.Truth(at, time.Time{}); len(got) != 1 {
		t.Errorf("after 30 s: %d self events visible", len(got))
	}
}

// TestSelfEventBeforeDelay checks the default 3 s delay through the API.
func TestSelfEventBeforeDelay(t *testing.T) {
	s, clk := newTestServer(t, func(c *Config) { c.Events = 20 })
	at := clk.Now()
	rid := get(t, s, ComplianceKey, "").Header().Get("request-id")
	only := q("activity_types[]", "compliance_api_accessed", "created_at.gte", at.Format(time.RFC3339))
	visible := func() []feed.Activity { return decodeAll(t, mustPage(t, s, only)) }
	clk.Advance(2999 * time.Millisecond)
	if v := visible(); len(v) != 0 {
		t.Errorf("%d self events visible before 3 s", len(v))
	}
	clk.Advance(time.Millisecond)
	v := visible()
	if len(v) != 1 {
		t.Fatalf("%d self events visible at 3 s, want the first request's", len(v))
	}
	var f struct {
		RequestID string `json:"request_id"`
	}
	if err := json.Unmarshal(v[0].Raw, &f); err != nil || f.RequestID != rid {
		t.Errorf("request_id %q, want %q", f.RequestID, rid)
	}
}
