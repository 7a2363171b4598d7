package feed

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDecodePageStringsOwnTheirMemory decodes a page, overwrites the
// response buffer and checks every decoded field is unchanged: only Raw
// (documented) is a view of the buffer; the strings are the activity's
// own, so a caller may keep them after the buffer is gone or reused.
func TestDecodePageStringsOwnTheirMemory(t *testing.T) {
	var body bytes.Buffer
	body.WriteString(`{"data":[`)
	for i, raw := range examplePageActivities(t, "testdata/examples/page-mixed.json") {
		if i > 0 {
			body.WriteByte(',')
		}
		body.Write(raw)
	}
	// escaped strings, unquoted into the activity's own string
	body.WriteString(`,{"id":"activity_\u0041","type":"t\"","created_at":"2026-01-01T00:00:00Z",` +
		`"actor":{"type":"user_actor","email_address":"\u00e9@example.com","user_agent":"a\\b"}}`)
	body.WriteString(`],"first_id":"c_\u0031","last_id":"c_last","has_more":true}`)
	buf := bytes.Clone(body.Bytes())
	got, err := decodePage(buf, 1000)
	if err != nil {
		t.Fatal(err)
	}
	want, err := decodePage(body.Bytes(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	for i := range buf {
		buf[i] = 'x'
	}
	if got.FirstID != "c_1" || got.FirstID != want.FirstID || got.LastID != want.LastID {
		t.Fatalf("cursors %q %q, want %q %q", got.FirstID, got.LastID, want.FirstID, want.LastID)
	}
	if len(got.Data) != len(want.Data) {
		t.Fatalf("%d activities, want %d", len(got.Data), len(want.Data))
	}
	for i := range got.Data {
		g, w := got.Data[i], want.Data[i]
		g.Raw, g.Actor.Raw, w.Raw, w.Actor.Raw = nil, nil, nil, nil
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("activity %d changed with the buffer:\n got %+v\nwant %+v", i, g, w)
		}
	}
	if last := want.Data[len(want.Data)-1]; last.ID != "activity_A" || last.Actor.EmailAddress != "é@example.com" || last.Actor.UserAgent != `a\b` {
		t.Fatalf("escaped activity = %+v", last)
	}
}

// examplePageActivities returns the raw activities of an example page.
func examplePageActivities(t *testing.T, name string) []json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var page struct{ Data []json.RawMessage }
	if err := json.Unmarshal(b, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Data) == 0 {
		t.Fatalf("%s has no activities", name)
	}
	return page.Data
}

// refDecodePage decodes an envelope with encoding/json and the reference
// activity decoder.
func refDecodePage(body []byte) (*Page, error) {
	var env struct {
		Data    []json.RawMessage `json:"data"`
		HasMore bool              `json:"has_more"`
		FirstID *string           `json:"first_id"`
		LastID  *string           `json:"last_id"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, err
	}
	p := &Page{HasMore: env.HasMore, Data: []Activity{}}
	if env.FirstID != nil {
		p.FirstID = *env.FirstID
	}
	if env.LastID != nil {
		p.LastID = *env.LastID
	}
	for _, raw := range env.Data {
		a, err := stdlibActivity(raw)
		if err != nil {
			return nil, err
		}
		p.Data = append(p.Data, a)
	}
	return p, nil
}

// ---- sample data ---------------------------------------------------------

// sampleActivities covers every actor variant, unknown types and actors,
// escapes, hostile text, invalid UTF-8, null and missing common fields and

// the timestamp forms the contract allows.
func sampleActivities() []string {
	return []string{
		`{"id":"activity_01A","created_at":"2026-09-15T14:02:31Z","organization_id":null,"organization_uuid":null,"actor":{"type":"api_actor","api_key_id":"apikey_01X","ip_address":"198.51.100.20","user_agent":"compliance-tui/0.1"},"type":"compliance_api_accessed","request_id":"req_1","request_method":"GET","status_code":200,"url":"https://api.anthropic.com/v1/compliance/activities?limit=10","request_body":null}`,
		`{"id":"activity_01B","created_at":"2026-09-15T14:01:58.117Z","organization_id":"org_01","organization_uuid":"11111111-2222-4333-8444-000000000001","actor":{"type":"user_actor","email_address":"alice@example.com","user_id":"user_01A","ip_address":"192.0.2.10","user_agent":"Mozilla/5.0"},"type":"scoped_api_key_updated","api_key_id":"apikey_02","updates":[{"type":"activation_state","previous_value":"active","current_value":"inactive"}]}`,
		`{ "id" : "activity_01C" , "created_at" : "2026-09-15T13:58:40+02:00" , "organization_id" : "org_02" , "organization_uuid" : "u2" , "actor" : { "type" : "admin_api_key_actor" , "admin_api_key_id" : "adminkey_7" , "ip_address" : "198.51.100.77" , "user_agent" : "terraform/1.4" } , "type" : "platform_api_key_updated" }`,
		`{"id":"activity_01D","created_at":"2026-09-15T13:55:19.123456789Z","organization_id":null,"organization_uuid":null,"actor":{"type":"unauthenticated_user_actor","unauthenticated_email_address":null,"ip_address":"192.0.2.130","user_agent":"Firefox"},"type":"sso_login_initiated"}`,
		`{"id":"activity_01E","created_at":"2026-09-15T13:54:02Z","organization_id":"org_01","organization_uuid":"u1","actor":{"type":"scim_directory_sync_actor","directory_id":"directory_1","workos_event_id":"event_1","idp_connection_type":"OktaSCIMV2"},"type":"scim_user_created","user_id":"user_01C"}`,
		`{"id":"activity_01F","created_at":"2026-09-15T13:50:47Z","organization_id":"org_01","organization_uuid":"u1","actor":{"type":"anthropic_actor","email_address":null},"type":"claude_published_artifact_deleted"}`,
		`{"id":"activity_01G","created_at":"2026-09-15T13:50:47Z","organization_id":"org_01","organization_uuid":"u1","actor":{"type":"system_actor","service":"sweeper"},"type":"claude_chat_deleted","claude_project_id":null}`,
		`{"id":"activity_01H","created_at":"2026-02-28T23:59:59.5Z","actor":{"type":"service_account_actor","service_account_id":"svac_1","ip_address":"10.0.0.1","user_agent":"sa"},"type":"platform_api_key_created"}`,
		`{"id":"activity_01I","created_at":"2024-02-29T00:00:00Z","actor":{"type":"federated_identity_actor","issuer":"https://idp.example.com","subject":"wl-1","audience":["a","b"],"ip_address":null,"user_agent":null},"type":"platform_dream_created"}`,
		`{"id":"activity_01J","created_at":"2026-01-01T00:00:00Z","actor":{"type":"federated_actor","provider":{"type":"aws","account_id":"123","signed_principal":"arn:aws:iam::123:role/x"},"subject":null},"type":"org_settings_updated"}`,
		`{"id":"activity_01K","created_at":"2026-01-01T00:00:00Z","actor":{"type":"federated_actor","provider":{"type":"oidc","issuer":null}},"type":"org_settings_updated"}`,
		`{"id":"activity_01L","created_at":"2026-01-01T00:00:00Z","actor":{"type":"attested_device_actor","external_client_id":"client_1","kid_hash":"abc"},"type":"claude_chat_viewed"}`,
		`{"id":"activity_01M","created_at":"2026-01-01T00:00:00Z","actor":{"type":"robot_actor","serial":"R2D2","nested":{"deep":[1,2.5e3,-0.1,true,false,null,{}]}},"type":"quantum_widget_created","extra":{"a":[[]]}}`,
		`{"id":"activity_01N","created_at":"2026-01-01T00:00:00Z","actor":{"type":"user_actor","email_address":"ev\u0069l\u001b[2J@example.com","user_id":"user_\"quoted\"","ip_address":"::1","user_agent":"\u001b]52;c;ZXZpbA==\u0007 \u009b31m \u202etxt.exe \u200b \ud83d\ude00 \\ \/ \b\f\n\r\t"},"type":"claude_chat_viewed"}`,
		"{\"id\":\"activity_01O\",\"created_at\":\"2026-01-01T00:00:00Z\",\"actor\":{\"type\":\"user_actor\",\"email_address\":\"bad\xffutf8\xc3@example.com\",\"user_agent\":\"héllo wörld ✓ 日本\"},\"type\":\"claude_chat_viewed\"}",
		`{"id":"activity_01P","type":"no_time_no_actor"}`,
		`{"id":null,"created_at":null,"organization_id":null,"organization_uuid":null,"type":null,"actor":null}`,
		`{}`,
		`{"id":"activity_01Q","created_at":"","actor":{},"type":"x"}`,
		`{"id":"activity_01R","id":"activity_01R2","created_at":"2026-01-01T00:00:00Z","actor":{"type":"user_actor"},"actor":{"type":"api_actor","api_key_id":"k"},"type":"dup_keys"}`,
		`{"\u0069d":"activity_01S","created_at":"2026-01-01T00:00:00.1Z","type":"escaped_key","actor":{"\u0074ype":"user_actor"}}`,
		`{"id":"activity_01U","id":null,"type":"t","type":null,"created_at":"2026-01-01T00:00:00Z","created_at":null,"organization_id":"o","organization_id":null,"actor":{"type":"a","type":null,"user_id":"u","user_id":null,"audience":["x"],"audience":null}}`,
		`{"id":"activity_01T","created_at":"2026-01-01T00:00:00.000000000Z","type":"t","actor":{"type":"user_actor","audience":null,"provider":null}}`,
	}
}

func samplePage(acts []string, hasMore bool, first, last string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"data":[`)
	b.WriteString(strings.Join(acts, ",\n  "))
	b.WriteString(`],"has_more":`)
	b.WriteString(strconv.FormatBool(hasMore))
	for _, kv := range [][2]string{{"first_id", first}, {"last_id", last}} {
		b.WriteString(`,"` + kv[0] + `":`)
		if kv[1] == "" {
			b.WriteString("null")
		} else {
			b.WriteString(strconv.Quote(kv[1]))
		}
	}
	b.WriteString(`,"unknown_envelope_field":{"x":[1,2]}}`)
	return b.Bytes()
}

// ---- decoder tests -----------------------------------------------------------

func TestUnmarshalActivityMatchesReference(t *testing.T) {
	for i, s := range sampleActivities() {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			want, werr := stdlibActivity([]byte(s))
			var got Activity
			gerr := json.Unmarshal([]byte(s), &got)
			if werr != nil || gerr != nil {
				t.Fatalf("errors: reference %v, fast %v", werr, gerr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("fast decode differs\n got %#v\nwant %#v", got, want)
			}
		})
	}
}

func TestDecodePageMatchesReference(t *testing.T) {
	acts := sampleActivities()
	body := samplePage(acts, true, "cursor_first+/=", "cursor_\\u00e9last")
	want, err := refDecodePage(body)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodePage(body, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Data) != len(acts) {
		t.Fatalf("got %d activities, want %d", len(got.Data), len(acts))
	}
	if !reflect.DeepEqual(got, want) {
		for i := range got.Data {
			if !reflect.DeepEqual(got.Data[i], want.Data[i]) {
				t.Errorf("activity %d differs\n got %#v\nwant %#v", i, got.Data[i], want.Data[i])
			}
		}
		t.Fatalf("page differs: got has_more=%v first=%q last=%q, want %v %q %q",
			got.HasMore, got.FirstID, got.LastID, want.HasMore, want.FirstID, want.LastID)
	}
	for i, a := range got.Data {
		if !bytes.Equal(a.Raw, []byte(acts[i])) {
			t.Errorf("activity %d: Raw is not the verbatim input", i)
		}
		if cap(a.Raw) != len(a.Raw) {
			t.Errorf("activity %d: Raw has spare capacity %d; an append would overwrite the next activity", i, cap(a.Raw)-len(a.Raw))
		}
	}
}

func TestDecodePageEnvelopes(t *testing.T) {
	tests := []struct {
		name, body      string
		n               int
		more            bool
		firstID, lastID string
	}{
		{"empty", `{"data":[],"has_more":false,"first_id":null,"last_id":null}`, 0, false, "", ""},
		{"null data", `{"data":null,"has_more":null}`, 0, false, "", ""},
		{"missing everything", `{}`, 0, false, "", ""},
		{"whitespace", " \n{ \"data\" : [ ] , \"has_more\" : true , \"first_id\" : \"a\" , \"last_id\" : \"b\" }\n ", 0, true, "a", "b"},
		{"one", `{"data":[{"id":"x"}],"has_more":true,"first_id":"x","last_id":"x"}`, 1, true, "x", "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := decodePage([]byte(tt.body), 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Data) != tt.n || p.Data == nil || p.HasMore != tt.more || p.FirstID != tt.firstID || p.LastID != tt.lastID {
				t.Errorf("got n=%d (nil=%v) more=%v first=%q last=%q", len(p.Data), p.Data == nil, p.HasMore, p.FirstID, p.LastID)
			}
		})
	}
}

func TestDecodePageRejectsBrokenBodies(t *testing.T) {
	body := samplePage(sampleActivities(), false, "a", "b")
	// Every proper prefix of a page is invalid: a truncated body must
	// never decode to a partial page.
	for i := range len(body) - 1 {
		cut := bytes.TrimRight(body[:i], " \n")
		if _, err := decodePage(cut, 10); err == nil {
			t.Fatalf("prefix of %d bytes decoded without error: %q", i, cut[max(0, len(cut)-40):])
		}
	}
	bad := []string{
		``, `[]`, `null`, `"x"`, `{"data":{}}`, `{"data":[1]}`, `{"data":[{"id":1}]}`,
		`{"data":[],"has_more":"yes"}`, `{"data":[],"first_id":5}`, `{"data":[]} {}`, `{"data":[]}x`,
		`{"data":[{"id":"a"},]}`, `{"data":[{"id":"a"}}`, `{"data":[{"id":"a" "type":"b"}]}`,
		`{"data":[{"created_at":"2026-13-01T00:00:00Z"}]}`, `{"data":[{"created_at":"yesterday"}]}`,
		`{"data":[{"actor":"me"}]}`, `{"data":[{"actor":{"type":7}}]}`, `{"data":[{"actor":{"audience":"x"}}]}`,
		`{"data":[{"x":01}]}`, `{"data":[{"x":1.}]}`, `{"data":[{"x":-}]}`, `{"data":[{"x":1e}]}`, `{"data":[{"x":tru}]}`,
		`{"data":[{"x":"\q"}]}`, `{"data":[{"x":"\u12"}]}`, "{\"data\":[{\"x\":\"a\x01b\"}]}", `{"data":[{"x":[1 2]}]}`,
		`{"data":[{"x":{"a" 1}}]}`, `{"data":[{"x":{1:2}}]}`, `{"data":[{"x":nul}]}`,
		strings.Repeat("[", maxDepth+5),
		`{"data":[{"x":` + strings.Repeat("[", maxDepth+5) + strings.Repeat("]", maxDepth+5) + `}]}`,
	}
	for _, b := range bad {
		if _, err := decodePage([]byte(b), 10); err == nil {
			t.Errorf("decodePage(%.60q) succeeded, want an error", b)
		}
		if _, refErr := refDecodePage([]byte(b)); refErr == nil && b != `null` && b != `[]` {
			// Sanity check of the table: the reference rejects them too,
			// except the top-level forms the envelope decoder is stricter
			// about.
			if !strings.Contains(b, `"has_more":"yes"`) && !strings.Contains(b, `"first_id":5`) {
				t.Logf("note: reference accepts %.60q", b)
			}
		}
	}
}

func TestUnmarshalActivityErrorsLikeReference(t *testing.T) {
	bad := []string{
		`5`, `"x"`, `[]`, `{`, `{"id":5}`, `{"created_at":"2024-01-01"}`, `{"created_at":5}`,
		`{"actor":[]}`, `{"actor":{"user_id":false}}`, `{"actor":{"provider":"aws"}}`,
		`{"organization_id":{}}`, `{"type":["a"]}`, `{} x`,
	}
	for _, b := range bad {
		_, werr := stdlibActivity([]byte(b))
		var a Activity
		gerr := a.UnmarshalJSON([]byte(b))
		if werr == nil || gerr == nil {
			t.Errorf("%q: reference err %v, fast err %v; want both to fail", b, werr, gerr)
		}
	}
	// null is a no-op value, not an error, as with encoding/json.
	var a Activity
	if err := a.UnmarshalJSON([]byte(`null`)); err != nil || a.ID != "" {
		t.Errorf("null: %v %+v", err, a)
	}
}

func TestUnmarshalActivityRawIsPrivate(t *testing.T) {
	in := []byte(sampleActivities()[1])
	orig := bytes.Clone(in)
	var a Activity
	if err := a.UnmarshalJSON(in); err != nil {
		t.Fatal(err)
	}
	for i := range in {
		in[i] = 'X'
	}
	if !bytes.Equal(a.Raw, orig) || a.ID != "activity_01B" || a.Actor.EmailAddress != "alice@example.com" {
		t.Fatalf("decoded activity changed with its input: %q %q", a.Raw, a.ID)
	}
	if !bytes.Contains(a.Raw, a.Actor.Raw) || cap(a.Actor.Raw) != len(a.Actor.Raw) {
		t.Fatalf("actor Raw should be the actor object inside the activity's Raw, capacity-capped")
	}
}

func TestActorUnmarshalJSON(t *testing.T) {
	in := `{"type":"federated_actor","provider":{"type":"gcp","project_number":"42"},"subject":"s","ip_address":"1.2.3.4"}`
	var got Actor
	if err := json.Unmarshal([]byte(in), &got); err != nil {
		t.Fatal(err)
	}
	want, err := stdlibActor([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}
	if err := json.Unmarshal([]byte(`{"type":1}`), &got); err == nil {
		t.Fatal("want an error for a numeric actor type")
	}
}

func TestParseRFC3339UTCAgreesWithTimeParse(t *testing.T) {
	cases := []string{
		"2026-09-15T14:02:31Z", "2026-09-15T14:02:31.1Z", "2026-09-15T14:02:31.123456789Z",
		"2026-09-15T14:02:31.1234567891Z", "2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z",
		"2026-04-31T00:00:00Z", "2026-12-31T23:59:59Z", "2026-12-31T24:00:00Z", "2026-12-31T23:60:00Z",
		"2026-12-31T23:59:60Z", "2026-00-01T00:00:00Z", "2026-01-00T00:00:00Z", "0000-01-01T00:00:00Z",
		"2026-01-01T00:00:00+00:00", "2026-01-01T00:00:00.Z", "2026-01-01t00:00:00z", "2026-1-01T00:00:00Z",
		"2026-01-01T00:00:00,5Z", "2026-01-01T00:00:00.5x5Z", "2026-01-01 00:00:00Z",
	}
	for _, c := range cases {
		want, werr := time.Parse(time.RFC3339Nano, c)
		got, ok := parseRFC3339UTC([]byte(c))
		if ok && (werr != nil || !got.Equal(want) || got.Location() != want.Location()) {
			t.Errorf("%s: fast path gave %v, time.Parse %v (%v)", c, got, want, werr)
		}
	}
	for m := time.January; m <= time.December; m++ {
		for _, y := range []int{1900, 2000, 2023, 2024} {
			if got, want := daysIn(m, y), time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day(); got != want {
				t.Errorf("daysIn(%v, %d) = %d, want %d", m, y, got, want)
			}
		}
	}
}
