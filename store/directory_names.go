package store

import (
	"context"
	"database/sql"
	"slices"
	"sort"
	"strings"
	"sync"

	"claudit/feed"
)

// namesCache holds the last Names built, with the stamp of the tables it
// was built from (the last refresh and the number of org aliases): another
// process's refresh changes the stamp, so the index is rebuilt then and
// only then.
type namesCache struct {
	mu    sync.Mutex
	stamp [2]int64
	names *Names
}

// Names returns the in-memory index of the directory tables: users (one
// entity per user id across its organizations), organizations (with the
// org_… ids learnt from the activities as aliases), Compliance keys,
// groups (with their current members) and roles. Rows no longer listed
// are kept, with Removed set. The index is built once per refresh and
// shared: callers must not modify it.
func (s *Store) Names(ctx context.Context) (*Names, error) {
	var stamp [2]int64
	if err := s.r.QueryRowContext(ctx, `SELECT (SELECT coalesce(max(id), 0) FROM dir_refresh), (SELECT count(*) FROM dir_org_aliases)`).
		Scan(&stamp[0], &stamp[1]); err != nil {
		return nil, mapErr("read directory", err)
	}
	s.names.mu.Lock()
	defer s.names.mu.Unlock()
	if s.names.names != nil && s.names.stamp == stamp {
		return s.names.names, nil
	}
	es, err := s.loadEntities(ctx)
	if err != nil {
		return nil, err
	}
	state, err := s.DirectoryState(ctx)
	if err != nil {
		return nil, err
	}
	n := NewNames(es).WithState(state)
	s.names.names, s.names.stamp = n, stamp
	return n, nil
}

// loadEntities reads every directory row into entities, in kind order.
func (s *Store) loadEntities(ctx context.Context) ([]Entity, error) {
	conn, err := s.r.Conn(ctx) // one snapshot for every table
	if err != nil {
		return nil, mapErr("read directory", err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, mapErr("read directory", err)
	}
	defer func() { _ = tx.Rollback() }()
	var es []Entity
	// scan runs q and calls row with a scanner of each result row.
	scan := func(q string, row func(func(...any) error) error) error {
		rs, err := tx.QueryContext(ctx, q)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			if err := row(rs.Scan); err != nil {
				return err
			}
		}
		return rs.Err()
	}

	aliases := map[string][]string{}
	if err := scan(`SELECT org_id, uuid FROM dir_org_aliases ORDER BY org_id`, func(sc func(...any) error) error {
		var id, uuid string
		if err := sc(&id, &uuid); err != nil {
			return err
		}
		aliases[uuid] = append(aliases[uuid], id)
		return nil
	}); err != nil {
		return nil, mapErr("read directory orgs", err)
	}
	if err := scan(`SELECT uuid, name, fetched_at, removed_at FROM dir_orgs ORDER BY uuid`, func(sc func(...any) error) error {
		var e Entity
		var fetched, removed int64
		if err := sc(&e.ID, &e.Name, &fetched, &removed); err != nil {
			return err
		}
		e.Kind, e.Aliases, e.Fetched, e.Removed = KindOrg, aliases[e.ID], dirTime(fetched), dirTime(removed)
		es = append(es, e)
		return nil
	}); err != nil {
		return nil, mapErr("read directory orgs", err)
	}

	// A user listed by several organizations is one entity: the values of
	// a current membership win over a removed one's, then the newest.
	// Ordered so that the row to keep comes first for each id.
	users := map[string]int{}
	if err := scan(`SELECT id, org_uuid, email, full_name, role, fetched_at, removed_at FROM dir_users
		ORDER BY id, removed_at <> 0, fetched_at DESC, org_uuid`, func(sc func(...any) error) error {
		var e Entity
		var org string
		var fetched, removed int64
		if err := sc(&e.ID, &org, &e.Email, &e.Name, &e.Role, &fetched, &removed); err != nil {
			return err
		}
		if i, ok := users[e.ID]; ok {
			u := &es[i]
			if removed == 0 {
				u.Orgs = append(u.Orgs, org)
			}
			if f := dirTime(fetched); f.After(u.Fetched) {
				u.Fetched = f
			}
			return nil
		}
		e.Kind, e.Fetched, e.Removed = KindUser, dirTime(fetched), dirTime(removed)
		e.Orgs = []string{org}
		users[e.ID] = len(es)
		es = append(es, e)
		return nil
	}); err != nil {
		return nil, mapErr("read directory users", err)
	}
	for _, i := range users {
		slices.Sort(es[i].Orgs)
	}

	if err := scan(`SELECT id, name, scopes, active, created_at, created_by_id, expires_at, fetched_at, removed_at FROM dir_keys ORDER BY id`,
		func(sc func(...any) error) error {
			var k feed.ComplianceKey
			var scopes string
			var active, created, expires, fetched, removed int64
			if err := sc(&k.ID, &k.Name, &scopes, &active, &created, &k.CreatedByID, &expires, &fetched, &removed); err != nil {
				return err
			}
			k.Scopes, k.Active, k.CreatedAt, k.ExpiresAt = parseList(scopes), active != 0, dirTime(created), dirTime(expires)
			es = append(es, Entity{Kind: KindKey, ID: k.ID, Name: k.Name, Key: &k, Fetched: dirTime(fetched), Removed: dirTime(removed)})
			return nil
		}); err != nil {
		return nil, mapErr("read directory keys", err)
	}

	// One row per group, not per member: a row costs more than its bytes.
	members := map[string][]string{}
	if err := scan(`SELECT group_id, group_concat(user_id, char(31)) FROM
		(SELECT group_id, user_id FROM dir_group_members WHERE removed_at = 0 ORDER BY group_id, user_id) GROUP BY group_id`, func(sc func(...any) error) error {
		var g, us string
		if err := sc(&g, &us); err != nil {
			return err
		}
		members[g] = strings.Split(us, "\x1f")
		return nil
	}); err != nil {
		return nil, mapErr("read directory members", err)
	}
	if err := scan(`SELECT id, name, fetched_at, removed_at FROM dir_groups ORDER BY id`, func(sc func(...any) error) error {
		var e Entity
		var fetched, removed int64
		if err := sc(&e.ID, &e.Name, &fetched, &removed); err != nil {
			return err
		}
		e.Kind, e.Members, e.Fetched, e.Removed = KindGroup, members[e.ID], dirTime(fetched), dirTime(removed)
		es = append(es, e)
		return nil
	}); err != nil {
		return nil, mapErr("read directory groups", err)
	}

	if err := scan(`SELECT id, org_uuid, name, fetched_at, removed_at FROM dir_roles ORDER BY id`, func(sc func(...any) error) error {
		var e Entity
		var org string
		var fetched, removed int64
		if err := sc(&e.ID, &org, &e.Name, &fetched, &removed); err != nil {
			return err
		}
		e.Kind, e.Orgs, e.Fetched, e.Removed = KindRole, []string{org}, dirTime(fetched), dirTime(removed)
		es = append(es, e)
		return nil
	}); err != nil {
		return nil, mapErr("read directory roles", err)
	}
	return es, nil
}

// GroupsOf returns the groups that list user id as a current member,
// sorted by name.
func (n *Names) GroupsOf(id string) []Entity {
	if n == nil {
		return nil
	}
	var out []Entity
	for _, e := range n.list {
		if e.Kind == KindGroup && slices.Contains(e.Members, id) {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}
