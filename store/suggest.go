package store

import (
	"context"

	"claudit/feed"
)

// suggestKey is one (field, value) pair counted for completion.
type suggestKey struct{ field, v string }

// countSuggest adds the inserted rows' values to the completion counts.
func countSuggest(ctx context.Context, tx *wtx, rows []ingestRow, idx []int) error {
	counts := map[suggestKey]int{}
	for _, i := range idx {
		row := &rows[i]
		a := row.a
		if row.terms[3] != "" {
			counts[suggestKey{"actor", row.terms[3]}]++
		}
		if id := row.terms[2]; id != "" {
			counts[suggestKey{"actor", id}]++
			if a.Actor.Type == feed.ActorAPI || a.Actor.Type == feed.ActorAdminAPIKey {
				counts[suggestKey{"key", id}]++
			}
		}
		if row.terms[8] != "" && row.terms[8] != row.terms[2] {
			counts[suggestKey{"key", row.terms[8]}]++
		}
		for _, ip := range row.ips {
			counts[suggestKey{"ip", ip}]++
		}
		if row.terms[6] != "" {
			counts[suggestKey{"org", row.terms[6]}]++
		}
		if row.terms[7] != "" {
			counts[suggestKey{"org", row.terms[7]}]++
		}
		counts[suggestKey{"type", row.terms[0]}]++
	}
	if len(counts) == 0 {
		return nil
	}
	keys := make([]suggestKey, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	args := make([]any, 0, 3*len(keys))
	for _, k := range keys {
		args = append(args, k.field, k.v, counts[k])
	}
	return upsertAdd(ctx, tx, `INSERT INTO suggest(field, v, n)`, `ON CONFLICT(field, v) DO UPDATE SET n = n + excluded.n`, 3, args)
}
