package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The OUTCROP_* environment variables and the fields they override.
const (
	EnvAddr           = "OUTCROP_ADDR"
	EnvMaxBodyBytes   = "OUTCROP_MAX_BODY_BYTES"
	EnvLogFormat      = "OUTCROP_LOG_FORMAT"
	EnvLogLevel       = "OUTCROP_LOG_LEVEL"
	EnvLogFile        = "OUTCROP_LOG_FILE"
	EnvDemo           = "OUTCROP_DEMO"
	EnvDemoTokenDelay = "OUTCROP_DEMO_TOKEN_DELAY"
	EnvBedrock        = "OUTCROP_BEDROCK"
	EnvPprofAddr      = "OUTCROP_PPROF_ADDR"
	EnvUpstreamClient = "OUTCROP_UPSTREAM_CLIENT"
	EnvHTTPServer     = "OUTCROP_HTTP_SERVER"
)

// The environment variables of aws-samples/bedrock-access-gateway, honoured
// so that its users can switch without changing their deployment. Unlike
// there, DEFAULT_MODEL has no default (it is opt-in), and the ENABLE_*
// switches take true/false, 1/0, yes/no or on/off (there, anything but
// "false" meant true).
const (
	EnvAWSRegion                    = "AWS_REGION"
	EnvAWSDefaultRegion             = "AWS_DEFAULT_REGION"
	EnvDefaultModel                 = "DEFAULT_MODEL"
	EnvDefaultEmbeddingModel        = "DEFAULT_EMBEDDING_MODEL"
	EnvCrossRegionInference         = "ENABLE_CROSS_REGION_INFERENCE"
	EnvApplicationInferenceProfiles = "ENABLE_APPLICATION_INFERENCE_PROFILES"
	// EnvPromptCaching sets bedrock.prompt_caching: true places the
	// automatic cache points (after system, tools and the last user turn)
	// as it did there; false places none, not even where a client's
	// cache_control asks (there, such markers were never honoured).
	EnvPromptCaching = "ENABLE_PROMPT_CACHING"
)

// EnvNames lists every environment variable Load reads besides ${VAR}
// references: the OUTCROP_* overrides and the bedrock-access-gateway names.
func EnvNames() []string {
	return []string{
		EnvAddr, EnvMaxBodyBytes, EnvLogFormat, EnvLogLevel, EnvLogFile, EnvDemo, EnvDemoTokenDelay, EnvBedrock, EnvPprofAddr, EnvUpstreamClient, EnvHTTPServer,
		EnvAWSRegion, EnvAWSDefaultRegion, EnvDefaultModel, EnvDefaultEmbeddingModel,
		EnvCrossRegionInference, EnvApplicationInferenceProfiles, EnvPromptCaching,
		EnvAPIKey, EnvAPIKeyParam, EnvAPIKeySecret, EnvAllowedOrigins, EnvDatabaseURL, EnvRedisURL,
		EnvDataDir, EnvAuthRequired, EnvGuardrailID, EnvGuardrailVersion,
	}
}

// applyOverrides sets the fields named by OUTCROP_* variables. An empty
// variable counts as unset: getenv cannot tell the two apart. A value that
// does not parse is kept as a load problem for Validate.
func (c *Config) applyOverrides(getenv func(string) string) {
	c.overrideString(getenv, EnvAddr, "server.addr", &c.Server.Addr)
	c.overrideString(getenv, EnvPprofAddr, "server.pprof_addr", &c.Server.PprofAddr)
	c.overrideString(getenv, EnvUpstreamClient, "server.upstream_client", &c.Server.UpstreamClient)
	c.overrideString(getenv, EnvHTTPServer, "server.http_server", &c.Server.HTTPServer)
	c.overrideString(getenv, EnvLogFormat, "log.format", &c.Log.Format)
	c.overrideString(getenv, EnvLogLevel, "log.level", &c.Log.Level)
	c.overrideString(getenv, EnvLogFile, "log.file", &c.Log.File)
	c.overrideString(getenv, EnvDemo, "demo.enabled", (*string)(&c.Demo.Enabled))
	c.bedrockOverrides(getenv)
	c.accessOverrides(getenv)
	c.retrievalOverrides(getenv)
	if v := getenv(EnvMaxBodyBytes); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			c.loadProblem("env "+EnvMaxBodyBytes, fmt.Sprintf("invalid integer %q (want a size in bytes)", v))
		} else {
			c.Server.MaxBodyBytes = n
			c.setFromEnv("server.max_body_bytes", EnvMaxBodyBytes)
		}
	}
	if v := getenv(EnvDemoTokenDelay); v != "" {
		d, err := parseDuration(v)
		if err != nil {
			c.loadProblem("env "+EnvDemoTokenDelay, err.Error())
		} else {
			c.Demo.TokenDelay = d
			c.setFromEnv("demo.token_delay", EnvDemoTokenDelay)
		}
	}
}

// bedrockOverrides applies OUTCROP_BEDROCK and the bedrock-access-gateway
// variables. The region variables only fill an empty bedrock.region:
// AWS_REGION is set in every Lambda, ECS task and CloudShell, so a region
// written in the file must win over it.
func (c *Config) bedrockOverrides(getenv func(string) string) {
	b := &c.Bedrock
	c.overrideString(getenv, EnvBedrock, "bedrock.enabled", (*string)(&b.Enabled))
	for _, name := range []string{EnvAWSRegion, EnvAWSDefaultRegion} {
		if b.Region != "" {
			break
		}
		c.overrideString(getenv, name, "bedrock.region", &b.Region)
	}
	c.overrideString(getenv, EnvDefaultModel, "bedrock.default_model", &b.DefaultModel)
	c.overrideString(getenv, EnvDefaultEmbeddingModel, "bedrock.default_embedding_model", &b.DefaultEmbeddingModel)
	c.overrideBool(getenv, EnvCrossRegionInference, &b.CrossRegionInference)
	c.overrideBool(getenv, EnvApplicationInferenceProfiles, &b.ApplicationInferenceProfiles)
	var caching *bool
	c.overrideBool(getenv, EnvPromptCaching, &caching)
	switch {
	case caching == nil:
	case *caching:
		b.PromptCaching = CachingOn
	default:
		b.PromptCaching = CachingOff
	}
}

// overrideBool sets a *bool field from a true/false, 1/0, yes/no or on/off
// variable, in any case.
func (c *Config) overrideBool(getenv func(string) string, name string, field **bool) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return
	}
	switch strings.ToLower(v) {
	case "true", "1", "yes", "on":
		*field = ptr(true)
	case "false", "0", "no", "off":
		*field = ptr(false)
	default:
		c.loadProblem("env "+name, fmt.Sprintf("invalid value %q (want true or false)", v))
	}
}

func (c *Config) overrideString(getenv func(string) string, name, path string, field *string) {
	if v := getenv(name); v != "" {
		*field = v
		c.setFromEnv(path, name)
	}
}

func (c *Config) setFromEnv(path, name string) {
	if c.envFields == nil {
		c.envFields = make(map[string]string)
	}
	c.envFields[path] = name
}

func (c *Config) loadProblem(path, msg string) {
	c.loadProblems = append(c.loadProblems, Problem{Path: path, Message: msg})
}

// expandReferences replaces ${VAR} in the fields that take references:
// secrets (api_key, header values) and base_url and the Bedrock endpoints,
// where a resource name often comes from the environment. Other fields are taken literally, so
// a "$" in a model name never surprises anyone.
func (c *Config) expandReferences(getenv func(string) string) {
	b := &c.Bedrock
	b.Endpoint = c.expandField("bedrock.endpoint", b.Endpoint, getenv)
	b.ControlEndpoint = c.expandField("bedrock.control_endpoint", b.ControlEndpoint, getenv)
	b.APIKey = Secret(c.expandField("bedrock.api_key", b.APIKey.Value(), getenv))
	c.expandAccessReferences(getenv)
	c.expandRetrievalReferences(getenv)
	for i := range c.Upstreams {
		u := &c.Upstreams[i]
		p := fmt.Sprintf("upstreams[%d]", i)
		u.BaseURL = c.expandField(p+".base_url", u.BaseURL, getenv)
		u.Endpoint = c.expandField(p+".endpoint", u.Endpoint, getenv)
		u.APIKey = Secret(c.expandField(p+".api_key", u.APIKey.Value(), getenv))
		keys := make([]string, 0, len(u.Headers))
		for k := range u.Headers {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			u.Headers[k] = Secret(c.expandField(p+".headers."+k, u.Headers[k].Value(), getenv))
		}
	}
}

func (c *Config) expandField(path, s string, getenv func(string) string) string {
	out, msgs := expand(s, getenv)
	for _, m := range msgs {
		c.loadProblem(path, m)
	}
	return out
}

// expand replaces each ${NAME} in s with getenv(NAME); "$${" stands for a
// literal "${". A lone "$" is left alone, since keys may contain one. The
// messages never quote s, which may be a secret.
func expand(s string, getenv func(string) string) (string, []string) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	var msgs []string
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), msgs
		}
		if i > 0 && s[i-1] == '$' { // "$${": an escaped literal
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			msgs = append(msgs, `unterminated "${" (write "$${" for a literal "${")`)
			return b.String(), msgs
		}
		if name := s[i+2 : i+end]; !isEnvName(name) {
			msgs = append(msgs, `invalid environment reference: "${" must be followed by a name of letters, digits and _ and a "}" (write "$${" for a literal "${")`)
		} else if v := getenv(name); v == "" {
			msgs = append(msgs, fmt.Sprintf("environment variable %s is not set", name))
		} else {
			b.WriteString(v)
		}
		s = s[i+end+1:]
	}
}

func isEnvName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for _, r := range s {
		if r != '_' && (r < 'A' || r > 'Z') && (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}
