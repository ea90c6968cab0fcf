package discovery

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsbedrock "github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/bedrock/types"
	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/provider/bedrock/bedrocktest"
)

// emulatorConfig is a Config pointed at srv with its SigV4 credentials.
func emulatorConfig(srv *bedrocktest.Server) Config {
	return Config{
		Region:              srv.Region(),
		Endpoint:            srv.URL(),
		Credentials:         bedrocktest.LongTermCredentials().Provider(),
		CrossRegion:         true,
		ApplicationProfiles: true,
	}
}

func newDiscoverer(t *testing.T, cfg Config) *Discoverer {
	t.Helper()
	d, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// wantAll is every name the emulator's default catalogue serves in
// us-east-1 with both kinds of profiles.
var wantAll = []string{
	"amazon.nova-lite-v1:0",
	"amazon.nova-micro-v1:0",
	"amazon.nova-premier-v1:0", // profile only: served through us.
	"amazon.nova-pro-v1:0",
	"amazon.titan-embed-text-v1",
	"amazon.titan-embed-text-v2:0",
	"anthropic.claude-3-5-haiku-20241022-v1:0",
	"anthropic.claude-3-5-sonnet-20240620-v1:0", // LEGACY is still served
	"anthropic.claude-3-7-sonnet-20250219-v1:0",
	"anthropic.claude-3-haiku-20240307-v1:0",
	"anthropic.claude-haiku-4-5-20251001-v1:0",
	"anthropic.claude-sonnet-4-20250514-v1:0",
	"anthropic.claude-sonnet-4-5-20250929-v1:0",
	"arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/" + bedrocktest.AppProfileHaiku,
	"arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/" + bedrocktest.AppProfileSonnet,
	"cohere.command-r-plus-v1:0",
	"cohere.embed-english-v3",
	"cohere.embed-multilingual-v3",
	"global.anthropic.claude-haiku-4-5-20251001-v1:0",
	"global.anthropic.claude-sonnet-4-20250514-v1:0",
	"global.anthropic.claude-sonnet-4-5-20250929-v1:0",
	"meta.llama3-3-70b-instruct-v1:0",
	"meta.llama3-70b-instruct-v1:0",
	"meta.llama3-8b-instruct-v1:0",
	"mistral.mistral-7b-instruct-v0:2",
	"mistral.mistral-large-2402-v1:0",
	"us.amazon.nova-lite-v1:0",
	"us.amazon.nova-micro-v1:0",
	"us.amazon.nova-premier-v1:0",
	"us.amazon.nova-pro-v1:0",
	"us.anthropic.claude-3-5-haiku-20241022-v1:0",
	"us.anthropic.claude-3-5-sonnet-20240620-v1:0",
	"us.anthropic.claude-3-7-sonnet-20250219-v1:0",
	"us.anthropic.claude-3-haiku-20240307-v1:0",
	"us.anthropic.claude-haiku-4-5-20251001-v1:0",
	"us.anthropic.claude-sonnet-4-20250514-v1:0",
	"us.anthropic.claude-sonnet-4-5-20250929-v1:0",
	"us.meta.llama3-3-70b-instruct-v1:0",
}

func TestDiscoverEmulator(t *testing.T) {
	srv := bedrocktest.New(t, bedrocktest.WithApplicationProfiles())
	cfg := emulatorConfig(srv)
	cfg.PageSize = 4 // 15 system profiles: four pages
	snap, err := newDiscoverer(t, cfg).Refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantAll, snap.Names()); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if m, _ := snap.Lookup("anthropic.claude-sonnet-4-20250514-v1:0"); m.Target != "us.anthropic.claude-sonnet-4-20250514-v1:0" {
		t.Errorf("profile-only model: got target %q, want its us. profile", m.Target)
	}
	app := "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/" + bedrocktest.AppProfileSonnet
	if m, _ := snap.Lookup(app); m.ModelID != "anthropic.claude-3-7-sonnet-20250219-v1:0" || m.Source != SourceApplicationProfile {
		t.Errorf("application profile: got %+v", m)
	}
	if p, ok := snap.ProfileFor("anthropic.claude-3-haiku-20240307-v1:0"); p != "us.anthropic.claude-3-haiku-20240307-v1:0" || !ok {
		t.Errorf("ProfileFor(haiku) = %q, %v", p, ok)
	}

	var pages []string
	for _, r := range srv.Requests() {
		if r.Operation == bedrocktest.OpListInferenceProfiles {
			pages = append(pages, r.RawQuery)
		}
		if r.Auth != bedrocktest.AuthSigV4 || r.AccessKeyID != bedrocktest.AccessKeyID {
			t.Errorf("%s: got auth %q with key %q, want SigV4 with the test key", r.Operation, r.Auth, r.AccessKeyID)
		}
	}
	// Four pages of system-defined profiles, one of application profiles.
	if len(pages) != 5 {
		t.Errorf("got %d ListInferenceProfiles calls, want 5: %q", len(pages), pages)
	}
}

func TestDiscoverSwitchesAndFilters(t *testing.T) {
	srv := bedrocktest.New(t, bedrocktest.WithApplicationProfiles())
	cfg := emulatorConfig(srv)
	cfg.CrossRegion, cfg.ApplicationProfiles = false, false
	cfg.Allow = []string{"anthropic.*", "amazon.*"}
	cfg.Deny = []string{"*embed*", "amazon.nova-micro*"}
	snap, err := newDiscoverer(t, cfg).Refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Without profiles, models that need one are not served at all.
	want := []string{
		"amazon.nova-lite-v1:0",
		"amazon.nova-pro-v1:0",
		"anthropic.claude-3-5-sonnet-20240620-v1:0",
		"anthropic.claude-3-haiku-20240307-v1:0",
	}
	if diff := cmp.Diff(want, snap.Names()); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	for _, r := range srv.Requests() {
		if r.Operation == bedrocktest.OpListInferenceProfiles {
			t.Errorf("listed inference profiles (%s) with both switches off", r.RawQuery)
		}
	}
}

// TestRefreshFailureKeepsLastList checks that a failed refresh, whether
// the model listing or a later page of profiles fails, keeps the last good
// snapshot and does not report a change.
func TestRefreshFailureKeepsLastList(t *testing.T) {
	srv := bedrocktest.New(t, bedrocktest.WithApplicationProfiles())
	changes := 0
	cfg := emulatorConfig(srv)
	cfg.PageSize = 10
	cfg.OnChange = func(*Snapshot) { changes++ }
	d := newDiscoverer(t, cfg)
	first, err := d.Refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	denied := &bedrocktest.Error{Code: bedrocktest.CodeAccessDenied, Message: "not allowed"}
	for _, failing := range []bedrocktest.Reply{
		{Operation: bedrocktest.OpListFoundationModels, Error: denied},
		{Operation: bedrocktest.OpListInferenceProfiles},                // the first page passes...
		{Operation: bedrocktest.OpListInferenceProfiles, Error: denied}, // ...the second fails
	} {
		srv.Push(failing)
	}
	for range 2 {
		got, err := d.Refresh(context.Background())
		if err == nil {
			t.Fatal("Refresh succeeded, want the scripted AccessDeniedException")
		}
		if got != first || d.Current() != first {
			t.Errorf("after a failure: got another snapshot, want the last good one")
		}
	}
	if changes != 1 {
		t.Errorf("got %d changes, want 1 (the first listing)", changes)
	}
	// A later good listing equal to the first is no change either.
	if _, err := d.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if changes != 1 {
		t.Errorf("got %d changes after an identical listing, want 1", changes)
	}
}

// TestRunRetriesAndStops starts Run after a failed first listing: it must
// retry, report the list once it succeeds, and return when ctx is done.
func TestRunRetriesAndStops(t *testing.T) {
	srv := bedrocktest.New(t)
	changed := make(chan *Snapshot, 1)
	cfg := emulatorConfig(srv)
	cfg.Interval, cfg.RetryInterval = time.Hour, time.Millisecond
	cfg.OnChange = func(s *Snapshot) { changed <- s }
	srv.Push(bedrocktest.Reply{Operation: bedrocktest.OpListFoundationModels, Error: &bedrocktest.Error{Code: bedrocktest.CodeAccessDenied, Message: "no"}})
	d := newDiscoverer(t, cfg)
	if _, err := d.Refresh(context.Background()); err == nil {
		t.Fatal("first Refresh succeeded, want the scripted failure")
	}
	if d.Current() != nil {
		t.Fatal("got a snapshot after a failed first listing")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	snap := <-changed
	if len(snap.Models) == 0 || d.Current() != snap {
		t.Errorf("got %d models, current %p, want the new snapshot %p", len(snap.Models), d.Current(), snap)
	}
	cancel()
	<-done
}

// TestRunReportsChanges drives Run with a control plane whose catalogue
// changes between listings.
func TestRunReportsChanges(t *testing.T) {
	cp := &fakeControlPlane{models: [][]string{
		{"anthropic.claude-3-haiku-20240307-v1:0"},
		{"anthropic.claude-3-haiku-20240307-v1:0"},
		{"anthropic.claude-3-haiku-20240307-v1:0", "amazon.nova-pro-v1:0"},
	}}
	changed := make(chan *Snapshot, 3)
	d := newDiscoverer(t, Config{
		Region: "us-east-1", ControlPlane: cp, Interval: time.Millisecond,
		OnChange: func(s *Snapshot) { changed <- s },
	})
	if _, err := d.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	first, second := <-changed, <-changed
	cancel()
	<-done
	if diff := cmp.Diff([]string{"anthropic.claude-3-haiku-20240307-v1:0"}, first.Names()); diff != "" {
		t.Errorf("first (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"amazon.nova-pro-v1:0", "anthropic.claude-3-haiku-20240307-v1:0"}, second.Names()); diff != "" {
		t.Errorf("second (-want +got):\n%s", diff)
	}
}

func TestDiscoverBearer(t *testing.T) {
	srv := bedrocktest.New(t, bedrocktest.WithTLS())
	cfg := Config{Region: srv.Region(), HTTPClient: srv.Client(), Getenv: func(k string) string {
		return map[string]string{EnvEndpoint: srv.URL(), EnvBearerToken: bedrocktest.BearerToken}[k]
	}}
	snap, err := newDiscoverer(t, cfg).Refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Models) == 0 {
		t.Error("got no models")
	}
	for _, r := range srv.Requests() {
		if r.Auth != bedrocktest.AuthBearer {
			t.Errorf("%s: got auth %q, want bearer", r.Operation, r.Auth)
		}
	}
}

func TestDiscoverWrongSecret(t *testing.T) {
	srv := bedrocktest.New(t)
	cfg := emulatorConfig(srv)
	cfg.Credentials = aws.NewCredentialsCache(awsCredentials(bedrocktest.AccessKeyID, "wrong-secret"))
	_, err := newDiscoverer(t, cfg).Refresh(context.Background())
	if err == nil {
		t.Fatal("got no error with a wrong secret")
	}
}

func TestNewNeedsRegion(t *testing.T) {
	if _, err := New(context.Background(), Config{}); err == nil {
		t.Error("got no error without a region")
	}
}

func TestControlEndpoint(t *testing.T) {
	tests := []struct {
		name, override string
		env            map[string]string
		want           string
	}{
		{name: "none", want: ""},
		{name: "override first", override: "https://o", env: map[string]string{EnvEndpointControl: "https://c"}, want: "https://o"},
		{name: "service variable", env: map[string]string{EnvEndpointControl: "https://c", EnvEndpoint: "https://g"}, want: "https://c"},
		{name: "global variable", env: map[string]string{EnvEndpoint: "https://g"}, want: "https://g"},
		{name: "ignored", env: map[string]string{EnvEndpoint: "https://g", EnvIgnoreConfiguredEndpoint: "TRUE"}, want: ""},
		// The runtime's variable is not the control plane's.
		{name: "runtime variable", env: map[string]string{"AWS_ENDPOINT_URL_BEDROCK_RUNTIME": "https://r"}, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := controlEndpoint(tt.override, func(k string) string { return tt.env[k] }); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// fakeControlPlane lists models[i] on the i-th listing (the last one
// after that), all on demand with streaming, and no profiles.
type fakeControlPlane struct {
	models [][]string
	calls  int
}

func (f *fakeControlPlane) ListFoundationModels(context.Context, *awsbedrock.ListFoundationModelsInput, ...func(*awsbedrock.Options)) (*awsbedrock.ListFoundationModelsOutput, error) {
	ids := f.models[min(f.calls, len(f.models)-1)]
	f.calls++
	out := &awsbedrock.ListFoundationModelsOutput{}
	for _, id := range ids {
		out.ModelSummaries = append(out.ModelSummaries, onDemandSummary(id))
	}
	return out, nil
}

func (f *fakeControlPlane) ListInferenceProfiles(context.Context, *awsbedrock.ListInferenceProfilesInput, ...func(*awsbedrock.Options)) (*awsbedrock.ListInferenceProfilesOutput, error) {
	return nil, errors.New("not listed in this test")
}

func onDemandSummary(id string) types.FoundationModelSummary {
	streams := true
	return types.FoundationModelSummary{
		ModelId:                    aws.String(id),
		OutputModalities:           []types.ModelModality{types.ModelModalityText},
		ResponseStreamingSupported: &streams,
		InferenceTypesSupported:    []types.InferenceType{types.InferenceTypeOnDemand},
	}
}

func awsCredentials(akid, secret string) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret}, nil
	})
}
