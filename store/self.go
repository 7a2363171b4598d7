package store

import (
	"context"
	"database/sql"
)

const typeCAC = "compliance_api_accessed"

// markSelf sets Self on compliance_api_accessed rows caused by claudit: their
// request_id is one claudit received, or their key is one learnt earlier.
// It returns the keys learnt from this batch.
func (s *Store) markSelf(ctx context.Context, tx *sql.Tx, rows []ingestRow, now int64) ([]string, error) {
	var reqs []any
	for i := range rows {
		if rows[i].actorKey != "" && rows[i].reqID != "" {
			reqs = append(reqs, rows[i].reqID)
		}
	}
	if len(reqs) == 0 {
		// Still need the known keys for rows without a request id.
		if !hasCAC(rows) {
			return nil, nil
		}
	}
	known := map[string]bool{}
	for start := 0; start < len(reqs); start += 500 {
		part := reqs[start:min(len(reqs), start+500)]
		q := `SELECT id FROM request_ids WHERE id IN (` + placeholders(len(part)) + `)`
		rs, err := tx.QueryContext(ctx, q, part...)
		if err != nil {
			return nil, err
		}
		for rs.Next() {
			var id string
			if err := rs.Scan(&id); err != nil {
				rs.Close()
				return nil, err
			}
			known[id] = true
		}
		if err := rs.Close(); err != nil {
			return nil, err
		}
	}
	own, err := ownKeys(ctx, tx)
	if err != nil {
		return nil, err
	}
	var learnt []string
	for i := range rows {
		if rows[i].actorKey != "" && known[rows[i].reqID] && !own[rows[i].actorKey] {
			own[rows[i].actorKey] = true
			learnt = append(learnt, rows[i].actorKey)
		}
	}
	for i := range rows {
		if rows[i].actorKey != "" && (own[rows[i].actorKey] || known[rows[i].reqID]) {
			rows[i].self = true
		}
	}
	return learnt, nil
}

func hasCAC(rows []ingestRow) bool {
	for i := range rows {
		if rows[i].actorKey != "" {
			return true
		}
	}
	return false
}

func ownKeys(ctx context.Context, q querier) (map[string]bool, error) {
	rs, err := q.QueryContext(ctx, `SELECT key FROM own_keys`)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	own := map[string]bool{}
	for rs.Next() {
		var k string
		if err := rs.Scan(&k); err != nil {
			return nil, err
		}
		own[k] = true
	}
	return own, rs.Err()
}

// learnKeys records keys as claudit's own and marks their earlier
// compliance_api_accessed events Self.
func learnKeys(ctx context.Context, tx *sql.Tx, keys []string, now int64) error {
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO own_keys(key, learnt) VALUES (?, ?)`, k, now); err != nil {
			return err
		}
		var typeID, actorID sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT (SELECT id FROM terms WHERE v = ?), (SELECT id FROM terms WHERE v = ?)`,
			typeCAC, k).Scan(&typeID, &actorID)
		if err != nil {
			return err
		}
		if !typeID.Valid || !actorID.Valid {
			continue // never stored: nothing to mark
		}
		// The match through the FTS index would flush it early; the typed
		// columns say the same thing.
		if _, err := tx.ExecContext(ctx, `UPDATE activities SET self = 1 WHERE type = ? AND actor = ? AND self = 0`,
			typeID.Int64, actorID.Int64); err != nil {
			return err
		}
	}
	return nil
}

// RecordRequestIDs records request-ids of responses claudit received, so the
// compliance_api_accessed events they caused are marked Self (including
// ones already cached).
func (s *Store) RecordRequestIDs(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	now := s.now().UnixNano()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return mapErr("record request ids", err)
	}
	defer tx.Rollback()
	if err := recordRequestIDs(ctx, tx, ids, now); err != nil {
		return mapErr("record request ids", err)
	}
	return mapErr("record request ids", tx.Commit())
}

func recordRequestIDs(ctx context.Context, tx *sql.Tx, ids []string, now int64) error {
	var keys []string
	for _, id := range ids {
		if id == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO request_ids(id, seen) VALUES (?, ?)`, id, now); err != nil {
			return err
		}
		// An event of this request may already be cached: find it through
		// the reference index (request_id is a top-level id: role target).
		match := "r : " + token(tokTarget, normRef(id)) + " AND r : " + token(tokType, typeCAC)
		rs, err := tx.QueryContext(ctx, `SELECT t.v FROM fts JOIN activities a ON a.rid = fts.rowid
			JOIN terms t ON t.id = a.actor WHERE fts MATCH ?`, match)
		if err != nil {
			return err
		}
		for rs.Next() {
			var k string
			if err := rs.Scan(&k); err != nil {
				rs.Close()
				return err
			}
			keys = append(keys, k)
		}
		if err := rs.Close(); err != nil {
			return err
		}
	}
	own, err := ownKeys(ctx, tx)
	if err != nil {
		return err
	}
	var learnt []string
	for _, k := range keys {
		if !own[k] {
			own[k] = true
			learnt = append(learnt, k)
		}
	}
	return learnKeys(ctx, tx, learnt, now)
}
