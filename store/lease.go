package store

import (
	"context"
	"time"

	"claudit/feed"
)

// TakeLease claims window r of filter's backfill for owner until the given
// time, unless another owner holds an unexpired lease on a window that
// overlaps r; it reports whether the claim was made. Expired leases (their
// owner was killed, or stopped renewing) are dropped first, so their
// windows are taken over. The check and the claim are one transaction.
func (s *Store) TakeLease(ctx context.Context, filter string, r feed.Range, owner string, until time.Time) (bool, error) {
	sp := toSpan(r)
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return false, mapErr("take lease", err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `DELETE FROM sync_leases WHERE until <= ?`, s.now().UnixNano()); err != nil {
		return false, mapErr("take lease", err)
	}
	var held int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sync_leases
		WHERE filter = ? AND owner <> ? AND win_lo < ? AND win_hi > ?`, filter, owner, sp.hi, sp.lo).Scan(&held); err != nil {
		return false, mapErr("take lease", err)
	}
	if held > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sync_leases(filter, win_lo, win_hi, owner, until) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT(filter, win_lo, win_hi) DO UPDATE SET owner = excluded.owner, until = excluded.until`,
		filter, sp.lo, sp.hi, owner, until.UnixNano()); err != nil {
		return false, mapErr("take lease", err)
	}
	return true, mapErr("take lease", tx.Commit())
}

// RenewLeases moves the expiry of every lease of owner to until.
func (s *Store) RenewLeases(ctx context.Context, owner string, until time.Time) error {
	_, err := s.w.ExecContext(ctx, `UPDATE sync_leases SET until = ? WHERE owner = ?`, until.UnixNano(), owner)
	return mapErr("renew leases", err)
}

// ReleaseLeases drops every lease of owner.
func (s *Store) ReleaseLeases(ctx context.Context, owner string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM sync_leases WHERE owner = ?`, owner)
	return mapErr("release leases", err)
}
