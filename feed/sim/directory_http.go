package sim

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The directory endpoints (ACTIVITY_FEED.md §13): GET only, page-token
// pagination, envelope {data, has_more, next_page}. Lists take limit
// (1…1000; organizations default to 1000, the rest to 500) and page (the
// previous response's next_page, unchanged); a token this server did not
// issue for this list is a 400. Unknown parameters are ignored, as on the
// feed. Every request passes the same admission as the feed's (auth,
// faults, the shared per-minute budget, scope) and is logged as a
// compliance_api_accessed event: §7 says one is emitted for every
// Compliance API request, not only the feed's.

// ScopeOrgAudit is the read-only audit scope that satisfies every
// directory endpoint (§17.2).
const ScopeOrgAudit = "read:org_audit"

const (
	dirMaxLimit     = 1000
	dirDefaultLimit = 500
	orgsLimit       = 1000 // the organizations list's default
	pageTokenPrefix = "page_"
)

// listKind names a paginated list, so a token of one list is refused by
// another.
type listKind byte

const (
	listOrgs listKind = iota + 1
	listUsers
	listRoles
	listPermissions
	listGroups
	listMembers
)

// route maps a path to its endpoint; ok is false for paths the server does
// not serve (404 before authentication, as for any unknown path).
func (s *Server) route(path string) (ep endpoint, ok bool) {
	if path == ActivitiesPath {
		return endpoint{scope: ScopeActivities, serve: s.serveActivities}, true
	}
	rest, ok := strings.CutPrefix(path, "/v1/compliance/")
	if !ok {
		return endpoint{}, false
	}
	p := strings.Split(rest, "/")
	org := func(scope string, f func(d *directory, org int, vals url.Values) ([]byte, *dirError)) endpoint {
		return s.dirEndpoint(scope, func(d *directory, vals url.Values) ([]byte, *dirError) {
			i := slices.IndexFunc(d.orgs, func(o dirOrg) bool { return o.uuid == p[1] })
			if i < 0 {
				return nil, notFound("Organization %s not found.", p[1])
			}
			return f(d, i, vals)
		})
	}
	role := func(f func(d *directory, org, role int, vals url.Values) ([]byte, *dirError)) endpoint {
		return org(ScopeOrgData, func(d *directory, o int, vals url.Values) ([]byte, *dirError) {
			j := slices.IndexFunc(d.roles[o], func(r dirRole) bool { return r.id == p[3] })
			if j < 0 {
				return nil, notFound("Role %s not found in organization %s.", p[3], p[1])
			}
			return f(d, o, j, vals)
		})
	}
	group := func(scope string, f func(d *directory, g int, vals url.Values) ([]byte, *dirError)) endpoint {
		return s.dirEndpoint(scope, func(d *directory, vals url.Values) ([]byte, *dirError) {
			i := slices.IndexFunc(d.groups, func(g dirGroup) bool { return g.id == p[1] })
			if i < 0 {
				return nil, notFound("Group %s not found.", p[1])
			}
			return f(d, i, vals)
		})
	}
	switch {
	case p[0] == "organizations" && len(p) == 1:
		return s.dirEndpoint(ScopeOrgData, s.listOrganizations), true
	case p[0] == "organizations" && len(p) == 3 && p[2] == "users":
		return org(ScopeUserData, s.listUsers), true
	case p[0] == "organizations" && len(p) == 3 && p[2] == "roles":
		return org(ScopeOrgData, s.listRoles), true
	case p[0] == "organizations" && len(p) == 3 && p[2] == "settings":
		return org(ScopeOrgData, s.settings), true
	case p[0] == "organizations" && len(p) == 4 && p[2] == "roles":
		return role(func(d *directory, o, j int, _ url.Values) ([]byte, *dirError) {
			return marshal(d.roles[o][j].wire()), nil
		}), true
	case p[0] == "organizations" && len(p) == 5 && p[2] == "roles" && p[4] == "permissions":
		return role(s.listPermissions), true
	case p[0] == "groups" && len(p) == 1:
		return s.dirEndpoint(ScopeOrgData, s.listGroups), true
	case p[0] == "groups" && len(p) == 2:
		return group(ScopeOrgData, func(d *directory, g int, _ url.Values) ([]byte, *dirError) {
			return marshal(d.groups[g].wire()), nil
		}), true
	case p[0] == "groups" && len(p) == 3 && p[2] == "members":
		return group(ScopeUserData, s.listMembers), true
	}
	return endpoint{}, false
}

// dirError is a directory request the server refuses after admission.
type dirError struct {
	status int
	typ    string
	msg    string
}

func notFound(format string, args ...any) *dirError {
	return &dirError{http.StatusNotFound, "not_found_error", fmt.Sprintf(format, args...)}
}

func badParam(err error) *dirError {
	return &dirError{http.StatusBadRequest, "invalid_request_error", err.Error()}
}

// dirEndpoint wraps a directory handler: Admin API keys are refused, the
// scope or read:org_audit admits, and a 200 body counts for the truncation
// fault like a feed page.
func (s *Server) dirEndpoint(scope string, f func(d *directory, vals url.Values) ([]byte, *dirError)) endpoint {
	return endpoint{scope: scope, directory: true, serve: func(r *http.Request, nowT time.Time, reqID string) *response {
		vals, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return s.errorResponse(nowT, reqID, http.StatusBadRequest, "invalid_request_error", "The query string is malformed: "+err.Error()+".")
		}
		body, derr := f(s.dir(), vals)
		if derr != nil {
			return s.errorResponse(nowT, reqID, derr.status, derr.typ, derr.msg)
		}
		s.okN++
		return &response{status: http.StatusOK, header: s.baseHeader(nowT, reqID), body: s.truncate(body)}
	}}
}

func (s *Server) listOrganizations(d *directory, vals url.Values) ([]byte, *dirError) {
	return s.listPage(vals, listOrgs, 0, orgsLimit, len(d.orgs), func(i int) any {
		o := d.orgs[i]
		return wireOrg{UUID: o.uuid, Name: o.name, CreatedAt: timeZ(o.created)}
	})
}

func (s *Server) listUsers(d *directory, org int, vals url.Values) ([]byte, *dirError) {
	m := d.members[org]
	return s.listPage(vals, listUsers, uint32(org), dirDefaultLimit, len(m), func(i int) any {
		u := m[i]
		return wireUser{ID: u.id, Email: u.email, FullName: u.name, Role: u.role, CreatedAt: timeOffset(u.created)}
	})
}

func (s *Server) listRoles(d *directory, org int, vals url.Values) ([]byte, *dirError) {
	rs := d.roles[org]
	return s.listPage(vals, listRoles, uint32(org), dirDefaultLimit, len(rs), func(i int) any { return rs[i].wire() })
}

func (s *Server) listPermissions(d *directory, org, role int, vals url.Values) ([]byte, *dirError) {
	ps := d.roles[org][role].perms
	return s.listPage(vals, listPermissions, uint32(org)<<16|uint32(role), dirDefaultLimit, len(ps), func(i int) any { return ps[i] })
}

func (s *Server) listGroups(d *directory, vals url.Values) ([]byte, *dirError) {
	idx := make([]int, 0, len(d.groups))
	prefix := vals.Get("name_prefix")
	for i, g := range d.groups {
		if strings.HasPrefix(g.name, prefix) {
			idx = append(idx, i)
		}
	}
	return s.listPage(vals, listGroups, 0, dirDefaultLimit, len(idx), func(i int) any { return d.groups[idx[i]].wire() })
}

func (s *Server) listMembers(d *directory, g int, vals url.Values) ([]byte, *dirError) {
	ms := d.groups[g].members
	return s.listPage(vals, listMembers, uint32(g), dirDefaultLimit, len(ms), func(i int) any {
		m := ms[i]
		return wireMember{UserID: m.id, Email: m.email, CreatedAt: timeNoZone(m.added)}
	})
}

// settings is the organisation's effective settings with every Compliance
// Access Key of the parent (the same list for every organisation).
func (s *Server) settings(d *directory, org int, _ url.Values) ([]byte, *dirError) {
	out := wireSettings{Type: "effective_organization_settings", OrganizationID: d.orgs[org].uuid,
		Settings: []wireSetting{
			{"compliance_api_enabled", "boolean", true},
			{"data_retention_days", "integer", 365},
			{"sso_enforced", "boolean", org == 0},
			{"allowed_email_domains", "string_list", []string{"example.com"}},
		},
		APIKeys: []wireKey{}}
	for _, k := range s.complianceKeys() {
		out.APIKeys = append(out.APIKeys, wireKey{Type: "compliance_api_key", ID: k.id, Name: k.name, Scopes: k.scopes,
			IsActive: k.active, CreatedAt: timeOffset(k.created), CreatedByID: k.by})
	}
	return marshal(out), nil
}

// listPage validates limit and page and encodes rows [offset, offset+limit)
// of a list of n, row(i) giving each.
func (s *Server) listPage(vals url.Values, kind listKind, ref uint32, defLimit, n int, row func(i int) any) ([]byte, *dirError) {
	for _, name := range []string{"limit", "page"} {
		if len(vals[name]) > 1 {
			return nil, badParam(invalid("The `%s` parameter may be given only once.", name))
		}
	}
	limit := defLimit
	if v, ok := vals["limit"]; ok {
		l, err := strconv.Atoi(v[0])
		if err != nil {
			return nil, badParam(invalid("The limit parameter must be an integer between 1 and %d, inclusive. Got \"%s\".", dirMaxLimit, v[0]))
		}
		if l < 1 || l > dirMaxLimit {
			return nil, badParam(invalid("The limit parameter must be between 1 and %d, inclusive. Got %d.", dirMaxLimit, l))
		}
		limit = l
	}
	off := 0
	if v, ok := vals["page"]; ok {
		o, ok := s.decodePageToken(v[0], kind, ref)
		if !ok {
			return nil, badParam(invalid("Invalid `page` token \"%s\".", v[0]))
		}
		off = min(o, n)
	}
	end := min(n, off+limit)
	rows := make([]any, 0, end-off)
	for i := off; i < end; i++ {
		rows = append(rows, row(i))
	}
	env := wireEnvelope{Data: rows, HasMore: end < n}
	if env.HasMore {
		t := s.encodePageToken(kind, ref, end)
		env.NextPage = &t
	}
	return marshal(env), nil
}

// Page tokens: "page_" + base64url(kind, list ref, offset, MAC), opaque to
// clients and bound to the list that issued them.
func (s *Server) encodePageToken(kind listKind, ref uint32, off int) string {
	b := make([]byte, 0, 9+cursorMACLen)
	b = append(b, byte(kind))
	b = binary.BigEndian.AppendUint32(b, ref)
	b = binary.BigEndian.AppendUint32(b, uint32(off))
	b = append(b, s.cursorMAC(append([]byte("page/"), b...))...)
	return pageTokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

func (s *Server) decodePageToken(t string, kind listKind, ref uint32) (int, bool) {
	raw, ok := strings.CutPrefix(t, pageTokenPrefix)
	if !ok {
		return 0, false
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || len(b) != 9+cursorMACLen {
		return 0, false
	}
	body, mac := b[:9], b[9:]
	if !hmac.Equal(mac, s.cursorMAC(append([]byte("page/"), body...))) || listKind(body[0]) != kind || binary.BigEndian.Uint32(body[1:5]) != ref {
		return 0, false
	}
	return int(binary.BigEndian.Uint32(body[5:9])), true
}

// Wire shapes of §13. Timestamps come in the three forms the documented
// examples show (…Z, …+00:00, no zone), so clients must parse leniently.
type (
	wireEnvelope struct {
		Data     []any   `json:"data"`
		HasMore  bool    `json:"has_more"`
		NextPage *string `json:"next_page"`
	}
	wireOrg struct {
		UUID      string `json:"uuid"`
		Name      string `json:"name"`
		CreatedAt string `json:"created_at"`
	}
	wireUser struct {
		ID        string `json:"id"`
		Email     string `json:"email"`
		FullName  string `json:"full_name"`
		Role      string `json:"organization_role"`
		CreatedAt string `json:"created_at"`
	}
	wireRole struct {
		ID          string  `json:"id"`
		Name        string  `json:"name"`
		Description string  `json:"description"`
		CreatedAt   *string `json:"created_at"`
		UpdatedAt   *string `json:"updated_at"`
	}
	wireGroup struct {
		ID          string   `json:"id"`
		Name        string   `json:"name"`
		Description string   `json:"description"`
		Roles       []string `json:"roles"`
		SourceType  string   `json:"source_type"`
		CreatedAt   *string  `json:"created_at"`
		UpdatedAt   *string  `json:"updated_at"`
	}
	wireMember struct {
		UserID    string  `json:"user_id"`
		Email     string  `json:"email"`
		CreatedAt *string `json:"created_at"`
		UpdatedAt *string `json:"updated_at"`
	}
	wireSettings struct {
		Type           string        `json:"type"`
		OrganizationID string        `json:"organization_id"`
		Settings       []wireSetting `json:"settings"`
		APIKeys        []wireKey     `json:"api_keys"`
	}
	wireSetting struct {
		Name  string `json:"name"`
		Type  string `json:"type"`
		Value any    `json:"value"`
	}
	wireKey struct {
		Type        string   `json:"type"`
		ID          string   `json:"id"`
		Name        string   `json:"name"`
		Scopes      []string `json:"scopes"`
		IsActive    bool     `json:"is_active"`
		CreatedAt   string   `json:"created_at"`
		CreatedByID string   `json:"created_by_id"`
		ExpiresAt   *string  `json:"expires_at"` // Compliance Access Keys never expire
	}
)

func (r dirRole) wire() wireRole {
	return wireRole{ID: r.id, Name: r.name, Description: r.desc, CreatedAt: timeNoZone(r.created), UpdatedAt: timeNoZone(r.updated)}
}

func (g dirGroup) wire() wireGroup {
	return wireGroup{ID: g.id, Name: g.name, Description: g.desc, Roles: g.roles, SourceType: g.source,
		CreatedAt: timeNoZone(g.created), UpdatedAt: timeNoZone(g.updated)}
}

func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("sim: directory record does not encode: " + err.Error()) // plain structs of strings: cannot happen
	}
	return b
}

// Directory times have microsecond precision (as nsTime), trailing zeros
// dropped.
func timeZ(ns int64) string { return nsTime(ns).Format("2006-01-02T15:04:05.999999Z07:00") }

func timeOffset(ns int64) string { return nsTime(ns).Format("2006-01-02T15:04:05.999999-07:00") }

// timeNoZone formats like the role and group examples, without a zone; 0
// is null.
func timeNoZone(ns int64) *string {
	if ns == 0 {
		return nil
	}
	t := nsTime(ns).Format("2006-01-02T15:04:05.999999")
	return &t
}
