package embedcache

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults of RedisOptions.
const (
	DefaultPrefix  = "embed:"
	DefaultTTL     = 24 * time.Hour
	DefaultTimeout = time.Second
)

// RedisOptions configure a Redis cache.
type RedisOptions struct {
	// Prefix is put before each key's hex digest. Default "embed:".
	Prefix string
	// TTL is how long an entry lives. Default 24h.
	TTL time.Duration
	// Timeout bounds each Get and Put through its context, so that a slow
	// Redis costs a request at most this much before it counts as misses.
	// go-redis applies a context's deadline to reads and writes only when
	// the client's Options.ContextTimeoutEnabled is set; otherwise its
	// own ReadTimeout and WriteTimeout (3s by default) do. Default 1s.
	Timeout time.Duration
	// Logger gets a warning when Redis starts failing, a note when it
	// recovers. Default: discard.
	Logger *slog.Logger
}

// Redis is a Cache in Redis, shared by every replica: each vector is a
// string of little-endian float32s at Prefix+hex(key), expiring after
// TTL. It is safe for concurrent use.
//
// Both Get and Put are one pipeline, one round trip, of plain GETs or
// SETs rather than one MGET: a pipeline also works on a Redis Cluster
// client, where an MGET of keys in different slots is refused.
type Redis struct {
	client  redis.UniversalClient
	prefix  string
	ttl     time.Duration
	timeout time.Duration
	log     *slog.Logger

	down                atomic.Bool // the last call failed; see failed
	hits, misses, fails atomic.Int64
}

var (
	_ Cache         = (*Redis)(nil)
	_ StatsReporter = (*Redis)(nil)
)

// NewRedis returns a Redis cache on client. The client may be shared;
// the cache does not close it.
func NewRedis(client redis.UniversalClient, opts RedisOptions) *Redis {
	r := &Redis{client: client, prefix: opts.Prefix, ttl: opts.TTL, timeout: opts.Timeout, log: opts.Logger}
	if r.prefix == "" {
		r.prefix = DefaultPrefix
	}
	if r.ttl <= 0 {
		r.ttl = DefaultTTL
	}
	if r.timeout <= 0 {
		r.timeout = DefaultTimeout
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	return r
}

// Get implements Cache. When Redis fails, every key is a miss and the
// error says why. A value that is not whole float32s (written by
// something else) is a miss too; the next Put replaces it.
func (r *Redis) Get(ctx context.Context, keys []Key) ([][]float32, error) {
	out := make([][]float32, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	cmds := make([]*redis.StringCmd, len(keys))
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.Get(ctx, r.prefix+k.String())
		}
		return nil
	})
	// Exec reports the first command's error, and a missing key is one
	// (redis.Nil); only other errors mean Redis failed.
	if err != nil && !errors.Is(err, redis.Nil) {
		r.misses.Add(int64(len(keys)))
		return out, r.failed(fmt.Errorf("embedcache: redis get: %w", err))
	}
	r.recovered()
	var hits int64
	for i, c := range cmds {
		b, err := c.Bytes()
		if err != nil || len(b) == 0 || len(b)%4 != 0 {
			continue
		}
		out[i] = decode(b)
		hits++
	}
	r.hits.Add(hits)
	r.misses.Add(int64(len(keys)) - hits)
	return out, nil
}

// Put implements Cache: one SET with the TTL per non-empty vector.
func (r *Redis) Put(ctx context.Context, keys []Key, vecs [][]float32) error {
	if len(keys) != len(vecs) {
		return fmt.Errorf("embedcache: %d keys for %d vectors", len(keys), len(vecs))
	}
	if !slices.ContainsFunc(vecs, func(v []float32) bool { return len(v) > 0 }) {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, v := range vecs {
			if len(v) > 0 {
				p.Set(ctx, r.prefix+keys[i].String(), encode(v), r.ttl)
			}
		}
		return nil
	})
	if err != nil {
		return r.failed(fmt.Errorf("embedcache: redis set: %w", err))
	}
	r.recovered()
	return nil
}

// failed counts err and returns it. Only the first of a run of failures
// is a warning: a Redis that is down would otherwise log one per request.
func (r *Redis) failed(err error) error {
	r.fails.Add(1)
	if r.down.CompareAndSwap(false, true) {
		r.log.Warn("embedding cache failed; embedding without it until Redis answers", "error", err)
	} else {
		r.log.Debug("embedding cache failed", "error", err)
	}
	return err
}

// recovered closes a run of failures.
func (r *Redis) recovered() {
	if r.down.CompareAndSwap(true, false) {
		r.log.Info("embedding cache answers again")
	}
}

// Stats implements StatsReporter.
func (r *Redis) Stats() Stats {
	return Stats{Hits: r.hits.Load(), Misses: r.misses.Load(), Errors: r.fails.Load()}
}

// encode writes v as little-endian float32s, the layout of a []float32 on
// the machines the gateway runs on, and of numpy's "<f4".
func encode(v []float32) []byte {
	b := make([]byte, 0, len(v)*4)
	for _, f := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
	}
	return b
}

// decode reads what encode wrote; len(b) is a multiple of 4.
func decode(b []byte) []float32 {
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}
