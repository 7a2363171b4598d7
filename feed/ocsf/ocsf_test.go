package ocsf

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"claudit/feed"
	"claudit/feed/sim"
)

// actorJSON is one synthetic actor of each documented variant, with every
// field it can carry (ACTIVITY_FEED.md §8).
var actorJSON = map[string]string{
	feed.ActorUser:                `{"type":"user_actor","email_address":"alice@example.com","user_id":"user_01Alice","ip_address":"192.0.2.10","user_agent":"Mozilla/5.0 (X11)"}`,
	feed.ActorAPI:                 `{"type":"api_actor","api_key_id":"apikey_01Key","ip_address":"192.0.2.11","user_agent":"curl/8.0"}`,
	feed.ActorAdminAPIKey:         `{"type":"admin_api_key_actor","admin_api_key_id":"apikey_01Admin","ip_address":"192.0.2.12","user_agent":"terraform/1.9"}`,
	feed.ActorUnauthenticatedUser: `{"type":"unauthenticated_user_actor","unauthenticated_email_address":"mallory@example.com","ip_address":"203.0.113.9","user_agent":"python-requests/2.32"}`,
	feed.ActorAnthropic:           `{"type":"anthropic_actor","email_address":null}`,
	feed.ActorSCIM:                `{"type":"scim_directory_sync_actor","directory_id":"directory_01Okta","workos_event_id":"event_01W","idp_connection_type":"OktaSCIMV2"}`,
	feed.ActorSystem:              `{"type":"system_actor","service":null}`,
	feed.ActorServiceAccount:      `{"type":"service_account_actor","service_account_id":"svac_01Bot","ip_address":"192.0.2.13","user_agent":"bot/1.0"}`,
	feed.ActorFederatedIdentity:   `{"type":"federated_identity_actor","issuer":"https://issuer.example.com","subject":"sub-123","audience":["claude"],"ip_address":"2001:db8::1","user_agent":"gw/2"}`,
	feed.ActorFederated:           `{"type":"federated_actor","subject":null,"provider":{"type":"aws","account_id":"123456789012","signed_principal":"arn:aws:iam::123456789012:role/x"},"ip_address":null,"user_agent":null}`,
	feed.ActorAttestedDevice:      `{"type":"attested_device_actor","external_client_id":"client_01Phone","kid_hash":"abc123"}`,
}

// sampleValue is a value of a catalogue field type ("string|null",
// "enum(a|b)", "array<string>", "object{...}", "number", …).
func sampleValue(name, typ string) string {
	typ = strings.TrimSuffix(typ, "~")
	switch {
	case strings.HasPrefix(typ, "enum("):
		opts := strings.TrimPrefix(typ, "enum(")
		return fmt.Sprintf("%q", strings.FieldsFunc(opts, func(r rune) bool { return r == '|' || r == ')' })[0])
	case strings.HasPrefix(typ, "array"):
		if strings.HasPrefix(typ, "array<string") {
			return `["` + name + `_1","` + name + `_2"]`
		}
		return `[{"type":"status","previous_value":"active","current_value":"archived"}]`
	case strings.HasPrefix(typ, "object"):
		return `{"id":"` + name + `_01","type":"message"}`
	case strings.HasPrefix(typ, "number"):
		return "7"
	case strings.HasPrefix(typ, "boolean"):
		return "true"
	case strings.HasPrefix(typ, "unknown"):
		return `{"nested":["x",1,null]}`
	}
	if strings.HasSuffix(name, "_at") || strings.HasSuffix(name, "_date") {
		return `"2026-11-30T10:00:00Z"`
	}
	return `"` + name + `_01Value"`
}

// synthetic returns one activity of typ with actor variant v and a value
// for every field the catalogue lists (the ids of the object, names, …).
func synthetic(t testing.TB, typ, variant string, n int) feed.Activity {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, `{"id":"activity_01Syn%06d","created_at":"2026-11-30T12:34:56.789Z","organization_id":"org_01Acme",`+
		`"organization_uuid":"0b3a5c1e-1111-4222-8333-944445555666","type":%q,"actor":%s`, n, typ, actorJSON[variant])
	if ti, ok := feed.Catalogue().Lookup(typ); ok {
		for _, f := range ti.Fields {
			fmt.Fprintf(&b, ",%q:%s", f.Name, sampleValue(f.Name, f.Type))
		}
	}
	b.WriteString("}")
	var a feed.Activity
	if err := json.Unmarshal([]byte(b.String()), &a); err != nil {
		t.Fatalf("%s: %v\n%s", typ, err, b.String())
	}
	return a
}

// corpus is every catalogued type with every actor variant it allows (all
// of them when the catalogue does not say), an unknown type with each
// variant and an unknown variant, and a simulated dataset.
func corpus(t testing.TB) []feed.Activity {
	t.Helper()
	var out []feed.Activity
	n := 0
	for _, typ := range append(feed.Catalogue().Names(), "quantum_widget_created", "brand_new_thing_failed") {
		variants := feed.ActorTypes
		if ti, ok := feed.Catalogue().Lookup(typ); ok && ti.ActorVariants != nil {
			variants = ti.ActorVariants
		}
		for _, v := range variants {
			n++
			out = append(out, synthetic(t, typ, v, n))
		}
	}
	var robot feed.Activity
	if err := json.Unmarshal([]byte(`{"id":"activity_01Robot","created_at":"2026-11-30T12:00:00Z","organization_id":null,`+
		`"organization_uuid":null,"type":"claude_chat_viewed","actor":{"type":"robot_actor","robot_id":"r2","firmware":"7.3.1"},`+
		`"claude_chat_id":"claude_chat_01X"}`), &robot); err != nil {
		t.Fatal(err)
	}
	out = append(out, robot)
	return append(out, sim.New(sim.Config{Events: 3000}).Activities()...)
}

func decodeEvent(t testing.TB, b []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, b)
	}
	return m
}

// TestEveryTypeValidates maps every catalogued type with every actor
// variant, unknown types and a simulated dataset, and checks each event
// against the OCSF 1.6.0 schema subset, its ids and its common attributes.
func TestEveryTypeValidates(t *testing.T) {
	s := testSchema(t)
	logged := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	acts := corpus(t)
	classes := map[string]int{}
	fails := 0
	var e Encoder
	for _, a := range acts {
		if fails >= 20 {
			t.Fatal("stopping after 20 failures")
		}
		b := e.Append(nil, a, logged)
		name, err := s.validate(b)
		if err != nil {
			t.Errorf("%s (%s): %v\n%s", a.Type, a.Actor.Type, err, b)
			fails++
			continue
		}
		classes[name]++
		m := decodeEvent(t, b)
		md := m["metadata"].(map[string]any)
		if md["uid"] != a.ID || md["event_code"] != a.Type || md["version"] != "1.6.0" {
			t.Errorf("%s: metadata %v", a.ID, md)
		}
		if md["logged_time"] != json.Number(fmt.Sprint(logged.UnixMilli())) {
			t.Errorf("%s: logged_time %v", a.ID, md["logged_time"])
		}
		if m["time"] != json.Number(fmt.Sprint(a.CreatedAt.UnixMilli())) {
			t.Errorf("%s: time %v, want %d", a.ID, m["time"], a.CreatedAt.UnixMilli())
		}
		if p := md["product"].(map[string]any); p["vendor_name"] != "Anthropic" || p["name"] != "Compliance API" {
			t.Errorf("%s: product %v", a.ID, p)
		}
		if a.OrganizationUUID != "" && md["tenant_uid"] != a.OrganizationUUID {
			t.Errorf("%s: tenant_uid %v", a.ID, md["tenant_uid"])
		}
		if m["severity_id"] != json.Number("1") {
			t.Errorf("%s: severity_id %v", a.ID, m["severity_id"])
		}
		um, _ := m["unmapped"].(map[string]any)
		if a.OrganizationID != "" && um["organization_id"] != a.OrganizationID {
			t.Errorf("%s: unmapped.organization_id %v", a.ID, um["organization_id"])
		}
		if ua, _ := um["actor"].(map[string]any); a.Actor.Type != "" && ua["type"] != a.Actor.Type {
			t.Errorf("%s: unmapped.actor.type %v, want %s", a.ID, ua["type"], a.Actor.Type)
		}
		_, known := feed.Catalogue().Lookup(a.Type)
		if (m["class_uid"] == json.Number("0")) == known {
			t.Errorf("%s: class_uid %v for a type the catalogue knows=%v", a.Type, m["class_uid"], known)
		}
		if m["activity_id"] == json.Number("99") && m["activity_name"] != a.Type {
			t.Errorf("%s: activity Other with activity_name %v", a.Type, m["activity_name"])
		}
		if err := nothingDropped(a, b); err != nil {
			t.Errorf("%s: %v\n%s\n%s", a.Type, err, a.Raw, b)
			fails++
		}
	}
	for _, c := range []string{"base_event", "account_change", "authentication", "entity_management", "user_access",
		"group_management", "web_resources_activity", "api_activity", "compliance_finding"} {
		if classes[c] == 0 {
			t.Errorf("no %s event in the corpus", c)
		}
	}
	t.Logf("%d events: %v", len(acts), classes)
}

// nothingDropped checks that every scalar in the activity (every string,
// number and boolean, at any depth) appears in the event: mapped to an
// attribute or kept under unmapped.
func nothingDropped(a feed.Activity, event []byte) error {
	scalars := func(b []byte) (map[string]bool, error) {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out := map[string]bool{}
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case map[string]any:
				for _, e := range v {
					walk(e)
				}
			case []any:
				for _, e := range v {
					walk(e)
				}
			case nil:
			default:
				out[fmt.Sprintf("%T:%v", v, v)] = true
			}
		}
		walk(v)
		return out, nil
	}
	in, err := scalars(a.Raw)
	if err != nil {
		return err
	}
	out, err := scalars(event)
	if err != nil {
		return err
	}
	for v := range in {
		if !out[v] {
			return fmt.Errorf("value %s of the activity is not in the event", v)
		}
	}
	return nil
}

// mapOne maps one activity given as raw JSON and decodes the event.
func mapOne(t *testing.T, raw string) map[string]any {
	t.Helper()
	var a feed.Activity
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	b := Marshal(a, time.Time{})
	if _, err := testSchema(t).validate(b); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	return decodeEvent(t, b)
}

// get follows a dotted path ("actor.user.uid", "web_resources.0.uid").
func get(m map[string]any, path string) any {
	var v any = m
	for _, p := range strings.Split(path, ".") {
		switch c := v.(type) {
		case map[string]any:
			v = c[p]
		case []any:
			var i int
			fmt.Sscan(p, &i)
			if i >= len(c) {
				return nil
			}
			v = c[i]
		default:
			return nil
		}
	}
	if n, ok := v.(json.Number); ok {
		return string(n)
	}
	return v
}

func activityJSON(typ, actor, fields string) string {
	if actor == "" {
		actor = actorJSON[feed.ActorUser]
	}
	return `{"id":"activity_01Test","created_at":"2026-11-30T12:34:56Z","organization_id":"org_01Acme",` +
		`"organization_uuid":"uuid-1","type":"` + typ + `","actor":` + actor + fields + `}`
}

// TestMapping pins the class, activity and status of representative types
// (OCSF.md §4.3–§4.5) and the attributes that carry their subject.
func TestMapping(t *testing.T) {
	for _, tc := range []struct {
		typ, actor, fields string
		want               map[string]string
	}{
		{"sso_login_succeeded", "", "", map[string]string{"class_uid": "3002", "activity_id": "1", "status_id": "1",
			"user.uid": "user_01Alice", "service.name": "Claude"}},
		{"sso_login_failed", "", "", map[string]string{"class_uid": "3002", "activity_id": "1", "status_id": "2"}},
		{"magic_link_login_initiated", actorJSON[feed.ActorUnauthenticatedUser], "", map[string]string{"class_uid": "3002",
			"status_id": "0", "user.name": "mallory@example.com", "src_endpoint.ip": "203.0.113.9"}},
		{"user_logged_out", "", "", map[string]string{"class_uid": "3002", "activity_id": "2"}},
		{"phone_code_sent", "", "", map[string]string{"class_uid": "3002", "activity_id": "6"}},
		{"account_deleted", "", "", map[string]string{"class_uid": "3001", "activity_id": "6", "user.uid": "user_01Alice"}},
		{"trusted_device_enrolled", "", `,"trusted_device_id":"td_1"`, map[string]string{"class_uid": "3001", "activity_id": "1"}},
		{"org_user_deleted", "", `,"deleted_user_email":"bob@example.com","deleted_user_id":"user_01Bob"`, map[string]string{
			"class_uid": "3001", "activity_id": "6", "user.uid": "user_01Bob", "user.email_addr": "bob@example.com",
			"actor.user.uid": "user_01Alice"}},
		{"org_user_invite_sent", "", `,"invited_email":"carol@example.com"`, map[string]string{"class_uid": "3001",
			"activity_id": "1", "user.name": "carol@example.com", "user.email_addr": "carol@example.com"}},
		{"org_users_listed", "", "", map[string]string{"class_uid": "6001", "activity_id": "2"}},
		{"claude_user_role_updated", "", `,"current_role":"admin","previous_role":"user","user_email":"d@example.com","user_id":"user_01D"`,
			map[string]string{"class_uid": "3005", "activity_id": "1", "privileges.0": "admin", "user.uid": "user_01D",
				"unmapped.previous_role": "user"}},
		{"scim_user_updated", actorJSON[feed.ActorSCIM], `,"user_id":"user_01S"`, map[string]string{"class_uid": "3001",
			"activity_id": "99", "activity_name": "scim_user_updated", "actor.app_uid": "directory_01Okta",
			"actor.idp.name": "OktaSCIMV2", "unmapped.actor.workos_event_id": "event_01W"}},
		{"org_directory_sync_activated", "", "", map[string]string{"class_uid": "3004", "entity.type": "organization", "activity_id": "8"}},
		{"role_assignment_granted", "", `,"role":"owner","target_id":"user_01T","target_type":"user"`, map[string]string{
			"class_uid": "3005", "activity_id": "1", "privileges.0": "owner", "user.uid": "user_01T"}},
		{"role_assignment_revoked", "", `,"role":"owner","target_id":"user_01T"`, map[string]string{"class_uid": "3005", "activity_id": "2"}},
		{"rbac_role_created", "", `,"role_id":"role_01R","role_name":"Auditors"`, map[string]string{"class_uid": "3004",
			"activity_id": "1", "entity.uid": "role_01R", "entity.name": "Auditors"}},
		{"group_member_added", "", `,"group_id":"group_01G","member_ids":["user_01A"]`, map[string]string{"class_uid": "3006",
			"activity_id": "3", "group.uid": "group_01G", "unmapped.member_ids.0": "user_01A"}},
		{"group_member_addition_failed", "", `,"group_id":"group_01G"`, map[string]string{"class_uid": "3006", "activity_id": "3", "status_id": "2"}},
		{"group_created", "", `,"group_id":"group_01G","group_name":"Eng"`, map[string]string{"class_uid": "3006", "activity_id": "6", "group.name": "Eng"}},
		{"group_viewed", "", `,"group_id":"group_01G"`, map[string]string{"class_uid": "6001", "activity_id": "2", "web_resources.0.uid": "group_01G"}},
		{"api_key_created", "", `,"api_key_id":"apikey_01N","scopes":["read"]`, map[string]string{"class_uid": "3004",
			"activity_id": "1", "entity.uid": "apikey_01N", "entity.type": "api_key"}},
		{"service_key_revoked", "", `,"service_key_id":"sk_01","service_name":"ci"`, map[string]string{"class_uid": "3004",
			"activity_id": "9", "entity.uid": "sk_01", "entity.name": "ci"}},
		{"platform_api_key_updated", "", `,"api_key_id":"apikey_01N","updates":[{"type":"status","previous_value":"active","current_value":"archived"}]`,
			map[string]string{"class_uid": "3004", "activity_id": "9"}},
		{"platform_api_key_updated", "", `,"api_key_id":"apikey_01N","updates":[{"type":"status","previous_value":"inactive","current_value":"active"}]`,
			map[string]string{"class_uid": "3004", "activity_id": "8"}},
		{"platform_api_key_updated", "", `,"api_key_id":"apikey_01N","updates":[{"type":"name","previous_value":"a","current_value":"b"}]`,
			map[string]string{"class_uid": "3004", "activity_id": "3"}},
		{"compliance_api_accessed", actorJSON[feed.ActorAPI], `,"request_id":"req_1","request_method":"GET","status_code":200,"url":"/v1/compliance/activities"`,
			map[string]string{"class_uid": "6003", "activity_id": "2", "status_id": "1", "api.operation": "GET",
				"api.request.uid": "req_1", "api.response.code": "200", "http_request.url.url_string": "/v1/compliance/activities",
				"actor.app_uid": "apikey_01Key", "src_endpoint.ip": "192.0.2.11", "http_request.user_agent": "curl/8.0"}},
		{"compliance_api_accessed", actorJSON[feed.ActorAPI], `,"request_id":"req_1","request_method":"POST","status_code":403,"url":"/x"`,
			map[string]string{"activity_id": "1", "status_id": "2"}},
		{"compliance_api_accessed", actorJSON[feed.ActorSystem], `,"request_method":"PATCH"`,
			map[string]string{"activity_id": "99", "status_id": "0", "src_endpoint.name": "unknown", "actor.app_uid": "system"}},
		{"org_security_control_attestation_updated", "", `,"control":"mfa_enforced","action":"attested","status":"completed","previous_status":"control_failed","review_date":"2027-01-01"`,
			map[string]string{"class_uid": "2003", "category_uid": "2", "activity_id": "1", "compliance.control": "mfa_enforced",
				"compliance.status": "completed", "compliance.status_id": "1", "finding_info.uid": "uuid-1/mfa_enforced",
				"unmapped.previous_status": "control_failed", "unmapped.review_date": "2027-01-01", "metadata.profiles.0": "host",
				"actor.user.uid": "user_01Alice", "unmapped.actor.ip_address": "192.0.2.10"}},
		{"org_security_control_attestation_updated", "", `,"control":"c","action":"lapsed","status":"accepted_risk"`,
			map[string]string{"activity_id": "3", "compliance.status": "accepted_risk"}},
		{"org_security_control_attestation_updated", "", `,"control":"c","action":"renewed"`, map[string]string{"activity_id": "2", "unmapped.action": "renewed"}},
		{"anthropic_access", actorJSON[feed.ActorAnthropic], `,"accessed_at":"2026-11-30T10:00:00Z","accessor_department":"trust_and_safety","reason_code":"safety_review","resource_details":{"type":"message","id":"msg_01"}`,
			map[string]string{"class_uid": "6001", "activity_id": "2", "start_time": "1796032800000", "web_resources.0.uid": "msg_01",
				"web_resources.0.type": "message", "unmapped.reason_code": "safety_review", "actor.user.name": "Anthropic", "actor.user.type_id": "99"}},
		{"cmek_preserve", actorJSON[feed.ActorAnthropic], `,"resource_details":{"type":"message","id":null}`,
			map[string]string{"activity_id": "99", "web_resources.0.type": "message"}},
		{"inference_hooks_request_denied", "", "", map[string]string{"class_uid": "6001", "activity_id": "99", "status_id": "2"}},
		{"inference_hooks_request_failed_open", "", "", map[string]string{"class_uid": "6001", "activity_id": "99", "status_id": "1"}},
		{"claude_chat_viewed", "", `,"claude_chat_id":"claude_chat_01C","claude_project_id":"claude_proj_01P"`, map[string]string{
			"class_uid": "6001", "activity_id": "2", "web_resources.0.uid": "claude_chat_01C", "web_resources.0.type": "claude_chat",
			"unmapped.claude_project_id": "claude_proj_01P", "metadata.profiles.0": "host"}},
		{"claude_file_exported", "", `,"claude_file_id":"f1","filename":"x.pdf"`, map[string]string{"activity_id": "7", "web_resources.0.name": "x.pdf"}},
		{"claude_project_sharing_updated", "", "", map[string]string{"activity_id": "8"}},
		{"claude_chat_access_failed", "", "", map[string]string{"activity_id": "2", "status_id": "2"}},
		{"claude_chat_deletion_failed", "", "", map[string]string{"activity_id": "4", "status_id": "2"}},
		{"org_data_export_started", "", "", map[string]string{"class_uid": "6001", "activity_id": "7", "status_id": "0"}},
		{"org_cowork_agent_enabled", "", `,"current_value":true,"previous_value":false`, map[string]string{"class_uid": "3004", "activity_id": "8",
			"entity.type": "org_cowork_agent", "entity.name": "org_cowork_agent", "unmapped.current_value": "true"}},
		{"quantum_widget_created", `{"type":"robot_actor","robot_id":"r2"}`, `,"widget":{"size":3}`, map[string]string{
			"class_uid": "0", "category_uid": "0", "activity_id": "99", "type_uid": "99", "activity_name": "quantum_widget_created",
			"unmapped.widget.size": "3", "unmapped.actor.type": "robot_actor", "unmapped.actor.robot_id": "r2"}},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			m := mapOne(t, activityJSON(tc.typ, tc.actor, tc.fields))
			for path, want := range tc.want {
				if got := get(m, path); fmt.Sprint(got) != want {
					t.Errorf("%s = %v, want %s", path, got, want)
				}
			}
		})
	}
}

// TestActorVariants checks §4.2 for every documented variant: where the
// actor's ids, ip and user agent go, and that what has no home is kept.
func TestActorVariants(t *testing.T) {
	for _, tc := range []struct {
		variant string
		want    map[string]string
	}{
		{feed.ActorUser, map[string]string{"actor.user.uid": "user_01Alice", "actor.user.email_addr": "alice@example.com",
			"actor.user.type_id": "1", "src_endpoint.ip": "192.0.2.10", "http_request.user_agent": "Mozilla/5.0 (X11)"}},
		{feed.ActorAPI, map[string]string{"actor.app_uid": "apikey_01Key", "actor.user": "<nil>"}},
		{feed.ActorAdminAPIKey, map[string]string{"actor.app_uid": "apikey_01Admin"}},
		{feed.ActorUnauthenticatedUser, map[string]string{"actor.user.name": "mallory@example.com", "actor.user.uid": "<nil>"}},
		{feed.ActorAnthropic, map[string]string{"actor.user.name": "Anthropic", "actor.user.type_id": "99", "actor.user.type": "anthropic_actor"}},
		{feed.ActorSCIM, map[string]string{"actor.app_uid": "directory_01Okta", "actor.idp.name": "OktaSCIMV2",
			"unmapped.actor.workos_event_id": "event_01W"}},
		{feed.ActorSystem, map[string]string{"actor.app_uid": "system"}},
		{feed.ActorServiceAccount, map[string]string{"actor.user.uid": "svac_01Bot", "actor.user.type_id": "4"}},
		{feed.ActorFederatedIdentity, map[string]string{"actor.user.uid": "sub-123", "actor.idp.uid": "https://issuer.example.com",
			"unmapped.actor.audience.0": "claude", "src_endpoint.ip": "2001:db8::1"}},
		{feed.ActorFederated, map[string]string{"actor": "<nil>", "unmapped.actor.provider.type": "aws",
			"unmapped.actor.provider.account_id": "123456789012"}},
		{feed.ActorAttestedDevice, map[string]string{"actor.app_uid": "client_01Phone", "unmapped.actor.kid_hash": "abc123"}},
	} {
		t.Run(tc.variant, func(t *testing.T) {
			m := mapOne(t, activityJSON("api_key_created", actorJSON[tc.variant], `,"api_key_id":"apikey_01N"`))
			if got := get(m, "unmapped.actor.type"); got != tc.variant {
				t.Errorf("unmapped.actor.type = %v", got)
			}
			for path, want := range tc.want {
				if got := get(m, path); fmt.Sprint(got) != want {
					t.Errorf("%s = %v, want %s", path, got, want)
				}
			}
		})
	}
}

// TestHostileStrings: control characters, escapes in names, invalid
// UTF-8 and a huge user agent stay valid JSON and keep their values.
func TestHostileStrings(t *testing.T) {
	huge := strings.Repeat("Mozilla/5.0 \\u001b[31m ", 50000)
	raw := `{"id":"activity_01Hostile","created_at":"2026-11-30T12:34:56Z","organization_id":"org_\u0000x",` +
		`"organization_uuid":"u\"\\1","type":"claude_chat_viewed",` +
		`"actor":{"type":"user_actor","user_id":"user_\u001b]0;pwned\u0007","email_address":"a\u202e@example.com",` +
		`"ip_address":"192.0.2.1","user_agent":"` + huge + `","we\"ird\u0001key":"\ud800"},` +
		`"claude_chat_id":"claude_chat_\u2028\u2029","na\\me\n":"x","\u00e9t\u00e9":"` + "\xff\xfe" + `"}`
	var a feed.Activity
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		t.Fatal(err)
	}
	b := Marshal(a, time.Time{})
	if !json.Valid(b) || !utf8.Valid(b) {
		t.Fatalf("invalid JSON or UTF-8: %.300s", b)
	}
	if _, err := testSchema(t).validate(b); err != nil {
		t.Fatal(err)
	}
	var want, got map[string]any
	_ = json.Unmarshal(a.Raw, &want)
	_ = json.Unmarshal(b, &got)
	act := want["actor"].(map[string]any)
	m := map[string]any{}
	_ = json.Unmarshal(b, &m)
	for path, v := range map[string]any{
		"actor.user.uid":                act["user_id"],
		"http_request.user_agent":       act["user_agent"],
		"metadata.tenant_uid":           want["organization_uuid"],
		"web_resources.0.uid":           want["claude_chat_id"],
		"unmapped.organization_id":      want["organization_id"],
		"unmapped.actor.we\"ird\x01key": act["we\"ird\x01key"],
		"unmapped.na\\me\n":             want["na\\me\n"],
		"unmapped.été":                  want["été"],
		"actor.user.email_addr":         act["email_address"],
		"metadata.uid":                  "activity_01Hostile",
	} {
		if g := get(got, path); g != v {
			t.Errorf("%q = %.80q, want %.80q", path, g, v)
		}
	}
}

// TestCorruptRaw: raw JSON that is not an object still gives one valid
// Base Event naming the activity, with the bytes in raw_data.
func TestCorruptRaw(t *testing.T) {
	at := time.Date(2026, 11, 30, 1, 2, 3, 0, time.UTC)
	for _, raw := range []string{`null`, `[1]`, `"x"`, ``, `{"id":`, "{\"ua\":\"\x1b[31m\"}", "{\"a\":\n", "{\"a\":\"\xff\"} trailing"} {
		b := Marshal(feed.Activity{ID: "activity_01Bad", Type: "claude_chat_viewed", CreatedAt: at, Raw: json.RawMessage(raw)}, at)
		if _, err := testSchema(t).validate(b); err != nil {
			t.Fatalf("%q: %v\n%s", raw, err, b)
		}
		m := decodeEvent(t, b)
		if get(m, "class_uid") != "0" || get(m, "metadata.uid") != "activity_01Bad" || get(m, "time") != fmt.Sprint(at.UnixMilli()) ||
			get(m, "activity_name") != "claude_chat_viewed" {
			t.Errorf("%q: %s", raw, b)
		}
		if want := strings.ToValidUTF8(raw, "\ufffd"); get(m, "raw_data") != want {
			t.Errorf("%q: raw_data %q", raw, get(m, "raw_data"))
		}
	}
}

// TestPrettyPrinted: an activity the server sent indented maps to the same
// one-line event as its compact form.
func TestPrettyPrinted(t *testing.T) {
	a := synthetic(t, "platform_api_key_updated", feed.ActorUser, 1)
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, a.Raw, "", "  "); err != nil {
		t.Fatal(err)
	}
	p := a
	p.Raw = pretty.Bytes()
	want, got := Marshal(a, time.Time{}), Marshal(p, time.Time{})
	if !bytes.Equal(got, want) || bytes.ContainsAny(got, "\r\n") {
		t.Fatalf("pretty input gave\n%s\nwant\n%s", got, want)
	}
}

// TestEncoderReuse: an Encoder reused across activities writes exactly
// what a fresh one writes (no state leaks from one event to the next), and
// appends after what dst holds.
func TestEncoderReuse(t *testing.T) {
	acts := sim.New(sim.Config{Events: 500}).Activities()
	var e Encoder
	buf := []byte("prefix\n")
	for _, a := range acts {
		fresh := Marshal(a, time.Time{})
		start := len(buf)
		buf = e.Append(buf, a, time.Time{})
		if !bytes.Equal(buf[start:], fresh) {
			t.Fatalf("%s: reused encoder wrote\n%s\nfresh wrote\n%s", a.ID, buf[start:], fresh)
		}
	}
	if !bytes.HasPrefix(buf, []byte("prefix\n")) {
		t.Error("dst was overwritten")
	}
}

// TestRedacted: a redacted activity maps to an event without the e-mails,
// ips, user agents and ids it had, and with their masks.
func TestRedacted(t *testing.T) {
	red := feed.NewRedactor([]byte("salt"))
	a := synthetic(t, "org_user_deleted", feed.ActorUser, 1)
	a = red.Activity(feed.Activity{ID: a.ID, CreatedAt: a.CreatedAt, Type: a.Type, Actor: a.Actor, Raw: json.RawMessage(
		strings.Replace(string(a.Raw), `"deleted_user_email":"deleted_user_email_01Value"`, `"deleted_user_email":"bob@example.com"`, 1))})
	b := Marshal(a, time.Time{})
	if _, err := testSchema(t).validate(b); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"alice@example.com", "bob@example.com", "192.0.2.10", "Mozilla/5.0 (X11)", "user_01Alice"} {
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("redacted event contains %q:\n%s", secret, b)
		}
	}
	for _, mask := range []string{red.Field("email_address", "alice@example.com"), red.Field("ip_address", "192.0.2.10"),
		red.Field("email", "bob@example.com")} {
		if !bytes.Contains(b, []byte(mask)) {
			t.Errorf("redacted event lacks the mask %q:\n%s", mask, b)
		}
	}
	if !bytes.Contains(b, []byte(a.ID)) {
		t.Error("activity id lost (ids of events are kept)")
	}
}
