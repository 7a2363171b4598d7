package store

import (
	"context"
	"slices"
	"time"
)

// floorDiv is a / b rounded toward negative infinity (b > 0).
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// Rollup units: histograms add whole hours (per type) and whole minutes
// (all types) and count only the rest row by row.
const (
	hourNs   = int64(time.Hour)
	minuteNs = int64(time.Minute)
)

type rollKey struct{ typ, unit int64 }

// rollUp adds the inserted rows to the hourly and per-minute counts.
func rollUp(ctx context.Context, tx *wtx, rows []ingestRow, idx []int, terms map[string]int64) error {
	if len(idx) == 0 {
		return nil
	}
	hours := map[rollKey]int64{}
	minutes := map[int64]int64{}
	for _, i := range idx {
		h := floorDiv(rows[i].t, hourNs)
		hours[rollKey{terms[rows[i].terms[0]], h}]++
		hours[rollKey{0, h}]++
		minutes[floorDiv(rows[i].t, minuteNs)]++
	}
	hk := make([]rollKey, 0, len(hours))
	for k := range hours {
		hk = append(hk, k)
	}
	slices.SortFunc(hk, func(a, b rollKey) int {
		if c := cmpInt(a.typ, b.typ); c != 0 {
			return c
		}
		return cmpInt(a.unit, b.unit)
	})
	args := make([]any, 0, 3*len(hk))
	for _, k := range hk {
		args = append(args, k.typ, k.unit, hours[k])
	}
	if err := upsertAdd(ctx, tx, `INSERT INTO roll_h(type, h, n)`, `ON CONFLICT(type, h) DO UPDATE SET n = n + excluded.n`, 3, args); err != nil {
		return err
	}
	mk := make([]int64, 0, len(minutes))
	for m := range minutes {
		mk = append(mk, m)
	}
	slices.Sort(mk)
	args = args[:0]
	for _, m := range mk {
		args = append(args, m, minutes[m])
	}
	return upsertAdd(ctx, tx, `INSERT INTO roll_m(m, n)`, `ON CONFLICT(m) DO UPDATE SET n = n + excluded.n`, 2, args)
}

// upsertChunk bounds the rows of one additive upsert statement.
const upsertChunk = 512

// upsertAdd runs an additive upsert ("… DO UPDATE SET n = n + excluded.n")
// of args, rows of cols values whose last is the count to add. Each
// statement's rows are padded to a power of two with copies of its first
// row adding 0, so a few cached statements serve every page.
func upsertAdd(ctx context.Context, tx *wtx, prefix, suffix string, cols int, args []any) error {
	n := len(args) / cols
	for start := 0; start < n; start += upsertChunk {
		part := args[start*cols : min(n, start+upsertChunk)*cols]
		rows := len(part) / cols
		size := 16
		for size < rows {
			size *= 2
		}
		if size > rows {
			padded := make([]any, 0, size*cols)
			padded = append(padded, part...)
			for range size - rows {
				padded = append(append(padded, part[:cols-1]...), 0)
			}
			part = padded
		}
		st, err := tx.bulk(ctx, prefix, suffix, cols, size)
		if err != nil {
			return err
		}
		if _, err := st.ExecContext(ctx, part...); err != nil {
			return err
		}
	}
	return nil
}
