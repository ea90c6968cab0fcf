package bedrockkb

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/types"
	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/retrieval"
)

// TestSource checks each location kind gives the hit's source.
func TestSource(t *testing.T) {
	tests := []struct {
		name string
		loc  *types.RetrievalResultLocation
		want string
	}{
		{"none", nil, ""},
		{"s3", &types.RetrievalResultLocation{S3Location: &types.RetrievalResultS3Location{Uri: aws.String("s3://b/k")}}, "s3://b/k"},
		{"web", &types.RetrievalResultLocation{WebLocation: &types.RetrievalResultWebLocation{Url: aws.String("https://w")}}, "https://w"},
		{"confluence", &types.RetrievalResultLocation{ConfluenceLocation: &types.RetrievalResultConfluenceLocation{Url: aws.String("https://c")}}, "https://c"},
		{"salesforce", &types.RetrievalResultLocation{SalesforceLocation: &types.RetrievalResultSalesforceLocation{Url: aws.String("https://sf")}}, "https://sf"},
		{"sharepoint", &types.RetrievalResultLocation{SharePointLocation: &types.RetrievalResultSharePointLocation{Url: aws.String("https://sp")}}, "https://sp"},
		{"custom", &types.RetrievalResultLocation{CustomDocumentLocation: &types.RetrievalResultCustomDocumentLocation{Id: aws.String("doc-7")}}, "doc-7"},
		{"kendra", &types.RetrievalResultLocation{KendraDocumentLocation: &types.RetrievalResultKendraDocumentLocation{Uri: aws.String("https://k")}}, "https://k"},
		{"sql is no source", &types.RetrievalResultLocation{SqlLocation: &types.RetrievalResultSqlLocation{Query: aws.String("SELECT 1")}}, ""},
		{"empty member skipped", &types.RetrievalResultLocation{
			S3Location: &types.RetrievalResultS3Location{}, WebLocation: &types.RetrievalResultWebLocation{Url: aws.String("https://w")},
		}, "https://w"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := source(tt.loc); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestHitsContent checks rows are rendered, results without text left
// out, and the Kendra title and chunk ID taken from the metadata.
func TestHitsContent(t *testing.T) {
	results := []types.KnowledgeBaseRetrievalResult{
		{Content: &types.RetrievalResultContent{Type: types.RetrievalResultContentTypeImage, ByteContent: aws.String("iVBORw0KGgo=")}, Score: aws.Float64(0.9)},
		{Content: &types.RetrievalResultContent{Type: types.RetrievalResultContentTypeRow, Row: []types.RetrievalResultContentColumn{
			{ColumnName: aws.String("sku"), ColumnValue: aws.String("A-1")}, {ColumnName: aws.String("price"), ColumnValue: aws.String("9.50")},
		}}, Score: aws.Float64(0.8)},
		{
			Content: &types.RetrievalResultContent{Text: aws.String("Kendra passage")}, Score: aws.Float64(0.7),
			Metadata: map[string]document.Interface{
				MetaKendraTitle: document.NewLazyDocument("Handbook"),
				MetaChunkID:     document.NewLazyDocument("c-1"),
				"pages":         document.NewLazyDocument([]int{1, 2}),
				"none":          document.NewLazyDocument(nil),
			},
		},
		{Content: &types.RetrievalResultContent{Text: aws.String("unscored")}},
	}
	want := []retrieval.Hit{
		{Text: "sku: A-1\nprice: 9.50", Score: 0.8},
		{
			ID: "c-1", Text: "Kendra passage", Score: 0.7, Title: "Handbook",
			Metadata: map[string]string{MetaKendraTitle: "Handbook", MetaChunkID: "c-1", "pages": "[1,2]"},
		},
		{Text: "unscored"},
	}
	if diff := cmp.Diff(want, hits(results, 10, 0)); diff != "" {
		t.Errorf("hits (-want +got):\n%s", diff)
	}
	if got := hits(results, 1, 0); len(got) != 1 || got[0].Score != 0.8 {
		t.Errorf("got %+v, want the row only", got)
	}
	if got := hits(results, 10, 0.75); len(got) != 1 {
		t.Errorf("got %+v, want the row only above 0.75", got)
	}
}
