package bedrock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/outcrop/outcrop/internal/openai"
)

// emptySchema is the input schema of a function without parameters:
// Bedrock requires a schema whose top-level type is object.
const emptySchema = `{"type":"object","properties":{}}`

// toolConfig maps tools and tool_choice, and makes the conversation's
// tool blocks acceptable to Bedrock (toolHygiene).
//
//	tool_choice   toolConfig
//	absent        tools, no toolChoice (Bedrock's default is auto)
//	"auto"        tools, {"auto":{}}
//	"required"    tools, {"any":{}}
//	function      tools, {"tool":{"name"}}; the name must be one of the tools
//	"none"        no toolConfig: Bedrock has no "none", so the tools are
//	              withheld, and the model cannot call one
//
// Without a toolConfig (no tools, or "none"), tool calls and results in
// the history become text: Bedrock refuses toolUse and toolResult blocks
// without one ("The toolConfig field must be defined when using toolUse
// and toolResult content blocks"), and sending the tools instead would let
// the model call one when the client said it must not.
//
// The model's catalogue entry adapts the mapping, for known models only:
// a model without tool use answers tools with a 400 naming them (unless
// they are withheld), and a model that does not take toolChoice (Llama,
// Cohere...: Bedrock answers "This model doesn't support the
// toolConfig.toolChoice.any field") gets none, so that "required" and a
// named function are only advisory there.
func toolConfig(req *openai.ChatCompletionRequest, opts RequestOptions, conv *conversation) (*ToolConfig, error) {
	choice := req.ToolChoice
	if len(req.Tools) == 0 && choice != nil && choice.Mode != "none" {
		return nil, openai.Errorf("tool_choice", "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.")
	}
	send := len(req.Tools) > 0 && (choice == nil || choice.Mode != "none")
	if send && knownModel(opts) && !opts.Model.Tools {
		return nil, openai.Errorf("tools", "Invalid 'tools': this Bedrock model does not support tool use.")
	}
	var (
		tools []Tool
		err   error
	)
	if len(req.Tools) > 0 {
		if tools, err = toolSpecs(req.Tools); err != nil {
			return nil, err
		}
	}
	conv.messages = toolHygiene(conv.messages, send)
	if !send {
		return nil, nil
	}
	tc := &ToolConfig{Tools: tools}
	if choice != nil {
		if tc.ToolChoice, err = toolChoice(choice, tools); err != nil {
			return nil, err
		}
	}
	if !takesToolChoice(opts) {
		tc.ToolChoice = nil
	}
	return tc, nil
}

// knownModel reports whether the model's catalogue entry is known, so that
// its capabilities can be trusted.
func knownModel(opts RequestOptions) bool { return opts.Model.Prefix != "" }

// takesToolChoice reports whether toolChoice may be sent: an unknown model
// gets what the client asked for.
func takesToolChoice(opts RequestOptions) bool { return !knownModel(opts) || opts.Model.ToolChoice }

// toolChoice maps a tool_choice other than absent; "none" maps to nil.
func toolChoice(c *openai.ToolChoice, tools []Tool) (*ToolChoice, error) {
	switch c.Mode {
	case "auto":
		return &ToolChoice{Auto: &struct{}{}}, nil
	case "required":
		return &ToolChoice{Any: &struct{}{}}, nil
	case "none":
		return nil, nil
	case "":
	default:
		return nil, openai.Errorf("tool_choice", "Invalid value: '%s'. Supported values are: 'none', 'auto' and 'required'.", c.Mode)
	}
	if c.Type != "function" {
		return nil, openai.Errorf("tool_choice.type", "Invalid value: '%s'. Supported values are: 'function'.", c.Type)
	}
	if c.Function == nil || c.Function.Name == "" {
		return nil, openai.Errorf("tool_choice.function.name", "Missing required parameter: 'tool_choice.function.name'.")
	}
	for _, t := range tools {
		if t.ToolSpec != nil && t.ToolSpec.Name == c.Function.Name {
			return &ToolChoice{Tool: &ToolChoiceTool{Name: c.Function.Name}}, nil
		}
	}
	return nil, openai.Errorf("tool_choice", "Invalid value for 'tool_choice': no function named '%s' was specified in the 'tools' parameter.", c.Function.Name)
}

// toolSpecs maps function tools to tool specs. Custom (free-form) tools
// have no Bedrock equivalent and are a 400.
func toolSpecs(tools []openai.Tool) ([]Tool, error) {
	out := make([]Tool, 0, len(tools))
	for i := range tools {
		t := &tools[i]
		p := fmt.Sprintf("tools[%d]", i)
		if t.Type != "function" {
			return nil, openai.Errorf(p+".type", "Invalid value: '%s'. Bedrock models support only 'function' tools.", t.Type)
		}
		spec, err := toolSpec(t.Function, p)
		if err != nil {
			return nil, err
		}
		out = append(out, Tool{ToolSpec: spec})
	}
	return out, nil
}

// toolSpec maps one function definition. A blank description is omitted
// (Bedrock's is a non-empty string); absent, null or empty parameters
// become an empty object schema.
func toolSpec(f *openai.FunctionDef, p string) (*ToolSpec, error) {
	if f == nil || f.Name == "" {
		return nil, openai.Errorf(p+".function.name", "Missing required parameter: '%s.function.name'.", p)
	}
	if !validToolName(f.Name) {
		return nil, openai.Errorf(p+".function.name", "Invalid '%s.function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]{1,64}$'.", p)
	}
	schema, err := toolSchema(f.Parameters)
	if err != nil {
		return nil, openai.Errorf(p+".function.parameters", "Invalid '%s.function.parameters': expected a JSON schema object.", p)
	}
	spec := &ToolSpec{Name: f.Name, InputSchema: InputSchema{JSON: schema}}
	if strings.TrimSpace(f.Description) != "" {
		spec.Description = f.Description
	}
	return spec, nil
}

// toolSchema returns a function's parameters schema, or the empty object
// schema when there is none.
func toolSchema(params json.RawMessage) (json.RawMessage, error) {
	t := bytes.TrimSpace(params)
	if len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return json.RawMessage(emptySchema), nil
	}
	if t[0] != '{' || !json.Valid(t) {
		return nil, errors.New("parameters are not a JSON object")
	}
	if isEmptyObject(t) {
		return json.RawMessage(emptySchema), nil
	}
	return t, nil
}

// isEmptyObject reports whether b (valid JSON) is `{}`, spaces allowed.
func isEmptyObject(b []byte) bool {
	return len(bytes.TrimSpace(b[1:len(b)-1])) == 0
}

// validToolName checks the name pattern OpenAI and Bedrock share:
// [a-zA-Z0-9_-]{1,64}.
func validToolName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// missingResult is the text of the result the gateway supplies for a tool
// call the client left unanswered.
const missingResult = "No result was provided for this tool call."

// toolHygiene makes the tool blocks of a conversation valid for Bedrock,
// which refuses with a 400 a conversation where a toolUse is not answered
// by a toolResult in the next turn, or a toolResult answers no toolUse of
// the turn before, and (for Claude) one where a user turn has text before
// its tool results. With send false (no toolConfig), every tool block
// becomes text instead (see toolConfig). Otherwise, after each assistant
// turn with tool calls:
//
//   - the next turn starts with the results, in the order of the calls;
//   - a call left unanswered (the client cancelled or lost it, or the
//     conversation ends with it) gets a result with status error saying no
//     result was provided, rather than being dropped: the model made the
//     call, and is told the truth about it;
//   - a result that answers no call of the turn before (a second result
//     for a call, or one for a call that is not there) becomes text in its
//     turn, where the model can still read it.
func toolHygiene(msgs []Message, send bool) []Message {
	out := make([]Message, 0, len(msgs)+1)
	for i := 0; i < len(msgs); i++ {
		m := msgs[i]
		switch {
		case !send:
			out = append(out, textualTools(m))
		case m.Role == RoleAssistant:
			out = append(out, m)
			calls := toolUses(m)
			if len(calls) == 0 {
				continue
			}
			var next *Message
			if i+1 < len(msgs) && msgs[i+1].Role == RoleUser {
				i++
				next = &msgs[i]
			}
			out = append(out, answerTurn(calls, next))
		default:
			out = append(out, textualTools(m))
		}
	}
	return out
}

// toolUses returns the toolUse blocks of a turn.
func toolUses(m Message) []*ToolUseBlock {
	var calls []*ToolUseBlock
	for _, b := range m.Content {
		if b.ToolUse != nil {
			calls = append(calls, b.ToolUse)
		}
	}
	return calls
}

// answerTurn returns the user turn that answers calls: next (nil when the
// conversation has none) with its results first, in call order, a result
// supplied for each unanswered call, and its other results as text.
func answerTurn(calls []*ToolUseBlock, next *Message) Message {
	content := make([]ContentBlock, len(calls))
	var rest []ContentBlock
	if next != nil {
		for _, b := range next.Content {
			if r := b.ToolResult; r != nil {
				if j := callIndex(calls, r.ToolUseID); j >= 0 && content[j].ToolResult == nil {
					content[j] = b
					continue
				}
				b = ContentBlock{Text: ptr(resultText(r))}
			}
			rest = append(rest, b)
		}
	}
	for j := range content {
		if content[j].ToolResult == nil {
			content[j].ToolResult = &ToolResultBlock{
				ToolUseID: calls[j].ToolUseID,
				Content:   []ToolResultContent{{Text: ptr(missingResult)}},
				Status:    toolResultError,
			}
		}
	}
	return Message{Role: RoleUser, Content: append(content, rest...)}
}

func callIndex(calls []*ToolUseBlock, id string) int {
	for j, c := range calls {
		if c.ToolUseID == id {
			return j
		}
	}
	return -1
}

// textualTools returns m with its tool blocks as text blocks. It shares
// m's content when there are none.
func textualTools(m Message) Message {
	var content []ContentBlock
	for j, b := range m.Content {
		switch {
		case b.ToolUse != nil:
			b = ContentBlock{Text: ptr(callText(b.ToolUse.ToolUseID, b.ToolUse.Name, string(b.ToolUse.Input)))}
		case b.ToolResult != nil:
			b = ContentBlock{Text: ptr(resultText(b.ToolResult))}
		default:
			if content != nil {
				content[j] = b
			}
			continue
		}
		if content == nil {
			content = make([]ContentBlock, len(m.Content))
			copy(content, m.Content[:j])
		}
		content[j] = b
	}
	if content == nil {
		return m
	}
	return Message{Role: m.Role, Content: content}
}

// resultText is the text that stands for a tool result Bedrock cannot
// take as a toolResult block.
func resultText(r *ToolResultBlock) string {
	var b strings.Builder
	b.WriteString("[Tool result for ")
	b.WriteString(r.ToolUseID)
	if r.Status == toolResultError {
		b.WriteString(" (error)")
	}
	b.WriteString(":")
	sep := " "
	for _, c := range r.Content {
		b.WriteString(sep)
		sep = "\n"
		switch {
		case c.Text != nil:
			b.WriteString(*c.Text)
		case c.JSON != nil:
			b.Write(c.JSON)
		}
	}
	b.WriteString("]")
	return b.String()
}

func ptr[T any](v T) *T { return &v }

// applyParallelToolCalls maps parallel_tool_calls false. Converse has no
// switch for it, but Claude takes Anthropic's tool_choice
// disable_parallel_tool_use through additionalModelRequestFields, where
// it must carry its type: the whole choice moves there, and toolConfig
// keeps none, since Bedrock refuses two conflicting choices
// (BerriAI/litellm#34347 and #36536 record both answers from Bedrock).
// For other models the parameter is advisory: clients take any number of
// calls, and no model is told to make more than one.
func applyParallelToolCalls(req *openai.ChatCompletionRequest, opts RequestOptions, out *ConverseRequest) error {
	tc := out.ToolConfig
	if req.ParallelToolCalls == nil || *req.ParallelToolCalls || tc == nil || !isAnthropic(req, opts) || !takesToolChoice(opts) {
		return nil
	}
	choice := map[string]any{"type": "auto", "disable_parallel_tool_use": true}
	switch c := tc.ToolChoice; {
	case c == nil || c.Auto != nil:
	case c.Any != nil:
		choice["type"] = "any"
	case c.Tool != nil:
		choice["type"], choice["name"] = "tool", c.Tool.Name
	}
	raw, err := json.Marshal(choice)
	if err != nil {
		return fmt.Errorf("tool_choice: %w", err)
	}
	tc.ToolChoice = nil
	return setModelField(out, "tool_choice", raw)
}

// isAnthropic reports whether the request goes to an Anthropic model: by
// its catalogue entry, or by its model ID when the catalogue does not know
// it.
func isAnthropic(req *openai.ChatCompletionRequest, opts RequestOptions) bool {
	id := opts.Model.Prefix
	if id == "" {
		id = BaseModelID(req.Model)
	}
	return strings.HasPrefix(id, "anthropic.")
}
