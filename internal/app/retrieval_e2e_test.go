package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/redis/go-redis/v9"

	"github.com/outcrop/outcrop/internal/awstest"
	"github.com/outcrop/outcrop/internal/config"
	"github.com/outcrop/outcrop/internal/retrieval/bedrockkb/bedrockkbtest"
	"github.com/outcrop/outcrop/internal/retrieval/kendra/kendratest"
	"github.com/outcrop/outcrop/internal/testservice"
)

// The retrieval end to end: documents indexed with `outcrop index build`
// through the demo upstream's embeddings, then searched by /generate and a
// retrieval model of the OpenAI route.

// corpus is three small documents on unrelated subjects, so that the demo
// embedder's word overlap finds the right one.
var corpus = map[string]string{
	"rocks.md":   "# Rocks\n\nGranite is an igneous rock made of quartz and feldspar. Basalt is a dark volcanic rock.\n",
	"space.html": "<html><head><title>Space</title><script>var moons = 0;</script></head><body><p>The Moon orbits the Earth every 27 days. Mars has two moons, Phobos and Deimos.</p></body></html>",
	"bread.txt":  "Bread is baked from flour, water, salt and yeast.\n",
}

// writeCorpus writes files into a new directory and returns it.
func writeCorpus(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// retrievalYAML is a demo gateway with one local store "docs" and a
// retrieval model "docs-demo" on it.
const retrievalYAML = `
storage: {data_dir: %q}
retrieval:
  stores:
    - {name: docs, top_k: 2, reload: 100ms}
    - {name: empty}
  models:
    - {name: docs-demo, model: demo-chat, store: docs}
`

// retrievalSetup writes the configuration file and returns it with its
// parsed form.
func retrievalSetup(t *testing.T) (string, *config.Config) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "outcrop.yaml")
	if err := os.WriteFile(file, fmt.Appendf(nil, retrievalYAML, filepath.Join(dir, "data")), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("OUTCROP_CONFIG", "")
	cfg, err := loadConfig(file, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Demo.TokenDelay = config.Duration(time.Nanosecond)
	return file, cfg
}

// runCLI runs the outcrop command line and returns its output.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = Run(context.Background(), args, Env{Getenv: os.Getenv, Stdout: &out, Stderr: &errOut})
	return out.String(), errOut.String(), err
}

func buildDocs(t *testing.T, file, dir string) map[string]any {
	t.Helper()
	out, errOut, err := runCLI(t, "index", "build", "--config", file, "--store", "docs", "--json", dir)
	if err != nil {
		t.Fatalf("index build: %v\n%s", err, errOut)
	}
	var st map[string]any
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("index build --json: %v: %q", err, out)
	}
	return st
}

func TestIndexCLI(t *testing.T) {
	file, _ := retrievalSetup(t)
	dir := writeCorpus(t, corpus)
	st := buildDocs(t, file, dir)
	if st["files"] != 3.0 || st["chunks"] != 3.0 || st["embedded"] != 3.0 || st["model"] != "demo-embed" {
		t.Errorf("build: got %v, want 3 files, 3 chunks embedded with demo-embed", st)
	}
	out, _, err := runCLI(t, "index", "query", "--config", file, "--store", "docs", "which moons does Mars have")
	if err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(out, "\n"); !strings.Contains(first, "space.html") || !strings.Contains(first, "(Space)") {
		t.Errorf("query: first hit %q, want space.html (Space):\n%s", first, out)
	}
	if strings.Contains(out, "var moons") {
		t.Errorf("query: a script's text was indexed:\n%s", out)
	}

	// A rebuild replaces the index (the journal of a finished build is
	// removed; resuming an interrupted one is ingest's test).
	if err := os.WriteFile(filepath.Join(dir, "bread.txt"), []byte("Sourdough bread rises with a starter."), 0o644); err != nil {
		t.Fatal(err)
	}
	if st := buildDocs(t, file, dir); st["chunks"] != 3.0 {
		t.Errorf("rebuild: got %v, want 3 chunks", st)
	}
	out, _, _ = runCLI(t, "index", "query", "--config", file, "--store", "docs", "--json", "-k", "1", "sourdough starter")
	var hits []struct{ Source, Text string }
	if err := json.Unmarshal([]byte(out), &hits); err != nil || len(hits) != 1 || !strings.Contains(hits[0].Text, "Sourdough") {
		t.Errorf("query after rebuild: got %s (%v), want the new bread text", out, err)
	}

	for _, args := range [][]string{
		{"index", "build", "--config", file, "--store", "nope", dir},
		{"index", "query", "--config", file, "--store", "empty", "x"},
		{"index", "build", "--config", file, "--store", "docs", t.TempDir()},
		{"index", "build", "--config", file, dir},
	} {
		if _, errOut, err := runCLI(t, args...); err == nil {
			t.Errorf("%v: got no error, want one (%s)", args, errOut)
		}
	}
}

// generateAnswer is /generate's body.
type generateAnswer struct {
	Response string `json:"response"`
	Sources  []struct {
		Text   string  `json:"text"`
		Source string  `json:"source"`
		Score  float64 `json:"score"`
	} `json:"sources"`
	Model string `json:"model"`
}

func TestGenerate(t *testing.T) {
	file, cfg := retrievalSetup(t)
	buildDocs(t, file, writeCorpus(t, corpus))
	base, _ := startGateway(t, cfg)

	for _, store := range []string{"", "docs", "faiss"} {
		status, _, body := call(t, "POST", base+"/generate", "", `{"prompt":"which moons does Mars have","vector_search_type":"`+store+`"}`)
		if status != http.StatusOK {
			t.Fatalf("store %q: status %d: %s", store, status, body)
		}
		var got generateAnswer
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Sources) != 2 || !strings.HasSuffix(got.Sources[0].Source, "space.html") {
			t.Errorf("store %q: got sources %+v, want 2 (top_k) with space.html first", store, got.Sources)
		}
		// The demo reports the system prompt it got: the context.
		if !strings.Contains(got.Response, "system prompt of") || got.Model != "demo-chat" {
			t.Errorf("store %q: got %q from %q, want the demo-chat answer given the context", store, got.Response, got.Model)
		}
	}

	status, _, body := call(t, "GET", base+"/models", "", "")
	if status != http.StatusOK || !strings.Contains(string(body), `"vector_dbs":["docs","empty"]`) || !strings.Contains(string(body), `"docs-demo"`) {
		t.Errorf("GET /models: %d %s", status, body)
	}

	tests := []struct {
		name, body string
		status     int
		code       string
	}{
		{"no prompt", `{"llm_name":"demo-chat"}`, 400, "missing_required_parameter"},
		{"unknown model", `{"prompt":"x","llm_name":"gpt-9"}`, 400, "model_not_found"},
		{"unknown store", `{"prompt":"x","vector_search_type":"pinecone"}`, 400, "store_not_found"},
		{"top_k", `{"prompt":"x","top_k":101}`, 400, "invalid_value"},
		{"not built", `{"prompt":"x","vector_search_type":"empty"}`, 503, "store_not_ready"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := call(t, "POST", base+"/generate", "", tt.body)
			if _, code := errorCode(t, body); status != tt.status || code != tt.code {
				t.Errorf("got %d %q, want %d %q: %s", status, code, tt.status, tt.code, body)
			}
			if tt.name == "unknown model" && !strings.Contains(string(body), `demo-chat`) {
				t.Errorf("the error does not name the valid models: %s", body)
			}
		})
	}
}

func TestRetrievalModel(t *testing.T) {
	file, cfg := retrievalSetup(t)
	buildDocs(t, file, writeCorpus(t, corpus))
	base, _ := startGateway(t, cfg)

	status, _, body := call(t, "POST", base+"/v1/chat/completions", "", `{"model":"docs-demo","messages":[{"role":"user","content":"tell me about granite"}]}`)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	var got struct {
		Choices []struct {
			Message struct{ Content string } `json:"message"`
		} `json:"choices"`
		Sources []struct{ Source string } `json:"sources"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Sources) != 2 || !strings.HasSuffix(got.Sources[0].Source, "rocks.md") {
		t.Errorf("got sources %+v, want rocks.md first", got.Sources)
	}
	if len(got.Choices) != 1 || !strings.Contains(got.Choices[0].Message.Content, "system prompt of") {
		t.Errorf("got %+v, want an answer given the context", got.Choices)
	}

	// Streamed: the sources ride on the chunk with the finish reason, once.
	resp := postJSON(t, base+"/v1/chat/completions", `{"model":"docs-demo","stream":true,"messages":[{"role":"user","content":"tell me about granite"}]}`)
	events := readSSE(t, resp)
	withSources := 0
	for _, e := range events {
		if !strings.Contains(e, `"sources"`) {
			continue
		}
		withSources++
		if !strings.Contains(e, `"finish_reason":"stop"`) || !strings.Contains(e, "rocks.md") {
			t.Errorf("sources on %s, want them on the finish chunk", e)
		}
	}
	if withSources != 1 {
		t.Errorf("%d chunks carry sources, want 1", withSources)
	}

	status, _, body = call(t, "POST", base+"/v1/chat/completions", "", `{"model":"docs-demo","messages":[{"role":"system","content":"hi"}]}`)
	if _, code := errorCode(t, body); status != http.StatusBadRequest || code != "invalid_value" {
		t.Errorf("no user message: got %d %s", status, body)
	}
}

// readSSE returns the data of a stream's events, [DONE] excluded.
func readSSE(t *testing.T, resp *http.Response) []string {
	t.Helper()
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(b.String(), "\n") {
		if data, ok := strings.CutPrefix(line, "data: "); ok && data != "[DONE]" {
			out = append(out, data)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no events in %q", b.String())
	}
	return out
}

// TestIndexSwappedWhileServing rebuilds the index while queries run: every
// query is answered, from the old index or the new one, and the new one is
// served soon after it is written.
func TestIndexSwappedWhileServing(t *testing.T) {
	file, cfg := retrievalSetup(t)
	buildDocs(t, file, writeCorpus(t, corpus))
	base, _ := startGateway(t, cfg)

	var stop atomic.Bool
	var failures atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for !stop.Load() {
				status, _, body := call(t, "POST", base+"/generate", "", `{"prompt":"volcano lava"}`)
				if status != http.StatusOK {
					failures.Add(1)
					t.Errorf("during the swap: %d %s", status, body)
					return
				}
			}
		})
	}
	buildDocs(t, file, writeCorpus(t, map[string]string{"lava.txt": "Lava flows from a volcano and cools into basalt."}))
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, _, body := call(t, "POST", base+"/generate", "", `{"prompt":"volcano lava"}`)
		if strings.Contains(string(body), "lava.txt") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the rebuilt index was not served within 10s: %s", body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	if failures.Load() > 0 {
		t.Errorf("%d queries failed during the swap", failures.Load())
	}
}

// contextEnv is a DynamoDB table on dynalite and a Redis prefix for the
// context source, with the AWS environment the gateway's SDK reads.
type contextEnv struct {
	table, redisURL, prefix string
	dynamo                  *dynamodb.Client
	endpoint                string
}

func newContextEnv(t *testing.T) *contextEnv {
	t.Helper()
	endpoint := testservice.Dynalite(t)
	redisURL, prefix := testservice.Redis(t)
	setStoreAWSEnv(t, awstest.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"})
	client := dynamodb.New(dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	})
	name := "outcrop_ctx_" + strings.ToLower(rand.Text()[:10])
	ctx := context.Background()
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("user_id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("user_id"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatalf("create table: %v", err)
	}
	t.Cleanup(func() {
		_, _ = client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	// A new table answers ResourceNotFoundException until it is ACTIVE,
	// even on dynalite with no creation delay.
	waitFor(t, func() bool {
		out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		return err == nil && out.Table.TableStatus == types.TableStatusActive
	})
	return &contextEnv{table: name, redisURL: redisURL, prefix: prefix, dynamo: client, endpoint: endpoint}
}

func (e *contextEnv) put(t *testing.T, user, text string) {
	t.Helper()
	_, err := e.dynamo.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(e.table), Item: map[string]types.AttributeValue{
		"user_id": &types.AttributeValueMemberS{Value: user}, "context": &types.AttributeValueMemberS{Value: text},
	}})
	if err != nil {
		t.Fatal(err)
	}
}

// promptAnswerJSON is /prompt's body.
type promptAnswerJSON struct {
	Answers map[string]string `json:"answers"`
	Errors  map[string]struct {
		Message string `json:"message"`
		Code    string `json:"code"`
	} `json:"errors"`
	ContextUsed bool `json:"context_used"`
}

func TestPromptWithContext(t *testing.T) {
	env := newContextEnv(t)
	env.put(t, "u-42", "The user is a geologist who prefers short answers about basalt.")
	cfg := demoConfig(time.Nanosecond)
	cfg.Retrieval.Context = config.ContextSource{
		RedisURL: config.Secret(env.redisURL), KeyPrefix: env.prefix + "ctx:", TTL: config.Duration(time.Minute),
		DynamoDB: config.DynamoDBSource{Table: env.table, KeyAttribute: "user_id", Endpoint: env.endpoint},
	}
	cfg.ApplyDefaults()
	base, _ := startGateway(t, cfg)

	ask := func(body string) promptAnswerJSON {
		t.Helper()
		status, _, b := call(t, "POST", base+"/prompt", "", body)
		if status != http.StatusOK {
			t.Fatalf("status %d: %s", status, b)
		}
		var got promptAnswerJSON
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := ask(`{"prompt":"what is basalt","context_key":"u-42"}`)
	if !got.ContextUsed || !strings.Contains(got.Answers["demo-chat"], "system prompt of") {
		t.Errorf("got %+v, want the context from DynamoDB used", got)
	}
	rdb := redis.NewClient(mustParseRedis(t, env.redisURL))
	defer rdb.Close()
	cached, err := rdb.Get(context.Background(), env.prefix+"ctx:u-42").Result()
	if err != nil || !strings.Contains(cached, "geologist") {
		t.Errorf("Redis after the lookup: %q, %v; want the context written back", cached, err)
	}
	if ttl := rdb.TTL(context.Background(), env.prefix+"ctx:u-42").Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("written back with TTL %v, want up to 1m", ttl)
	}
	// Redis now answers alone: the table's copy changes, Redis's does not.
	env.put(t, "u-42", "changed")
	if got := ask(`{"prompt":"what is basalt","context_key":"u-42"}`); !got.ContextUsed {
		t.Errorf("second lookup: got %+v", got)
	}
	if got := ask(`{"prompt":"what is basalt","context_key":"nobody"}`); got.ContextUsed {
		t.Errorf("unknown key: got context_used true")
	}
	if got := ask(`{"prompt":"what is basalt"}`); got.ContextUsed || got.Answers["demo-chat"] == "" {
		t.Errorf("no key: got %+v", got)
	}
	status, _, b := call(t, "POST", base+"/prompt", "", `{"prompt":"x","context_key":"bad\u0001key"}`)
	if _, code := errorCode(t, b); status != http.StatusBadRequest || code != "invalid_value" {
		t.Errorf("bad key: %d %s", status, b)
	}
}

func mustParseRedis(t *testing.T, u string) *redis.Options {
	t.Helper()
	o, err := redis.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestGenerateFromAWSStores wires a kendra and a bedrock-kb store from the
// configuration to their emulators (SigV4 with the environment's
// credentials) and asks /generate of each.
func TestGenerateFromAWSStores(t *testing.T) {
	creds := awstest.Credentials{AccessKeyID: "AKIDSTORESTEST", SecretAccessKey: "stores-test-secret"}
	k := kendratest.New(t, kendratest.WithCredentials(creds), kendratest.WithDocuments(
		kendratest.Document{ID: "d1", Title: "Rotation", URI: "https://wiki/keys", Text: "Rotate a key with outcrop keys rotate."},
		kendratest.Document{ID: "d2", Title: "Bread", URI: "https://wiki/bread", Text: "Bread needs flour and yeast."},
	))
	kb := bedrockkbtest.New(t, bedrockkbtest.WithCredentials(creds), bedrockkbtest.WithDocuments(
		bedrockkbtest.Document{Text: "Budgets reset each month.", Location: bedrockkbtest.Location{URI: "s3://docs/budgets.md"}},
	))
	setStoreAWSEnv(t, creds)
	cfg := demoConfig(time.Nanosecond)
	cfg.Retrieval.Stores = []config.RetrievalStore{
		{Name: "wiki", Type: config.StoreKendra, IndexID: kendratest.IndexID, Endpoint: k.URL()},
		{Name: "kb", Type: config.StoreBedrockKB, KnowledgeBaseID: bedrockkbtest.KnowledgeBaseID, Endpoint: kb.URL()},
	}
	cfg.ApplyDefaults()
	base, _ := startGateway(t, cfg)
	for store, want := range map[string]string{"wiki": "https://wiki/keys", "kb": "s3://docs/budgets.md"} {
		status, _, body := call(t, "POST", base+"/generate", "", `{"prompt":"how do I rotate a key or reset budgets","vector_search_type":"`+store+`"}`)
		if status != http.StatusOK {
			t.Fatalf("%s: status %d: %s", store, status, body)
		}
		var got generateAnswer
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Sources) == 0 || got.Sources[0].Source != want {
			t.Errorf("%s: sources %+v, want %s first", store, got.Sources, want)
		}
	}
	// A store whose service refuses: 502 retrieval_failed, the query not
	// in the message.
	cfg2 := demoConfig(time.Nanosecond)
	cfg2.Retrieval.Stores = []config.RetrievalStore{{Name: "wiki", Type: config.StoreKendra, IndexID: "ffffffff-4b5a-6978-8796-a5b4c3d2e1f0", Endpoint: k.URL()}}
	cfg2.ApplyDefaults()
	base2, _ := startGateway(t, cfg2)
	status, _, body := call(t, "POST", base2+"/generate", "", `{"prompt":"secret question"}`)
	if _, code := errorCode(t, body); status != http.StatusBadGateway || code != "retrieval_failed" || strings.Contains(string(body), "secret question") {
		t.Errorf("unknown index: got %d %s, want 502 retrieval_failed without the query", status, body)
	}
}

// setStoreAWSEnv gives the gateway's AWS SDK clients (stores, the context
// source) static credentials in us-east-1 through the environment, with the
// machine's own AWS files and instance metadata switched off.
func setStoreAWSEnv(t *testing.T, creds awstest.Credentials) {
	t.Helper()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY": creds.SecretAccessKey, "AWS_SESSION_TOKEN": "",
		"AWS_REGION": "us-east-1", "AWS_PROFILE": "", "AWS_CONFIG_FILE": os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": "",
	} {
		t.Setenv(k, v)
	}
}
