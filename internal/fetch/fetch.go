// Package fetch downloads the images that clients name by URL, for
// upstreams that only take image bytes, without opening the gateway to
// server-side request forgery (SSRF).
//
// A URL is fetched only when its host matches the allow-list; every
// address the host resolves to must be public (no loopback, private,
// link-local, multicast or reserved address), checked when the
// connection is made and on the resolved addresses themselves, so that
// neither a redirect nor a DNS answer that changes after a check (DNS
// rebinding) can reach an internal service; redirects are limited and
// checked against the allow-list again; the body is capped while it is
// read; the whole fetch has a deadline; and the bytes must sniff as one of
// the accepted image types, whatever the server's Content-Type says.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"
)

// Defaults; see Config.
const (
	// DefaultMaxBytes is Bedrock's limit for one image, 3.75 MB, read as
	// MiB so that no image Bedrock takes is refused here.
	DefaultMaxBytes = 3_932_160
	// DefaultTimeout bounds one fetch: connection, redirects and body.
	DefaultTimeout = 10 * time.Second
	// DefaultMaxRedirects is how many redirects a fetch follows.
	DefaultMaxRedirects = 3
)

// DefaultTypes are the image types Bedrock's Converse API takes.
func DefaultTypes() []string {
	return []string{"image/png", "image/jpeg", "image/gif", "image/webp"}
}

// Causes of a failed fetch, found with errors.Is.
var (
	// ErrHostNotAllowed: the URL's host (or a redirect's) is not on the
	// allow-list.
	ErrHostNotAllowed = errors.New("host not allowed")
	// ErrAddressNotAllowed: the host resolves to an address that is not
	// allowed (not public, by default).
	ErrAddressNotAllowed = errors.New("address not allowed")
	// ErrTooLarge: the body is larger than MaxBytes.
	ErrTooLarge = errors.New("body too large")
	// ErrType: the body is not one of the accepted types.
	ErrType = errors.New("type not accepted")
	// ErrRequest: the URL or a redirect is not one the fetcher follows
	// (not http or https, malformed, too many redirects), or the server
	// did not answer 200.
	ErrRequest = errors.New("request refused")
)

// Error is a failed fetch. Its message is fit for the client who sent the
// URL: it names no address the gateway resolved or connected to. Err
// holds the cause, for logs.
type Error struct {
	// Message says what went wrong, in lower case.
	Message string
	// Err is the cause; errors.Is finds the Err* values through it.
	Err error
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Resolver resolves host names; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Config configures a Fetcher. The zero value of each field means its
// documented default; the zero Config fetches nothing, for want of an
// allowed host.
type Config struct {
	// AllowHosts are the hosts URLs may name, as patterns matched against
	// the lower-case host name without port: * is any run of characters,
	// ? one character (path.Match syntax). "*.example.com" allows every
	// subdomain of example.com but not example.com itself; "*" allows any
	// host. Empty: none. Addresses are checked whatever the pattern.
	AllowHosts []string
	// MaxBytes caps the body, checked while it is read. Zero:
	// DefaultMaxBytes.
	MaxBytes int64
	// Timeout caps a whole fetch. Zero: DefaultTimeout.
	Timeout time.Duration
	// MaxRedirects caps the redirects followed. Zero: DefaultMaxRedirects;
	// negative: none.
	MaxRedirects int
	// Types are the accepted media types, as http.DetectContentType names
	// them from the body. Nil: DefaultTypes().
	Types []string
	// Resolver resolves host names. Nil: net.DefaultResolver.
	Resolver Resolver
	// AllowAddr reports whether an address may be connected to. Nil:
	// PublicAddr. Tests use it to reach httptest servers on loopback.
	AllowAddr func(netip.Addr) bool
}

// Image is a fetched image.
type Image struct {
	// Data is the body.
	Data []byte
	// MediaType is the type sniffed from Data, one of Config.Types.
	MediaType string
}

// Fetcher fetches images. It is safe for concurrent use.
type Fetcher struct {
	hosts        []string
	maxBytes     int64
	timeout      time.Duration
	maxRedirects int
	types        []string
	resolver     Resolver
	allowAddr    func(netip.Addr) bool
	// dial connects to an address that was checked; tests replace it to
	// see what would be dialled.
	dial   func(ctx context.Context, network, addr string) (net.Conn, error)
	client *http.Client
}

// New returns a Fetcher for cfg. A pattern path.Match rejects never
// matches; configuration validation reports such patterns.
func New(cfg Config) *Fetcher {
	f := &Fetcher{
		maxBytes:     cfg.MaxBytes,
		timeout:      cfg.Timeout,
		maxRedirects: cfg.MaxRedirects,
		types:        cfg.Types,
		resolver:     cfg.Resolver,
		allowAddr:    cfg.AllowAddr,
	}
	for _, h := range cfg.AllowHosts {
		f.hosts = append(f.hosts, strings.ToLower(h))
	}
	if f.maxBytes <= 0 {
		f.maxBytes = DefaultMaxBytes
	}
	if f.timeout <= 0 {
		f.timeout = DefaultTimeout
	}
	if f.maxRedirects == 0 {
		f.maxRedirects = DefaultMaxRedirects
	}
	if f.types == nil {
		f.types = DefaultTypes()
	}
	if f.resolver == nil {
		f.resolver = net.DefaultResolver
	}
	if f.allowAddr == nil {
		f.allowAddr = PublicAddr
	}
	d := &net.Dialer{Timeout: f.timeout, Control: f.control}
	f.dial = d.DialContext
	f.client = &http.Client{
		Transport: &http.Transport{
			// No proxy: through one, the checked address would be the
			// proxy's, not the host's.
			Proxy:               nil,
			DialContext:         f.dialContext,
			ForceAttemptHTTP2:   true,
			TLSHandshakeTimeout: f.timeout,
			MaxIdleConns:        16,
			IdleConnTimeout:     30 * time.Second,
		},
		CheckRedirect: f.checkRedirect,
	}
	return f
}

// Fetch downloads the image at rawURL. Every error is an *Error.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string) (*Image, error) {
	u, err := f.checkURL(rawURL)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, &Error{Message: "the URL is not valid", Err: fmt.Errorf("%w: %w", ErrRequest, err)}
	}
	req.Header.Set("Accept", strings.Join(f.types, ", "))
	req.Header.Set("User-Agent", "outcrop-fetch")
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, f.failure(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &Error{Message: fmt.Sprintf("the server answered %s", resp.Status), Err: fmt.Errorf("%w: status %d", ErrRequest, resp.StatusCode)}
	}
	data, err := f.read(ctx, resp)
	if err != nil {
		return nil, err
	}
	mt := http.DetectContentType(data)
	if !slices.Contains(f.types, mt) {
		return nil, &Error{
			Message: fmt.Sprintf("the content is %s, not one of %s", mt, strings.Join(f.types, ", ")),
			Err:     fmt.Errorf("%w: %s", ErrType, mt),
		}
	}
	return &Image{Data: data, MediaType: mt}, nil
}

// read reads the body, refusing it as soon as it exceeds the cap.
func (f *Fetcher) read(ctx context.Context, resp *http.Response) ([]byte, error) {
	tooLarge := &Error{
		Message: fmt.Sprintf("the content is larger than %d bytes", f.maxBytes),
		Err:     ErrTooLarge,
	}
	if resp.ContentLength > f.maxBytes {
		return nil, tooLarge
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, f.maxBytes+1))
	if err != nil {
		return nil, f.failure(ctx, err)
	}
	if int64(len(data)) > f.maxBytes {
		return nil, tooLarge
	}
	return data, nil
}

// checkURL parses rawURL and checks its scheme and host.
func (f *Fetcher) checkURL(rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, &Error{Message: "the URL is not valid", Err: fmt.Errorf("%w: %w", ErrRequest, err)}
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, &Error{Message: "only http and https URLs can be fetched", Err: fmt.Errorf("%w: scheme %q", ErrRequest, u.Scheme)}
	}
	if !f.hostAllowed(u.Hostname()) {
		return nil, &Error{
			Message: fmt.Sprintf("the host %q is not on the gateway's allow-list", u.Hostname()),
			Err:     ErrHostNotAllowed,
		}
	}
	return u, nil
}

// hostAllowed reports whether host matches an allow-list pattern.
func (f *Fetcher) hostAllowed(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "" {
		return false
	}
	for _, p := range f.hosts {
		if ok, err := path.Match(p, host); ok && err == nil {
			return true
		}
	}
	return false
}

// checkRedirect limits redirects and checks each target like the first
// URL; its address is checked when it is dialled.
func (f *Fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	if f.maxRedirects < 0 {
		return &Error{Message: "the server redirected, and the gateway follows no redirects", Err: fmt.Errorf("%w: redirect", ErrRequest)}
	}
	if len(via) > f.maxRedirects {
		return &Error{
			Message: fmt.Sprintf("the server redirected more than %d times", f.maxRedirects),
			Err:     fmt.Errorf("%w: too many redirects", ErrRequest),
		}
	}
	_, err := f.checkURL(req.URL.String())
	return err
}

// failure turns a transport error into an *Error: the fetcher's own
// refusals (dial, redirect) as they are, a deadline as a timeout, and
// anything else as a failed download whose cause is kept for logs only,
// since it may name internal addresses (a resolver's, for one).
func (f *Fetcher) failure(ctx context.Context, err error) error {
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &Error{Message: fmt.Sprintf("the download took longer than %s", f.timeout), Err: err}
	}
	if ctx.Err() != nil {
		return &Error{Message: "the download was canceled", Err: err}
	}
	return &Error{Message: "the download failed", Err: err}
}
