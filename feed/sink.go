package feed

import (
	"context"
	"time"
)

// Range is the half-open time interval [From, To).
type Range struct {
	From time.Time
	To   time.Time
}

// Batch is one fetched page together with the progress it proves: the store
// commits both in one transaction, so a crash keeps both or neither.
type Batch struct {
	// Filter is the canonical server-side filter signature the page was
	// fetched with (Query.ServerFilter().Encode()); "" means unfiltered.
	Filter string
	// Activities are the page's activities in the order received.
	Activities []Activity
	// Covered is the time range this page completes for Filter. It is
	// merged into coverage together with the page; zero means none yet.
	Covered Range
	// Cursor names and values a cursor to persist with the page ("" = none),
	// e.g. the live tail's newest cursor once its catch-up loop ends.
	CursorName  string
	CursorValue string
	// RunID is the sync run this page belongs to (0 = none).
	RunID int64
	// RequestID is the request-id of the response that carried the page.
	RequestID string
	// Prepared is what the Sink's Preparer made of Activities ahead of
	// Put (nil: Put does that work itself).
	Prepared Prepared
}

// Preparer is implemented by a Sink whose Put does CPU work on a page
// before it writes (the store extracts what it indexes). A parallel
// backfill's fetch workers prepare each page as it arrives, concurrently,
// and pass the result to Put in Batch.Prepared, so the one writer only
// writes.
type Preparer interface {
	// Prepare does Put's work on acts that needs no transaction. It must
	// be safe for concurrent use; an error is Put's to report, so a caller
	// may ignore it and leave Prepared nil.
	Prepare(acts []Activity) (Prepared, error)
}

// Prepared is a Preparer's work on a page, opaque to feed. Put ignores one
// made from other activities than the Batch's own.
type Prepared interface {
	// Of reports whether it was made from exactly acts (the same slice).
	Of(acts []Activity) bool
}

// PutResult says what a Put did with a batch.
type PutResult struct {
	Inserted  int // new activities
	Duplicate int // ids already cached with identical content
	Anomalies int // ids already cached with different content (kept once, recorded)
	Late      int // new activities inside a range that was already covered
}

// Sink is where the Syncer writes; the store implements it. feed never
// imports the store.
type Sink interface {
	// Missing returns the parts of r not yet covered for filter, newest first.
	Missing(ctx context.Context, filter string, r Range) ([]Range, error)
	// Put commits a page and its progress marker atomically.
	Put(ctx context.Context, b Batch) (PutResult, error)
	// Cursor returns a persisted cursor by name ("" when none).
	Cursor(ctx context.Context, name string) (string, error)
	// RecordRequestIDs remembers request-ids claudit received, so the
	// compliance_api_accessed events its own requests cause are tagged self.
	RecordRequestIDs(ctx context.Context, ids ...string) error
	// BeginRun and EndRun record a sync run in the sync_runs log.
	BeginRun(ctx context.Context, r RunInfo) (int64, error)
	EndRun(ctx context.Context, id int64, r RunSummary) error
}

// RunInfo describes a sync run when it starts.
type RunInfo struct {
	Kind    string // "window" or "tail"
	Query   string // canonical query text
	Filter  string
	Window  Range
	Started time.Time
}

// RunSummary is the outcome of a sync run.
type RunSummary struct {
	Finished  time.Time
	Pages     int
	Events    int // activities received
	Inserted  int
	Late      int
	Anomalies int
	// OutOfWindow counts rows the server sent outside the range asked
	// for: a server anomaly; they are neither stored nor trusted.
	OutOfWindow    int
	Retries        int
	StartCursor    string
	EndCursor      string
	FinalRequestID string
	RequestIDs     []string
	Err            string // "" on success

	// RunID is the run's id in the sink's sync log, and Window and Started
	// the window and start it was recorded with (BeginRun). Syncer.Sync
	// sets them; EndRun does not store them again.
	RunID   int64
	Window  Range
	Started time.Time
}

// RateLimit is the rate budget reported by the anthropic-ratelimit-requests-*
// headers. The budget (600/min) is shared by the whole organisation.
type RateLimit struct {
	Limit     int
	Remaining int
	Reset     time.Time
	Known     bool // false until a response carried the headers
}

// Progress is one report from a sync in flight, for progress bars and the
// TUI header. There is no total count in the API, so progress is measured
// in time: Reached moves from the window's end toward its start.
type Progress struct {
	Phase     string // "window", "tail", "reconcile", "retry", "done"
	Window    Range  // the range being fetched
	Reached   time.Time
	Pages     int
	Events    int // activities received
	Inserted  int
	Late      int
	Anomalies int
	// OutOfWindow counts rows received outside the range requested (not stored).
	OutOfWindow int
	Retries     int
	// RetryWait and RetryStatus describe a wait in progress (Phase "retry").
	RetryWait   time.Duration
	RetryStatus int
	RateLimit   RateLimit
	// Live tail: the current poll interval and when the last poll ended.
	PollInterval time.Duration
	LastPoll     time.Time
	// Parallel window sync: windows finished of those known so far (splits
	// included), and how many requests may be in flight now.
	Windows     int
	WindowsDone int
	Parallel    int
	Err         error // set on the final report of a failed sync, or a tail error it will retry
}
