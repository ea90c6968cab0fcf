package middleware

import (
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/outcrop/outcrop/internal/jsonx"
	"github.com/outcrop/outcrop/internal/openai"
)

// JSONLineHandler is a slog handler that also takes a record the access
// log encoded itself. The access log writes one record per request, and
// slog's generic path (the caller's program counter, the attributes
// copied into the record, floats through encoding/json) was most of a
// logged request's logging cost.
type JSONLineHandler interface {
	slog.Handler
	// PlainJSON reports whether the handler writes its records exactly as
	// a slog.JSONHandler without AddSource or ReplaceAttr does, with no
	// attributes or groups added: only then is a line encoded by
	// appendJSON the line the handler would have written.
	PlainJSON() bool
	// WriteJSONLine writes one whole record, newline included, at level.
	WriteJSONLine(level slog.Level, line []byte) error
}

// accessRecord is what the access log says about a request. attrs and
// appendJSON are its two encodings, which must agree (TestAccessJSON).
type accessRecord struct {
	requestID, method, route string
	status                   int
	latencyMS                float64
	bytes                    int64
	keyID                    string // "" when the request had no key
	model, deployment        string
	fallbacks, retries       []string
	stream                   bool
	ttftMS                   float64 // with stream
	usage                    *openai.Usage
	upstreamRequestID        string
	err                      string
	hasErr                   bool
}

// attrs are the record's slog attributes, in the order of the line.
func (a *accessRecord) attrs() []slog.Attr {
	attrs := make([]slog.Attr, 0, 16)
	attrs = append(attrs,
		slog.String("request_id", a.requestID),
		slog.String("method", a.method),
		slog.String("route", a.route),
		slog.Int("status", a.status),
		slog.Float64("latency_ms", a.latencyMS),
		slog.Int64("bytes", a.bytes),
	)
	if a.keyID != "" {
		attrs = append(attrs, slog.String("key_id", a.keyID))
	}
	if a.model != "" {
		attrs = append(attrs, slog.String("model", a.model))
	}
	if a.deployment != "" {
		attrs = append(attrs, slog.String("deployment", a.deployment))
	}
	if len(a.fallbacks) > 0 {
		attrs = append(attrs, slog.Any("fallbacks", a.fallbacks))
	}
	if len(a.retries) > 0 {
		attrs = append(attrs, slog.Any("retries", a.retries))
	}
	if a.stream {
		attrs = append(attrs, slog.Bool("stream", true), slog.Float64("ttft_ms", a.ttftMS))
	}
	if u := a.usage; u != nil {
		attrs = append(attrs,
			slog.Int("prompt_tokens", u.PromptTokens),
			slog.Int("completion_tokens", u.CompletionTokens),
			slog.Int("total_tokens", u.TotalTokens))
	}
	if a.upstreamRequestID != "" {
		attrs = append(attrs, slog.String("upstream_request_id", a.upstreamRequestID))
	}
	if a.hasErr {
		attrs = append(attrs, slog.String("error", a.err))
	}
	return attrs
}

// appendJSON appends the record as slog.JSONHandler writes it, message
// "request" at t and level, newline included. It does not encode
// fallbacks and retries (slog writes those through encoding/json); the
// caller takes slog's path for a record that has them.
func (a *accessRecord) appendJSON(b []byte, t time.Time, level slog.Level) []byte {
	b = append(b, `{"time":"`...)
	b = t.Round(0).AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":`...)
	b = jsonx.AppendLogString(b, level.String())
	b = append(b, `,"msg":"request","request_id":`...)
	b = jsonx.AppendLogString(b, a.requestID)
	b = append(b, `,"method":`...)
	b = jsonx.AppendLogString(b, a.method)
	b = append(b, `,"route":`...)
	b = jsonx.AppendLogString(b, a.route)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(a.status), 10)
	b = append(b, `,"latency_ms":`...)
	b = appendLogFloat(b, a.latencyMS)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, a.bytes, 10)
	if a.keyID != "" {
		b = append(b, `,"key_id":`...)
		b = jsonx.AppendLogString(b, a.keyID)
	}
	if a.model != "" {
		b = append(b, `,"model":`...)
		b = jsonx.AppendLogString(b, a.model)
	}
	if a.deployment != "" {
		b = append(b, `,"deployment":`...)
		b = jsonx.AppendLogString(b, a.deployment)
	}
	if a.stream {
		b = append(b, `,"stream":true,"ttft_ms":`...)
		b = appendLogFloat(b, a.ttftMS)
	}
	if u := a.usage; u != nil {
		b = append(b, `,"prompt_tokens":`...)
		b = strconv.AppendInt(b, int64(u.PromptTokens), 10)
		b = append(b, `,"completion_tokens":`...)
		b = strconv.AppendInt(b, int64(u.CompletionTokens), 10)
		b = append(b, `,"total_tokens":`...)
		b = strconv.AppendInt(b, int64(u.TotalTokens), 10)
	}
	if a.upstreamRequestID != "" {
		b = append(b, `,"upstream_request_id":`...)
		b = jsonx.AppendLogString(b, a.upstreamRequestID)
	}
	if a.hasErr {
		b = append(b, `,"error":`...)
		b = jsonx.AppendLogString(b, a.err)
	}
	return append(b, "}\n"...)
}

// appendLogFloat writes f as slog's JSON handler does, through
// encoding/json's rules; NaN and the infinities, which it cannot encode,
// do not come from durations.
func appendLogFloat(b []byte, f float64) []byte {
	if out, ok := jsonx.AppendFloat(b, f); ok {
		return out
	}
	return append(b, '0')
}

// linePool holds the access log's line buffers; a line longer than
// maxPooledLine (a long error message) is not kept.
var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

const maxPooledLine = 4 << 10
