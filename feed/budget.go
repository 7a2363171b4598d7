package feed

import (
	"context"
	"math"
	"sync"
	"time"
)

// DefaultParallel is how many requests a parallel backfill keeps in flight
// at most when nothing else is asked for (--parallel).
const DefaultParallel = 8

// DefaultBudgetReserve is the fraction of the organisation's rate budget a
// backfill leaves to the org's other consumers (budget_reserve).
const DefaultBudgetReserve = 0.2

// budget admits the requests of a parallel backfill. It keeps at most
// `width` requests in flight and never lets the requests it sends eat into
// the reserve of the shared per-minute budget, as the
// anthropic-ratelimit-requests-* headers of every response report it
// (ACTIVITY_FEED.md §10). A response that needed a retry (a 429, or a
// server in trouble) halves the width; each width's worth of clean
// responses after that widens it by one again, up to the cap.
type budget struct {
	now     func() time.Time
	cap     int
	reserve float64

	mu       sync.Mutex
	width    int
	inflight int
	clean    int // clean responses since the width last changed
	rl       RateLimit
	// wake is closed (and replaced) whenever a waiting request may now be
	// admitted: a slot freed or the budget was re-read.
	wake chan struct{}
}

func newBudget(now func() time.Time, parallel int, reserve float64) *budget {
	parallel = max(parallel, 1)
	return &budget{now: now, cap: parallel, width: parallel, reserve: min(max(reserve, 0), 0.95), wake: make(chan struct{})}
}

// reserved is how many requests of the current minute are left to others.
func (b *budget) reserved() int {
	return int(math.Ceil(float64(b.rl.Limit) * b.reserve))
}

// acquire waits until one more request may be sent.
func (b *budget) acquire(ctx context.Context) error {
	for {
		b.mu.Lock()
		var until time.Time
		admit := b.inflight < b.width
		if admit && b.rl.Known {
			// Every request in flight will spend one unit the last response
			// did not count yet.
			if now := b.now(); now.Before(b.rl.Reset) && b.rl.Remaining-b.inflight <= b.reserved() {
				admit, until = false, b.rl.Reset
			}
		}
		if admit {
			b.inflight++
			b.mu.Unlock()
			return nil
		}
		wake := b.wake
		b.mu.Unlock()
		var timer *time.Timer
		var fired <-chan time.Time
		if !until.IsZero() {
			timer = time.NewTimer(until.Sub(b.now()))
			fired = timer.C
		}
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return ctx.Err()
		case <-wake:
			if timer != nil {
				timer.Stop()
			}
		case <-fired:
			// The window the budget was read in is over: forget it, so the
			// next request reads a fresh one.
			b.mu.Lock()
			if !b.now().Before(b.rl.Reset) {
				b.rl.Known = false
			}
			b.mu.Unlock()
		}
	}
}

// release returns a slot and learns from the response (m is zero when the
// request failed without one).
func (b *budget) release(m Meta) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inflight--
	if rl := m.RateLimit; rl.Known {
		// Responses arrive out of order: a later reset is a newer window;
		// within one window the lowest remaining is the newest count.
		if !b.rl.Known || rl.Reset.After(b.rl.Reset) || (rl.Reset.Equal(b.rl.Reset) && rl.Remaining < b.rl.Remaining) {
			b.rl = rl
		}
	}
	switch {
	case m.Attempts > 1:
		b.width, b.clean = max(1, b.width/2), 0
	case m.Attempts == 1:
		if b.clean++; b.clean >= b.width && b.width < b.cap {
			b.width, b.clean = b.width+1, 0
		}
	}
	close(b.wake)
	b.wake = make(chan struct{})
}

// state reports the current width and the last budget read.
func (b *budget) state() (width int, rl RateLimit) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.width, b.rl
}
