package vectorindex

// searchExact scores every vector against q and returns the k best, best
// first, in s.sorted. It keeps a k-sized heap of the best so far, so most
// vectors cost one score and one comparison.
func (ix *Index) searchExact(q []float32, k int, s *scratch) []cand {
	s.found = s.found[:0]
	s.sorted = s.sorted[:0]
	if k <= 0 {
		return s.sorted
	}
	d := ix.opts.Dim
	for i := range ix.Len() {
		c := cand{score: ix.score(q, ix.vecs[i*d:i*d+d:i*d+d]), id: uint32(i)}
		if len(s.found) < k {
			s.found.push(c)
		} else if c.better(s.found.top()) {
			s.found[0] = c
			s.found.fix0()
		}
	}
	s.sorted = s.found.drainBestFirst(s.sorted)
	return s.sorted
}
