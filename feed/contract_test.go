package feed_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"claudit/feed"
	"claudit/feed/sim"
)

// Contract tests: the client against the simulator. Over real loopback
// where timing does not matter; through an in-memory RoundTripper inside
// testing/synctest where the client has to wait (429s, 5xx backoff), so the
// waits take no real time and can be asserted exactly.

// simEnd is the newest historical event of every dataset here.
var simEnd = time.Date(2026, 9, 15, 12, 0, 0, 0, time.UTC)

// fastRetry keeps loopback tests quick: real backoff waits of microseconds.
var fastRetry = feed.RetryPolicy{BaseDelay: time.Microsecond, MaxDelay: 10 * time.Microsecond, MaxAttempts: 8}

// loopbackSim starts the simulator on loopback with a frozen clock, so its
// self events (created "now") never become visible and Truth stays fixed.
func loopbackSim(t testing.TB, cfg sim.Config) (*sim.Server, *httptest.Server) {
	t.Helper()
	if cfg.End.IsZero() {
		cfg.End = simEnd
	}
	if cfg.Now == nil {
		now := cfg.End.Add(time.Hour)
		cfg.Now = func() time.Time { return now }
	}
	s := sim.New(cfg)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

func loopbackClient(t testing.TB, srv *httptest.Server, key string, opts ...feed.Option) *feed.Client {
	t.Helper()
	opts = append([]feed.Option{feed.WithBaseURL(srv.URL), feed.WithKey(feed.NewSecret(key)),
		feed.WithHTTPClient(srv.Client()), feed.WithRetry(fastRetry)}, opts...)
	c, err := feed.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// handlerTransport serves requests straight from an http.Handler, in
// memory, so it runs inside a synctest bubble.
type handlerTransport struct{ h http.Handler }

func (rt handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	rt.h.ServeHTTP(rec, r)
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

func memoryClient(t testing.TB, s *sim.Server, opts ...feed.Option) *feed.Client {
	t.Helper()
	opts = append([]feed.Option{feed.WithBaseURL("https://api.anthropic.com"), feed.WithKey(feed.NewSecret(sim.AdminKey)),
		feed.WithHTTPClient(&http.Client{Transport: handlerTransport{s}})}, opts...)
	c, err := feed.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// window returns the created_at filter for [from, to).
func window(from, to time.Time) url.Values {
	v := url.Values{}
	if !from.IsZero() {
		v.Set("created_at.gte", from.Format(time.RFC3339Nano))
	}
	if !to.IsZero() {
		v.Set("created_at.lt", to.Format(time.RFC3339Nano))
	}
	return v
}

func ids(acts []feed.Activity) []string {
	out := make([]string, len(acts))
	for i, a := range acts {
		out[i] = a.ID
	}
	return out
}

// drain runs an iterator to the end and returns the ids in arrival order,
// the pages seen and the error it stopped with.
func drain(t testing.TB, seq func(func(*feed.Page, error) bool)) (got []string, pages []*feed.Page, err error) {
	t.Helper()
	for p, e := range seq {
		if e != nil {
			if err != nil {
				t.Error("iterator yielded a second error")
			}
			err = e
			continue
		}
		if err != nil {
			t.Error("iterator yielded a page after an error")
		}
		pages = append(pages, p)
		got = append(got, ids(p.Data)...)
	}
	return got, pages, err
}

func assertSameSequence(t testing.TB, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	seen := map[string]int{}
	for _, id := range got {
		seen[id]++
	}
	dups, missing := 0, 0
	for _, n := range seen {
		dups += n - 1
	}
	for _, id := range want {
		if seen[id] == 0 {
			missing++
		}
	}
	i := 0
	for i < min(len(got), len(want)) && got[i] == want[i] {
		i++
	}
	t.Fatalf("got %d ids, want %d: %d duplicates, %d missing, first difference at %d", len(got), len(want), dups, missing, i)
}

func reversed(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

func TestContractDrainBothDirectionsAndOrders(t *testing.T) {
	s, srv := loopbackSim(t, sim.Config{Seed: 7, Events: 3000, Span: 10 * 24 * time.Hour, RateLimit: -1})
	c := loopbackClient(t, srv, sim.AdminKey)
	ctx := context.Background()
	from, to := simEnd.Add(-6*24*time.Hour), simEnd.Add(time.Second)
	truth := ids(s.Truth(from, to))
	if len(truth) < 1000 {
		t.Fatalf("window holds only %d events", len(truth))
	}
	for _, order := range []string{"", "desc", "asc"} {
		for _, limit := range []int{0, 37, 5000} {
			t.Run(order+"/"+strconv.Itoa(limit), func(t *testing.T) {
				want := truth
				if order == "asc" {
					want = reversed(truth)
				}
				p := feed.PageParams{Filter: window(from, to), Limit: limit, Order: order}
				got, pages, err := drain(t, c.Older(ctx, p))
				if err != nil {
					t.Fatal(err)
				}
				assertSameSequence(t, got, want)
				last := pages[len(pages)-1]
				if last.HasMore || last.LastID == "" {
					t.Fatalf("final page: has_more %v, last_id %q", last.HasMore, last.LastID)
				}
				for _, pg := range pages {
					if pg.Meta.RequestID == "" || pg.Meta.Status != 200 || pg.Meta.Attempts != 1 {
						t.Fatalf("page meta %+v", pg.Meta)
					}
					if len(pg.Data) > 0 && (pg.FirstID == "" || pg.FirstID == pg.Data[0].ID) {
						t.Fatalf("cursor %q should be opaque, not the activity id", pg.FirstID)
					}
				}
				// Back the other way: from the far end's cursor, the before_id
				// catch-up loop returns everything else.
				_, back, err := drain(t, c.Newer(ctx, feed.PageParams{Filter: window(from, to), Limit: limit, Order: order, BeforeID: last.LastID}))
				if err != nil {
					t.Fatal(err)
				}
				// Pages arrive nearest-to-the-cursor first, each in result order.
				var rebuilt []string
				for _, pg := range back {
					rebuilt = append(ids(pg.Data), rebuilt...)
				}
				assertSameSequence(t, rebuilt, want[:len(want)-1])
			})
		}
	}
}

// filterTruth filters the simulator's truth locally: what the server
// should have done.
func filterTruth(acts []feed.Activity, keep func(feed.Activity) bool) []string {
	var out []string
	for _, a := range acts {
		if keep(a) {
			out = append(out, a.ID)
		}
	}
	return out
}

func TestContractEveryParameter(t *testing.T) {
	s, srv := loopbackSim(t, sim.Config{Seed: 11, Events: 3000, Span: 5 * 24 * time.Hour, RateLimit: -1})
	c := loopbackClient(t, srv, sim.ComplianceKey)
	ctx := context.Background()
	all := s.Truth(time.Time{}, time.Time{})
	sc := s.Scenario()

	// Pick real values from the data so every filter matches something.
	typeCount := map[string]int{}
	for _, a := range all {
		typeCount[a.Type]++
	}
	var common []string
	for typ, n := range typeCount {
		if n > 20 {
			common = append(common, typ)
		}
	}
	slices.Sort(common)
	if len(common) < 3 {
		t.Fatalf("too few common types: %v", common)
	}
	types := common[:3]
	user := sc.UserIDs[0]
	mid := all[len(all)/2].CreatedAt
	early := all[len(all)*3/4].CreatedAt

	tests := []struct {
		name   string
		filter url.Values
		keep   func(feed.Activity) bool
	}{
		{"activity_types[]", url.Values{"activity_types[]": types}, func(a feed.Activity) bool { return slices.Contains(types, a.Type) }},
		{"exclude_activity_types[]", url.Values{"exclude_activity_types[]": types}, func(a feed.Activity) bool { return !slices.Contains(types, a.Type) }},
		{"actor_ids[]", url.Values{"actor_ids[]": {user}}, func(a feed.Activity) bool { return a.Actor.UserID == user }},
		{"user_ids[]", url.Values{"user_ids[]": {user}}, func(a feed.Activity) bool { return a.Actor.UserID == user }},
		{"actor_ids[]+user_ids[]", url.Values{"actor_ids[]": {user}, "user_ids[]": {sc.UserIDs[1]}},
			func(a feed.Activity) bool { return a.Actor.UserID == user || a.Actor.UserID == sc.UserIDs[1] }},
		{"organization_ids[] tagged", url.Values{"organization_ids[]": {sc.Org1ID}}, func(a feed.Activity) bool { return a.OrganizationID == sc.Org1ID }},
		{"organization_ids[] uuid", url.Values{"organization_ids[]": {sc.Org2UUID}}, func(a feed.Activity) bool { return a.OrganizationUUID == sc.Org2UUID }},
		{"created_at.gt+lte", url.Values{"created_at.gt": {early.Format(time.RFC3339Nano)}, "created_at.lte": {mid.Format(time.RFC3339Nano)}},
			func(a feed.Activity) bool { return a.CreatedAt.After(early) && !a.CreatedAt.After(mid) }},
		{"created_at.gte+lt offset form", url.Values{"created_at.gte": {early.In(time.FixedZone("", 2*3600)).Format(time.RFC3339)},
			"created_at.lt": {mid.Format(time.RFC3339)}},
			func(a feed.Activity) bool {
				return !a.CreatedAt.Before(early.Truncate(time.Second)) && a.CreatedAt.Before(mid.Truncate(time.Second))
			}},
		{"types+org+window", url.Values{"activity_types[]": types, "organization_ids[]": {sc.Org1UUID}, "created_at.gte": {early.Format(time.RFC3339Nano)}},
			func(a feed.Activity) bool {
				return slices.Contains(types, a.Type) && a.OrganizationUUID == sc.Org1UUID && !a.CreatedAt.Before(early)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := filterTruth(all, tt.keep)
			if len(want) == 0 {
				t.Fatal("the filter matches nothing; the test would prove nothing")
			}
			for _, order := range []string{"desc", "asc"} {
				w := want
				if order == "asc" {
					w = reversed(want)
				}
				got, _, err := drain(t, c.Older(ctx, feed.PageParams{Filter: tt.filter, Limit: 250, Order: order}))
				if err != nil {
					t.Fatal(err)
				}
				assertSameSequence(t, got, w)
			}
		})
	}
}

func TestContractErrorEnvelopes(t *testing.T) {
	s, srv := loopbackSim(t, sim.Config{Seed: 3, Events: 1000})
	ctx := context.Background()
	c := loopbackClient(t, srv, sim.AdminKey)

	first, err := c.ListPage(ctx, feed.PageParams{Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	badRequests := map[string]url.Values{
		"date without time": {"created_at.gte": {"2024-01-01"}},
		"unknown type":      {"activity_types[]": {"quantum_teleport_created_nope"}},
		"both type lists":   {"activity_types[]": {first.Data[0].Type}, "exclude_activity_types[]": {first.Data[1].Type}},
		"unbracketed array": {"activity_types": {first.Data[0].Type}},
		"garbled cursor":    {"after_id": {"not-a-cursor"}}, // dropped by the client: PageParams.AfterID wins
	}
	for name, f := range badRequests {
		t.Run(name, func(t *testing.T) {
			p := feed.PageParams{Filter: f}
			if name == "garbled cursor" {
				p = feed.PageParams{AfterID: "garbled!!"}
			}
			before := s.Requests()
			_, err := c.ListPage(ctx, p)
			var ae *feed.APIError
			if !feed.IsInvalidRequest(err) || !errors.As(err, &ae) || ae.Type != feed.ErrTypeInvalidRequest || ae.RequestID == "" || ae.Message == "" {
				t.Fatalf("want a 400 invalid_request_error, got %v", err)
			}
			if n := s.Requests() - before; n != 1 {
				t.Errorf("a 400 was tried %d times", n)
			}
		})
	}
	t.Run("activity id as cursor", func(t *testing.T) {
		_, err := c.ListPage(ctx, feed.PageParams{AfterID: first.Data[0].ID})
		if !feed.IsInvalidRequest(err) || !strings.Contains(err.Error(), "after_id") {
			t.Fatalf("an activity id is not a cursor: %v", err)
		}
	})
	t.Run("401 unknown key", func(t *testing.T) {
		bad := loopbackClient(t, srv, "sk-ant-api01-not-a-real-key-000000")
		before := s.Requests()
		_, err := bad.ListPage(ctx, feed.PageParams{})
		if !feed.IsAuth(err) || s.Requests()-before != 1 {
			t.Fatalf("got %v after %d requests", err, s.Requests()-before)
		}
		if strings.Contains(err.Error(), "not-a-real-key") {
			t.Fatalf("error reveals the key: %v", err)
		}
	})
	t.Run("403 with scopes", func(t *testing.T) {
		ud := loopbackClient(t, srv, sim.UserDataOnlyKey)
		_, err := ud.ListPage(ctx, feed.PageParams{})
		var ae *feed.APIError
		if !feed.IsPermission(err) || !errors.As(err, &ae) {
			t.Fatalf("got %v", err)
		}
		if !slices.Equal(ae.GotScopes, []string{sim.ScopeUserData}) || !slices.Equal(ae.NeededScopes, []string{sim.ScopeActivities}) {
			t.Errorf("scopes got %v needed %v", ae.GotScopes, ae.NeededScopes)
		}
		if lm := ud.LastMeta(); lm.Status != 403 || !lm.RateLimit.Known {
			t.Errorf("a 403 spends quota and reports the budget: %+v", lm)
		}
	})
	t.Run("401 after revoke", func(t *testing.T) {
		s2, srv2 := loopbackSim(t, sim.Config{Seed: 3, Events: 100})
		c2 := loopbackClient(t, srv2, sim.ComplianceKey)
		if _, err := c2.ListPage(ctx, feed.PageParams{}); err != nil {
			t.Fatal(err)
		}
		s2.Revoke(sim.ComplianceKey)
		if _, err := c2.ListPage(ctx, feed.PageParams{}); !feed.IsAuth(err) {
			t.Fatalf("revoked key: %v", err)
		}
	})
	t.Run("500 x-should-retry false is one attempt", func(t *testing.T) {
		s.SetFaults(sim.Faults{ServerErrorEvery: 1, ServerErrorCodes: []int{500}, NoRetry: true})
		defer s.SetFaults(sim.Faults{})
		before := s.Requests()
		_, err := c.ListPage(ctx, feed.PageParams{})
		var ae *feed.APIError
		if !errors.As(err, &ae) || ae.Status != 500 || ae.ShouldRetry == nil || *ae.ShouldRetry || s.Requests()-before != 1 {
			t.Fatalf("got %v after %d requests", err, s.Requests()-before)
		}
	})
	t.Run("rate budget headers", func(t *testing.T) {
		p, err := c.ListPage(ctx, feed.PageParams{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		rl := p.Meta.RateLimit
		if !rl.Known || rl.Limit != 600 || rl.Remaining < 0 || rl.Remaining >= 600 || rl.Reset.IsZero() || p.Meta.Date.IsZero() {
			t.Errorf("rate limit %+v, date %v", rl, p.Meta.Date)
		}
	})
}

func TestContract429WaitsRetryAfterExactly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := sim.New(sim.Config{Seed: 5, Events: 2000, Span: 2 * 24 * time.Hour,
			Faults: sim.Faults{RateLimitEvery: 3, RetryAfter: "2"}})
		var waits []time.Duration
		c := memoryClient(t, s, feed.WithRetryHook(func(e feed.RetryEvent) {
			if e.Status != 429 {
				t.Errorf("unexpected retry: %+v", e)
			}
			waits = append(waits, e.Wait)
		}))
		to := time.Now().Add(-time.Minute)
		start := time.Now()
		got, pages, err := drain(t, c.Older(context.Background(), feed.PageParams{Filter: window(time.Time{}, to), Limit: 100}))
		if err != nil {
			t.Fatal(err)
		}
		assertSameSequence(t, got, ids(s.Truth(time.Time{}, to)))
		if len(waits) == 0 || time.Since(start) != time.Duration(len(waits))*2*time.Second {
			t.Fatalf("%d waits took %v; want exactly 2s each", len(waits), time.Since(start))
		}
		retried := 0
		for _, p := range pages {
			retried += p.Meta.Attempts - 1
		}
		if retried != len(waits) {
			t.Errorf("Meta.Attempts counts %d retries, hook saw %d", retried, len(waits))
		}
	})
}

func TestContractRateBudgetExhausted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// A budget of 4 requests a minute: a long drain must wait for the
		// window to reset, as told by retry-after, and still be complete.
		s := sim.New(sim.Config{Seed: 9, Events: 1500, Span: 24 * time.Hour, RateLimit: 4})
		var waits []time.Duration
		c := memoryClient(t, s, feed.WithRetryHook(func(e feed.RetryEvent) { waits = append(waits, e.Wait) }))
		to := time.Now().Add(-time.Minute)
		got, _, err := drain(t, c.Older(context.Background(), feed.PageParams{Filter: window(time.Time{}, to), Limit: 100}))
		if err != nil {
			t.Fatal(err)
		}
		assertSameSequence(t, got, ids(s.Truth(time.Time{}, to)))
		if len(waits) < 2 {
			t.Fatalf("expected the budget to run out, waits %v", waits)
		}
		for _, w := range waits {
			if w <= 0 || w > time.Minute {
				t.Errorf("wait %v outside (0, 60s]", w)
			}
		}
	})
}

func TestContractServerErrorStorm(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := sim.New(sim.Config{Seed: 1, Events: 500, Faults: sim.Faults{ServerErrorEvery: 1}})
		c := memoryClient(t, s, feed.WithRetry(feed.RetryPolicy{MaxAttempts: 6}))
		start := time.Now()
		_, err := c.ListPage(context.Background(), feed.PageParams{})
		var re *feed.RetryExhaustedError
		var ae *feed.APIError
		if !errors.As(err, &re) || re.Attempts != 6 || !errors.As(err, &ae) || ae.Status < 500 {
			t.Fatalf("got %v", err)
		}
		if s.Requests() != 6 {
			t.Errorf("%d requests, want 6", s.Requests())
		}
		// Full jitter: at most 1+2+4+8+16 s in total.
		if el := time.Since(start); el > 31*time.Second {
			t.Errorf("backoff took %v", el)
		}
	})
}

func TestContractTransientFaultsStillMatchTruth(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := sim.New(sim.Config{Seed: 21, Events: 4000, Span: 3 * 24 * time.Hour, RateLimit: -1,
			Faults: sim.Faults{RateLimitEvery: 5, RetryAfter: "1", ServerErrorEvery: 7, TruncateEvery: 4, ResetEvery: 11,
				Latency: 40 * time.Millisecond}})
		retries := 0
		c := memoryClient(t, s, feed.WithRetryHook(func(feed.RetryEvent) { retries++ }))
		to := time.Now().Add(-time.Minute)
		want := ids(s.Truth(time.Time{}, to))
		for _, order := range []string{"desc", "asc"} {
			got, _, err := drain(t, c.Older(context.Background(), feed.PageParams{Filter: window(time.Time{}, to), Limit: 150, Order: order}))
			if err != nil {
				t.Fatal(err)
			}
			w := want
			if order == "asc" {
				w = reversed(want)
			}
			assertSameSequence(t, got, w)
		}
		if retries < 10 {
			t.Errorf("only %d retries; the faults did not fire", retries)
		}
	})
}

func TestContractConnectionResetOverLoopback(t *testing.T) {
	s, srv := loopbackSim(t, sim.Config{Seed: 4, Events: 2000, RateLimit: -1, Faults: sim.Faults{ResetEvery: 3, TruncateEvery: 5}})
	retries := 0
	c := loopbackClient(t, srv, sim.AdminKey, feed.WithRetryHook(func(feed.RetryEvent) { retries++ }))
	got, _, err := drain(t, c.Older(context.Background(), feed.PageParams{Limit: 100}))
	if err != nil {
		t.Fatal(err)
	}
	assertSameSequence(t, got, ids(s.Truth(time.Time{}, time.Time{})))
	if retries < 5 {
		t.Errorf("only %d retries", retries)
	}
}

func TestContractEmptyHasMorePages(t *testing.T) {
	s, srv := loopbackSim(t, sim.Config{Seed: 8, Events: 1500, RateLimit: -1, Faults: sim.Faults{EmptyHasMore: 3}})
	c := loopbackClient(t, srv, sim.AdminKey)
	for _, order := range []string{"desc", "asc"} {
		got, pages, err := drain(t, c.Older(context.Background(), feed.PageParams{Limit: 100, Order: order}))
		if err != nil {
			t.Fatal(err)
		}
		want := ids(s.Truth(time.Time{}, time.Time{}))
		if order == "asc" {
			want = reversed(want)
		}
		assertSameSequence(t, got, want)
		_, back, err := drain(t, c.Newer(context.Background(), feed.PageParams{Limit: 100, Order: order, BeforeID: pages[len(pages)-1].LastID}))
		if err != nil {
			t.Fatal(err)
		}
		var rebuilt []string
		for _, pg := range back {
			rebuilt = append(ids(pg.Data), rebuilt...)
		}
		assertSameSequence(t, rebuilt, want[:len(want)-1])
	}
}

func TestContractDuplicatesPassThrough(t *testing.T) {
	for _, changed := range []bool{false, true} {
		s, srv := loopbackSim(t, sim.Config{Seed: 6, Events: 1200, RateLimit: -1, Faults: sim.Faults{DuplicateEvery: 2, ChangedDuplicate: changed}})
		c := loopbackClient(t, srv, sim.AdminKey)
		got, _, err := drain(t, c.Older(context.Background(), feed.PageParams{Limit: 100}))
		if err != nil {
			t.Fatal(err)
		}
		want := ids(s.Truth(time.Time{}, time.Time{}))
		var deduped []string
		seen := map[string]bool{}
		for _, id := range got {
			if !seen[id] {
				seen[id] = true
				deduped = append(deduped, id)
			}
		}
		if len(got)-len(deduped) < 3 {
			t.Fatalf("changed=%v: %d duplicates passed through, want several", changed, len(got)-len(deduped))
		}
		assertSameSequence(t, deduped, want)
	}
}
