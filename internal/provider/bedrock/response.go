package bedrock

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/outcrop/outcrop/internal/openai"
)

// ResponseMeta is what an OpenAI response carries that Bedrock does not
// send. The caller supplies it, so that translation reads no clock and
// draws no random numbers.
type ResponseMeta struct {
	// ID is the response's `id`, e.g. "chatcmpl-...".
	ID string
	// Created is the response's `created`, in Unix seconds.
	Created int64
	// Model is the model name as the client sent it, not Bedrock's ID.
	Model string
	// JSONTool, when set, names the synthetic tool of the structured-output
	// fallback (see request_format.go): a call to it is the answer's
	// content, not a tool call, and the answer finishes with "stop".
	JSONTool string
	// ThinkTags puts the reasoning in the content, inside
	// <think>...</think>, instead of in reasoning_content.
	ThinkTags bool
}

// ForRequest returns m with what the answer's translation must know about
// how ToConverse translated req with opts: the structured-output fallback
// tool, and the <think> mode, which an answer in JSON does not get (tags
// in the content would break the JSON).
func (m ResponseMeta) ForRequest(req *openai.ChatCompletionRequest, opts RequestOptions) ResponseMeta {
	m.JSONTool = jsonToolName(req, opts)
	f := req.ResponseFormat
	m.ThinkTags = opts.ThinkTags && (f == nil || f.Type == "text")
	return m
}

// The tags around reasoning in the <think> mode (ResponseMeta.ThinkTags),
// as DeepSeek-R1 and the clients that read it write them.
const (
	thinkOpen  = "<think>"
	thinkClose = "</think>"
	// thinkStart and thinkEnd wrap the reasoning in the content.
	thinkStart = thinkOpen + "\n"
	thinkEnd   = "\n" + thinkClose + "\n\n"
)

// FromConverse translates a Converse answer into an OpenAI chat
// completion with one choice:
//
//   - text blocks, concatenated with no separator, are the content (null
//     when there is none: a tool-call-only answer);
//   - toolUse blocks are tool_calls, with the input as compact JSON
//     arguments;
//   - reasoning text, concatenated, is reasoning_content; signed and
//     redacted reasoning is also returned in reasoning_details, for the
//     client to send back with the message (see reasoningDetails);
//   - other blocks (images, citations, guard content) are left out.
//
// With meta.JSONTool (the structured-output fallback), a call to that tool
// is the answer: its input is the content, any text beside it (a preamble)
// is dropped, and an answer that made no other call finishes with "stop".
// With meta.ThinkTags, the reasoning opens the content inside
// <think>...</think> instead of being reasoning_content.
//
// It fails only on a toolUse input that is not valid JSON, which a
// response decoded from the wire cannot have.
func FromConverse(resp *ConverseResponse, meta ResponseMeta) (*openai.ChatCompletionResponse, error) {
	msg := openai.ResponseMessage{Role: openai.RoleAssistant}
	answered := false
	if m := resp.Output.Message; m != nil {
		var err error
		if answered, err = fillMessage(&msg, m.Content, meta); err != nil {
			return nil, err
		}
	}
	finish := FinishReason(resp.StopReason)
	if answered && finish == openai.FinishToolCalls && len(msg.ToolCalls) == 0 {
		finish = openai.FinishStop
	}
	return &openai.ChatCompletionResponse{
		ID:      meta.ID,
		Object:  openai.ObjectChatCompletion,
		Created: meta.Created,
		Model:   meta.Model,
		Choices: []openai.Choice{{
			Index:        0,
			Message:      msg,
			FinishReason: finish,
		}},
		Usage:        ToUsage(resp.Usage),
		BedrockTrace: traceExtension(resp.Trace),
	}, nil
}

// fillMessage sets the content, reasoning and tool calls of msg from
// Bedrock's content blocks. It reports whether the answer is a call to
// meta.JSONTool.
func fillMessage(msg *openai.ResponseMessage, blocks []ContentBlock, meta ResponseMeta) (bool, error) {
	var text, reasoning strings.Builder
	hasText, hasReasoning := false, false
	var answer *string
	for i := range blocks {
		b := &blocks[i]
		switch {
		case b.Text != nil:
			text.WriteString(*b.Text)
			hasText = true
		case b.ToolUse != nil:
			args, err := compactArguments(b.ToolUse.Input)
			if err != nil {
				return false, fmt.Errorf("bedrock toolUse %s input: %w", b.ToolUse.ToolUseID, err)
			}
			if meta.JSONTool != "" && b.ToolUse.Name == meta.JSONTool && answer == nil {
				answer = &args
				continue
			}
			msg.ToolCalls = append(msg.ToolCalls, openai.ToolCall{
				ID:       b.ToolUse.ToolUseID,
				Type:     "function",
				Function: openai.FunctionCall{Name: b.ToolUse.Name, Arguments: args},
			})
		case b.ReasoningContent != nil:
			if rt := b.ReasoningContent.ReasoningText; rt != nil {
				reasoning.WriteString(rt.Text)
				hasReasoning = true
			}
			msg.ReasoningDetails = appendDetail(msg.ReasoningDetails, b.ReasoningContent)
		}
	}
	switch {
	case answer != nil:
		msg.Content = answer
	case hasText:
		s := text.String()
		msg.Content = &s
	}
	if hasReasoning {
		s := reasoning.String()
		if meta.ThinkTags {
			s = thinkStart + s + thinkEnd
			if msg.Content != nil {
				s += *msg.Content
			}
			msg.Content = &s
		} else {
			msg.ReasoningContent = &s
		}
	}
	return answer != nil, nil
}

// appendDetail appends a reasoning block to reasoning_details if the
// client must send it back: reasoning text with a signature, or redacted
// reasoning. Unsigned reasoning (DeepSeek-R1, gpt-oss) is only
// reasoning_content: no model verifies it, and none needs it back. Index
// is the detail's position, so that clients that merge details by index
// keep them apart.
func appendDetail(details []openai.ReasoningDetail, r *ReasoningBlock) []openai.ReasoningDetail {
	d := openai.ReasoningDetail{}
	switch {
	case r.ReasoningText != nil && r.ReasoningText.Signature != "":
		d.Type, d.Text, d.Signature = openai.ReasoningDetailText, r.ReasoningText.Text, r.ReasoningText.Signature
	case len(r.RedactedContent) > 0:
		d.Type, d.Data = openai.ReasoningDetailEncrypted, base64.StdEncoding.EncodeToString(r.RedactedContent)
	default:
		return details
	}
	i := len(details)
	d.Index = &i
	return append(details, d)
}

// compactArguments renders a tool input as OpenAI's arguments string. A
// missing input is an empty object.
//
// The input comes from encoding/json (a tool call is never on the fast
// decoder's path), so it is valid JSON and only its whitespace outside
// strings is removed, in one pass; json.Compact, which validates again,
// was most of a tool-call answer's translation. Input that was cut (a
// string or a bracket left open, as in a response built by hand) goes
// to json.Compact for its error.
func compactArguments(input json.RawMessage) (string, error) {
	if len(bytes.TrimSpace(input)) == 0 {
		return "{}", nil
	}
	if out, ok := stripSpace(input); ok {
		return out, nil
	}
	var b bytes.Buffer
	b.Grow(len(input))
	if err := json.Compact(&b, input); err != nil {
		return "", err
	}
	return b.String(), nil
}

// stripSpace returns valid JSON without its insignificant whitespace,
// and false when a string or a bracket is left open or one closes what
// was not open.
func stripSpace(in []byte) (string, bool) {
	var out []byte // nil until the first whitespace to drop
	inString, escaped := false, false
	depth := 0
	for i, c := range in {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			if depth--; depth < 0 {
				return "", false
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if out == nil {
				out = make([]byte, i, len(in))
				copy(out, in[:i])
			}
			continue
		}
		if out != nil {
			out = append(out, c)
		}
	}
	if inString || depth != 0 {
		return "", false
	}
	if out == nil {
		return string(in), true
	}
	return string(out), true
}

// FinishReason maps a Bedrock stopReason to an OpenAI finish_reason.
//
//	end_turn, stop_sequence                  stop
//	max_tokens                               length
//	model_context_window_exceeded            length: the answer was cut short by a token limit, as with max_tokens
//	tool_use                                 tool_calls
//	guardrail_intervened, content_filtered   content_filter
//	malformed_model_output, malformed_tool_use, unknown values   stop
//
// OpenAI has no finish reason for a malformed answer; "stop" is the one
// every client handles, and the content shows what arrived.
func FinishReason(stopReason string) string {
	switch stopReason {
	case StopMaxTokens, "model_context_window_exceeded":
		return openai.FinishLength
	case StopToolUse:
		return openai.FinishToolCalls
	case StopGuardrailIntervened, StopContentFiltered:
		return openai.FinishContentFilter
	}
	return openai.FinishStop
}

// ToUsage maps Bedrock's token usage to OpenAI's.
//
// Bedrock's inputTokens counts only the input that was neither read from
// nor written to the prompt cache; cacheReadInputTokens and
// cacheWriteInputTokens are reported beside it, and totalTokens sums all
// four (https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html,
// whose examples show a small inputTokens next to large cache counts; the
// same split as Anthropic's input_tokens and cache_*_input_tokens).
// OpenAI's prompt_tokens includes cached tokens, with the cached part in
// prompt_tokens_details.cached_tokens, so prompt_tokens is the sum of the
// three. Cache writes, which OpenAI does not have, are reported in
// prompt_tokens_details.cache_write_tokens. total_tokens is recomputed as
// prompt + completion so that it always adds up.
func ToUsage(u TokenUsage) *openai.Usage {
	prompt := u.InputTokens + u.CacheReadInputTokens + u.CacheWriteInputTokens
	return &openai.Usage{
		PromptTokens:     prompt,
		CompletionTokens: u.OutputTokens,
		TotalTokens:      prompt + u.OutputTokens,
		PromptTokensDetails: &openai.PromptTokensDetails{
			CachedTokens:     u.CacheReadInputTokens,
			CacheWriteTokens: u.CacheWriteInputTokens,
		},
	}
}
