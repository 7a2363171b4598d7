package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"claudit/feed"
	"claudit/store"
	"claudit/ui/printer"
)

// Names in the query language and in query's output: the resolver of a
// command line's names, the printers' labels and json --resolve.

// queryNames resolves the names of a query's terms through the cache's
// directory, opening the cache on the first name (a query of ids and
// e-mails never opens it).
type queryNames struct {
	a      *app
	ctx    context.Context
	st     *store.Store
	names  *store.Names
	state  store.DirectoryState
	loaded bool
	err    error
	// resolved is set once a name was replaced by ids.
	resolved bool
}

// nameResolver returns the resolver of the names in a command line's
// query; close it after parsing.
func (a *app) nameResolver(ctx context.Context) *queryNames {
	return &queryNames{a: a, ctx: ctx}
}

// resolve is a feed.NameResolver: the ids of the users (actor), keys
// (key) or organizations (org) that value names or, as a glob, matches.
// A name the directory does not know is an error that says how old the
// directory is, never an empty answer.
func (n *queryNames) resolve(field, value string) ([]string, error) {
	if !n.loaded {
		n.loaded = true
		n.st, n.err = n.a.openStoreOffline(n.ctx)
		if n.err == nil {
			n.names, n.err = n.st.Names(n.ctx)
		}
		if n.err == nil {
			n.state, n.err = n.st.DirectoryState(n.ctx)
		}
	}
	ids, noun := n.names.TermIDs(field, value)
	if n.err != nil {
		return nil, fmt.Errorf("%s %q is a name, and the directory could not be read: %v", noun, value, n.err)
	}
	if len(ids) == 0 {
		what := "named"
		if strings.ContainsAny(value, "*?[") {
			what = "matching"
		}
		return nil, errors.New(n.a.unknownName(fmt.Sprintf("no %s %s %q in the directory", noun, what, value), n.state))
	}
	n.resolved = true
	return ids, nil
}

// close closes the cache if resolve opened it.
func (n *queryNames) close() {
	if n.st != nil {
		n.st.Close()
		n.st = nil
	}
}

// printNames is the directory's labels for the query printers (nil when
// the directory knows nothing, so the output is as without one). The ids
// the printers pass are masked while redacting: they are unmasked to look
// them up, and the names masked in turn.
func (a *app) printNames(ctx context.Context, st *store.Store) func(string) string {
	names, err := st.Names(ctx)
	if err != nil || names.Len() == 0 {
		return nil
	}
	red := a.redactor()
	return func(id string) string {
		id = red.Unmask(id)
		e, ok := names.Lookup(id)
		if !ok && feed.IsUUID(id) {
			e, ok = names.Lookup(strings.ToLower(id))
		}
		if !ok {
			return ""
		}
		return maskedLabel(red, e)
	}
}

// resolvedEntry is one element of the _resolved array that query --format
// json --resolve adds to each activity: an id the activity mentions and
// what the directory knows of it.
type resolvedEntry struct {
	ID        string     `json:"id"`
	Kind      string     `json:"kind"`
	Name      string     `json:"name,omitempty"`
	Email     string     `json:"email,omitempty"`
	RemovedAt *time.Time `json:"removed_at,omitempty"`
}

// resolvingWriter adds a "_resolved" array to each raw activity before
// the json writer (and its redaction) sees it. People's names are masked
// here while redacting; ids and e-mails are masked by the redaction that
// follows, like every member of the event.
type resolvingWriter struct {
	next  printer.RowWriter
	names *store.Names
	red   *feed.Redactor
}

func (w *resolvingWriter) WriteRows(rows []store.Row) error {
	out := make([]store.Row, len(rows))
	for i, r := range rows {
		raw, err := withResolved(r.Raw, w.resolved(r.Activity))
		if err != nil {
			return fmt.Errorf("activity %s: %w", r.ID, err)
		}
		r.Raw = raw
		out[i] = r
	}
	return w.next.WriteRows(out)
}

func (w *resolvingWriter) Close() error { return w.next.Close() }

// resolved lists what the directory knows of the ids a mentions: its
// actor, organization, keys and targets, in that order.
func (w *resolvingWriter) resolved(a feed.Activity) []resolvedEntry {
	ids := []string{a.Actor.ID(), a.OrganizationUUID, a.OrganizationID}
	for _, m := range a.KeyMentions() {
		ids = append(ids, m.ID)
	}
	ids = append(ids, a.Targets()...)
	var out []resolvedEntry
	seen := map[string]bool{}
	for _, id := range ids {
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		e, ok := w.names.Lookup(id)
		if !ok && feed.IsUUID(id) {
			e, ok = w.names.Lookup(strings.ToLower(id))
		}
		if !ok {
			continue
		}
		out = append(out, resolvedEntry{ID: id, Kind: string(e.Kind), Name: maskedName(w.red, e), Email: e.Email, RemovedAt: timePtr(e.Removed)})
	}
	return out
}

// withResolved is raw (an activity object) with a "_resolved" member
// appended, on one line; raw itself when there is nothing to add.
func withResolved(raw []byte, es []resolvedEntry) ([]byte, error) {
	line, err := feed.RawLine(raw)
	if err != nil || len(es) == 0 {
		return line, err
	}
	line = bytes.TrimRight(line, " \t")
	if len(line) < 2 || line[0] != '{' || line[len(line)-1] != '}' {
		return nil, errors.New("the raw activity is not a JSON object")
	}
	add, err := json.Marshal(es)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(line)+len(add)+16)
	out = append(out, line[:len(line)-1]...)
	if len(bytes.TrimSpace(line[1:len(line)-1])) > 0 {
		out = append(out, ',')
	}
	out = append(out, `"_resolved":`...)
	out = append(out, add...)
	return append(out, '}'), nil
}
