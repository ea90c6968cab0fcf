package bedrock

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// TestAppendConverseJSON: wherever appendJSON writes a request, it
// writes json.Marshal's bytes. Checked on every translation golden's
// request (enough of them take the fast path for the check to mean
// something) and on random plain requests with awkward strings and
// floats; a request it refuses still encodes through marshalConverse.
func TestAppendConverseJSON(t *testing.T) {
	fast, slow := 0, 0
	for _, file := range goldenFiles(t, "request_") {
		ar, err := txtar.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		req := decodeGoldenRequest(t, ar)
		var opts RequestOptions
		if b := section(ar, fileOptions); b != nil {
			if err := json.Unmarshal(b, &opts); err != nil {
				t.Fatal(err)
			}
		}
		conv, err := ToConverse(req, opts)
		if err != nil {
			continue
		}
		if sameAsMarshal(t, file, conv) {
			fast++
		} else {
			slow++
		}
	}
	if fast < 10 || slow < 10 {
		t.Errorf("%d goldens on the fast path and %d on json.Marshal's, want at least 10 of each", fast, slow)
	}

	rng := rand.New(rand.NewPCG(4, 2))
	alphabet := []string{"a", " ", `"`, `\`, "<", ">", "&", "\n", "\t", "\x01", "é", "\u2028", "😀", "\xff"}
	str := func() string {
		var b strings.Builder
		for range rng.IntN(8) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	ptr := func(s string) *string { return &s }
	for range 2000 {
		r := &ConverseRequest{Messages: []Message{}}
		for range rng.IntN(4) {
			m := Message{Role: []string{RoleUser, RoleAssistant}[rng.IntN(2)], Content: []ContentBlock{}}
			for range rng.IntN(3) {
				m.Content = append(m.Content, ContentBlock{Text: ptr(str())})
			}
			r.Messages = append(r.Messages, m)
		}
		for range rng.IntN(3) {
			r.System = append(r.System, SystemBlock{Text: ptr(str())})
		}
		if rng.IntN(3) > 0 {
			ic := &InferenceConfig{}
			if rng.IntN(2) == 0 {
				n := rng.IntN(1 << 20)
				ic.MaxTokens = &n
			}
			if rng.IntN(2) == 0 {
				f := []float64{0, 1, 0.7, 1e-7, 2.5e21, rng.Float64(), math.Float64frombits(rng.Uint64())}[rng.IntN(7)]
				ic.Temperature = &f
			}
			if rng.IntN(2) == 0 {
				f := rng.Float64()
				ic.TopP = &f
			}
			for range rng.IntN(3) {
				ic.StopSequences = append(ic.StopSequences, str())
			}
			r.InferenceConfig = ic
		}
		sameAsMarshal(t, "random", r)
	}
}

// sameAsMarshal checks appendJSON against json.Marshal and reports
// whether appendJSON wrote r.
func sameAsMarshal(t *testing.T, what string, r *ConverseRequest) bool {
	t.Helper()
	want, werr := json.Marshal(r)
	got, ok := r.appendJSON(nil)
	enc, err := marshalConverse(r)
	switch {
	case (err == nil) != (werr == nil) || string(enc) != string(want):
		t.Fatalf("%s: marshalConverse = %s, %v; json.Marshal = %s, %v", what, enc, err, want, werr)
	case ok && (werr != nil || string(got) != string(want)):
		t.Fatalf("%s: appendJSON = %s\njson.Marshal = %s (%v)", what, got, want, werr)
	}
	return ok
}

func BenchmarkMarshalConverse(b *testing.B) {
	req := &ConverseRequest{
		Messages: []Message{{Role: RoleUser, Content: []ContentBlock{{Text: new("Write a haiku about granite, and explain each line in a sentence.")}}}},
		System:   []SystemBlock{{Text: new("You are a concise assistant.")}},
	}
	n, temp := 1024, 0.7
	req.InferenceConfig = &InferenceConfig{MaxTokens: &n, Temperature: &temp}
	b.Run("appendJSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := marshalConverse(req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(req); err != nil {
				b.Fatal(err)
			}
		}
	})
}
