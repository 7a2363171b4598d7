package feed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// stallBody is a response body that sends prefix, then one byte of more
// every gap, then nothing until the request's context ends (gap 0: stalls
// straight after prefix).
type stallBody struct {
	ctx    context.Context
	prefix string
	more   string
	gap    time.Duration
	sent   int
}

func (b *stallBody) Read(p []byte) (int, error) {
	if b.prefix != "" {
		n := copy(p, b.prefix)
		b.prefix = b.prefix[n:]
		return n, nil
	}
	if b.gap > 0 && b.sent < len(b.more) {
		t := time.NewTimer(b.gap)
		defer t.Stop()
		select {
		case <-t.C:
		case <-b.ctx.Done():
			return 0, b.ctx.Err()
		}
		p[0] = b.more[b.sent]
		b.sent++
		return 1, nil
	}
	if b.gap > 0 {
		return 0, io.EOF
	}
	<-b.ctx.Done()
	return 0, b.ctx.Err()
}

func (b *stallBody) Close() error { return nil }

// neverAnswers is a transport whose server accepts the request and sends
// nothing until the request is cancelled.
func neverAnswers(r *http.Request) (*http.Response, error) {
	<-r.Context().Done()
	return nil, r.Context().Err()
}

// headersThenNothing sends the headers and the start of a page, then stalls.
func headersThenNothing(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: &stallBody{ctx: r.Context(), prefix: `{"data":[`}, ContentLength: -1, Request: r}, nil
}

func TestHeadlessGivesUpOnAStalledServerWithinAMinute(t *testing.T) {
	for name, step := range map[string]func(*http.Request) (*http.Response, error){
		"no headers":            neverAnswers,
		"headers, then nothing": headersThenNothing,
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := &script{steps: []func(*http.Request) (*http.Response, error){step}}
				c := newTestClient(t, s, identityJitter, WithRetry(HeadlessRetryPolicy()))
				start := time.Now()
				_, err := c.ListPage(context.Background(), PageParams{})
				el := time.Since(start)
				var re *RetryExhaustedError
				if !errors.Is(err, ErrStalled) || !errors.As(err, &re) {
					t.Fatalf("err = %v, want a stall that exhausted the retries", err)
				}
				if el > time.Minute || el < 30*time.Second {
					t.Fatalf("gave up after %v, want within 60s (and not before the first 30s idle)", el)
				}
				if len(s.times) < 2 {
					t.Fatalf("%d attempts, want the stall retried once", len(s.times))
				}
				if !strings.Contains(err.Error(), "no byte from the server for") {
					t.Errorf("message %q does not say how long nothing came", err)
				}
			})
		})
	}
}

func TestExplorerPolicyStillRetriesAStall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &script{steps: []func(*http.Request) (*http.Response, error){neverAnswers, headersThenNothing, ok200}}
		c := newTestClient(t, s, identityJitter)
		p, err := c.ListPage(context.Background(), PageParams{})
		if err != nil || p.Meta.Attempts != 3 {
			t.Fatalf("got %v", err)
		}
		// Two 30s stalls and the backoff waits of 1s and 2s between them.
		if g := s.gaps(); !equalDurations(g, []time.Duration{31 * time.Second, 32 * time.Second}) {
			t.Errorf("gaps %v", g)
		}
	})
}

// A page that takes ten minutes but never pauses for 30s is not cut off:
// there is no whole-request timeout.
func TestSlowButFlowingPageIsNotCutOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		body := `{"data":[],"has_more":false,"first_id":null,"last_id":null}`
		s := &script{steps: []func(*http.Request) (*http.Response, error){func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
				Body: &stallBody{ctx: r.Context(), more: body, gap: 10 * time.Second}, ContentLength: -1, Request: r}, nil
		}}}
		c := newTestClient(t, s, WithRetry(HeadlessRetryPolicy()))
		start := time.Now()
		if _, err := c.ListPage(context.Background(), PageParams{}); err != nil {
			t.Fatalf("slow page: %v", err)
		}
		if el := time.Since(start); el < 5*time.Minute {
			t.Fatalf("the page took %v, want the ten minutes it was sent in", el)
		}
		if len(s.times) != 1 {
			t.Fatalf("%d attempts, want 1", len(s.times))
		}
	})
}

func TestHeadlessGivesUpOnARefusedConnectionWithinTenSeconds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &script{steps: []func(*http.Request) (*http.Response, error){netErr(dialRefused())}}
		c := newTestClient(t, s, WithRetry(HeadlessRetryPolicy()))
		start := time.Now()
		_, err := c.ListPage(context.Background(), PageParams{})
		if !errors.Is(err, ErrUnreachable) {
			t.Fatalf("err = %v", err)
		}
		if el := time.Since(start); el > 10*time.Second {
			t.Fatalf("gave up after %v, want within 10s", el)
		}
	})
}

// Over a real socket: a server that never answers fails the attempt after
// the idle timeout (short here), not after the old 90s header timeout.
func TestStallOverLoopback(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	c, err := New(WithBaseURL(srv.URL), WithHTTPClient(srv.Client()),
		WithRetry(RetryPolicy{IdleTimeout: 50 * time.Millisecond, StalledAfter: 120 * time.Millisecond, BaseDelay: time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.ListPage(context.Background(), PageParams{})
	if !errors.Is(err, ErrStalled) {
		t.Fatalf("err = %v, want ErrStalled", err)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("took %v", el)
	}
}

// ---- bodies ----

func loopbackTestClient(t *testing.T, srv *httptest.Server, opts ...Option) *Client {
	t.Helper()
	c, err := New(append([]Option{WithBaseURL(srv.URL), WithHTTPClient(srv.Client()),
		WithRetry(RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: time.Millisecond})}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEndlessBodyIsCutAtTheCap(t *testing.T) {
	var written, requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("content-type", "application/json")
		chunk := []byte(`{"data":[` + strings.Repeat(`{"id":"activity_x","created_at":"2026-01-01T00:00:00Z"},`, 500))
		for {
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
			chunk = chunk[9:][:len(chunk)-9] // the rest repeats the activity
			chunk = append([]byte(nil), chunk...)
		}
	}))
	defer srv.Close()
	c := loopbackTestClient(t, srv)
	c.maxBody = 8 << 20
	_, err := c.ListPage(context.Background(), PageParams{})
	if err == nil || !strings.Contains(err.Error(), "response larger than 8 MiB") {
		t.Fatalf("err = %v, want the size cap", err)
	}
	if requests.Load() != 1 {
		t.Errorf("%d requests: an oversized body is not worth retrying", requests.Load())
	}
	srv.CloseClientConnections()
	// The client stopped reading at the cap; what the server got rid of
	// beyond it sits in socket buffers.
	if w := written.Load(); w > c.maxBody+16<<20 {
		t.Errorf("the server wrote %d MiB before the client stopped reading", w>>20)
	}
}

func TestDeclaredHugeBodyIsRefusedUnread(t *testing.T) {
	var written atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("content-type", "application/json")
		w.Header().Set("content-length", fmt.Sprint(200<<20))
		buf := make([]byte, 1<<20)
		for {
			n, err := w.Write(buf)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	_, err := loopbackTestClient(t, srv).ListPage(context.Background(), PageParams{})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("response larger than %d MiB", MaxPageBytes>>20)) {
		t.Fatalf("err = %v, want the size cap", err)
	}
	srv.CloseClientConnections()
	if w := written.Load(); w > 32<<20 {
		t.Errorf("the server wrote %d MiB of a body the client refused unread", w>>20)
	}
}

func TestNonJSONBodyIsNamed(t *testing.T) {
	for _, tt := range []struct {
		name, ctype, body, want string
	}{
		{"captive portal", "text/html; charset=utf-8", "<html><body>Sign in to the hotel wifi</body></html>", "the server answered text/html, not JSON"},
		{"html without a type", "", "\n<!DOCTYPE html><html></html>", "the server answered HTML, not JSON"},
		{"html labelled json", "application/json", "<html></html>", "the server answered HTML, not JSON"},
		{"plain text", "text/plain", "upstream connect error", "the server answered text/plain, not JSON"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var requests atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				w.Header()["Content-Type"] = []string{tt.ctype}
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			_, err := loopbackTestClient(t, srv).ListPage(context.Background(), PageParams{})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "proxy or captive portal?") {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "offset") || strings.Contains(err.Error(), "Sign in") {
				t.Errorf("message %q reads like a JSON error or quotes the body", err)
			}
			if requests.Load() != 1 {
				t.Errorf("%d requests, want 1 (a portal page is not retried)", requests.Load())
			}
		})
	}
	// Broken JSON declared as JSON is still a decode error (and retried).
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("content-type", "application/json")
		io.WriteString(w, `{"data":[}`)
	}))
	defer srv.Close()
	_, err := loopbackTestClient(t, srv, WithRetry(RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond})).ListPage(context.Background(), PageParams{})
	if err == nil || strings.Contains(err.Error(), "captive") {
		t.Fatalf("broken JSON: %v", err)
	}
}
