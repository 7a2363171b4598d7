package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"claudit/feed"
	"claudit/store"
	"claudit/ui/printer"

	tea "charm.land/bubbletea/v2"
)

// Names from the Compliance directory (store.Names) stand in for ids on
// screen: the table shows them where ids stood (I toggles back to the ids),
// the detail pane lists every id of the event it can name, the dossier
// compares the directory's key with what the events imply. The index is
// read in a Cmd at start and after each sync, and shared read-only.
//
// Directory text is untrusted like event text: it reaches the terminal
// only through the components' safe.Text calls. While redacting, a
// person's name is masked like an e-mail (both name a person) and the
// names of organisations, keys, groups and roles as free text, as key
// names from events are (feed.Redactor.String).

// namesMsg is the result of a Names read.
type namesMsg struct {
	req req
	n   *store.Names
	err error
}

func namesCmd(ctx context.Context, src Source, r req) tea.Cmd {
	return func() tea.Msg {
		n, err := src.Names(ctx)
		return namesMsg{req: r, n: n, err: err}
	}
}

// loadNames reads the directory's index again.
func (m *Model) loadNames() tea.Cmd {
	return namesCmd(m.base, m.deps.Source, m.flight.start(reqNames))
}

// setNames makes n the index every component resolves ids with. The
// store hands out the same index until the directory changes: then
// nothing is re-derived.
func (m *Model) setNames(n *store.Names) {
	if n == m.names {
		return
	}
	m.names = n
	m.header.names = n.State().ShortScopeNote()
	m.applyNames()
}

// applyNames hands the index to the components: the table only while it
// shows names (I), the detail pane and the dossier always (they show the
// id beside the name).
func (m *Model) applyNames() {
	tn := m.names
	if m.showIDs {
		tn = nil
	}
	m.table.setNames(tn)
	m.detail.names, m.dossier.names, m.bar.names = m.names, m.names, m.names
	m.detail.rebuild()
	m.dossier.rebuild()
}

// toggleIDs switches the table between names and ids.
func (m Model) toggleIDs() (Model, tea.Cmd) {
	m.showIDs = !m.showIDs
	m.applyNames()
	m.showSelected()
	switch {
	case m.showIDs:
		return m, m.setStatus("table shows ids (I: names)", false)
	case m.names.Len() == 0:
		return m, m.setStatus("table shows names, but the directory is empty: sync with a Compliance Access Key to fill it", false)
	}
	return m, m.setStatus("table shows names from the directory (I: ids)", false)
}

// maskEntity returns e with its names and e-mail masked by red (nil:
// unchanged).
func maskEntity(red *feed.Redactor, e store.Entity) store.Entity {
	if red == nil {
		return e
	}
	if e.Kind == store.KindUser {
		e.Name = red.Field("email_address", e.Name)
	} else {
		e.Name = red.String(e.Name)
	}
	e.Email = red.Field("email_address", e.Email)
	return e
}

// entityLabel is the masked short name of id, "" when n does not know it.
func entityLabel(n *store.Names, red *feed.Redactor, id string) string {
	e, ok := n.Lookup(id)
	if !ok {
		return ""
	}
	return maskEntity(red, e).Label()
}

// actorName is the table's actor cell from the directory: a user's name
// (else e-mail), a key's name after the word the id had ("key Nightly
// pull"); "" when the directory does not know the actor.
func actorName(n *store.Names, red *feed.Redactor, a feed.Actor) string {
	l := entityLabel(n, red, a.ID())
	if l == "" {
		return ""
	}
	switch a.Type {
	case feed.ActorAPI:
		return "key " + l
	case feed.ActorAdminAPIKey:
		return "admin key " + l
	}
	return l
}

// orgName is the directory's name of an activity's organization.
func orgName(n *store.Names, red *feed.Redactor, a feed.Activity) string {
	if l := entityLabel(n, red, a.OrganizationUUID); l != "" {
		return l
	}
	return entityLabel(n, red, a.OrganizationID)
}

// describeEntity is one line about a (masked) entity: its name, e-mail
// and role, whether the directory still lists it.
func describeEntity(e store.Entity) string {
	var parts []string
	for _, s := range []string{e.Name, e.Email, e.Role} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "(no name)")
	}
	s := strings.Join(parts, " · ")
	if e.Kind != store.KindUser {
		s = string(e.Kind) + " " + s
	}
	return s
}

// removedText says since when the directory no longer lists e ("" while
// it does).
func removedText(e store.Entity, loc *time.Location) string {
	if e.Removed.IsZero() {
		return ""
	}
	return "(removed since " + e.Removed.In(loc).Format("2006-01-02 15:04") + ")"
}

// maxIDBytes bounds the strings tried as ids: no id is longer, and a 64
// KiB user agent is not worth a lookup.
const maxIDBytes = 128

// eventIDs lists the distinct string values of a's raw JSON that n knows,
// in the order they appear (ids anywhere: actor, targets, org, updates).
func eventIDs(n *store.Names, a feed.Activity) []string {
	if n.Len() == 0 {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	s := feed.NewScanner(a.Raw)
	for {
		tok, err := s.Next()
		if err != nil {
			break
		}
		if tok.Kind != feed.TokenString || tok.End-tok.Start > maxIDBytes+2 {
			continue
		}
		v, ok := feed.Unquote(a.Raw[tok.Start:tok.End])
		if !ok || v == "" || seen[v] {
			continue
		}
		seen[v] = true
		if _, ok := n.Lookup(v); ok {
			out = append(out, v)
		}
	}
	return out
}

// namesCmd is the first read of the index (newModel reserved its req).
func (m Model) namesCmd() tea.Cmd {
	return namesCmd(m.base, m.deps.Source, m.flight.get(reqNames))
}

// setNames switches the names the table shows (nil: ids) and re-derives
// the rows.
func (t *tableModel) setNames(n *store.Names) {
	t.names = n
	for i := range t.rows {
		t.rows[i].derive(t.red, n)
	}
}

// deriveNames puts the directory's names in the cells whose ids it knows.
func (r *tableRow) deriveNames(red *feed.Redactor, n *store.Names) {
	if l := actorName(n, red, r.Actor); l != "" {
		r.label = l
	}
	if l := entityLabel(n, red, printer.Target(r.Activity)); l != "" {
		r.target = l
	}
	if l := orgName(n, red, r.Activity); l != "" {
		r.org = l
	}
}

// pivotName is the directory's name for a pivot's value: an id it knows,
// or the e-mail of exactly one user.
func pivotName(n *store.Names, red *feed.Redactor, f pivotField) string {
	switch f.Field {
	case "type", "ip":
		return ""
	case "actor":
		if es := n.Find(f.Value, store.KindUser); len(es) == 1 && strings.EqualFold(es[0].Email, f.Value) {
			if e := maskEntity(red, es[0]); e.Name != "" {
				return e.Name
			}
			return ""
		}
	}
	return entityLabel(n, red, f.Value)
}

// nameResolver resolves the names in a query's terms (actor:"Alice Chen",
// key:"Nightly SIEM pull", org:"Research*") to the ids the directory
// knows, before the query is split into server and cache parts. A name it
// does not know is an error, never an empty answer.
func nameResolver(n *store.Names) feed.NameResolver {
	return func(field, value string) ([]string, error) {
		ids, noun := n.TermIDs(field, value)
		if len(ids) == 0 {
			if n.Len() == 0 {
				return nil, fmt.Errorf("%s %q is a name, and the directory is empty: sync with a Compliance Access Key to fill it, or use an id or e-mail", noun, value)
			}
			return nil, fmt.Errorf("no %s named %q in the directory", noun, value)
		}
		return ids, nil
	}
}

// parseQuery parses text with names resolved through n.
func parseQuery(text string, n *store.Names) (feed.Query, error) {
	q, _, err := feed.ParseWith(text, nameResolver(n))
	return q, err
}

// nameCandidates completes a query value from the directory: people's
// names and e-mails for actor:, Compliance key names for key:,
// organization names for org:. Each is a query value (quoted when it holds
// a space), masked while redacting as the screen masks it: the query bar
// maps the mask back before parsing, so a quoted mask becomes the quoted
// name.
func nameCandidates(n *store.Names, red *feed.Redactor, field, prefix string, max int) []string {
	kind, ok := store.FieldKind(field)
	if !ok {
		return nil
	}
	var out []string
	for _, v := range n.Complete(prefix, max, kind) {
		shown := v
		if red != nil {
			if kind == store.KindUser {
				shown = red.Field("email_address", v)
			} else {
				shown = red.String(v)
			}
		}
		if feed.QuoteValue(v) != v {
			shown = `"` + shown + `"`
		}
		out = append(out, shown)
	}
	return out
}
