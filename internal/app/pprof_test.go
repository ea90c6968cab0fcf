package app

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outcrop/outcrop/internal/config"
)

// freeLoopbackAddr returns a loopback address whose port was free a
// moment ago.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// TestPprofListener serves the profiler on OUTCROP_PPROF_ADDR: the
// profiles answer there and not on the API listener, and the listener
// closes with the gateway.
func TestPprofListener(t *testing.T) {
	addr, pprofAddr := freeLoopbackAddr(t), freeLoopbackAddr(t)
	vars := map[string]string{
		config.EnvAddr: addr, config.EnvPprofAddr: pprofAddr,
		config.EnvDataDir: t.TempDir(), config.EnvLogLevel: "warn",
	}
	var stderr bytes.Buffer
	env := Env{Getenv: func(k string) string { return vars[k] }, Stdout: io.Discard, Stderr: &stderr}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, []string{"serve"}, env) }()
	stop := sync.OnceValue(func() error { cancel(); return <-done })
	t.Cleanup(func() { _ = stop() })

	url := "http://" + pprofAddr + "/debug/pprof/mutex?debug=1"
	var body string
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %s", url, resp.Status)
			}
			body = string(b)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the profiler never answered: %v\n%s", err, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(body, "sampling period=100") {
		t.Errorf("mutex profile not sampled one in 100:\n%.300s", body)
	}
	waitReady(t, "http://"+addr)
	resp, err := http.Get("http://" + addr + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Error("the API listener serves the profiler")
	}

	if err := stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	if resp, err := http.Get(url); err == nil {
		resp.Body.Close()
		t.Error("the profiler still answers after shutdown")
	}
}

// waitReady polls base's /ready until it answers 200.
func waitReady(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(base + "/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never became ready: %v", base, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPprofAddrMustBeLoopback refuses a profiler reachable from other
// machines.
func TestPprofAddrMustBeLoopback(t *testing.T) {
	for addr, ok := range map[string]bool{"127.0.0.1:6060": true, "[::1]:6060": true, "localhost:6060": true, "0.0.0.0:6060": false, ":6060": false, "10.0.0.1:6060": false} {
		cfg := config.Default()
		cfg.Server.PprofAddr = addr
		err := cfg.Validate()
		if ok && err != nil {
			t.Errorf("%s: %v, want accepted", addr, err)
		}
		if !ok && (err == nil || !strings.Contains(err.Error(), "server.pprof_addr") || !strings.Contains(err.Error(), "loopback")) {
			t.Errorf("%s: %v, want refused as not loopback", addr, err)
		}
	}
}
