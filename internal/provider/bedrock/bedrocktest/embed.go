package bedrocktest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Embedding sizes of the Cohere Embed v4 and Nova embedding models
// (their defaults; output_dimension and embeddingDimension pick others).
const (
	CohereV4Dims = 1536
	NovaDims     = 3072
)

// Model IDs of the embedding models outside DefaultModels.
const (
	CohereEmbedV4ID  = "cohere.embed-v4:0"
	NovaEmbeddingsID = "amazon.nova-2-multimodal-embeddings-v1:0"
)

// familyNovaEmbed is Nova Multimodal Embeddings' native body family.
const familyNovaEmbed = "nova-embed"

// ExtraEmbeddingModels are embedding models DefaultModels leaves out:
// Cohere Embed v4 and Nova Multimodal Embeddings. Add them with
// WithModels(append(DefaultModels(), ExtraEmbeddingModels()...)...).
func ExtraEmbeddingModels() []FoundationModel {
	return []FoundationModel{
		{
			ID: CohereEmbedV4ID, Name: "Embed v4", Provider: "Cohere", InputModalities: textImageIn,
			OutputModalities: embedOut, InferenceTypes: onDemand,
		},
		{
			ID: NovaEmbeddingsID, Name: "Nova Multimodal Embeddings", Provider: "Amazon",
			InputModalities: textImageIn, OutputModalities: embedOut, InferenceTypes: onDemand,
		},
	}
}

// isCohereV4 reports whether a Cohere Embed model takes v4's body.
func isCohereV4(modelID string) bool { return strings.Contains(modelID, "cohere.embed-v4") }

// cohereV4 reads v4's output_dimension (256, 512, 1024 or 1536; default
// 1536) after the fields v3 shares.
func (nat *nativeRequest) cohereV4(obj map[string]json.RawMessage) *Error {
	if !isCohereV4(nat.modelID) {
		return nil
	}
	nat.dims = CohereV4Dims
	if e := decodeMembers(obj, member{"output_dimension", &nat.dims}); e != nil {
		return e
	}
	if !slices.Contains([]int{256, 512, 1024, 1536}, nat.dims) {
		return malformed(fmt.Sprintf("#/output_dimension: %d is not a valid enum value", nat.dims))
	}
	return nil
}

// novaEmbedRequest is the part of a Nova embeddings body the emulator
// checks: a synchronous text embedding.
type novaEmbedRequest struct {
	TaskType string `json:"taskType"`
	Params   *struct {
		Purpose   string `json:"embeddingPurpose"`
		Dimension *int   `json:"embeddingDimension"`
		Text      *struct {
			TruncationMode string  `json:"truncationMode"`
			Value          *string `json:"value"`
		} `json:"text"`
	} `json:"singleEmbeddingParams"`
}

// nova validates a Nova Multimodal Embeddings body. Only text inputs are
// emulated.
func (nat *nativeRequest) nova(obj map[string]json.RawMessage) *Error {
	if e := required(obj, "taskType", "singleEmbeddingParams"); e != nil {
		return e
	}
	raw, _ := json.Marshal(obj)
	var req novaEmbedRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return malformed("#: " + err.Error())
	}
	p := req.Params
	switch {
	case req.TaskType != "SINGLE_EMBEDDING":
		return malformed("#/taskType: " + req.TaskType + " is not a valid enum value")
	case p == nil || p.Purpose == "":
		return malformed("#/singleEmbeddingParams: required key [embeddingPurpose] not found")
	case p.Text == nil || p.Text.Value == nil:
		return malformed("#/singleEmbeddingParams: the emulator only embeds text (text.value)")
	}
	switch p.Text.TruncationMode {
	case "START", "END", "NONE":
	default:
		return malformed("#/singleEmbeddingParams/text/truncationMode: " + p.Text.TruncationMode + " is not a valid enum value")
	}
	nat.dims, nat.normalize = NovaDims, true
	if p.Dimension != nil {
		nat.dims = *p.Dimension
	}
	if !slices.Contains([]int{256, 384, 1024, 3072}, nat.dims) {
		return malformed(fmt.Sprintf("#/singleEmbeddingParams/embeddingDimension: %d is not a valid enum value", nat.dims))
	}
	nat.texts = []string{*p.Text.Value}
	nat.inputTokens = atLeastOne(Tokens(*p.Text.Value))
	return nil
}

// novaEmbedBody is Nova's answer: one TEXT embedding.
func novaEmbedBody(nat *nativeRequest) []byte {
	vec := Embedding(nat.modelID, nat.texts[0], nat.dims, true)
	return mustJSON(map[string]any{"embeddings": []map[string]any{{"embeddingType": "TEXT", "embedding": vec}}})
}
