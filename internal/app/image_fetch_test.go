package app

import (
	"testing"

	"github.com/outcrop/outcrop/internal/config"
	"github.com/outcrop/outcrop/internal/fetch"
)

func TestImageFetcher(t *testing.T) {
	if f := imageFetcher(config.ImageFetch{AllowHosts: []string{"*"}}); f != nil {
		t.Errorf("got %T for a disabled section, want a nil interface", f)
	}
	f := imageFetcher(config.ImageFetch{Enabled: true, AllowHosts: []string{"images.example.com"}})
	if _, ok := f.(*fetch.Fetcher); !ok {
		t.Errorf("got %T for an enabled section, want *fetch.Fetcher", f)
	}
}

// TestImageFetchDefaults: the section documents the fetcher's defaults,
// which apply to its zero fields.
func TestImageFetchDefaults(t *testing.T) {
	if config.DefaultImageFetchMaxBytes != fetch.DefaultMaxBytes {
		t.Errorf("config max_bytes default %d, fetcher default %d", config.DefaultImageFetchMaxBytes, fetch.DefaultMaxBytes)
	}
	if config.DefaultImageFetchTimeout.Std() != fetch.DefaultTimeout {
		t.Errorf("config timeout default %s, fetcher default %s", config.DefaultImageFetchTimeout, fetch.DefaultTimeout)
	}
	if config.DefaultImageFetchMaxRedirects != fetch.DefaultMaxRedirects {
		t.Errorf("config max_redirects default %d, fetcher default %d", config.DefaultImageFetchMaxRedirects, fetch.DefaultMaxRedirects)
	}
}
