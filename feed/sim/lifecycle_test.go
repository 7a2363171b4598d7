package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"testing"
	"time"

	"claudit/feed"
)

// lifeEvent is what the lifecycle checker reads of an activity.
type lifeEvent struct {
	lifeHead
	Actor           lifeActor `json:"actor"`
	APIKeyID        string    `json:"api_key_id"`
	AdminAPIKeyID   string    `json:"admin_api_key_id"`
	ServiceKeyID    string    `json:"service_key_id"`
	SigningKeyID    string    `json:"signing_key_id"`
	NewSigningKeyID string    `json:"new_signing_key_id"`
	OldSigningKeyID string    `json:"old_signing_key_id"`
	ExternalKeyID   string    `json:"external_key_id"`
	APIKeyName      string    `json:"api_key_name"`
	KeyName         string    `json:"key_name"`
	ServiceName     string    `json:"service_name"`
	Algorithm       string    `json:"algorithm"`
	Backing         string    `json:"key_backing_type"`
	Group           string    `json:"key_group_identifier"`
	Status          string    `json:"status"`
	Scopes          []string  `json:"scopes"`
	Updates         []struct {
		Type string `json:"type"`
		Prev string `json:"previous_value"`
		Cur  string `json:"current_value"`
	} `json:"updates"`
}

// lifeHead is the common part of every activity.
type lifeHead struct {
	ID        string    `json:"id"`
	Org       string    `json:"organization_id"`
	CreatedAt time.Time `json:"created_at"`
	Type      string    `json:"type"`
}

// lifeActor is the part of an actor that names a key.
type lifeActor struct {
	Type          string `json:"type"`
	APIKeyID      string `json:"api_key_id"`
	AdminAPIKeyID string `json:"admin_api_key_id"`
}

// keyLife is what the checker knows of one key so far.
type keyLife struct {
	class   string // scoped, console, admin, service, signing, external; "api" = an api_actor key not yet classified
	org     string // the organisation its events happen in ("" = none seen yet)
	state   string // "" = unknown (existed before the dataset and not yet switched)
	gone    string // the event that ended it
	vals    map[string]string
	scopes  []string
	created bool
	acted   bool
	last    time.Time // latest event about or by the key
	life    time.Time // latest event about the key
	history []string  // types of the events that mention it, oldest first
}

// lifeChecker walks activities oldest first and reports every event that
// does not fit the lifecycle of a key it mentions.
type lifeChecker struct {
	t     *testing.T
	keys  map[string]*keyLife
	types map[string]int
	errs  int
	ev    *lifeEvent
	// createdActed counts keys created inside the dataset that later acted.
	createdActed int
}

func newLifeChecker(t *testing.T) *lifeChecker {
	return &lifeChecker{t: t, keys: map[string]*keyLife{}, types: map[string]int{}}
}

func (c *lifeChecker) fail(id, format string, args ...any) {
	c.t.Helper()
	c.errs++
	if c.errs <= 20 {
		c.t.Errorf("%s %s at %s, key %s: %s", c.ev.ID, c.ev.Type, c.ev.CreatedAt.Format(time.RFC3339Nano), id, fmt.Sprintf(format, args...))
	}
}

// keyIDs returns every id of a key kind the simulator generates
// (apikey_, adminkey_, svckey_, sigkey_, extkey_ + 01 + 22 base-62
// characters) anywhere in raw.
func keyIDs(raw []byte) []string {
	var out []string
	for i := 0; ; {
		j := bytes.Index(raw[i:], []byte("key_01"))
		if j < 0 {
			return out
		}
		j += i
		i = j + len("key_01")
		end := i + 22
		if end > len(raw) {
			return out
		}
		for _, p := range []string{"api", "admin", "svc", "sig", "ext"} {
			if bytes.HasSuffix(raw[:j], []byte(p)) {
				if id := raw[j-len(p) : end]; base62RE.Match(id[len(p)+len("key_01"):]) {
					out = append(out, string(id))
				}
			}
		}
	}
}

var base62RE = regexp.MustCompile(`^[0-9A-Za-z]{22}$`)

// check processes one activity of type typ.
func (c *lifeChecker) check(raw []byte, typ string) {
	c.t.Helper()
	if !bytes.Contains(raw, []byte("key_01")) {
		return // names no key
	}
	// Other types have fields of these names with other shapes: only the
	// key lifecycle types are decoded whole.
	var e lifeEvent
	var err error
	if slices.Contains(keyTypes, typ) {
		err = json.Unmarshal(raw, &e)
	} else {
		var h struct {
			lifeHead
			Actor lifeActor `json:"actor"`
		}
		err = json.Unmarshal(raw, &h)
		e.lifeHead, e.Actor = h.lifeHead, h.Actor
	}
	if err != nil {
		c.t.Fatalf("%s: %v", raw, err)
	}
	if e.Type != typ {
		c.t.Fatalf("%s: type %q, indexed as %q", raw, e.Type, typ)
	}
	c.ev = &e
	mentioned := map[string]bool{}
	switch e.Actor.Type {
	case feed.ActorAPI:
		mentioned[e.Actor.APIKeyID] = true
		c.act(e.Actor.APIKeyID, "api")
	case feed.ActorAdminAPIKey:
		mentioned[e.Actor.AdminAPIKeyID] = true
		c.act(e.Actor.AdminAPIKeyID, "admin")
	}
	for _, id := range []string{e.APIKeyID, e.AdminAPIKeyID, e.ServiceKeyID, e.SigningKeyID, e.NewSigningKeyID, e.OldSigningKeyID, e.ExternalKeyID} {
		if id != "" {
			mentioned[id] = true
		}
	}
	for _, id := range keyIDs(raw) {
		if !mentioned[id] {
			c.fail(id, "key id outside the actor and the key fields")
		}
	}
	c.lifecycle(&e)
}

// act checks a key acting: it exists and is active.
func (c *lifeChecker) act(id, class string) {
	k := c.keys[id]
	if k == nil {
		// Created before the dataset: it may not be created later.
		k = &keyLife{class: class, vals: map[string]string{}, state: "active"}
		c.keys[id] = k
	}
	switch {
	case k.gone != "":
		c.fail(id, "acts after %s", k.gone)
	case k.class == "admin" && class != "admin", class == "admin" && k.class != "admin":
		c.fail(id, "a %s key acts as %s", k.class, c.ev.Actor.Type)
	case class == "api" && k.class != "api" && k.class != "scoped" && k.class != "console":
		c.fail(id, "a %s key acts as %s", k.class, c.ev.Actor.Type)
	case k.state == "":
		k.state = "active" // inferred: it acts
	case k.state != "active":
		c.fail(id, "acts while %s", k.state)
	}
	if !k.life.IsZero() && !c.ev.CreatedAt.After(k.life) {
		c.fail(id, "acts at the instant of its lifecycle event: their order is undefined")
	}
	c.sameOrg(id, k)
	if k.created && !k.acted {
		c.createdActed++
	}
	k.acted = true
	k.last = c.ev.CreatedAt
	k.history = append(k.history, c.ev.Type)
}

// create checks a creation: the key was never mentioned before.
func (c *lifeChecker) create(id, class string) *keyLife {
	if k := c.keys[id]; k != nil {
		c.fail(id, "created after earlier events (%v)", k.history)
	}
	k := &keyLife{class: class, state: "active", created: true, vals: map[string]string{}, last: c.ev.CreatedAt, life: c.ev.CreatedAt}
	c.keys[id] = k
	c.sameOrg(id, k)
	k.history = append(k.history, c.ev.Type)
	return k
}

// get returns the key an event is about, checking that it may still
// change.
func (c *lifeChecker) get(id, class string) *keyLife {
	if id == "" {
		c.fail(id, "no key id")
	}
	k := c.keys[id]
	if k == nil { // existed before the dataset
		k = &keyLife{class: class, vals: map[string]string{}}
		c.keys[id] = k
	}
	switch {
	case k.class == "api" && (class == "scoped" || class == "console"):
		k.class = class
	case k.class != class:
		c.fail(id, "a %s key in a %s event", k.class, class)
	}
	if k.gone != "" {
		c.fail(id, "event after %s", k.gone)
	}
	if !c.ev.CreatedAt.After(k.last) && !k.last.IsZero() {
		c.fail(id, "not after the key's previous event at %s: their order is undefined", k.last.Format(time.RFC3339Nano))
	}
	k.last, k.life = c.ev.CreatedAt, c.ev.CreatedAt
	k.history = append(k.history, c.ev.Type)
	c.sameOrg(id, k)
	return k
}

// sameOrg checks that a key's events happen in one organisation (events
// with no organisation, such as Compliance API calls, fit any key).
func (c *lifeChecker) sameOrg(id string, k *keyLife) {
	switch org := c.ev.Org; {
	case org == "":
	case k.org == "":
		k.org = org
	case k.org != org:
		c.fail(id, "in organisation %s, but the key's events are in %s", org, k.org)
	}
}

// same checks a value against what is known of the key, or learns it.
func (c *lifeChecker) same(id string, k *keyLife, field, v string) {
	if v == "" {
		c.fail(id, "empty %s", field)
		return
	}
	if old, ok := k.vals[field]; ok && old != v {
		c.fail(id, "%s %q, but the key's %s is %q", field, v, field, old)
	}
	k.vals[field] = v
}

// updates checks an updates[] array: changes of this one key, each of a
// different type, chained from the key's current values.
func (c *lifeChecker) updates(id string, k *keyLife, chained []string, stateField string, states []string) {
	e := c.ev
	if len(e.Updates) == 0 {
		c.fail(id, "no updates")
	}
	seen := map[string]bool{}
	for _, u := range e.Updates {
		if seen[u.Type] {
			c.fail(id, "two %s changes in one updates[]", u.Type)
		}
		seen[u.Type] = true
		if u.Prev == u.Cur {
			c.fail(id, "%s changes nothing (%q)", u.Type, u.Cur)
		}
		switch {
		case u.Type == stateField:
			if !slices.Contains(states, u.Prev) || !slices.Contains(states, u.Cur) {
				c.fail(id, "%s %q → %q", u.Type, u.Prev, u.Cur)
			}
			if k.state != "" && k.state != u.Prev {
				c.fail(id, "%s %q → %q while the key is %s", u.Type, u.Prev, u.Cur, k.state)
			}
			k.state = u.Cur
			if u.Cur == "archived" {
				k.gone = "archiving"
			}
		case slices.Contains(chained, u.Type):
			c.same(id, k, u.Type, u.Prev)
			k.vals[u.Type] = u.Cur
		default:
			c.fail(id, "update type %q", u.Type)
		}
	}
}

// lifecycle checks the key lifecycle event types.
func (c *lifeChecker) lifecycle(e *lifeEvent) {
	switch e.Type {
	case "api_key_created":
		k := c.create(e.APIKeyID, "scoped")
		k.scopes = e.Scopes
	case "scoped_api_key_updated":
		k := c.get(e.APIKeyID, "scoped")
		c.updates(e.APIKeyID, k, []string{"name"}, "activation_state", []string{"active", "inactive"})
	case "scoped_api_key_deleted":
		k := c.get(e.APIKeyID, "scoped")
		c.same(e.APIKeyID, k, "name", e.APIKeyName)
		if k.scopes != nil && !slices.Equal(k.scopes, e.Scopes) {
			c.fail(e.APIKeyID, "deleted with scopes %v, created with %v", e.Scopes, k.scopes)
		}
		k.gone = "deletion"
	case "platform_api_key_created":
		c.create(e.APIKeyID, "console")
	case "platform_api_key_updated":
		k := c.get(e.APIKeyID, "console")
		c.updates(e.APIKeyID, k, []string{"name", "workspace"}, "status", []string{"active", "inactive", "archived"})
	case "admin_api_key_created":
		c.create(e.AdminAPIKeyID, "admin")
	case "admin_api_key_updated":
		k := c.get(e.AdminAPIKeyID, "admin")
		c.updates(e.AdminAPIKeyID, k, []string{"name"}, "status", []string{"active", "inactive"})
	case "admin_api_key_deleted":
		c.get(e.AdminAPIKeyID, "admin").gone = "deletion"
	case "service_key_created":
		k := c.create(e.ServiceKeyID, "service")
		c.same(e.ServiceKeyID, k, "name", e.KeyName)
		c.same(e.ServiceKeyID, k, "service", e.ServiceName)
	case "service_key_revoked":
		k := c.get(e.ServiceKeyID, "service")
		c.same(e.ServiceKeyID, k, "service", e.ServiceName)
		k.gone = "revocation"
	case "platform_signing_key_created":
		k := c.create(e.SigningKeyID, "signing")
		c.same(e.SigningKeyID, k, "algorithm", e.Algorithm)
		c.same(e.SigningKeyID, k, "backing", e.Backing)
		if e.Status != "active" {
			c.fail(e.SigningKeyID, "created with status %q", e.Status)
		}
	case "platform_signing_key_rotated":
		old := c.get(e.OldSigningKeyID, "signing")
		if old.state == "retired" {
			c.fail(e.OldSigningKeyID, "rotated out twice")
		}
		old.state = "retired"
		c.same(e.OldSigningKeyID, old, "algorithm", e.Algorithm)
		c.same(e.OldSigningKeyID, old, "group", e.Group)
		k := c.create(e.NewSigningKeyID, "signing")
		c.same(e.NewSigningKeyID, k, "algorithm", e.Algorithm)
		c.same(e.NewSigningKeyID, k, "group", e.Group)
		if b, ok := old.vals["backing"]; ok {
			k.vals["backing"] = b
		}
	case "platform_signing_key_deleted":
		k := c.get(e.SigningKeyID, "signing")
		c.same(e.SigningKeyID, k, "algorithm", e.Algorithm)
		c.same(e.SigningKeyID, k, "backing", e.Backing)
		if e.KeyName == "" {
			c.fail(e.SigningKeyID, "no key_name")
		}
		k.gone = "deletion"
	case "org_external_key_created":
		c.create(e.ExternalKeyID, "external")
	case "org_external_key_updated":
		k := c.get(e.ExternalKeyID, "external")
		c.updates(e.ExternalKeyID, k, []string{"display_name", "geo", "provider_config"}, "", nil)
	case "org_external_key_validated":
		c.get(e.ExternalKeyID, "external")
	case "org_external_key_deleted":
		c.get(e.ExternalKeyID, "external").gone = "deletion"
	default:
		for _, id := range []string{e.APIKeyID, e.AdminAPIKeyID, e.ServiceKeyID, e.SigningKeyID, e.NewSigningKeyID, e.OldSigningKeyID, e.ExternalKeyID} {
			if id != "" {
				c.fail(id, "a key field in a type that is not about keys")
			}
		}
		return
	}
	c.types[e.Type]++
}

// checkStory checks that exactly the documented events mention the
// Scenario's keys: the background never touches them.
func (c *lifeChecker) checkStory(sc Scenario) {
	c.t.Helper()
	exact := map[string][]string{
		sc.DeletedScopedKeyID:  {"api_key_created", "scoped_api_key_deleted"},
		sc.RevokedConsoleKeyID: {"platform_api_key_created", "platform_api_key_updated"},
		sc.AdminKeyID:          {"admin_api_key_created", "platform_api_key_updated", "admin_api_key_updated", "admin_api_key_deleted"},
		sc.ServiceKeyID:        {"service_key_created", "service_key_revoked"},
	}
	for id, want := range exact {
		if k := c.keys[id]; k == nil || !slices.Equal(k.history, want) {
			c.t.Errorf("scenario key %s: events %v, want %v", id, k.history, want)
		}
	}
	k := c.keys[sc.LeakedKeyID]
	if k == nil {
		c.t.Fatalf("leaked key %s never seen", sc.LeakedKeyID)
	}
	var lifecycle []string
	for _, typ := range k.history {
		switch typ {
		case "compliance_api_accessed", "claude_chat_viewed", "claude_file_viewed": // its uses
		default:
			lifecycle = append(lifecycle, typ)
		}
	}
	if want := []string{"api_key_created", "scoped_api_key_updated", "scoped_api_key_updated"}; !slices.Equal(lifecycle, want) {
		c.t.Errorf("leaked key lifecycle %v, want %v", lifecycle, want)
	}
	if k.state != "inactive" || k.vals["name"] != "SIEM export (prod)" {
		c.t.Errorf("leaked key ends %s named %q", k.state, k.vals["name"])
	}
}

// walkLifecycles checks every event of s, oldest first, live ones included.
func walkLifecycles(t *testing.T, s *Server) *lifeChecker {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLive(s.now().UnixNano())
	c := newLifeChecker(t)
	for i := range s.evs {
		c.check(s.gen.raw(&s.evs[i]), s.gen.plans[s.evs[i].typ].name)
		if c.errs > 20 {
			t.Fatal("too many lifecycle errors")
		}
	}
	return c
}

// TestKeyLifecycles walks whole datasets and checks, per key id: created
// at most once and before anything else happens to it, nothing after its
// deletion, revocation or archiving, renames and other changed values
// chained, states switched only from the state the key is in, one key and
// distinct change types per updates[], and keys that act existing and
// active. The Scenario's keys have exactly their documented events.
func TestKeyLifecycles(t *testing.T) {
	type result struct {
		types        map[string]int
		createdActed int
		keys         int
	}
	results := make([]result, 5)
	t.Run("seeds", func(t *testing.T) {
		for seed := range int64(5) {
			t.Run(fmt.Sprint(seed+1), func(t *testing.T) {
				t.Parallel()
				s, _ := newTestServer(t, func(c *Config) { c.Seed = seed + 1; c.Events = 50_000 })
				c := walkLifecycles(t, s)
				c.checkStory(s.Scenario())
				results[seed] = result{c.types, c.createdActed, len(c.keys)}
			})
		}
	})
	// The background has real lifecycles, not just a few story keys.
	total := map[string]int{}
	acted := 0
	for _, r := range results {
		for typ, n := range r.types {
			total[typ] += n
		}
		acted += r.createdActed
	}
	for _, typ := range keyTypes {
		if total[typ] == 0 {
			t.Errorf("no %s in 5 datasets of 50,000 events", typ)
		}
	}
	if acted == 0 {
		t.Error("no key created inside a dataset ever acts")
	}
	t.Logf("lifecycle events %v; keys per dataset %d; created keys that acted %d", total, results[0].keys, acted)
}

func TestKeyIDsFindsEveryKeyID(t *testing.T) {
	raw := `{"a":"apikey_01ABCDEFGHIJKLMNOPQRSTUV","b":"x svckey_01ABCDEFGHIJKLMNOPQRSTU","c":"adminkey_01ABCDEFGHIJKLMNOPQRST-V",` +
		`"d":["extkey_0100000000000000000000zz"],"e":"monkey_01ABCDEFGHIJKLMNOPQRSTUV","f":"sigkey_01ABCDEFGHIJKLMNOPQRSTUV"}`
	want := []string{"apikey_01ABCDEFGHIJKLMNOPQRSTUV", "extkey_0100000000000000000000zz", "sigkey_01ABCDEFGHIJKLMNOPQRSTUV"}
	if got := keyIDs([]byte(raw)); !slices.Equal(got, want) {
		t.Errorf("keyIDs = %v, want %v", got, want)
	}
}

// TestKeyLifecyclesShortSpansAndLive checks the same invariants where the
// story is compressed into a short span, and in the live stream.
func TestKeyLifecyclesShortSpansAndLive(t *testing.T) {
	for _, span := range []time.Duration{time.Hour, 6 * time.Hour, 90 * 24 * time.Hour} {
		t.Run(span.String(), func(t *testing.T) {
			s, _ := newTestServer(t, func(c *Config) { c.Events = 3000; c.Span = span; c.Seed = 7 })
			walkLifecycles(t, s).checkStory(s.Scenario())
		})
	}
	t.Run("live", func(t *testing.T) {
		s, clk := newTestServer(t, func(c *Config) { c.Events = 5000; c.LiveRate = 300; c.Seed = 8 })
		clk.Advance(3 * time.Hour)
		c := walkLifecycles(t, s)
		c.checkStory(s.Scenario())
		live := 0
		end := testEnd().UnixNano()
		for _, e := range s.evs {
			if e.at > end && slices.Contains(keyTypes, s.gen.plans[e.typ].name) {
				live++
			}
		}
		if live < 100 {
			t.Errorf("%d key lifecycle events in 3 h of live events at 300/min", live)
		}
	})
}
