package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"claudit/feed"
)

// The Compliance directory in the cache (migration 0004): SaveDirectory
// stores one refresh, Names indexes what the tables know, DirectoryState
// says how old it is and what the key could not read.

// DirectoryParts lists the parts of the directory in the order status
// shows them.
func DirectoryParts() []string {
	return []string{feed.PartOrganizations, feed.PartUsers, feed.PartRoles, feed.PartGroups, feed.PartMembers, feed.PartKeys}
}

// DirectoryState is what status says about the directory: when it was last
// refreshed, what that refresh could not read, and how many entries the
// tables hold.
type DirectoryState struct {
	// Fetched is the last refresh (zero: never refreshed).
	Fetched  time.Time
	Requests int
	// Denied are the parts the last refresh's key could not read.
	Denied []feed.DeniedPart
	// Current entries (listed by the last refresh of their part) and
	// users no longer listed (Removed, kept with their last known name).
	Orgs, Users, Roles, Groups, Members, Keys int
	Removed                                   int
}

// Known reports whether the directory was ever refreshed.
func (d DirectoryState) Known() bool { return !d.Fetched.IsZero() }

// DeniedScopes are the scopes the last refresh lacked, sorted, de-duplicated.
func (d DirectoryState) DeniedScopes() []string {
	var out []string
	for _, p := range d.Denied {
		if p.Scope != "" && !slices.Contains(out, p.Scope) {
			out = append(out, p.Scope)
		}
	}
	slices.Sort(out)
	return out
}

// AllDenied reports whether the last refresh could read no part at all
// (an Admin API key, or a key without any directory scope).
func (d DirectoryState) AllDenied() bool {
	for _, part := range DirectoryParts() {
		if !deniedPart(d.Denied, part) {
			return false
		}
	}
	return true
}

// ScopeNote is the one line that says what the last refresh's key could
// not read and which scopes would read it ("" when it read everything).
func (d DirectoryState) ScopeNote() string {
	if len(d.Denied) == 0 {
		return ""
	}
	if d.AllDenied() {
		return "names need a Compliance Access Key with " + feed.ScopeOrgData + " and " + feed.ScopeUserData +
			": this key reaches only the activity feed, so ids are shown as they are"
	}
	var parts []string
	for _, p := range d.Denied {
		parts = append(parts, p.Part)
	}
	return fmt.Sprintf("names are incomplete: this key lacks %s, so its %s are shown as ids (a Compliance Access Key with %s and %s reads them all)",
		strings.Join(d.DeniedScopes(), " and "), strings.Join(parts, ", "), feed.ScopeOrgData, feed.ScopeUserData)
}

// ShortScopeNote is ScopeNote in a few words, for the explorer's header.
func (d DirectoryState) ShortScopeNote() string {
	switch {
	case len(d.Denied) == 0:
		return ""
	case d.AllDenied():
		return "ids only: names need a Compliance Access Key (" + feed.ScopeOrgData + ", " + feed.ScopeUserData + ")"
	}
	return "names incomplete: key lacks " + strings.Join(d.DeniedScopes(), ", ")
}

func deniedPart(denied []feed.DeniedPart, part string) bool {
	return slices.ContainsFunc(denied, func(p feed.DeniedPart) bool { return p.Part == part })
}

// unixNanos is t in Unix nanoseconds, 0 for the zero time.
func unixNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// dirTime is the inverse of unixNanos, in UTC.
func dirTime(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// SaveDirectory stores one refresh of the directory in one transaction.
// Every row it lists is inserted or updated (and no longer removed); the
// rows of a part this refresh read that it no longer lists are marked
// removed at d.Fetched, keeping their last known values. A part in
// d.Denied (or that depends on one: users, roles and keys are read per
// organization, members per group) is left exactly as it was.
func (s *Store) SaveDirectory(ctx context.Context, d *feed.Directory) error {
	if d == nil {
		return nil
	}
	fetched := d.Fetched
	if fetched.IsZero() {
		fetched = s.now()
	}
	at := fetched.UnixNano()
	denied := func(part string) bool {
		if deniedPart(d.Denied, part) {
			return true
		}
		switch part {
		case feed.PartUsers, feed.PartRoles, feed.PartKeys:
			return deniedPart(d.Denied, feed.PartOrganizations)
		case feed.PartMembers:
			return deniedPart(d.Denied, feed.PartGroups)
		}
		return false
	}
	deniedJSON, err := json.Marshal(deniedList(d.Denied))
	if err != nil {
		return fmt.Errorf("save directory: %w", err)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return mapErr("save directory", err)
	}
	defer func() { _ = tx.Rollback() }()
	res, err := tx.ExecContext(ctx, `INSERT INTO dir_refresh(fetched, requests, denied) VALUES (?, ?, ?)`, at, d.Requests, string(deniedJSON))
	if err != nil {
		return mapErr("save directory", err)
	}
	seen, err := res.LastInsertId()
	if err != nil {
		return mapErr("save directory", err)
	}
	// each runs one statement per row, prepared once.
	each := func(q string, n int, args func(i int) []any) error {
		if n == 0 {
			return nil
		}
		st, err := tx.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		defer st.Close()
		for i := range n {
			if _, err := st.ExecContext(ctx, args(i)...); err != nil {
				return err
			}
		}
		return nil
	}
	// removeUnseen marks the rows of table that this refresh did not list.
	removeUnseen := func(table string) error {
		_, err := tx.ExecContext(ctx, `UPDATE `+table+` SET removed_at = ? WHERE seen < ? AND removed_at = 0`, at, seen)
		return err
	}
	steps := []struct {
		part  string
		table string
		write func() error
	}{
		{feed.PartOrganizations, "dir_orgs", func() error {
			return each(`INSERT INTO dir_orgs(uuid, name, created_at, seen, fetched_at) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT(uuid) DO UPDATE SET name = excluded.name, created_at = excluded.created_at,
				seen = excluded.seen, fetched_at = excluded.fetched_at, removed_at = 0`, len(d.Orgs), func(i int) []any {
				o := d.Orgs[i]
				return []any{strings.ToLower(o.UUID), o.Name, unixNanos(o.CreatedAt), seen, at}
			})
		}},
		{feed.PartUsers, "dir_users", func() error {
			return each(`INSERT INTO dir_users(org_uuid, id, email, full_name, role, created_at, seen, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT(org_uuid, id) DO UPDATE SET email = excluded.email, full_name = excluded.full_name, role = excluded.role,
				created_at = excluded.created_at, seen = excluded.seen, fetched_at = excluded.fetched_at, removed_at = 0`, len(d.Users), func(i int) []any {
				u := d.Users[i]
				return []any{strings.ToLower(u.OrgUUID), u.ID, u.Email, u.FullName, u.Role, unixNanos(u.CreatedAt), seen, at}
			})
		}},
		{feed.PartRoles, "dir_roles", func() error {
			return each(`INSERT INTO dir_roles(id, org_uuid, name, description, seen, fetched_at) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT(id) DO UPDATE SET org_uuid = excluded.org_uuid, name = excluded.name, description = excluded.description,
				seen = excluded.seen, fetched_at = excluded.fetched_at, removed_at = 0`, len(d.Roles), func(i int) []any {
				r := d.Roles[i]
				return []any{r.ID, strings.ToLower(r.OrgUUID), r.Name, r.Description, seen, at}
			})
		}},
		{feed.PartGroups, "dir_groups", func() error {
			return each(`INSERT INTO dir_groups(id, name, description, roles, source_type, seen, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT(id) DO UPDATE SET name = excluded.name, description = excluded.description, roles = excluded.roles,
				source_type = excluded.source_type, seen = excluded.seen, fetched_at = excluded.fetched_at, removed_at = 0`, len(d.Groups), func(i int) []any {
				g := d.Groups[i]
				return []any{g.ID, g.Name, g.Description, jsonList(g.Roles), g.SourceType, seen, at}
			})
		}},
		{feed.PartKeys, "dir_keys", func() error {
			return each(`INSERT INTO dir_keys(id, name, scopes, active, created_at, created_by_id, expires_at, seen, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT(id) DO UPDATE SET name = excluded.name, scopes = excluded.scopes, active = excluded.active,
				created_at = excluded.created_at, created_by_id = excluded.created_by_id, expires_at = excluded.expires_at,
				seen = excluded.seen, fetched_at = excluded.fetched_at, removed_at = 0`, len(d.Keys), func(i int) []any {
				k := d.Keys[i]
				return []any{k.ID, k.Name, jsonList(k.Scopes), b2i(k.Active), unixNanos(k.CreatedAt), k.CreatedByID, unixNanos(k.ExpiresAt), seen, at}
			})
		}},
	}
	for _, step := range steps {
		if denied(step.part) {
			continue
		}
		if err := step.write(); err != nil {
			return mapErr("save directory "+step.part, err)
		}
		if err := removeUnseen(step.table); err != nil {
			return mapErr("save directory "+step.part, err)
		}
	}
	if err := saveMembers(ctx, tx, d, seen, at, denied(feed.PartMembers), denied(feed.PartGroups)); err != nil {
		return mapErr("save directory members", err)
	}
	if err := learnOrgAliases(ctx, tx); err != nil {
		return mapErr("save directory org aliases", err)
	}
	return mapErr("save directory", tx.Commit())
}

// saveMembers stores the members of the groups whose members this refresh
// read. Members of a group it read are marked removed when no longer
// listed; so are those of a group that is gone (when groups were read).
func saveMembers(ctx context.Context, tx *sql.Tx, d *feed.Directory, seen, at int64, membersDenied, groupsDenied bool) error {
	if membersDenied {
		return nil
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO dir_group_members(group_id, user_id, email, seen, fetched_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT(group_id, user_id) DO UPDATE SET email = excluded.email, seen = excluded.seen, fetched_at = excluded.fetched_at, removed_at = 0`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, g := range d.Groups {
		if !g.MembersKnown {
			continue
		}
		for _, m := range g.Members {
			if _, err := st.ExecContext(ctx, g.ID, m.UserID, m.Email, seen, at); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE dir_group_members SET removed_at = ? WHERE group_id = ? AND seen < ? AND removed_at = 0`,
			at, g.ID, seen); err != nil {
			return err
		}
	}
	if groupsDenied {
		return nil
	}
	_, err = tx.ExecContext(ctx, `UPDATE dir_group_members SET removed_at = ? WHERE removed_at = 0
		AND group_id IN (SELECT id FROM dir_groups WHERE removed_at <> 0)`, at)
	return err
}

// learnOrgAliases records the org_… id of each organization the cached
// activities name by both ids, for the org_… ids not mapped yet. The
// completion counts list every org_… id seen; one activity with it gives
// its UUID (the scan stops at the first).
func learnOrgAliases(ctx context.Context, tx *sql.Tx) error {
	rs, err := tx.QueryContext(ctx, `SELECT v FROM suggest WHERE field = 'org' AND v LIKE 'org\_%' ESCAPE '\'
		AND v NOT IN (SELECT org_id FROM dir_org_aliases)`)
	if err != nil {
		return err
	}
	var ids []string
	for rs.Next() {
		var v string
		if err := rs.Scan(&v); err != nil {
			rs.Close()
			return err
		}
		ids = append(ids, v)
	}
	if err := rs.Close(); err != nil {
		return err
	}
	for _, id := range ids {
		var uuid string
		err := tx.QueryRowContext(ctx, `SELECT u.v FROM activities a JOIN terms o ON o.id = a.org JOIN terms u ON u.id = a.orgu
			WHERE o.v = ? LIMIT 1`, id).Scan(&uuid)
		if err == sql.ErrNoRows || uuid == "" {
			continue
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO dir_org_aliases(org_id, uuid) VALUES (?, ?)`, id, strings.ToLower(uuid)); err != nil {
			return err
		}
	}
	return nil
}

// deniedRow is how a denied part is stored in dir_refresh.denied.
type deniedRow struct {
	Part  string `json:"part"`
	Scope string `json:"scope"`
}

func deniedList(ps []feed.DeniedPart) []deniedRow {
	out := make([]deniedRow, 0, len(ps))
	for _, p := range ps {
		out = append(out, deniedRow{p.Part, p.Scope})
	}
	return out
}

// jsonList is v as a JSON array ("[]" when empty).
func jsonList(v []string) string {
	if len(v) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(v) // a []string always marshals
	return string(b)
}

// parseList is the inverse of jsonList; damage reads as empty.
func parseList(s string) []string {
	var v []string
	_ = json.Unmarshal([]byte(s), &v)
	return v
}

// DirectoryState reads the last refresh and the tables' counts.
func (s *Store) DirectoryState(ctx context.Context) (DirectoryState, error) {
	var st DirectoryState
	var fetched int64
	var denied string
	err := s.r.QueryRowContext(ctx, `SELECT fetched, requests, denied FROM dir_refresh ORDER BY id DESC LIMIT 1`).Scan(&fetched, &st.Requests, &denied)
	switch {
	case err == sql.ErrNoRows:
		return st, nil
	case err != nil:
		return st, mapErr("read directory state", err)
	}
	st.Fetched = dirTime(fetched)
	var rows []deniedRow
	_ = json.Unmarshal([]byte(denied), &rows)
	for _, r := range rows {
		st.Denied = append(st.Denied, feed.DeniedPart{Part: r.Part, Scope: r.Scope})
	}
	err = s.r.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM dir_orgs WHERE removed_at = 0),
		(SELECT count(DISTINCT id) FROM dir_users WHERE removed_at = 0),
		(SELECT count(*) FROM dir_roles WHERE removed_at = 0),
		(SELECT count(*) FROM dir_groups WHERE removed_at = 0),
		(SELECT count(*) FROM dir_group_members WHERE removed_at = 0),
		(SELECT count(*) FROM dir_keys WHERE removed_at = 0),
		(SELECT count(DISTINCT id) FROM dir_users WHERE id NOT IN (SELECT id FROM dir_users WHERE removed_at = 0))`).Scan(
		&st.Orgs, &st.Users, &st.Roles, &st.Groups, &st.Members, &st.Keys, &st.Removed)
	if err != nil {
		return st, mapErr("read directory state", err)
	}
	return st, nil
}
