package bedrock

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/outcrop/outcrop/internal/openai"
)

// embedTokensHeader is the InvokeModel response header with the input
// token count, the only usage Cohere and Nova embeddings report.
const embedTokensHeader = "X-Amzn-Bedrock-Input-Token-Count"

// embedHeaderTokens reads embedTokensHeader, -1 when it is absent or not
// a count.
func embedHeaderTokens(h http.Header) int {
	n, err := strconv.Atoi(h.Get(embedTokensHeader))
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// Decode reads call i's answer: body is the InvokeModel body and
// headerTokens the input token count of its header (-1 if absent), used
// when the body has none. It fails on a body of the wrong shape or with
// the wrong number of vectors.
func (p *EmbedPlan) Decode(i int, body []byte, headerTokens int) error {
	call := p.Calls[i]
	var (
		vecs   [][]float32
		tokens = headerTokens
		err    error
	)
	switch p.Family {
	case EmbedTitanV1, EmbedTitanV2:
		vecs, tokens, err = decodeTitan(body, headerTokens)
	case EmbedCohereV3, EmbedCohereV4:
		vecs, err = decodeCohere(body)
	case EmbedNova:
		vecs, err = decodeNova(body)
	}
	if err != nil {
		return fmt.Errorf("%s embedding answer: %w", p.Family, err)
	}
	if len(vecs) != call.Count {
		return fmt.Errorf("%s embedding answer: got %d vectors for %d inputs", p.Family, len(vecs), call.Count)
	}
	for j, v := range vecs {
		if len(v) == 0 {
			return fmt.Errorf("%s embedding answer: vector %d is empty", p.Family, j)
		}
		p.vectors[call.First+j] = v
	}
	p.tokens[i] = max(tokens, 0)
	return nil
}

// titanEmbedAnswer is a Titan Text Embeddings answer. embeddingsByType
// (v2) repeats the vector.
type titanEmbedAnswer struct {
	Embedding        []float32 `json:"embedding"`
	InputTokens      *int      `json:"inputTextTokenCount"`
	EmbeddingsByType *struct {
		Float []float32 `json:"float"`
	} `json:"embeddingsByType"`
}

func decodeTitan(body []byte, headerTokens int) ([][]float32, int, error) {
	var a titanEmbedAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, 0, err
	}
	v := a.Embedding
	if v == nil && a.EmbeddingsByType != nil {
		v = a.EmbeddingsByType.Float
	}
	tokens := headerTokens
	if a.InputTokens != nil {
		tokens = *a.InputTokens
	}
	return [][]float32{v}, tokens, nil
}

// cohereEmbedAnswer is a Cohere Embed answer: embeddings is an array of
// vectors (response_type embeddings_floats) or an object of arrays by
// type (embeddings_by_type, the answer to embedding_types).
type cohereEmbedAnswer struct {
	Embeddings json.RawMessage `json:"embeddings"`
}

func decodeCohere(body []byte) ([][]float32, error) {
	var a cohereEmbedAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, err
	}
	var floats [][]float32
	if json.Unmarshal(a.Embeddings, &floats) == nil {
		return floats, nil
	}
	var byType struct {
		Float [][]float32 `json:"float"`
	}
	if err := json.Unmarshal(a.Embeddings, &byType); err != nil {
		return nil, err
	}
	if byType.Float == nil {
		return nil, errors.New("no float embeddings")
	}
	return byType.Float, nil
}

// novaEmbedAnswer is a Nova Multimodal Embeddings answer: one embedding
// per modality of the input, TEXT for a text.
type novaEmbedAnswer struct {
	Embeddings []struct {
		EmbeddingType string    `json:"embeddingType"`
		Embedding     []float32 `json:"embedding"`
	} `json:"embeddings"`
}

func decodeNova(body []byte) ([][]float32, error) {
	var a novaEmbedAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, err
	}
	for _, e := range a.Embeddings {
		if e.EmbeddingType == "TEXT" || len(a.Embeddings) == 1 {
			return [][]float32{e.Embedding}, nil
		}
	}
	return nil, errors.New("no TEXT embedding")
}

// Response assembles the OpenAI answer once every call was decoded;
// model is the name the client used.
func (p *EmbedPlan) Response(model string) *openai.EmbeddingResponse {
	out := &openai.EmbeddingResponse{Object: openai.ObjectList, Model: model, Data: make([]openai.Embedding, len(p.vectors))}
	for i, v := range p.vectors {
		out.Data[i] = openai.Embedding{Object: openai.ObjectEmbedding, Index: i, Vector: v, Base64: p.base64}
	}
	var tokens int
	for _, n := range p.tokens {
		tokens += n
	}
	out.Usage = &openai.Usage{PromptTokens: tokens, TotalTokens: tokens}
	return out
}
