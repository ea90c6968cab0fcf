// Package contextsrc looks context up by an exact key (a user, a session,
// a document ID): RedisSource reads a Redis string or hash field,
// DynamoSource reads one attribute of a DynamoDB item with GetItem, and
// Chain puts the first in front of the second as a cache, writing what
// the table returns back into Redis with a TTL. All three implement
// retrieval.ContextSource.
package contextsrc

import (
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/outcrop/outcrop/internal/retrieval"
)

// MaxKeyLen is the longest key accepted, in bytes. DynamoDB allows 2048
// bytes for a partition key; context keys are IDs, and a bound well under
// that keeps Redis keys and log lines small.
const MaxKeyLen = 1024

// ValidateKey reports whether key can be looked up: non-empty, at most
// MaxKeyLen bytes, valid UTF-8 and free of control characters. Invalid
// UTF-8 would reach DynamoDB altered (the SDK's JSON encoder replaces it
// with U+FFFD) and so find another item; control characters are never
// part of an ID and are how log and protocol injection starts. The error
// wraps retrieval.ErrBadQuery, which callers map to 400.
func ValidateKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty context key", retrieval.ErrBadQuery)
	case len(key) > MaxKeyLen:
		return fmt.Errorf("%w: context key of %d bytes, the limit is %d", retrieval.ErrBadQuery, len(key), MaxKeyLen)
	case !utf8.ValidString(key):
		return fmt.Errorf("%w: context key is not valid UTF-8", retrieval.ErrBadQuery)
	}
	for i, r := range key {
		if unicode.IsControl(r) {
			return fmt.Errorf("%w: context key has a control character (%U) at byte %d", retrieval.ErrBadQuery, r, i)
		}
	}
	return nil
}
