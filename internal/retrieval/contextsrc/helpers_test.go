package contextsrc

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/redis/go-redis/v9"

	"github.com/outcrop/outcrop/internal/retrieval"
	"github.com/outcrop/outcrop/internal/testservice"
)

// testRegion and testCredentials are what the tests give the SDK;
// dynalite takes any.
const testRegion = "us-east-1"

var testCredentials = credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")

// dynamoEnv is one dynalite (or OUTCROP_TEST_DYNAMODB_URL) and an SDK
// client for setting tables up.
type dynamoEnv struct {
	endpoint string
	admin    *dynamodb.Client
}

func newDynamoEnv(t *testing.T) *dynamoEnv {
	t.Helper()
	u := testservice.Dynalite(t)
	admin := dynamodb.New(dynamodb.Options{
		Region:       testRegion,
		Credentials:  testCredentials,
		BaseEndpoint: aws.String(u),
	})
	return &dynamoEnv{endpoint: u, admin: admin}
}

// table creates a table of the test's own with a partition key only, and
// deletes it when the test ends (which matters on a shared server).
func (e *dynamoEnv) table(t *testing.T, keyAttr string, keyType types.ScalarAttributeType) string {
	t.Helper()
	ctx := context.Background()
	name := "outcrop_test_" + strings.ToLower(rand.Text()[:12])
	_, err := e.admin.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(keyAttr), AttributeType: keyType}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(keyAttr), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatalf("create table: %v", err)
	}
	t.Cleanup(func() {
		_, _ = e.admin.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	// dynalite runs with --createTableMs 0, but a real server takes a
	// while; the SDK's waiter starts polling only after 20s.
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := e.admin.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err == nil && out.Table.TableStatus == types.TableStatusActive {
			return name
		}
		if time.Now().After(deadline) {
			t.Fatalf("table %s not active after 30s (last error %v)", name, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *dynamoEnv) put(t *testing.T, table string, item map[string]types.AttributeValue) {
	t.Helper()
	_, err := e.admin.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item})
	if err != nil {
		t.Fatalf("put item: %v", err)
	}
}

// source returns a DynamoSource on table, pointed at the server.
func (e *dynamoEnv) source(t *testing.T, cfg DynamoConfig) *DynamoSource {
	t.Helper()
	cfg.Region = testRegion
	cfg.Credentials = testCredentials
	if cfg.Endpoint == "" {
		cfg.Endpoint = e.endpoint
	}
	s, err := NewDynamo(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

// redisEnv is the test's prefix on the real Redis and a client to check
// what the sources wrote.
type redisEnv struct {
	url, prefix string
	client      *redis.Client
}

func newRedisEnv(t *testing.T) *redisEnv {
	t.Helper()
	u, prefix := testservice.Redis(t)
	opts, err := redis.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	return &redisEnv{url: u, prefix: prefix, client: c}
}

// source returns a RedisSource under the test's prefix.
func (e *redisEnv) source(t *testing.T, hashField string) *RedisSource {
	t.Helper()
	s, err := NewRedis(RedisConfig{URL: e.url, KeyPrefix: e.prefix, HashField: hashField})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// downRedis is a RedisSource on a port nothing listens on.
func downRedis(t *testing.T) *RedisSource {
	t.Helper()
	s, err := NewRedis(RedisConfig{URL: "redis://" + testservice.FreePort(t) + "/0", KeyPrefix: "x:", Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// lookup calls Context and fails the test on an error.
func lookup(t *testing.T, src retrieval.ContextSource, key string) (string, bool) {
	t.Helper()
	text, found, err := src.Context(context.Background(), key)
	if err != nil {
		t.Fatalf("Context(%q): %v", key, err)
	}
	return text, found
}
