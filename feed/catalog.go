package feed

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

//go:embed activity-types.json
var catalogJSON []byte

// TypeInfo is what the catalogue knows about one activity type.
type TypeInfo struct {
	Name    string
	Group   string      `json:"group"`
	Summary string      `json:"summary"`
	Fields  []FieldInfo `json:"fields"`
	// ActorVariants lists the allowed actor.type values; nil = not published.
	ActorVariants []string `json:"actor_variants"`
}

// FieldInfo is one type-specific field of an activity type.
type FieldInfo struct {
	Name     string `json:"name"`
	Optional bool   `json:"optional"`
	Type     string `json:"type"`
}

// Catalog is the activity-type catalogue (518 types, from the API reference
// and the guides; ACTIVITY_FEED.md §9, §17.7) with the presets derived from
// it. It is read-only after construction.
type Catalog struct {
	// asOf is the date the catalogue was last brought up to date.
	asOf    time.Time
	types   map[string]TypeInfo
	names   []string // sorted
	presets map[string][]string
}

// Preset describes a named group of types usable as `type:@name`.
type Preset struct {
	Name        string
	Description string
}

// presetRules defines the curated presets: groups they include and globs.
var presetRules = []struct {
	name, desc string
	groups     []string
	globs      []string
}{
	{"keys", "API, admin, service and signing key lifecycle", []string{"api_keys", "admin_keys"}, []string{"*_key_*", "*api_key*"}},
	{"auth", "sign-ins, sign-outs, SSO, magic links, sessions", []string{"auth"}, []string{"*login*", "*logout*"}},
	{"admin", "admin keys, roles, org settings, compliance settings", []string{"admin_keys", "roles", "org_settings", "compliance"}, nil},
	{"members", "invites, members, groups, SCIM", []string{"members", "groups", "scim"}, nil},
	{"exfil", "exports, downloads, sharing and publishing", []string{"exports"}, []string{"*_exported", "*_downloaded", "*download*", "*_shared", "*sharing*", "*published*", "*export*"}},
	{"noise", "views, listings and Compliance API reads", nil, []string{"*_viewed", "*_listed", "compliance_api_accessed"}},
}

// catalogue parses the embedded catalogue once, on first use; the result
// is never modified afterwards.
var catalogue = sync.OnceValue(func() *Catalog {
	c, err := parseCatalog(catalogJSON)
	if err != nil {
		// The file is embedded at build time and checked by the tests.
		panic("feed: embedded catalogue is invalid: " + err.Error())
	}
	return c
})

// Catalogue returns the embedded activity-type catalogue (read-only).
func Catalogue() *Catalog { return catalogue() }

func parseCatalog(b []byte) (*Catalog, error) {
	var doc struct {
		AsOf      string              `json:"as_of"`
		TypeCount int                 `json:"type_count"`
		Types     map[string]TypeInfo `json:"types"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	asOf, err := time.Parse(time.DateOnly, doc.AsOf)
	if err != nil {
		return nil, fmt.Errorf("as_of: %w", err)
	}
	if doc.TypeCount != len(doc.Types) {
		return nil, fmt.Errorf("type_count is %d but %d types are listed", doc.TypeCount, len(doc.Types))
	}
	c := &Catalog{asOf: asOf, types: doc.Types, presets: map[string][]string{}}
	groups := map[string][]string{}
	for name, ti := range doc.Types {
		ti.Name = name
		c.types[name] = ti
		c.names = append(c.names, name)
		groups[ti.Group] = append(groups[ti.Group], name)
	}
	sort.Strings(c.names)
	for g, names := range groups {
		sort.Strings(names)
		c.presets[g] = names
	}
	for _, r := range presetRules {
		set := map[string]bool{}
		for _, g := range r.groups {
			for _, n := range groups[g] {
				set[n] = true
			}
		}
		for _, glob := range r.globs {
			for _, n := range c.names {
				if ok, _ := path.Match(glob, n); ok {
					set[n] = true
				}
			}
		}
		names := make([]string, 0, len(set))
		for n := range set {
			names = append(names, n)
		}
		sort.Strings(names)
		c.presets[r.name] = names
	}
	return c, nil
}

// Lookup returns the catalogue entry of a type. Types missing from the
// catalogue are still valid everywhere; ok is false for them.
func (c *Catalog) Lookup(name string) (TypeInfo, bool) {
	ti, ok := c.types[name]
	return ti, ok
}

// Group returns the catalogue group of a type, or "other" when unknown.
func (c *Catalog) Group(name string) string {
	if ti, ok := c.types[name]; ok {
		return ti.Group
	}
	return "other"
}

// AsOf returns the date the catalogue was last brought up to date with the
// published reference.
func (c *Catalog) AsOf() time.Time { return c.asOf }

// Len returns the number of catalogued types.
func (c *Catalog) Len() int { return len(c.names) }

// Names returns every catalogued type name, sorted.
func (c *Catalog) Names() []string { return slices.Clone(c.names) }

// Uncatalogued returns the names among types that the catalogue does not
// know, sorted and without duplicates: types newer than the catalogue,
// whose events are stored, shown and searched like any other.
func (c *Catalog) Uncatalogued(types []string) []string {
	var out []string
	for _, t := range types {
		if _, ok := c.types[t]; !ok {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Presets returns the preset names (curated presets and every group), sorted.
func (c *Catalog) Presets() []Preset {
	var out []Preset
	curated := map[string]bool{}
	for _, r := range presetRules {
		out = append(out, Preset{Name: r.name, Description: r.desc})
		curated[r.name] = true
	}
	for name := range c.presets {
		if !curated[name] {
			out = append(out, Preset{Name: name, Description: "group " + name})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// IsPattern reports whether a type term is a glob or a preset rather than an
// exact type name.
func IsPattern(term string) bool {
	return strings.HasPrefix(term, "@") || strings.ContainsAny(term, "*?[")
}

// Expand turns one type term (exact name, glob or @preset) into exact type
// names. An exact name is returned as is even when not catalogued (new types
// ship often). A glob matching nothing and an unknown preset are errors.
func (c *Catalog) Expand(term string) ([]string, error) {
	switch {
	case strings.HasPrefix(term, "@"):
		names, ok := c.presets[term[1:]]
		if !ok {
			return nil, fmt.Errorf("unknown preset %q", term)
		}
		return slices.Clone(names), nil
	case strings.ContainsAny(term, "*?["):
		if _, err := path.Match(term, ""); err != nil {
			return nil, fmt.Errorf("bad type pattern %q: %v", term, err)
		}
		var out []string
		for _, n := range c.names {
			if ok, _ := path.Match(term, n); ok {
				out = append(out, n)
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("type pattern %q matches no known activity type", term)
		}
		return out, nil
	default:
		return []string{term}, nil
	}
}

// ExpandAll expands several terms into a sorted, de-duplicated list.
func (c *Catalog) ExpandAll(terms []string) ([]string, error) {
	set := map[string]bool{}
	for _, t := range terms {
		names, err := c.Expand(t)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			set[n] = true
		}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

// SuggestType returns the catalogued type names nearest to name by edit
// distance (those at the smallest distance, at most three; none when
// nothing is close), for "did you mean …?" hints about a type the
// catalogue does not know.
func (c *Catalog) SuggestType(name string) []string {
	limit := max(2, len(name)/4)
	type cand struct {
		name string
		d    int
	}
	var cands []cand
	for _, n := range c.names {
		if abs(len(n)-len(name)) > limit {
			continue
		}
		if d := EditDistance(name, n); d <= limit {
			cands = append(cands, cand{n, d})
		}
	}
	slices.SortStableFunc(cands, func(a, b cand) int { return a.d - b.d })
	var out []string
	for _, cd := range cands[:min(3, len(cands))] {
		if cd.d == cands[0].d {
			out = append(out, cd.name)
		}
	}
	return out
}

// PlausibleTypeName reports whether name could be an activity type the
// catalogue does not know yet: lower-case snake_case ([a-z0-9_]+). Such a
// name is sent to the server, which may know it; anything else is a typo.
func PlausibleTypeName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// UnknownTypeHint is the "not in the catalogue; did you mean …?" text for
// an exact type name the catalogue does not know.
func UnknownTypeHint(name string) string {
	msg := fmt.Sprintf("activity type %q is not in the built-in catalogue", name)
	if s := DidYouMean(name); s != "" {
		msg += "; " + s
	}
	return msg
}

// DidYouMean is "did you mean a or b?" with the nearest catalogued type
// names (SuggestType), or "" when none is close.
func DidYouMean(name string) string {
	s := Catalogue().SuggestType(name)
	if len(s) == 0 {
		return ""
	}
	return "did you mean " + strings.Join(s, " or ") + "?"
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// EditDistance is the Levenshtein distance of two byte strings, for
// "did you mean …?" hints (type names here, subcommands in the CLI).
func EditDistance(a, b string) int {
	d, _ := EditDistanceWithin(a, b, max(len(a), len(b)))
	return d
}

// EditDistanceWithin is EditDistance(a, b) and true when it is at most
// limit, else false; it gives up as soon as the distance cannot be (near
// misses compare a value with every cached one).
func EditDistanceWithin(a, b string, limit int) (int, bool) {
	if len(a)-len(b) > limit || len(b)-len(a) > limit {
		return 0, false
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			best = min(best, cur[j])
		}
		if best > limit {
			return 0, false
		}
		prev, cur = cur, prev
	}
	if d := prev[len(b)]; d <= limit {
		return d, true
	}
	return 0, false
}
