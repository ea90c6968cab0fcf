package server

import (
	"encoding/json"
	"testing"
)

// TestMentionsStream: a body that asks for a stream as clients write
// it keeps its handler off the connection's goroutine; a body without
// the name runs inline.
func TestMentionsStream(t *testing.T) {
	for _, tc := range []struct {
		body string
		want bool
	}{
		{`{"model":"m","stream":true}`, true},
		{`{"model":"m","stream" :true}`, true},
		{`{"model":"m", "stream":false}`, true},                              // false: a false alarm, which only costs the fast path
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
	// Another case still streams, only unpaced (see mentionsStream):
	// encoding/json takes it.
	var v struct {
		Stream bool `json:"stream"`
	}
	if err := json.Unmarshal([]byte(`{"sTrEaM":true}`), &v); err != nil || !v.Stream || mentionsStream([]byte(`{"sTrEaM":true}`)) {
		t.Errorf("sTrEaM: decoded %v (%v), looked for %v; the test no longer shows the case streamNames leaves out", v.Stream, err, mentionsStream([]byte(`{"sTrEaM":true}`)))
	}
}

// BenchmarkMentionsStream: a 1 MB chat body without the name, with
// many strings that start with an s.
func BenchmarkMentionsStream(b *testing.B) {
	var body []byte
	body = append(body, `{"model":"m","messages":[`...)
	for len(body) < 1<<20 {
		body = append(body, `{"role":"system","content":"some text, said simply"},`...)
	}
	body = append(body, `{"role":"user","content":"x"}]}`...)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if mentionsStream(body) {
			b.Fatal("found a stream")
		}
	}
}
