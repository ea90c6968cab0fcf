package store

import (
	"context"
	"database/sql"
	"sync"
)

// insertCache keeps the usage INSERTs of a few row counts prepared, so a
// batch of a size written before is not parsed and planned again: on
// SQLite that was a sixth of the CPU of a full ledger batch's 500-row
// INSERT. (pgx caches its statements by their text already: on PostgreSQL
// this only saves building the text, and half the allocations.) The
// statements are prepared on the write pool, out of any transaction (on
// SQLite's one write connection, preparing from inside a transaction
// would wait for itself), and run in one with Tx.StmtContext, which
// prepares them again on a connection that has not seen them yet.
//
// A row count is cached when it is maxRowsPerInsert or when it comes twice
// in a row (full ledger batches do; the sizes of the flushes on the
// ledger's interval rarely repeat), and when it is at least
// minCachedInsertRows. At most maxCachedInserts are kept, the least
// recently used one giving way to a new one.
type insertCache struct {
	mu      sync.Mutex
	entries []*cachedInsert
	// lastMiss is the row count of the last INSERT not found in entries.
	lastMiss int
	// clock counts gets, for cachedInsert.used.
	clock  uint64
	closed bool
}

// cachedInsert is a prepared INSERT of rows rows. Its fields are guarded
// by insertCache.mu.
type cachedInsert struct {
	rows int
	stmt *sql.Stmt
	used uint64 // the clock at the last get
	refs int    // InsertUsage calls holding it
	// evicted is set once the entry left the cache; the last release
	// closes stmt.
	evicted bool
}

const (
	// maxCachedInserts bounds the prepared INSERTs of a DB (per
	// connection, on PostgreSQL).
	maxCachedInserts = 4
	// minCachedInsertRows is the smallest INSERT worth preparing; a
	// smaller one parses in little time next to its transaction.
	minCachedInsertRows = 64
)

// get returns the prepared INSERT of n rows, preparing it when it is worth
// caching, or nil for the plain statement (n is not cached, the cache is
// closed, or the prepare failed: the plain statement then reports the
// error, if it is one). A non-nil result must be given back with release.
func (c *insertCache) get(ctx context.Context, db *DB, n int) *cachedInsert {
	if n < minCachedInsertRows {
		return nil
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	if e := c.takeLocked(n); e != nil {
		c.mu.Unlock()
		return e
	}
	worth := n == maxRowsPerInsert || n == c.lastMiss
	c.lastMiss = n
	c.mu.Unlock()
	if !worth {
		return nil
	}
	stmt, err := db.w.PrepareContext(ctx, db.insertUsageSQL(n))
	if err != nil {
		return nil
	}
	return c.add(n, stmt)
}

// takeLocked returns the entry of n rows with a reference taken, marked
// used now, or nil. The caller holds c.mu.
func (c *insertCache) takeLocked(n int) *cachedInsert {
	c.clock++
	for _, e := range c.entries {
		if e.rows == n {
			e.used = c.clock
			e.refs++
			return e
		}
	}
	return nil
}

// add caches stmt, the INSERT of n rows, and returns its entry with a
// reference taken; when another call cached n meanwhile, it closes stmt
// and returns that call's entry.
func (c *insertCache) add(n int, stmt *sql.Stmt) *cachedInsert {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		_ = stmt.Close()
		return nil
	}
	if e := c.takeLocked(n); e != nil {
		c.mu.Unlock()
		_ = stmt.Close()
		return e
	}
	var unused *sql.Stmt
	if len(c.entries) == maxCachedInserts {
		oldest := 0
		for i, e := range c.entries {
			if e.used < c.entries[oldest].used {
				oldest = i
			}
		}
		unused = c.evictLocked(c.entries[oldest])
		c.entries = append(c.entries[:oldest], c.entries[oldest+1:]...)
	}
	e := &cachedInsert{rows: n, stmt: stmt, used: c.clock, refs: 1}
	c.entries = append(c.entries, e)
	c.mu.Unlock()
	if unused != nil {
		_ = unused.Close()
	}
	return e
}

// release gives back an entry get returned; nil is ignored.
func (c *insertCache) release(e *cachedInsert) {
	if e == nil {
		return
	}
	c.mu.Lock()
	e.refs--
	var unused *sql.Stmt
	if e.refs == 0 && e.evicted {
		unused = e.stmt
	}
	c.mu.Unlock()
	if unused != nil {
		_ = unused.Close()
	}
}

// evictLocked marks e evicted and returns its statement when nothing
// holds it, to be closed after c.mu is released.
func (c *insertCache) evictLocked(e *cachedInsert) *sql.Stmt {
	e.evicted = true
	if e.refs == 0 {
		return e.stmt
	}
	return nil
}

// close closes the cached statements (those in use when their last user
// releases them) and caches nothing more.
func (c *insertCache) close() error {
	c.mu.Lock()
	c.closed = true
	var unused []*sql.Stmt
	for _, e := range c.entries {
		if s := c.evictLocked(e); s != nil {
			unused = append(unused, s)
		}
	}
	c.entries = nil
	c.mu.Unlock()
	var err error
	for _, s := range unused {
		if e := s.Close(); e != nil && err == nil {
			err = e
		}
	}
	return err
}
