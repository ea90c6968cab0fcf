package openaitest

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"strings"

	"github.com/outcrop/outcrop/internal/openai"
)

// embeddingRequest is what the emulator reads of an embeddings request.
type embeddingRequest struct {
	Model          string          `json:"model"`
	Input          json.RawMessage `json:"input"`
	EncodingFormat *string         `json:"encoding_format"`
	Dimensions     *int            `json:"dimensions"`
}

// Wire shapes of a canned embeddings answer.
type (
	embeddingList struct {
		Object string          `json:"object"`
		Data   []embeddingItem `json:"data"`
		Model  string          `json:"model"`
		Usage  embeddingUsage  `json:"usage"`
	}
	embeddingItem struct {
		Object    string `json:"object"`
		Index     int    `json:"index"`
		Embedding any    `json:"embedding"`
	}
	embeddingUsage struct {
		PromptTokens int `json:"prompt_tokens"`
		TotalTokens  int `json:"total_tokens"`
	}
)

func (s *Server) embeddings(rt route, body []byte) Reply {
	var req embeddingRequest
	if rep, bad := s.decode(rt, body, &req); bad {
		return rep
	}
	if rep, bad := s.checkModel(rt, req.Model); bad {
		return rep
	}
	format := "float"
	if req.EncodingFormat != nil {
		format = *req.EncodingFormat
	}
	if format != "float" && format != "base64" {
		return badRequest(rt, "", fmt.Sprintf("'%s' is not one of ['float', 'base64'] - 'encoding_format'", format))
	}
	dims := defaultDimensions(req.Model)
	if req.Dimensions != nil {
		if *req.Dimensions < 1 {
			return badRequest(rt, "", fmt.Sprintf("%d is less than the minimum of 1 - 'dimensions'", *req.Dimensions))
		}
		dims = *req.Dimensions
	}
	inputs, ok := embeddingInputs(req.Input)
	if !ok {
		return badRequest(rt, "input", "'input' : input must be a string, an array of strings, an array of tokens or an array of token arrays, and not empty")
	}
	model := req.Model
	if rt.surface == surfaceAzure {
		model = rt.deployment
	}
	list := embeddingList{Object: openai.ObjectList, Model: model, Data: []embeddingItem{}}
	for i, in := range inputs {
		vec := Vector(in, dims)
		var emb any = vec
		if format == "base64" {
			emb = openai.EncodeBase64Vector(vec)
		}
		list.Data = append(list.Data, embeddingItem{Object: openai.ObjectEmbedding, Index: i, Embedding: emb})
		list.Usage.PromptTokens += max(len(strings.Fields(in)), 1)
	}
	list.Usage.TotalTokens = list.Usage.PromptTokens
	return jsonReply(list)
}

// defaultDimensions is a model's native vector size.
func defaultDimensions(model string) int {
	if strings.Contains(model, "large") {
		return 3072
	}
	return 1536
}

// embeddingInputs returns one text per input; token inputs become their
// JSON text, which is as good a seed as any.
func embeddingInputs(raw json.RawMessage) ([]string, bool) {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, true
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil && len(many) > 0 {
		return many, true
	}
	var tokens []int
	if json.Unmarshal(raw, &tokens) == nil && len(tokens) > 0 {
		return []string{string(raw)}, true
	}
	var batches []json.RawMessage
	if json.Unmarshal(raw, &batches) == nil && len(batches) > 0 {
		out := make([]string, len(batches))
		for i, b := range batches {
			if json.Unmarshal(b, &tokens) != nil {
				return nil, false
			}
			out[i] = string(b)
		}
		return out, true
	}
	return nil, false
}

// Vector is the emulator's embedding of text: dims pseudo-random float32
// values seeded by the text, normalized to unit length, so the same text
// always gets the same vector.
func Vector(text string, dims int) []float32 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(text))
	state := h.Sum64()
	vec := make([]float32, dims)
	var norm float64
	for i := range vec {
		// splitmix64
		state += 0x9e3779b97f4a7c15
		z := state
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		z ^= z >> 31
		f := float64(z>>11)/float64(1<<53)*2 - 1
		vec[i] = float32(f)
		norm += f * f
	}
	if norm > 0 {
		scale := 1 / math.Sqrt(norm)
		for i := range vec {
			vec[i] = float32(float64(vec[i]) * scale)
		}
	}
	return vec
}
