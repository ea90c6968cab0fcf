package app

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/outcrop/outcrop/internal/apidocs"
	"github.com/outcrop/outcrop/internal/config"
	"github.com/outcrop/outcrop/internal/provider"
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
	Router *provider.Router
	Server *server.Server
	// Demo is true when the built-in demo upstream is served.
	Demo bool
}

// Build turns a validated configuration into a Gateway.
func Build(cfg *config.Config, logger *slog.Logger) (*Gateway, error) {
	router, err := buildRouter(cfg)
	if err != nil {
		return nil, err
	}
	srv := server.New(server.Options{
		Router:       router,
		Logger:       logger,
		MaxBodyBytes: cfg.Server.MaxBodyBytes,
		Heartbeat:    cfg.Server.Heartbeat.Std(),
		Extra:        func(mux *http.ServeMux) { apidocs.Register(mux) },
	})
	return &Gateway{Config: cfg, Router: router, Server: srv, Demo: cfg.DemoEnabled()}, nil
}

// buildRouter creates one provider per upstream and one route per model.
func buildRouter(cfg *config.Config) (*provider.Router, error) {
	providers := make(map[string]provider.Provider, len(cfg.Upstreams))
	for _, u := range cfg.Upstreams {
		p, err := newUpstream(u)
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
			rt.Deployments = append(rt.Deployments, &provider.Deployment{
				Name:     d.Upstream + "/" + d.Model,
				Model:    d.Model,
				Provider: providers[d.Upstream],
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
	return provider.NewRouter(routes, aliases)
}

// newUpstream creates the provider for one upstream entry.
func newUpstream(u config.Upstream) (provider.Provider, error) {
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
