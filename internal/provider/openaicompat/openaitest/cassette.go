package openaitest

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"
)

// Cassette is recorded traffic in go-vcr's format version 2.
type Cassette struct {
	// Path is the file it was loaded from.
	Path         string
	Interactions []Interaction
}

// Interaction is one recorded request and its response.
type Interaction struct {
	Request  CassetteRequest
	Response CassetteResponse
}

// CassetteRequest is a recorded request.
type CassetteRequest struct {
	Method string
	URL    string
	Header http.Header
	// Form is the recorded query parameters (go-vcr's `form`).
	Form url.Values
	Body []byte
}

// CassetteResponse is a recorded response.
type CassetteResponse struct {
	Code   int
	Header http.Header
	Body   []byte
}

// path returns the recorded request's URL path.
func (it *Interaction) path() string {
	u, err := url.Parse(it.Request.URL)
	if err != nil {
		return ""
	}
	return u.Path
}

// Reply returns the recorded response as a Reply: status, headers and body
// byte for byte; an event stream is written event by event.
func (it *Interaction) Reply() Reply {
	return Reply{Status: it.Response.Code, Header: it.Response.Header.Clone(), Body: it.Response.Body}
}

// cassetteFile is the YAML layout of a go-vcr v2 cassette.
type cassetteFile struct {
	Version      int `yaml:"version"`
	Interactions []struct {
		Request struct {
			Body    string              `yaml:"body"`
			Form    map[string][]string `yaml:"form"`
			Headers map[string][]string `yaml:"headers"`
			URL     string              `yaml:"url"`
			Method  string              `yaml:"method"`
		} `yaml:"request"`
		Response struct {
			Body    string              `yaml:"body"`
			Headers map[string][]string `yaml:"headers"`
			Code    int                 `yaml:"code"`
		} `yaml:"response"`
	} `yaml:"interactions"`
}

// LoadCassette reads a go-vcr v2 cassette.
func LoadCassette(path string) (*Cassette, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load cassette: %w", err)
	}
	var f cassetteFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("load cassette %s: %w", path, err)
	}
	if f.Version != 2 {
		return nil, fmt.Errorf("load cassette %s: version %d, want 2", path, f.Version)
	}
	c := &Cassette{Path: path}
	for _, in := range f.Interactions {
		c.Interactions = append(c.Interactions, Interaction{
			Request: CassetteRequest{
				Method: in.Request.Method,
				URL:    in.Request.URL,
				Header: canonical(in.Request.Headers),
				Form:   url.Values(in.Request.Form),
				Body:   []byte(in.Request.Body),
			},
			Response: CassetteResponse{
				Code:   in.Response.Code,
				Header: canonical(in.Response.Headers),
				Body:   []byte(in.Response.Body),
			},
		})
	}
	return c, nil
}

func canonical(m map[string][]string) http.Header {
	h := make(http.Header, len(m))
	for k, v := range m {
		h[http.CanonicalHeaderKey(k)] = v
	}
	return h
}

// LoadSSE reads a recorded chat completion stream (a file of `data:` events
// ending with `data: [DONE]`) as a Reply that serves it event by event.
func LoadSSE(path string) (Reply, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Reply{}, fmt.Errorf("load sse: %w", err)
	}
	return Reply{Header: sseHeader(), Body: data}, nil
}

// SharedEnv names the environment variable that points at the shared
// directory (the one holding fixtures/), overriding the search.
const SharedEnv = "OUTCROP_SHARED"

// SharedDir returns the project's shared directory: $OUTCROP_SHARED, else
// the first "shared" directory holding "fixtures" found walking up from
// the working directory (a test runs in its package's directory, and
// shared/ sits beside the repository).
func SharedDir() (string, error) {
	if dir := os.Getenv(SharedEnv); dir != "" {
		return dir, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find shared dir: %w", err)
	}
	for {
		cand := filepath.Join(dir, "shared")
		if st, err := os.Stat(filepath.Join(cand, "fixtures")); err == nil && st.IsDir() {
			return cand, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find shared dir: no shared/fixtures above the working directory; set " + SharedEnv)
		}
		dir = parent
	}
}

// FixturePath returns the path of shared/fixtures/<elem...>, failing the
// test when the shared directory cannot be found.
func FixturePath(t testing.TB, elem ...string) string {
	t.Helper()
	dir, err := SharedDir()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(append([]string{dir, "fixtures"}, elem...)...)
}

// MustCassette loads shared/fixtures/openai-cassettes/<name>.yaml, failing
// the test on error.
func MustCassette(t testing.TB, name string) *Cassette {
	t.Helper()
	c, err := LoadCassette(FixturePath(t, "openai-cassettes", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// SSEFiles returns the paths of the recorded streams in
// shared/fixtures/openai-sse, failing the test when there are none.
func SSEFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(FixturePath(t, "openai-sse", "*.sse"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no SSE fixtures found (err %v)", err)
	}
	return files
}
