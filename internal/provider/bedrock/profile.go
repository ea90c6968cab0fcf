package bedrock

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/outcrop/outcrop/internal/provider"
)

// onDemandUnsupported is the part of Bedrock's ValidationException that
// says a model is served only through an inference profile: "Invocation of
// model ID X with on-demand throughput isn’t supported. Retry your request
// with the ID or ARN of an inference profile that contains this model."
// Bedrock writes "isn’t" with a typographic apostrophe, hence the prefix.
const onDemandUnsupported = "with on-demand throughput isn"

// needsProfile reports whether err is Bedrock refusing a bare model ID
// that only an inference profile serves.
func needsProfile(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Code == CodeValidation && strings.Contains(ae.Message, onDemandUnsupported)
}

// profileRoutes remembers which model IDs Bedrock wants called through an
// inference profile, so that only the first request after a start pays
// for the refused attempt.
type profileRoutes struct {
	// find returns the profile for a model ID (Config.Profiles).
	find  func(modelID string) (string, bool)
	known sync.Map // model ID → profile ID
}

// target returns the ID to call for modelID: its remembered profile, or
// modelID itself.
func (p *profileRoutes) target(modelID string) string {
	if v, ok := p.known.Load(modelID); ok {
		return v.(string)
	}
	return modelID
}

// retryTarget returns the profile to retry with once after err.
func (p *profileRoutes) retryTarget(modelID string, err error) (string, bool) {
	if p.find == nil || !needsProfile(err) {
		return "", false
	}
	profile, ok := p.find(modelID)
	if !ok || profile == modelID {
		return "", false
	}
	return profile, true
}

// GeographyPrefix returns the prefix of the system-defined cross-region
// inference profiles of a region's geography: us-east-1 → "us",
// eu-west-3 → "eu", ap-southeast-2 → "apac", us-gov-west-1 → "us-gov".
func GeographyPrefix(region string) string {
	switch {
	case strings.HasPrefix(region, "us-gov-"):
		return "us-gov"
	case strings.HasPrefix(region, "ap-"):
		return "apac"
	}
	geo, _, _ := strings.Cut(region, "-")
	return geo
}

// chainProfiles returns a lookup that asks first, then second; either may
// be nil.
func chainProfiles(first, second func(string) (string, bool)) func(string) (string, bool) {
	return func(id string) (string, bool) {
		for _, f := range []func(string) (string, bool){first, second} {
			if f == nil {
				continue
			}
			if p, ok := f(id); ok {
				return p, true
			}
		}
		return "", false
	}
}

// geographyProfiles is the profile lookup used when no discovery supplies
// one: system-defined profile IDs are the geography's prefix and the model
// ID ("us.anthropic.claude-sonnet-4-20250514-v1:0"). A guess that names no
// profile fails at Bedrock with its own error, which the client then sees.
func geographyProfiles(region string) func(string) (string, bool) {
	if region == "" {
		return nil
	}
	geo := GeographyPrefix(region)
	return func(modelID string) (string, bool) {
		if geo == "" || strings.HasPrefix(modelID, "arn:") {
			return "", false
		}
		if g, _ := CrossRegionPrefix(modelID); g != "" {
			return "", false // already a profile
		}
		return geo + "." + modelID, true
	}
}

// callWithProfile runs call on the model's target and, when Bedrock says
// the model needs an inference profile and one is known, once more on the
// profile.
func callWithProfile[T any](ctx context.Context, p *profileRoutes, modelID string, call func(context.Context, string) (T, error)) (T, error) {
	target := p.target(modelID)
	v, err := call(ctx, target)
	if err == nil || target != modelID {
		return v, err
	}
	if profile, ok := p.retryTarget(modelID, err); ok {
		provider.RecordRetry(ctx, provider.Retry{Attempt: 1, Cause: "on-demand throughput not supported; retrying with inference profile " + profile})
		v, err = call(ctx, profile)
		if err == nil {
			p.known.Store(modelID, profile)
		}
	}
	return v, err
}
