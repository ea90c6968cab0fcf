package kendratest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/outcrop/outcrop/internal/awstest"
)

// MaxPageSize is the most results Retrieve returns: "If you ask for more
// than 100 results, only 100 are returned" (RetrieveRequest.PageSize in
// the model), so a larger PageSize is cut, not refused.
const MaxPageSize = 100

// defaultPageSize is Kendra's default PageSize.
const defaultPageSize = 10

// indexIDPattern is the IndexId shape of the model: 36 characters of
// [a-zA-Z0-9][a-zA-Z0-9-]*.
var indexIDPattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9-]*$`)

// retrieveRequest is the RetrieveRequest shape of the model (members the
// emulator does not act on, such as UserContext, are accepted and
// ignored).
type retrieveRequest struct {
	IndexID                     *string          `json:"IndexId"`
	QueryText                   *string          `json:"QueryText"`
	AttributeFilter             *attributeFilter `json:"AttributeFilter"`
	RequestedDocumentAttributes []string         `json:"RequestedDocumentAttributes"`
	PageNumber                  *int             `json:"PageNumber"`
	PageSize                    *int             `json:"PageSize"`
}

// retrieveResult is the RetrieveResult shape.
type retrieveResult struct {
	QueryID     string       `json:"QueryId"`
	ResultItems []resultItem `json:"ResultItems"`
}

// resultItem is the RetrieveResultItem shape.
type resultItem struct {
	ID                 string          `json:"Id"`
	DocumentID         string          `json:"DocumentId"`
	DocumentTitle      string          `json:"DocumentTitle,omitempty"`
	Content            string          `json:"Content"`
	DocumentURI        string          `json:"DocumentURI,omitempty"`
	DocumentAttributes []wireAttribute `json:"DocumentAttributes,omitempty"`
	ScoreAttributes    scoreAttributes `json:"ScoreAttributes"`
}

type wireAttribute struct {
	Key   string `json:"Key"`
	Value Value  `json:"Value"`
}

type scoreAttributes struct {
	ScoreConfidence string `json:"ScoreConfidence"`
}

// retrieve answers one authenticated Retrieve: validation, then the
// index's existence, then a queued failure, then the results.
func (s *Server) retrieve(r *awstest.Request) awstest.Answer {
	var req retrieveRequest
	if err := json.Unmarshal(r.Body, &req); err != nil {
		return (&apiError{Code: CodeSerialization, Message: "Start of structure or map found where not expected."}).answer()
	}
	if e := checkRetrieve(&req); e != nil {
		return e.answer()
	}
	docs, ok := s.indexes[*req.IndexID]
	if !ok {
		return (&apiError{
			Code: CodeResourceNotFound, Capital: true,
			Message: fmt.Sprintf("Index %s does not exist.", *req.IndexID),
		}).answer()
	}
	if f, ok := r.Failure(); ok {
		return failed(f).answer()
	}
	return s.results(&req, docs)
}

// checkRetrieve validates req's members as the model constrains them.
func checkRetrieve(req *retrieveRequest) *apiError {
	var v awstest.Violations
	switch {
	case req.IndexID == nil:
		v.Add(nil, "indexId", "not be null")
	case len(*req.IndexID) < 36:
		v.Add(*req.IndexID, "indexId", "have length greater than or equal to 36")
	case len(*req.IndexID) > 36:
		v.Add(*req.IndexID, "indexId", "have length less than or equal to 36")
	case !indexIDPattern.MatchString(*req.IndexID):
		v.Add(*req.IndexID, "indexId", "satisfy regular expression pattern: [a-zA-Z0-9][a-zA-Z0-9-]*")
	}
	if req.QueryText == nil {
		v.Add(nil, "queryText", "not be null")
	}
	if req.PageSize != nil && *req.PageSize < 1 {
		v.Add(*req.PageSize, "pageSize", "have value greater than or equal to 1")
	}
	if req.PageNumber != nil && *req.PageNumber < 1 {
		v.Add(*req.PageNumber, "pageNumber", "have value greater than or equal to 1")
	}
	if e := invalid(v); e != nil {
		return e
	}
	if strings.TrimSpace(*req.QueryText) == "" {
		return validation("The query text can't be empty. Provide a query text and try again.")
	}
	if req.AttributeFilter != nil {
		return checkFilter(req.AttributeFilter)
	}
	return nil
}

// scored is a matching document and its score.
type scored struct {
	doc   Document
	n     int // position in the index, from 1
	score float64
}

// results searches docs for req and renders the page asked for.
func (s *Server) results(req *retrieveRequest, docs []Document) awstest.Answer {
	var found []scored
	for i, d := range docs {
		if req.AttributeFilter != nil && !req.AttributeFilter.match(d.Attributes) {
			continue
		}
		if sc := Score(*req.QueryText, d); sc > 0 {
			found = append(found, scored{doc: d, n: i + 1, score: sc})
		}
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].score > found[j].score })

	size, page := defaultPageSize, 1
	if req.PageSize != nil {
		size = min(*req.PageSize, MaxPageSize)
	}
	if req.PageNumber != nil {
		page = *req.PageNumber
	}
	start := min((page-1)*size, len(found))
	found = found[start:min(start+size, len(found))]

	queryID := s.queryID()
	out := retrieveResult{QueryID: queryID, ResultItems: make([]resultItem, 0, len(found))}
	for _, f := range found {
		out.ResultItems = append(out.ResultItems, item(queryID, f, req.RequestedDocumentAttributes))
	}
	b, _ := json.Marshal(out) // strings, numbers and Values always encode
	return awstest.Answer{Status: http.StatusOK, Body: b}
}

// queryID returns a fresh UUID-shaped QueryId.
func (s *Server) queryID() string {
	return fmt.Sprintf("9a8b7c6d-0000-4000-8000-%012d", s.queries.Add(1))
}

func item(queryID string, f scored, requested []string) resultItem {
	id := f.doc.ID
	if id == "" {
		id = fmt.Sprintf("doc-%d", f.n)
	}
	sum := sha256.Sum256([]byte(id))
	conf := f.doc.Confidence
	if conf == "" {
		conf = Confidence(f.score)
	}
	it := resultItem{
		// A result ID is the query's and the passage's, at most 73
		// characters (ResultId in the model).
		ID:         queryID + "-" + hex.EncodeToString(sum[:4]),
		DocumentID: id, DocumentTitle: f.doc.Title, Content: f.doc.Text, DocumentURI: f.doc.URI,
		ScoreAttributes: scoreAttributes{ScoreConfidence: conf},
	}
	keys := make([]string, 0, len(f.doc.Attributes))
	for k := range f.doc.Attributes {
		if requested == nil || slices.Contains(requested, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		it.DocumentAttributes = append(it.DocumentAttributes, wireAttribute{Key: k, Value: f.doc.Attributes[k]})
	}
	return it
}
