package store

import (
	"context"
	"fmt"
	"strings"
	"unsafe"
)

func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?,", n-1) + "?"
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// chunks cuts n rows into statements of a few fixed sizes: as many of
// limit as fit, then powers of two, largest first (4212 rows of at most
// 1000 are 4×1000, 128, 64, 16 and 4). Each size is prepared once and
// cached, whatever the page sizes; preparing a statement of a thousand
// rows costs as much as running it.
func chunks(n, limit int) []int {
	var out []int
	for ; n >= limit; n -= limit {
		out = append(out, limit)
	}
	for size := 1 << 30; n > 0; size >>= 1 {
		if size <= n {
			out = append(out, size)
			n -= size
		}
	}
	return out
}

func termArg(ids map[string]int64, v string) any {
	if v == "" {
		return nil
	}
	return ids[v]
}

// Bulk statement sizes (rows per statement), bounded by SQLite's 32766
// parameters per statement.
const (
	actCols  = 14
	actChunk = 1000
	ftsChunk = 10000
)

func (row *ingestRow) actArgs(args []any, ids map[string]int64, now int64) []any {
	args = append(args, row.rid, row.a.ID, row.t)
	for _, v := range row.terms {
		args = append(args, termArg(ids, v))
	}
	// The driver copies the text: no need for a Go copy of the raw JSON.
	raw := unsafe.String(unsafe.SliceData(row.a.Raw), len(row.a.Raw))
	return append(args, now, raw)
}

// actInsert leaves the flags to their defaults (0): the few Self, Late and tripwire
// rows are updated after (fewer values to bind per row).
const actInsert = `INSERT INTO activities(rid, id, t, type, atype, actor, email, ip, ua, org, orgu, tkey, ingested, raw)`

// insertActivities bulk-inserts the rows idx points at. A row whose rid
// slot another id holds (same millisecond, same 20 hash bits) moves to the
// next free slot.
func (s *Store) insertActivities(ctx context.Context, tx *wtx, rows []ingestRow, idx []int, ids internIDs, now int64) error {
	args := make([]any, 0, min(len(idx), actChunk)*actCols)
	start := 0
	for _, size := range chunks(len(idx), actChunk) {
		part := idx[start : start+size]
		start += size
		// Plain ? parameters: SQLite looks numbered ones up by a linear
		// search, which makes binding thousands of them quadratic.
		st, err := tx.bulk(ctx, actInsert, "ON CONFLICT DO NOTHING", actCols, len(part))
		if err != nil {
			return err
		}
		args = args[:0]
		for _, i := range part {
			args = rows[i].actArgs(args, ids.terms, now)
		}
		res, err := st.ExecContext(ctx, args...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if int(n) == len(part) {
			continue
		}
		// Some rids were taken: the rows whose id is not at their rid move.
		rids := make([]int64, len(part))
		for k, i := range part {
			rids[k] = rows[i].rid
		}
		held, err := heldIDs(ctx, tx, rids)
		if err != nil {
			return err
		}
		for _, i := range part {
			if held[rows[i].rid].id != rows[i].a.ID {
				if err := insertProbing(ctx, tx, &rows[i], ids.terms, now); err != nil {
					return err
				}
			}
		}
	}
	for _, i := range idx {
		if rows[i].self || rows[i].late || rows[i].trip {
			if _, err := tx.ExecContext(ctx, `UPDATE activities SET self = ?, late = ?, tripwire = ? WHERE rid = ?`,
				b2i(rows[i].self), b2i(rows[i].late), b2i(rows[i].trip), rows[i].rid); err != nil {
				return err
			}
		}
	}
	return nil
}

// insertProbing inserts one row whose rid slot is taken, trying the next
// free slot of the same millisecond.
func insertProbing(ctx context.Context, tx *wtx, row *ingestRow, ids map[string]int64, now int64) error {
	lo := ridOf(bucket(row.t), 0)
	slot := row.rid - lo
	for n := 0; n < ridSlots; n++ {
		slot = (slot + 1) % ridSlots
		row.rid = lo + slot
		var taken int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM activities WHERE rid = ?`, row.rid).Scan(&taken); err != nil {
			return err
		}
		if taken == 0 {
			_, err := tx.ExecContext(ctx, actInsert+` VALUES (`+placeholders(actCols)+`)`, row.actArgs(nil, ids, now)...)
			return err
		}
	}
	return fmt.Errorf("activity %q: more than %d activities in one millisecond", row.a.ID, ridSlots)
}
