package bedrocktest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
)

// Claude's extended thinking, as Bedrock serves it: with
// additionalModelRequestFields.thinking of type "enabled" or "adaptive",
// the canned answer starts with a signed reasoning block, and the
// conversation must follow Anthropic's rules for thinking, which Bedrock
// reports as a ValidationException "The model returned the following
// errors: ...":
//
//   - when the conversation continues a tool call (the last user turn
//     carries toolResult), the assistant turn that made the call must
//     start with its reasoning block;
//   - reasoning sent back must carry the signature the model gave it.
//
// https://docs.aws.amazon.com/bedrock/latest/userguide/claude-messages-extended-thinking.html

// thinkingDocs ends Anthropic's message on a missing thinking block,
// spelling mistake included, since clients match on it.
const thinkingDocs = "When `thinking` is enabled, a final `assistant` message must start with a thinking block " +
	"(preceeding the lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks " + //nolint:misspell // Anthropic's spelling
	"from previous turns. To avoid this requirement, disable `thinking`. Please consult our documentation at " +
	"https://docs.claude.com/en/docs/build-with-claude/extended-thinking"

// modelErrors is the prefix Bedrock puts before the model's own errors.
const modelErrors = "The model returned the following errors: "

// Sign is the signature the emulator gives a reasoning text, and the only
// one it accepts back for that text.
func Sign(text string) string {
	h := sha256.Sum256([]byte("bedrocktest reasoning\x00" + text))
	return base64.StdEncoding.EncodeToString(h[:])
}

// ReasoningBlock returns a Converse reasoningContent block with text,
// signed.
func ReasoningBlock(text string) map[string]any {
	return map[string]any{"reasoningContent": map[string]any{
		"reasoningText": map[string]string{"text": text, "signature": Sign(text)},
	}}
}

// ReasoningEvents returns the stream events of a signed reasoning block at
// index: its text in pieces, the signature, contentBlockStop.
func ReasoningEvents(index int, text string) []Event {
	var evs []Event
	for _, p := range Pieces(text) {
		evs = append(evs, ReasoningDelta(index, p))
	}
	return append(evs, ReasoningSignature(index, Sign(text)), BlockStop(index))
}

// reasoningFor is the canned reasoning for a request.
func reasoningFor(req *converseRequest) string {
	if last := len(req.Messages) - 1; last >= 0 && hasBlock(req.Messages[last], "toolResult") {
		return "The tool answered; I can reply now."
	}
	return "Thinking about: " + req.lastUserText()
}

// thinkingOn reports whether the request enables Claude's thinking.
func (req *converseRequest) thinkingOn() bool {
	f := req.AdditionalModelRequestFields
	return f != nil && f.Thinking != nil && (f.Thinking.Type == "enabled" || f.Thinking.Type == "adaptive")
}

// checkThinking applies Anthropic's thinking rules to a Claude request
// and records whether thinking is on.
func (req *converseRequest) checkThinking() *Error {
	req.thinking = req.thinkingOn()
	if !req.thinking {
		return nil
	}
	for i, m := range req.Messages {
		if m.Role != "assistant" {
			continue
		}
		for j, b := range m.Content {
			if e := checkSignature(i, j, b); e != nil {
				return e
			}
		}
	}
	last := len(req.Messages) - 1
	if last < 1 || !hasBlock(req.Messages[last], "toolResult") {
		return nil
	}
	call := req.Messages[last-1]
	if call.Role != "assistant" || !hasBlock(call, "toolUse") {
		return nil
	}
	if first := blockType(call.Content[0]); first != "reasoningContent" {
		return validation("%smessages.%d.content.0.type: Expected `thinking` or `redacted_thinking`, but found `%s`. %s",
			modelErrors, last-1, anthropicType(first), thinkingDocs)
	}
	return nil
}

// checkSignature checks the signature of a reasoningText block at
// messages[i].content[j]; redacted reasoning is opaque and accepted.
func checkSignature(i, j int, block map[string]json.RawMessage) *Error {
	raw, ok := block["reasoningContent"]
	if !ok {
		return nil
	}
	var rc struct {
		ReasoningText *struct {
			Text      string `json:"text"`
			Signature string `json:"signature"`
		} `json:"reasoningText"`
	}
	if json.Unmarshal(raw, &rc) != nil || rc.ReasoningText == nil {
		return nil
	}
	if rc.ReasoningText.Signature != Sign(rc.ReasoningText.Text) {
		return validation("%smessages.%d.content.%d: Invalid `signature` in `thinking` block", modelErrors, i, j)
	}
	return nil
}

// hasBlock reports whether m has a content block of type typ.
func hasBlock(m converseMessage, typ string) bool {
	for _, b := range m.Content {
		if _, ok := b[typ]; ok {
			return true
		}
	}
	return false
}

// blockType is a content block's member name (text, toolUse, ...).
func blockType(b map[string]json.RawMessage) string {
	for k := range b {
		return k
	}
	return ""
}

// anthropicType names a Converse block type as Anthropic's messages do.
func anthropicType(converse string) string {
	switch converse {
	case "toolUse":
		return "tool_use"
	case "toolResult":
		return "tool_result"
	case "reasoningContent":
		return "thinking"
	}
	var b strings.Builder
	for _, r := range converse {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
