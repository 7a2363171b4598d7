package sim

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"claudit/feed"
)

func TestValidationErrors(t *testing.T) {
	s, _ := newTestServer(t, nil)
	sc := s.Scenario()
	tests := []struct {
		name, query, message string
	}{
		{"date only", "created_at.gte=2024-01-01",
			"The `created_at.gte` parameter contains an invalid timestamp format. Timestamps must be provided in RFC 3339 format e.g., \"2024-03-01T00:00:00Z\". Got \"2024-01-01\"."},
		{"no zone", q("created_at.lt", "2024-01-01T00:00:00"),
			"The `created_at.lt` parameter contains an invalid timestamp format. Timestamps must be provided in RFC 3339 format e.g., \"2024-03-01T00:00:00Z\". Got \"2024-01-01T00:00:00\"."},
		{"unencoded plus", "created_at.lte=2024-01-01T00:00:00+02:00",
			"The `created_at.lte` parameter contains an invalid timestamp format. Timestamps must be provided in RFC 3339 format e.g., \"2024-03-01T00:00:00Z\". Got \"2024-01-01T00:00:00 02:00\"."},
		{"gt garbage", "created_at.gt=yesterday",
			"The `created_at.gt` parameter contains an invalid timestamp format. Timestamps must be provided in RFC 3339 format e.g., \"2024-03-01T00:00:00Z\". Got \"yesterday\"."},
		{"limit 0", "limit=0", "The limit parameter must be between 1 and 5000, inclusive. Got 0."},
		{"limit 5001", "limit=5001", "The limit parameter must be between 1 and 5000, inclusive. Got 5001."},
		{"limit -3", "limit=-3", "The limit parameter must be between 1 and 5000, inclusive. Got -3."},
		{"limit text", "limit=ten", "The limit parameter must be an integer between 1 and 5000, inclusive. Got \"ten\"."},
		{"limit float", "limit=1.5", "The limit parameter must be an integer between 1 and 5000, inclusive. Got \"1.5\"."},
		{"limit twice", "limit=1&limit=2", "The `limit` parameter may be given only once."},
		{"bad cursor", "after_id=activity_invalid123", "Invalid `after_id`. No activity found for `after_id` \"activity_invalid123\""},
		{"bad before cursor", "before_id=nope", "Invalid `before_id`. No activity found for `before_id` \"nope\""},
		{"empty cursor", "after_id=", "Invalid `after_id`. No activity found for `after_id` \"\""},
		{"both cursors", "after_id=a&before_id=b", "Only one of `after_id` and `before_id` may be provided."},
		{"both type lists", q("activity_types[]", "sso_login_failed", "exclude_activity_types[]", "claude_chat_viewed"),
			"`activity_types[]` and `exclude_activity_types[]` cannot be combined."},
		{"unknown order", "order=newest", "Invalid value \"newest\" for `order`: must be \"asc\" or \"desc\"."},
		{"unknown type", q("activity_types[]", "no_such_type"), "Invalid value \"no_such_type\" for `activity_types[]`: not a known activity type."},
		{"unknown excluded type", q("exclude_activity_types[]", "nope"), "Invalid value \"nope\" for `exclude_activity_types[]`: not a known activity type."},
		{"empty type", q("activity_types[]", ""), "Invalid value \"\" for `activity_types[]`: not a known activity type."},
		{"unbracketed types", "activity_types=sso_login_failed", "The `activity_types` parameter must use bracket syntax: send `activity_types[]=…` once per value."},
		{"unbracketed actors", "actor_ids=" + sc.UserIDs[0], "The `actor_ids` parameter must use bracket syntax: send `actor_ids[]=…` once per value."},
		{"unbracketed orgs", "organization_ids=" + sc.Org1ID, "The `organization_ids` parameter must use bracket syntax: send `organization_ids[]=…` once per value."},
		{"unbracketed users", "user_ids=x", "The `user_ids` parameter must use bracket syntax: send `user_ids[]=…` once per value."},
		{"unbracketed excludes", "exclude_activity_types=x", "The `exclude_activity_types` parameter must use bracket syntax: send `exclude_activity_types[]=…` once per value."},
		{"api key as actor", q("actor_ids[]", sc.LeakedKeyID), "Invalid value \"" + sc.LeakedKeyID + "\" for `actor_ids[]`: only user IDs (user_…) are supported."},
		{"email as user", q("user_ids[]", "alice.admin@example.com"), "Invalid value \"alice.admin@example.com\" for `user_ids[]`: only user IDs (user_…) are supported."},
		{"bad escape", "limit=%zz", "The query string is malformed: invalid URL escape \"%zz\"."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustError(t, s, ComplianceKey, tt.query, http.StatusBadRequest)
			if e.Error.Type != "invalid_request_error" {
				t.Errorf("error type %q", e.Error.Type)
			}
			if e.Error.Message != tt.message {
				t.Errorf("message\n got %s\nwant %s", e.Error.Message, tt.message)
			}
		})
	}
}

func TestAcceptedParameters(t *testing.T) {
	s, _ := newTestServer(t, nil)
	for _, query := range []string{
		"",
		"limit=1", "limit=5000", "order=asc", "order=desc",
		"created_at.gte=2026-11-01T00:00:00Z",
		"created_at.gte=2026-11-01T00:00:00.123456789Z",
		q("created_at.gte", "2026-11-01T01:00:00+01:00"),
		q("created_at.lt", "2026-11-01T00:00:00-05:30"),
		"activity_types[]=" + futureType,         // not catalogued, but it exists in the data
		"activity_types[]=design_project_viewed", // retired: catalogued, no events
		"unknown_param=1",
	} {
		if w := get(t, s, ComplianceKey, query); w.Code != http.StatusOK {
			t.Errorf("?%s: status %d: %s", query, w.Code, w.Body.String())
		}
	}
	// Without anthropic-version too (§15.11).
	r, _ := http.NewRequest(http.MethodGet, ActivitiesPath, nil)
	r.Header.Set("x-api-key", ComplianceKey)
	w := &recorder{header: http.Header{}}
	s.ServeHTTP(w, r)
	if w.status != http.StatusOK {
		t.Errorf("without anthropic-version: %d", w.status)
	}
}

// recorder is a minimal ResponseWriter (no Flush, no Hijack).
type recorder struct {
	header http.Header
	status int
	body   []byte
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(s int)   { r.status = s }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = 200
	}
	r.body = append(r.body, b...)
	return len(b), nil
}

// decodeAll decodes a page's activities.
func decodeAll(t *testing.T, p page) []feed.Activity {
	t.Helper()
	out := make([]feed.Activity, len(p.Data))
	for i, r := range p.Data {
		if err := json.Unmarshal(r, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// filterTruth is the reference implementation of the filters.
func filterTruth(all []feed.Activity, keep func(a feed.Activity) bool) []string {
	var out []string
	for _, a := range all {
		if keep(a) {
			out = append(out, a.ID)
		}
	}
	return out
}

func TestFilters(t *testing.T) {
	s, _ := newTestServer(t, nil)
	sc := s.Scenario()
	all := s.Truth(time.Time{}, time.Time{})
	user0, user1 := sc.UserIDs[0], sc.UserIDs[1]
	from := testEnd().Add(-48 * time.Hour)
	to := testEnd().Add(-24 * time.Hour)
	tests := []struct {
		name  string
		query string
		keep  func(a feed.Activity) bool
	}{
		{"types", q("activity_types[]", "sso_login_failed", "activity_types[]", "scoped_api_key_updated"),
			func(a feed.Activity) bool { return a.Type == "sso_login_failed" || a.Type == "scoped_api_key_updated" }},
		{"exclude", q("exclude_activity_types[]", "claude_chat_viewed", "exclude_activity_types[]", "compliance_api_accessed"),
			func(a feed.Activity) bool {
				return a.Type != "claude_chat_viewed" && a.Type != "compliance_api_accessed"
			}},
		{"actor_ids", q("actor_ids[]", user0), func(a feed.Activity) bool { return a.Actor.UserID == user0 }},
		{"user_ids alias", q("user_ids[]", user1), func(a feed.Activity) bool { return a.Actor.UserID == user1 }},
		{"actor_ids and user_ids union", q("actor_ids[]", user0, "user_ids[]", user1),
			func(a feed.Activity) bool { return a.Actor.UserID == user0 || a.Actor.UserID == user1 }},
		{"org by id", q("organization_ids[]", sc.Org2ID), func(a feed.Activity) bool { return a.OrganizationID == sc.Org2ID }},
		{"org by uuid", q("organization_ids[]", sc.Org1UUID), func(a feed.Activity) bool { return a.OrganizationID == sc.Org1ID }},
		{"org unknown", q("organization_ids[]", "org_nope"), func(feed.Activity) bool { return false }},
		{"gte+lt", q("created_at.gte", from.Format(time.RFC3339), "created_at.lt", to.Format(time.RFC3339)),
			func(a feed.Activity) bool { return !a.CreatedAt.Before(from) && a.CreatedAt.Before(to) }},
		{"gt+lte", q("created_at.gt", from.Format(time.RFC3339), "created_at.lte", to.Format(time.RFC3339)),
			func(a feed.Activity) bool { return a.CreatedAt.After(from) && !a.CreatedAt.After(to) }},
		{"bounds intersect", q("created_at.gte", from.Format(time.RFC3339), "created_at.gt", from.Add(time.Hour).Format(time.RFC3339),
			"created_at.lt", to.Format(time.RFC3339), "created_at.lte", to.Add(-time.Hour).Format(time.RFC3339)),
			func(a feed.Activity) bool {
				return a.CreatedAt.After(from.Add(time.Hour)) && !a.CreatedAt.After(to.Add(-time.Hour))
			}},
		{"empty window", q("created_at.gte", to.Format(time.RFC3339), "created_at.lt", from.Format(time.RFC3339)),
			func(feed.Activity) bool { return false }},
		{"offset zone", q("created_at.gte", from.In(time.FixedZone("", 2*3600)).Format(time.RFC3339)),
			func(a feed.Activity) bool { return !a.CreatedAt.Before(from) }},
		{"all combined", q("exclude_activity_types[]", "claude_chat_viewed", "actor_ids[]", user0, "organization_ids[]", sc.Org1ID,
			"created_at.gte", from.Format(time.RFC3339)),
			func(a feed.Activity) bool {
				return a.Type != "claude_chat_viewed" && a.Actor.UserID == user0 && a.OrganizationID == sc.Org1ID && !a.CreatedAt.Before(from)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := filterTruth(all, tt.keep)
			got := walk(t, s, tt.query, "after_id", 5000)
			if !slices.Equal(got, want) {
				t.Errorf("got %d activities, want %d", len(got), len(want))
			}
			if tt.name != "org unknown" && tt.name != "empty window" && len(want) == 0 {
				t.Errorf("the filter matches nothing in the dataset: a weak test")
			}
		})
	}
}

func TestLimitAndOrder(t *testing.T) {
	s, _ := newTestServer(t, nil)
	all := activityIDs(s.Truth(time.Time{}, time.Time{}))
	if p := mustPage(t, s, ""); len(p.Data) != 100 || !p.HasMore || !slices.Equal(ids(t, p.Data), all[:100]) {
		t.Errorf("default page: %d rows, has_more %v", len(p.Data), p.HasMore)
	}
	p := mustPage(t, s, "limit=7&order=asc")
	rev := slices.Clone(all)
	slices.Reverse(rev)
	if !slices.Equal(ids(t, p.Data), rev[:7]) {
		t.Errorf("asc page %v, want %v", ids(t, p.Data), rev[:7])
	}
	if p := mustPage(t, s, "limit=5000"); len(p.Data) != 5000 || p.HasMore {
		t.Errorf("limit=5000 over 5000 events: %d rows, has_more %v", len(p.Data), p.HasMore)
	}
	if p := mustPage(t, s, "limit=4999"); len(p.Data) != 4999 || !p.HasMore {
		t.Errorf("limit=4999 over 5000 events: %d rows, has_more %v", len(p.Data), p.HasMore)
	}
}

// TestErrorMessagesAreSafe makes sure echoed values stay inside the JSON
// string (a hostile cursor cannot break the body).
func TestErrorMessagesAreSafe(t *testing.T) {
	s, _ := newTestServer(t, func(c *Config) { c.Events = 10 })
	e := mustError(t, s, ComplianceKey, q("after_id", "x\"}\x1b[2J"), http.StatusBadRequest)
	if !strings.Contains(e.Error.Message, "x\"}\x1b[2J") {
		t.Errorf("message %q does not echo the cursor", e.Error.Message)
	}
}
