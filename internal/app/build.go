package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/outcrop/outcrop/internal/apidocs"
	"github.com/outcrop/outcrop/internal/config"
	"github.com/outcrop/outcrop/internal/provider"
	"github.com/outcrop/outcrop/internal/provider/bedrock"
	"github.com/outcrop/outcrop/internal/provider/bedrock/discovery"
	"github.com/outcrop/outcrop/internal/provider/demo"
	"github.com/outcrop/outcrop/internal/provider/openaicompat"
	"github.com/outcrop/outcrop/internal/server"
)

// loadConfig reads and validates a configuration file; path "" means
// defaults and environment only.
func loadConfig(path string, getenv func(string) string) (*config.Config, error) {
	cfg, err := config.Load(path, getenv)
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// Gateway is a built, ready-to-serve Outcrop.
type Gateway struct {
	Config *config.Config
	// Router is the current router; with Bedrock discovery it changes
	// when the discovered models do.
	Router server.Routes
	Server *server.Server
	// Demo is true when the built-in demo upstream is served.
	Demo bool

	// discovery lists the Bedrock models; nil when discovery is off.
	discovery *discovery.Discoverer
	// background runs while the gateway serves (Serve starts and stops
	// it): the discovery refresh loop, the key cache's refresh.
	background []func(context.Context)
	// access is keys, limits and the ledger.
	access *accessParts
	// native is the native API's stores and context source.
	native *nativeParts
}

// Close flushes the usage ledger and closes the database and Redis
// connections. Serve calls it on the way out; a Gateway that was built
// but never served must be closed by its builder.
func (g *Gateway) Close(ctx context.Context) error {
	if g.native != nil {
		g.native.close()
		g.native = nil
	}
	if g.access == nil {
		return nil
	}
	err := g.access.close(ctx)
	g.access = nil
	return err
}

// Build turns a validated configuration into a Gateway, reading the
// process environment (AWS variables for Bedrock); see BuildEnv.
func Build(cfg *config.Config, logger *slog.Logger) (*Gateway, error) {
	return BuildEnv(context.Background(), cfg, logger, os.Getenv)
}

// BuildEnv is Build with the environment given: getenv supplies the AWS
// region, endpoint and API-key variables to Bedrock clients. (The AWS
// SDK's default credentials chain reads the process environment and files
// whatever getenv says.) With Bedrock discovery on, it lists the models
// before returning, for up to 30 seconds.
func BuildEnv(ctx context.Context, cfg *config.Config, logger *slog.Logger, getenv func(string) string) (*Gateway, error) {
	gw, b, err := buildRoutes(ctx, cfg, logger, getenv)
	if err != nil {
		return nil, err
	}
	ap, err := b.buildAccess()
	if err != nil {
		return nil, err
	}
	gw.access = ap
	gw.background = append(gw.background, ap.cache.Run)
	np, err := b.buildNative(gw.Router, ap.redis)
	if err != nil {
		_ = gw.Close(ctx)
		return nil, err
	}
	gw.native = np
	gw.background = append(gw.background, np.background...)
	gw.Server = server.New(server.Options{
		Router:         gw.Router,
		Logger:         logger,
		MaxBodyBytes:   cfg.Server.MaxBodyBytes,
		Heartbeat:      cfg.Server.Heartbeat.Std(),
		Extra:          func(mux *http.ServeMux) { apidocs.Register(mux) },
		Auth:           ap.auth,
		Gate:           ap.gate,
		Keys:           ap.keys,
		AllowedOrigins: cfg.CORS.AllowedOrigins,
		Native:         np.native,
		Augment:        np.augment,
	})
	return gw, nil
}

// buildRoutes builds the providers and the router (with Bedrock discovery
// when it is on): what serving and the index CLI share.
func buildRoutes(ctx context.Context, cfg *config.Config, logger *slog.Logger, getenv func(string) string) (*Gateway, *builder, error) {
	b := &builder{ctx: ctx, cfg: cfg, logger: logger, getenv: getenv, catalog: bedrockCatalog(cfg.Bedrock.ModelsInfo), images: imageFetcher(cfg.ImageFetch)}
	set, err := b.routeSet()
	if err != nil {
		return nil, nil, err
	}
	live := &liveRouter{}
	gw := &Gateway{Config: cfg, Router: live, Demo: cfg.DemoEnabled()}
	if cfg.BedrockEnabled() {
		// The first listing installs its router through OnChange.
		if err := b.startDiscovery(gw, live, set); err != nil {
			return nil, nil, err
		}
	}
	if live.p.Load() == nil {
		// No discovery, or nothing discovered yet (the default models are
		// served by the Bedrock client even then).
		router, err := set.router(nil)
		if err != nil {
			return nil, nil, err
		}
		live.p.Store(router)
	}
	return gw, b, nil
}

// builder holds what building a gateway needs.
type builder struct {
	ctx     context.Context
	cfg     *config.Config
	logger  *slog.Logger
	getenv  func(string) string
	catalog *bedrock.Catalog
	// images fetches remote image URLs for the Bedrock clients; nil when
	// image_fetch is off.
	images bedrock.ImageFetcher
	// discovery lists the Bedrock models when the bedrock section is on;
	// set once before serving, read by the Bedrock clients' lookups.
	discovery atomic.Pointer[discovery.Discoverer]
	// guarded holds the Bedrock clients made for deployments with a
	// guardrail of their own, by upstream and guardrail (see
	// deploymentProvider).
	guarded map[string]provider.Provider
}

// routeSet creates one provider per upstream and one route per configured
// model (and the demo models).
func (b *builder) routeSet() (*routeSet, error) {
	cfg := b.cfg
	providers := make(map[string]provider.Provider, len(cfg.Upstreams))
	for _, u := range cfg.Upstreams {
		p, err := b.newUpstream(u)
		if err != nil {
			return nil, fmt.Errorf("upstream %q: %w", u.Name, err)
		}
		providers[u.Name] = p
	}
	var routes []*provider.Route
	aliases := map[string]string{}
	for _, m := range cfg.Models {
		rt := &provider.Route{Name: m.Name, OwnedBy: m.OwnedBy}
		for _, d := range m.Deployments {
			p, err := b.deploymentProvider(providers, d)
			if err != nil {
				return nil, fmt.Errorf("model %q: %w", m.Name, err)
			}
			rt.Deployments = append(rt.Deployments, &provider.Deployment{
				Name:     d.Upstream + "/" + d.Model,
				Model:    d.Model,
				Provider: p,
			})
		}
		routes = append(routes, rt)
		for _, a := range m.Aliases {
			aliases[a] = m.Name
		}
	}
	for a, target := range cfg.Aliases {
		aliases[a] = target
	}
	// A retrieval model routes like an alias of the model that answers
	// (an alias's target when it names an alias).
	for _, m := range cfg.Retrieval.Models {
		target := m.Model
		if t, ok := aliases[target]; ok {
			target = t
		}
		aliases[m.Name] = target
	}
	if cfg.DemoEnabled() {
		d := demo.New(demo.Config{TokenDelay: cfg.Demo.TokenDelay.Std()})
		for _, name := range demo.Models() {
			routes = append(routes, &provider.Route{
				Name:        name,
				OwnedBy:     demo.OwnedBy,
				Created:     demo.Created,
				Deployments: []*provider.Deployment{{Name: "demo/" + name, Model: name, Provider: d}},
			})
		}
	}
	return &routeSet{
		routes:   routes,
		aliases:  aliases,
		defaults: provider.Defaults{Chat: cfg.Bedrock.DefaultModel, Embedding: cfg.Bedrock.DefaultEmbeddingModel},
		created:  time.Now().Unix(),
		logger:   b.logger,
	}, nil
}

// newUpstream creates the provider for one upstream entry.
func (b *builder) newUpstream(u config.Upstream) (provider.Provider, error) {
	if u.Type == config.TypeBedrock {
		return b.newBedrockUpstream(u)
	}
	dialect := openaicompat.DialectOpenAI
	switch u.Type {
	case config.TypeAzure:
		dialect = openaicompat.DialectAzure
	case config.TypeAzureV1:
		dialect = openaicompat.DialectAzureV1
	}
	headers := make(map[string]string, len(u.Headers))
	for k, v := range u.Headers {
		headers[k] = v.Value()
	}
	return openaicompat.New(openaicompat.Config{
		Name:       u.Name,
		Dialect:    dialect,
		BaseURL:    u.BaseURL,
		APIKey:     u.APIKey.Value(),
		APIVersion: u.APIVersion,
		Headers:    headers,
		Timeout:    u.Timeout.Std(),
	})
}
