package bedrock

import (
	"context"

	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
)

// Interface guard.
var _ provider.Embedder = (*Client)(nil)

// Embeddings serves an embeddings request with InvokeModel, in the native
// format of the model's family (see PlanEmbeddings). The calls (one per
// input for Titan and Nova, one per 96 inputs for Cohere) run
// concurrently, at most maxParallelCalls at a time; the first failure
// fails the request. Usage is the input tokens Bedrock reports.
func (c *Client) Embeddings(ctx context.Context, req *openai.EmbeddingRequest) (*openai.EmbeddingResponse, error) {
	family, err := c.embedFamily(req)
	if err != nil {
		return nil, err
	}
	plan, err := PlanEmbeddings(req, family)
	if err != nil {
		return nil, err
	}
	err = fanOut(ctx, len(plan.Calls), maxParallelCalls, func(ctx context.Context, i int) error {
		resp, err := callWithProfile(ctx, &c.profiles, req.Model, func(ctx context.Context, id string) (*Response, error) {
			return c.Call(ctx, OpInvoke, id, plan.Calls[i].Body)
		})
		if err != nil {
			return err
		}
		provider.RecordRequestID(ctx, resp.RequestID)
		if err := plan.Decode(i, resp.Body, embedHeaderTokens(resp.Header)); err != nil {
			return c.t.wrap(badAnswer(err, resp.RequestID))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return plan.Response(answerModel(req.ClientModel, req.Model)), nil
}

// embedFamily returns the body family of the request's model. A model the
// catalogue knows as something else than an embedding model, and one
// whose family is not known, are the client's 400.
func (c *Client) embedFamily(req *openai.EmbeddingRequest) (EmbedFamily, error) {
	model := answerModel(req.ClientModel, req.Model)
	if info, ok := c.catalogEntry(req.Model); ok && info.Kind != KindEmbedding {
		return "", openai.Errorf("model", "The model `%s` is not an embedding model: /v1/embeddings needs one such as amazon.titan-embed-text-v2:0.", model)
	}
	if f, ok := EmbedFamilyOf(req.Model); ok {
		return f, nil
	}
	if c.cfg.BaseModel != nil {
		if base, ok := c.cfg.BaseModel(req.Model); ok {
			if f, ok := EmbedFamilyOf(base); ok {
				return f, nil
			}
		}
	}
	return "", openai.Errorf("model", "Outcrop does not know the request format of the embedding model `%s`: Titan Text, Cohere Embed and Nova embeddings are supported.", model)
}
