package bedrock

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/outcrop/outcrop/internal/fetch"
	"github.com/outcrop/outcrop/internal/openai"
)

// ImageFetcher downloads an image named by URL. *fetch.Fetcher is one.
// The message of a Fetch error is shown to the client who sent the URL,
// so it must not reveal what the gateway sees of its network (a
// *fetch.Error's does not).
type ImageFetcher interface {
	Fetch(ctx context.Context, rawURL string) (*fetch.Image, error)
}

var _ ImageFetcher = (*fetch.Fetcher)(nil)

const (
	// maxRemoteImages caps the URLs fetched for one request, so that a
	// request of a few kilobytes cannot make the gateway download hundreds
	// of megabytes. It is Bedrock's per-message image limit.
	maxRemoteImages = maxImagesPerMessage
	// fetchConcurrency bounds the downloads in flight for one request.
	fetchConcurrency = 4
)

// remoteImage locates an image_url part whose URL is http(s).
type remoteImage struct {
	i, j int
	url  string
}

func (r remoteImage) param() string { return partParam(r.i, r.j) + ".image_url.url" }

// fetchImages returns req with the http(s) image URLs of its user
// messages replaced by data URIs of the downloaded images, so that
// translation, which is pure, only sees bytes. req itself is not changed:
// a fallback deployment gets what the client sent.
//
// Without a fetcher, or for a model known to take no images, req comes
// back as is and translation answers the 400. A URL that cannot be
// fetched is a 400 naming the part: the URL is the client's to fix, and
// a 5xx would invite a retry that fails the same way.
func (c *Client) fetchImages(ctx context.Context, req *openai.ChatCompletionRequest) (*openai.ChatCompletionRequest, error) {
	if c.cfg.Images == nil {
		return req, nil
	}
	refs := remoteImages(req.Messages)
	if len(refs) == 0 {
		return req, nil
	}
	if info := c.requestOptions(req).Model; info.Prefix != "" && !info.Vision {
		return req, nil
	}
	if len(refs) > maxRemoteImages {
		p := refs[maxRemoteImages].param()
		return nil, openai.Errorf(p, "Invalid '%s': the gateway fetches at most %d image URLs per request; send the others as data URIs.", p, maxRemoteImages)
	}
	urls := uniqueURLs(refs)
	uris, errs := fetchAll(ctx, c.cfg.Images, urls)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The first failure cancels the other downloads, so when several URLs
	// are bad, which one is named depends on timing; each is a true
	// answer. A fetch canceled because another one failed is not one.
	for _, r := range refs {
		err := errs[slices.Index(urls, r.url)]
		if err != nil && !errors.Is(err, context.Canceled) {
			p := r.param()
			return nil, openai.Errorf(p, "Invalid '%s': the image could not be fetched: %v.", p, err)
		}
	}
	return withImageURLs(req, refs, func(r remoteImage) string { return uris[slices.Index(urls, r.url)] }), nil
}

// remoteImages lists the image_url parts of user messages whose URL is
// http(s), in order.
func remoteImages(msgs []openai.Message) []remoteImage {
	var refs []remoteImage
	for i := range msgs {
		m := &msgs[i]
		if m.Role != openai.RoleUser || m.Content.Kind != openai.ContentParts {
			continue
		}
		for j, p := range m.Content.Parts {
			if p.Type == "image_url" && p.ImageURL != nil && isRemoteURL(p.ImageURL.URL) {
				refs = append(refs, remoteImage{i: i, j: j, url: p.ImageURL.URL})
			}
		}
	}
	return refs
}

// uniqueURLs lists the distinct URLs of refs: an image sent twice is
// downloaded once.
func uniqueURLs(refs []remoteImage) []string {
	var urls []string
	for _, r := range refs {
		if !slices.Contains(urls, r.url) {
			urls = append(urls, r.url)
		}
	}
	return urls
}

// fetchAll downloads urls, fetchConcurrency at a time, and returns each
// as a data URI, or its error. The first failure cancels the downloads
// still running: the request fails anyway.
func fetchAll(ctx context.Context, f ImageFetcher, urls []string) ([]string, []error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	uris := make([]string, len(urls))
	errs := make([]error, len(urls))
	sem := make(chan struct{}, fetchConcurrency)
	var wg sync.WaitGroup
	for k, u := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				errs[k] = ctx.Err()
				return
			}
			img, err := f.Fetch(ctx, u)
			if err != nil {
				errs[k] = err
				cancel()
				return
			}
			uris[k] = dataURIOf(img)
		}()
	}
	wg.Wait()
	return uris, errs
}

func dataURIOf(img *fetch.Image) string {
	return fmt.Sprintf("data:%s;base64,%s", img.MediaType, base64.StdEncoding.EncodeToString(img.Data))
}

// withImageURLs returns a shallow copy of req in which the part of each
// ref has the URL url(ref). Only the messages and parts that change are
// copied.
func withImageURLs(req *openai.ChatCompletionRequest, refs []remoteImage, url func(remoteImage) string) *openai.ChatCompletionRequest {
	out := *req
	out.Messages = slices.Clone(req.Messages)
	copied := make(map[int]bool)
	for _, r := range refs {
		m := &out.Messages[r.i]
		if !copied[r.i] {
			m.Content.Parts = slices.Clone(m.Content.Parts)
			copied[r.i] = true
		}
		p := &m.Content.Parts[r.j]
		p.ImageURL = &openai.ImageURL{URL: url(r), Detail: p.ImageURL.Detail}
	}
	return &out
}
