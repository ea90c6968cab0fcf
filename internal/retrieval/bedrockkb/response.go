package bedrockkb

import (
	"encoding/json"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/types"

	"github.com/outcrop/outcrop/internal/retrieval"
)

// Metadata keys Knowledge Bases add to every chunk, seen in public
// recordings of Retrieve (e.g. aws-samples notebooks): the chunk's ID,
// used as the hit's ID, the data source and the source URI.
const (
	MetaChunkID    = "x-amz-bedrock-kb-chunk-id"
	MetaDataSource = "x-amz-bedrock-kb-data-source-id"
	MetaSourceURI  = "x-amz-bedrock-kb-source-uri"
	// MetaKendraTitle is the document title a knowledge base on an Amazon
	// Kendra GenAI index adds
	// (https://docs.aws.amazon.com/bedrock/latest/userguide/kb-test-kendra.html).
	MetaKendraTitle = "x-amz-kendra-document-title"
)

// hits maps the retrieval results, in the service's order, to at most k
// hits scoring at least minScore. A result without text (an image, bytes)
// is left out.
func hits(results []types.KnowledgeBaseRetrievalResult, k int, minScore float64) []retrieval.Hit {
	out := make([]retrieval.Hit, 0, min(len(results), k))
	for i := range results {
		if len(out) == k {
			break
		}
		res := &results[i]
		text := contentText(res.Content)
		if text == "" {
			continue
		}
		h := retrieval.Hit{Text: text, Source: source(res.Location), Metadata: metadata(res.Metadata)}
		if res.Score != nil {
			h.Score = *res.Score
		}
		if h.Score < minScore {
			continue
		}
		h.ID, h.Title = h.Metadata[MetaChunkID], h.Metadata[MetaKendraTitle]
		out = append(out, h)
	}
	return out
}

// contentText is a chunk's text, or a structured row rendered as
// "column: value" lines (content type ROW, from structured data stores).
func contentText(c *types.RetrievalResultContent) string {
	if c == nil {
		return ""
	}
	if c.Text != nil {
		return *c.Text
	}
	var b strings.Builder
	for _, col := range c.Row {
		if col.ColumnName == nil || col.ColumnValue == nil {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(*col.ColumnName + ": " + *col.ColumnValue)
	}
	return b.String()
}

// source is the location of the chunk's document: whichever of the S3
// URI, web, Confluence, Salesforce or SharePoint URL, custom document ID
// or Kendra document URI is set (RetrievalResultLocation in the SDK's
// types.go). An SQL location is a query, not a source, and is left out.
func source(l *types.RetrievalResultLocation) string {
	if l == nil {
		return ""
	}
	var candidates []*string
	if l.S3Location != nil {
		candidates = append(candidates, l.S3Location.Uri)
	}
	if l.WebLocation != nil {
		candidates = append(candidates, l.WebLocation.Url)
	}
	if l.ConfluenceLocation != nil {
		candidates = append(candidates, l.ConfluenceLocation.Url)
	}
	if l.SalesforceLocation != nil {
		candidates = append(candidates, l.SalesforceLocation.Url)
	}
	if l.SharePointLocation != nil {
		candidates = append(candidates, l.SharePointLocation.Url)
	}
	if l.CustomDocumentLocation != nil {
		candidates = append(candidates, l.CustomDocumentLocation.Id)
	}
	if l.KendraDocumentLocation != nil {
		candidates = append(candidates, l.KendraDocumentLocation.Uri)
	}
	for _, c := range candidates {
		if c != nil && *c != "" {
			return *c
		}
	}
	return ""
}

// metadata renders the chunk's metadata as strings: a JSON string as is,
// any other value (number, boolean, list) as its JSON text. The SDK
// decodes each value into a document holding the decoded JSON
// (deserializers.go, RetrievalResultMetadataValue), which marshals back to
// the bytes received.
func metadata(m map[string]document.Interface) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if v == nil {
			continue
		}
		b, err := v.MarshalSmithyDocument()
		if err != nil || string(b) == "null" {
			continue
		}
		var s string
		if json.Unmarshal(b, &s) == nil {
			out[k] = s
			continue
		}
		out[k] = string(b)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
