package embedcache

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var testParams = Params{Model: "test-embed", Dimensions: 4}

func vec(n int, v float32) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = v + float32(i)
	}
	return out
}

func key(s string) Key { return testParams.Key(s) }

func mustPut(t testing.TB, c Cache, keys []Key, vecs [][]float32) {
	t.Helper()
	if err := c.Put(context.Background(), keys, vecs); err != nil {
		t.Fatal(err)
	}
}

func mustGet(t testing.TB, c Cache, keys ...Key) [][]float32 {
	t.Helper()
	got, err := c.Get(context.Background(), keys)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestMemoryRoundTrip(t *testing.T) {
	m := NewMemory(0)
	mustPut(t, m, []Key{key("a"), key("b")}, [][]float32{vec(4, 1), vec(4, 2)})
	got := mustGet(t, m, key("a"), key("x"), key("b"))
	want := [][]float32{vec(4, 1), nil, vec(4, 2)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Get (-want +got):\n%s", diff)
	}
	// The caller's copies are its own, both ways.
	got[0][0] = 99
	in := vec(4, 3)
	mustPut(t, m, []Key{key("c")}, [][]float32{in})
	in[0] = 99
	if again := mustGet(t, m, key("a"), key("c")); again[0][0] != 1 || again[1][0] != 3 {
		t.Fatalf("the cache shares memory with its callers: got %v", again)
	}
	want2 := Stats{Hits: 4, Misses: 1, Entries: 3, Bytes: 3 * cost(4)}
	if diff := cmp.Diff(want2, m.Stats()); diff != "" {
		t.Fatalf("Stats (-want +got):\n%s", diff)
	}
}

func TestMemoryEvictsLeastRecentlyUsed(t *testing.T) {
	m := NewMemory(3 * cost(4))
	mustPut(t, m, []Key{key("a"), key("b"), key("c")}, [][]float32{vec(4, 1), vec(4, 2), vec(4, 3)})
	mustGet(t, m, key("a"))                                // a is now the most recently used; b the least
	mustPut(t, m, []Key{key("d")}, [][]float32{vec(4, 4)}) // evicts b
	mustPut(t, m, []Key{key("c")}, [][]float32{vec(4, 5)}) // a replacement counts as a use
	mustPut(t, m, []Key{key("e")}, [][]float32{vec(4, 6)}) // evicts a
	got := mustGet(t, m, key("a"), key("b"), key("c"), key("d"), key("e"))
	present := make([]bool, len(got))
	for i, v := range got {
		present[i] = v != nil
	}
	if diff := cmp.Diff([]bool{false, false, true, true, true}, present); diff != "" {
		t.Fatalf("present a..e (-want +got):\n%s", diff)
	}
	if got[2][0] != 5 {
		t.Fatalf("c: got %v, want the replacement", got[2])
	}
	if s := m.Stats(); s.Evictions != 2 || s.Entries != 3 {
		t.Fatalf("got %+v, want 2 evictions and 3 entries", s)
	}
}

func TestMemoryByteBound(t *testing.T) {
	const maxBytes = 64 << 10
	m := NewMemory(maxBytes)
	for i := range 200 {
		n := 16 + i%5*300 // vectors of 16 to 1216 floats
		mustPut(t, m, []Key{key(fmt.Sprint(i))}, [][]float32{vec(n, float32(i))})
		if b := m.Stats().Bytes; b > maxBytes {
			t.Fatalf("after %d puts the cache holds %d bytes, over its bound of %d", i+1, b, maxBytes)
		}
	}
	// A vector bigger than the whole bound is not stored, and evicts
	// nothing.
	before := m.Stats()
	mustPut(t, m, []Key{key("huge")}, [][]float32{vec(maxBytes/4, 0)})
	if got := mustGet(t, m, key("huge")); got[0] != nil {
		t.Fatal("a vector over the bound was stored")
	}
	if after := m.Stats(); after.Entries != before.Entries {
		t.Fatalf("got %d entries, want %d: the huge vector evicted others", after.Entries, before.Entries)
	}
	// Empty vectors are not stored either.
	mustPut(t, m, []Key{key("empty")}, [][]float32{{}})
	if got := mustGet(t, m, key("empty")); got[0] != nil {
		t.Fatal("an empty vector was stored")
	}
}

func TestMemoryPutMismatch(t *testing.T) {
	if err := NewMemory(0).Put(context.Background(), []Key{key("a")}, nil); err == nil {
		t.Fatal("got nil error for 1 key and 0 vectors")
	}
}

func TestMemoryConcurrent(t *testing.T) {
	m := NewMemory(50 * cost(8)) // small, so that evictions race with hits
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				k := key(fmt.Sprint((g*7 + i) % 120))
				if i%3 == 0 {
					_ = m.Put(context.Background(), []Key{k}, [][]float32{vec(8, float32(i))})
					continue
				}
				got, _ := m.Get(context.Background(), []Key{k})
				for _, v := range got {
					if v != nil && len(v) != 8 {
						t.Errorf("got a vector of %d floats, want 8", len(v))
					}
				}
			}
		})
	}
	wg.Wait()
	s := m.Stats()
	if s.Bytes > 50*cost(8) || s.Entries > 50 {
		t.Fatalf("got %+v, over the bound", s)
	}
	if s.Hits+s.Misses != 8*500-8*167 {
		t.Fatalf("got %d lookups, want %d", s.Hits+s.Misses, 8*500-8*167)
	}
}

func BenchmarkMemoryGet(b *testing.B) {
	m := NewMemory(0)
	keys := make([]Key, 1000)
	for i := range keys {
		keys[i] = key(fmt.Sprint(i))
		mustPut(b, m, keys[i:i+1], [][]float32{vec(1024, 1)})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		mustGet(b, m, keys[i%len(keys)])
	}
}

func BenchmarkMemoryPut(b *testing.B) {
	m := NewMemory(16 << 20) // about 4,000 entries of 1024 floats: Puts evict
	v := vec(1024, 1)
	keys := make([]Key, 10000)
	for i := range keys {
		keys[i] = key(fmt.Sprint(i))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		mustPut(b, m, keys[i%len(keys):i%len(keys)+1], [][]float32{v})
	}
}

func BenchmarkMemoryGetParallel(b *testing.B) {
	m := NewMemory(0)
	keys := make([]Key, 1000)
	for i := range keys {
		keys[i] = key(fmt.Sprint(i))
		mustPut(b, m, keys[i:i+1], [][]float32{vec(1024, 1)})
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			_, _ = m.Get(context.Background(), keys[i%len(keys):i%len(keys)+1])
			i++
		}
	})
}
