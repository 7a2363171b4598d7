package sim

import (
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

// The examples in testdata/examples are copies of the contract's
// api/examples: the simulator must answer with the same shapes and the
// same literal messages.

func readExample(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

// shape maps every key path of a JSON value to its JSON kind, so two
// bodies can be compared for "same field set" without their values.
func shape(prefix string, v any, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		out[prefix] = "object"
		for k, e := range x {
			shape(prefix+"."+k, e, out)
		}
	case []any:
		out[prefix] = "array"
	case string:
		out[prefix] = "string"
	case nil:
		out[prefix] = "null"
	case bool:
		out[prefix] = "bool"
	case float64:
		out[prefix] = "number"
	}
}

func shapeOf(v any) map[string]string {
	out := map[string]string{}
	shape("", v, out)
	return out
}

func TestExampleErrorBodies(t *testing.T) {
	tests := []struct {
		file   string
		status int
		setup  func(*Config)
		key    string
		query  string
		limitH bool // rate-limit headers expected
	}{
		{"error-400-invalid-timestamp.json", 400, nil, ComplianceKey, "created_at.gte=2026-09-01", true},
		{"error-401-invalid-key.json", 401, nil, "sk-ant-api01-wrong", "", false},
		{"error-403-missing-scope.json", 403, nil, UserDataOnlyKey, "", true},
		{"error-429-rate-limited.json", 429, nil, ComplianceKey, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			want := readExample(t, tt.file)
			s, _ := newTestServer(t, func(c *Config) {
				c.Events = 50
				c.RateLimit = 0 // the real budget of 600
				if tt.setup != nil {
					tt.setup(c)
				}
			})
			if tt.status == 429 {
				for range 600 { // the 601st request in a minute
					get(t, s, tt.key, "limit=1")
				}
			}
			w := get(t, s, tt.key, tt.query)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body.String())
			}
			var got map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(shapeOf(got), shapeOf(want)) {
				t.Errorf("shape %v, want %v", shapeOf(got), shapeOf(want))
			}
			ge, we := got["error"].(map[string]any), want["error"].(map[string]any)
			if ge["type"] != we["type"] || ge["message"] != we["message"] {
				t.Errorf("error %v, want %v", ge, we)
			}
			if got["request_id"] != w.Header().Get("request-id") {
				t.Errorf("request_id %v != request-id header %q", got["request_id"], w.Header().Get("request-id"))
			}
			if w.Header().Get("Content-Type") != "application/json" {
				t.Errorf("content-type %q", w.Header().Get("Content-Type"))
			}
			if has := w.Header().Get("anthropic-ratelimit-requests-limit") != ""; has != tt.limitH {
				t.Errorf("rate-limit headers present = %v, want %v", has, tt.limitH)
			}
			if tt.status == 429 && w.Header().Get("retry-after") == "" {
				t.Error("429 without retry-after")
			}
		})
	}
}

func TestExamplePageShapes(t *testing.T) {
	s, _ := newTestServer(t, nil)
	for _, file := range []string{"page-mixed.json", "page-final.json"} {
		want := readExample(t, file)
		w := get(t, s, ComplianceKey, "limit=10")
		var got map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if gk, wk := slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)); !slices.Equal(gk, wk) {
			t.Errorf("%s: envelope keys %v, want %v", file, gk, wk)
		}
		for _, k := range []string{"first_id", "last_id"} {
			if _, ok := got[k].(string); !ok {
				t.Errorf("%s: %s = %v, want a string on a non-empty page", file, k, got[k])
			}
		}
		// Every activity has the example's common fields with the same
		// JSON kinds (organization fields: string or null).
		common := map[string]bool{"id": true, "created_at": true, "organization_id": true, "organization_uuid": true, "actor": true, "type": true}
		for _, a := range got["data"].([]any) {
			obj := a.(map[string]any)
			for k := range common {
				if _, ok := obj[k]; !ok {
					t.Errorf("%s: activity %v lacks %q", file, obj["id"], k)
				}
			}
			if _, ok := obj["actor"].(map[string]any)["type"].(string); !ok {
				t.Errorf("activity %v: actor.type missing", obj["id"])
			}
		}
		for _, a := range want["data"].([]any) {
			for k := range common {
				if _, ok := a.(map[string]any)[k]; !ok {
					t.Fatalf("example %s lacks %q: the copy in testdata is stale", file, k)
				}
			}
		}
	}

	want := readExample(t, "page-empty.json")
	w := get(t, s, ComplianceKey, q("activity_types[]", "account_deleted", "created_at.gte", "2000-01-01T00:00:00Z", "created_at.lt", "2000-01-02T00:00:00Z"))
	var got map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("empty page %v, want %v", got, want)
	}
	if w.Code != http.StatusOK {
		t.Errorf("empty page status %d", w.Code)
	}
}
