package server

import (
	"errors"
	"io"
	"net/http"
)

// MaxBodyBytes is the largest request body the server reads.
func (s *Server) MaxBodyBytes() int64 { return s.maxBody }

// readBody reads the whole request body, capped at the server's limit.
// Reading it all before calling the upstream matters: a proxy that streams
// the inbound body while relaying an SSE answer can cut the answer short
// (Go issue 40747), and validation needs the whole body anyway.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > s.maxBody {
		return nil, &http.MaxBytesError{Limit: s.maxBody}
	}
	body := http.MaxBytesReader(w, r.Body, s.maxBody)
	size := 512
	if r.ContentLength > 0 {
		size = int(r.ContentLength) + 1 // +1 so ReadAll sees EOF without growing
	}
	buf := make([]byte, 0, size)
	for {
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
	}
}
