package vectorindex

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// graphBuilder inserts an index's vectors into a graph from several
// goroutines, as hnswlib does: each node's links are guarded by the
// node's own lock, and the entry point by entryMu, which an insertion
// holds throughout when its node becomes the new top.
type graphBuilder struct {
	ix      *Index
	g       *graph
	efc     int
	locks   []sync.Mutex
	entryMu sync.Mutex
}

// buildGraph builds the HNSW graph of ix's vectors with the given number
// of goroutines (0 means GOMAXPROCS).
func buildGraph(ix *Index, workers int) (*graph, error) {
	n := ix.Len()
	g, err := newGraph(ix.opts.M, drawLevels(n, ix.opts.M, ix.opts.Seed))
	if err != nil {
		return nil, err
	}
	g.entry, g.top = 0, int(g.levels[0])
	b := &graphBuilder{ix: ix, g: g, efc: ix.opts.EfConstruction, locks: make([]sync.Mutex, n)}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// Nodes are handed out in order, so one worker inserts them exactly
	// in insertion order and builds a reproducible graph.
	var next atomic.Int64
	next.Store(1)
	var wg sync.WaitGroup
	for range min(workers, max(n-1, 1)) {
		wg.Go(func() {
			s := new(scratch)
			for id := next.Add(1) - 1; id < int64(n); id = next.Add(1) - 1 {
				b.insert(uint32(id), s)
			}
		})
	}
	wg.Wait()
	return g, nil
}

// insert is the paper's INSERT with hnswlib's neighbour heuristic, in
// two phases: first the neighbours are chosen at every level, top down,
// then q is linked to them bottom up. Linking bottom up means another
// insertion can reach q at a level only once q's links below it exist:
// linking top down, as the paper does, lets a concurrent insertion
// descend through q into a layer 0 where q has no links yet, link itself
// to q alone, and then lose that one link when q's own layer 0 links are
// written (TestHNSWSearchFindsItself caught it with two workers).
func (b *graphBuilder) insert(q uint32, s *scratch) {
	g, ix := b.g, b.ix
	level := int(g.levels[q])
	b.entryMu.Lock()
	entry, top := g.entry, g.top
	if level > top {
		// q becomes the entry point: keep other insertions from
		// starting at a top level q is not yet linked into.
		defer b.entryMu.Unlock()
		defer func() { g.entry, g.top = q, level }()
	} else {
		b.entryMu.Unlock()
	}
	qv := ix.vec(q)
	from := cand{score: ix.score(qv, ix.vec(entry)), id: entry}
	s.entry[0] = ix.descend(g, qv, from, top, level, s, b.locks)
	entries := s.entry[:]
	low := min(level, top)
	for len(s.chosen) <= low {
		s.chosen = append(s.chosen, nil)
	}
	for l := low; l >= 0; l-- {
		ix.searchLayer(g, qv, entries, b.efc, l, s, b.locks)
		s.sorted = s.found.drainBestFirst(s.sorted[:0])
		s.chosen[l] = b.heuristic(s.sorted, g.m, s.chosen[l][:0])
		entries = s.sorted
	}
	for l := 0; l <= low; l++ {
		b.connect(q, s.chosen[l], l, s)
	}
}

// connect links q to its chosen neighbours at level, and each of those
// back to q.
func (b *graphBuilder) connect(q uint32, chosen []cand, level int, s *scratch) {
	b.locks[q].Lock()
	sl := b.g.slot(q, level)
	sl[0] = uint32(len(chosen))
	for i, c := range chosen {
		sl[1+i] = c.id
	}
	b.locks[q].Unlock()
	for _, c := range chosen {
		b.link(c.id, cand{score: c.score, id: q}, level, s)
	}
}

// link adds q (scored against e) to e's links at level, pruning them
// with the heuristic when the slot is full.
func (b *graphBuilder) link(e uint32, q cand, level int, s *scratch) {
	b.locks[e].Lock()
	defer b.locks[e].Unlock()
	sl := b.g.slot(e, level)
	n := int(sl[0])
	if n < len(sl)-1 {
		sl[1+n] = q.id
		sl[0]++
		return
	}
	ev := b.ix.vec(e)
	pool := append(s.frontier[:0], q)
	for _, nb := range sl[1 : 1+n] {
		pool = append(pool, cand{score: b.ix.score(ev, b.ix.vec(nb)), id: nb})
	}
	slices.SortFunc(pool, func(x, y cand) int {
		if x.better(y) {
			return -1
		}
		if y.better(x) {
			return 1
		}
		return 0
	})
	kept := b.heuristic(pool, len(sl)-1, s.pruned[:0])
	sl[0] = uint32(len(kept))
	for i, c := range kept {
		sl[1+i] = c.id
	}
	s.frontier, s.pruned = pool, kept
}

// heuristic is the paper's SELECT-NEIGHBORS-HEURISTIC as hnswlib has it:
// from candidates sorted best first, keep one only if it is closer to the
// base than to every one already kept, up to m. Links that spread in
// different directions let a greedy walk leave a cluster, which keeping
// the m closest does not.
func (b *graphBuilder) heuristic(cands []cand, m int, dst []cand) []cand {
	if len(cands) <= m {
		return append(dst, cands...)
	}
	for _, c := range cands {
		if len(dst) >= m {
			break
		}
		cv := b.ix.vec(c.id)
		keep := true
		for _, k := range dst {
			if b.ix.score(cv, b.ix.vec(k.id)) > c.score {
				keep = false
				break
			}
		}
		if keep {
			dst = append(dst, c)
		}
	}
	return dst
}
