package bedrock

import (
	"context"
	"crypto/rand"
	"strings"
	"time"

	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
)

// Interface guard.
var _ provider.Completer = (*Client)(nil)

// CompletionDefaultMaxTokens is max_tokens when a legacy completion sets
// none: 16, the default of OpenAI's /v1/completions, which clients of the
// legacy API count on (a chat request gets the catalogue's larger
// default instead).
const CompletionDefaultMaxTokens = 16

// Completion serves a legacy completion with Converse: each prompt is one
// user turn, sent as a chat request through ChatCompletion (so model
// quirks, guardrails and the inference-profile retry apply), and becomes
// the choice of the same index. Several prompts are served concurrently,
// at most maxParallelCalls at a time; the first failure fails the
// request.
func (c *Client) Completion(ctx context.Context, req *openai.CompletionRequest) (*openai.CompletionResponse, error) {
	chats, err := c.completionChats(req)
	if err != nil {
		return nil, err
	}
	answers := make([]*openai.ChatCompletionResponse, len(chats))
	err = fanOut(ctx, len(chats), maxParallelCalls, func(ctx context.Context, i int) error {
		resp, err := c.ChatCompletion(ctx, chats[i])
		answers[i] = resp
		return err
	})
	if err != nil {
		return nil, err
	}
	return FromChatCompletions(req, answers, c.completionMeta(req)), nil
}

// completionChats checks that the model chats and translates req.
func (c *Client) completionChats(req *openai.CompletionRequest) ([]*openai.ChatCompletionRequest, error) {
	if info, ok := c.catalogEntry(req.Model); ok && info.Kind == KindEmbedding {
		return nil, openai.Errorf("model", "The model `%s` is an embedding model: use /v1/embeddings, or a chat model for /v1/completions.", answerModel(req.ClientModel, req.Model))
	}
	return ToChatCompletions(req)
}

// catalogEntry looks a model up in the catalogue, through Config.BaseModel
// for an ID the catalogue cannot resolve (an application inference
// profile).
func (c *Client) catalogEntry(id string) (ModelInfo, bool) {
	if info, ok := c.cfg.Catalog.Lookup(id); ok {
		return info, true
	}
	if c.cfg.BaseModel != nil {
		if base, ok := c.cfg.BaseModel(id); ok {
			return c.cfg.Catalog.Lookup(base)
		}
	}
	return ModelInfo{}, false
}

// completionMeta is what a completion answer carries that Bedrock does not
// send.
func (c *Client) completionMeta(req *openai.CompletionRequest) ResponseMeta {
	return ResponseMeta{ID: "cmpl-" + rand.Text(), Created: time.Now().Unix(), Model: answerModel(req.ClientModel, req.Model)}
}

// answerModel is the model name an answer carries: the one the client
// used, else the Bedrock ID.
func answerModel(client, id string) string {
	if client != "" {
		return client
	}
	return id
}

// ToChatCompletions translates a legacy completion request into one chat
// request per prompt. It is pure. Every error is a 400 *openai.Error
// naming the parameter.
//
// How each legacy parameter is treated:
//
//	parameter          Bedrock                          why
//	prompt             one user turn per prompt         token prompts: 400 (Bedrock takes text); an empty
//	                                                    prompt: 400 (Converse refuses blank text)
//	max_tokens         maxTokens, default 16            OpenAI's legacy default; 0: 400 (Converse
//	                                                    generates at least one token)
//	echo               prompt prepended to the text     as OpenAI does; streamed as a first chunk
//	suffix             400 unless empty                 chat models do not insert text; ignoring it
//	                                                    would change the answer
//	logprobs           400                              Converse reports no token probabilities
//	best_of > 1        400                              one candidate per call; best_of 1 is accepted
//	n > 1              400 (see ToConverse)             one choice per prompt
//	the rest           as ToConverse treats them        temperature, top_p, stop, seed, user,
//	                                                    penalties, stream_options
func ToChatCompletions(req *openai.CompletionRequest) ([]*openai.ChatCompletionRequest, error) {
	if err := checkLegacyUnsupported(req); err != nil {
		return nil, err
	}
	maxTokens := CompletionDefaultMaxTokens
	if req.MaxTokens != nil {
		maxTokens = *req.MaxTokens
	}
	out := make([]*openai.ChatCompletionRequest, len(req.Prompt.Strings))
	for i, prompt := range req.Prompt.Strings {
		out[i] = &openai.ChatCompletionRequest{
			Model:            req.Model,
			ClientModel:      req.ClientModel,
			Messages:         []openai.Message{{Role: openai.RoleUser, Content: openai.TextContent(prompt)}},
			Stream:           req.Stream,
			StreamOptions:    req.StreamOptions,
			MaxTokens:        &maxTokens,
			Temperature:      req.Temperature,
			TopP:             req.TopP,
			N:                req.N,
			Stop:             req.Stop,
			PresencePenalty:  req.PresencePenalty,
			FrequencyPenalty: req.FrequencyPenalty,
			Seed:             req.Seed,
			User:             req.User,
			Operator:         req.Operator,
		}
	}
	return out, nil
}

// checkLegacyUnsupported rejects what Bedrock cannot honour in a legacy
// completion.
func checkLegacyUnsupported(req *openai.CompletionRequest) error {
	p := req.Prompt
	switch {
	case p.Tokens != nil:
		return openai.Errorf("prompt", "Invalid 'prompt': Bedrock models take text, not token arrays.")
	case len(p.Strings) == 0:
		return openai.Errorf("prompt", "Invalid 'prompt': expected at least one prompt.")
	case req.MaxTokens != nil && *req.MaxTokens == 0:
		return openai.Errorf("max_tokens", "Invalid 'max_tokens': Bedrock models generate at least one token, so it must be at least 1.")
	case req.Suffix != nil && *req.Suffix != "":
		return openai.Errorf("suffix", "Invalid 'suffix': Bedrock chat models do not insert text before a suffix.")
	case req.Logprobs != nil:
		return openai.Errorf("logprobs", "Invalid 'logprobs': Bedrock models do not return log probabilities.")
	case req.BestOf != nil && *req.BestOf > 1:
		return openai.Errorf("best_of", "Invalid 'best_of': Bedrock models return one candidate per request, so 'best_of' must be 1, got %d.", *req.BestOf)
	}
	for i, s := range p.Strings {
		if strings.TrimSpace(s) == "" {
			return openai.Errorf("prompt", "Invalid 'prompt[%d]': Bedrock models need a prompt that is not blank.", i)
		}
	}
	return nil
}

// FromChatCompletions builds the legacy answer from the chat answers, one
// per prompt in order: choice i is answer i's text (after the prompt when
// echo is set), and usage is their sum. It is pure.
func FromChatCompletions(req *openai.CompletionRequest, answers []*openai.ChatCompletionResponse, meta ResponseMeta) *openai.CompletionResponse {
	out := &openai.CompletionResponse{
		ID: meta.ID, Object: openai.ObjectTextCompletion, Created: meta.Created, Model: meta.Model,
		Choices: make([]openai.CompletionChoice, len(answers)),
	}
	for i, a := range answers {
		var text, finish string
		if len(a.Choices) > 0 {
			ch := a.Choices[0]
			finish = legacyFinish(ch.FinishReason)
			if ch.Message.Content != nil {
				text = *ch.Message.Content
			}
		}
		if echoes(req) {
			text = req.Prompt.Strings[i] + text
		}
		out.Choices[i] = openai.CompletionChoice{Text: text, Index: i, FinishReason: &finish}
		out.Usage = sumUsage(out.Usage, a.Usage)
	}
	return out
}

func echoes(req *openai.CompletionRequest) bool { return req.Echo != nil && *req.Echo }

// legacyFinish maps a chat finish reason to the legacy API's, which has no
// tool calls (a completion request has no tools, so it cannot happen).
func legacyFinish(reason string) string {
	if reason == openai.FinishToolCalls || reason == "" {
		return openai.FinishStop
	}
	return reason
}

// sumUsage returns sum plus u, allocating sum when nil; a nil u adds
// nothing.
func sumUsage(sum, u *openai.Usage) *openai.Usage {
	if u == nil {
		return sum
	}
	if sum == nil {
		sum = &openai.Usage{}
	}
	sum.PromptTokens += u.PromptTokens
	sum.CompletionTokens += u.CompletionTokens
	sum.TotalTokens += u.TotalTokens
	if d := u.PromptTokensDetails; d != nil {
		if sum.PromptTokensDetails == nil {
			sum.PromptTokensDetails = &openai.PromptTokensDetails{}
		}
		sum.PromptTokensDetails.CachedTokens += d.CachedTokens
		sum.PromptTokensDetails.CacheWriteTokens += d.CacheWriteTokens
	}
	if d := u.CompletionTokensDetails; d != nil {
		if sum.CompletionTokensDetails == nil {
			sum.CompletionTokensDetails = &openai.CompletionTokensDetails{}
		}
		sum.CompletionTokensDetails.ReasoningTokens += d.ReasoningTokens
	}
	return sum
}
