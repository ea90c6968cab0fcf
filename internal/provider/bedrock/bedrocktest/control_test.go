package bedrocktest_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	btypes "github.com/aws/aws-sdk-go-v2/service/bedrock/types"
	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/provider/bedrock/bedrocktest"
)

func TestListFoundationModels(t *testing.T) {
	s := bedrocktest.New(t)
	c := controlClient(s)
	out, err := c.ListFoundationModels(ctx(t), &bedrock.ListFoundationModelsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.ModelSummaries) != len(bedrocktest.DefaultModels()) {
		t.Errorf("%d models, want %d", len(out.ModelSummaries), len(bedrocktest.DefaultModels()))
	}
	var haikuSummary, sonnet, titan *btypes.FoundationModelSummary
	for i, m := range out.ModelSummaries {
		switch aws.ToString(m.ModelId) {
		case haiku:
			haikuSummary = &out.ModelSummaries[i]
		case "anthropic.claude-3-5-sonnet-20240620-v1:0":
			sonnet = &out.ModelSummaries[i]
		case titanV2:
			titan = &out.ModelSummaries[i]
		}
	}
	if haikuSummary == nil || sonnet == nil || titan == nil {
		t.Fatal("catalogue misses Claude 3 Haiku, Claude 3.5 Sonnet or Titan V2")
	}
	want := btypes.FoundationModelSummary{
		ModelArn: aws.String("arn:aws:bedrock:us-east-1::foundation-model/" + haiku), ModelId: aws.String(haiku),
		ModelName: aws.String("Claude 3 Haiku"), ProviderName: aws.String("Anthropic"),
		InputModalities:            []btypes.ModelModality{"TEXT", "IMAGE"},
		OutputModalities:           []btypes.ModelModality{"TEXT"},
		ResponseStreamingSupported: aws.Bool(true), CustomizationsSupported: []btypes.ModelCustomization{},
		InferenceTypesSupported: []btypes.InferenceType{"ON_DEMAND"},
		ModelLifecycle:          &btypes.FoundationModelLifecycle{Status: "ACTIVE"},
	}
	if diff := cmp.Diff(want, *haikuSummary, cmp.AllowUnexported(btypes.FoundationModelSummary{}, btypes.FoundationModelLifecycle{})); diff != "" {
		t.Errorf("haiku (-want +got):\n%s", diff)
	}
	if sonnet.ModelLifecycle.Status != "LEGACY" || titan.OutputModalities[0] != "EMBEDDING" || aws.ToBool(titan.ResponseStreamingSupported) {
		t.Errorf("sonnet lifecycle %s, titan outputs %v streaming %v", sonnet.ModelLifecycle.Status, titan.OutputModalities, aws.ToBool(titan.ResponseStreamingSupported))
	}

	filtered, err := c.ListFoundationModels(ctx(t), &bedrock.ListFoundationModelsInput{
		ByProvider: aws.String("anthropic"), ByOutputModality: "TEXT", ByInferenceType: "ON_DEMAND",
	})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range filtered.ModelSummaries {
		ids = append(ids, aws.ToString(m.ModelId))
	}
	if diff := cmp.Diff([]string{haiku, "anthropic.claude-3-5-sonnet-20240620-v1:0"}, ids); diff != "" {
		t.Errorf("filtered (-want +got):\n%s", diff)
	}

	_, err = c.ListFoundationModels(ctx(t), &bedrock.ListFoundationModelsInput{ByOutputModality: "AUDIO"})
	var ve *btypes.ValidationException
	if !errors.As(err, &ve) {
		t.Errorf("bad filter: got %v, want ValidationException", err)
	}
}

func TestListInferenceProfilesPaginated(t *testing.T) {
	s := bedrocktest.New(t, bedrocktest.WithApplicationProfiles())
	c := controlClient(s)
	all := func(in *bedrock.ListInferenceProfilesInput) []string {
		t.Helper()
		var ids []string
		pages := 0
		for p := bedrock.NewListInferenceProfilesPaginator(c, in); p.HasMorePages(); pages++ {
			page, err := p.NextPage(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			for _, ip := range page.InferenceProfileSummaries {
				ids = append(ids, aws.ToString(ip.InferenceProfileId))
			}
		}
		if pages < 2 {
			t.Errorf("%d pages, want the catalogue split over several", pages)
		}
		return ids
	}
	var want []string
	for _, p := range s.Profiles() {
		want = append(want, p.ID)
	}
	if diff := cmp.Diff(want, all(&bedrock.ListInferenceProfilesInput{})); diff != "" {
		t.Errorf("default pages (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, all(&bedrock.ListInferenceProfilesInput{MaxResults: aws.Int32(3)})); diff != "" {
		t.Errorf("pages of 3 (-want +got):\n%s", diff)
	}
	out, err := c.ListInferenceProfiles(ctx(t), &bedrock.ListInferenceProfilesInput{TypeEquals: btypes.InferenceProfileTypeApplication})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.InferenceProfileSummaries) != 2 || out.NextToken != nil {
		t.Fatalf("%d application profiles, next %v; want 2 on one page", len(out.InferenceProfileSummaries), out.NextToken)
	}
	app := out.InferenceProfileSummaries[0]
	if aws.ToString(app.InferenceProfileArn) != bedrocktest.ApplicationProfileARN(s.Region(), bedrocktest.AppProfileHaiku) ||
		app.Type != btypes.InferenceProfileTypeApplication || app.Status != btypes.InferenceProfileStatusActive || app.CreatedAt == nil ||
		aws.ToString(app.Models[0].ModelArn) != bedrocktest.ModelARN(s.Region(), haiku) {
		t.Errorf("application profile %+v", app)
	}
	if !slices.Contains(want, usSonnet37) || !slices.Contains(want, "global.anthropic.claude-sonnet-4-5-20250929-v1:0") || slices.Contains(want, "eu."+sonnet37) {
		t.Errorf("us-east-1 lists %v; want us. and global. profiles, no eu.", want)
	}
}

func TestProfilesByRegion(t *testing.T) {
	for region, prefix := range map[string]string{"eu-west-1": "eu.", "ap-northeast-1": "apac.", "us-west-2": "us."} {
		s := bedrocktest.New(t, bedrocktest.WithRegion(region))
		p := s.Profiles()[0]
		if p.ID != prefix+haiku || p.ARN != "arn:aws:bedrock:"+region+":123456789012:inference-profile/"+p.ID {
			t.Errorf("%s: first profile %s %s", region, p.ID, p.ARN)
		}
		out, err := controlClient(s).GetInferenceProfile(ctx(t), &bedrock.GetInferenceProfileInput{InferenceProfileIdentifier: aws.String(p.ID)})
		if err != nil || aws.ToString(out.InferenceProfileArn) != p.ARN {
			t.Errorf("%s: GetInferenceProfile %v %v", region, out, err)
		}
	}
}

func TestGetControlPlane(t *testing.T) {
	s := bedrocktest.New(t)
	c := controlClient(s)
	for _, id := range []string{haiku, bedrocktest.ModelARN(s.Region(), haiku)} {
		out, err := c.GetFoundationModel(ctx(t), &bedrock.GetFoundationModelInput{ModelIdentifier: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.ModelDetails.ModelId) != haiku || aws.ToString(out.ModelDetails.ModelName) != "Claude 3 Haiku" {
			t.Errorf("%s: details %+v", id, out.ModelDetails)
		}
	}
	arn := bedrocktest.ProfileARN(s.Region(), usSonnet37)
	for _, id := range []string{usSonnet37, arn} {
		out, err := c.GetInferenceProfile(ctx(t), &bedrock.GetInferenceProfileInput{InferenceProfileIdentifier: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.InferenceProfileArn) != arn || len(out.Models) != 3 || out.Type != btypes.InferenceProfileTypeSystemDefined {
			t.Errorf("%s: profile %+v", id, out)
		}
	}
	_, err := c.GetFoundationModel(ctx(t), &bedrock.GetFoundationModelInput{ModelIdentifier: aws.String("nope.model-v1:0")})
	var nf *btypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("unknown model: got %v, want ResourceNotFoundException", err)
	}
	_, err = c.GetInferenceProfile(ctx(t), &bedrock.GetInferenceProfileInput{InferenceProfileIdentifier: aws.String("us.nope")})
	if !errors.As(err, &nf) {
		t.Errorf("unknown profile: got %v, want ResourceNotFoundException", err)
	}
}

func TestControlPlaneScripted(t *testing.T) {
	s := bedrocktest.New(t,
		bedrocktest.WithModels(bedrocktest.FoundationModel{
			ID: "x.only-v1:0", Name: "Only", Provider: "X",
			InputModalities: []string{"TEXT"}, OutputModalities: []string{"TEXT"}, InferenceTypes: []string{"ON_DEMAND"},
		}),
		bedrocktest.WithProfiles(),
		bedrocktest.WithReplies(bedrocktest.Reply{Operation: bedrocktest.OpListInferenceProfiles, Error: &bedrocktest.Error{
			Code: bedrocktest.CodeThrottling, Message: "slow down",
		}}),
	)
	c := controlClient(s)
	_, err := c.ListInferenceProfiles(ctx(t), nil)
	var te *btypes.ThrottlingException
	if !errors.As(err, &te) {
		t.Errorf("got %v, want the scripted ThrottlingException", err)
	}
	out, err := c.ListInferenceProfiles(ctx(t), nil)
	if err != nil || len(out.InferenceProfileSummaries) != 0 {
		t.Errorf("empty catalogue: %v %v", out, err)
	}
	models, err := c.ListFoundationModels(ctx(t), nil)
	if err != nil || len(models.ModelSummaries) != 1 || aws.ToString(models.ModelSummaries[0].ModelId) != "x.only-v1:0" {
		t.Errorf("scripted catalogue: %v %v", models, err)
	}
}
