package bedrock

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// env returns a Getenv reading from m.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestResolveRegion(t *testing.T) {
	tests := []struct {
		name   string
		region string
		env    map[string]string
		want   string
	}{
		{"configured wins", "eu-west-1", map[string]string{EnvRegion: "us-east-1"}, "eu-west-1"},
		{"AWS_REGION", "", map[string]string{EnvRegion: "us-east-1", EnvDefaultRegion: "us-west-2"}, "us-east-1"},
		{"AWS_DEFAULT_REGION", "", map[string]string{EnvDefaultRegion: "us-west-2"}, "us-west-2"},
		{"blank skipped", " ", map[string]string{EnvRegion: " ", EnvDefaultRegion: "ap-south-1"}, "ap-south-1"},
		{"none", "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := resolveRegion(tt.region, env(tt.env)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestResolveEndpoint(t *testing.T) {
	tests := []struct {
		name     string
		override string
		region   string
		env      map[string]string
		want     string
		wantErr  bool
	}{
		{name: "default", region: "us-east-1", want: "https://bedrock-runtime.us-east-1.amazonaws.com"},
		{name: "china", region: "cn-north-1", want: "https://bedrock-runtime.cn-north-1.amazonaws.com.cn"},
		{
			name: "override wins", override: "https://vpce.example.com/", region: "us-east-1",
			env:  map[string]string{EnvEndpointRuntime: "http://127.0.0.1:1", EnvEndpoint: "http://127.0.0.1:2"},
			want: "https://vpce.example.com",
		},
		{
			name: "runtime variable before generic", region: "us-east-1",
			env:  map[string]string{EnvEndpointRuntime: "http://127.0.0.1:1", EnvEndpoint: "http://127.0.0.1:2"},
			want: "http://127.0.0.1:1",
		},
		{
			name: "generic variable", region: "us-east-1",
			env:  map[string]string{EnvEndpoint: "http://127.0.0.1:2"},
			want: "http://127.0.0.1:2",
		},
		{
			name: "control plane variable ignored", region: "us-east-1",
			env:  map[string]string{"AWS_ENDPOINT_URL_BEDROCK": "http://127.0.0.1:3"},
			want: "https://bedrock-runtime.us-east-1.amazonaws.com",
		},
		{
			name: "configured endpoints ignored", region: "us-east-1",
			env:  map[string]string{EnvEndpointRuntime: "http://127.0.0.1:1", EnvIgnoreConfiguredEndpoint: "true"},
			want: "https://bedrock-runtime.us-east-1.amazonaws.com",
		},
		{name: "path kept", override: "https://proxy.example.com/bedrock/", want: "https://proxy.example.com/bedrock"},
		{name: "bad scheme", override: "ftp://x", wantErr: true},
		{name: "query", override: "https://x/?a=b", wantErr: true},
		{name: "user info", override: "https://u:p@x", wantErr: true},
		{name: "no region", wantErr: true},
		{name: "region not a host label", region: "us-east-1.evil.com/", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := resolveEndpoint(tt.override, tt.region, env(tt.env))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got %v, want an error", u)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := u.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestModelURL(t *testing.T) {
	tests := []struct {
		name, base, model, wantURI string
	}{
		{"plain", "https://h", "amazon.nova-micro-v1:0", "/model/amazon.nova-micro-v1%3A0/converse"},
		{
			"inference profile ARN", "https://h",
			"arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3",
			"/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%2Fa1b2c3/converse",
		},
		{"base path", "https://h/proxy/bedrock", "m:0", "/proxy/bedrock/model/m%3A0/converse"},
		{"escaped base path", "https://h/a%20b", "m", "/a%20b/model/m/converse"},
		{"odd bytes", "https://h", "a b?c#d%e", "/model/a%20b%3Fc%23d%25e/converse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, err := resolveEndpoint(tt.base, "", env(nil))
			if err != nil {
				t.Fatal(err)
			}
			u := modelURL(base, OpConverse, tt.model)
			if got := u.RequestURI(); got != tt.wantURI {
				t.Errorf("RequestURI got %q, want %q", got, tt.wantURI)
			}
			if !strings.HasSuffix(u.String(), tt.wantURI) {
				t.Errorf("String got %q, want suffix %q", u.String(), tt.wantURI)
			}
			if base.RawPath != "" && base.Path == "" {
				t.Errorf("base modified: %#v", base)
			}
		})
	}
}

func TestCheckBearerEndpoint(t *testing.T) {
	tests := []struct {
		endpoint string
		ok       bool
	}{
		{"https://bedrock-runtime.us-east-1.amazonaws.com", true},
		{"http://127.0.0.1:8080", true},
		{"http://[::1]:8080", true},
		{"http://localhost:8080", true},
		{"http://bedrock.internal:8080", false},
		{"http://10.0.0.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			u, err := resolveEndpoint(tt.endpoint, "", env(nil))
			if err != nil {
				t.Fatal(err)
			}
			if err := checkBearerEndpoint(u); (err == nil) != tt.ok {
				t.Errorf("got %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func staticCreds() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")
}

func TestNewAuthChoice(t *testing.T) {
	tests := []struct {
		name       string
		cfg        Config
		env        map[string]string
		wantBearer string // "" means SigV4
		wantRegion string
	}{
		{
			name: "configured key", cfg: Config{APIKey: "k1", Region: "us-east-1", Credentials: staticCreds()},
			env: map[string]string{EnvBearerToken: "k2"}, wantBearer: "Bearer k1", wantRegion: "us-east-1",
		},
		{
			name: "configured credentials beat env key", cfg: Config{Region: "us-east-1", Credentials: staticCreds()},
			env: map[string]string{EnvBearerToken: "k2"}, wantRegion: "us-east-1",
		},
		{
			name: "env key", cfg: Config{},
			env: map[string]string{EnvBearerToken: "k2", EnvRegion: "eu-west-3"}, wantBearer: "Bearer k2", wantRegion: "eu-west-3",
		},
		{
			name: "key with endpoint needs no region", cfg: Config{APIKey: "k", Endpoint: "https://x"},
			wantBearer: "Bearer k",
		},
		{
			name: "key with endpoint from env needs no region", cfg: Config{APIKey: "k"},
			env: map[string]string{EnvEndpoint: "https://x"}, wantBearer: "Bearer k",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Getenv = env(tt.env)
			c, err := New(context.Background(), tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			switch a := c.t.auth.(type) {
			case *bearerAuth:
				if a.header != tt.wantBearer {
					t.Errorf("bearer got %q, want %q", a.header, tt.wantBearer)
				}
			case *sigv4Auth:
				if tt.wantBearer != "" {
					t.Errorf("got SigV4, want bearer %q", tt.wantBearer)
				}
				if a.region != tt.wantRegion {
					t.Errorf("signing region got %q, want %q", a.region, tt.wantRegion)
				}
			}
			if c.Region() != tt.wantRegion {
				t.Errorf("region got %q, want %q", c.Region(), tt.wantRegion)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"bearer over http", Config{APIKey: "k", Endpoint: "http://bedrock.internal"}, []string{"only sent over https"}},
		{"bearer without region", Config{APIKey: "k"}, []string{"region is required"}},
		{"negative attempts", Config{APIKey: "k", Region: "us-east-1", MaxAttempts: -1}, []string{"max attempts"}},
		{
			"all problems at once",
			Config{APIKey: "k", Endpoint: "http://bedrock.internal", MaxAttempts: -1, Timeout: -1},
			[]string{"only sent over https", "max attempts", "timeout"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Getenv = env(nil)
			_, err := New(context.Background(), tt.cfg)
			if err == nil {
				t.Fatal("got no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to mention %q", err, w)
				}
			}
		})
	}
}
