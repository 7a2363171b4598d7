package feed

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// RetryPolicy bounds how a request is retried (ACTIVITY_FEED.md §10–§11).
// Zero fields take the defaults documented on each field.
type RetryPolicy struct {
	MaxAttempts   int           // per request, including the first; default 8
	BaseDelay     time.Duration // first backoff step; default 1s
	MaxDelay      time.Duration // cap of the exponential backoff; default 60s
	MaxRetryAfter time.Duration // clamp for a server's retry-after; default 120s
	MaxElapsed    time.Duration // total time budget per request; default 5 min
	// UnreachableAfter is how long connection refused, DNS and no-route
	// errors are retried before giving up with ErrUnreachable; default 30s
	// (the explorer, which shows a countdown). HeadlessRetryPolicy uses 8s.
	UnreachableAfter time.Duration
	// IdleTimeout is how long an attempt may go without receiving a byte
	// (waiting for the response headers, or between reads of the body)
	// before it fails with ErrStalled and is retried; default 30s. A slow
	// page that keeps flowing is never cut off.
	IdleTimeout time.Duration
	// StalledAfter bounds a request whose server keeps stalling: a stall
	// is not retried, and the attempt after one is cut off, past this much
	// time since the request began; default MaxElapsed. HeadlessRetryPolicy
	// uses 60s.
	StalledAfter time.Duration
}

// DefaultRetryPolicy returns the policy used when none is given.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		MaxAttempts:      8,
		BaseDelay:        time.Second,
		MaxDelay:         60 * time.Second,
		MaxRetryAfter:    120 * time.Second,
		MaxElapsed:       5 * time.Minute,
		UnreachableAfter: 30 * time.Second,
		IdleTimeout:      30 * time.Second,
		StalledAfter:     5 * time.Minute,
	}
}

// HeadlessRetryPolicy is the policy of commands without a screen (sync,
// query, key, export), where nobody watches a countdown: a refused
// connection fails within 10 s (8 s of retries) and a server that stops
// sending is given up on within 60 s in all (two attempts of 30 s without a
// byte). Rate limits and 5xx are retried as by DefaultRetryPolicy.
func HeadlessRetryPolicy() RetryPolicy {
	p := DefaultRetryPolicy()
	p.UnreachableAfter = 8 * time.Second
	p.StalledAfter = time.Minute
	return p
}

// withDefaults fills the zero fields of p from DefaultRetryPolicy.
func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy()
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = d.BaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = d.MaxDelay
	}
	if p.MaxDelay < p.BaseDelay {
		p.MaxDelay = p.BaseDelay
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = d.MaxRetryAfter
	}
	if p.MaxElapsed <= 0 {
		p.MaxElapsed = d.MaxElapsed
	}
	if p.UnreachableAfter <= 0 {
		p.UnreachableAfter = d.UnreachableAfter
	}
	if p.IdleTimeout <= 0 {
		p.IdleTimeout = d.IdleTimeout
	}
	if p.StalledAfter <= 0 {
		p.StalledAfter = p.MaxElapsed
	}
	return p
}

// exponential returns BaseDelay·2^(failures-1) capped at MaxDelay
// (failures counts from 1).
func (p RetryPolicy) exponential(failures int) time.Duration {
	d := p.BaseDelay
	for i := 1; i < failures; i++ {
		if d >= p.MaxDelay/2 {
			return p.MaxDelay
		}
		d *= 2
	}
	return min(d, p.MaxDelay)
}

// RetryEvent describes one wait before a retry, for progress displays.
type RetryEvent struct {
	Attempt   int           // the attempt that just failed (1 = the first request)
	Wait      time.Duration // how long the client waits before the next attempt
	Status    int           // HTTP status of the failed attempt; 0 for network errors
	Err       error         // what went wrong
	RequestID string        // request-id of the failed response, if any
	Clamped   bool          // the server's retry-after was longer than MaxRetryAfter
}

// failKind classifies a failed attempt for the retry loop.
type failKind int

const (
	failFatal       failKind = iota // never retried
	failTransient                   // 5xx, 529, resets, timeouts, broken bodies: jittered backoff
	failRateLimit                   // 429: retry-after, else plain exponential
	failUnreachable                 // refused, DNS, no route: retried until UnreachableAfter
)

// failure is one failed attempt.
type failure struct {
	kind       failKind
	err        error
	status     int
	requestID  string
	retryAfter time.Duration // 429 only
	hasAfter   bool
	stalled    bool // no byte arrived for IdleTimeout (kind failTransient)
}

// retrier decides, for one request, whether and how long to wait after
// each failed attempt.
type retrier struct {
	pol              RetryPolicy
	jitter           func(time.Duration) time.Duration
	host             string // for the ErrUnreachable message
	start            time.Time
	unreachableSince time.Time // start of the current run of unreachable failures
}

// next returns the wait before the attempt after failed attempt number
// attempt, or the error to give up with.
func (r *retrier) next(f *failure, attempt int) (wait time.Duration, clamped bool, err error) {
	pol := r.pol
	switch f.kind {
	case failFatal:
		return 0, false, f.err
	case failUnreachable:
		// Bounded by time only: a server that is not there at all is
		// reported quickly and clearly instead of after MaxAttempts.
		now := time.Now()
		if r.unreachableSince.IsZero() {
			r.unreachableSince = now
		}
		left := pol.UnreachableAfter - now.Sub(r.unreachableSince)
		if left <= 0 {
			return 0, false, fmt.Errorf("cannot reach %s for %s (%d attempts): %w: %w",
				r.host, pol.UnreachableAfter, attempt, ErrUnreachable, f.err)
		}
		return min(pol.exponential(attempt), left), false, nil
	}
	r.unreachableSince = time.Time{}
	if attempt >= pol.MaxAttempts {
		return 0, false, &RetryExhaustedError{Attempts: attempt, Last: f.err}
	}
	switch {
	case f.kind == failRateLimit && f.hasAfter:
		wait = f.retryAfter
		if wait > pol.MaxRetryAfter {
			wait, clamped = pol.MaxRetryAfter, true
		}
	case f.kind == failRateLimit:
		// retry-after stripped (by a proxy): plain doubling, no jitter.
		wait = pol.exponential(attempt)
	default:
		wait = r.jitter(pol.exponential(attempt))
	}
	elapsed := time.Since(r.start)
	if elapsed+wait > pol.MaxElapsed || (f.stalled && elapsed+wait >= pol.StalledAfter) {
		return 0, false, &RetryExhaustedError{Attempts: attempt, Last: f.err}
	}
	return wait, clamped, nil
}

// classifyStatus decides whether an HTTP error response is retried:
// x-should-retry:false always wins; 429 and 5xx retry; 408/409 retry only
// when the server says x-should-retry:true; every other status is final.
func classifyStatus(e *APIError) failKind {
	if e.ShouldRetry != nil && !*e.ShouldRetry {
		return failFatal
	}
	switch {
	case e.Status == http.StatusTooManyRequests:
		return failRateLimit
	case e.Status >= 500:
		return failTransient
	case e.Status == http.StatusRequestTimeout || e.Status == http.StatusConflict:
		if e.ShouldRetry != nil && *e.ShouldRetry {
			return failTransient
		}
	}
	return failFatal
}

// classifyNetError sorts a transport error: dial failures and DNS errors
// mean the server cannot be reached at all; certificate and TLS protocol
// errors will not heal by retrying; everything else (resets, EOF, timeouts)
// is transient.
func classifyNetError(err error) failKind {
	var scrubbed *scrubbedError
	if errors.As(err, &scrubbed) {
		return scrubbed.kind
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return failUnreachable
	}
	for _, errno := range []syscall.Errno{syscall.ECONNREFUSED, syscall.EHOSTUNREACH, syscall.ENETUNREACH} {
		if errors.Is(err, errno) {
			return failUnreachable
		}
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return failUnreachable
	}
	var (
		unknownAuthority x509.UnknownAuthorityError
		certInvalid      x509.CertificateInvalidError
		hostname         x509.HostnameError
		recordHeader     tls.RecordHeaderError
		certVerify       *tls.CertificateVerificationError
	)
	if errors.As(err, &unknownAuthority) || errors.As(err, &certInvalid) || errors.As(err, &hostname) ||
		errors.As(err, &recordHeader) || errors.As(err, &certVerify) {
		return failFatal
	}
	return failTransient
}

// parseRetryAfter reads a retry-after value: whole (or decimal) seconds or
// an HTTP-date, relative to now. A date in the past means no wait.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs < 0 || secs != secs { // negative or NaN
			return 0, false
		}
		// Cap before converting so a huge value cannot overflow Duration.
		const maxSecs = float64(1 << 62 / int64(time.Second))
		return time.Duration(min(secs, maxSecs) * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now)), true
	}
	return 0, false
}

// fullJitter returns a uniformly random wait in [0, d] (AWS "full jitter"):
// many clients retrying after the same outage spread out instead of
// returning in lockstep.
func fullJitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d + 1)
}

// sleep waits for d or until ctx is done. It uses a timer, so tests can run
// it under testing/synctest without real waiting.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
