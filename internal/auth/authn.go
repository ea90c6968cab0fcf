package auth

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/store"
)

// Principal is who a request comes from.
type Principal struct {
	// Master is true for the master key, which may use every model and the
	// admin API and has no limits.
	Master bool
	// Key is the virtual key; nil for the master key and for anonymous
	// requests to an open gateway.
	Key *store.Key
}

// Anonymous reports whether no key identified the request (an open
// gateway).
func (p *Principal) Anonymous() bool { return p == nil || (!p.Master && p.Key == nil) }

// KeyID is the virtual key's ID, or "".
func (p *Principal) KeyID() string {
	if p == nil || p.Key == nil {
		return ""
	}
	return p.Key.ID
}

// Options configure an Authenticator.
type Options struct {
	// MasterKey is the master key; "" for none.
	MasterKey string
	// Required makes every request present a valid key. Without it (a
	// gateway on loopback with no master key) requests without a key are
	// served anonymously, and a valid virtual key still applies its
	// limits.
	Required bool
	// Keys looks virtual keys up; nil for none.
	Keys *KeyCache
	// Now is the clock for expiry; default time.Now.
	Now func() time.Time
}

// Authenticator checks the key a request presents.
type Authenticator struct {
	master    Digest
	hasMaster bool
	required  bool
	keys      *KeyCache
	now       func() time.Time
}

// New returns an Authenticator for opts.
func New(opts Options) *Authenticator {
	a := &Authenticator{required: opts.Required, keys: opts.Keys, now: opts.Now}
	if opts.MasterKey != "" {
		a.master, a.hasMaster = DigestOf(opts.MasterKey), true
	}
	if a.now == nil {
		a.now = time.Now
	}
	return a
}

// Required reports whether every request must present a key.
func (a *Authenticator) Required() bool { return a.required }

// HasMaster reports whether a master key is configured (the admin API
// needs one).
func (a *Authenticator) HasMaster() bool { return a.hasMaster }

// Authenticate returns the principal of r, or a 401 in OpenAI's error
// envelope. The key is taken from `Authorization: Bearer`, else from
// `api-key` (Azure OpenAI's header, which the AzureOpenAI clients send),
// else from `x-api-key`.
//
// Every presented key is hashed first and only its digest is compared: the
// master key with a constant-time comparison, virtual keys by a map lookup
// on the digest. How long a wrong key takes thus does not depend on how
// many of its leading characters are right.
func (a *Authenticator) Authenticate(r *http.Request) (*Principal, error) {
	secret := presentedKey(r)
	if secret == "" {
		if a.required {
			return nil, errMissingKey
		}
		return &Principal{}, nil
	}
	d := DigestOf(secret)
	master := subtle.ConstantTimeCompare(d[:], a.master[:]) == 1 && a.hasMaster
	var k *store.Key
	if a.keys != nil {
		k = a.keys.lookup(d)
	}
	switch {
	case master:
		return &Principal{Master: true}, nil
	case k == nil:
		if a.required {
			return nil, errInvalidKey
		}
		// An open gateway: OpenAI clients insist on some key, so an
		// unknown one ("sk-anything") is served as anonymous.
		return &Principal{}, nil
	case !k.RevokedAt.IsZero():
		return nil, errRevokedKey
	case !k.ExpiresAt.IsZero() && !a.now().Before(k.ExpiresAt):
		return nil, errExpiredKey
	}
	return &Principal{Key: k}, nil
}

// presentedKey returns the key r carries, or "".
func presentedKey(r *http.Request) string {
	// Another scheme (Basic from a proxy in front, say) is not a key:
	// the other headers are looked at then.
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(token)
		}
	}
	if v := r.Header.Get("Api-Key"); v != "" {
		return strings.TrimSpace(v)
	}
	return strings.TrimSpace(r.Header.Get("X-Api-Key"))
}

// The authentication errors, worded like OpenAI's and never quoting the key.
var (
	errMissingKey = &openai.Error{
		Status: http.StatusUnauthorized, Type: openai.TypeInvalidRequest, Code: "missing_api_key",
		Message: "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
	}
	errInvalidKey = &openai.Error{
		Status: http.StatusUnauthorized, Type: openai.TypeInvalidRequest, Code: "invalid_api_key",
		Message: "Incorrect API key provided.",
	}
	errRevokedKey = &openai.Error{
		Status: http.StatusUnauthorized, Type: openai.TypeInvalidRequest, Code: "invalid_api_key",
		Message: "The API key provided has been revoked.",
	}
	errExpiredKey = &openai.Error{
		Status: http.StatusUnauthorized, Type: openai.TypeInvalidRequest, Code: "invalid_api_key",
		Message: "The API key provided has expired.",
	}
)

// ErrMasterOnly is the 403 of an admin route asked with a virtual key.
var ErrMasterOnly = &openai.Error{
	Status: http.StatusForbidden, Type: openai.TypePermission, Code: "admin_key_required",
	Message: "This route needs the master key; virtual keys cannot use the admin API.",
}

// ErrNoMaster is the 403 of an admin route on a gateway without a master
// key.
var ErrNoMaster = &openai.Error{
	Status: http.StatusForbidden, Type: openai.TypePermission, Code: "admin_api_disabled",
	Message: "The admin API is off because no master key is configured (API_KEY, API_KEY_PARAM_NAME or API_KEY_SECRET_ARN); manage keys with `outcrop keys`.",
}

// ModelAllowed reports whether p may use the public model name.
func (p *Principal) ModelAllowed(model string) bool {
	if p == nil || p.Key == nil || len(p.Key.Models) == 0 {
		return true
	}
	for _, m := range p.Key.Models {
		if m == model || m == "*" {
			return true
		}
	}
	return false
}
