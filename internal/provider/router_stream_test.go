package provider

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/openai"
)

func chunk(id string) *openai.ChatCompletionChunk { return &openai.ChatCompletionChunk{ID: id} }

// drain reads a stream to its end, returning the chunk IDs and the final
// error.
func drain(t *testing.T, s ChatStream) ([]string, error) {
	t.Helper()
	var ids []string
	for range 100 {
		c, err := s.Recv()
		if err != nil {
			return ids, err
		}
		ids = append(ids, c.ID)
	}
	t.Fatal("stream did not end")
	return nil, nil
}

func TestChatCompletionStreamFallback(t *testing.T) {
	tests := []struct {
		name        string
		first       chatOnly // the first deployment's behaviour
		wantCalls   []string
		wantOutcome outcomeSummary
		wantIDs     []string // chunks read from the returned stream
		wantStatus  int      // of the error from opening; 0 for none
		wantClosed  bool     // the first deployment's stream was closed
	}{
		{
			"first serves, first chunk replayed",
			chatOnly{chunks: []*openai.ChatCompletionChunk{chunk("a1"), chunk("a2"), chunk("a3")}},
			[]string{"p1:model-1"},
			outcomeSummary{Served: "d1"},
			[]string{"a1", "a2", "a3"},
			0, false,
		},
		{
			"open fails retryable",
			chatOnly{err: upstream(http.StatusServiceUnavailable)},
			[]string{"p1:model-1", "p2:model-2"},
			outcomeSummary{Served: "d2", Failed: []string{"d1"}},
			[]string{"b1", "b2"},
			0, false,
		},
		{
			"first recv fails retryable",
			chatOnly{recvErr: upstream(http.StatusTooManyRequests)},
			[]string{"p1:model-1", "p2:model-2"},
			outcomeSummary{Served: "d2", Failed: []string{"d1"}},
			[]string{"b1", "b2"},
			0, true,
		},
		{
			"first recv transport error",
			chatOnly{recvErr: Transport(context.Background(), io.ErrUnexpectedEOF)},
			[]string{"p1:model-1", "p2:model-2"},
			outcomeSummary{Served: "d2", Failed: []string{"d1"}},
			[]string{"b1", "b2"},
			0, true,
		},
		{
			"first recv fails 400",
			chatOnly{recvErr: upstream(http.StatusBadRequest)},
			[]string{"p1:model-1"},
			outcomeSummary{Failed: []string{"d1"}},
			nil, http.StatusBadRequest, true,
		},
		{
			"empty stream is not an error",
			chatOnly{},
			[]string{"p1:model-1"},
			outcomeSummary{Served: "d1"},
			nil, 0, false,
		},
		{
			// A failure after the first chunk belongs to the stream: the
			// client has been answered by then.
			"later recv error is the stream's",
			chatOnly{chunks: []*openai.ChatCompletionChunk{chunk("a1")}, recvErr: upstream(http.StatusBadGateway)},
			[]string{"p1:model-1"},
			outcomeSummary{Served: "d1"},
			[]string{"a1"},
			0, false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := &callLog{}
			p1 := tt.first
			p1.name, p1.log = "p1", log
			p2 := &chatOnly{name: "p2", log: log, chunks: []*openai.ChatCompletionChunk{chunk("b1"), chunk("b2")}}
			rt := &Route{Name: "public", Deployments: []*Deployment{dep("d1", "model-1", &p1), dep("d2", "model-2", p2)}}
			req := &openai.ChatCompletionRequest{Model: "public", Stream: true}

			s, out, err := ChatCompletionStream(context.Background(), rt, req)

			if diff := cmp.Diff(tt.wantOutcome, summarize(out)); diff != "" {
				t.Errorf("outcome mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantCalls, callNames(log)); diff != "" {
				t.Errorf("calls mismatch (-want +got):\n%s", diff)
			}
			if req.Model != "public" {
				t.Errorf("caller's request model became %q", req.Model)
			}
			if p1.stream != nil && (p1.stream.closed > 0) != tt.wantClosed {
				t.Errorf("first stream closed %d times, want closed %v", p1.stream.closed, tt.wantClosed)
			}
			if tt.wantStatus != 0 {
				checkStatus(t, err, tt.wantStatus)
				if s != nil {
					t.Errorf("got a stream with the error")
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want a stream", err)
			}
			ids, end := drain(t, s)
			if diff := cmp.Diff(tt.wantIDs, ids); diff != "" {
				t.Errorf("chunks mismatch (-want +got):\n%s", diff)
			}
			wantEnd := io.EOF
			if tt.first.recvErr != nil && out.Deployment.Name == "d1" {
				wantEnd = tt.first.recvErr
			}
			if !errors.Is(end, wantEnd) {
				t.Errorf("stream ended with %v, want %v", end, wantEnd)
			}
			// Close reaches the deployment's stream.
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			served := p1.stream
			if out.Deployment.Name == "d2" {
				served = p2.stream
			}
			if served.closed != 1 {
				t.Errorf("served stream closed %d times, want 1", served.closed)
			}
		})
	}
}

func TestCompletionStreamFallback(t *testing.T) {
	log := &callLog{}
	p1 := &full{chatOnly: chatOnly{name: "p1", log: log, recvErr: upstream(http.StatusInternalServerError)}}
	p2 := &full{
		chatOnly:    chatOnly{name: "p2", log: log},
		completions: []*openai.CompletionResponse{{ID: "c1"}, {ID: "c2"}},
	}
	rt := &Route{Name: "legacy", Deployments: []*Deployment{dep("d1", "model-1", p1), dep("d2", "model-2", p2)}}
	req := &openai.CompletionRequest{Model: "legacy", Stream: true}

	s, out, err := CompletionStreamOn(context.Background(), rt, req)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(outcomeSummary{Served: "d2", Failed: []string{"d1"}}, summarize(out)); diff != "" {
		t.Errorf("outcome mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"p1:model-1", "p2:model-2"}, callNames(log)); diff != "" {
		t.Errorf("calls mismatch (-want +got):\n%s", diff)
	}
	if p1.cstream.closed != 1 {
		t.Errorf("failed stream closed %d times, want 1", p1.cstream.closed)
	}
	var ids []string
	for {
		c, err := s.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	if diff := cmp.Diff([]string{"c1", "c2"}, ids); diff != "" {
		t.Errorf("chunks mismatch (-want +got):\n%s", diff)
	}
	if req.Model != "legacy" {
		t.Errorf("caller's request model became %q", req.Model)
	}
}
