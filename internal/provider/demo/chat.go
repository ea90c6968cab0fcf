package demo

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
)

// imagePartTokens is what a non-text content part (image, audio, file)
// counts for in prompt tokens: the price of a low-detail image at OpenAI.
const imagePartTokens = 85

// chatPlan is everything the demo will say in answer to a chat request,
// decided before the first byte so that a stream and a plain answer to the
// same request carry the same content.
type chatPlan struct {
	id      string
	created int64
	model   string
	choices []choicePlan
	usage   openai.Usage
}

// choicePlan is one choice: text, or one tool call whose arguments the
// tokens spell.
type choicePlan struct {
	text   string
	call   *openai.ToolCall
	tokens []string
	finish string
}

// ChatCompletion answers a chat request.
func (p *Provider) ChatCompletion(ctx context.Context, req *openai.ChatCompletionRequest) (*openai.ChatCompletionResponse, error) {
	pl, err := p.planChat(ctx, req)
	if err != nil {
		return nil, err
	}
	resp := &openai.ChatCompletionResponse{
		ID:      pl.id,
		Object:  openai.ObjectChatCompletion,
		Created: pl.created,
		Model:   pl.model,
		Choices: make([]openai.Choice, len(pl.choices)),
		Usage:   &pl.usage,
	}
	for i, c := range pl.choices {
		msg := openai.ResponseMessage{Role: openai.RoleAssistant}
		if c.call != nil {
			msg.ToolCalls = []openai.ToolCall{*c.call}
		} else {
			msg.Content = &c.text
		}
		resp.Choices[i] = openai.Choice{Index: i, Message: msg, FinishReason: c.finish}
	}
	return resp, nil
}

// ChatCompletionStream answers a chat request as a stream of chunks, one
// token each, pausing Config.TokenDelay before each token.
func (p *Provider) ChatCompletionStream(ctx context.Context, req *openai.ChatCompletionRequest) (provider.ChatStream, error) {
	pl, err := p.planChat(ctx, req)
	if err != nil {
		return nil, err
	}
	return newStream(ctx, p.delay, chatEvents(pl)), nil
}

func (p *Provider) planChat(ctx context.Context, req *openai.ChatCompletionRequest) (*chatPlan, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkModel(req.Model, ChatModel, "chat completions"); err != nil {
		return nil, err
	}
	if len(req.Messages) == 0 {
		return nil, openai.Errorf("messages", "'messages' must contain at least one message.")
	}
	conv := readConversation(req.Messages)
	fn, err := chooseTool(req, conv)
	if err != nil {
		return nil, err
	}
	// Streaming does not change the answer, only its delivery.
	key := *req
	key.Stream, key.StreamOptions, key.Raw = false, nil, nil
	d := digestOf("chat", &key)
	pl := &chatPlan{id: d.id("chatcmpl-demo-", -1), created: p.clock().Unix(), model: req.Model}
	n := choiceCount(req.N)
	limit := chatLimit(req)
	var stops []string
	if req.Stop != nil {
		stops = req.Stop.Values
	}
	for i := range n {
		var c choicePlan
		if fn != nil {
			c = toolChoicePlan(fn, conv, d, i, limit)
		} else {
			c = textChoicePlan(chatText(conv, d, i, n), stops, limit)
		}
		pl.choices = append(pl.choices, c)
		pl.usage.CompletionTokens += len(c.tokens)
	}
	pl.usage.PromptTokens = chatPromptTokens(req)
	pl.usage.TotalTokens = pl.usage.PromptTokens + pl.usage.CompletionTokens
	pl.usage.PromptTokensDetails = &openai.PromptTokensDetails{}
	pl.usage.CompletionTokensDetails = &openai.CompletionTokensDetails{}
	return pl, nil
}

func choiceCount(n *int) int {
	if n == nil || *n < 1 {
		return 1
	}
	return *n
}

// chatLimit is the token limit of each choice, 0 for none: the smaller of
// max_tokens and max_completion_tokens when both are set.
func chatLimit(req *openai.ChatCompletionRequest) int {
	limit := 0
	for _, v := range []*int{req.MaxTokens, req.MaxCompletionTokens} {
		if v != nil && *v > 0 && (limit == 0 || *v < limit) {
			limit = *v
		}
	}
	return limit
}

// textChoicePlan cuts text before the first stop sequence, then to limit
// tokens.
func textChoicePlan(text string, stops []string, limit int) choicePlan {
	text, _ = cutAtStop(text, stops)
	c := choicePlan{text: text, tokens: tokenize(text), finish: openai.FinishStop}
	if limit > 0 && len(c.tokens) > limit {
		c.tokens = c.tokens[:limit]
		c.text = strings.Join(c.tokens, "")
		c.finish = openai.FinishLength
	}
	return c
}

// toolChoicePlan calls fn with invented arguments. Over the token limit the
// arguments are cut, as a real model's would be, and finish is "length".
func toolChoicePlan(fn *openai.FunctionDef, conv conversation, d digest, i, limit int) choicePlan {
	args := newArgFiller(conv.user).arguments(fn.Parameters)
	c := choicePlan{tokens: tokenize(args), finish: openai.FinishToolCalls}
	if limit > 0 && len(c.tokens) > limit {
		c.tokens = c.tokens[:limit]
		args = strings.Join(c.tokens, "")
		c.finish = openai.FinishLength
	}
	c.call = &openai.ToolCall{
		ID:       d.id("call_", i),
		Type:     "function",
		Function: openai.FunctionCall{Name: fn.Name, Arguments: args},
	}
	return c
}

// cutAtStop returns text up to the earliest occurrence of any stop
// sequence, and whether one was found.
func cutAtStop(text string, stops []string) (string, bool) {
	cut := -1
	for _, s := range stops {
		if i := strings.Index(text, s); s != "" && i >= 0 && (cut < 0 || i < cut) {
			cut = i
		}
	}
	if cut < 0 {
		return text, false
	}
	return text[:cut], true
}

// chatPromptTokens counts a chat prompt: 3 tokens to prime the reply, then
// per message 3 tokens plus its text, name and tool calls (imagePartTokens
// per non-text part), plus each function tool's name, description and
// parameters schema.
func chatPromptTokens(req *openai.ChatCompletionRequest) int {
	n := 3
	for _, m := range req.Messages {
		n += 3 + countTokens(m.Content.String()) + countTokens(m.Name)
		n += imagePartTokens * nonTextParts(m.Content)
		for _, tc := range m.ToolCalls {
			n += countTokens(tc.Function.Name) + countTokens(tc.Function.Arguments)
		}
	}
	for _, t := range req.Tools {
		if f := t.Function; f != nil {
			n += countTokens(f.Name) + countTokens(f.Description) + countTokens(string(f.Parameters))
		}
	}
	return n
}

// chatEvents lays a plan out as stream chunks the way OpenAI sends them: per
// choice a role chunk, one chunk per token, a finish chunk with an empty
// delta; choices interleaved round-robin; then the usage chunk with empty
// choices, which the server drops unless the client asked for usage.
func chatEvents(pl *chatPlan) []event[*openai.ChatCompletionChunk] {
	chunk := func(cc openai.ChunkChoice) *openai.ChatCompletionChunk {
		cc.Logprobs = json.RawMessage("null")
		return &openai.ChatCompletionChunk{
			ID: pl.id, Object: openai.ObjectChatCompletionChunk, Created: pl.created, Model: pl.model,
			Choices: []openai.ChunkChoice{cc},
		}
	}
	lists := make([][]event[*openai.ChatCompletionChunk], len(pl.choices))
	for i, c := range pl.choices {
		for _, ev := range choiceEvents(c) {
			ev.cc.Index = i
			lists[i] = append(lists[i], event[*openai.ChatCompletionChunk]{value: chunk(ev.cc), pause: ev.pause})
		}
	}
	out := interleave(lists)
	usage := pl.usage
	return append(out, event[*openai.ChatCompletionChunk]{value: &openai.ChatCompletionChunk{
		ID: pl.id, Object: openai.ObjectChatCompletionChunk, Created: pl.created, Model: pl.model,
		Choices: []openai.ChunkChoice{}, Usage: &usage,
	}})
}

type choiceEvent struct {
	cc    openai.ChunkChoice
	pause bool
}

// choiceEvents returns the deltas of one choice.
func choiceEvents(c choicePlan) []choiceEvent {
	var out []choiceEvent
	// OpenAI's first delta spells out the nulls:
	// {"role":"assistant","content":"","refusal":null}, and
	// "content":null when a tool call follows (recorded in
	// shared/fixtures/openai-sse/tool-call-nonstrict.*.sse).
	first := openai.Delta{Role: openai.RoleAssistant, NullRefusal: true, NullContent: true}
	if c.call != nil {
		// As OpenAI does, the role and the call's head share a chunk; the
		// arguments follow in fragments.
		zero := 0
		first.ToolCalls = []openai.ToolCall{{
			Index: &zero, ID: c.call.ID, Type: c.call.Type,
			Function: openai.FunctionCall{Name: c.call.Function.Name},
		}}
	} else {
		empty := ""
		first.Content = &empty
	}
	out = append(out, choiceEvent{cc: openai.ChunkChoice{Delta: first}})
	for _, tok := range c.tokens {
		var d openai.Delta
		if c.call != nil {
			zero := 0
			d.ToolCalls = []openai.ToolCall{{Index: &zero, Function: openai.FunctionCall{Arguments: tok}}}
		} else {
			d.Content = &tok
		}
		out = append(out, choiceEvent{cc: openai.ChunkChoice{Delta: d}, pause: true})
	}
	finish := c.finish
	return append(out, choiceEvent{cc: openai.ChunkChoice{FinishReason: &finish}})
}
