package contextsrc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/outcrop/outcrop/internal/retrieval"
)

// DefaultTTL is how long a context copied from the table stays in the
// cache: long enough to spare the table a read per request, short enough
// that an edit of the table shows within minutes.
const DefaultTTL = 10 * time.Minute

// Cache is the store a Chain puts in front of the table: a ContextSource
// that also takes contexts back. RedisSource is one.
type Cache interface {
	retrieval.ContextSource
	// Store keeps text under key for ttl (0: until deleted).
	Store(ctx context.Context, key, text string, ttl time.Duration) error
}

// ChainConfig configures a Chain. At least one of Cache and Table is set.
type ChainConfig struct {
	// Cache is asked first. Nil asks the table only.
	Cache Cache
	// Table is asked when the cache misses or fails. Nil asks the cache
	// only.
	Table retrieval.ContextSource
	// TTL is how long a context found in the table is kept in the cache.
	// Default DefaultTTL (10m).
	TTL time.Duration
	// NoWriteBack keeps the cache read-only: contexts found in the table
	// are not copied into it. Default false (copy them).
	NoWriteBack bool
	// Logger gets a warning when the cache starts failing, a note when it
	// recovers and one per failed write-back; keys are never logged.
	// Default: discard.
	Logger *slog.Logger
}

// Chain is a context cache in front of a table: the cache first; on a
// miss, or a cache error (logged and counted, not returned), the table;
// a context the table has is then written back into the cache with the
// TTL. It is safe for concurrent use.
//
// Misses are not cached: a key added to the table is found at the next
// lookup, at the cost of one table read per lookup of a key that has no
// context. When the cache has failed, nothing is written back to it, which
// would only wait for a second timeout. Only when every configured
// backend fails is the lookup an error; a table that answers "no item"
// while the cache is down is a plain miss, since the table is the source
// of truth.
type Chain struct {
	cache     Cache
	table     retrieval.ContextSource
	ttl       time.Duration
	writeBack bool
	log       *slog.Logger
	cacheDown atomic.Bool // the last cache read failed; see cacheFailed
	stats     chainCounters
}

var _ retrieval.ContextSource = (*Chain)(nil)

// ChainStats counts a Chain's lookups by outcome since it was made.
type ChainStats struct {
	// CacheHits, CacheMisses and CacheErrors are the cache reads that
	// found a context, found none, and failed.
	CacheHits, CacheMisses, CacheErrors int64
	// TableHits, TableMisses and TableErrors are the same for the table,
	// which is read after each cache miss or error.
	TableHits, TableMisses, TableErrors int64
	// WriteBacks and WriteBackErrors are the copies of table hits into
	// the cache that worked and that failed.
	WriteBacks, WriteBackErrors int64
}

type chainCounters struct {
	cacheHits, cacheMisses, cacheErrors atomic.Int64
	tableHits, tableMisses, tableErrors atomic.Int64
	writeBacks, writeBackErrors         atomic.Int64
}

// NewChain returns a Chain, or an error when cfg has neither backend.
func NewChain(cfg ChainConfig) (*Chain, error) {
	if cfg.Cache == nil && cfg.Table == nil {
		return nil, errors.New("contextsrc: chain: no cache and no table")
	}
	c := &Chain{cache: cfg.Cache, table: cfg.Table, ttl: cfg.TTL, writeBack: !cfg.NoWriteBack, log: cfg.Logger}
	if c.ttl <= 0 {
		c.ttl = DefaultTTL
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// Context implements retrieval.ContextSource.
func (c *Chain) Context(ctx context.Context, key string) (string, bool, error) {
	if err := ValidateKey(key); err != nil {
		return "", false, err
	}
	var cacheErr error
	if c.cache != nil {
		text, found, err := c.cache.Context(ctx, key)
		switch {
		case err != nil && ctx.Err() != nil:
			// The caller gave up; the table would fail the same way.
			return "", false, err
		case err != nil:
			cacheErr = err
			c.cacheFailed(err)
		case found:
			c.cacheAnswered()
			c.stats.cacheHits.Add(1)
			return text, true, nil
		default:
			c.cacheAnswered()
			c.stats.cacheMisses.Add(1)
		}
	}
	if c.table == nil {
		return "", false, cacheErr
	}
	text, found, err := c.table.Context(ctx, key)
	switch {
	case err != nil && cacheErr != nil:
		c.stats.tableErrors.Add(1)
		return "", false, fmt.Errorf("contextsrc: cache and table both failed: %w", errors.Join(cacheErr, err))
	case err != nil:
		c.stats.tableErrors.Add(1)
		return "", false, err
	case !found:
		c.stats.tableMisses.Add(1)
		return "", false, nil
	}
	c.stats.tableHits.Add(1)
	if c.cache != nil && c.writeBack && cacheErr == nil {
		c.store(ctx, key, text)
	}
	return text, true, nil
}

// store writes a context back into the cache. It runs without the
// caller's cancellation (the cache's own timeout bounds it), so a client
// that hangs up as the answer arrives does not leave the next lookup to
// read the table again.
func (c *Chain) store(ctx context.Context, key, text string) {
	if err := c.cache.Store(context.WithoutCancel(ctx), key, text, c.ttl); err != nil {
		c.stats.writeBackErrors.Add(1)
		c.log.WarnContext(ctx, "context cache write-back failed", "error", err)
		return
	}
	c.stats.writeBacks.Add(1)
}

// cacheFailed counts a failed cache read. Only the first of a run of
// failures is a warning: a Redis that is down would otherwise log one
// per request.
func (c *Chain) cacheFailed(err error) {
	c.stats.cacheErrors.Add(1)
	if c.cacheDown.CompareAndSwap(false, true) {
		c.log.Warn("context cache failed; asking the table until it answers again", "error", err)
		return
	}
	c.log.Debug("context cache failed", "error", err)
}

// cacheAnswered notes a cache read that worked, closing a run of failures.
func (c *Chain) cacheAnswered() {
	if c.cacheDown.CompareAndSwap(true, false) {
		c.log.Info("context cache answers again")
	}
}

// Stats returns the counters so far.
func (c *Chain) Stats() ChainStats {
	s := &c.stats
	return ChainStats{
		CacheHits: s.cacheHits.Load(), CacheMisses: s.cacheMisses.Load(), CacheErrors: s.cacheErrors.Load(),
		TableHits: s.tableHits.Load(), TableMisses: s.tableMisses.Load(), TableErrors: s.tableErrors.Load(),
		WriteBacks: s.writeBacks.Load(), WriteBackErrors: s.writeBackErrors.Load(),
	}
}
