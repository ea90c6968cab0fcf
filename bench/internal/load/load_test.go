package load

import (
	"bytes"
	"net"
	"testing"
	"testing/iotest"
	"time"

	"github.com/aws/smithy-go/eventstream"
	"github.com/valyala/fasthttp"

	"github.com/outcrop/outcrop/bench/internal/hist"
	"github.com/outcrop/outcrop/bench/internal/upstream"
	"github.com/outcrop/outcrop/internal/provider/bedrock/bedrocktest"
)

// openAI serves the OpenAI emulator in-process for a test.
func openAI(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var o upstream.OpenAI
	srv := &fasthttp.Server{Handler: o.Handler}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return ln.Addr().String()
}

func chat(addr string, s upstream.Shape) Request {
	body, expect := `{"model":"`+s.OpenAIModel()+`","messages":[]}`, `"content"`
	if s.Stream {
		body, expect = `{"model":"`+s.OpenAIModel()+`","stream":true,"messages":[]}`, "[DONE]"
	}
	return Request{Addr: addr, Path: "/v1/chat/completions", Body: []byte(body), Expect: []byte(expect)}
}

// counting is a Meter that counts its calls.
type counting struct{ begin, end int }

func (c *counting) Begin() { c.begin++ }
func (c *counting) End()   { c.end++ }

func TestRunClosed(t *testing.T) {
	addr := openAI(t)
	for _, s := range []upstream.Shape{{}, {Stream: true, Chunks: 3}} {
		var m counting
		res := RunClosed(t.Context(), NewClient(addr, 4), chat(addr, s), Closed{Concurrency: 2, Warmup: 20 * time.Millisecond, Window: 100 * time.Millisecond}, &m)
		if res.Requests == 0 || res.Errors != 0 || res.Latency.Count() != uint64(res.Requests) {
			t.Errorf("%s: got %d requests, %d errors (%s), %d latencies", s.Name(), res.Requests, res.Errors, res.FirstError, res.Latency.Count())
		}
		if m.begin != 1 || m.end != 1 {
			t.Errorf("%s: meter got %d begins and %d ends, want 1 and 1", s.Name(), m.begin, m.end)
		}
	}
}

func TestRunClosedCountsErrors(t *testing.T) {
	addr := openAI(t)
	req := Request{Addr: addr, Path: "/v1/chat/completions", Body: []byte(`{"model":"gpt-4o"}`)}
	res := RunClosed(t.Context(), NewClient(addr, 1), req, Closed{Concurrency: 1, Window: 30 * time.Millisecond}, NopMeter{})
	if res.Errors == 0 || res.Requests != 0 {
		t.Errorf("got %d requests and %d errors, want only errors (status 400)", res.Requests, res.Errors)
	}
}

func TestRunOpenTimesFromDue(t *testing.T) {
	addr := openAI(t)
	spec := Open{Rate: 200, Warmup: 20 * time.Millisecond, Window: 200 * time.Millisecond, MaxWorkers: 8, Drain: time.Second}
	res := RunOpen(t.Context(), NewClient(addr, 8), chat(addr, upstream.Shape{Delay: 10 * time.Millisecond}), spec, NopMeter{})
	if res.Errors != 0 || res.Requests < 35 || res.Requests > 41 {
		t.Errorf("got %d requests (%d errors: %s), want the 40 due in the window", res.Requests, res.Errors, res.FirstError)
	}
	if p50 := time.Duration(res.Latency.Quantile(0.5)); p50 < 10*time.Millisecond {
		t.Errorf("p50: got %v, want at least the upstream's 10ms", p50)
	}
}

func TestRunStreams(t *testing.T) {
	addr := openAI(t)
	br, err := upstream.StartBedrock("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(br.Close)
	s := upstream.Shape{Stream: true, Chunks: 4, Gap: 5 * time.Millisecond}
	bedrock := Request{
		Addr: br.URL()[len("http://"):], Path: "/model/" + s.BedrockModel() + "/converse-stream",
		Body:   []byte(`{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`),
		Header: [][2]string{{"Authorization", "Bearer " + bedrocktest.BearerToken}},
	}
	for name, tc := range map[string]struct {
		req Request
		f   Framing
	}{"sse": {chat(addr, s), SSE}, "event stream": {bedrock, EventStream}} {
		t.Run(name, func(t *testing.T) {
			ticks := 0
			spec := Streams{
				Count: 6, Ramp: 10 * time.Millisecond, Framing: tc.f, Chunks: s.Chunks, Stall: time.Second,
				Timeout: 10 * time.Second, OnTick: func(int) { ticks++ }, Tick: time.Millisecond,
			}
			res := RunStreams(t.Context(), NewStreamClient(), tc.req, spec, NopMeter{})
			if res.Completed != 6 || res.Errors != 0 || res.Chunks != 24 || res.Stalled != 0 {
				t.Errorf("got %d completed, %d errors (%s), %d chunks, %d stalled; want 6, 0, 24, 0",
					res.Completed, res.Errors, res.FirstError, res.Chunks, res.Stalled)
			}
			if res.TTFT.Count() != 6 || res.Gap.Count() != 18 || ticks == 0 {
				t.Errorf("got %d TTFTs, %d gaps, %d ticks; want 6, 18, some", res.TTFT.Count(), res.Gap.Count(), ticks)
			}
		})
	}
}

// TestReadOneByteAtATime feeds a recorded SSE answer and a recorded
// event stream one byte at a time: every event must be seen once.
func TestReadOneByteAtATime(t *testing.T) {
	sse := "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n" +
		"data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n: ping\n\n" +
		"data: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\n\ndata: [DONE]\n\n"
	var t1 chunkTimer
	t1.ttft, t1.gap, t1.at = new(hist.Histogram), new(hist.Histogram), time.Now()
	if err := read(iotest.OneByteReader(bytes.NewReader([]byte(sse))), SSE, &t1); err != nil || t1.n != 2 {
		t.Errorf("sse: got %d chunks, %v; want 2, nil", t1.n, err)
	}
	var t2 chunkTimer
	t2.ttft, t2.gap = new(hist.Histogram), new(hist.Histogram)
	if err := read(bytes.NewReader([]byte(sse[:len(sse)-len("data: [DONE]\n\n")])), SSE, &t2); err == nil {
		t.Error("sse without [DONE]: got no error, want one")
	}
	var frames bytes.Buffer
	enc := eventstream.NewEncoder()
	for _, typ := range []string{"messageStart", "contentBlockDelta", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata"} {
		var m eventstream.Message
		m.Headers.Set(eventstream.EventTypeHeader, eventstream.StringValue(typ))
		m.Payload = []byte(`{"p":"abc"}`)
		if err := enc.Encode(&frames, m); err != nil {
			t.Fatal(err)
		}
	}
	var t3 chunkTimer
	t3.ttft, t3.gap = new(hist.Histogram), new(hist.Histogram)
	if err := read(iotest.OneByteReader(&frames), EventStream, &t3); err != nil || t3.n != 2 {
		t.Errorf("event stream: got %d chunks, %v; want 2, nil", t3.n, err)
	}
}
