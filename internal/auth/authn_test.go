package auth_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/auth"
	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/store"
)

// authFixture is an Authenticator's keys: one of each state, and a master
// key.
type authFixture struct {
	now                                     time.Time
	master                                  string
	active, revoked, expired, expiresNow    string
	expiresLater                            string
	activeKey, expiresLaterKey              *store.Key
	src                                     *fakeSource
	unknown, masterLookalike, activeInvalid string
}

func newAuthFixture(t *testing.T) *authFixture {
	t.Helper()
	f := &authFixture{now: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), master: "master-" + auth.NewSecret(), src: newFakeSource()}
	add := func(name string, edit func(*store.Key)) (string, *store.Key) {
		s, k := newKey(name)
		edit(k)
		return s, f.src.put(k)
	}
	f.active, f.activeKey = add("active", func(*store.Key) {})
	f.revoked, _ = add("revoked", func(k *store.Key) { k.RevokedAt = f.now.Add(-time.Hour) })
	f.expired, _ = add("expired", func(k *store.Key) { k.ExpiresAt = f.now.Add(-time.Second) })
	f.expiresNow, _ = add("expires-now", func(k *store.Key) { k.ExpiresAt = f.now })
	f.expiresLater, f.expiresLaterKey = add("expires-later", func(k *store.Key) { k.ExpiresAt = f.now.Add(time.Millisecond) })
	f.unknown = auth.NewSecret()
	f.masterLookalike = f.master[:len(f.master)-1] + "?"
	f.activeInvalid = f.active + "x"
	return f
}

func (f *authFixture) authenticator(t *testing.T, required bool) *auth.Authenticator {
	t.Helper()
	return auth.New(auth.Options{
		MasterKey: f.master, Required: required, Keys: newCache(t, f.src),
		Now: func() time.Time { return f.now },
	})
}

// withHeaders returns a request with the given headers.
func withHeaders(kv ...string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil)
	for i := 0; i+1 < len(kv); i += 2 {
		r.Header.Set(kv[i], kv[i+1])
	}
	return r
}

// The refusals, as a client sees them.
var (
	wantMissing = &openai.Error{
		Status: http.StatusUnauthorized, Type: openai.TypeInvalidRequest, Code: "missing_api_key",
		Message: "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
	}
	wantInvalid = &openai.Error{
		Status: http.StatusUnauthorized, Type: openai.TypeInvalidRequest, Code: "invalid_api_key",
		Message: "Incorrect API key provided.",
	}
	wantRevoked = &openai.Error{
		Status: http.StatusUnauthorized, Type: openai.TypeInvalidRequest, Code: "invalid_api_key",
		Message: "The API key provided has been revoked.",
	}
	wantExpired = &openai.Error{
		Status: http.StatusUnauthorized, Type: openai.TypeInvalidRequest, Code: "invalid_api_key",
		Message: "The API key provided has expired.",
	}
)

func TestAuthenticate(t *testing.T) {
	f := newAuthFixture(t)
	master := &auth.Principal{Master: true}
	active := &auth.Principal{Key: f.activeKey}
	anonymous := &auth.Principal{}
	tests := []struct {
		name     string
		required bool
		req      *http.Request
		want     *auth.Principal
		wantErr  *openai.Error
	}{
		{"bearer virtual key", true, withHeaders("Authorization", "Bearer "+f.active), active, nil},
		{"scheme in lower case", true, withHeaders("Authorization", "bearer "+f.active), active, nil},
		{"spaces around the token", true, withHeaders("Authorization", "Bearer   "+f.active+" "), active, nil},
		{"api-key header (Azure)", true, withHeaders("Api-Key", f.active), active, nil},
		{"x-api-key header", true, withHeaders("X-Api-Key", f.active), active, nil},
		{"bearer before api-key", true, withHeaders("Authorization", "Bearer "+f.active, "Api-Key", f.master), active, nil},
		{"api-key before x-api-key", true, withHeaders("Api-Key", f.master, "X-Api-Key", f.active), master, nil},
		{"other scheme falls through to api-key", true, withHeaders("Authorization", "Basic dXNlcjpwYXNz", "Api-Key", f.active), active, nil},
		{"other scheme alone", true, withHeaders("Authorization", "Basic dXNlcjpwYXNz"), nil, wantMissing},
		{"scheme without token", true, withHeaders("Authorization", "Bearer"), nil, wantMissing},
		{"empty bearer token", true, withHeaders("Authorization", "Bearer  "), nil, wantMissing},
		{"no key", true, withHeaders(), nil, wantMissing},
		{"unknown key", true, withHeaders("Authorization", "Bearer "+f.unknown), nil, wantInvalid},
		{"a key with one character more", true, withHeaders("Authorization", "Bearer "+f.activeInvalid), nil, wantInvalid},
		{"revoked key", true, withHeaders("Authorization", "Bearer "+f.revoked), nil, wantRevoked},
		{"expired key", true, withHeaders("Authorization", "Bearer "+f.expired), nil, wantExpired},
		{"key expiring this instant", true, withHeaders("Authorization", "Bearer "+f.expiresNow), nil, wantExpired},
		{"key expiring later", true, withHeaders("Authorization", "Bearer "+f.expiresLater), &auth.Principal{Key: f.expiresLaterKey}, nil},
		{"master key", true, withHeaders("Authorization", "Bearer "+f.master), master, nil},
		{"master key in x-api-key", true, withHeaders("X-Api-Key", f.master), master, nil},
		{"master key but the last character", true, withHeaders("Authorization", "Bearer "+f.masterLookalike), nil, wantInvalid},

		{"open: no key", false, withHeaders(), anonymous, nil},
		{"open: unknown key is anonymous", false, withHeaders("Authorization", "Bearer sk-anything"), anonymous, nil},
		{"open: other scheme alone", false, withHeaders("Authorization", "Basic dXNlcjpwYXNz"), anonymous, nil},
		{"open: a valid virtual key still applies", false, withHeaders("Authorization", "Bearer "+f.active), active, nil},
		{"open: master key", false, withHeaders("Authorization", "Bearer "+f.master), master, nil},
		{"open: revoked key is refused", false, withHeaders("Authorization", "Bearer "+f.revoked), nil, wantRevoked},
		{"open: expired key is refused", false, withHeaders("Authorization", "Bearer "+f.expired), nil, wantExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := f.authenticator(t, tt.required)
			got, err := a.Authenticate(tt.req)
			if tt.wantErr != nil {
				if diff := cmp.Diff(error(tt.wantErr), err); diff != "" || got != nil {
					t.Fatalf("got %+v, %v; want nil, %v (-want +got):\n%s", got, err, tt.wantErr, diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want %+v", err, tt.want)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("principal (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAuthenticateWithoutMasterOrKeys(t *testing.T) {
	a := auth.New(auth.Options{Required: true})
	if a.HasMaster() {
		t.Error("HasMaster: got true without a master key, want false")
	}
	if !a.Required() {
		t.Error("Required: got false, want true")
	}
	for _, key := range []string{"x", auth.NewSecret()} {
		if p, err := a.Authenticate(bearer(key)); err == nil {
			t.Errorf("key %q: got %+v, want invalid_api_key", key, p)
		}
	}
	open := auth.New(auth.Options{MasterKey: "m"})
	if !open.HasMaster() || open.Required() {
		t.Errorf("HasMaster, Required: got %v, %v, want true, false", open.HasMaster(), open.Required())
	}
}

func TestPrincipal(t *testing.T) {
	key := &store.Key{ID: "key_a", Models: []string{"claude", "nova"}}
	tests := []struct {
		name      string
		p         *auth.Principal
		anonymous bool
		keyID     string
		allowed   map[string]bool
	}{
		{"nil", nil, true, "", map[string]bool{"any": true}},
		{"anonymous", &auth.Principal{}, true, "", map[string]bool{"any": true}},
		{"master", &auth.Principal{Master: true}, false, "", map[string]bool{"any": true}},
		{"key for every model", &auth.Principal{Key: &store.Key{ID: "key_b"}}, false, "key_b", map[string]bool{"any": true}},
		{"key with a model list", &auth.Principal{Key: key}, false, "key_a", map[string]bool{"claude": true, "nova": true, "gpt": false, "": false}},
		{"key with a wildcard", &auth.Principal{Key: &store.Key{ID: "key_c", Models: []string{"*"}}}, false, "key_c", map[string]bool{"any": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Anonymous(); got != tt.anonymous {
				t.Errorf("Anonymous: got %v, want %v", got, tt.anonymous)
			}
			if got := tt.p.KeyID(); got != tt.keyID {
				t.Errorf("KeyID: got %q, want %q", got, tt.keyID)
			}
			for model, want := range tt.allowed {
				if got := tt.p.ModelAllowed(model); got != want {
					t.Errorf("ModelAllowed(%q): got %v, want %v", model, got, want)
				}
			}
		})
	}
}
