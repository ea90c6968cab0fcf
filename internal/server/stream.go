package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/outcrop/outcrop/internal/jsonx"
	"github.com/outcrop/outcrop/internal/middleware"
	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
	"github.com/outcrop/outcrop/internal/sse"
)

// chunk is what relay needs of a stream event, chat or legacy completion.
type chunk interface {
	*openai.ChatCompletionChunk | *openai.CompletionResponse
}

// relay writes a stream to the client as SSE, one flushed event per chunk,
// then `data: [DONE]`. The stream's first chunk was already read (see
// provider.ChatCompletionStream), so headers go out only once the upstream
// has answered. After the first byte a failure becomes one OpenAI-shaped
// error event and the stream ends. A client that goes away cancels the
// request context, which aborts the upstream call.
func relay[T chunk](w http.ResponseWriter, r *http.Request, st provider.Stream[T], includeUsage bool, heartbeat time.Duration) error {
	defer st.Close()
	sc := middleware.ScopeFrom(r.Context())
	out := sse.NewWriter(w, heartbeat)
	defer out.Stop()
	var buf []byte // a translated chunk's JSON, reused for the next
	for {
		c, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return streamFailure(r.Context(), sc, out, err)
		}
		data, usage, skip, err := encodeChunk(c, includeUsage, &buf)
		if err != nil {
			return streamFailure(r.Context(), sc, out, err)
		}
		if usage != nil {
			sc.Usage = usage
		}
		if skip {
			continue
		}
		if sc.TTFT == 0 {
			sc.TTFT = time.Since(sc.Start)
		}
		if err := out.Data(data); err != nil {
			sc.ClientGone = true
			return nil
		}
	}
	if err := out.Done(); err != nil {
		sc.ClientGone = true
	}
	return nil
}

// encodeChunk returns the bytes to send for c, its usage if any, and
// whether to skip it: the trailing usage chunk is sent only when the client
// asked for it, and so is the `"usage":null` member of relayed chunks. A
// translated chat chunk is written into *buf, which the data then shares
// until the next call.
func encodeChunk[T chunk](c T, includeUsage bool, buf *[]byte) (data []byte, usage *openai.Usage, skip bool, err error) {
	var raw []byte
	var usageOnly bool
	var chat *openai.ChatCompletionChunk // nil for a legacy completion
	switch c := any(c).(type) {
	case *openai.ChatCompletionChunk:
		chat, raw, usage, usageOnly = c, c.Raw, c.Usage, c.UsageOnly()
	case *openai.CompletionResponse:
		raw, usage, usageOnly = c.Raw, c.Usage, c.UsageOnly()
	}
	if usageOnly && !includeUsage {
		return nil, usage, true, nil
	}
	if raw == nil {
		if chat != nil {
			if b, ok := chat.AppendJSON((*buf)[:0]); ok {
				*buf = b
				return b, usage, false, nil
			}
		}
		data, err = json.Marshal(c)
		return data, usage, false, err
	}
	if !includeUsage {
		if m, ok, _ := jsonx.Find(raw, "usage"); ok && string(m.Value(raw)) == "null" {
			raw, err = jsonx.Delete(raw, "usage")
		}
	}
	return raw, usage, false, err
}

// streamFailure handles an error after the stream started: the client is
// told with one error event unless it is gone.
func streamFailure(ctx context.Context, sc *middleware.Scope, out *sse.Writer, err error) error {
	status, body, _ := classify(ctx, err, sc.RequestID)
	sc.Err = err
	if status == middleware.StatusClientClosed {
		sc.ClientGone = true
		return nil
	}
	if werr := out.Data(body); werr != nil {
		sc.ClientGone = true
	}
	return nil
}
