//go:build race

package feed_test

// raceEnabled shrinks the heaviest tests under the race detector, which
// slows the pure-Go SQLite driver several times over.
const raceEnabled = true
