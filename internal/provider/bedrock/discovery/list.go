package discovery

import (
	"context"
	"fmt"
	"slices"
	"strings"

	awsbedrock "github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/bedrock/types"

	"github.com/outcrop/outcrop/internal/provider/bedrock"
)

// ControlPlane is the part of the Bedrock control-plane client discovery
// uses; *awsbedrock.Client implements it.
type ControlPlane interface {
	ListFoundationModels(ctx context.Context, in *awsbedrock.ListFoundationModelsInput, optFns ...func(*awsbedrock.Options)) (*awsbedrock.ListFoundationModelsOutput, error)
	ListInferenceProfiles(ctx context.Context, in *awsbedrock.ListInferenceProfilesInput, optFns ...func(*awsbedrock.Options)) (*awsbedrock.ListInferenceProfilesOutput, error)
}

var _ ControlPlane = (*awsbedrock.Client)(nil)

// inferenceProfileOnly is the inference type Bedrock reports for models
// served only through inference profiles (newer Claude, Nova Premier...).
// The service model's enum lists only ON_DEMAND and PROVISIONED, but the
// service sends it, and the SDK keeps unknown enum values as strings.
const inferenceProfileOnly types.InferenceType = "INFERENCE_PROFILE"

// FoundationModel is a foundation model Outcrop can serve.
type FoundationModel struct {
	// ID is the model ID, such as "anthropic.claude-3-haiku-20240307-v1:0".
	ID string
	// Kind is chat or embedding.
	Kind bedrock.ModelKind
	// OnDemand is true when the model can be invoked by its ID; false when
	// only an inference profile serves it.
	OnDemand bool
	// Vision is true when Bedrock lists image input for the model.
	Vision bool
}

// ListFoundationModels lists the region's foundation models and keeps the
// ones Outcrop can serve: chat models (text output, response streaming,
// on-demand or inference-profile throughput) and the embedding models the
// catalog knows the body of, in lifecycle ACTIVE or LEGACY. Models the
// catalog marks unsupported are dropped. The result is sorted by ID.
func ListFoundationModels(ctx context.Context, cp ControlPlane, cat *bedrock.Catalog) ([]FoundationModel, error) {
	out, err := cp.ListFoundationModels(ctx, &awsbedrock.ListFoundationModelsInput{})
	if err != nil {
		return nil, fmt.Errorf("list foundation models: %w", err)
	}
	var models []FoundationModel
	for _, s := range out.ModelSummaries {
		if m, ok := servable(s, cat); ok {
			models = append(models, m)
		}
	}
	slices.SortFunc(models, func(a, b FoundationModel) int { return strings.Compare(a.ID, b.ID) })
	return models, nil
}

// servable applies the filter of ListFoundationModels to one summary.
func servable(s types.FoundationModelSummary, cat *bedrock.Catalog) (FoundationModel, bool) {
	id := deref(s.ModelId)
	if id == "" || !activeOrLegacy(s.ModelLifecycle) {
		return FoundationModel{}, false
	}
	m := FoundationModel{
		ID:       id,
		OnDemand: slices.Contains(s.InferenceTypesSupported, types.InferenceTypeOnDemand),
		Vision:   slices.Contains(s.InputModalities, types.ModelModalityImage),
	}
	info, known := cat.Lookup(id)
	switch {
	case known && info.Kind == bedrock.KindUnsupported:
		return FoundationModel{}, false
	case known && info.Kind == bedrock.KindEmbedding:
		// Embeddings have no stream; they must be invocable by ID.
		m.Kind = bedrock.KindEmbedding
		return m, m.OnDemand && slices.Contains(s.OutputModalities, types.ModelModalityEmbedding)
	}
	m.Kind = bedrock.KindChat
	streams := s.ResponseStreamingSupported != nil && *s.ResponseStreamingSupported
	invocable := m.OnDemand || slices.Contains(s.InferenceTypesSupported, inferenceProfileOnly)
	return m, streams && invocable && slices.Contains(s.OutputModalities, types.ModelModalityText)
}

// activeOrLegacy reports whether a model may still be invoked. A missing
// lifecycle counts as ACTIVE, as older responses had none.
func activeOrLegacy(l *types.FoundationModelLifecycle) bool {
	if l == nil || l.Status == "" {
		return true
	}
	return l.Status == types.FoundationModelLifecycleStatusActive || l.Status == types.FoundationModelLifecycleStatusLegacy
}

// Profile is an active inference profile.
type Profile struct {
	// ID is the profile ID: "us.anthropic.claude-3-haiku-20240307-v1:0"
	// for a system-defined profile, a generated ID for an application one.
	ID string
	// ARN is the profile's ARN, which is how application profiles are
	// invoked and named.
	ARN string
	// Type is SYSTEM_DEFINED or APPLICATION.
	Type types.InferenceProfileType
	// ModelID is the foundation model the profile routes to, taken from
	// its first model ARN (every model of a profile is the same model in
	// different regions).
	ModelID string
}

// DefaultPageSize is the page size asked of ListInferenceProfiles, its
// maximum.
const DefaultPageSize = 1000

// ListInferenceProfiles lists the active inference profiles of one type,
// following every page, sorted by ID.
func ListInferenceProfiles(ctx context.Context, cp ControlPlane, typ types.InferenceProfileType) ([]Profile, error) {
	return listInferenceProfiles(ctx, cp, typ, DefaultPageSize)
}

func listInferenceProfiles(ctx context.Context, cp ControlPlane, typ types.InferenceProfileType, pageSize int32) ([]Profile, error) {
	in := &awsbedrock.ListInferenceProfilesInput{TypeEquals: typ, MaxResults: ptr(pageSize)}
	pages := awsbedrock.NewListInferenceProfilesPaginator(cp, in)
	var profiles []Profile
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s inference profiles: %w", typ, err)
		}
		for _, s := range page.InferenceProfileSummaries {
			if p, ok := profile(s); ok {
				profiles = append(profiles, p)
			}
		}
	}
	slices.SortFunc(profiles, func(a, b Profile) int { return strings.Compare(a.ID, b.ID) })
	return profiles, nil
}

func profile(s types.InferenceProfileSummary) (Profile, bool) {
	p := Profile{ID: deref(s.InferenceProfileId), ARN: deref(s.InferenceProfileArn), Type: s.Type}
	if len(s.Models) > 0 {
		p.ModelID = bedrock.BaseModelID(deref(s.Models[0].ModelArn))
	}
	active := s.Status == "" || s.Status == types.InferenceProfileStatusActive
	return p, active && p.ID != "" && p.ModelID != ""
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func ptr[T any](v T) *T { return &v }
