package openaicompat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
)

// ChatCompletion relays a non-streaming chat completion. The response's Raw
// is the upstream's body byte for byte; only its Usage is decoded.
func (c *Client) ChatCompletion(ctx context.Context, req *openai.ChatCompletionRequest) (*openai.ChatCompletionResponse, error) {
	body, err := c.body(req.Raw, req, req.Model, false)
	if err != nil {
		return nil, err
	}
	raw, usage, err := c.post(ctx, endpointChat, req.Model, body)
	if err != nil {
		return nil, err
	}
	return &openai.ChatCompletionResponse{Raw: raw, Usage: usage}, nil
}

// ChatCompletionStream relays a streaming chat completion. The upstream is
// always asked for usage; when the client did not ask for it, each chunk's
// `"usage":null` is removed so the client sees what OpenAI would have sent,
// and the trailing usage chunk is still returned (see
// openai.ChatCompletionChunk.UsageOnly) for the server to account and drop.
func (c *Client) ChatCompletionStream(ctx context.Context, req *openai.ChatCompletionRequest) (provider.ChatStream, error) {
	body, err := c.body(req.Raw, req, req.Model, true)
	if err != nil {
		return nil, err
	}
	es, err := c.openStream(ctx, endpointChat, req.Model, body, req.IncludeUsage())
	if err != nil {
		return nil, err
	}
	return &chatStream{es}, nil
}

// Completion relays a non-streaming legacy completion.
func (c *Client) Completion(ctx context.Context, req *openai.CompletionRequest) (*openai.CompletionResponse, error) {
	body, err := c.body(req.Raw, req, req.Model, false)
	if err != nil {
		return nil, err
	}
	raw, usage, err := c.post(ctx, endpointCompletion, req.Model, body)
	if err != nil {
		return nil, err
	}
	return &openai.CompletionResponse{Raw: raw, Usage: usage}, nil
}

// CompletionStream relays a streaming legacy completion, with usage as in
// ChatCompletionStream.
func (c *Client) CompletionStream(ctx context.Context, req *openai.CompletionRequest) (provider.CompletionStream, error) {
	body, err := c.body(req.Raw, req, req.Model, true)
	if err != nil {
		return nil, err
	}
	es, err := c.openStream(ctx, endpointCompletion, req.Model, body, req.IncludeUsage())
	if err != nil {
		return nil, err
	}
	return &completionStream{es}, nil
}

// Embeddings relays an embeddings request; `encoding_format` and
// `dimensions` pass through in the body, and the response's Raw is the
// upstream's body byte for byte.
func (c *Client) Embeddings(ctx context.Context, req *openai.EmbeddingRequest) (*openai.EmbeddingResponse, error) {
	body, err := c.body(req.Raw, req, req.Model, false)
	if err != nil {
		return nil, err
	}
	raw, usage, err := c.post(ctx, endpointEmbeddings, req.Model, body)
	if err != nil {
		return nil, err
	}
	return &openai.EmbeddingResponse{Raw: raw, Usage: usage}, nil
}

// body builds the upstream body. Azure's classic API takes the deployment
// from the path and ignores the body's `model`, which is then left as the
// client wrote it.
func (c *Client) body(raw []byte, typed any, model string, stream bool) ([]byte, error) {
	opts := bodyOptions{model: model, stream: stream}
	if c.cfg.Dialect == DialectAzure {
		opts.model = ""
	}
	body, err := requestBody(raw, typed, opts)
	if err != nil {
		return nil, fmt.Errorf("openaicompat %s: %w", c.cfg.Name, err)
	}
	return body, nil
}

// post sends a JSON request and returns the whole response body and the
// usage it reports.
func (c *Client) post(ctx context.Context, op endpoint, model string, body []byte) ([]byte, *openai.Usage, error) {
	u, err := c.urlFor(op, model)
	if err != nil {
		return nil, nil, err
	}
	raw, err := c.fetch(ctx, http.MethodPost, u, body)
	if err != nil {
		return nil, nil, err
	}
	usage, err := decodeUsage(raw)
	if err != nil {
		return nil, nil, c.invalid(err)
	}
	return raw, usage, nil
}

// fetch sends a request and reads the whole 2xx response body.
func (c *Client) fetch(ctx context.Context, method string, u *url.URL, body []byte) ([]byte, error) {
	cl := c.newCall(ctx)
	defer cl.release()
	resp, err := c.do(cl, method, u, body, false)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := readBody(resp.Body, resp.ContentLength, maxBody)
	switch {
	case errors.Is(err, errTooLarge):
		return nil, c.invalid(fmt.Errorf("response body over %d bytes", maxBody))
	case err != nil:
		return nil, c.fail(cl, err)
	}
	return raw, nil
}

// invalid reports a 2xx answer that is not what the API promises.
func (c *Client) invalid(err error) error {
	return fmt.Errorf("openaicompat %s: %w", c.cfg.Name, &provider.UpstreamError{
		Status: http.StatusBadGateway,
		Err: &openai.Error{
			Status:  http.StatusBadGateway,
			Type:    openai.TypeUpstream,
			Message: "the upstream sent an invalid response",
		},
		Cause: err,
	})
}
