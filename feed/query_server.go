package feed

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// What of a query the server can filter on (ACTIVITY_FEED.md §3), and
// what must be filtered locally.

// Server-side filter parameter names (ACTIVITY_FEED.md §3).
const (
	ParamActivityTypes        = "activity_types[]"
	ParamExcludeActivityTypes = "exclude_activity_types[]"
	ParamActorIDs             = "actor_ids[]"
	ParamOrganizationIDs      = "organization_ids[]"
	ParamCreatedAtGTE         = "created_at.gte"
	ParamCreatedAtLT          = "created_at.lt"
)

// serverTypes returns the type list to send and whether it is an include
// list. With both includes and excludes the server gets the include list
// minus the excludes, never both lists (the API forbids combining them).
func (q Query) serverTypes() (list []string, include, exact bool, err error) {
	c := Catalogue()
	inc, err := c.ExpandAll(q.Type.Include)
	if err != nil {
		return nil, false, false, fmt.Errorf("type filter: %w", err)
	}
	exc, err := c.ExpandAll(q.Type.Exclude)
	if err != nil {
		return nil, false, false, fmt.Errorf("type filter: %w", err)
	}
	if len(inc) > 0 && len(exc) > 0 {
		kept := slices.DeleteFunc(slices.Clone(inc), func(n string) bool {
			_, found := slices.BinarySearch(exc, n)
			return found
		})
		if len(kept) == 0 {
			// Nothing can match; an empty list would mean "all types", so
			// send the include list and let the cache drop the rest.
			return inc, true, false, nil
		}
		inc = kept
	}
	if len(inc) == 0 {
		if len(exc) > maxServerTypes {
			// Too long for a URL; an include list of the complement would
			// drop types the catalogue does not know yet, so send no type
			// filter and let the cache filter.
			return nil, false, false, nil
		}
		return exc, false, true, nil
	}
	if len(inc) > maxServerTypes {
		// A broad glob (type:*) would make a URL of tens of kilobytes;
		// exclude the smaller complement instead. Types the catalogue does
		// not know then come through too, so the cache must filter again.
		var comp []string
		for _, n := range c.Names() {
			if _, found := slices.BinarySearch(inc, n); !found {
				comp = append(comp, n)
			}
		}
		if len(comp) < len(inc) {
			return comp, false, false, nil
		}
	}
	return inc, true, true, nil
}

// maxServerTypes is the longest activity_types[] list sent as is: about 8 KB
// of query string, well under common URL limits.
const maxServerTypes = 250

// allUserIDs reports whether v is non-empty and every value is a user_… id,
// the only actor ids the server can filter on.
func allUserIDs(v []string) bool {
	if len(v) == 0 {
		return false
	}
	for _, s := range v {
		if !strings.HasPrefix(s, "user_") {
			return false
		}
	}
	return true
}

// ServerFilter returns only what the server filters on, without time
// bounds: activity_types[] or exclude_activity_types[] (expanded, sorted,
// de-duplicated; never both), actor_ids[] when every actor include is a
// user id, and organization_ids[] for org includes. An include list longer
// than a few hundred types is sent as the exclusion of its complement. Its
// Encode() is deterministic and is the coverage filter signature
// ("" = unfiltered).
func (q Query) ServerFilter() (url.Values, error) {
	v := url.Values{}
	types, include, _, err := q.serverTypes()
	if err != nil {
		return nil, err
	}
	if len(types) > 0 {
		if include {
			v[ParamActivityTypes] = types
		} else {
			v[ParamExcludeActivityTypes] = types
		}
	}
	if allUserIDs(q.Actor.Include) {
		v[ParamActorIDs] = slices.Clone(q.Actor.Include)
	}
	if len(q.Org.Include) > 0 {
		v[ParamOrganizationIDs] = slices.Clone(q.Org.Include)
	}
	return v, nil
}

// ServerParams is ServerFilter plus created_at.gte=from and created_at.lt=to
// (RFC 3339 UTC with nanoseconds as needed); a zero bound is omitted.
func (q Query) ServerParams(from, to time.Time) (url.Values, error) {
	v, err := q.ServerFilter()
	if err != nil {
		return nil, err
	}
	if !from.IsZero() {
		v.Set(ParamCreatedAtGTE, from.UTC().Format(time.RFC3339Nano))
	}
	if !to.IsZero() {
		v.Set(ParamCreatedAtLT, to.UTC().Format(time.RFC3339Nano))
	}
	return v, nil
}

// NeedsLocalFilter reports whether some term cannot be evaluated by the
// server, so results fetched with ServerFilter must be filtered again.
func (q Query) NeedsLocalFilter() bool {
	if !q.Key.IsZero() || !q.IP.IsZero() || !q.Text.IsZero() || !q.ID.IsZero() || !q.Is.IsZero() {
		return true
	}
	if len(q.Actor.Exclude) > 0 || (len(q.Actor.Include) > 0 && !allUserIDs(q.Actor.Include)) {
		return true
	}
	if len(q.Org.Exclude) > 0 {
		return true
	}
	_, _, exact, err := q.serverTypes()
	return err != nil || !exact
}
