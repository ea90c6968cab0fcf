package bedrockkbtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/outcrop/outcrop/internal/awstest"
)

// Limits of numberOfResults (KnowledgeBaseVectorSearchConfigurationNumberOfResultsInteger
// in botocore's bedrock-agent-runtime model) and the emulator's default
// when a request names none.
const (
	MinResults     = 1
	MaxResults     = 100
	DefaultResults = 5
)

// knowledgeBaseIDPattern is the knowledgeBaseId URI member: [0-9a-zA-Z]+,
// at most 10 characters (Bedrock API reference, Retrieve).
var knowledgeBaseIDPattern = regexp.MustCompile(`^[0-9a-zA-Z]+$`)

// nextTokenPattern is the NextToken shape's pattern, ^\S*$; it is also 1
// to 2048 characters long.
var nextTokenPattern = regexp.MustCompile(`^\S*$`)

// retrieveRequest is the body of RetrieveRequest as the SDK's
// serializers.go writes it (awsRestjson1_serializeOpDocumentRetrieveInput).
// Members the emulator does not act on (guardrailConfiguration,
// rerankingConfiguration, implicitFilterConfiguration) are ignored, and so
// is nextToken: the emulator returns everything on one page.
type retrieveRequest struct {
	RetrievalQuery *struct {
		Text *string `json:"text"`
	} `json:"retrievalQuery"`
	RetrievalConfiguration *struct {
		VectorSearchConfiguration *vectorSearch `json:"vectorSearchConfiguration"`
	} `json:"retrievalConfiguration"`
	NextToken *string `json:"nextToken"`
}

// vectorSearch is KnowledgeBaseVectorSearchConfiguration.
type vectorSearch struct {
	NumberOfResults    *int             `json:"numberOfResults"`
	OverrideSearchType *string          `json:"overrideSearchType"`
	Filter             *retrievalFilter `json:"filter"`
}

func (r *retrieveRequest) search() vectorSearch {
	if r.RetrievalConfiguration == nil || r.RetrievalConfiguration.VectorSearchConfiguration == nil {
		return vectorSearch{}
	}
	return *r.RetrievalConfiguration.VectorSearchConfiguration
}

// retrieveResponse is RetrieveResponse as the SDK's deserializers.go reads
// it.
type retrieveResponse struct {
	RetrievalResults []retrievalResult `json:"retrievalResults"`
}

type retrievalResult struct {
	Content  content        `json:"content"`
	Location map[string]any `json:"location,omitempty"`
	Metadata map[string]any `json:"metadata,omitempty"`
	Score    float64        `json:"score"`
}

type content struct {
	Text string `json:"text"`
	Type string `json:"type"`
}

// retrieve answers one authenticated Retrieve for knowledge base id:
// validation, then the knowledge base's existence, then a queued failure,
// then the results.
func (s *Server) retrieve(r *awstest.Request, id string) awstest.Answer {
	var req retrieveRequest
	if err := json.Unmarshal(r.Body, &req); err != nil {
		return validation("Malformed input request, please reformat your input and try again.").answer()
	}
	if e := checkRetrieve(id, &req); e != nil {
		return e.answer()
	}
	docs, ok := s.kbs[id]
	if !ok {
		return (&apiError{Code: CodeResourceNotFound, Message: fmt.Sprintf("Knowledge base %s is not found.", id)}).answer()
	}
	if f, ok := r.Failure(); ok {
		return (&apiError{Code: f.Code, Message: f.Message}).answer()
	}
	return results(&req, docs)
}

// checkRetrieve validates the path and body as the API constrains them.
func checkRetrieve(id string, req *retrieveRequest) *apiError {
	var v awstest.Violations
	switch {
	case len(id) > 10:
		v.Add(id, "knowledgeBaseId", "have length less than or equal to 10")
	case !knowledgeBaseIDPattern.MatchString(id):
		v.Add(id, "knowledgeBaseId", "satisfy regular expression pattern: [0-9a-zA-Z]+")
	}
	switch {
	case req.RetrievalQuery == nil:
		v.Add(nil, "retrievalQuery", "not be null")
	case req.RetrievalQuery.Text == nil:
		v.Add(nil, "retrievalQuery.text", "not be null")
	case strings.TrimSpace(*req.RetrievalQuery.Text) == "":
		v.Add(*req.RetrievalQuery.Text, "retrievalQuery.text", "have length greater than or equal to 1")
	}
	vs := req.search()
	const prefix = "retrievalConfiguration.vectorSearchConfiguration."
	if n := vs.NumberOfResults; n != nil && *n < MinResults {
		v.Add(*n, prefix+"numberOfResults", "have value greater than or equal to 1")
	} else if n != nil && *n > MaxResults {
		v.Add(*n, prefix+"numberOfResults", "have value less than or equal to 100")
	}
	if t := vs.OverrideSearchType; t != nil && *t != "HYBRID" && *t != "SEMANTIC" {
		v.Add(*t, prefix+"overrideSearchType", "satisfy enum value set: [HYBRID, SEMANTIC]")
	}
	if t := req.NextToken; t != nil && (len(*t) < 1 || len(*t) > 2048 || !nextTokenPattern.MatchString(*t)) {
		v.Add(*t, "nextToken", "satisfy regular expression pattern: ^\\S*$")
	}
	if e := invalid(v); e != nil {
		return e
	}
	if vs.Filter != nil {
		return checkFilter(vs.Filter, prefix+"filter")
	}
	return nil
}

// scored is a matching chunk and its score.
type scored struct {
	doc   Document
	meta  map[string]any
	score float64
}

// results searches docs for req, best first.
func results(req *retrieveRequest, docs []Document) awstest.Answer {
	vs := req.search()
	var found []scored
	for _, d := range docs {
		meta, err := d.metadata()
		if err != nil {
			return (&apiError{Code: CodeInternalServer, Message: err.Error()}).answer()
		}
		if vs.Filter != nil && !vs.Filter.match(meta) {
			continue
		}
		if sc := Score(*req.RetrievalQuery.Text, d); sc > 0 {
			found = append(found, scored{doc: d, meta: meta, score: sc})
		}
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].score > found[j].score })
	n := DefaultResults
	if vs.NumberOfResults != nil {
		n = *vs.NumberOfResults
	}
	found = found[:min(n, len(found))]

	out := retrieveResponse{RetrievalResults: make([]retrievalResult, 0, len(found))}
	for _, f := range found {
		out.RetrievalResults = append(out.RetrievalResults, retrievalResult{
			Content:  content{Text: f.doc.Text, Type: "TEXT"},
			Location: f.doc.Location.wire(),
			Metadata: f.meta,
			Score:    f.score,
		})
	}
	b, err := json.Marshal(out)
	if err != nil {
		return (&apiError{Code: CodeInternalServer, Message: err.Error()}).answer()
	}
	return awstest.Answer{Status: http.StatusOK, Body: b}
}
