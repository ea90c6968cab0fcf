// Package testservice gives tests their own piece of the real PostgreSQL
// and Redis servers that scripts/test starts (see docs/testing.md and
// ../shared/docs/services.md): a fresh database, or a fresh key prefix,
// removed when the test ends.
//
// A server that cannot be reached skips the test on a developer machine
// and fails it in CI (CI=true), where a missing service must never pass
// silently.
package testservice

import (
	"context"
	"crypto/rand"
	"database/sql"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/redis/go-redis/v9"
)

// Environment variables that point the tests at other servers.
const (
	// EnvPostgres is an admin URL of the PostgreSQL server (a database
	// the tests may connect to in order to create their own).
	EnvPostgres = "OUTCROP_TEST_POSTGRES_URL"
	// EnvRedis is the Redis server's URL.
	EnvRedis = "OUTCROP_TEST_REDIS_URL"
)

// Defaults: the services of the development and CI machines.
const (
	DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	DefaultRedis    = "redis://127.0.0.1:6379/0"
)

// unavailable skips the test, or fails it in CI.
func unavailable(t testing.TB, what string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not reachable (CI=true, so this fails instead of skipping): %v", what, err)
	}
	t.Skipf("%s is not reachable: %v (run scripts/test, which starts it)", what, err)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Postgres creates a database of the test's own on the PostgreSQL server
// and returns its URL; the database is dropped when the test ends.
func Postgres(t testing.TB) string {
	t.Helper()
	admin := envOr(EnvPostgres, DefaultPostgres)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatalf("open %s: %v", EnvPostgres, err)
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		unavailable(t, "PostgreSQL", err)
	}
	name := "outcrop_test_" + strings.ToLower(rand.Text()[:12])
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		db, err := sql.Open("pgx", admin)
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
			return
		}
		defer db.Close()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvPostgres, err)
	}
	u.Path = "/" + name
	return u.String()
}

// Redis returns the Redis server's URL and a key prefix of the test's own
// ("outcrop-test:<random>:"); every key under the prefix is deleted when
// the test ends.
func Redis(t testing.TB) (redisURL, prefix string) {
	t.Helper()
	redisURL = envOr(EnvRedis, DefaultRedis)
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvRedis, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c := redis.NewClient(opts)
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		unavailable(t, "Redis", err)
	}
	_ = c.Close()
	prefix = "outcrop-test:" + rand.Text()[:12] + ":"
	t.Cleanup(func() { deletePrefix(t, opts, prefix) })
	return redisURL, prefix
}

func deletePrefix(t testing.TB, opts *redis.Options, prefix string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := redis.NewClient(opts)
	defer c.Close()
	iter := c.Scan(ctx, 0, prefix+"*", 500).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Errorf("scan %s*: %v", prefix, err)
		return
	}
	for len(keys) > 0 {
		n := min(len(keys), 500)
		if err := c.Del(ctx, keys[:n]...).Err(); err != nil {
			t.Errorf("delete %s*: %v", prefix, err)
			return
		}
		keys = keys[n:]
	}
}

// FreePort returns a loopback address nothing listens on right now.
func FreePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// String is for messages: the URL without a password.
func String(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(bad URL)"
	}
	return p.Redacted()
}
