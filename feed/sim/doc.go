// Package sim is a local simulator of the Compliance API Activity Feed
// (GET /v1/compliance/activities): an http.Handler that implements the
// contract in ACTIVITY_FEED.md faithfully (including the project decisions
// of its §15), over a dataset generated deterministically from a seed, with
// injectable faults. Tests, benchmarks and `claudit demo` run against it.
//
// The server owns no goroutines or timers: everything time-dependent (live
// events, late indexing, rate-limit windows, self events) is computed from
// Config.Now when a request arrives, so it works over real loopback and
// inside testing/synctest alike.
package sim
