package store

import (
	"path"
	"sort"
	"strings"
	"time"

	"claudit/feed"
)

// EntityKind says what a directory entity is.
type EntityKind string

// The kinds of entity the Compliance directory names.
const (
	KindUser  EntityKind = "user"
	KindOrg   EntityKind = "org"
	KindKey   EntityKind = "key"
	KindGroup EntityKind = "group"
	KindRole  EntityKind = "role"
)

// Entity is one thing the directory knows by id: a user, an organization, a
// Compliance Access Key, a group or a role.
type Entity struct {
	Kind EntityKind
	// ID is the canonical id: user_…, the org's bare UUID, apikey_…,
	// rbac_group_…, rbac_role_….
	ID string
	// Aliases are other ids of the same thing (an org's org_… form, learnt
	// from the activities that carry both).
	Aliases []string
	Name    string // full name; org, key, group or role name
	Email   string // users
	Role    string // users: organization_role
	Orgs    []string
	// Removed is zero while the directory lists the entity; otherwise the
	// first refresh that no longer listed it (the name is the last known).
	Removed time.Time
	// Fetched is the last refresh that listed it.
	Fetched time.Time
	// Key holds a Compliance key's settings entry (scopes, active, expiry,
	// creator); nil for other kinds.
	Key *feed.ComplianceKey
	// Members are a group's user ids.
	Members []string
}

// Label is the short name to show in place of the id: a user's full name
// (else e-mail), any other entity's name; "" when it has none.
func (e Entity) Label() string {
	if e.Name != "" {
		return e.Name
	}
	return e.Email
}

// Names is an immutable in-memory index of the directory, built once per
// refresh and shared read-only by the UI and the CLI. A nil *Names knows
// nothing, so callers need not check.
type Names struct {
	// state is the refresh the index was built from (zero for NewNames).
	state  DirectoryState
	list   []Entity
	byID   map[string]int   // id and aliases → index
	byText map[string][]int // lower-cased name and e-mail → indexes
}

// NewNames indexes es. A later entity with an id already seen replaces the
// earlier one.
func NewNames(es []Entity) *Names {
	n := &Names{byID: make(map[string]int, len(es)), byText: make(map[string][]int, 2*len(es))}
	for _, e := range es {
		if i, ok := n.byID[e.ID]; ok {
			n.list[i] = e
			continue
		}
		n.list = append(n.list, e)
	}
	for i, e := range n.list {
		n.byID[e.ID] = i
		for _, a := range e.Aliases {
			n.byID[a] = i
		}
		for _, t := range []string{e.Name, e.Email} {
			if t == "" {
				continue
			}
			k := strings.ToLower(t)
			n.byText[k] = append(n.byText[k], i)
		}
	}
	return n
}

// Len is the number of entities.
func (n *Names) Len() int {
	if n == nil {
		return 0
	}
	return len(n.list)
}

// Lookup returns the entity with id (canonical or alias).
func (n *Names) Lookup(id string) (Entity, bool) {
	if n == nil || id == "" {
		return Entity{}, false
	}
	i, ok := n.byID[id]
	if !ok {
		return Entity{}, false
	}
	return n.list[i], true
}

// Label is the short name for id, or "" when the directory does not know it.
func (n *Names) Label(id string) string {
	e, ok := n.Lookup(id)
	if !ok {
		return ""
	}
	return e.Label()
}

// Find returns the entities that s names: an id or alias, an e-mail or a
// name (case-insensitive), or a glob (`*`, `?`) over names and e-mails. kinds
// narrows the result (none: every kind). Results are sorted by kind, then
// label, then id.
func (n *Names) Find(s string, kinds ...EntityKind) []Entity {
	if n == nil || s == "" {
		return nil
	}
	want := func(e Entity) bool {
		if len(kinds) == 0 {
			return true
		}
		for _, k := range kinds {
			if e.Kind == k {
				return true
			}
		}
		return false
	}
	seen := map[int]bool{}
	var out []Entity
	add := func(i int) {
		if !seen[i] && want(n.list[i]) {
			seen[i] = true
			out = append(out, n.list[i])
		}
	}
	if i, ok := n.byID[s]; ok {
		add(i)
	}
	low := strings.ToLower(s)
	if strings.ContainsAny(low, "*?[") {
		for i, e := range n.list {
			for _, t := range []string{e.Name, e.Email} {
				if ok, _ := path.Match(low, strings.ToLower(t)); ok && t != "" {
					add(i)
				}
			}
		}
	} else {
		for _, i := range n.byText[low] {
			add(i)
		}
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Kind != out[b].Kind {
			return out[a].Kind < out[b].Kind
		}
		if la, lb := out[a].Label(), out[b].Label(); la != lb {
			return la < lb
		}
		return out[a].ID < out[b].ID
	})
	return out
}

// Complete returns up to max names and e-mails of the given kinds that start
// with prefix (case-insensitive), sorted.
func (n *Names) Complete(prefix string, max int, kinds ...EntityKind) []string {
	if n == nil || max <= 0 {
		return nil
	}
	low := strings.ToLower(prefix)
	set := map[string]bool{}
	for _, e := range n.list {
		ok := len(kinds) == 0
		for _, k := range kinds {
			ok = ok || e.Kind == k
		}
		if !ok {
			continue
		}
		for _, t := range []string{e.Name, e.Email} {
			if t != "" && strings.HasPrefix(strings.ToLower(t), low) {
				set[t] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	sort.Strings(out)
	if len(out) > max {
		out = out[:max]
	}
	return out
}

// State is what the refresh the index was built from could and could not
// read (zero when the index was not built by the store).
func (n *Names) State() DirectoryState {
	if n == nil {
		return DirectoryState{}
	}
	return n.state
}

// WithState returns a copy of n that says it was built from a refresh in
// state d.
func (n *Names) WithState(d DirectoryState) *Names {
	c := *n
	c.state = d
	return &c
}

// All returns every entity, in the order NewNames kept them.
func (n *Names) All() []Entity {
	if n == nil {
		return nil
	}
	return append([]Entity(nil), n.list...)
}

// TermIDs returns the ids that a name in a query term stands for: the
// users an actor term names, the Compliance keys a key term names, the
// organizations an org term names or (as a glob) matches. noun says what
// was looked for, for the message when nothing is found.
func (n *Names) TermIDs(field, value string) (ids []string, noun string) {
	kind, ok := FieldKind(field)
	if !ok {
		kind = KindUser
	}
	noun = map[EntityKind]string{KindUser: "user", KindKey: "Compliance key", KindOrg: "organization"}[kind]
	for _, e := range n.Find(value, kind) {
		ids = append(ids, e.ID)
	}
	return ids, noun
}

// FieldKind is the kind of entity a query field names: people for actor:,
// Compliance keys for key:, organizations for org:; false for the others.
func FieldKind(field string) (EntityKind, bool) {
	switch strings.ToLower(field) {
	case "actor":
		return KindUser, true
	case "key":
		return KindKey, true
	case "org":
		return KindOrg, true
	}
	return "", false
}
