package auth_test

import (
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"

	"github.com/outcrop/outcrop/internal/auth"
)

func TestNewSecret(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		s := auth.NewSecret()
		if !strings.HasPrefix(s, auth.SecretPrefix) {
			t.Fatalf("got %q, want the prefix %q", s, auth.SecretPrefix)
		}
		body := strings.TrimPrefix(s, auth.SecretPrefix)
		if len(body) != 43 {
			t.Fatalf("got %d characters after the prefix of %q, want 43", len(body), s)
		}
		raw, err := base64.RawURLEncoding.DecodeString(body)
		if err != nil {
			t.Fatalf("%q is not unpadded base64url: %v", s, err)
		}
		if len(raw) != 32 {
			t.Fatalf("got %d random bytes in %q, want 32", len(raw), s)
		}
		if seen[s] {
			t.Fatalf("got %q twice", s)
		}
		seen[s] = true
	}
}

func TestNewKeyID(t *testing.T) {
	re := regexp.MustCompile(`^key_[a-z2-7]{26}$`)
	seen := map[string]bool{}
	for range 100 {
		id := auth.NewKeyID()
		if !re.MatchString(id) {
			t.Fatalf("got %q, want key_ and 26 lower-case base32 characters", id)
		}
		if seen[id] {
			t.Fatalf("got %q twice", id)
		}
		seen[id] = true
	}
}

func TestDigestOf(t *testing.T) {
	s := auth.NewSecret()
	if got, want := auth.DigestOf(s), auth.Digest(sha256.Sum256([]byte(s))); got != want {
		t.Errorf("DigestOf(%q): got %x, want the SHA-256 %x", s, got, want)
	}
	if auth.DigestOf(s) == auth.DigestOf(s+"x") {
		t.Error("two keys have the same digest")
	}
}

func TestHint(t *testing.T) {
	tests := []struct {
		name, secret, want string
	}{
		{"virtual key", "sk-oc-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "sk-oc-...DEFG"},
		{"shortest shown", "sk-oc-12345678", "sk-oc-...5678"},
		{"too short to show any of it", "sk-oc-1234567", "..."},
		{"empty", "", "..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := auth.Hint(tt.secret); got != tt.want {
				t.Errorf("Hint(%q): got %q, want %q", tt.secret, got, tt.want)
			}
		})
	}
	s := auth.NewSecret()
	if h := auth.Hint(s); !strings.HasSuffix(s, strings.TrimPrefix(h, auth.SecretPrefix+"...")) || len(h) != len(auth.SecretPrefix)+3+4 {
		t.Errorf("Hint(%q): got %q, want the prefix, ... and the last four characters", s, h)
	}
}
