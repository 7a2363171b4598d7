package feed

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"testing"
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
