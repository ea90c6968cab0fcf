package openaicompat

import (
	"bytes"
	"context"
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

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/jsonx"
	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
	"github.com/outcrop/outcrop/internal/provider/openaicompat/openaitest"
)

const streamChat = `{"model":"alias","stream":true,"messages":[{"role":"user","content":"hi"}]}`

// withoutUsageNull is what a chunk looks like when the client did not ask
// for usage: OpenAI then sends no `usage` member at all.
func withoutUsageNull(t testing.TB, data []byte) []byte {
	t.Helper()
	m, ok, err := jsonx.Find(data, "usage")
	if err != nil {
		t.Fatal(err)
	}
	if !ok || string(m.Value(data)) != "null" {
		return data
	}
	out, err := jsonx.Delete(data, "usage")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// expectedUsage is the usage of the recorded stream's last chunk.
func expectedUsage(t testing.TB, lines [][]byte) *openai.Usage {
	t.Helper()
	var last struct{ Usage *openai.Usage }
	if err := json.Unmarshal(lines[len(lines)-1], &last); err != nil {
		t.Fatal(err)
	}
	return last.Usage
}

// checkRelayed compares relayed chunks with the recorded data lines.
func checkRelayed(t *testing.T, got []*openai.ChatCompletionChunk, lines [][]byte, includeUsage bool) {
	t.Helper()
	if len(got) != len(lines) {
		t.Fatalf("%d chunks, want %d", len(got), len(lines))
	}
	for i, c := range got {
		want := lines[i]
		if !includeUsage {
			want = withoutUsageNull(t, want)
		}
		if !bytes.Equal(c.Raw, want) {
			t.Errorf("chunk %d:\n got %s\nwant %s", i, c.Raw, want)
		}
		last := i == len(got)-1
		if c.UsageOnly() != last {
			t.Errorf("chunk %d: UsageOnly %v, want %v", i, c.UsageOnly(), last)
		}
	}
	if u := got[len(got)-1].Usage; u == nil || !cmp.Equal(u, expectedUsage(t, lines)) {
		t.Errorf("usage %+v, want %+v", u, expectedUsage(t, lines))
	}
}

func TestStreamRelaysFixtures(t *testing.T) {
	for _, f := range openaitest.SSEFiles(t) {
		for _, includeUsage := range []bool{true, false} {
			name := filepath.Base(f)
			if !includeUsage {
				name += "/client without usage"
			}
			t.Run(name, func(t *testing.T) {
				rep, err := openaitest.LoadSSE(f)
				if err != nil {
					t.Fatal(err)
				}
				s := openaitest.New(t, openaitest.WithDefault(rep))
				body := streamChat
				if includeUsage {
					body = strings.Replace(body, `"stream":true`, `"stream":true,"stream_options":{"include_usage":true}`, 1)
				}
				st, err := newClient(t, s, DialectOpenAI).ChatCompletionStream(context.Background(), chatRequest(t, body, "gpt-4o"))
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				got, err := drain(st)
				if err != nil {
					t.Fatal(err)
				}
				checkRelayed(t, got, dataLines(t, rep.Body), includeUsage)
			})
		}
	}
}

func TestStreamStripsUsageNull(t *testing.T) {
	cas := openaitest.MustCassette(t, "chat-streaming-detailed-usage")
	rec := cas.Interactions[0]
	lines := dataLines(t, rec.Response.Body)
	for _, includeUsage := range []bool{true, false} {
		s := openaitest.New(t, openaitest.WithCassette(cas))
		raw := string(rec.Request.Body)
		if !includeUsage {
			raw = strings.Replace(raw, `"include_usage": true`, `"include_usage": false`, 1)
		}
		st, err := newClient(t, s, DialectOpenAI).ChatCompletionStream(context.Background(), chatRequest(t, raw, "gpt-5-nano"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := drain(st)
		if err != nil {
			t.Fatal(err)
		}
		checkRelayed(t, got, lines, includeUsage)
		for i, c := range got {
			if has := bytes.Contains(c.Raw, []byte(`"usage":null`)); has && !includeUsage {
				t.Errorf("include_usage %v: chunk %d still has \"usage\":null", includeUsage, i)
			}
		}
		if got := s.Requests()[0].Body; !bytes.Contains(got, []byte(`"include_usage": true`)) {
			t.Errorf("upstream was not asked for usage: %s", got)
		}
	}
}

func TestCompletionStream(t *testing.T) {
	for _, name := range []string{"completion-streaming-usage", "completion-streaming"} {
		t.Run(name, func(t *testing.T) {
			cas := openaitest.MustCassette(t, name)
			s := openaitest.New(t, openaitest.WithCassette(cas))
			rec := cas.Interactions[0]
			req := new(openai.CompletionRequest)
			if err := json.Unmarshal(rec.Request.Body, req); err != nil {
				t.Fatal(err)
			}
			req.Raw = rec.Request.Body
			st, err := newClient(t, s, DialectOpenAI).CompletionStream(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			got, err := drain(st)
			if err != nil {
				t.Fatal(err)
			}
			lines := dataLines(t, rec.Response.Body)
			if len(got) != len(lines) {
				t.Fatalf("%d chunks, want %d", len(got), len(lines))
			}
			for i, c := range got {
				if !bytes.Equal(c.Raw, lines[i]) {
					t.Errorf("chunk %d:\n got %s\nwant %s", i, c.Raw, lines[i])
				}
			}
			last := got[len(got)-1]
			if hasUsage := req.IncludeUsage(); hasUsage != last.UsageOnly() || hasUsage != (last.Usage != nil) {
				t.Errorf("last chunk usage %+v, UsageOnly %v; want usage = %v", last.Usage, last.UsageOnly(), hasUsage)
			}
		})
	}
}

func TestStreamForcesUsageUpstream(t *testing.T) {
	tests := []struct {
		name, options, want string
	}{
		{"absent", ``, `"stream_options":{"include_usage":true}`},
		{"obfuscation kept", `,"stream_options":{"include_obfuscation":false}`, `"stream_options":{"include_obfuscation":false,"include_usage":true}`},
		{"false turned true", `,"stream_options":{"include_usage":false,"include_obfuscation":true}`, `"stream_options":{"include_usage":true,"include_obfuscation":true}`},
		{"already true", `,"stream_options":{"include_usage":true}`, `"stream_options":{"include_usage":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openaitest.New(t)
			raw := `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]` + tt.options + `}`
			st, err := newClient(t, s, DialectOpenAI).ChatCompletionStream(context.Background(), chatRequest(t, raw, "gpt-4o"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := drain(st)
			if err != nil {
				t.Fatal(err)
			}
			sent := string(s.Requests()[0].Body)
			if !strings.Contains(sent, tt.want) {
				t.Errorf("upstream got %s, want it to contain %s", sent, tt.want)
			}
			if want := strings.Replace(raw, tt.options, "", 1); tt.options != "" && strings.Replace(sent, ","+tt.want, "", 1) != want {
				t.Errorf("upstream got %s: want only stream_options changed", sent)
			}
			if !got[len(got)-1].UsageOnly() {
				t.Errorf("the stream did not end with the usage chunk")
			}
		})
	}
}

func TestStreamCut(t *testing.T) {
	tests := []struct {
		name  string
		fault *openaitest.Fault
		want  int
	}{
		{"after 2 events", openaitest.CutAfter(2), 2},
		{"inside an event", &openaitest.Fault{After: 3, Partial: true}, 3},
		{"before any event", openaitest.CutAfter(0), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openaitest.New(t, openaitest.WithDefault(openaitest.Reply{Fault: tt.fault}))
			st, err := newClient(t, s, DialectOpenAI).ChatCompletionStream(context.Background(), chatRequest(t, streamChat, "gpt-4o"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := drain(st)
			if err == nil {
				t.Fatalf("cut stream ended with io.EOF after %d chunks, want an error", len(got))
			}
			if len(got) != tt.want {
				t.Errorf("%d chunks before the error, want %d", len(got), tt.want)
			}
			if ue := upstreamError(t, err); ue.Status != 502 || !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("error %v (status %d), want 502 wrapping io.ErrUnexpectedEOF", err, ue.Status)
			}
			if _, again := st.Recv(); !errors.Is(again, err) {
				t.Errorf("Recv after the error: %v, want the same error", again)
			}
			if err := st.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
}

func TestStreamErrorEvent(t *testing.T) {
	tests := []struct {
		name   string
		event  string
		status int
		msg    string
	}{
		{"openai", `{"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}`, 502, "The server had an error"},
		{"vllm with status code", `{"error":{"object":"error","message":"too long","type":"BadRequestError","param":null,"code":400}}`, 400, "too long"},
		{"bare error object", `{"object":"error","message":"oops","type":"InternalServerError","code":500}`, 500, "oops"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openaitest.New(t, openaitest.WithDefault(openaitest.Reply{Fault: &openaitest.Fault{After: 2, Event: []byte(tt.event)}}))
			st, err := newClient(t, s, DialectOpenAI).ChatCompletionStream(context.Background(), chatRequest(t, streamChat, "gpt-4o"))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			got, err := drain(st)
			if len(got) != 2 {
				t.Errorf("%d chunks before the error, want 2", len(got))
			}
			ue := upstreamError(t, err)
			if ue.Status != tt.status || ue.Err.Message != tt.msg || ue.RequestID != "req_emu_00000001" || !json.Valid(ue.Body) {
				t.Errorf("got status %d message %q request ID %q body %s; want %d %q with the response's request ID",
					ue.Status, ue.Err.Message, ue.RequestID, ue.Body, tt.status, tt.msg)
			}
		})
	}
}

func TestStreamAzure(t *testing.T) {
	s := openaitest.New(t)
	st, err := newClient(t, s, DialectAzure).ChatCompletionStream(context.Background(), chatRequest(t, streamChat, "dep"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := drain(st)
	if err != nil {
		t.Fatal(err)
	}
	// Azure's opening prompt-filter chunk has empty choices but no usage:
	// it is relayed, not taken for the usage chunk.
	if first := got[0]; first.UsageOnly() || !bytes.Contains(first.Raw, []byte("prompt_filter_results")) {
		t.Errorf("first chunk %s: want the prompt filter chunk, not usage-only", first.Raw)
	}
	if last := got[len(got)-1]; !last.UsageOnly() {
		t.Errorf("last chunk %s: want the usage chunk", last.Raw)
	}
	if sent := s.Requests()[0]; sent.Path != "/openai/deployments/dep/chat/completions" || !bytes.Contains(sent.Body, []byte(`"model":"alias"`)) {
		t.Errorf("upstream got %s %s", sent.Path, sent.Body)
	}
}

func TestStreamErrorBeforeFirstEvent(t *testing.T) {
	s := openaitest.New(t, openaitest.WithDefault(openaitest.RateLimited(2e9)))
	_, err := newClient(t, s, DialectOpenAI).ChatCompletionStream(context.Background(), chatRequest(t, streamChat, "gpt-4o"))
	if ue := upstreamError(t, err); ue.Status != 429 || ue.RetryAfter != 2e9 {
		t.Errorf("got %d retry %v, want 429 retry 2s", ue.Status, ue.RetryAfter)
	}
}

// splitReader returns its data in reads of random sizes (1 to 64 bytes).
type splitReader struct {
	data []byte
	rng  *rand.Rand
}

func (r *splitReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := min(1+r.rng.IntN(64), len(p), len(r.data))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

// decodeStream decodes body through the stream code, without HTTP.
func decodeStream(t *testing.T, body io.Reader, includeUsage bool) ([]*openai.ChatCompletionChunk, error) {
	t.Helper()
	c, err := New(Config{Name: "t", BaseURL: "http://unused"})
	if err != nil {
		t.Fatal(err)
	}
	es := newEventStream(c, c.newCall(context.Background()), io.NopCloser(body), nil, includeUsage)
	return drain[*openai.ChatCompletionChunk](&chatStream{es})
}

func TestStreamDecodeAtAnyBoundary(t *testing.T) {
	files := openaitest.SSEFiles(t)
	for _, f := range files {
		whole, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, eol := range []string{"\n", "\r\n", "\r"} {
			body := bytes.ReplaceAll(whole, []byte("\n"), []byte(eol))
			readers := map[string]func() io.Reader{
				"whole":     func() io.Reader { return bytes.NewReader(body) },
				"bytewise":  func() io.Reader { return iotest.OneByteReader(bytes.NewReader(body)) },
				"random":    func() io.Reader { return &splitReader{data: body, rng: rand.New(rand.NewPCG(1, 2))} },
				"random 2":  func() io.Reader { return &splitReader{data: body, rng: rand.New(rand.NewPCG(3, 4))} },
				"half read": func() io.Reader { return iotest.HalfReader(bytes.NewReader(body)) },
			}
			for name, rd := range readers {
				t.Run(filepath.Base(f)+"/"+name+"/"+strings.ReplaceAll(strings.ReplaceAll(eol, "\r", "CR"), "\n", "LF"), func(t *testing.T) {
					got, err := decodeStream(t, rd(), true)
					if err != nil {
						t.Fatal(err)
					}
					checkRelayed(t, got, dataLines(t, whole), true)
				})
			}
		}
	}
}

func TestStreamDecodeTruncated(t *testing.T) {
	whole, err := os.ReadFile(openaitest.SSEFiles(t)[0])
	if err != nil {
		t.Fatal(err)
	}
	done := bytes.LastIndex(whole, []byte("data: [DONE]"))
	for _, cut := range []int{0, 10, done / 2, done + 5} {
		_, err := decodeStream(t, bytes.NewReader(whole[:cut]), true)
		var ue *provider.UpstreamError
		if !errors.As(err, &ue) || ue.Status != 502 || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("cut at %d: error %v, want 502 wrapping io.ErrUnexpectedEOF", cut, err)
		}
	}
	// Cut just before [DONE], after the finish chunk: the answer is
	// complete, so the stream ends normally (see TestStreamWithoutDone).
	if _, err := decodeStream(t, bytes.NewReader(whole[:done]), true); err != nil {
		t.Errorf("cut before [DONE] after the finish chunk: got %v, want a clean end", err)
	}
}

func TestStreamDecodeSkipsNoise(t *testing.T) {
	body := ": keep-alive\n\nretry: 100\n\ndata: {\"choices\":[],\"usage\":null}\n\nevent: message\ndata: {\"choices\":[]}\n\ndata:\n\ndata: [DONE]\n\n"
	got, err := decodeStream(t, strings.NewReader(body), false)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`{"choices":[]}`, `{"choices":[]}`}
	var raws []string
	for _, c := range got {
		raws = append(raws, string(c.Raw))
	}
	if diff := cmp.Diff(want, raws); diff != "" {
		t.Errorf("chunks (-want +got):\n%s", diff)
	}
	if _, err := decodeStream(t, strings.NewReader("event: error\ndata: {\"error\":{\"message\":\"x\"}}\n\n"), false); err == nil {
		t.Errorf("an `event: error` passed as a chunk")
	}
	if _, err := decodeStream(t, strings.NewReader("data: not json\n\n"), false); err == nil {
		t.Errorf("a non-JSON event passed as a chunk")
	}
}

// TestStreamWithoutDone accepts a stream whose body ends cleanly after the
// finish chunk without [DONE], as older llama.cpp servers send it, while a
// stream cut before any finish_reason stays an error.
func TestStreamWithoutDone(t *testing.T) {
	finish := `{"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`
	first := `{"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"hi"},"finish_reason":null}]}`
	tests := []struct {
		name    string
		body    string
		wantErr bool
	}{
		{"finished", "data: " + first + "\n\ndata: " + finish + "\n\n", false},
		{"unfinished", "data: " + first + "\n\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu := openaitest.New(t, openaitest.WithDefault(openaitest.RawReply(http.StatusOK, "text/event-stream", []byte(tt.body))))
			c, err := New(Config{Name: "emu", BaseURL: emu.OpenAIBase()})
			if err != nil {
				t.Fatal(err)
			}
			req, err := openai.DecodeChatCompletionRequest([]byte(`{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
			if err != nil {
				t.Fatal(err)
			}
			st, err := c.ChatCompletionStream(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			var last error
			for n := 0; n < 10; n++ {
				if _, last = st.Recv(); last != nil {
					break
				}
			}
			if gotErr := !errors.Is(last, io.EOF); gotErr != tt.wantErr {
				t.Errorf("got %v, want error %v", last, tt.wantErr)
			}
		})
	}
}
