package bedrock

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// TestAppendConverseJSON: wherever appendPlain writes a request, it
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

// sameAsMarshal checks appendPlain against json.Marshal and reports
// whether appendPlain wrote r.
func sameAsMarshal(t *testing.T, what string, r *ConverseRequest) bool {
	t.Helper()
	want, werr := json.Marshal(r)
	var got []byte
	_, ok := r.plain()
	if ok {
		got, ok = r.appendPlain(nil)
	}
	enc, err := marshalConverse(r)
	switch {
	case (err == nil) != (werr == nil) || string(enc) != string(want):
		t.Fatalf("%s: marshalConverse = %s, %v; json.Marshal = %s, %v", what, enc, err, want, werr)
	case ok && (werr != nil || string(got) != string(want)):
		t.Fatalf("%s: appendPlain = %s\njson.Marshal = %s (%v)", what, got, want, werr)
	}
	return ok
}

// TestConverseFieldsKnown lists the fields of the types plain and
// appendPlain read. A field added to one of them must be handled there
// (plain refusing it, or appendPlain writing it) before this list is
// updated; otherwise the fast path would drop it silently.
func TestConverseFieldsKnown(t *testing.T) {
	for typ, want := range map[reflect.Type]string{
		reflect.TypeFor[ConverseRequest](): "Messages System InferenceConfig ToolConfig GuardrailConfig AdditionalModelRequestFields " +
			"AdditionalModelResponseFieldPaths RequestMetadata PerformanceConfig ServiceTier OutputConfig",
		reflect.TypeFor[Message]():         "Role Content",
		reflect.TypeFor[ContentBlock]():    "Text Image Document ToolUse ToolResult ReasoningContent CachePoint GuardContent CitationsContent",
		reflect.TypeFor[SystemBlock]():     "Text GuardContent CachePoint",
		reflect.TypeFor[InferenceConfig](): "MaxTokens Temperature TopP StopSequences",
	} {
		var names []string
		for f := range typ.Fields() {
			names = append(names, f.Name)
		}
		if got := strings.Join(names, " "); got != want {
			t.Errorf("%s has fields %s; plain and appendPlain know %s", typ.Name(), got, want)
		}
	}
}

func BenchmarkMarshalConverse(b *testing.B) {
	req := &ConverseRequest{
		Messages: []Message{{Role: RoleUser, Content: []ContentBlock{{Text: new("Write a haiku about granite, and explain each line in a sentence.")}}}},
		System:   []SystemBlock{{Text: new("You are a concise assistant.")}},
	}
	n, temp := 1024, 0.7
	req.InferenceConfig = &InferenceConfig{MaxTokens: &n, Temperature: &temp}
	b.Run("appendPlain", func(b *testing.B) {
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
