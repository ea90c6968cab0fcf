package openaicompat

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
	"github.com/outcrop/outcrop/internal/provider/openaicompat/openaitest"
)

// hour is a wait that never ends within a test: the request is always
// ended by something else.
const hour = time.Hour

func TestCancelAbortsUpstream(t *testing.T) {
	t.Run("waiting for the answer", func(t *testing.T) {
		s := openaitest.New(t, openaitest.WithDefault(openaitest.Reply{Latency: hour}))
		c := newClient(t, s, DialectOpenAI)
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() {
			_, err := c.ChatCompletion(ctx, chatRequest(t, `{"model":"m","messages":[{"role":"user","content":"hi"}]}`, "m"))
			errc <- err
		}()
		waitFor(t, s.Arrivals(), "request upstream")
		cancel()
		err := waitFor(t, errc, "return from ChatCompletion")
		checkCanceled(t, err)
		waitFor(t, s.Canceled(), "upstream cancellation")
	})
	t.Run("mid stream", func(t *testing.T) {
		s := openaitest.New(t, openaitest.WithDefault(openaitest.Reply{ChunkDelay: hour}))
		c := newClient(t, s, DialectOpenAI)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		st, err := c.ChatCompletionStream(ctx, chatRequest(t, streamChat, "m"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if _, err := st.Recv(); err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 1)
		go func() {
			_, err := st.Recv() // blocks: the next chunk is an hour away
			errc <- err
		}()
		cancel()
		checkCanceled(t, waitFor(t, errc, "return from Recv"))
		waitFor(t, s.Canceled(), "upstream cancellation")
	})
	t.Run("stream closed early", func(t *testing.T) {
		s := openaitest.New(t, openaitest.WithDefault(openaitest.Reply{ChunkDelay: hour}))
		st, err := newClient(t, s, DialectOpenAI).ChatCompletionStream(context.Background(), chatRequest(t, streamChat, "m"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Recv(); err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 1)
		go func() {
			_, err := st.Recv()
			errc <- err
		}()
		if err := st.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := waitFor(t, errc, "return from Recv"); !errors.Is(err, ErrStreamClosed) {
			t.Errorf("Recv on a closed stream: %v, want ErrStreamClosed", err)
		}
		if _, err := st.Recv(); !errors.Is(err, ErrStreamClosed) {
			t.Errorf("Recv after Close: %v, want ErrStreamClosed", err)
		}
		waitFor(t, s.Canceled(), "upstream cancellation")
		if err := st.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
}

// checkCanceled wants the caller's own cancellation back, unclassified.
func checkCanceled(t *testing.T, err error) {
	t.Helper()
	var ue *provider.UpstreamError
	if !errors.Is(err, context.Canceled) || errors.As(err, &ue) {
		t.Errorf("error %v, want context.Canceled and no upstream error", err)
	}
	if provider.IsRetryable(err) {
		t.Errorf("a cancelled request is retryable")
	}
}

func TestTimeouts(t *testing.T) {
	tests := []struct {
		name   string
		reply  openaitest.Reply
		stream bool
		cfg    func(*Config)
	}{
		{"response header timeout", openaitest.Reply{Latency: hour}, false, func(c *Config) { c.ResponseHeaderTimeout = 20 * time.Millisecond }},
		{"request timeout", openaitest.Reply{Latency: hour}, false, func(c *Config) { c.Timeout = 20 * time.Millisecond }},
		{"stream header timeout", openaitest.Reply{Latency: hour}, true, func(c *Config) { c.ResponseHeaderTimeout = 20 * time.Millisecond }},
		{"timeout mid stream", openaitest.Reply{ChunkDelay: hour}, true, func(c *Config) { c.Timeout = 200 * time.Millisecond }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openaitest.New(t, openaitest.WithDefault(tt.reply))
			c := newClient(t, s, DialectOpenAI, tt.cfg)
			var err error
			if tt.stream {
				var st provider.ChatStream
				st, err = c.ChatCompletionStream(context.Background(), chatRequest(t, streamChat, "m"))
				if err == nil {
					_, err = drain(st)
				}
			} else {
				_, err = c.ChatCompletion(context.Background(), chatRequest(t, `{"model":"m","messages":[{"role":"user","content":"hi"}]}`, "m"))
			}
			if ue := upstreamError(t, err); ue.Status != 504 || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error %v (status %d), want 504 wrapping context.DeadlineExceeded", err, ue.Status)
			}
			waitFor(t, s.Canceled(), "upstream cancellation")
		})
	}
}

func TestCallerDeadlineIs504(t *testing.T) {
	s := openaitest.New(t, openaitest.WithDefault(openaitest.Reply{Latency: hour}))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := newClient(t, s, DialectOpenAI).ChatCompletion(ctx, chatRequest(t, `{"model":"m","messages":[{"role":"user","content":"hi"}]}`, "m"))
	if ue := upstreamError(t, err); ue.Status != 504 {
		t.Errorf("status %d, want 504", ue.Status)
	}
}

func TestUnreachable(t *testing.T) {
	s := openaitest.New(t)
	c := newClient(t, s, DialectOpenAI)
	s.Close()
	_, err := c.ChatCompletion(context.Background(), chatRequest(t, `{"model":"m","messages":[{"role":"user","content":"hi"}]}`, "m"))
	if ue := upstreamError(t, err); ue.Status != 502 || !ue.Retryable() {
		t.Errorf("status %d, want a retryable 502", ue.Status)
	}
	if err := c.Ping(context.Background()); err == nil {
		t.Errorf("Ping of a closed server: no error")
	}
}

// endTracker is a response body that reports whether it was read to its
// end before being closed.
type endTracker struct {
	r          io.Reader
	sawEOF     bool
	closedOpen bool
}

func (b *endTracker) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if errors.Is(err, io.EOF) {
		b.sawEOF = true
	}
	return n, err
}

func (b *endTracker) Close() error {
	b.closedOpen = !b.sawEOF
	return nil
}

func TestCloseDrainsAfterDone(t *testing.T) {
	c, err := New(Config{Name: "t", BaseURL: "http://unused"})
	if err != nil {
		t.Fatal(err)
	}
	// The end of the body comes in a read of its own, after [DONE], as the
	// end of a chunked body does.
	body := &endTracker{r: io.MultiReader(strings.NewReader("data: {}\n\ndata: [DONE]\n\n"), iotest.OneByteReader(strings.NewReader("\n")))}
	es := newEventStream(c, c.newCall(context.Background()), body, nil, true)
	st := &chatStream{es}
	if _, err := drain[*openai.ChatCompletionChunk](st); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if body.closedOpen {
		t.Errorf("the body was closed before its end: the connection cannot be reused")
	}
}

func TestCloseDoesNotWaitForLingeringServer(t *testing.T) {
	// The emulator writes a chunk and [DONE] as one piece (CR line endings
	// do not end its pieces), then waits an hour before a last comment.
	s := openaitest.New(t, openaitest.WithDefault(openaitest.Reply{
		Header:     http.Header{"Content-Type": {"text/event-stream"}},
		Body:       []byte("data: {\"choices\":[]}\r\rdata: [DONE]\n\n: still here\n\n"),
		ChunkDelay: hour,
	}))
	st, err := newClient(t, s, DialectOpenAI).ChatCompletionStream(context.Background(), chatRequest(t, streamChat, "m"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := drain(st)
	if err != nil || len(got) != 1 {
		t.Fatalf("got %d chunks, %v; want 1 and a clean end", len(got), err)
	}
	closed := make(chan error, 1)
	go func() { closed <- st.Close() }()
	if err := waitFor(t, closed, "return from Close"); err != nil {
		t.Errorf("Close: %v", err)
	}
	waitFor(t, s.Canceled(), "upstream cancellation")
}
