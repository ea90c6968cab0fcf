package fasthdr

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/textproto"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// pairs is a header list as fasthttp yields it.
type pairs [][]byte

func pairsOf(kv ...string) pairs {
	b := make(pairs, len(kv))
	for i, s := range kv {
		b[i] = []byte(s)
	}
	return b
}

// header converts p as a caller does.
func (p pairs) header(drop ...string) http.Header {
	var f Fields
	for i := 0; i+1 < len(p); i += 2 {
		f.Add(p[i], p[i+1])
	}
	return f.Header(drop...)
}

// want is the header net/http's own conversion gives.
func want(kv []string, drop ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		k := textproto.CanonicalMIMEHeaderKey(kv[i])
		h[k] = append(h[k], kv[i+1])
	}
	for _, d := range drop {
		delete(h, d)
	}
	return h
}

func TestHeader(t *testing.T) {
	many := make([]string, 0, 2*(maxFields+3))
	for i := range maxFields + 3 {
		many = append(many, fmt.Sprintf("x-field-%d", i), fmt.Sprint(i))
	}
	tests := []struct {
		name string
		kv   []string
		drop []string
	}{
		{"none", nil, nil},
		{"canonical", []string{"Content-Type", "application/json", "Authorization", "Bearer k", "X-Custom", "v"}, nil},
		{"lower case, as upstreams send them", []string{"content-type", "text/event-stream", "x-request-id", "req_1", "x-my-thing", "a"}, nil},
		{"mixed case", []string{"CONTENT-LENGTH", "12", "x-RateLimit-Limit-Requests", "100", "wEiRd-NaMe", "b"}, nil},
		{"repeated names", []string{"Set-Cookie", "a=1", "set-cookie", "b=2", "Accept", "x", "accept", "y"}, nil},
		{"empty values", []string{"X-Empty", "", "Accept", ""}, nil},
		{"not a token: left as is", []string{"bad name", "v", "caf\xc3\xa9", "w", "\xe2\x84\xaaeep-alive", "kelvin"}, nil},
		{"dropped", []string{"Host", "example.com", "transfer-encoding", "chunked", "Accept", "*/*"}, []string{"Host", "Transfer-Encoding"}},
		{"longer than one pass", many, []string{"X-Field-3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pairsOf(tt.kv...).header(tt.drop...)
			if diff := cmp.Diff(want(tt.kv, tt.drop...), got); diff != "" {
				t.Errorf("header (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHeaderRandom compares the conversion with net/http's on random
// names drawn from the common ones, their case changed, and others.
func TestHeaderRandom(t *testing.T) {
	names := append(commonNames(), "X-Other", "x-other", "Another-One", "bad name", "Ünicode", "a", "-", "x--y")
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		var kv []string
		for range r.IntN(20) {
			name := []byte(names[r.IntN(len(names))])
			for i := range name {
				if r.IntN(3) == 0 && name[i] < 0x80 {
					name[i] ^= 0x20 * byte(r.IntN(2)) & ^byte(0x80)
				}
			}
			kv = append(kv, string(name), strings.Repeat("v", r.IntN(5)))
		}
		got := pairsOf(kv...).header()
		if diff := cmp.Diff(want(kv), got); diff != "" {
			t.Fatalf("%q (-want +got):\n%s", kv, diff)
		}
	}
}

// commonNames lists the names Common knows, which must be canonical.
func commonNames() []string {
	return []string{
		"Accept", "Accept-Encoding", "Accept-Language", "Api-Key", "Authorization",
		"Cache-Control", "Connection", "Content-Encoding", "Content-Length", "Content-Type",
		"Date", "Host", "Idempotency-Key", "Keep-Alive", "Openai-Organization",
		"Openai-Processing-Ms", "Openai-Project", "Openai-Version", "Origin", "Retry-After",
		"Server", "Transfer-Encoding", "User-Agent", "X-Amzn-Bedrock-Content-Type",
		"X-Amzn-Bedrock-Input-Token-Count", "X-Amzn-Bedrock-Invocation-Latency",
		"X-Amzn-Bedrock-Output-Token-Count", "X-Amzn-Errortype", "X-Amzn-Requestid",
		"X-Api-Key", "X-Forwarded-For", "X-Ratelimit-Limit-Requests", "X-Ratelimit-Limit-Tokens",
		"X-Ratelimit-Remaining-Requests", "X-Ratelimit-Remaining-Tokens",
		"X-Ratelimit-Reset-Requests", "X-Ratelimit-Reset-Tokens", "X-Request-Id",
		"X-Stainless-Arch", "X-Stainless-Lang", "X-Stainless-Os", "X-Stainless-Package-Version",
		"X-Stainless-Retry-Count", "X-Stainless-Runtime", "X-Stainless-Runtime-Version",
		"X-Stainless-Timeout",
	}
}

func TestCommon(t *testing.T) {
	for _, name := range commonNames() {
		if c := textproto.CanonicalMIMEHeaderKey(name); c != name {
			t.Errorf("%q is not canonical (%q)", name, c)
		}
		for _, k := range []string{name, strings.ToLower(name), strings.ToUpper(name)} {
			if got := Common([]byte(k)); got != name {
				t.Errorf("Common(%q) = %q, want %q", k, got, name)
			}
		}
	}
	for _, k := range []string{"", "X-Unknown", "content-type ", "\xe2\x84\xaaeep-Alive", strings.Repeat("a", 100)} {
		if got := Common([]byte(k)); got != "" {
			t.Errorf("Common(%q) = %q, want none", k, got)
		}
	}
}

// TestHeaderAllocations checks the point of the package: a request's
// usual header costs a fixed few allocations, not three per field.
func TestHeaderAllocations(t *testing.T) {
	kv := pairsOf("Host", "127.0.0.1:8080", "Content-Type", "application/json", "Authorization", "Bearer sk-test",
		"User-Agent", "OpenAI/JS 6.1.0", "X-Stainless-Lang", "js", "X-Stainless-Os", "Linux",
		"X-Stainless-Runtime", "node", "Accept", "application/json", "Content-Length", "150", "X-Custom-Thing", "1")
	if n := testing.AllocsPerRun(100, func() { kv.header() }); n > 6 {
		t.Errorf("%v allocations for 10 fields, want at most 6", n)
	}
}

// sink keeps the benchmarks' headers on the heap, as a request's are.
var sink http.Header

func BenchmarkHeader(b *testing.B) {
	kv := pairsOf("Host", "127.0.0.1:8080", "Content-Type", "application/json", "Authorization", "Bearer sk-test",
		"User-Agent", "OpenAI/JS 6.1.0", "Accept", "application/json", "Content-Length", "150")
	b.Run("fasthdr", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sink = kv.header()
		}
	})
	b.Run("http.Header.Add", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			h := http.Header{}
			for i := 0; i+1 < len(kv); i += 2 {
				h.Add(string(kv[i]), string(kv[i+1]))
			}
			sink = h
		}
	})
}
