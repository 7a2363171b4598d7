package ui

import (
	"context"
	"time"

	"claudit/feed"
	"claudit/store"
)

// Source is what the UI reads; *store.Store satisfies it. Every call happens
// inside a tea.Cmd, never in Update or View.
type Source interface {
	Search(ctx context.Context, q feed.Query, now time.Time, from store.Cursor, dir store.Direction, n int) ([]store.Row, error)
	Get(ctx context.Context, id string) (store.Row, error)
	Count(ctx context.Context, q feed.Query, now time.Time, limit int) (int, bool, error)
	Histogram(ctx context.Context, q feed.Query, now time.Time, from, to time.Time, buckets int) (store.Histogram, error)
	Facets(ctx context.Context, q feed.Query, now time.Time, n int) (store.Facets, error)
	Dossier(ctx context.Context, keyID string) (store.Dossier, error)
	Coverage(ctx context.Context, filter string, r feed.Range) (store.Coverage, error)
	Suggest(ctx context.Context, field, prefix string, n int) ([]string, error)
	NearMisses(ctx context.Context, q feed.Query, n int) ([]store.NearMiss, error)
	// FindSearch and FindCount are Search and Count over the rows of q
	// that also hold text as free text (the find, find.go); FindCount
	// counts only the rows newer than after when it is not zero.
	FindSearch(ctx context.Context, q feed.Query, now time.Time, text string, from store.Cursor, dir store.Direction, n int) ([]store.Row, error)
	FindCount(ctx context.Context, q feed.Query, now time.Time, text string, after store.Cursor, limit int) (int, bool, error)
	Mark(ctx context.Context, id, note string) error
	Unmark(ctx context.Context, id string) error
	// Names is the directory's name index (nil, nil before the first
	// directory refresh: ids then show as themselves).
	Names(ctx context.Context) (*store.Names, error)
}

// Deps is everything the program needs from the outside world; main.go
// builds it.
type Deps struct {
	Source Source
	// Sync fetches the query's window into the cache, reporting progress.
	// nil means offline. It starts after the first screen is drawn and is
	// restarted (the previous run cancelled) whenever the query changes.
	Sync func(ctx context.Context, q feed.Query, report func(feed.Progress)) error
	// Tail follows the newest events of the query into the cache until ctx
	// is cancelled (main passes feed.Syncer.Tail), reporting after every
	// poll: Phase "tail" with Inserted (new events that are not claudit's
	// own), PollInterval, LastPoll, RateLimit and, for a failed poll it will
	// retry, Err; Phase "retry" with RetryWait and RetryStatus while the API
	// pushes back. It runs while the live mode (f) is on, under the query's
	// context: a new query restarts it, f or quit cancels it. nil disables
	// live tail (f then only keeps the cursor on the newest cached row).
	Tail func(ctx context.Context, q feed.Query, report func(feed.Progress)) error
	// Export writes the evidence bundle of q into dir (a new directory
	// named by the UI inside ExportDir) and returns where it wrote it; main
	// passes the code behind `claudit export`. r is non-nil while redaction
	// is on: every activity written must then pass through r.JSON, and
	// anything else that names a person through r.String. ctrl+s calls it
	// with the current query, or with is:marked when events are marked.
	// nil disables ctrl+s.
	Export func(ctx context.Context, q feed.Query, dir string, r *feed.Redactor) (path string, err error)
	// ExportDir is where ctrl+s bundles and :timeline files go (created
	// when needed); "" refuses to export, never the current directory.
	ExportDir string
	// Redact starts the program in screen-share mode (--redact); R toggles.
	Redact bool
	// Redactor masks while redacting; the CLI passes its own so a value
	// gets one mask on screen and in what the process prints after. nil:
	// a fresh one with a random salt.
	Redactor *feed.Redactor
	Query    feed.Query // initial query
	Profile  string
	KeyLabel string // already masked, e.g. "admin key …x9Qa" ("" = none/demo)
	Now      func() time.Time
	// DefaultSince is the window used for coverage, histogram and sync when
	// the query has no time term (30 days).
	DefaultSince time.Duration
	UTC, NoColor bool
	// Local is the analyst's time zone: the local clock of t and of
	// timelines, and the working hours of the off-hours tripwire (nil:
	// time.Local).
	Local *time.Location

	// Views are the analyst's saved queries (the config file's [views]),
	// in the file's order. The palette offers each as "view NAME — QUERY";
	// choosing one applies its query and pushes the pivot stack.
	Views []View
	// Columns chooses the table's columns and their order by name
	// (ColumnNames; checked with CheckColumns). The flags column always
	// comes first. nil shows every column that fits, in the default order.
	Columns []string
	// KeyOverrides rebinds actions on top of DefaultKeyMap: action name
	// (BindableActions) → keys, as KeyMap.Rebind takes them. main checks
	// them at load time; if they still fail, the defaults stay and the
	// status line says why.
	KeyOverrides map[string][]string
}

// View is a saved query with a name.
type View struct {
	Name  string
	Query string // query text as written; it parses (feed.Parse)
}
