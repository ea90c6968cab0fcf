// Package upstreamhttp is the HTTP client side of the gateway: the
// transports the providers send their upstream calls through. Fast is
// fasthttp's connection pools behind the http.RoundTripper interface,
// Std the tuned net/http transport; Default is the process's choice of
// the two (server.upstream_client).
package upstreamhttp

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// The upstream clients server.upstream_client names.
const (
	ClientFast = "fasthttp"
	ClientStd  = "net/http"
)

// Limits shared by both transports.
const (
	maxConnsPerHost = 4096
	idleTimeout     = 50 * time.Second
	dialTimeout     = 30 * time.Second
)

// NewStd returns an *http.Transport tuned for a gateway: many idle
// connections per host (the default of 2 makes connections churn at any
// concurrency), no transparent compression (bodies are relayed as sent,
// and an event stream must reach its decoder as sent), HTTP/2 when the
// upstream offers it over TLS, and bounded dials and TLS handshakes.
func NewStd() *http.Transport {
	dialer := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          maxConnsPerHost,
		MaxIdleConnsPerHost:   1024,
		IdleConnTimeout:       idleTimeout,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	}
}

// NewFast returns a Fast with the gateway's limits; requests through an
// environment proxy go through a Std transport.
func NewFast() *Fast {
	return &Fast{
		Fallback: NewStd(), Proxy: http.ProxyFromEnvironment,
		MaxConnsPerHost: maxConnsPerHost, IdleTimeout: idleTimeout, DialTimeout: dialTimeout,
	}
}

// The process's choice and its transport, made by the first Default.
var (
	mu     sync.Mutex
	choice = ClientFast
	shared http.RoundTripper
)

// Use sets the client Default returns, ClientFast or ClientStd; it must
// come before the first Default, and fails after it for another choice.
func Use(client string) error {
	if client != ClientFast && client != ClientStd {
		return fmt.Errorf("upstreamhttp: unknown client %q (want %q or %q)", client, ClientFast, ClientStd)
	}
	mu.Lock()
	defer mu.Unlock()
	if shared != nil && client != choice {
		return fmt.Errorf("upstreamhttp: the %s client is in use already", choice)
	}
	choice = client
	return nil
}

// Default is the transport shared by every provider client made without
// one of its own: one connection pool per upstream host for the process.
// Clients take it when they are built, not per request.
func Default() http.RoundTripper {
	mu.Lock()
	defer mu.Unlock()
	if shared == nil {
		if choice == ClientStd {
			shared = NewStd()
		} else {
			shared = NewFast()
		}
	}
	return shared
}
