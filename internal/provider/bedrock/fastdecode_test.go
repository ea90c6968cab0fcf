package bedrock

import (
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// deltaPayloads are contentBlockDelta payloads: the first ones decodeFast
// reads itself, the rest it leaves to encoding/json.
var (
	fastDeltas = []string{
		`{"contentBlockIndex":0,"delta":{"text":"Hello"},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123"}`,
		`{"delta":{"text":"line\nnext \"q\" \u00e9 \ud83d\ude00"},"contentBlockIndex":3}`,
		`{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"city\":\"Par"}},"p":"ab"}`,
		`{"contentBlockIndex":0,"delta":{"text":""}}`,
		` {"contentBlockIndex" : 2 , "delta" : { } } `,
	}
	slowDeltas = []string{
		`{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"hm"}}}`,
		`{"contentBlockIndex":0,"delta":{"citation":{}}}`,
		`{"contentBlockIndex":0,"delta":{"text":"a","text":"b"}}`,
		`{"contentBlockIndex":0,"contentBlockIndex":1,"delta":{"text":"a"}}`,
		`{"contentBlockIndex":0,"delta":{"text":null}}`,
		`{"contentBlockIndex":0,"delta":null}`,
		`{"contentBlockIndex":1.0,"delta":{"text":"a"}}`,
		`{"ContentBlockIndex":0,"delta":{"text":"a"}}`,
		`{"contentBlockIndex":0,"delta":{"text":"a"},"p":1}`,
		`{"contentBlockIndex":0,"delta":{"toolUse":{"input":"x","extra":1}}}`,
		`{"contentBlockIndex":0,"delta":{"text":"a"}} x`,
		`{"contentBlockIndex":0,"delta":{"text":"a"`,
	}
)

// checkFast fails when decode read body differently from
// encoding/json, or read one encoding/json rejects; it reports whether
// decode read it.
func checkFast[T any](t *testing.T, body []byte, decode func(*T, []byte) bool) bool {
	t.Helper()
	var got T
	if !decode(&got, body) {
		return false
	}
	var want T
	if err := json.Unmarshal(body, &want); err != nil {
		t.Fatalf("decodeFast read %q, which encoding/json rejects: %v", body, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("decodeFast read %q differently (-encoding/json +fast):\n%s", body, diff)
	}
	return true
}

// testFast checks decode on the bodies it must read, those it must leave
// to encoding/json, and 20,000 mutations of them (a byte changed or
// dropped).
func testFast[T any](t *testing.T, fast, slow []string, decode func(*T, []byte) bool) {
	t.Helper()
	for _, b := range fast {
		if !checkFast(t, []byte(b), decode) {
			t.Errorf("decodeFast gave up on %s", b)
		}
	}
	for _, b := range slow {
		if checkFast(t, []byte(b), decode) {
			t.Errorf("decodeFast read %s, which is encoding/json's", b)
		}
	}
	r := rand.New(rand.NewPCG(5, 8))
	alphabet := []byte(`{}[]",:0123456789.etrufalsn \` + "\n")
	for range 20000 {
		seeds := fast
		if r.IntN(4) == 0 {
			seeds = slow
		}
		b := []byte(seeds[r.IntN(len(seeds))])
		for range 1 + r.IntN(2) {
			i := r.IntN(len(b))
			if r.IntN(2) == 0 {
				b[i] = alphabet[r.IntN(len(alphabet))]
			} else {
				b = append(b[:i], b[i+1:]...)
			}
		}
		checkFast(t, b, decode)
	}
}

func decodeDelta(p *ContentBlockDeltaEvent, b []byte) bool { return p.decodeFast(b) }
func decodeAnswer(r *ConverseResponse, b []byte) bool      { return r.decodeFast(b) }

func TestDeltaDecodeFast(t *testing.T) { testFast(t, fastDeltas, slowDeltas, decodeDelta) }

func FuzzDeltaDecodeFast(f *testing.F) {
	for _, p := range append(append([]string{}, fastDeltas...), slowDeltas...) {
		f.Add([]byte(p))
	}
	f.Fuzz(func(t *testing.T, payload []byte) { checkFast(t, payload, decodeDelta) })
}

// Converse answers: the first ones decodeFast reads itself, the rest it
// leaves to encoding/json.
var (
	fastAnswers = []string{
		`{"output":{"message":{"role":"assistant","content":[{"text":"Hello! How can I help?"}]}},"stopReason":"end_turn","usage":{"inputTokens":12,"outputTokens":8,"totalTokens":20},"metrics":{"latencyMs":321}}`,
		`{"metrics":{"latencyMs":0},"usage":{"totalTokens":3,"cacheWriteInputTokens":100,"cacheReadInputTokens":7,"inputTokens":1,"outputTokens":2},"stopReason":"max_tokens","output":{"message":{"content":[{"text":"a\nb"},{"text":"\u00e9"}],"role":"assistant"}}}`,
		`{"output":{"message":{"role":"assistant","content":[]}},"stopReason":"end_turn","usage":{},"metrics":{}}`,
		`{"output":{},"stopReason":""}`,
		`{}`,
	}
	slowAnswers = []string{
		`{"output":{"message":{"role":"assistant","content":[{"toolUse":{"toolUseId":"t","name":"f","input":{}}}]}},"stopReason":"tool_use"}`,
		`{"output":{"message":{"role":"assistant","content":[{"reasoningContent":{"reasoningText":{"text":"hm"}}},{"text":"x"}]}}}`,
		`{"output":{"message":{"role":"assistant","content":[{"text":"x"}]}},"trace":{"guardrail":{}}}`,
		`{"output":{"message":{"role":"assistant","content":[{"text":"x"}]}},"additionalModelResponseFields":{"a":1}}`,
		`{"output":{"message":{"role":"assistant","content":[{"text":"x"}]}},"usage":{"inputTokens":1,"serverToolUsage":{}}}`,
		`{"output":{"message":null}}`,
		`{"output":{"message":{"role":"assistant","content":[{"text":"x","text":"y"}]}}}`,
		`{"stopReason":"a","stopReason":"b"}`,
		`{"usage":{"inputTokens":1.5}}`,
		`{"metrics":{"latencyMs":-1e3}}`,
		`{"output":{"message":{"role":"assistant","content":[{"text":"x"}]}}} x`,
	}
)

func TestAnswerDecodeFast(t *testing.T) { testFast(t, fastAnswers, slowAnswers, decodeAnswer) }

func FuzzAnswerDecodeFast(f *testing.F) {
	for _, b := range append(append([]string{}, fastAnswers...), slowAnswers...) {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkFast(t, body, decodeAnswer) })
}
