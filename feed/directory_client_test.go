package feed_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"claudit/feed"
	"claudit/feed/sim"
)

// sameDirectory compares a fetched directory with the simulator's truth,
// part by part (Fetched and Requests aside).
func sameDirectory(t *testing.T, got, want *feed.Directory) {
	t.Helper()
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"orgs", got.Orgs, want.Orgs}, {"users", got.Users, want.Users}, {"roles", got.Roles, want.Roles},
		{"groups", got.Groups, want.Groups}, {"keys", got.Keys, want.Keys},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s differ:\n got %+v\nwant %+v", c.name, c.got, c.want)
		}
	}
	if len(got.Denied) != 0 {
		t.Errorf("denied %+v", got.Denied)
	}
}

// listRequests is what a refresh of d costs at the maximum page size: one
// request per 1000 rows of each list (at least one), one per settings.
func listRequests(d *feed.Directory) int {
	pages := func(n int) int { return max(1, (n+feed.DirectoryMaxLimit-1)/feed.DirectoryMaxLimit) }
	n := pages(len(d.Orgs)) + pages(len(d.Groups))
	for _, o := range d.Orgs {
		users := 0
		for _, u := range d.Users {
			if u.OrgUUID == o.UUID {
				users++
			}
		}
		roles := 0
		for _, r := range d.Roles {
			if r.OrgUUID == o.UUID {
				roles++
			}
		}
		n += pages(users) + pages(roles) + 1
	}
	for _, g := range d.Groups {
		n += pages(len(g.Members))
	}
	return n
}

func TestFetchDirectoryEqualsTheSimulatorsWorld(t *testing.T) {
	s, srv := loopbackSim(t, sim.Config{Seed: 42})
	c := loopbackClient(t, srv, sim.ComplianceKey)
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	d, err := c.FetchDirectory(context.Background(), feed.WithDirectoryClock(func() time.Time { return at }))
	if err != nil {
		t.Fatal(err)
	}
	want := s.Directory()
	sameDirectory(t, d, want)
	if !d.Fetched.Equal(at) {
		t.Errorf("fetched %v", d.Fetched)
	}
	if d.Requests != listRequests(want) || d.Requests != s.DirectoryStats().Requests {
		t.Errorf("%d requests; want %d, the server counted %d", d.Requests, listRequests(want), s.DirectoryStats().Requests)
	}
	if len(d.Users) < 20 || len(d.Groups) < 5 || len(d.Keys) < 4 || len(d.Roles) == 0 {
		t.Errorf("a thin directory: %d users, %d groups, %d keys, %d roles", len(d.Users), len(d.Groups), len(d.Keys), len(d.Roles))
	}
	for _, u := range s.RemovedUsers() {
		for _, m := range d.Users {
			if m.ID == u.ID {
				t.Errorf("removed user %s fetched", u.Email)
			}
		}
	}
	if rl := c.LastMeta().RateLimit; !rl.Known || rl.Limit != 600 {
		t.Errorf("LastMeta rate limit %+v", rl)
	}

	// Small pages walk to the same directory.
	small, err := c.FetchDirectory(context.Background(), feed.WithDirectoryLimit(2))
	if err != nil {
		t.Fatal(err)
	}
	sameDirectory(t, small, want)
	if small.Requests <= d.Requests {
		t.Errorf("limit 2 took %d requests, limit 1000 %d", small.Requests, d.Requests)
	}
	if _, err := c.FetchDirectory(context.Background(), feed.WithDirectoryLimit(1001)); err == nil {
		t.Error("limit 1001 accepted")
	}
}

func TestFetchDirectoryDenied(t *testing.T) {
	keys := sim.DefaultKeys()
	keys["sk-ant-api01-orgonly"] = sim.KeySpec{Kind: "compliance", KeyID: "apikey_01OrgOnly", Scopes: []string{sim.ScopeOrgData}}
	keys["sk-ant-api01-audit"] = sim.KeySpec{Kind: "compliance", KeyID: "apikey_01Audit", Scopes: []string{feed.ScopeOrgAudit}}
	all := []feed.DeniedPart{
		{Part: feed.PartOrganizations, Scope: feed.ScopeOrgData}, {Part: feed.PartUsers, Scope: feed.ScopeUserData},
		{Part: feed.PartRoles, Scope: feed.ScopeOrgData}, {Part: feed.PartKeys, Scope: feed.ScopeOrgData},
		{Part: feed.PartGroups, Scope: feed.ScopeOrgData}, {Part: feed.PartMembers, Scope: feed.ScopeUserData},
	}
	for _, c := range []struct {
		name, key string
		denied    []feed.DeniedPart
		requests  int
	}{
		// An Admin API key: one request, everything denied, no error.
		{"admin", sim.AdminKey, all, 1},
		// The user-data scope alone cannot find the organizations.
		{"user data only", sim.UserDataOnlyKey, []feed.DeniedPart{
			{Part: feed.PartOrganizations, Scope: feed.ScopeOrgData}, {Part: feed.PartUsers, Scope: feed.ScopeOrgData},
			{Part: feed.PartRoles, Scope: feed.ScopeOrgData}, {Part: feed.PartKeys, Scope: feed.ScopeOrgData},
			{Part: feed.PartGroups, Scope: feed.ScopeOrgData}, {Part: feed.PartMembers, Scope: feed.ScopeOrgData},
		}, 1},
		// Org data alone: everything but users and members, whose 403 is
		// asked once. 1 orgs + 1 users + 2×(roles, settings) + 1 groups.
		{"org data only", "sk-ant-api01-orgonly", []feed.DeniedPart{
			{Part: feed.PartUsers, Scope: feed.ScopeUserData}, {Part: feed.PartMembers, Scope: feed.ScopeUserData},
		}, 7},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, srv := loopbackSim(t, sim.Config{Seed: 42, Keys: keys})
			d, err := loopbackClient(t, srv, c.key).FetchDirectory(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(d.Denied, c.denied) {
				t.Errorf("denied %+v\nwant %+v", d.Denied, c.denied)
			}
			if d.Requests != c.requests || s.DirectoryStats().Requests != c.requests {
				t.Errorf("%d requests (server %d), want %d", d.Requests, s.DirectoryStats().Requests, c.requests)
			}
			if c.name == "org data only" {
				want := s.Directory()
				if len(d.Users) != 0 || !reflect.DeepEqual(d.Orgs, want.Orgs) || !reflect.DeepEqual(d.Keys, want.Keys) || len(d.Groups) != len(want.Groups) {
					t.Errorf("org-data parts: %d users, %d orgs, %d keys, %d groups", len(d.Users), len(d.Orgs), len(d.Keys), len(d.Groups))
				}
				for _, g := range d.Groups {
					if g.MembersKnown || g.Members != nil {
						t.Errorf("group %s: members known %v", g.Name, g.MembersKnown)
					}
				}
			}
		})
	}
	t.Run("org_audit reads everything", func(t *testing.T) {
		s, srv := loopbackSim(t, sim.Config{Seed: 42, Keys: keys})
		d, err := loopbackClient(t, srv, "sk-ant-api01-audit").FetchDirectory(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		sameDirectory(t, d, s.Directory())
	})
	t.Run("bad key is an error", func(t *testing.T) {
		_, srv := loopbackSim(t, sim.Config{Seed: 42})
		_, err := loopbackClient(t, srv, "sk-ant-api01-nope").FetchDirectory(context.Background())
		var ae *feed.APIError
		if !errors.As(err, &ae) || ae.Status != 401 || !strings.Contains(err.Error(), "directory: organizations") {
			t.Errorf("err %v", err)
		}
	})
}

// TestFetchDirectoryLargeRequestCount: 10k users and 200 groups refresh in
// ceil(rows/limit) requests per list, the target.
func TestFetchDirectoryLargeRequestCount(t *testing.T) {
	s, srv := loopbackSim(t, sim.Config{Seed: 7, Events: 200})
	s.GrowDirectory(10000, 200)
	d, err := loopbackClient(t, srv, sim.ComplianceKey).FetchDirectory(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := s.Directory()
	sameDirectory(t, d, want)
	if len(d.Users) < 10000 || len(d.Groups) < 200 {
		t.Fatalf("%d users, %d groups", len(d.Users), len(d.Groups))
	}
	if d.Requests != listRequests(want) {
		t.Errorf("%d requests, want %d", d.Requests, listRequests(want))
	}
	t.Logf("%d users, %d groups: %d requests", len(d.Users), len(d.Groups), d.Requests)
}

// fakeDirectory serves organizations from orgs (a page per call, by the
// page parameter) and empty everything else.
func fakeDirectory(orgs func(page string) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("request-id", "req_fake")
		switch {
		case r.URL.Path == feed.OrganizationsPath:
			fmt.Fprint(w, orgs(r.URL.Query().Get("page")))
		case strings.HasSuffix(r.URL.Path, "/settings"):
			fmt.Fprint(w, `{"type":"effective_organization_settings","api_keys":[]}`)
		default:
			fmt.Fprint(w, `{"data":[],"has_more":false,"next_page":null}`)
		}
	})
}

func fakeClient(t *testing.T, h http.Handler) (*feed.Client, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return loopbackClient(t, srv, sim.ComplianceKey), srv
}

func TestFetchDirectoryCursorLoop(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	org := `{"uuid":"u1","name":"A","created_at":"2026-01-01T00:00:00Z"}`
	c, _ := fakeClient(t, fakeDirectory(func(page string) string {
		mu.Lock()
		calls++
		mu.Unlock()
		next := map[string]string{"": "t1", "t1": "t2", "t2": "t1"}[page] // t1 → t2 → t1 …
		return `{"data":[` + org + `],"has_more":true,"next_page":"` + next + `"}`
	}))
	_, err := c.FetchDirectory(context.Background())
	var cyc *feed.CursorCycleError
	if !errors.As(err, &cyc) || cyc.Cursor != "t1" || cyc.Distance != 2 || !strings.Contains(err.Error(), "go in a circle") {
		t.Fatalf("err %v (%+v)", err, cyc)
	}
	if calls != 3 {
		t.Errorf("%d requests before stopping, want 3", calls)
	}

	// A page that hands back the token it was asked with.
	c, _ = fakeClient(t, fakeDirectory(func(page string) string {
		return `{"data":[],"has_more":true,"next_page":"same"}`
	}))
	if _, err := c.FetchDirectory(context.Background()); !errors.As(err, &cyc) {
		t.Errorf("same token: %v", err)
	}
	// has_more without a token.
	c, _ = fakeClient(t, fakeDirectory(func(page string) string { return `{"data":[],"has_more":true,"next_page":null}` }))
	if _, err := c.FetchDirectory(context.Background()); !errors.Is(err, feed.ErrNoProgress) {
		t.Errorf("no token: %v", err)
	}
}

// TestFetchDirectoryTokenPassedUnchanged: next_page goes back as page
// byte for byte, however odd it looks.
func TestFetchDirectoryTokenPassedUnchanged(t *testing.T) {
	odd := "a+b/c=d&e f%"
	var got []string
	var mu sync.Mutex
	c, _ := fakeClient(t, fakeDirectory(func(page string) string {
		mu.Lock()
		got = append(got, page)
		mu.Unlock()
		if page == "" {
			return `{"data":[],"has_more":true,"next_page":"` + odd + `"}`
		}
		return `{"data":[],"has_more":false,"next_page":null}`
	}))
	if _, err := c.FetchDirectory(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1] != odd {
		t.Errorf("pages sent %q", got)
	}
}

func TestFetchDirectoryLenientTimes(t *testing.T) {
	c, _ := fakeClient(t, fakeDirectory(func(string) string {
		return `{"data":[` +
			`{"uuid":"u1","name":"Z","created_at":"2026-03-01T09:30:00Z"},` +
			`{"uuid":"u2","name":"offset","created_at":"2026-03-01T10:30:00.250+01:00"},` +
			`{"uuid":"u3","name":"no zone","created_at":"2026-03-01T09:30:00.5"},` +
			`{"uuid":"u4","name":"garbage","created_at":"yesterday"},` +
			`{"uuid":"u5","name":"null","created_at":null}` +
			`],"has_more":false,"next_page":null}`
	}))
	d, err := c.FetchDirectory(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	want := []time.Time{base, base.Add(250 * time.Millisecond), base.Add(500 * time.Millisecond), {}, {}}
	for i, o := range d.Orgs {
		if !o.CreatedAt.Equal(want[i]) {
			t.Errorf("%s: %v, want %v", o.Name, o.CreatedAt, want[i])
		}
	}
	if len(d.Orgs) != 5 || d.Requests != 1+5*3+1 {
		t.Errorf("%d orgs, %d requests", len(d.Orgs), d.Requests)
	}
}

// TestFetchDirectoryRetriesTruncatedBodies: a body cut off mid-JSON is
// asked again, and the refresh is still complete.
func TestFetchDirectoryRetriesTruncatedBodies(t *testing.T) {
	s, srv := loopbackSim(t, sim.Config{Seed: 42, Faults: sim.Faults{TruncateEvery: 3}})
	var retries int
	c := loopbackClient(t, srv, sim.ComplianceKey, feed.WithRetryHook(func(feed.RetryEvent) { retries++ }))
	d, err := c.FetchDirectory(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := s.Directory()
	sameDirectory(t, d, want)
	if retries == 0 || d.Requests != listRequests(want)+retries {
		t.Errorf("%d retries, %d requests for %d lists", retries, d.Requests, listRequests(want))
	}
}

// TestFetchDirectoryHonours429: the injected 429s are waited out exactly as
// retry-after says, on synctest's clock.
func TestFetchDirectoryHonours429(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := sim.New(sim.Config{Seed: 5, Events: 1000, Faults: sim.Faults{RateLimitEvery: 4, RetryAfter: "3"}})
		var waits []time.Duration
		c := memoryClient(t, s, feed.WithKey(feed.NewSecret(sim.ComplianceKey)), feed.WithRetryHook(func(e feed.RetryEvent) {
			if e.Status != 429 {
				t.Errorf("unexpected retry %+v", e)
			}
			waits = append(waits, e.Wait)
		}))
		start := time.Now()
		d, err := c.FetchDirectory(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		sameDirectory(t, d, s.Directory())
		if len(waits) == 0 || time.Since(start) != time.Duration(len(waits))*3*time.Second {
			t.Errorf("%d waits took %v, want 3s each", len(waits), time.Since(start))
		}
	})
}

// countingPacer counts admissions and sees each response's metadata.
type countingPacer struct {
	acquired, released int
	metas              []feed.Meta
}

func (p *countingPacer) Acquire(context.Context) error { p.acquired++; return nil }
func (p *countingPacer) Release(m feed.Meta)           { p.released++; p.metas = append(p.metas, m) }

func TestFetchDirectoryPacer(t *testing.T) {
	_, srv := loopbackSim(t, sim.Config{Seed: 42, RateLimit: 100})
	p := &countingPacer{}
	d, err := loopbackClient(t, srv, sim.ComplianceKey).FetchDirectory(context.Background(), feed.WithDirectoryPacer(p))
	if err != nil {
		t.Fatal(err)
	}
	if p.acquired != d.Requests || p.released != d.Requests {
		t.Errorf("acquired %d, released %d, requests %d", p.acquired, p.released, d.Requests)
	}
	last := p.metas[len(p.metas)-1].RateLimit
	if !last.Known || last.Limit != 100 || last.Remaining != 100-d.Requests {
		t.Errorf("last budget %+v after %d requests", last, d.Requests)
	}

	// The budget pacer: a budget of 10 with half kept in reserve makes the
	// refresh wait for the next window instead of spending it all.
	synctest.Test(t, func(t *testing.T) {
		s := sim.New(sim.Config{Seed: 42, Events: 1000, RateLimit: 10})
		c := memoryClient(t, s, feed.WithKey(feed.NewSecret(sim.ComplianceKey)))
		start := time.Now()
		d, err := c.FetchDirectory(context.Background(), feed.WithDirectoryPacer(feed.NewBudgetPacer(0.5)))
		if err != nil {
			t.Fatal(err)
		}
		sameDirectory(t, d, s.Directory())
		if d.Requests != listRequests(s.Directory()) || time.Since(start) < time.Minute {
			t.Errorf("%d requests (no 429 retries expected) in %v", d.Requests, time.Since(start))
		}
	})
}
