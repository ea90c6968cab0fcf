package bedrocktest_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/provider/bedrock/bedrocktest"
)

func embedServer(t *testing.T) *bedrocktest.Server {
	t.Helper()
	return bedrocktest.New(t, bedrocktest.WithModels(append(bedrocktest.DefaultModels(), bedrocktest.ExtraEmbeddingModels()...)...))
}

func TestInvokeModelNovaEmbeddings(t *testing.T) {
	s := embedServer(t)
	tests := []struct {
		name string
		dims string
		want int
	}{
		{"default size", "", bedrocktest.NovaDims},
		{"256", `,"embeddingDimension":256`, 256},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"taskType":"SINGLE_EMBEDDING","singleEmbeddingParams":{"embeddingPurpose":"GENERIC_INDEX"` + tt.dims +
				`,"text":{"truncationMode":"NONE","value":"hello world"}}}`
			out, err := invoke(t, s, bedrocktest.NovaEmbeddingsID, body)
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				Embeddings []struct {
					EmbeddingType string    `json:"embeddingType"`
					Embedding     []float32 `json:"embedding"`
				} `json:"embeddings"`
			}
			if err := json.Unmarshal(out.Body, &got); err != nil {
				t.Fatal(err)
			}
			if len(got.Embeddings) != 1 || got.Embeddings[0].EmbeddingType != "TEXT" {
				t.Fatalf("got %s, want one TEXT embedding", out.Body)
			}
			want := bedrocktest.Embedding(bedrocktest.NovaEmbeddingsID, "hello world", tt.want, true)
			if diff := cmp.Diff(want, got.Embeddings[0].Embedding); diff != "" {
				t.Errorf("embedding mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInvokeModelCohereV4Dimension(t *testing.T) {
	s := embedServer(t)
	for _, tt := range []struct {
		name, extra string
		want        int
	}{
		{"default", "", bedrocktest.CohereV4Dims},
		{"512", `,"output_dimension":512`, 512},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := invoke(t, s, bedrocktest.CohereEmbedV4ID, `{"texts":["a b"],"input_type":"search_query","embedding_types":["float"]`+tt.extra+`}`)
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				Embeddings struct {
					Float [][]float32 `json:"float"`
				} `json:"embeddings"`
			}
			if err := json.Unmarshal(out.Body, &got); err != nil {
				t.Fatal(err)
			}
			if len(got.Embeddings.Float) != 1 || len(got.Embeddings.Float[0]) != tt.want {
				t.Errorf("got %d vectors, want 1 of %d dimensions", len(got.Embeddings.Float), tt.want)
			}
		})
	}
}

func TestInvokeModelEmbeddingErrors(t *testing.T) {
	s := embedServer(t)
	tests := []struct {
		name, model, body string
	}{
		{"nova bad dimension", bedrocktest.NovaEmbeddingsID, `{"taskType":"SINGLE_EMBEDDING","singleEmbeddingParams":{"embeddingPurpose":"GENERIC_INDEX","embeddingDimension":512,"text":{"truncationMode":"END","value":"x"}}}`},
		{"nova no text", bedrocktest.NovaEmbeddingsID, `{"taskType":"SINGLE_EMBEDDING","singleEmbeddingParams":{"embeddingPurpose":"GENERIC_INDEX"}}`},
		{"nova segmented", bedrocktest.NovaEmbeddingsID, `{"taskType":"SEGMENTED_EMBEDDING","singleEmbeddingParams":{"embeddingPurpose":"GENERIC_INDEX","text":{"truncationMode":"END","value":"x"}}}`},
		{"cohere v4 bad dimension", bedrocktest.CohereEmbedV4ID, `{"texts":["x"],"input_type":"search_query","output_dimension":300}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := invoke(t, s, tt.model, tt.body)
			if code, status := apiError(t, err); code != "ValidationException" || status != 400 {
				t.Errorf("got %s %d, want ValidationException 400", code, status)
			}
		})
	}
}
