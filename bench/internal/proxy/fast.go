// Package proxy holds the benchmark's two floors: the least a Go reverse
// proxy can cost on each HTTP stack, with no JSON work at all. Fast is
// fasthttp on both sides; Std is the standard library's
// httputil.ReverseProxy, tuned as /work/shared/docs/perf-notes.md
// describes. A gateway's figures are read against them.
package proxy

import (
	"bufio"
	"bytes"
	"io"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// maxBody caps request and response bodies, as a gateway would.
const maxBody = 10 << 20

// Fast is a fasthttp reverse proxy to one upstream: each request is
// copied to the upstream as it came, each answer copied back; an SSE
// answer is streamed, flushed after every read from the upstream.
type Fast struct {
	client *fasthttp.HostClient
	bufs   sync.Pool
}

// NewFast returns a Fast proxy to the upstream at addr (host:port).
func NewFast(addr string) *Fast {
	return &Fast{
		client: &fasthttp.HostClient{
			Addr:                          addr,
			MaxConns:                      8192,
			ReadTimeout:                   2 * time.Minute,
			WriteTimeout:                  time.Minute,
			MaxIdleConnDuration:           time.Minute,
			MaxResponseBodySize:           maxBody,
			StreamResponseBody:            true,
			NoDefaultUserAgentHeader:      true,
			DisableHeaderNamesNormalizing: true,
			DisablePathNormalizing:        true,
		},
		bufs: sync.Pool{New: func() any { b := make([]byte, 16<<10); return &b }},
	}
}

var sse = []byte("text/event-stream")

// Handler serves one request.
func (p *Fast) Handler(ctx *fasthttp.RequestCtx) {
	req := fasthttp.AcquireRequest()
	ctx.Request.CopyTo(req)
	req.Header.Del("Connection")
	resp := fasthttp.AcquireResponse()
	err := p.client.Do(req, resp)
	fasthttp.ReleaseRequest(req)
	if err != nil {
		fasthttp.ReleaseResponse(resp)
		ctx.Error("upstream: "+err.Error(), fasthttp.StatusBadGateway)
		return
	}
	if !bytes.HasPrefix(resp.Header.ContentType(), sse) || resp.BodyStream() == nil {
		// Body drains the stream; the answer goes out with its length.
		body := resp.Body()
		resp.Header.CopyTo(&ctx.Response.Header)
		ctx.Response.SetBody(body)
		fasthttp.ReleaseResponse(resp)
		return
	}
	resp.Header.CopyTo(&ctx.Response.Header)
	ctx.Response.Header.Del("Content-Length")
	ctx.SetBodyStreamWriter(func(w *bufio.Writer) {
		defer fasthttp.ReleaseResponse(resp)
		p.copyFlushing(w, resp.BodyStream())
		_ = resp.CloseBodyStream()
	})
}

// copyFlushing copies r to w, flushing after every read so that each
// event goes out as soon as the upstream sent it.
func (p *Fast) copyFlushing(w *bufio.Writer, r io.Reader) {
	bp := p.bufs.Get().(*[]byte)
	defer p.bufs.Put(bp)
	buf := *bp
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			if werr := w.Flush(); werr != nil {
				return // the client went away
			}
		}
		if err != nil {
			return
		}
	}
}
