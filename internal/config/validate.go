package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Validate checks the configuration and returns every problem found, as
// Problems, or nil. It changes nothing. Zero values are valid (they mean
// the default), so a Config need not have gone through ApplyDefaults.
// Problems found by Load (unset ${VAR}, unparsable OUTCROP_* values) come
// first; a field with such a problem is not checked again.
func (c *Config) Validate() error {
	v := &validator{c: c, skip: make(map[string]bool)}
	for _, p := range c.loadProblems {
		v.problems = append(v.problems, p)
		v.skip[p.Path] = true
	}
	v.server()
	v.log()
	v.demo()
	v.upstreams()
	v.models()
	v.aliases()
	v.bedrock()
	v.imageFetch()
	v.access()
	v.retrieval()
	if len(v.problems) == 0 {
		return nil
	}
	return v.problems
}

// validator collects problems while walking a Config.
type validator struct {
	c        *Config
	problems Problems
	// skip holds paths that already have a load problem.
	skip map[string]bool
	// modelAt maps each model name to the path of its first definition;
	// aliasAt does the same for aliases, per-model and top-level.
	modelAt map[string]string
	aliasAt map[string]string
}

// add records a problem. A field set from an OUTCROP_* variable is
// reported under the variable's name, which is what the user can fix.
func (v *validator) add(path, format string, args ...any) {
	if v.skip[path] {
		return
	}
	if name, ok := v.c.envFields[path]; ok {
		path = "env " + name
	}
	v.problems = append(v.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) server() {
	s := v.c.Server
	if s.Addr != "" {
		v.addr("server.addr", s.Addr)
	}
	if s.PprofAddr != "" {
		v.addr("server.pprof_addr", s.PprofAddr)
		if _, _, err := net.SplitHostPort(s.PprofAddr); err == nil && !LoopbackAddr(s.PprofAddr) {
			v.add("server.pprof_addr", "must be a loopback address (127.0.0.1:PORT or [::1]:PORT): profiles show the process's internals")
		}
	}
	v.oneOf("server.upstream_client", s.UpstreamClient, "fasthttp", "net/http")
	v.oneOf("server.http_server", s.HTTPServer, "fasthttp", "net/http")
	nonNegative(v, "server.max_body_bytes", s.MaxBodyBytes)
	nonNegative(v, "server.shutdown_grace", s.ShutdownGrace)
	nonNegative(v, "server.read_header_timeout", s.ReadHeaderTimeout)
	nonNegative(v, "server.idle_timeout", s.IdleTimeout)
	if s.Heartbeat != 0 && s.Heartbeat < Duration(time.Second) {
		v.add("server.heartbeat", "must be at least 1s")
	}
}

func (v *validator) addr(path, addr string) {
	_, port, err := net.SplitHostPort(addr)
	var ae *net.AddrError
	switch {
	case errors.As(err, &ae):
		v.add(path, "invalid address %q: %s (want host:port, like \"127.0.0.1:8080\")", addr, ae.Err)
	case err != nil:
		v.add(path, "invalid address %q: %v", addr, err)
	case port == "":
		return // Listen picks a free port; handy in tests
	default:
		if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			v.add(path, "invalid port %q in address %q (want 0 to 65535)", port, addr)
		}
	}
}

func (v *validator) log() {
	l := v.c.Log
	v.oneOf("log.format", l.Format, "json", "text")
	v.oneOf("log.level", l.Level, "debug", "info", "warn", "error")
	nonNegative(v, "log.max_size_mb", l.MaxSizeMB)
	nonNegative(v, "log.max_files", l.MaxFiles)
}

func (v *validator) demo() {
	v.oneOf("demo.enabled", string(v.c.Demo.Enabled), string(DemoAuto), string(DemoOn), string(DemoOff))
	nonNegative(v, "demo.token_delay", v.c.Demo.TokenDelay)
}

func (v *validator) upstreams() {
	first := make(map[string]int)
	for i, u := range v.c.Upstreams {
		p := fmt.Sprintf("upstreams[%d]", i)
		if j, dup := first[u.Name]; dup && u.Name != "" {
			v.add(p+".name", "duplicate upstream name %q (first at upstreams[%d])", u.Name, j)
		} else {
			v.name(p+".name", u.Name)
			first[u.Name] = i
		}
		v.upstream(p, u)
	}
}

func (v *validator) upstream(p string, u Upstream) {
	typ := u.Type
	if typ == "" {
		typ = TypeOpenAI
	}
	if !slices.Contains([]UpstreamType{TypeOpenAI, TypeAzure, TypeAzureV1, TypeOpenAICompatible, TypeBedrock}, typ) {
		v.add(p+".type", "unknown type %q (want openai, azure, azure-v1, openai-compatible or bedrock)", typ)
		return // the other checks depend on the type
	}
	if typ == TypeBedrock {
		v.bedrockUpstream(p, u)
		return
	}
	v.onlyForBedrock(p, u)
	v.baseURL(p+".base_url", u.BaseURL, typ)
	if u.APIKey == "" && typ != TypeOpenAICompatible {
		example := "OPENAI_API_KEY"
		if typ != TypeOpenAI {
			example = "AZURE_OPENAI_API_KEY"
		}
		v.add(p+".api_key", "required for type %s (example \"${%s}\")", typ, example)
	}
	switch {
	case typ == TypeAzure && u.APIVersion == "":
		v.add(p+".api_version", "required for type azure (example \"2024-10-21\")")
	case (typ == TypeOpenAI || typ == TypeOpenAICompatible) && u.APIVersion != "":
		v.add(p+".api_version", "only used by types azure and azure-v1; remove it")
	}
	for _, k := range sortedKeys(u.Headers) {
		hp := p + ".headers." + k
		if !isToken(k) {
			v.add(hp, "invalid header name")
		} else if strings.ContainsAny(u.Headers[k].Value(), "\r\n\x00") {
			v.add(hp, "value must not contain CR, LF or NUL")
		}
	}
	nonNegative(v, p+".timeout", u.Timeout)
}

// baseURL checks an upstream's URL. Messages never quote the URL, which
// may carry credentials.
func (v *validator) baseURL(path, raw string, typ UpstreamType) {
	if raw == "" {
		if typ != TypeOpenAI {
			v.add(path, "required for type %s", typ)
		}
		return
	}
	u, err := url.Parse(raw)
	var ue *url.Error
	switch {
	case errors.As(err, &ue):
		v.add(path, "invalid URL: %v", ue.Err)
	case err != nil:
		v.add(path, "invalid URL: %v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		v.add(path, "invalid URL: want an http:// or https:// URL")
	case u.Host == "":
		v.add(path, "invalid URL: missing host")
	case u.RawQuery != "" || u.Fragment != "":
		v.add(path, "invalid URL: must not have a query or fragment")
	}
}

func (v *validator) models() {
	v.modelAt = make(map[string]string)
	for i, m := range v.c.Models {
		if _, dup := v.modelAt[m.Name]; !dup && m.Name != "" {
			v.modelAt[m.Name] = fmt.Sprintf("models[%d]", i)
		}
	}
	v.aliasAt = make(map[string]string)
	for i, m := range v.c.Models {
		p := fmt.Sprintf("models[%d]", i)
		if first := v.modelAt[m.Name]; first != p && m.Name != "" {
			v.add(p+".name", "duplicate model name %q (first at %s)", m.Name, first)
		} else {
			v.name(p+".name", m.Name)
		}
		for j, a := range m.Aliases {
			v.alias(fmt.Sprintf("%s.aliases[%d]", p, j), a)
		}
		v.deployments(p, m.Deployments)
	}
}

func (v *validator) deployments(p string, ds []Deployment) {
	if len(ds) == 0 {
		v.add(p+".deployments", "at least one deployment is required")
		return
	}
	for i, d := range ds {
		dp := fmt.Sprintf("%s.deployments[%d].upstream", p, i)
		switch {
		case d.Upstream == "":
			v.add(dp, "required")
		case !slices.ContainsFunc(v.c.Upstreams, func(u Upstream) bool { return u.Name == d.Upstream }):
			v.add(dp, "unknown upstream %q", d.Upstream)
		}
		v.deploymentGuardrail(fmt.Sprintf("%s.deployments[%d]", p, i), d)
	}
}

func (v *validator) aliases() {
	// With Bedrock discovery on, an alias may name a model that is only
	// known once discovered; one that is not is left out then, and logged.
	discovery := v.c.BedrockEnabled()
	for _, a := range sortedKeys(v.c.Aliases) {
		p := "aliases." + a
		v.alias(p, a)
		target := v.c.Aliases[a]
		if v.modelAt[target] != "" {
			continue
		}
		if _, isAlias := v.aliasAt[target]; isAlias || !discovery {
			v.add(p, "unknown model %q (an alias must name a model, not another alias)", target)
		}
	}
}

// alias checks a per-model or top-level alias name at path.
func (v *validator) alias(path, a string) {
	if first, dup := v.aliasAt[a]; dup {
		v.add(path, "duplicate alias %q (first at %s)", a, first)
		return
	}
	if m := v.modelAt[a]; m != "" {
		v.add(path, "alias %q is also a model name (%s)", a, m)
		return
	}
	v.name(path, a)
	v.aliasAt[a] = path
}

// name checks a name clients or deployments refer to: it must exist and
// hold no spaces or control characters, which could never be matched
// reliably from a request or a log line.
func (v *validator) name(path, name string) {
	switch {
	case name == "":
		v.add(path, "required")
	case strings.IndexFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		v.add(path, "%q must not contain spaces or control characters", name)
	}
}

func (v *validator) oneOf(path, value string, allowed ...string) {
	if value != "" && !slices.Contains(allowed, value) {
		v.add(path, "unknown value %q (want %s)", value, orList(allowed))
	}
}

func nonNegative[T ~int | ~int64](v *validator, path string, n T) {
	if n < 0 {
		v.add(path, "must not be negative")
	}
}

// orList formats {"a", "b", "c"} as "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// isToken reports whether s is an HTTP header field name (RFC 9110 token).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		ok := r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("!#$%&'*+-.^_`|~", r))
		if !ok {
			return false
		}
	}
	return true
}
