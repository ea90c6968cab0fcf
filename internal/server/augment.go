package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/outcrop/outcrop/internal/jsonx"
	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
	"github.com/outcrop/outcrop/internal/retrieval"
)

// Augmentation is a retrieval model of the OpenAI chat route: a request
// for its name retrieves from Store with the last user message, puts the
// passages into the conversation, and is answered by the model the name
// routes to. The passages come back in the answer's "sources".
type Augmentation struct {
	Store    *Store
	TopK     int
	MinScore float64
	Insert   retrieval.Insert
}

// augmentChat puts a retrieval model's context into req. It returns the
// request to send and the sources to attach (nil when req's model is not
// a retrieval model).
func (s *Server) augmentChat(ctx context.Context, req *openai.ChatCompletionRequest) (*openai.ChatCompletionRequest, json.RawMessage, error) {
	a := s.augment[req.Model]
	if a == nil {
		return req, nil, nil
	}
	raw := req.Raw
	if raw == nil {
		var err error
		if raw, err = json.Marshal(req); err != nil {
			return nil, nil, err
		}
	}
	m, ok, err := jsonx.Find(raw, "messages")
	if err != nil || !ok {
		return nil, nil, paramError("messages", "missing_required_parameter", "Missing required parameter: 'messages'.")
	}
	messages := m.Value(raw)
	question, err := retrieval.Question(messages)
	if err != nil {
		return nil, nil, paramError("messages", "invalid_value", "The model `%s` answers from retrieved context, so the conversation needs a user message with text to search with.", req.Model)
	}
	k := a.TopK
	if k == 0 {
		k = a.Store.TopK
	}
	minScore := a.MinScore
	if minScore == 0 {
		minScore = a.Store.MinScore
	}
	hits, err := retrieve(ctx, a.Store, retrieval.Query{Text: question, TopK: k, MinScore: minScore})
	if err != nil {
		return nil, nil, err
	}
	if hits == nil {
		hits = []retrieval.Hit{}
	}
	sources, err := json.Marshal(hits)
	if err != nil {
		return nil, nil, err
	}
	if len(hits) == 0 {
		return req, sources, nil
	}
	augmented, err := retrieval.Augment(messages, retrieval.FormatContext(hits), a.Insert)
	if errors.Is(err, retrieval.ErrNoQuestion) {
		return nil, nil, paramError("messages", "invalid_value", "The model `%s` answers from retrieved context, so the conversation needs a user message.", req.Model)
	}
	if err != nil {
		return nil, nil, err
	}
	body, err := jsonx.Set(raw, "messages", augmented)
	if err != nil {
		return nil, nil, err
	}
	out, err := openai.DecodeChatCompletionRequest(body)
	if err != nil {
		return nil, nil, err
	}
	out.Operator = req.Operator
	return out, sources, nil
}

// withSources attaches a retrieval model's sources to an answer.
func withSources(resp *openai.ChatCompletionResponse, sources json.RawMessage) (*openai.ChatCompletionResponse, error) {
	if sources == nil {
		return resp, nil
	}
	if resp.Raw == nil {
		resp.Sources = sources
		return resp, nil
	}
	raw, err := jsonx.Set(resp.Raw, "sources", sources)
	if err != nil {
		return nil, badUpstream("The upstream's answer is not a JSON object.")
	}
	resp.Raw = raw
	return resp, nil
}

// sourcesStream attaches sources to the first chunk with a finish reason.
type sourcesStream struct {
	provider.ChatStream
	sources json.RawMessage
	done    bool
}

func (s *sourcesStream) Recv() (*openai.ChatCompletionChunk, error) {
	c, err := s.ChatStream.Recv()
	if err != nil || s.done || !finishes(c) {
		return c, err
	}
	s.done = true
	if c.Raw == nil {
		c.Sources = s.sources
		return c, nil
	}
	raw, err := jsonx.Set(c.Raw, "sources", s.sources)
	if err != nil {
		return nil, &provider.UpstreamError{Status: http.StatusBadGateway, Err: &openai.Error{
			Status: http.StatusBadGateway, Type: openai.TypeUpstream, Message: "The upstream sent a chunk that is not a JSON object.",
		}}
	}
	c.Raw = raw
	return c, nil
}

// finishes reports whether a chunk carries a finish reason.
func finishes(c *openai.ChatCompletionChunk) bool {
	if c.Raw == nil {
		for _, ch := range c.Choices {
			if ch.FinishReason != nil && *ch.FinishReason != "" {
				return true
			}
		}
		return false
	}
	var doc struct {
		Choices []struct {
			FinishReason *string `json:"finish_reason"`
		} `json:"choices"`
	}
	if json.Unmarshal(c.Raw, &doc) != nil {
		return false
	}
	for _, ch := range doc.Choices {
		if ch.FinishReason != nil && *ch.FinishReason != "" {
			return true
		}
	}
	return false
}
