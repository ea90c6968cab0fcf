package openai

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// EmbeddingRequest is the body of POST /v1/embeddings.
type EmbeddingRequest struct {
	Model          string         `json:"model"`
	Input          EmbeddingInput `json:"input"`
	EncodingFormat string         `json:"encoding_format,omitempty"`
	Dimensions     *int           `json:"dimensions,omitempty"`
	User           string         `json:"user,omitempty"`

	// Raw is the body as the client sent it; see ChatCompletionRequest.Raw.
	Raw []byte `json:"-"`
	// ClientModel is the model name the client asked for, set by the router
	// when it rewrites Model to a deployment's upstream model ID. A
	// translating provider answers with this name, as the client knows it.
	ClientModel string `json:"-"`
}

// EmbeddingInput is `input`: a string, strings, a token array or token
// arrays. Token inputs are kept as raw JSON.
type EmbeddingInput struct {
	Strings []string
	Tokens  json.RawMessage
	// Count is the number of inputs.
	Count int
	Set   bool
}

// UnmarshalJSON accepts every input form of the spec.
func (in *EmbeddingInput) UnmarshalJSON(b []byte) error {
	var p Prompt
	if err := p.UnmarshalJSON(b); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			te.Type = embeddingInputType
		}
		return err
	}
	*in = EmbeddingInput{Strings: p.Strings, Tokens: p.Tokens, Set: p.Set}
	switch {
	case p.Tokens != nil:
		in.Count = 1
		if t := bytes.TrimSpace(p.Tokens[1:]); len(t) > 0 && t[0] == '[' {
			var nested []json.RawMessage
			_ = json.Unmarshal(p.Tokens, &nested)
			in.Count = len(nested)
		}
	default:
		in.Count = len(p.Strings)
	}
	return nil
}

// MarshalJSON writes the input back.
func (in EmbeddingInput) MarshalJSON() ([]byte, error) {
	return Prompt{Strings: in.Strings, Tokens: in.Tokens}.MarshalJSON()
}

// EmbeddingResponse is the body of an embeddings response.
type EmbeddingResponse struct {
	Object string      `json:"object"`
	Data   []Embedding `json:"data"`
	Model  string      `json:"model"`
	Usage  *Usage      `json:"usage"`

	// Raw is the upstream's bytes; see ChatCompletionResponse.Raw.
	Raw []byte `json:"-"`
}

// MarshalJSON writes the response with OpenAI's embeddings usage shape,
// which has only prompt_tokens and total_tokens.
func (r EmbeddingResponse) MarshalJSON() ([]byte, error) {
	type usage struct {
		PromptTokens int `json:"prompt_tokens"`
		TotalTokens  int `json:"total_tokens"`
	}
	out := struct {
		Object string      `json:"object"`
		Data   []Embedding `json:"data"`
		Model  string      `json:"model"`
		Usage  usage       `json:"usage"`
	}{Object: r.Object, Data: r.Data, Model: r.Model}
	if r.Usage != nil {
		out.Usage = usage{r.Usage.PromptTokens, r.Usage.TotalTokens}
	}
	return json.Marshal(out)
}

// Embedding is one vector of an embeddings response. Vector is written as a
// float array, or as base64 of little-endian float32 when Base64 is set.
type Embedding struct {
	Object string
	Index  int
	Vector []float32
	Base64 bool
}

// MarshalJSON writes the embedding in the requested encoding.
func (e Embedding) MarshalJSON() ([]byte, error) {
	var vec any = e.Vector
	if e.Base64 {
		vec = EncodeBase64Vector(e.Vector)
	} else if e.Vector == nil {
		vec = []float32{}
	}
	return json.Marshal(struct {
		Object    string `json:"object"`
		Index     int    `json:"index"`
		Embedding any    `json:"embedding"`
	}{ObjectEmbedding, e.Index, vec})
}

// EncodeBase64Vector encodes v as OpenAI's base64 embedding form: the
// little-endian float32 bytes, standard base64.
func EncodeBase64Vector(v []float32) string {
	buf := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(f))
	}
	return base64.StdEncoding.EncodeToString(buf)
}

// DecodeBase64Vector is the inverse of EncodeBase64Vector.
func DecodeBase64Vector(s string) ([]float32, error) {
	buf, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	// A length that is not a whole number of float32s is a truncated or
	// foreign encoding; dropping the tail would return a wrong vector.
	if len(buf)%4 != 0 {
		return nil, fmt.Errorf("base64 embedding has %d bytes, not a multiple of 4", len(buf))
	}
	v := make([]float32, len(buf)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:]))
	}
	return v, nil
}
