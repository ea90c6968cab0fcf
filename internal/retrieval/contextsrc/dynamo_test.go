package contextsrc

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/outcrop/outcrop/internal/retrieval"
)

func TestDynamoSource(t *testing.T) {
	env := newDynamoEnv(t)
	table := env.table(t, "id", types.ScalarAttributeTypeS)
	items := map[string]types.AttributeValue{
		"text":   str("prefers metric units"),
		"map":    &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"plan": str("pro"), "seats": &types.AttributeValueMemberN{Value: "3"}}},
		"list":   &types.AttributeValueMemberL{Value: []types.AttributeValue{str("a"), &types.AttributeValueMemberBOOL{Value: true}}},
		"number": &types.AttributeValueMemberN{Value: "2.5"},
		"binary": &types.AttributeValueMemberB{Value: []byte("stored as bytes")},
		"null":   &types.AttributeValueMemberNULL{Value: true},
	}
	for id, av := range items {
		env.put(t, table, map[string]types.AttributeValue{
			"id": str(id), "context": av,
			// Not projected: GetItem must return the context attribute only.
			"big": str(strings.Repeat("x", 1000)),
		})
	}
	env.put(t, table, map[string]types.AttributeValue{"id": str("no-context"), "other": str("x")})
	src := env.source(t, DynamoConfig{Table: table})

	tests := []struct {
		key   string
		want  string
		found bool
	}{
		{"text", "prefers metric units", true},
		{"map", `{"plan":"pro","seats":3}`, true},
		{"list", `["a",true]`, true},
		{"number", "2.5", true},
		{"binary", "stored as bytes", true},
		{"null", "", false},
		{"no-context", "", false},
		{"missing", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			text, found := lookup(t, src, tt.key)
			if text != tt.want || found != tt.found {
				t.Fatalf("got %q, %v; want %q, %v", text, found, tt.want, tt.found)
			}
		})
	}
}

func TestDynamoSourceOptions(t *testing.T) {
	env := newDynamoEnv(t)
	table := env.table(t, "pk", types.ScalarAttributeTypeS)
	// A dot is part of the attribute's name: the projection must not read
	// it as a path into a map "ctx".
	env.put(t, table, map[string]types.AttributeValue{"pk": str("k"), "ctx.v2": str("dotted"), "ctx": str("wrong")})
	src := env.source(t, DynamoConfig{Table: table, KeyAttribute: "pk", ContextAttribute: "ctx.v2", ConsistentRead: true})
	if text, found := lookup(t, src, "k"); !found || text != "dotted" {
		t.Fatalf("got %q, %v; want dotted, true", text, found)
	}
}

func TestDynamoSourceNumericKey(t *testing.T) {
	env := newDynamoEnv(t)
	table := env.table(t, "id", types.ScalarAttributeTypeN)
	env.put(t, table, map[string]types.AttributeValue{"id": &types.AttributeValueMemberN{Value: "42"}, "context": str("forty-two")})
	src := env.source(t, DynamoConfig{Table: table, KeyType: KeyTypeNumber})
	for _, key := range []string{"42", "42.0", "4.2e1"} {
		if text, found := lookup(t, src, key); !found || text != "forty-two" {
			t.Fatalf("key %s: got %q, %v; want forty-two, true (DynamoDB compares numbers by value)", key, text, found)
		}
	}
	if _, found := lookup(t, src, "7"); found {
		t.Fatal("key 7 was found")
	}
	if _, _, err := src.Context(context.Background(), "forty"); !errors.Is(err, retrieval.ErrBadQuery) {
		t.Fatalf("non-numeric key: got %v, want ErrBadQuery", err)
	}
}

func TestDynamoSourceBinaryNotText(t *testing.T) {
	env := newDynamoEnv(t)
	table := env.table(t, "id", types.ScalarAttributeTypeS)
	env.put(t, table, map[string]types.AttributeValue{"id": str("gz"), "context": &types.AttributeValueMemberB{Value: []byte{0x1f, 0x8b, 0x08, 0xff}}})
	src := env.source(t, DynamoConfig{Table: table})
	_, _, err := src.Context(context.Background(), "gz")
	if !errors.Is(err, errNotText) {
		t.Fatalf("got %v, want errNotText", err)
	}
}

func TestDynamoSourceTableMissing(t *testing.T) {
	env := newDynamoEnv(t)
	src := env.source(t, DynamoConfig{Table: "no_such_table"})
	_, _, err := src.Context(context.Background(), "k")
	if _, ok := errors.AsType[*types.ResourceNotFoundException](err); !ok {
		t.Fatalf("got %v, want a ResourceNotFoundException", err)
	}
	if !strings.Contains(err.Error(), `table "no_such_table" not found`) {
		t.Fatalf("got %q, want it to name the table", err)
	}
}

func TestDynamoSourceEndpointFromEnv(t *testing.T) {
	env := newDynamoEnv(t)
	table := env.table(t, "id", types.ScalarAttributeTypeS)
	env.put(t, table, map[string]types.AttributeValue{"id": str("k"), "context": str("via env")})
	// The SDK reads the service's endpoint variable itself.
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", env.endpoint)
	t.Setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "")
	src, err := NewDynamo(context.Background(), DynamoConfig{Table: table, Region: testRegion, Credentials: testCredentials})
	if err != nil {
		t.Fatal(err)
	}
	if text, found := lookup(t, src, "k"); !found || text != "via env" {
		t.Fatalf("got %q, %v; want %q, true", text, found, "via env")
	}
}

func TestDynamoConfigValidate(t *testing.T) {
	err := DynamoConfig{Table: "x", KeyType: "B"}.Validate()
	if err == nil {
		t.Fatal("got nil error")
	}
	for _, want := range []string{`table "x"`, `key type "B"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("got %q, want it to mention %s", err, want)
		}
	}
	for _, table := range []string{"contexts", "arn:aws:dynamodb:us-east-1:123456789012:table/contexts"} {
		if err := (DynamoConfig{Table: table}).Validate(); err != nil {
			t.Errorf("table %s: got %v, want nil", table, err)
		}
	}
}

func TestNewDynamoNoRegion(t *testing.T) {
	for _, v := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"} {
		t.Setenv(v, "")
	}
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	_, err := NewDynamo(context.Background(), DynamoConfig{Table: "contexts", Credentials: testCredentials})
	if err == nil || !strings.Contains(err.Error(), "no AWS region") {
		t.Fatalf("got %v, want the no-region error", err)
	}
}
