package testservice

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// EnvDynamoDB points the tests at a DynamoDB-compatible server that is
// already running (DynamoDB Local, a dynalite of one's own) instead of a
// dynalite started per test. Tests create tables with names of their own,
// so a shared server works.
const EnvDynamoDB = "OUTCROP_TEST_DYNAMODB_URL"

// DynaliteInstall is the command that installs dynalite where Dynalite
// looks for it, from the committed test/dynalite/package-lock.json.
const DynaliteInstall = "cd test/dynalite && npm ci"

// dynaliteStart bounds how long a fresh dynalite may take to answer; node
// starts in well under a second, but CI machines are shared.
const dynaliteStart = 20 * time.Second

// Dynalite starts dynalite (https://github.com/architect/dynalite, a
// DynamoDB implementation in Node, in-memory) on a free loopback port and
// returns its endpoint URL, for an SDK client's BaseEndpoint; the process
// is killed when the test ends. dynalite accepts any credentials and
// region.
//
// It needs node on PATH and dynalite installed under
// test/dynalite/node_modules (DynaliteInstall). When either is missing
// the test is skipped, or fails in CI (CI=true).
func Dynalite(t testing.TB) string {
	t.Helper()
	if u := os.Getenv(EnvDynamoDB); u != "" {
		return u
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing(t, "node (Node.js 20+)", "apt-get install -y nodejs npm && "+DynaliteInstall, err)
	}
	dir, err := dynaliteDir()
	if err != nil {
		missing(t, "dynalite", DynaliteInstall, err)
	}
	// A port that was free a moment ago can be taken before node binds
	// it; a second port is enough to get past that race.
	var last error
	for range 3 {
		u, err := startDynalite(t, node, dir)
		if err == nil {
			return u
		}
		last = err
	}
	t.Fatalf("start dynalite: %v", last)
	return ""
}

// missing skips the test, or fails it in CI, naming the install command.
func missing(t testing.TB, what, install string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed (CI=true, so this fails instead of skipping; install with %q): %v", what, install, err)
	}
	t.Skipf("%s is not installed: %v (install with %q)", what, err, install)
}

// dynaliteDir finds test/dynalite of the module the test runs in, by
// walking up from the package directory to go.mod, and checks that
// dynalite is installed there.
func dynaliteDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the test's directory")
		}
		dir = parent
	}
	dir = filepath.Join(dir, "test", "dynalite")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "dynalite", "cli.js")); err != nil {
		return "", err
	}
	return dir, nil
}

// startDynalite runs one dynalite and waits until it answers. The table
// state delays are 0 so that a created table is ACTIVE at once, as tests
// expect, instead of after dynalite's default 500ms.
func startDynalite(t testing.TB, node, dir string) (string, error) {
	t.Helper()
	addr := FreePort(t)
	host, port, _ := strings.Cut(addr, ":")
	cmd := exec.Command(node, filepath.Join("node_modules", "dynalite", "cli.js"),
		"--host", host, "--port", port,
		"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0")
	cmd.Dir = dir
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return "", err
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	u := "http://" + addr
	if err := waitHealthy(u, out, exited); err != nil {
		stop()
		return "", fmt.Errorf("%w; output: %s", err, strings.TrimSpace(out.String()))
	}
	t.Cleanup(stop)
	return u, nil
}

// waitHealthy waits until dynalite has said it listens and its health
// page (GET / answers 200 "healthy: ...") answers, or the process exits,
// or dynaliteStart passes. The line in the output makes sure the server
// that answers is this process, not another test's that took the port.
func waitHealthy(u string, out *syncBuffer, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), dynaliteStart)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if strings.Contains(out.String(), "Dynalite listening at") && healthy(ctx, u) {
			return nil
		}
		select {
		case <-exited:
			return errors.New("dynalite exited before it answered")
		case <-ctx.Done():
			return fmt.Errorf("dynalite did not answer at %s within %s", u, dynaliteStart)
		case <-tick.C:
		}
	}
}

func healthy(ctx context.Context, u string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u+"/", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// syncBuffer collects a process's output; os/exec writes to it from its
// own goroutines while the test may read it.
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
