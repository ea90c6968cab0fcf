package bedrocktest_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go/eventstream"
	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/provider/bedrock/bedrocktest"
)

const streamBody = `{"messages":[{"role":"user","content":[{"text":"hello"}]}]}`

// post sends an unsigned request to an emulator started WithoutAuth and
// returns the response with its body read (up to a cut).
func post(t *testing.T, s *bedrocktest.Server, op, modelID, body string) (*http.Response, []byte, error) {
	t.Helper()
	u := s.URL() + "/model/" + url.PathEscape(modelID) + "/" + op
	resp, err := http.Post(u, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp, data, err
}

// decodeAll decodes frames with smithy-go's decoder until the body ends,
// returning them with the error that ended them (nil at a clean end).
func decodeAll(data []byte) ([]eventstream.Message, error) {
	dec := eventstream.NewDecoder()
	r := bytes.NewReader(data)
	var msgs []eventstream.Message
	for r.Len() > 0 {
		m, err := dec.Decode(r, nil)
		if err != nil {
			return msgs, err
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// headerList renders a message's headers as "name=value" in order.
func headerList(m eventstream.Message) []string {
	var out []string
	for _, h := range m.Headers {
		out = append(out, h.Name+"="+h.Value.String())
	}
	return out
}

var (
	uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	padPattern  = regexp.MustCompile(`^a[a-zA-Z0-9]*$`)
)

func TestFramesOnTheWire(t *testing.T) {
	s := bedrocktest.New(t, bedrocktest.WithoutAuth(), bedrocktest.WithAnswer("Hi there"))
	resp, data, err := post(t, s, "converse-stream", haiku, streamBody)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != bedrocktest.ContentTypeEventStream {
		t.Errorf("Content-Type %q", ct)
	}
	if id := resp.Header.Get("X-Amzn-Requestid"); !uuidPattern.MatchString(id) {
		t.Errorf("x-amzn-RequestId %q is not a UUID", id)
	}
	msgs, err := decodeAll(data)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, m := range msgs {
		h := headerList(m)
		types = append(types, strings.TrimPrefix(h[0], ":event-type="))
		if diff := cmp.Diff([]string{h[0], ":content-type=application/json", ":message-type=event"}, h); diff != "" {
			t.Errorf("headers (-want +got):\n%s", diff)
		}
		var payload map[string]any
		if err := json.Unmarshal(m.Payload, &payload); err != nil {
			t.Fatalf("payload %s: %v", m.Payload, err)
		}
		if p, _ := payload["p"].(string); !padPattern.MatchString(p) {
			t.Errorf("padding %q in %s", p, m.Payload)
		}
	}
	want := []string{"messageStart", "contentBlockDelta", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata"}
	if diff := cmp.Diff(want, types); diff != "" {
		t.Errorf("event types (-want +got):\n%s", diff)
	}
}

func TestPaddingSeed(t *testing.T) {
	stream := func(opts ...bedrocktest.Option) []byte {
		s := bedrocktest.New(t, append(opts, bedrocktest.WithoutAuth())...)
		_, data, err := post(t, s, "converse-stream", haiku, streamBody)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	a, b := stream(bedrocktest.WithSeed(7)), stream(bedrocktest.WithSeed(7))
	if !bytes.Equal(a, b) {
		t.Error("the same seed gave different bytes")
	}
	if c := stream(bedrocktest.WithSeed(8)); bytes.Equal(a, c) {
		t.Error("different seeds gave the same bytes")
	}
	msgs, err := decodeAll(stream(bedrocktest.WithoutPadding()))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(msgs[0].Payload); got != `{"role":"assistant"}` {
		t.Errorf("unpadded messageStart %s", got)
	}
}

func TestExceptionAndErrorFrames(t *testing.T) {
	s := bedrocktest.New(t, bedrocktest.WithoutAuth(), bedrocktest.WithReplies(
		bedrocktest.Reply{Events: []bedrocktest.Event{
			bedrocktest.Exception(bedrocktest.CodeThrottling, "slow"),
			bedrocktest.ModelStreamError("broke", 503, "busy"),
			bedrocktest.ErrorFrame("InternalFailure", "oops"),
		}},
	))
	_, data, err := post(t, s, "converse-stream", haiku, streamBody)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := decodeAll(data)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range msgs {
		got = append(got, strings.Join(headerList(m), " ")+" "+string(m.Payload))
	}
	want := []string{
		`:exception-type=throttlingException :content-type=application/json :message-type=exception {"message":"slow"}`,
		`:exception-type=modelStreamErrorException :content-type=application/json :message-type=exception {"message":"broke","originalStatusCode":503,"originalMessage":"busy"}`,
		`:error-code=InternalFailure :error-message=oops :message-type=error `,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("frames (-want +got):\n%s", diff)
	}
}

func TestCutBytes(t *testing.T) {
	tests := []struct {
		name  string
		fault *bedrocktest.Fault
	}{
		{"cut", bedrocktest.CutAfter(2)},
		{"truncated", bedrocktest.TruncateAfter(2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := bedrocktest.New(t, bedrocktest.WithoutAuth(), bedrocktest.WithDefault(bedrocktest.Reply{Fault: tt.fault}))
			_, data, err := post(t, s, "converse-stream", haiku, streamBody)
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("body read ended with %v, want io.ErrUnexpectedEOF", err)
			}
			msgs, err := decodeAll(data)
			if len(msgs) != 2 {
				t.Errorf("%d whole frames, want 2", len(msgs))
			}
			if truncated := tt.name == "truncated"; truncated != (err != nil) {
				t.Errorf("decoding the rest gave %v", err)
			}
		})
	}
}

func TestErrorAnswerWire(t *testing.T) {
	tests := []struct {
		form   bedrocktest.ErrorForm
		header string
		body   string
	}{
		{bedrocktest.FormHeader, "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/", `{"message":"slow"}`},
		{bedrocktest.FormBody, "", `{"__type":"ThrottlingException","message":"slow"}`},
		{bedrocktest.FormBoth, "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/", `{"__type":"ThrottlingException","message":"slow"}`},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.form), func(t *testing.T) {
			s := bedrocktest.New(t, bedrocktest.WithoutAuth(), bedrocktest.WithErrorForm(tt.form),
				bedrocktest.WithReplies(bedrocktest.ErrorReply(bedrocktest.CodeThrottling, "slow")))
			resp, data, err := post(t, s, "converse", haiku, streamBody)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("X-Amzn-Errortype") != tt.header || string(data) != tt.body ||
				resp.Header.Get("Content-Type") != "application/json" || !uuidPattern.MatchString(resp.Header.Get("X-Amzn-Requestid")) {
				t.Errorf("got %d %v %s", resp.StatusCode, resp.Header, data)
			}
		})
	}
}

func TestUnknownOperation(t *testing.T) {
	s := bedrocktest.New(t, bedrocktest.WithoutAuth())
	resp, _, err := post(t, s, "converse-sideways", haiku, streamBody)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusNotFound || !strings.HasPrefix(resp.Header.Get("X-Amzn-Errortype"), bedrocktest.CodeUnknownOperation+":") {
		t.Errorf("got %d %v", resp.StatusCode, resp.Header)
	}
}

func TestLatencyCanceled(t *testing.T) {
	s := bedrocktest.New(t, bedrocktest.WithoutAuth(), bedrocktest.WithHeaderLatency(0),
		bedrocktest.WithDefault(bedrocktest.Reply{Latency: time.Hour}))
	reqCtx, cancel := contextWithCancel(t)
	req, err := http.NewRequestWithContext(reqCtx, http.MethodPost, s.URL()+"/model/"+url.PathEscape(haiku)+"/converse", strings.NewReader(streamBody))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	waitFor(t, s.Arrivals(), "arrival")
	cancel()
	if err := <-done; err == nil {
		t.Error("the request was answered during its latency")
	}
	waitFor(t, s.Canceled(), "cancellation")
}

// vectorHeader is a header of the decoded test vectors.
type vectorHeader struct {
	Name  string          `json:"name"`
	Type  int             `json:"type"`
	Value json.RawMessage `json:"value"`
}

// render writes a header value the way headerString does for decoded
// ones, from the vector's JSON (strings, bytes and UUIDs are base64).
func (h vectorHeader) render() string {
	var raw string
	_ = json.Unmarshal(h.Value, &raw)
	b, _ := base64.StdEncoding.DecodeString(raw)
	switch h.Type {
	case 6, 9:
		return fmt.Sprintf("%s|%d|%s", h.Name, h.Type, hex.EncodeToString(b))
	case 7:
		return fmt.Sprintf("%s|%d|%s", h.Name, h.Type, b)
	}
	return fmt.Sprintf("%s|%d|%s", h.Name, h.Type, h.Value)
}

// headerString renders a decoded header as name|type|value.
func headerString(h eventstream.Header) string {
	var typ int
	var val string
	switch v := h.Value.(type) {
	case eventstream.BoolValue:
		typ, val = map[bool]int{true: 0, false: 1}[bool(v)], fmt.Sprint(bool(v))
	case eventstream.Int8Value:
		typ, val = 2, fmt.Sprint(int8(v))
	case eventstream.Int16Value:
		typ, val = 3, fmt.Sprint(int16(v))
	case eventstream.Int32Value:
		typ, val = 4, fmt.Sprint(int32(v))
	case eventstream.Int64Value:
		typ, val = 5, fmt.Sprint(int64(v))
	case eventstream.BytesValue:
		typ, val = 6, hex.EncodeToString(v)
	case eventstream.StringValue:
		typ, val = 7, string(v)
	case eventstream.TimestampValue:
		typ, val = 8, fmt.Sprint(time.Time(v).UnixMilli())
	case eventstream.UUIDValue:
		typ, val = 9, hex.EncodeToString(v[:])
	}
	return fmt.Sprintf("%s|%d|%s", h.Name, typ, val)
}

// TestEventStreamVectors shows that the codec the emulator encodes with
// (smithy-go's, the one bedrockruntime decodes with) reads the official
// vectors and rejects the corrupted ones, and that re-encoding a decoded
// vector gives its bytes back.
func TestEventStreamVectors(t *testing.T) {
	const dir = "../../../../../shared/fixtures/aws-eventstream-vectors"
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("vectors not found: %v", err)
	}
	for _, kind := range []string{"positive", "negative"} {
		files, err := filepath.Glob(filepath.Join(dir, "encoded", kind, "*"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no %s vectors: %v", kind, err)
		}
		for _, f := range files {
			t.Run(kind+"/"+filepath.Base(f), func(t *testing.T) {
				enc, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				msg, err := eventstream.NewDecoder().Decode(bytes.NewReader(enc), nil)
				if kind == "negative" {
					var ce eventstream.ChecksumError
					if !errors.As(err, &ce) {
						t.Errorf("got %v, want a checksum error", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				checkVector(t, filepath.Join(dir, "decoded", kind, filepath.Base(f)), msg)
				var again bytes.Buffer
				if err := eventstream.NewEncoder().Encode(&again, msg); err != nil || !bytes.Equal(again.Bytes(), enc) {
					t.Errorf("re-encoded %x (%v), want %x", again.Bytes(), err, enc)
				}
			})
		}
	}
}

func checkVector(t *testing.T, path string, msg eventstream.Message) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		Headers []vectorHeader `json:"headers"`
		Payload []byte         `json:"payload"`
	}
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	var wantHeaders, gotHeaders []string
	for _, h := range want.Headers {
		wantHeaders = append(wantHeaders, h.render())
	}
	for _, h := range msg.Headers {
		gotHeaders = append(gotHeaders, headerString(h))
	}
	if diff := cmp.Diff(wantHeaders, gotHeaders); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}
	if !bytes.Equal(msg.Payload, want.Payload) {
		t.Errorf("payload %q, want %q", msg.Payload, want.Payload)
	}
}
