package sim

import (
	"math"
	"slices"
	"sort"
	"strings"
)

// The background's keys have lifecycles that make sense per key: a key is
// created once (or existed before the dataset starts), its renames chain,
// it is switched off only while on, it is never touched after it is gone,
// and it acts only while active. Each kind of key has its own ids and its
// own activity types; the Scenario's keys are not in the keyring, so the
// background never touches them.

// keyClass is a kind of key.
type keyClass uint8

const (
	// classScoped: Compliance Access Keys (apikey_…): api_key_created →
	// scoped_api_key_updated {name | activation_state} → scoped_api_key_deleted.
	classScoped keyClass = iota
	// classConsole: Console API keys (apikey_…, their own ids):
	// platform_api_key_created → platform_api_key_updated {name | status |
	// workspace}; there is no delete, status archived is the end.
	classConsole
	// classAdmin: Admin API keys (adminkey_…): admin_api_key_created →
	// admin_api_key_updated {name | status} → admin_api_key_deleted.
	classAdmin
	// classService: service keys (svckey_…): service_key_created →
	// service_key_revoked.
	classService
	// classSigning: signing keys (sigkey_…): platform_signing_key_created
	// (or new_signing_key_id of a rotation) → platform_signing_key_rotated
	// (as old_signing_key_id) → platform_signing_key_deleted.
	classSigning
	// classExternal: customer-managed encryption keys (extkey_…):
	// org_external_key_created → _updated / _validated → _deleted.
	classExternal
	classCount
)

// keyTypes are the activity types the keyring generates: the background
// picks them nowhere else.
var keyTypes = []string{
	"api_key_created", "scoped_api_key_updated", "scoped_api_key_deleted",
	"platform_api_key_created", "platform_api_key_updated",
	"admin_api_key_created", "admin_api_key_updated", "admin_api_key_deleted",
	"service_key_created", "service_key_revoked",
	"platform_signing_key_created", "platform_signing_key_rotated", "platform_signing_key_deleted",
	"org_external_key_created", "org_external_key_updated", "org_external_key_validated", "org_external_key_deleted",
}

// keyEvery is how many historical events there are per background key
// lifecycle event.
const keyEvery = 250

// span is a time range [from, to) in unix ns.
type span struct{ from, to int64 }

// simKey is one background key and its current state.
type simKey struct {
	class keyClass
	id    string
	name  string
	state string // active | inactive (scoped, console, admin); retired (a signing key rotated out)
	gone  bool   // deleted, revoked or archived: nothing may happen to it any more
	org   int
	// last is the created_at of the latest event by or about the key: the
	// next one must be later, or (created_at, id) order would scramble it.
	last  int64
	spans []span // when the key was active (could act)
	pos   int    // index in keyring.alive, -1 for fixed or gone keys

	scopes    []string // scoped and service keys
	workspace string   // console keys
	service   string   // service keys: service_name
	algorithm string   // signing keys
	backing   string   // signing keys: key_backing_type
	group     string   // signing keys: key_group_identifier
	geo       string   // external keys
	config    string   // external keys: provider_config
	provider  string   // external keys
}

// activeAround reports whether k is active throughout [t-1s, t]: an event
// planned at t is stamped to a time in that range.
func (k *simKey) activeAround(t int64) bool {
	for _, s := range k.spans {
		if s.from < t-second && t < s.to {
			return true
		}
	}
	return false
}

// keyring holds every background key.
type keyring struct {
	all   [classCount][]*simKey // every key, in creation order (pre-existing ones first)
	froms [classCount][]int64   // creation time of all[c][i] (MinInt64 = before the dataset)
	alive [classCount][]*simKey // keys the background may still change
	fixed [classCount]int       // all[c][:fixed[c]] are never changed: always active
}

// add registers k, created at `at` (MinInt64: before the dataset).
func (kr *keyring) add(k *simKey, at int64, fixed bool) {
	c := k.class
	k.state, k.last, k.pos = "active", at, -1
	k.spans = []span{{at, math.MaxInt64}}
	kr.all[c] = append(kr.all[c], k)
	kr.froms[c] = append(kr.froms[c], at)
	if fixed {
		kr.fixed[c]++
		return
	}
	k.pos = len(kr.alive[c])
	kr.alive[c] = append(kr.alive[c], k)
}

// setState switches k's state at `at`, keeping its active spans.
func (k *simKey) setState(state string, at int64) {
	switch {
	case state == "active" && k.state != "active":
		k.spans = append(k.spans, span{at, math.MaxInt64})
	case state != "active" && k.state == "active":
		k.spans[len(k.spans)-1].to = at
	}
	k.state = state
}

// retire ends k at `at`: nothing happens to it afterwards.
func (kr *keyring) retire(k *simKey, at int64) {
	k.setState("gone", at)
	k.gone = true
	alive := kr.alive[k.class]
	last := alive[len(alive)-1]
	alive[k.pos], last.pos = last, k.pos
	kr.alive[k.class] = alive[:len(alive)-1]
	k.pos = -1
}

// Names the background gives its keys.
var (
	scopedNames   = []string{"SIEM export", "audit-archive", "legal-hold export", "DLP scanner", "eDiscovery", "compliance-dashboard", "retention-check"}
	consoleNames  = []string{"terraform", "ci-bot", "data-pipeline", "backup-sync", "analytics", "staging-deploy", "eval-harness", "support-bot", "jupyter", "batch-summaries"}
	adminNames    = []string{"terraform-admin", "okta-provisioner", "billing-export", "workspace-automation", "usage-report"}
	signingNames  = []string{"jwt-signing", "sso-assertions", "webhook-signing", "mcp-tokens"}
	externalNames = []string{"prod-cmk", "eu-kms-key", "backup-cmk", "analytics-cmk"}
	services      = []string{"slack", "google_drive", "github", "jira", "confluence", "zendesk"}
	nameSuffixes  = []string{"", " (prod)", " (staging)", "-v2", " (old)", " (deprecated)", "-eu"}
)

// initKeys creates the keys that exist before the dataset starts. The
// first ones of the acting classes (the SIEM's key, two Console keys, one
// Admin key) are fixed: always active, so an actor is always available.
func (g *generator) initKeys() {
	w, kr := g.w, &g.keys
	pre := int64(math.MinInt64)
	kr.add(&simKey{class: classScoped, id: w.siemKeyID, name: "SIEM export (splunk)", scopes: []string{ScopeActivities}}, pre, true)
	for i := range 3 {
		kr.add(g.newScoped(scopedNames[1+i]), pre, false)
	}
	// The fixed keys belong to the first organisation, the others anywhere.
	for i, id := range w.apiKeys {
		k := &simKey{class: classConsole, id: id, name: consoleNames[i%len(consoleNames)], workspace: g.poolID("wrkspc_")}
		if i >= 2 {
			k.org = g.randomOrg()
		}
		kr.add(k, pre, i < 2)
	}
	for i, id := range w.adminKeys {
		k := &simKey{class: classAdmin, id: id, name: adminNames[i%len(adminNames)]}
		if i > 0 {
			k.org = g.randomOrg()
		}
		kr.add(k, pre, i == 0)
	}
	for range 2 {
		kr.add(g.newService(), pre, false)
	}
	kr.add(g.newSigning(), pre, false)
	kr.add(g.newExternal(), pre, false)
}

// keyID returns a fresh key id with the prefix.
func (g *generator) keyID(prefix string) string {
	return taggedID(prefix, g.rng.Uint64(), g.rng.Uint64())
}

// newScoped returns a new Compliance Access Key: always able to read the
// feed, sometimes more.
func (g *generator) newScoped(name string) *simKey {
	all := []string{ScopeActivities, ScopeUserData, ScopeDeleteUserData, ScopeOrgData}
	var scopes []string
	for _, s := range all {
		if s == ScopeActivities || g.rng.IntN(3) == 0 {
			scopes = append(scopes, s)
		}
	}
	return &simKey{class: classScoped, id: g.keyID("apikey_"), name: name, scopes: scopes, org: g.randomOrg()}
}

// newService returns a new service key of one of the connected services.
func (g *generator) newService() *simKey {
	svc := services[g.rng.IntN(len(services))]
	return &simKey{class: classService, id: g.keyID("svckey_"), name: svc + []string{"-connector", "-sync", "-bot"}[g.rng.IntN(3)],
		service: svc, scopes: [][]string{{"read:chats"}, {"read:chats", "read:files"}, {"read:projects"}}[g.rng.IntN(3)], org: g.randomOrg()}
}

// newSigning returns a new signing key, the first of its key group.
func (g *generator) newSigning() *simKey {
	return &simKey{class: classSigning, id: g.keyID("sigkey_"), name: signingNames[g.rng.IntN(len(signingNames))],
		algorithm: []string{"ES256", "RS256", "EdDSA"}[g.rng.IntN(3)], backing: []string{"software", "hsm", "cloud_kms"}[g.rng.IntN(3)],
		group: g.keyID("sigkeygroup_"), org: g.randomOrg()}
}

// newExternal returns a new customer-managed encryption key.
func (g *generator) newExternal() *simKey {
	p := []string{"aws", "azure", "gcp"}[g.rng.IntN(3)]
	return &simKey{class: classExternal, id: g.keyID("extkey_"), name: externalNames[g.rng.IntN(len(externalNames))],
		provider: p, geo: []string{"us", "eu", "global"}[g.rng.IntN(3)], config: g.kmsConfig(p), org: g.randomOrg()}
}

// kmsConfig returns a provider_config value: where the key lives.
func (g *generator) kmsConfig(provider string) string {
	n := g.rng.Uint64()
	switch provider {
	case "aws":
		return "arn:aws:kms:us-east-1:123456789012:key/" + uuidFrom(n, mix64(n))
	case "azure":
		return "https://example-vault.vault.azure.net/keys/claude/" + uuidFrom(n, mix64(n))[:8]
	}
	return "projects/example-prod/locations/global/keyRings/claude/cryptoKeys/k" + uuidFrom(n, mix64(n))[:8]
}

// rename returns a new name for a key currently called cur: mostly the
// same name with another qualifier, sometimes a new purpose.
func (g *generator) rename(cur string, names []string) string {
	base := cur
	for _, s := range nameSuffixes[1:] {
		base = strings.TrimSuffix(base, s)
	}
	for {
		b := base
		if g.rng.IntN(4) == 0 {
			b = names[g.rng.IntN(len(names))]
		}
		if n := b + nameSuffixes[g.rng.IntN(len(nameSuffixes))]; n != cur {
			return n
		}
	}
}

// actingKey returns a key of class c (classConsole or classAdmin) that is
// active throughout [t-1s, t], for an actor at t. Half the time it is one
// of the fixed workhorse keys, which are always active; otherwise a key
// created before t, if one of a few tries is active then.
func (g *generator) actingKey(c keyClass, t int64) *simKey {
	kr := &g.keys
	k := kr.all[c][g.rng.IntN(kr.fixed[c])]
	if g.rng.IntN(2) == 0 {
		// froms is sorted, except that live events may be stamped up to a
		// second out of order: activeAround checks the creation again.
		froms := kr.froms[c]
		n := sort.Search(len(froms), func(i int) bool { return froms[i] >= t-second })
		for range 4 {
			if cand := kr.all[c][g.rng.IntN(n)]; cand.activeAround(t) {
				k = cand
				break
			}
		}
	}
	k.last = max(k.last, t) // a later lifecycle event must come after this use
	return k
}

// target returns a key of class c the background may change at t, or nil.
func (g *generator) target(c keyClass, t int64, ok func(*simKey) bool) *simKey {
	alive := g.keys.alive[c]
	if len(alive) == 0 {
		return nil
	}
	for range 6 {
		k := alive[g.rng.IntN(len(alive))]
		if k.last < t && (ok == nil || ok(k)) {
			return k
		}
	}
	return nil
}

// keyPass appends the background's key lifecycle events: about one per
// keyEvery events, at increasing times (office hours, a burst around the
// incident) at least two seconds apart, so that rounding a time to the
// second never reorders two events.
func (g *generator) keyPass(out []event, n int, start, end, incident int64) []event {
	k := n / keyEvery
	if k == 0 || end <= start {
		return out
	}
	ts := make([]int64, k)
	for i := range ts {
		ts[i] = g.episodeStart(start, end, incident)
	}
	slices.Sort(ts)
	prev := int64(math.MinInt64)
	for _, t := range ts {
		if prev != math.MinInt64 {
			t = max(t, prev+2*second)
		}
		if t > end {
			break
		}
		prev = t
		out = append(out, g.keyEvent(g.stamp(t)))
	}
	return out
}
