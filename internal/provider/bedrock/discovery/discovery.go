// Package discovery finds the Amazon Bedrock models a region serves, the
// way aws-samples/bedrock-access-gateway does: ListFoundationModels for the
// chat and embedding models, ListInferenceProfiles for cross-region
// (system-defined) and application profiles. A Discoverer keeps the last
// good list and refreshes it in the background, never per request.
//
// The control plane is called through the official SDK client: these
// calls are rare and off the hot path, so the SDK's serialisers, retries
// and credential handling cost nothing that matters here.
package discovery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	awsbedrock "github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/bedrock/types"
	"github.com/aws/smithy-go/auth/bearer"

	"github.com/outcrop/outcrop/internal/awsclient"
	"github.com/outcrop/outcrop/internal/provider/bedrock"
)

// Defaults for the zero fields of Config.
const (
	DefaultInterval      = 10 * time.Minute
	DefaultRetryInterval = 30 * time.Second
)

// Environment variables read through Config.Getenv, with the AWS SDKs'
// meaning. AWS_ENDPOINT_URL_BEDROCK is the control plane's own variable
// (service ID "Bedrock").
const (
	EnvEndpointControl          = "AWS_ENDPOINT_URL_BEDROCK"
	EnvEndpoint                 = "AWS_ENDPOINT_URL"
	EnvIgnoreConfiguredEndpoint = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"
	EnvBearerToken              = "AWS_BEARER_TOKEN_BEDROCK"
)

// Config configures a Discoverer. Zero fields mean their documented
// default.
type Config struct {
	// Region is the AWS region to list. Required.
	Region string
	// Endpoint overrides the control plane's base URL. Default:
	// AWS_ENDPOINT_URL_BEDROCK, else AWS_ENDPOINT_URL (both ignored when
	// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true), else the SDK's
	// regional endpoint.
	Endpoint string
	// Profile is the AWS shared-config profile for credentials. Default:
	// the SDK's (AWS_PROFILE, else "default").
	Profile string
	// APIKey is a Bedrock API key, sent as a bearer token instead of SigV4.
	// Default AWS_BEARER_TOKEN_BEDROCK. Bearer tokens need HTTPS.
	APIKey string
	// Credentials sign with SigV4. Default: the SDK's default chain.
	Credentials aws.CredentialsProvider
	// HTTPClient sends the requests. Default: the SDK's.
	HTTPClient aws.HTTPClient
	// Getenv reads the environment. Default: none set.
	Getenv func(string) string
	// CrossRegion serves system-defined (cross-region) inference profiles.
	CrossRegion bool
	// ApplicationProfiles serves application inference profiles, named by
	// their ARN.
	ApplicationProfiles bool
	// Allow and Deny filter the models; see Options.
	Allow, Deny []string
	// Catalog tells chat from embedding models. Default: the built-in one.
	Catalog *bedrock.Catalog
	// Interval is the time between refreshes. Default 10m.
	Interval time.Duration
	// RetryInterval is the time before the next attempt after a failed
	// refresh. Default 30s, and never more than Interval.
	RetryInterval time.Duration
	// Logger receives refresh failures and changes. Default: discarded.
	Logger *slog.Logger
	// OnChange is called with each new snapshot that differs from the
	// previous one, from the goroutine that refreshed. Default: none.
	OnChange func(*Snapshot)
	// PageSize is the maxResults of each ListInferenceProfiles call.
	// Default DefaultPageSize (1000, the most the API allows).
	PageSize int32
	// ControlPlane replaces the SDK client built from the fields above.
	ControlPlane ControlPlane
}

// Discoverer lists Bedrock's models and keeps the last good list. It is
// safe for concurrent use.
type Discoverer struct {
	cfg     Config
	cp      ControlPlane
	current atomic.Pointer[Snapshot]
	failing atomic.Bool
	// mu serialises refreshes, so that OnChange sees them in order.
	mu sync.Mutex
}

// New returns a Discoverer. It reads the AWS configuration (files and
// environment) but calls nothing; Refresh does the first listing.
func New(ctx context.Context, cfg Config) (*Discoverer, error) {
	if cfg.Region == "" {
		return nil, errors.New("bedrock discovery: no region")
	}
	if cfg.Getenv == nil {
		cfg.Getenv = func(string) string { return "" }
	}
	if cfg.Catalog == nil {
		cfg.Catalog = bedrock.DefaultCatalog()
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = DefaultRetryInterval
	}
	cfg.RetryInterval = min(cfg.RetryInterval, cfg.Interval)
	if cfg.PageSize <= 0 {
		cfg.PageSize = DefaultPageSize
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	d := &Discoverer{cfg: cfg, cp: cfg.ControlPlane}
	if d.cp == nil {
		cp, err := newControlPlane(ctx, cfg)
		if err != nil {
			return nil, err
		}
		d.cp = cp
	}
	return d, nil
}

// newControlPlane builds the SDK client for cfg.
func newControlPlane(ctx context.Context, cfg Config) (*awsbedrock.Client, error) {
	opts := []func(*config.LoadOptions) error{config.WithRegion(cfg.Region)}
	if cfg.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(cfg.Profile))
	}
	if cfg.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(cfg.Credentials))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("bedrock discovery: load AWS configuration: %w", err)
	}
	endpoint := controlEndpoint(cfg.Endpoint, cfg.Getenv)
	key := cfg.APIKey
	if key == "" {
		key = strings.TrimSpace(cfg.Getenv(EnvBearerToken))
	}
	return awsbedrock.NewFromConfig(awsCfg, func(o *awsbedrock.Options) {
		// Set on the client rather than the loaded configuration, which
		// refuses a plain *http.Client when AWS_CA_BUNDLE is set.
		if cfg.HTTPClient != nil {
			o.HTTPClient = cfg.HTTPClient
		}
		o.HTTPClient = awsclient.HTTP(o.HTTPClient)
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		if key != "" {
			o.BearerAuthTokenProvider = bearer.StaticTokenProvider{Token: bearer.Token{Value: key}}
			o.AuthSchemePreference = []string{"httpBearerAuth"}
		}
	}), nil
}

// controlEndpoint returns the override, else the SDK's endpoint variables
// read through getenv, else "" for the SDK's default.
func controlEndpoint(override string, getenv func(string) string) string {
	if v := strings.TrimSpace(override); v != "" {
		return v
	}
	if strings.EqualFold(strings.TrimSpace(getenv(EnvIgnoreConfiguredEndpoint)), "true") {
		return ""
	}
	if v := strings.TrimSpace(getenv(EnvEndpointControl)); v != "" {
		return v
	}
	return strings.TrimSpace(getenv(EnvEndpoint))
}

// Current returns the last good snapshot, or nil before the first
// successful refresh.
func (d *Discoverer) Current() *Snapshot { return d.current.Load() }

// Refresh lists the models now. On success the new snapshot becomes
// current (OnChange runs if it differs); on failure the last good one
// stays, the failure is logged and returned.
func (d *Discoverer) Refresh(ctx context.Context) (*Snapshot, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	snap, err := d.list(ctx)
	if err != nil {
		d.failing.Store(true)
		old := d.current.Load()
		d.cfg.Logger.Warn("bedrock model discovery failed; keeping the last list",
			"region", d.cfg.Region, "models", len(old.Names()), "error", err)
		return old, err
	}
	d.failing.Store(false)
	if old := d.current.Swap(snap); !snap.Equal(old) {
		d.cfg.Logger.Info("bedrock models discovered", "region", d.cfg.Region, "models", len(snap.Models))
		if d.cfg.OnChange != nil {
			d.cfg.OnChange(snap)
		}
	}
	return snap, nil
}

// list makes the control-plane calls of one refresh.
func (d *Discoverer) list(ctx context.Context) (*Snapshot, error) {
	models, err := ListFoundationModels(ctx, d.cp, d.cfg.Catalog)
	if err != nil {
		return nil, err
	}
	var system, application []Profile
	if d.cfg.CrossRegion {
		if system, err = listInferenceProfiles(ctx, d.cp, types.InferenceProfileTypeSystemDefined, d.cfg.PageSize); err != nil {
			return nil, err
		}
	}
	if d.cfg.ApplicationProfiles {
		if application, err = listInferenceProfiles(ctx, d.cp, types.InferenceProfileTypeApplication, d.cfg.PageSize); err != nil {
			return nil, err
		}
	}
	return Build(models, system, application, Options{Region: d.cfg.Region, Allow: d.cfg.Allow, Deny: d.cfg.Deny}), nil
}

// Run refreshes every Interval (every RetryInterval while refreshes fail)
// until ctx is done. It does not refresh at once: call Refresh first.
func (d *Discoverer) Run(ctx context.Context) {
	timer := time.NewTimer(d.nextWait())
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		_, _ = d.Refresh(ctx) // a failure is logged and keeps the last list
		timer.Reset(d.nextWait())
	}
}

func (d *Discoverer) nextWait() time.Duration {
	if d.failing.Load() || d.current.Load() == nil {
		return d.cfg.RetryInterval
	}
	return d.cfg.Interval
}
