package openaicompat

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/outcrop/outcrop/internal/openai"
)

// Models lists the upstream's models with GET {base}/models. Azure's
// classic API cannot list deployments with an API key, so for DialectAzure
// it returns ErrModelsNotSupported.
func (c *Client) Models(ctx context.Context) ([]openai.Model, error) {
	if c.cfg.Dialect == DialectAzure {
		return nil, fmt.Errorf("openaicompat %s: %w", c.cfg.Name, ErrModelsNotSupported)
	}
	raw, err := c.fetch(ctx, http.MethodGet, c.modelsURL, nil)
	if err != nil {
		return nil, err
	}
	var list openai.ModelList
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, c.invalid(fmt.Errorf("decode models: %w", err))
	}
	return list.Data, nil
}

// Ping checks that the upstream answers and accepts the key, with the
// cheapest authenticated call there is: GET {base}/models (for Azure's
// classic API, GET /openai/models?api-version=...). It returns the
// upstream's error, classified, when the status is not 2xx.
func (c *Client) Ping(ctx context.Context) error {
	cl := c.newCall(ctx)
	defer cl.release()
	resp, err := c.do(cl, http.MethodGet, c.modelsURL, nil, false)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	// Read a little so a small answer frees its connection for reuse; a
	// long model list is cut short rather than read for nothing.
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	return nil
}
