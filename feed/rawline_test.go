package feed

import (
	"encoding/json"
	"testing"
)

func TestRawLineCompactsOnlyPrettyJSON(t *testing.T) {
	exact := json.RawMessage(`{"id":"a", "x" : [1, 2]}`)
	got, err := RawLine(exact)
	if err != nil || string(got) != string(exact) {
		t.Fatalf("single-line raw changed: %s, %v", got, err)
	}
	got, err = RawLine(json.RawMessage("{\n  \"id\": \"a b\",\n  \"n\": 1\n}"))
	if err != nil || string(got) != `{"id":"a b","n":1}` {
		t.Fatalf("pretty raw = %s, %v", got, err)
	}
}
