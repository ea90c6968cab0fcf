package server

import (
	"encoding/json"
	"testing"
)

// TestMentionsStream: every body that can ask for a stream, in whatever
// case encoding/json would take the member's name, keeps its handler off
// the connection's goroutine; a body without the name runs inline.
func TestMentionsStream(t *testing.T) {
	for _, tc := range []struct {
		body string
		want bool
	}{
		{`{"model":"m","stream":true}`, true},
		{`{"model":"m", "Stream" : true}`, true},
		{`{"STREAM":false}`, true},
		{`{"messages":[{"role":"user","content":"say \"stream\""}]}`, false}, // escaped quotes: no member
		{`{"messages":[{"role":"user","content":"stream"}]}`, true},          // a false alarm, which only costs the fast path
		{`{"model":"m"}`, false},
		{`{"model":"m","stream_options":{"include_usage":true}}`, false},
		{`{"model":"stream"`, true},
		{`{"streams":true}`, false},
		{`"stream`, false},
		{``, false},
		{`"`, false},
	} {
		if got := mentionsStream([]byte(tc.body)); got != tc.want {
			t.Errorf("mentionsStream(%s) = %v, want %v", tc.body, got, tc.want)
		}
	}
	// encoding/json's own matching, for the names a stream is asked with.
	var v struct {
		Stream bool `json:"stream"`
	}
	for _, body := range []string{`{"Stream":true}`, `{"sTrEaM":true}`} {
		v.Stream = false
		if err := json.Unmarshal([]byte(body), &v); err != nil || !v.Stream {
			t.Fatalf("%s: encoding/json no longer matches the name in any case (%v)", body, err)
		}
		if !mentionsStream([]byte(body)) {
			t.Errorf("%s asks for a stream, and would run inline", body)
		}
	}
}
