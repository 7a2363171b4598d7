package store

import (
	"time"

	"claudit/feed"
)

// Direction is the paging direction of a keyset search.
type Direction int

const (
	// Older pages toward older activities (the default, newest first).
	Older Direction = iota
	// Newer pages toward newer activities.
	Newer
)

// Cursor is a keyset position: (CreatedAt, ID) of a row. The zero Cursor
// means "from the newest end" with Older and "from the oldest end" with Newer.
type Cursor struct {
	CreatedAt time.Time
	ID        string
}

// IsZero reports whether c is the zero cursor.
func (c Cursor) IsZero() bool { return c.ID == "" && c.CreatedAt.IsZero() }

// Row is one cached activity as the UI and CLI see it.
type Row struct {
	feed.Activity
	Group    string    // catalogue group of the type ("other" when unknown)
	Ingested time.Time // when this cache first stored it
	Self     bool      // a compliance_api_accessed event caused by claudit itself
	Late     bool      // arrived after its time range was already marked complete
	Marked   bool      // the analyst marked it
	Note     string    // the analyst's note on the mark
}

// Cursor returns the keyset position of the row.
func (r Row) Cursor() Cursor { return Cursor{CreatedAt: r.CreatedAt, ID: r.ID} }

// FacetCount is one value of a facet with its number of events.
type FacetCount struct {
	Value string
	Count int
}

// Facets are the top values of a query's results.
type Facets struct {
	Actors []FacetCount
	Types  []FacetCount
	IPs    []FacetCount
	Keys   []FacetCount
	Orgs   []FacetCount
	// Rows is how many results were counted: the newest ones, up to a
	// bound; Capped is true when more results matched.
	Rows   int
	Capped bool
}

// Histogram counts a query's events in equal buckets over [From, To).
type Histogram struct {
	From, To time.Time
	Buckets  []int
}

// Coverage says how much of a window the cache holds completely for a
// server-side filter.
type Coverage struct {
	Window   feed.Range
	Covered  []feed.Range // complete parts, oldest first
	Missing  []feed.Range // gaps, newest first
	Fraction float64      // covered duration / window duration, 0..1
}

// LifecycleEvent is one step in a key's life: created, renamed, activated,
// deactivated, revoked, deleted, scopes changed…
type LifecycleEvent struct {
	Row    Row
	Action string        // "created", "renamed", "deactivated", "activated", "revoked", "deleted", "updated"
	Change []feed.Update // the updates[] transitions, when the event has them
}

// Dossier answers "what is this key and what did it do".
type Dossier struct {
	KeyID     string
	KeyKind   string // "compliance/scoped", "admin", "console", "service", "" when unknown
	Name      string // last known name
	Lifecycle []LifecycleEvent
	// What the key did as an actor.
	ActedCount int
	ByType     []FacetCount
	FirstSeen  time.Time
	LastSeen   time.Time
	IPs        []FacetCount
	UserAgents []FacetCount
	// Mentions counts every event that mentions the key at all.
	Mentions int
}

// Stats describes the cache as a whole.
type Stats struct {
	Path      string
	Events    int
	Bytes     int64 // database + WAL on disk
	Oldest    time.Time
	Newest    time.Time
	Mode      string // file permissions, e.g. "-rw-------"
	Tightened bool   // Open had to tighten permissions that were too open
	LastRun   *Run
}

// Run is one recorded sync run (the sync_runs log).
type Run struct {
	ID      int64
	Info    feed.RunInfo
	Summary feed.RunSummary
}
