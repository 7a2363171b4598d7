package store

import (
	"database/sql"
	"sync"
)

// Copying the WAL back into the database file (a checkpoint) costs about
// as much as writing it, fsyncs included. The writer leaves it to a
// background goroutine with its own connection, so a Put does not wait
// for it; SQLite's own automatic checkpoint stays as a backstop (at a
// larger WAL) should the background fall behind.

// checkpointEvery is how many commits pass between background checkpoints.
const checkpointEvery = 4

// checkpointer runs PASSIVE checkpoints when asked.
type checkpointer struct {
	path    string
	req     chan struct{} // buffered: a pending request absorbs the next ones
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
	mu      sync.Mutex
	commits int
}

func newCheckpointer(path string) *checkpointer {
	c := &checkpointer{path: path, req: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.loop()
	return c
}

// committed counts a commit and asks for a checkpoint every
// checkpointEvery commits. It never blocks.
func (c *checkpointer) committed() {
	c.mu.Lock()
	c.commits++
	due := c.commits%checkpointEvery == 0
	c.mu.Unlock()
	if due {
		select {
		case c.req <- struct{}{}:
		default:
		}
	}
}

func (c *checkpointer) loop() {
	defer close(c.done)
	var db *sql.DB
	defer func() {
		if db != nil {
			db.Close()
		}
	}()
	for {
		select {
		case <-c.stop:
			return
		case <-c.req:
		}
		if db == nil {
			var err error
			if db, err = openDB(c.path, false, options{}); err != nil {
				db = nil
				continue
			}
			db.SetMaxOpenConns(1)
		}
		// PASSIVE neither waits for nor blocks readers and the writer; a
		// failure only leaves the work to the next one.
		_, _ = db.Exec("PRAGMA wal_checkpoint(PASSIVE)")
	}
}

// close stops the goroutine (and its connection).
func (c *checkpointer) close() {
	c.once.Do(func() { close(c.stop) })
	<-c.done
}
