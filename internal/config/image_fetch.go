package config

import (
	"fmt"
	"path"
	"strings"
	"time"
)

// Limits of ImageFetch. The zero value of each field means its default,
// which the fetcher applies, so Load leaves the fields as written.
const (
	// DefaultImageFetchMaxBytes is Bedrock's limit for one image, 3.75 MB
	// read as MiB; a larger image could not be sent anyway.
	DefaultImageFetchMaxBytes = 3_932_160
	// DefaultImageFetchTimeout caps one download.
	DefaultImageFetchTimeout = Duration(10 * time.Second)
	// DefaultImageFetchMaxRedirects is how many redirects are followed.
	DefaultImageFetchMaxRedirects = 3
)

// ImageFetch configures the download of http(s) image URLs in chat
// requests to Bedrock models, which take image bytes only. It is off by
// default: Outcrop then answers such a request with a 400 asking for a
// data URI, and never makes a request on a client's behalf. When on, a
// URL is fetched only if its host is on the allow-list and resolves to
// public addresses only (loopback, private, link-local, multicast and
// reserved addresses are refused, after redirects and DNS too), within
// the size and time caps, and only if the bytes are a png, jpeg, gif or
// webp image.
type ImageFetch struct {
	// Enabled turns downloads on. Default false.
	Enabled bool `yaml:"enabled"`
	// AllowHosts are the hosts images may be fetched from, as patterns on
	// the host name: * is any run of characters, ? one character. Example
	// ["images.example.com", "*.cdn.example.net"]; "*" allows any host
	// (addresses are checked whatever the pattern). Required when
	// enabled.
	AllowHosts []string `yaml:"allow_hosts"`
	// MaxBytes caps one image, in bytes. Default 3932160 (3.75 MiB,
	// Bedrock's limit, which is also the most allowed).
	MaxBytes int64 `yaml:"max_bytes"`
	// Timeout caps one download, redirects and body included.
	// Default 10s.
	Timeout Duration `yaml:"timeout"`
	// MaxRedirects caps the redirects followed, each checked like the
	// first URL. Default 3; -1 follows none.
	MaxRedirects int `yaml:"max_redirects"`
}

// imageFetch checks the image_fetch section.
func (v *validator) imageFetch() {
	f := v.c.ImageFetch
	if f.Enabled && len(f.AllowHosts) == 0 {
		v.add("image_fetch.allow_hosts", "required when image_fetch is enabled (\"*\" allows any public host)")
	}
	for i, p := range f.AllowHosts {
		v.hostPattern(fmt.Sprintf("image_fetch.allow_hosts[%d]", i), p)
	}
	switch {
	case f.MaxBytes < 0:
		v.add("image_fetch.max_bytes", "must not be negative")
	case f.MaxBytes > DefaultImageFetchMaxBytes:
		v.add("image_fetch.max_bytes", "must be at most %d (3.75 MiB, the largest image Bedrock takes)", DefaultImageFetchMaxBytes)
	}
	nonNegative(v, "image_fetch.timeout", f.Timeout)
	if f.MaxRedirects < -1 {
		v.add("image_fetch.max_redirects", "must be -1 (no redirects), 0 (the default, 3) or more")
	}
}

// hostPattern checks an allow-list pattern: a host name pattern, without
// scheme, port or path.
func (v *validator) hostPattern(p, pattern string) {
	if pattern == "" {
		v.add(p, "empty pattern")
		return
	}
	// One colon is a port; IPv6 literals have several.
	if strings.ContainsAny(pattern, "/@") || strings.Count(pattern, ":") == 1 {
		v.add(p, "%q is not a host name pattern: give the host only, like \"images.example.com\" or \"*.example.com\"", pattern)
		return
	}
	if _, err := path.Match(pattern, ""); err != nil {
		v.add(p, "invalid pattern %q: %v", pattern, err)
	}
}
