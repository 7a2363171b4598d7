package feed

import (
	"bytes"
	"sort"
	"strings"
	"time"
)

// Tripwire is one rule for an event a security team always wants to see.
// Match is nil for a rule that needs several events to fire (the failed
// sign-in burst, see FailedSignInBursts); it is listed so that the one
// table below names every rule.
type Tripwire struct {
	Name, Description string
	Match             func(a Activity, loc *time.Location) bool
}

// Tripwire names.
const (
	TripAdminKeyCreated    = "admin-key-created"
	TripComplianceDisabled = "compliance-api-disabled"
	TripSSOChanged         = "sso-scim-changed"
	TripKeyOffHours        = "key-created-off-hours"
	TripFailedSignInBurst  = "failed-sign-in-burst"
)

// Working hours for TripKeyOffHours: local hours, Monday to Friday.
const workdayStart, workdayEnd = 8, 19

// Tripwires returns the rules, in the order Trip reports them. It builds a
// new slice each call: the table is code, not state.
func Tripwires() []Tripwire {
	return []Tripwire{
		{
			Name:        TripAdminKeyCreated,
			Description: "an admin API key was created",
			Match: func(a Activity, _ *time.Location) bool {
				return a.Type == "admin_api_key_created"
			},
		},
		{
			Name:        TripComplianceDisabled,
			Description: "the Compliance API or its logging was switched off",
			Match: func(a Activity, _ *time.Location) bool {
				return a.Type == "org_compliance_api_settings_updated" && complianceOff(a)
			},
		},
		{
			Name:        TripSSOChanged,
			Description: "SSO or SCIM directory sync configuration changed",
			Match: func(a Activity, _ *time.Location) bool {
				return ssoOrSCIMConfig(a.Type)
			},
		},
		{
			Name: TripKeyOffHours,
			Description: "an API key was created or reactivated outside working hours " +
				"(08:00–19:00 local, Monday to Friday)",
			Match: func(a Activity, loc *time.Location) bool {
				return (keyCreated(a.Type) || keyReactivated(a)) && offHours(a.CreatedAt, loc)
			},
		},
		{
			Name:        TripFailedSignInBurst,
			Description: "a burst of failed sign-ins from one IP address or e-mail",
		},
	}
}

// Trip returns the names of the single-event tripwires a fires, in table
// order; nil when none does. Working hours are read in loc (nil: local).
func Trip(a Activity, loc *time.Location) []string {
	var out []string
	for _, t := range Tripwires() {
		if t.Match != nil && t.Match(a, loc) {
			out = append(out, t.Name)
		}
	}
	return out
}

// complianceOff reports whether a compliance settings update switched the
// API or its logging off, as a top-level field or as an updates[] change.
func complianceOff(a Activity) bool {
	fields := []string{"compliance_api_enabled", "compliance_api_logging_enabled"}
	for _, f := range fields {
		if isFalse(a.field(f)) {
			return true
		}
	}
	for _, u := range a.Updates() {
		for _, f := range fields {
			if u.Type == f && isFalse(u.Current) {
				return true
			}
		}
	}
	return false
}

// isFalse reports a JSON false (or the string "false").
func isFalse(v []byte) bool {
	v = bytes.TrimSpace(v)
	return string(v) == "false" || strings.EqualFold(rawString(v), "false")
}

// ssoOrSCIMConfig reports types that change how people sign in or are
// provisioned: org_sso_*, org_directory_sync_* and SCIM configuration
// (not the per-user scim_user_* events a sync produces).
func ssoOrSCIMConfig(t string) bool {
	switch {
	case strings.HasPrefix(t, "org_sso_"), strings.HasPrefix(t, "org_directory_sync_"):
		return true
	case strings.HasPrefix(t, "scim_user_"), strings.HasPrefix(t, "scim_group_"):
		return false
	}
	return strings.Contains(t, "scim")
}

// keyCreated reports the creation of an API-style key: api_key_created,
// platform_api_key_created, admin_api_key_created, service_key_created.
func keyCreated(t string) bool {
	return strings.HasSuffix(t, "_key_created") && (strings.Contains(t, "api_key") || t == "service_key_created")
}

// keyReactivated reports an API key switched (back) on: an *api_key_updated
// event whose activation_state or status changed to active or enabled.
func keyReactivated(a Activity) bool {
	if !strings.HasSuffix(a.Type, "_key_updated") || !strings.Contains(a.Type, "api_key") {
		return false
	}
	for _, u := range a.Updates() {
		if u.Type != "activation_state" && u.Type != "status" {
			continue
		}
		cur, prev := strings.ToLower(rawString(u.Current)), strings.ToLower(rawString(u.Previous))
		if (cur == "active" || cur == "enabled") && cur != prev {
			return true
		}
	}
	return false
}

// offHours reports whether t falls outside 08:00–19:00, Monday to Friday,
// in loc (nil: local time).
func offHours(t time.Time, loc *time.Location) bool {
	if loc == nil {
		loc = time.Local
	}
	lt := t.In(loc)
	switch lt.Weekday() {
	case time.Saturday, time.Sunday:
		return true
	}
	return lt.Hour() < workdayStart || lt.Hour() >= workdayEnd
}

// failedSignIn reports a failed sign-in: an auth event whose type ends in
// _failed (sso_login_failed, magic_link_login_failed,
// step_up_authentication_failed).
func failedSignIn(a Activity) bool {
	return strings.HasSuffix(a.Type, "_failed") && Catalogue().Group(a.Type) == "auth"
}

// FailedSignInBursts returns the ids of failed sign-ins that belong to a
// burst: at least threshold failed sign-ins from the same IP address or the
// same e-mail (case-insensitive) within window (first to last). acts may be
// in any order.
func FailedSignInBursts(acts []Activity, window time.Duration, threshold int) map[string]bool {
	threshold = max(threshold, 1)
	groups := map[string][]int{}
	for i, a := range acts {
		if !failedSignIn(a) {
			continue
		}
		if ip := a.Actor.IPAddress; ip != "" {
			groups["ip\x00"+ip] = append(groups["ip\x00"+ip], i)
		}
		email := a.Actor.EmailAddress
		if email == "" {
			email = a.Actor.UnauthenticatedEmailAddress
		}
		if email != "" {
			k := "email\x00" + strings.ToLower(email)
			groups[k] = append(groups[k], i)
		}
	}
	out := map[string]bool{}
	for _, idx := range groups {
		if len(idx) < threshold {
			continue
		}
		sort.SliceStable(idx, func(x, y int) bool { return acts[idx[x]].CreatedAt.Before(acts[idx[y]].CreatedAt) })
		// Slide a window over the group's times; every event inside a
		// window that holds threshold events is part of the burst.
		lo, marked := 0, -1
		for hi := range idx {
			for acts[idx[hi]].CreatedAt.Sub(acts[idx[lo]].CreatedAt) > window {
				lo++
			}
			if hi-lo+1 >= threshold {
				for k := max(lo, marked+1); k <= hi; k++ {
					out[acts[idx[k]].ID] = true
				}
				marked = hi
			}
		}
	}
	return out
}
