// Package replicas runs three outcrop processes on loopback that share one
// PostgreSQL database and one Redis, as a platform team runs them behind a
// load balancer, and checks that keys, limits and budgets hold across them
// (issue 5): limits leak when each replica counts alone, and budgets
// overspend when they are charged after the fact.
package replicas

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outcrop/outcrop/internal/testservice"
)

const master = "replica-master-key-5b2f9c"

// binary is the outcrop binary built once for the package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "outcrop-replicas-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "outcrop")
	build := exec.Command("go", "build", "-race", "-o", binary, "github.com/outcrop/outcrop/cmd/outcrop")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build outcrop:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// replica is one running outcrop process.
type replica struct {
	base string
	cmd  *exec.Cmd
	log  *bytes.Buffer
	mu   *sync.Mutex
}

// cluster starts n replicas sharing a fresh PostgreSQL database and a
// fresh Redis prefix, with the extra configuration given.
func cluster(t *testing.T, n int, extra string) []*replica {
	t.Helper()
	dbURL := testservice.Postgres(t)
	redisURL, prefix := testservice.Redis(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "outcrop.yaml")
	yaml := fmt.Sprintf(`demo:
  enabled: "true"
  token_delay: 2ms
auth:
  key_refresh: 100ms
storage:
  ledger_interval: 50ms
limits:
  redis_prefix: %q
%s`, prefix, extra)
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	var rs []*replica
	for i := range n {
		rs = append(rs, start(t, i, cfg, dbURL, redisURL, filepath.Join(dir, fmt.Sprint(i))))
	}
	return rs
}

func start(t *testing.T, i int, cfg, dbURL, redisURL, dataDir string) *replica {
	t.Helper()
	addr := testservice.FreePort(t)
	cmd := exec.Command(binary, "serve", "--config", cfg, "--addr", addr)
	cmd.Env = append(os.Environ(),
		"API_KEY="+master, "DATABASE_URL="+dbURL, "REDIS_URL="+redisURL, "OUTCROP_DATA_DIR="+dataDir,
		"OUTCROP_LOG_FORMAT=text")
	r := &replica{base: "http://" + addr, cmd: cmd, log: &bytes.Buffer{}, mu: &sync.Mutex{}}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			r.mu.Lock()
			r.log.WriteString(sc.Text() + "\n")
			r.mu.Unlock()
		}
	}()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("replica %d exited: %v", i, err)
			}
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("replica %d did not stop within 20s", i)
		}
		_ = pw.Close()
		if t.Failed() {
			r.mu.Lock()
			t.Logf("replica %d log:\n%s", i, r.log.String())
			r.mu.Unlock()
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(r.base + "/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return r
			}
		}
		if time.Now().After(deadline) {
			r.mu.Lock()
			defer r.mu.Unlock()
			t.Fatalf("replica %d not ready in 60s:\n%s", i, r.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 60 * time.Second}

// do sends a request and returns the status and the body.
func do(t testing.TB, method, url, key, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Error(err)
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func createKey(t *testing.T, r *replica, spec string) (id, secret string) {
	t.Helper()
	status, body := do(t, "POST", r.base+"/admin/keys", master, spec)
	if status != http.StatusCreated {
		t.Fatalf("create key: %d %s", status, body)
	}
	var k struct{ ID, Key string }
	if err := json.Unmarshal(body, &k); err != nil {
		t.Fatal(err)
	}
	return k.ID, k.Key
}

// waitKnown waits until every replica accepts the key (it learns of it at
// its next key refresh).
func waitKnown(t *testing.T, rs []*replica, secret string) {
	t.Helper()
	for _, r := range rs {
		deadline := time.Now().Add(5 * time.Second)
		for {
			status, _ := do(t, "GET", r.base+"/v1/models", secret, "")
			if status == 200 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("replica %s does not know the key after 5s (status %d)", r.base, status)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

const chat = `{"model":"demo-chat","max_tokens":8,"messages":[{"role":"user","content":"Hi"}]}`

// TestRequestLimitAcrossReplicas hammers a key of 60 requests per minute
// through three replicas at once: the shared bucket admits 60, plus at
// most what refills while the test runs (one a second).
func TestRequestLimitAcrossReplicas(t *testing.T) {
	rs := cluster(t, 3, "")
	_, secret := createKey(t, rs[0], `{"name":"hammered","rpm":60}`)
	for _, r := range rs {
		// Wait for the key without spending its requests: /v1/models is
		// not rate limited.
		waitKnown(t, []*replica{r}, secret)
	}
	var ok, limited, other atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for i := range 48 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rs[i%len(rs)]
			for range 6 {
				status, body := do(t, "POST", r.base+"/v1/chat/completions", secret, chat)
				switch status {
				case 200:
					ok.Add(1)
				case 429:
					limited.Add(1)
				default:
					other.Add(1)
					t.Errorf("status %d: %s", status, body)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	refill := int64(elapsed / time.Second)
	t.Logf("%d admitted, %d limited, in %s", ok.Load(), limited.Load(), elapsed.Round(time.Millisecond))
	if got := ok.Load(); got < 60 || got > 60+max(2, refill) {
		t.Errorf("admitted %d of 288 requests over three replicas in %s; want 60..%d", got, elapsed, 60+max(2, refill))
	}
}

// TestBudgetAcrossReplicas drives a $1.00 budget with concurrent streams
// on three replicas until it is refused, then checks the spend in the
// ledger: never more than the budget plus one request's worst-case cost.
func TestBudgetAcrossReplicas(t *testing.T) {
	// A token costs $0.001 both ways; a request reserves its prompt plus
	// 40 output tokens, about $0.051.
	rs := cluster(t, 3, `prices:
  demo-chat: {input: 1000, output: 1000}
`)
	id, secret := createKey(t, rs[0], `{"name":"budgeted","budget_usd":1.0,"budget_period":"month"}`)
	for _, r := range rs {
		waitKnown(t, []*replica{r}, secret)
	}
	const stream = `{"model":"demo-chat","stream":true,"max_tokens":40,"messages":[{"role":"user","content":"Tell me about rocks"}]}`
	const worst = 0.06 // dollars: more than a request's reservation (about $0.051)
	var ok, quota atomic.Int64
	var wg sync.WaitGroup
	for i := range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rs[i%len(rs)]
			for range 40 {
				status, body := do(t, "POST", r.base+"/v1/chat/completions", secret, stream)
				switch {
				case status == 200 && bytes.Contains(body, []byte("data: [DONE]")):
					ok.Add(1)
				case status == 429 && bytes.Contains(body, []byte(`"insufficient_quota"`)):
					quota.Add(1)
					return
				default:
					t.Errorf("status %d: %s", status, body)
					return
				}
			}
		}()
	}
	wg.Wait()
	if quota.Load() == 0 {
		t.Fatalf("%d streams, and the budget never refused one", ok.Load())
	}
	var rep struct {
		SpentUSD float64 `json:"spent_usd"`
		Requests int64   `json:"requests"`
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, body := do(t, "GET", rs[1].base+"/admin/keys/"+id+"/spend", master, "")
		_ = json.Unmarshal(body, &rep)
		if rep.Requests >= ok.Load()+quota.Load() || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%d streams served, %d refused, $%.4f spent", ok.Load(), quota.Load(), rep.SpentUSD)
	if rep.SpentUSD > 1.0+worst {
		t.Errorf("spent $%.4f of a $1.00 budget; want at most $%.3f", rep.SpentUSD, 1.0+worst)
	}
	if rep.SpentUSD < 1.0-2*worst {
		t.Errorf("spent only $%.4f before refusing; the budget stopped too early", rep.SpentUSD)
	}
}

// TestRevocationAcrossReplicas revokes a key on one replica and measures
// how long the others go on accepting it.
func TestRevocationAcrossReplicas(t *testing.T) {
	rs := cluster(t, 3, "")
	id, secret := createKey(t, rs[0], `{"name":"revoked"}`)
	waitKnown(t, rs, secret)
	if status, body := do(t, "DELETE", rs[0].base+"/admin/keys/"+id, master, ""); status != 200 {
		t.Fatalf("revoke: %d %s", status, body)
	}
	revoked := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for _, r := range rs {
		for {
			status, _ := do(t, "GET", r.base+"/v1/models", secret, "")
			if status == 401 {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("replica %s still accepts the revoked key after 1s (status %d)", r.base, status)
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Logf("replica %s refuses the key %s after the revocation", r.base, time.Since(revoked).Round(time.Millisecond))
	}
}
