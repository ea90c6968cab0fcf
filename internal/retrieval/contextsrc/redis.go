package contextsrc

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outcrop/outcrop/internal/retrieval"
)

// DefaultRedisTimeout bounds each Redis call of a RedisSource. Redis sits
// in front of the table as a cache: when it is slow, asking the table is
// better than waiting.
const DefaultRedisTimeout = time.Second

// RedisConfig configures a RedisSource.
type RedisConfig struct {
	// URL is the Redis server, in go-redis's form. Example
	// "redis://127.0.0.1:6379/0". Required unless Client is set.
	URL string
	// Client is a client to share (the gateway's limits client, say);
	// when set, URL is ignored and Close leaves the client open.
	Client redis.UniversalClient
	// KeyPrefix is put before every key. Example "context:". Default
	// none: the key is used as is.
	KeyPrefix string
	// HashField, when set, reads the context from this field of a hash
	// (HGET prefix+key field) instead of a string (GET prefix+key).
	// Example "context".
	HashField string
	// Timeout bounds each Redis call. Default DefaultRedisTimeout (1s).
	Timeout time.Duration
}

// RedisSource reads context from Redis: the string at KeyPrefix+key, or
// one field of the hash there. It also writes context back (Store), for
// Chain.
type RedisSource struct {
	client  redis.UniversalClient
	own     bool // the source made client and closes it
	prefix  string
	field   string
	timeout time.Duration
}

var (
	_ retrieval.ContextSource = (*RedisSource)(nil)
	_ Cache                   = (*RedisSource)(nil)
)

// NewRedis returns a RedisSource. It does not connect: a Redis that is
// down shows as errors from Context, which Chain falls through.
func NewRedis(cfg RedisConfig) (*RedisSource, error) {
	s := &RedisSource{client: cfg.Client, prefix: cfg.KeyPrefix, field: cfg.HashField, timeout: cfg.Timeout}
	if s.timeout <= 0 {
		s.timeout = DefaultRedisTimeout
	}
	if s.client == nil {
		if cfg.URL == "" {
			return nil, errors.New("contextsrc: redis: no URL and no client")
		}
		opts, err := redis.ParseURL(cfg.URL)
		if err != nil {
			// The error of ParseURL may quote the URL, password included.
			return nil, errors.New("contextsrc: redis: URL is not a Redis URL")
		}
		// Without this go-redis applies its own 3s read timeout and
		// ignores the deadline of the context Timeout sets.
		opts.ContextTimeoutEnabled = true
		s.client, s.own = redis.NewClient(opts), true
	}
	return s, nil
}

// Context implements retrieval.ContextSource: GET, or HGET when a hash
// field is configured. A missing key or field is found=false.
func (s *RedisSource) Context(ctx context.Context, key string) (string, bool, error) {
	if err := ValidateKey(key); err != nil {
		return "", false, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var cmd *redis.StringCmd
	if s.field != "" {
		cmd = s.client.HGet(ctx, s.prefix+key, s.field)
	} else {
		cmd = s.client.Get(ctx, s.prefix+key)
	}
	text, err := cmd.Result()
	switch {
	case errors.Is(err, redis.Nil):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("contextsrc: redis %s: %w", cmd.Name(), err)
	}
	return text, true, nil
}

// Store writes text under key for ttl (0 keeps it until deleted). In hash
// mode it sets the field and the TTL of the whole hash in one MULTI: Redis
// before 7.4 has no per-field expiry, so a hash holding other fields
// expires with them.
func (s *RedisSource) Store(ctx context.Context, key, text string, ttl time.Duration) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	k := s.prefix + key
	var err error
	if s.field == "" {
		err = s.client.Set(ctx, k, text, ttl).Err()
	} else {
		_, err = s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, k, s.field, text)
			if ttl > 0 {
				p.Expire(ctx, k, ttl)
			}
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("contextsrc: redis write: %w", err)
	}
	return nil
}

// Close closes the client NewRedis made from the URL; a shared Client is
// left open.
func (s *RedisSource) Close() error {
	if !s.own {
		return nil
	}
	return s.client.Close()
}
