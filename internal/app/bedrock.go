package app

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/outcrop/outcrop/internal/config"
	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
	"github.com/outcrop/outcrop/internal/provider/bedrock"
	"github.com/outcrop/outcrop/internal/provider/bedrock/discovery"
	"github.com/outcrop/outcrop/internal/server"
)

// bedrockOwner is the owned_by of discovered models and the upstream name
// of their deployments, as bedrock-access-gateway shows them.
const bedrockOwner = "bedrock"

// firstDiscoveryTimeout bounds the listing made before serving. Past it
// Outcrop starts with what it has and discovery keeps trying.
const firstDiscoveryTimeout = 30 * time.Second

// liveRouter is the gateway's current router. A provider.Router is
// immutable; discovery builds a new one when the models change and swaps
// it in, and requests in flight keep the one they looked up.
type liveRouter struct {
	p atomic.Pointer[provider.Router]
}

var _ server.Routes = (*liveRouter)(nil)

// LookupFor implements server.Routes.
func (l *liveRouter) LookupFor(use provider.Use, model string) (*provider.Route, error) {
	return l.p.Load().LookupFor(use, model)
}

// Models implements server.Routes.
func (l *liveRouter) Models() []openai.Model { return l.p.Load().Models() }

// routeSet is what a router is built from: the configured routes, aliases
// and default models, fixed at start, plus the discovered Bedrock models,
// which change.
type routeSet struct {
	routes   []*provider.Route
	aliases  map[string]string
	defaults provider.Defaults
	// bedrock serves the discovered models; nil without discovery.
	bedrock *bedrock.Client
	created int64
	logger  *slog.Logger
}

// router builds the router for a snapshot (nil before the first listing).
// A configured model or alias wins over a discovered model of the same
// name; a default model that is served by no route gets one on the
// Bedrock client, so that DEFAULT_MODEL may name a profile discovery does
// not list; an alias whose model is not served is left out.
func (s *routeSet) router(snap *discovery.Snapshot) (*provider.Router, error) {
	routes := slices.Clone(s.routes)
	taken := make(map[string]bool, len(routes)+len(s.aliases))
	for _, rt := range routes {
		taken[rt.Name] = true
	}
	aliases := make(map[string]string, len(s.aliases))
	if s.bedrock != nil {
		var models []discovery.Model
		if snap != nil {
			models = snap.Models
		}
		for _, m := range models {
			if !taken[m.Name] && s.aliases[m.Name] == "" {
				routes = append(routes, s.bedrockRoute(m.Name, m.Target))
				taken[m.Name] = true
			}
		}
		for _, name := range []string{s.defaults.Chat, s.defaults.Embedding} {
			if name != "" && !taken[name] && s.aliases[name] == "" {
				routes = append(routes, s.bedrockRoute(name, name))
				taken[name] = true
			}
		}
	}
	var missing []string
	for alias, target := range s.aliases {
		if taken[target] {
			aliases[alias] = target
		} else {
			missing = append(missing, alias)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		s.logger.Warn("aliases left out: their model is not served", "aliases", missing)
	}
	r, err := provider.NewRouter(routes, aliases)
	if err != nil {
		return nil, err
	}
	return r.WithDefaults(s.defaults)
}

func (s *routeSet) bedrockRoute(name, target string) *provider.Route {
	return &provider.Route{
		Name:        name,
		OwnedBy:     bedrockOwner,
		Created:     s.created,
		Deployments: []*provider.Deployment{{Name: bedrockOwner + "/" + name, Model: target, Provider: s.bedrock}},
	}
}

// startDiscovery creates the Bedrock client and discoverer of the bedrock
// section, lists the models once, and installs a router that follows the
// list. The refresh loop is left to Serve (gw.background).
func (b *builder) startDiscovery(gw *Gateway, live *liveRouter, set *routeSet) error {
	sec := b.cfg.Bedrock
	creds, region, err := profileCredentials(b.ctx, sec.Profile, sec.Region)
	if err != nil {
		return fmt.Errorf("bedrock: %w", err)
	}
	client, err := bedrock.New(b.ctx, bedrock.Config{
		Name:        bedrockOwner,
		Region:      region,
		Endpoint:    sec.Endpoint,
		APIKey:      sec.APIKey.Value(),
		Credentials: creds,
		Getenv:      b.getenv,
		Catalog:     b.catalog,
		Guardrail:   guardrail(sec.GuardrailID, sec.GuardrailVersion, sec.GuardrailTrace, sec.GuardrailStreamMode),
		Profiles:    b.profileFor,
		BaseModel:   b.baseModel,
		Images:      b.images,

		NoCrossRegion:     !sec.CrossRegion(),
		PromptCaching:     bedrock.CachePolicy(sec.PromptCaching),
		UnsupportedParams: bedrock.ParamPolicy(sec.UnsupportedParams),
	})
	if err != nil {
		return err
	}
	set.bedrock = client
	d, err := discovery.New(b.ctx, discovery.Config{
		Region:              region,
		Endpoint:            sec.ControlEndpoint,
		Profile:             sec.Profile,
		APIKey:              sec.APIKey.Value(),
		Credentials:         creds,
		Getenv:              b.getenv,
		CrossRegion:         sec.CrossRegion(),
		ApplicationProfiles: sec.ApplicationProfiles(),
		Allow:               sec.Allow,
		Deny:                sec.Deny,
		Catalog:             b.catalog,
		Interval:            sec.RefreshInterval.Std(),
		Logger:              b.logger,
		OnChange:            func(snap *discovery.Snapshot) { b.swap(live, set, snap) },
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(b.ctx, firstDiscoveryTimeout)
	defer cancel()
	if _, err := d.Refresh(ctx); err != nil {
		b.logger.Warn("bedrock model discovery failed at start: serving the configured and default models until it succeeds",
			"region", region, "error", err)
	}
	gw.discovery = d
	b.discovery.Store(d)
	gw.background = append(gw.background, d.Run)
	return nil
}

// swap installs the router for a new snapshot. A router that cannot be
// built (it cannot happen with a valid configuration) keeps the old one.
func (b *builder) swap(live *liveRouter, set *routeSet, snap *discovery.Snapshot) {
	r, err := set.router(snap)
	if err != nil {
		b.logger.Error("bedrock models changed but the router could not be rebuilt; keeping the old one", "error", err)
		return
	}
	live.p.Store(r)
	b.logger.Info("serving bedrock models", "region", b.cfg.Bedrock.Region, "count", len(snap.Models), "models", snap.Names())
}

// newBedrockUpstream creates the client of a bedrock upstream.
func (b *builder) newBedrockUpstream(u config.Upstream) (provider.Provider, error) {
	creds, region, err := profileCredentials(b.ctx, u.Profile, u.Region)
	if err != nil {
		return nil, err
	}
	return bedrock.New(b.ctx, bedrock.Config{
		Name:        u.Name,
		Region:      region,
		Endpoint:    u.Endpoint,
		APIKey:      u.APIKey.Value(),
		Credentials: creds,
		Getenv:      b.getenv,
		Timeout:     u.Timeout.Std(),
		Catalog:     b.catalog,
		Guardrail:   guardrail(u.GuardrailID, u.GuardrailVersion, u.GuardrailTrace, u.GuardrailStreamMode),
		Profiles:    b.profileFor,
		BaseModel:   b.baseModel,
		Images:      b.images,

		NoCrossRegion:     !b.cfg.Bedrock.CrossRegion(),
		PromptCaching:     bedrock.CachePolicy(b.cfg.Bedrock.PromptCaching),
		UnsupportedParams: bedrock.ParamPolicy(b.cfg.Bedrock.UnsupportedParams),
	})
}

// deploymentProvider returns the provider that serves deployment d: its
// upstream's, or, for a deployment with a guardrail of its own on a
// bedrock upstream, a client of that upstream applying this guardrail
// instead (one client per upstream and guardrail, sharing the connection
// pool with the others).
func (b *builder) deploymentProvider(providers map[string]provider.Provider, d config.Deployment) (provider.Provider, error) {
	i := slices.IndexFunc(b.cfg.Upstreams, func(u config.Upstream) bool { return u.Name == d.Upstream })
	if d.GuardrailID == "" || i < 0 || b.cfg.Upstreams[i].Type != config.TypeBedrock {
		return providers[d.Upstream], nil
	}
	u := b.cfg.Upstreams[i]
	u.GuardrailID, u.GuardrailVersion = d.GuardrailID, d.GuardrailVersion
	u.GuardrailTrace, u.GuardrailStreamMode = d.GuardrailTrace, d.GuardrailStreamMode
	key := strings.Join([]string{u.Name, u.GuardrailID, u.GuardrailVersion, u.GuardrailTrace, u.GuardrailStreamMode}, "\x00")
	if p, ok := b.guarded[key]; ok {
		return p, nil
	}
	p, err := b.newBedrockUpstream(u)
	if err != nil {
		return nil, err
	}
	if b.guarded == nil {
		b.guarded = make(map[string]provider.Provider)
	}
	b.guarded[key] = p
	return p, nil
}

// profileFor is the Bedrock clients' profile lookup: the cross-region
// profile discovery found for a model, when discovery runs.
func (b *builder) profileFor(modelID string) (string, bool) {
	d := b.discovery.Load()
	if d == nil {
		return "", false
	}
	return d.Current().ProfileFor(modelID)
}

// baseModel is the Bedrock clients' catalogue fallback: the foundation
// model discovery found behind a name, such as an application profile ARN.
func (b *builder) baseModel(name string) (string, bool) {
	d := b.discovery.Load()
	if d == nil {
		return "", false
	}
	m, ok := d.Current().Lookup(name)
	return m.ModelID, ok && m.ModelID != ""
}

// profileCredentials loads the credentials of a named AWS shared-config
// profile, and its region when region is empty. With no profile it
// returns nil, leaving the default chain to the clients.
func profileCredentials(ctx context.Context, profile, region string) (aws.CredentialsProvider, string, error) {
	if profile == "" {
		return nil, region, nil
	}
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithSharedConfigProfile(profile)}
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, "", fmt.Errorf("AWS profile %q: %w", profile, err)
	}
	return awsCfg.Credentials, awsCfg.Region, nil
}

func guardrail(id, version, trace, streamMode string) *bedrock.GuardrailConfig {
	if id == "" {
		return nil
	}
	return &bedrock.GuardrailConfig{GuardrailIdentifier: id, GuardrailVersion: version, Trace: trace, StreamProcessingMode: streamMode}
}

// bedrockCatalog is the built-in capability table extended by
// bedrock.models_info. A row keeps the values of the built-in row its
// prefix falls under for every key it leaves out.
func bedrockCatalog(rows []config.BedrockModelInfo) *bedrock.Catalog {
	cat := bedrock.DefaultCatalog()
	for _, r := range rows {
		info, ok := cat.Lookup(r.Prefix)
		if !ok {
			info = bedrock.ModelInfo{Kind: bedrock.KindChat}
		}
		info.Prefix = r.Prefix
		if r.Kind != "" {
			info.Kind = bedrock.ModelKind(r.Kind)
		}
		for _, f := range []struct {
			from *bool
			to   *bool
		}{
			{r.System, &info.System},
			{r.Vision, &info.Vision},
			{r.Documents, &info.Documents},
			{r.Tools, &info.Tools},
			{r.ToolChoice, &info.ToolChoice},
			{r.PromptCaching, &info.PromptCaching},
			{r.ToolCaching, &info.ToolCaching},
			{r.ExclusiveSampling, &info.ExclusiveSampling},
			{r.NoAssistantPrefill, &info.NoAssistantPrefill},
			{r.StructuredOutput, &info.StructuredOutput},
		} {
			if f.from != nil {
				*f.to = *f.from
			}
		}
		switch r.Reasoning {
		case "":
		case "none":
			info.Reasoning = bedrock.ReasoningNone
		default:
			info.Reasoning = bedrock.Reasoning(r.Reasoning)
		}
		for _, f := range []struct{ from, to *int }{
			{&r.ContextWindow, &info.ContextWindow},
			{&r.MaxOutputTokens, &info.MaxOutputTokens},
			{&r.Dimensions, &info.Dimensions},
		} {
			if *f.from != 0 {
				*f.to = *f.from
			}
		}
		// The default follows a new output limit unless set explicitly.
		info.DefaultMaxTokens = r.DefaultMaxTokens
		if info.DefaultMaxTokens == 0 && r.MaxOutputTokens == 0 {
			if old, ok := cat.Lookup(r.Prefix); ok {
				info.DefaultMaxTokens = old.DefaultMaxTokens
			}
		}
		cat = cat.Extend(info)
	}
	return cat
}

// runBackground starts the gateway's background tasks with a context
// derived from ctx, and returns a function that stops them and waits for
// them to return.
func (g *Gateway) runBackground(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, run := range g.background {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run(ctx)
		}()
	}
	return func() {
		cancel()
		wg.Wait()
	}
}
