package feed

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// script is an in-memory server: call n (0-based) is answered by steps[n],
// or by the last step once the script runs out. It records when each call
// arrived, on the bubble's fake clock.
type script struct {
	steps []func(*http.Request) (*http.Response, error)
	times []time.Time
}

func (s *script) RoundTrip(r *http.Request) (*http.Response, error) {
	n := len(s.times)
	s.times = append(s.times, time.Now())
	return s.steps[min(n, len(s.steps)-1)](r)
}

// gaps returns the waits between consecutive calls.
func (s *script) gaps() []time.Duration {
	var g []time.Duration
	for i := 1; i < len(s.times); i++ {
		g = append(g, s.times[i].Sub(s.times[i-1]))
	}
	return g
}

func status(code int, body string, hdr ...string) func(*http.Request) (*http.Response, error) {
	return func(r *http.Request) (*http.Response, error) { return response(r, code, body, hdr...), nil }
}

func netErr(err error) func(*http.Request) (*http.Response, error) {
	return func(*http.Request) (*http.Response, error) { return nil, err }
}

var ok200 = status(200, `{"data":[{"id":"activity_1","created_at":"2026-01-01T00:00:00Z","type":"t"}],"has_more":false,"first_id":"c1","last_id":"c1"}`,
	"request-id", "req_ok")

const body503 = `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`

// identityJitter makes backoff deterministic: the wait is the cap itself.
func identityJitter(c *Client) { c.jitter = func(d time.Duration) time.Duration { return d } }

func durations(ds ...int) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = time.Duration(d) * time.Second
	}
	return out
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRateLimitWaitsRetryAfter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &script{steps: []func(*http.Request) (*http.Response, error){
			status(429, example429, "retry-after", "25", "request-id", "req_429"),
			status(429, example429, "retry-after", "7"),
			ok200,
		}}
		var events []RetryEvent
		c := newTestClient(t, s, WithRetryHook(func(e RetryEvent) { events = append(events, e) }))
		p, err := c.ListPage(context.Background(), PageParams{})
		if err != nil {
			t.Fatal(err)
		}
		if g := s.gaps(); !equalDurations(g, durations(25, 7)) {
			t.Fatalf("waits %v, want exactly 25s then 7s", g)
		}
		if p.Meta.Attempts != 3 || len(p.Data) != 1 {
			t.Errorf("attempts %d, rows %d", p.Meta.Attempts, len(p.Data))
		}
		if len(events) != 2 || events[0].Attempt != 1 || events[0].Wait != 25*time.Second || events[0].Status != 429 ||
			events[0].RequestID != "req_429" || events[0].Clamped || !IsRateLimitErr(events[0].Err) || events[1].Attempt != 2 {
			t.Errorf("events %+v", events)
		}
	})
}

// IsRateLimitErr adapts IsRateLimit for boolean checks in tests.
func IsRateLimitErr(err error) bool { _, ok := IsRateLimit(err); return ok }

func TestRateLimitHTTPDateAndClamp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dated := func(r *http.Request) (*http.Response, error) {
			now := time.Now()
			return response(r, 429, example429, "date", now.UTC().Format(http.TimeFormat),
				"retry-after", now.Add(40*time.Second).UTC().Format(http.TimeFormat)), nil
		}
		s := &script{steps: []func(*http.Request) (*http.Response, error){
			dated,
			status(429, example429, "retry-after", "3600"),
			ok200,
		}}
		var events []RetryEvent
		c := newTestClient(t, s, WithRetry(RetryPolicy{MaxRetryAfter: 90 * time.Second}),
			WithRetryHook(func(e RetryEvent) { events = append(events, e) }))
		if _, err := c.ListPage(context.Background(), PageParams{}); err != nil {
			t.Fatal(err)
		}
		if g := s.gaps(); !equalDurations(g, durations(40, 90)) {
			t.Fatalf("waits %v, want 40s (HTTP-date) then 90s (clamped from 3600s)", g)
		}
		if events[0].Clamped || !events[1].Clamped {
			t.Errorf("Clamped flags %v %v", events[0].Clamped, events[1].Clamped)
		}
	})
}

func TestRateLimitWithoutRetryAfterBacksOffExponentially(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &script{steps: []func(*http.Request) (*http.Response, error){status(429, example429)}}
		c := newTestClient(t, s, WithRetry(RetryPolicy{MaxAttempts: 9, MaxElapsed: time.Hour}))
		_, err := c.ListPage(context.Background(), PageParams{})
		var re *RetryExhaustedError
		if !errors.As(err, &re) || re.Attempts != 9 {
			t.Fatalf("want RetryExhaustedError after 9 attempts, got %v", err)
		}
		if d, ok := IsRateLimit(err); !ok || d != 0 {
			t.Errorf("IsRateLimit(%v) = %v %v", err, d, ok)
		}
		if g := s.gaps(); !equalDurations(g, durations(1, 2, 4, 8, 16, 32, 60, 60)) {
			t.Fatalf("waits %v, want 1s doubling to a 60s cap", g)
		}
	})
}

func TestServerErrorsBackOffWithFullJitter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &script{steps: []func(*http.Request) (*http.Response, error){status(503, body503, "request-id", "req_503")}}
		var caps []time.Duration
		c := newTestClient(t, s, WithRetry(RetryPolicy{MaxAttempts: 10, MaxElapsed: time.Hour}))
		c.jitter = func(d time.Duration) time.Duration {
			caps = append(caps, d)
			return fullJitter(d)
		}
		_, err := c.ListPage(context.Background(), PageParams{})
		var re *RetryExhaustedError
		var ae *APIError
		if !errors.As(err, &re) || re.Attempts != 10 || !errors.As(err, &ae) || ae.Status != 503 || ae.RequestID != "req_503" {
			t.Fatalf("got %v", err)
		}
		if len(s.times) != 10 {
			t.Errorf("%d attempts, want 10", len(s.times))
		}
		if !equalDurations(caps, durations(1, 2, 4, 8, 16, 32, 60, 60, 60)) {
			t.Errorf("backoff caps %v", caps)
		}
		for i, g := range s.gaps() {
			if g < 0 || g > caps[i] {
				t.Errorf("wait %d = %v outside [0, %v]", i, g, caps[i])
			}
		}
	})
}

func TestFullJitterBounds(t *testing.T) {
	for _, d := range []time.Duration{0, 1, time.Millisecond, time.Second, time.Minute} {
		seenLow, seenHigh := false, false
		for range 2000 {
			j := fullJitter(d)
			if j < 0 || j > d {
				t.Fatalf("fullJitter(%v) = %v", d, j)
			}
			seenLow = seenLow || j <= d/4
			seenHigh = seenHigh || j >= d-d/4
		}
		if !seenLow || !seenHigh {
			t.Errorf("fullJitter(%v) does not spread over [0, d]", d)
		}
	}
}

func TestRetryableStatuses(t *testing.T) {
	for _, code := range []int{500, 502, 503, 504, 529} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := &script{steps: []func(*http.Request) (*http.Response, error){status(code, body503), status(code, "<html>"), ok200}}
				c := newTestClient(t, s, identityJitter)
				p, err := c.ListPage(context.Background(), PageParams{})
				if err != nil || p.Meta.Attempts != 3 {
					t.Fatalf("%d: %v", code, err)
				}
				if g := s.gaps(); !equalDurations(g, durations(1, 2)) {
					t.Errorf("waits %v", g)
				}
			})
		})
	}
}

func TestNonRetryableStatuses(t *testing.T) {
	cases := []struct {
		code int
		body string
		hdr  []string
	}{
		{400, example400, nil},
		{400, example400, []string{"x-should-retry", "true"}},
		{401, example401, nil},
		{403, example403, nil},
		{404, `{"error":{"type":"not_found_error","message":"Not found"}}`, nil},
		{409, `{"error":{"type":"conflict_error","message":"c"}}`, nil},
		{500, `{"type":"error","error":{"type":"api_error","message":"Internal server error"}}`, []string{"x-should-retry", "false"}},
		{503, body503, []string{"x-should-retry", "false"}},
		{429, example429, []string{"x-should-retry", "false", "retry-after", "1"}},
		{301, "", []string{"location", "https://elsewhere.example/"}},
	}
	for _, tc := range cases {
		t.Run(strconv.Itoa(tc.code), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := &script{steps: []func(*http.Request) (*http.Response, error){status(tc.code, tc.body, tc.hdr...), ok200}}
				hooked := 0
				c := newTestClient(t, s, WithRetryHook(func(RetryEvent) { hooked++ }))
				_, err := c.ListPage(context.Background(), PageParams{})
				var ae *APIError
				if !errors.As(err, &ae) || ae.Status != tc.code {
					t.Fatalf("got %v", err)
				}
				var re *RetryExhaustedError
				if errors.As(err, &re) || len(s.times) != 1 || hooked != 0 {
					t.Fatalf("retried: %d attempts, err %v", len(s.times), err)
				}
			})
		})
	}
}

func TestConflictRetriedWhenServerSaysSo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &script{steps: []func(*http.Request) (*http.Response, error){
			status(408, `{"error":{"type":"timeout_error","message":"t"}}`, "x-should-retry", "true"), ok200}}
		c := newTestClient(t, s, identityJitter)
		if _, err := c.ListPage(context.Background(), PageParams{}); err != nil || len(s.times) != 2 {
			t.Fatalf("408 with x-should-retry:true: %v after %d attempts", err, len(s.times))
		}
	})
}

func TestMaxElapsedBoundsRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &script{steps: []func(*http.Request) (*http.Response, error){status(503, body503)}}
		c := newTestClient(t, s, identityJitter, WithRetry(RetryPolicy{MaxAttempts: 100, MaxElapsed: 20 * time.Second}))
		start := time.Now()
		_, err := c.ListPage(context.Background(), PageParams{})
		var re *RetryExhaustedError
		if !errors.As(err, &re) {
			t.Fatalf("got %v", err)
		}
		// Waits 1+2+4+8 = 15s; the next (16s) would pass 20s, so it stops.
		if el := time.Since(start); el != 15*time.Second || re.Attempts != 5 {
			t.Fatalf("elapsed %v after %d attempts, want 15s and 5", el, re.Attempts)
		}
	})
}

func TestRetryAfterBeyondBudgetGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &script{steps: []func(*http.Request) (*http.Response, error){status(429, example429, "retry-after", "100")}}
		c := newTestClient(t, s, WithRetry(RetryPolicy{MaxElapsed: time.Minute, MaxRetryAfter: time.Hour}))
		start := time.Now()
		_, err := c.ListPage(context.Background(), PageParams{})
		if d, ok := IsRateLimit(err); !ok || d != 100*time.Second || time.Since(start) != 0 || len(s.times) != 1 {
			t.Fatalf("got %v %v after %v, %d attempts", d, err, time.Since(start), len(s.times))
		}
	})
}

func dialRefused() error {
	return &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9},
		Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
}

func TestUnreachableGivesUpAfterUnreachableAfter(t *testing.T) {
	for name, e := range map[string]error{
		"refused":  dialRefused(),
		"dns":      &net.DNSError{Err: "no such host", Name: "api.example.test", IsNotFound: true},
		"no route": &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.EHOSTUNREACH)},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := &script{steps: []func(*http.Request) (*http.Response, error){netErr(e)}}
				var events []RetryEvent
				c := newTestClient(t, s, WithRetryHook(func(ev RetryEvent) { events = append(events, ev) }))
				start := time.Now()
				_, err := c.ListPage(context.Background(), PageParams{})
				if !errors.Is(err, ErrUnreachable) {
					t.Fatalf("want ErrUnreachable, got %v", err)
				}
				if el := time.Since(start); el != 30*time.Second {
					t.Errorf("gave up after %v, want exactly the 30s UnreachableAfter", el)
				}
				if !strings.Contains(err.Error(), "api.example.test") {
					t.Errorf("error should name the host: %v", err)
				}
				if len(events) == 0 || events[0].Status != 0 || events[0].Err == nil {
					t.Errorf("events %+v", events)
				}
			})
		})
	}
}

func TestUnreachableThenRecovers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &script{steps: []func(*http.Request) (*http.Response, error){netErr(dialRefused()), netErr(dialRefused()), ok200}}
		c := newTestClient(t, s)
		p, err := c.ListPage(context.Background(), PageParams{})
		if err != nil || p.Meta.Attempts != 3 {
			t.Fatalf("%v", err)
		}
		if g := s.gaps(); !equalDurations(g, durations(1, 2)) {
			t.Errorf("waits %v", g)
		}
	})
}

func TestTransientNetworkErrorsAreRetried(t *testing.T) {
	truncated := func(r *http.Request) (*http.Response, error) {
		return response(r, 200, `{"data":[{"id":"activity_1","created_at":"2026-01-01T00:00:00Z"`), nil
	}
	shortBody := func(r *http.Request) (*http.Response, error) {
		resp := response(r, 200, `{"data":[],"has_more":false}`)
		resp.ContentLength = 1000
		return resp, nil
	}
	resetMidBody := func(r *http.Request) (*http.Response, error) {
		resp := response(r, 200, "")
		resp.Body = io.NopCloser(io.MultiReader(strings.NewReader(`{"data":[`), errReader{syscall.ECONNRESET}))
		resp.ContentLength = -1
		return resp, nil
	}
	for name, step := range map[string]func(*http.Request) (*http.Response, error){
		"eof":            netErr(io.EOF),
		"unexpected eof": netErr(io.ErrUnexpectedEOF),
		"reset":          netErr(&net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}),
		"truncated json": truncated,
		"short body":     shortBody,
		"reset mid-body": resetMidBody,
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := &script{steps: []func(*http.Request) (*http.Response, error){step, step, ok200}}
				c := newTestClient(t, s, identityJitter)
				p, err := c.ListPage(context.Background(), PageParams{})
				if err != nil || len(p.Data) != 1 || p.Meta.Attempts != 3 {
					t.Fatalf("got %v", err)
				}
				if g := s.gaps(); !equalDurations(g, durations(1, 2)) {
					t.Errorf("waits %v", g)
				}
			})
		})
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestTimeoutIsRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		calls := 0
		hang := func(r *http.Request) (*http.Response, error) {
			calls++
			if calls == 1 {
				<-r.Context().Done() // a server that never answers
				return nil, r.Context().Err()
			}
			return ok200(r)
		}
		c, err := New(WithBaseURL("https://api.example.test"), WithKey(NewSecret(testKey)),
			WithHTTPClient(&http.Client{Transport: rtFunc(hang), Timeout: 10 * time.Second}))
		if err != nil {
			t.Fatal(err)
		}
		c.jitter = func(d time.Duration) time.Duration { return d }
		start := time.Now()
		p, err := c.ListPage(context.Background(), PageParams{})
		if err != nil || p.Meta.Attempts != 2 {
			t.Fatalf("got %v", err)
		}
		if el := time.Since(start); el != 11*time.Second {
			t.Errorf("elapsed %v, want the 10s timeout plus a 1s backoff", el)
		}
	})
}

func TestCancelDuringWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &script{steps: []func(*http.Request) (*http.Response, error){status(429, example429, "retry-after", "60")}}
		c := newTestClient(t, s)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		_, err := c.ListPage(ctx, PageParams{})
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != 5*time.Second || len(s.times) != 1 {
			t.Fatalf("got %v after %v", err, time.Since(start))
		}
	})
}

func TestCertificateErrorsAreNotRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &script{steps: []func(*http.Request) (*http.Response, error){
			netErr(&url.Error{Op: "Get", URL: "https://api.example.test", Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}})}}
		c := newTestClient(t, s)
		if _, err := c.ListPage(context.Background(), PageParams{}); err == nil || len(s.times) != 1 {
			t.Fatalf("got %v after %d attempts", err, len(s.times))
		}
	})
}

func TestRetryPolicyDefaults(t *testing.T) {
	got := RetryPolicy{}.withDefaults()
	if got != DefaultRetryPolicy() {
		t.Errorf("zero policy = %+v", got)
	}
	d := DefaultRetryPolicy()
	if d.MaxAttempts != 8 || d.BaseDelay != time.Second || d.MaxDelay != time.Minute || d.MaxRetryAfter != 2*time.Minute ||
		d.MaxElapsed != 5*time.Minute || d.UnreachableAfter != 30*time.Second {
		t.Errorf("defaults %+v", d)
	}
	p := RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}.withDefaults()
	var got2 []time.Duration
	for i := 1; i <= 5; i++ {
		got2 = append(got2, p.exponential(i))
	}
	want := []time.Duration{1, 2, 4, 5, 5}
	for i := range want {
		want[i] *= time.Millisecond
	}
	if !equalDurations(got2, want) {
		t.Errorf("exponential %v", got2)
	}
	if huge := DefaultRetryPolicy().exponential(1000); huge != time.Minute {
		t.Errorf("exponential(1000) = %v", huge)
	}
}
