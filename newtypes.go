package main

import (
	"context"
	"strconv"
	"strings"
	"time"

	"claudit/feed"
	"claudit/store"
	"claudit/ui/printer"
)

// maxCachedTypes bounds how many distinct activity types are read from the
// cache's suggestion table: the feed has a few hundred.
const maxCachedTypes = 100_000

// uncataloguedTypes returns the activity types the cache holds that the
// built-in catalogue does not know (types newer than it), sorted.
func uncataloguedTypes(ctx context.Context, st *store.Store) ([]string, error) {
	types, err := st.Suggest(ctx, "type", "", maxCachedTypes)
	if err != nil {
		return nil, err
	}
	return feed.Catalogue().Uncatalogued(types), nil
}

// noteNewTypes says once, on stderr, that a sync brought activity types
// newer than the catalogue into the cache: those in the cache now and not
// in before (what the cache held before the sync). Their events are
// stored and searchable like any other; the note only explains why they
// have no description.
func (a *app) noteNewTypes(ctx context.Context, st *store.Store, before []string) {
	after, err := uncataloguedTypes(ctx, st)
	if err != nil {
		return // a note, not worth failing a sync over
	}
	seen := make(map[string]bool, len(before))
	for _, t := range before {
		seen[t] = true
	}
	var fresh []string
	for _, t := range after {
		if !seen[t] {
			fresh = append(fresh, t)
		}
	}
	if len(fresh) > 0 {
		a.warn("%s newer than the built-in catalogue (%s); their events are stored and searchable as usual",
			printer.Count(len(fresh), "activity type"), nameList(fresh, 5))
	}
}

// catalogueStatus is claudit status's catalogue row: the catalogue's date
// and size and, when st is not nil, the cache's types newer than it.
func catalogueStatus(ctx context.Context, st *store.Store) string {
	c := feed.Catalogue()
	s := printer.Count(c.Len(), "activity type") + ", as of " + c.AsOf().Format(time.DateOnly)
	if st == nil {
		return s
	}
	newer, err := uncataloguedTypes(ctx, st)
	if err == nil && len(newer) > 0 {
		s += "; the cache holds " + printer.Count(len(newer), "type") + " newer than it (" + nameList(newer, 5) + ")"
	}
	return s
}

// nameList joins at most n names, saying how many more there are.
func nameList(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:n], ", ") + ", and " + strconv.Itoa(len(names)-n) + " more"
}
