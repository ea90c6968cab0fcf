package upstream

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// AnswerText is the assistant text of every non-stream answer, OpenAI's
// and Bedrock's alike.
const AnswerText = "Hello! How can I help you today?"

// chunkWord is the content of each stream chunk.
const chunkWord = "tok "

// OpenAI emulates OpenAI's POST /v1/chat/completions with canned answers
// shaped by the model name (ShapeOf). GET /stats reports, and resets, how
// late it sent stream chunks, so that a stall seen by a client can be
// told apart from an upstream that was itself starved of CPU.
type OpenAI struct {
	answers  sync.Map // model name -> *openAIAnswer
	lateMax  atomic.Int64
	lateOver atomic.Int64
}

// LateThreshold is how late a stream chunk must be to count in Stats'
// LateChunks.
const LateThreshold = 100 * time.Millisecond

// openAIAnswer is everything the emulator sends for one model name,
// rendered once.
type openAIAnswer struct {
	shape  Shape
	body   []byte   // the non-stream answer
	chunks [][]byte // SSE events, content first
	finish []byte   // the finish_reason event
	usage  []byte   // the usage event, sent when asked for
}

var (
	includeUsage = []byte(`"include_usage":true`)
	sseDone      = []byte("data: [DONE]\n\n")
)

func (o *OpenAI) answer(model string) (*openAIAnswer, error) {
	if a, ok := o.answers.Load(model); ok {
		return a.(*openAIAnswer), nil
	}
	s, err := ShapeOf(model)
	if err != nil {
		return nil, err
	}
	a := renderOpenAI(model, s)
	o.answers.Store(model, a)
	return a, nil
}

func renderOpenAI(model string, s Shape) *openAIAnswer {
	m, _ := json.Marshal(model)
	// Members in OpenAI's order; every event starts the same way.
	head := `{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":` + string(m) + `,`
	choice := head + `"choices":[{"index":0,`
	a := &openAIAnswer{
		shape: s,
		body: []byte(`{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":` + string(m) +
			`,"choices":[{"index":0,"message":{"role":"assistant","content":"` + AnswerText + `"},"finish_reason":"stop"}],` +
			`"usage":{"prompt_tokens":12,"completion_tokens":9,"total_tokens":21}}`),
		finish: []byte("data: " + choice + `"delta":{},"finish_reason":"stop"}]}` + "\n\n"),
		usage: []byte("data: " + head + `"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":` +
			strconv.Itoa(s.Chunks) + `,"total_tokens":` + strconv.Itoa(12+s.Chunks) + "}}\n\n"),
	}
	for i := range s.Chunks {
		delta := `"delta":{"content":"` + chunkWord + `"}`
		if i == 0 {
			delta = `"delta":{"role":"assistant","content":"` + chunkWord + `"}`
		}
		a.chunks = append(a.chunks, []byte("data: "+choice+delta+`,"finish_reason":null}]}`+"\n\n"))
	}
	return a
}

// Handler serves the emulator's routes.
func (o *OpenAI) Handler(ctx *fasthttp.RequestCtx) {
	switch string(ctx.Path()) {
	case "/v1/chat/completions":
		if !ctx.IsPost() {
			ctx.Error("method not allowed", fasthttp.StatusMethodNotAllowed)
			return
		}
		o.chat(ctx)
	case "/stats":
		o.stats(ctx)
	default:
		ctx.Error("not found", fasthttp.StatusNotFound)
	}
}

func (o *OpenAI) chat(ctx *fasthttp.RequestCtx) {
	body := ctx.PostBody()
	a, err := o.answer(modelOf(body))
	if err != nil {
		ctx.SetStatusCode(fasthttp.StatusBadRequest)
		ctx.SetContentType("application/json")
		msg, _ := json.Marshal(err.Error())
		ctx.SetBodyString(`{"error":{"message":` + string(msg) + `,"type":"invalid_request_error"}}`)
		return
	}
	if a.shape.Delay > 0 {
		time.Sleep(a.shape.Delay)
	}
	if !a.shape.Stream {
		ctx.SetContentType("application/json")
		ctx.SetBody(a.body)
		return
	}
	usage := bytes.Contains(body, includeUsage)
	ctx.SetContentType("text/event-stream")
	ctx.Response.Header.Set("Cache-Control", "no-cache")
	ctx.SetBodyStreamWriter(func(w *bufio.Writer) { o.stream(w, a, usage) })
}

// stream writes a's events, each flushed, content chunks Gap apart on a
// fixed schedule (a late chunk does not push the later ones back).
func (o *OpenAI) stream(w *bufio.Writer, a *openAIAnswer, usage bool) {
	start := time.Now()
	for i, c := range a.chunks {
		if i > 0 && a.shape.Gap > 0 {
			due := start.Add(time.Duration(i) * a.shape.Gap)
			time.Sleep(time.Until(due))
			o.noteLate(time.Since(due))
		}
		_, _ = w.Write(c)
		if err := w.Flush(); err != nil {
			return // the client went away
		}
	}
	_, _ = w.Write(a.finish)
	if usage {
		_, _ = w.Write(a.usage)
	}
	_, _ = w.Write(sseDone)
	_ = w.Flush()
}

func (o *OpenAI) noteLate(d time.Duration) {
	if d > LateThreshold {
		o.lateOver.Add(1)
	}
	for {
		m := o.lateMax.Load()
		if int64(d) <= m || o.lateMax.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}

// Stats is what GET /stats reports.
type Stats struct {
	// MaxLateMs is the most a stream chunk was sent after its due time.
	MaxLateMs float64 `json:"max_late_ms"`
	// LateChunks is the number of chunks sent more than LateThreshold
	// late.
	LateChunks int64 `json:"late_chunks"`
}

func (o *OpenAI) stats(ctx *fasthttp.RequestCtx) {
	s := Stats{
		MaxLateMs:  float64(o.lateMax.Swap(0)) / 1e6,
		LateChunks: o.lateOver.Swap(0),
	}
	b, _ := json.Marshal(s)
	ctx.SetContentType("application/json")
	ctx.SetBody(b)
}

// modelOf finds the "model" member of a compact JSON body without
// decoding it: the benchmark's clients and the gateways under test
// write it as "model":"...". An escaped quote inside the name is not
// supported; such a name matches no shape anyway.
func modelOf(body []byte) string {
	key := []byte(`"model":"`)
	i := bytes.Index(body, key)
	if i < 0 {
		return ""
	}
	rest := body[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}
