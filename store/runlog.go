package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"claudit/feed"
)

// Cursor returns a persisted cursor by name ("" when none).
func (s *Store) Cursor(ctx context.Context, name string) (string, error) {
	var v string
	err := s.r.QueryRowContext(ctx, `SELECT value FROM cursors WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, mapErr("read cursor", err)
}

// BeginRun records the start of a sync run and returns its id.
func (s *Store) BeginRun(ctx context.Context, r feed.RunInfo) (int64, error) {
	started := r.Started
	if started.IsZero() {
		started = s.now()
	}
	var id int64
	err := s.w.QueryRowContext(ctx, `INSERT INTO sync_runs(kind, query, filter, win_from, win_to, started)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		r.Kind, r.Query, r.Filter, nullTime(r.Window.From), nullTime(r.Window.To), started.UnixNano()).Scan(&id)
	return id, mapErr("record sync run", err)
}

// EndRun records the outcome of a sync run; its request-ids are recorded
// as claudit's own.
func (s *Store) EndRun(ctx context.Context, id int64, r feed.RunSummary) error {
	finished := r.Finished
	if finished.IsZero() {
		finished = s.now()
	}
	reqs := r.RequestIDs
	if reqs == nil {
		reqs = []string{}
	}
	reqJSON, err := json.Marshal(reqs)
	if err != nil {
		return fmt.Errorf("record sync run: %w", err)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return mapErr("record sync run", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE sync_runs SET finished = ?, pages = ?, events = ?, inserted = ?, late = ?,
		anomalies = ?, retries = ?, start_cursor = ?, end_cursor = ?, final_request_id = ?, request_ids = ?, err = ?
		WHERE id = ?`, finished.UnixNano(), r.Pages, r.Events, r.Inserted, r.Late, r.Anomalies, r.Retries,
		r.StartCursor, r.EndCursor, r.FinalRequestID, string(reqJSON), r.Err, id)
	if err != nil {
		return mapErr("record sync run", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("record sync run %d: %w", id, ErrNotFound)
	}
	ids := append([]string{}, r.RequestIDs...)
	if r.FinalRequestID != "" {
		ids = append(ids, r.FinalRequestID)
	}
	if err := recordRequestIDs(ctx, tx, ids, finished.UnixNano()); err != nil {
		return mapErr("record sync run", err)
	}
	if err := tx.Commit(); err != nil {
		return mapErr("record sync run", err)
	}
	s.compactIndexes(ctx)
	return nil
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}
