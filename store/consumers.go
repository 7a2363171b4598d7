package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"claudit/feed"
)

// The arrival log (migration 0005) records which activities each commit
// inserted, in commit order, so "what entered the cache after position P"
// has an answer that includes late-indexed events (whose created_at, and so
// whose rid, is old). A position is the seq of the last arrival handled;
// 0 is before the first.

// recordArrival appends the rids of one Put's new rows (idx, ascending rid)
// to the arrival log, in the Put's transaction.
func recordArrival(ctx context.Context, tx *wtx, rows []ingestRow, idx []int, now int64) error {
	if len(idx) == 0 {
		return nil
	}
	// Ascending rid is newest first: store them the other way round,
	// oldest first, each as its distance below the previous one.
	buf := make([]byte, 0, 4*len(idx))
	prev := int64(0)
	for k := len(idx) - 1; k >= 0; k-- {
		rid := rows[idx[k]].rid
		if k == len(idx)-1 {
			buf = binary.AppendVarint(buf, rid)
		} else {
			buf = binary.AppendVarint(buf, prev-rid)
		}
		prev = rid
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO arrivals(at, n, rids) VALUES (?, ?, ?)`, now, len(idx), buf)
	return err
}

// decodeRids reverses recordArrival's encoding.
func decodeRids(b []byte, n int) ([]int64, error) {
	out := make([]int64, 0, n)
	var prev int64
	for len(b) > 0 {
		v, k := binary.Varint(b)
		if k <= 0 {
			return nil, errors.New("arrival log: corrupt rid list")
		}
		b = b[k:]
		if len(out) == 0 {
			prev = v
		} else {
			prev -= v
		}
		out = append(out, prev)
	}
	return out, nil
}

// ArrivalHead returns the newest position of the arrival log (0 when
// nothing arrived since migration 0005): a follower starting now starts
// there.
func (s *Store) ArrivalHead(ctx context.Context) (int64, error) {
	var seq int64
	err := s.r.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM arrivals`).Scan(&seq)
	return seq, mapErr("read arrival log", err)
}

// Arrived returns the rows matching q among the activities that arrived
// after position after: arrival by arrival, each oldest first (created_at,
// then id), until about limit activities have been read (at least one
// arrival). through is the position it read up to (after when nothing new
// arrived); every arrival in (after, through] is complete in rows. q's time
// terms apply as in Search.
func (s *Store) Arrived(ctx context.Context, q feed.Query, now time.Time, after int64, limit int) (rows []Row, through int64, err error) {
	through = after
	p, err := s.compile(ctx, q, now)
	if err != nil {
		return nil, after, err
	}
	rs, err := s.r.QueryContext(ctx, `SELECT seq, n, rids FROM arrivals WHERE seq > ? ORDER BY seq`, after)
	if err != nil {
		return nil, after, mapErr("read arrival log", err)
	}
	type arrival struct {
		seq  int64
		rids []int64
	}
	var batch []arrival
	read := 0
	for rs.Next() {
		var a arrival
		var n int
		var blob []byte
		if err := rs.Scan(&a.seq, &n, &blob); err != nil {
			rs.Close()
			return nil, after, mapErr("read arrival log", err)
		}
		if a.rids, err = decodeRids(blob, n); err != nil {
			rs.Close()
			return nil, after, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		batch = append(batch, a)
		read += len(a.rids)
		if read >= limit {
			break
		}
	}
	if err := errors.Join(rs.Err(), rs.Close()); err != nil {
		return nil, after, mapErr("read arrival log", err)
	}
	for _, a := range batch {
		if !p.none {
			got, err := s.matchRids(ctx, p, a.rids)
			if err != nil {
				return nil, after, mapErr("read arrival log", err)
			}
			rows = append(rows, got...)
		}
		through = a.seq
	}
	return rows, through, nil
}

// matchRids returns the rows among rids (one arrival's) that the plan
// matches, oldest first. The scan is bounded by the arrival's time span.
func (s *Store) matchRids(ctx context.Context, p *plan, rids []int64) ([]Row, error) {
	if len(rids) == 0 {
		return nil, nil
	}
	lo, hi := slices.Min(rids), slices.Max(rids)
	// hi is the oldest rid: its bucket is the lowest.
	fromSQL, fargs := p.from(ridBucket(hi), ridBucket(lo)+1)
	// The rids are integers the store made: safe to inline.
	cond, cargs := p.cond("a.rid IN (" + joinInts(rids) + ")")
	rs, err := s.r.QueryContext(ctx, "SELECT "+rowCols+" FROM "+fromSQL+cond, append(fargs, cargs...)...)
	if err != nil {
		return nil, err
	}
	got, err := scanRows(rs)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(got, cmpScanned)
	out := make([]Row, len(got))
	for i := range got {
		out[i] = got[i].Row
	}
	return out, nil
}

// Consumer returns the position a named consumer recorded (ok false when
// the name is new).
func (s *Store) Consumer(ctx context.Context, name string) (seq int64, ok bool, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT seq FROM consumers WHERE name = ?`, name).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, mapErr("read consumer "+name, err)
	}
	return seq, true, nil
}

// SetConsumer records that the named consumer, following query, has
// written and flushed every arrival up to position seq.
func (s *Store) SetConsumer(ctx context.Context, name, query string, seq int64) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO consumers(name, seq, query, updated) VALUES (?, ?, ?, ?)
		ON CONFLICT(name) DO UPDATE SET seq = excluded.seq, query = excluded.query, updated = excluded.updated`,
		name, seq, query, s.now().UnixNano())
	return mapErr("record consumer "+name, err)
}

// ConsumerInfo is one named consumer of the arrival log, for status.
type ConsumerInfo struct {
	Name    string
	Query   string
	Seq     int64     // every arrival up to Seq is written
	Updated time.Time // when it last recorded its position
	Behind  int       // arrivals (commits) after Seq not written yet
}

// Consumers lists the named consumers by name.
func (s *Store) Consumers(ctx context.Context) ([]ConsumerInfo, error) {
	rs, err := s.r.QueryContext(ctx, `SELECT name, query, seq, updated,
		(SELECT count(*) FROM arrivals WHERE arrivals.seq > consumers.seq) FROM consumers ORDER BY name`)
	if err != nil {
		return nil, mapErr("read consumers", err)
	}
	defer rs.Close()
	var out []ConsumerInfo
	for rs.Next() {
		var c ConsumerInfo
		var updated int64
		if err := rs.Scan(&c.Name, &c.Query, &c.Seq, &updated, &c.Behind); err != nil {
			return nil, mapErr("read consumers", err)
		}
		c.Updated = time.Unix(0, updated).UTC()
		out = append(out, c)
	}
	return out, mapErr("read consumers", rs.Err())
}
