package upstreamhttp

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// rawServer is an HTTP/1.1 server written by hand, so that a test
// decides which bytes arrive together.
type rawServer struct {
	addr  string
	conns atomic.Int32
}

// newRawServer answers the i-th request on a connection with pieces(i):
// head in one write, then, once next is signalled, rest in another.
func newRawServer(t *testing.T, pieces func(i int) (head, rest string), next <-chan struct{}) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	s := &rawServer{addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.conns.Add(1)
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for i := 0; ; i++ {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					_, _ = io.Copy(io.Discard, req.Body)
					head, rest := pieces(i)
					if _, err := io.WriteString(c, head); err != nil {
						return
					}
					if rest == "" {
						continue
					}
					<-next
					if _, err := io.WriteString(c, rest); err != nil {
						return
					}
				}
			}()
		}
	}()
	return s
}

func chunk(s string) string { return fmt.Sprintf("%x\r\n%s\r\n", len(s), s) }

// TestStreamReader checks which reader an answer's body is read
// through: an event stream's own chunkedReader, carrying what came with
// the header, while any other chunked body keeps fasthttp's reader.
// Each body reads whole and the connection is reused after.
func TestStreamReader(t *testing.T) {
	const header = "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n\r\n"
	long := strings.Repeat("x", 3000)
	cases := []struct {
		name     string
		ct       string
		withHead string // body sent in the header's write
		later    string // body sent once the header was read
		small    bool
	}{
		{"sse apart", "text/event-stream", "", "data: a\n\n", true},
		{"sse with the header", "text/event-stream; charset=utf-8", "data: a\n\n", "data: b\n\n", true},
		{"eventstream with the header", "application/vnd.amazon.eventstream", "frame", "", true},
		{"sse, much with the header", "text/event-stream", long, "data: b\n\n", true},
		{"json", "application/json", "", `{"a":1}`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			next := make(chan struct{}, 1)
			pieces := func(int) (string, string) {
				head := fmt.Sprintf(header, c.ct)
				if c.withHead != "" {
					head += chunk(c.withHead)
				}
				rest := ""
				if c.later != "" {
					rest = chunk(c.later)
				}
				return head, rest + "0\r\nX-Trailer: t\r\n\r\n"
			}
			s := newRawServer(t, pieces, next)
			f := NewFast()
			t.Cleanup(f.CloseIdleConnections)
			for range 2 {
				req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://"+s.addr+"/", nil)
				if err != nil {
					t.Fatal(err)
				}
				resp, err := f.RoundTrip(req)
				if err != nil {
					t.Fatal(err)
				}
				body := resp.Body.(*streamBody)
				_, own := body.r.(*chunkedReader)
				if own != c.small || own != (body.br == nil) {
					t.Errorf("own reader %v (fasthttp's held: %v), want %v", own, body.br != nil, c.small)
				}
				next <- struct{}{}
				b, err := io.ReadAll(resp.Body)
				if err != nil {
					t.Fatal(err)
				}
				if want := c.withHead + c.later; string(b) != want {
					t.Errorf("body %q, want %q", b, want)
				}
				_ = resp.Body.Close()
			}
			if n := s.conns.Load(); n != 1 {
				t.Errorf("%d connections for 2 answers in turn, want 1", n)
			}
		})
	}
}

func TestIsEventStream(t *testing.T) {
	for ct, want := range map[string]bool{
		"text/event-stream":                  true,
		"Text/Event-Stream ; charset=utf-8":  true,
		"application/vnd.amazon.eventstream": true,
		"application/json":                   false,
		"text/event-streamed":                false,
		"":                                   false,
	} {
		if got := isEventStream([]byte(ct)); got != want {
			t.Errorf("isEventStream(%q) = %v, want %v", ct, got, want)
		}
	}
}

// BenchmarkStreamBody reads a 20-event stream, each event its own write,
// through the event-stream reader and, under another content type,
// through fasthttp's reader and httputil's chunked reader.
func BenchmarkStreamBody(b *testing.B) {
	event := `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"hello"}}]}` + "\n\n"
	for _, ct := range []string{"text/event-stream", "text/plain"} {
		b.Run(ct, func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer ln.Close()
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					go func() {
						defer c.Close()
						br := bufio.NewReader(c)
						for {
							req, err := http.ReadRequest(br)
							if err != nil {
								return
							}
							_, _ = io.Copy(io.Discard, req.Body)
							_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: "+ct+"\r\nTransfer-Encoding: chunked\r\n\r\n")
							for range 20 {
								_, _ = io.WriteString(c, chunk(event))
							}
							_, _ = io.WriteString(c, "0\r\n\r\n")
						}
					}()
				}
			}()
			f := NewFast()
			defer f.CloseIdleConnections()
			req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://"+ln.Addr().String()+"/", nil)
			if err != nil {
				b.Fatal(err)
			}
			p := make([]byte, 4096)
			b.ReportAllocs()
			for b.Loop() {
				resp, err := f.RoundTrip(req)
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for {
					k, err := resp.Body.Read(p)
					n += k
					if err != nil {
						break
					}
				}
				_ = resp.Body.Close()
				if n != 20*len(event) {
					b.Fatalf("%d bytes", n)
				}
			}
		})
	}
}

// TestStreamBytesAfterEnd: an upstream that sends bytes after an event
// stream's end is out of step, and its connection is not used again,
// whether the bytes came in the read that ended the body or stayed in
// the header's reader.
func TestStreamBytesAfterEnd(t *testing.T) {
	const body = "5\r\nhello\r\n0\r\n\r\n"
	for _, read := range []int{512, len(body)} {
		t.Run(fmt.Sprint(read), func(t *testing.T) {
			s := newRawServer(t, func(i int) (string, string) {
				head := "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n" + body
				if i == 0 {
					head += "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
				}
				return head, ""
			}, nil)
			f := NewFast()
			t.Cleanup(f.CloseIdleConnections)
			for i := range 2 {
				req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://"+s.addr+"/", nil)
				if err != nil {
					t.Fatal(err)
				}
				resp, err := f.RoundTrip(req)
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				var got []byte
				p := make([]byte, read)
				for {
					n, err := resp.Body.Read(p)
					got = append(got, p[:n]...)
					if err != nil {
						break
					}
				}
				_ = resp.Body.Close()
				if i == 1 && string(got) != "hello" {
					t.Errorf("request %d: body %q", i, got)
				}
			}
			if n := s.conns.Load(); n != 2 {
				t.Errorf("%d connections, want 2: the first was out of step", n)
			}
		})
	}
}
