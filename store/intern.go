package store

import (
	"context"
	"strings"
)

// freshTerms collects the dictionary entries a write transaction saw
// that the store's caches lack; they are published only after commit (a
// rollback must not leave ids that do not exist).
type freshTerms struct {
	terms map[string]int64
}

// internIDs are the dictionary ids of a page's values.
type internIDs struct {
	terms map[string]int64 // terms.id by value
}

// intern returns the dictionary ids of every interned value of the rows to
// insert, adding new values.
func (s *Store) intern(ctx context.Context, tx *wtx, rows []ingestRow, idx []int, fresh *freshTerms) (internIDs, error) {
	ids := internIDs{terms: make(map[string]int64, 64)}
	var missing []string
	s.termMu.Lock()
	for _, i := range idx {
		for _, v := range rows[i].terms {
			if v == "" {
				continue
			}
			if _, ok := ids.terms[v]; ok {
				continue
			}
			if id, ok := s.terms[v]; ok {
				ids.terms[v] = id
				continue
			}
			ids.terms[v] = 0
			missing = append(missing, v)
		}
	}
	s.termMu.Unlock()
	if err := internTable(ctx, tx, "terms", missing, ids.terms, fresh.terms, nil); err != nil {
		return ids, err
	}
	return ids, nil
}

// internTable looks values up in a dictionary table (terms),
// inserting the missing ones; created collects the ids it inserted.
func internTable(ctx context.Context, tx *wtx, table string, missing []string, ids, fresh map[string]int64, created *[]int64) error {
	for start := 0; start < len(missing); start += 500 {
		part := missing[start:min(len(missing), start+500)]
		args := make([]any, len(part))
		for i, v := range part {
			args[i] = v
		}
		rs, err := tx.QueryContext(ctx, `SELECT id, v FROM `+table+` WHERE v IN (`+placeholders(len(part))+`)`, args...)
		if err != nil {
			return err
		}
		for rs.Next() {
			var id int64
			var v string
			if err := rs.Scan(&id, &v); err != nil {
				rs.Close()
				return err
			}
			ids[v] = id
			fresh[v] = id // committed by someone else: safe to cache even on rollback
		}
		if err := rs.Close(); err != nil {
			return err
		}
	}
	for _, v := range missing {
		if ids[v] != 0 {
			continue
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO `+table+`(v) VALUES (?) RETURNING id`, v).Scan(&id); err != nil {
			return err
		}
		ids[v] = id
		fresh[strings.Clone(v)] = id // cached for good: not sharing a page's memory
		if created != nil {
			*created = append(*created, id)
		}
	}
	return nil
}

func (s *Store) publishTerms(fresh *freshTerms) {
	if len(fresh.terms) == 0 {
		return
	}
	s.termMu.Lock()
	for v, id := range fresh.terms {
		s.terms[v] = id
	}
	s.termMu.Unlock()
}
