package bedrockkbtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/outcrop/outcrop/internal/awstest"
)

// The location types of RetrievalResultLocationType (the SDK's
// types/enums.go).
const (
	LocationS3         = "S3"
	LocationWeb        = "WEB"
	LocationConfluence = "CONFLUENCE"
	LocationSalesforce = "SALESFORCE"
	LocationSharePoint = "SHAREPOINT"
	LocationCustom     = "CUSTOM"
	LocationKendra     = "KENDRA"
)

// Metadata keys Knowledge Bases add to every chunk, as seen in public
// recordings of Retrieve.
const (
	MetaChunkID    = "x-amz-bedrock-kb-chunk-id"
	MetaDataSource = "x-amz-bedrock-kb-data-source-id"
	MetaSourceURI  = "x-amz-bedrock-kb-source-uri"
)

// Document is one document of a knowledge base, served as a single chunk.
type Document struct {
	// Text is the chunk served as content.text, and what queries are
	// scored against.
	Text string
	// Location is where the document lives; the zero Location leaves
	// location out.
	Location Location
	// Metadata are the document's metadata attributes, JSON values
	// (string, number, bool, []string, []any), matched by filters and
	// served with the keys Knowledge Bases add unless set here.
	Metadata map[string]any
	// ChunkID is the x-amz-bedrock-kb-chunk-id; default one derived from
	// the text.
	ChunkID string
}

// Location is a RetrievalResultLocation: a type and the one URI, URL or ID
// its member carries.
type Location struct {
	// Type is one of the Location constants; default LocationS3 when URI
	// is set.
	Type string
	// URI is the S3 URI, the web, Confluence, Salesforce or SharePoint
	// URL, the custom document ID or the Kendra document URI.
	URI string
}

// locationMembers are the member and field of each location type, as the
// SDK's deserializers.go reads them (s3Location.uri, webLocation.url,
// customDocumentLocation.id, ...).
var locationMembers = map[string][2]string{
	LocationS3: {"s3Location", "uri"}, LocationWeb: {"webLocation", "url"},
	LocationConfluence: {"confluenceLocation", "url"}, LocationSalesforce: {"salesforceLocation", "url"},
	LocationSharePoint: {"sharePointLocation", "url"}, LocationCustom: {"customDocumentLocation", "id"},
	LocationKendra: {"kendraDocumentLocation", "uri"},
}

// wire renders l as {"type":T,"<member>":{"<field>":URI}}; an unknown type
// is sent alone.
func (l Location) wire() map[string]any {
	if l == (Location{}) {
		return nil
	}
	t := l.Type
	if t == "" {
		t = LocationS3
	}
	out := map[string]any{"type": t}
	if m, ok := locationMembers[t]; ok {
		out[m[0]] = map[string]string{m[1]: l.URI}
	}
	return out
}

// metadata returns the chunk's metadata as JSON values (numbers as
// json.Number), with the keys Knowledge Bases add.
func (d Document) metadata() (map[string]any, error) {
	b, err := json.Marshal(d.Metadata)
	if err != nil {
		return nil, fmt.Errorf("document metadata: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("document metadata: %w", err)
	}
	if m == nil {
		m = map[string]any{}
	}
	defaults := map[string]string{MetaChunkID: d.chunkID(), MetaDataSource: DataSourceID}
	if d.Location.URI != "" && (d.Location.Type == "" || d.Location.Type == LocationS3) {
		defaults[MetaSourceURI] = d.Location.URI
	}
	for k, v := range defaults {
		if _, set := m[k]; !set {
			m[k] = v
		}
	}
	return m, nil
}

// chunkID is ChunkID, or one shaped like Knowledge Bases' own
// ("1%3A0%3A" and an ID) derived from the text.
func (d Document) chunkID() string {
	if d.ChunkID != "" {
		return d.ChunkID
	}
	sum := sha256.Sum256([]byte(d.Text))
	return "1%3A0%3A" + hex.EncodeToString(sum[:10])
}

// Score is the emulator's relevance of a document to a query, served as
// score: the share of the query's distinct words (stop words left out)
// found in the document's text, 0 to 1 (awstest.Score). A document
// scoring 0 is not returned.
func Score(query string, d Document) float64 { return awstest.Score(query, d.Text) }
