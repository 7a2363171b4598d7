package store

import (
	"context"
	"fmt"
)

// Mark flags an activity (is:marked) with an analyst's note.
func (s *Store) Mark(ctx context.Context, id, note string) error {
	return s.setMark(ctx, id, true, note)
}

// Unmark removes an activity's mark and note.
func (s *Store) Unmark(ctx context.Context, id string) error {
	return s.setMark(ctx, id, false, "")
}

func (s *Store) setMark(ctx context.Context, id string, on bool, note string) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return mapErr("mark activity", err)
	}
	defer tx.Rollback()
	rid, ok, err := findID(ctx, tx, id)
	if err != nil {
		return mapErr("mark activity", err)
	}
	if !ok {
		return fmt.Errorf("mark activity %s: %w", id, ErrNotFound)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE activities SET marked = ? WHERE rid = ?`, b2i(on), rid); err != nil {
		return mapErr("mark activity", err)
	}
	if on {
		_, err = tx.ExecContext(ctx, `INSERT INTO notes(id, note, marked) VALUES (?, ?, ?)
			ON CONFLICT(id) DO UPDATE SET note = excluded.note, marked = excluded.marked`, id, note, s.now().UnixNano())
	} else {
		_, err = tx.ExecContext(ctx, `DELETE FROM notes WHERE id = ?`, id)
	}
	if err != nil {
		return mapErr("mark activity", err)
	}
	return mapErr("mark activity", tx.Commit())
}
