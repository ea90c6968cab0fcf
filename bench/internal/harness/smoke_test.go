package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/outcrop/outcrop/internal/config"
)

// smokeBudget bounds the smoke run itself; building the programs comes
// before it, under buildTimeout, since a cold build cache can take
// longer than the run.
const smokeBudget = 60 * time.Second

// TestSmoke runs the harness's smoke mode: every target started as its
// own process and driven for about a second. It checks that everything
// works and that the result files are written, never how fast anything
// is.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts every target: skipped with -short")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skipf("needs the go command to build the targets: %v", err)
	}
	root, err := moduleRoot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if _, err := build(t.Context(), root, bin); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	args := []string{"-smoke", "-bin", bin, "-out", out}
	if os.Getenv("CI") == "true" {
		args = append(args, "-require-redis") // CI runs Redis (scripts/test)
	}
	ctx, cancel := context.WithTimeout(t.Context(), smokeBudget)
	defer cancel()
	var stdout, stderr bytes.Buffer
	began := time.Now()
	if err := Run(ctx, args, &stdout, &stderr); err != nil {
		t.Fatalf("smoke run: %v\nprogress:\n%s", err, stderr.String())
	}
	t.Logf("smoke run took %v", time.Since(began).Round(time.Millisecond))
	for _, f := range []string{reportMD, chartPNG, resultsJSON} {
		if fi, err := os.Stat(filepath.Join(out, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: got %v, want a non-empty file", f, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(out, resultsJSON))
	if err != nil {
		t.Fatal(err)
	}
	var res Results
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatalf("results.json: %v", err)
	}
	if len(res.Summary) == 0 || len(res.Summary) != len(res.Targets) {
		t.Errorf("summary: got %d rows for %d targets, want one per target", len(res.Summary), len(res.Targets))
	}
	for _, w := range res.Windows {
		if w.Requests == 0 || w.Errors != 0 {
			t.Errorf("%s %s: got %d requests and %d errors, want some and none", w.Target, w.Load, w.Requests, w.Errors)
		}
	}
}

func TestOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		ok   bool
	}{
		{"defaults", nil, true},
		{"smoke", []string{"-smoke"}, true},
		{"bad rounds", []string{"-rounds", "-1"}, false},
		{"bad window", []string{"-window", "1ms"}, false},
		{"bad duration", []string{"-window", "soon"}, false},
		{"unknown target", []string{"-targets", "nginx"}, false},
		{"known targets", []string{"-targets", "outcrop-openai, fasthttp-floor"}, true},
		{"stray argument", []string{"now"}, false},
		{"before: missing binary", []string{"-before", "/nonexistent/outcrop"}, false},
		{"before: a directory", []string{"-before", os.TempDir()}, false},
		{"before: an executable", []string{"-before", os.Args[0]}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			_, err := parseOptions(tc.args, &stderr)
			if (err == nil) != tc.ok {
				t.Errorf("parseOptions(%q): got error %v, want ok %v", tc.args, err, tc.ok)
			}
		})
	}
}

// TestGatewayConfig checks every target's configuration against
// Outcrop's own loader and validation.
func TestGatewayConfig(t *testing.T) {
	for _, tg := range catalogue() {
		if tg.kind != kindGateway {
			continue
		}
		t.Run(tg.name, func(t *testing.T) {
			c := gatewayConfig{
				spec: tg.gw, dir: t.TempDir(), addr: "127.0.0.1:1", openaiAddr: "127.0.0.1:2", bedrockURL: "http://127.0.0.1:3",
				shapes: []string{"bench-chat-d0", "bench-sse-n20-g50-d0"}, redisURL: "redis://127.0.0.1:6379", prefix: "outcrop-bench:x:",
			}
			cfg, err := config.Parse([]byte(c.yaml()), func(string) string { return "" })
			if err == nil {
				err = cfg.Validate()
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, c.yaml())
			}
			if got := len(cfg.Models); got != 2 {
				t.Errorf("got %d models, want 2", got)
			}
			if tg.gw.redis && cfg.Limits.RedisPrefix != c.prefix {
				t.Errorf("redis prefix: got %q, want %q", cfg.Limits.RedisPrefix, c.prefix)
			}
		})
	}
}

func TestParseMemCounters(t *testing.T) {
	text := "heap profile: 1: 2 [3: 4] @ heap/1048576\n1: 2 [3: 4] @ 0x1\n\n# runtime.MemStats\n# Alloc = 10\n# TotalAlloc = 123456\n# Sys = 9\n# Mallocs = 789\n# Frees = 700\n"
	m, err := parseMemCounters(strings.NewReader(text))
	if err != nil || m.Mallocs != 789 || m.Bytes != 123456 {
		t.Errorf("got %+v, %v; want 789 mallocs, 123456 bytes", m, err)
	}
	if _, err := parseMemCounters(strings.NewReader("heap profile: nothing\n")); err == nil {
		t.Error("no error for a profile without MemStats")
	}
}
