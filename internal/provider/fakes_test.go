package provider

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"

	"github.com/outcrop/outcrop/internal/openai"
)

// The fakes below stand in for providers in the router's unit tests. They
// script each call's answer and record what they received; they emulate no
// upstream protocol.

// chatOnly serves chat and nothing else, so the router must skip it for
// embeddings and legacy completions.
type chatOnly struct {
	name string
	log  *callLog
	// err, when set, fails the call (or the stream's opening).
	err error
	// chunks are what a stream yields; recvErr follows them (io.EOF when
	// nil).
	chunks  []*openai.ChatCompletionChunk
	recvErr error
	// before runs at the start of every call, to cancel a context.
	before func()
	stream *sliceStream[*openai.ChatCompletionChunk]
}

var _ Provider = (*chatOnly)(nil)

func (p *chatOnly) ChatCompletion(ctx context.Context, req *openai.ChatCompletionRequest) (*openai.ChatCompletionResponse, error) {
	p.log.add(p.name, req.Model, req)
	if p.before != nil {
		p.before()
	}
	if p.err != nil {
		return nil, p.err
	}
	return &openai.ChatCompletionResponse{ID: p.name, Model: req.Model}, nil
}

func (p *chatOnly) ChatCompletionStream(ctx context.Context, req *openai.ChatCompletionRequest) (ChatStream, error) {
	p.log.add(p.name, req.Model, req)
	if p.before != nil {
		p.before()
	}
	if p.err != nil {
		return nil, p.err
	}
	p.stream = &sliceStream[*openai.ChatCompletionChunk]{items: p.chunks, err: p.recvErr}
	return p.stream, nil
}

// full has every capability.
type full struct {
	chatOnly
	completions []*openai.CompletionResponse
	cstream     *sliceStream[*openai.CompletionResponse]
}

var (
	_ Provider  = (*full)(nil)
	_ Embedder  = (*full)(nil)
	_ Completer = (*full)(nil)
)

func (p *full) Embeddings(ctx context.Context, req *openai.EmbeddingRequest) (*openai.EmbeddingResponse, error) {
	p.log.add(p.name, req.Model, req)
	if p.err != nil {
		return nil, p.err
	}
	return &openai.EmbeddingResponse{Model: req.Model, Object: p.name}, nil
}

func (p *full) Completion(ctx context.Context, req *openai.CompletionRequest) (*openai.CompletionResponse, error) {
	p.log.add(p.name, req.Model, req)
	if p.err != nil {
		return nil, p.err
	}
	return &openai.CompletionResponse{ID: p.name, Model: req.Model}, nil
}

func (p *full) CompletionStream(ctx context.Context, req *openai.CompletionRequest) (CompletionStream, error) {
	p.log.add(p.name, req.Model, req)
	if p.err != nil {
		return nil, p.err
	}
	p.cstream = &sliceStream[*openai.CompletionResponse]{items: p.completions, err: p.recvErr}
	return p.cstream, nil
}

// call is one request a fake received.
type call struct {
	Provider string
	Model    string
	req      any // the request pointer, to check it is a copy
}

// callLog records calls in order across the fakes of one test.
type callLog struct {
	mu    sync.Mutex
	calls []call
}

func (l *callLog) add(provider, model string, req any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, call{Provider: provider, Model: model, req: req})
}

// sliceStream yields items, then err (io.EOF when nil) forever.
type sliceStream[T any] struct {
	items  []T
	err    error
	next   int
	closed int
}

func (s *sliceStream[T]) Recv() (T, error) {
	if s.next < len(s.items) {
		s.next++
		return s.items[s.next-1], nil
	}
	var zero T
	if s.err != nil {
		return zero, s.err
	}
	return zero, io.EOF
}

func (s *sliceStream[T]) Close() error {
	s.closed++
	return nil
}

// upstream returns an UpstreamError with the given status.
func upstream(status int) *UpstreamError {
	return &UpstreamError{Status: status, Err: &openai.Error{Status: status, Message: http.StatusText(status)}}
}

// errOther is an error no provider classifies.
var errOther = errors.New("something else")
