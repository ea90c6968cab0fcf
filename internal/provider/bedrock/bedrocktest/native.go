package bedrocktest

import (
	"encoding/json"
	"fmt"
	"strings"
)

// nativeRequest is what the emulator reads of an InvokeModel body, in any
// of the families it knows (shared/docs/wire.md §4).
type nativeRequest struct {
	family      string
	modelID     string
	userText    string
	inputTokens int
	maxTokens   int
	stops       []string
	// chat is set for a text family's chat request (messages, or Cohere
	// Command R's message) rather than a prompt.
	chat bool
	// Embeddings: the texts, the vector size, whether to normalise and
	// the requested types (Titan embeddingTypes, Cohere embedding_types).
	texts     []string
	dims      int
	normalize bool
	types     []string
}

// malformed words a native body error the way Bedrock relays the model's
// JSON-schema validation.
func malformed(detail string) *Error {
	return validation("Malformed input request: %s, please reformat your input and try again.", detail)
}

// parseNative decodes and validates the native body of modelID's family.
func parseNative(modelID string, body []byte) (*nativeRequest, *Error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return nil, malformed("#: expected type: JSONObject")
	}
	nat := &nativeRequest{family: family(modelID), modelID: modelID}
	var e *Error
	switch nat.family {
	case familyAnthropic:
		e = nat.anthropic(obj)
	case familyTitanEmbed:
		e = nat.titan(obj)
	case familyCohereEmbed:
		e = nat.cohere(obj)
	case familyNovaEmbed:
		e = nat.nova(obj)
	case familyLlama:
		e = nat.llama(obj)
	case familyMistral, familyTitanText, familyNova, familyCohere, familyChoices, familyDeepSeek:
		e = nat.text(obj, body)
	default:
		// No canned answer for this family (Writer, an imported
		// model...): a scripted reply may still answer; count the words
		// of every string.
		nat.inputTokens = atLeastOne(stringWords(obj))
	}
	return nat, e
}

// noCanned answers an InvokeModel call that needs a canned body the
// emulator does not have.
func noCanned(modelID string) *Error {
	return validation("The emulator has no canned InvokeModel body for model %s; script one with Reply.Body or Reply.Events.", modelID)
}

// stringWords counts the words of every string value in a JSON value.
func stringWords(v any) int {
	switch v := v.(type) {
	case map[string]json.RawMessage:
		n := 0
		for _, raw := range v {
			var x any
			if json.Unmarshal(raw, &x) == nil {
				n += stringWords(x)
			}
		}
		return n
	case map[string]any:
		n := 0
		for _, x := range v {
			n += stringWords(x)
		}
		return n
	case []any:
		n := 0
		for _, x := range v {
			n += stringWords(x)
		}
		return n
	case string:
		return Tokens(v)
	}
	return 0
}

// required returns the error for the first key of keys missing in obj.
func required(obj map[string]json.RawMessage, keys ...string) *Error {
	for _, k := range keys {
		if _, ok := obj[k]; !ok {
			return malformed(fmt.Sprintf("#: required key [%s] not found", k))
		}
	}
	return nil
}

// member is a body member to decode into v.
type member struct {
	key string
	v   any
}

// decodeMembers decodes the members present in obj, in order.
func decodeMembers(obj map[string]json.RawMessage, ms ...member) *Error {
	for _, m := range ms {
		raw, ok := obj[m.key]
		if !ok {
			continue
		}
		if err := json.Unmarshal(raw, m.v); err != nil {
			return malformed(fmt.Sprintf("#/%s: %v", m.key, err))
		}
	}
	return nil
}

// anthropicMessage is one turn of the Messages API.
type anthropicMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

func (nat *nativeRequest) anthropic(obj map[string]json.RawMessage) *Error {
	if e := required(obj, "anthropic_version", "max_tokens", "messages"); e != nil {
		return e
	}
	var version string
	var messages []anthropicMessage
	var system json.RawMessage
	if e := decodeMembers(obj,
		member{"anthropic_version", &version},
		member{"max_tokens", &nat.maxTokens},
		member{"messages", &messages},
		member{"stop_sequences", &nat.stops},
		member{"system", &system},
	); e != nil {
		return e
	}
	if version != "bedrock-2023-05-31" {
		return malformed("#/anthropic_version: " + version + " is not a valid enum value")
	}
	if nat.maxTokens < 1 {
		return malformed(fmt.Sprintf("#/max_tokens: %d is not greater or equal to 1", nat.maxTokens))
	}
	n := Tokens(strings.Join(anthropicTexts(system), " "))
	for _, m := range messages {
		texts := anthropicTexts(m.Content)
		n += Tokens(strings.Join(texts, " "))
		if m.Role == "user" {
			nat.userText = strings.Join(texts, " ")
		}
	}
	nat.inputTokens = atLeastOne(n)
	return nil
}

// anthropicTexts returns the text of a Messages API content (a string or
// an array of blocks) or system value.
func anthropicTexts(raw json.RawMessage) []string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}
	}
	var blocks []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if json.Unmarshal(raw, &blocks) != nil {
		return nil
	}
	var out []string
	for _, b := range blocks {
		if b.Type == "text" {
			out = append(out, b.Text)
		}
	}
	return out
}

// Embedding sizes of the canned embedding models.
const (
	TitanV1Dims  = 1536
	TitanV2Dims  = 1024
	CohereV3Dims = 1024
)

func (nat *nativeRequest) titan(obj map[string]json.RawMessage) *Error {
	if e := required(obj, "inputText"); e != nil {
		return e
	}
	var text string
	nat.dims, nat.normalize = TitanV1Dims, true
	if strings.Contains(nat.modelID, "v2") {
		nat.dims = TitanV2Dims
	}
	if e := decodeMembers(obj,
		member{"inputText", &text},
		member{"dimensions", &nat.dims},
		member{"normalize", &nat.normalize},
		member{"embeddingTypes", &nat.types},
	); e != nil {
		return e
	}
	if nat.dims != TitanV1Dims && nat.dims != 1024 && nat.dims != 512 && nat.dims != 256 {
		return malformed(fmt.Sprintf("#/dimensions: %d is not a valid enum value", nat.dims))
	}
	nat.texts, nat.inputTokens = []string{text}, atLeastOne(Tokens(text))
	return nil
}

func (nat *nativeRequest) cohere(obj map[string]json.RawMessage) *Error {
	if e := required(obj, "texts", "input_type"); e != nil {
		return e
	}
	var inputType string
	if e := decodeMembers(obj,
		member{"texts", &nat.texts},
		member{"input_type", &inputType},
		member{"embedding_types", &nat.types},
	); e != nil {
		return e
	}
	switch inputType {
	case "search_document", "search_query", "classification", "clustering":
	default:
		return malformed("#/input_type: " + inputType + " is not a valid enum value")
	}
	if len(nat.texts) == 0 || len(nat.texts) > 96 {
		return malformed(fmt.Sprintf("#/texts: expected minimum item count: 1, maximum: 96, found: %d", len(nat.texts)))
	}
	nat.dims, nat.normalize = CohereV3Dims, true
	if e := nat.cohereV4(obj); e != nil {
		return e
	}
	nat.inputTokens = atLeastOne(Tokens(strings.Join(nat.texts, " ")))
	return nil
}

func (nat *nativeRequest) llama(obj map[string]json.RawMessage) *Error {
	if e := required(obj, "prompt"); e != nil {
		return e
	}
	var prompt string
	if e := decodeMembers(obj,
		member{"prompt", &prompt},
		member{"max_gen_len", &nat.maxTokens},
	); e != nil {
		return e
	}
	nat.userText = llamaUserText(prompt)
	nat.inputTokens = atLeastOne(Tokens(prompt))
	return nil
}

// llamaUserText is the last user turn of a Llama 3 chat prompt, or the
// whole prompt when it has no chat template.
func llamaUserText(prompt string) string {
	const userHeader = "<|start_header_id|>user<|end_header_id|>"
	i := strings.LastIndex(prompt, userHeader)
	if i < 0 {
		return strings.TrimSpace(prompt)
	}
	turn := prompt[i+len(userHeader):]
	if j := strings.Index(turn, "<|eot_id|>"); j >= 0 {
		turn = turn[:j]
	}
	return strings.TrimSpace(turn)
}
