package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"claudit/feed"
	"claudit/store"
	"claudit/ui/printer"
	"claudit/ui/safe"

	"github.com/spf13/cobra"
)

func (a *app) whoCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "who ID|NAME|EMAIL",
		Short: "Print what the directory knows about an id, a name or an e-mail",
		Long: `who looks an id (user_…, an organization's UUID or org_… id, apikey_…,
rbac_group_…, rbac_role_…), a full name, an e-mail or a glob (*, ?) up in the
directory that sync keeps in the cache, and prints every match: its kind, id and
other ids, name, e-mail, role, organizations and groups; for a Compliance key its
scopes, whether it is active, its expiry and who created it. Someone the directory
no longer lists keeps the last known name, "removed since" the refresh that missed
them. It makes no request: claudit sync refreshes the directory.
Nothing known exits 1 and says how old the directory is.`,
		Example: `  claudit who user_01Jq3k...
  claudit who "Alice Chen"
  claudit who alice@example.com --format json
  claudit who "Nightly*"`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := a.settings(cmd); err != nil {
				return err
			}
			if format != printer.FormatTable && format != printer.FormatJSON {
				return &usageError{err: fmt.Errorf("--format %q: want table or json", format)}
			}
			what := whoArg(a.redactor().Unmask(strings.Join(args, " ")))
			if what == "" {
				return &usageError{err: errors.New("ID|NAME|EMAIL is empty")}
			}
			ctx := cmd.Context()
			st, err := a.openStoreOffline(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			names, err := st.Names(ctx)
			if err != nil {
				return &cacheError{err: err}
			}
			found := names.Find(what)
			if len(found) == 0 && feed.IsUUID(what) {
				found = names.Find(strings.ToLower(what))
			}
			if len(found) == 0 {
				state, err := st.DirectoryState(ctx)
				if err != nil {
					return &cacheError{err: err}
				}
				return &usageError{err: errors.New(a.unknownName(fmt.Sprintf("nothing in the directory matches %q", what), state))}
			}
			v := a.whoView(names, found)
			if format == printer.FormatJSON {
				return printer.WriteJSON(a.env.stdout, v)
			}
			fprintf(a.env.stdout, "%s", safe.Multiline(a.whoTable(v)))
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "format", "o", printer.FormatTable, "output format: table or json")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{printer.FormatTable, printer.FormatJSON}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// whoArg is what who looks up: the argument without a query field
// (actor:, key:, org:, id:) or the quotes around it.
func whoArg(s string) string {
	s = strings.TrimSpace(s)
	for _, f := range []string{"actor:", "key:", "org:", "id:"} {
		if rest, ok := strings.CutPrefix(s, f); ok {
			s = rest
			break
		}
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	return strings.TrimSpace(s)
}

// unknownName finishes a message about a name or id the directory does
// not know with how old the directory is, or why there is none.
func (a *app) unknownName(msg string, state store.DirectoryState) string {
	switch {
	case !state.Known():
		return msg + ": the directory was never refreshed (claudit sync refreshes it, with a Compliance Access Key)"
	case state.AllDenied():
		return msg + " (refreshed " + a.directoryAge(state) + " ago): " + state.ScopeNote()
	}
	return fmt.Sprintf("%s (refreshed %s ago: %s, %s, %s)", msg, a.directoryAge(state),
		printer.Count(state.Users, "user"), printer.Count(state.Orgs, "organization"), keyCount(state.Keys))
}

// whoRef is another entity an entry points at, by id and name.
type whoRef struct {
	ID    string `json:"id"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
}

// whoKey is a Compliance key's settings entry.
type whoKey struct {
	Scopes    []string   `json:"scopes"`
	Active    bool       `json:"active"`
	CreatedAt *time.Time `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
	CreatedBy *whoRef    `json:"created_by"`
}

// whoEntry is one match, as who prints it (the json format's element).
type whoEntry struct {
	Kind      string     `json:"kind"`
	ID        string     `json:"id"`
	Aliases   []string   `json:"aliases,omitempty"`
	Name      string     `json:"name,omitempty"`
	Email     string     `json:"email,omitempty"`
	Role      string     `json:"role,omitempty"`
	Orgs      []whoRef   `json:"orgs,omitempty"`
	Groups    []whoRef   `json:"groups,omitempty"`
	Members   []whoRef   `json:"members,omitempty"`
	Key       *whoKey    `json:"key,omitempty"`
	FetchedAt *time.Time `json:"listed_at"`
	RemovedAt *time.Time `json:"removed_at"`
}

// timePtr is t, or nil for the zero time (JSON null).
func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// whoView resolves the matches' references through names and masks
// personal data while redacting: e-mails and user names like e-mails and
// ids, ids by their prefix.
func (a *app) whoView(names *store.Names, found []store.Entity) []whoEntry {
	red := a.redactor()
	id := func(v string) string { return red.Field("id", v) }
	ref := func(v string) whoRef {
		r := whoRef{ID: id(v)}
		if e, ok := names.Lookup(v); ok {
			r.Name, r.Email = maskedName(red, e), red.Field("email", e.Email)
		}
		return r
	}
	out := make([]whoEntry, 0, len(found))
	for _, e := range found {
		w := whoEntry{Kind: string(e.Kind), ID: id(e.ID), Name: maskedName(red, e), Email: red.Field("email", e.Email),
			Role: e.Role, FetchedAt: timePtr(e.Fetched), RemovedAt: timePtr(e.Removed)}
		for _, al := range e.Aliases {
			w.Aliases = append(w.Aliases, id(al))
		}
		for _, o := range e.Orgs {
			w.Orgs = append(w.Orgs, ref(o))
		}
		if e.Kind == store.KindUser {
			for _, g := range names.GroupsOf(e.ID) {
				w.Groups = append(w.Groups, whoRef{ID: id(g.ID), Name: g.Name})
			}
		}
		for _, m := range e.Members {
			w.Members = append(w.Members, ref(m))
		}
		if k := e.Key; k != nil {
			wk := &whoKey{Scopes: k.Scopes, Active: k.Active, CreatedAt: timePtr(k.CreatedAt), ExpiresAt: timePtr(k.ExpiresAt)}
			if wk.Scopes == nil {
				wk.Scopes = []string{}
			}
			if k.CreatedByID != "" {
				r := ref(k.CreatedByID)
				wk.CreatedBy = &r
			}
			w.Key = wk
		}
		out = append(out, w)
	}
	return out
}

// maskedName is e's name, masked while redacting when it is a person's
// (like an id: a name has no shape of its own to keep).
func maskedName(red *feed.Redactor, e store.Entity) string {
	if e.Kind == store.KindUser {
		return red.Field("id", e.Name)
	}
	return e.Name
}

// maskedLabel is e's label (a user's name, else e-mail), masked as
// maskedName and e-mails are.
func maskedLabel(red *feed.Redactor, e store.Entity) string {
	if e.Kind == store.KindUser && e.Name == "" {
		return red.Field("email", e.Email)
	}
	return maskedName(red, e)
}

// whoTable lays the matches out as labelled blocks, one per match.
func (a *app) whoTable(v []whoEntry) string {
	var b strings.Builder
	ts := func(t *time.Time) string { return t.In(a.loc()).Format(printer.PrintTimeLayout) }
	refs := func(rs []whoRef) string {
		var parts []string
		for _, r := range rs {
			switch {
			case r.Name != "":
				parts = append(parts, r.Name+" <"+r.ID+">")
			case r.Email != "":
				parts = append(parts, r.Email+" <"+r.ID+">")
			default:
				parts = append(parts, r.ID)
			}
		}
		return strings.Join(parts, ", ")
	}
	for i, w := range v {
		if i > 0 {
			b.WriteString("\n")
		}
		title := w.Name
		if w.Email != "" {
			title = strings.TrimSpace(title + " <" + w.Email + ">")
		}
		if title == "" {
			title = w.ID
		}
		fmt.Fprintf(&b, "%s  %s\n", w.Kind, safe.Text(title))
		row := func(label, value string) {
			if value != "" {
				fmt.Fprintf(&b, "  %-10s %s\n", label, safe.Text(value))
			}
		}
		row("id", w.ID)
		row("also", strings.Join(w.Aliases, ", "))
		row("role", w.Role)
		row("orgs", refs(w.Orgs))
		row("groups", refs(w.Groups))
		if len(w.Members) > 0 {
			row("members", fmt.Sprintf("%d: %s", len(w.Members), refs(w.Members)))
		}
		if k := w.Key; k != nil {
			scopes := strings.Join(k.Scopes, ", ")
			if scopes == "" {
				scopes = "none listed"
			}
			row("scopes", scopes)
			state := "active"
			if !k.Active {
				state = "inactive"
			}
			row("state", state)
			if k.ExpiresAt != nil {
				row("expires", ts(k.ExpiresAt))
			} else {
				row("expires", "never")
			}
			if k.CreatedAt != nil {
				row("created", ts(k.CreatedAt))
			}
			if k.CreatedBy != nil {
				row("created by", refs([]whoRef{*k.CreatedBy}))
			}
		}
		if w.RemovedAt != nil {
			row("removed", "since "+ts(w.RemovedAt)+" (the directory no longer lists it; the name is the last known)")
		} else if w.FetchedAt != nil {
			row("listed", ts(w.FetchedAt))
		}
	}
	return b.String()
}

// keyDirectoryBlock is what claudit key adds below the dossier when the
// directory knows the key: its directory entry (name, scopes, state,
// expiry, creator) and where the directory's current state differs from
// what the cached events imply. "" when the directory does not know it.
func (a *app) keyDirectoryBlock(names *store.Names, state store.DirectoryState, d store.Dossier) string {
	e, ok := names.Lookup(d.KeyID)
	if !ok || e.Kind != store.KindKey {
		return ""
	}
	block := "\ndirectory (refreshed " + a.directoryAge(state) + " ago)\n" + a.whoTable(a.whoView(names, []store.Entity{e}))
	for _, diff := range a.keyDifferences(d, e) {
		block += "  differs    " + safe.Text(a.redactor().String(diff)) + "\n"
	}
	return block
}

// keyDifferences says where the directory's entry for a key and the
// lifecycle the cached events show disagree: its name, whether it is
// active, whether it still exists.
func (a *app) keyDifferences(d store.Dossier, e store.Entity) []string {
	ts := func(t time.Time) string { return t.In(a.loc()).Format(printer.PrintTimeLayout) }
	var out []string
	if d.Name != "" && e.Name != "" && d.Name != e.Name {
		out = append(out, fmt.Sprintf("the events last name it %q, the directory %q", d.Name, e.Name))
	}
	var last *store.LifecycleEvent
	for i := range d.Lifecycle {
		switch d.Lifecycle[i].Action {
		case "created", "activated", "deactivated", "revoked", "deleted":
			last = &d.Lifecycle[i]
		}
	}
	inactive := last != nil && (last.Action == "deactivated" || last.Action == "revoked" || last.Action == "deleted")
	switch {
	case e.Key != nil && e.Key.Active && e.Removed.IsZero() && inactive:
		out = append(out, fmt.Sprintf("the events show it %s at %s, but the directory lists it active", last.Action, ts(last.Row.CreatedAt)))
	case e.Key != nil && !e.Key.Active && e.Removed.IsZero() && !inactive:
		out = append(out, "the directory lists it inactive, but no cached event deactivated it")
	case !e.Removed.IsZero() && (last == nil || last.Action != "deleted"):
		out = append(out, "the directory no longer lists it (since "+ts(e.Removed)+"), but no cached event deleted it")
	}
	return out
}
