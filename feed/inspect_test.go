package feed

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

// examplePages decodes the contract's example pages (copied from
// shared/api/examples into testdata) into activities keyed by id.
func examplePages(t *testing.T) map[string]Activity {
	t.Helper()
	out := map[string]Activity{}
	for _, name := range []string{"page-mixed.json", "page-final.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "examples", name))
		if err != nil {
			t.Fatal(err)
		}
		var page struct{ Data []Activity }
		if err := json.Unmarshal(b, &page); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, a := range page.Data {
			out[a.ID] = a
		}
	}
	if len(out) != 13 {
		t.Fatalf("decoded %d example activities, want 13", len(out))
	}
	return out
}

func activity(t *testing.T, raw string) Activity {
	t.Helper()
	var a Activity
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return a
}

const exID = "activity_01EXAMPLEFEED00000000"

func TestExamplesInspection(t *testing.T) {
	acts := examplePages(t)
	tests := []struct {
		id       string
		label    string
		actorID  string
		targets  []string
		mentions []KeyMention
		summary  string
	}{
		{"120", "key apikey_01EXAMPLETUIKEY000000001", "apikey_01EXAMPLETUIKEY000000001", nil,
			[]KeyMention{{"apikey_01EXAMPLETUIKEY000000001", "actor.api_key_id", true}},
			"GET /v1/compliance/activities → 200"},
		{"119", "alice.admin@example.com", "user_01ALICE00000000000000001", []string{"apikey_01EXAMPLEOLDSIEM00000003"},
			[]KeyMention{{"apikey_01EXAMPLEOLDSIEM00000003", "api_key_id", false}},
			"deleted apikey_01EXAMPLEOLDSIEM00000003"},
		{"118", "alice.admin@example.com", "user_01ALICE00000000000000001", []string{"apikey_01EXAMPLENEWSIEM00000004"},
			[]KeyMention{{"apikey_01EXAMPLENEWSIEM00000004", "api_key_id", false}},
			"created apikey_01EXAMPLENEWSIEM00000004"},
		{"117", "admin key adminkey_01EXAMPLE000000000000007", "adminkey_01EXAMPLE000000000000007", []string{"apikey_01EXAMPLECONSOLE00000042"},
			[]KeyMention{{"adminkey_01EXAMPLE000000000000007", "actor.admin_api_key_id", true}, {"apikey_01EXAMPLECONSOLE00000042", "api_key_id", false}},
			"key deactivated"},
		{"116", "bob.dev@example.com", "user_01BOB0000000000000000001", []string{"apikey_01EXAMPLECONSOLE00000043"},
			[]KeyMention{{"apikey_01EXAMPLECONSOLE00000043", "api_key_id", false}},
			"created apikey_01EXAMPLECONSOLE00000043"},
		{"115", "carol.new@example.com", "", nil, nil, "SSO sign-in flow started"},
		{"114", "SCIM (OktaSCIMV2)", "directory_01EXAMPLEDIRECTORY000001", []string{"user_01CAROL00000000000000001"}, nil,
			"created user_01CAROL00000000000000001"},
		{"113", "Anthropic", "", []string{"claude_published_artifact_01EXAMPLE000000000000009"}, nil,
			"deleted claude_published_artifact_01EXAMPLE000000000000009"},
		{"112", "system: example-retention-sweeper", "", []string{"claude_chat_01EXAMPLE000000000000021"}, nil,
			"deleted claude_chat_01EXAMPLE000000000000021"},
		{"111", "admin key adminkey_01EXAMPLE000000000000007", "adminkey_01EXAMPLE000000000000007", nil,
			[]KeyMention{{"adminkey_01EXAMPLE000000000000007", "actor.admin_api_key_id", true}},
			"Invitation to join the org sent"},
		{"003", "alice.admin@example.com", "user_01ALICE00000000000000001", []string{"adminkey_01EXAMPLE000000000000002"},
			[]KeyMention{{"adminkey_01EXAMPLE000000000000002", "admin_api_key_id", false}},
			"deleted adminkey_01EXAMPLE000000000000002"},
		{"002", "alice.admin@example.com", "user_01ALICE00000000000000001", nil, nil, "User signed in via SSO"},
		{"001", "alice.admin@example.com", "", nil, nil, "SSO sign-in flow started"},
	}
	for _, tt := range tests {
		a, ok := acts[exID+tt.id]
		if !ok {
			t.Fatalf("example %s missing", tt.id)
		}
		if got := a.Actor.Label(); got != tt.label {
			t.Errorf("%s Label = %q, want %q", tt.id, got, tt.label)
		}
		if got := a.Actor.ID(); got != tt.actorID {
			t.Errorf("%s Actor.ID = %q, want %q", tt.id, got, tt.actorID)
		}
		if got := a.Targets(); !reflect.DeepEqual(got, tt.targets) {
			t.Errorf("%s Targets = %q, want %q", tt.id, got, tt.targets)
		}
		if got := a.KeyMentions(); !reflect.DeepEqual(got, tt.mentions) {
			t.Errorf("%s KeyMentions = %+v, want %+v", tt.id, got, tt.mentions)
		}
		if got := a.Summary(); got != tt.summary {
			t.Errorf("%s Summary = %q, want %q", tt.id, got, tt.summary)
		}
	}

	call := acts[exID+"120"]
	if got := call.StringField("request_method"); got != "GET" {
		t.Errorf("StringField(request_method) = %q", got)
	}
	if got := string(call.Field("status_code")); got != "200" {
		t.Errorf("Field(status_code) = %q", got)
	}
	for _, name := range []string{"request_body", "status_code", "missing", "actor"} {
		if got := call.StringField(name); got != "" {
			t.Errorf("StringField(%s) = %q, want empty (null, number, absent, object)", name, got)
		}
	}
	if got := call.Field("request_body"); string(got) != "null" {
		t.Errorf("Field(request_body) = %q, want null", got)
	}
	if got := call.Field("missing"); got != nil {
		t.Errorf("Field(missing) = %q, want nil", got)
	}

	upd := acts[exID+"117"]
	ups := upd.Updates()
	if len(ups) != 1 || ups[0].Type != "status" || ups[0].String() != "status: active → inactive" {
		t.Errorf("Updates = %+v", ups)
	}
	if call.Updates() != nil {
		t.Error("Updates of an event without updates[] is not nil")
	}
}

func TestActorLabelAndID(t *testing.T) {
	tests := []struct {
		actor, label, id string
	}{
		{`{"type":"user_actor","email_address":"a@example.com","user_id":"user_1","ip_address":"192.0.2.1","user_agent":"x"}`, "a@example.com", "user_1"},
		{`{"type":"user_actor","user_id":"user_1"}`, "user_1", "user_1"},
		{`{"type":"api_actor","api_key_id":"apikey_1"}`, "key apikey_1", "apikey_1"},
		{`{"type":"api_actor"}`, "API key", ""},
		{`{"type":"admin_api_key_actor","admin_api_key_id":"adminkey_1"}`, "admin key adminkey_1", "adminkey_1"},
		{`{"type":"unauthenticated_user_actor","unauthenticated_email_address":"who@example.com"}`, "who@example.com", ""},
		{`{"type":"unauthenticated_user_actor","unauthenticated_email_address":null}`, "unauthenticated", ""},
		{`{"type":"anthropic_actor","email_address":null}`, "Anthropic", ""},
		{`{"type":"scim_directory_sync_actor","directory_id":"directory_1","workos_event_id":"e","idp_connection_type":"AzureSCIMV2"}`, "SCIM (AzureSCIMV2)", "directory_1"},
		{`{"type":"scim_directory_sync_actor","directory_id":"directory_1","workos_event_id":"e","idp_connection_type":null}`, "SCIM", "directory_1"},
		{`{"type":"system_actor","service":"sweeper"}`, "system: sweeper", ""},
		{`{"type":"system_actor","service":null}`, "system", ""},
		{`{"type":"service_account_actor","service_account_id":"svac_1"}`, "service account svac_1", "svac_1"},
		{`{"type":"federated_identity_actor","issuer":"https://token.example","subject":"repo:o/r","audience":["a"]}`, "federated https://token.example/repo:o/r", "repo:o/r"},
		{`{"type":"federated_identity_actor","issuer":"https://token.example","subject":""}`, "federated https://token.example", ""},
		{`{"type":"federated_actor","provider":{"type":"aws","account_id":"123","signed_principal":"arn:aws:iam::123:role/x"},"subject":null}`, "federated aws arn:aws:iam::123:role/x", ""},
		{`{"type":"federated_actor","provider":{"type":"gcp","project_number":"42"}}`, "federated gcp 42", ""},
		{`{"type":"federated_actor","provider":{"type":"azure","subscription_id":"sub"}}`, "federated azure sub", ""},
		{`{"type":"federated_actor","provider":{"type":"oidc","issuer":null}}`, "federated oidc", ""},
		{`{"type":"federated_actor","provider":{"type":"oidc","issuer":"https://i"},"subject":"svc"}`, "federated svc", "svc"},
		{`{"type":"federated_actor"}`, "federated", ""},
		{`{"type":"attested_device_actor","external_client_id":"ios-1","kid_hash":"h"}`, "device ios-1", "ios-1"},
		{`{"type":"robot_actor","user_id":"user_9"}`, "robot_actor", "user_9"},
		{`{"type":"robot_actor"}`, "robot_actor", ""},
		{`{}`, "unknown actor", ""},
	}
	for _, tt := range tests {
		var a Actor
		if err := json.Unmarshal([]byte(tt.actor), &a); err != nil {
			t.Fatalf("%s: %v", tt.actor, err)
		}
		if got := a.Label(); got != tt.label {
			t.Errorf("%s Label = %q, want %q", tt.actor, got, tt.label)
		}
		if got := a.ID(); got != tt.id {
			t.Errorf("%s ID = %q, want %q", tt.actor, got, tt.id)
		}
	}
}

func TestFieldEdgeCases(t *testing.T) {
	a := activity(t, `{"id":"a","type":"t","name":"first","name":"second","n":1.5,"s":"x\u001by"}`)
	if got := a.StringField("name"); got != "second" {
		t.Errorf("duplicate key: %q, want the last (as encoding/json)", got)
	}
	if got := a.StringField("s"); got != "x\x1by" {
		t.Errorf("escapes not decoded: %q", got)
	}
	if got := string(a.Field("n")); got != "1.5" {
		t.Errorf("Field(n) = %q", got)
	}
	// Raw that is not an object (hand-made) yields nothing rather than panicking.
	for _, raw := range []string{"", "[1]", "null", `"a"`, `{"a":`, `{1:2}`} {
		b := Activity{Raw: json.RawMessage(raw)}
		if got := b.Field("a"); got != nil {
			t.Errorf("%q Field = %q", raw, got)
		}
		_ = b.Targets()
		_ = b.KeyMentions()
		_ = b.Summary()
		_ = b.Updates()
	}
}

func TestUpdatesAndString(t *testing.T) {
	a := activity(t, `{"id":"a","type":"claude_organization_settings_updated","updates":[
		{"type":"name","previous_value":"old","current_value":"new"},
		{"type":"geo","previous_value":["us","eu"],"current_value":{"a": 1}},
		{"type":"flag","previous_value":null,"current_value":true},
		{"type":"blank","previous_value":"","current_value":"x"},
		{"type":"absent"},
		{"type":5},
		"garbage",
		{"previous_value":"no type"}
	]}`)
	ups := a.Updates()
	var got []string
	for _, u := range ups {
		got = append(got, u.String())
	}
	want := []string{
		"name: old → new",
		`geo: ["us","eu"] → {"a":1}`,
		"flag: null → true",
		`blank: "" → x`,
		"absent: null → null",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Update strings =\n%q\nwant\n%q", got, want)
	}
	if got, want := a.Summary(), `renamed "old" → "new"; geo: ["us","eu"] → {"a":1}; flag: null → true; blank: "" → x; absent: null → null`; got != want {
		t.Errorf("Summary = %q\nwant      %q", got, want)
	}
	if a := activity(t, `{"id":"a","type":"x","updates":{"not":"an array"}}`); a.Updates() != nil {
		t.Error("non-array updates decoded")
	}
}

func TestSummaryKeys(t *testing.T) {
	tests := []struct{ raw, want string }{
		{`{"type":"scoped_api_key_updated","api_key_id":"apikey_1","updates":[{"type":"activation_state","previous_value":"active","current_value":"inactive"}]}`, "key deactivated"},
		{`{"type":"scoped_api_key_updated","api_key_id":"apikey_1","updates":[{"type":"activation_state","previous_value":"inactive","current_value":"active"}]}`, "key activated"},
		{`{"type":"scoped_api_key_updated","api_key_id":"apikey_1","updates":[{"type":"name","previous_value":"a","current_value":"b"}]}`, `renamed "a" → "b"`},
		{`{"type":"admin_api_key_updated","admin_api_key_id":"k","updates":[{"type":"status","previous_value":"active","current_value":"archived"}]}`, "key deactivated"},
		{`{"type":"platform_api_key_updated","api_key_id":"k","updates":[{"type":"workspace","previous_value":"wrkspc_1","current_value":"wrkspc_2"}]}`, "workspace: wrkspc_1 → wrkspc_2"},
		// status on something that is not a key is just a change
		{`{"type":"platform_oauth_app_updated","oauth_app_id":"o","updates":[{"type":"status","previous_value":"active","current_value":"inactive"}]}`, "status: active → inactive"},
		{`{"type":"service_key_revoked","service_name":"s","service_key_id":"sk_1"}`, "revoked sk_1"},
		{`{"type":"platform_signing_key_rotated","old_signing_key_id":"a","new_signing_key_id":"b"}`, "In-memory request-signing key rotated"},
		{`{"type":"compliance_api_accessed","request_method":"POST","url":"https://api.example/v1/x?y=1","status_code":403}`, "POST /v1/x → 403"},
		{`{"type":"compliance_api_accessed"}`, "A Compliance API request was made (auto-logged per request)"},
		{`{"type":"totally_new_thing_created"}`, "totally_new_thing_created"},
		{`{"type":"totally_new_thing_created","widget_id":"w_1"}`, "created w_1"},
	}
	for _, tt := range tests {
		if got := activity(t, tt.raw).Summary(); got != tt.want {
			t.Errorf("%s\nSummary = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

func TestTargetsAndKeyMentions(t *testing.T) {
	a := activity(t, `{"id":"activity_1","organization_id":"org_1","organization_uuid":"u","type":"x",
		"actor":{"type":"api_actor","api_key_id":"apikey_actor"},
		"request_id":"req_1",
		"claude_project_id":"claude_proj_1",
		"member_ids":["user_1","user_2",null,5,"user_1"],
		"claude_chat_id":null,
		"user_id":"user_2",
		"service_key_id":"svckey_1",
		"old_signing_key_id":"sig_1",
		"external_key_ids":["ext_1"],
		"api_key_id":"apikey_actor",
		"scopes":["a"],
		"key_name":"not an id",
		"github_app_id":12}`)
	if got, want := a.Targets(), []string{"claude_proj_1", "user_1", "user_2", "svckey_1", "sig_1", "ext_1", "apikey_actor"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Targets = %q, want %q", got, want)
	}
	want := []KeyMention{
		{"apikey_actor", "actor.api_key_id", true},
		{"svckey_1", "service_key_id", false},
		{"sig_1", "old_signing_key_id", false},
		{"ext_1", "external_key_ids", false},
		{"apikey_actor", "api_key_id", false},
	}
	if got := a.KeyMentions(); !reflect.DeepEqual(got, want) {
		t.Errorf("KeyMentions = %+v\nwant %+v", got, want)
	}
}

// TestInspectionOverCatalogue builds one activity per catalogued type with
// every field that names an id and checks that each *_key_id field is a key
// mention and each *_id string field a target.
func TestInspectionOverCatalogue(t *testing.T) {
	c := Catalogue()
	checked := 0
	for _, name := range c.Names() {
		ti, _ := c.Lookup(name)
		obj := map[string]any{"id": "activity_x", "type": name, "actor": map[string]any{"type": "user_actor", "user_id": "user_a"}}
		var wantKeys, wantTargets int
		for _, f := range ti.Fields {
			if len(f.Name) > 3 && f.Name[len(f.Name)-3:] == "_id" && f.Name != "request_id" {
				obj[f.Name] = "v_" + f.Name
				wantTargets++
				if len(f.Name) >= 6 && f.Name[len(f.Name)-6:] == "key_id" {
					wantKeys++
				}
			}
		}
		raw, _ := json.Marshal(obj)
		a := activity(t, string(raw))
		if got := len(a.Targets()); got != wantTargets {
			t.Errorf("%s: %d targets, want %d", name, got, wantTargets)
		}
		if got := len(a.KeyMentions()); got != wantKeys {
			t.Errorf("%s: %d key mentions, want %d", name, got, wantKeys)
		}
		if a.Summary() == "" {
			t.Errorf("%s: empty summary", name)
		}
		checked += wantKeys
	}
	if checked < 10 {
		t.Errorf("only %d key fields in the catalogue; the check is not exercising anything", checked)
	}
}

// BenchmarkInspect measures what the table and the reference index do per
// row: targets, key mentions and the summary line.
func BenchmarkInspect(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("testdata", "examples", "page-mixed.json"))
	if err != nil {
		b.Fatal(err)
	}
	var page struct{ Data []Activity }
	if err := json.Unmarshal(raw, &page); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	rows := 0
	for b.Loop() {
		for _, a := range page.Data {
			_ = a.Targets()
			_ = a.KeyMentions()
			_ = a.Summary()
			rows++
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// FuzzFields checks the top-level scanner against encoding/json: for every
// valid JSON object the members, their order and their raw values agree,
// and on any input it neither panics nor reads outside the buffer.
func FuzzFields(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"a":1}`, `{"a" : "x\"}" , "b":[1,{"c":"]"}], "a":null}`, `{"k\u0041":true,"n":-1.5e3}`,
		` { "u": {"v": [[], {}]}, "s": "\\" } `, `{"a":`, `{"a":1,`, `[1]`, `"x"`, `{"a"1}`, `{"a":}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		a := Activity{Raw: raw}
		var got []string
		a.eachField(func(name string, value []byte) bool {
			got = append(got, name, string(value))
			return true
		})
		_, _, _ = a.Targets(), a.KeyMentions(), a.Summary()
		if !json.Valid(raw) {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			if len(got) != 0 {
				t.Fatalf("non-object %q yielded %q", raw, got)
			}
			return
		}
		var want []string
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				t.Fatal(err)
			}
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			want = append(want, tok.(string), string(v))
		}
		if !slices.Equal(got, want) {
			t.Fatalf("eachField(%q) =\n %q\nwant\n %q", raw, got, want)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		for k, v := range m {
			if got := a.Field(k); !bytes.Equal(got, v) {
				t.Fatalf("Field(%q) = %q, want %q", k, got, v)
			}
		}
	})
}
