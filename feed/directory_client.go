package feed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DirectoryMaxLimit is the largest page the directory lists accept (§13);
// FetchDirectory asks for it, so a list of n rows costs ceil(n/1000)
// requests.
const DirectoryMaxLimit = 1000

// Pacer admits the requests of a directory refresh within a rate budget:
// Acquire before each request, Release with the response's metadata (zero
// when there was none) after it.
type Pacer interface {
	Acquire(ctx context.Context) error
	Release(m Meta)
}

// NewBudgetPacer returns a Pacer that sends one request at a time and
// leaves reserve (a fraction, as WithBudgetReserve) of the organisation's
// per-minute budget, as the rate-limit headers report it, to others.
func NewBudgetPacer(reserve float64) Pacer {
	return budgetPacer{newBudget(time.Now, 1, reserve)}
}

type budgetPacer struct{ b *budget }

func (p budgetPacer) Acquire(ctx context.Context) error { return p.b.acquire(ctx) }
func (p budgetPacer) Release(m Meta)                    { p.b.release(m) }

// DirectoryOption configures FetchDirectory.
type DirectoryOption func(*directoryConfig)

type directoryConfig struct {
	limit int
	pacer Pacer
	now   func() time.Time
}

// WithDirectoryLimit sets the page size (1…DirectoryMaxLimit; default the
// maximum).
func WithDirectoryLimit(n int) DirectoryOption {
	return func(c *directoryConfig) { c.limit = n }
}

// WithDirectoryPacer makes every request of the refresh wait for p.
func WithDirectoryPacer(p Pacer) DirectoryOption {
	return func(c *directoryConfig) { c.pacer = p }
}

// WithDirectoryClock sets the clock that stamps Directory.Fetched.
func WithDirectoryClock(now func() time.Time) DirectoryOption {
	return func(c *directoryConfig) { c.now = now }
}

// Parts of the directory, as DeniedPart.Part names them.
const (
	PartOrganizations = "organizations"
	PartUsers         = "users"
	PartRoles         = "roles"
	PartGroups        = "groups"
	PartMembers       = "members"
	PartKeys          = "keys"
)

// FetchDirectory reads the whole directory (§13): the organizations, then
// per organization its users, roles and effective settings (whose
// api_keys[] are the same Compliance keys for every organization, kept
// once by id), then the groups and each group's members. Every list is
// followed by its page token until has_more is false, with the usual
// retries; each request goes through the Pacer if one is set, and its
// rate-limit headers end in LastMeta.
//
// A 403 is not an error: the part is recorded in Directory.Denied with the
// scope it needs, and so is every later part that needs a scope a 403
// already showed missing, without asking again (an Admin API key costs one
// request). A 401 (a bad key) and any other failure are errors, and so is
// a list whose page token goes in a circle.
func (c *Client) FetchDirectory(ctx context.Context, opts ...DirectoryOption) (*Directory, error) {
	cfg := directoryConfig{limit: DirectoryMaxLimit, now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.limit < 1 || cfg.limit > DirectoryMaxLimit {
		return nil, fmt.Errorf("directory: limit must be between 1 and %d, got %d", DirectoryMaxLimit, cfg.limit)
	}
	f := &dirFetch{c: c, cfg: cfg, dir: &Directory{Fetched: cfg.now()}, missing: map[string]bool{}}
	if err := f.run(ctx); err != nil {
		return nil, err
	}
	return f.dir, nil
}

// dirFetch is one directory refresh.
type dirFetch struct {
	c       *Client
	cfg     directoryConfig
	dir     *Directory
	missing map[string]bool // scopes a 403 showed the key lacks
	// reachUsers is the scope to name for users and members that cannot be
	// reached because the list leading to them was denied.
	reachUsers string
}

func (f *dirFetch) run(ctx context.Context) error {
	ok, err := f.list(ctx, PartOrganizations, ScopeOrgData, OrganizationsPath, "", func(raw json.RawMessage) error {
		var o struct {
			UUID      string `json:"uuid"`
			Name      string `json:"name"`
			CreatedAt string `json:"created_at"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			return err
		}
		f.dir.Orgs = append(f.dir.Orgs, Organization{UUID: o.UUID, Name: o.Name, CreatedAt: parseDirTime(o.CreatedAt)})
		return nil
	})
	if err != nil {
		return err
	}
	if !ok {
		// Without the organizations, nothing else can be reached (groups
		// need the same scope; users and members hang off them).
		for _, p := range []string{PartUsers, PartRoles, PartKeys, PartGroups, PartMembers} {
			f.deny(p, f.scopeFor(p))
		}
		return nil
	}
	keys := map[string]bool{}
	for _, o := range f.dir.Orgs {
		org := o.UUID
		if _, err := f.list(ctx, PartUsers, ScopeUserData, OrgUsersPath, org, func(raw json.RawMessage) error {
			var u struct {
				ID        string `json:"id"`
				Email     string `json:"email"`
				FullName  string `json:"full_name"`
				Role      string `json:"organization_role"`
				CreatedAt string `json:"created_at"`
			}
			if err := json.Unmarshal(raw, &u); err != nil {
				return err
			}
			f.dir.Users = append(f.dir.Users, DirectoryUser{ID: u.ID, Email: u.Email, FullName: u.FullName, Role: u.Role,
				CreatedAt: parseDirTime(u.CreatedAt), OrgUUID: org})
			return nil
		}); err != nil {
			return err
		}
		if _, err := f.list(ctx, PartRoles, ScopeOrgData, OrgRolesPath, org, func(raw json.RawMessage) error {
			var r struct {
				ID          string `json:"id"`
				Name        string `json:"name"`
				Description string `json:"description"`
			}
			if err := json.Unmarshal(raw, &r); err != nil {
				return err
			}
			f.dir.Roles = append(f.dir.Roles, Role{ID: r.ID, Name: r.Name, Description: r.Description, OrgUUID: org})
			return nil
		}); err != nil {
			return err
		}
		if err := f.settings(ctx, org, keys); err != nil {
			return err
		}
	}
	ok, err = f.list(ctx, PartGroups, ScopeOrgData, GroupsPath, "", func(raw json.RawMessage) error {
		var g struct {
			ID          string   `json:"id"`
			Name        string   `json:"name"`
			Description string   `json:"description"`
			Roles       []string `json:"roles"`
			SourceType  string   `json:"source_type"`
		}
		if err := json.Unmarshal(raw, &g); err != nil {
			return err
		}
		f.dir.Groups = append(f.dir.Groups, Group{ID: g.ID, Name: g.Name, Description: g.Description, Roles: g.Roles, SourceType: g.SourceType})
		return nil
	})
	if err != nil {
		return err
	}
	if !ok {
		f.deny(PartMembers, f.scopeFor(PartMembers))
		return nil
	}
	for i := range f.dir.Groups {
		g := &f.dir.Groups[i]
		ok, err := f.list(ctx, PartMembers, ScopeUserData, GroupMembersPath, g.ID, func(raw json.RawMessage) error {
			var m struct {
				UserID string `json:"user_id"`
				Email  string `json:"email"`
			}
			if err := json.Unmarshal(raw, &m); err != nil {
				return err
			}
			g.Members = append(g.Members, GroupMember{UserID: m.UserID, Email: m.Email})
			return nil
		})
		if err != nil {
			return err
		}
		g.MembersKnown = ok
	}
	return nil
}

// settings reads one organization's effective settings and keeps the
// Compliance keys not seen yet.
func (f *dirFetch) settings(ctx context.Context, org string, seen map[string]bool) error {
	if f.missing[ScopeOrgData] {
		f.deny(PartKeys, ScopeOrgData)
		return nil
	}
	var body struct {
		APIKeys []struct {
			ID          string   `json:"id"`
			Name        string   `json:"name"`
			Scopes      []string `json:"scopes"`
			IsActive    bool     `json:"is_active"`
			CreatedAt   string   `json:"created_at"`
			CreatedByID string   `json:"created_by_id"`
			ExpiresAt   *string  `json:"expires_at"`
		} `json:"api_keys"`
	}
	u, err := f.url(OrgSettingsPath, org, nil)
	if err != nil {
		return err
	}
	_, ok, err := f.fetch(ctx, PartKeys, ScopeOrgData, u, func(b []byte) error {
		body.APIKeys = nil
		return json.Unmarshal(b, &body)
	})
	if err != nil || !ok {
		return err
	}
	for _, k := range body.APIKeys {
		if seen[k.ID] {
			continue
		}
		seen[k.ID] = true
		ck := ComplianceKey{ID: k.ID, Name: k.Name, Scopes: k.Scopes, Active: k.IsActive, CreatedAt: parseDirTime(k.CreatedAt), CreatedByID: k.CreatedByID}
		if k.ExpiresAt != nil {
			ck.ExpiresAt = parseDirTime(*k.ExpiresAt)
		}
		f.dir.Keys = append(f.dir.Keys, ck)
	}
	return nil
}

// list walks one paginated list, handing each row to row. ok is false when
// the part is denied (recorded, not an error).
func (f *dirFetch) list(ctx context.Context, part, scope, path, id string, row func(json.RawMessage) error) (ok bool, err error) {
	if f.missing[scope] {
		f.deny(part, scope)
		return false, nil
	}
	seen := map[string]int{} // page token → the page that returned it
	token := ""
	for pages := 1; ; pages++ {
		pq := url.Values{"limit": {strconv.Itoa(f.cfg.limit)}}
		if token != "" {
			pq.Set("page", token)
		}
		u, err := f.url(path, id, pq)
		if err != nil {
			return false, err
		}
		var env struct {
			Data     []json.RawMessage `json:"data"`
			HasMore  bool              `json:"has_more"`
			NextPage *string           `json:"next_page"`
		}
		meta, ok, err := f.fetch(ctx, part, scope, u, func(b []byte) error {
			env.Data, env.HasMore, env.NextPage = nil, false, nil
			if err := json.Unmarshal(b, &env); err != nil {
				return err
			}
			if env.Data == nil {
				return errors.New(`no "data" array`)
			}
			return nil
		})
		if err != nil || !ok {
			return false, err
		}
		for _, r := range env.Data {
			if err := row(r); err != nil {
				return false, fmt.Errorf("directory: %s: a record does not decode (request-id %s): %w", part, escapeText(meta.RequestID, 64), err)
			}
		}
		if !env.HasMore {
			return true, nil
		}
		if env.NextPage == nil || *env.NextPage == "" {
			return false, fmt.Errorf("directory: %s: has_more is true without a next_page (request-id %s): %w", part, escapeText(meta.RequestID, 64), ErrNoProgress)
		}
		// A token that comes back would repeat the same pages for ever,
		// spending the organisation's shared budget: stop at once.
		next := *env.NextPage
		if first, dup := seen[next]; dup {
			return false, fmt.Errorf("directory: %s: %w", part, &CursorCycleError{Cursor: next, Pages: pages, Distance: pages - first, RequestID: meta.RequestID})
		}
		seen[next] = pages
		token = next
	}
}

// fetch GETs u with retries and hands the body to decode (a body that does
// not decode is retried, like a truncated one). ok is false on a 403,
// which records the part as denied.
func (f *dirFetch) fetch(ctx context.Context, part, scope, u string, decode func([]byte) error) (last Meta, ok bool, err error) {
	what := "directory: " + part
	if p := f.cfg.pacer; p != nil {
		if err := p.Acquire(ctx); err != nil {
			return Meta{}, false, fmt.Errorf("%s: %w", what, err)
		}
	}
	err = f.c.withRetry(ctx, what, func(attempt int, deadline time.Time) *failure {
		f.dir.Requests++
		body, meta, fl := f.c.get(ctx, what, u, attempt, deadline)
		last = meta
		if fl != nil {
			return fl
		}
		if err := decode(body); err != nil {
			return &failure{kind: failTransient, status: meta.Status, requestID: meta.RequestID,
				err: fmt.Errorf("%s: decoding response (request-id %s): %w", what, escapeText(meta.RequestID, 64), err)}
		}
		return nil
	})
	if p := f.cfg.pacer; p != nil {
		p.Release(last)
	}
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusForbidden {
		f.missing[scope] = true
		if scope == ScopeOrgData && f.reachUsers == "" {
			f.reachUsers = usersScope(ae.Message)
		}
		f.deny(part, scope)
		return last, false, nil
	}
	if err != nil {
		if !strings.HasPrefix(err.Error(), what) {
			err = fmt.Errorf("%s: %w", what, err)
		}
		return last, false, err
	}
	return last, true, nil
}

// usersScope is the scope to name for users and members when the
// org-data lists leading to them are denied: the user-data scope when the
// 403's "Got:" list shows the key lacks it too, else the org-data scope
// (the key could read users if it could find them).
func usersScope(msg string) string {
	_, got, ok := strings.Cut(msg, "Got:")
	if !ok {
		return ScopeOrgData
	}
	got, _, _ = strings.Cut(got, "Needed:")
	if strings.Contains(got, "'"+ScopeUserData+"'") || strings.Contains(got, "'"+ScopeOrgAudit+"'") {
		return ScopeOrgData
	}
	return ScopeUserData
}

// scopeFor is the scope to name for a part that could not be reached.
func (f *dirFetch) scopeFor(part string) string {
	if part == PartUsers || part == PartMembers {
		if f.missing[ScopeUserData] {
			return ScopeUserData
		}
		if f.reachUsers != "" {
			return f.reachUsers
		}
	}
	return ScopeOrgData
}

// deny records a part once.
func (f *dirFetch) deny(part, scope string) {
	if !slices.ContainsFunc(f.dir.Denied, func(d DeniedPart) bool { return d.Part == part }) {
		f.dir.Denied = append(f.dir.Denied, DeniedPart{Part: part, Scope: scope})
	}
}

// url builds the request URL of a directory path, {org} or {group}
// replaced by id (escaped: ids come from the server).
func (f *dirFetch) url(path, id string, q url.Values) (string, error) {
	u := *f.c.base
	p, raw := path, path
	if strings.Contains(path, "{") {
		if id == "" || strings.ContainsAny(id, "/\\") || id == "." || id == ".." {
			return "", fmt.Errorf("directory: the server sent %q as an id, which is not a path segment", escapeText(id, 64))
		}
		for _, ph := range []string{"{org}", "{group}"} {
			p = strings.Replace(p, ph, id, 1)
			raw = strings.Replace(raw, ph, url.PathEscape(id), 1)
		}
	}
	u.Path = f.c.base.Path + p
	u.RawPath = f.c.base.EscapedPath() + raw
	if q != nil {
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

// parseDirTime reads a directory timestamp leniently (§13: …Z, …+00:00,
// or no zone at all, which is taken as UTC). Anything else is the zero
// time: a bad date is not worth failing a refresh over.
func parseDirTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
