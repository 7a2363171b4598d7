package sim

import (
	"fmt"
	"net"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Literal messages of the contract (§11).
const (
	msgUnauthorized = "The API key provided is invalid or has been revoked."
	// msgRateLimited takes the budget (600 in the documented message).
	msgRateLimited = "Compliance API rate limit of %d requests per minute per parent organization has been exceeded. Retry after the time indicated by the retry-after header. Quote the request-id response header when contacting Anthropic support."
)

// response is computed under the lock and written after it is released.
type response struct {
	status int
	header http.Header
	body   []byte
	reset  bool // send the headers, then drop the connection
}

// endpoint is a path the server answers: the scope a key needs for it and
// what it answers once the request is admitted.
type endpoint struct {
	scope string
	// directory marks a §13 directory endpoint: Admin API keys are refused
	// whatever their scopes, and read:org_audit admits as well.
	directory bool
	// serve answers an admitted request; it runs under the lock.
	serve func(r *http.Request, now time.Time, reqID string) *response
}

// admits reports whether a key may use the endpoint. read:org_audit
// satisfies every Compliance read endpoint, the feed included (§17.2).
func (ep *endpoint) admits(k KeySpec) bool {
	scoped := slices.Contains(k.Scopes, ep.scope) || slices.Contains(k.Scopes, ScopeOrgAudit)
	if !ep.directory {
		return scoped
	}
	return k.Kind != "admin" && scoped
}

// ServeHTTP serves GET /v1/compliance/activities and the directory
// endpoints of §13; every other path is 404.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ep, ok := s.route(r.URL.Path)
	if !ok {
		s.mu.Lock()
		resp := s.errorResponse(s.now(), s.requestID(), http.StatusNotFound, "not_found_error", "Not found: "+r.URL.Path)
		s.mu.Unlock()
		resp.write(w)
		return
	}
	s.mu.Lock()
	latency := s.faults.Latency
	s.mu.Unlock()
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return // the client is gone; nothing was served
		}
	}
	s.mu.Lock()
	resp := s.handle(r, &ep)
	s.mu.Unlock()
	resp.write(w)
}

// handle does everything a request needs under the lock: auth, faults,
// rate limit, scope, then the endpoint's answer, and the self event.
func (s *Server) handle(r *http.Request, ep *endpoint) *response {
	nowT := s.now()
	now := nowT.UnixNano()
	reqID := s.requestID()
	if ep.directory {
		s.dirRequests++
	} else {
		s.requests++
	}
	s.faultN++

	if r.Method != http.MethodGet {
		resp := s.errorResponse(nowT, reqID, http.StatusMethodNotAllowed, "invalid_request_error",
			"Method "+r.Method+" is not allowed on "+r.URL.Path+"; use GET.")
		resp.header.Set("Allow", http.MethodGet)
		return resp
	}
	key := s.keys[r.Header.Get("x-api-key")]
	if key == nil || key.revoked {
		// Before rate limiting: a failed authentication costs no quota.
		return s.errorResponse(nowT, reqID, http.StatusUnauthorized, "authentication_error", msgUnauthorized)
	}

	// Authenticated from here on: every outcome but an injected server
	// failure is logged as a compliance_api_accessed event.
	f := s.faults
	var resp *response
	logged := true
	switch {
	case f.ResetEvery > 0 && s.faultN%f.ResetEvery == 0:
		resp = &response{status: http.StatusOK, header: s.baseHeader(nowT, reqID), body: []byte(`{"data":[`), reset: true}
		logged = false
	case f.ServerErrorEvery > 0 && s.faultN%f.ServerErrorEvery == 0:
		code := f.serverErrorCode(s.errN)
		s.errN++
		typ, msg := serverError(code)
		resp = s.errorResponse(nowT, reqID, code, typ, msg)
		if code == http.StatusInternalServerError && f.NoRetry {
			resp.header.Set("x-should-retry", "false")
		}
		logged = false
	case f.RateLimitEvery > 0 && s.faultN%f.RateLimitEvery == 0:
		resp = s.errorResponse(nowT, reqID, http.StatusTooManyRequests, "rate_limit_error", fmt.Sprintf(msgRateLimited, s.budget()))
		switch f.RetryAfter {
		case "":
			resp.header.Set("retry-after", "1")
		case "-":
		default:
			resp.header.Set("retry-after", f.RetryAfter)
		}
	case !s.takeQuota(now):
		resp = s.errorResponse(nowT, reqID, http.StatusTooManyRequests, "rate_limit_error", fmt.Sprintf(msgRateLimited, s.budget()))
		resp.header.Set("retry-after", strconv.Itoa(s.rateHeaders(resp.header, now)))
	case !ep.admits(key.spec):
		resp = s.errorResponse(nowT, reqID, http.StatusForbidden, "permission_error",
			"Missing required scopes. Got: "+pyList(key.spec.Scopes)+" Needed: ['"+ep.scope+"']")
	default:
		resp = ep.serve(r, nowT, reqID)
	}
	s.rateHeaders(resp.header, now)
	if logged {
		s.selfEvent(r, now, key.spec.KeyID, reqID, resp.status)
	}
	return resp
}

// serveActivities answers an admitted request to the feed.
func (s *Server) serveActivities(r *http.Request, nowT time.Time, reqID string) *response {
	q, err := s.parseQuery(r.URL.RawQuery)
	if err != nil {
		return s.errorResponse(nowT, reqID, http.StatusBadRequest, "invalid_request_error", err.Error())
	}
	now := nowT.UnixNano()
	s.advanceLive(now)
	return &response{status: http.StatusOK, header: s.baseHeader(nowT, reqID), body: s.page(q, now)}
}

// page runs q and encodes the 200 body, applying the page faults.
func (s *Server) page(q *query, now int64) []byte {
	s.okN++
	f := s.faults
	if f.EmptyHasMore > 0 && s.okN%f.EmptyHasMore == 0 {
		c := q.curParam
		if !q.hasCur {
			c = s.encodeCursor(edgePos(!q.asc))
		}
		return s.truncate(appendEnvelopeEnd([]byte(`{"data":[`), true, c, c))
	}

	rows, hasMore := s.query(q, now)
	var extra []byte
	if f.DuplicateEvery > 0 && s.okN%f.DuplicateEvery == 0 && s.prevLast != nil && len(rows) > 0 {
		extra = s.prevLast
		if f.ChangedDuplicate {
			extra = append(slices.Clone(extra[:len(extra)-1]), `,"sim_revision":2}`...)
		}
	}
	size := len(extra) + 128
	for _, e := range rows {
		size += int(e.size) + 1
	}
	b := make([]byte, 0, size)
	b = append(b, `{"data":[`...)
	if extra != nil {
		b = append(b, extra...)
		if len(rows) > 0 {
			b = append(b, ',')
		}
	}
	for i, e := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = s.gen.appendEvent(b, e)
	}
	first, last := "", ""
	if len(rows) > 0 {
		first = s.encodeCursor(position{rows[0].at, rows[0].id()})
		last = s.encodeCursor(position{rows[len(rows)-1].at, rows[len(rows)-1].id()})
		s.prevLast = s.gen.raw(rows[len(rows)-1])
	}
	return s.truncate(appendEnvelopeEnd(b, hasMore, first, last))
}

// truncate cuts every TruncateEvery-th 200 body in half: mid-JSON.
func (s *Server) truncate(b []byte) []byte {
	if k := s.faults.TruncateEvery; k > 0 && s.okN%k == 0 {
		return b[:len(b)/2]
	}
	return b
}

func appendEnvelopeEnd(b []byte, hasMore bool, first, last string) []byte {
	b = append(b, `],"has_more":`...)
	b = strconv.AppendBool(b, hasMore)
	b = appendNullableField(b, "first_id", first)
	b = appendNullableField(b, "last_id", last)
	return append(b, '}')
}

// query returns the page's events in result order and whether more match
// beyond it in the paging direction (§5, §15.5–15.7).
func (s *Server) query(q *query, now int64) ([]*event, bool) {
	evs := s.evs
	lo := sort.Search(len(evs), func(i int) bool { return evs[i].at >= q.lo })
	hi := sort.Search(len(evs), func(i int) bool { return evs[i].at >= q.hi })
	// The rows "older" than the cursor (ascending index below it) are the
	// next page for desc+after_id and asc+before_id.
	older := q.hasCur && q.before == q.asc
	if q.hasCur {
		if older {
			hi = min(hi, sort.Search(len(evs), func(i int) bool { return comparePos(&evs[i], q.cursor) >= 0 }))
		} else {
			lo = max(lo, sort.Search(len(evs), func(i int) bool { return comparePos(&evs[i], q.cursor) > 0 }))
		}
	}
	// Scan outward from the cursor (or from the start of the result order).
	down := older || (!q.hasCur && !q.asc)
	var rows []*event
	hasMore := false
	if down {
		for i := hi - 1; i >= lo; i-- {
			if q.match(&evs[i], now) {
				if len(rows) == q.limit {
					hasMore = true
					break
				}
				rows = append(rows, &evs[i])
			}
		}
	} else {
		for i := lo; i < hi; i++ {
			if q.match(&evs[i], now) {
				if len(rows) == q.limit {
					hasMore = true
					break
				}
				rows = append(rows, &evs[i])
			}
		}
	}
	// A page is presented in result order whichever way it was collected.
	if down == q.asc {
		slices.Reverse(rows)
	}
	return rows, hasMore
}

// budget is the per-minute budget named in 429 messages.
func (s *Server) budget() int {
	if s.limit < 0 {
		return 600
	}
	return s.limit
}

func serverError(code int) (typ, msg string) {
	switch code {
	case http.StatusInternalServerError:
		return "api_error", "Internal server error"
	case http.StatusServiceUnavailable:
		return "overloaded_error", "Service unavailable"
	case http.StatusGatewayTimeout:
		return "timeout_error", "Gateway timeout"
	case 529:
		return "overloaded_error", "Overloaded"
	}
	return "api_error", "Bad gateway"
}

// pyList formats scopes like the 403 message does: ['a', 'b'].
func pyList(vs []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, v := range vs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("'" + v + "'")
	}
	b.WriteByte(']')
	return b.String()
}

func (s *Server) baseHeader(now time.Time, reqID string) http.Header {
	h := http.Header{}
	h.Set("request-id", reqID)
	h.Set("Date", now.UTC().Format(http.TimeFormat))
	h.Set("Content-Type", "application/json")
	return h
}

// errorResponse builds the platform's error shape (§11, §15.12).
func (s *Server) errorResponse(now time.Time, reqID string, status int, typ, msg string) *response {
	b := append([]byte(`{"type":"error","error":{"type":`), appendString(nil, typ)...)
	b = appendStrField(b, "message", msg)
	b = append(b, '}')
	b = appendStrField(b, "request_id", reqID)
	b = append(b, '}')
	return &response{status: status, header: s.baseHeader(now, reqID), body: b}
}

func (resp *response) write(w http.ResponseWriter) {
	h := w.Header()
	for k, v := range resp.header {
		h[k] = v
	}
	if !resp.reset {
		h.Set("Content-Length", strconv.Itoa(len(resp.body)))
		w.WriteHeader(resp.status)
		_, _ = w.Write(resp.body) // a client that hangs up is not our error
		return
	}
	// Promise a body, send the headers, then drop the connection.
	h.Set("Content-Length", "4096")
	w.WriteHeader(resp.status)
	rc := http.NewResponseController(w)
	if err := rc.Flush(); err == nil {
		if conn, _, err := rc.Hijack(); err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // RST rather than FIN: a real reset
			}
			_ = conn.Close()
			return
		}
	}
	// No connection to drop (an in-memory ResponseWriter): send a body cut
	// short of its Content-Length, which the client sees as unexpected EOF.
	_, _ = w.Write(resp.body)
}
