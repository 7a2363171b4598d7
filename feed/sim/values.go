package sim

// The values of an activity's type-specific fields, generated from the
// catalogue's specs: objects, updates[] arrays, pooled ids, strings, numbers.

import (
	"slices"
	"strconv"
	"strings"
)

// appendFields appends type-specific fields generated from their specs.
func (g *generator) appendFields(b []byte, fields []field) []byte {
	for _, f := range fields {
		if f.optional && g.rng.IntN(10) < 3 {
			continue
		}
		b = appendKey(b, f.name, false)
		b = g.appendValue(b, f.name, f.spec)
	}
	return b
}

func (g *generator) appendValue(b []byte, name string, sp *spec) []byte {
	if sp.nullable && g.rng.IntN(7) == 0 {
		return append(b, "null"...)
	}
	switch sp.kind {
	case kindNumber:
		return strconv.AppendInt(b, int64(g.numberFor(name)), 10)
	case kindBool:
		return strconv.AppendBool(b, g.rng.IntN(2) == 0)
	case kindEnum:
		return appendString(b, g.enumValue(sp))
	case kindArray:
		if types := updateTypes(sp.elem); types != nil {
			return g.appendUpdates(b, sp.elem, types)
		}
		n := g.rng.IntN(3) + 1
		elem := singular(name)
		b = append(b, '[')
		for i := range n {
			if i > 0 {
				b = append(b, ',')
			}
			b = g.appendValue(b, elem, sp.elem)
		}
		return append(b, ']')
	case kindObject:
		return g.appendObject(b, sp)
	}
	return appendString(b, g.stringFor(name))
}

func (g *generator) enumValue(sp *spec) string {
	v := sp.enum[g.rng.IntN(len(sp.enum))]
	if v == "unspecified" && len(sp.enum) > 1 {
		v = sp.enum[g.rng.IntN(len(sp.enum))]
	}
	return v
}

func (g *generator) appendObject(b []byte, sp *spec) []byte {
	has := func(n string) *field {
		for i := range sp.fields {
			if sp.fields[i].name == n {
				return &sp.fields[i]
			}
		}
		return nil
	}
	typ, prev, cur := has("type"), has("previous_value"), has("current_value")
	switch {
	case sp.fields == nil:
		return append(b, `{"standard":`+strconv.Itoa(5+g.rng.IntN(50))+`,"premium":`+strconv.Itoa(g.rng.IntN(10))+`}`...)
	case typ != nil && prev != nil && cur != nil:
		types := updateTypes(sp)
		return g.appendUpdate(b, sp, types[g.rng.IntN(len(types))])
	case sp.variants > 0 && typ != nil && len(sp.fields) == 1:
		b = append(b, `{"type":`...)
		b = appendString(b, []string{"organization", "group", "user"}[g.rng.IntN(min(3, sp.variants))])
		return append(b, '}')
	}
	b = append(b, '{')
	first := true
	for _, f := range sp.fields {
		if f.optional && g.rng.IntN(10) < 3 {
			continue
		}
		b = appendKey(b, f.name, first)
		first = false
		b = g.appendValue(b, f.name, f.spec)
	}
	return append(b, '}')
}

// settingNames are the update types of updates[] arrays whose type field
// is a free string.
var settingNames = []string{"allow_file_uploads", "web_search_enabled", "sharing_enabled", "code_execution_enabled"}

// updateTypes returns the possible types of an updates[] element, or nil
// when sp is not one.
func updateTypes(sp *spec) []string {
	if sp.kind != kindObject {
		return nil
	}
	var typ, prev, cur *field
	for i := range sp.fields {
		switch f := &sp.fields[i]; f.name {
		case "type":
			typ = f
		case "previous_value":
			prev = f
		case "current_value":
			cur = f
		}
	}
	switch {
	case typ == nil || prev == nil || cur == nil:
		return nil
	case typ.spec.kind == kindEnum && len(typ.spec.enum) > 0:
		return typ.spec.enum
	}
	return settingNames
}

// appendUpdates appends an updates[] array: one to three changes, each of
// a different type (one event changes one thing once).
func (g *generator) appendUpdates(b []byte, sp *spec, types []string) []byte {
	n := 1 + g.rng.IntN(min(3, len(types)))
	var used [3]int
	b = append(b, '[')
	for i := range n {
		j := g.rng.IntN(len(types))
		for slices.Contains(used[:i], j) {
			j = (j + 1) % len(types)
		}
		used[i] = j
		if i > 0 {
			b = append(b, ',')
		}
		b = g.appendUpdate(b, sp, types[j])
	}
	return append(b, ']')
}

// appendUpdate appends one updates[] element of type t: previous and
// current values that fit the type.
func (g *generator) appendUpdate(b []byte, sp *spec, t string) []byte {
	var prev, cur *spec
	for i := range sp.fields {
		switch sp.fields[i].name {
		case "previous_value":
			prev = sp.fields[i].spec
		case "current_value":
			cur = sp.fields[i].spec
		}
	}
	p, c := g.updateValues(t)
	b = append(b, `{"type":`...)
	b = appendString(b, t)
	if prev.kind == kindAny {
		return append(b, `,"previous_value":`+strconv.FormatBool(p == "true")+`,"current_value":`+strconv.FormatBool(c == "true")+`}`...)
	}
	b = appendKey(b, "previous_value", false)
	b = g.appendUpdateValue(b, p, prev)
	b = appendKey(b, "current_value", false)
	b = g.appendUpdateValue(b, c, cur)
	return append(b, '}')
}

func (g *generator) appendUpdateValue(b []byte, v string, sp *spec) []byte {
	if sp.nullable && g.rng.IntN(7) == 0 {
		return append(b, "null"...)
	}
	return appendString(b, v)
}

// updateValues returns a plausible (previous, current) pair for an
// updates[] element of the given type.
func (g *generator) updateValues(t string) (string, string) {
	r := g.rng
	switch t {
	case "activation_state", "status":
		if r.IntN(3) == 0 {
			return "inactive", "active"
		}
		return "active", "inactive"
	case "name", "display_name":
		n := g.stringFor("name")
		return n, n + " (renamed)"
	case "workspace":
		return g.poolID("wrkspc_"), g.poolID("wrkspc_")
	case "workspace_role":
		roles := []string{"workspace_user", "workspace_developer", "workspace_admin"}
		i := r.IntN(3)
		return roles[i], roles[(i+1)%3]
	case "organization_role":
		return "user", "admin"
	}
	if r.IntN(2) == 0 {
		return "false", "true"
	}
	return "true", "false"
}

// singular names one element of an array field (member_ids → member_id).
func singular(name string) string {
	switch {
	case strings.HasPrefix(name, "keys_"):
		return "key_name"
	case strings.HasSuffix(name, "_ids"), strings.HasSuffix(name, "s"):
		return name[:len(name)-1]
	}
	return name
}

// poolID returns one of a fixed pool of ids with the prefix, so that the
// same chat or file shows up in several events.
func (g *generator) poolID(prefix string) string {
	pool := g.pools[prefix]
	if pool == nil {
		n := 30
		switch prefix {
		case "claude_chat_":
			n = 600
		case "claude_file_", "claude_artifact_":
			n = 250
		case "claude_proj_", "claude_proj_doc_":
			n = 60
		}
		h := hashString(prefix) ^ g.seed
		pool = make([]string, n)
		for i := range pool {
			pool[i] = taggedID(prefix, mix64(h+uint64(2*i)), mix64(h+uint64(2*i+1)))
		}
		g.pools[prefix] = pool
	}
	return pool[g.rng.IntN(len(pool))]
}

// idPrefix maps an id field to the tagged-id prefix of what it names.
func idPrefix(name string) string {
	switch name {
	case "claude_chat_id":
		return "claude_chat_"
	case "claude_project_id", "source_project_id":
		return "claude_proj_"
	case "claude_project_document_id":
		return "claude_proj_doc_"
	case "claude_file_id", "file_id":
		return "claude_file_"
	case "api_key_id":
		return "apikey_"
	case "admin_api_key_id":
		return "adminkey_"
	case "service_account_id", "requested_service_account_id":
		return "svac_"
	case "workspace_id":
		return "wrkspc_"
	case "role_id":
		return "rbac_role_"
	case "group_id":
		return "rbac_group_"
	}
	base := strings.TrimSuffix(name, "_id")
	for _, p := range []string{"previous_", "new_", "old_", "invited_", "cascaded_from_", "cascade_trigger_", "excluded_"} {
		base = strings.TrimPrefix(base, p)
	}
	return base + "_"
}

// stringFor returns a plausible value for a string field, chosen by name.
func (g *generator) stringFor(name string) string {
	r := g.rng
	w := g.w
	switch {
	case name == "user_id" || strings.HasSuffix(name, "_user_id") || name == "member_id" ||
		name == "account_id" || strings.HasSuffix(name, "owner_id"):
		return w.users[r.IntN(len(w.users))].id
	case strings.Contains(name, "email"):
		if strings.HasPrefix(name, "invite") {
			return []string{"dana.contractor", "sam.intern", "lee.auditor", "kim.vendor"}[r.IntN(4)] + "@example.com"
		}
		if strings.HasPrefix(name, "alert") {
			return "secops@example.com"
		}
		return w.users[r.IntN(len(w.users))].email
	case name == "request_id":
		return taggedID("req_", r.Uint64(), r.Uint64())
	case name == "organization_id":
		return w.orgs[g.randomOrg()].id
	case strings.HasSuffix(name, "_id"):
		return g.poolID(idPrefix(name))
	case name == "filename":
		return []string{"q3-board-deck.pdf", "customer-list.csv", "architecture.png", "notes.md", "contract-draft.docx",
			"payroll-2026.xlsx", "incident-timeline.txt", "roadmap.key"}[r.IntN(8)]
	case strings.HasSuffix(name, "key_name") || name == "token_name" || name == "label":
		return []string{"SIEM export", "terraform", "data-pipeline", "ci-bot", "backup-sync", "analytics"}[r.IntN(6)]
	case name == "organization_name":
		return w.orgs[r.IntN(len(w.orgs))].name
	case strings.HasPrefix(name, "repo") || name == "repository_name":
		return []string{"example/infra", "example/web", "example/ml-pipeline", "example/docs"}[r.IntN(4)]
	case strings.Contains(name, "name") || name == "title" || name == "description" || name == "slug":
		return []string{"Finance Analysts", "Security Team", "Platform Eng", "Legal Review", "Onboarding",
			"Quarterly Planning", "Support Tier 2"}[r.IntN(7)]
	case strings.Contains(name, "url") || strings.Contains(name, "issuer") || strings.Contains(name, "endpoint"):
		return "https://" + []string{"hooks.example.com/claude", "idp.example.com", "otel.example.com:4318"}[r.IntN(3)]
	case strings.Contains(name, "hostname") || name == "domain":
		return []string{"ghe.example.com", "example.com", "git.example.com"}[r.IntN(3)]
	case strings.Contains(name, "hash") || strings.Contains(name, "checksum") || strings.Contains(name, "fingerprint") ||
		strings.Contains(name, "jti"):
		return strconv.FormatUint(r.Uint64(), 16) + strconv.FormatUint(r.Uint64(), 16)
	case strings.HasSuffix(name, "_at") || strings.HasSuffix(name, "date"):
		return "2026-" + strconv.Itoa(1+r.IntN(12)) + "-15T00:00:00Z"
	case strings.Contains(name, "role") || name == "max_permission" || strings.Contains(name, "seat_tier"):
		return []string{"user", "admin", "developer", "claude_code_user"}[r.IntN(4)]
	case strings.Contains(name, "scope"):
		return []string{ScopeActivities, ScopeUserData, ScopeOrgData}[r.IntN(3)]
	case strings.Contains(name, "model"):
		return []string{"claude-opus-4-1", "claude-sonnet-4-5", "claude-haiku-4-5"}[r.IntN(3)]
	case strings.Contains(name, "version"):
		return "1." + strconv.Itoa(r.IntN(10)) + "." + strconv.Itoa(r.IntN(10))
	case name == "provider":
		return []string{"google_drive", "github", "slack"}[r.IntN(3)]
	}
	return []string{"standard", "enabled", "custom", "default", "strict", "none"}[r.IntN(6)]
}

// numberFor returns a plausible value for a number field, chosen by name.
func (g *generator) numberFor(name string) int {
	r := g.rng
	switch {
	case name == "status_code":
		return 200
	case strings.Contains(name, "port"):
		return []int{443, 8443}[r.IntN(2)]
	case strings.Contains(name, "usd") || strings.Contains(name, "amount"):
		return 50 + r.IntN(5000)
	case strings.HasSuffix(name, "_ms"):
		return 500 + r.IntN(30000)
	case strings.Contains(name, "github") || strings.HasSuffix(name, "_id"):
		return 10_000_000 + r.IntN(90_000_000)
	case strings.Contains(name, "count") || strings.Contains(name, "seats") || strings.Contains(name, "quantity"):
		return r.IntN(60)
	}
	return r.IntN(100)
}
