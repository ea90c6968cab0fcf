package app

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/outcrop/outcrop/internal/provider/openaicompat/openaitest"
)

// benchClient is a keep-alive client sized for the benchmark's parallelism.
func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, DisableCompression: true}}
}

// benchRelay measures a whole request through the gateway's real HTTP
// stack on loopback: client → Outcrop → openaitest → back. The emulator's
// own cost is included; compare against BenchmarkUpstreamDirect for what
// Outcrop adds.
func benchRelay(b *testing.B, body []byte, direct bool) {
	b.Helper()
	emu := openaitest.New(b, openaitest.WithoutRecording())
	url := emu.OpenAIBase() + "/chat/completions"
	if !direct {
		gw, _ := startGateway(b, relayConfig(b, "openai", emu.OpenAIBase(), "", "gpt-4o"))
		url = gw + "/v1/chat/completions"
	}
	client := benchClient()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Post(url, "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}

var (
	benchChat   = []byte(`{"model":"gpt-4o","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say hello."}],"temperature":0.2}`)
	benchStream = []byte(`{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"Say hello."}]}`)
)

func BenchmarkUpstreamDirectChat(b *testing.B)   { benchRelay(b, benchChat, true) }
func BenchmarkGatewayRelayChat(b *testing.B)     { benchRelay(b, benchChat, false) }
func BenchmarkUpstreamDirectStream(b *testing.B) { benchRelay(b, benchStream, true) }
func BenchmarkGatewayRelayStream(b *testing.B)   { benchRelay(b, benchStream, false) }
