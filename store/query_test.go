package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"claudit/feed"
)

// TestKeysetPagingProperty pages random data with many created_at ties in
// both directions and compares with a brute-force sort.
func TestKeysetPagingProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for round := range 2 {
		s := openTest(t)
		var acts []feed.Activity
		n := 300 + rng.IntN(300)
		for i := range n {
			// Few distinct instants (ms and sub-ms apart) force ties and
			// many rows per rid bucket.
			at := testNow.Add(-time.Duration(rng.IntN(40)) * time.Second).Add(time.Duration(rng.IntN(3)) * 300 * time.Microsecond)
			typ := []string{"user_logged_in", "claude_chat_viewed", "api_key_created"}[rng.IntN(3)]
			acts = append(acts, mkAct(t, fmt.Sprintf("activity_%02d%05d", rng.IntN(100), i), at, typ, userActor("a@example.com", "user_01AAAAAAAAAA"), ""))
		}
		putPages(t, s, acts, 97)
		for _, qs := range []string{"", "type:claude_chat_viewed", "-type:user_logged_in"} {
			q, err := feed.Parse(qs)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, id := range wantOrder(acts) {
				a := find(acts, id)
				if qs == "" || (qs[0] == '-') != (a.Type == strings.TrimPrefix(strings.TrimPrefix(qs, "-"), "type:")) {
					want = append(want, id)
				}
			}
			size := 1 + rng.IntN(40)
			// Older from the top.
			var got []string
			var cur Cursor
			for {
				page, err := s.Search(context.Background(), q, testNow, cur, Older, size)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, ids(page)...)
				if len(page) < size {
					break
				}
				cur = page[len(page)-1].Cursor()
			}
			if !slices.Equal(got, want) {
				t.Fatalf("round %d %q size %d: Older paging = %d ids, want %d\n got %v\nwant %v", round, qs, size, len(got), len(want), got, want)
			}
			// Newer from the bottom; pages come newest first.
			got = nil
			cur = Cursor{}
			for {
				page, err := s.Search(context.Background(), q, testNow, cur, Newer, size)
				if err != nil {
					t.Fatal(err)
				}
				got = append(ids(page), got...)
				if len(page) < size {
					break
				}
				cur = page[0].Cursor()
			}
			if !slices.Equal(got, want) {
				t.Fatalf("round %d %q size %d: Newer paging differs\n got %v\nwant %v", round, qs, size, got, want)
			}
			// From a cursor in the middle: strictly older / newer.
			if len(want) > 10 {
				mid := want[len(want)/2]
				c := Cursor{CreatedAt: find(acts, mid).CreatedAt, ID: mid}
				older, _ := s.Search(context.Background(), q, testNow, c, Older, 5)
				newer, _ := s.Search(context.Background(), q, testNow, c, Newer, 5)
				i := len(want) / 2
				if !slices.Equal(ids(older), want[i+1:min(len(want), i+6)]) || !slices.Equal(ids(newer), want[max(0, i-5):i]) {
					t.Fatalf("cursor %s: older %v newer %v around %v", mid, ids(older), ids(newer), want[max(0, i-5):min(len(want), i+6)])
				}
			}
		}
	}
}

func find(acts []feed.Activity, id string) feed.Activity {
	for _, a := range acts {
		if a.ID == id {
			return a
		}
	}
	panic("no " + id)
}

// bruteRefs collects an activity's id-like values by role with a generic
// decode, independently of the streaming walker.
func bruteRefs(t testing.TB, raw []byte) (actor, target, other, org map[string]bool, words []string) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	actor, target, other, org = map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	var walk func(v any, key string, set map[string]bool)
	walk = func(v any, key string, set map[string]bool) {
		switch x := v.(type) {
		case string:
			if x != "" && (isRefKey(key) || looksLikeRef(x)) {
				set[normRef(x)] = true
			} else if x != "" && !(strings.HasSuffix(key, "_at") && len(x) >= 20) {
				words = append(words, x)
			}
		case []any:
			for _, e := range x {
				walk(e, key, set)
			}
		case map[string]any:
			for k, e := range x {
				if set == nil {
					set = other
				}
				walk(e, k, other)
			}
		}
	}
	for k, v := range m {
		switch k {
		case "type", "created_at":
		case "organization_id", "organization_uuid":
			if s, ok := v.(string); ok {
				org[normRef(s)] = true
			}
		case "actor":
			if am, ok := v.(map[string]any); ok {
				for ak, av := range am {
					if ak != "type" {
						walkActor(av, ak, actor, &words)
					}
				}
			}
		case "id":
			walk(v, k, other)
		default:
			switch v.(type) {
			case map[string]any:
				walk(v, k, other)
			default:
				walk(v, k, target)
			}
		}
	}
	return
}

func walkActor(v any, key string, set map[string]bool, words *[]string) {
	switch x := v.(type) {
	case string:
		if x != "" && (isRefKey(key) || looksLikeRef(x)) {
			set[normRef(x)] = true
		} else if x != "" {
			*words = append(*words, x)
		}
	case []any:
		for _, e := range x {
			walkActor(e, key, set, words)
		}
	case map[string]any:
		for k, e := range x {
			walkActor(e, k, set, words)
		}
	}
}

// stringValues is every string value of an activity's JSON (any depth,
// not the member names, not its own id and created_at), lower-cased: what
// free text is searched in.
func stringValues(t testing.TB, raw []byte) []string {
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	delete(v, "id")
	delete(v, "created_at")
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			out = append(out, strings.ToLower(x))
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// bruteInfo is what the brute-force filter knows about one activity.
type bruteInfo struct {
	actor, target, other, org map[string]bool
	values                    []string // see stringValues
}

func bruteInfoOf(t testing.TB, a feed.Activity) bruteInfo {
	actor, target, other, org, _ := bruteRefs(t, a.Raw)
	if id := a.Actor.ID(); id != "" {
		actor[normRef(id)] = true
	}
	return bruteInfo{actor, target, other, org, stringValues(t, a.Raw)}
}

// bruteMatch evaluates one query over one activity the slow, obvious way.
func bruteMatch(t testing.TB, q feed.Query, a feed.Activity, bi bruteInfo, from, to time.Time) bool {
	if !from.IsZero() && a.CreatedAt.Before(from) || !to.IsZero() && !a.CreatedAt.Before(to) {
		return false
	}
	actor, target, other, org := bi.actor, bi.target, bi.other, bi.org
	any := func(v string, sets ...map[string]bool) bool {
		for _, s := range sets {
			if s[normRef(v)] {
				return true
			}
		}
		return false
	}
	field := func(terms feed.Terms, match func(string) bool) bool {
		if len(terms.Include) > 0 && !slices.ContainsFunc(terms.Include, match) {
			return false
		}
		return !slices.ContainsFunc(terms.Exclude, match)
	}
	ipMatch := func(v string) bool {
		if pfx, err := netip.ParsePrefix(v); err == nil {
			for _, set := range []map[string]bool{actor, target, other} {
				for s := range set {
					if ip, err := netip.ParseAddr(s); err == nil && pfx.Contains(ip) {
						return true
					}
				}
			}
			return false
		}
		return any(v, actor, target, other, org)
	}
	typeMatch := func(v string) bool {
		names, err := feed.Catalogue().Expand(v)
		if err != nil {
			t.Fatal(err)
		}
		return slices.Contains(names, a.Type)
	}
	return field(q.Type, typeMatch) &&
		field(q.Actor, func(v string) bool { return any(v, actor) }) &&
		field(q.Key, func(v string) bool { return any(v, actor, target) }) &&
		field(q.Org, func(v string) bool { return any(v, org) }) &&
		field(q.ID, func(v string) bool { return any(v, actor, target, other, org) }) &&
		field(q.IP, ipMatch) &&
		field(q.Text, func(v string) bool {
			return slices.ContainsFunc(bi.values, func(s string) bool { return strings.Contains(s, strings.ToLower(v)) })
		})
}

// TestQueryFieldsBruteForce checks every query field against a brute-force
// filter over simulated data.
func TestQueryFieldsBruteForce(t *testing.T) {
	s := openTest(t)
	acts, sc := simActivities(t, 21, 2000, testNow)
	putPages(t, s, acts, 1500)
	infos := make([]bruteInfo, len(acts))
	for i, a := range acts {
		infos[i] = bruteInfoOf(t, a)
	}
	leakedIP := sc.AttackerIP
	pfx := netip.MustParsePrefix(leakedIP + "/24").Masked().String()
	queries := []string{
		"since:6h", "from:2026-09-10 to:2026-09-12", "type:@keys", "type:*api_key*", "-type:@noise", "type:user_logged_in type:claude_chat_viewed",
		"actor:" + sc.Users[0], "actor:" + strings.ToUpper(sc.Users[1]), "actor:" + sc.UserIDs[2], "-actor:" + sc.Users[0] + " type:@auth",
		"key:" + sc.LeakedKeyID, "key:" + sc.RevokedConsoleKeyID, "key:" + sc.AdminKeyID + " since:24h", "-key:" + sc.LeakedKeyID + " type:compliance_api_accessed",
		"org:" + sc.Org1ID, "org:" + sc.Org2UUID, "-org:" + sc.Org1ID,
		"ip:" + leakedIP, "ip:" + pfx, "-ip:" + leakedIP + " type:compliance_api_accessed",
		"mozilla", "-mozilla since:2d", "id:" + sc.DeletedScopedKeyID, "id:" + acts[17].ID,
		// Free text is a substring of any string value, case-insensitive.
		`"` + leakedIP + `"`, `"` + sc.LeakedKeyID + `"`, `"` + sc.LeakedKeyID[4:11] + `"`, `"` + strings.ToUpper(sc.Users[0][:6]) + `"`,
		`"Mac OS X"`, `"mozilla" "curl"`, `-"mozilla" type:@auth`, `-"` + leakedIP + `" since:2d`, `"` + sc.UserIDs[2][4:14] + `"`,
		"key:" + sc.LeakedKeyID + " ip:" + leakedIP + " type:compliance_api_accessed",
	}
	for _, qs := range queries {
		q, err := feed.Parse(qs)
		if err != nil {
			t.Fatalf("%s: %v", qs, err)
		}
		from, to := q.Bounds(testNow, 0)
		var want []feed.Activity
		for i, a := range acts {
			if bruteMatch(t, q, a, infos[i], from, to) {
				want = append(want, a)
			}
		}
		rows, err := s.Search(context.Background(), q, testNow, Cursor{}, Older, 1<<30)
		if err != nil {
			t.Fatalf("%s: %v", qs, err)
		}
		if got, w := ids(rows), wantOrder(want); !slices.Equal(got, w) {
			t.Errorf("%s: search = %d rows, brute force %d", qs, len(got), len(w))
			continue
		}
		n, _, err := s.Count(context.Background(), q, testNow, 0)
		if err != nil || n != len(want) {
			t.Errorf("%s: count = %d (%v), want %d", qs, n, err, len(want))
		}
		if len(want) == 0 && !strings.HasPrefix(qs, "-") {
			t.Logf("%s: matches nothing in the data (weak case)", qs)
		}
		// Histogram buckets add up to the windowed count.
		h, err := s.Histogram(context.Background(), q, testNow, testNow.Add(-72*time.Hour), testNow, 24)
		if err != nil {
			t.Fatal(err)
		}
		hsum, wsum := 0, 0
		for i, c := range h.Buckets {
			hsum += c
			lo := testNow.Add(-72 * time.Hour).Add(time.Duration(i) * 3 * time.Hour)
			wc := 0
			for _, a := range want {
				if !a.CreatedAt.Before(lo) && a.CreatedAt.Before(lo.Add(3*time.Hour)) {
					wc++
				}
			}
			if c != wc {
				t.Errorf("%s: bucket %d = %d, want %d", qs, i, c, wc)
			}
			wsum += wc
		}
		_ = hsum
	}
	// Free-text input that looks like FTS syntax is just text.
	for _, qs := range []string{`"NEAR(a b)"`, `"a OR b"`, `"*"`, `"\"quoted\""`, `"^start"`, `"col:x"`} {
		q, err := feed.Parse(qs)
		if err != nil {
			continue
		}
		if _, err := s.Search(context.Background(), q, testNow, Cursor{}, Older, 10); err != nil {
			t.Errorf("%s: %v", qs, err)
		}
	}
}

func TestFacetsAndSuggest(t *testing.T) {
	s := openTest(t)
	acts, sc := simActivities(t, 8, 1200, testNow)
	putPages(t, s, acts, 1000)
	ctx := context.Background()
	f, err := s.Facets(ctx, feed.Query{}, testNow, 5)
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]int{}
	for _, a := range acts {
		types[a.Type]++
	}
	if len(f.Types) != 5 || types[f.Types[0].Value] != f.Types[0].Count {
		t.Fatalf("type facet %v", f.Types)
	}
	for _, c := range types {
		if c > f.Types[0].Count {
			t.Fatalf("type facet top %v is not the most frequent (%d)", f.Types[0], c)
		}
	}
	if len(f.Actors) == 0 || len(f.IPs) == 0 || len(f.Orgs) == 0 || len(f.Keys) == 0 {
		t.Fatalf("facets %+v", f)
	}
	got, err := s.Suggest(ctx, "actor", sc.Users[0][:3], 5)
	if err != nil || len(got) == 0 || !strings.HasPrefix(got[0], sc.Users[0][:3]) {
		t.Fatalf("suggest actor: %v %v", got, err)
	}
	got, err = s.Suggest(ctx, "key", sc.LeakedKeyID[:8], 50)
	if err != nil || !slices.Contains(got, sc.LeakedKeyID) {
		t.Fatalf("suggest key: %v %v", got, err)
	}
	if got, err := s.Suggest(ctx, "type", "scoped_", 3); err != nil || len(got) == 0 {
		t.Fatalf("suggest type: %v %v", got, err)
	}
	if _, err := s.Suggest(ctx, "nope", "", 3); err == nil {
		t.Fatal("suggest of an unknown field succeeded")
	}
}

func TestDossier(t *testing.T) {
	s := openTest(t)
	acts, sc := simActivities(t, 4, 1500, testNow)
	putPages(t, s, acts, 2000)
	ctx := context.Background()
	cases := []struct {
		key, kind string
		actions   []string // must appear, in this order
	}{
		{sc.DeactivatedKeyID, "compliance/scoped", []string{"created", "deactivated"}},
		{sc.DeletedScopedKeyID, "compliance/scoped", []string{"deleted"}},
		{sc.AdminKeyID, "admin", []string{"created", "deleted"}},
		{sc.RevokedConsoleKeyID, "console", []string{"revoked"}},
		{sc.ServiceKeyID, "service", []string{"created", "revoked"}},
	}
	for _, c := range cases {
		d, err := s.Dossier(ctx, c.key)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for i, ev := range d.Lifecycle {
			actions = append(actions, ev.Action)
			if i > 0 && d.Lifecycle[i-1].Row.CreatedAt.After(ev.Row.CreatedAt) {
				t.Errorf("%s: lifecycle not oldest first", c.key)
			}
		}
		j := 0
		for _, a := range actions {
			if j < len(c.actions) && a == c.actions[j] {
				j++
			}
		}
		if d.KeyKind != c.kind || j != len(c.actions) {
			t.Errorf("%s: kind %q actions %v, want %q with %v", c.key, d.KeyKind, actions, c.kind, c.actions)
		}
		// Acted counts equal the brute-force actor mentions.
		acted, mentions := 0, 0
		var first, last time.Time
		for _, a := range acts {
			actor, target, other, org, _ := bruteRefs(t, a.Raw)
			if a.Actor.ID() == c.key || actor[c.key] {
				acted++
				if first.IsZero() || a.CreatedAt.Before(first) {
					first = a.CreatedAt
				}
				if a.CreatedAt.After(last) {
					last = a.CreatedAt
				}
			}
			if actor[c.key] || target[c.key] || other[c.key] || org[c.key] || a.Actor.ID() == c.key {
				mentions++
			}
		}
		if d.ActedCount != acted || d.Mentions != mentions || (acted > 0 && (!d.FirstSeen.Equal(first) || !d.LastSeen.Equal(last))) {
			t.Errorf("%s: acted %d mentions %d first %v last %v; want %d %d %v %v", c.key, d.ActedCount, d.Mentions, d.FirstSeen, d.LastSeen, acted, mentions, first, last)
		}
	}
	d, err := s.Dossier(ctx, sc.LeakedKeyID)
	if err != nil || d.ActedCount == 0 || len(d.IPs) == 0 || len(d.UserAgents) == 0 || len(d.ByType) == 0 {
		t.Fatalf("leaked key dossier %+v %v", d, err)
	}
	if !slices.ContainsFunc(d.IPs, func(f FacetCount) bool { return f.Value == sc.AttackerIP }) {
		t.Errorf("leaked key IPs %v lack the attacker IP %s", d.IPs, sc.AttackerIP)
	}
}
