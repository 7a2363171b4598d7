package sim

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"claudit/feed"
)

// ActivitiesPath is the Activity Feed endpoint (the directory endpoints
// are routed in directory_http.go).
const ActivitiesPath = "/v1/compliance/activities"

// Config configures a Server. Zero values select the documented defaults.
type Config struct {
	Seed           int64
	Events         int                // number of pre-generated historical activities (0 = 5000; < 0 = none)
	End            time.Time          // created_at of the newest historical event, truncated to the second (zero = Now() - 2 min)
	Span           time.Duration      // historical events spread over [End-Span, End] (0 = 30 days)
	Orgs           int                // organisations (0 = 2)
	LiveRate       float64            // new events per minute generated as the clock passes End (0 = none)
	Keys           map[string]KeySpec // nil = DefaultKeys()
	RateLimit      int                // requests per minute budget (0 = 600; < 0 = unlimited)
	SelfEventDelay time.Duration      // delay before a request's compliance_api_accessed is visible (0 = 3 s; < 0 = none)
	Faults         Faults
	Now            func() time.Time // clock (nil = time.Now): visibility, rate limit, Date header, live events
}

// Server is the simulated Activity Feed. It is safe for concurrent use.
type Server struct {
	mu sync.Mutex

	now       func() time.Time
	limit     int
	selfDelay int64
	liveRate  float64
	cursorKey []byte
	reqSalt   uint64
	scenario  Scenario

	gen     *generator
	evs     []event // every event, ascending by (created_at, id)
	seen    []bool  // by plan index: the type occurs in the data
	liveRng *rand.Rand
	selfRng *rand.Rand
	lateRng *rand.Rand
	histRng *rand.Rand
	// liveNext is when the next live event happens (ns); unused without LiveRate.
	liveNext int64

	keys map[string]*keyState

	faults   Faults
	requests int // requests to ActivitiesPath, all statuses
	faultN   int // requests since SetFaults
	okN      int // 200 pages since SetFaults
	errN     int // injected 5xx since SetFaults
	prevLast []byte
	reqSeq   uint64

	directory   *directory // built on the first directory request (directory.go)
	dirRequests int        // requests to the directory endpoints, all statuses

	rlStart int64 // start of the current rate-limit window (ns)
	rlCount int
}

type keyState struct {
	spec    KeySpec
	revoked bool
}

// New builds a server and generates its data deterministically from
// cfg.Seed (and Events, End, Span, Orgs).
func New(cfg Config) *Server {
	s := &Server{now: cfg.Now, faults: cfg.Faults, liveRate: cfg.LiveRate, limit: cfg.RateLimit}
	if s.now == nil {
		s.now = time.Now
	}
	if s.limit == 0 {
		s.limit = 600
	}
	switch {
	case cfg.SelfEventDelay == 0:
		s.selfDelay = int64(3 * time.Second)
	case cfg.SelfEventDelay > 0:
		s.selfDelay = int64(cfg.SelfEventDelay)
	}
	n := cfg.Events
	if n == 0 {
		n = 5000
	}
	n = max(n, 0)
	end := cfg.End
	if end.IsZero() {
		end = s.now().Add(-2 * time.Minute)
	}
	end = end.UTC().Truncate(time.Second)
	span := cfg.Span
	if span <= 0 {
		span = 30 * 24 * time.Hour
	}
	norgs := cfg.Orgs
	if norgs <= 0 {
		norgs = 2
	}
	norgs = min(norgs, 100) // org indexes are int8

	g, err := newGenerator(cfg.Seed, norgs)
	if err != nil {
		// The catalogue is embedded and covered by tests: this cannot
		// happen in a released binary.
		panic(err)
	}
	s.gen = g
	seed := uint64(cfg.Seed)
	s.liveRng = rand.New(rand.NewPCG(seed, 1))
	s.selfRng = rand.New(rand.NewPCG(seed, 2))
	s.lateRng = rand.New(rand.NewPCG(seed, 3))
	s.histRng = g.rng
	s.cursorKey = cursorKey(cfg.Seed)
	s.reqSalt = mix64(seed ^ 0x7265717565737473)

	endNs := end.UnixNano()
	startNs := endNs - int64(span)
	incident := endNs - int64(float64(3*hour)*float64(min(int64(span), 24*hour))/float64(24*hour))
	incident -= incident % second
	s.evs = g.history(n, startNs, endNs, incident)
	s.seen = make([]bool, len(g.plans))
	for i := range s.evs {
		s.evs[i].vis = s.lateVis(s.evs[i].at)
		s.seen[s.evs[i].typ] = true
	}
	s.scenario = g.w.scenario
	s.scenario.IncidentStart = time.Unix(0, incident).UTC()
	if s.liveRate > 0 {
		s.liveNext = endNs + s.liveGap()
	}

	keys := cfg.Keys
	if keys == nil {
		keys = DefaultKeys()
	}
	s.keys = make(map[string]*keyState, len(keys))
	for k, spec := range keys {
		spec.Scopes = slices.Clone(spec.Scopes)
		s.keys[k] = &keyState{spec: spec}
	}
	return s
}

// Scenario returns the well-known ids and times of the generated story.
func (s *Server) Scenario() Scenario {
	sc := s.scenario
	sc.Users = slices.Clone(sc.Users)
	sc.UserIDs = slices.Clone(sc.UserIDs)
	return sc
}

// SetFaults replaces the injected faults; their counters start afresh.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
	s.faultN, s.okN, s.errN = 0, 0, 0
}

// Revoke makes key fail authentication from the next request on.
func (s *Server) Revoke(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k := s.keys[key]; k != nil {
		k.revoked = true
	}
}

// SetScopes changes the scopes of a known key (unknown keys are ignored).
func (s *Server) SetScopes(key string, scopes []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k := s.keys[key]; k != nil {
		k.spec.Scopes = slices.Clone(scopes)
	}
}

// Requests returns how many requests reached /v1/compliance/activities
// (every status, including 401s and injected faults).
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Activities returns every event that exists now (historical, live so far
// and self events), newest first, whether indexed yet or not.
func (s *Server) Activities() []feed.Activity {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLive(s.now().UnixNano())
	out := make([]feed.Activity, 0, len(s.evs))
	for i := len(s.evs) - 1; i >= 0; i-- {
		out = append(out, s.decode(&s.evs[i]))
	}
	return out
}

// Truth is the ground truth of a correct traversal: the events with
// from <= created_at < to that are indexed at Now(), newest first (ties by
// id, descending). A zero from or to leaves that side open.
func (s *Server) Truth(from, to time.Time) []feed.Activity {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().UnixNano()
	s.advanceLive(now)
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if !from.IsZero() {
		lo = clampNanos(from)
	}
	if !to.IsZero() {
		hi = clampNanos(to)
	}
	var out []feed.Activity
	for i := len(s.evs) - 1; i >= 0; i-- {
		e := &s.evs[i]
		if e.at >= lo && e.at < hi && e.vis <= now {
			out = append(out, s.decode(e))
		}
	}
	return out
}

func (s *Server) decode(e *event) feed.Activity {
	var a feed.Activity
	if err := json.Unmarshal(s.gen.raw(e), &a); err != nil {
		// The generator's output is valid JSON by construction and tested.
		panic("sim: generated activity does not decode: " + err.Error())
	}
	return a
}

// lateVis returns when an event created at `at` is indexed.
func (s *Server) lateVis(at int64) int64 {
	if s.faults.LateFraction > 0 && s.lateRng.Float64() < s.faults.LateFraction {
		return at + 1 + s.lateRng.Int64N(int64(s.faults.lateBy()))
	}
	return at
}

// liveGap is the time to the next live event (exponential inter-arrival).
func (s *Server) liveGap() int64 {
	return 1 + int64(s.liveRng.ExpFloat64()*float64(minute)/s.liveRate)
}

// advanceLive generates the live events due by now. It runs lazily, on
// requests, so the server needs no goroutine of its own; the events depend
// only on the seed and the clock, not on when requests arrive.
func (s *Server) advanceLive(now int64) {
	if s.liveRate <= 0 {
		return
	}
	for s.liveNext <= now {
		s.gen.rng = s.liveRng
		e := s.gen.liveEvent(s.gen.stamp(s.liveNext))
		s.gen.rng = s.histRng
		e.vis = s.lateVis(e.at)
		s.insert(e)
		s.liveNext += s.liveGap()
	}
}

// insert adds an event in order.
func (s *Server) insert(e event) {
	i := len(s.evs)
	if i > 0 && compareEvents(s.evs[i-1], e) > 0 {
		i = sort.Search(len(s.evs), func(j int) bool { return compareEvents(s.evs[j], e) > 0 })
	}
	s.evs = slices.Insert(s.evs, i, e)
	s.seen[e.typ] = true
}

// requestID returns a unique req_… id: the sequence number scrambled by a
// bijection, so ids never repeat and are deterministic per seed.
func (s *Server) requestID() string {
	s.reqSeq++
	return taggedID("req_", s.reqSalt, mix64(s.reqSeq^s.reqSalt))
}

// selfEvent records the compliance_api_accessed event of a request.
func (s *Server) selfEvent(r *http.Request, now int64, keyID, reqID string, status int) {
	ip := r.RemoteAddr
	if host, _, err := net.SplitHostPort(ip); err == nil {
		ip = host
	}
	if ip == "" {
		ip = "127.0.0.1"
	}
	a := actor{kind: feed.ActorAPI, id1: keyID, ip: ip, ua: r.UserAgent()}
	at := now - now%int64(time.Millisecond)
	s.gen.rng = s.selfRng
	e := s.gen.emit(at, "compliance_api_accessed", -1, &a, complianceFields(reqID, r.Method, status, r.URL.RequestURI()))
	s.gen.rng = s.histRng
	e.vis = at + s.selfDelay
	s.insert(e)
}

// takeQuota spends one unit of the fixed one-minute window budget.
func (s *Server) takeQuota(now int64) bool {
	if s.limit < 0 {
		return true
	}
	if s.rlCount == 0 || now >= s.rlStart+minute || now < s.rlStart {
		s.rlStart, s.rlCount = now, 0
	}
	if s.rlCount >= s.limit {
		return false
	}
	s.rlCount++
	return true
}

// rateHeaders sets the anthropic-ratelimit-requests-* headers; it returns
// the seconds until the budget is back, for retry-after.
func (s *Server) rateHeaders(h http.Header, now int64) int {
	if s.limit < 0 {
		return 1
	}
	remaining, reset := s.limit, now
	if s.rlCount > 0 && now < s.rlStart+minute && now >= s.rlStart {
		remaining, reset = s.limit-s.rlCount, s.rlStart+minute
	}
	resetSec := (reset + second - 1) / second // whole seconds, rounded up
	h.Set("anthropic-ratelimit-requests-limit", strconv.Itoa(s.limit))
	h.Set("anthropic-ratelimit-requests-remaining", strconv.Itoa(remaining))
	h.Set("anthropic-ratelimit-requests-reset", time.Unix(resetSec, 0).UTC().Format(time.RFC3339))
	return int(max(1, (reset-now+second-1)/second))
}
