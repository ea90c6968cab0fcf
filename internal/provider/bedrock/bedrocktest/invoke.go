package bedrocktest

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Response headers of InvokeModel that carry usage.
const (
	HeaderInputTokens       = "X-Amzn-Bedrock-Input-Token-Count"
	HeaderOutputTokens      = "X-Amzn-Bedrock-Output-Token-Count"
	HeaderInvocationLatency = "X-Amzn-Bedrock-Invocation-Latency"
	// HeaderContentType is the model's content type on
	// InvokeModelWithResponseStream, whose own Content-Type is the event
	// stream's.
	HeaderContentType = "X-Amzn-Bedrock-Content-Type"
)

// invoke answers InvokeModel with the family's canned native body.
func (s *Server) invoke(tgt target, nat *nativeRequest, rep Reply) *response {
	if r := s.scripted(rep, false); r != nil {
		return finish(r, rep)
	}
	var body []byte
	var out int
	switch nat.family {
	case familyTitanEmbed:
		body = titanBody(nat)
	case familyCohereEmbed:
		body = cohereBody(nat)
	case familyNovaEmbed:
		body = novaEmbedBody(nat)
	case "":
		return s.errorResponse(noCanned(nat.modelID))
	default:
		g, u := s.generateNative(nat, rep)
		out = u.OutputTokens
		body = []byte(strings.Join(nativeAnswer(tgt, nat, g, u), ""))
		nat.inputTokens = u.InputTokens
	}
	resp := jsonResponse(body)
	resp.header.Set(HeaderInputTokens, strconv.Itoa(nat.inputTokens))
	resp.header.Set(HeaderOutputTokens, strconv.Itoa(out))
	resp.header.Set(HeaderInvocationLatency, strconv.Itoa(LatencyMs))
	return finish(resp, rep)
}

// invokeStream answers InvokeModelWithResponseStream with the family's
// canned native chunks.
func (s *Server) invokeStream(tgt target, nat *nativeRequest, rep Reply) *response {
	if r := s.scripted(rep, true); r != nil {
		return finish(r, rep)
	}
	evs := rep.Events
	if evs == nil && nat.family != familyAnthropic && nat.family != familyLlama && !isTextFamily(nat.family) {
		return s.errorResponse(noCanned(nat.modelID))
	}
	if evs == nil {
		g, u := s.generateNative(nat, rep)
		for _, c := range nativeChunks(tgt, nat, g, u) {
			evs = append(evs, Chunk(c))
		}
	}
	resp := streamResponse(evs)
	resp.header.Set(HeaderContentType, "application/json")
	return finish(resp, rep)
}

// generateNative shapes the canned answer by the native request's limits
// and rep's overrides.
func (s *Server) generateNative(nat *nativeRequest, rep Reply) (generation, Usage) {
	text := rep.Text
	if text == "" {
		text = s.answerFor(nat.userText)
	}
	g := generate(text, nat.maxTokens, nat.stops)
	if rep.StopReason != "" {
		g.stopReason = rep.StopReason
	}
	u := Usage{InputTokens: nat.inputTokens, OutputTokens: g.tokens}
	if rep.Usage != nil {
		u = *rep.Usage
	}
	return g, u
}

// nativeAnswer is the whole InvokeModel body, in pieces to join.
func nativeAnswer(tgt target, nat *nativeRequest, g generation, u Usage) []string {
	if isTextFamily(nat.family) {
		return []string{string(textAnswer(tgt, nat, g, u))}
	}
	if nat.family == familyLlama {
		return []string{string(mustJSON(llamaChunk{
			Generation: g.text, PromptTokens: &u.InputTokens,
			GenerationTokens: u.OutputTokens, StopReason: ptr(llamaReason(g.stopReason)),
		}))}
	}
	return []string{fmt.Sprintf(`{"id":%s,"type":"message","role":"assistant","model":%s,"content":[{"type":"text","text":%s}],"stop_reason":%s,"stop_sequence":null,"usage":{"input_tokens":%d,"output_tokens":%d}}`,
		mustJSON(anthropicMessageID(nat)), mustJSON(anthropicModel(tgt.model.ID)), mustJSON(g.text),
		mustJSON(g.stopReason), u.InputTokens, u.OutputTokens)}
}

// nativeChunks are the native stream chunks (each one JSON document) of
// the answer: Anthropic's Messages stream events, Llama's generation
// pieces or a text family's chunks (textChunks), the last with
// amazon-bedrock-invocationMetrics.
func nativeChunks(tgt target, nat *nativeRequest, g generation, u Usage) []string {
	metrics := fmt.Sprintf(`{"inputTokenCount":%d,"outputTokenCount":%d,"invocationLatency":%d,"firstByteLatency":%d}`,
		u.InputTokens, u.OutputTokens, LatencyMs, LatencyMs/2)
	pieces := Pieces(g.text)
	if nat.family == familyLlama {
		return llamaChunks(pieces, g, u, metrics)
	}
	if isTextFamily(nat.family) {
		return textChunks(tgt, nat, g, u, metrics)
	}
	out := []string{
		fmt.Sprintf(`{"type":"message_start","message":{"id":%s,"type":"message","role":"assistant","model":%s,"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":%d,"output_tokens":1}}}`,
			mustJSON(anthropicMessageID(nat)), mustJSON(anthropicModel(tgt.model.ID)), u.InputTokens),
		`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`,
	}
	for _, p := range pieces {
		out = append(out, fmt.Sprintf(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":%s}}`, mustJSON(p)))
	}
	return append(out,
		`{"type":"content_block_stop","index":0}`,
		fmt.Sprintf(`{"type":"message_delta","delta":{"stop_reason":%s,"stop_sequence":null},"usage":{"output_tokens":%d}}`, mustJSON(g.stopReason), u.OutputTokens),
		`{"type":"message_stop","amazon-bedrock-invocationMetrics":`+metrics+`}`,
	)
}

// llamaChunk is one Llama InvokeModel body or stream chunk.
type llamaChunk struct {
	Generation       string          `json:"generation"`
	PromptTokens     *int            `json:"prompt_token_count"`
	GenerationTokens int             `json:"generation_token_count"`
	StopReason       *string         `json:"stop_reason"`
	Metrics          json.RawMessage `json:"amazon-bedrock-invocationMetrics,omitempty"`
}

func llamaChunks(pieces []string, g generation, u Usage, metrics string) []string {
	if len(pieces) == 0 {
		pieces = []string{""}
	}
	out := make([]string, len(pieces))
	for i, p := range pieces {
		c := llamaChunk{Generation: p, GenerationTokens: i + 1}
		if i == 0 {
			c.PromptTokens = &u.InputTokens
		}
		if i == len(pieces)-1 {
			c.GenerationTokens, c.StopReason, c.Metrics = u.OutputTokens, ptr(llamaReason(g.stopReason)), json.RawMessage(metrics)
		}
		out[i] = string(mustJSON(c))
	}
	return out
}

func llamaReason(stop string) string {
	if stop == StopMaxTokens {
		return llamaLength
	}
	if stop == StopEndTurn || stop == StopSequence {
		return llamaStop
	}
	return stop
}

func ptr[T any](v T) *T { return &v }

// anthropicModel is the Messages API model name of a Bedrock model ID:
// "anthropic.claude-3-haiku-20240307-v1:0" → "claude-3-haiku-20240307".
func anthropicModel(id string) string {
	_, name, _ := strings.Cut(id, "anthropic.")
	if i := strings.LastIndex(name, "-v"); i > 0 {
		name = name[:i]
	}
	return name
}

func anthropicMessageID(nat *nativeRequest) string {
	return "msg_bdrk_" + stableID(24, nat.modelID, nat.userText)
}

// Embedding is the emulator's deterministic embedding of text by
// modelID: dims pseudo-random values seeded by both, scaled to unit length
// when normalize is set.
func Embedding(modelID, text string, dims int, normalize bool) []float32 {
	h := fnv.New64a()
	h.Write([]byte(modelID + "\x00" + text))
	seed := h.Sum64()
	rng := rand.New(rand.NewPCG(seed, seed>>1|1))
	v := make([]float64, dims)
	var norm float64
	for i := range v {
		v[i] = rng.Float64()*2 - 1
		norm += v[i] * v[i]
	}
	out := make([]float32, dims)
	for i := range v {
		if normalize {
			v[i] /= math.Sqrt(norm)
		}
		out[i] = float32(v[i])
	}
	return out
}

// titanBody is Titan Text Embeddings' answer: embedding,
// inputTextTokenCount and, for v2, embeddingsByType.
func titanBody(nat *nativeRequest) []byte {
	vec := Embedding(nat.modelID, nat.texts[0], nat.dims, nat.normalize)
	body := map[string]any{"embedding": vec, "inputTextTokenCount": nat.inputTokens}
	if nat.dims != TitanV1Dims || nat.types != nil {
		byType := map[string]any{"float": vec}
		if has(nat.types, "binary") {
			byType["binary"] = scale(vec, func(f float32) int { // Titan: one 0 or 1 per dimension
				if f > 0 {
					return 1
				}
				return 0
			})
		}
		body["embeddingsByType"] = byType
	}
	return mustJSON(body)
}

// cohereBody is Cohere Embed v3's answer: float vectors, or one list per
// requested embedding type.
func cohereBody(nat *nativeRequest) []byte {
	floats := make([][]float32, len(nat.texts))
	for i, t := range nat.texts {
		floats[i] = Embedding(nat.modelID, t, nat.dims, true)
	}
	body := map[string]any{"id": stableID(36, nat.texts...), "texts": nat.texts}
	if nat.types == nil {
		body["embeddings"], body["response_type"] = floats, "embeddings_floats"
		return mustJSON(body)
	}
	byType := map[string]any{}
	for _, typ := range nat.types {
		byType[typ] = quantize(floats, typ)
	}
	body["embeddings"], body["response_type"] = byType, "embeddings_by_type"
	return mustJSON(body)
}

// quantize converts float vectors to Cohere's embedding type typ.
func quantize(floats [][]float32, typ string) any {
	out := make([][]int, len(floats))
	for i, vec := range floats {
		switch typ {
		case "float":
			return floats
		case "int8":
			out[i] = scale(vec, func(f float32) int { return int(math.Round(float64(f) * 127)) })
		case "uint8":
			out[i] = scale(vec, func(f float32) int { return int(math.Round(float64(f+1) * 127.5)) })
		case "binary", "ubinary":
			out[i] = binarize(vec, typ == "binary")
		}
	}
	return out
}

func scale(vec []float32, f func(float32) int) []int {
	out := make([]int, len(vec))
	for i, v := range vec {
		out[i] = f(v)
	}
	return out
}

// binarize packs the signs of vec into bytes, eight dimensions each, as
// unsigned (0..255) or signed (-128..127) integers.
func binarize(vec []float32, signed bool) []int {
	out := make([]int, (len(vec)+7)/8)
	for i, v := range vec {
		if v > 0 {
			out[i/8] |= 1 << (7 - i%8)
		}
	}
	if signed {
		for i := range out {
			out[i] = int(int8(uint8(out[i])))
		}
	}
	return out
}
