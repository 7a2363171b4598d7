// Package sim is a local simulator of the Compliance API Activity Feed
// (GET /v1/compliance/activities): an http.Handler that implements the
// contract in ACTIVITY_FEED.md faithfully (including the project decisions
// of its §15), over a dataset generated deterministically from a seed, with
// injectable faults. It also serves the Compliance directory of §13
// (organizations, users, roles, groups and members, settings with the
// Compliance keys) for the same generated world. Tests, benchmarks and
// `claudit demo` run against it.
//
// The server owns no goroutines or timers: everything time-dependent (live
// events, late indexing, rate-limit windows, self events) is computed from
// Config.Now when a request arrives, so it works over real loopback and
// inside testing/synctest alike.
//
// Keys have coherent lifecycles in the whole dataset, historical and live:
// each kind (Compliance Access, Console, Admin, service, signing and
// encryption keys) has its own ids and activity types; a key is created
// once (or existed before the dataset), renames chain, states switch only
// from the state the key is in, nothing happens to it once it is gone, and
// a key acts only while it is active, in its own organisation. The
// Scenario's keys have only their story's events.
package sim
