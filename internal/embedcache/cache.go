package embedcache

import "context"

// Cache holds vectors by Key. Implementations are safe for concurrent
// use.
//
// A cache is an optimisation, never a dependency: Get and Put return an
// error when the backend fails, but only to report it. Get's vectors are
// still valid (each one it could not read is a miss), callers treat the
// error as misses, and implementations log and count their own failures,
// so that callers need not. Embed does exactly that.
type Cache interface {
	// Get returns one entry per key, in order: the vector, or nil for a
	// miss. The vectors are the caller's to keep and change.
	Get(ctx context.Context, keys []Key) ([][]float32, error)
	// Put stores vecs[i] under keys[i]. Empty vectors are not stored. The
	// cache keeps copies: the caller may change vecs afterwards.
	Put(ctx context.Context, keys []Key, vecs [][]float32) error
}

// Stats counts a cache's work since it was made. Fields a backend does
// not track stay 0.
type Stats struct {
	// Hits and Misses count keys asked for in Get.
	Hits, Misses int64
	// Errors counts failed backend calls (Redis only).
	Errors int64
	// Evictions counts entries dropped to stay within the size bound
	// (Memory only).
	Evictions int64
	// Entries and Bytes are what the cache holds now, Bytes as estimated
	// against the bound (Memory only).
	Entries int
	Bytes   int64
}

// StatsReporter is a cache that counts its work; both caches here do.
type StatsReporter interface {
	Stats() Stats
}
