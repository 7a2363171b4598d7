package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"testing"
	"time"
)

// TestDemoWorldFingerprint pins every byte the demo's organisation serves:
// each page of a full walk (bodies, cursors and all, over the history and
// an hour of live events, late ones included) and the directory. The sums
// were taken from the simulator that kept every event as pre-encoded JSON,
// so a change to how events are stored cannot change what they are.
func TestDemoWorldFingerprint(t *testing.T) {
	events, want := 300_000, "ea9de6c0e86e13f73efcaa9eae61515054cabeed775ec95d57bf94557645bb14"
	if testing.Short() {
		events, want = 20_000, "8c593b84b5c6a1804c0b6b0ce68254648ee598d89f2663bd679f3cf2a56f9da8"
	}
	clk := newClock(testEnd().Add(time.Hour))
	s := New(Config{Seed: 42, Events: events, End: testEnd(), Now: clk.Now, RateLimit: -1,
		LiveRate: 20, Faults: Faults{LateFraction: 0.002}})
	h := sha256.New()
	pages, rows := 0, 0
	for query := "limit=5000"; ; {
		w := get(t, s, ComplianceKey, query)
		if w.Code != 200 {
			t.Fatalf("GET ?%s: status %d: %s", query, w.Code, w.Body.String())
		}
		h.Write(w.Body.Bytes())
		var p page
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		pages++
		rows += len(p.Data)
		if !p.HasMore {
			break
		}
		query = "limit=5000&after_id=" + url.QueryEscape(*p.LastID)
	}
	dir, err := json.Marshal(s.Directory())
	if err != nil {
		t.Fatal(err)
	}
	h.Write(dir)
	sc, err := json.Marshal(s.Scenario())
	if err != nil {
		t.Fatal(err)
	}
	h.Write(sc)
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		t.Fatalf("%d events: %d pages, %d rows: fingerprint %s, want %s", events, pages, rows, got, want)
	}
}
