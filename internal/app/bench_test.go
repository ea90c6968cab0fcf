package app

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"

	"github.com/outcrop/outcrop/internal/config"
	"github.com/outcrop/outcrop/internal/provider/bedrock/bedrocktest"
	"github.com/outcrop/outcrop/internal/provider/openaicompat/openaitest"
	"github.com/outcrop/outcrop/internal/testservice"
)

// benchClient is a keep-alive client sized for the benchmark's parallelism.
func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, DisableCompression: true}}
}

// benchRelay measures a whole request through the gateway's real HTTP
// stack on loopback: client → Outcrop → openaitest → back. The emulator's
// own cost is included; compare against BenchmarkUpstreamDirect for what
// Outcrop adds.
func benchRelay(b *testing.B, body []byte, direct bool) {
	b.Helper()
	emu := openaitest.New(b, openaitest.WithoutRecording())
	url := emu.OpenAIBase() + "/chat/completions"
	if !direct {
		gw, _ := startGateway(b, relayConfig(b, "openai", emu.OpenAIBase(), "", "gpt-4o"))
		url = gw + "/v1/chat/completions"
	}
	benchPost(b, url, "", body)
}

// benchPost posts body to url from parallel goroutines, with a bearer key
// when key is set, and fails on any status but 200.
func benchPost(b *testing.B, url, key string, body []byte) {
	b.Helper()
	client := benchClient()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if key != "" {
				req.Header.Set("Authorization", "Bearer "+key)
			}
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK {
				b.Errorf("status %d, read error %v", resp.StatusCode, err)
				return
			}
		}
	})
}

var (
	benchChat   = []byte(`{"model":"gpt-4o","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say hello."}],"temperature":0.2}`)
	benchStream = []byte(`{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"Say hello."}]}`)
)

func BenchmarkUpstreamDirectChat(b *testing.B)   { benchRelay(b, benchChat, true) }
func BenchmarkGatewayRelayChat(b *testing.B)     { benchRelay(b, benchChat, false) }
func BenchmarkUpstreamDirectStream(b *testing.B) { benchRelay(b, benchStream, true) }
func BenchmarkGatewayRelayStream(b *testing.B)   { benchRelay(b, benchStream, false) }

// Bedrock benchmarks: the same whole-path measure with a bedrock upstream
// in front of the bedrocktest emulator. The gateway translates to
// Converse, signs with SigV4 and decodes the event stream; the emulator
// skips verifying signatures (WithoutAuth), so that the difference from
// BenchmarkBedrockDirect* is the gateway's own cost, signing included.
// It answers at once (WithHeaderLatency(0)): the delay it adds by default
// shields the AWS SDK from a transport race that Outcrop's client does not
// have.

var (
	benchBedrockChat = []byte(`{"model":"` + haikuID + `","messages":[{"role":"system","content":"You are terse."},` +
		`{"role":"user","content":"Say hello."}],"temperature":0.2}`)
	benchBedrockStream = []byte(`{"model":"` + haikuID + `","stream":true,"messages":[{"role":"user","content":"Say hello."}]}`)
	// benchConverse is benchBedrockChat as Converse has it, for the
	// emulator alone.
	benchConverse = []byte(`{"messages":[{"role":"user","content":[{"text":"Say hello."}]}],` +
		`"system":[{"text":"You are terse."}],"inferenceConfig":{"temperature":0.2}}`)
)

// benchBedrockEmulator starts an emulator tuned for load.
func benchBedrockEmulator(b *testing.B) *bedrocktest.Server {
	b.Helper()
	return bedrocktest.New(b, bedrocktest.WithoutRecording(), bedrocktest.WithoutAuth(), bedrocktest.WithHeaderLatency(0))
}

// benchBedrockGateway serves haikuID from a bedrock upstream at srv, with
// static credentials in the environment (read by the AWS SDK's chain).
func benchBedrockGateway(b *testing.B, srv *bedrocktest.Server) string {
	b.Helper()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           bedrocktest.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":       bedrocktest.SecretAccessKey,
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_BEARER_TOKEN_BEDROCK":    "",
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		b.Setenv(k, v)
	}
	yaml := fmt.Sprintf("upstreams:\n  - {name: aws, type: bedrock, region: %s, endpoint: %q}\nmodels:\n  - {name: %q, deployments: [{upstream: aws}]}\n",
		srv.Region(), srv.URL(), haikuID)
	cfg, err := config.Parse([]byte(yaml), func(string) string { return "" })
	if err != nil {
		b.Fatalf("config: %v\n%s", err, yaml)
	}
	base, _ := startGateway(b, cfg)
	return base
}

func BenchmarkGatewayBedrockChat(b *testing.B) {
	benchPost(b, benchBedrockGateway(b, benchBedrockEmulator(b))+"/v1/chat/completions", "", benchBedrockChat)
}

func BenchmarkGatewayBedrockStream(b *testing.B) {
	benchPost(b, benchBedrockGateway(b, benchBedrockEmulator(b))+"/v1/chat/completions", "", benchBedrockStream)
}

// BenchmarkBedrockDirectChat and BenchmarkBedrockDirectStream measure the
// emulator alone: an unsigned Converse or ConverseStream call, no gateway.
func BenchmarkBedrockDirectChat(b *testing.B) {
	benchPost(b, benchBedrockEmulator(b).URL()+"/model/"+arnEscaper.Replace(haikuID)+"/converse", "", benchConverse)
}

func BenchmarkBedrockDirectStream(b *testing.B) {
	benchPost(b, benchBedrockEmulator(b).URL()+"/model/"+arnEscaper.Replace(haikuID)+"/converse-stream", "", benchConverse)
}

// benchRelayKey is benchRelay through a virtual key with every limit and a
// budget, so the difference from BenchmarkGatewayRelayChat is what
// authentication, the limiter (in memory, or Redis with redisLimits) and
// the usage ledger add to a request.
func benchRelayKey(b *testing.B, redisLimits bool) {
	b.Helper()
	emu := openaitest.New(b, openaitest.WithoutRecording())
	cfg := relayConfig(b, "openai", emu.OpenAIBase(), "", "gpt-4o")
	cfg.Auth.MasterKey = testMaster
	if redisLimits {
		u, prefix := testservice.Redis(b)
		cfg.Limits.RedisURL, cfg.Limits.RedisPrefix = config.Secret(u), prefix
	}
	gw, _ := startGateway(b, cfg)
	_, secret := createKey(b, gw, `{"name":"bench","rpm":100000000,"tpm":10000000000,"concurrency":100000,"budget_usd":1000000,"budget_period":"month"}`)
	benchPost(b, gw+"/v1/chat/completions", secret, benchChat)
}

func BenchmarkGatewayRelayChatKeyMemory(b *testing.B) { benchRelayKey(b, false) }
func BenchmarkGatewayRelayChatKeyRedis(b *testing.B)  { benchRelayKey(b, true) }
