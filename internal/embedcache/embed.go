package embedcache

import (
	"context"
	"fmt"
	"slices"
)

// ModelFunc asks the embedding model for one vector per text, in order.
type ModelFunc func(ctx context.Context, texts []string) ([][]float32, error)

// Embed returns one vector per text, in order, asking model only for the
// texts c does not have, each distinct text once, and storing what model
// returns in c. A nil c just calls model (still once per distinct text).
//
// A cache failure never fails Embed: a Get error reads as misses and a
// Put error is dropped, since the cache reports both itself (see Cache).
// An error of model is returned as is, so that the caller can classify
// it, and nothing is cached. Two concurrent calls for the same new text
// both ask the model; the second Put overwrites the first with an equal
// vector.
func Embed(ctx context.Context, c Cache, p Params, texts []string, model ModelFunc) ([][]float32, error) {
	if len(texts) == 0 {
		return [][]float32{}, nil
	}
	b := newBatch(p, texts)
	vecs := make([][]float32, len(b.keys))
	if c != nil {
		got, _ := c.Get(ctx, b.keys) // errors are the cache's to report
		if len(got) == len(b.keys) {
			vecs = got
		}
	}
	var missKeys []Key
	var missTexts []string
	var missAt []int
	for i, v := range vecs {
		if v == nil {
			missKeys = append(missKeys, b.keys[i])
			missTexts = append(missTexts, b.texts[i])
			missAt = append(missAt, i)
		}
	}
	if len(missTexts) > 0 {
		fresh, err := model(ctx, missTexts)
		if err != nil {
			return nil, err
		}
		if err := checkVectors(fresh, len(missTexts)); err != nil {
			return nil, err
		}
		for j, i := range missAt {
			vecs[i] = fresh[j]
		}
		if c != nil {
			_ = c.Put(ctx, missKeys, fresh) // errors are the cache's to report
		}
	}
	return b.spread(vecs), nil
}

// batch is a request's texts with repeats folded: texts and keys are the
// distinct ones, at[i] is where the i-th input text went.
type batch struct {
	texts []string
	keys  []Key
	at    []int
}

func newBatch(p Params, texts []string) batch {
	b := batch{at: make([]int, len(texts))}
	seen := make(map[Key]int, len(texts))
	for i, t := range texts {
		k := p.Key(t)
		j, ok := seen[k]
		if !ok {
			j = len(b.keys)
			seen[k] = j
			b.keys = append(b.keys, k)
			b.texts = append(b.texts, t)
		}
		b.at[i] = j
	}
	return b
}

// spread maps the distinct texts' vectors back onto the input order. A
// repeated text gets a copy, so that changing one result cannot change
// another.
func (b batch) spread(vecs [][]float32) [][]float32 {
	out := make([][]float32, len(b.at))
	used := make([]bool, len(vecs))
	for i, j := range b.at {
		if used[j] {
			out[i] = slices.Clone(vecs[j])
			continue
		}
		used[j] = true
		out[i] = vecs[j]
	}
	return out
}

// checkVectors refuses a model answer that does not give one non-empty
// vector per text: caching it would serve the fault again later.
func checkVectors(vecs [][]float32, want int) error {
	if len(vecs) != want {
		return fmt.Errorf("embedcache: the model returned %d vectors for %d texts", len(vecs), want)
	}
	for i, v := range vecs {
		if len(v) == 0 {
			return fmt.Errorf("embedcache: the model returned an empty vector for text %d of %d", i+1, want)
		}
	}
	return nil
}
