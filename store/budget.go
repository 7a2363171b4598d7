package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"claudit/feed"
)

// RecordBudget remembers the rate budget a response reported at seen, for
// claudit status (the budget is shared by the whole organisation: the
// last one seen is the best guess until the next request). An unknown
// budget is not recorded.
func (s *Store) RecordBudget(ctx context.Context, rl feed.RateLimit, seen time.Time) error {
	if !rl.Known {
		return nil
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO budget(id, lim, remaining, reset, seen) VALUES (1, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET lim = excluded.lim, remaining = excluded.remaining, reset = excluded.reset, seen = excluded.seen`,
		rl.Limit, rl.Remaining, rl.Reset.UnixNano(), seen.UnixNano())
	return mapErr("record rate budget", err)
}

// Budget returns the last rate budget recorded and when it was seen
// (Known false when none was).
func (s *Store) Budget(ctx context.Context) (feed.RateLimit, time.Time, error) {
	var lim, rem int
	var reset, seen int64
	err := s.r.QueryRowContext(ctx, `SELECT lim, remaining, reset, seen FROM budget WHERE id = 1`).Scan(&lim, &rem, &reset, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		return feed.RateLimit{}, time.Time{}, nil
	}
	if err != nil {
		return feed.RateLimit{}, time.Time{}, mapErr("read rate budget", err)
	}
	return feed.RateLimit{Limit: lim, Remaining: rem, Reset: time.Unix(0, reset).UTC(), Known: true}, time.Unix(0, seen).UTC(), nil
}
