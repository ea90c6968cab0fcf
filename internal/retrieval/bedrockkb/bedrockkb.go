// Package bedrockkb retrieves passages from an Amazon Bedrock knowledge
// base with the bedrock-agent-runtime Retrieve API
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent-runtime_Retrieve.html),
// through the official aws-sdk-go-v2 client: its REST-JSON serialisers,
// SigV4 signing (signing name "bedrock"), credential chain and retries.
//
// Knowledge Bases score each chunk (higher is better) and say where it
// came from (an S3 object, a web page, a Confluence, Salesforce or
// SharePoint page, a custom document); metadata filters are sent as a
// RetrievalFilter. The bedrockkbtest sub-package is an emulator of the
// same API for tests.
package bedrockkb

import (
	"cmp"
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/types"

	"github.com/outcrop/outcrop/internal/retrieval"
	"github.com/outcrop/outcrop/internal/retrieval/awsretrieval"
)

// service is Knowledge Bases' runtime as awsretrieval names it.
var service = awsretrieval.Service{Name: "bedrock knowledge base", EndpointEnv: EnvEndpoint}

// Retriever searches one knowledge base. It is safe for concurrent use.
type Retriever struct {
	client     *bedrockagentruntime.Client
	kbID       string
	topK       int
	filter     types.RetrievalFilter // sent with every request; only read
	searchType types.SearchType
}

var _ retrieval.Retriever = (*Retriever)(nil)

// New validates cfg and builds the SDK client: the region, profile and
// credentials come from cfg, then getenv (AWS_REGION, AWS_DEFAULT_REGION
// and the endpoint variables), then the SDK's default chain (environment,
// shared files, SSO, web identity, container and instance roles). It calls
// nothing. A nil getenv reads nothing.
func New(ctx context.Context, cfg Config, getenv func(string) string) (*Retriever, error) {
	filter, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	c, err := service.Load(ctx, cfg.client(), getenv)
	if err != nil {
		return nil, err
	}
	client := bedrockagentruntime.NewFromConfig(c.AWS, func(o *bedrockagentruntime.Options) {
		if c.Endpoint != nil {
			o.BaseEndpoint = c.Endpoint
		}
	})
	return &Retriever{
		client: client, kbID: cfg.KnowledgeBaseID, topK: cmp.Or(cfg.TopK, DefaultTopK),
		filter: filter, searchType: types.SearchType(cfg.SearchType),
	}, nil
}

// Retrieve asks the knowledge base for at most q.TopK chunks (the
// configured TopK when 0; 100 at most, the API's limit) and returns those
// with text, in the knowledge base's order (best first), without those
// scoring below q.MinScore. An empty text or a negative TopK is
// retrieval.ErrBadQuery; the service's refusals are *Error.
func (r *Retriever) Retrieve(ctx context.Context, q retrieval.Query) ([]retrieval.Hit, error) {
	k, err := service.Limit(q, r.topK, MaxTopK)
	if err != nil {
		return nil, err
	}
	out, err := r.client.Retrieve(ctx, &bedrockagentruntime.RetrieveInput{
		KnowledgeBaseId: aws.String(r.kbID),
		RetrievalQuery:  &types.KnowledgeBaseQuery{Text: aws.String(q.Text)},
		RetrievalConfiguration: &types.KnowledgeBaseRetrievalConfiguration{
			VectorSearchConfiguration: &types.KnowledgeBaseVectorSearchConfiguration{
				NumberOfResults:    aws.Int32(int32(k)), // k is 1..MaxTopK
				Filter:             r.filter,
				OverrideSearchType: r.searchType,
			},
		},
	})
	if err != nil {
		return nil, service.Classify(err, q.Text)
	}
	return hits(out.RetrievalResults, k, q.MinScore), nil
}
