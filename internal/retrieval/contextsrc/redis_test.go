package contextsrc

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/outcrop/outcrop/internal/retrieval"
)

func TestRedisSourceString(t *testing.T) {
	env := newRedisEnv(t)
	src := env.source(t, "")
	ctx := context.Background()
	if err := env.client.Set(ctx, env.prefix+"user-1", "likes tea", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if text, found := lookup(t, src, "user-1"); !found || text != "likes tea" {
		t.Fatalf("got %q, %v; want %q, true", text, found, "likes tea")
	}
	if text, found := lookup(t, src, "user-2"); found {
		t.Fatalf("got %q, true for a missing key; want not found", text)
	}
}

func TestRedisSourceHashField(t *testing.T) {
	env := newRedisEnv(t)
	src := env.source(t, "context")
	ctx := context.Background()
	if err := env.client.HSet(ctx, env.prefix+"s1", "context", "in Paris", "other", "x").Err(); err != nil {
		t.Fatal(err)
	}
	if err := env.client.HSet(ctx, env.prefix+"s2", "other", "x").Err(); err != nil {
		t.Fatal(err)
	}
	if text, found := lookup(t, src, "s1"); !found || text != "in Paris" {
		t.Fatalf("got %q, %v; want %q, true", text, found, "in Paris")
	}
	if _, found := lookup(t, src, "s2"); found {
		t.Fatal("a hash without the field was found")
	}
	if _, found := lookup(t, src, "s3"); found {
		t.Fatal("a missing hash was found")
	}
}

func TestRedisSourceWrongType(t *testing.T) {
	env := newRedisEnv(t)
	src := env.source(t, "")
	if err := env.client.HSet(context.Background(), env.prefix+"h", "f", "v").Err(); err != nil {
		t.Fatal(err)
	}
	_, _, err := src.Context(context.Background(), "h")
	if err == nil || !strings.Contains(err.Error(), "WRONGTYPE") {
		t.Fatalf("got %v, want Redis's WRONGTYPE error", err)
	}
}

func TestRedisSourceStore(t *testing.T) {
	env := newRedisEnv(t)
	ctx := context.Background()
	t.Run("string", func(t *testing.T) {
		src := env.source(t, "")
		if err := src.Store(ctx, "k1", "v1", time.Minute); err != nil {
			t.Fatal(err)
		}
		assertTTL(t, env, "k1", time.Minute)
		if text, found := lookup(t, src, "k1"); !found || text != "v1" {
			t.Fatalf("got %q, %v; want v1, true", text, found)
		}
	})
	t.Run("hash field", func(t *testing.T) {
		src := env.source(t, "ctx")
		if err := env.client.HSet(ctx, env.prefix+"k2", "other", "kept").Err(); err != nil {
			t.Fatal(err)
		}
		if err := src.Store(ctx, "k2", "v2", time.Minute); err != nil {
			t.Fatal(err)
		}
		assertTTL(t, env, "k2", time.Minute)
		got, err := env.client.HGetAll(ctx, env.prefix+"k2").Result()
		if err != nil {
			t.Fatal(err)
		}
		if got["ctx"] != "v2" || got["other"] != "kept" {
			t.Fatalf("got hash %v, want ctx=v2 and other=kept", got)
		}
	})
}

// assertTTL checks that key (under the prefix) expires, within want.
func assertTTL(t *testing.T, env *redisEnv, key string, want time.Duration) {
	t.Helper()
	ttl, err := env.client.TTL(context.Background(), env.prefix+key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl <= 0 || ttl > want {
		t.Fatalf("got TTL %v on %s, want one in (0, %v]", ttl, key, want)
	}
}

func TestRedisSourceDown(t *testing.T) {
	src := downRedis(t)
	_, _, err := src.Context(context.Background(), "k")
	if err == nil {
		t.Fatal("got nil error from a Redis that is down")
	}
	if errors.Is(err, retrieval.ErrBadQuery) {
		t.Fatalf("got %v, a bad-query error for a backend failure", err)
	}
}

func TestRedisSourceBadKey(t *testing.T) {
	src := downRedis(t) // never reached: the key is refused first
	if _, _, err := src.Context(context.Background(), "a\r\nFLUSHALL"); !errors.Is(err, retrieval.ErrBadQuery) {
		t.Fatalf("Context: got %v, want ErrBadQuery", err)
	}
	if err := src.Store(context.Background(), "", "v", 0); !errors.Is(err, retrieval.ErrBadQuery) {
		t.Fatalf("Store: got %v, want ErrBadQuery", err)
	}
}

func TestNewRedisErrors(t *testing.T) {
	if _, err := NewRedis(RedisConfig{}); err == nil {
		t.Fatal("got nil error with no URL and no client")
	}
	_, err := NewRedis(RedisConfig{URL: "http://user:hunter2@example.com"})
	if err == nil {
		t.Fatal("got nil error for a non-Redis URL")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error %q shows the password", err)
	}
}

func TestRedisSourceSharedClient(t *testing.T) {
	env := newRedisEnv(t)
	src, err := NewRedis(RedisConfig{Client: env.client, KeyPrefix: env.prefix})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	// Close left the shared client open.
	if err := env.client.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("shared client after Close: %v", err)
	}
}
