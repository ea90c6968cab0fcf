package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outcrop/outcrop/internal/config"
	"github.com/outcrop/outcrop/internal/provider/bedrock/bedrocktest"
	"github.com/outcrop/outcrop/internal/ratelimit"
	"github.com/outcrop/outcrop/internal/store"
)

const testMaster = "master-test-key-0123456789"

// accessConfig is a demo gateway that requires keys, with testMaster as
// its master key and a fast ledger.
func accessConfig(t testing.TB) *config.Config {
	t.Helper()
	cfg := demoConfig(time.Nanosecond)
	cfg.Auth.MasterKey = testMaster
	cfg.Storage.DataDir = t.TempDir()
	cfg.Storage.LedgerInterval = config.Duration(20 * time.Millisecond)
	return cfg
}

// call sends a request with an optional bearer key and returns the status,
// headers and body.
func call(t testing.TB, method, url, key, body string) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// errorCode returns the OpenAI envelope's type and code.
func errorCode(t testing.TB, body []byte) (typ, code string) {
	t.Helper()
	var e struct {
		Error struct {
			Type string  `json:"type"`
			Code *string `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("not an error envelope: %v: %s", err, body)
	}
	if e.Error.Code == nil {
		return e.Error.Type, ""
	}
	return e.Error.Type, *e.Error.Code
}

// createKey creates a key through the admin API and returns its ID and
// secret.
func createKey(t testing.TB, base, spec string) (id, secret string) {
	t.Helper()
	status, _, body := call(t, "POST", base+"/admin/keys", testMaster, spec)
	if status != http.StatusCreated {
		t.Fatalf("create key: status %d: %s", status, body)
	}
	var k struct{ ID, Key string }
	if err := json.Unmarshal(body, &k); err != nil {
		t.Fatal(err)
	}
	return k.ID, k.Key
}

const demoChatBody = `{"model":"demo-chat","messages":[{"role":"user","content":"Hello"}]}`

func TestAuthErrors(t *testing.T) {
	base, _ := startGateway(t, accessConfig(t))
	_, secret := createKey(t, base, `{"name":"only-chat","models":["demo-chat"]}`)
	tests := []struct {
		name, key, path, body string
		status                int
		code                  string
	}{
		{"no key", "", "/v1/chat/completions", demoChatBody, 401, "missing_api_key"},
		{"wrong key", "sk-oc-wrong", "/v1/chat/completions", demoChatBody, 401, "invalid_api_key"},
		{"models need a key too", "", "/v1/models", "", 401, "missing_api_key"},
		{"master", testMaster, "/v1/chat/completions", demoChatBody, 200, ""},
		{"virtual key", secret, "/v1/chat/completions", demoChatBody, 200, ""},
		{"model not allowed", secret, "/v1/embeddings", `{"model":"demo-embed","input":"x"}`, 403, "model_not_allowed"},
		{"admin with a virtual key", secret, "/admin/keys", "", 403, "admin_key_required"},
		{"admin without a key", "", "/admin/keys", "", 401, "missing_api_key"},
		{"health is open", "", "/health", "", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := "POST"
			if tt.body == "" {
				method = "GET"
			}
			status, _, body := call(t, method, base+tt.path, tt.key, tt.body)
			if status != tt.status {
				t.Fatalf("got status %d, want %d: %s", status, tt.status, body)
			}
			if tt.code != "" {
				if _, code := errorCode(t, body); code != tt.code {
					t.Errorf("got code %q, want %q", code, tt.code)
				}
			}
		})
	}
}

func TestModelListFollowsTheKey(t *testing.T) {
	base, _ := startGateway(t, accessConfig(t))
	_, secret := createKey(t, base, `{"name":"lister","models":["demo-chat"]}`)
	status, _, body := call(t, "GET", base+"/v1/models", secret, "")
	if status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
	var list struct{ Data []struct{ ID string } }
	_ = json.Unmarshal(body, &list)
	var got []string
	for _, m := range list.Data {
		got = append(got, m.ID)
	}
	if strings.Join(got, ",") != "demo-chat" {
		t.Errorf("got models %v, want only demo-chat", got)
	}
	if status, _, _ := call(t, "GET", base+"/v1/models", testMaster, ""); status != 200 {
		t.Errorf("master key: got %d", status)
	}
	if status, _, _ := call(t, "GET", base+"/v1/models/demo-embed", secret, ""); status != 404 {
		t.Errorf("GET a model the key may not use: got %d, want 404", status)
	}
}

func TestOpenOnLoopbackWithoutMasterKey(t *testing.T) {
	cfg := demoConfig(time.Nanosecond)
	base, _ := startGateway(t, cfg)
	if status, _, body := call(t, "POST", base+"/v1/chat/completions", "", demoChatBody); status != 200 {
		t.Fatalf("open gateway: got status %d: %s", status, body)
	}
	// The SDKs insist on some key; an unknown one is served too.
	if status, _, body := call(t, "POST", base+"/v1/chat/completions", "sk-anything", demoChatBody); status != 200 {
		t.Fatalf("open gateway, unknown key: got status %d: %s", status, body)
	}
	if status, _, body := call(t, "GET", base+"/admin/keys", "", ""); status != 403 {
		t.Fatalf("admin on an open gateway: got %d, want 403: %s", status, body)
	}
}

func TestAuthRequiredBeyondLoopback(t *testing.T) {
	cfg := demoConfig(time.Nanosecond)
	cfg.Server.Addr = "0.0.0.0:0"
	if !cfg.AuthRequired() {
		t.Fatal("auth not required for 0.0.0.0")
	}
	cfg.Auth.Required = "false"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "auth.required") {
		t.Fatalf("auth.required false beyond loopback: got %v, want a problem", err)
	}
	cfg.Auth.Required = "auto"
	base, _ := startGateway(t, cfg)
	status, _, body := call(t, "POST", base+"/v1/chat/completions", "", demoChatBody)
	if status != 401 {
		t.Fatalf("got status %d, want 401: %s", status, body)
	}
}

func TestKeyLifecycle(t *testing.T) {
	base, _ := startGateway(t, accessConfig(t))
	id, secret := createKey(t, base, `{"name":"alice","team":"red","rpm":2,"metadata":{"cost_center":"42"}}`)
	for i := range 2 {
		status, h, body := call(t, "POST", base+"/v1/chat/completions", secret, demoChatBody)
		if status != 200 {
			t.Fatalf("request %d: status %d: %s", i, status, body)
		}
		if got, want := h.Get("X-Ratelimit-Limit-Requests"), "2"; got != want {
			t.Errorf("x-ratelimit-limit-requests: got %q, want %q", got, want)
		}
		if got, want := h.Get("X-Ratelimit-Remaining-Requests"), []string{"1", "0"}[i]; got != want {
			t.Errorf("request %d: x-ratelimit-remaining-requests: got %q, want %q", i, got, want)
		}
	}
	status, h, body := call(t, "POST", base+"/v1/chat/completions", secret, demoChatBody)
	if status != 429 {
		t.Fatalf("third request: got %d, want 429: %s", status, body)
	}
	if typ, code := errorCode(t, body); typ != "requests" || code != "rate_limit_exceeded" {
		t.Errorf("got type %q code %q, want requests/rate_limit_exceeded", typ, code)
	}
	if h.Get("Retry-After") == "" || h.Get("Retry-After-Ms") == "" {
		t.Errorf("429 without Retry-After / Retry-After-Ms: %v", h)
	}

	// Rotation: the old secret stops at once, the new one works (with the
	// same limits, so it is still limited).
	status, _, body = call(t, "POST", base+"/admin/keys/"+id+"/rotate", testMaster, "")
	if status != 200 {
		t.Fatalf("rotate: %d: %s", status, body)
	}
	var rotated struct{ Key, Hint string }
	_ = json.Unmarshal(body, &rotated)
	if rotated.Key == "" || rotated.Key == secret || !strings.HasSuffix(rotated.Key, strings.TrimPrefix(rotated.Hint, "sk-oc-...")) {
		t.Fatalf("rotate: got key %q hint %q", rotated.Key, rotated.Hint)
	}
	if status, _, _ := call(t, "POST", base+"/v1/chat/completions", secret, demoChatBody); status != 401 {
		t.Errorf("old secret after rotation: got %d, want 401", status)
	}
	if status, _, _ := call(t, "POST", base+"/v1/chat/completions", rotated.Key, demoChatBody); status != 429 {
		t.Errorf("new secret, limit still spent: got %d, want 429", status)
	}

	// Raising the limit takes effect at once.
	if status, _, body := call(t, "PATCH", base+"/admin/keys/alice", testMaster, `{"rpm":100}`); status != 200 {
		t.Fatalf("update: %d: %s", status, body)
	}
	if status, _, body := call(t, "POST", base+"/v1/chat/completions", rotated.Key, demoChatBody); status != 200 {
		t.Errorf("after raising rpm: got %d: %s", status, body)
	}

	// The spend report counts the requests once the ledger has them.
	waitFor(t, func() bool {
		_, _, body := call(t, "GET", base+"/admin/keys/"+id+"/spend", testMaster, "")
		var rep struct{ Requests int64 }
		_ = json.Unmarshal(body, &rep)
		return rep.Requests >= 5
	})

	status, _, body = call(t, "DELETE", base+"/admin/keys/"+id, testMaster, "")
	if status != 200 || !bytes.Contains(body, []byte(`"status":"revoked"`)) {
		t.Fatalf("revoke: %d: %s", status, body)
	}
	status, _, body = call(t, "POST", base+"/v1/chat/completions", rotated.Key, demoChatBody)
	if _, code := errorCode(t, body); status != 401 || code != "invalid_api_key" {
		t.Errorf("revoked key: got %d %s", status, body)
	}
	status, _, body = call(t, "GET", base+"/admin/keys", testMaster, "")
	if status != 200 || bytes.Contains(body, []byte(rotated.Key)) || bytes.Contains(body, []byte(secret)) {
		t.Errorf("key list: %d, must not show a secret: %s", status, body)
	}
}

// waitFor polls cond for up to 5 seconds.
func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestBudgetStopsSpend(t *testing.T) {
	cfg := accessConfig(t)
	// $1000 per million tokens both ways: a token costs $0.001.
	cfg.Prices = map[string]config.Price{"demo-chat": {Input: 1000, Output: 1000}}
	base, _ := startGateway(t, cfg)
	_, secret := createKey(t, base, `{"name":"capped","budget_usd":0.5,"budget_period":"day"}`)
	body := `{"model":"demo-chat","max_tokens":40,"messages":[{"role":"user","content":"Tell me a story"}]}`
	ok := 0
	for range 100 {
		status, h, resp := call(t, "POST", base+"/v1/chat/completions", secret, body)
		if status == 200 {
			ok++
			continue
		}
		if typ, code := errorCode(t, resp); status != 429 || typ != "insufficient_quota" || code != "insufficient_quota" {
			t.Fatalf("got %d %s, want 429 insufficient_quota", status, resp)
		}
		if h.Get("X-Should-Retry") != "false" {
			t.Errorf("budget 429 without x-should-retry: false")
		}
		break
	}
	if ok == 0 || ok == 100 {
		t.Fatalf("%d requests passed; want the budget to stop some", ok)
	}
	var rep struct {
		SpentUSD  float64 `json:"spent_usd"`
		BudgetUSD float64 `json:"budget_usd"`
		Requests  int64
	}
	waitFor(t, func() bool {
		_, _, b := call(t, "GET", base+"/admin/keys/capped/spend", testMaster, "")
		_ = json.Unmarshal(b, &rep)
		return rep.Requests >= int64(ok)
	})
	if rep.SpentUSD > rep.BudgetUSD || rep.SpentUSD < rep.BudgetUSD/2 {
		t.Errorf("spent $%v of a $%v budget in %d requests; want close to it and never over", rep.SpentUSD, rep.BudgetUSD, ok)
	}
}

func TestCORS(t *testing.T) {
	cfg := accessConfig(t)
	cfg.CORS.AllowedOrigins = []string{"https://app.example.com"}
	base, _ := startGateway(t, cfg)
	pre := func(origin string) http.Header {
		req, _ := http.NewRequest(http.MethodOptions, base+"/v1/chat/completions", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type, x-stainless-os")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if origin == "https://app.example.com" && resp.StatusCode != http.StatusNoContent {
			t.Errorf("preflight: got %d, want 204", resp.StatusCode)
		}
		return resp.Header
	}
	h := pre("https://app.example.com")
	if h.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		!strings.Contains(h.Get("Access-Control-Allow-Headers"), "authorization") ||
		!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") {
		t.Errorf("preflight headers: %v", h)
	}
	if h := pre("https://evil.example.com"); h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("a disallowed origin got %q", h.Get("Access-Control-Allow-Origin"))
	}
}

// syncLog collects log output from several goroutines.
type syncLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// TestNoSecretsOrPromptsInLogs drives every path that logs (success,
// stream, auth failures, limits, admin) at debug level and scans the log
// for the keys and the prompt.
func TestNoSecretsOrPromptsInLogs(t *testing.T) {
	logs := &syncLog{}
	cfg := accessConfig(t)
	base, stop := startGatewayLog(t, cfg, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	_, secret := createKey(t, base, `{"name":"logged","rpm":2}`)
	const prompt = "PROMPT-c7f3e1-do-not-log"
	body := `{"model":"demo-chat","messages":[{"role":"user","content":"` + prompt + `"}]}`
	stream := `{"model":"demo-chat","stream":true,"messages":[{"role":"user","content":"` + prompt + `"}]}`
	for _, b := range []string{body, stream, body} { // the third is limited
		call(t, "POST", base+"/v1/chat/completions", secret, b)
	}
	call(t, "POST", base+"/v1/chat/completions", secret+"x", body)
	call(t, "POST", base+"/v1/chat/completions", "sk-oc-"+strings.Repeat("z", 43), body)
	call(t, "POST", base+"/v1/chat/completions", testMaster, `{"model":"demo-chat","messages":[{"role":"user","content":"`+prompt+`"}],"bogus":`)
	call(t, "POST", base+"/admin/keys/logged/rotate", testMaster, "")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if !strings.Contains(out, `"status":429`) || !strings.Contains(out, `"status":401`) {
		t.Fatalf("the log lacks the requests it should have:\n%s", out)
	}
	for _, s := range []string{secret, secret[len("sk-oc-"):], testMaster, prompt} {
		if strings.Contains(out, s) {
			t.Errorf("the log contains %q:\n%s", s, out)
		}
	}
}

// TestLedgerFlushedOnShutdown stops the gateway right after the requests,
// well inside the ledger's interval, and finds every record in the
// database.
func TestLedgerFlushedOnShutdown(t *testing.T) {
	cfg := accessConfig(t)
	cfg.Storage.LedgerInterval = config.Duration(time.Hour)
	base, stop := startGateway(t, cfg)
	id, secret := createKey(t, base, `{"name":"ledger"}`)
	const n = 25
	for range n {
		if status, _, body := call(t, "POST", base+"/v1/chat/completions", secret, demoChatBody); status != 200 {
			t.Fatalf("status %d: %s", status, body)
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), databaseURL(cfg))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := db.SpendSince(context.Background(), id, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Requests != n || s.OutputTokens == 0 {
		t.Errorf("ledger after shutdown: %d requests, %d output tokens; want %d requests with tokens", s.Requests, s.OutputTokens, n)
	}
}

func TestMaxRateLimit(t *testing.T) {
	if config.MaxRateLimit != ratelimit.MaxLimit {
		t.Errorf("config.MaxRateLimit %d, ratelimit.MaxLimit %d: keep them equal", int64(config.MaxRateLimit), int64(ratelimit.MaxLimit))
	}
}

// TestLeavingEarlySavesNothing reads the first event of a stream and hangs
// up: the upstream's usage never arrives, so the key keeps the whole
// reservation on its budget instead of getting it back.
func TestLeavingEarlySavesNothing(t *testing.T) {
	cfg := accessConfig(t)
	cfg.Demo.TokenDelay = config.Duration(20 * time.Millisecond)
	cfg.Prices = map[string]config.Price{"demo-chat": {Input: 1000, Output: 1000}}
	base, _ := startGateway(t, cfg)
	_, secret := createKey(t, base, `{"name":"leaver","budget_usd":10,"budget_period":"day"}`)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/chat/completions",
		strings.NewReader(`{"model":"demo-chat","stream":true,"max_tokens":40,"messages":[{"role":"user","content":"Tell me a long story"}]}`))
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "data: ") {
		t.Fatalf("first line %q, %v", line, err)
	}
	cancel()
	resp.Body.Close()
	var rep struct {
		SpentUSD float64 `json:"spent_usd"`
		Requests int64
	}
	waitFor(t, func() bool {
		_, _, b := call(t, "GET", base+"/admin/keys/leaver/spend", testMaster, "")
		_ = json.Unmarshal(b, &rep)
		return rep.Requests >= 1
	})
	// The reservation: the prompt estimate and 40 output tokens at $0.001.
	if rep.SpentUSD < 0.040 {
		t.Errorf("spent $%.4f after hanging up; want the reservation (at least $0.040) kept", rep.SpentUSD)
	}
}

func TestKeyHeadersAndExpiry(t *testing.T) {
	base, _ := startGateway(t, accessConfig(t))
	_, secret := createKey(t, base, `{"name":"expiring","expires_at":"2020-01-01T00:00:00Z"}`)
	send := func(h map[string]string) int {
		req, _ := http.NewRequest(http.MethodPost, base+"/v1/chat/completions", strings.NewReader(demoChatBody))
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := send(map[string]string{"Authorization": "Bearer " + secret}); got != 401 {
		t.Errorf("expired key: got %d, want 401", got)
	}
	if status, _, body := call(t, "PATCH", base+"/admin/keys/expiring", testMaster, `{"expires_in":"never"}`); status != 200 || !bytes.Contains(body, []byte(`"expires_at":null`)) {
		t.Fatalf("clear expiry: %d %s", status, body)
	}
	for name, h := range map[string]map[string]string{
		"bearer":                    {"Authorization": "Bearer " + secret},
		"api-key":                   {"Api-Key": secret},
		"x-api-key":                 {"X-Api-Key": secret},
		"api-key beside Basic auth": {"Authorization": "Basic dXNlcjpwdw==", "Api-Key": secret},
	} {
		if got := send(h); got != 200 {
			t.Errorf("%s: got %d, want 200", name, got)
		}
	}
}

// TestKeySettingsReachBedrock checks that a virtual key's metadata and
// guardrail go to Bedrock with its chat and legacy completion requests,
// ahead of the client's own metadata.
func TestKeySettingsReachBedrock(t *testing.T) {
	srv := bedrocktest.New(t)
	base, _ := startBedrockGatewayWith(t, srv, nil, func(c *config.Config) {
		c.Auth.MasterKey = testMaster
		c.Storage.DataDir = t.TempDir()
	})
	_, secret := createKey(t, base, `{"name":"attributed","metadata":{"team":"red","cost_center":"42"},`+
		`"guardrail_id":"gr-key-1","guardrail_version":"3"}`)
	for _, tc := range []struct{ path, body string }{
		{"/v1/chat/completions", `{"model":"` + haikuID + `","metadata":{"team":"blue","app":"x"},"messages":[{"role":"user","content":"Hi"}]}`},
		{"/v1/completions", `{"model":"` + haikuID + `","prompt":"Hi","max_tokens":5}`},
	} {
		status, _, body := call(t, http.MethodPost, base+tc.path, secret, tc.body)
		if status != http.StatusOK {
			t.Fatalf("%s: %d %s", tc.path, status, body)
		}
		var sent struct {
			RequestMetadata map[string]string `json:"requestMetadata"`
			GuardrailConfig struct {
				GuardrailIdentifier, GuardrailVersion string
			} `json:"guardrailConfig"`
		}
		if err := json.Unmarshal(lastRequest(t, srv).Body, &sent); err != nil {
			t.Fatal(err)
		}
		if sent.RequestMetadata["team"] != "red" || sent.RequestMetadata["cost_center"] != "42" {
			t.Errorf("%s: requestMetadata %v, want the key's team=red and cost_center=42", tc.path, sent.RequestMetadata)
		}
		if g := sent.GuardrailConfig; g.GuardrailIdentifier != "gr-key-1" || g.GuardrailVersion != "3" {
			t.Errorf("%s: guardrail %+v, want the key's", tc.path, g)
		}
	}
}

// TestReservationUsesTheModelsOutputCap sends a request without
// max_tokens on a key whose TPM is below the default estimate (4096): it
// fits because Bedrock will be sent the model's own default_max_tokens
// (50), which the reservation uses, and the answer's usage then settles.
func TestReservationUsesTheModelsOutputCap(t *testing.T) {
	srv := bedrocktest.New(t)
	base, _ := startBedrockGatewayWith(t, srv, nil, func(c *config.Config) {
		c.Auth.MasterKey = testMaster
		c.Storage.DataDir = t.TempDir()
		c.Bedrock.ModelsInfo = append(c.Bedrock.ModelsInfo, config.BedrockModelInfo{Prefix: haikuID, DefaultMaxTokens: 50})
	})
	_, secret := createKey(t, base, `{"name":"small-tpm","tpm":1000}`)
	status, h, body := call(t, http.MethodPost, base+"/v1/chat/completions", secret, string(chatBody(haikuID, "Hi", "")))
	if status != http.StatusOK {
		t.Fatalf("got %d %s; want the 50-token cap to fit a TPM of 1000", status, body)
	}
	// 1000 less the prompt's few tokens and the 50 reserved for output.
	if got, err := strconv.Atoi(h.Get("X-Ratelimit-Remaining-Tokens")); err != nil || got < 900 || got >= 950 {
		t.Errorf("x-ratelimit-remaining-tokens %q, want 900..949", h.Get("X-Ratelimit-Remaining-Tokens"))
	}
}
