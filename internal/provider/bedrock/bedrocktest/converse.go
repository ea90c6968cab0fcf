package bedrocktest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// converseRequest is the part of a Converse body the emulator reads.
type converseRequest struct {
	Messages        []converseMessage            `json:"messages"`
	System          []map[string]json.RawMessage `json:"system"`
	InferenceConfig *struct {
		MaxTokens     *int     `json:"maxTokens"`
		Temperature   *float64 `json:"temperature"`
		TopP          *float64 `json:"topP"`
		StopSequences []string `json:"stopSequences"`
	} `json:"inferenceConfig"`
	ToolConfig *struct {
		Tools []struct {
			ToolSpec *struct {
				Name string `json:"name"`
			} `json:"toolSpec"`
		} `json:"tools"`
		ToolChoice *struct {
			Any  json.RawMessage `json:"any"`
			Tool *struct {
				Name string `json:"name"`
			} `json:"tool"`
		} `json:"toolChoice"`
	} `json:"toolConfig"`
	AdditionalModelRequestFields *struct {
		Thinking *struct {
			Type string `json:"type"`
		} `json:"thinking"`
	} `json:"additionalModelRequestFields"`

	// thinking is set by checkThinking: Claude thinks for this request.
	thinking bool
}

type converseMessage struct {
	Role    string                       `json:"role"`
	Content []map[string]json.RawMessage `json:"content"`
}

// parseConverse decodes and validates a Converse body the way Bedrock
// does: member constraints first, then the conversation rules.
func parseConverse(body []byte) (*converseRequest, *Error) {
	var req converseRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, validation("Malformed input request: %v, please reformat your input and try again.", err)
	}
	if e := req.constraints().err(); e != nil {
		return nil, e
	}
	if e := req.conversation(); e != nil {
		return nil, e
	}
	return &req, nil
}

// constraints checks the members the service model bounds.
func (req *converseRequest) constraints() constraintErrors {
	var c constraintErrors
	for i, m := range req.Messages {
		if m.Role != "user" && m.Role != "assistant" {
			c.add(m.Role, fmt.Sprintf("messages.%d.member.role", i+1), "satisfy enum value set: [user, assistant]")
		}
	}
	ic := req.InferenceConfig
	if ic == nil {
		return c
	}
	if ic.MaxTokens != nil && *ic.MaxTokens < 1 {
		c.add(strconv.Itoa(*ic.MaxTokens), "inferenceConfig.maxTokens", "have value greater than or equal to 1")
	}
	for _, f := range []struct {
		name string
		v    *float64
	}{{"temperature", ic.Temperature}, {"topP", ic.TopP}} {
		switch {
		case f.v == nil:
		case *f.v > 1:
			c.add(javaFloat(*f.v), "inferenceConfig."+f.name, "have value less than or equal to 1")
		case *f.v < 0:
			c.add(javaFloat(*f.v), "inferenceConfig."+f.name, "have value greater than or equal to 0")
		}
	}
	return c
}

// javaFloat formats v as AWS's (Java) messages do: "1.5", "2.0".
func javaFloat(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// conversation checks Bedrock's conversation rules: a first user turn,
// alternating roles, non-empty content and no blank text.
func (req *converseRequest) conversation() *Error {
	if len(req.Messages) == 0 || req.Messages[0].Role != "user" {
		return validation("%s", MsgFirstUser)
	}
	for i, m := range req.Messages {
		if i > 0 && m.Role == req.Messages[i-1].Role {
			return validation("%s", MsgAlternate)
		}
		if len(m.Content) == 0 {
			return validation("The content field in the Message object at messages.%d is empty. Add a ContentBlock object to the content field and try again.", i)
		}
		for j, b := range m.Content {
			if t, ok := textOf(b); ok && strings.TrimSpace(t) == "" {
				return validation("The text field in the ContentBlock object at messages.%d.content.%d is blank. Add text to the text field, and try again.", i, j)
			}
		}
	}
	for i, b := range req.System {
		if t, ok := textOf(b); ok && strings.TrimSpace(t) == "" {
			return validation("The text field in the SystemContentBlock object at system.%d is blank. Add text to the text field, and try again.", i)
		}
	}
	return nil
}

// textOf returns the text of a {"text":...} block.
func textOf(block map[string]json.RawMessage) (string, bool) {
	raw, ok := block["text"]
	if !ok {
		return "", false
	}
	var t string
	if json.Unmarshal(raw, &t) != nil {
		return "", false
	}
	return t, true
}

// lastUserText is the text blocks of the last user turn, joined by spaces.
func (req *converseRequest) lastUserText() string {
	for i := len(req.Messages) - 1; i >= 0; i-- {
		if req.Messages[i].Role != "user" {
			continue
		}
		var parts []string
		for _, b := range req.Messages[i].Content {
			if t, ok := textOf(b); ok {
				parts = append(parts, t)
			}
		}
		return strings.Join(parts, " ")
	}
	return ""
}

// inputTokens counts the words of every text in system and messages,
// including tool results' text.
func (req *converseRequest) inputTokens() int {
	n := 0
	for _, b := range req.System {
		t, _ := textOf(b)
		n += Tokens(t)
	}
	for _, m := range req.Messages {
		for _, b := range m.Content {
			t, _ := textOf(b)
			n += Tokens(t)
			n += toolResultTokens(b["toolResult"])
		}
	}
	return atLeastOne(n)
}

func toolResultTokens(raw json.RawMessage) int {
	if raw == nil {
		return 0
	}
	var tr struct {
		Content []map[string]json.RawMessage `json:"content"`
	}
	if json.Unmarshal(raw, &tr) != nil {
		return 0
	}
	n := 0
	for _, c := range tr.Content {
		t, _ := textOf(c)
		n += Tokens(t)
	}
	return n
}

// forcedTool is the tool the request forces (toolChoice any: the first
// tool; tool: the named one), or "".
func (req *converseRequest) forcedTool() string {
	tc := req.ToolConfig
	if tc == nil || tc.ToolChoice == nil {
		return ""
	}
	if tc.ToolChoice.Tool != nil {
		return tc.ToolChoice.Tool.Name
	}
	if tc.ToolChoice.Any != nil {
		for _, t := range tc.Tools {
			if t.ToolSpec != nil {
				return t.ToolSpec.Name
			}
		}
	}
	return ""
}

func (req *converseRequest) limits() (int, []string) {
	if req.InferenceConfig == nil {
		return 0, nil
	}
	maxTokens := 0
	if req.InferenceConfig.MaxTokens != nil {
		maxTokens = *req.InferenceConfig.MaxTokens
	}
	return maxTokens, req.InferenceConfig.StopSequences
}

// cannedAnswer is what the emulator's model "says" to a Converse request.
type cannedAnswer struct {
	// reasoning, when set, is signed thinking before the text or call.
	reasoning  string
	text       string
	toolName   string // a forced tool call instead of text
	toolUseID  string
	stopReason string
	usage      Usage
}

// answerConverse builds the canned answer to req, with rep's overrides.
func (s *Server) answerConverse(req *converseRequest, rep Reply) cannedAnswer {
	a := cannedAnswer{usage: Usage{InputTokens: req.inputTokens()}}
	if name := req.forcedTool(); name != "" && rep.Text == "" {
		a.toolName, a.toolUseID, a.stopReason = name, "tooluse_"+stableID(22, name, req.lastUserText()), StopToolUse
		a.usage.OutputTokens = 1
	} else {
		text := rep.Text
		if text == "" {
			text = s.answerFor(req.lastUserText())
		}
		maxTokens, stops := req.limits()
		g := generate(text, maxTokens, stops)
		a.text, a.stopReason, a.usage.OutputTokens = g.text, g.stopReason, g.tokens
	}
	if req.thinking && rep.Text == "" {
		a.reasoning = reasoningFor(req)
		a.usage.OutputTokens += Tokens(a.reasoning)
	}
	if rep.StopReason != "" {
		a.stopReason = rep.StopReason
	}
	if rep.Usage != nil {
		a.usage = *rep.Usage
	}
	return a
}

// answerFor is the canned text for a last user text: WithAnswer's, or
// EchoAnswer.
func (s *Server) answerFor(userText string) string {
	if s.opts.answer != "" {
		return s.opts.answer
	}
	return EchoAnswer(userText)
}

// converseBody is Converse's response body, members in the order real
// Bedrock writes them.
type converseBody struct {
	Metrics struct {
		LatencyMs int `json:"latencyMs"`
	} `json:"metrics"`
	Output struct {
		Message struct {
			Content json.RawMessage `json:"content"`
			Role    string          `json:"role"`
		} `json:"message"`
	} `json:"output"`
	StopReason string    `json:"stopReason"`
	Usage      usageJSON `json:"usage"`
}

// converse answers Converse.
func (s *Server) converse(req *converseRequest, rep Reply) *response {
	if r := s.scripted(rep, false); r != nil {
		return finish(r, rep)
	}
	a := s.answerConverse(req, rep)
	var b converseBody
	b.Metrics.LatencyMs = LatencyMs
	b.Output.Message.Role = "assistant"
	b.Output.Message.Content = rep.Content
	if b.Output.Message.Content == nil {
		b.Output.Message.Content = a.content()
	}
	b.StopReason, b.Usage = a.stopReason, a.usage.wire()
	return finish(jsonResponse(mustJSON(b)), rep)
}

// content is the answer's content blocks as JSON.
func (a cannedAnswer) content() json.RawMessage {
	var blocks []any
	if a.reasoning != "" {
		blocks = append(blocks, ReasoningBlock(a.reasoning))
	}
	if a.toolName != "" {
		blocks = append(blocks, map[string]any{"toolUse": map[string]any{
			"toolUseId": a.toolUseID, "name": a.toolName, "input": map[string]any{},
		}})
	} else {
		blocks = append(blocks, map[string]string{"text": a.text})
	}
	return mustJSON(blocks)
}

// converseStream answers ConverseStream.
func (s *Server) converseStream(req *converseRequest, rep Reply) *response {
	if r := s.scripted(rep, true); r != nil {
		return finish(r, rep)
	}
	if rep.Events != nil {
		return finish(streamResponse(rep.Events), rep)
	}
	a := s.answerConverse(req, rep)
	evs := []Event{MessageStart()}
	i := 0
	if a.reasoning != "" {
		evs = append(evs, ReasoningEvents(i, a.reasoning)...)
		i++
	}
	if a.toolName != "" {
		evs = append(evs, ToolUseStart(i, a.toolUseID, a.toolName), ToolUseDelta(i, "{}"))
	} else {
		for _, p := range Pieces(a.text) {
			evs = append(evs, TextDelta(i, p))
		}
	}
	evs = append(evs, BlockStop(i), MessageStop(a.stopReason), Metadata(a.usage))
	return finish(streamResponse(evs), rep)
}
