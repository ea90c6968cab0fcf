package auth

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/outcrop/outcrop/internal/store"
)

// DefaultRefresh is how often a KeyCache asks the store for changed keys
// when KeyCacheOptions leaves it zero: a key revoked on one replica is
// refused by the others within this (issue 5 asks for one second).
const DefaultRefresh = 250 * time.Millisecond

// KeySource is what a KeyCache reads: *store.DB.
type KeySource interface {
	KeysChangedSince(ctx context.Context, rev int64) ([]*store.Key, int64, error)
}

// KeyCacheOptions configure a KeyCache.
type KeyCacheOptions struct {
	// Refresh is the poll interval; default DefaultRefresh.
	Refresh time.Duration
	// Logger receives refresh failures; nil discards them.
	Logger *slog.Logger
}

// KeyCache holds every virtual key in memory, by digest, so authenticating
// a request costs a hash and a map lookup, not a query. It follows the
// store by polling for keys whose revision moved (KeysChangedSince): one
// indexed query per interval, however many keys there are, and it works
// the same on SQLite and PostgreSQL. Changes made through this process are
// applied at once (Apply).
type KeyCache struct {
	src     KeySource
	refresh time.Duration
	logger  *slog.Logger

	mu     sync.RWMutex
	byHash map[Digest]*store.Key
	// hashOf maps a key ID to its current digest, so that a rotation
	// drops the old one.
	hashOf map[string]Digest
	rev    int64
	failed bool
}

// NewKeyCache loads every key from src.
func NewKeyCache(ctx context.Context, src KeySource, opts KeyCacheOptions) (*KeyCache, error) {
	c := &KeyCache{
		src: src, refresh: opts.Refresh, logger: opts.Logger,
		byHash: map[Digest]*store.Key{}, hashOf: map[string]Digest{},
	}
	if c.refresh <= 0 {
		c.refresh = DefaultRefresh
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	if err := c.Sync(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Sync reads the keys changed since the last sync.
func (c *KeyCache) Sync(ctx context.Context) error {
	c.mu.RLock()
	rev := c.rev
	c.mu.RUnlock()
	keys, latest, err := c.src.KeysChangedSince(ctx, rev)
	if err != nil {
		return fmt.Errorf("read keys: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		c.applyLocked(k)
	}
	if latest > c.rev {
		c.rev = latest
	}
	return nil
}

// Apply installs a key this process just wrote, without waiting for the
// next poll.
func (c *KeyCache) Apply(k *store.Key) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.applyLocked(k)
}

func (c *KeyCache) applyLocked(k *store.Key) {
	if old, ok := c.hashOf[k.ID]; ok {
		if cur := c.byHash[old]; cur != nil && cur.Revision > k.Revision {
			return // an older copy than the one installed
		}
		delete(c.byHash, old)
	}
	var d Digest
	if len(k.Hash) != len(d) {
		// Not a digest: it cannot match any presented key (copy's count
		// alone would let a longer hash in, cut to its first 32 bytes).
		return
	}
	copy(d[:], k.Hash)
	c.byHash[d] = k
	c.hashOf[k.ID] = d
}

func (c *KeyCache) lookup(d Digest) *store.Key {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.byHash[d]
}

// Len is the number of keys held, revoked ones included.
func (c *KeyCache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.byHash)
}

// Run polls the store until ctx is done.
func (c *KeyCache) Run(ctx context.Context) {
	t := time.NewTicker(c.refresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := c.Sync(ctx)
		switch {
		case err != nil && ctx.Err() == nil && !c.failed:
			c.failed = true
			c.logger.Warn("cannot refresh API keys; serving the ones held", "error", err)
		case err == nil && c.failed:
			c.failed = false
			c.logger.Info("API key refresh works again")
		}
	}
}
