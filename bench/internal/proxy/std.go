package proxy

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"
)

// NewStd returns an httputil.ReverseProxy to the upstream at addr
// (host:port) with the tunings that matter (perf-notes.md): a Transport
// keeping as many idle connections per host as there are clients
// (MaxIdleConnsPerHost far above the default 2), no compression, a
// BufferPool for the body copies, and the request body read whole before
// the upstream is called (Go issue 40747: a proxy that streams the
// inbound body can cut SSE answers). SSE answers are flushed at once:
// ReverseProxy does so for text/event-stream by itself.
func NewStd(addr string) http.Handler {
	target := &url.URL{Scheme: "http", Host: addr}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host
		},
		Transport: &http.Transport{
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:          8192,
			MaxIdleConnsPerHost:   8192,
			IdleConnTimeout:       90 * time.Second,
			DisableCompression:    true,
			ResponseHeaderTimeout: 2 * time.Minute,
		},
		BufferPool: &bufferPool{pool: sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}},
	}
	return &readFirst{next: rp}
}

// readFirst reads the whole request body (capped) before handing the
// request on, from a pooled buffer.
type readFirst struct {
	next http.Handler
	bufs sync.Pool
}

func (h *readFirst) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	buf, _ := h.bufs.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	defer func() {
		buf.Reset()
		h.bufs.Put(buf)
	}()
	if _, err := buf.ReadFrom(io.LimitReader(r.Body, maxBody)); err != nil {
		http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
		return
	}
	_ = r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(buf.Bytes()))
	r.ContentLength = int64(buf.Len())
	h.next.ServeHTTP(w, r)
}

// bufferPool is an httputil.BufferPool over a sync.Pool.
type bufferPool struct{ pool sync.Pool }

var _ httputil.BufferPool = (*bufferPool)(nil)

func (p *bufferPool) Get() []byte  { return *p.pool.Get().(*[]byte) }
func (p *bufferPool) Put(b []byte) { p.pool.Put(&b) }
