package feed

import (
	"context"
	"errors"
	"time"
)

// Tail follows the newest activities matching the query's server-side
// filter until ctx ends: the before_id catch-up loop of the contract (§5),
// persisting the newest cursor only once a loop reaches the present, plus a
// reconciliation pass over the trailing overlap at start and every
// reconcile interval, so events indexed late are caught (the store flags
// them late). The poll interval adapts: it starts at the minimum, grows
// while nothing new arrives (claudit's own compliance_api_accessed events
// do not count) and while the shared rate budget runs low.
//
// Tail returns nil when ctx is cancelled, and an error for failures that
// retrying cannot fix (authentication, permission, a rejected request).
// Transient failures are reported as progress and retried at the slowest
// interval.
func (s *Syncer) Tail(ctx context.Context, q Query) error {
	filter, err := q.ServerFilter()
	if err != nil {
		return err
	}
	sig := filter.Encode()
	t := &tailState{
		cursorName: "tail:" + sig,
		interval:   s.cfg.pollMin,
		self:       newSelfTracker(4096),
	}
	if t.cursor, err = s.sink.Cursor(ctx, t.cursorName); err != nil {
		return err
	}
	var lastReconcile time.Time
	for {
		if ctx.Err() != nil {
			return nil
		}
		var fresh int
		var rl RateLimit
		err := func() error {
			if lastReconcile.IsZero() || s.cfg.now().Sub(lastReconcile) >= s.cfg.reconcileEvery {
				if err := s.reconcile(ctx, q, t); err != nil {
					return err
				}
				lastReconcile = s.cfg.now()
			}
			var err error
			fresh, rl, err = s.catchUp(ctx, q, sig, t)
			return err
		}()
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil && isFatal(err):
			return err
		case err != nil:
			t.interval = s.cfg.pollMax
			s.report(Progress{Phase: "tail", Err: err, PollInterval: t.interval, LastPoll: s.cfg.now(), RateLimit: t.rate})
		default:
			t.interval = s.nextInterval(t.interval, fresh, rl)
			s.report(Progress{Phase: "tail", Inserted: fresh, PollInterval: t.interval, LastPoll: s.cfg.now(), RateLimit: rl})
		}
		timer := time.NewTimer(t.interval)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C:
		}
	}
}

// tailState is what one Tail call carries between polls.
type tailState struct {
	cursorName string
	cursor     string
	interval   time.Duration
	rate       RateLimit
	self       *selfTracker
}

// isFatal reports errors that no amount of retrying fixes.
// A server whose cursors go in circles is one too: polling it again would
// only repeat the cycle on the shared rate budget.
func isFatal(err error) bool {
	var cycle *CursorCycleError
	return IsAuth(err) || IsPermission(err) || IsInvalidRequest(err) || errors.Is(err, context.Canceled) ||
		errors.As(err, &cycle)
}

// nextInterval adapts the poll interval: back to the minimum when new
// events arrived, half again as long (up to the maximum) when none did,
// and at least half the maximum when under a quarter of the shared rate
// budget is left (the maximum under a tenth).
func (s *Syncer) nextInterval(cur time.Duration, fresh int, rl RateLimit) time.Duration {
	next := min(cur*3/2, s.cfg.pollMax)
	if fresh > 0 {
		next = s.cfg.pollMin
	}
	if rl.Known && rl.Limit > 0 {
		switch left := float64(rl.Remaining) / float64(rl.Limit); {
		case left < 0.10:
			next = s.cfg.pollMax
		case left < 0.25:
			next = max(next, s.cfg.pollMax/2)
		}
	}
	return max(next, s.cfg.pollMin)
}

// reconcile re-reads the trailing overlap regardless of coverage. New rows
// in ranges already covered are flagged late by the sink.
func (s *Syncer) reconcile(ctx context.Context, q Query, t *tailState) error {
	filter, err := q.ServerFilter()
	if err != nil {
		return err
	}
	end := s.safeEnd()
	from := end.Add(-s.cfg.overlap)
	run := runState{}
	if run.id, err = s.sink.BeginRun(ctx, RunInfo{Kind: "reconcile", Query: q.String(), Filter: filter.Encode(), Window: Range{from, end}, Started: s.cfg.now()}); err != nil {
		return err
	}
	err = s.syncWindow(ctx, q, filter.Encode(), func() (time.Time, time.Time) { return from, end }, true, &run)
	for _, id := range run.summary.RequestIDs {
		t.self.addRequest(id)
	}
	_, err = s.finish(ctx, &run, err)
	return err
}

// catchUp reads everything newer than the tail cursor (or the newest page
// when there is none yet) and returns how many of the activities it stored
// are new and not claudit's own.
func (s *Syncer) catchUp(ctx context.Context, q Query, sig string, t *tailState) (int, RateLimit, error) {
	filter, err := q.ServerFilter()
	if err != nil {
		return 0, RateLimit{}, err
	}
	p := PageParams{Filter: filter, Limit: s.cfg.pageLimit, BeforeID: t.cursor}
	fresh := 0
	var log cursorLog
	log.start(t.cursor)
	empty := 0
	for {
		page, err := s.pager.ListPage(ctx, p)
		if err != nil {
			var apiErr *APIError
			if errors.As(err, &apiErr) && apiErr.RequestID != "" {
				t.self.addRequest(apiErr.RequestID)
				_ = s.sink.RecordRequestIDs(ctx, apiErr.RequestID)
			}
			return fresh, t.rate, err
		}
		s.observe(page.Meta)
		t.rate = page.Meta.RateLimit
		t.self.addRequest(page.Meta.RequestID)
		if page.HasMore {
			if err := log.check(p.BeforeID, page.FirstID, page.Meta.RequestID); err != nil {
				return fresh, t.rate, err
			}
		}
		// A first poll without a cursor reads the newest page only: the
		// past is window sync's job.
		atPresent := !page.HasMore || t.cursor == ""
		// An empty page (no first_id) leaves the position where this
		// request started: after the newest page stored so far, not where
		// the poll started (that would re-read the whole catch-up).
		next := p.BeforeID
		if page.FirstID != "" {
			next = page.FirstID
		}
		b := Batch{Filter: sig, Activities: page.Data, RequestID: page.Meta.RequestID}
		if atPresent && next != "" {
			b.CursorName, b.CursorValue = t.cursorName, next
		}
		res, err := s.sink.Put(ctx, b)
		if err != nil {
			return fresh, t.rate, err
		}
		if res.Inserted > 0 {
			fresh += t.self.countOthers(page.Data)
		}
		if atPresent {
			t.cursor = next
			return fresh, t.rate, nil
		}
		if len(page.Data) == 0 {
			empty++
		} else {
			empty = 0
		}
		if next == p.BeforeID || empty >= maxStuckPages {
			// has_more without a moving cursor, or page after page of
			// nothing: stop this poll; the next one retries from the same,
			// still-valid cursor.
			return fresh, t.rate, nil
		}
		p.BeforeID = next
	}
}

// selfTracker recognises claudit's own compliance_api_accessed events: their
// request_id is one claudit received, and from the first such event on,
// their actor key id is known to be claudit's.
type selfTracker struct {
	ids   map[string]bool
	order []string
	limit int
	keyID string
}

func newSelfTracker(limit int) *selfTracker {
	return &selfTracker{ids: map[string]bool{}, limit: limit}
}

func (st *selfTracker) addRequest(id string) {
	if id == "" || st.ids[id] {
		return
	}
	st.ids[id] = true
	st.order = append(st.order, id)
	if len(st.order) > st.limit {
		delete(st.ids, st.order[0])
		st.order = st.order[1:]
	}
}

// isSelf reports whether a is an event claudit's own request caused.
func (st *selfTracker) isSelf(a Activity) bool {
	if a.Type != "compliance_api_accessed" {
		return false
	}
	if st.keyID != "" && a.Actor.APIKeyID == st.keyID {
		return true
	}
	if st.ids[a.StringField("request_id")] {
		st.keyID = a.Actor.APIKeyID
		return true
	}
	return false
}

func (st *selfTracker) countOthers(acts []Activity) int {
	n := 0
	for _, a := range acts {
		if !st.isSelf(a) {
			n++
		}
	}
	return n
}
