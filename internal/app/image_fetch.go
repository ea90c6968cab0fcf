package app

import (
	"github.com/outcrop/outcrop/internal/config"
	"github.com/outcrop/outcrop/internal/fetch"
	"github.com/outcrop/outcrop/internal/provider/bedrock"
)

// imageFetcher is the image_fetch section's fetcher, shared by every
// Bedrock client, or nil (not a nil *fetch.Fetcher) when downloads are
// off, so that the clients refuse remote image URLs. Zero fields keep the
// fetcher's defaults, which are the section's documented ones.
func imageFetcher(c config.ImageFetch) bedrock.ImageFetcher {
	if !c.Enabled {
		return nil
	}
	return fetch.New(fetch.Config{
		AllowHosts:   c.AllowHosts,
		MaxBytes:     c.MaxBytes,
		Timeout:      c.Timeout.Std(),
		MaxRedirects: c.MaxRedirects,
	})
}
