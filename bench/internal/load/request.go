// Package load is the benchmark's load generator: closed loop (a fixed
// number of clients, each sending its next request when the last one is
// answered), open loop (requests at a fixed rate, each timed from the
// moment it was due, so a slow target cannot hide its queue: no
// coordinated omission) and streams (many SSE or event-stream answers
// open at once, timed chunk by chunk).
//
// Request/response load goes through fasthttp's client: on a machine
// whose cores the generator shares with the process it measures, it
// costs about half of net/http's client per request (perf-notes.md).
// Streams use net/http, whose body reads return each chunk as it
// arrives, which is what the chunk timings need.
package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// Request is one HTTP POST the generator repeats.
type Request struct {
	// Addr is the target's host:port.
	Addr string
	// Path is the request path, e.g. "/v1/chat/completions".
	Path string
	// Header holds extra header fields (name, value).
	Header [][2]string
	// Body is the request body, sent as application/json.
	Body []byte
	// Expect, when set, must occur in the body of a 200 answer (e.g.
	// "[DONE]" for an SSE stream) for the answer to count as a success.
	Expect []byte
}

func (r *Request) url() string { return "http://" + r.Addr + r.Path }

// build fills dst with r.
func (r *Request) build(dst *fasthttp.Request) {
	dst.SetRequestURI(r.url())
	dst.Header.SetMethod(fasthttp.MethodPost)
	dst.Header.SetContentType("application/json")
	for _, h := range r.Header {
		dst.Header.Set(h[0], h[1])
	}
	dst.SetBody(r.Body)
}

// httpRequest is r for net/http.
func (r *Request) httpRequest(ctx context.Context) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url(), bytes.NewReader(r.Body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	for _, h := range r.Header {
		req.Header.Set(h[0], h[1])
	}
	return req, nil
}

// check turns a finished exchange into an error, or nil for a success.
func (r *Request) check(err error, resp *fasthttp.Response) error {
	if err != nil {
		return err
	}
	if sc := resp.StatusCode(); sc != fasthttp.StatusOK {
		return fmt.Errorf("status %d: %.200s", sc, resp.Body())
	}
	if len(r.Expect) > 0 && !bytes.Contains(resp.Body(), r.Expect) {
		return fmt.Errorf("answer without %q: %.200s", r.Expect, resp.Body())
	}
	return nil
}

// NewClient returns a fasthttp client for the target at addr with room
// for conns connections.
func NewClient(addr string, conns int) *fasthttp.HostClient {
	return &fasthttp.HostClient{
		Addr:                          addr,
		MaxConns:                      conns,
		MaxConnWaitTimeout:            30 * time.Second,
		ReadTimeout:                   30 * time.Second,
		WriteTimeout:                  10 * time.Second,
		MaxIdleConnDuration:           30 * time.Second,
		MaxResponseBodySize:           16 << 20,
		NoDefaultUserAgentHeader:      true,
		DisableHeaderNamesNormalizing: true,
		DisablePathNormalizing:        true,
	}
}

// NewStreamClient returns the net/http client for streams: keep-alive
// for thousands of connections, no compression.
func NewStreamClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          8192,
		MaxIdleConnsPerHost:   8192,
		IdleConnTimeout:       30 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		DisableCompression:    true,
	}}
}

// Meter is told when a measured window opens and closes, to read the
// processes under test at those moments.
type Meter interface {
	Begin()
	End()
}

// NopMeter measures nothing.
type NopMeter struct{}

// Begin does nothing.
func (NopMeter) Begin() {}

// End does nothing.
func (NopMeter) End() {}

// failures counts errors and keeps the first one's text.
type failures struct {
	n     atomic.Int64
	once  sync.Once
	first string
}

func (f *failures) add(err error) {
	f.n.Add(1)
	f.once.Do(func() { f.first = err.Error() })
}

// errLate is an open-loop request that could not be sent, or was not
// answered, before the run's drain deadline.
var errLate = errors.New("not answered before the drain deadline")

// sleepCtx sleeps for d or until ctx is done, and reports whether the
// whole d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
