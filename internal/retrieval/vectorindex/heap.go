package vectorindex

// cand is a node and its score against the query.
type cand struct {
	score float32
	id    uint32
}

// better reports whether a ranks before b: a higher score, then (so that
// results are deterministic) a lower node ID.
func (a cand) better(b cand) bool {
	return a.score > b.score || (a.score == b.score && a.id < b.id)
}

// worstHeap is a binary heap whose root is its worst candidate: the
// bounded result list of a search, which evicts its root when a better
// candidate arrives. bestHeap (below) is the same with the order reversed.
// Hand-written rather than container/heap so pushes do not box the
// elements in an interface.
type worstHeap []cand

func (h worstHeap) top() cand { return h[0] }

func (h *worstHeap) push(c cand) {
	*h = append(*h, c)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s[p].better(s[i]) {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h *worstHeap) pop() cand {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	*h = s[:last]
	h.fix0()
	return top
}

// fix0 restores the heap order after its root was replaced.
func (h worstHeap) fix0() {
	s := h
	for i := 0; ; {
		w, l, r := i, 2*i+1, 2*i+2
		if l < len(s) && s[w].better(s[l]) {
			w = l
		}
		if r < len(s) && s[w].better(s[r]) {
			w = r
		}
		if w == i {
			break
		}
		s[w], s[i] = s[i], s[w]
		i = w
	}
}

// drainBestFirst empties h into dst, best first, and returns dst.
func (h *worstHeap) drainBestFirst(dst []cand) []cand {
	n := len(*h)
	start := len(dst)
	dst = append(dst, make([]cand, n)...)
	for i := n - 1; i >= 0; i-- {
		dst[start+i] = h.pop()
	}
	return dst
}

// bestHeap is a binary heap whose root is its best candidate: the
// frontier a graph search expands.
type bestHeap []cand

func (h *bestHeap) push(c cand) {
	*h = append(*h, c)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s[i].better(s[p]) {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h *bestHeap) pop() cand {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	for i := 0; ; {
		b, l, r := i, 2*i+1, 2*i+2
		if l < len(s) && s[l].better(s[b]) {
			b = l
		}
		if r < len(s) && s[r].better(s[b]) {
			b = r
		}
		if b == i {
			break
		}
		s[b], s[i] = s[i], s[b]
		i = b
	}
	*h = s
	return top
}

// visited is a set of node IDs cleared in O(1): a node is in the set
// when its mark equals the current epoch, so clearing bumps the epoch and
// only a wrap-around (every 2^32 searches) pays for a real clear.
type visited struct {
	marks []uint32
	epoch uint32
}

// reset empties the set and sizes it for n nodes.
func (v *visited) reset(n int) {
	if len(v.marks) < n {
		v.marks = make([]uint32, n)
		v.epoch = 0
	}
	v.epoch++
	if v.epoch == 0 {
		clear(v.marks)
		v.epoch = 1
	}
}

// visit adds id and reports whether it was already there.
func (v *visited) visit(id uint32) bool {
	if v.marks[id] == v.epoch {
		return true
	}
	v.marks[id] = v.epoch
	return false
}

// scratch is one search's working memory, pooled per index so that a
// search allocates only its results.
type scratch struct {
	seen     visited
	frontier bestHeap
	found    worstHeap
	sorted   []cand
	query    []float32
	entry    [1]cand  // a single entry point for searchLayer
	links    []uint32 // a copy of a node's links, while building
	chosen   [][]cand // per level, the neighbours of the node being inserted
	pruned   []cand   // a full neighbour list pruned, while building
}
