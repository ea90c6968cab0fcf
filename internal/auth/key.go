// Package auth decides who a request comes from: the master key, a
// virtual key, or nobody (an open gateway on loopback). Virtual keys are
// stored only as SHA-256 digests and looked up by digest, so neither the
// store nor the timing of a lookup depends on how much of a wrong key
// matched a real one.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// SecretPrefix starts every virtual key, so that secret scanners and
// people can tell an Outcrop key at a glance.
const SecretPrefix = "sk-oc-"

// Digest is the SHA-256 of a key. A virtual key carries 256 random bits, so
// a plain hash is as strong as a slow one would be, and costs a
// microsecond per request instead of tens of milliseconds.
type Digest [sha256.Size]byte

// DigestOf hashes a presented key.
func DigestOf(secret string) Digest { return sha256.Sum256([]byte(secret)) }

// NewSecret returns a new virtual key: SecretPrefix and 43 characters of
// unpadded base64url, 256 random bits.
func NewSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand's documented contract)
	return SecretPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// NewKeyID returns a new public key ID, "key_" and 26 base32 characters.
// The ID is not secret: it names the key in logs, the ledger and the admin
// API.
func NewKeyID() string { return "key_" + strings.ToLower(rand.Text()) }

// Hint is what lists show of a secret: its prefix and its last four
// characters, e.g. "sk-oc-...9f3a". Four characters of 43 leave 232 random
// bits unknown.
func Hint(secret string) string {
	if len(secret) < len(SecretPrefix)+8 {
		return "..."
	}
	return secret[:len(SecretPrefix)] + "..." + secret[len(secret)-4:]
}
