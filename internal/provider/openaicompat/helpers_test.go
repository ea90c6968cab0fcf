package openaicompat

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
	"github.com/outcrop/outcrop/internal/provider/openaicompat/openaitest"
)

// newClient returns a client of the emulator s in the given dialect.
func newClient(t testing.TB, s *openaitest.Server, dialect Dialect, mod ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{Name: "test", Dialect: dialect, APIKey: "key"}
	switch dialect {
	case DialectAzure:
		cfg.BaseURL, cfg.APIVersion = s.URL(), "2024-12-01-preview"
	case DialectAzureV1:
		cfg.BaseURL = s.AzureV1Base()
	default:
		cfg.BaseURL = s.OpenAIBase()
	}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// chatRequest returns a request as the server hands it to a provider:
// typed fields decoded (without validation, so recorded bad requests can
// be replayed) and the client's bytes in Raw.
func chatRequest(t testing.TB, body string, model string) *openai.ChatCompletionRequest {
	t.Helper()
	req := new(openai.ChatCompletionRequest)
	if err := json.Unmarshal([]byte(body), req); err != nil {
		t.Fatalf("decode request: %v", err)
	}
	req.Raw = []byte(body)
	req.Model = model
	return req
}

// upstreamError returns err's *provider.UpstreamError, failing the test
// when there is none.
func upstreamError(t *testing.T, err error) *provider.UpstreamError {
	t.Helper()
	var ue *provider.UpstreamError
	if !errors.As(err, &ue) {
		t.Fatalf("error %v (%T), want a *provider.UpstreamError", err, err)
	}
	return ue
}

// dataLines returns the `data:` payloads of an SSE body, [DONE] excluded.
func dataLines(t testing.TB, body []byte) [][]byte {
	t.Helper()
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if d, ok := bytes.CutPrefix(sc.Bytes(), []byte("data: ")); ok && string(d) != "[DONE]" {
			out = append(out, bytes.Clone(d))
		}
	}
	return out
}

// chunks reads a stream to its end and returns the chunks and the error
// that ended it (nil for io.EOF).
func drain[T any](s provider.Stream[T]) ([]T, error) {
	var out []T
	for {
		c, err := s.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, c)
	}
}

// waitFor returns the next value of ch, failing the test if none comes in
// a long while (which only happens when the code under test is broken).
func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		t.Fatalf("no %s", what)
		var zero T
		return zero
	}
}
