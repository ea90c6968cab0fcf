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

// checkDeltaFast fails when decodeFast read payload differently from
// encoding/json, or read one encoding/json rejects.
func checkDeltaFast(t *testing.T, payload []byte) bool {
	t.Helper()
	var got ContentBlockDeltaEvent
	if !got.decodeFast(payload) {
		return false
	}
	var want ContentBlockDeltaEvent
	if err := json.Unmarshal(payload, &want); err != nil {
		t.Fatalf("decodeFast read %q, which encoding/json rejects: %v", payload, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("decodeFast read %q differently (-encoding/json +fast):\n%s", payload, diff)
	}
	return true
}

func TestDeltaDecodeFast(t *testing.T) {
	for _, p := range fastDeltas {
		if !checkDeltaFast(t, []byte(p)) {
			t.Errorf("decodeFast gave up on %s", p)
		}
	}
	for _, p := range slowDeltas {
		if checkDeltaFast(t, []byte(p)) {
			t.Errorf("decodeFast read %s, which is encoding/json's", p)
		}
	}
	r := rand.New(rand.NewPCG(5, 8))
	alphabet := []byte(`{}[]",:0123456789.etrufalsn \` + "\n")
	for range 20000 {
		seeds := fastDeltas
		if r.IntN(4) == 0 {
			seeds = slowDeltas
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
		checkDeltaFast(t, b)
	}
}

func FuzzDeltaDecodeFast(f *testing.F) {
	for _, p := range append(append([]string{}, fastDeltas...), slowDeltas...) {
		f.Add([]byte(p))
	}
	f.Fuzz(func(t *testing.T, payload []byte) { checkDeltaFast(t, payload) })
}
