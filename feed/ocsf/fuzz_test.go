package ocsf

import (
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"

	"claudit/feed"
)

// FuzzOCSF: whatever the stored bytes, the event is one line of valid JSON
// and valid UTF-8 that passes the schema subset and names the activity.
func FuzzOCSF(f *testing.F) {
	for _, typ := range []string{"compliance_api_accessed", "org_security_control_attestation_updated", "claude_chat_viewed",
		"platform_api_key_updated", "anthropic_access", "group_member_added", "quantum_widget_created"} {
		f.Add(string(synthetic(f, typ, feed.ActorUser, 1).Raw))
	}
	f.Add(`{"id":"a","type":"x","actor":{"type":"user_actor","user_id":"\ud800"},"k\"":[{"a":null}]}`)
	f.Add("{\"id\":\"a\",\n\"type\":\"\xff\"}")
	s := testSchema(f)
	f.Fuzz(func(t *testing.T, raw string) {
		a := feed.Activity{ID: "activity_01Fuzz", Raw: json.RawMessage(raw)}
		var d feed.Activity
		if json.Unmarshal([]byte(raw), &d) == nil && d.Raw != nil {
			a = d
		}
		b := Marshal(a, time.Unix(1, 0))
		if !json.Valid(b) || !utf8.Valid(b) {
			t.Fatalf("invalid output for %q: %s", raw, b)
		}
		for _, c := range b {
			if c == '\n' || c == '\r' {
				t.Fatalf("output is not one line: %q", b)
			}
		}
		if _, err := s.validate(b); err != nil {
			t.Fatalf("%v for %q: %s", err, raw, b)
		}
	})
}
