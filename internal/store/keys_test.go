package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCreateAndGetKey(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			db, c := b.open(t)
			ctx := context.Background()
			k := testKey("key_a")
			if err := db.CreateKey(ctx, k); err != nil {
				t.Fatalf("CreateKey: %v", err)
			}
			if !k.CreatedAt.Equal(c.Now()) || !k.UpdatedAt.Equal(c.Now()) {
				t.Errorf("got CreatedAt %v, UpdatedAt %v, want both %v", k.CreatedAt, k.UpdatedAt, c.Now())
			}
			if k.Revision != 1 {
				t.Errorf("got Revision %d, want 1", k.Revision)
			}
			for _, lookup := range []string{"key_a", "name-key_a"} {
				got, err := db.GetKey(ctx, lookup)
				if err != nil {
					t.Fatalf("GetKey(%q): %v", lookup, err)
				}
				if diff := cmp.Diff(k, got); diff != "" {
					t.Errorf("GetKey(%q) (-want +got):\n%s", lookup, diff)
				}
			}
			got, err := db.KeyByHash(ctx, hashOf("secret-key_a"))
			if err != nil {
				t.Fatalf("KeyByHash: %v", err)
			}
			if diff := cmp.Diff(k, got); diff != "" {
				t.Errorf("KeyByHash (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMinimalKeyRoundTrip(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			db, _ := b.open(t)
			ctx := context.Background()
			k := &Key{ID: "key_min", Name: "min", Hash: hashOf("min")}
			if err := db.CreateKey(ctx, k); err != nil {
				t.Fatalf("CreateKey: %v", err)
			}
			got, err := db.GetKey(ctx, "key_min")
			if err != nil {
				t.Fatalf("GetKey: %v", err)
			}
			// Zero times, nil slices and maps come back as they went in.
			if diff := cmp.Diff(k, got); diff != "" {
				t.Errorf("GetKey (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKeyNotFound(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			db, _ := b.open(t)
			ctx := context.Background()
			if _, err := db.GetKey(ctx, "key_none"); !errors.Is(err, ErrNotFound) {
				t.Errorf("GetKey: got %v, want ErrNotFound", err)
			}
			if _, err := db.KeyByHash(ctx, hashOf("none")); !errors.Is(err, ErrNotFound) {
				t.Errorf("KeyByHash: got %v, want ErrNotFound", err)
			}
			if err := db.UpdateKey(ctx, testKey("key_none")); !errors.Is(err, ErrNotFound) {
				t.Errorf("UpdateKey: got %v, want ErrNotFound", err)
			}
			// The failed update must not have used up a revision.
			if err := db.CreateKey(ctx, testKey("key_x")); err != nil {
				t.Fatalf("CreateKey: %v", err)
			}
			if _, rev, err := db.KeysChangedSince(ctx, 0); err != nil || rev != 1 {
				t.Errorf("KeysChangedSince: got revision %d, %v, want 1, nil", rev, err)
			}
		})
	}
}

func TestCreateKeyConflict(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			db, _ := b.open(t)
			ctx := context.Background()
			if err := db.CreateKey(ctx, testKey("key_a")); err != nil {
				t.Fatalf("CreateKey: %v", err)
			}
			tests := []struct {
				name string
				edit func(*Key)
			}{
				{"same ID", func(k *Key) { k.ID = "key_a" }},
				{"same name", func(k *Key) { k.Name = "name-key_a" }},
				{"same hash", func(k *Key) { k.Hash = hashOf("secret-key_a") }},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					k := testKey("key_b")
					tt.edit(k)
					if err := db.CreateKey(ctx, k); !errors.Is(err, ErrConflict) {
						t.Errorf("got %v, want ErrConflict", err)
					}
				})
			}
		})
	}
}

func TestInvalidKey(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Key)
	}{
		{"no ID", func(k *Key) { k.ID = "" }},
		{"no name", func(k *Key) { k.Name = "" }},
		{"short hash", func(k *Key) { k.Hash = k.Hash[:16] }},
		{"no hash", func(k *Key) { k.Hash = nil }},
		{"negative RPM", func(k *Key) { k.RPM = -1 }},
		{"negative budget", func(k *Key) { k.Budget = -1 }},
		{"unknown period", func(k *Key) { k.BudgetPeriod = "week" }},
		{"budget without period", func(k *Key) { k.BudgetPeriod = "" }},
	}
	db := openTest(t, "sqlite::memory:", Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := testKey("key_bad")
			tt.edit(k)
			if err := db.CreateKey(context.Background(), k); !errors.Is(err, ErrInvalid) {
				t.Errorf("CreateKey: got %v, want ErrInvalid", err)
			}
			if err := db.UpdateKey(context.Background(), k); !errors.Is(err, ErrInvalid) {
				t.Errorf("UpdateKey: got %v, want ErrInvalid", err)
			}
		})
	}
}

func TestUpdateKey(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			db, c := b.open(t)
			ctx := context.Background()
			k := testKey("key_a")
			if err := db.CreateKey(ctx, k); err != nil {
				t.Fatalf("CreateKey: %v", err)
			}
			created := k.CreatedAt
			c.Advance(time.Hour)
			k.Name = "renamed"
			k.Hash = hashOf("rotated") // rotation
			k.Models = nil
			k.Metadata = map[string]string{"project": "borealis"}
			k.RevokedAt = c.Now()
			k.Budget, k.BudgetPeriod = 0, ""
			if err := db.UpdateKey(ctx, k); err != nil {
				t.Fatalf("UpdateKey: %v", err)
			}
			if !k.CreatedAt.Equal(created) || !k.UpdatedAt.Equal(c.Now()) || k.Revision != 2 {
				t.Errorf("got CreatedAt %v, UpdatedAt %v, Revision %d, want %v, %v, 2",
					k.CreatedAt, k.UpdatedAt, k.Revision, created, c.Now())
			}
			got, err := db.KeyByHash(ctx, hashOf("rotated"))
			if err != nil {
				t.Fatalf("KeyByHash(new hash): %v", err)
			}
			if diff := cmp.Diff(k, got); diff != "" {
				t.Errorf("after update (-want +got):\n%s", diff)
			}
			if _, err := db.KeyByHash(ctx, hashOf("secret-key_a")); !errors.Is(err, ErrNotFound) {
				t.Errorf("KeyByHash(old hash): got %v, want ErrNotFound", err)
			}
			if _, err := db.GetKey(ctx, "name-key_a"); !errors.Is(err, ErrNotFound) {
				t.Errorf("GetKey(old name): got %v, want ErrNotFound", err)
			}
		})
	}
}

func TestUpdateKeyConflict(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			db, _ := b.open(t)
			ctx := context.Background()
			a, b := testKey("key_a"), testKey("key_b")
			for _, k := range []*Key{a, b} {
				if err := db.CreateKey(ctx, k); err != nil {
					t.Fatalf("CreateKey: %v", err)
				}
			}
			b.Name = a.Name
			if err := db.UpdateKey(ctx, b); !errors.Is(err, ErrConflict) {
				t.Errorf("UpdateKey(taken name): got %v, want ErrConflict", err)
			}
			b.Name, b.Hash = "name-key_b", a.Hash
			if err := db.UpdateKey(ctx, b); !errors.Is(err, ErrConflict) {
				t.Errorf("UpdateKey(taken hash): got %v, want ErrConflict", err)
			}
		})
	}
}

func TestListKeysOrder(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			db, c := b.open(t)
			ctx := context.Background()
			// key_c first; key_b and key_a in the same millisecond, so ID
			// decides between them.
			for _, id := range []string{"key_c", "", "key_b", "key_a"} {
				if id == "" {
					c.Advance(time.Millisecond)
					continue
				}
				if err := db.CreateKey(ctx, testKey(id)); err != nil {
					t.Fatalf("CreateKey(%s): %v", id, err)
				}
			}
			keys, err := db.ListKeys(ctx)
			if err != nil {
				t.Fatalf("ListKeys: %v", err)
			}
			var ids []string
			for _, k := range keys {
				ids = append(ids, k.ID)
			}
			if diff := cmp.Diff([]string{"key_c", "key_a", "key_b"}, ids); diff != "" {
				t.Errorf("ListKeys order (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKeysChangedSince(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			db, c := b.open(t)
			ctx := context.Background()
			keys, rev, err := db.KeysChangedSince(ctx, 0)
			if err != nil || len(keys) != 0 || rev != 0 {
				t.Fatalf("empty store: got %d keys, revision %d, %v, want 0, 0, nil", len(keys), rev, err)
			}
			a, b, x := testKey("key_a"), testKey("key_b"), testKey("key_x")
			for _, k := range []*Key{a, b, x} {
				if err := db.CreateKey(ctx, k); err != nil {
					t.Fatalf("CreateKey: %v", err)
				}
			}
			_, seen, err := db.KeysChangedSince(ctx, 0)
			if err != nil || seen != 3 {
				t.Fatalf("got revision %d, %v, want 3, nil", seen, err)
			}
			a.RevokedAt = c.Now()
			x.RPM = 1
			for _, k := range []*Key{a, x} {
				if err := db.UpdateKey(ctx, k); err != nil {
					t.Fatalf("UpdateKey: %v", err)
				}
			}
			keys, rev, err = db.KeysChangedSince(ctx, seen)
			if err != nil {
				t.Fatalf("KeysChangedSince: %v", err)
			}
			if diff := cmp.Diff([]*Key{a, x}, keys); diff != "" {
				t.Errorf("changed keys (-want +got):\n%s", diff)
			}
			if rev != 5 {
				t.Errorf("got revision %d, want 5", rev)
			}
			keys, again, err := db.KeysChangedSince(ctx, rev)
			if err != nil || len(keys) != 0 || again != rev {
				t.Errorf("no change: got %d keys, revision %d, %v, want 0, %d, nil", len(keys), again, err, rev)
			}
		})
	}
}

// TestRevisionConcurrent has goroutines create and update keys at once;
// every write must get a revision of its own, and the store's revision
// must be the number of writes.
func TestRevisionConcurrent(t *testing.T) {
	const workers, perWorker = 6, 10
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			db, _ := b.open(t)
			ctx := context.Background()
			revs := make(chan int64, workers*perWorker*2)
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					last := int64(0)
					for i := range perWorker {
						k := testKey(fmt.Sprintf("key_%d_%d", w, i))
						if err := db.CreateKey(ctx, k); err != nil {
							t.Errorf("CreateKey: %v", err)
							return
						}
						first := k.Revision
						k.RPM++
						if err := db.UpdateKey(ctx, k); err != nil {
							t.Errorf("UpdateKey: %v", err)
							return
						}
						if first <= last || k.Revision <= first {
							t.Errorf("worker %d: revisions %d, %d after %d, want increasing", w, first, k.Revision, last)
						}
						last = k.Revision
						revs <- first
						revs <- k.Revision
					}
				})
			}
			wg.Wait()
			close(revs)
			var all []int64
			for r := range revs {
				all = append(all, r)
			}
			slices.Sort(all)
			for i, r := range all {
				if r != int64(i+1) {
					t.Fatalf("got revisions %v, want 1..%d each once", all, len(all))
				}
			}
			keys, rev, err := db.KeysChangedSince(ctx, 0)
			if err != nil {
				t.Fatalf("KeysChangedSince: %v", err)
			}
			if len(keys) != workers*perWorker || rev != int64(len(all)) {
				t.Errorf("got %d keys, revision %d, want %d, %d", len(keys), rev, workers*perWorker, len(all))
			}
		})
	}
}
