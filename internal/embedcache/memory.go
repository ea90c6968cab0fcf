package embedcache

import (
	"container/list"
	"context"
	"fmt"
	"slices"
	"sync"
)

// DefaultMaxBytes is Memory's bound when NewMemory is given none: 64 MiB,
// about 16,000 vectors of 1024 dimensions.
const DefaultMaxBytes = 64 << 20

// entryOverhead estimates what an entry costs besides its floats: the map
// slot, the list element, the entry and its slice header. It makes the
// byte bound hold for small vectors too, where the bookkeeping is a large
// part of the cost.
const entryOverhead = 160

// Memory is an in-process LRU cache bounded by an estimate of the bytes it
// holds: when a Put goes over the bound, the least recently used entries
// are dropped. It is safe for concurrent use.
type Memory struct {
	max int64

	mu        sync.Mutex
	order     *list.List // of *memEntry, most recently used first
	entries   map[Key]*list.Element
	bytes     int64
	hits      int64
	misses    int64
	evictions int64
}

type memEntry struct {
	key Key
	// vec is never changed in place: Put replaces it, so Get can copy it
	// outside the lock.
	vec []float32
}

var (
	_ Cache         = (*Memory)(nil)
	_ StatsReporter = (*Memory)(nil)
)

// NewMemory returns an empty Memory holding at most maxBytes (estimated:
// 4 bytes a float plus about 160 a entry). maxBytes <= 0 means
// DefaultMaxBytes.
func NewMemory(maxBytes int64) *Memory {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	return &Memory{max: maxBytes, order: list.New(), entries: make(map[Key]*list.Element)}
}

// cost is what an entry of n floats counts against the bound.
func cost(n int) int64 {
	return int64(n)*4 + entryOverhead
}

// Get implements Cache; it never fails. A hit becomes the most recently
// used entry.
func (m *Memory) Get(_ context.Context, keys []Key) ([][]float32, error) {
	out := make([][]float32, len(keys))
	m.mu.Lock()
	for i, k := range keys {
		el, ok := m.entries[k]
		if !ok {
			m.misses++
			continue
		}
		m.hits++
		m.order.MoveToFront(el)
		out[i] = el.Value.(*memEntry).vec
	}
	m.mu.Unlock()
	// Copy outside the lock: the stored slices are never written to.
	for i, v := range out {
		if v != nil {
			out[i] = slices.Clone(v)
		}
	}
	return out, nil
}

// Put implements Cache; it fails only when keys and vecs differ in
// length, a caller's bug. A vector larger than the whole
// bound is not stored, since it would evict everything and then itself.
func (m *Memory) Put(_ context.Context, keys []Key, vecs [][]float32) error {
	if len(keys) != len(vecs) {
		return fmt.Errorf("embedcache: %d keys for %d vectors", len(keys), len(vecs))
	}
	copies := make([][]float32, len(vecs))
	for i := range vecs {
		if len(vecs[i]) > 0 && cost(len(vecs[i])) <= m.max {
			copies[i] = slices.Clone(vecs[i])
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, v := range copies {
		if v != nil {
			m.put(keys[i], v)
		}
	}
	m.evict()
	return nil
}

// put stores one entry as the most recently used; m.mu is held.
func (m *Memory) put(k Key, v []float32) {
	if el, ok := m.entries[k]; ok {
		e := el.Value.(*memEntry)
		m.bytes += cost(len(v)) - cost(len(e.vec))
		e.vec = v
		m.order.MoveToFront(el)
		return
	}
	m.entries[k] = m.order.PushFront(&memEntry{key: k, vec: v})
	m.bytes += cost(len(v))
}

// evict drops least recently used entries until the bound holds; m.mu is
// held.
func (m *Memory) evict() {
	for m.bytes > m.max {
		el := m.order.Back()
		e := el.Value.(*memEntry)
		m.order.Remove(el)
		delete(m.entries, e.key)
		m.bytes -= cost(len(e.vec))
		m.evictions++
	}
}

// Stats implements StatsReporter.
func (m *Memory) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return Stats{
		Hits: m.hits, Misses: m.misses, Evictions: m.evictions,
		Entries: len(m.entries), Bytes: m.bytes,
	}
}
