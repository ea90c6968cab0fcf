package embedcache

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/outcrop/outcrop/internal/testservice"
)

func redisClient(t *testing.T, u string) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	opts.ContextTimeoutEnabled = true
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestRedisRoundTrip(t *testing.T) {
	u, prefix := testservice.Redis(t)
	client := redisClient(t, u)
	c := NewRedis(client, RedisOptions{Prefix: prefix, TTL: time.Hour})
	ctx := context.Background()
	text := "a secret prompt that must not reach Redis"
	v := []float32{0, -1.5, 3.25e-8, float32(1) / 3}
	mustPut(t, c, []Key{key(text), key("empty")}, [][]float32{v, {}})
	got := mustGet(t, c, key(text), key("missing"), key("empty"))
	if diff := cmp.Diff([][]float32{v, nil, nil}, got); diff != "" {
		t.Fatalf("Get (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Stats{Hits: 1, Misses: 2}, c.Stats()); diff != "" {
		t.Fatalf("Stats (-want +got):\n%s", diff)
	}

	keys, err := client.Keys(ctx, prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{prefix + key(text).String()}, keys); diff != "" {
		t.Fatalf("keys in Redis (-want +got):\n%s", diff)
	}
	raw, err := client.Get(ctx, keys[0]).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	// Little-endian float32s: -1.5 is 0xbfc00000.
	if len(raw) != 16 || !bytes.Equal(raw[4:8], []byte{0x00, 0x00, 0xc0, 0xbf}) {
		t.Fatalf("stored % x, want 4 little-endian float32s", raw)
	}
	if strings.Contains(string(raw), "secret") || strings.Contains(keys[0], "secret") {
		t.Fatal("the text is in Redis")
	}
	ttl, err := client.TTL(ctx, keys[0]).Result()
	if err != nil || ttl <= 0 || ttl > time.Hour {
		t.Fatalf("got TTL %v, %v; want one in (0, 1h]", ttl, err)
	}
}

func TestRedisForeignValue(t *testing.T) {
	u, prefix := testservice.Redis(t)
	client := redisClient(t, u)
	c := NewRedis(client, RedisOptions{Prefix: prefix})
	if err := client.Set(context.Background(), prefix+key("odd").String(), "abc", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, c, key("odd")); got[0] != nil {
		t.Fatalf("got %v from a value that is not float32s, want a miss", got[0])
	}
}

func TestRedisDown(t *testing.T) {
	client := redisClient(t, "redis://"+testservice.FreePort(t)+"/0")
	var logs bytes.Buffer
	c := NewRedis(client, RedisOptions{Timeout: 300 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ctx := context.Background()
	got, err := c.Get(ctx, []Key{key("a"), key("b")})
	if err == nil {
		t.Fatal("Get on a Redis that is down: got nil error")
	}
	if diff := cmp.Diff([][]float32{nil, nil}, got); diff != "" {
		t.Fatalf("Get (-want +got):\n%s", diff)
	}
	if err := c.Put(ctx, []Key{key("a")}, [][]float32{{1}}); err == nil {
		t.Fatal("Put on a Redis that is down: got nil error")
	}

	// Embed goes on without the cache.
	m := &fakeModel{}
	vecs, err := Embed(ctx, c, testParams, []string{"a", "b"}, m.embed)
	if err != nil {
		t.Fatalf("Embed with Redis down: %v", err)
	}
	if diff := cmp.Diff(want("a", "b"), vecs); diff != "" {
		t.Fatalf("vectors (-want +got):\n%s", diff)
	}
	if s := c.Stats(); s.Errors != 4 || s.Misses != 4 {
		t.Fatalf("got %+v, want 4 errors and 4 misses", s)
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 {
		t.Fatalf("got %d warnings for a run of failures, want 1:\n%s", n, logs.String())
	}
}

func TestRedisEmbedShared(t *testing.T) {
	// Two replicas with their own cache objects share Redis: what one
	// embedded, the other does not ask the model for.
	u, prefix := testservice.Redis(t)
	client := redisClient(t, u)
	a, b := NewRedis(client, RedisOptions{Prefix: prefix}), NewRedis(client, RedisOptions{Prefix: prefix})
	m := &fakeModel{}
	if _, err := Embed(context.Background(), a, testParams, []string{"x", "y"}, m.embed); err != nil {
		t.Fatal(err)
	}
	got, err := Embed(context.Background(), b, testParams, []string{"y", "x", "z"}, m.embed)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want("y", "x", "z"), got); diff != "" {
		t.Fatalf("vectors (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]string{{"x", "y"}, {"z"}}, m.calls); diff != "" {
		t.Fatalf("model calls (-want +got):\n%s", diff)
	}
}

func TestEncodeDecode(t *testing.T) {
	v := []float32{1, -2, 0.5, 1e30}
	if diff := cmp.Diff(v, decode(encode(v))); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}
}
