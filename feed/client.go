package feed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Wire constants of the Activity Feed (ACTIVITY_FEED.md §1–§3).
const (
	// DefaultBaseURL is the API host.
	DefaultBaseURL = "https://api.anthropic.com"
	// ActivitiesPath is the feed endpoint, relative to the base URL.
	ActivitiesPath = "/v1/compliance/activities"
	// APIVersion is the anthropic-version sent unless WithAPIVersion says
	// otherwise: the version the feed guide and Anthropic's own verifier
	// send (ACTIVITY_FEED.md §17.5; the feed changes under no version).
	APIVersion = "2023-06-01"
	// LatestAPIVersion is the newest anthropic-version (released
	// 2026-10-21); the Security posture guides send it to the feed.
	LatestAPIVersion = "2026-10-21"
	// DefaultUserAgent is sent unless WithUserAgent says otherwise.
	DefaultUserAgent = "claudit/dev"
	// MaxLimit is the largest page size the feed accepts.
	MaxLimit = 5000
	// defaultLimit is the server's page size when limit is not sent; it
	// sizes the decode buffer.
	defaultLimit = 100
)

// minActivityBytes is a lower bound on the encoded size of a real
// activity (id, created_at, type and actor alone take more), used to size
// decode buffers from the body length.
const minActivityBytes = 128

// MaxPageBytes caps one response body, so a broken or hostile server
// cannot make one response take more memory than this (plus the decoded
// activities, which share the buffer). A full page of 5000 activities is a
// few MiB; anything near 64 MiB is not a page of this feed.
const MaxPageBytes = 64 << 20

// Client talks to the Activity Feed. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	baseErr error // WithBaseURL could not parse its argument
	hc      *http.Client
	key     Secret
	ua      string
	version string // anthropic-version
	retry   RetryPolicy
	hook    func(RetryEvent)
	// jitter draws a backoff wait in [0, d]; tests replace it.
	jitter func(d time.Duration) time.Duration
	// maxBody is MaxPageBytes; tests lower it.
	maxBody int64

	mu   sync.Mutex
	last Meta
}

// Option configures a Client.
type Option func(*Client)

// WithBaseURL sets the API host (default https://api.anthropic.com). New
// rejects anything but https, except plain http to a loopback address for
// the simulator.
func WithBaseURL(u string) Option {
	return func(c *Client) {
		p, err := url.Parse(u)
		if err != nil {
			// Not echoed: a malformed URL may still hold credentials.
			c.baseErr = errors.New("base URL is not a valid URL; want one such as " + DefaultBaseURL)
			return
		}
		c.base, c.baseErr = p, nil
	}
}

// WithHTTPClient sets the HTTP client. The Client uses a copy whose
// redirect policy refuses all redirects, so the key never follows one to
// another host.
func WithHTTPClient(h *http.Client) Option {
	return func(c *Client) { c.hc = h }
}

// WithKey sets the API key sent as x-api-key.
func WithKey(s Secret) Option {
	return func(c *Client) { c.key = s }
}

// WithUserAgent sets the user-agent header (default "claudit/dev").
func WithUserAgent(ua string) Option {
	return func(c *Client) { c.ua = ua }
}

// WithAPIVersion sets the anthropic-version header (default APIVersion).
// New rejects anything but a date (YYYY-MM-DD), the form every version has.
func WithAPIVersion(v string) Option {
	return func(c *Client) { c.version = v }
}

// CheckAPIVersion reports whether v has the form of an anthropic-version:
// a calendar date, YYYY-MM-DD. Whether the server knows it is its business
// (the feed answers an unknown one as usual, §17.8).
func CheckAPIVersion(v string) error {
	if t, err := time.Parse(time.DateOnly, v); err != nil || t.Format(time.DateOnly) != v {
		return fmt.Errorf("API version %q is not a date such as %s", v, LatestAPIVersion)
	}
	return nil
}

// WithRetry sets the retry policy; zero fields keep their defaults.
func WithRetry(p RetryPolicy) Option {
	return func(c *Client) { c.retry = p }
}

// WithRetryHook sets a function called before each wait between attempts,
// for progress displays. It runs on the requesting goroutine and should
// return quickly.
func WithRetryHook(f func(RetryEvent)) Option {
	return func(c *Client) { c.hook = f }
}

// New returns a Client. It fails when the base URL is not https, or plain
// http to anything but loopback (127.0.0.0/8, ::1, localhost): the key must
// never cross a network in clear text.
func New(opts ...Option) (*Client, error) {
	c := &Client{ua: DefaultUserAgent, version: APIVersion, jitter: fullJitter, maxBody: MaxPageBytes}
	for _, o := range opts {
		o(c)
	}
	if c.baseErr != nil {
		return nil, c.baseErr
	}
	if err := CheckAPIVersion(c.version); err != nil {
		return nil, err
	}
	if c.base == nil {
		c.base, _ = url.Parse(DefaultBaseURL)
	}
	if err := checkBaseURL(c.base); err != nil {
		return nil, err
	}
	base := *c.base
	base.Path = strings.TrimSuffix(base.Path, "/")
	base.RawPath = ""
	base.RawQuery, base.Fragment = "", ""
	c.base = &base
	c.retry = c.retry.withDefaults()
	hc := defaultHTTPClient()
	if c.hc != nil {
		cp := *c.hc
		hc = &cp
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.hc = hc
	return c, nil
}

// defaultHTTPClient has no overall timeout on purpose: a slow page that
// keeps flowing must not be cut off. A server that accepts the connection
// but never answers, or stops mid-body, is caught by the per-attempt idle
// watch (RetryPolicy.IdleTimeout).
func defaultHTTPClient() *http.Client {
	return &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
}

// checkBaseURL enforces https, or http to loopback only.
func checkBaseURL(u *url.URL) error {
	if u.Opaque != "" || u.Host == "" {
		return fmt.Errorf("base URL %q: want an absolute URL such as %s", u.Redacted(), DefaultBaseURL)
	}
	if u.User != nil {
		return fmt.Errorf("base URL %q: must not contain credentials", u.Redacted())
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("base URL %q: plain http is allowed only to loopback (127.0.0.0/8, ::1, localhost); use https", u.Redacted())
	default:
		return fmt.Errorf("base URL %q: scheme must be https", u.Redacted())
	}
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// PageParams are the parameters of one page request.
type PageParams struct {
	// Filter holds the server-side filters and created_at.* bounds, as
	// from Query.ServerParams. It is copied, never mutated; cursor, limit
	// and order keys in it are replaced by the fields below.
	Filter url.Values
	// AfterID continues after a page's LastID, BeforeID before a page's
	// FirstID (in result order); at most one of them.
	AfterID, BeforeID string
	Limit             int    // 0 = server default (100); otherwise 1..5000
	Order             string // "" (server default, desc) | "asc" | "desc"
}

// Page is one successful response.
type Page struct {
	Data    []Activity
	HasMore bool
	// FirstID and LastID are the page's opaque cursors ("" when null):
	// FirstID continues with before_id, LastID with after_id.
	FirstID, LastID string
	Meta            Meta
}

// Meta is what a response says besides its body.
type Meta struct {
	RequestID string
	Status    int
	Date      time.Time // server Date header (zero if absent)
	RateLimit RateLimit
	Attempts  int       // 1 + retries so far
	Received  time.Time // local time the response was read
}

// RetryPolicy returns the policy the client retries with, defaults filled in.
func (c *Client) RetryPolicy() RetryPolicy { return c.retry }

// LastMeta returns the metadata of the most recent response of any status
// (for status displays and the rate budget).
func (c *Client) LastMeta() Meta {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

func (c *Client) setLast(m Meta) {
	c.mu.Lock()
	c.last = m
	c.mu.Unlock()
}

// pageURL validates p and builds the request URL.
func (c *Client) pageURL(p PageParams) (string, error) {
	if p.AfterID != "" && p.BeforeID != "" {
		return "", errors.New("page params: after_id and before_id cannot be combined")
	}
	if p.Limit < 0 || p.Limit > MaxLimit {
		return "", fmt.Errorf("page params: limit must be between 1 and %d, got %d", MaxLimit, p.Limit)
	}
	switch p.Order {
	case "", "asc", "desc":
	default:
		return "", fmt.Errorf("page params: order must be \"asc\" or \"desc\", got %q", p.Order)
	}
	q := make(url.Values, len(p.Filter)+2)
	for k, v := range p.Filter {
		switch k {
		case "after_id", "before_id", "limit", "order":
			continue
		}
		q[k] = slices.Clone(v)
	}
	if p.AfterID != "" {
		q.Set("after_id", p.AfterID)
	}
	if p.BeforeID != "" {
		q.Set("before_id", p.BeforeID)
	}
	if p.Limit > 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	if p.Order != "" {
		q.Set("order", p.Order)
	}
	u := *c.base
	u.Path += ActivitiesPath
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// ListPage fetches one page, retrying per the RetryPolicy. A failed request
// never moves any cursor: the caller retries with the same PageParams.
func (c *Client) ListPage(ctx context.Context, p PageParams) (*Page, error) {
	u, err := c.pageURL(p)
	if err != nil {
		return nil, err
	}
	hint := p.Limit
	if hint == 0 {
		hint = defaultLimit
	}
	var page *Page
	err = c.withRetry(ctx, "list activities", func(attempt int, deadline time.Time) *failure {
		var f *failure
		page, f = c.attempt(ctx, u, attempt, hint, deadline)
		return f
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// withRetry runs try (one attempt of one request) until it succeeds or
// the RetryPolicy gives up; what names the request in errors.
func (c *Client) withRetry(ctx context.Context, what string, try func(attempt int, deadline time.Time) *failure) error {
	r := retrier{pol: c.retry, jitter: c.jitter, host: c.base.Host, start: time.Now()}
	stalled := false
	for attempt := 1; ; attempt++ {
		// After a stall, the next attempt must end within the request's
		// stall budget, so a server that keeps stalling is given up on
		// within StalledAfter in all. The first attempt has no such cap: a
		// slow page that keeps flowing is never cut off.
		var deadline time.Time
		if stalled {
			deadline = r.start.Add(c.retry.StalledAfter)
		}
		f := try(attempt, deadline)
		if f == nil {
			return nil
		}
		stalled = f.stalled
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		wait, clamped, err := r.next(f, attempt)
		if err != nil {
			return err
		}
		if c.hook != nil {
			c.hook(RetryEvent{Attempt: attempt, Wait: wait, Status: f.status, Err: f.err, RequestID: f.requestID, Clamped: clamped})
		}
		if err := sleep(ctx, wait); err != nil {
			return fmt.Errorf("%s: waiting to retry: %w", what, err)
		}
	}
}

// attempt makes one request for a page and decodes it.
func (c *Client) attempt(ctx context.Context, u string, attempt, hint int, deadline time.Time) (*Page, *failure) {
	body, meta, f := c.get(ctx, "list activities", u, attempt, deadline)
	if f != nil {
		return nil, f
	}
	page, err := decodePage(body, hint)
	if err != nil {
		// A truncated or garbled body is retried like a dropped connection:
		// a partial page is never returned.
		return nil, &failure{kind: failTransient, status: meta.Status, requestID: meta.RequestID,
			err: fmt.Errorf("list activities: decoding page (request-id %s): %w", meta.RequestID, err)}
	}
	page.Meta = meta
	return page, nil
}

// get makes one GET of u and reads the whole response, returning a 2xx
// body that looks like JSON; what names the request in errors. It fails
// as stalled when no byte arrives for the IdleTimeout, or when a non-zero
// deadline passes.
func (c *Client) get(ctx context.Context, what, u string, attempt int, deadline time.Time) ([]byte, Meta, *failure) {
	ctx, watch := newIdleWatch(ctx, c.retry.IdleTimeout, deadline)
	defer watch.stop()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, Meta{}, &failure{kind: failFatal, err: fmt.Errorf("%s: %w", what, c.scrubErr(err))}
	}
	if k := c.key.Reveal(); k != "" {
		req.Header.Set("x-api-key", k)
	}
	req.Header.Set("anthropic-version", c.version)
	req.Header.Set("user-agent", c.ua)
	req.Header.Set("accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		if serr := watch.stalled(); serr != nil {
			return nil, Meta{}, &failure{kind: failTransient, stalled: true, err: fmt.Errorf("%s: waiting for the response headers: %w", what, serr)}
		}
		err = c.scrubErr(err)
		return nil, Meta{}, &failure{kind: classifyNetError(err), err: fmt.Errorf("%s: %w", what, err)}
	}
	watch.kick()
	body, readErr := readBody(resp, c.maxBody, watch.kick)
	resp.Body.Close()
	if serr := watch.stalled(); serr != nil {
		readErr = serr
	}
	received := time.Now()
	meta := Meta{
		RequestID: resp.Header.Get("request-id"),
		Status:    resp.StatusCode,
		RateLimit: parseRateLimit(resp.Header),
		Attempts:  attempt,
		Received:  received,
	}
	if d, err := http.ParseTime(resp.Header.Get("date")); err == nil {
		meta.Date = d
	}
	c.setLast(meta)
	if readErr != nil {
		kind := failTransient
		var tooLarge *bodyTooLargeError
		if errors.As(readErr, &tooLarge) {
			kind = failFatal
		}
		return nil, meta, &failure{kind: kind, stalled: errors.Is(readErr, ErrStalled), status: resp.StatusCode, requestID: meta.RequestID,
			err: fmt.Errorf("%s: reading response (HTTP %d, request-id %s): %w", what, resp.StatusCode, meta.RequestID, c.scrubErr(readErr))}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// An HTTP-date retry-after is measured against the server's own
		// clock when it sent one, so local clock skew does not matter.
		ref := received
		if !meta.Date.IsZero() {
			ref = meta.Date
		}
		ae := parseAPIError(resp, body, ref)
		ae.Message = c.key.scrub(ae.Message)
		f := &failure{kind: classifyStatus(ae), err: ae, status: ae.Status, requestID: ae.RequestID}
		if _, ok := parseRetryAfter(resp.Header.Get("retry-after"), ref); ok {
			f.retryAfter, f.hasAfter = ae.RetryAfter, true
		}
		if meta.RequestID == "" && ae.RequestID != "" {
			meta.RequestID = ae.RequestID
			c.setLast(meta)
		}
		return nil, meta, f
	}
	if err := notJSON(resp, body); err != nil {
		// A captive portal or a proxy's page does not turn into the feed
		// by asking again.
		return nil, meta, &failure{kind: failFatal, status: resp.StatusCode, requestID: meta.RequestID,
			err: fmt.Errorf("%s: %w", what, err)}
	}
	return body, meta, nil
}

// bodyTooLargeError is a response body over the client's cap.
type bodyTooLargeError struct{ limit int64 }

func (e *bodyTooLargeError) Error() string {
	return fmt.Sprintf("response larger than %d MiB, more than any page of the feed: a broken server or a proxy?", e.limit>>20)
}

// readBody reads the whole body, at most limit bytes (a longer one is an
// error, found without reading more than limit+1 bytes); a short body is an
// error. progress is called after every read that returned data.
func readBody(resp *http.Response, limit int64, progress func()) ([]byte, error) {
	n := resp.ContentLength
	if n > limit {
		return nil, &bodyTooLargeError{limit}
	}
	var buf []byte
	if n > 0 {
		buf = make([]byte, 0, n+1) // +1 so the loop sees EOF without growing
	} else {
		buf = make([]byte, 0, 64<<10)
	}
	r := io.LimitReader(resp.Body, limit+1)
	for {
		if len(buf) == cap(buf) {
			// Grow by doubling, but never past the cap: an endless body
			// costs limit+1 bytes of memory, not twice that.
			grown := make([]byte, len(buf), min(2*int64(cap(buf)), limit+1))
			copy(grown, buf)
			buf = grown
		}
		m, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if m > 0 {
			progress()
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if int64(len(buf)) > limit {
		return nil, &bodyTooLargeError{limit}
	}
	if n >= 0 && int64(len(buf)) != n {
		return nil, fmt.Errorf("body is %d bytes, content-length said %d: %w", len(buf), n, io.ErrUnexpectedEOF)
	}
	return buf, nil
}

// notJSON reports a 2xx body that is plainly not the feed's JSON: one
// whose first byte is not '{' and that is HTML ('<') or declared as a
// non-JSON media type. Such a body comes from a captive portal, a login
// page or a proxy, and saying so beats "invalid JSON at offset 0".
func notJSON(resp *http.Response, body []byte) error {
	first := bytes.TrimLeft(body, " \t\r\n")
	if len(first) == 0 || first[0] == '{' {
		return nil
	}
	mt, _, err := mime.ParseMediaType(resp.Header.Get("content-type"))
	isJSON := err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
	if first[0] != '<' && (err != nil || isJSON) {
		return nil // let the decoder say where the JSON is broken
	}
	what := "HTML"
	if err == nil && !isJSON {
		what = escapeText(mt, 64)
	}
	return fmt.Errorf("the server answered %s, not JSON (HTTP %d, %d bytes) — a proxy or captive portal?", what, resp.StatusCode, len(body))
}

// idleWatch cancels an attempt's context when no byte arrives for idle:
// first for the response headers, then between reads of the body. A
// non-zero deadline caps every wait (the attempt after a stall must end
// within the request's stall budget).
type idleWatch struct {
	timer    *time.Timer
	idle     time.Duration
	deadline time.Time
	cancel   context.CancelCauseFunc
	ctx      context.Context
}

func newIdleWatch(ctx context.Context, idle time.Duration, deadline time.Time) (context.Context, *idleWatch) {
	ctx, cancel := context.WithCancelCause(ctx)
	w := &idleWatch{idle: idle, deadline: deadline, cancel: cancel, ctx: ctx}
	w.arm()
	return ctx, w
}

// arm starts a timer for the next wait.
func (w *idleWatch) arm() {
	d := w.idle
	if !w.deadline.IsZero() {
		d = max(0, min(d, time.Until(w.deadline)))
	}
	w.timer = time.AfterFunc(d, func() {
		w.cancel(fmt.Errorf("no byte from the server for %s: %w", d.Round(time.Millisecond), ErrStalled))
	})
}

// kick restarts the idle timer after data arrived.
func (w *idleWatch) kick() {
	if w.timer.Stop() {
		w.arm()
	}
}

// stalled returns the stall error when the watch fired, else nil.
func (w *idleWatch) stalled() error {
	if err := context.Cause(w.ctx); errors.Is(err, ErrStalled) {
		return err
	}
	return nil
}

func (w *idleWatch) stop() {
	w.timer.Stop()
	w.cancel(nil)
}

// parseRateLimit reads the anthropic-ratelimit-requests-* headers.
func parseRateLimit(h http.Header) RateLimit {
	var rl RateLimit
	if v, err := strconv.Atoi(strings.TrimSpace(h.Get("anthropic-ratelimit-requests-limit"))); err == nil {
		rl.Limit, rl.Known = v, true
	}
	if v, err := strconv.Atoi(strings.TrimSpace(h.Get("anthropic-ratelimit-requests-remaining"))); err == nil {
		rl.Remaining, rl.Known = v, true
	}
	if t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(h.Get("anthropic-ratelimit-requests-reset"))); err == nil {
		rl.Reset, rl.Known = t, true
	}
	return rl
}

// scrubErr makes sure err's text does not contain the key. If it does, the
// error is replaced by one carrying only the scrubbed text (the original
// cannot be kept in the chain, since unwrapping would reveal it).
func (c *Client) scrubErr(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if s := c.key.scrub(msg); s != msg {
		return &scrubbedError{msg: s, kind: classifyNetError(err)}
	}
	return err
}

// scrubbedError stands in for an error whose text contained the key.
type scrubbedError struct {
	msg  string
	kind failKind
}

func (e *scrubbedError) Error() string { return e.msg }
