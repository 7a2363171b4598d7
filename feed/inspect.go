package feed

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
)

// This file reads meaning out of activities for display and the reference
// index: actor labels and ids, type-specific fields, targets, key mentions
// and one-line summaries. Every string returned is untrusted event text:
// callers sanitise it (ui/safe) before it reaches a terminal.

// Label returns a short human label for the actor: the e-mail of a user,
// "key apikey_…" for an API key, "admin key …", "service account svac_…",
// the e-mail attempted by an unauthenticated user, "Anthropic",
// "SCIM (OktaSCIMV2)", "system: <service>", a federated identity, a device's
// client id, or the type name of an unknown variant.
func (a Actor) Label() string {
	switch a.Type {
	case ActorUser:
		return firstNonEmpty(a.EmailAddress, a.UserID, "user")
	case ActorAPI:
		return prefixed("key", a.APIKeyID, "API key")
	case ActorAdminAPIKey:
		return prefixed("admin key", a.AdminAPIKeyID, "admin key")
	case ActorServiceAccount:
		return prefixed("service account", a.ServiceAccountID, "service account")
	case ActorUnauthenticatedUser:
		return firstNonEmpty(a.UnauthenticatedEmailAddress, "unauthenticated")
	case ActorAnthropic:
		return "Anthropic"
	case ActorSCIM:
		if a.IDPConnectionType != "" {
			return "SCIM (" + a.IDPConnectionType + ")"
		}
		return "SCIM"
	case ActorSystem:
		return prefixed("system:", a.Service, "system")
	case ActorFederatedIdentity:
		switch {
		case a.Issuer != "" && a.Subject != "":
			return "federated " + a.Issuer + "/" + a.Subject
		default:
			return prefixed("federated", firstNonEmpty(a.Subject, a.Issuer), "federated identity")
		}
	case ActorFederated:
		if a.Subject != "" {
			return "federated " + a.Subject
		}
		return a.Provider.label()
	case ActorAttestedDevice:
		return prefixed("device", a.ExternalClientID, "attested device")
	case "":
		return "unknown actor"
	default:
		return a.Type
	}
}

// label describes a federated provider: its type and the identifying field
// of that type (account or signed principal, subscription, project, issuer).
func (p *FederatedProvider) label() string {
	if p == nil {
		return "federated"
	}
	id := firstNonEmpty(p.SignedPrincipal, p.AccountID, p.SubscriptionID, p.ProjectNumber, p.Issuer)
	return strings.TrimSpace("federated " + strings.TrimSpace(p.Type+" "+id))
}

func prefixed(prefix, v, fallback string) string {
	if v == "" {
		return fallback
	}
	return prefix + " " + v
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// ID returns the actor's stable id: user_id, api_key_id, admin_api_key_id,
// service_account_id, directory_id, subject or external_client_id, by
// variant; "" when the variant has none (Anthropic, system,
// unauthenticated). For an unknown variant it is the first of those fields
// that is present.
func (a Actor) ID() string {
	switch a.Type {
	case ActorUser:
		return a.UserID
	case ActorAPI:
		return a.APIKeyID
	case ActorAdminAPIKey:
		return a.AdminAPIKeyID
	case ActorServiceAccount:
		return a.ServiceAccountID
	case ActorSCIM:
		return a.DirectoryID
	case ActorFederatedIdentity, ActorFederated:
		return a.Subject
	case ActorAttestedDevice:
		return a.ExternalClientID
	case ActorUnauthenticatedUser, ActorAnthropic, ActorSystem:
		return ""
	default:
		return firstNonEmpty(a.UserID, a.APIKeyID, a.AdminAPIKeyID, a.ServiceAccountID,
			a.DirectoryID, a.Subject, a.ExternalClientID)
	}
}

// eachField calls fn with the name and raw value of every top-level member
// of Raw, in input order, until fn returns false. The table and the
// reference index call it for every row, so it reads Raw with the Scanner
// rather than encoding/json; it never panics on malformed input and stops
// at the first thing it cannot read.
func (a Activity) eachField(fn func(name string, value []byte) bool) {
	s := NewScanner(a.Raw)
	if s.Peek() != '{' {
		return
	}
	_ = s.Object(func(key []byte) error {
		s.Peek() // past the whitespace before the value
		start := s.Offset()
		if err := s.Skip(); err != nil {
			return err
		}
		if !fn(string(key), a.Raw[start:s.Offset()]) {
			return errStopWalk
		}
		return nil
	})
}

// errStopWalk ends a walk early; it never leaves this package.
var errStopWalk = errors.New("stop")

// Field returns a copy of a top-level field of Raw as raw JSON, nil when
// absent. With duplicate names the last wins, as in encoding/json.
func (a Activity) Field(name string) json.RawMessage {
	return bytes.Clone(a.field(name))
}

// field is Field without the copy, for read-only use inside this package.
func (a Activity) field(name string) []byte {
	var v []byte
	a.eachField(func(n string, value []byte) bool {
		if n == name {
			v = value
		}
		return true
	})
	return v
}

// StringField returns a top-level string field, "" when it is absent, null
// or not a string.
func (a Activity) StringField(name string) string {
	return rawString(a.field(name))
}

// rawString decodes a JSON string value; "" for anything else.
func rawString(v []byte) string {
	s, _ := Unquote(v)
	return s
}

// Updates returns the updates[] array of an *_updated activity (nil when
// absent). Malformed elements are skipped, not fatal: the value types vary
// by type and new ones ship often.
func (a Activity) Updates() []Update {
	var elems []json.RawMessage
	if json.Unmarshal(a.field("updates"), &elems) != nil {
		return nil
	}
	var out []Update
	for _, e := range elems {
		var u Update
		if json.Unmarshal(e, &u) == nil && u.Type != "" {
			out = append(out, u)
		}
	}
	return out
}

// isTargetField reports whether a top-level field names what the activity
// acted on: *_id and *_ids fields except the common ones and request_id,
// which names the HTTP request (compliance_api_accessed, sign-in events).
func isTargetField(name string) bool {
	switch name {
	case "id", "organization_id", "organization_uuid", "request_id":
		return false
	}
	return strings.HasSuffix(name, "_id") || strings.HasSuffix(name, "_ids")
}

// Targets returns the ids of what the activity acted on: the string values
// of top-level *_id fields and the strings in *_ids arrays, except the
// common fields and request_id, in field order, de-duplicated.
func (a Activity) Targets() []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	a.eachField(func(name string, value []byte) bool {
		switch {
		case !isTargetField(name):
		case strings.HasSuffix(name, "_id"):
			add(rawString(value))
		default:
			for _, s := range rawStrings(value) {
				add(s)
			}
		}
		return true
	})
	return out
}

// rawStrings returns the string elements of a JSON array.
func rawStrings(v json.RawMessage) []string {
	var elems []json.RawMessage
	if json.Unmarshal(v, &elems) != nil {
		return nil
	}
	var out []string
	for _, e := range elems {
		if s := rawString(e); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// KeyMention is one place an activity names an API-key-like id.
type KeyMention struct {
	ID string
	// Field is where the id sits: "actor.api_key_id",
	// "actor.admin_api_key_id", or a top-level field name such as
	// "api_key_id", "admin_api_key_id", "service_key_id", "signing_key_id".
	Field string
	// AsActor is true when the key performed the activity.
	AsActor bool
}

// KeyMentions returns every API-key-like id in the activity: the acting key
// (actor.api_key_id, actor.admin_api_key_id) first, then every top-level
// field whose name ends in key_id (or key_ids), in field order.
func (a Activity) KeyMentions() []KeyMention {
	var out []KeyMention
	if a.Actor.APIKeyID != "" {
		out = append(out, KeyMention{ID: a.Actor.APIKeyID, Field: "actor.api_key_id", AsActor: true})
	}
	if a.Actor.AdminAPIKeyID != "" {
		out = append(out, KeyMention{ID: a.Actor.AdminAPIKeyID, Field: "actor.admin_api_key_id", AsActor: true})
	}
	a.eachField(func(name string, value []byte) bool {
		switch {
		case strings.HasSuffix(name, "key_id"):
			if s := rawString(value); s != "" {
				out = append(out, KeyMention{ID: s, Field: name})
			}
		case strings.HasSuffix(name, "key_ids"):
			for _, s := range rawStrings(value) {
				out = append(out, KeyMention{ID: s, Field: name})
			}
		}
		return true
	})
	return out
}

// String renders one change as `activation_state: active → inactive`:
// string values unquoted, other values as compact JSON, absent as null.
func (u Update) String() string {
	return u.Type + ": " + updateValue(u.Previous) + " → " + updateValue(u.Current)
}

func updateValue(v json.RawMessage) string {
	if len(v) == 0 {
		return "null"
	}
	if v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) == nil {
			if s == "" {
				return `""` // an empty name must stay visible
			}
			return s
		}
	}
	var b bytes.Buffer
	if json.Compact(&b, v) != nil {
		return string(v)
	}
	return b.String()
}

// Summary returns a short human line for the activity: a key switched off
// or on ("key deactivated"), a rename (`renamed "a" → "b"`), other updates
// as `field: before → after`, "created <target>" / "deleted <target>" /
// "revoked <target>", a Compliance API call as `GET /path → 200`, else the
// catalogue summary of the type, else the type name.
func (a Activity) Summary() string {
	if ups := a.Updates(); len(ups) > 0 {
		parts := make([]string, 0, len(ups))
		for _, u := range ups {
			parts = append(parts, a.describeUpdate(u))
		}
		return strings.Join(parts, "; ")
	}
	if a.Type == "compliance_api_accessed" {
		if s := a.describeCall(); s != "" {
			return s
		}
	}
	for _, verb := range []string{"created", "deleted", "revoked"} {
		if strings.HasSuffix(a.Type, "_"+verb) {
			if t := a.PrimaryTarget(); t != "" {
				return verb + " " + t
			}
		}
	}
	if ti, ok := Catalogue().Lookup(a.Type); ok && ti.Summary != "" {
		return ti.Summary
	}
	return a.Type
}

// PrimaryTarget is what the activity acted on, for one cell: the first key
// it mentions as a target, else its first target id, else "".
func (a Activity) PrimaryTarget() string {
	for _, m := range a.KeyMentions() {
		if !m.AsActor {
			return m.ID
		}
	}
	if t := a.Targets(); len(t) > 0 {
		return t[0]
	}
	return ""
}

func (a Activity) describeUpdate(u Update) string {
	prev, cur := rawString(u.Previous), rawString(u.Current)
	switch {
	case u.Type == "name" && (prev != "" || cur != ""):
		return "renamed " + strconv.Quote(prev) + " → " + strconv.Quote(cur)
	case (u.Type == "activation_state" || u.Type == "status") && strings.Contains(a.Type, "key"):
		// the update types that switch a key on or off
		switch strings.ToLower(cur) {
		case "active", "enabled":
			return "key activated"
		case "inactive", "disabled", "deactivated", "archived", "revoked":
			return "key deactivated"
		}
	}
	return u.String()
}

// describeCall renders a compliance_api_accessed event as
// `GET /v1/compliance/activities → 200` (path only: the query string can be
// long and carries no new information for a summary).
func (a Activity) describeCall() string {
	method := a.StringField("request_method")
	raw := a.StringField("url")
	if method == "" && raw == "" {
		return ""
	}
	path := raw
	if u, err := url.Parse(raw); err == nil && u.Path != "" {
		path = u.Path
	}
	s := strings.TrimSpace(method + " " + path)
	code := a.field("status_code")
	if str := rawString(code); str != "" {
		s += " → " + str
	} else if len(code) > 0 && code[0] != '"' && string(code) != "null" {
		s += " → " + string(code)
	}
	return s
}
