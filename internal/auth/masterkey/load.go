package masterkey

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrNotConfigured is returned by Load for a Source that names no key.
var ErrNotConfigured = errors.New("no master key configured")

// ErrInvalid is wrapped by Load's errors for a source that was read but
// holds no usable key: an empty value, a secret that is not a JSON object,
// lacks the field, or holds only SecretBinary. The messages name the
// source and never quote the value.
var ErrInvalid = errors.New("unusable value")

// Load returns the master key from s, reading the parameter or secret
// with the AWS SDK's default configuration (credentials chain, retry
// policy) and its SigV4 signer (the call itself is callJSON's). getenv supplies AWS_ENDPOINT_URL_SSM,
// AWS_ENDPOINT_URL_SECRETS_MANAGER, AWS_ENDPOINT_URL,
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS, the region variables and, when set
// there, static credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN); nil means os.Getenv. The SDK itself still reads the
// process environment and shared files for everything else.
//
// Errors name the source (Source.Describe), never the key; an AWS error
// answer is wrapped as a smithy.APIError, so errors.As finds its code
// (e.g. "ParameterNotFound").
func Load(ctx context.Context, s Source, getenv func(string) string) (string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	var key string
	var err error
	switch s.kind() {
	case kindParameter:
		key, err = loadParameter(ctx, s, getenv)
	case kindSecret:
		key, err = loadSecret(ctx, s, getenv)
	case kindKey:
		key = s.Key
	default:
		return "", ErrNotConfigured
	}
	if err == nil && strings.TrimSpace(key) == "" {
		err = fmt.Errorf("%w: empty", ErrInvalid)
	}
	if err != nil {
		return "", fmt.Errorf("master key from %s: %w", s.Describe(), err)
	}
	return key, nil
}

// loadParameter reads the SecureString parameter, always with decryption:
// without it SSM answers the KMS ciphertext, which would otherwise become
// the key unnoticed.
func loadParameter(ctx context.Context, s Source, getenv func(string) string) (string, error) {
	cfg, err := awsConfig(ctx, s.Region, getenv)
	if err != nil {
		return "", err
	}
	in := struct {
		Name           string
		WithDecryption bool
	}{s.ParamName, true}
	var out struct{ Parameter *struct{ Value *string } }
	if err := callJSON(ctx, cfg, serviceSSM, "GetParameter", getenv, in, &out); err != nil {
		return "", fmt.Errorf("get parameter: %w", err)
	}
	if out.Parameter == nil || out.Parameter.Value == nil {
		return "", fmt.Errorf("%w: no parameter value in the answer", ErrInvalid)
	}
	return *out.Parameter.Value, nil
}

// loadSecret reads the secret's current version and takes the key from
// its JSON SecretString.
func loadSecret(ctx context.Context, s Source, getenv func(string) string) (string, error) {
	cfg, err := awsConfig(ctx, s.Region, getenv)
	if err != nil {
		return "", err
	}
	in := struct {
		SecretID string `json:"SecretId"`
	}{s.SecretARN}
	var out struct{ SecretString *string }
	if err := callJSON(ctx, cfg, serviceSecretsManager, "GetSecretValue", getenv, in, &out); err != nil {
		return "", fmt.Errorf("get secret value: %w", err)
	}
	if out.SecretString == nil {
		return "", fmt.Errorf("%w: the secret has no SecretString (SecretBinary is not read); "+
			"want a JSON object with the field %q", ErrInvalid, s.field())
	}
	return jsonField(*out.SecretString, s.field())
}

// jsonField returns the string field name of the JSON object doc. Its
// errors deliberately drop encoding/json's: a syntax error quotes the
// offending character, which here is a character of the secret.
func jsonField(doc, name string) (string, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(doc), &obj); err != nil || obj == nil {
		return "", fmt.Errorf("%w: SecretString is not a JSON object", ErrInvalid)
	}
	raw, ok := obj[name]
	if !ok {
		return "", fmt.Errorf("%w: SecretString has no field %q", ErrInvalid, name)
	}
	var v *string
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", fmt.Errorf("%w: field %q of SecretString is not a string", ErrInvalid, name)
	}
	if v == nil {
		return "", nil // null: reported as empty by Load
	}
	return *v, nil
}
