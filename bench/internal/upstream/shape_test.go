package upstream

import (
	"testing"
	"time"
)

func TestShapeRoundTrip(t *testing.T) {
	for _, s := range []Shape{
		{Delay: 20 * time.Millisecond},
		{},
		{Stream: true, Chunks: 20, Gap: 50 * time.Millisecond},
		{Stream: true, Chunks: 1, Delay: 5 * time.Millisecond},
	} {
		for _, model := range []string{s.OpenAIModel(), s.BedrockModel()} {
			got, err := ShapeOf(model)
			if err != nil || got != s {
				t.Errorf("ShapeOf(%q): got %+v, %v, want %+v", model, got, err, s)
			}
		}
	}
}

func TestShapeErrors(t *testing.T) {
	for _, name := range []string{"gpt-4o", "bench-", "bench-foo", "bench-sse-n0", "bench-chat-n3", "bench-chat-dx", "bench-chat--d1"} {
		if s, err := ShapeOf(name); err == nil {
			t.Errorf("ShapeOf(%q): got %+v, want an error", name, s)
		}
	}
}

func TestModelOf(t *testing.T) {
	for body, want := range map[string]string{
		`{"model":"bench-chat-d0","messages":[]}`:   "bench-chat-d0",
		`{"messages":[],"model":"x"}`:               "x",
		`{"messages":[]}`:                           "",
		`{"model":"unterminated`:                    "",
		`{"stream":true,"model":"bench-sse-n1-g0"}`: "bench-sse-n1-g0",
	} {
		if got := modelOf([]byte(body)); got != want {
			t.Errorf("modelOf(%s): got %q, want %q", body, got, want)
		}
	}
}
