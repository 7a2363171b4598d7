package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
)

// stmtCache keeps the big multi-row statements of the write connection
// across transactions: preparing an INSERT of thousands of rows costs
// milliseconds, as much as running it. They are prepared on the write pool
// (a single connection) between transactions, since the pool has no
// connection to spare during one, and used inside a transaction through
// Tx.StmtContext, which reuses the connection's prepared statement.
type stmtCache struct {
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
	order []string // oldest first, for eviction
	// missed holds the statements a transaction lacked once: one is
	// prepared for later transactions when it is missed again, so the
	// odd size of a short page is not prepared twice for nothing.
	missed map[string]bool
}

// Statements of fewer rows are cheap to prepare and not cached; at most
// maxCachedStmts are kept.
const (
	minCachedRows  = 64
	maxCachedStmts = 32
)

func (c *stmtCache) get(key string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stmts[key]
}

// warm prepares the statements missed a second time on db for later
// transactions. It must not run inside a transaction of db. Failures only
// cost speed.
func (c *stmtCache) warm(ctx context.Context, db *sql.DB, missed []bulkStmt) {
	for _, m := range missed {
		if c.get(m.key) != nil || !c.missedBefore(m.key) {
			continue
		}
		st, err := db.PrepareContext(ctx, m.query)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if c.stmts == nil {
			c.stmts = map[string]*sql.Stmt{}
		}
		if _, ok := c.stmts[m.key]; ok {
			c.mu.Unlock()
			st.Close()
			continue
		}
		c.stmts[m.key] = st
		c.order = append(c.order, m.key)
		for len(c.order) > maxCachedStmts {
			old := c.order[0]
			c.order = c.order[1:]
			c.stmts[old].Close()
			delete(c.stmts, old)
		}
		c.mu.Unlock()
	}
}

// missedBefore reports whether key was missed before, and remembers it.
func (c *stmtCache) missedBefore(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.missed[key] {
		return true
	}
	if c.missed == nil || len(c.missed) >= 8*maxCachedStmts {
		c.missed = map[string]bool{}
	}
	c.missed[key] = true
	return false
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		st.Close()
	}
	c.stmts, c.order = nil, nil
}

// bulkStmt is a multi-row statement: its cache key and its text.
type bulkStmt struct{ key, query string }

// wtx is a write transaction with its statements: the store's cached ones
// and those it prepared itself (statements prepared on the pool cannot be
// used while the single write connection is busy with the transaction).
type wtx struct {
	*sql.Tx
	cache  *stmtCache
	stmts  map[string]*sql.Stmt
	missed []bulkStmt // big statements the cache lacked
}

// bulk returns a prepared statement "prefix VALUES (?,…),(?,…) suffix" for
// n rows of cols values.
func (tx *wtx) bulk(ctx context.Context, prefix, suffix string, cols, n int) (*sql.Stmt, error) {
	return tx.stmt(ctx, fmt.Sprintf("%s|%d|%s", prefix, n, suffix), n >= minCachedRows, func() string {
		var sb strings.Builder
		sb.Grow(len(prefix) + len(suffix) + n*(2*cols+2))
		sb.WriteString(prefix)
		sb.WriteString(" VALUES ")
		row := "(" + placeholders(cols) + ")"
		for i := 0; i < n; i++ {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(row)
		}
		sb.WriteByte(' ')
		sb.WriteString(suffix)
		return sb.String()
	})
}

// stmt returns the prepared statement of key, building its text with build
// when neither the transaction nor the cache has it; keep asks the cache
// to keep it for later transactions.
func (tx *wtx) stmt(ctx context.Context, key string, keep bool, build func() string) (*sql.Stmt, error) {
	if st, ok := tx.stmts[key]; ok {
		return st, nil
	}
	if tx.stmts == nil {
		tx.stmts = map[string]*sql.Stmt{}
	}
	if tx.cache != nil {
		if cached := tx.cache.get(key); cached != nil {
			st := tx.StmtContext(ctx, cached)
			tx.stmts[key] = st
			return st, nil
		}
	}
	query := build()
	st, err := tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	tx.stmts[key] = st
	if keep {
		tx.missed = append(tx.missed, bulkStmt{key, query})
	}
	return st, nil
}
