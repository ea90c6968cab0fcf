package openaitest

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/outcrop/outcrop/internal/openai"
)

// completionRequest is what the emulator reads of a legacy completion.
type completionRequest struct {
	Model         string          `json:"model"`
	Prompt        json.RawMessage `json:"prompt"`
	Stream        bool            `json:"stream"`
	StreamOptions *streamOptions  `json:"stream_options"`
	N             *int            `json:"n"`
	MaxTokens     *int            `json:"max_tokens"`
}

// legacyMaxTokens is the legacy endpoint's default max_tokens.
const legacyMaxTokens = 16

// Wire shapes of canned legacy completions, field order as OpenAI writes
// them (chunks put `model` after `choices`).
type (
	textCompletion struct {
		ID      string       `json:"id"`
		Object  string       `json:"object"`
		Created int64        `json:"created"`
		Model   string       `json:"model"`
		Choices []textChoice `json:"choices"`
		Usage   usage        `json:"usage"`
	}
	textChoice struct {
		Text         string          `json:"text"`
		Index        int             `json:"index"`
		Logprobs     json.RawMessage `json:"logprobs"`
		FinishReason *string         `json:"finish_reason"`
	}
	textChunk struct {
		ID      string          `json:"id"`
		Object  string          `json:"object"`
		Created int64           `json:"created"`
		Choices []textChoice    `json:"choices"`
		Model   string          `json:"model"`
		Usage   json.RawMessage `json:"usage,omitempty"`
	}
	textUsageChunk struct {
		ID      string       `json:"id"`
		Object  string       `json:"object"`
		Created int64        `json:"created"`
		Model   string       `json:"model"`
		Usage   usage        `json:"usage"`
		Choices []textChoice `json:"choices"`
	}
)

func (s *Server) completion(rt route, body []byte) Reply {
	var req completionRequest
	if rep, bad := s.decode(rt, body, &req); bad {
		return rep
	}
	if rep, bad := s.checkModel(rt, req.Model); bad {
		return rep
	}
	prompt, ok := promptText(req.Prompt)
	if !ok {
		return ErrorReply(openai.Errorf("prompt", "Invalid 'prompt': expected a string, an array of strings, or an array of tokens."))
	}
	limit := req.MaxTokens
	if limit == nil {
		l := legacyMaxTokens
		limit = &l
	}
	a := s.plan(rt, req.Model, "cmpl-emu", req.N, limit)
	a.prompt = max(len(strings.Fields(prompt)), 1)
	a.usage = req.StreamOptions != nil && req.StreamOptions.IncludeUsage
	if req.Stream {
		return completionStream(a)
	}
	return jsonReply(completionResponse(a))
}

// promptText returns the words of a prompt: a string, strings, or tokens
// (counted one word each).
func promptText(raw json.RawMessage) (string, bool) {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one, true
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		return strings.Join(many, " "), true
	}
	var tokens []int
	if json.Unmarshal(raw, &tokens) == nil {
		return strings.Repeat("t ", len(tokens)), true
	}
	var batches [][]int
	if json.Unmarshal(raw, &batches) == nil {
		n := 0
		for _, b := range batches {
			n += len(b)
		}
		return strings.Repeat("t ", n), true
	}
	return "", false
}

func (a *answer) textUsage() usage {
	c := a.completionTokens() * a.n
	return usage{PromptTokens: a.prompt, CompletionTokens: c, TotalTokens: a.prompt + c}
}

func completionResponse(a *answer) textCompletion {
	resp := textCompletion{ID: a.id, Object: openai.ObjectTextCompletion, Created: a.created, Model: a.model, Usage: a.textUsage()}
	for i := 0; i < a.n; i++ {
		resp.Choices = append(resp.Choices, textChoice{Text: strings.Join(a.pieces, ""), Index: i, Logprobs: json.RawMessage(null), FinishReason: &a.finish})
	}
	return resp
}

// completionStream shapes a streamed legacy completion: text chunks, a
// finish chunk, and the usage chunk when asked.
func completionStream(a *answer) Reply {
	var events []string
	emit := func(i int, text string, finish *string) {
		c := textChunk{
			ID: a.id, Object: openai.ObjectTextCompletion, Created: a.created, Model: a.model,
			Choices: []textChoice{{Text: text, Index: i, Logprobs: json.RawMessage(null), FinishReason: finish}},
		}
		if a.usage {
			c.Usage = json.RawMessage(null)
		}
		events = append(events, mustJSON(c))
	}
	for _, p := range a.pieces {
		for i := 0; i < a.n; i++ {
			emit(i, p, nil)
		}
	}
	for i := 0; i < a.n; i++ {
		emit(i, "", &a.finish)
	}
	if a.usage {
		events = append(events, mustJSON(textUsageChunk{
			ID: a.id, Object: openai.ObjectTextCompletion, Created: a.created,
			Model: a.model, Usage: a.textUsage(), Choices: []textChoice{},
		}))
	}
	return StreamReply(events...)
}

// models answers GET /models and GET /models/{model}.
func (s *Server) models(rt route) Reply {
	if rt.model != "" {
		if s.opts.strict && !contains(s.opts.models, rt.model) {
			return ErrorReply(openai.ModelNotFound(rt.model))
		}
		return jsonReply(model(rt.model))
	}
	list := openai.ModelList{Object: openai.ObjectList, Data: []openai.Model{}}
	for _, id := range s.opts.models {
		list.Data = append(list.Data, model(id))
	}
	return jsonReply(list)
}

func model(id string) openai.Model {
	return openai.Model{ID: id, Object: openai.ObjectModel, Created: Created, OwnedBy: "openai"}
}

// badRequest is a 400 in the surface's error shape.
func badRequest(rt route, param, message string) Reply {
	if rt.surface != surfaceOpenAI {
		return AzureErrorReply(http.StatusBadRequest, "BadRequest", message)
	}
	e := &openai.Error{Status: http.StatusBadRequest, Type: openai.TypeInvalidRequest, Param: param, Message: message}
	return ErrorReply(e)
}
