package bedrock

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/outcrop/outcrop/internal/jsonx"
	"github.com/outcrop/outcrop/internal/openai"
)

// EmbedFamily is a native InvokeModel format of Bedrock embedding models
// (shared/docs/wire.md §4.2-4.3 and the vendors' parameter pages).
type EmbedFamily string

// The embedding families.
const (
	// EmbedTitanV1 is Titan Text Embeddings G1: {"inputText"}, one text
	// per call, 1536 dimensions.
	EmbedTitanV1 EmbedFamily = "titan-text-v1"
	// EmbedTitanV2 is Titan Text Embeddings V2: {"inputText",
	// "dimensions", "normalize"}, one text per call.
	// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-embed-text.html
	EmbedTitanV2 EmbedFamily = "titan-text-v2"
	// EmbedCohereV3 is Cohere Embed v3 (English and multilingual):
	// {"texts", "input_type", "embedding_types"}, up to 96 texts a call.
	// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-embed-v3.html
	EmbedCohereV3 EmbedFamily = "cohere-v3"
	// EmbedCohereV4 is Cohere Embed v4: v3's body plus "output_dimension".
	// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-embed-v4.html
	EmbedCohereV4 EmbedFamily = "cohere-v4"
	// EmbedNova is Amazon Nova Multimodal Embeddings, text only here:
	// {"taskType": "SINGLE_EMBEDDING", "singleEmbeddingParams"}, one
	// input per call.
	// https://docs.aws.amazon.com/nova/latest/userguide/embeddings-schema.html
	EmbedNova EmbedFamily = "nova"
)

// embedSpec is what the translation knows of a family.
type embedSpec struct {
	family EmbedFamily
	// prefixes are the foundation-model IDs the family covers.
	prefixes []string
	// batch is the most inputs one call takes.
	batch int
	// dims are the vector sizes the model makes, the default first. A
	// client's dimensions must be one of them.
	dims []int
}

// embedSpecs is the family table.
func embedSpecs() []embedSpec {
	return []embedSpec{
		{EmbedTitanV1, []string{"amazon.titan-embed-text-v1"}, 1, []int{1536}},
		{EmbedTitanV2, []string{"amazon.titan-embed-text-v2"}, 1, []int{1024, 512, 256}},
		{EmbedCohereV3, []string{"cohere.embed-english-v3", "cohere.embed-multilingual-v3"}, cohereBatch, []int{1024}},
		{EmbedCohereV4, []string{"cohere.embed-v4"}, cohereBatch, []int{1536, 1024, 512, 256}},
		{EmbedNova, []string{"amazon.nova-2-multimodal-embeddings"}, 1, []int{3072, 1024, 384, 256}},
	}
}

// cohereBatch is Cohere Embed's limit of texts per call.
const cohereBatch = 96

// EmbedFamilyOf returns the family of a model ID, inference profile ID or
// ARN of a foundation model or system profile.
func EmbedFamilyOf(modelID string) (EmbedFamily, bool) {
	spec, ok := embedSpecOf(modelID)
	return spec.family, ok
}

func embedSpecOf(modelID string) (embedSpec, bool) {
	base := BaseModelID(modelID)
	for _, s := range embedSpecs() {
		for _, p := range s.prefixes {
			if strings.HasPrefix(base, p) {
				return s, true
			}
		}
	}
	return embedSpec{}, false
}

func embedSpecFor(f EmbedFamily) (embedSpec, bool) {
	for _, s := range embedSpecs() {
		if s.family == f {
			return s, true
		}
	}
	return embedSpec{}, false
}

// EmbedPlan is an embeddings request cut into InvokeModel calls. Decode
// fills it with each call's answer (calls may be decoded concurrently,
// each once) and Response assembles the OpenAI answer.
type EmbedPlan struct {
	Family EmbedFamily
	// Calls are the InvokeModel bodies, in input order.
	Calls  []EmbedCall
	base64 bool
	// vectors[i] is input i's embedding; tokens[j] is call j's input
	// token count.
	vectors [][]float32
	tokens  []int
}

// EmbedCall is one InvokeModel call: its body and the inputs it embeds,
// input[First:First+Count].
type EmbedCall struct {
	Body         []byte
	First, Count int
}

// PlanEmbeddings translates an embeddings request for a model of family f
// into InvokeModel bodies. It is pure. Every error is a 400 *openai.Error
// naming the parameter.
//
// How each parameter is treated:
//
//	parameter        Bedrock                                     why
//	input            one call per text (Titan, Nova), batches    token arrays: 400 (Bedrock takes text)
//	                 of 96 texts (Cohere)
//	dimensions       Titan v2 dimensions, Cohere v4              other values, or any other than the
//	                 output_dimension, Nova embeddingDimension   native size elsewhere: 400
//	encoding_format  float always asked; base64 encoded here     little-endian float32, as OpenAI
//	input_type       Cohere input_type (default                  extension field, top level or under
//	                 search_document), Nova embeddingPurpose     extra_body; ignored by Titan
//	normalize        Titan v2 normalize                          extension field; ignored elsewhere
//	user             ignored                                     no Bedrock equivalent
func PlanEmbeddings(req *openai.EmbeddingRequest, f EmbedFamily) (*EmbedPlan, error) {
	spec, ok := embedSpecFor(f)
	if !ok {
		return nil, openai.Errorf("model", "Outcrop does not know the request format of the embedding model `%s`.", answerModel(req.ClientModel, req.Model))
	}
	if req.Input.Tokens != nil {
		return nil, openai.Errorf("input", "Invalid 'input': Bedrock embedding models take text, not token arrays.")
	}
	dims, err := embedDimensions(req, spec)
	if err != nil {
		return nil, err
	}
	ext, err := readEmbedExtensions(req.Raw)
	if err != nil {
		return nil, err
	}
	texts := req.Input.Strings
	p := &EmbedPlan{Family: f, base64: req.EncodingFormat == "base64", vectors: make([][]float32, len(texts))}
	for first := 0; first < len(texts); first += spec.batch {
		n := min(spec.batch, len(texts)-first)
		body, err := embedBody(f, texts[first:first+n], dims, ext)
		if err != nil {
			return nil, err
		}
		p.Calls = append(p.Calls, EmbedCall{Body: body, First: first, Count: n})
	}
	p.tokens = make([]int, len(p.Calls))
	return p, nil
}

// embedDimensions checks the client's dimensions against the model's and
// returns the value to send, 0 for none.
func embedDimensions(req *openai.EmbeddingRequest, spec embedSpec) (int, error) {
	if req.Dimensions == nil {
		if spec.family == EmbedNova {
			return spec.dims[0], nil // required by Nova
		}
		return 0, nil
	}
	d := *req.Dimensions
	model := answerModel(req.ClientModel, req.Model)
	switch {
	case len(spec.dims) == 1 && d == spec.dims[0]:
		return 0, nil // the native size, nothing to ask
	case len(spec.dims) == 1:
		return 0, openai.Errorf("dimensions", "Invalid 'dimensions': the model `%s` does not support specifying dimensions; its embeddings have %d.", model, spec.dims[0])
	case !slices.Contains(spec.dims, d):
		return 0, openai.Errorf("dimensions", "Invalid 'dimensions': the model `%s` supports %s, got %d.", model, dimsList(spec.dims), d)
	}
	return d, nil
}

// dimsList writes sizes as "256, 512 or 1024", ascending.
func dimsList(dims []int) string {
	s := slices.Sorted(slices.Values(dims))
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.Itoa(d)
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}

// embedExtensions are the Bedrock-specific fields an embeddings request
// may carry besides OpenAI's.
type embedExtensions struct {
	// InputType is Cohere's input_type, also mapped to Nova's purpose.
	InputType string `json:"input_type"`
	// Normalize is Titan v2's normalize.
	Normalize *bool `json:"normalize"`
}

// readEmbedExtensions reads the extension fields from the client's body:
// top level (what the OpenAI Python SDK's extra_body sends) or nested
// under "extra_body" (what some clients send literally); top level wins.
func readEmbedExtensions(raw []byte) (embedExtensions, error) {
	var ext embedExtensions
	if len(raw) == 0 {
		return ext, nil
	}
	if m, ok, _ := jsonx.Find(raw, "extra_body"); ok {
		if err := decodeEmbedExtensions(m.Value(raw), &ext); err != nil {
			return ext, err
		}
	}
	return ext, decodeEmbedExtensions(raw, &ext)
}

func decodeEmbedExtensions(obj []byte, ext *embedExtensions) error {
	for _, f := range []struct {
		key string
		v   any
	}{{"input_type", &ext.InputType}, {"normalize", &ext.Normalize}} {
		m, ok, err := jsonx.Find(obj, f.key)
		if err != nil || !ok {
			continue
		}
		if err := json.Unmarshal(m.Value(obj), f.v); err != nil {
			return openai.Errorf(f.key, "Invalid type for '%s': %s.", f.key, strings.TrimPrefix(err.Error(), "json: "))
		}
	}
	return nil
}

// embedBody is the native body of one call.
func embedBody(f EmbedFamily, texts []string, dims int, ext embedExtensions) ([]byte, error) {
	var v any
	switch f {
	case EmbedTitanV1:
		v = titanEmbedRequest{InputText: texts[0]}
	case EmbedTitanV2:
		v = titanEmbedRequest{InputText: texts[0], Dimensions: dims, Normalize: ext.Normalize}
	case EmbedCohereV3, EmbedCohereV4:
		it, err := cohereInputType(ext.InputType)
		if err != nil {
			return nil, err
		}
		v = cohereEmbedRequest{Texts: texts, InputType: it, EmbeddingTypes: []string{"float"}, OutputDimension: dims}
	case EmbedNova:
		purpose, err := novaPurpose(ext.InputType)
		if err != nil {
			return nil, err
		}
		v = novaEmbedRequest{TaskType: "SINGLE_EMBEDDING", Params: novaSingleParams{
			EmbeddingPurpose: purpose, EmbeddingDimension: dims,
			// NONE: an input over the limit is an error, as at OpenAI,
			// rather than an embedding of part of it.
			Text: novaText{TruncationMode: "NONE", Value: texts[0]},
		}}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s embedding request: %w", f, err)
	}
	return b, nil
}

// titanEmbedRequest is a Titan Text Embeddings body.
type titanEmbedRequest struct {
	InputText  string `json:"inputText"`
	Dimensions int    `json:"dimensions,omitempty"`
	Normalize  *bool  `json:"normalize,omitempty"`
}

// cohereEmbedRequest is a Cohere Embed body. Embedding types are always
// asked for, so that v3 and v4 answer in the same by-type shape.
type cohereEmbedRequest struct {
	Texts           []string `json:"texts"`
	InputType       string   `json:"input_type"`
	EmbeddingTypes  []string `json:"embedding_types"`
	OutputDimension int      `json:"output_dimension,omitempty"`
}

// novaEmbedRequest is a Nova Multimodal Embeddings synchronous body.
type novaEmbedRequest struct {
	TaskType string           `json:"taskType"`
	Params   novaSingleParams `json:"singleEmbeddingParams"`
}

type novaSingleParams struct {
	EmbeddingPurpose   string   `json:"embeddingPurpose"`
	EmbeddingDimension int      `json:"embeddingDimension"`
	Text               novaText `json:"text"`
}

type novaText struct {
	TruncationMode string `json:"truncationMode"`
	Value          string `json:"value"`
}

// cohereDefaultInputType is Cohere's input_type when the client sends none:
// search_document, the choice for the texts of a corpus, which is what
// most embeddings calls index (bedrock-access-gateway sends the same).
const cohereDefaultInputType = "search_document"

// cohereInputType validates a client's input_type for Cohere.
func cohereInputType(s string) (string, error) {
	switch s {
	case "":
		return cohereDefaultInputType, nil
	case "search_document", "search_query", "classification", "clustering":
		return s, nil
	}
	return "", openai.Errorf("input_type", "Invalid 'input_type': expected search_document, search_query, classification or clustering, got %q.", s)
}

// novaPurpose is the embeddingPurpose for a client's input_type: Cohere's
// input types are mapped (a search query gets GENERIC_RETRIEVAL, which
// suits an index of any modality), and Nova's own purposes are accepted as
// they are.
func novaPurpose(s string) (string, error) {
	switch s {
	case "", "search_document":
		return "GENERIC_INDEX", nil
	case "search_query":
		return "GENERIC_RETRIEVAL", nil
	case "classification":
		return "CLASSIFICATION", nil
	case "clustering":
		return "CLUSTERING", nil
	case "GENERIC_INDEX", "GENERIC_RETRIEVAL", "TEXT_RETRIEVAL", "IMAGE_RETRIEVAL", "VIDEO_RETRIEVAL",
		"DOCUMENT_RETRIEVAL", "AUDIO_RETRIEVAL", "CLASSIFICATION", "CLUSTERING":
		return s, nil
	}
	return "", openai.Errorf("input_type", "Invalid 'input_type': expected search_document, search_query, classification, clustering or a Nova embedding purpose, got %q.", s)
}
