package openaicompat

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"runtime"
	"testing"

	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider/openaicompat/openaitest"
)

// The benchmarks relay over real HTTP on loopback to the emulator, so their
// allocation counts include the emulator's side of each request. The
// *Client variants serve the same bytes from an in-process RoundTripper,
// which leaves the client's own cost alone.

func benchChatRequest(b *testing.B, stream bool) *openai.ChatCompletionRequest {
	b.Helper()
	cas := openaitest.MustCassette(b, "chat-basic")
	raw := bytes.Replace(cas.Interactions[0].Request.Body, []byte(`"model": "gpt-5-nano"`), []byte(`"model": "my-alias"`), 1)
	if stream {
		raw = bytes.Replace(raw, []byte(`"messages"`), []byte(`"stream": true, "messages"`), 1)
	}
	return chatRequest(b, string(raw), "gpt-5-nano")
}

func benchChat(b *testing.B, c *Client) {
	b.Helper()
	req := benchChatRequest(b, false)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := c.ChatCompletion(ctx, req)
		if err != nil || resp.Usage == nil {
			b.Fatalf("relay: %v", err)
		}
	}
}

func benchStream(b *testing.B, c *Client) {
	b.Helper()
	req := benchChatRequest(b, true)
	ctx := context.Background()
	chunks := 0
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	for b.Loop() {
		st, err := c.ChatCompletionStream(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		got, err := drain(st)
		if err != nil || !got[len(got)-1].UsageOnly() {
			b.Fatalf("stream: %v", err)
		}
		chunks += len(got)
		_ = st.Close()
	}
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(chunks)/float64(b.N), "chunks/op")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(chunks), "allocs/chunk")
}

func plainStream(b *testing.B) openaitest.Reply {
	b.Helper()
	for _, f := range openaitest.SSEFiles(b) {
		if bytes.Contains([]byte(f), []byte("plain-content")) {
			rep, err := openaitest.LoadSSE(f)
			if err != nil {
				b.Fatal(err)
			}
			return rep
		}
	}
	b.Fatal("no plain-content fixture")
	return openaitest.Reply{}
}

func BenchmarkRelayChat(b *testing.B) {
	cas := openaitest.MustCassette(b, "chat-basic")
	s := openaitest.New(b, openaitest.WithoutRecording(), openaitest.WithDefault(cas.Interactions[0].Reply()))
	benchChat(b, newClient(b, s, DialectOpenAI))
}

func BenchmarkRelayChatStream(b *testing.B) {
	s := openaitest.New(b, openaitest.WithoutRecording(), openaitest.WithDefault(plainStream(b)))
	benchStream(b, newClient(b, s, DialectOpenAI))
}

// cannedTransport answers every request with the same bytes, in process.
type cannedTransport struct {
	header http.Header
	body   []byte
}

func (c *cannedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	return &http.Response{
		StatusCode:    http.StatusOK,
		Header:        c.header,
		Body:          io.NopCloser(bytes.NewReader(c.body)),
		ContentLength: int64(len(c.body)),
		Request:       req,
	}, nil
}

func inProcessClient(b *testing.B, contentType string, body []byte) *Client {
	b.Helper()
	c, err := New(Config{
		Name: "bench", BaseURL: "http://upstream.invalid/v1", APIKey: "k",
		Transport: &cannedTransport{header: http.Header{"Content-Type": {contentType}}, body: body},
	})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func BenchmarkRelayChatClient(b *testing.B) {
	cas := openaitest.MustCassette(b, "chat-basic")
	benchChat(b, inProcessClient(b, "application/json", cas.Interactions[0].Response.Body))
}

func BenchmarkRelayChatStreamClient(b *testing.B) {
	body, err := os.ReadFile(openaitest.FixturePath(b, "openai-sse", "plain-content.e2aad469b71d.sse"))
	if err != nil {
		b.Fatal(err)
	}
	benchStream(b, inProcessClient(b, "text/event-stream", body))
}
