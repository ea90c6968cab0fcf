package openai

import "testing"

func BenchmarkDecodeChatCompletionRequest(b *testing.B) {
	body := []byte(`{"model":"bench-chat-d0","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say hello."}],"max_tokens":64,"temperature":0.2}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeChatCompletionRequest(body); err != nil {
			b.Fatal(err)
		}
	}
}
