// Package conformance drives a running Outcrop with the official openai npm
// SDK (and LangChain): this Go test boots the gateways on loopback and
// runs the Node scripts in this directory against them with `node --test`.
//
// The gateways started: "demo", with the default configuration (the
// built-in demo upstream); "relay", configured with OpenAI upstreams that
// are openaitest emulators, so the SDK sees a real relay: model name
// mapping, upstream keys, upstream errors kept (429 stays 429); "bedrock",
// with bedrock upstreams that are bedrocktest emulators, so the SDK sees
// Bedrock's answers, streams and errors translated; "keys", with a master
// key and virtual keys; and "rag", the demo with a local index built by
// `outcrop index build` and a retrieval model on it.
//
// Run it with `bash scripts/test conformance` (npm ci first) or, once
// node_modules exists, `go test -v -run Conformance ./test/conformance`.
package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outcrop/outcrop/internal/app"
	"github.com/outcrop/outcrop/internal/config"
	"github.com/outcrop/outcrop/internal/provider/bedrock/bedrocktest"
	"github.com/outcrop/outcrop/internal/provider/openaicompat/openaitest"
)

// relayConfig maps the relay gateway's public models onto the emulators.
// The model names are the ones helpers.mjs expects (RELAY_* constants).
const relayConfig = `
upstreams:
  - name: emulator
    type: openai
    base_url: ${EMULATOR_URL}
    api_key: ${EMULATOR_KEY}
  - name: limited
    type: openai-compatible
    base_url: ${LIMITED_URL}
models:
  - name: gpt-4o-mini
    deployments: [{upstream: emulator}]
  - name: gpt-3.5-turbo-instruct
    deployments: [{upstream: emulator}]
  - name: text-embedding-3-small
    deployments: [{upstream: emulator}]
  # An ID with ':' and '/', as Bedrock's are: the SDK path-escapes it in
  # models.retrieve, and the gateway must unescape it.
  - name: us.anthropic.claude-3:0/x
    deployments: [{upstream: emulator, model: gpt-4o-mini}]
  - name: rate-limited
    deployments: [{upstream: limited, model: gpt-4o-mini}]
`

// emulatorKey is the upstream key the relay must send, in place of the
// client's own key.
const emulatorKey = "sk-emulator-conformance"

// oddModelID is the relay's public model name with ':' and '/'; its
// deployment is gpt-4o-mini on the emulator.
const oddModelID = "us.anthropic.claude-3:0/x"

// retryAfter is the Retry-After the rate-limited emulator sends; the
// RateLimitError test expects it back as "7".
const retryAfter = 7 * time.Second

// bedrockConfig maps the bedrock gateway's public models onto the Bedrock
// emulators: "bedrock" answers, "throttled" always throttles. The region
// is the emulators' (bedrocktest.Region). The model
// names are the ones helpers.mjs expects (BEDROCK_* constants).
const bedrockConfig = `
upstreams:
  - name: bedrock
    type: bedrock
    region: us-east-1
    endpoint: ${BEDROCK_URL}
  - name: throttled
    type: bedrock
    region: us-east-1
    endpoint: ${THROTTLED_URL}
models:
  - name: "anthropic.claude-3-haiku-20240307-v1:0"
    aliases: [claude-haiku]
    deployments: [{upstream: bedrock}]
  - name: "us.anthropic.claude-3-7-sonnet-20250219-v1:0"
    deployments: [{upstream: bedrock}]
  - name: "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/k3n8x2p4q7wz"
    deployments: [{upstream: bedrock}]
  # Configured here, unknown to Bedrock: its ValidationException reaches
  # the client.
  - name: "acme.unknown-model-v1:0"
    deployments: [{upstream: bedrock}]
  - name: bedrock-throttled
    deployments: [{upstream: throttled, model: "anthropic.claude-3-haiku-20240307-v1:0"}]
  # The feature tests (bedrock_features.test.mjs): native structured
  # output and extended thinking; a model without vision; embeddings.
  - name: "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    deployments: [{upstream: bedrock}]
  - name: "amazon.nova-micro-v1:0"
    deployments: [{upstream: bedrock}]
  - name: "amazon.titan-embed-text-v2:0"
    deployments: [{upstream: bedrock}]
  - name: "cohere.embed-english-v3"
    deployments: [{upstream: bedrock}]
`

// keysConfig is the "keys" gateway: the demo upstream behind a master key,
// with demo-chat priced (a token costs $0.001) so budgets bite
// (access.test.mjs).
const keysConfig = `
demo:
  enabled: "true"
  token_delay: 1ms
auth:
  master_key: ${MASTER}
  key_refresh: 50ms
storage:
  ledger_interval: 20ms
prices:
  demo-chat: {input: 1000, output: 1000}
`

// keysMaster is the keys gateway's master key.
const keysMaster = "sk-conformance-master-1f2e"

func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("conformance: skipped in -short mode")
	}
	node := nodeOrSkip(t)
	files := testFiles(t)

	demo := startGateway(t, "demo", demoConfig(t))
	emulator := openaitest.New(t, openaitest.WithAPIKey(emulatorKey))
	limited := openaitest.New(t, openaitest.WithDefault(openaitest.RateLimited(retryAfter)))
	relay := startGateway(t, "relay", parseConfig(t, relayConfig, map[string]string{
		"EMULATOR_URL": emulator.OpenAIBase(),
		"EMULATOR_KEY": emulatorKey,
		"LIMITED_URL":  limited.OpenAIBase(),
	}))

	setAWSCredentials(t)
	bedrockEmu := bedrocktest.New(t, bedrocktest.WithApplicationProfiles(), bedrocktest.WithResponder(scenario))
	throttled := bedrocktest.New(t, bedrocktest.WithDefault(bedrocktest.Throttled()))
	bedrock := startGateway(t, "bedrock", parseConfig(t, bedrockConfig, map[string]string{
		"BEDROCK_URL":   bedrockEmu.URL(),
		"THROTTLED_URL": throttled.URL(),
	}))

	keys := startGateway(t, "keys", parseConfig(t, keysConfig, map[string]string{"MASTER": keysMaster}))
	rag := startGateway(t, "rag", ragConfig(t))

	runNode(t, node, files, []string{
		"OUTCROP_KEYS_URL=" + keys,
		"OUTCROP_KEYS_MASTER=" + keysMaster,
		"OUTCROP_RAG_URL=" + rag,
		"OUTCROP_DEMO_URL=" + demo + "/v1",
		"OUTCROP_DEMO_API_URL=" + demo + "/api/v1",
		"OUTCROP_RELAY_URL=" + relay + "/v1",
		"OUTCROP_BEDROCK_URL=" + bedrock + "/v1",
		"OUTCROP_BEDROCK_API_URL=" + bedrock + "/api/v1",
		"OUTCROP_CLOSED_URL=" + closedURL(t) + "/v1",
	})

	checkUpstreamRequests(t, emulator.Requests())
	checkBedrockRequests(t, append(bedrockEmu.Requests(), throttled.Requests()...))
}

// setAWSCredentials gives the bedrock gateway temporary AWS credentials
// the emulators accept. The AWS SDK's default chain, which the gateway's
// Bedrock clients use, reads them from the process environment (not from
// the getenv given to app.BuildEnv), hence t.Setenv; shared files and
// instance metadata are switched off so that the machine's own AWS setup
// cannot interfere.
func setAWSCredentials(t *testing.T) {
	t.Helper()
	creds := bedrocktest.TemporaryCredentials()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           creds.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":       creds.SecretAccessKey,
		"AWS_SESSION_TOKEN":           creds.SessionToken,
		"AWS_PROFILE":                 "",
		"AWS_BEARER_TOKEN_BEDROCK":    "",
		"AWS_ENDPOINT_URL":            "",
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
}

// checkBedrockRequests checks what the bedrock gateway sent the emulators
// during the Node tests: SigV4-signed Converse calls with the temporary
// credentials, on Bedrock model IDs.
func checkBedrockRequests(t *testing.T, reqs []bedrocktest.Recorded) {
	t.Helper()
	if len(reqs) == 0 {
		t.Fatal("Bedrock emulators received no request: the bedrock tests did not reach them")
	}
	for _, r := range reqs {
		if r.Auth != bedrocktest.AuthSigV4 || r.AccessKeyID != bedrocktest.TempAccessKeyID {
			t.Errorf("Bedrock request %s %s: got auth %q with key %q, want SigV4 with %q", r.Method, r.Path, r.Auth, r.AccessKeyID, bedrocktest.TempAccessKeyID)
		}
		switch {
		case r.Operation == bedrocktest.OpConverse || r.Operation == bedrocktest.OpConverseStream:
		case r.Operation == bedrocktest.OpInvokeModel && strings.Contains(r.ModelID, "embed"):
		default:
			t.Errorf("Bedrock request %s %s: got operation %q, want Converse or ConverseStream (InvokeModel for embeddings)", r.Method, r.Path, r.Operation)
		}
		if r.ModelID == "claude-haiku" || r.ModelID == "bedrock-throttled" {
			t.Errorf("Bedrock request %s %s: names the public model %q, want the Bedrock ID", r.Method, r.Path, r.ModelID)
		}
	}
	checkStructuredOutput(t, reqs)
}

// checkStructuredOutput checks how the structured-output tests reached
// Bedrock: natively (outputConfig) on Claude Sonnet 4.5, through the
// forced json_response tool on Claude 3 Haiku, which has no native
// structured output.
func checkStructuredOutput(t *testing.T, reqs []bedrocktest.Recorded) {
	t.Helper()
	var native, fallback bool
	for _, r := range reqs {
		if !bytes.Contains(r.Body, []byte("Extract the person")) {
			continue
		}
		switch {
		case strings.Contains(r.ModelID, "claude-sonnet-4-5"):
			native = native || bytes.Contains(r.Body, []byte(`"outputConfig":{"textFormat":{"type":"json_schema"`))
		case strings.Contains(r.ModelID, "claude-3-haiku"):
			fallback = fallback || bytes.Contains(r.Body, []byte(`"toolChoice":{"tool":{"name":"json_response"}}`))
		}
	}
	if !native || !fallback {
		t.Errorf("structured output: got native outputConfig %v on Sonnet 4.5 and json_response tool %v on Haiku 3, want both", native, fallback)
	}
}

// checkUpstreamRequests checks what the relay sent its upstream during the
// Node tests: the upstream's key instead of the client's, and upstream
// model IDs instead of public names.
func checkUpstreamRequests(t *testing.T, reqs []openaitest.Recorded) {
	t.Helper()
	if len(reqs) == 0 {
		t.Fatal("relay emulator received no request: the relay tests did not reach it")
	}
	for _, r := range reqs {
		if got, want := r.Header.Get("Authorization"), "Bearer "+emulatorKey; got != want {
			t.Errorf("emulator request %s %s: got Authorization %q, want %q", r.Method, r.Path, got, want)
		}
		if bytes.Contains(r.Body, []byte(oddModelID)) {
			t.Errorf("emulator request %s %s: body names the public model %q, want the upstream ID: %s", r.Method, r.Path, oddModelID, r.Body)
		}
	}
}

// inCI reports whether a missing prerequisite must fail the test rather
// than skip it: in CI a skipped conformance suite would pass silently.
func inCI() bool { return os.Getenv("CI") == "true" }

// nodeOrSkip returns the node binary and checks that `npm ci` has run.
func nodeOrSkip(t *testing.T) string {
	t.Helper()
	missing := func(format string, args ...any) {
		t.Helper()
		if inCI() {
			t.Fatalf(format, args...)
		}
		t.Skipf(format, args...)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("conformance: node not found (%v); install Node.js 20+", err)
	}
	if _, err := os.Stat(filepath.Join("node_modules", "openai", "package.json")); err != nil {
		missing("conformance: the openai SDK is not installed (%v); run `npm ci` in test/conformance or `bash scripts/test conformance`", err)
	}
	return node
}

// testFiles lists the Node test files. They are passed to node one by one
// because Node 20's --test takes no glob patterns.
func testFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.test.mjs")
	if err != nil {
		t.Fatalf("glob: %v", err)
	}
	if len(files) == 0 {
		t.Fatal("no *.test.mjs files in test/conformance")
	}
	return files
}

// demoConfig is the default configuration, as a bare `outcrop serve` has
// it, with a shorter token delay so that streams take milliseconds.
func demoConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.Demo.TokenDelay = config.Duration(time.Millisecond)
	if err := cfg.Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	if !cfg.DemoEnabled() {
		t.Fatal("default config: got demo disabled, want the demo upstream served")
	}
	return cfg
}

// parseConfig parses a YAML configuration whose ${VAR} references are
// looked up in env, and validates it.
func parseConfig(t *testing.T, yaml string, env map[string]string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml), func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("parse config: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("validate config: %v", err)
	}
	return cfg
}

// startGateway builds and serves a gateway on a free loopback port and
// returns its root URL. It is shut down gracefully when the test ends; its
// log is shown only if the test failed.
func startGateway(t *testing.T, name string, cfg *config.Config) string {
	t.Helper()
	cfg.Server.ShutdownGrace = config.Duration(5 * time.Second)
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if cfg.Storage.DataDir == config.DefaultDataDir {
		cfg.Storage.DataDir = t.TempDir()
	}
	gw, err := app.Build(cfg, logger)
	if err != nil {
		t.Fatalf("%s gateway: build: %v", name, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("%s gateway: listen: %v", name, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- gw.Serve(ctx, ln, logger) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%s gateway: serve: %v", name, err)
		}
		if t.Failed() {
			t.Logf("%s gateway log:\n%s", name, logs.String())
		}
	})
	return "http://" + ln.Addr().String()
}

// ragConfig is the demo with a local store "docs" built from three small
// documents by `outcrop index build`, and a retrieval model on it.
func ragConfig(t *testing.T) *config.Config {
	t.Helper()
	dir := t.TempDir()
	docs := filepath.Join(dir, "docs")
	if err := os.MkdirAll(docs, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{
		"space.html": "<html><head><title>Space</title></head><body><p>Mars has two moons, Phobos and Deimos.</p></body></html>",
		"rocks.md":   "# Rocks\n\nGranite is an igneous rock.\n",
		"bread.txt":  "Bread is baked from flour and yeast.\n",
	} {
		if err := os.WriteFile(filepath.Join(docs, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(dir, "outcrop.yaml")
	yaml := fmt.Sprintf("storage: {data_dir: %q}\nretrieval:\n  stores: [{name: docs}]\n  models: [{name: docs-demo, model: demo-chat, store: docs}]\n", filepath.Join(dir, "data"))
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	env := app.Env{Getenv: func(string) string { return "" }, Stdout: &out, Stderr: &out}
	if err := app.Run(context.Background(), []string{"index", "build", "--config", file, "--store", "docs", docs}, env); err != nil {
		t.Fatalf("index build: %v\n%s", err, out.String())
	}
	cfg := parseConfig(t, yaml, nil)
	cfg.Demo.TokenDelay = config.Duration(time.Millisecond)
	return cfg
}

// closedURL returns the root URL of a loopback port that nothing listens
// on, for the APIConnectionError test.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	return "http://" + addr
}

// nodeTimeout bounds the whole Node run, so that a hung stream fails the
// test with node's output instead of hitting go test's global timeout.
const nodeTimeout = 5 * time.Minute

// runNode runs `node --test` on files with env added, streaming its output
// line by line into the test log, and fails the test if node fails.
func runNode(t *testing.T, node string, files, env []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), nodeTimeout)
	defer cancel()
	args := append([]string{"--test", "--test-reporter=spec"}, files...)
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Env = append(cmd.Env, "NO_COLOR=1", "FORCE_COLOR=0")
	out := &lineLogger{t: t}
	cmd.Stdout, cmd.Stderr = out, out
	t.Logf("running %s", strings.Join(cmd.Args, " "))
	err := cmd.Run()
	out.flush()
	switch {
	case ctx.Err() != nil:
		t.Fatalf("node --test did not finish within %v", nodeTimeout)
	case err != nil:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			t.Fatalf("node --test failed (exit %d): see the output above", exit.ExitCode())
		}
		t.Fatalf("node --test: %v", err)
	}
}

// lineLogger writes each complete line it is given to the test log as it
// arrives. exec copies stdout and stderr from one goroutine each, hence the
// lock.
type lineLogger struct {
	t   *testing.T
	mu  sync.Mutex
	buf []byte
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		l.t.Log(string(l.buf[:i]))
		l.buf = l.buf[i+1:]
	}
}

// flush logs a last line that had no newline.
func (l *lineLogger) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		l.t.Log(string(l.buf))
		l.buf = nil
	}
}

// syncBuffer is a bytes.Buffer safe for the gateway's concurrent logging.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var (
	_ io.Writer = (*lineLogger)(nil)
	_ io.Writer = (*syncBuffer)(nil)
)
