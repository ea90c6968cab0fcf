package discovery

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/bedrock/types"
	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/provider/bedrock"
)

const (
	haiku   = "anthropic.claude-3-haiku-20240307-v1:0"
	sonnet4 = "anthropic.claude-sonnet-4-20250514-v1:0"
	nova    = "amazon.nova-pro-v1:0"
	titan   = "amazon.titan-embed-text-v2:0"
	appARN  = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/app1"
)

func sys(id, model string) Profile {
	return Profile{ID: id, ARN: "arn:aws:bedrock:us-east-1:123456789012:inference-profile/" + id, Type: types.InferenceProfileTypeSystemDefined, ModelID: model}
}

func testModels() []FoundationModel {
	return []FoundationModel{
		{ID: titan, Kind: bedrock.KindEmbedding, OnDemand: true},
		{ID: nova, Kind: bedrock.KindChat, OnDemand: true, Vision: true},
		{ID: haiku, Kind: bedrock.KindChat, OnDemand: true, Vision: true},
		{ID: sonnet4, Kind: bedrock.KindChat, Vision: true},             // profile only
		{ID: "meta.llama3-3-70b-instruct-v1:0", Kind: bedrock.KindChat}, // profile only, no profile listed
	}
}

func testProfiles() []Profile {
	return []Profile{
		sys("global."+sonnet4, sonnet4),
		sys("us."+sonnet4, sonnet4),
		sys("us."+haiku, haiku),
		sys("us.deepseek.r1-v1:0", "deepseek.r1-v1:0"), // model not listed: not served
	}
}

func TestBuild(t *testing.T) {
	app := []Profile{{ID: "app1", ARN: appARN, Type: types.InferenceProfileTypeApplication, ModelID: haiku}}
	tests := []struct {
		name   string
		system []Profile
		app    []Profile
		opts   Options
		want   []Model
	}{
		{
			name: "foundation models only",
			opts: Options{Region: "us-east-1"},
			want: []Model{
				{Name: nova, Target: nova, ModelID: nova, Kind: bedrock.KindChat, Source: SourceFoundationModel, Vision: true},
				{Name: titan, Target: titan, ModelID: titan, Kind: bedrock.KindEmbedding, Source: SourceFoundationModel},
				{Name: haiku, Target: haiku, ModelID: haiku, Kind: bedrock.KindChat, Source: SourceFoundationModel, Vision: true},
			},
		},
		{
			name:   "cross-region and application profiles",
			system: testProfiles(),
			app:    app,
			opts:   Options{Region: "us-west-2"},
			want: []Model{
				{Name: nova, Target: nova, ModelID: nova, Kind: bedrock.KindChat, Source: SourceFoundationModel, Vision: true},
				{Name: titan, Target: titan, ModelID: titan, Kind: bedrock.KindEmbedding, Source: SourceFoundationModel},
				{Name: haiku, Target: haiku, ModelID: haiku, Kind: bedrock.KindChat, Source: SourceFoundationModel, Vision: true},
				// The profile-only model is served under its ID through
				// the region's own geography, not global.
				{Name: sonnet4, Target: "us." + sonnet4, ModelID: sonnet4, Kind: bedrock.KindChat, Source: SourceFoundationModel, Vision: true},
				{Name: appARN, Target: appARN, ModelID: haiku, Kind: bedrock.KindChat, Source: SourceApplicationProfile, Vision: true},
				{Name: "global." + sonnet4, Target: "global." + sonnet4, ModelID: sonnet4, Kind: bedrock.KindChat, Source: SourceSystemProfile, Vision: true},
				{Name: "us." + haiku, Target: "us." + haiku, ModelID: haiku, Kind: bedrock.KindChat, Source: SourceSystemProfile, Vision: true},
				{Name: "us." + sonnet4, Target: "us." + sonnet4, ModelID: sonnet4, Kind: bedrock.KindChat, Source: SourceSystemProfile, Vision: true},
			},
		},
		{
			name:   "allow then deny, on the name or the model ID",
			system: testProfiles(),
			opts:   Options{Region: "us-east-1", Allow: []string{"anthropic.*", "amazon.titan-*"}, Deny: []string{"global.*", "*sonnet-4*"}},
			want: []Model{
				{Name: titan, Target: titan, ModelID: titan, Kind: bedrock.KindEmbedding, Source: SourceFoundationModel},
				{Name: haiku, Target: haiku, ModelID: haiku, Kind: bedrock.KindChat, Source: SourceFoundationModel, Vision: true},
				// "us.anthropic..." is allowed through its model ID.
				{Name: "us." + haiku, Target: "us." + haiku, ModelID: haiku, Kind: bedrock.KindChat, Source: SourceSystemProfile, Vision: true},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Build(testModels(), tt.system, tt.app, tt.opts)
			if diff := cmp.Diff(tt.want, got.Models); diff != "" {
				t.Errorf("models (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProfileFor(t *testing.T) {
	tests := []struct {
		name, region, model string
		system              []Profile
		want                string
	}{
		{name: "home geography", region: "us-east-1", model: sonnet4, system: testProfiles(), want: "us." + sonnet4},
		{name: "through an ARN", region: "us-east-1", model: "arn:aws:bedrock:us-east-1::foundation-model/" + sonnet4, system: testProfiles(), want: "us." + sonnet4},
		{name: "global only", region: "us-east-1", model: sonnet4, system: []Profile{sys("global."+sonnet4, sonnet4)}, want: "global." + sonnet4},
		{
			name: "another geography before global", region: "sa-east-1", model: sonnet4,
			system: []Profile{sys("global."+sonnet4, sonnet4), sys("us."+sonnet4, sonnet4)}, want: "us." + sonnet4,
		},
		{
			name: "apac for ap- regions", region: "ap-northeast-1", model: sonnet4,
			system: []Profile{sys("jp."+sonnet4, sonnet4), sys("apac."+sonnet4, sonnet4), sys("global."+sonnet4, sonnet4)}, want: "apac." + sonnet4,
		},
		{name: "no profile", region: "us-east-1", model: nova, system: testProfiles(), want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Build(testModels(), tt.system, nil, Options{Region: tt.region})
			got, ok := s.ProfileFor(tt.model)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("got %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
	var nilSnap *Snapshot
	if _, ok := nilSnap.ProfileFor(sonnet4); ok {
		t.Error("a nil snapshot found a profile")
	}
}

func TestSnapshotEqualAndLookup(t *testing.T) {
	a := Build(testModels(), testProfiles(), nil, Options{Region: "us-east-1"})
	b := Build(testModels(), testProfiles(), nil, Options{Region: "us-east-1"})
	c := Build(testModels(), nil, nil, Options{Region: "us-east-1"})
	if !a.Equal(b) {
		t.Error("equal builds: got not equal")
	}
	if a.Equal(c) || a.Equal(nil) {
		t.Error("different builds: got equal")
	}
	if m, ok := a.Lookup("us." + haiku); !ok || m.ModelID != haiku {
		t.Errorf("Lookup(us.haiku) = %+v, %v", m, ok)
	}
	if _, ok := a.Lookup("gpt-4o"); ok {
		t.Error("Lookup(gpt-4o) found a model")
	}
}

func TestSnapshotAliases(t *testing.T) {
	s := Build(testModels(), nil, nil, Options{Region: "us-east-1"})
	valid, missing := s.Aliases(map[string]string{
		"claude":  haiku,
		"gone":    "anthropic.claude-v2",
		"shadows": nova,
		nova:      haiku, // an alias may not hide a served model
	})
	if diff := cmp.Diff(map[string]string{"claude": haiku, "shadows": nova}, valid); diff != "" {
		t.Errorf("valid (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{nova, "gone"}, missing); diff != "" {
		t.Errorf("missing (-want +got):\n%s", diff)
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "anything/at:all", true},
		{"anthropic.*", "anthropic.claude-3-haiku-20240307-v1:0", true},
		{"anthropic.*", "us.anthropic.claude", false},
		{"*anthropic.*", "us.anthropic.claude", true},
		{"*:0", "amazon.nova-pro-v1:0", true},
		{"*:0", "amazon.titan-embed-text-v1", false},
		{"arn:*:application-inference-profile/*", appARN, true},
		{"amazon.nova-?ro-v1:0", "amazon.nova-pro-v1:0", true},
		{"amazon.nova-?ro-v1:0", "amazon.nova-ro-v1:0", false},
		{"?", "é", true},
		{"a**b", "ab", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXbY", false},
		{"exact", "exact", true},
		{"exact", "exact2", false},
		{"", "", true},
		{"", "x", false},
	}
	for _, tt := range tests {
		if got := Glob(tt.pattern, tt.s); got != tt.want {
			t.Errorf("Glob(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestServable(t *testing.T) {
	str := func(s string) *string { return &s }
	yes, no := true, false
	summary := func(id string, out []types.ModelModality, stream *bool, inference []types.InferenceType, status types.FoundationModelLifecycleStatus) types.FoundationModelSummary {
		s := types.FoundationModelSummary{
			ModelId: str(id), InputModalities: []types.ModelModality{types.ModelModalityText, types.ModelModalityImage},
			OutputModalities: out, ResponseStreamingSupported: stream, InferenceTypesSupported: inference,
		}
		if status != "" {
			s.ModelLifecycle = &types.FoundationModelLifecycle{Status: status}
		}
		return s
	}
	text := []types.ModelModality{types.ModelModalityText}
	embed := []types.ModelModality{types.ModelModalityEmbedding}
	onDemand := []types.InferenceType{types.InferenceTypeOnDemand}
	tests := []struct {
		name string
		in   types.FoundationModelSummary
		want bool
	}{
		{name: "on-demand chat", in: summary(haiku, text, &yes, onDemand, "ACTIVE"), want: true},
		{name: "legacy", in: summary(haiku, text, &yes, onDemand, "LEGACY"), want: true},
		{name: "no lifecycle", in: summary(haiku, text, &yes, onDemand, ""), want: true},
		{name: "profile only", in: summary(sonnet4, text, &yes, []types.InferenceType{inferenceProfileOnly}, "ACTIVE"), want: true},
		{name: "provisioned only", in: summary(haiku+":200k", text, &yes, []types.InferenceType{types.InferenceTypeProvisioned}, "ACTIVE"), want: false},
		{name: "no streaming", in: summary(haiku, text, &no, onDemand, "ACTIVE"), want: false},
		{name: "streaming unknown", in: summary(haiku, text, nil, onDemand, "ACTIVE"), want: false},
		{name: "end of life", in: summary(haiku, text, &yes, onDemand, "EOL"), want: false},
		{name: "image output", in: summary("amazon.titan-image-generator-v2:0", []types.ModelModality{types.ModelModalityImage}, &yes, onDemand, "ACTIVE"), want: false},
		{name: "known embedding", in: summary(titan, embed, nil, onDemand, "ACTIVE"), want: true},
		{name: "unknown embedding", in: summary("acme.embed-v1", embed, nil, onDemand, "ACTIVE"), want: false},
		{name: "catalog says unsupported", in: summary("amazon.nova-sonic-v1:0", text, &yes, onDemand, "ACTIVE"), want: false},
		{name: "no ID", in: summary("", text, &yes, onDemand, "ACTIVE"), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, got := servable(tt.in, bedrock.DefaultCatalog())
			if got != tt.want {
				t.Errorf("got %v (%+v), want %v", got, m, tt.want)
			}
		})
	}
}
