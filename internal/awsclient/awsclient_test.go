package awsclient_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/types"

	"github.com/outcrop/outcrop/internal/awsclient"
	"github.com/outcrop/outcrop/internal/awstest"
	"github.com/outcrop/outcrop/internal/retrieval/bedrockkb/bedrockkbtest"
)

// sdkBody behaves as the SDK's request body does: once closed, Read and
// WriteTo both answer io.EOF.
type sdkBody struct {
	mu     sync.Mutex
	r      *strings.Reader
	closed bool
}

func (b *sdkBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, io.EOF
	}
	return b.r.Read(p)
}

func (b *sdkBody) WriteTo(w io.Writer) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, io.EOF
	}
	return b.r.WriteTo(w)
}

func (b *sdkBody) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	return nil
}

// capture is an HTTP client that keeps the request it was given.
type capture struct{ req *http.Request }

func (c *capture) Do(req *http.Request) (*http.Response, error) {
	c.req = req
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody}, nil
}

// TestClosedBodyEndsCleanly reads a body the SDK has closed as net/http
// does after the Content-Length bytes (io.Copy into io.Discard): through
// the wrapper it is a clean end; unwrapped it is the io.EOF error that
// net/http takes for a failed write.
func TestClosedBodyEndsCleanly(t *testing.T) {
	for _, wrapped := range []bool{true, false} {
		inner := &capture{}
		c := aws.HTTPClient(inner)
		if wrapped {
			c = awsclient.HTTP(inner)
		}
		b := &sdkBody{r: strings.NewReader("{}")}
		req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1/", b)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Do(req); err != nil {
			t.Fatal(err)
		}
		if got, err := io.ReadAll(inner.req.Body); err != nil || string(got) != "{}" {
			t.Fatalf("wrapped=%v: read %q, %v; want the body", wrapped, got, err)
		}
		_ = b.Close()
		_, err = io.Copy(io.Discard, inner.req.Body)
		if wrapped && err != nil {
			t.Errorf("read past the end after the close: %v, want a clean end", err)
		}
		if !wrapped && !errors.Is(err, io.EOF) {
			t.Errorf("unwrapped: %v, want io.EOF (the test no longer shows the SDK's behaviour)", err)
		}
	}
}

// TestWrapOnce checks that wrapping twice sends through one wrapper and
// that nil stands for the SDK's default client.
func TestWrapOnce(t *testing.T) {
	inner := &capture{}
	once := awsclient.HTTP(inner)
	if twice := awsclient.HTTP(once); twice != once {
		t.Errorf("HTTP(HTTP(c)) = %#v, want %#v", twice, once)
	}
	if awsclient.HTTP(nil) == nil {
		t.Error("HTTP(nil) = nil, want the SDK's default client wrapped")
	}
	req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := once.Do(req); err != nil {
		t.Fatal(err)
	}
	if inner.req.Body != nil {
		t.Errorf("a request without a body was given one: %T", inner.req.Body)
	}
}

// TestFastAnswers sends many calls through the official SDK client to an
// emulator that answers as soon as it has read the request: each must
// succeed. Unwrapped, about one call in 300 with a large answer fails
// under -race with "use of closed network connection" (so this catches a
// regression about three runs in four; TestClosedBodyEndsCleanly is the
// deterministic check).
func TestFastAnswers(t *testing.T) {
	var docs []bedrockkbtest.Document
	for range 100 {
		docs = append(docs, bedrockkbtest.Document{Text: "returns"})
	}
	s := bedrockkbtest.New(t, bedrockkbtest.WithDocuments(docs...))
	cfg := s.AWSConfig()
	cfg.HTTPClient = awsclient.HTTP(nil)
	c := bedrockagentruntime.NewFromConfig(cfg, func(o *bedrockagentruntime.Options) { o.Retryer = awstest.Retryer(1) })
	n := 400
	if testing.Short() {
		n = 100
	}
	for i := range n {
		_, err := c.Retrieve(context.Background(), &bedrockagentruntime.RetrieveInput{
			KnowledgeBaseId: aws.String(bedrockkbtest.KnowledgeBaseID),
			RetrievalQuery:  &types.KnowledgeBaseQuery{Text: aws.String("returns")},
			RetrievalConfiguration: &types.KnowledgeBaseRetrievalConfiguration{
				VectorSearchConfiguration: &types.KnowledgeBaseVectorSearchConfiguration{NumberOfResults: aws.Int32(100)},
			},
		})
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
}
