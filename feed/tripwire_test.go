package feed

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// tripAct builds an activity of type typ at t with extra top-level JSON
// members (without braces).
func tripAct(t *testing.T, typ string, at time.Time, extra string) Activity {
	t.Helper()
	if extra != "" {
		extra = "," + extra
	}
	return activity(t, fmt.Sprintf(`{"id":"activity_01TRIP%s","created_at":%q,"organization_id":"org_01X","organization_uuid":null,`+
		`"actor":{"type":"user_actor","email_address":"a@example.com","user_id":"user_01A","ip_address":"192.0.2.1"},"type":%q%s}`,
		strings.ToUpper(typ[:3]), at.Format(time.RFC3339), typ, extra))
}

// A Tuesday in Berlin (UTC+2 in September).
var (
	tripLoc    = time.FixedZone("CEST", 2*3600)
	tripMidday = time.Date(2026, 9, 15, 12, 0, 0, 0, tripLoc)  // Tue 12:00
	tripNight  = time.Date(2026, 9, 15, 23, 30, 0, 0, tripLoc) // Tue 23:30
)

func TestTripwireRules(t *testing.T) {
	reactivated := `"api_key_id":"apikey_01K","updates":[{"type":"activation_state","previous_value":"inactive","current_value":"active"}]`
	deactivated := `"api_key_id":"apikey_01K","updates":[{"type":"activation_state","previous_value":"active","current_value":"inactive"}]`
	cases := []struct {
		name  string
		a     Activity
		fires []string
	}{
		// admin-key-created
		{"admin key created", tripAct(t, "admin_api_key_created", tripMidday, `"admin_api_key_id":"adminkey_01A","scopes":[]`),
			[]string{TripAdminKeyCreated}},
		{"admin key updated", tripAct(t, "admin_api_key_updated", tripMidday, `"admin_api_key_id":"adminkey_01A"`), nil},
		// compliance-api-disabled
		{"compliance api off", tripAct(t, "org_compliance_api_settings_updated", tripMidday,
			`"compliance_api_enabled":false,"compliance_api_logging_enabled":null`), []string{TripComplianceDisabled}},
		{"compliance logging off", tripAct(t, "org_compliance_api_settings_updated", tripMidday,
			`"compliance_api_enabled":null,"compliance_api_logging_enabled":false`), []string{TripComplianceDisabled}},
		{"compliance off as an update", tripAct(t, "org_compliance_api_settings_updated", tripMidday,
			`"updates":[{"type":"compliance_api_logging_enabled","previous_value":true,"current_value":false}]`), []string{TripComplianceDisabled}},
		{"compliance switched on", tripAct(t, "org_compliance_api_settings_updated", tripMidday,
			`"compliance_api_enabled":true,"compliance_api_logging_enabled":true`), nil},
		{"compliance unchanged (null)", tripAct(t, "org_compliance_api_settings_updated", tripMidday,
			`"compliance_api_enabled":null,"compliance_api_logging_enabled":null`), nil},
		{"other type with the field", tripAct(t, "org_settings_updated", tripMidday, `"compliance_api_enabled":false`), nil},
		// sso-scim-changed
		{"sso toggled", tripAct(t, "org_sso_toggled", tripMidday, `"enabled":false`), []string{TripSSOChanged}},
		{"sso connection deleted", tripAct(t, "org_sso_connection_deleted", tripMidday, `"connection_id":null`), []string{TripSSOChanged}},
		{"directory sync deleted", tripAct(t, "org_directory_sync_deleted", tripMidday, ""), []string{TripSSOChanged}},
		{"scim welcome e-mail", tripAct(t, "org_sso_scim_welcome_email_toggled", tripMidday, `"enabled":true`), []string{TripSSOChanged}},
		{"scim user provisioned", tripAct(t, "scim_user_created", tripMidday, `"user_id":"user_01B"`), nil},
		{"sso login", tripAct(t, "sso_login_succeeded", tripMidday, ""), nil},
		{"directory resync", tripAct(t, "org_directory_resync_started", tripMidday, `"resync_uuid":"x"`), nil},
		// key-created-off-hours
		{"key created at night", tripAct(t, "api_key_created", tripNight, `"api_key_id":"apikey_01K"`), []string{TripKeyOffHours}},
		{"key created at midday", tripAct(t, "api_key_created", tripMidday, `"api_key_id":"apikey_01K"`), nil},
		{"platform key created 07:59", tripAct(t, "platform_api_key_created", time.Date(2026, 9, 15, 7, 59, 0, 0, tripLoc), `"api_key_id":"apikey_01K"`),
			[]string{TripKeyOffHours}},
		{"platform key created 08:00", tripAct(t, "platform_api_key_created", time.Date(2026, 9, 15, 8, 0, 0, 0, tripLoc), `"api_key_id":"apikey_01K"`), nil},
		{"service key created 19:00", tripAct(t, "service_key_created", time.Date(2026, 9, 15, 19, 0, 0, 0, tripLoc), `"service_key_id":"svk_01"`),
			[]string{TripKeyOffHours}},
		{"key created on Saturday midday", tripAct(t, "api_key_created", time.Date(2026, 9, 19, 12, 0, 0, 0, tripLoc), `"api_key_id":"apikey_01K"`),
			[]string{TripKeyOffHours}},
		{"key reactivated at night", tripAct(t, "scoped_api_key_updated", tripNight, reactivated), []string{TripKeyOffHours}},
		{"key reactivated at midday", tripAct(t, "scoped_api_key_updated", tripMidday, reactivated), nil},
		{"key deactivated at night", tripAct(t, "scoped_api_key_updated", tripNight, deactivated), nil},
		{"admin key created at night fires both", tripAct(t, "admin_api_key_created", tripNight, `"admin_api_key_id":"adminkey_01A"`),
			[]string{TripAdminKeyCreated, TripKeyOffHours}},
		{"signing key created at night", tripAct(t, "platform_signing_key_created", tripNight, `"signing_key_id":"sk_01"`), nil},
		{"chat viewed at night", tripAct(t, "claude_chat_viewed", tripNight, `"claude_chat_id":"claude_chat_01"`), nil},
	}
	for _, c := range cases {
		if got := Trip(c.a, tripLoc); !slices.Equal(got, c.fires) {
			t.Errorf("%s: Trip = %v, want %v", c.name, got, c.fires)
		}
	}
	// Working hours are read in the given zone: 23:30 CEST is 21:30 UTC
	// (still off hours), 12:00 CEST in a UTC-10 zone is 00:00.
	if got := Trip(tripAct(t, "api_key_created", tripMidday, `"api_key_id":"apikey_01K"`), time.FixedZone("HST", -10*3600)); !slices.Equal(got, []string{TripKeyOffHours}) {
		t.Errorf("zone: %v", got)
	}
}

func TestTripwireTable(t *testing.T) {
	seen := map[string]bool{}
	for _, tw := range Tripwires() {
		if tw.Name == "" || tw.Description == "" || seen[tw.Name] {
			t.Fatalf("bad or duplicate rule %+v", tw)
		}
		seen[tw.Name] = true
	}
	for _, n := range []string{TripAdminKeyCreated, TripComplianceDisabled, TripSSOChanged, TripKeyOffHours, TripFailedSignInBurst} {
		if !seen[n] {
			t.Fatalf("rule %s missing from the table", n)
		}
	}
}

func TestFailedSignInBursts(t *testing.T) {
	base := time.Date(2026, 9, 15, 3, 0, 0, 0, time.UTC)
	n := 0
	fail := func(typ, email, ip string, after time.Duration) Activity {
		n++
		actor := fmt.Sprintf(`{"type":"unauthenticated_user_actor","unauthenticated_email_address":%q,"ip_address":%q}`, email, ip)
		if email == "" {
			actor = fmt.Sprintf(`{"type":"unauthenticated_user_actor","ip_address":%q}`, ip)
		}
		return activity(t, fmt.Sprintf(`{"id":"activity_01BURST%04d","created_at":%q,"organization_id":null,"organization_uuid":null,"actor":%s,"type":%q}`,
			n, base.Add(after).Format(time.RFC3339), actor, typ))
	}
	var acts []Activity
	// Five failures from one IP, different e-mails, within 4 minutes: a burst.
	for i := range 5 {
		acts = append(acts, fail("sso_login_failed", fmt.Sprintf("u%d@example.com", i), "203.0.113.9", time.Duration(i)*time.Minute))
	}
	// Four failures for one e-mail (any case) from different IPs: not enough...
	for i := range 4 {
		acts = append(acts, fail("magic_link_login_failed", "Victim@Example.com", fmt.Sprintf("198.51.100.%d", i), time.Hour+time.Duration(i)*time.Minute))
	}
	// ...and a fifth, but 20 minutes later: outside the window.
	late := fail("magic_link_login_failed", "victim@example.com", "198.51.100.99", time.Hour+24*time.Minute)
	acts = append(acts, late)
	// Successes and other types never count.
	for i := range 5 {
		acts = append(acts, fail("sso_login_succeeded", "ok@example.com", "192.0.2.50", 2*time.Hour+time.Duration(i)*time.Second))
		acts = append(acts, fail("claude_chat_access_failed", "ok@example.com", "192.0.2.51", 2*time.Hour+time.Duration(i)*time.Second))
	}
	// Shuffle: the input order must not matter.
	slices.Reverse(acts)
	got := FailedSignInBursts(acts, 5*time.Minute, 5)
	if len(got) != 5 {
		t.Fatalf("%d ids in bursts, want the 5 from 203.0.113.9: %v", len(got), got)
	}
	for _, a := range acts {
		if got[a.ID] != (a.Actor.IPAddress == "203.0.113.9") {
			t.Fatalf("%s (%s from %s) in burst: %v", a.ID, a.Type, a.Actor.IPAddress, got[a.ID])
		}
	}
	// A wider window joins the late fifth e-mail failure to its burst.
	got = FailedSignInBursts(acts, 30*time.Minute, 5)
	if !got[late.ID] || len(got) != 10 {
		t.Fatalf("30m window: %d ids, late %v", len(got), got[late.ID])
	}
	// A lower threshold catches the four.
	if got := FailedSignInBursts(acts, 5*time.Minute, 4); len(got) != 9 {
		t.Fatalf("threshold 4: %d ids", len(got))
	}
	if got := FailedSignInBursts(nil, time.Minute, 3); len(got) != 0 {
		t.Fatal("no events, no bursts")
	}
}
