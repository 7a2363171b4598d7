package ui

import (
	"context"
	"slices"
	"strings"
	"testing"

	"claudit/feed"
	"claudit/store"
)

// NearMisses of the fake: a value the query includes that its completion
// values (suggest) lack is missing; the values sharing its first three
// characters are the closest.
func (f *fakeSource) NearMisses(ctx context.Context, q feed.Query, n int) ([]store.NearMiss, error) {
	f.count("NearMisses")
	var out []store.NearMiss
	for field, vals := range map[string][]string{"actor": q.Actor.Include, "key": q.Key.Include, "type": q.Type.Include, "ip": q.IP.Include} {
		for _, v := range vals {
			known := f.suggest[field]
			if slices.Contains(known, v) {
				continue
			}
			miss := store.NearMiss{Field: field, Value: v}
			for _, k := range known {
				if len(v) >= 3 && strings.HasPrefix(k, v[:3]) && len(miss.Closest) < n {
					miss.Closest = append(miss.Closest, k)
				}
			}
			out = append(out, miss)
		}
	}
	slices.SortFunc(out, func(a, b store.NearMiss) int { return strings.Compare(a.Field+a.Value, b.Field+b.Value) })
	return out, nil
}

// An empty result names the values the cache has never seen, with the
// closest it has, under the coverage line; one with events asks nothing.
func TestEmptyResultNearMiss(t *testing.T) {
	src := newFakeRows(exampleRows(t))
	src.suggest = map[string][]string{"actor": {"alice.admin@example.com", "bob.dev@example.com"}}
	h := newHarness(t, src, 160, 48, withQuery("since:24h actor:alice@example.com"))
	h.mustContain("0 events in last 24h (cache covers 100% of it)",
		"no actor alice@example.com in the cache; did you mean alice.admin@example.com?")

	// Redacted, the values are masked like everywhere else.
	h.key("R")
	if s := h.screen(); strings.Contains(s, "alice") || !strings.Contains(s, "in the cache; did you mean "+h.m.red.Field("email_address", "alice.admin@example.com")+"?") {
		t.Fatalf("redacted:\n%s", s)
	}
	h.key("R")

	calls := src.callCount("NearMisses")
	h.key("/")
	h.typeText(" ") // any edit; then replace the whole query
	h.m.bar.input.SetValue("since:24h")
	h.key("enter")
	if src.callCount("NearMisses") != calls || len(h.m.nearMisses) != 0 || strings.Contains(h.screen(), "in the cache;") {
		t.Fatalf("a result with events: %d near-miss calls, %v", src.callCount("NearMisses")-calls, h.m.nearMisses)
	}
}
