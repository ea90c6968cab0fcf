package bedrock

import (
	"bytes"
	"encoding/json"
	"regexp"

	"github.com/outcrop/outcrop/internal/openai"
)

// The patterns and values of GuardrailConfiguration and
// GuardrailStreamConfiguration in the service model.
var (
	guardrailIDPattern      = regexp.MustCompile(`^(?:[a-z0-9]+|arn:aws(?:-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+)$`)
	guardrailVersionPattern = regexp.MustCompile(`^(?:[1-9][0-9]{0,7}|DRAFT)$`)
)

// guardrailProblems reports what is wrong with a guardrail's identifier,
// version, trace and stream processing mode, by member name; a valid
// member has no entry.
func guardrailProblems(g GuardrailConfig) map[string]string {
	problems := map[string]string{}
	if g.GuardrailIdentifier != "" && !guardrailIDPattern.MatchString(g.GuardrailIdentifier) {
		problems["guardrailIdentifier"] = "expected a guardrail ID (lower-case letters and digits) or a guardrail ARN"
	}
	if g.GuardrailVersion != "" && !guardrailVersionPattern.MatchString(g.GuardrailVersion) {
		problems["guardrailVersion"] = `expected a version number or "DRAFT"`
	}
	switch g.Trace {
	case "", "enabled", "enabled_full", "disabled":
	default:
		problems["trace"] = `expected "enabled", "enabled_full" or "disabled"`
	}
	switch g.StreamProcessingMode {
	case "", "sync", "async":
	default:
		problems["streamProcessingMode"] = `expected "sync" or "async"`
	}
	return problems
}

// requestGuardrail combines the deployment's guardrail with the request's
// guardrailConfig extension ({"guardrailIdentifier", "guardrailVersion",
// "trace", "streamProcessingMode"}, Converse's own names, which LiteLLM
// reads from the same place):
//
//   - without a configured guardrail, the request's is applied; it needs
//     an identifier and a version. A client may always add a guardrail:
//     it only makes the answer stricter, and Bedrock checks that the
//     caller's role may apply it.
//   - with one, the request may set the trace and the stream processing
//     mode, but not name another guardrail (a 400): the operator's
//     guardrail is policy, which a client must not lift.
//
// The request's trace ("enabled", "enabled_full" or "disabled") wins over
// the configured one; the trace comes back in the answer's
// amazon_bedrock_trace (see traceExtension).
func requestGuardrail(raw json.RawMessage, configured *GuardrailConfig) (*GuardrailConfig, error) {
	if isNull(raw) {
		return configured, nil
	}
	var g GuardrailConfig
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&g); err != nil {
		return nil, openai.Errorf(extGuardrail, "Invalid '%s': expected an object with 'guardrailIdentifier', 'guardrailVersion', 'trace' and 'streamProcessingMode' strings (%v).", extGuardrail, err)
	}
	for _, f := range []string{"guardrailIdentifier", "guardrailVersion", "trace", "streamProcessingMode"} {
		if why, bad := guardrailProblems(g)[f]; bad {
			return nil, openai.Errorf(extGuardrail+"."+f, "Invalid '%s.%s': %s.", extGuardrail, f, why)
		}
	}
	named := g.GuardrailIdentifier != "" || g.GuardrailVersion != ""
	out := GuardrailConfig{}
	switch {
	case configured != nil && named && (g.GuardrailIdentifier != configured.GuardrailIdentifier || g.GuardrailVersion != configured.GuardrailVersion):
		return nil, openai.Errorf(extGuardrail+".guardrailIdentifier", "Invalid '%s': this model applies a guardrail set by the gateway, which a request cannot replace; send only 'trace' or 'streamProcessingMode'.", extGuardrail)
	case configured != nil:
		out = *configured
	case g.GuardrailIdentifier == "":
		return nil, openai.Errorf(extGuardrail+".guardrailIdentifier", "Missing required parameter: '%s.guardrailIdentifier'.", extGuardrail)
	case g.GuardrailVersion == "":
		return nil, openai.Errorf(extGuardrail+".guardrailVersion", "Missing required parameter: '%s.guardrailVersion' (a version number or \"DRAFT\").", extGuardrail)
	default:
		out.GuardrailIdentifier, out.GuardrailVersion = g.GuardrailIdentifier, g.GuardrailVersion
	}
	if g.Trace != "" {
		out.Trace = g.Trace
	}
	if g.StreamProcessingMode != "" {
		out.StreamProcessingMode = g.StreamProcessingMode
	}
	return &out, nil
}

// traceExtension returns Bedrock's trace object (guardrail assessments,
// prompt router) for the answer's amazon_bedrock_trace extension, or nil
// when Bedrock sent none.
func traceExtension(trace json.RawMessage) json.RawMessage {
	if isNull(trace) {
		return nil
	}
	return trace
}
