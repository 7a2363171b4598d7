package feed

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestSecretKindAndMask(t *testing.T) {
	tests := []struct {
		key    string
		kind   KeyKind
		masked string
	}{
		{"sk-ant-admin01-abcdefghijklmnopqrstuvwxyz-x9Qa", KeyAdmin, "admin key …x9Qa"},
		{"  sk-ant-api01-abcdefghijklmnopqrstuvwxyz-AbCd\n", KeyCompliance, "compliance key …AbCd"},
		{"sk-ant-api03-abcdefghijklmnopqrstuvwxyz-ZZZZ", KeyModel, "model key …ZZZZ"},
		{"something-else-entirely-1234", KeyUnknown, "unknown key …1234"},
		{"short", KeyUnknown, "unknown key …"},
		{"", KeyUnknown, "no key"},
		{" \t\n", KeyUnknown, "no key"},
	}
	for _, tt := range tests {
		s := NewSecret(tt.key)
		if s.Kind() != tt.kind || s.Masked() != tt.masked {
			t.Errorf("%q: kind %v masked %q, want %v %q", tt.key, s.Kind(), s.Masked(), tt.kind, tt.masked)
		}
		if s.Reveal() != strings.TrimSpace(tt.key) {
			t.Errorf("%q: Reveal = %q", tt.key, s.Reveal())
		}
		if s.IsZero() != (strings.TrimSpace(tt.key) == "") {
			t.Errorf("%q: IsZero = %v", tt.key, s.IsZero())
		}
	}
	var zero Secret
	if !zero.IsZero() || zero.Masked() != "no key" || zero.Reveal() != "" || zero.Kind() != KeyUnknown {
		t.Error("the zero Secret must be an empty key")
	}
	for k, want := range map[KeyKind]string{KeyUnknown: "unknown", KeyAdmin: "admin", KeyCompliance: "compliance", KeyModel: "model", KeyKind(42): "unknown"} {
		if k.String() != want {
			t.Errorf("KeyKind(%d).String() = %q, want %q", int(k), k.String(), want)
		}
	}
}

func TestSecretNeverPrints(t *testing.T) {
	const key = "sk-ant-api01-SUPERSECRETVALUE-0123456789-AbCd"
	s := NewSecret(key)
	type holder struct {
		Exported   Secret
		unexported Secret
		Ptr        *Secret
	}
	h := holder{Exported: s, unexported: s, Ptr: &s}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3s", "%T"} {
		outs = append(outs, fmt.Sprintf(verb, s), fmt.Sprintf(verb, h), fmt.Sprintf(verb, &h), fmt.Sprintf(verb, []Secret{s}),
			fmt.Sprintf(verb, map[string]Secret{"k": s}))
	}
	outs = append(outs, fmt.Sprint(s), fmt.Sprintln(h), s.String(), s.GoString())
	j, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(j))
	txt, _ := s.MarshalText()
	outs = append(outs, string(txt))
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "key", s, "holder", h)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "key", s)
	outs = append(outs, buf.String())
	for _, o := range outs {
		if strings.Contains(o, "SUPERSECRET") || strings.Contains(o, fmt.Sprintf("%x", key[:12])) {
			t.Errorf("output reveals the key: %s", o)
		}
	}
	if !strings.Contains(string(j), `"compliance key …AbCd"`) {
		t.Errorf("JSON should carry the masked form: %s", j)
	}
	if got := fmt.Sprintf("%q", s); got != `"compliance key …AbCd"` {
		t.Errorf("%%q = %s", got)
	}
}

func TestSecretScrub(t *testing.T) {
	s := NewSecret("sk-ant-admin01-abcdefghijklmnopqrstuvwxyz-x9Qa")
	got := s.scrub("dial: bad header sk-ant-admin01-abcdefghijklmnopqrstuvwxyz-x9Qa and again sk-ant-admin01-abcdefghijklmnopqrstuvwxyz-x9Qa")
	if strings.Contains(got, "abcdefghij") || strings.Count(got, "[admin key …x9Qa]") != 2 {
		t.Errorf("scrub: %q", got)
	}
	if got := s.scrub("nothing here"); got != "nothing here" {
		t.Errorf("scrub changed clean text: %q", got)
	}
	if got := (Secret{}).scrub("text"); got != "text" {
		t.Errorf("zero secret scrub: %q", got)
	}
}

func TestKeyKindDescribeAndReach(t *testing.T) {
	for _, tt := range []struct {
		kind               KeyKind
		describes, reaches string
	}{
		{KeyAdmin, "sk-ant-admin01-", "Activity Feed only"},
		{KeyCompliance, "sk-ant-api01-", ScopeOrgAudit},
		{KeyModel, "sk-ant-api03-", "rejects"},
		{KeyUnknown, "unknown", "unknown"},
	} {
		if d := tt.kind.Describe(); !strings.Contains(d, tt.describes) {
			t.Errorf("%v.Describe() = %q, want it to contain %q", tt.kind, d, tt.describes)
		}
		if r := tt.kind.Reach(); !strings.Contains(r, tt.reaches) {
			t.Errorf("%v.Reach() = %q, want it to contain %q", tt.kind, r, tt.reaches)
		}
	}
	if r := KeyCompliance.Reach(); !strings.Contains(r, ScopeActivities) {
		t.Errorf("KeyCompliance.Reach() = %q lacks %s", r, ScopeActivities)
	}
}
