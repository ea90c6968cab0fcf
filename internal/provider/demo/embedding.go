package demo

import (
	"context"
	"hash/fnv"
	"math"
	"strconv"
	"strings"

	"github.com/outcrop/outcrop/internal/openai"
)

// Embedding sizes.
const (
	// DefaultDimensions is the length of a demo-embed vector when the
	// request sets no `dimensions`.
	DefaultDimensions = 256
	// MaxDimensions is the largest `dimensions` accepted.
	MaxDimensions = 4096
)

// Embeddings answers an embeddings request with unit-length vectors made by
// feature hashing: each word of the text and each character trigram of
// each word (token IDs and ID pairs for token input) adds a fixed weight,
// with a hashed sign, at a hashed position. Texts sharing words or word
// parts therefore point in similar directions, which is enough for the
// retrieval demo, and the same text always gives the same vector.
func (p *Provider) Embeddings(ctx context.Context, req *openai.EmbeddingRequest) (*openai.EmbeddingResponse, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkModel(req.Model, EmbedModel, "embeddings"); err != nil {
		return nil, err
	}
	dim := DefaultDimensions
	if req.Dimensions != nil {
		dim = *req.Dimensions
		if dim < 1 || dim > MaxDimensions {
			return nil, openai.Errorf("dimensions", "Invalid 'dimensions': expected a value between 1 and %d for model %s, but got %d instead.", MaxDimensions, req.Model, dim)
		}
	}
	vecs, tokens, err := embedInputs(req.Input, dim)
	if err != nil {
		return nil, err
	}
	resp := &openai.EmbeddingResponse{
		Object: openai.ObjectList,
		Data:   make([]openai.Embedding, len(vecs)),
		Model:  req.Model,
		Usage:  &openai.Usage{PromptTokens: tokens, TotalTokens: tokens},
	}
	for i, v := range vecs {
		resp.Data[i] = openai.Embedding{
			Object: openai.ObjectEmbedding, Index: i, Vector: v,
			Base64: req.EncodingFormat == "base64",
		}
	}
	return resp, nil
}

// embedInputs embeds each input and counts the prompt tokens.
func embedInputs(in openai.EmbeddingInput, dim int) ([][]float32, int, error) {
	var out [][]float32
	tokens := 0
	if in.Tokens != nil {
		arrays, err := tokenArrays(in.Tokens, "input")
		if err != nil {
			return nil, 0, err
		}
		for _, a := range arrays {
			out = append(out, embedTokenIDs(a, dim))
			tokens += len(a)
		}
		return out, tokens, nil
	}
	for _, s := range in.Strings {
		out = append(out, embedText(s, dim))
		tokens += countTokens(s)
	}
	return out, tokens, nil
}

// Feature weights are powers of two so that every sum is exact and the
// vectors are bit-identical on every platform.
const (
	wordWeight    = 1.0
	trigramWeight = 0.5
)

func embedText(s string, dim int) []float32 {
	v := newHashVector(dim)
	ws := words(s)
	for _, w := range ws {
		lw := strings.ToLower(w.text)
		v.add("w:"+lw, wordWeight)
		r := []rune("^" + lw + "$")
		for i := 0; i+3 <= len(r); i++ {
			v.add("t:"+string(r[i:i+3]), trigramWeight)
		}
	}
	if len(ws) == 0 {
		v.add("s:"+s, wordWeight)
	}
	return v.unit()
}

func embedTokenIDs(ids []int64, dim int) []float32 {
	v := newHashVector(dim)
	for i, id := range ids {
		v.add("i:"+strconv.FormatInt(id, 10), wordWeight)
		if i > 0 {
			v.add("p:"+strconv.FormatInt(ids[i-1], 10)+","+strconv.FormatInt(id, 10), trigramWeight)
		}
	}
	return v.unit()
}

// hashVector accumulates hashed features.
type hashVector []float64

func newHashVector(dim int) hashVector { return make(hashVector, dim) }

// add adds weight at the feature's position, negated for half the
// features, so that unrelated features cancel out on average rather than
// all pushing the same way.
func (v hashVector) add(feature string, weight float64) {
	h := fnv.New64a()
	h.Write([]byte(feature))
	x := h.Sum64()
	if x>>63 == 1 {
		weight = -weight
	}
	v[x%uint64(len(v))] += weight
}

// unit returns v scaled to length 1 as float32. A vector whose features all
// cancelled out becomes the first basis vector.
func (v hashVector) unit() []float32 {
	var sum float64
	for _, x := range v {
		sum += float64(x * x) // the conversion forbids a fused multiply-add
	}
	out := make([]float32, len(v))
	if sum == 0 {
		out[0] = 1
		return out
	}
	norm := math.Sqrt(sum)
	for i, x := range v {
		out[i] = float32(x / norm)
	}
	return out
}
