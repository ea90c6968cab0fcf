package bedrock

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRequestGuardrail(t *testing.T) {
	configured := &GuardrailConfig{GuardrailIdentifier: "gr1", GuardrailVersion: "2", Trace: "enabled"}
	arn := "arn:aws:bedrock:us-east-1:123456789012:guardrail/abc123"
	tests := []struct {
		name       string
		raw        string
		configured *GuardrailConfig
		want       *GuardrailConfig
		wantErr    string // param of the 400
	}{
		{name: "none"},
		{name: "configured only", configured: configured, want: configured},
		{name: "null extension", raw: `null`, configured: configured, want: configured},
		{
			name: "request applies one", raw: `{"guardrailIdentifier":"` + arn + `","guardrailVersion":"12"}`,
			want: &GuardrailConfig{GuardrailIdentifier: arn, GuardrailVersion: "12"},
		},
		{
			name: "trace and mode complete the configured one", raw: `{"trace":"disabled","streamProcessingMode":"sync"}`, configured: configured,
			want: &GuardrailConfig{GuardrailIdentifier: "gr1", GuardrailVersion: "2", Trace: "disabled", StreamProcessingMode: "sync"},
		},
		{
			name: "naming the configured one", raw: `{"guardrailIdentifier":"gr1","guardrailVersion":"2","trace":"enabled_full"}`, configured: configured,
			want: &GuardrailConfig{GuardrailIdentifier: "gr1", GuardrailVersion: "2", Trace: "enabled_full"},
		},
		{name: "another version", raw: `{"guardrailIdentifier":"gr1","guardrailVersion":"DRAFT"}`, configured: configured, wantErr: "guardrailConfig.guardrailIdentifier"},
		{name: "another id", raw: `{"guardrailIdentifier":"gr9"}`, configured: configured, wantErr: "guardrailConfig.guardrailIdentifier"},
		{name: "trace without a guardrail", raw: `{"trace":"enabled"}`, wantErr: "guardrailConfig.guardrailIdentifier"},
		{name: "missing version", raw: `{"guardrailIdentifier":"gr1"}`, wantErr: "guardrailConfig.guardrailVersion"},
		{name: "upper-case id", raw: `{"guardrailIdentifier":"GR1","guardrailVersion":"1"}`, wantErr: "guardrailConfig.guardrailIdentifier"},
		{name: "version 0", raw: `{"guardrailIdentifier":"gr1","guardrailVersion":"0"}`, wantErr: "guardrailConfig.guardrailVersion"},
		{name: "bad trace", raw: `{"trace":"on"}`, configured: configured, wantErr: "guardrailConfig.trace"},
		{name: "bad mode", raw: `{"streamProcessingMode":"batch"}`, configured: configured, wantErr: "guardrailConfig.streamProcessingMode"},
		{name: "unknown member", raw: `{"guardrailId":"gr1"}`, wantErr: "guardrailConfig"},
		{name: "not an object", raw: `"gr1"`, wantErr: "guardrailConfig"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := *configured
			got, err := requestGuardrail(json.RawMessage(tt.raw), tt.configured)
			if *configured != before {
				t.Fatalf("the configured guardrail changed to %+v", *configured)
			}
			if tt.wantErr != "" {
				if p := errParam(err); p != tt.wantErr {
					t.Errorf("got %+v, %v; want a 400 on %s", got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestGuardrailStreamMode checks that a Converse (not stream) request
// drops the request's streamProcessingMode, which Converse lacks.
func TestGuardrailStreamMode(t *testing.T) {
	body := `{"model":"m","messages":[{"role":"user","content":"Hi"}],"guardrailConfig":{"guardrailIdentifier":"g","guardrailVersion":"1","streamProcessingMode":"async"}}`
	got := translateBody(t, body, RequestOptions{}).GuardrailConfig
	want := &GuardrailConfig{GuardrailIdentifier: "g", GuardrailVersion: "1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestTraceExtension(t *testing.T) {
	for _, raw := range []string{``, `null`, ` null `} {
		if got := traceExtension(json.RawMessage(raw)); got != nil {
			t.Errorf("traceExtension(%q) = %s, want nil", raw, got)
		}
	}
	if got := traceExtension(json.RawMessage(`{"guardrail":{}}`)); string(got) != `{"guardrail":{}}` {
		t.Errorf("got %s, want the trace as is", got)
	}
}
