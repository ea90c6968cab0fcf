package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outcrop/outcrop/internal/access"
	"github.com/outcrop/outcrop/internal/auth"
	"github.com/outcrop/outcrop/internal/auth/masterkey"
	"github.com/outcrop/outcrop/internal/config"
	"github.com/outcrop/outcrop/internal/provider/demo"
	"github.com/outcrop/outcrop/internal/ratelimit"
	"github.com/outcrop/outcrop/internal/store"
	"github.com/outcrop/outcrop/internal/usage"
)

// accessParts are the pieces behind keys, limits, budgets and the ledger.
type accessParts struct {
	db      *store.DB
	cache   *auth.KeyCache
	ledger  *usage.Ledger
	redis   *redis.Client
	shared  *ratelimit.Redis // the limiter on redis, nil when in memory
	auth    *auth.Authenticator
	gate    *access.Gate
	keys    *access.Keys
	limiter string // "memory" or "redis", for the startup log
	master  string // where the master key came from, "" for none
}

// databaseURL is the database the configuration names: PostgreSQL, or
// the embedded SQLite file in the data directory.
func databaseURL(cfg *config.Config) string {
	if u := cfg.Storage.DatabaseURL.Value(); u != "" {
		return u
	}
	return filepath.Join(cfg.Storage.DataDir, "outcrop.db")
}

// openStore opens the configured database and runs its migrations.
func openStore(ctx context.Context, cfg *config.Config) (*store.DB, error) {
	db, err := store.Open(ctx, databaseURL(cfg))
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return db, nil
}

// buildAccess opens the database, loads the master key and the virtual
// keys, and builds the limiter, the gate and the ledger.
func (b *builder) buildAccess() (_ *accessParts, err error) {
	cfg := b.cfg
	p := &accessParts{}
	defer func() {
		if err != nil {
			p.close(context.Background())
		}
	}()
	src := masterkey.Source{
		Key: cfg.Auth.MasterKey.Value(), ParamName: cfg.Auth.MasterKeyParam, SecretARN: cfg.Auth.MasterKeySecret,
		Region: masterKeyRegion(cfg),
	}
	var master string
	if src.Configured() {
		if master, err = masterkey.Load(b.ctx, src, b.getenv); err != nil {
			return nil, err
		}
		p.master = src.Describe()
	}
	if p.db, err = openStore(b.ctx, cfg); err != nil {
		return nil, err
	}
	if n, err := usage.ReplaySpill(b.ctx, spillPath(cfg), p.db); err != nil {
		return nil, fmt.Errorf("replay the ledger's spill file: %w", err)
	} else if n > 0 {
		b.logger.Info("wrote usage records kept from the last shutdown", "records", n)
	}
	p.cache, err = auth.NewKeyCache(b.ctx, p.db, auth.KeyCacheOptions{Refresh: cfg.Auth.KeyRefresh.Std(), Logger: b.logger})
	if err != nil {
		return nil, err
	}
	p.auth = auth.New(auth.Options{MasterKey: master, Required: cfg.AuthRequired(), Keys: p.cache})
	limiter, err := p.newLimiter(b.ctx, cfg)
	if err != nil {
		return nil, err
	}
	prices, err := priceTable(cfg)
	if err != nil {
		return nil, err
	}
	p.ledger = usage.NewLedger(p.db, usage.LedgerOptions{
		BatchSize: cfg.Storage.LedgerBatch, Interval: cfg.Storage.LedgerInterval.Std(),
		SpillFile: spillPath(cfg), Logger: b.logger,
	})
	db := p.db
	p.gate = access.NewGate(access.Options{
		Limiter: limiter, Prices: prices, Ledger: p.ledger,
		Spend: func(ctx context.Context, keyID string, since time.Time) (usage.NanoUSD, error) {
			s, err := db.SpendSince(ctx, keyID, since)
			return s.Cost, err
		},
		ModelLimits:         modelLimits(cfg.Limits.Models),
		OutputTokenEstimate: cfg.Limits.OutputTokenEstimate,
		Logger:              b.logger,
	})
	p.keys = &access.Keys{DB: p.db, Cache: p.cache}
	return p, nil
}

// masterKeyRegion is the region to read the master key in: the one an ARN
// names (a secret often lives in another region than the models), else
// the Bedrock region, else the SDK's default.
func masterKeyRegion(cfg *config.Config) string {
	for _, id := range []string{cfg.Auth.MasterKeyParam, cfg.Auth.MasterKeySecret} {
		// arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE
		if parts := strings.SplitN(id, ":", 6); len(parts) == 6 && parts[0] == "arn" && parts[3] != "" {
			return parts[3]
		}
	}
	return cfg.Bedrock.Region
}

// spillPath is where usage records go when the database cannot take them
// at shutdown; they are written at the next start.
func spillPath(cfg *config.Config) string {
	return filepath.Join(cfg.Storage.DataDir, "usage-spill.jsonl")
}

func (p *accessParts) newLimiter(ctx context.Context, cfg *config.Config) (ratelimit.Limiter, error) {
	opts := ratelimit.Options{Prefix: cfg.Limits.RedisPrefix, LeaseTTL: cfg.Limits.LeaseTTL.Std()}
	u := cfg.Limits.RedisURL.Value()
	if u == "" {
		p.limiter = "memory"
		return ratelimit.NewMemory(opts), nil
	}
	ro, err := redis.ParseURL(u)
	if err != nil {
		return nil, errors.New("limits.redis_url: not a Redis URL")
	}
	p.redis = redis.NewClient(ro)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := p.redis.Ping(pctx).Err(); err != nil {
		return nil, fmt.Errorf("connect to Redis: %w", err)
	}
	p.limiter = "redis"
	p.shared = ratelimit.NewRedis(p.redis, opts)
	return p.shared, nil
}

// priceTable is the shipped prices with the configuration's on top; the
// demo models cost nothing unless configured.
func priceTable(cfg *config.Config) (*usage.PriceTable, error) {
	over := make(map[string]usage.Price, len(cfg.Prices)+len(demo.Models()))
	if cfg.DemoEnabled() {
		for _, m := range demo.Models() {
			over[m] = usage.Price{}
		}
	}
	for m, pr := range cfg.Prices {
		over[m] = usage.Price{Input: pr.Input, Output: pr.Output, CacheRead: pr.CacheRead, CacheWrite: pr.CacheWrite}
	}
	t, err := usage.NewPriceTable(over)
	if err != nil {
		return nil, fmt.Errorf("prices: %w", err)
	}
	return t, nil
}

func modelLimits(m map[string]config.RateLimit) map[string]access.Limits {
	out := make(map[string]access.Limits, len(m))
	for name, l := range m {
		out[name] = access.Limits{RPM: l.RPM, TPM: l.TPM, Concurrency: l.Concurrency}
	}
	return out
}

// close flushes the ledger and closes the connections.
func (p *accessParts) close(ctx context.Context) error {
	var errs []error
	if p.ledger != nil {
		errs = append(errs, p.ledger.Close(ctx))
	}
	if p.shared != nil {
		// The last requests' settles may still be on their way.
		if err := p.shared.Flush(ctx); err != nil {
			errs = append(errs, fmt.Errorf("settle rate limits: %w", err))
		}
	}
	if p.redis != nil {
		errs = append(errs, p.redis.Close())
	}
	if p.db != nil {
		errs = append(errs, p.db.Close())
	}
	return errors.Join(errs...)
}

// logAccess says at startup how the gateway is guarded.
func (p *accessParts) logAccess(logger *slog.Logger) {
	switch {
	case !p.auth.Required():
		logger.Warn("OPEN: no API key is required (loopback only, no master key); requests without a valid key are served anonymously",
			"virtual_keys", p.cache.Len())
	case p.master == "":
		logger.Info("API keys required; no master key, so the admin API is off (manage keys with `outcrop keys`)",
			"virtual_keys", p.cache.Len())
	default:
		logger.Info("API keys required", "master_key", p.master, "virtual_keys", p.cache.Len())
	}
	logger.Info("limits and ledger", "limiter", p.limiter, "database", p.db.Dialect())
}
