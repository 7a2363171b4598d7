package sim

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"claudit/feed"
)

// The Compliance directory (ACTIVITY_FEED.md §13) of the generated world:
// organisations, their members with full names and roles, RBAC roles,
// groups with members, and the Compliance Access Keys of the effective
// settings. It is built on the first directory request (a server that is
// only asked for the feed pays nothing), from an rng stream of its own,
// so the feed is byte for byte what it was before the directory existed.
// It agrees with the feed: the same people, ids and organisations, the
// keys under the names their key events give them, the group the story
// creates, and people who acted in the history but have left since.

// dirStream is the PCG stream of the directory's rng (the feed's own
// streams are 0x636c6175646974 and 1–3).
const (
	dirStream  = 4
	growStream = 5
)

// storyNonRemovable is how many of the first people the story uses by
// name (alice, bob, carol, the victims, the hostile user agents): none of
// them is ever the one who left.
const storyNonRemovable = 7

// directory is the served directory. Lists are in the order the endpoints
// return them.
type directory struct {
	start   int64 // the dataset's first event (ns): accounts are older
	orgs    []dirOrg
	members [][]dirUser // per org, by join date
	removed []dirUser   // acted in the history, no longer members
	roles   [][]dirRole // per org
	groups  []dirGroup
	// origins are the creation times and creators of the Compliance
	// Access Keys created inside the dataset (api_key_created events).
	origins map[string]keyOrigin
	growRng *rand.Rand
	grown   int // synthetic people added by GrowDirectory
}

type dirOrg struct {
	uuid, name string
	created    int64
}

type dirUser struct {
	id, email, name, role string
	org                   int
	created, joined       int64
}

type dirRole struct {
	id, name, desc   string
	created, updated int64 // 0 = null
	perms            []dirPermission
}

type dirPermission struct {
	Action       string `json:"action"`
	ResourceID   string `json:"resource_id"`
	ResourceType string `json:"resource_type"`
}

type dirGroup struct {
	id, name, desc, source string
	roles                  []string // nil = null
	created, updated       int64
	members                []dirMember
}

type dirMember struct {
	id, email string
	added     int64
}

type keyOrigin struct {
	at int64
	by string // user id
}

// dir returns the directory, building it on first use. Callers hold s.mu.
func (s *Server) dir() *directory {
	if s.directory == nil {
		s.directory = s.buildDirectory()
	}
	return s.directory
}

// buildDirectory derives the directory from the world and the history.
func (s *Server) buildDirectory() *directory {
	w := s.gen.w
	rng := rand.New(rand.NewPCG(s.gen.seed, dirStream))
	d := &directory{origins: map[string]keyOrigin{}, growRng: rand.New(rand.NewPCG(s.gen.seed, growStream))}
	d.start = s.now().UnixNano()
	if len(s.evs) > 0 {
		d.start = s.evs[0].at
	}
	day := int64(24 * time.Hour)
	// Organisations: the parent first, each linked one created later.
	for i, o := range w.orgs {
		d.orgs = append(d.orgs, dirOrg{uuid: o.uuid, name: o.name, created: d.start - (900-int64(i)*45)*day - rng.Int64N(day)})
	}

	acted := map[string]bool{}
	for i := range s.evs {
		if u := s.evs[i].user; u != "" {
			acted[u] = true
		}
	}
	gone := s.removedPeople(rng, acted)

	// People: full names from their e-mail, an organisation role each.
	d.members = make([][]dirUser, len(w.orgs))
	for i, p := range w.users {
		u := dirUser{id: p.id, email: p.email, name: fullName(p.email), role: personRole(i, rng), org: p.org}
		u.created = d.orgs[0].created + day + rng.Int64N(700*day)
		u.joined = max(u.created, d.orgs[p.org].created) + rng.Int64N(20*day)
		if i == 0 {
			// The primary owner opened the account with the organisation.
			u.created, u.joined = d.orgs[0].created, d.orgs[0].created
		}
		if gone[i] {
			d.removed = append(d.removed, u)
			continue
		}
		d.members[p.org] = append(d.members[p.org], u)
		if i == 0 {
			// The primary owner of the parent is a member of every linked
			// organisation, from its creation.
			for k := 1; k < len(w.orgs); k++ {
				v := u
				v.org, v.joined = k, d.orgs[k].created
				d.members[k] = append(d.members[k], v)
			}
		}
	}
	for _, m := range d.members {
		slices.SortStableFunc(m, func(a, b dirUser) int { return cmp.Compare(a.joined, b.joined) })
	}

	// Roles: the pool ids the feed's role events use, for the first orgs.
	rolePool := poolIDs(s.gen.seed, "rbac_role_", 30)
	d.roles = make([][]dirRole, len(w.orgs))
	for i := range w.orgs {
		for j, r := range roleTemplates {
			id := taggedID("rbac_role_", rng.Uint64(), rng.Uint64())
			if k := i*len(roleTemplates) + j; k < len(rolePool) {
				id = rolePool[k]
			}
			role := dirRole{id: id, name: r.name, desc: r.desc, created: d.orgs[i].created + int64(j+1)*day}
			if j%2 == 0 {
				role.updated = role.created + rng.Int64N(300*day)
			}
			for _, p := range r.perms {
				rid := w.orgs[i].uuid
				if p.ResourceType == "workspace" {
					rid = poolIDs(s.gen.seed, "wrkspc_", 30)[rng.IntN(30)]
				}
				role.perms = append(role.perms, dirPermission{Action: p.Action, ResourceType: p.ResourceType, ResourceID: rid})
			}
			d.roles[i] = append(d.roles[i], role)
		}
	}

	d.groups = s.buildGroups(d, rng)
	d.scanKeyOrigins(s)
	return d
}

// removedPeople picks who has left: people past the story's cast who acted
// in the history, preferring the subject of the newest org_user_deleted
// event, so the feed's own record of a removal names them.
func (s *Server) removedPeople(rng *rand.Rand, acted map[string]bool) map[int]bool {
	w := s.gen.w
	byID := map[string]int{}
	var cands []int
	for i, p := range w.users {
		byID[p.id] = i
		if i >= storyNonRemovable && acted[p.id] {
			cands = append(cands, i)
		}
	}
	gone := map[int]bool{}
	if len(cands) == 0 {
		return gone
	}
	if p := s.gen.byName["org_user_deleted"]; p != nil {
		for i := len(s.evs) - 1; i >= 0; i-- {
			if s.evs[i].typ != p.idx {
				continue
			}
			var f struct {
				ID string `json:"deleted_user_id"`
			}
			if json.Unmarshal(s.gen.raw(&s.evs[i]), &f) == nil {
				if k, ok := byID[f.ID]; ok && slices.Contains(cands, k) {
					gone[k] = true
					break
				}
			}
		}
	}
	for len(gone) < min(2, len(cands)) {
		gone[cands[rng.IntN(len(cands))]] = true
	}
	return gone
}

// buildGroups makes the groups: a few teams, and the group the story
// creates under a hostile name (the directory repeats what the feed says).
func (s *Server) buildGroups(d *directory, rng *rand.Rand) []dirGroup {
	w := s.gen.w
	day := int64(24 * time.Hour)
	hostileID := s.storyGroupID()
	pool := poolIDs(s.gen.seed, "rbac_group_", 30)
	pool = slices.DeleteFunc(pool, func(id string) bool { return id == hostileID })
	// members picks among the members of every organisation, the primary
	// owner (a member of each) once.
	members := func(pick func(u dirUser) bool) []dirMember {
		var out []dirMember
		for k, m := range d.members {
			for _, u := range m {
				if (k == 0 || u.id != w.users[0].id) && pick(u) {
					out = append(out, dirMember{id: u.id, email: u.email, added: u.joined + rng.Int64N(30*day)})
				}
			}
		}
		return out
	}
	roleIDs := func(js ...int) []string {
		var out []string
		for _, j := range js {
			out = append(out, d.roles[0][j].id)
		}
		return out
	}
	isAdmin := func(u dirUser) bool { return u.role != "user" && u.role != "developer" && u.role != "claude_code_user" }
	var gs []dirGroup
	add := func(name, desc, source string, roles []string, ms []dirMember) {
		g := dirGroup{id: pool[len(gs)%len(pool)], name: name, desc: desc, source: source, roles: roles, members: ms}
		g.created = d.orgs[0].created + int64(10+len(gs))*day
		if source == "scim" {
			g.updated = d.start - rng.Int64N(30*day)
		}
		gs = append(gs, g)
	}
	add("Security", "Security operations and incident response", "direct", roleIDs(1),
		members(func(u dirUser) bool { return u.id == w.users[1].id || (isAdmin(u) && rng.IntN(2) == 0) }))
	add("Research", "Research scientists and their tools", "scim", roleIDs(2),
		members(func(u dirUser) bool { return u.org > 0 || rng.IntN(4) == 0 }))
	add("Engineering", "Product engineering", "scim", roleIDs(2, 3),
		members(func(u dirUser) bool { return rng.IntN(5) < 2 }))
	add("Legal Review", "Legal hold and e-discovery requests", "direct", nil,
		members(func(u dirUser) bool { return rng.IntN(8) == 0 }))
	add("Finance Analysts", "", "direct", roleIDs(3), nil) // an empty group
	if hostileID != "" {
		carol := w.users[min(2, len(w.users)-1)]
		gs = append(gs, dirGroup{id: hostileID, name: hostileC1, desc: "", source: "direct",
			created: d.start, members: []dirMember{{id: carol.id, email: carol.email, added: d.start}}})
	}
	return gs
}

// storyGroupID is the group_id of the story's group_created event (the one
// with the hostile name), or "" when the dataset has no story.
func (s *Server) storyGroupID() string {
	p := s.gen.byName["group_created"]
	if p == nil {
		return ""
	}
	for i := range s.evs {
		if s.evs[i].typ != p.idx {
			continue
		}
		var f struct {
			ID   string `json:"group_id"`
			Name string `json:"group_name"`
		}
		if json.Unmarshal(s.gen.raw(&s.evs[i]), &f) == nil && f.Name == hostileC1 {
			return f.ID
		}
	}
	return ""
}

// scanKeyOrigins records when, and by whom, every Compliance Access Key
// created inside the dataset was created.
func (d *directory) scanKeyOrigins(s *Server) {
	p := s.gen.byName["api_key_created"]
	if p == nil {
		return
	}
	for i := range s.evs {
		e := &s.evs[i]
		if e.typ != p.idx {
			continue
		}
		var f struct {
			ID string `json:"api_key_id"`
		}
		if json.Unmarshal(s.gen.raw(e), &f) == nil && f.ID != "" {
			d.origins[f.ID] = keyOrigin{at: e.at, by: e.user}
		}
	}
}

// roleTemplates are the RBAC roles every organisation has.
var roleTemplates = []struct {
	name, desc string
	perms      []dirPermission
}{
	{"Workspace Admin", "Manages workspaces and their members", []dirPermission{{Action: "manage", ResourceType: "workspace"}, {Action: "read", ResourceType: "organization"}}},
	{"Security Auditor", "Reads audit logs and security settings", []dirPermission{{Action: "read", ResourceType: "organization"}}},
	{"Developer", "Builds with the API in assigned workspaces", []dirPermission{{Action: "write", ResourceType: "workspace"}}},
	{"Read-only Analyst", "Views usage reports", nil},
}

// personRole is the organization_role of person i: alice the primary
// owner, the other admins of the story admins, most others plain users.
func personRole(i int, rng *rand.Rand) string {
	switch i {
	case 0:
		return "primary_owner"
	case 1, 2:
		return "admin"
	case 3:
		return "membership_admin"
	}
	switch n := rng.IntN(20); {
	case n < 12:
		return "user"
	case n < 15:
		return "developer"
	case n < 18:
		return "claude_code_user"
	case n < 19:
		return "billing"
	default:
		return "managed"
	}
}

// fullName is the person's name from their e-mail: alice.admin@… → "Alice Admin".
func fullName(email string) string {
	local, _, _ := strings.Cut(email, "@")
	parts := strings.FieldsFunc(local, func(r rune) bool { return r == '.' || r == '_' || r == '-' })
	for i, p := range parts {
		parts[i] = strings.ToUpper(p[:1]) + p[1:]
	}
	return strings.Join(parts, " ")
}

// poolIDs returns the first n ids of the generator's id pool for prefix,
// computed as poolID does but without drawing from any rng.
func poolIDs(seed uint64, prefix string, n int) []string {
	h := hashString(prefix) ^ seed
	out := make([]string, n)
	for i := range out {
		out[i] = taggedID(prefix, mix64(h+uint64(2*i)), mix64(h+uint64(2*i+1)))
	}
	return out
}

// dirKey is one entry of the settings' api_keys[].
type dirKey struct {
	id, name string
	scopes   []string
	active   bool
	created  int64
	by       string
}

// complianceKeys lists every Compliance Access Key of the parent, inactive
// ones included, as it stands now: the simulator's own keys, the SIEM's,
// the background's scoped keys under their current names and states, and
// the story's (the leaked key, deactivated; the key switched off and on
// again). Deleted keys are gone. Callers hold s.mu.
func (s *Server) complianceKeys() []dirKey {
	d := s.dir()
	w := s.gen.w
	owner := ""
	if len(w.users) > 0 {
		owner = w.users[0].id
	}
	day := int64(24 * time.Hour)
	// before is a creation time before the dataset, stable per key.
	before := func(id string) int64 { return d.start - int64(30+hashString(id)%400)*day }
	var keys []dirKey
	for _, k := range s.keys {
		if k.spec.Kind != "compliance" {
			continue
		}
		keys = append(keys, dirKey{id: k.spec.KeyID, name: builtinKeyName(k.spec.KeyID), scopes: slices.Clone(k.spec.Scopes),
			active: !k.revoked, created: before(k.spec.KeyID), by: owner})
	}
	origin := func(id string) keyOrigin {
		o, ok := d.origins[id]
		if !ok {
			d.scanKeyOrigins(s) // created by a live event since the last scan
			o, ok = d.origins[id]
		}
		if !ok || o.by == "" {
			o = keyOrigin{at: before(id), by: owner}
		}
		return o
	}
	for _, k := range s.gen.keys.all[classScoped] {
		if k.gone {
			continue
		}
		o := origin(k.id)
		keys = append(keys, dirKey{id: k.id, name: k.name, scopes: slices.Clone(k.scopes), active: k.state == "active", created: o.at, by: o.by})
	}
	sc := &w.scenario
	if o, ok := d.origins[sc.LeakedKeyID]; ok { // the story is in the dataset
		keys = append(keys,
			dirKey{id: sc.LeakedKeyID, name: "SIEM export (prod)", scopes: []string{ScopeActivities, ScopeUserData}, active: false, created: o.at, by: o.by},
			dirKey{id: w.reactivatedID, name: "audit-archive (org data)", scopes: []string{ScopeActivities, ScopeOrgData}, active: true,
				created: d.origins[w.reactivatedID].at, by: d.origins[w.reactivatedID].by})
	}
	slices.SortFunc(keys, func(a, b dirKey) int {
		return cmp.Or(cmp.Compare(a.created, b.created), strings.Compare(a.id, b.id))
	})
	return keys
}

// builtinKeyName names the simulator's own keys.
func builtinKeyName(keyID string) string {
	switch keyID {
	case DefaultKeys()[ComplianceKey].KeyID:
		return "claudit (simulator)"
	case DefaultKeys()[UserDataOnlyKey].KeyID:
		return "user-data reader (simulator)"
	}
	return "Compliance key " + keyID
}

// DirectoryStats counts what the directory holds and how often it was asked.
type DirectoryStats struct {
	Requests int // requests to the directory endpoints, every status
	Orgs     int
	Users    int // memberships: a person in two organisations counts twice
	Removed  int // people who acted in the history and are no longer members
	Roles    int
	Groups   int
	Members  int // group memberships
	Keys     int
}

// DirectoryStats returns the directory's size and request count.
func (s *Server) DirectoryStats() DirectoryStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dir()
	st := DirectoryStats{Requests: s.dirRequests, Orgs: len(d.orgs), Removed: len(d.removed), Groups: len(d.groups), Keys: len(s.complianceKeys())}
	for i := range d.orgs {
		st.Users += len(d.members[i])
		st.Roles += len(d.roles[i])
	}
	for _, g := range d.groups {
		st.Members += len(g.members)
	}
	return st
}

// Directory returns the directory as a key with every scope reads it: the
// ground truth of a complete refresh (Fetched and Requests are zero).
func (s *Server) Directory() *feed.Directory {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dir()
	out := &feed.Directory{}
	for i, o := range d.orgs {
		out.Orgs = append(out.Orgs, feed.Organization{UUID: o.uuid, Name: o.name, CreatedAt: nsTime(o.created)})
		for _, u := range d.members[i] {
			out.Users = append(out.Users, u.feedUser(o.uuid))
		}
		for _, r := range d.roles[i] {
			out.Roles = append(out.Roles, feed.Role{ID: r.id, Name: r.name, Description: r.desc, OrgUUID: o.uuid})
		}
	}
	for _, g := range d.groups {
		fg := feed.Group{ID: g.id, Name: g.name, Description: g.desc, Roles: slices.Clone(g.roles), SourceType: g.source, MembersKnown: true}
		for _, m := range g.members {
			fg.Members = append(fg.Members, feed.GroupMember{UserID: m.id, Email: m.email})
		}
		out.Groups = append(out.Groups, fg)
	}
	for _, k := range s.complianceKeys() {
		out.Keys = append(out.Keys, feed.ComplianceKey{ID: k.id, Name: k.name, Scopes: k.scopes, Active: k.active,
			CreatedAt: nsTime(k.created), CreatedByID: k.by})
	}
	return out
}

// RemovedUsers returns the people who acted in the history but are no
// longer members of any organisation (OrgUUID is the one they left).
func (s *Server) RemovedUsers() []feed.DirectoryUser {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dir()
	var out []feed.DirectoryUser
	for _, u := range d.removed {
		out = append(out, u.feedUser(d.orgs[u.org].uuid))
	}
	return out
}

func (u dirUser) feedUser(orgUUID string) feed.DirectoryUser {
	return feed.DirectoryUser{ID: u.id, Email: u.email, FullName: u.name, Role: u.role, CreatedAt: nsTime(u.created), OrgUUID: orgUUID}
}

// GrowDirectory adds users synthetic members to the first organisation and
// groups synthetic groups (each with up to 50 of the synthetic members),
// for tests and benchmarks of a large directory. It never changes the feed.
func (s *Server) GrowDirectory(users, groups int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dir()
	rng := d.growRng
	at := d.start - int64(time.Hour)
	first := len(d.members[0])
	for range users {
		d.grown++
		email := fmt.Sprintf("member%05d.synthetic@example.com", d.grown)
		d.members[0] = append(d.members[0], dirUser{id: taggedID("user_", rng.Uint64(), rng.Uint64()), email: email,
			name: fullName(email), role: "user", created: at, joined: at})
	}
	added := d.members[0][first:]
	for i := range groups {
		g := dirGroup{id: taggedID("rbac_group_", rng.Uint64(), rng.Uint64()), name: fmt.Sprintf("Synthetic group %03d", len(d.groups)+1),
			desc: "generated for a large directory", source: "scim", created: at}
		for j := range min(50, len(added)) {
			u := added[(i*50+j)%len(added)]
			g.members = append(g.members, dirMember{id: u.id, email: u.email, added: at})
		}
		d.groups = append(d.groups, g)
	}
}

// nsTime is a directory time as the wire carries it: microseconds.
func nsTime(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC().Truncate(time.Microsecond)
}
