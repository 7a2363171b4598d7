package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"claudit/feed"
	"claudit/store"
	"claudit/ui/printer"
)

// The Compliance directory (organizations, users, roles, groups, key
// names; ACTIVITY_FEED.md §13): sync refreshes it when it is older than
// directory_ttl, status says how old it is and what the key cannot read,
// and queries, who and the printers resolve names through it.

// defaultDirectoryTTL is how old the directory may get before sync
// refreshes it, without a directory_ttl setting.
const defaultDirectoryTTL = time.Hour

// parseDirectoryTTL reads a directory_ttl value: a Go duration ("1h",
// "30m", "24h"); 0 means the directory is refreshed only when asked
// (sync --directory).
func parseDirectoryTTL(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, errors.New(`want a duration such as "1h", "30m" or "24h", or "0" to refresh only with sync --directory`)
	}
	if d < 0 {
		return 0, errors.New("a duration cannot be negative")
	}
	return d, nil
}

// directoryTTL is the config's directory_ttl, else the default.
func (a *app) directoryTTL() time.Duration {
	if a.cfg != nil && a.cfg.directoryTTL != nil {
		return *a.cfg.directoryTTL
	}
	return defaultDirectoryTTL
}

// directoryFetcher reads the whole directory through c: every page of
// every part the key's scopes reach, the others listed in Denied.
type directoryFetcher func(ctx context.Context, c *feed.Client) (*feed.Directory, error)

// fetchDirectoryFromAPI reads the directory through c, paced within the
// org's shared rate budget less budget_reserve, like the feed's backfill.
func (a *app) fetchDirectoryFromAPI(ctx context.Context, c *feed.Client) (*feed.Directory, error) {
	return c.FetchDirectory(ctx, feed.WithDirectoryPacer(feed.NewBudgetPacer(a.budgetReserve)))
}

// allDenied is the refresh of a key that reaches no directory endpoint
// (an Admin API key): every part denied, nothing listed.
func allDenied(now time.Time) *feed.Directory {
	d := &feed.Directory{Fetched: now}
	for _, part := range store.DirectoryParts() {
		scope := feed.ScopeOrgData
		if part == feed.PartUsers || part == feed.PartMembers {
			scope = feed.ScopeUserData
		}
		d.Denied = append(d.Denied, feed.DeniedPart{Part: part, Scope: scope})
	}
	return d
}

// directoryDue reports whether the directory should be refreshed now:
// forced, never refreshed, or older than directory_ttl (0: only forced).
func (a *app) directoryDue(ctx context.Context, st *store.Store, force bool) (bool, error) {
	if force {
		return true, nil
	}
	ttl := a.directoryTTL()
	if ttl == 0 {
		return false, nil
	}
	state, err := st.DirectoryState(ctx)
	if err != nil {
		return false, err
	}
	return !state.Known() || a.env.now().Sub(state.Fetched) >= ttl, nil
}

// refreshDirectory refreshes the directory through c when it is due and
// stores it. It reports whether it refreshed and the state after. An
// Admin API key makes no request: the directory endpoints answer it 403.
// A 403 is the key's scopes, not a failure: it is stored as a refresh
// that could read nothing.
func (a *app) refreshDirectory(ctx context.Context, st *store.Store, c *feed.Client, key feed.Secret, force bool) (bool, store.DirectoryState, error) {
	due, err := a.directoryDue(ctx, st, force)
	if err != nil || !due {
		state, serr := st.DirectoryState(ctx)
		return false, state, errors.Join(err, serr)
	}
	now := a.env.now()
	var d *feed.Directory
	if key.Kind() == feed.KeyAdmin {
		d = allDenied(now)
	} else {
		fetch := a.env.fetchDirectory
		if fetch == nil {
			fetch = a.fetchDirectoryFromAPI
		}
		d, err = fetch(ctx, c)
		switch {
		case feed.IsPermission(err) || feed.IsAuth(err):
			d, err = allDenied(now), nil
		case err != nil:
			state, _ := st.DirectoryState(ctx)
			return false, state, err
		case d == nil:
			d = &feed.Directory{}
		}
		if d.Fetched.IsZero() {
			d.Fetched = now
		}
	}
	if err := st.SaveDirectory(ctx, d); err != nil {
		return false, store.DirectoryState{}, &cacheError{err: err}
	}
	state, err := st.DirectoryState(ctx)
	if err != nil {
		return true, state, &cacheError{err: err}
	}
	return true, state, nil
}

// syncDirectory is the directory step of claudit sync: it refreshes the
// directory when due and says on stderr, in one line, what the key could
// not read. A failed refresh is a warning: the feed sync stands.
func (a *app) syncDirectory(ctx context.Context, st *store.Store, c *feed.Client, force bool) error {
	key, _, err := a.key(ctx)
	if err != nil {
		return err
	}
	refreshed, state, err := a.refreshDirectory(ctx, st, c, key, force)
	var ce *cacheError
	switch {
	case errors.As(err, &ce):
		return err
	case err != nil:
		a.warn("warning: the directory could not be refreshed (%s); %s", describeFailure(err), a.directoryFallback(state))
		return nil
	case !refreshed:
		return nil
	}
	if note := state.ScopeNote(); note != "" {
		a.warn("%s", note)
	}
	return nil
}

// describeFailure is the short reason of a failed request.
func describeFailure(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", " ")
}

// directoryFallback says what names a failed refresh leaves.
func (a *app) directoryFallback(state store.DirectoryState) string {
	if !state.Known() {
		return "ids are shown as they are"
	}
	return "names come from the directory refreshed " + a.directoryAge(state) + " ago"
}

// directoryAge is how long ago the directory was refreshed, rounded.
func (a *app) directoryAge(state store.DirectoryState) string {
	return shortAge(a.env.now().Sub(state.Fetched))
}

// shortAge rounds d to its largest unit: 45s, 12m, 3h, 2d.
func shortAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", max(0, int(d/time.Second)))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}

// directoryStatus adds the directory's rows to claudit status: its age
// and counts, and what the key could not read.
func (a *app) directoryStatus(ctx context.Context, st *store.Store, row func(string, string)) error {
	state, err := st.DirectoryState(ctx)
	if err != nil {
		return &cacheError{err: err}
	}
	if !state.Known() {
		desc := "never refreshed (claudit sync refreshes it"
		if ttl := a.directoryTTL(); ttl == 0 {
			desc = "never refreshed (directory_ttl is 0: claudit sync --directory refreshes it"
		}
		row("directory", desc+")")
		if key, _, err := a.key(ctx); err == nil && key.Kind() == feed.KeyAdmin {
			row("", store.DirectoryState{Denied: allDenied(time.Time{}).Denied}.ScopeNote())
		}
		return nil
	}
	ts := state.Fetched.In(a.loc()).Format(printer.PrintTimeLayout)
	row("directory", fmt.Sprintf("refreshed %s ago (%s, %s); %s, %s, %s, %s, %s, %s",
		a.directoryAge(state), ts, printer.Count(state.Requests, "request"),
		printer.Count(state.Orgs, "organization"), printer.Count(state.Users, "user"),
		printer.Count(state.Removed, "removed user"), printer.Count(state.Groups, "group"),
		printer.Count(state.Roles, "role"), keyCount(state.Keys)))
	if note := state.ScopeNote(); note != "" {
		row("", note)
	}
	return nil
}

// keyCount is "1 Compliance key", "3 Compliance keys" (printer.Count
// would make "keies").
func keyCount(n int) string {
	if n == 1 {
		return "1 Compliance key"
	}
	return printer.Thousands(n) + " Compliance keys"
}

// refreshDirectoryQuietly is the explorer's directory step after a
// background sync: it refreshes the directory when due, with its own
// client on the same key and retry rules as the explorer's sync. Nothing
// is printed (the screen is the explorer's); what the key cannot read is
// in the stored refresh, for the header and status, and a failure leaves
// the last refresh in place.
func (a *app) refreshDirectoryQuietly(ctx context.Context, st *store.Store, getKey func(context.Context) (feed.Secret, error)) {
	key, err := getKey(ctx)
	if err != nil {
		return
	}
	c, err := a.newClient(key, nil, feed.WithRetry(feed.DefaultRetryPolicy()))
	if err != nil {
		return
	}
	_, _, _ = a.refreshDirectory(ctx, st, c, key, false)
}
