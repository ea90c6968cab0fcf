package contextsrc

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/outcrop/outcrop/internal/awsclient"
	"github.com/outcrop/outcrop/internal/retrieval"
)

// Defaults of DynamoConfig.
const (
	DefaultKeyAttribute     = "id"
	DefaultContextAttribute = "context"
)

// The partition key types DynamoConfig.KeyType takes.
const (
	KeyTypeString = "S"
	KeyTypeNumber = "N"
)

// DynamoConfig configures a DynamoSource.
type DynamoConfig struct {
	// Table is the table name, or its ARN. Required. Example "contexts".
	Table string
	// KeyAttribute is the table's partition key. The table must have no
	// sort key: GetItem needs the whole primary key. Default "id".
	KeyAttribute string
	// KeyType is the partition key's type: "S" (string) or "N" (number;
	// the key must then be a decimal number such as "42" or "-1.5e3").
	// Default "S".
	KeyType string
	// ContextAttribute is the top-level attribute holding the context; a
	// dot is part of the name, not a path. Default "context".
	ContextAttribute string
	// ConsistentRead asks for strongly consistent reads, at twice the
	// read capacity. Default false (eventually consistent).
	ConsistentRead bool
	// Region is the table's region. Default: the SDK's (AWS_REGION, the
	// profile's region).
	Region string
	// Endpoint overrides the service endpoint. Example
	// "http://127.0.0.1:8000". Default: the SDK's, which honours
	// AWS_ENDPOINT_URL_DYNAMODB, then AWS_ENDPOINT_URL.
	Endpoint string
	// Profile is the shared-config profile to load. Default: the SDK's
	// (AWS_PROFILE, else "default").
	Profile string
	// Credentials replaces the SDK's credential chain. Default: the
	// chain (environment, profile, container or instance role).
	Credentials aws.CredentialsProvider
	// HTTPClient sends the requests. Default: the SDK's.
	HTTPClient aws.HTTPClient
}

// tableName is DynamoDB's table name pattern (API reference, TableName).
var tableName = regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)

// number is DynamoDB's number syntax; checking it here makes a bad key a
// 400 rather than a ValidationException from the service.
var number = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$`)

// withDefaults returns c with the documented defaults in its zero fields.
func (c DynamoConfig) withDefaults() DynamoConfig {
	if c.KeyAttribute == "" {
		c.KeyAttribute = DefaultKeyAttribute
	}
	if c.KeyType == "" {
		c.KeyType = KeyTypeString
	}
	if c.ContextAttribute == "" {
		c.ContextAttribute = DefaultContextAttribute
	}
	return c
}

// Validate reports every problem of c (after defaults) at once.
func (c DynamoConfig) Validate() error {
	c = c.withDefaults()
	var errs []error
	if !tableName.MatchString(c.Table) && !strings.HasPrefix(c.Table, "arn:") {
		errs = append(errs, fmt.Errorf("table %q: want 3 to 255 of a-z A-Z 0-9 _ . -, or a table ARN", c.Table))
	}
	if c.KeyType != KeyTypeString && c.KeyType != KeyTypeNumber {
		errs = append(errs, fmt.Errorf("key type %q: want S or N", c.KeyType))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("contextsrc: dynamodb: %w", err)
	}
	return nil
}

// DynamoSource reads context from a DynamoDB table: one GetItem per
// lookup, projected on the context attribute.
type DynamoSource struct {
	client *dynamodb.Client
	cfg    DynamoConfig
}

var _ retrieval.ContextSource = (*DynamoSource)(nil)

// NewDynamo validates cfg and builds the SDK client. It sends nothing: a
// missing table shows at the first lookup.
func NewDynamo(ctx context.Context, cfg DynamoConfig) (*DynamoSource, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	var opts []func(*config.LoadOptions) error
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	if cfg.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(cfg.Profile))
	}
	if cfg.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(cfg.Credentials))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("contextsrc: dynamodb: load AWS configuration: %w", err)
	}
	if awsCfg.Region == "" {
		// The SDK would fail each lookup with a less helpful message.
		return nil, errors.New("contextsrc: dynamodb: no AWS region: set the region or AWS_REGION")
	}
	client := dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
		// Set on the client rather than the loaded configuration, which
		// refuses a plain *http.Client when AWS_CA_BUNDLE is set.
		if cfg.HTTPClient != nil {
			o.HTTPClient = cfg.HTTPClient
		}
		o.HTTPClient = awsclient.HTTP(o.HTTPClient)
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
	})
	return &DynamoSource{client: client, cfg: cfg}, nil
}

// Context implements retrieval.ContextSource with GetItem. A missing item,
// or an item without the context attribute, is found=false; how the
// attribute's types become text is attrText's.
func (s *DynamoSource) Context(ctx context.Context, key string) (string, bool, error) {
	in, err := s.getItem(key)
	if err != nil {
		return "", false, err
	}
	out, err := s.client.GetItem(ctx, in)
	if err != nil {
		if _, ok := errors.AsType[*types.ResourceNotFoundException](err); ok {
			return "", false, fmt.Errorf("contextsrc: dynamodb table %q not found (ResourceNotFoundException): %w", s.cfg.Table, err)
		}
		return "", false, fmt.Errorf("contextsrc: dynamodb GetItem on table %q: %w", s.cfg.Table, err)
	}
	av, ok := out.Item[s.cfg.ContextAttribute]
	if !ok {
		return "", false, nil
	}
	text, found, err := attrText(av)
	if err != nil {
		return "", false, fmt.Errorf("contextsrc: dynamodb table %q, attribute %q: %w", s.cfg.Table, s.cfg.ContextAttribute, err)
	}
	return text, found, nil
}

// getItem builds the request for key. The projection goes through an
// expression attribute name so that any attribute name works: a reserved
// word such as "data" or "comment", which a bare ProjectionExpression
// refuses (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ReservedWords.html),
// and a name with a dot, which it would read as a path. ("context" itself
// is not on that list.)
func (s *DynamoSource) getItem(key string) (*dynamodb.GetItemInput, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	var kv types.AttributeValue = &types.AttributeValueMemberS{Value: key}
	if s.cfg.KeyType == KeyTypeNumber {
		if !number.MatchString(key) {
			return nil, fmt.Errorf("%w: context key is not a number, and the table's key type is N", retrieval.ErrBadQuery)
		}
		kv = &types.AttributeValueMemberN{Value: key}
	}
	return &dynamodb.GetItemInput{
		TableName:                aws.String(s.cfg.Table),
		Key:                      map[string]types.AttributeValue{s.cfg.KeyAttribute: kv},
		ConsistentRead:           aws.Bool(s.cfg.ConsistentRead),
		ProjectionExpression:     aws.String("#c"),
		ExpressionAttributeNames: map[string]string{"#c": s.cfg.ContextAttribute},
	}, nil
}
