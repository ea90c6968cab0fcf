package bedrock

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/fetch"
	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider/bedrock/bedrocktest"
)

// testPNG is a 1x1 png.
var testPNG = mustBase64("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")

func mustBase64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// fakeFetcher serves images from a table and records its calls.
type fakeFetcher struct {
	images map[string]*fetch.Image
	errs   map[string]error
	// block, when set, holds every fetch of a URL not in images or errs
	// until its context ends.
	block bool

	mu          sync.Mutex
	calls       []string
	inFlight    int
	maxInFlight int
}

func (f *fakeFetcher) Fetch(ctx context.Context, u string) (*fetch.Image, error) {
	f.mu.Lock()
	f.calls = append(f.calls, u)
	f.inFlight++
	f.maxInFlight = max(f.maxInFlight, f.inFlight)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight--
		f.mu.Unlock()
	}()
	if img, ok := f.images[u]; ok {
		return img, nil
	}
	if err, ok := f.errs[u]; ok {
		return nil, err
	}
	if f.block {
		<-ctx.Done()
		return nil, &fetch.Error{Message: "the download was canceled", Err: ctx.Err()}
	}
	return nil, &fetch.Error{Message: "the server answered 404 Not Found", Err: fetch.ErrRequest}
}

func imagePart(u string) openai.ContentPart {
	return openai.ContentPart{Type: "image_url", ImageURL: &openai.ImageURL{URL: u, Detail: "low"}}
}

func userParts(parts ...openai.ContentPart) openai.Message {
	return openai.Message{Role: openai.RoleUser, Content: openai.Content{Kind: openai.ContentParts, Parts: parts}}
}

func textPart(s string) openai.ContentPart { return openai.ContentPart{Type: "text", Text: s} }

// visionModel is a model the catalogue says takes images.
const visionModel = "anthropic.claude-3-haiku-20240307-v1:0"

func fetchClient(f ImageFetcher) *Client {
	return &Client{cfg: Config{Images: f, Catalog: DefaultCatalog()}}
}

func TestFetchImagesReplacesURLs(t *testing.T) {
	png := &fetch.Image{Data: testPNG, MediaType: "image/png"}
	f := &fakeFetcher{images: map[string]*fetch.Image{"https://a.test/1.png": png, "http://b.test/2.png": png}}
	req := &openai.ChatCompletionRequest{Model: visionModel, Messages: []openai.Message{
		{Role: openai.RoleSystem, Content: openai.TextContent("Be brief.")},
		userParts(textPart("one"), imagePart("https://a.test/1.png"), imagePart("data:image/png;base64,AAAA")),
		{Role: openai.RoleAssistant, Content: openai.TextContent("ok")},
		userParts(imagePart("http://b.test/2.png"), imagePart("https://a.test/1.png")),
	}}
	before := cloneRequest(t, req)
	got, err := fetchClient(f).fetchImages(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, cloneRequest(t, req)); diff != "" {
		t.Errorf("the client's request changed (-before +after):\n%s", diff)
	}
	want := "data:image/png;base64," + base64.StdEncoding.EncodeToString(testPNG)
	for _, at := range [][2]int{{1, 1}, {3, 0}, {3, 1}} {
		p := got.Messages[at[0]].Content.Parts[at[1]]
		if p.ImageURL.URL != want || p.ImageURL.Detail != "low" {
			t.Errorf("messages[%d].content[%d] = %.40q detail %q, want the data URI, detail low", at[0], at[1], p.ImageURL.URL, p.ImageURL.Detail)
		}
	}
	if u := got.Messages[1].Content.Parts[2].ImageURL.URL; u != "data:image/png;base64,AAAA" {
		t.Errorf("a data URI changed to %q", u)
	}
	if len(f.calls) != 2 {
		t.Errorf("fetched %q, want each distinct URL once", f.calls)
	}
}

func cloneRequest(t *testing.T, req *openai.ChatCompletionRequest) []openai.Message {
	t.Helper()
	b, err := json.Marshal(req.Messages)
	if err != nil {
		t.Fatal(err)
	}
	var out []openai.Message
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFetchImagesLeavesRequestAlone(t *testing.T) {
	remote := &openai.ChatCompletionRequest{Model: visionModel, Messages: []openai.Message{userParts(imagePart("https://a.test/1.png"))}}
	tests := []struct {
		name string
		c    *Client
		req  *openai.ChatCompletionRequest
	}{
		{"no fetcher", fetchClient(nil), remote},
		{"no remote URL", fetchClient(&fakeFetcher{}), &openai.ChatCompletionRequest{Model: visionModel, Messages: []openai.Message{
			userParts(textPart("hi"), imagePart("data:image/png;base64,AAAA")),
		}}},
		// Translation answers the 400; nothing is downloaded for it.
		{"model without vision", fetchClient(&fakeFetcher{}), &openai.ChatCompletionRequest{
			Model: "amazon.nova-micro-v1:0", Messages: remote.Messages,
		}},
		// Tool results and assistant turns take no fetched images.
		{"tool message", fetchClient(&fakeFetcher{}), &openai.ChatCompletionRequest{Model: visionModel, Messages: []openai.Message{
			{Role: openai.RoleTool, ToolCallID: "t1", Content: openai.Content{Kind: openai.ContentParts, Parts: []openai.ContentPart{imagePart("https://a.test/1.png")}}},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.c.fetchImages(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.req {
				t.Error("got a new request, want the same one")
			}
			if f, ok := tt.c.cfg.Images.(*fakeFetcher); ok && len(f.calls) > 0 {
				t.Errorf("fetched %q, want nothing", f.calls)
			}
		})
	}
}

func TestFetchImagesErrors(t *testing.T) {
	t.Run("the failing part", func(t *testing.T) {
		f := &fakeFetcher{
			images: map[string]*fetch.Image{"https://a.test/ok.png": {Data: testPNG, MediaType: "image/png"}},
			errs: map[string]error{
				"https://a.test/big.png": &fetch.Error{Message: "the content is larger than 3932160 bytes", Err: fetch.ErrTooLarge},
			},
		}
		req := &openai.ChatCompletionRequest{Model: visionModel, Messages: []openai.Message{
			userParts(textPart("x"), imagePart("https://a.test/ok.png")),
			userParts(imagePart("https://a.test/ok.png"), imagePart("https://a.test/big.png")),
		}}
		_, err := fetchClient(f).fetchImages(context.Background(), req)
		wantOpenAIError(t, err, "messages[1].content[1].image_url.url", "the image could not be fetched: the content is larger than 3932160 bytes")
	})
	t.Run("too many URLs", func(t *testing.T) {
		var parts []openai.ContentPart
		for k := range maxRemoteImages + 1 {
			parts = append(parts, imagePart(fmt.Sprintf("https://a.test/%d.png", k)))
		}
		f := &fakeFetcher{}
		_, err := fetchClient(f).fetchImages(context.Background(), &openai.ChatCompletionRequest{Model: visionModel, Messages: []openai.Message{userParts(parts...)}})
		wantOpenAIError(t, err, fmt.Sprintf("messages[0].content[%d].image_url.url", maxRemoteImages), "at most 20 image URLs")
		if len(f.calls) != 0 {
			t.Errorf("fetched %d URLs, want none", len(f.calls))
		}
	})
	t.Run("a failure cancels the others", func(t *testing.T) {
		// The blocked fetches end only when the failure cancels them;
		// without the cancellation the test would hang. All of them fit
		// in the concurrency bound, so the failing one runs too.
		f := &fakeFetcher{block: true, errs: map[string]error{"https://a.test/bad.png": &fetch.Error{Message: "the server answered 404 Not Found", Err: fetch.ErrRequest}}}
		var parts []openai.ContentPart
		for k := range fetchConcurrency - 1 {
			parts = append(parts, imagePart(fmt.Sprintf("https://a.test/slow%d.png", k)))
		}
		parts = append(parts, imagePart("https://a.test/bad.png"))
		_, err := fetchClient(f).fetchImages(context.Background(), &openai.ChatCompletionRequest{Model: visionModel, Messages: []openai.Message{userParts(parts...)}})
		wantOpenAIError(t, err, fmt.Sprintf("messages[0].content[%d].image_url.url", fetchConcurrency-1), "404 Not Found")
	})
	t.Run("client gone", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		f := &fakeFetcher{block: true}
		_, err := fetchClient(f).fetchImages(ctx, &openai.ChatCompletionRequest{Model: visionModel, Messages: []openai.Message{userParts(imagePart("https://a.test/1.png"))}})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
	})
}

// TestFetchImagesConcurrency: no more than fetchConcurrency downloads run
// at once for a request.
func TestFetchImagesConcurrency(t *testing.T) {
	f := &fakeFetcher{images: map[string]*fetch.Image{}}
	var parts []openai.ContentPart
	for k := range maxRemoteImages {
		u := fmt.Sprintf("https://a.test/%d.png", k)
		f.images[u] = &fetch.Image{Data: testPNG, MediaType: "image/png"}
		parts = append(parts, imagePart(u))
	}
	if _, err := fetchClient(f).fetchImages(context.Background(), &openai.ChatCompletionRequest{Model: visionModel, Messages: []openai.Message{userParts(parts...)}}); err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != maxRemoteImages || f.maxInFlight > fetchConcurrency {
		t.Errorf("got %d fetches, at most %d at once; want %d, at most %d", len(f.calls), f.maxInFlight, maxRemoteImages, fetchConcurrency)
	}
}

func wantOpenAIError(t *testing.T, err error, param, msg string) {
	t.Helper()
	var oe *openai.Error
	if !errors.As(err, &oe) {
		t.Fatalf("got %v, want an *openai.Error", err)
	}
	if oe.Status != http.StatusBadRequest || oe.Param != param || !strings.Contains(oe.Message, msg) {
		t.Errorf("got %d %q %q, want 400 %q with %q", oe.Status, oe.Param, oe.Message, param, msg)
	}
}

// loopbackResolver resolves every name to 127.0.0.1, so that the real
// fetcher reaches an httptest server and nothing else.
type loopbackResolver struct{}

func (loopbackResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
}

// TestClientRemoteImage runs a chat request with an image URL through a
// real fetcher (on loopback, with a fake resolver) and the emulator: the
// image reaches Bedrock as bytes; a URL off the allow-list is a 400 and
// nothing is sent.
func TestClientRemoteImage(t *testing.T) {
	var hits atomic.Int32
	img := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(testPNG)
	}))
	t.Cleanup(img.Close)
	_, port, _ := net.SplitHostPort(img.Listener.Addr().String())
	f := fetch.New(fetch.Config{
		AllowHosts: []string{"images.test"},
		Resolver:   loopbackResolver{},
		AllowAddr:  func(a netip.Addr) bool { return a.IsLoopback() },
	})
	srv := bedrocktest.New(t, bedrocktest.WithReplies(bedrocktest.Reply{Text: "A pixel."}))
	c, _ := emulatorClient(t, srv, Config{Images: f})
	req := &openai.ChatCompletionRequest{Model: visionModel, ClientModel: "public-name", Messages: []openai.Message{
		userParts(textPart("What is this?"), imagePart("http://images.test:"+port+"/pixel")),
	}}
	if _, err := c.ChatCompletion(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	var sent ConverseRequest
	if err := json.Unmarshal(srv.Requests()[0].Body, &sent); err != nil {
		t.Fatal(err)
	}
	blocks := sent.Messages[0].Content
	if len(blocks) != 2 || blocks[1].Image == nil || blocks[1].Image.Format != "png" || string(blocks[1].Image.Source.Bytes) != string(testPNG) {
		t.Errorf("sent %s, want the text and the png's bytes", srv.Requests()[0].Body)
	}

	req.Messages[0].Content.Parts[1] = imagePart("http://elsewhere.test:" + port + "/pixel")
	_, err := c.ChatCompletionStream(context.Background(), req)
	wantOpenAIError(t, err, "messages[0].content[1].image_url.url", `the host "elsewhere.test" is not on the gateway's allow-list`)
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("Bedrock got %d requests, want 1 (none for the refused URL)", n)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("the image server got %d requests, want 1", n)
	}
}
