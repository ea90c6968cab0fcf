package contextsrc

import (
	"errors"
	"strings"
	"testing"

	"github.com/outcrop/outcrop/internal/retrieval"
)

func TestValidateKey(t *testing.T) {
	tests := []struct {
		name string
		key  string
		ok   bool
	}{
		{"plain", "user-42", true},
		{"unicode and spaces", "café ü/session 7", true},
		{"at the limit", strings.Repeat("k", MaxKeyLen), true},
		{"empty", "", false},
		{"over the limit", strings.Repeat("k", MaxKeyLen+1), false},
		{"newline", "a\nb", false},
		{"NUL", "a\x00b", false},
		{"DEL", "a\x7fb", false},
		{"C1 control", "a\u0085b", false},
		{"invalid UTF-8", "a\xffb", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateKey(tt.key)
			if tt.ok && err != nil {
				t.Fatalf("got %v, want nil", err)
			}
			if !tt.ok && !errors.Is(err, retrieval.ErrBadQuery) {
				t.Fatalf("got %v, want an error wrapping ErrBadQuery", err)
			}
		})
	}
}
