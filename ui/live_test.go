package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"claudit/feed"
	"claudit/store"
)

// fakeTail is a Deps.Tail whose reports the test makes, one at a time,
// through the same channel plumbing a real tail uses.
type fakeTail struct {
	t       *testing.T
	started chan tailRun
	runs    []tailRun
}

type tailRun struct {
	query string
	ctx   context.Context
	ch    chan feed.Progress
}

// fatalPhase makes the fake tail return Err instead of reporting it.
const fatalPhase = "fatal"

func newFakeTail(t *testing.T) *fakeTail {
	return &fakeTail{t: t, started: make(chan tailRun, 64)}
}

func (f *fakeTail) run(ctx context.Context, q feed.Query, report func(feed.Progress)) error {
	r := tailRun{query: q.String(), ctx: ctx, ch: make(chan feed.Progress)}
	f.started <- r
	for {
		select {
		case p := <-r.ch:
			if p.Phase == fatalPhase {
				return p.Err
			}
			report(p)
		case <-ctx.Done():
			return nil
		}
	}
}

// collect takes every run started so far.
func (f *fakeTail) collect() {
	for {
		select {
		case r := <-f.started:
			f.runs = append(f.runs, r)
		default:
			return
		}
	}
}

// current is the running tail, waiting (with a deadline) for it to start.
func (f *fakeTail) current() tailRun {
	f.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		f.collect()
		if n := len(f.runs); n > 0 && f.runs[n-1].ctx.Err() == nil {
			return f.runs[n-1]
		}
		select {
		case r := <-f.started:
			f.runs = append(f.runs, r)
		case <-deadline:
			f.t.Fatal("no live tail is running")
		}
	}
}

// emit makes the running tail report p.
func (f *fakeTail) emit(p feed.Progress) {
	f.t.Helper()
	r := f.current()
	select {
	case r.ch <- p:
	case <-time.After(5 * time.Second):
		f.t.Fatal("the tail did not take the report")
	}
}

// liveRow is an activity at, with a fresh id; self marks claudit's own
// compliance_api_accessed poll.
func liveRow(t *testing.T, id string, at time.Time, self bool) store.Row {
	t.Helper()
	typ, actor := "claude_file_uploaded", `{"type":"user_actor","email_address":"dora@example.com","user_id":"user_01DORA","ip_address":"192.0.2.77"}`
	if self {
		typ, actor = "compliance_api_accessed", `{"type":"api_actor","api_key_id":"apikey_01CLAUDIT","ip_address":"198.51.100.9"}`
	}
	var a feed.Activity
	raw := fmt.Sprintf(`{"id":%q,"created_at":%q,"organization_id":"org_01EXAMPLEORG000000000002","organization_uuid":null,"actor":%s,"type":%q}`,
		id, at.Format(time.RFC3339), actor, typ)
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		t.Fatal(err)
	}
	r := toRow(a)
	r.Self = self
	return r
}

// liveHarness opens the explorer on the example rows with a fake tail and
// a clock the test moves.
func liveHarness(t *testing.T, query string) (*harness, *fakeSource, *fakeTail, *time.Time) {
	src := newFakeRows(selfRows(t))
	ft := newFakeTail(t)
	clock := testNow
	h := newHarness(t, src, 160, 48, withQuery(query), parkWaits(),
		withSync(func(context.Context, feed.Query, func(feed.Progress)) error { return nil }),
		withDeps(func(d *Deps) {
			d.Tail = ft.run
			d.Now = func() time.Time { return clock }
		}))
	h.releaseWaits() // the window sync ends at once
	return h, src, ft, &clock
}

func TestLiveTail(t *testing.T) {
	h, src, ft, clock := liveHarness(t, "since:24h")
	rows := selfRows(t)
	h.key("f")
	if !h.m.live || !h.m.follow {
		t.Fatal("f starts the live tail, following")
	}
	if r := ft.current(); r.query != "since:24h" {
		t.Fatalf("the tail runs %q", r.query)
	}
	if got := h.m.eff.String(); got != "since:24h" || !h.m.eff.HidesSelf() {
		t.Fatalf("live reads %q, hiding own calls %v", got, h.m.eff.HidesSelf())
	}
	for _, r := range h.m.table.rows {
		if r.Self {
			t.Fatalf("own call %s shown while live", r.ID)
		}
	}
	h.mustContain("● LIVE", "connecting…", "FOLLOW", "1 own hidden")

	// A poll stores two events and one of claudit's own calls.
	fresh := liveRow(t, "activity_01LIVE0000000000000002", testNow.Add(-30*time.Second), false)
	older := liveRow(t, "activity_01LIVE0000000000000001", testNow.Add(-2*time.Minute), false)
	self := liveRow(t, "activity_01LIVE0000000000000003", testNow.Add(-20*time.Second), true)
	rows = append(rows, fresh, older, self)
	src.replace(rows)
	ft.emit(feed.Progress{Phase: "tail", Inserted: 2, PollInterval: 10 * time.Second, LastPoll: testNow.Add(-3 * time.Second),
		RateLimit: feed.RateLimit{Limit: 600, Remaining: 590, Known: true}})
	h.releaseWaits()
	if h.selectedID() != fresh.ID || h.m.table.cursor != 0 {
		t.Fatalf("following: selected %s at %d, want the newest %s", h.selectedID(), h.m.table.cursor, fresh.ID)
	}
	h.mustContain("● LIVE · every 10s · polled 3s ago", "budget 590/600", "2 own hidden",
		"newest minute: the feed may still be indexing")
	if !h.m.detail.indexing {
		t.Fatal("a row 30 s old is in the newest minute")
	}

	// Moving down pauses; arrivals are counted, the cursor stays.
	h.key("j")
	want := h.selectedID()
	if want != older.ID || h.m.follow {
		t.Fatalf("j: selected %s, follow %v", want, h.m.follow)
	}
	for i := range 3 {
		rows = append(rows, liveRow(t, fmt.Sprintf("activity_01LIVE00000000000001%d", i), testNow.Add(-time.Duration(10-i)*time.Second), false))
	}
	src.replace(rows)
	ft.emit(feed.Progress{Phase: "tail", Inserted: 3, PollInterval: 10 * time.Second, LastPoll: testNow})
	h.releaseWaits()
	if h.selectedID() != want {
		t.Fatalf("paused: the cursor moved to %s", h.selectedID())
	}
	if h.m.newRows != 3 {
		t.Fatalf("badge counts %d new rows, want 3", h.m.newRows)
	}
	h.mustContain("PAUSED", "▲ 3 new")

	// space resumes at the top; space again pauses.
	h.key("space")
	if !h.m.follow || h.m.table.cursor != 0 || h.m.newRows != 0 || h.selectedID() != "activity_01LIVE000000000000012" {
		t.Fatalf("space resumes: follow %v cursor %d new %d at %s", h.m.follow, h.m.table.cursor, h.m.newRows, h.selectedID())
	}
	h.key("space")
	if h.m.follow {
		t.Fatal("space pauses")
	}
	h.key("f") // f resumes when paused...
	if !h.m.follow || !h.m.live {
		t.Fatal("f resumes a paused live view")
	}

	// S shows claudit's own calls.
	h.key("S")
	if h.m.eff.String() != "since:24h" || h.m.eff.HidesSelf() {
		t.Fatalf("S: reads %q, hiding own calls %v", h.m.eff.String(), h.m.eff.HidesSelf())
	}
	var selfShown bool
	for _, r := range h.m.table.rows {
		selfShown = selfShown || r.ID == self.ID
	}
	if !selfShown || strings.Contains(h.screen(), "own hidden") {
		t.Fatal("S must show the own calls and drop the hidden count")
	}
	h.key("S")

	// The API pushes back: a countdown that runs with the clock.
	ft.emit(feed.Progress{Phase: "retry", RetryWait: 12 * time.Second, RetryStatus: 429})
	h.releaseWaits()
	h.mustContain("retry in 12s (429)")
	*clock = clock.Add(5 * time.Second)
	h.fireTicks()
	h.mustContain("retry in 7s (429)")
	// A failed poll the tail will retry.
	ft.emit(feed.Progress{Phase: "tail", Err: errors.New("502 bad gateway"), PollInterval: time.Minute, LastPoll: *clock})
	h.releaseWaits()
	h.mustContain("poll failed", "every 1m", "live poll failed, retrying: 502 bad gateway")

	// A new query restarts the tail for it.
	first := ft.current()
	h.key("2")
	if first.ctx.Err() == nil {
		t.Fatal("a new query must cancel the old tail")
	}
	if r := ft.current(); r.query != "since:1h" || !h.m.live {
		t.Fatalf("restarted tail runs %q (live %v)", r.query, h.m.live)
	}
	// f while following stops it; the view drops the implicit -is:self.
	running := ft.current()
	h.key("f")
	if h.m.live || running.ctx.Err() == nil || h.m.eff.String() != "since:1h" {
		t.Fatalf("f stops: live %v, tail cancelled %v, reads %q", h.m.live, running.ctx.Err() != nil, h.m.eff.String())
	}
	h.mustContain("live tail stopped")
	if strings.Contains(h.screen(), "● LIVE") {
		t.Fatal("LIVE stays in the header")
	}

	// A tail that fails for good ends the live mode with the reason.
	h.key("f")
	ft.emit(feed.Progress{Phase: fatalPhase, Err: errors.New("401 invalid x-api-key")})
	h.releaseWaits()
	if h.m.live {
		t.Fatal("a failed tail leaves live mode on")
	}
	h.mustContain("live tail stopped: 401 invalid x-api-key")

	// Quit cancels a running tail.
	h.key("f")
	running = ft.current()
	h.key("q")
	if !h.quit || running.ctx.Err() == nil {
		t.Fatal("quit must cancel the tail")
	}
}

// A relative window keeps sliding while live; F freezes it into the
// absolute bounds on screen.
func TestLiveWindowSlidesAndFreezes(t *testing.T) {
	h, _, ft, clock := liveHarness(t, "since:1h")
	h.key("f")
	from0, to0 := h.m.window()
	*clock = clock.Add(time.Minute)
	ft.emit(feed.Progress{Phase: "tail", PollInterval: 10 * time.Second, LastPoll: *clock})
	h.releaseWaits()
	from1, to1 := h.m.window()
	if to1.Sub(to0) != time.Minute || from1.Sub(from0) != time.Minute {
		t.Fatalf("window did not slide: %v–%v then %v–%v", from0, to0, from1, to1)
	}
	h.key("F")
	w := h.m.query.Window
	if !w.From.Equal(from1) || !w.To.Equal(to1) || w.Since != 0 {
		t.Fatalf("F froze %+v, want %v–%v", w, from1, to1)
	}
	h.mustContain("from:2026-09-15T14:01:00Z to:2026-09-15T15:01:00Z", "window frozen")
	if h.m.keys.Freeze.Enabled() {
		t.Fatal("F is meaningless on an absolute window")
	}
	// Still live on the frozen window, and it no longer slides.
	if !h.m.live || ft.current().query != h.m.query.String() {
		t.Fatal("the tail follows the frozen query")
	}
	*clock = clock.Add(time.Minute)
	ft.emit(feed.Progress{Phase: "tail", PollInterval: 10 * time.Second, LastPoll: *clock})
	h.releaseWaits()
	if f, to := h.m.window(); !f.Equal(from1) || !to.Equal(to1) {
		t.Fatal("a frozen window moved")
	}
}

func TestLiveGolden(t *testing.T) {
	h, src, ft, _ := liveHarness(t, "since:24h")
	rows := selfRows(t)
	h.key("f")
	rows = append(rows,
		liveRow(t, "activity_01LIVE0000000000000002", testNow.Add(-30*time.Second), false),
		liveRow(t, "activity_01LIVE0000000000000001", testNow.Add(-2*time.Minute), false),
		liveRow(t, "activity_01LIVE0000000000000003", testNow.Add(-20*time.Second), true))
	src.replace(rows)
	ft.emit(feed.Progress{Phase: "tail", Inserted: 2, PollInterval: 10 * time.Second, LastPoll: testNow.Add(-3 * time.Second),
		RateLimit: feed.RateLimit{Limit: 600, Remaining: 590, Known: true}})
	h.releaseWaits()
	h.key("j")
	rows = append(rows, liveRow(t, "activity_01LIVE0000000000000009", testNow.Add(-5*time.Second), false))
	src.replace(rows)
	ft.emit(feed.Progress{Phase: "tail", Inserted: 1, PollInterval: 10 * time.Second, LastPoll: testNow,
		RateLimit: feed.RateLimit{Limit: 600, Remaining: 589, Known: true}})
	h.releaseWaits()
	ft.emit(feed.Progress{Phase: "retry", RetryWait: 30 * time.Second, RetryStatus: 429})
	h.releaseWaits()
	h.fireTicks() // the status message expires
	requireGolden(t, "160x48_live", h.screen())
}

// Tail progress reaches the model through the same coalescing channel as
// Sync: a burst of reports never blocks the tail, and the newest wins.
func TestTailReportsCoalesce(t *testing.T) {
	release := make(chan struct{})
	tail := func(ctx context.Context, q feed.Query, report func(feed.Progress)) error {
		for i := 1; i <= 50; i++ {
			report(feed.Progress{Phase: "tail", Inserted: 1, LastPoll: testNow.Add(time.Duration(i) * time.Second)})
		}
		close(release)
		<-ctx.Done()
		return nil
	}
	h := newHarness(t, newFakeRows(exampleRows(t)), 160, 48, parkWaits(), withDeps(func(d *Deps) { d.Tail = tail }))
	h.key("f")
	<-release // every report was made without the UI reading any
	h.releaseWaits()
	if got := h.m.header.tail.LastPoll; !got.Equal(testNow.Add(50 * time.Second)) {
		t.Fatalf("the model saw report %v, want the newest", got)
	}
	h.key("f")
}
