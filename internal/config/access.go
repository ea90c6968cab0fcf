package config

import (
	"fmt"
	"math"
	"net"
	"net/url"
	"strings"
	"time"
)

// Defaults of the access sections.
const (
	DefaultDataDir             = "outcrop-data"
	DefaultKeyRefresh          = Duration(250 * time.Millisecond)
	DefaultRedisPrefix         = "outcrop:"
	DefaultLeaseTTL            = Duration(10 * time.Minute)
	DefaultOutputTokenEstimate = 4096
	DefaultLedgerBatch         = 500
	DefaultLedgerInterval      = Duration(time.Second)
)

// The environment variables of the access sections. API_KEY,
// API_KEY_PARAM_NAME, API_KEY_SECRET_ARN and ALLOWED_ORIGINS are
// bedrock-access-gateway's names; DATABASE_URL and REDIS_URL are the usual
// ones.
const (
	EnvAPIKey         = "API_KEY"
	EnvAPIKeyParam    = "API_KEY_PARAM_NAME"
	EnvAPIKeySecret   = "API_KEY_SECRET_ARN"
	EnvAllowedOrigins = "ALLOWED_ORIGINS"
	EnvDatabaseURL    = "DATABASE_URL"
	EnvRedisURL       = "REDIS_URL"
	EnvDataDir        = "OUTCROP_DATA_DIR"
	EnvAuthRequired   = "OUTCROP_AUTH_REQUIRED"
)

// Auth configures who may call the gateway.
type Auth struct {
	// MasterKey is the master API key: every model, the admin API, no
	// limits. Default none; environment API_KEY. Prefer a ${VAR}
	// reference or one of the two AWS sources below. Never logged.
	MasterKey Secret `yaml:"master_key"`
	// MasterKeyParam is an SSM Parameter Store parameter (name or ARN, a
	// SecureString) holding the master key, read at startup with
	// decryption. Environment API_KEY_PARAM_NAME.
	MasterKeyParam string `yaml:"master_key_param"`
	// MasterKeySecret is a Secrets Manager secret (ID or ARN) whose JSON
	// field "api_key" is the master key. Environment API_KEY_SECRET_ARN.
	MasterKeySecret string `yaml:"master_key_secret"`
	// Required is "auto" (keys are required when a master key is set or
	// server.addr is not a loopback address), "true" or "false". "false"
	// is refused beyond loopback: an open gateway there would hand out the
	// upstreams' credentials to anyone. Default "auto"; environment
	// OUTCROP_AUTH_REQUIRED.
	Required string `yaml:"required"`
	// KeyRefresh is how often the virtual keys are reread from the
	// database, so a key created, changed or revoked on another replica
	// takes effect here within it. Default 250ms.
	KeyRefresh Duration `yaml:"key_refresh"`
}

// Storage configures the database of keys and the usage ledger.
type Storage struct {
	// DatabaseURL is a PostgreSQL URL ("postgres://user@host/db"), shared
	// by every replica. Default "": an embedded SQLite database in
	// DataDir. Environment DATABASE_URL. ${VAR} references are expanded.
	DatabaseURL Secret `yaml:"database_url"`
	// DataDir holds the embedded SQLite database (outcrop.db) and the
	// ledger's spill file. Default "outcrop-data", relative to the working
	// directory. Environment OUTCROP_DATA_DIR.
	DataDir string `yaml:"data_dir"`
	// LedgerBatch is how many usage records are written at once. Default
	// 500.
	LedgerBatch int `yaml:"ledger_batch"`
	// LedgerInterval is the longest a usage record waits before it is
	// written. Default 1s.
	LedgerInterval Duration `yaml:"ledger_interval"`
}

// Limits configures rate limits and budgets.
type Limits struct {
	// RedisURL is the Redis server that holds the limits of every replica
	// ("redis://host:6379/0", "rediss://" for TLS). Default "": limits are
	// kept in this process's memory, exact for one replica only.
	// Environment REDIS_URL. ${VAR} references are expanded.
	RedisURL Secret `yaml:"redis_url"`
	// RedisPrefix starts every Redis key Outcrop writes. Default
	// "outcrop:".
	RedisPrefix string `yaml:"redis_prefix"`
	// LeaseTTL is the longest a concurrency slot is held when its replica
	// dies before giving it back. Default 10m.
	LeaseTTL Duration `yaml:"lease_ttl"`
	// OutputTokenEstimate is the output a request without max_tokens is
	// assumed to produce when its tokens and worst-case cost are reserved
	// (the real usage settles it). Default 4096.
	OutputTokenEstimate int64 `yaml:"output_token_estimate"`
	// Models limits public model names across all keys. Example
	// {claude-sonnet: {rpm: 600, tpm: 400000}}.
	Models map[string]RateLimit `yaml:"models"`
}

// MaxRateLimit is the largest limit the limiter can count (its
// ratelimit.MaxLimit, kept equal by TestMaxRateLimit in package app).
const MaxRateLimit = 1 << 50 / 60000

// RateLimit is a set of per-minute limits; zero means no limit.
type RateLimit struct {
	// RPM is requests per minute.
	RPM int64 `yaml:"rpm"`
	// TPM is tokens (prompt and completion) per minute.
	TPM int64 `yaml:"tpm"`
	// Concurrency is requests in flight at once.
	Concurrency int64 `yaml:"concurrency"`
}

// Price is what a model costs, in US dollars per million tokens.
type Price struct {
	Input      float64 `yaml:"input"`
	Output     float64 `yaml:"output"`
	CacheRead  float64 `yaml:"cache_read"`
	CacheWrite float64 `yaml:"cache_write"`
}

// CORS configures cross-origin requests from browsers.
type CORS struct {
	// AllowedOrigins are the origins browsers may call from, such as
	// "https://app.example.com", or "*" for any. Default none (closed).
	// Environment ALLOWED_ORIGINS, comma-separated.
	AllowedOrigins []string `yaml:"allowed_origins"`
}

func (c *Config) applyAccessDefaults() {
	setDefault(&c.Auth.Required, "auto")
	setDefault(&c.Auth.KeyRefresh, DefaultKeyRefresh)
	setDefault(&c.Storage.DataDir, DefaultDataDir)
	setDefault(&c.Storage.LedgerBatch, DefaultLedgerBatch)
	setDefault(&c.Storage.LedgerInterval, DefaultLedgerInterval)
	setDefault(&c.Limits.RedisPrefix, DefaultRedisPrefix)
	setDefault(&c.Limits.LeaseTTL, DefaultLeaseTTL)
	setDefault(&c.Limits.OutputTokenEstimate, DefaultOutputTokenEstimate)
}

func (c *Config) accessOverrides(getenv func(string) string) {
	if v := getenv(EnvAPIKey); v != "" {
		c.Auth.MasterKey = Secret(v)
		c.setFromEnv("auth.master_key", EnvAPIKey)
	}
	c.overrideString(getenv, EnvAPIKeyParam, "auth.master_key_param", &c.Auth.MasterKeyParam)
	c.overrideString(getenv, EnvAPIKeySecret, "auth.master_key_secret", &c.Auth.MasterKeySecret)
	c.overrideString(getenv, EnvAuthRequired, "auth.required", &c.Auth.Required)
	if v := getenv(EnvDatabaseURL); v != "" {
		c.Storage.DatabaseURL = Secret(v)
		c.setFromEnv("storage.database_url", EnvDatabaseURL)
	}
	c.overrideString(getenv, EnvDataDir, "storage.data_dir", &c.Storage.DataDir)
	if v := getenv(EnvRedisURL); v != "" {
		c.Limits.RedisURL = Secret(v)
		c.setFromEnv("limits.redis_url", EnvRedisURL)
	}
	if v := getenv(EnvAllowedOrigins); v != "" {
		c.CORS.AllowedOrigins = nil
		for _, o := range strings.Split(v, ",") {
			if o = strings.TrimSpace(o); o != "" {
				c.CORS.AllowedOrigins = append(c.CORS.AllowedOrigins, o)
			}
		}
		c.setFromEnv("cors.allowed_origins", EnvAllowedOrigins)
	}
}

func (c *Config) expandAccessReferences(getenv func(string) string) {
	c.Auth.MasterKey = Secret(c.expandField("auth.master_key", c.Auth.MasterKey.Value(), getenv))
	c.Storage.DatabaseURL = Secret(c.expandField("storage.database_url", c.Storage.DatabaseURL.Value(), getenv))
	c.Limits.RedisURL = Secret(c.expandField("limits.redis_url", c.Limits.RedisURL.Value(), getenv))
}

// AuthRequired reports whether every request must present a key: when
// auth.required says so, or, for "auto", when a master key is configured
// or the gateway listens beyond loopback.
func (c *Config) AuthRequired() bool {
	switch c.Auth.Required {
	case "true":
		return true
	case "false":
		return false
	}
	return c.MasterKeyConfigured() || !LoopbackAddr(c.Server.Addr)
}

// MasterKeyConfigured reports whether any master key source is set.
func (c *Config) MasterKeyConfigured() bool {
	a := c.Auth
	return a.MasterKey != "" || a.MasterKeyParam != "" || a.MasterKeySecret != ""
}

// LoopbackAddr reports whether a listen address only accepts connections
// from this machine: 127.0.0.0/8, ::1 or "localhost". An empty host (":8080")
// and 0.0.0.0 listen on every interface.
func LoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

func (v *validator) access() {
	c := v.c
	v.oneOf("auth.required", c.Auth.Required, "auto", "true", "false")
	if c.Auth.Required == "false" && !LoopbackAddr(c.Server.Addr) {
		v.add("auth.required", "cannot be false when server.addr (%s) is not a loopback address: anyone who can reach it could use the upstreams' credentials; set a master key (API_KEY) or create keys with `outcrop keys create`", c.Server.Addr)
	}
	if c.Auth.KeyRefresh != 0 && c.Auth.KeyRefresh < Duration(10*time.Millisecond) {
		v.add("auth.key_refresh", "must be at least 10ms")
	}
	if u := c.Storage.DatabaseURL.Value(); u != "" {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "postgres" && p.Scheme != "postgresql") {
			v.add("storage.database_url", "want a postgres:// or postgresql:// URL (leave it empty for the embedded SQLite database)")
		}
	}
	nonNegative(v, "storage.ledger_batch", c.Storage.LedgerBatch)
	nonNegative(v, "storage.ledger_interval", c.Storage.LedgerInterval)
	if u := c.Limits.RedisURL.Value(); u != "" {
		v.redisURL("limits.redis_url", u)
	}
	nonNegative(v, "limits.lease_ttl", c.Limits.LeaseTTL)
	nonNegative(v, "limits.output_token_estimate", c.Limits.OutputTokenEstimate)
	for _, name := range sortedKeys(c.Limits.Models) {
		l := c.Limits.Models[name]
		p := "limits.models." + name
		for field, n := range map[string]int64{"rpm": l.RPM, "tpm": l.TPM, "concurrency": l.Concurrency} {
			if n < 0 || n > MaxRateLimit {
				v.add(p+"."+field, "must be 0 (no limit) up to %d", int64(MaxRateLimit))
			}
		}
	}
	for _, name := range sortedKeys(c.Prices) {
		pr := c.Prices[name]
		for field, x := range map[string]float64{"input": pr.Input, "output": pr.Output, "cache_read": pr.CacheRead, "cache_write": pr.CacheWrite} {
			if x < 0 || math.IsNaN(x) || math.IsInf(x, 0) {
				v.add(fmt.Sprintf("prices.%s.%s", name, field), "must be a price in dollars per million tokens, 0 or more")
			}
		}
	}
	_, fromEnv := c.envFields["cors.allowed_origins"]
	for i, o := range c.CORS.AllowedOrigins {
		if o == "*" {
			continue
		}
		path := fmt.Sprintf("cors.allowed_origins[%d]", i)
		if fromEnv {
			path = "cors.allowed_origins" // reported under ALLOWED_ORIGINS
		}
		p, err := url.Parse(o)
		// Browsers send the origin without a path, so "https://x/" would
		// never match: it is refused rather than silently dead.
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.Path != "" || p.RawQuery != "" {
			v.add(path, "invalid origin %q (want scheme://host[:port] with no path or trailing slash, like \"https://app.example.com\", or \"*\")", o)
		}
	}
}

func (v *validator) redisURL(path, u string) {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "redis" && p.Scheme != "rediss" && p.Scheme != "unix") {
		v.add(path, "want a redis://, rediss:// or unix:// URL")
	}
}
