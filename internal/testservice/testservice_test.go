package testservice

import (
	"context"
	"database/sql"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestPostgresOwnDatabase(t *testing.T) {
	u := Postgres(t)
	db, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var name string
	if err := db.QueryRowContext(context.Background(), "SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	if len(name) < len("outcrop_test_") || name[:len("outcrop_test_")] != "outcrop_test_" {
		t.Fatalf("got database %q, want one of the test's own", name)
	}
}

func TestRedisPrefixCleaned(t *testing.T) {
	var prefix string
	var opts *redis.Options
	t.Run("use", func(t *testing.T) {
		u, p := Redis(t)
		prefix = p
		o, err := redis.ParseURL(u)
		if err != nil {
			t.Fatal(err)
		}
		opts = o
		c := redis.NewClient(o)
		defer c.Close()
		if err := c.Set(context.Background(), p+"x", "1", 0).Err(); err != nil {
			t.Fatal(err)
		}
	})
	if opts == nil {
		t.Skip("no Redis")
	}
	c := redis.NewClient(opts)
	defer c.Close()
	n, err := c.Exists(context.Background(), prefix+"x").Result()
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("key %sx survived the test's cleanup", prefix)
	}
}
