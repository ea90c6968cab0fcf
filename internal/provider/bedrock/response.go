package bedrock

import (
	"bytes"
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
}

// FromConverse translates a Converse answer into an OpenAI chat
// completion with one choice:
//
//   - text blocks, concatenated with no separator, are the content (null
//     when there is none: a tool-call-only answer);
//   - toolUse blocks are tool_calls, with the input as compact JSON
//     arguments;
//   - reasoning text, concatenated, is reasoning_content; redacted
//     reasoning has no OpenAI form and is left out;
//   - other blocks (images, citations, guard content) are left out.
//
// It fails only on a toolUse input that is not valid JSON, which a
// response decoded from the wire cannot have.
func FromConverse(resp *ConverseResponse, meta ResponseMeta) (*openai.ChatCompletionResponse, error) {
	msg := openai.ResponseMessage{Role: openai.RoleAssistant}
	if m := resp.Output.Message; m != nil {
		if err := fillMessage(&msg, m.Content); err != nil {
			return nil, err
		}
	}
	return &openai.ChatCompletionResponse{
		ID:      meta.ID,
		Object:  openai.ObjectChatCompletion,
		Created: meta.Created,
		Model:   meta.Model,
		Choices: []openai.Choice{{
			Index:        0,
			Message:      msg,
			FinishReason: FinishReason(resp.StopReason),
		}},
		Usage: ToUsage(resp.Usage),
	}, nil
}

// fillMessage sets the content, reasoning and tool calls of msg from
// Bedrock's content blocks.
func fillMessage(msg *openai.ResponseMessage, blocks []ContentBlock) error {
	var text, reasoning strings.Builder
	hasText, hasReasoning := false, false
	for i := range blocks {
		b := &blocks[i]
		switch {
		case b.Text != nil:
			text.WriteString(*b.Text)
			hasText = true
		case b.ToolUse != nil:
			args, err := compactArguments(b.ToolUse.Input)
			if err != nil {
				return fmt.Errorf("bedrock toolUse %s input: %w", b.ToolUse.ToolUseID, err)
			}
			msg.ToolCalls = append(msg.ToolCalls, openai.ToolCall{
				ID:       b.ToolUse.ToolUseID,
				Type:     "function",
				Function: openai.FunctionCall{Name: b.ToolUse.Name, Arguments: args},
			})
		case b.ReasoningContent != nil && b.ReasoningContent.ReasoningText != nil:
			reasoning.WriteString(b.ReasoningContent.ReasoningText.Text)
			hasReasoning = true
		}
	}
	if hasText {
		s := text.String()
		msg.Content = &s
	}
	if hasReasoning {
		s := reasoning.String()
		msg.ReasoningContent = &s
	}
	return nil
}

// compactArguments renders a tool input as OpenAI's arguments string. A
// missing input is an empty object.
func compactArguments(input json.RawMessage) (string, error) {
	if len(bytes.TrimSpace(input)) == 0 {
		return "{}", nil
	}
	var b bytes.Buffer
	b.Grow(len(input))
	if err := json.Compact(&b, input); err != nil {
		return "", err
	}
	return b.String(), nil
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
