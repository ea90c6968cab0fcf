package app

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/outcrop/outcrop/internal/access"
	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/store"
)

const keysUsage = `Usage:
  outcrop keys create --name NAME [key flags]   create a key; its secret is printed once
  outcrop keys list                             list every key
  outcrop keys show KEY                         a key and its spend this budget period
  outcrop keys update KEY [key flags]           change a key's settings
  outcrop keys revoke KEY                       refuse the key from now on, on every replica
  outcrop keys rotate KEY                       give the key a new secret (printed once)
  outcrop keys reset-budget KEY                 count the key's spend afresh from now

KEY is a key's ID (key_...) or name. Every command takes --config FILE and
--json; the database is the configuration's (DATABASE_URL, else the SQLite
file in storage.data_dir), so run it where the gateway's data is.

Key flags:
  --owner, --team TEXT          who the key is for
  --models a,b                  the model names it may use (default all)
  --rpm, --tpm, --concurrency N limits per minute and in flight (0: none)
  --budget USD --period P       spend budget per day, month or total
  --expires-in DURATION         e.g. 720h
  --metadata k=v                forwarded to Bedrock requestMetadata (repeat)
  --guardrail-id ID --guardrail-version V   a Bedrock guardrail for the key
`

// runKeys runs `outcrop keys ...`.
func runKeys(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(env.Stderr, keysUsage)
		return errUsage
	}
	cmd := args[0]
	fs := flag.NewFlagSet("outcrop keys "+cmd, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	configFile := fs.String("config", "", "configuration file (env OUTCROP_CONFIG; default ./outcrop.yaml if present)")
	asJSON := fs.Bool("json", false, "print JSON")
	var spec access.KeySpec
	if cmd == "create" || cmd == "update" {
		specFlags(fs, &spec)
	}
	// Flags may come before or after the key argument.
	rest, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return errUsage
	}
	needKey := cmd != "create" && cmd != "list"
	if (needKey && len(rest) != 1) || (!needKey && len(rest) != 0) {
		fmt.Fprint(env.Stderr, keysUsage)
		return errUsage
	}
	cfg, err := loadConfig(configPath(*configFile, env.Getenv), env.Getenv)
	if err != nil {
		fmt.Fprintf(env.Stderr, "outcrop keys: invalid configuration:\n%v\n", err)
		return err
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		fmt.Fprintf(env.Stderr, "outcrop keys: %v\n", err)
		return err
	}
	defer db.Close()
	k := &access.Keys{DB: db}
	out := &keyPrinter{w: env.Stdout, json: *asJSON, now: time.Now()}
	err = runKeyCommand(ctx, k, cmd, rest, spec, out)
	if err != nil {
		var oe *openai.Error
		if errors.As(err, &oe) {
			fmt.Fprintf(env.Stderr, "outcrop keys %s: %s\n", cmd, oe.Message)
		} else {
			fmt.Fprintf(env.Stderr, "outcrop keys %s: %v\n", cmd, err)
		}
	}
	return err
}

func runKeyCommand(ctx context.Context, k *access.Keys, cmd string, rest []string, spec access.KeySpec, out *keyPrinter) error {
	switch cmd {
	case "create":
		key, secret, err := k.Create(ctx, spec)
		if err != nil {
			return err
		}
		return out.key(key, secret)
	case "list":
		keys, err := k.List(ctx)
		if err != nil {
			return err
		}
		return out.list(keys)
	case "show":
		key, err := k.Get(ctx, rest[0])
		if err != nil {
			return err
		}
		rep, err := k.Spend(ctx, key.ID)
		if err != nil {
			return err
		}
		return out.show(key, rep)
	case "update":
		key, err := k.Update(ctx, rest[0], spec)
		return out.keyOr(key, err)
	case "revoke":
		key, err := k.Revoke(ctx, rest[0])
		return out.keyOr(key, err)
	case "reset-budget":
		key, err := k.ResetBudget(ctx, rest[0])
		return out.keyOr(key, err)
	case "rotate":
		key, secret, err := k.Rotate(ctx, rest[0])
		if err != nil {
			return err
		}
		return out.key(key, secret)
	}
	return fmt.Errorf("unknown command %q (see outcrop keys help): %w", cmd, errUsage)
}

// parseInterspersed parses flags that may come before or after the
// positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return rest, nil
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// specFlags binds the key flags to spec; only flags given are set.
func specFlags(fs *flag.FlagSet, spec *access.KeySpec) {
	str := func(name, usage string, dst **string) {
		fs.Func(name, usage, func(v string) error { *dst = &v; return nil })
	}
	num := func(name, usage string, dst **int64) {
		fs.Func(name, usage, func(v string) error {
			var n int64
			if _, err := fmt.Sscan(v, &n); err != nil {
				return errors.New("want a whole number")
			}
			*dst = &n
			return nil
		})
	}
	str("name", "the key's unique name", &spec.Name)
	str("owner", "who the key belongs to", &spec.Owner)
	str("team", "the owner's team", &spec.Team)
	fs.Func("models", "comma-separated model names the key may use", func(v string) error {
		var ms []string
		for _, m := range strings.Split(v, ",") {
			if m = strings.TrimSpace(m); m != "" {
				ms = append(ms, m)
			}
		}
		spec.Models = &ms
		return nil
	})
	num("rpm", "requests per minute (0: no limit)", &spec.RPM)
	num("tpm", "tokens per minute (0: no limit)", &spec.TPM)
	num("concurrency", "requests in flight (0: no limit)", &spec.Concurrency)
	fs.Func("budget", "spend budget in US dollars per period", func(v string) error {
		var f float64
		if _, err := fmt.Sscan(v, &f); err != nil {
			return errors.New("want an amount in dollars, like 25 or 2.50")
		}
		spec.BudgetUSD = &f
		return nil
	})
	str("period", "the budget's period: day, month or total", &spec.BudgetPeriod)
	str("expires-in", "the key's lifetime, e.g. 720h", &spec.ExpiresIn)
	fs.Func("metadata", "k=v attribution pair for Bedrock requestMetadata (repeat)", func(v string) error {
		k, val, ok := strings.Cut(v, "=")
		if !ok || k == "" {
			return errors.New("want key=value")
		}
		if spec.Metadata == nil {
			spec.Metadata = &map[string]string{}
		}
		(*spec.Metadata)[k] = val
		return nil
	})
	str("guardrail-id", "a Bedrock guardrail applied to the key's requests", &spec.GuardrailID)
	str("guardrail-version", "the guardrail's version", &spec.GuardrailVersion)
}

// keyPrinter prints keys for people or as JSON.
type keyPrinter struct {
	w    io.Writer
	json bool
	now  time.Time
}

func (p *keyPrinter) keyOr(k *store.Key, err error) error {
	if err != nil {
		return err
	}
	return p.key(k, "")
}

func (p *keyPrinter) key(k *store.Key, secret string) error {
	v := access.View(k, secret, p.now)
	if p.json {
		return p.encode(v)
	}
	p.fields(v)
	if secret != "" {
		fmt.Fprintf(p.w, "\nsecret: %s\nStore it now: it is not kept and cannot be shown again.\n", secret)
	}
	return nil
}

func (p *keyPrinter) show(k *store.Key, rep *access.SpendReport) error {
	v := access.View(k, "", p.now)
	if p.json {
		return p.encode(struct {
			access.KeyView
			Spend *access.SpendReport `json:"spend"`
		}{v, rep})
	}
	p.fields(v)
	fmt.Fprintf(p.w, "\nspend since %s: $%.6f in %d requests (%d input, %d output tokens)\n",
		rep.Since.Format(time.RFC3339), rep.SpentUSD, rep.Requests, rep.Tokens.Input, rep.Tokens.Output)
	if rep.RemainingUSD != nil {
		fmt.Fprintf(p.w, "remaining: $%.6f of $%.2f\n", *rep.RemainingUSD, rep.BudgetUSD)
	}
	for _, m := range slices.Sorted(maps.Keys(rep.ByModel)) {
		s := rep.ByModel[m]
		fmt.Fprintf(p.w, "  %s: $%.6f, %d requests\n", m, s.SpentUSD, s.Requests)
	}
	return nil
}

func (p *keyPrinter) fields(v access.KeyView) {
	tw := tabwriter.NewWriter(p.w, 0, 4, 2, ' ', 0)
	row := func(k, val string) { fmt.Fprintf(tw, "%s:\t%s\n", k, val) }
	row("id", v.ID)
	row("name", v.Name)
	row("status", v.Status)
	row("hint", v.Hint)
	if v.Owner != "" || v.Team != "" {
		row("owner / team", v.Owner+" / "+v.Team)
	}
	row("models", orAll(strings.Join(v.Models, ", ")))
	row("limits", fmt.Sprintf("rpm %s, tpm %s, concurrency %s", limit(v.RPM), limit(v.TPM), limit(v.Concurrency)))
	if v.BudgetUSD > 0 {
		row("budget", fmt.Sprintf("$%.2f per %s", v.BudgetUSD, v.BudgetPeriod))
	}
	if v.ExpiresAt != nil {
		row("expires", v.ExpiresAt.Format(time.RFC3339))
	}
	if v.RevokedAt != nil {
		row("revoked", v.RevokedAt.Format(time.RFC3339))
	}
	if v.GuardrailID != "" {
		row("guardrail", v.GuardrailID+" version "+v.GuardrailVersion)
	}
	for mk, mv := range v.Metadata {
		row("metadata "+mk, mv)
	}
	row("created", v.CreatedAt.Format(time.RFC3339))
	_ = tw.Flush()
}

func (p *keyPrinter) list(keys []*store.Key) error {
	if p.json {
		views := make([]access.KeyView, 0, len(keys))
		for _, k := range keys {
			views = append(views, access.View(k, "", p.now))
		}
		return p.encode(views)
	}
	tw := tabwriter.NewWriter(p.w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSTATUS\tHINT\tMODELS\tRPM\tTPM\tBUDGET")
	for _, k := range keys {
		v := access.View(k, "", p.now)
		budget := "-"
		if v.BudgetUSD > 0 {
			budget = fmt.Sprintf("$%.2f/%s", v.BudgetUSD, v.BudgetPeriod)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.ID, v.Name, v.Status, v.Hint,
			orAll(strings.Join(v.Models, ",")), limit(v.RPM), limit(v.TPM), budget)
	}
	return tw.Flush()
}

func (p *keyPrinter) encode(v any) error {
	enc := json.NewEncoder(p.w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func orAll(s string) string {
	if s == "" {
		return "all"
	}
	return s
}

func limit(n int64) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprint(n)
}
