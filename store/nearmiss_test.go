package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"claudit/feed"
)

// nearMissStore holds a few actors, keys, ips and types to miss.
func nearMissStore(t *testing.T) *Store {
	t.Helper()
	s := openTest(t)
	at := testNow.Add(-time.Hour)
	acts := []feed.Activity{
		mkAct(t, "activity_01A", at, "user_logged_in", userActor("alice.admin@example.com", "user_01AAAAAAAAAA"), ""),
		mkAct(t, "activity_01B", at.Add(-time.Minute), "user_logged_in", userActor("bob@example.com", "user_01BBBBBBBBBB"), ""),
		mkAct(t, "activity_01C", at.Add(-2*time.Minute), "api_key_created", userActor("alice.admin@example.com", "user_01AAAAAAAAAA"),
			`,"api_key_id":"apikey_01HXYZABCDEF"`),
		mkAct(t, "activity_01D", at.Add(-3*time.Minute), "claude_chat_created", apiActor("apikey_01HXYZABCDEF", "198.51.100.17"), ""),
	}
	putPages(t, s, acts, 10)
	return s
}

func TestNearMisses(t *testing.T) {
	s := nearMissStore(t)
	cases := []struct {
		query string
		want  []NearMiss
	}{
		// The example: the local part is the start of one the cache has.
		{"actor:alice@example.com", []NearMiss{{Field: "actor", Value: "alice@example.com", Closest: []string{"alice.admin@example.com"}}}},
		// One character off.
		{"actor:bob@exmple.com", []NearMiss{{Field: "actor", Value: "bob@exmple.com", Closest: []string{"bob@example.com"}}}},
		{"key:apikey_01HXYZABCDEG", []NearMiss{{Field: "key", Value: "apikey_01HXYZABCDEG", Closest: []string{"apikey_01HXYZABCDEF"}}}},
		{"ip:198.51.100.7", []NearMiss{{Field: "ip", Value: "198.51.100.7", Closest: []string{"198.51.100.17"}}}},
		{"type:user_logged_out", []NearMiss{{Field: "type", Value: "user_logged_out", Closest: []string{"user_logged_in"}}}},
		// Nothing close: said, with no suggestion.
		{"actor:zed@nowhere.test", []NearMiss{{Field: "actor", Value: "zed@nowhere.test"}}},
		// Values the cache has are no misses, whatever else the query asks
		// (here a window that holds nothing): the miss is the window's.
		{"actor:bob@example.com since:1m", nil},
		{"actor:BOB@example.com", nil},
		{"ip:198.51.100.17 type:api_key_created", nil},
		// Patterns, presets and prefixes are not values.
		{"type:user_* ip:203.0.113.0/24 type:@keys", nil},
	}
	for _, c := range cases {
		q, err := feed.Parse(c.query)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.NearMisses(context.Background(), q, 3)
		if err != nil {
			t.Fatalf("%s: %v", c.query, err)
		}
		if !slices.EqualFunc(got, c.want, func(a, b NearMiss) bool {
			return a.Field == b.Field && a.Value == b.Value && slices.Equal(a.Closest, b.Closest)
		}) {
			t.Errorf("%s: near misses %+v, want %+v", c.query, got, c.want)
		}
	}
}

// The closest come first, then the most frequent; n bounds them.
func TestNearMissesOrder(t *testing.T) {
	s := openTest(t)
	at := testNow.Add(-time.Hour)
	var acts []feed.Activity
	add := func(id, email string) {
		acts = append(acts, mkAct(t, id, at.Add(-time.Duration(len(acts))*time.Second), "user_logged_in", userActor(email, "user_01"+id[len(id)-10:]), ""))
	}
	// From caro1@example.com: carol@ is one edit away (twice in the
	// cache), caro@ one (once), carla@ two (twice).
	add("activity_01AAAAAAAAA1", "carol@example.com")
	add("activity_01AAAAAAAAA2", "carla@example.com")
	add("activity_01AAAAAAAAA3", "carla@example.com")
	add("activity_01AAAAAAAAA4", "caro@example.com")
	add("activity_01AAAAAAAAA5", "carol@example.com")
	putPages(t, s, acts, 10)
	q, _ := feed.Parse("actor:caro1@example.com")
	got, err := s.NearMisses(context.Background(), q, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"carol@example.com", "caro@example.com"}
	if len(got) != 1 || !slices.Equal(got[0].Closest, want) {
		t.Fatalf("near misses %+v, want closest %v", got, want)
	}
}

// A query the rollups answer is counted exactly whatever the limit, and
// agrees with the row-by-row count of the same events.
func TestCountRollupsExact(t *testing.T) {
	s := openTest(t)
	acts, _ := simActivities(t, 11, 3000, testNow)
	putPages(t, s, acts, 1000)
	ctx := context.Background()
	// Mark a few events and flag one late, so hidden flags overlap.
	for _, a := range acts[:40:40] {
		if err := s.Mark(ctx, a.ID, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.w.ExecContext(ctx, `UPDATE activities SET late = 1 WHERE rid IN (SELECT rid FROM activities WHERE marked LIMIT 5)`); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"", "since:6h", "type:@keys", "since:24h -type:user_logged_in",
		"-is:marked", "since:6h -is:late -is:marked", "-is:self", "-is:tripwire type:@keys"} {
		q, err := feed.Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		// An excluded ip nothing has keeps the events but not the rollups.
		rowByRow, _, err := s.Count(ctx, q.With("ip", "203.0.113.254", true), testNow, 0)
		if err != nil {
			t.Fatal(err)
		}
		n, capped, err := s.Count(ctx, q, testNow, 10)
		if err != nil || capped || n != rowByRow {
			t.Errorf("%q: count %d capped %v %v, want %d exact", text, n, capped, err, rowByRow)
		}
		if text == "" && n <= 10 {
			t.Fatalf("only %d events: the limit was not tested", n)
		}
		// Histograms read the same rollups.
		from, to := testNow.Add(-48*time.Hour), testNow
		want, err := s.Histogram(ctx, q.With("ip", "203.0.113.254", true), testNow, from, to, 48)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Histogram(ctx, q, testNow, from, to, 48)
		if err != nil || !slices.Equal(got.Buckets, want.Buckets) {
			t.Errorf("%q: histogram %v %v, want %v", text, got.Buckets, err, want.Buckets)
		}
	}
}

func TestNearMissString(t *testing.T) {
	for m, want := range map[*NearMiss]string{
		{Field: "actor", Value: "alice@example.com", Closest: []string{"alice.admin@example.com"}}: "no actor alice@example.com in the cache; did you mean alice.admin@example.com?",
		{Field: "ip", Value: "198.51.100.7"}:                          "no ip 198.51.100.7 in the cache",
		{Field: "type", Value: "x", Closest: []string{"a", "b", "c"}}: "no type x in the cache; did you mean a, b or c?",
	} {
		if got := m.String(); got != want {
			t.Errorf("%+v: %q, want %q", *m, got, want)
		}
	}
}
