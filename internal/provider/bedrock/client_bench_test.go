package bedrock

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/outcrop/outcrop/internal/provider/bedrock/bedrocktest"
	"github.com/outcrop/outcrop/internal/upstreamhttp"
)

// benchClient is a SigV4 client of an emulator that records nothing.
func benchClient(b *testing.B) *Client {
	b.Helper()
	srv := bedrocktest.New(b, bedrocktest.WithoutRecording(), bedrocktest.WithHeaderLatency(0))
	c, _ := emulatorClient(b, srv, Config{Transport: upstreamhttp.NewStd()})
	return c
}

// BenchmarkConverse is one non-streaming chat request through the client,
// SigV4 and loopback HTTP included.
func BenchmarkConverse(b *testing.B) {
	c := benchClient(b)
	req := chatRequest(testModel, "Hello, how are you today?")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.ChatCompletion(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConverseStream is one streaming chat request read to its end.
func BenchmarkConverseStream(b *testing.B) {
	c := benchClient(b)
	req := chatRequest(testModel, "Hello, how are you today?")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := c.ChatCompletionStream(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err = s.Recv(); err != nil {
				break
			}
		}
		s.Close()
		if !errors.Is(err, io.EOF) {
			b.Fatal(err)
		}
	}
}

// BenchmarkEventStreamDecode decodes a ConverseStream body held in memory,
// per frame.
func BenchmarkEventStreamDecode(b *testing.B) {
	var data []byte
	data = append(data, eventFrame(b, "messageStart", `{"role":"assistant","p":"abcdefgh"}`)...)
	for i := 0; i < 48; i++ {
		data = append(data, eventFrame(b, "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":" word"},"p":"abcdefghijklmnop"}`)...)
	}
	data = append(data, eventFrame(b, "messageStop", `{"stopReason":"end_turn"}`)...)
	const frames = 50
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tr := &transport{}
		resp := &http.Response{Body: io.NopCloser(bytes.NewReader(data)), Header: http.Header{}}
		s := newEventStream(tr, tr.newCall(context.Background()), resp)
		n := 0
		for {
			if _, err := s.Recv(); err != nil {
				break
			}
			n++
		}
		if n != frames {
			b.Fatalf("got %d frames, want %d", n, frames)
		}
	}
}
