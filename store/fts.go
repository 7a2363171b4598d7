package store

import (
	"context"
)

// insertFTS adds the inserted rows (in ascending rid order) to the
// reference index.
func insertFTS(ctx context.Context, tx *wtx, rows []ingestRow, idx []int) error {
	args := make([]any, 0, min(len(idx), ftsChunk)*3)
	for start := 0; start < len(idx); start += ftsChunk {
		part := idx[start:min(len(idx), start+ftsChunk)]
		st, err := tx.bulk(ctx, `INSERT INTO fts(rowid, r, tx)`, "", 3, len(part))
		if err != nil {
			return err
		}
		args = args[:0]
		for _, i := range part {
			// The words column (tx) of the first schema is no longer
			// written: free text is a substring search (substr.go).
			args = append(args, rows[i].rid, rows[i].refs, "")
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// compactPages bounds the work of one compaction (FTS5 pages of 8000
// bytes written): a second or two for a million-event cache.
const compactPages = 20000

// compactIndexes merges the segments a sync run left in the FTS index:
// every query opens every segment, so a few big ones answer faster than
// the dozens a long run leaves. Only levels of usermerge (4) or more
// similar segments are merged, so a short run does not rewrite the whole
// index. It is an optimisation: failure (e.g. a cancelled context) leaves
// the work to the next run.
func (s *Store) compactIndexes(ctx context.Context) {
	_, _ = s.w.ExecContext(ctx, `INSERT INTO fts(fts, rank) VALUES ('merge', ?)`, compactPages)
	_, _ = s.w.ExecContext(ctx, `INSERT INTO vref(vref, rank) VALUES ('merge', ?)`, compactPages)
}
