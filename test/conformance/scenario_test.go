package conformance

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/outcrop/outcrop/internal/provider/bedrock/bedrocktest"
)

// scenario is the bedrock gateway's emulator model for the feature tests
// (bedrock_features.test.mjs): its answer depends on the Converse request
// alone, so tests running at once cannot disturb each other. Requests it
// does not cover get the emulator's canned answer.
//
//	request                                      answer
//	outputConfig.textFormat (structured output)  JSON text sampled from the schema
//	last user turn with toolResult               "Tool results: " and the results' text
//	last user turn with images                   "I see N image(s): png 70 bytes, ..."
//	tools offered                                a call per capitalised word of the
//	                                             user text (one when forced), after
//	                                             "Let me check." when not forced
//
// With Claude's thinking on, the emulator adds signed reasoning first and
// refuses a tool result whose call lost its reasoning (bedrocktest's
// thinking rules); the scenario answers only what passed those checks.
func scenario(req bedrocktest.Request) (bedrocktest.Reply, bool) {
	if req.Operation != bedrocktest.OpConverse && req.Operation != bedrocktest.OpConverseStream {
		return bedrocktest.Reply{}, false
	}
	var c scenarioRequest
	if json.Unmarshal(req.Body, &c) != nil || len(c.Messages) == 0 {
		return bedrocktest.Reply{}, false
	}
	blocks, stop, ok := c.answer()
	if !ok {
		return bedrocktest.Reply{}, false
	}
	if c.thinking() {
		r := "Planning the answer to the tool results."
		if t := c.lastUserText(); t != "" {
			r = "Planning the answer to: " + t
		}
		blocks = append([]scenarioBlock{{reasoning: r}}, blocks...)
	}
	usage := bedrocktest.Usage{InputTokens: bedrocktest.Tokens(c.lastUserText()) + 1, OutputTokens: outputTokens(blocks)}
	if req.Operation == bedrocktest.OpConverseStream {
		return bedrocktest.Reply{Events: scenarioEvents(blocks, stop, usage)}, true
	}
	content, _ := json.Marshal(scenarioContent(blocks))
	return bedrocktest.Reply{Content: content, StopReason: stop, Usage: &usage}, true
}

// scenarioRequest is what the scenario reads of a Converse request.
type scenarioRequest struct {
	Messages []struct {
		Role    string                       `json:"role"`
		Content []map[string]json.RawMessage `json:"content"`
	} `json:"messages"`
	ToolConfig *struct {
		Tools []struct {
			ToolSpec *struct {
				Name        string `json:"name"`
				InputSchema struct {
					JSON json.RawMessage `json:"json"`
				} `json:"inputSchema"`
			} `json:"toolSpec"`
		} `json:"tools"`
		ToolChoice *struct {
			Any  json.RawMessage `json:"any"`
			Tool *struct {
				Name string `json:"name"`
			} `json:"tool"`
		} `json:"toolChoice"`
	} `json:"toolConfig"`
	OutputConfig *struct {
		TextFormat struct {
			Structure struct {
				JSONSchema struct {
					Schema string `json:"schema"`
				} `json:"jsonSchema"`
			} `json:"structure"`
		} `json:"textFormat"`
	} `json:"outputConfig"`
	AdditionalModelRequestFields struct {
		Thinking *struct {
			Type string `json:"type"`
		} `json:"thinking"`
	} `json:"additionalModelRequestFields"`
}

// scenarioBlock is one content block of the answer: reasoning, text or a
// tool call.
type scenarioBlock struct {
	reasoning string
	text      string
	toolID    string
	toolName  string
	toolInput string
}

func (c *scenarioRequest) thinking() bool {
	t := c.AdditionalModelRequestFields.Thinking
	return t != nil && (t.Type == "enabled" || t.Type == "adaptive")
}

// last is the last message's content blocks.
func (c *scenarioRequest) last() []map[string]json.RawMessage {
	return c.Messages[len(c.Messages)-1].Content
}

func (c *scenarioRequest) lastUserText() string {
	var parts []string
	for _, b := range c.last() {
		var t string
		if json.Unmarshal(b["text"], &t) == nil && t != "" {
			parts = append(parts, t)
		}
	}
	return strings.Join(parts, " ")
}

// answer is the scenario's answer, by the table of scenario.
func (c *scenarioRequest) answer() ([]scenarioBlock, string, bool) {
	if c.OutputConfig != nil {
		s := sampleJSON(json.RawMessage(c.OutputConfig.TextFormat.Structure.JSONSchema.Schema), c.places())
		return []scenarioBlock{{text: s}}, bedrocktest.StopEndTurn, true
	}
	if results := c.toolResults(); results != nil {
		return []scenarioBlock{{text: "Tool results: " + strings.Join(results, "; ")}}, bedrocktest.StopEndTurn, true
	}
	if images := c.images(); images != nil {
		return []scenarioBlock{{text: fmt.Sprintf("I see %d image(s): %s", len(images), strings.Join(images, ", "))}}, bedrocktest.StopEndTurn, true
	}
	if c.ToolConfig == nil || len(c.ToolConfig.Tools) == 0 {
		return nil, "", false
	}
	return c.toolCalls(), bedrocktest.StopToolUse, true
}

// toolResults is the text of each toolResult of the last turn, or nil.
func (c *scenarioRequest) toolResults() []string {
	var out []string
	for _, b := range c.last() {
		raw, ok := b["toolResult"]
		if !ok {
			continue
		}
		var tr struct {
			Content []struct {
				Text *string         `json:"text"`
				JSON json.RawMessage `json:"json"`
			} `json:"content"`
			Status string `json:"status"`
		}
		_ = json.Unmarshal(raw, &tr)
		var texts []string
		for _, p := range tr.Content {
			switch {
			case p.Text != nil:
				texts = append(texts, *p.Text)
			case p.JSON != nil:
				texts = append(texts, string(p.JSON))
			}
		}
		r := strings.Join(texts, " ")
		if tr.Status == "error" {
			r = "error: " + r
		}
		out = append(out, r)
	}
	return out
}

// images describes each image block of the last turn ("png 70 bytes"),
// or is nil.
func (c *scenarioRequest) images() []string {
	var out []string
	for _, b := range c.last() {
		raw, ok := b["image"]
		if !ok {
			continue
		}
		var img struct {
			Format string `json:"format"`
			Source struct {
				Bytes string `json:"bytes"`
			} `json:"source"`
		}
		_ = json.Unmarshal(raw, &img)
		data, err := base64.StdEncoding.DecodeString(img.Source.Bytes)
		if err != nil {
			out = append(out, img.Format+" with bytes that are not base64")
			continue
		}
		out = append(out, fmt.Sprintf("%s %d bytes", img.Format, len(data)))
	}
	return out
}

// places is the capitalised words of the user text but its first word:
// "What is the weather in Paris and London?" gives Paris and London.
func (c *scenarioRequest) places() []string {
	var out []string
	for i, w := range strings.Fields(c.lastUserText()) {
		w = strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) })
		if i > 0 && w != "" && unicode.IsUpper([]rune(w)[0]) {
			out = append(out, w)
		}
	}
	return out
}

// toolCalls calls the forced tool once, or else the first tool once per
// place, after a line of text.
func (c *scenarioRequest) toolCalls() []scenarioBlock {
	tc := c.ToolConfig
	tool := tc.Tools[0].ToolSpec
	forced := tc.ToolChoice != nil && (tc.ToolChoice.Any != nil || tc.ToolChoice.Tool != nil)
	if tc.ToolChoice != nil && tc.ToolChoice.Tool != nil {
		for _, t := range tc.Tools {
			if t.ToolSpec != nil && t.ToolSpec.Name == tc.ToolChoice.Tool.Name {
				tool = t.ToolSpec
			}
		}
	}
	places := c.places()
	if forced || len(places) == 0 {
		places = places[:min(len(places), 1)]
	}
	var out []scenarioBlock
	if !forced {
		out = append(out, scenarioBlock{text: "Let me check."})
	}
	for i := 0; i < max(len(places), 1); i++ {
		out = append(out, scenarioBlock{
			toolID:    fmt.Sprintf("tooluse_scenario%02d_%s", i, tool.Name),
			toolName:  tool.Name,
			toolInput: sampleJSON(tool.InputSchema.JSON, places[min(i, len(places)):]),
		})
	}
	return out
}

// sampleJSON is a JSON value that fits schema: the first string member
// takes the first of words, other strings "example" (or their first enum
// value), integers 42, numbers 1.5, booleans true, arrays one item.
func sampleJSON(schema json.RawMessage, words []string) string {
	b, _ := json.Marshal(sample(schema, &words))
	return string(b)
}

func sample(raw json.RawMessage, words *[]string) any {
	var s struct {
		Type       string                     `json:"type"`
		Enum       []any                      `json:"enum"`
		Properties map[string]json.RawMessage `json:"properties"`
		Items      json.RawMessage            `json:"items"`
	}
	_ = json.Unmarshal(raw, &s)
	switch {
	case len(s.Enum) > 0:
		return s.Enum[0]
	case s.Type == "object" || s.Properties != nil:
		out := map[string]any{}
		keys := make([]string, 0, len(s.Properties))
		for k := range s.Properties {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			out[k] = sample(s.Properties[k], words)
		}
		return out
	case s.Type == "string":
		if len(*words) > 0 {
			w := (*words)[0]
			*words = (*words)[1:]
			return w
		}
		return "example"
	case s.Type == "integer":
		return 42
	case s.Type == "number":
		return 1.5
	case s.Type == "boolean":
		return true
	case s.Type == "array":
		return []any{sample(s.Items, words)}
	}
	return nil
}

func outputTokens(blocks []scenarioBlock) int {
	n := 0
	for _, b := range blocks {
		n += bedrocktest.Tokens(b.reasoning) + bedrocktest.Tokens(b.text) + bedrocktest.Tokens(b.toolInput)
	}
	return max(n, 1)
}

// scenarioContent is the answer as Converse content blocks.
func scenarioContent(blocks []scenarioBlock) []any {
	out := make([]any, 0, len(blocks))
	for _, b := range blocks {
		switch {
		case b.reasoning != "":
			out = append(out, bedrocktest.ReasoningBlock(b.reasoning))
		case b.toolName != "":
			out = append(out, map[string]any{"toolUse": map[string]any{
				"toolUseId": b.toolID, "name": b.toolName, "input": json.RawMessage(b.toolInput),
			}})
		default:
			out = append(out, map[string]string{"text": b.text})
		}
	}
	return out
}

// scenarioEvents is the answer as ConverseStream events, each tool input
// in two fragments.
func scenarioEvents(blocks []scenarioBlock, stop string, u bedrocktest.Usage) []bedrocktest.Event {
	evs := []bedrocktest.Event{bedrocktest.MessageStart()}
	for i, b := range blocks {
		switch {
		case b.reasoning != "":
			evs = append(evs, bedrocktest.ReasoningEvents(i, b.reasoning)...)
			continue
		case b.toolName != "":
			half := len(b.toolInput) / 2
			evs = append(evs, bedrocktest.ToolUseStart(i, b.toolID, b.toolName),
				bedrocktest.ToolUseDelta(i, b.toolInput[:half]), bedrocktest.ToolUseDelta(i, b.toolInput[half:]))
		default:
			for _, p := range bedrocktest.Pieces(b.text) {
				evs = append(evs, bedrocktest.TextDelta(i, p))
			}
		}
		evs = append(evs, bedrocktest.BlockStop(i))
	}
	return append(evs, bedrocktest.MessageStop(stop), bedrocktest.Metadata(u))
}
