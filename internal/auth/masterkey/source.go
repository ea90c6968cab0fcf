// Package masterkey reads Outcrop's master API key the way
// aws-samples/bedrock-access-gateway reads its API key (issue 5), so that
// gateway's users can switch by changing the image: from the environment
// (API_KEY), from an SSM Parameter Store parameter (API_KEY_PARAM_NAME,
// read with decryption) or from a Secrets Manager secret whose
// SecretString is JSON with the field "api_key" (API_KEY_SECRET_ARN).
//
// The key is loaded once, at startup: there is no refresh. Rotate it by
// restarting the gateway, or hand out virtual keys, which can be revoked
// without one.
package masterkey

// The environment variables, as bedrock-access-gateway names them.
const (
	// EnvAPIKey holds the key itself.
	EnvAPIKey = "API_KEY"
	// EnvParamName holds the name or ARN of an SSM parameter holding the
	// key, normally a SecureString.
	EnvParamName = "API_KEY_PARAM_NAME"
	// EnvSecretARN holds the ID or ARN of a Secrets Manager secret whose
	// SecretString is a JSON object with the key in DefaultField.
	EnvSecretARN = "API_KEY_SECRET_ARN"
)

// DefaultField is the JSON field of the secret that holds the key.
const DefaultField = "api_key"

// Source says where the master key comes from. It is plain data, filled
// by the caller from configuration or SourceFromEnv; the zero value
// configures no key. When several are set, Load uses ParamName, then
// SecretARN, then Key, the order bedrock-access-gateway checks them in.
type Source struct {
	// Key is the key itself (API_KEY).
	Key string
	// ParamName is an SSM Parameter Store parameter name or ARN
	// (API_KEY_PARAM_NAME), e.g. "/outcrop/api-key"; a "name:version"
	// selector is passed through to SSM.
	ParamName string
	// SecretARN is a Secrets Manager secret name or ARN
	// (API_KEY_SECRET_ARN) whose SecretString is a JSON object holding the
	// key in Field.
	SecretARN string
	// Field is the JSON field of the secret holding the key; default
	// DefaultField ("api_key").
	Field string
	// Region is the AWS region of the parameter or secret; default
	// AWS_REGION, then AWS_DEFAULT_REGION, then the SDK's shared
	// configuration.
	Region string
}

// SourceFromEnv reads a Source from EnvAPIKey, EnvParamName and
// EnvSecretARN, leaving Field and Region to their defaults.
func SourceFromEnv(getenv func(string) string) Source {
	return Source{
		Key:       getenv(EnvAPIKey),
		ParamName: getenv(EnvParamName),
		SecretARN: getenv(EnvSecretARN),
	}
}

// Configured reports whether any of Key, ParamName and SecretARN is set.
func (s Source) Configured() bool { return s.kind() != kindNone }

// Describe names where the key comes from without revealing it, for the
// startup log: "ssm:NAME", "secretsmanager:ARN", "API_KEY", or "" when
// nothing is configured. It follows Load's precedence.
func (s Source) Describe() string {
	switch s.kind() {
	case kindParameter:
		return "ssm:" + s.ParamName
	case kindSecret:
		return "secretsmanager:" + s.SecretARN
	case kindKey:
		return EnvAPIKey
	}
	return ""
}

// field is the secret's JSON field, with its default.
func (s Source) field() string {
	if s.Field == "" {
		return DefaultField
	}
	return s.Field
}

// kind is the source Load reads, one of three by precedence.
type kind int

const (
	kindNone kind = iota
	kindParameter
	kindSecret
	kindKey
)

// kind applies the precedence: bedrock-access-gateway's src/api/auth.py
// tests API_KEY_PARAM_NAME, then API_KEY_SECRET_ARN, then API_KEY.
func (s Source) kind() kind {
	switch {
	case s.ParamName != "":
		return kindParameter
	case s.SecretARN != "":
		return kindSecret
	case s.Key != "":
		return kindKey
	}
	return kindNone
}
