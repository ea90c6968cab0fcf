package openai

import (
	"encoding/json"
	"math"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEmbeddingResponseMarshalJSON(t *testing.T) {
	tests := []struct {
		name string
		r    EmbeddingResponse
		want string
	}{
		{
			"usage trimmed",
			EmbeddingResponse{
				Object: ObjectList, Model: "text-embedding-3-small",
				Data: []Embedding{{Index: 0, Vector: []float32{0.5, -1}}},
				Usage: &Usage{
					PromptTokens: 7, CompletionTokens: 3, TotalTokens: 7,
					PromptTokensDetails:     &PromptTokensDetails{CachedTokens: 1},
					CompletionTokensDetails: &CompletionTokensDetails{ReasoningTokens: 2},
				},
			},
			`{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.5,-1]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":7,"total_tokens":7}}`,
		},
		{
			"nil usage",
			EmbeddingResponse{Object: ObjectList, Model: "m", Data: []Embedding{}},
			`{"object":"list","data":[],"model":"m","usage":{"prompt_tokens":0,"total_tokens":0}}`,
		},
		{
			"base64 and empty vectors",
			EmbeddingResponse{Object: ObjectList, Model: "m", Data: []Embedding{
				{Index: 0, Vector: []float32{1}, Base64: true},
				{Index: 1},
			}},
			`{"object":"list","data":[{"object":"embedding","index":0,"embedding":"AACAPw=="},{"object":"embedding","index":1,"embedding":[]}],"model":"m","usage":{"prompt_tokens":0,"total_tokens":0}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.r)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestBase64VectorRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		v    []float32
		want string // the encoding, when known
	}{
		{"empty", []float32{}, ""},
		{"one", []float32{1}, "AACAPw=="},
		{"recorded first values", []float32{0.017608326, -0.045733217}, "Vj+QPMFSO70="},
		{"extremes", []float32{0, float32(math.Copysign(0, -1)), math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32}, ""},
		{"specials", []float32{float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := EncodeBase64Vector(tt.v)
			if tt.want != "" && s != tt.want {
				t.Errorf("got %q, want %q", s, tt.want)
			}
			got, err := DecodeBase64Vector(s)
			if err != nil {
				t.Fatal(err)
			}
			// Compare bits, so NaN and -0 count.
			if diff := cmp.Diff(float32Bits(tt.v), float32Bits(got)); diff != "" {
				t.Errorf("round trip mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func float32Bits(v []float32) []uint32 {
	out := make([]uint32, len(v))
	for i, f := range v {
		out[i] = math.Float32bits(f)
	}
	return out
}

func TestDecodeBase64VectorInvalid(t *testing.T) {
	tests := []struct{ name, in string }{
		{"not base64", "not base64!"},
		{"url alphabet", "Vj-QPMFSO70="},
		{"partial float", "AACA"}, // three bytes
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if v, err := DecodeBase64Vector(tt.in); err == nil {
				t.Errorf("got %v, want an error", v)
			}
		})
	}
}

// embeddingsOf decodes the vectors of a recorded embeddings response, in
// either encoding.
func embeddingsOf(t *testing.T, name string) [][]float32 {
	t.Helper()
	c := loadCassette(t, filepath.Join(cassetteDir, name))
	var resp struct {
		Data []struct {
			Embedding json.RawMessage `json:"embedding"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(c.Interactions[0].Response.Body), &resp); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var out [][]float32
	for _, d := range resp.Data {
		var vec []float32
		var s string
		if json.Unmarshal(d.Embedding, &s) == nil {
			var err error
			if vec, err = DecodeBase64Vector(s); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		} else if err := json.Unmarshal(d.Embedding, &vec); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, vec)
	}
	return out
}

func TestBase64Cassettes(t *testing.T) {
	cassettePaths(t)
	tests := []struct {
		name     string
		dims     int
		floatsIn string // a cassette of the same input in float encoding
	}{
		{"embeddings-base64.yaml", 1536, "embeddings-basic.yaml"},
		{"embeddings-tokens.yaml", 1536, ""},
		{"embeddings-dimensions.yaml", 256, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vecs := embeddingsOf(t, tt.name)
			if len(vecs) != 1 {
				t.Fatalf("got %d vectors, want 1", len(vecs))
			}
			got := vecs[0]
			if len(got) != tt.dims {
				t.Errorf("got %d dimensions, want %d", len(got), tt.dims)
			}
			var norm float64
			for i, f := range got {
				if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
					t.Fatalf("value %d is %v, want finite", i, f)
				}
				norm += float64(f) * float64(f)
			}
			// OpenAI's vectors are normalised to length 1.
			if math.Abs(norm-1) > 1e-3 {
				t.Errorf("got squared norm %v, want 1", norm)
			}
			if s := EncodeBase64Vector(got); len(s) != base64Len(4*tt.dims) {
				t.Errorf("got encoding of %d chars, want %d", len(s), base64Len(4*tt.dims))
			}
			if tt.floatsIn == "" {
				return
			}
			want := embeddingsOf(t, tt.floatsIn)[0]
			if len(want) != len(got) {
				t.Fatalf("got %d dimensions, float cassette has %d", len(got), len(want))
			}
			// Two calls of the same input may differ in the last bits.
			for i := range want {
				if math.Abs(float64(want[i]-got[i])) > 1e-4 {
					t.Fatalf("value %d: got %v, want %v", i, got[i], want[i])
				}
			}
		})
	}
}

func base64Len(n int) int { return (n + 2) / 3 * 4 }
