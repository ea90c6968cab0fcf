package bedrock

import (
	"context"
	"errors"
	"io"

	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
)

// CompletionStream serves a streamed legacy completion with
// ConverseStream. It returns once Bedrock accepted the first prompt. The
// prompts are streamed one after the other, each chunk carrying its
// prompt's index, and the stream ends with one usage-only chunk summing
// them all (the server drops it unless the client asked for usage). A
// later prompt that Bedrock refuses ends the stream with that error, as
// any failure after the first byte does.
func (c *Client) CompletionStream(ctx context.Context, req *openai.CompletionRequest) (provider.CompletionStream, error) {
	chats, err := c.completionChats(req)
	if err != nil {
		return nil, err
	}
	s := &completionStream{
		open:  func(i int) (provider.ChatStream, error) { return c.ChatCompletionStream(ctx, chats[i]) },
		tr:    NewCompletionChunker(req, c.completionMeta(req)),
		total: len(chats),
	}
	if err := s.openNext(); err != nil {
		return nil, err
	}
	return s, nil
}

// completionStream reads the prompts' chat streams in turn and hands out
// their legacy chunks. No goroutine runs behind it: the next prompt's
// stream is opened when the previous one ends.
type completionStream struct {
	// open opens prompt i's chat stream. It holds the request's context,
	// which a pull-based stream needs to open its later parts.
	open  func(i int) (provider.ChatStream, error)
	tr    *CompletionChunker
	total int
	// cur is the open chat stream of prompt next-1, nil between prompts.
	cur     provider.ChatStream
	next    int
	pending []*openai.CompletionResponse
	err     error
}

// openNext opens the next prompt's stream and queues its echo chunk.
func (s *completionStream) openNext() error {
	cs, err := s.open(s.next)
	if err != nil {
		return err
	}
	s.cur = cs
	s.pending = append(s.pending, s.tr.Start(s.next)...)
	s.next++
	return nil
}

// Recv returns the next chunk, io.EOF after the usage chunk.
func (s *completionStream) Recv() (*openai.CompletionResponse, error) {
	for len(s.pending) == 0 {
		if s.err != nil {
			return nil, s.err
		}
		s.err = s.advance()
	}
	ch := s.pending[0]
	s.pending = s.pending[1:]
	return ch, nil
}

// advance reads one chat chunk, or moves to the next prompt when the
// current one ended, queueing what that gives. Its error is the stream's
// end: io.EOF once everything was queued.
func (s *completionStream) advance() error {
	if s.cur == nil {
		if s.next == s.total {
			if u := s.tr.Usage(); u != nil {
				s.pending = append(s.pending, u)
			}
			return io.EOF
		}
		return s.openNext()
	}
	ch, err := s.cur.Recv()
	if errors.Is(err, io.EOF) {
		_ = s.cur.Close()
		s.cur = nil
		return nil
	}
	if err != nil {
		return err
	}
	s.pending = append(s.pending, s.tr.Translate(s.next-1, ch)...)
	return nil
}

// Close releases the current chat stream; no later one is opened.
func (s *completionStream) Close() error {
	if s.err == nil {
		s.err = io.EOF
	}
	s.pending = nil
	if s.cur == nil {
		return nil
	}
	err := s.cur.Close()
	s.cur = nil
	return err
}

// CompletionChunker turns chat chunks into legacy completion chunks. It is
// pure: the answer's ID, time and model come from its ResponseMeta.
type CompletionChunker struct {
	req   *openai.CompletionRequest
	meta  ResponseMeta
	usage *openai.Usage
}

// NewCompletionChunker returns a chunker for req's answer.
func NewCompletionChunker(req *openai.CompletionRequest, meta ResponseMeta) *CompletionChunker {
	return &CompletionChunker{req: req, meta: meta}
}

// Start returns the chunks that open prompt i's choice: its echo, when
// the request asks for one.
func (t *CompletionChunker) Start(i int) []*openai.CompletionResponse {
	if !echoes(t.req) {
		return nil
	}
	return []*openai.CompletionResponse{t.chunk(i, t.req.Prompt.Strings[i], nil)}
}

// Translate returns the legacy chunks of prompt i's chat chunk ch: its
// text, or its finish reason in a chunk of empty text. Role and reasoning
// deltas give none, and usage is kept for the final chunk.
func (t *CompletionChunker) Translate(i int, ch *openai.ChatCompletionChunk) []*openai.CompletionResponse {
	if ch.Usage != nil {
		t.usage = sumUsage(t.usage, ch.Usage)
	}
	var out []*openai.CompletionResponse
	for _, c := range ch.Choices {
		var text string
		if c.Delta.Content != nil {
			text = *c.Delta.Content
		}
		var finish *string
		if c.FinishReason != nil {
			f := legacyFinish(*c.FinishReason)
			finish = &f
		}
		if text != "" || finish != nil {
			out = append(out, t.chunk(i, text, finish))
		}
	}
	return out
}

// Usage returns the trailing usage-only chunk, nil when no prompt
// reported usage.
func (t *CompletionChunker) Usage() *openai.CompletionResponse {
	if t.usage == nil {
		return nil
	}
	return &openai.CompletionResponse{
		ID: t.meta.ID, Object: openai.ObjectTextCompletion, Created: t.meta.Created, Model: t.meta.Model,
		Choices: []openai.CompletionChoice{}, Usage: t.usage,
	}
}

func (t *CompletionChunker) chunk(i int, text string, finish *string) *openai.CompletionResponse {
	return &openai.CompletionResponse{
		ID: t.meta.ID, Object: openai.ObjectTextCompletion, Created: t.meta.Created, Model: t.meta.Model,
		Choices: []openai.CompletionChoice{{Text: text, Index: i, FinishReason: finish}},
	}
}
