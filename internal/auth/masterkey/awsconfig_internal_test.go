package masterkey

import "testing"

func TestEndpoint(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		service string
		want    string // "" for nil
	}{
		{"none", nil, envEndpointSSM, ""},
		{"general", map[string]string{envEndpoint: "http://general"}, envEndpointSSM, "http://general"},
		{"specific wins", map[string]string{envEndpoint: "http://general", envEndpointSSM: "http://ssm"}, envEndpointSSM, "http://ssm"},
		{"other service's ignored", map[string]string{envEndpointSSM: "http://ssm"}, envEndpointSecretsManager, ""},
		{"ignored when told", map[string]string{envEndpoint: "http://general", envEndpointSSM: "http://ssm", envIgnoreEndpoints: "TRUE"}, envEndpointSSM, ""},
		{"ignore false", map[string]string{envEndpointSecretsManager: "http://sm", envIgnoreEndpoints: "false"}, envEndpointSecretsManager, "http://sm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := endpoint(func(k string) string { return tt.env[k] }, tt.service)
			switch {
			case tt.want == "" && got != nil:
				t.Errorf("got endpoint %q, want none", *got)
			case tt.want != "" && (got == nil || *got != tt.want):
				t.Errorf("got endpoint %v, want %q", got, tt.want)
			}
		})
	}
}
