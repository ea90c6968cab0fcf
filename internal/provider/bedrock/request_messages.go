package bedrock

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/outcrop/outcrop/internal/openai"
)

// Tool result statuses. OpenAI tool messages have no error flag, so a
// result is a success unless the client marks it (see addToolResult) or
// the gateway supplies it for a call left unanswered (see toolHygiene).
// Bedrock documents the member for Claude and Nova only, but Meta, Mistral
// and Cohere models accept it too (langchain-ai/langchain-aws#146 tested
// them).
const (
	toolResultSuccess = "success"
	toolResultError   = "error"
)

// conversation is OpenAI's message list as Bedrock wants it.
type conversation struct {
	messages []Message
	system   []SystemBlock
	// firstTurn is the index in the OpenAI messages of the message that
	// opened the first Bedrock turn.
	firstTurn int
	// media translates images and documents (request_media.go).
	media *mediaState
}

// convertMessages maps OpenAI messages to Bedrock turns and system blocks.
//
//   - system and developer messages become system blocks, in order, wherever
//     they stand: Bedrock has only a top-level system prompt, so a system
//     message in the middle of a conversation is hoisted, not dropped.
//   - user turns, and tool results (as toolResult blocks in a user turn),
//     and assistant turns map one to one; consecutive turns of the same
//     Bedrock role merge into one message, because Bedrock requires the
//     roles to alternate. Several tool results therefore share one user
//     turn, followed by the user's next text if any.
//   - empty texts are dropped (Bedrock rejects empty text blocks), and a
//     turn left with nothing is dropped with them.
//   - the conversation must start with a user turn. One that starts with an
//     assistant turn is a 400: a gateway that invented a user turn would
//     change the prompt the client wrote.
//   - images and files in user messages become image and document blocks
//     (addUser, request_media.go); other non-text content parts are a 400
//     naming the part, never dropped.
//   - an assistant's reasoning_content is not sent back: Bedrock needs the
//     signature that came with it. Its reasoning_details, which carry the
//     signatures, are (see reasoningBlocks).
//   - tool calls and results are mapped as they come; toolConfig then
//     makes them valid as a whole (toolHygiene).
func convertMessages(msgs []openai.Message, media *mediaState) (conversation, error) {
	c := conversation{firstTurn: -1, media: media}
	for i := range msgs {
		m := &msgs[i]
		var err error
		switch m.Role {
		case openai.RoleSystem, openai.RoleDeveloper:
			err = c.addSystem(m, i)
		case openai.RoleUser:
			err = c.addUser(m, i)
		case openai.RoleAssistant:
			err = c.addAssistant(m, i)
		case openai.RoleTool:
			err = c.addToolResult(m, i)
		case openai.RoleFunction:
			err = openai.Errorf(fmt.Sprintf("messages[%d].role", i), "Invalid value: 'function'. The deprecated function role is not supported for Bedrock models; send tool results as 'tool' messages.")
		default:
			err = openai.Errorf(fmt.Sprintf("messages[%d].role", i), "Invalid value: '%s'. Supported values are: 'system', 'developer', 'user', 'assistant' and 'tool'.", m.Role)
		}
		if err != nil {
			return conversation{}, err
		}
	}
	if len(c.messages) == 0 {
		return conversation{}, openai.Errorf("messages", "'messages' must contain a user message with content; Bedrock models cannot answer a conversation without one.")
	}
	if c.messages[0].Role != RoleUser {
		return conversation{}, openai.Errorf(fmt.Sprintf("messages[%d]", c.firstTurn), "Bedrock models need the conversation to start with a user message, but messages[%d] is an assistant message.", c.firstTurn)
	}
	if err := c.media.checkTurns(c.messages); err != nil {
		return conversation{}, err
	}
	return c, nil
}

// push appends a block to the last turn if it has the same role, or opens
// a new turn; message i of the OpenAI request produced the block.
func (c *conversation) push(role string, i int, b ContentBlock) {
	if n := len(c.messages); n > 0 && c.messages[n-1].Role == role {
		c.messages[n-1].Content = append(c.messages[n-1].Content, b)
		return
	}
	if len(c.messages) == 0 {
		c.firstTurn = i
	}
	c.messages = append(c.messages, Message{Role: role, Content: []ContentBlock{b}})
}

func (c *conversation) addSystem(m *openai.Message, i int) error {
	return eachText(&m.Content, i, m.Role, func(s *string) {
		c.system = append(c.system, SystemBlock{Text: s})
	})
}

// addAssistant maps an assistant message: the reasoning it carries back
// (reasoning_details, see reasoningBlocks), its text, or its refusal when
// it has no text (the refusal is what the assistant said), then its tool
// calls as toolUse blocks. A tool call whose arguments are not a JSON
// object, typically cut short when the answer hit max_tokens, becomes a
// text block saying what was called: Bedrock refuses such a toolUse, and
// the conversation stays true to what happened (its result, if any, then
// answers no call and becomes text too, see toolHygiene).
func (c *conversation) addAssistant(m *openai.Message, i int) error {
	reasoning, err := reasoningBlocks(m.ReasoningDetails, i)
	if err != nil {
		return err
	}
	for _, b := range reasoning {
		c.push(RoleAssistant, i, b)
	}
	texts := 0
	err = eachText(&m.Content, i, m.Role, func(s *string) {
		c.push(RoleAssistant, i, ContentBlock{Text: s})
		texts++
	})
	if err != nil {
		return err
	}
	if texts == 0 && m.Refusal != nil && *m.Refusal != "" {
		c.push(RoleAssistant, i, ContentBlock{Text: m.Refusal})
	}
	for j := range m.ToolCalls {
		tc := &m.ToolCalls[j]
		tu, err := toolUseBlock(tc, i, j)
		if err != nil {
			return err
		}
		if tu == nil {
			s := callText(tc.ID, tc.Function.Name, tc.Function.Arguments)
			c.push(RoleAssistant, i, ContentBlock{Text: &s})
			continue
		}
		c.push(RoleAssistant, i, ContentBlock{ToolUse: tu})
	}
	return nil
}

// addToolResult maps a tool message to a toolResult block in a user turn.
// An empty result is sent with empty content: Bedrock requires the member
// but rejects empty text. A text that is a JSON object is sent as a json
// block, which Bedrock passes to the model as structured data. OpenAI tool
// messages have no error flag; a message with the `is_error` extension set
// is sent with status error, every other one with status success.
func (c *conversation) addToolResult(m *openai.Message, i int) error {
	content := []ToolResultContent{}
	err := eachText(&m.Content, i, m.Role, func(s *string) {
		if obj := jsonObject(*s); obj != nil {
			content = append(content, ToolResultContent{JSON: obj})
			return
		}
		content = append(content, ToolResultContent{Text: s})
	})
	if err != nil {
		return err
	}
	status := toolResultSuccess
	if m.IsError {
		status = toolResultError
	}
	c.push(RoleUser, i, ContentBlock{ToolResult: &ToolResultBlock{
		ToolUseID: toolUseID(m.ToolCallID),
		Content:   content,
		Status:    status,
	}})
	return nil
}

// jsonObject returns s compacted when it is a JSON object, else nil.
func jsonObject(s string) json.RawMessage {
	t := strings.TrimSpace(s)
	if len(t) < 2 || t[0] != '{' {
		return nil
	}
	var b bytes.Buffer
	if json.Compact(&b, []byte(t)) != nil {
		return nil
	}
	return b.Bytes()
}

// eachText calls fn with each non-empty text of message i's content: the
// string, or each text part (and refusal part, in an assistant message).
// Any other part is a 400 naming it.
func eachText(content *openai.Content, i int, role string, fn func(*string)) error {
	switch content.Kind {
	case openai.ContentString:
		if content.Text != "" {
			fn(&content.Text)
		}
	case openai.ContentParts:
		for j := range content.Parts {
			p := &content.Parts[j]
			switch {
			case p.Type == "text":
				if p.Text != "" {
					fn(&p.Text)
				}
			case p.Type == "refusal" && role == openai.RoleAssistant:
				if p.Refusal != "" {
					fn(&p.Refusal)
				}
			default:
				return partError(i, j, role, p.Type)
			}
		}
	}
	return nil
}

// partError rejects content part j of message i. User messages also take
// images and documents (addUser, request_media.go), but no audio: Converse
// has no audio input for chat models. Elsewhere only text is valid.
func partError(i, j int, role, typ string) error {
	param := fmt.Sprintf("messages[%d].content[%d]", i, j)
	if role == openai.RoleUser && typ == "input_audio" {
		return openai.Errorf(param, "Audio input (input_audio content parts) is not supported for Bedrock models: Converse takes no audio input for chat models.")
	}
	return openai.Errorf(param, "Invalid content part type '%s' in a '%s' message: only text is supported here.", typ, role)
}

// toolUseBlock maps tool call j of assistant message i, or returns nil
// when Bedrock cannot take it as a toolUse: arguments that are not a JSON
// object (cut short by max_tokens, say) or a name outside Bedrock's
// pattern (a call made through another provider).
func toolUseBlock(tc *openai.ToolCall, i, j int) (*ToolUseBlock, error) {
	p := fmt.Sprintf("messages[%d].tool_calls[%d]", i, j)
	if tc.Type != "" && tc.Type != "function" {
		return nil, openai.Errorf(p+".type", "Invalid value: '%s'. Supported values are: 'function'.", tc.Type)
	}
	if tc.Function.Name == "" {
		return nil, openai.Errorf(p+".function.name", "Missing required parameter: '%s.function.name'.", p)
	}
	input, ok := toolInput(tc.Function.Arguments)
	if !ok || !validToolName(tc.Function.Name) {
		return nil, nil
	}
	return &ToolUseBlock{ToolUseID: toolUseID(tc.ID), Name: tc.Function.Name, Input: input}, nil
}

// toolInput parses a tool call's arguments, which OpenAI sends as a JSON
// string, into the JSON object Bedrock takes; ok is false when they are
// not one. Empty arguments are an empty object: some clients send "" for
// a call without parameters.
func toolInput(args string) (input json.RawMessage, ok bool) {
	if strings.TrimSpace(args) == "" {
		return json.RawMessage("{}"), true
	}
	obj := jsonObject(args)
	return obj, obj != nil
}

// toolUseID returns id if Bedrock takes it as a toolUseId
// ([a-zA-Z0-9_.:-]{1,64}), else a stable stand-in derived from it: IDs
// minted by other providers or clients may be longer or use other
// characters, and a call and its result must still match.
func toolUseID(id string) string {
	if validToolUseID(id) {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "call_" + hex.EncodeToString(sum[:12])
}

func validToolUseID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' && c != '-' && c != '.' && c != ':' {
			return false
		}
	}
	return true
}

// callText is the text that stands for a tool call Bedrock cannot take as
// a toolUse block (see toolUseBlock and toolHygiene).
func callText(id, name, args string) string {
	return fmt.Sprintf("[Tool call %s: %s(%s)]", id, name, args)
}

// reasoningBlocks restores the reasoning of assistant message i from its
// reasoning_details, as FromConverse and the stream translator return it:
// "reasoning.text" with a signature is a reasoningText block,
// "reasoning.encrypted" a redactedContent block. Reasoning without a
// signature cannot be verified by the model, and other types
// ("reasoning.summary") are not Bedrock's, so both are skipped. Whether
// the blocks are sent depends on the request's reasoning (see
// applyReasoning).
func reasoningBlocks(details []openai.ReasoningDetail, i int) ([]ContentBlock, error) {
	var out []ContentBlock
	for j := range details {
		d := &details[j]
		switch d.Type {
		case openai.ReasoningDetailText:
			if d.Signature == "" {
				continue
			}
			out = append(out, ContentBlock{ReasoningContent: &ReasoningBlock{
				ReasoningText: &ReasoningText{Text: d.Text, Signature: d.Signature},
			}})
		case openai.ReasoningDetailEncrypted:
			data, err := base64.StdEncoding.DecodeString(d.Data)
			if err != nil || len(data) == 0 {
				p := fmt.Sprintf("messages[%d].reasoning_details[%d].data", i, j)
				return nil, openai.Errorf(p, "Invalid '%s': expected the base64 data returned with the message.", p)
			}
			out = append(out, ContentBlock{ReasoningContent: &ReasoningBlock{RedactedContent: data}})
		}
	}
	return out, nil
}
