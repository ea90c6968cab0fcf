package bedrock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/outcrop/outcrop/internal/openai"
)

// toolResultSuccess is the status of every tool result: OpenAI tool
// messages have no error flag. Bedrock documents the member for Claude and
// Nova only, but Meta, Mistral and Cohere models accept it too
// (langchain-ai/langchain-aws#146 tested them).
const toolResultSuccess = "success"

// conversation is OpenAI's message list as Bedrock wants it.
type conversation struct {
	messages []Message
	system   []SystemBlock
	// hasToolBlocks is true when a turn holds toolUse or toolResult
	// blocks, for which Bedrock requires a toolConfig.
	hasToolBlocks bool
	// firstTurn is the index in the OpenAI messages of the message that
	// opened the first Bedrock turn.
	firstTurn int
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
//   - non-text content parts are a 400 naming the part, never dropped.
//   - an assistant's reasoning_content is not sent back: Bedrock needs the
//     signature that came with it, which OpenAI messages do not carry.
func convertMessages(msgs []openai.Message) (conversation, error) {
	c := conversation{firstTurn: -1}
	for i := range msgs {
		m := &msgs[i]
		var err error
		switch m.Role {
		case openai.RoleSystem, openai.RoleDeveloper:
			err = c.addSystem(m, i)
		case openai.RoleUser:
			err = eachText(&m.Content, i, m.Role, func(s *string) {
				c.push(RoleUser, i, ContentBlock{Text: s})
			})
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

// addAssistant maps an assistant message: its text, or its refusal when it
// has no text (the refusal is what the assistant said), then its tool
// calls as toolUse blocks.
func (c *conversation) addAssistant(m *openai.Message, i int) error {
	texts := 0
	err := eachText(&m.Content, i, m.Role, func(s *string) {
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
		tu, err := toolUseBlock(&m.ToolCalls[j], i, j)
		if err != nil {
			return err
		}
		c.push(RoleAssistant, i, ContentBlock{ToolUse: tu})
		c.hasToolBlocks = true
	}
	return nil
}

// addToolResult maps a tool message to a toolResult block in a user turn.
// An empty result is sent with empty content: Bedrock requires the member
// but rejects empty text.
func (c *conversation) addToolResult(m *openai.Message, i int) error {
	content := []ToolResultContent{}
	err := eachText(&m.Content, i, m.Role, func(s *string) {
		content = append(content, ToolResultContent{Text: s})
	})
	if err != nil {
		return err
	}
	c.push(RoleUser, i, ContentBlock{ToolResult: &ToolResultBlock{
		ToolUseID: m.ToolCallID,
		Content:   content,
		Status:    toolResultSuccess,
	}})
	c.hasToolBlocks = true
	return nil
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

// partError rejects content part j of message i. Images, audio and files
// in user messages are planned (issue 4); elsewhere only text is valid.
func partError(i, j int, role, typ string) error {
	param := fmt.Sprintf("messages[%d].content[%d]", i, j)
	if role == openai.RoleUser {
		switch typ {
		case "image_url":
			return openai.Errorf(param, "Image input (image_url content parts) is not supported yet for Bedrock models.")
		case "input_audio":
			return openai.Errorf(param, "Audio input (input_audio content parts) is not supported for Bedrock models.")
		case "file":
			return openai.Errorf(param, "File input (file content parts) is not supported yet for Bedrock models.")
		}
	}
	return openai.Errorf(param, "Invalid content part type '%s' in a '%s' message: only text is supported here.", typ, role)
}

// toolUseBlock maps tool call j of assistant message i.
func toolUseBlock(tc *openai.ToolCall, i, j int) (*ToolUseBlock, error) {
	p := fmt.Sprintf("messages[%d].tool_calls[%d]", i, j)
	if tc.Type != "" && tc.Type != "function" {
		return nil, openai.Errorf(p+".type", "Invalid value: '%s'. Supported values are: 'function'.", tc.Type)
	}
	if tc.Function.Name == "" {
		return nil, openai.Errorf(p+".function.name", "Missing required parameter: '%s.function.name'.", p)
	}
	input, err := toolInput(tc.Function.Arguments)
	if err != nil {
		return nil, openai.Errorf(p+".function.arguments", "Invalid '%s.function.arguments': Bedrock needs the arguments as a JSON object (%v).", p, err)
	}
	return &ToolUseBlock{ToolUseID: tc.ID, Name: tc.Function.Name, Input: input}, nil
}

// toolInput parses a tool call's arguments, which OpenAI sends as a JSON
// string, into the JSON object Bedrock takes. Empty arguments are an empty
// object: some clients send "" for a call without parameters.
func toolInput(args string) (json.RawMessage, error) {
	args = strings.TrimSpace(args)
	if args == "" {
		return json.RawMessage("{}"), nil
	}
	if args[0] != '{' {
		return nil, errors.New("not an object")
	}
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(args)); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
