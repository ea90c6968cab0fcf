package bedrocktest

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// profileTime is the createdAt and updatedAt of every profile (ISO-8601,
// as the control plane's model trait says).
const profileTime = "2025-01-15T00:00:00Z"

// control answers a control-plane operation. Only replies that name the
// operation apply to it.
func (s *Server) control(r *http.Request, op, id string) *response {
	q := r.URL.Query()
	var resp *response
	var e *Error
	switch op {
	case OpListFoundationModels:
		resp, e = s.listModels(q)
	case OpGetFoundationModel:
		resp, e = s.getModel(id)
	case OpListInferenceProfiles:
		resp, e = s.listProfiles(q)
	default:
		resp, e = s.getProfile(id)
	}
	if e != nil {
		return s.errorResponse(e)
	}
	rep := s.next(op)
	if r := s.scripted(rep, false); r != nil {
		return finish(r, rep)
	}
	return finish(resp, rep)
}

// modelSummary is a FoundationModelSummary (and FoundationModelDetails).
type modelSummary struct {
	ModelArn                   string   `json:"modelArn"`
	ModelID                    string   `json:"modelId"`
	ModelName                  string   `json:"modelName"`
	ProviderName               string   `json:"providerName"`
	InputModalities            []string `json:"inputModalities"`
	OutputModalities           []string `json:"outputModalities"`
	ResponseStreamingSupported bool     `json:"responseStreamingSupported"`
	CustomizationsSupported    []string `json:"customizationsSupported"`
	InferenceTypesSupported    []string `json:"inferenceTypesSupported"`
	ModelLifecycle             struct {
		Status string `json:"status"`
	} `json:"modelLifecycle"`
}

func (s *Server) summary(m FoundationModel) modelSummary {
	sum := modelSummary{
		ModelArn: ModelARN(s.opts.region, m.ID), ModelID: m.ID, ModelName: m.Name, ProviderName: m.Provider,
		InputModalities: nonNil(m.InputModalities), OutputModalities: nonNil(m.OutputModalities),
		ResponseStreamingSupported: m.Streaming, CustomizationsSupported: nonNil(m.Customizations),
		InferenceTypesSupported: nonNil(m.InferenceTypes),
	}
	sum.ModelLifecycle.Status = m.Lifecycle
	if sum.ModelLifecycle.Status == "" {
		sum.ModelLifecycle.Status = LifecycleActive
	}
	return sum
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// listModels answers ListFoundationModels with its filters (no
// pagination, as in the real API).
func (s *Server) listModels(q url.Values) (*response, *Error) {
	var c constraintErrors
	enum(&c, q, "byOutputModality", ModalityText, ModalityImage, ModalityEmbedding)
	enum(&c, q, "byInferenceType", InferenceOnDemand, InferenceProvisioned)
	enum(&c, q, "byCustomizationType", "FINE_TUNING", "CONTINUED_PRE_TRAINING", "DISTILLATION")
	if e := c.err(); e != nil {
		return nil, e
	}
	out := []modelSummary{}
	for _, m := range s.opts.models {
		if keep(q, "byProvider", func(v string) bool { return strings.EqualFold(v, m.Provider) }) &&
			keep(q, "byOutputModality", func(v string) bool { return has(m.OutputModalities, v) }) &&
			keep(q, "byInferenceType", func(v string) bool { return has(m.InferenceTypes, v) }) &&
			keep(q, "byCustomizationType", func(v string) bool { return has(m.Customizations, v) }) {
			out = append(out, s.summary(m))
		}
	}
	return jsonResponse(mustJSON(map[string]any{"modelSummaries": out})), nil
}

// enum checks that query parameter name, when set, is one of values.
func enum(c *constraintErrors, q url.Values, name string, values ...string) {
	if v := q.Get(name); v != "" && !has(values, v) {
		c.add(v, name, "satisfy enum value set: ["+strings.Join(values, ", ")+"]")
	}
}

// keep applies a filter when its query parameter is set.
func keep(q url.Values, name string, match func(string) bool) bool {
	v := q.Get(name)
	return v == "" || match(v)
}

// getModel answers GetFoundationModel for a model ID or ARN.
func (s *Server) getModel(id string) (*response, *Error) {
	m, ok := s.model(s.bareModelID(id))
	if !ok {
		return nil, &Error{Code: CodeResourceNotFound, Message: "Could not resolve the foundation model from the provided model identifier."}
	}
	return jsonResponse(mustJSON(map[string]any{"modelDetails": s.summary(m)})), nil
}

// profileJSON is an InferenceProfileSummary (and GetInferenceProfile's
// answer).
type profileJSON struct {
	InferenceProfileName string `json:"inferenceProfileName"`
	Description          string `json:"description,omitempty"`
	CreatedAt            string `json:"createdAt"`
	UpdatedAt            string `json:"updatedAt"`
	InferenceProfileArn  string `json:"inferenceProfileArn"`
	Models               []struct {
		ModelArn string `json:"modelArn"`
	} `json:"models"`
	InferenceProfileID string `json:"inferenceProfileId"`
	Status             string `json:"status"`
	Type               string `json:"type"`
}

func profileOf(p InferenceProfile) profileJSON {
	j := profileJSON{
		InferenceProfileName: p.Name, Description: p.Description, CreatedAt: profileTime, UpdatedAt: profileTime,
		InferenceProfileArn: p.ARN, InferenceProfileID: p.ID, Status: "ACTIVE", Type: p.Type,
	}
	for _, arn := range p.Models {
		j.Models = append(j.Models, struct {
			ModelArn string `json:"modelArn"`
		}{arn})
	}
	return j
}

// pageTokenPrefix starts the emulator's opaque nextToken values.
const pageTokenPrefix = "bedrocktest-offset-"

// listProfiles answers ListInferenceProfiles: filtered by `type`, paged
// by maxResults (default WithPageSize) and nextToken.
func (s *Server) listProfiles(q url.Values) (*response, *Error) {
	var c constraintErrors
	enum(&c, q, "type", ProfileSystemDefined, ProfileApplication)
	size := s.opts.pageSize
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil || n < 1:
			c.add(v, "maxResults", "have value greater than or equal to 1")
		case n > 1000:
			c.add(v, "maxResults", "have value less than or equal to 1000")
		}
		size = n
	}
	if e := c.err(); e != nil {
		return nil, e
	}
	offset, e := pageOffset(q.Get("nextToken"))
	if e != nil {
		return nil, e
	}
	var all []profileJSON
	for _, p := range s.opts.profiles {
		if keep(q, "type", func(v string) bool { return v == p.Type }) {
			all = append(all, profileOf(p))
		}
	}
	page := map[string]any{}
	end := min(offset+size, len(all))
	page["inferenceProfileSummaries"] = append([]profileJSON{}, all[min(offset, len(all)):end]...)
	if end < len(all) {
		page["nextToken"] = base64.StdEncoding.EncodeToString([]byte(pageTokenPrefix + strconv.Itoa(end)))
	}
	return jsonResponse(mustJSON(page)), nil
}

// pageOffset decodes a nextToken ("" is the first page).
func pageOffset(token string) (int, *Error) {
	if token == "" {
		return 0, nil
	}
	raw, err := base64.StdEncoding.DecodeString(token)
	if err == nil {
		if n, ok := strings.CutPrefix(string(raw), pageTokenPrefix); ok {
			if off, err := strconv.Atoi(n); err == nil && off >= 0 {
				return off, nil
			}
		}
	}
	return 0, validation("Invalid pagination token.")
}

// getProfile answers GetInferenceProfile for a profile ID or ARN.
func (s *Server) getProfile(id string) (*response, *Error) {
	p := s.profile(id)
	if p == nil {
		return nil, &Error{Code: CodeResourceNotFound, Message: "The specified inference profile " + id + " was not found."}
	}
	return jsonResponse(mustJSON(profileOf(*p))), nil
}
