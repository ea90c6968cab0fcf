package awsretrieval

import "testing"

// TestEndpoint checks the override and the SDK's variables, read through
// getenv.
func TestEndpoint(t *testing.T) {
	const own = "AWS_ENDPOINT_URL_KENDRA"
	s := Service{Name: "kendra", EndpointEnv: own}
	tests := []struct {
		name     string
		override string
		env      map[string]string
		want     string
	}{
		{"none", "", nil, ""},
		{"override wins", "http://a", map[string]string{own: "http://b"}, "http://a"},
		{"override trimmed", " http://a\n", nil, "http://a"},
		{"service variable", "", map[string]string{own: "http://b", EnvEndpointAll: "http://c"}, "http://b"},
		{"global variable", "", map[string]string{EnvEndpointAll: "http://c"}, "http://c"},
		{"another service's variable", "", map[string]string{"AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME": "http://d"}, ""},
		{"ignored", "", map[string]string{own: "http://b", EnvIgnoreConfiguredEndpoint: "TRUE"}, ""},
		{"global ignored", "", map[string]string{EnvEndpointAll: "http://c", EnvIgnoreConfiguredEndpoint: "true"}, ""},
		{"ignored but overridden", "http://a", map[string]string{EnvIgnoreConfiguredEndpoint: "true"}, "http://a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.endpoint(tt.override, func(k string) string { return tt.env[k] }); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestRedact checks the query is cut out of messages, unless too short to
// find safely.
func TestRedact(t *testing.T) {
	tests := []struct{ msg, query, want string }{
		{"bad query 'parcel 4711' here", " parcel 4711 ", "bad query '[query]' here"},
		{"query 'parcel 4711' is bad", "parcel 4711", "query '[query]' is bad"},
		{"a validation error", "a", "a validation error"},
		{"an error", "an", "an error"},
		{"nothing to hide", "parcel", "nothing to hide"},
	}
	for _, tt := range tests {
		if got := redact(tt.msg, tt.query); got != tt.want {
			t.Errorf("redact(%q, %q): got %q, want %q", tt.msg, tt.query, got, tt.want)
		}
	}
}
