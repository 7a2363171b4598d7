package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"claudit/feed"
)

// event is one stored activity, kept compact: a month of a busy
// organisation is hundreds of thousands of them, held for the life of the
// server. What other events share is stored once: the header (id,
// created_at, organisation) and the type are rebuilt from the fields
// below, the actor object is interned (a few thousand distinct ones), and
// only the type-specific fields are the event's own bytes. appendEvent
// rebuilds the JSON byte for byte as emit first encoded it.
type event struct {
	at     int64  // created_at, unix ns (UTC)
	vis    int64  // indexed_at: the event is queryable from this instant on
	idHi   uint64 // the activity id's two halves (see id)
	idLo   uint64
	user   string // actor.user_id ("" unless a user_actor), for actor_ids[]
	fields []byte // the type-specific fields and the closing brace, in the arena
	actor  int32  // index into generator.actors
	typ    int32  // index into generator.plans
	size   int32  // length of the encoded activity
	org    int8   // index into world.orgs; -1 = null
}

// typePlan is what the generator needs to know about one activity type.
type typePlan struct {
	name     string
	field    []byte // `,"type":"name"`, encoded once
	idx      int32
	fields   []field
	variants []string // allowed actor variants; nil = any
	noOrg    bool     // organization fields are null (logins, logouts, Compliance API calls)
}

// allows reports whether the type may have an actor of this variant.
func (p *typePlan) allows(variant string) bool {
	return p.variants == nil || slices.Contains(p.variants, variant)
}

// weighted is an entry of a weighted choice.
type weighted struct {
	plan *typePlan
	w    int
}

// generator builds activities deterministically. Server holds one and
// uses it under its mutex for live and self events.
type generator struct {
	seed    uint64
	rng     *rand.Rand
	w       *world
	plans   []*typePlan
	byName  map[string]*typePlan
	catalog []*typePlan // catalogued types, sorted by name
	tail    []*typePlan // the long tail: catalogued types the keyring does not own
	keys    keyring
	pools   map[string][]string
	chunk   []byte // current arena chunk that events' own bytes are copied into
	scratch []byte
	// orgFields are each organisation's id and uuid fields, encoded once.
	orgFields [][]byte
	// actors are the distinct actor objects, encoded; actorIdx finds one.
	actors   []string
	actorIdx map[string]int32

	sessionMix, adminMix, systemMix, platformMix, codeMix, liveMix []weighted
}

// Episode kinds of the background and their weights (per episode, not per
// event: a sign-in session yields several events).
const (
	epSession = iota
	epSIEM
	epAdmin
	epSCIM
	epSystem
	epPlatform
	epCode
	epLongTail
	epCount
)

func episodeWeight(k int) int {
	return [epCount]int{epSession: 40, epSIEM: 14, epAdmin: 5, epSCIM: 3, epSystem: 3, epPlatform: 6, epCode: 6, epLongTail: 40}[k]
}

// newGenerator compiles the catalogue into type plans and builds the world.
func newGenerator(seed int64, norgs int) (*generator, error) {
	g := &generator{
		seed:     uint64(seed),
		rng:      rand.New(rand.NewPCG(uint64(seed), 0x636c6175646974)),
		byName:   map[string]*typePlan{},
		pools:    map[string][]string{},
		actorIdx: map[string]int32{},
	}
	cat := feed.Catalogue()
	for _, name := range cat.Names() {
		if slices.Contains(unseededTypes, name) {
			continue
		}
		ti, _ := cat.Lookup(name)
		p := &typePlan{name: name, variants: ti.ActorVariants, noOrg: noOrgType(name)}
		for _, f := range ti.Fields {
			sp, err := parseSpec(f.Type)
			if err != nil {
				return nil, fmt.Errorf("sim: catalogue type %s field %s: %w", name, f.Name, err)
			}
			p.fields = append(p.fields, field{name: f.Name, optional: f.Optional, spec: sp})
		}
		g.addPlan(p)
		g.catalog = append(g.catalog, p)
		if !slices.Contains(keyTypes, name) {
			g.tail = append(g.tail, p)
		}
	}
	// The one type from the future: not in the catalogue, with an actor
	// variant no client knows.
	g.addPlan(&typePlan{name: futureType, variants: []string{robotActor}})
	g.w = newWorld(g.rng, norgs)
	for _, o := range g.w.orgs {
		g.orgFields = append(g.orgFields, appendStrField(appendStrField(nil, "organization_id", o.id), "organization_uuid", o.uuid))
	}
	g.initKeys()

	mix := func(spec ...any) []weighted {
		var out []weighted
		for i := 0; i < len(spec); i += 2 {
			if p := g.byName[spec[i].(string)]; p != nil {
				out = append(out, weighted{p, spec[i+1].(int)})
			}
		}
		return out
	}
	g.sessionMix = mix("claude_chat_viewed", 25, "claude_chat_created", 10, "claude_chat_updated", 4,
		"claude_file_uploaded", 5, "claude_file_viewed", 6, "claude_project_viewed", 8,
		"claude_project_created", 1, "claude_project_document_viewed", 3, "claude_artifact_viewed", 5,
		"claude_chat_snapshot_created", 1, "claude_chat_deleted", 1, "claude_project_file_uploaded", 1,
		"claude_project_document_uploaded", 2, "session_share_created", 1, "org_user_viewed", 1,
		"group_list_viewed", 1, "claude_artifact_created", 2, "claude_chat_snapshot_viewed", 1)
	g.adminMix = mix("org_user_invite_sent", 4, "claude_user_role_updated", 3, "group_member_added", 2,
		"group_created", 1, "rbac_role_updated", 1, "platform_workspace_member_added", 1,
		"org_user_invite_deleted", 1, "org_members_exported", 1, "org_user_invite_accepted", 2)
	g.systemMix = mix("claude_chat_deleted", 4, "claude_published_artifact_deleted", 1, "claude_project_deleted", 1,
		"org_user_trusted_devices_revoked", 1)
	g.liveMix = append(append([]weighted(nil), g.sessionMix...), mix("sso_login_succeeded", 6,
		"compliance_api_accessed", 6, "user_logged_out", 2)...)
	for _, p := range g.catalog {
		switch feed.Catalogue().Group(p.name) {
		case "platform":
			g.platformMix = append(g.platformMix, weighted{p, 1})
		case "claude_code":
			g.codeMix = append(g.codeMix, weighted{p, 1})
		}
	}
	return g, nil
}

// unseededTypes joined the catalogue after the simulator's data set was
// fixed (ACTIVITY_FEED.md §17.7). The generator leaves them out, so every
// seed keeps producing the same events (golden outputs depend on them).
var unseededTypes = []string{"account_migration_completed", "anthropic_access", "cmek_preserve", "org_security_control_attestation_updated"}

const (
	futureType = "quantum_widget_created"
	robotActor = "robot_actor"
)

func (g *generator) addPlan(p *typePlan) {
	p.idx = int32(len(g.plans))
	p.field = appendStrField(nil, "type", p.name)
	g.plans = append(g.plans, p)
	g.byName[p.name] = p
}

// noOrgType reports whether a type belongs to no organization (§7).
func noOrgType(t string) bool {
	return t == "compliance_api_accessed" || t == "user_logged_out" || strings.Contains(t, "login") ||
		strings.HasPrefix(t, "phone_code_") || t == "sso_second_factor_magic_link"
}

func (g *generator) pick(ws []weighted) *typePlan {
	total := 0
	for _, w := range ws {
		total += w.w
	}
	n := g.rng.IntN(total)
	for _, w := range ws {
		if n < w.w {
			return w.plan
		}
		n -= w.w
	}
	return ws[len(ws)-1].plan
}

// stamp rounds t to the precision of one event: whole seconds or
// milliseconds, both common in the feed.
func (g *generator) stamp(t int64) int64 {
	if g.rng.IntN(5) < 3 {
		return t - t%int64(time.Second)
	}
	return t - t%int64(time.Millisecond)
}

// emit encodes one activity. fields appends the type-specific fields
// (each as `,"k":v`); nil generates them from the catalogue.
func (g *generator) emit(at int64, typ string, orgIdx int, a *actor, fields func([]byte) []byte) event {
	p := g.byName[typ]
	if p == nil {
		panic("sim: emit of unplanned type " + typ) // programming error: every type used is planned
	}
	at -= at % int64(time.Millisecond) // the feed's finest precision
	hi, lo := g.rng.Uint64(), g.rng.Uint64()
	if a.org > 0 {
		orgIdx = a.org - 1 // a key acts in its own organisation
	}
	if p.noOrg || orgIdx < 0 || orgIdx >= len(g.w.orgs) {
		orgIdx = -1
	}
	e := event{at: at, vis: at, idHi: hi, idLo: lo, typ: p.idx, org: int8(orgIdx)}
	if a.kind == feed.ActorUser {
		e.user = a.userID
	}
	b := g.appendHead(g.scratch[:0], &e)
	start := len(b)
	b = appendActor(b, a)
	e.actor = g.intern(b[start:])
	b = append(b[:start], p.field...)
	start = len(b)
	if fields != nil {
		b = fields(b)
	} else {
		b = g.appendFields(b, p.fields)
	}
	b = append(b, '}')
	g.scratch = b
	e.fields = g.store(b[start:])
	e.size = int32(len(g.actors[e.actor]) + len(b))
	return e
}

// appendHead appends an activity's JSON up to its actor object: the id,
// created_at, the organisation and the actor key.
func (g *generator) appendHead(b []byte, e *event) []byte {
	b = append(b, `{"id":"activity_01`...)
	b = appendBase62(b, e.idHi)
	b = appendBase62(b, e.idLo)
	b = append(b, `","created_at":"`...)
	b = appendTime(b, e.at)
	b = append(b, '"')
	if e.org < 0 {
		b = append(b, `,"organization_id":null,"organization_uuid":null`...)
	} else {
		b = append(b, g.orgFields[e.org]...)
	}
	return append(b, `,"actor":`...)
}

// id is the activity id: taggedID's "activity_01" and 22 base-62 digits.
// The digits have a fixed width and ascend in ASCII, so ids order as
// (idHi, idLo) do.
func (e *event) id() string { return taggedID("activity_", e.idHi, e.idLo) }

// appendEvent appends e's activity object, as emit encoded it.
func (g *generator) appendEvent(b []byte, e *event) []byte {
	b = g.appendHead(b, e)
	b = append(b, g.actors[e.actor]...)
	b = append(b, g.plans[e.typ].field...)
	return append(b, e.fields...)
}

// raw returns e's activity object in a new slice.
func (g *generator) raw(e *event) []byte {
	return g.appendEvent(make([]byte, 0, e.size), e)
}

// intern returns the index of the actor object a, adding it if new.
func (g *generator) intern(a []byte) int32 {
	if i, ok := g.actorIdx[string(a)]; ok {
		return i
	}
	i := int32(len(g.actors))
	g.actors = append(g.actors, string(a))
	g.actorIdx[g.actors[i]] = i
	return i
}

// store copies b into the arena: large chunks instead of one allocation
// per event keep a million events cheap for the garbage collector.
func (g *generator) store(b []byte) []byte {
	if cap(g.chunk)-len(g.chunk) < len(b) {
		g.chunk = make([]byte, 0, max(1<<20, len(b)))
	}
	n := len(g.chunk)
	g.chunk = append(g.chunk, b...)
	return g.chunk[n:len(g.chunk):len(g.chunk)]
}

// actorFor picks an actor allowed for p, preferring the variant prefer,
// for an event at t (keys that act must be active then).
func (g *generator) actorFor(p *typePlan, prefer string, t int64) actor {
	if prefer != "" && p.allows(prefer) {
		return g.randomActor(prefer, t)
	}
	if p.allows(feed.ActorUser) && g.rng.IntN(10) < 7 {
		return g.randomActor(feed.ActorUser, t)
	}
	vs := p.variants
	if vs == nil {
		vs = feed.ActorTypes
	}
	return g.randomActor(vs[g.rng.IntN(len(vs))], t)
}

// randomOrg picks an organisation, the first one most often.
func (g *generator) randomOrg() int {
	if len(g.w.orgs) > 1 && g.rng.IntN(4) == 0 {
		return 1 + g.rng.IntN(len(g.w.orgs)-1)
	}
	return 0
}
