package sse

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestWriterEvents(t *testing.T) {
	rec := httptest.NewRecorder()
	w := NewWriter(rec, 0)
	if err := w.Data([]byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := w.JSON(map[string]int{"b": 2}); err != nil {
		t.Fatal(err)
	}
	if err := w.Done(); err != nil {
		t.Fatal(err)
	}
	w.Stop()
	if got, want := rec.Body.String(), "data: {\"a\":1}\n\ndata: {\"b\":2}\n\ndata: [DONE]\n\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "text/event-stream; charset=utf-8" {
		t.Errorf("got Content-Type %q", ct)
	}
	if !rec.Flushed {
		t.Error("not flushed")
	}
}

// TestHeartbeat checks that a silent stream gets comment lines, which SSE
// readers ignore, and that none is written after Stop.
func TestHeartbeat(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w := NewWriter(rw, 5*time.Millisecond)
		defer w.Stop()
		_ = w.Data([]byte("first"))
		<-release // a long silence, as while a model thinks
		_ = w.Done()
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	var lines []string
	for len(lines) < 6 { // "data: first", "", then two pings with their blank lines
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, strings.TrimSuffix(line, "\n"))
	}
	close(release)
	if lines[0] != "data: first" || lines[2] != ": ping" || lines[4] != ": ping" {
		t.Errorf("got %q, want the event then pings", lines)
	}
	events, err := readAll(t, br)
	if err.Error() != "EOF" || len(events) != 1 || string(events[0].Data) != "[DONE]" {
		t.Errorf("got %v, %v; want [DONE] then EOF", events, err)
	}
}
