package bedrocktest

import (
	"strings"
)

// AccountID is the AWS account of the emulator's inference-profile ARNs.
const AccountID = "123456789012"

// Values of FoundationModel fields, as the control plane spells them.
const (
	ModalityText      = "TEXT"
	ModalityImage     = "IMAGE"
	ModalityEmbedding = "EMBEDDING"

	InferenceOnDemand    = "ON_DEMAND"
	InferenceProvisioned = "PROVISIONED"
	// InferenceProfileOnly is what real Bedrock lists for a model that is
	// served only through inference profiles (outside the service model's
	// enum; SDKs take it as a string).
	InferenceProfileOnly = "INFERENCE_PROFILE"

	LifecycleActive = "ACTIVE"
	LifecycleLegacy = "LEGACY"

	ProfileSystemDefined = "SYSTEM_DEFINED"
	ProfileApplication   = "APPLICATION"
)

// FoundationModel is one entry of the foundation-model catalogue.
type FoundationModel struct {
	ID               string   // e.g. "anthropic.claude-3-haiku-20240307-v1:0"
	Name             string   // modelName
	Provider         string   // providerName
	InputModalities  []string // ModalityText, ModalityImage
	OutputModalities []string // ModalityText, ModalityEmbedding or ModalityImage
	Streaming        bool     // responseStreamingSupported
	Customizations   []string // customizationsSupported
	// InferenceTypes is inferenceTypesSupported: InferenceOnDemand,
	// InferenceProvisioned or InferenceProfileOnly. A model without
	// InferenceOnDemand refuses its bare ID on the runtime.
	InferenceTypes []string
	// Lifecycle is LifecycleActive (when empty) or LifecycleLegacy.
	Lifecycle string
}

// onDemand reports whether the model answers its bare ID.
func (m FoundationModel) onDemand() bool { return has(m.InferenceTypes, InferenceOnDemand) }

// chat reports whether the model has text output (Converse works).
func (m FoundationModel) chat() bool { return has(m.OutputModalities, ModalityText) }

// InferenceProfile is one entry of the inference-profile catalogue.
type InferenceProfile struct {
	ID          string // inferenceProfileId, e.g. "us.anthropic.claude-3-7-sonnet-20250219-v1:0"
	Name        string // inferenceProfileName
	Description string
	Type        string // ProfileSystemDefined or ProfileApplication
	// Models are the foundation-model ARNs the profile routes to; the
	// first one names the model that answers.
	Models []string
	// ARN is the profile's ARN; empty means ProfileARN(region, ID).
	ARN string
}

// modelID is the foundation-model ID the profile routes to.
func (p InferenceProfile) modelID() string {
	if len(p.Models) == 0 {
		return ""
	}
	_, id, _ := strings.Cut(p.Models[0], ":foundation-model/")
	return id
}

// ModelARN returns the ARN of a foundation model in region (its account
// field is empty).
func ModelARN(region, modelID string) string {
	return "arn:aws:bedrock:" + region + "::foundation-model/" + modelID
}

// ProfileARN returns the ARN of system-defined inference profile id.
func ProfileARN(region, id string) string {
	return "arn:aws:bedrock:" + region + ":" + AccountID + ":inference-profile/" + id
}

// ApplicationProfileARN returns the ARN of application inference profile
// id.
func ApplicationProfileARN(region, id string) string {
	return "arn:aws:bedrock:" + region + ":" + AccountID + ":application-inference-profile/" + id
}

func has(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

var (
	textIn      = []string{ModalityText}
	textImageIn = []string{ModalityText, ModalityImage}
	textOut     = []string{ModalityText}
	embedOut    = []string{ModalityEmbedding}
	onDemand    = []string{InferenceOnDemand}
	profileOnly = []string{InferenceProfileOnly}
	provisioned = []string{InferenceProvisioned}
)

// DefaultModels is the default foundation-model catalogue: a realistic
// selection of Bedrock's models in a US region, with on-demand,
// profile-only and provisioned-only models, a legacy one, embeddings and
// an image generator.
func DefaultModels() []FoundationModel {
	chat := func(id, name, provider string, in, inference []string) FoundationModel {
		return FoundationModel{
			ID: id, Name: name, Provider: provider, InputModalities: in,
			OutputModalities: textOut, Streaming: true, InferenceTypes: inference,
		}
	}
	embed := func(id, name, provider string) FoundationModel {
		return FoundationModel{
			ID: id, Name: name, Provider: provider, InputModalities: textIn,
			OutputModalities: embedOut, InferenceTypes: onDemand,
		}
	}
	legacy := chat("anthropic.claude-3-5-sonnet-20240620-v1:0", "Claude 3.5 Sonnet", "Anthropic", textImageIn, onDemand)
	legacy.Lifecycle = LifecycleLegacy
	return []FoundationModel{
		chat("anthropic.claude-3-haiku-20240307-v1:0", "Claude 3 Haiku", "Anthropic", textImageIn, onDemand),
		chat("anthropic.claude-3-haiku-20240307-v1:0:200k", "Claude 3 Haiku", "Anthropic", textImageIn, provisioned),
		legacy,
		chat("anthropic.claude-3-5-haiku-20241022-v1:0", "Claude 3.5 Haiku", "Anthropic", textIn, profileOnly),
		chat("anthropic.claude-3-7-sonnet-20250219-v1:0", "Claude 3.7 Sonnet", "Anthropic", textImageIn, profileOnly),
		chat("anthropic.claude-sonnet-4-20250514-v1:0", "Claude Sonnet 4", "Anthropic", textImageIn, profileOnly),
		chat("anthropic.claude-sonnet-4-5-20250929-v1:0", "Claude Sonnet 4.5", "Anthropic", textImageIn, profileOnly),
		chat("anthropic.claude-haiku-4-5-20251001-v1:0", "Claude Haiku 4.5", "Anthropic", textImageIn, profileOnly),
		chat("amazon.nova-micro-v1:0", "Nova Micro", "Amazon", textIn, onDemand),
		chat("amazon.nova-lite-v1:0", "Nova Lite", "Amazon", textImageIn, onDemand),
		chat("amazon.nova-pro-v1:0", "Nova Pro", "Amazon", textImageIn, onDemand),
		chat("amazon.nova-premier-v1:0", "Nova Premier", "Amazon", textImageIn, profileOnly),
		embed("amazon.titan-embed-text-v1", "Titan Embeddings G1 - Text", "Amazon"),
		embed("amazon.titan-embed-text-v2:0", "Titan Text Embeddings V2", "Amazon"),
		{
			ID: "amazon.titan-image-generator-v2:0", Name: "Titan Image Generator G1 v2", Provider: "Amazon",
			InputModalities: textImageIn, OutputModalities: []string{ModalityImage}, InferenceTypes: onDemand,
			Customizations: []string{"FINE_TUNING"},
		},
		chat("meta.llama3-8b-instruct-v1:0", "Llama 3 8B Instruct", "Meta", textIn, onDemand),
		chat("meta.llama3-70b-instruct-v1:0", "Llama 3 70B Instruct", "Meta", textIn, onDemand),
		chat("meta.llama3-3-70b-instruct-v1:0", "Llama 3.3 70B Instruct", "Meta", textIn, profileOnly),
		chat("mistral.mistral-7b-instruct-v0:2", "Mistral 7B Instruct", "Mistral AI", textIn, onDemand),
		chat("mistral.mistral-large-2402-v1:0", "Mistral Large (24.02)", "Mistral AI", textIn, onDemand),
		chat("cohere.command-r-plus-v1:0", "Command R+", "Cohere", textIn, onDemand),
		embed("cohere.embed-english-v3", "Embed English", "Cohere"),
		embed("cohere.embed-multilingual-v3", "Embed Multilingual", "Cohere"),
	}
}

// geography is a cross-region profile prefix and the regions it routes to.
type geography struct {
	prefix, label string
	regions       []string
}

// geographyOf returns the geography of region, and whether there is one.
func geographyOf(region string) (geography, bool) {
	switch {
	case strings.HasPrefix(region, "us-"):
		return geography{"us", "US", []string{"us-east-1", "us-east-2", "us-west-2"}}, true
	case strings.HasPrefix(region, "eu-"):
		return geography{"eu", "EU", []string{"eu-central-1", "eu-west-1", "eu-west-3"}}, true
	case strings.HasPrefix(region, "ap-"):
		return geography{"apac", "APAC", []string{"ap-northeast-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2"}}, true
	}
	return geography{}, false
}

// globalRegions are the regions a global. profile routes to.
var globalRegions = []string{"us-east-1", "us-east-2", "us-west-2", "eu-west-1", "ap-northeast-1"}

// DefaultProfiles is the default system-defined inference-profile
// catalogue as ListInferenceProfiles shows it in region: the geography's
// cross-region profiles ("us." in us-*, "eu." in eu-*, "apac." in ap-*)
// and "global." profiles of the newest Claude models.
func DefaultProfiles(region string) []InferenceProfile {
	names := map[string]string{}
	for _, m := range DefaultModels() {
		names[m.ID] = m.Provider + " " + m.Name
	}
	var out []InferenceProfile
	if g, ok := geographyOf(region); ok {
		for _, id := range []string{
			"anthropic.claude-3-haiku-20240307-v1:0",
			"anthropic.claude-3-5-sonnet-20240620-v1:0",
			"anthropic.claude-3-5-haiku-20241022-v1:0",
			"anthropic.claude-3-7-sonnet-20250219-v1:0",
			"anthropic.claude-sonnet-4-20250514-v1:0",
			"anthropic.claude-sonnet-4-5-20250929-v1:0",
			"anthropic.claude-haiku-4-5-20251001-v1:0",
			"amazon.nova-micro-v1:0",
			"amazon.nova-lite-v1:0",
			"amazon.nova-pro-v1:0",
			"amazon.nova-premier-v1:0",
			"meta.llama3-3-70b-instruct-v1:0",
		} {
			out = append(out, systemProfile(region, g.prefix, g.label, names[id], id, g.regions))
		}
	}
	for _, id := range []string{
		"anthropic.claude-sonnet-4-20250514-v1:0",
		"anthropic.claude-sonnet-4-5-20250929-v1:0",
		"anthropic.claude-haiku-4-5-20251001-v1:0",
	} {
		out = append(out, systemProfile(region, "global", "Global", names[id], id, globalRegions))
	}
	return out
}

func systemProfile(region, prefix, label, name, modelID string, regions []string) InferenceProfile {
	models := make([]string, len(regions))
	for i, r := range regions {
		models[i] = ModelARN(r, modelID)
	}
	return InferenceProfile{
		ID:          prefix + "." + modelID,
		Name:        label + " " + name,
		Description: "Routes requests to " + name + " in " + strings.Join(regions, ", ") + ".",
		Type:        ProfileSystemDefined,
		Models:      models,
		ARN:         ProfileARN(region, prefix+"."+modelID),
	}
}

// Application inference profiles of DefaultApplicationProfiles.
const (
	// AppProfileHaiku routes to Claude 3 Haiku in the server's region.
	AppProfileHaiku = "k3n8x2p4q7wz"
	// AppProfileSonnet copies the geography's Claude 3.7 Sonnet profile.
	AppProfileSonnet = "m5t1c9v6b2ha"
)

// DefaultApplicationProfiles returns two application inference profiles
// in region (see AppProfileHaiku, AppProfileSonnet).
func DefaultApplicationProfiles(region string) []InferenceProfile {
	sonnet := []string{ModelARN(region, "anthropic.claude-3-7-sonnet-20250219-v1:0")}
	if g, ok := geographyOf(region); ok {
		sonnet = systemProfile(region, g.prefix, g.label, "", "anthropic.claude-3-7-sonnet-20250219-v1:0", g.regions).Models
	}
	return []InferenceProfile{
		{
			ID: AppProfileHaiku, Name: "team-a-haiku", Description: "Team A cost tracking for Claude 3 Haiku.",
			Type: ProfileApplication, Models: []string{ModelARN(region, "anthropic.claude-3-haiku-20240307-v1:0")},
			ARN: ApplicationProfileARN(region, AppProfileHaiku),
		},
		{
			ID: AppProfileSonnet, Name: "team-b-sonnet", Description: "Team B cost tracking for Claude 3.7 Sonnet.",
			Type: ProfileApplication, Models: sonnet, ARN: ApplicationProfileARN(region, AppProfileSonnet),
		},
	}
}
