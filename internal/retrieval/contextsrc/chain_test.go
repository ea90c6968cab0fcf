package contextsrc

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
)

// chainEnv is Redis and DynamoDB with one table holding "in-table".
type chainEnv struct {
	redis  *redisEnv
	dynamo *dynamoEnv
	table  *DynamoSource
}

func newChainEnv(t *testing.T) *chainEnv {
	t.Helper()
	e := &chainEnv{redis: newRedisEnv(t), dynamo: newDynamoEnv(t)}
	name := e.dynamo.table(t, "id", types.ScalarAttributeTypeS)
	e.dynamo.put(t, name, map[string]types.AttributeValue{"id": str("in-table"), "context": str("from the table")})
	e.dynamo.put(t, name, map[string]types.AttributeValue{"id": str("in-both"), "context": str("table copy")})
	e.table = e.dynamo.source(t, DynamoConfig{Table: name})
	return e
}

func newChain(t *testing.T, cfg ChainConfig) *Chain {
	t.Helper()
	c, err := NewChain(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestChain(t *testing.T) {
	env := newChainEnv(t)
	ctx := context.Background()
	cache := env.redis.source(t, "")
	chain := newChain(t, ChainConfig{Cache: cache, Table: env.table, TTL: 5 * time.Minute})
	if err := env.redis.client.Set(ctx, env.redis.prefix+"in-both", "cached copy", 0).Err(); err != nil {
		t.Fatal(err)
	}

	t.Run("hit in Redis", func(t *testing.T) {
		if text, found := lookup(t, chain, "in-both"); !found || text != "cached copy" {
			t.Fatalf("got %q, %v; want the cached copy", text, found)
		}
	})
	t.Run("miss in Redis, hit in DynamoDB, written back", func(t *testing.T) {
		if text, found := lookup(t, chain, "in-table"); !found || text != "from the table" {
			t.Fatalf("got %q, %v; want %q, true", text, found, "from the table")
		}
		got, err := env.redis.client.Get(ctx, env.redis.prefix+"in-table").Result()
		if err != nil || got != "from the table" {
			t.Fatalf("Redis has %q, %v; want the context written back", got, err)
		}
		assertTTL(t, env.redis, "in-table", 5*time.Minute)
	})
	t.Run("miss in both, not cached", func(t *testing.T) {
		if text, found := lookup(t, chain, "nowhere"); found {
			t.Fatalf("got %q, true; want not found", text)
		}
		n, err := env.redis.client.Exists(ctx, env.redis.prefix+"nowhere").Result()
		if err != nil || n != 0 {
			t.Fatalf("Redis has the miss (%d, %v); negative results must not be cached", n, err)
		}
	})
	want := ChainStats{CacheHits: 1, CacheMisses: 2, TableHits: 1, TableMisses: 1, WriteBacks: 1}
	if diff := cmp.Diff(want, chain.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestChainRedisDown(t *testing.T) {
	env := newChainEnv(t)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	chain := newChain(t, ChainConfig{Cache: downRedis(t), Table: env.table, Logger: log})
	for range 2 {
		if text, found := lookup(t, chain, "in-table"); !found || text != "from the table" {
			t.Fatalf("got %q, %v; want the table's context", text, found)
		}
	}
	if _, found := lookup(t, chain, "nowhere"); found {
		t.Fatal("a key the table lacks was found")
	}
	want := ChainStats{CacheErrors: 3, TableHits: 2, TableMisses: 1}
	if diff := cmp.Diff(want, chain.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 {
		t.Errorf("got %d warnings, want 1 for a run of failures:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), "in-table") {
		t.Errorf("the log shows a key:\n%s", logs.String())
	}
}

func TestChainBothDown(t *testing.T) {
	env := newDynamoEnv(t)
	missing := env.source(t, DynamoConfig{Table: "no_such_table"})
	chain := newChain(t, ChainConfig{Cache: downRedis(t), Table: missing})
	_, _, err := chain.Context(context.Background(), "k")
	if err == nil {
		t.Fatal("got nil error with both backends failing")
	}
	if _, ok := errors.AsType[*types.ResourceNotFoundException](err); !ok {
		t.Errorf("got %v, want the table's error in it", err)
	}
	if !strings.Contains(err.Error(), "redis") {
		t.Errorf("got %v, want the cache's error in it", err)
	}
}

func TestChainTableErrorAfterMiss(t *testing.T) {
	renv, denv := newRedisEnv(t), newDynamoEnv(t)
	chain := newChain(t, ChainConfig{Cache: renv.source(t, ""), Table: denv.source(t, DynamoConfig{Table: "no_such_table"})})
	if _, _, err := chain.Context(context.Background(), "k"); err == nil {
		t.Fatal("got nil error from a table that fails")
	}
}

func TestChainNoWriteBack(t *testing.T) {
	env := newChainEnv(t)
	chain := newChain(t, ChainConfig{Cache: env.redis.source(t, ""), Table: env.table, NoWriteBack: true})
	if _, found := lookup(t, chain, "in-table"); !found {
		t.Fatal("not found")
	}
	err := env.redis.client.Get(context.Background(), env.redis.prefix+"in-table").Err()
	if !errors.Is(err, redis.Nil) {
		t.Fatalf("got %v from Redis, want nothing written", err)
	}
}

func TestChainHashField(t *testing.T) {
	env := newChainEnv(t)
	ctx := context.Background()
	chain := newChain(t, ChainConfig{Cache: env.redis.source(t, "context"), Table: env.table})
	if err := env.redis.client.HSet(ctx, env.redis.prefix+"in-both", "context", "hash copy").Err(); err != nil {
		t.Fatal(err)
	}
	if text, found := lookup(t, chain, "in-both"); !found || text != "hash copy" {
		t.Fatalf("got %q, %v; want the hash's copy", text, found)
	}
	if text, found := lookup(t, chain, "in-table"); !found || text != "from the table" {
		t.Fatalf("got %q, %v; want the table's context", text, found)
	}
	got, err := env.redis.client.HGet(ctx, env.redis.prefix+"in-table", "context").Result()
	if err != nil || got != "from the table" {
		t.Fatalf("hash field has %q, %v; want the context written back", got, err)
	}
	assertTTL(t, env.redis, "in-table", DefaultTTL)
}

func TestChainOneBackend(t *testing.T) {
	if _, err := NewChain(ChainConfig{}); err == nil {
		t.Fatal("NewChain with no backend: got nil error")
	}
	t.Run("cache only", func(t *testing.T) {
		renv := newRedisEnv(t)
		chain := newChain(t, ChainConfig{Cache: renv.source(t, "")})
		if _, found := lookup(t, chain, "k"); found {
			t.Fatal("found in an empty cache")
		}
		if _, _, err := newChain(t, ChainConfig{Cache: downRedis(t)}).Context(context.Background(), "k"); err == nil {
			t.Fatal("cache only and down: got nil error")
		}
	})
	t.Run("table only", func(t *testing.T) {
		env := newChainEnv(t)
		chain := newChain(t, ChainConfig{Table: env.table})
		if text, found := lookup(t, chain, "in-table"); !found || text != "from the table" {
			t.Fatalf("got %q, %v; want the table's context", text, found)
		}
	})
}

func TestChainCanceled(t *testing.T) {
	env := newChainEnv(t)
	chain := newChain(t, ChainConfig{Cache: env.redis.source(t, ""), Table: env.table})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := chain.Context(ctx, "in-table"); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if s := chain.Stats(); s.CacheErrors != 0 || s.TableHits != 0 {
		t.Fatalf("got %+v; a canceled lookup must not count as a cache failure or ask the table", s)
	}
}
