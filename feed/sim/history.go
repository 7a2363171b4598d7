package sim

import (
	"cmp"
	"slices"
	"strconv"
	"time"

	"claudit/feed"
)

// storyMinEvents is the dataset size from which the Scenario story, the
// hostile strings, the future type and every actor variant are guaranteed.
const storyMinEvents = 1000

const (
	second = int64(time.Second)
	minute = int64(time.Minute)
	hour   = int64(time.Hour)
)

// history generates n historical events in [start, end], sorted by
// (created_at, id). The newest one is at end exactly.
func (g *generator) history(n int, start, end, incident int64) []event {
	// Room beyond n for the live and self events to come (hours of them
	// at the demo's rate): growing the slice copies every event, and the
	// old and new copies briefly coexist.
	out := make([]event, 0, n+n/32+64)
	if n >= storyMinEvents {
		out = g.story(out, start, end, incident)
	} else if n > 0 {
		out = append(out, g.siemPoll(end, 0))
	}
	// The key lifecycles first, in time order: the episodes' acting keys
	// are chosen among the keys active at their time.
	out = g.keyPass(out, n, start, end, incident)
	for len(out) < n {
		out = g.episode(out, g.episodeStart(start, end, incident), end)
	}
	out = out[:max(n, 0)]
	slices.SortFunc(out, compareEvents)
	return out
}

// compareEvents orders by created_at, then id: the feed's order (§5).
func compareEvents(a, b event) int {
	if c := cmp.Compare(a.at, b.at); c != 0 {
		return c
	}
	return cmp.Or(cmp.Compare(a.idHi, b.idHi), cmp.Compare(a.idLo, b.idLo))
}

// episodeStart picks when a background episode begins: mostly office
// hours on weekdays, with a burst around the incident.
func (g *generator) episodeStart(start, end, incident int64) int64 {
	r := g.rng
	if r.IntN(100) < 8 {
		lo, hi := max(start, incident-30*minute), min(end, incident+2*hour)
		if hi > lo {
			return lo + r.Int64N(hi-lo)
		}
	}
	for {
		t := start + r.Int64N(end-start+1)
		tt := time.Unix(0, t).UTC()
		p := 1.0
		if h := tt.Hour(); h < 7 || h >= 19 {
			p = 0.25
		}
		if wd := tt.Weekday(); wd == time.Saturday || wd == time.Sunday {
			p *= 0.35
		}
		if r.Float64() < p {
			return t
		}
	}
}

// episode appends one background episode starting at t; events after end
// are dropped.
func (g *generator) episode(out []event, t, end int64) []event {
	r := g.rng
	add := func(at int64, typ string, org int, a *actor) {
		if at <= end {
			out = append(out, g.emit(at, typ, org, a, nil))
		}
	}
	total := 0
	for k := range epCount {
		total += episodeWeight(k)
	}
	k, n := 0, r.IntN(total)
	for n >= episodeWeight(k) {
		n -= episodeWeight(k)
		k++
	}
	sec := t - t%second
	switch k {
	case epSession:
		return g.session(out, t, end)
	case epSIEM:
		for i := range 1 + r.IntN(3) {
			if sec <= end {
				out = append(out, g.siemPoll(sec, i))
			}
		}
	case epAdmin:
		u := r.IntN(min(4, len(g.w.users)))
		for range 1 + r.IntN(3) {
			p := g.pick(g.adminMix)
			a := g.userActor(u)
			if r.IntN(3) == 0 || !p.allows(feed.ActorUser) {
				a = g.actorFor(p, feed.ActorAdminAPIKey, t)
			}
			add(g.stamp(t), p.name, g.w.users[u].org, &a)
			t += 5*second + r.Int64N(2*minute)
		}
	case epSCIM:
		org := g.randomOrg()
		for range 2 + r.IntN(7) {
			typ := []string{"scim_user_updated", "scim_user_updated", "scim_user_updated", "scim_user_created", "scim_user_deleted", "group_member_added"}[r.IntN(6)]
			a := g.actorFor(g.byName[typ], feed.ActorSCIM, sec)
			add(sec, typ, org, &a) // a sync batch: every event in the same second
		}
	case epSystem:
		prefer := feed.ActorSystem
		if r.IntN(3) == 0 {
			prefer = feed.ActorAnthropic
		}
		org := g.randomOrg()
		for range 1 + r.IntN(2) {
			p := g.pick(g.systemMix)
			a := g.actorFor(p, prefer, sec)
			add(sec, p.name, org, &a)
		}
	case epPlatform:
		prefer := []string{feed.ActorAdminAPIKey, feed.ActorServiceAccount, feed.ActorFederated,
			feed.ActorFederatedIdentity, feed.ActorAttestedDevice, feed.ActorAPI, feed.ActorUser}[r.IntN(7)]
		org := g.randomOrg()
		for range 1 + r.IntN(4) {
			p := g.pick(g.platformMix)
			a := g.actorFor(p, prefer, t)
			add(g.stamp(t), p.name, org, &a)
			t += second + r.Int64N(30*second)
		}
	case epCode:
		u := g.randomUser()
		for range 1 + r.IntN(4) {
			p := g.pick(g.codeMix)
			a := g.userActor(u)
			if !p.allows(feed.ActorUser) || r.IntN(6) == 0 {
				a = g.actorFor(p, feed.ActorAPI, t)
			}
			add(g.stamp(t), p.name, g.w.users[u].org, &a)
			t += 3*second + r.Int64N(3*minute)
		}
	default: // the long tail: any catalogued type the keyring does not own
		p := g.tail[r.IntN(len(g.tail))]
		if p.name == "compliance_api_accessed" { // only the SIEM reads the feed in the background
			if sec <= end {
				out = append(out, g.siemPoll(sec, 0))
			}
			break
		}
		a := g.actorFor(p, "", t)
		add(g.stamp(t), p.name, g.randomOrg(), &a)
	}
	return out
}

// session is one person's visit: a sign-in (sometimes failing first), a
// handful of actions, perhaps a sign-out.
func (g *generator) session(out []event, t, end int64) []event {
	r := g.rng
	u := g.randomUser()
	p := &g.w.users[u]
	ip, ua := p.ips[r.IntN(len(p.ips))], p.uas[r.IntN(len(p.uas))]
	me := actor{kind: feed.ActorUser, email: p.email, userID: p.id, ip: ip, ua: ua}
	anon := actor{kind: feed.ActorUnauthenticatedUser, email: p.email, ip: ip, ua: ua}
	add := func(at int64, typ string, a *actor) {
		if at <= end {
			out = append(out, g.emit(at, typ, p.org, a, nil))
		}
	}
	sec := t - t%second
	switch m := r.IntN(20); {
	case m < 11:
		if r.IntN(15) == 0 {
			add(sec, "sso_login_initiated", &anon)
			add(sec+2*second, "sso_login_failed", &anon)
			sec += 30 * second
		}
		add(sec, "sso_login_initiated", &anon)
		t = sec + second + r.Int64N(4*second)
		add(g.stamp(t), "sso_login_succeeded", &me)
	case m < 16:
		add(sec, "magic_link_login_initiated", &anon)
		if r.IntN(12) == 0 {
			add(sec+5*minute, "magic_link_login_failed", &anon)
			return out
		}
		t = sec + 20*second + r.Int64N(3*minute)
		add(g.stamp(t), "magic_link_login_succeeded", &me)
	case m < 19:
		add(g.stamp(t), "social_login_succeeded", &me)
	}
	for range 1 + r.IntN(10) {
		t += 2*second + int64(r.ExpFloat64()*float64(minute))
		tp := g.pick(g.sessionMix)
		a := me
		if !tp.allows(feed.ActorUser) {
			a = g.actorFor(tp, "", t)
		}
		add(g.stamp(t), tp.name, &a)
	}
	if r.IntN(4) == 0 {
		t += 10*second + r.Int64N(10*minute)
		add(g.stamp(t), "user_logged_out", &me)
	}
	return out
}

// siemPoll is one read of the feed by the SIEM's key (page i of a poll).
func (g *generator) siemPoll(at int64, page int) event {
	a := actor{kind: feed.ActorAPI, id1: g.w.siemKeyID, ip: siemIP, ua: siemUA}
	lt := time.Unix(0, at-at%minute-minute).UTC()
	url := "/v1/compliance/activities?created_at.gte=" + lt.Add(-5*time.Minute).Format(time.RFC3339) +
		"&created_at.lt=" + lt.Format(time.RFC3339) + "&limit=5000"
	if page > 0 {
		url += "&after_id=" + strconv.FormatUint(g.rng.Uint64(), 36)
	}
	return g.emit(at, "compliance_api_accessed", -1, &a,
		complianceFields(taggedID("req_", g.rng.Uint64(), g.rng.Uint64()), "GET", 200, url))
}

// complianceFields are the fields of a compliance_api_accessed event.
func complianceFields(requestID, method string, status int, url string) func([]byte) []byte {
	return func(b []byte) []byte {
		b = appendStrField(b, "request_id", requestID)
		b = appendStrField(b, "request_method", method)
		b = appendIntField(b, "status_code", status)
		b = appendStrField(b, "url", url)
		return append(b, `,"request_body":null`...)
	}
}

// liveEvent generates one event of the live stream at t: the keys'
// lifecycles go on, in the same keyring as the history's.
func (g *generator) liveEvent(t int64) event {
	if g.rng.IntN(100) == 0 {
		return g.keyEvent(t)
	}
	p := g.pick(g.liveMix)
	if p.name == "compliance_api_accessed" {
		return g.siemPoll(t, 0)
	}
	u := g.randomUser()
	a := g.userActor(u)
	if !p.allows(feed.ActorUser) {
		a = g.actorFor(p, "", t)
	}
	return g.emit(t, p.name, g.w.users[u].org, &a, nil)
}
