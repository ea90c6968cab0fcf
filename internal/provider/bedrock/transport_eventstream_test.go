package bedrock

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/aws/smithy-go/eventstream"
	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/provider"
)

// encodeFrame encodes one event-stream message with the SDK's encoder.
func encodeFrame(t testing.TB, payload string, headers ...string) []byte {
	t.Helper()
	var msg eventstream.Message
	for i := 0; i+1 < len(headers); i += 2 {
		msg.Headers.Set(headers[i], eventstream.StringValue(headers[i+1]))
	}
	msg.Payload = []byte(payload)
	var b bytes.Buffer
	if err := eventstream.NewEncoder().Encode(&b, msg); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func eventFrame(t testing.TB, typ, payload string) []byte {
	t.Helper()
	return encodeFrame(t, payload, ":event-type", typ, ":content-type", "application/json", ":message-type", "event")
}

func exceptionFrame(t testing.TB, typ, payload string) []byte {
	t.Helper()
	return encodeFrame(t, payload, ":exception-type", typ, ":content-type", "application/json", ":message-type", "exception")
}

func errorFrameBytes(t testing.TB, code, msg string) []byte {
	t.Helper()
	return encodeFrame(t, "", ":error-code", code, ":error-message", msg, ":message-type", "error")
}

// testEventStream returns an EventStream reading r, with no HTTP behind it.
func testEventStream(t testing.TB, r io.Reader) *EventStream {
	t.Helper()
	tr := &transport{name: "test"}
	tr.initLimits()
	body, ok := r.(io.ReadCloser)
	if !ok {
		body = io.NopCloser(r)
	}
	s := newEventStream(tr, tr.newCall(context.Background()), &http.Response{Body: body, Header: http.Header{"X-Amzn-Requestid": {"rid"}}})
	t.Cleanup(func() { s.Close() })
	return s
}

// splitReader returns the data in chunks of random length.
type splitReader struct {
	data []byte
	rnd  *rand.Rand
}

func (r *splitReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := min(1+r.rnd.IntN(40), len(p), len(r.data))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

// readers feeds data whole, one byte at a time and at random splits.
func readers(data []byte) map[string]func() io.Reader {
	return map[string]func() io.Reader{
		"whole":    func() io.Reader { return bytes.NewReader(data) },
		"bytewise": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(data)) },
		"random": func() io.Reader {
			return &splitReader{data: data, rnd: rand.New(rand.NewPCG(1, uint64(len(data))))}
		},
	}
}

type gotEvent struct {
	Type, Payload string
}

// drain reads s to its end, returning the events and the final error.
func drain(s *EventStream) ([]gotEvent, error) {
	var got []gotEvent
	for {
		ev, err := s.Recv()
		if err != nil {
			return got, err
		}
		got = append(got, gotEvent{ev.Type, string(ev.Payload)})
	}
}

func TestEventStreamEvents(t *testing.T) {
	want := []gotEvent{
		{"messageStart", `{"role":"assistant","p":"abcdefghij"}`},
		{"contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Hel"},"p":"abc"}`},
		{"contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"` + strings.Repeat("lo", 3000) + `"}}`},
		{"contentBlockStop", `{"contentBlockIndex":0}`},
		{"messageStop", `{"stopReason":"end_turn"}`},
		{"metadata", `{"usage":{"inputTokens":3,"outputTokens":2,"totalTokens":5},"metrics":{"latencyMs":9}}`},
	}
	var data []byte
	for _, e := range want {
		data = append(data, eventFrame(t, e.Type, e.Payload)...)
	}
	for name, r := range readers(data) {
		t.Run(name, func(t *testing.T) {
			s := testEventStream(t, r())
			got, err := drain(s)
			if !errors.Is(err, io.EOF) {
				t.Fatalf("got error %v, want io.EOF", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("events mismatch (-want +got):\n%s", diff)
			}
			if _, err := s.Recv(); !errors.Is(err, io.EOF) {
				t.Errorf("Recv after the end got %v, want io.EOF again", err)
			}
		})
	}
}

// TestEventStreamPayloadReuse checks that the payload buffer is reused:
// a payload is valid only until the next Recv.
func TestEventStreamPayloadReuse(t *testing.T) {
	data := append(eventFrame(t, "a", `{"x":1}`), eventFrame(t, "b", `{"y":2}`)...)
	s := testEventStream(t, bytes.NewReader(data))
	first, err := s.Recv()
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if &first.Payload[0] != &second.Payload[0] {
		t.Error("got a new payload buffer for the second frame, want the first one reused")
	}
}

func TestEventStreamFailures(t *testing.T) {
	start := eventFrame(t, "messageStart", `{"role":"assistant"}`)
	tests := []struct {
		name       string
		tail       []byte
		wantStatus int
		wantCode   string
	}{
		{"exception lowerCamel", exceptionFrame(t, "throttlingException", `{"message":"slow down"}`), 429, CodeThrottling},
		{"exception UpperCamel", exceptionFrame(t, "ModelStreamErrorException", `{"message":"x","originalStatusCode":500}`), 502, CodeModelStreamError},
		{"exception validation", exceptionFrame(t, "validationException", `{"message":"bad"}`), 400, CodeValidation},
		{"error frame", errorFrameBytes(t, "InternalFailure", "it broke"), 502, "InternalFailure"},
		{"unknown message type", encodeFrame(t, "{}", ":message-type", "surprise"), 502, ""},
		{"event without type", encodeFrame(t, "{}", ":message-type", "event"), 502, ""},
	}
	for _, tt := range tests {
		for name, r := range readers(append(bytes.Clone(start), tt.tail...)) {
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				s := testEventStream(t, r())
				got, err := drain(s)
				if len(got) != 1 || got[0].Type != "messageStart" {
					t.Errorf("events before the failure got %v, want the messageStart", got)
				}
				var ue *provider.UpstreamError
				if !errors.As(err, &ue) {
					t.Fatalf("got %v, want an UpstreamError", err)
				}
				if ue.Status != tt.wantStatus {
					t.Errorf("status got %d, want %d", ue.Status, tt.wantStatus)
				}
				var api *APIError
				if tt.wantCode != "" && (!errors.As(err, &api) || api.Code != tt.wantCode || api.RequestID != "rid") {
					t.Errorf("cause got %v, want code %q with the request ID", ue.Cause, tt.wantCode)
				}
				if _, again := s.Recv(); !errors.Is(again, err) {
					t.Errorf("Recv after the failure got %v, want the same error", again)
				}
			})
		}
	}
}

// TestEventStreamTruncated cuts a two-frame stream at every offset: a cut
// between frames is a clean end, any other a 502, never io.EOF.
func TestEventStreamTruncated(t *testing.T) {
	a := eventFrame(t, "messageStart", `{"role":"assistant"}`)
	b := eventFrame(t, "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"hi"}}`)
	data := append(bytes.Clone(a), b...)
	for cut := 0; cut < len(data); cut++ {
		s := testEventStream(t, iotest.OneByteReader(bytes.NewReader(data[:cut])))
		got, err := drain(s)
		switch cut {
		case 0, len(a):
			if !errors.Is(err, io.EOF) {
				t.Errorf("cut at %d: got %v, want io.EOF", cut, err)
			}
		default:
			var ue *provider.UpstreamError
			if !errors.As(err, &ue) || ue.Status != http.StatusBadGateway {
				t.Errorf("cut at %d: got %v, want a 502", cut, err)
			}
		}
		wantN := 0
		if cut >= len(a) {
			wantN = 1
		}
		if len(got) != wantN {
			t.Errorf("cut at %d: got %d events, want %d", cut, len(got), wantN)
		}
	}
}

func TestEventStreamCorrupt(t *testing.T) {
	frame := eventFrame(t, "messageStart", `{"role":"assistant"}`)
	for i := range frame {
		data := bytes.Clone(frame)
		data[i] ^= 0x20
		s := testEventStream(t, bytes.NewReader(data))
		_, err := drain(s)
		var ue *provider.UpstreamError
		if errors.Is(err, io.EOF) || !errors.As(err, &ue) || ue.Status != http.StatusBadGateway {
			t.Errorf("byte %d flipped: got %v, want a 502", i, err)
		}
	}
}

func TestEventStreamReadError(t *testing.T) {
	frame := eventFrame(t, "messageStart", `{"role":"assistant"}`)
	r := io.MultiReader(bytes.NewReader(frame[:10]), iotest.ErrReader(errors.New("connection reset by peer")))
	_, err := drain(testEventStream(t, r))
	var ue *provider.UpstreamError
	if !errors.As(err, &ue) || ue.Status != http.StatusBadGateway || !strings.Contains(err.Error(), "connection reset") {
		t.Errorf("got %v, want a 502 caused by the reset", err)
	}
}

// TestEventStreamCloseUnblocks closes a stream from another goroutine
// while Recv waits for data.
func TestEventStreamCloseUnblocks(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	s := testEventStream(t, pr)
	done := make(chan error)
	go func() {
		_, err := s.Recv()
		done <- err
	}()
	if _, err := pw.Write(eventFrame(t, "x", "{}")[:5]); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s.Close()
	if err := <-done; !errors.Is(err, ErrStreamClosed) {
		t.Errorf("got %v, want ErrStreamClosed", err)
	}
}

// vector is the decoded form of an official event-stream test vector.
type vector struct {
	Headers []struct {
		Name  string          `json:"name"`
		Type  int             `json:"type"`
		Value json.RawMessage `json:"value"`
	} `json:"headers"`
	Payload []byte `json:"payload"`
}

const vectors = "../../../../shared/fixtures/aws-eventstream-vectors"

func vectorDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(vectors, "encoded")
	if _, err := os.Stat(dir); err != nil {
		dir = "/work/shared/fixtures/aws-eventstream-vectors/encoded"
	}
	return dir
}

func TestEventStreamVectors(t *testing.T) {
	dir := vectorDir(t)
	positive, err := filepath.Glob(filepath.Join(dir, "positive", "*"))
	if err != nil || len(positive) == 0 {
		t.Fatalf("no positive vectors in %s: %v", dir, err)
	}
	for _, path := range positive {
		name := filepath.Base(path)
		enc, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		js, err := os.ReadFile(filepath.Join(dir, "..", "decoded", "positive", name))
		if err != nil {
			t.Fatal(err)
		}
		var want vector
		if err := json.Unmarshal(js, &want); err != nil {
			t.Fatal(err)
		}
		for how, r := range readers(append(bytes.Clone(enc), enc...)) {
			t.Run(name+"/"+how, func(t *testing.T) {
				s := testEventStream(t, r())
				for i := 0; i < 2; i++ {
					msg, err := s.readFrame()
					if err != nil {
						t.Fatalf("frame %d: %v", i, err)
					}
					checkVector(t, want, msg)
				}
				if _, err := s.readFrame(); !errors.Is(err, io.EOF) {
					t.Errorf("after the frames got %v, want io.EOF", err)
				}
			})
		}
	}
	negative, err := filepath.Glob(filepath.Join(dir, "negative", "*"))
	if err != nil || len(negative) == 0 {
		t.Fatalf("no negative vectors in %s: %v", dir, err)
	}
	for _, path := range negative {
		enc, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for how, r := range readers(enc) {
			t.Run(filepath.Base(path)+"/"+how, func(t *testing.T) {
				_, err := testEventStream(t, r()).Recv()
				var ue *provider.UpstreamError
				if errors.Is(err, io.EOF) || !errors.As(err, &ue) || ue.Status != http.StatusBadGateway {
					t.Errorf("got %v, want a 502", err)
				}
			})
		}
	}
}

func checkVector(t *testing.T, want vector, msg eventstream.Message) {
	t.Helper()
	if !bytes.Equal(msg.Payload, want.Payload) {
		t.Errorf("payload got %q, want %q", msg.Payload, want.Payload)
	}
	if len(msg.Headers) != len(want.Headers) {
		t.Fatalf("got %d headers, want %d", len(msg.Headers), len(want.Headers))
	}
	for i, h := range want.Headers {
		got := msg.Headers[i]
		if got.Name != h.Name {
			t.Errorf("header %d name got %q, want %q", i, got.Name, h.Name)
		}
		if h.Type != 7 {
			continue
		}
		var b64 string
		if err := json.Unmarshal(h.Value, &b64); err != nil {
			t.Fatal(err)
		}
		v, _ := base64.StdEncoding.DecodeString(b64)
		if sv, ok := got.Value.(eventstream.StringValue); !ok || string(sv) != string(v) {
			t.Errorf("header %s got %v, want %q", h.Name, got.Value, v)
		}
	}
}
