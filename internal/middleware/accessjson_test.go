package middleware

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/outcrop/outcrop/internal/openai"
)

// slogLine is what slog.JSONHandler writes for a at t and level.
func slogLine(t *testing.T, a *accessRecord, at time.Time, level slog.Level) string {
	t.Helper()
	var out bytes.Buffer
	r := slog.NewRecord(at, level, "request", 0)
	r.AddAttrs(a.attrs()...)
	if err := slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}).Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestAccessJSON: the access log's own encoding is byte for byte what
// slog's JSON handler writes for the same record, on hand-picked strings
// (every escape slog makes, invalid UTF-8, the separators) and on random
// records.
func TestAccessJSON(t *testing.T) {
	at := time.Date(2026, 12, 7, 2, 3, 4, 123456789, time.UTC)
	cases := []accessRecord{
		{requestID: "req_1", method: "POST", route: "POST /v1/chat/completions", status: 200, latencyMS: 1.234, bytes: 512},
		{requestID: "", method: "GET", route: "unmatched", status: 404, latencyMS: 0, bytes: 0},
		{
			requestID: "r", method: "POST", route: "x", status: 502, latencyMS: 12345678.901, bytes: 1 << 40,
			keyID: "master", model: "gpt-4o", deployment: "openai/gpt-4o", stream: true, ttftMS: 0.001,
			usage: &openai.Usage{PromptTokens: 3, CompletionTokens: 4, TotalTokens: 7}, upstreamRequestID: "abc-123",
			err: "upstream said \"no\" <&> \\ \n\r\t\x00\x1f\x7f \u2028\u2029 \xff\xfe é 😀", hasErr: true,
		},
		{requestID: "r", method: "POST", route: "x", status: 200, latencyMS: 1e-7, hasErr: true},
		{requestID: "r", method: "POST", route: "x", status: 200, latencyMS: 1e21, stream: true, ttftMS: 123456.5},
	}
	for i, a := range cases {
		for _, level := range []slog.Level{slog.LevelInfo, slog.LevelError} {
			got := string(a.appendJSON(nil, at, level))
			if want := slogLine(t, &a, at, level); got != want {
				t.Errorf("case %d, %v:\n got %s\nwant %s", i, level, got, want)
			}
		}
	}

	rng := rand.New(rand.NewPCG(7, 11))
	pieces := []string{
		"a", "Z", "0", " ", "\"", "\\", "/", "<", ">", "&", "\n", "\r", "\t", "\b", "\f", "\x00", "\x1f", "\x7f",
		"é", "€", "😀", "\u2028", "\u2029", "\xff", "\xc3", "\xe2\x80", "\ufffd", "POST /v1/models/{model}",
	}
	str := func() string {
		var b strings.Builder
		for range rng.IntN(8) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		return b.String()
	}
	float := func() float64 {
		switch rng.IntN(4) {
		case 0:
			return float64(rng.IntN(1_000_000)) / 1000
		case 1:
			return math.Ldexp(rng.Float64(), rng.IntN(160)-80)
		case 2:
			return float64(rng.Int64())
		}
		return 0
	}
	opt := func() string {
		if rng.IntN(2) == 0 {
			return ""
		}
		return str()
	}
	for i := range 5000 {
		a := accessRecord{
			requestID: str(), method: str(), route: str(), status: rng.IntN(600), latencyMS: float(),
			bytes: rng.Int64N(1 << 50), keyID: opt(), model: opt(), deployment: opt(),
			stream: rng.IntN(2) == 0, ttftMS: float(), upstreamRequestID: opt(), hasErr: rng.IntN(3) == 0, err: str(),
		}
		if rng.IntN(2) == 0 {
			a.usage = &openai.Usage{PromptTokens: rng.IntN(1 << 20), CompletionTokens: rng.IntN(1 << 20), TotalTokens: rng.IntN(1 << 21)}
		}
		when := at.Add(time.Duration(rng.Int64N(int64(1000 * time.Hour))))
		if rng.IntN(2) == 0 {
			when = when.In(time.FixedZone("X", 3600*rng.IntN(12)))
		}
		level := slog.LevelInfo
		if a.status >= 500 {
			level = slog.LevelError
		}
		got := string(a.appendJSON(nil, when, level))
		if want := slogLine(t, &a, when, level); got != want {
			t.Fatalf("record %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// lineHandler is a JSONLineHandler over a JSONHandler, as telemetry's is,
// that counts what came which way.
type lineHandler struct {
	slog.Handler
	out            *bytes.Buffer
	plain          bool
	lines, records int
}

func (h *lineHandler) PlainJSON() bool { return h.plain }

func (h *lineHandler) WriteJSONLine(_ slog.Level, line []byte) error {
	h.lines++
	_, err := h.out.Write(line)
	return err
}

func (h *lineHandler) Handle(ctx context.Context, r slog.Record) error {
	h.records++
	return h.Handler.Handle(ctx, r)
}

// TestAccessLogLines: with a handler that takes lines, a request's
// record is written as a line, except when it has fallbacks or retries;
// with one that is not plain, always through slog. The lines parse as
// the record slog would have written.
func TestAccessLogLines(t *testing.T) {
	serve := func(h *lineHandler, retried bool) {
		t.Helper()
		handler := RequestID(AccessLog(slog.New(h))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s := ScopeFrom(r.Context())
			s.Route, s.Model = "POST /v1/chat/completions", "m"
			if retried {
				s.Retries = []string{"attempt 1: 503; retry in 10ms"}
			}
			w.WriteHeader(http.StatusBadGateway)
		})))
		handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil))
	}
	var out bytes.Buffer
	h := &lineHandler{Handler: slog.NewJSONHandler(&out, nil), out: &out, plain: true}
	serve(h, false)
	if h.lines != 1 || h.records != 0 {
		t.Fatalf("plain handler: %d lines, %d records; want the record as a line", h.lines, h.records)
	}
	line := out.String()
	for _, want := range []string{`"level":"ERROR","msg":"request"`, `"status":502`, `"model":"m"`, `"route":"POST /v1/chat/completions"`} {
		if !strings.Contains(line, want) {
			t.Errorf("line %s lacks %s", line, want)
		}
	}
	serve(h, true)
	if h.lines != 1 || h.records != 1 {
		t.Errorf("with retries: %d lines, %d records; want slog's record", h.lines, h.records)
	}
	if !strings.Contains(out.String(), `"retries":["attempt 1: 503; retry in 10ms"]`) {
		t.Errorf("retries not logged: %s", out.String())
	}
	h = &lineHandler{Handler: slog.NewJSONHandler(&out, nil), out: &out}
	serve(h, false)
	if h.lines != 0 || h.records != 1 {
		t.Errorf("handler not plain: %d lines, %d records; want slog's record", h.lines, h.records)
	}
}

func BenchmarkAccessLog(b *testing.B) {
	a := accessRecord{
		requestID: "req_0123456789abcdef", method: "POST", route: "POST /v1/chat/completions", status: 200,
		latencyMS: 1.234, bytes: 734, keyID: "key_0123456789", model: "gpt-4o-mini", deployment: "openai/gpt-4o-mini",
		usage: &openai.Usage{PromptTokens: 12, CompletionTokens: 40, TotalTokens: 52},
	}
	b.Run("slog", func(b *testing.B) {
		logger := slog.New(slog.NewJSONHandler(discard{}, nil))
		b.ReportAllocs()
		for b.Loop() {
			logger.LogAttrs(context.Background(), slog.LevelInfo, "request", a.attrs()...)
		}
	})
	b.Run("line", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			bp := linePool.Get().(*[]byte)
			*bp = a.appendJSON((*bp)[:0], time.Now(), slog.LevelInfo)
			_, _ = discard{}.Write(*bp)
			linePool.Put(bp)
		}
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
