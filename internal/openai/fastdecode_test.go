package openai

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// fastBodies are bodies decodeFast must read itself.
var fastBodies = []string{
	`{"model":"gpt-5-nano","messages":[{"role":"user","content":"Say hello."}]}`,
	`{"model":"m","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say hello."}],"max_tokens":64,"temperature":0.2}`,
	` { "model" : "m" , "messages" : [ { "role" : "user" , "content" : "hi" } ] , "stream" : true , "stream_options" : { "include_usage" : true } } ` + "\n",
	"{\n\t\"model\": \"m\",\r\n\t\"messages\": []\n}",
	`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"text":"b","type":"text"}]}]}`,
	`{"model":"m","messages":[{"role":"user","content":[]}]}`,
	`{"model":"m","messages":[{"role":"assistant","content":null},{"role":"tool","tool_call_id":"call_1","content":"42"},{"role":"user","name":"ann","content":"ok"}]}`,
	`{"model":"m","messages":[{"role":"developer","content":"héllo ✓ 日本"}],"user":"u-1","seed":-9223372036854775808,"n":2}`,
	`{"model":"m","messages":[{"role":"user","content":"x"}],"top_p":1e-3,"presence_penalty":-2,"frequency_penalty":0.5E+0,"max_completion_tokens":0,"stream":false}`,
	`{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":-0.0,"max_tokens":-0,"stream_options":{}}`,
	`{"messages":[{"content":"no role"}]}`,
	`{}`,
	`{"model":"gpt\u00e9","messages":[{"role":"user","content":"line 1\nline 2\t\"quoted\" \\ \/ \b\f\r \ud83d\ude00 \ud800 \udc00x \u00E9"}]}`,
}

// slowBodies are bodies decodeFast must leave to encoding/json.
var slowBodies = []string{
	`{"mod\u0065l":"m","messages":[]}`,                                          // a key with an escape
	`{"model":"m","messages":[{"role":"us\u0065r","content":"x"}]}`,             // a role with an escape
	"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"a\tb\"}]}", // a raw tab: invalid JSON
	`{"model":"m","messages":[],"tools":[]}`,                                    // another field
	`{"Model":"m","messages":[]}`,                                               // encoding/json matches any case
	`{"model":"m","model":"n","messages":[]}`,                                   // twice
	`{"model":"m","messages":[{"role":"user","role":"system","content":"x"}]}`,
	`{"model":null,"messages":[]}`,
	`{"model":"m","messages":null}`,
	`{"model":"m","messages":[],"max_tokens":64.0}`,
	`{"model":"m","messages":[],"max_tokens":1e2}`,
	`{"model":"m","messages":[],"max_tokens":99999999999999999999}`,
	`{"model":"m","messages":[],"temperature":1e400}`,
	`{"model":"m","messages":[],"temperature":01}`,
	`{"model":"m","messages":[],"temperature":.5}`,
	`{"model":"m","messages":[],"temperature":"0.5"}`,
	`{"model":"m","messages":[],"stream":1}`,
	`{"model":"m","messages":[],"stream":tru}`,
	`{"model":"m","messages":[],"stream_options":{"include_usage":true,"include_obfuscation":false}}`,
	`{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"u"}}]}]}`,
	`{"model":"m","messages":[{"role":"assistant","tool_calls":[]}]}`,
	`{"model":"m","messages":[]} {}`,
	`{"model":"m","messages":[],}`,
	`{"model":"m","messages":[{"role":"user","content":"x"},]}`,
	`{"model":"m","messages":[`,
	`{"model":"m"`,
	`[]`,
}

// slowDecode is decode without the fast path.
func slowDecode(body []byte) (*ChatCompletionRequest, error) {
	r := new(ChatCompletionRequest)
	if err := json.Unmarshal(body, r); err != nil {
		return nil, err
	}
	return r, checkDuplicateKeys(body)
}

// checkFast fails when decodeFast read body differently from
// encoding/json, or read a body encoding/json rejects.
func checkFast(t *testing.T, body []byte) (fast bool) {
	t.Helper()
	if !utf8.Valid(body) {
		return false // decode rejects it before decodeFast
	}
	got := new(ChatCompletionRequest)
	if !got.decodeFast(body) {
		return false
	}
	want, err := slowDecode(body)
	if err != nil {
		t.Fatalf("decodeFast read %q, which encoding/json rejects: %v", body, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("decodeFast read %q differently (-encoding/json +fast):\n%s", body, diff)
	}
	return true
}

func TestDecodeFast(t *testing.T) {
	for _, b := range fastBodies {
		if !checkFast(t, []byte(b)) {
			t.Errorf("decodeFast gave up on %s", b)
		}
	}
	for _, b := range slowBodies {
		if checkFast(t, []byte(b)) {
			t.Errorf("decodeFast read %s, which is encoding/json's", b)
		}
	}
}

// TestDecodeFastGivesUpClean checks that a request the fast path gave up
// on midway decodes as if it had not been tried.
func TestDecodeFastGivesUpClean(t *testing.T) {
	body := []byte(`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}]}`)
	got, err := DecodeChatCompletionRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := slowDecode(body)
	want.Raw = body
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestDecodeFastMutations runs the fast path's property on bodies made
// by changing, dropping and inserting bytes of the bodies above: what it
// reads, encoding/json reads the same way.
func TestDecodeFastMutations(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	alphabet := []byte(`{}[]",:0123456789.eE+- \ntrufalsn` + "\t\\")
	seeds := append(append([]string{}, fastBodies...), slowBodies...)
	fast := 0
	for range 20000 {
		b := []byte(seeds[r.IntN(len(seeds))])
		for range 1 + r.IntN(3) {
			if len(b) == 0 {
				break
			}
			i := r.IntN(len(b))
			switch r.IntN(3) {
			case 0:
				b[i] = alphabet[r.IntN(len(alphabet))]
			case 1:
				b = append(b[:i], b[i+1:]...)
			default:
				b = append(b[:i], append([]byte{alphabet[r.IntN(len(alphabet))]}, b[i:]...)...)
			}
		}
		if checkFast(t, b) {
			fast++
		}
	}
	if fast == 0 {
		t.Error("no mutated body took the fast path")
	}
}

func FuzzDecodeFast(f *testing.F) {
	for _, b := range fastBodies {
		f.Add([]byte(b))
	}
	for _, b := range slowBodies {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkFast(t, body)
	})
}
