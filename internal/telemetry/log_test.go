package telemetry

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/config"
)

func TestNewLoggerFormats(t *testing.T) {
	tests := []struct {
		format string
		check  func(t *testing.T, out string)
	}{
		{format: "", check: checkJSON},
		{format: "json", check: checkJSON},
		{format: "text", check: func(t *testing.T, out string) {
			t.Helper()
			if !strings.Contains(out, "level=INFO msg=hello request_id=r1\n") {
				t.Errorf("got %q, want a text record with level, msg and request_id", out)
			}
		}},
	}
	for _, tt := range tests {
		t.Run("format "+tt.format, func(t *testing.T) {
			var buf bytes.Buffer
			log, closer, err := NewLogger(config.Log{Format: tt.format}, &buf)
			if err != nil {
				t.Fatal(err)
			}
			defer closer.Close()
			log.Info("hello", "request_id", "r1")
			tt.check(t, buf.String())
		})
	}
}

func checkJSON(t *testing.T, out string) {
	t.Helper()
	var rec map[string]any
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatalf("got %q, not one JSON object: %v", out, err)
	}
	delete(rec, "time")
	want := map[string]any{"level": "INFO", "msg": "hello", "request_id": "r1"}
	if diff := cmp.Diff(want, rec); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
}

func TestNewLoggerLevels(t *testing.T) {
	tests := []struct {
		level string
		want  []string
	}{
		{level: "", want: []string{"i", "w", "e"}},
		{level: "debug", want: []string{"d", "i", "w", "e"}},
		{level: "info", want: []string{"i", "w", "e"}},
		{level: "warn", want: []string{"w", "e"}},
		{level: "error", want: []string{"e"}},
	}
	for _, tt := range tests {
		t.Run("level "+tt.level, func(t *testing.T) {
			var buf bytes.Buffer
			log, _, err := NewLogger(config.Log{Format: "json", Level: tt.level}, &buf)
			if err != nil {
				t.Fatal(err)
			}
			log.Debug("d")
			log.Info("i")
			log.Warn("w")
			log.Error("e")
			if diff := cmp.Diff(tt.want, messages(t, buf.String())); diff != "" {
				t.Errorf("messages written (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewLoggerErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  config.Log
		want string
	}{
		{name: "format", cfg: config.Log{Format: "xml"}, want: `unknown log format "xml" (want json or text)`},
		{name: "level", cfg: config.Log{Level: "INFO+2"}, want: `unknown log level "INFO+2" (want debug, info, warn or error)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := NewLogger(tt.cfg, &bytes.Buffer{})
			if err == nil || err.Error() != tt.want {
				t.Errorf("got error %v, want %q", err, tt.want)
			}
		})
	}
}

// TestNewLoggerFile checks that a configured file receives the records
// (and stderr none) and that the Closer closes it.
func TestNewLoggerFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logs", "outcrop.log")
	var stderr bytes.Buffer
	log, closer, err := NewLogger(config.Log{Format: "json", File: path}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("to the file")
	if err := closer.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"to the file"}, messages(t, string(b))); diff != "" {
		t.Errorf("file messages (-want +got):\n%s", diff)
	}
	if stderr.Len() != 0 {
		t.Errorf("got %q on stderr, want nothing", stderr.String())
	}
	fc, ok := closer.(flushCloser)
	if !ok {
		t.Fatalf("closer is %T, want flushCloser", closer)
	}
	rf, ok := fc.next.(*RotatingFile)
	if !ok {
		t.Fatalf("closer closes %T, want *RotatingFile", fc.next)
	}
	if got, want := rf.maxBytes, int64(config.DefaultLogMaxSizeMB)<<20; got != want {
		t.Errorf("got rotation at %d bytes, want %d (the default)", got, want)
	}
	if got, want := rf.maxFiles, config.DefaultLogMaxFiles; got != want {
		t.Errorf("got %d kept files, want %d (the default)", got, want)
	}
}

// messages returns the msg of each JSON record in out.
func messages(t *testing.T, out string) []string {
	t.Helper()
	var msgs []string
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var rec struct{ Msg string }
		if err := dec.Decode(&rec); err != nil {
			t.Fatalf("decode %q: %v", out, err)
		}
		msgs = append(msgs, rec.Msg)
	}
	return msgs
}
