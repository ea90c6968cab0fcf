// Package kendra retrieves passages from an Amazon Kendra index with the
// Retrieve API (https://docs.aws.amazon.com/kendra/latest/APIReference/API_Retrieve.html),
// through the official aws-sdk-go-v2 client: its serialisers, SigV4
// signing, credential chain and retries.
//
// Kendra answers a Retrieve with passages of up to about 200 token words
// and a confidence bucket instead of a numeric score; ConfidenceScore says
// how the buckets map to retrieval.Hit.Score. The kendratest sub-package is
// an emulator of the same API for tests.
package kendra

import (
	"cmp"
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskendra "github.com/aws/aws-sdk-go-v2/service/kendra"
	"github.com/aws/aws-sdk-go-v2/service/kendra/types"

	"github.com/outcrop/outcrop/internal/retrieval"
	"github.com/outcrop/outcrop/internal/retrieval/awsretrieval"
)

// service is Kendra as awsretrieval names it.
var service = awsretrieval.Service{Name: "kendra", EndpointEnv: EnvEndpoint}

// Retriever searches one Kendra index. It is safe for concurrent use.
type Retriever struct {
	client   *awskendra.Client
	indexID  string
	pageSize int
	// filter is sent with every request; the SDK only reads it.
	filter *types.AttributeFilter
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
	client := awskendra.NewFromConfig(c.AWS, func(o *awskendra.Options) {
		if c.Endpoint != nil {
			o.BaseEndpoint = c.Endpoint
		}
	})
	return &Retriever{client: client, indexID: cfg.IndexID, pageSize: cmp.Or(cfg.PageSize, DefaultPageSize), filter: filter}, nil
}

// Retrieve asks Kendra for at most q.TopK passages (the configured page
// size when 0; Kendra returns 100 at most) and returns them in Kendra's
// order, best first, without those scoring below q.MinScore. An empty text
// or a negative TopK is retrieval.ErrBadQuery; Kendra's refusals are
// *Error.
func (r *Retriever) Retrieve(ctx context.Context, q retrieval.Query) ([]retrieval.Hit, error) {
	k, err := service.Limit(q, r.pageSize, MaxPageSize)
	if err != nil {
		return nil, err
	}
	out, err := r.client.Retrieve(ctx, &awskendra.RetrieveInput{
		IndexId:         aws.String(r.indexID),
		QueryText:       aws.String(q.Text),
		PageSize:        aws.Int32(int32(k)), // k is 1..MaxPageSize
		AttributeFilter: r.filter,
	})
	if err != nil {
		return nil, service.Classify(err, q.Text)
	}
	return hits(out.ResultItems, k, q.MinScore), nil
}
