package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"

	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
)

// defaultCompletionTokens is the legacy endpoint's max_tokens when the
// client sets none, as at OpenAI.
const defaultCompletionTokens = 16

// completionPlan is the answer to a legacy completion request.
type completionPlan struct {
	id      string
	created int64
	model   string
	choices []completionChoicePlan
	usage   openai.Usage
}

type completionChoicePlan struct {
	echo   string // the prompt, when echo is set
	tokens []string
	finish string
}

// legacyPrompt is one prompt of a legacy request: text, or a token array
// of which the demo only knows the length.
type legacyPrompt struct {
	text     string
	tokens   int
	tokenIDs bool // the prompt was a token array
}

// Completion answers a legacy completion request.
func (p *Provider) Completion(ctx context.Context, req *openai.CompletionRequest) (*openai.CompletionResponse, error) {
	pl, err := p.planCompletion(ctx, req)
	if err != nil {
		return nil, err
	}
	resp := &openai.CompletionResponse{
		ID: pl.id, Object: openai.ObjectTextCompletion, Created: pl.created, Model: pl.model,
		Choices: make([]openai.CompletionChoice, len(pl.choices)),
		Usage:   &pl.usage,
	}
	for i, c := range pl.choices {
		finish := c.finish
		resp.Choices[i] = openai.CompletionChoice{
			Text: c.echo + strings.Join(c.tokens, ""), Index: i, FinishReason: &finish,
		}
	}
	return resp, nil
}

// CompletionStream answers a legacy completion request as a stream: the
// echoed prompt first when asked, then one chunk per token, the last one
// carrying finish_reason (legacy streams have no empty finish chunk), then
// the usage chunk.
func (p *Provider) CompletionStream(ctx context.Context, req *openai.CompletionRequest) (provider.CompletionStream, error) {
	pl, err := p.planCompletion(ctx, req)
	if err != nil {
		return nil, err
	}
	return newStream(ctx, p.delay, completionEvents(pl)), nil
}

func (p *Provider) planCompletion(ctx context.Context, req *openai.CompletionRequest) (*completionPlan, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkModel(req.Model, ChatModel, "legacy completions"); err != nil {
		return nil, err
	}
	prompts, err := legacyPrompts(req.Prompt)
	if err != nil {
		return nil, err
	}
	key := *req
	key.Stream, key.StreamOptions, key.Raw = false, nil, nil
	d := digestOf("completion", &key)
	pl := &completionPlan{id: d.id("cmpl-demo-", -1), created: p.clock().Unix(), model: req.Model}
	limit := defaultCompletionTokens
	if req.MaxTokens != nil && *req.MaxTokens > 0 {
		limit = *req.MaxTokens
	}
	var stops []string
	if req.Stop != nil {
		stops = req.Stop.Values
	}
	n := choiceCount(req.N)
	for _, pr := range prompts {
		pl.usage.PromptTokens += pr.tokens
		for range n {
			c := completionChoice(pr, d, len(pl.choices), stops, limit)
			if req.Echo != nil && *req.Echo {
				c.echo = pr.text
			}
			pl.choices = append(pl.choices, c)
			pl.usage.CompletionTokens += len(c.tokens)
		}
	}
	pl.usage.TotalTokens = pl.usage.PromptTokens + pl.usage.CompletionTokens
	return pl, nil
}

// completionChoice is choice index of the response, continuing prompt pr.
func completionChoice(pr legacyPrompt, d digest, index int, stops []string, limit int) completionChoicePlan {
	text, _ := cutAtStop(completionText(pr, d, index), stops)
	c := completionChoicePlan{tokens: tokenize(text), finish: openai.FinishStop}
	if len(c.tokens) > limit {
		c.tokens, c.finish = c.tokens[:limit], openai.FinishLength
	}
	return c
}

// legacyPrompts lists a request's prompts. Choices are numbered prompt by
// prompt, n per prompt, as OpenAI numbers them.
func legacyPrompts(p openai.Prompt) ([]legacyPrompt, error) {
	if p.Tokens == nil {
		out := make([]legacyPrompt, len(p.Strings))
		for i, s := range p.Strings {
			out[i] = legacyPrompt{text: s, tokens: countTokens(s)}
		}
		return out, nil
	}
	arrays, err := tokenArrays(p.Tokens, "prompt")
	if err != nil {
		return nil, err
	}
	out := make([]legacyPrompt, len(arrays))
	for i, a := range arrays {
		out[i] = legacyPrompt{tokens: len(a), tokenIDs: true}
	}
	return out, nil
}

// tokenArrays reads a token-array input: one array of integers or an array
// of them.
func tokenArrays(raw json.RawMessage, param string) ([][]int64, error) {
	t := bytes.TrimSpace(raw)
	if len(t) > 1 && bytes.HasPrefix(bytes.TrimSpace(t[1:]), []byte("[")) {
		var nested [][]int64
		if err := json.Unmarshal(t, &nested); err != nil {
			return nil, openai.Errorf(param, "Invalid '%s': expected an array of token arrays.", param)
		}
		return nested, nil
	}
	var one []int64
	if err := json.Unmarshal(t, &one); err != nil {
		return nil, openai.Errorf(param, "Invalid '%s': expected an array of tokens.", param)
	}
	return [][]int64{one}, nil
}

// completionEvents lays a legacy plan out as stream chunks, choices
// interleaved round-robin, then the usage chunk.
func completionEvents(pl *completionPlan) []event[*openai.CompletionResponse] {
	chunk := func(c openai.CompletionChoice) *openai.CompletionResponse {
		return &openai.CompletionResponse{
			ID: pl.id, Object: openai.ObjectTextCompletion, Created: pl.created, Model: pl.model,
			Choices: []openai.CompletionChoice{c},
		}
	}
	lists := make([][]event[*openai.CompletionResponse], len(pl.choices))
	for i, c := range pl.choices {
		if c.echo != "" {
			lists[i] = append(lists[i], event[*openai.CompletionResponse]{value: chunk(openai.CompletionChoice{Text: c.echo, Index: i})})
		}
		toks := c.tokens
		if len(toks) == 0 {
			toks = []string{""} // the finish reason still needs a chunk
		}
		for k, tok := range toks {
			cc := openai.CompletionChoice{Text: tok, Index: i}
			if k == len(toks)-1 {
				finish := c.finish
				cc.FinishReason = &finish
			}
			lists[i] = append(lists[i], event[*openai.CompletionResponse]{value: chunk(cc), pause: true})
		}
	}
	usage := pl.usage
	return append(interleave(lists), event[*openai.CompletionResponse]{value: &openai.CompletionResponse{
		ID: pl.id, Object: openai.ObjectTextCompletion, Created: pl.created, Model: pl.model,
		Choices: []openai.CompletionChoice{}, Usage: &usage,
	}})
}
