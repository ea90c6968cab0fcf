package vectorindex

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
)

// maxLevel caps a node's level. Levels are geometric with ratio 1/M, so
// even with M 2 and MaxLen nodes the top level is about 31.
const maxLevel = 48

// graph is an HNSW graph over an index's vectors. Each node's links at a
// level are a fixed-size slot: a count followed by room for the level's
// capacity of node IDs (2*M at layer 0, M above), so the whole graph is
// three flat slices, written to and read from a file as they are.
type graph struct {
	m, m0    int
	levels   []uint8  // node -> its top level
	links0   []uint32 // layer 0: n slots of 1+m0
	upper    []uint32 // layers 1..: levels[i] slots of 1+m per node i, in node order
	upperOff []uint32 // node -> offset of its layer-1 slot in upper (derived, not stored)
	entry    uint32   // a node of the top level, where searches start
	top      int      // the entry's level
}

// newGraph allocates an unlinked graph for nodes of the given levels.
func newGraph(m int, levels []uint8) (*graph, error) {
	g := &graph{m: m, m0: 2 * m, levels: levels}
	g.links0 = make([]uint32, len(levels)*(g.m0+1))
	size, err := g.layoutUpper()
	if err != nil {
		return nil, err
	}
	g.upper = make([]uint32, size)
	return g, nil
}

// layoutUpper computes upperOff from levels and returns the size of upper.
func (g *graph) layoutUpper() (int, error) {
	g.upperOff = make([]uint32, len(g.levels))
	off := 0
	for i, l := range g.levels {
		g.upperOff[i] = uint32(off)
		off += int(l) * (g.m + 1)
		if off > math.MaxUint32 {
			return 0, errors.New("hnsw upper layers exceed 2^32 links")
		}
	}
	return off, nil
}

// slot returns node id's slot at level: the count, then the links.
func (g *graph) slot(id uint32, level int) []uint32 {
	if level == 0 {
		i := int(id) * (g.m0 + 1)
		return g.links0[i : i+g.m0+1 : i+g.m0+1]
	}
	i := int(g.upperOff[id]) + (level-1)*(g.m+1)
	return g.upper[i : i+g.m+1 : i+g.m+1]
}

// links returns node id's links at level. While the graph is being built,
// locks is non-nil and the links are copied into s.links under the node's
// lock, since other goroutines are changing them.
func (g *graph) links(id uint32, level int, s *scratch, locks []sync.Mutex) []uint32 {
	if locks == nil {
		sl := g.slot(id, level)
		return sl[1 : 1+sl[0]]
	}
	locks[id].Lock()
	sl := g.slot(id, level)
	s.links = append(s.links[:0], sl[1:1+sl[0]]...)
	locks[id].Unlock()
	return s.links
}

// drawLevels draws each node's level: floor(-ln(U)/ln(M)) for U uniform
// in (0, 1], the paper's mL = 1/ln(M).
func drawLevels(n, m int, seed int64) []uint8 {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	mL := 1 / math.Log(float64(m))
	levels := make([]uint8, n)
	for i := range levels {
		u := 1 - rng.Float64() // (0, 1]
		levels[i] = uint8(min(int(-math.Log(u)*mL), maxLevel))
	}
	return levels
}

// validate checks a graph read from a file against n nodes, so that a
// search can index its slices without checks: every count within its
// slot, every link a node that exists at that level, the entry on top.
func (g *graph) validate() error {
	n := len(g.levels)
	if int(g.entry) >= n {
		return fmt.Errorf("hnsw entry %d is not below %d nodes", g.entry, n)
	}
	if int(g.levels[g.entry]) != g.top {
		return fmt.Errorf("hnsw entry %d has level %d, want top level %d", g.entry, g.levels[g.entry], g.top)
	}
	for id, l := range g.levels {
		if int(l) > g.top {
			return fmt.Errorf("hnsw node %d has level %d above the top %d", id, l, g.top)
		}
		for level := 0; level <= int(l); level++ {
			if err := g.validateSlot(uint32(id), level); err != nil {
				return err
			}
		}
	}
	return nil
}

// validateSlot checks node id's slot at level.
func (g *graph) validateSlot(id uint32, level int) error {
	sl := g.slot(id, level)
	if int(sl[0]) > len(sl)-1 {
		return fmt.Errorf("hnsw node %d has %d links at level %d, at most %d", id, sl[0], level, len(sl)-1)
	}
	for _, nb := range sl[1 : 1+sl[0]] {
		if int(nb) >= len(g.levels) || int(g.levels[nb]) < level {
			return fmt.Errorf("hnsw node %d links to %d, not a node of level %d", id, nb, level)
		}
	}
	return nil
}

// searchLayer is the paper's SEARCH-LAYER: a best-first walk of one
// level from entries that leaves the ef best nodes found in s.found. It
// stops when the best unexpanded node is worse than the worst of those.
func (ix *Index) searchLayer(g *graph, q []float32, entries []cand, ef, level int, s *scratch, locks []sync.Mutex) {
	s.seen.reset(ix.Len())
	s.frontier = s.frontier[:0]
	s.found = s.found[:0]
	for _, e := range entries {
		if !s.seen.visit(e.id) {
			s.offer(e, ef)
		}
	}
	for len(s.frontier) > 0 {
		c := s.frontier.pop()
		if len(s.found) >= ef && s.found.top().better(c) {
			break
		}
		for _, nb := range g.links(c.id, level, s, locks) {
			if s.seen.visit(nb) {
				continue
			}
			e := cand{score: ix.score(q, ix.vec(nb)), id: nb}
			if len(s.found) < ef || e.better(s.found.top()) {
				s.offer(e, ef)
			}
		}
	}
}

// offer adds c to the frontier and to the ef best found.
func (s *scratch) offer(c cand, ef int) {
	s.frontier.push(c)
	s.found.push(c)
	if len(s.found) > ef {
		s.found.pop()
	}
}

// descend walks greedily from the entry point down to level stop+1 and
// returns the closest node found: the paper's search with ef 1 on each
// upper level.
func (ix *Index) descend(g *graph, q []float32, from cand, top, stop int, s *scratch, locks []sync.Mutex) cand {
	for level := top; level > stop; level-- {
		s.entry[0] = from
		ix.searchLayer(g, q, s.entry[:], 1, level, s, locks)
		from = s.found.top()
	}
	return from
}

// searchGraph returns the ef best candidates for q, best first, in
// s.sorted: a greedy descent to layer 1, then a search of layer 0.
func (ix *Index) searchGraph(q []float32, ef int, s *scratch) []cand {
	g := ix.graph
	from := cand{score: ix.score(q, ix.vec(g.entry)), id: g.entry}
	s.entry[0] = ix.descend(g, q, from, g.top, 0, s, nil)
	ix.searchLayer(g, q, s.entry[:], ef, 0, s, nil)
	s.sorted = s.found.drainBestFirst(s.sorted[:0])
	return s.sorted
}
