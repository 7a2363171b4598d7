package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"claudit/feed"
)

// dossierTop bounds the IP and user-agent lists of a dossier.
const dossierTop = 20

// Dossier answers "what is this key and what did it do": its lifecycle (every
// event that targets it, oldest first) and a summary of what it did as an
// actor.
func (s *Store) Dossier(ctx context.Context, keyID string) (Dossier, error) {
	d := Dossier{KeyID: keyID}
	norm := normRef(keyID)
	rs, err := s.r.QueryContext(ctx, "SELECT "+rowCols+` FROM fts CROSS JOIN activities a ON a.rid = fts.rowid
		WHERE fts MATCH ? ORDER BY fts.rowid DESC`, "r : "+token(tokTarget, norm))
	if err != nil {
		return d, mapErr("key dossier", err)
	}
	rows, err := scanRows(rs)
	if err != nil {
		return d, mapErr("key dossier", err)
	}
	// rid orders by millisecond; put ties in (created_at, id) order.
	sortScanned(rows)
	for _, r := range rows {
		ev := LifecycleEvent{Row: r.Row, Action: lifecycleAction(r.Activity), Change: r.Updates()}
		d.Lifecycle = append(d.Lifecycle, ev)
		if k := keyKind(r.Type); k != "" {
			d.KeyKind = k
		}
		if name := keyName(r.Activity); name != "" {
			d.Name = name
		}
	}

	acted := "r : " + token(tokActor, norm)
	var first, last *int64
	// What it did leaves claudit's own calls out, like every query
	// without is:self (feed.Query.HidesSelf).
	if err := s.r.QueryRowContext(ctx, `SELECT count(*), min(a.t), max(a.t) FROM fts CROSS JOIN activities a
		ON a.rid = fts.rowid WHERE fts MATCH ? AND a.self = 0`, acted).Scan(&d.ActedCount, &first, &last); err != nil {
		return d, mapErr("key dossier", err)
	}
	if first != nil {
		d.FirstSeen, d.LastSeen = time.Unix(0, *first).UTC(), time.Unix(0, *last).UTC()
	}
	if d.ActedCount > 0 {
		group := func(col string, limit int) ([]FacetCount, error) {
			rs, err := s.r.QueryContext(ctx, `SELECT t.v, c FROM (SELECT `+col+` AS k, count(*) AS c
				FROM fts CROSS JOIN activities a ON a.rid = fts.rowid WHERE fts MATCH ? AND a.self = 0 GROUP BY k)
				JOIN terms t ON t.id = k ORDER BY c DESC, t.v LIMIT ?`, acted, limit)
			if err != nil {
				return nil, err
			}
			defer rs.Close()
			var out []FacetCount
			for rs.Next() {
				var fc FacetCount
				if err := rs.Scan(&fc.Value, &fc.Count); err != nil {
					return nil, err
				}
				out = append(out, fc)
			}
			return out, rs.Err()
		}
		if d.ByType, err = group("a.type", 1000); err != nil {
			return d, mapErr("key dossier", err)
		}
		if d.IPs, err = group("a.ip", dossierTop); err != nil {
			return d, mapErr("key dossier", err)
		}
		if d.UserAgents, err = group("a.ua", dossierTop); err != nil {
			return d, mapErr("key dossier", err)
		}
		if d.KeyKind == "" {
			var atype string
			if err := s.r.QueryRowContext(ctx, `SELECT t.v FROM fts CROSS JOIN activities a ON a.rid = fts.rowid
				JOIN terms t ON t.id = a.atype WHERE fts MATCH ? LIMIT 1`, acted).Scan(&atype); err == nil &&
				atype == feed.ActorAdminAPIKey {
				d.KeyKind = "admin"
			}
		}
	}
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM fts WHERE fts MATCH ?`,
		refGroup(refTokens([]string{keyID}, tokActor, tokTarget, tokOther, tokOrg))).Scan(&d.Mentions); err != nil {
		return d, mapErr("key dossier", err)
	}
	return d, nil
}

func sortScanned(rows []scanned) {
	for i := 1; i < len(rows); i++ {
		for j := i; j > 0 && cmpScanned(rows[j], rows[j-1]) < 0; j-- {
			rows[j], rows[j-1] = rows[j-1], rows[j]
		}
	}
}

// keyKind tells the kind of key from a lifecycle event type.
func keyKind(typ string) string {
	switch {
	case typ == "api_key_created" || strings.HasPrefix(typ, "scoped_api_key_"):
		return "compliance/scoped"
	case strings.HasPrefix(typ, "admin_api_key_"):
		return "admin"
	case strings.HasPrefix(typ, "platform_api_key_"):
		return "console"
	case strings.HasPrefix(typ, "service_key_"):
		return "service"
	}
	return ""
}

// lifecycleAction names what an event did to the key it targets.
func lifecycleAction(a feed.Activity) string {
	switch {
	case strings.HasSuffix(a.Type, "_created"):
		return "created"
	case strings.HasSuffix(a.Type, "_deleted"):
		return "deleted"
	case strings.HasSuffix(a.Type, "_revoked"):
		return "revoked"
	case strings.HasSuffix(a.Type, "_updated"):
		action := "updated"
		for _, u := range a.Updates() {
			cur := jsonString(u.Current)
			switch u.Type {
			case "activation_state", "status":
				switch {
				case cur == "active":
					return "activated"
				case strings.HasPrefix(a.Type, "platform_api_key_"):
					return "revoked"
				default:
					return "deactivated"
				}
			case "name":
				action = "renamed"
			}
		}
		return action
	}
	return "mentioned"
}

// keyName is the key name an event states, if any (a rename's new name).
func keyName(a feed.Activity) string {
	for _, u := range a.Updates() {
		if u.Type == "name" {
			if n := jsonString(u.Current); n != "" {
				return n
			}
		}
	}
	for _, f := range []string{"api_key_name", "key_name", "admin_api_key_name", "name"} {
		if n := a.StringField(f); n != "" {
			return n
		}
	}
	return ""
}

func jsonString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}
