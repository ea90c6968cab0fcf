package bedrocktest

import "strings"

// target is what a runtime model identifier resolved to.
type target struct {
	model FoundationModel
	// profile is the inference profile the request named, nil for a bare
	// model ID or a foundation-model ARN.
	profile *InferenceProfile
}

// MsgProvisionedOnly answers a bare model ID whose model only takes
// provisioned throughput.
const MsgProvisionedOnly = "The provided model doesn't support on-demand throughput."

// resolve maps a runtime model identifier (model ID, profile ID, or the
// ARN of a foundation model, inference profile or application inference
// profile) onto the catalogue. A model that needs an inference profile
// refuses its bare ID with the ValidationException Bedrock sends.
func (s *Server) resolve(id string) (target, *Error) {
	if p := s.profile(id); p != nil {
		m, ok := s.model(p.modelID())
		if !ok {
			m = s.anyModel(p.modelID())
		}
		return target{model: m, profile: p}, nil
	}
	m, ok := s.model(s.bareModelID(id))
	switch {
	case !ok && s.opts.anyModel:
		return target{model: s.anyModel(id)}, nil
	case !ok:
		return target{}, &Error{Code: CodeValidation, Message: MsgInvalidModel}
	case has(m.InferenceTypes, InferenceProfileOnly) && !m.onDemand():
		return target{}, &Error{Code: CodeValidation, Message: OnDemandUnsupportedMessage(m.ID)}
	case !m.onDemand():
		return target{}, &Error{Code: CodeValidation, Message: MsgProvisionedOnly}
	}
	return target{model: m}, nil
}

// bareModelID returns the model ID inside a foundation-model ARN of the
// server's region, or id itself.
func (s *Server) bareModelID(id string) string {
	if rest, ok := strings.CutPrefix(id, "arn:aws:bedrock:"+s.opts.region+"::foundation-model/"); ok {
		return rest
	}
	return id
}

// model finds a foundation model by ID.
func (s *Server) model(id string) (FoundationModel, bool) {
	for _, m := range s.opts.models {
		if m.ID == id {
			return m, true
		}
	}
	return FoundationModel{}, false
}

// profile finds an inference profile by ID or ARN.
func (s *Server) profile(id string) *InferenceProfile {
	for i := range s.opts.profiles {
		if p := &s.opts.profiles[i]; p.ID == id || p.ARN == id {
			return p
		}
	}
	return nil
}

// anyModel stands in for a model outside the catalogue (WithAnyModel): an
// on-demand, streaming text model.
func (s *Server) anyModel(id string) FoundationModel {
	return FoundationModel{
		ID: id, Name: id, InputModalities: textIn, OutputModalities: textOut,
		Streaming: true, InferenceTypes: onDemand,
	}
}

// Model families with canned InvokeModel bodies (the text families
// besides Anthropic and Llama are in native_text.go).
const (
	familyAnthropic   = "anthropic"
	familyTitanEmbed  = "titan-embed"
	familyCohereEmbed = "cohere-embed"
	familyLlama       = "llama"
)

// family returns the native body family of a model, from its ID.
func family(modelID string) string {
	// Profile IDs and unknown IDs may carry a geography prefix.
	for _, p := range []string{"us.", "eu.", "apac.", "global."} {
		modelID = strings.TrimPrefix(modelID, p)
	}
	switch {
	case strings.HasPrefix(modelID, "anthropic."):
		return familyAnthropic
	case strings.HasPrefix(modelID, "amazon.nova-2-multimodal-embeddings"):
		return familyNovaEmbed
	case strings.HasPrefix(modelID, "amazon.titan-embed"):
		return familyTitanEmbed
	case strings.HasPrefix(modelID, "cohere.embed"):
		return familyCohereEmbed
	case strings.HasPrefix(modelID, "meta.llama"):
		return familyLlama
	case strings.HasPrefix(modelID, "mistral."):
		return familyMistral
	case strings.HasPrefix(modelID, "amazon.titan-text"), strings.HasPrefix(modelID, "amazon.titan-tg1"):
		return familyTitanText
	case strings.HasPrefix(modelID, "amazon.nova"):
		return familyNova
	case strings.HasPrefix(modelID, "cohere.command"):
		return familyCohere
	case strings.HasPrefix(modelID, "ai21."), strings.HasPrefix(modelID, "openai."), strings.HasPrefix(modelID, "qwen."):
		return familyChoices
	case strings.HasPrefix(modelID, "deepseek."):
		return familyDeepSeek
	}
	return ""
}
