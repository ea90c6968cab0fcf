package app

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/outcrop/outcrop/internal/config"
	"github.com/outcrop/outcrop/internal/retrieval"
	"github.com/outcrop/outcrop/internal/retrieval/ingest"
	"github.com/outcrop/outcrop/internal/retrieval/vectorindex"
)

const indexUsage = `Usage:
  outcrop index build --store NAME PATH...   chunk, embed and index files (txt, md, html)
  outcrop index query --store NAME TEXT      print the best passages with their scores

NAME is a local store of retrieval.stores (type local or faiss); its path,
embedding model and chunk sizes come from there. Every command takes
--config FILE. An interrupted build resumes where it stopped: finished
files are kept in NAME's journal beside the index and not embedded again.
The index is written atomically, so a gateway serving it swaps to the new
one without a restart.

Flags:
  --concurrency N   embedding calls at once (build; default 4)
  --batch N         texts per embedding call (build; default 32)
  -k N              passages to print (query; default the store's top_k)
  --json            print JSON
`

// runIndex runs `outcrop index ...`.
func runIndex(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || (args[0] != "build" && args[0] != "query") {
		fmt.Fprint(env.Stderr, indexUsage)
		return errUsage
	}
	cmd := args[0]
	fs := flag.NewFlagSet("outcrop index "+cmd, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	configFile := fs.String("config", "", "configuration file (env OUTCROP_CONFIG; default ./outcrop.yaml if present)")
	storeName := fs.String("store", "", "the local store to build or query")
	asJSON := fs.Bool("json", false, "print JSON")
	concurrency := fs.Int("concurrency", 0, "embedding calls at once")
	batch := fs.Int("batch", 0, "texts per embedding call")
	k := fs.Int("k", 0, "passages to print")
	rest, err := parseInterspersed(fs, args[1:])
	if err != nil || *storeName == "" || len(rest) == 0 {
		fmt.Fprint(env.Stderr, indexUsage)
		return errUsage
	}
	cfg, err := loadConfig(configPath(*configFile, env.Getenv), env.Getenv)
	if err != nil {
		fmt.Fprintf(env.Stderr, "outcrop index: invalid configuration:\n%v\n", err)
		return err
	}
	sc := cfg.Store(*storeName)
	if err := localStoreOf(cfg, *storeName, sc); err != nil {
		fmt.Fprintf(env.Stderr, "outcrop index: %v\n", err)
		return err
	}
	emb, err := indexEmbedder(ctx, cfg, sc, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "outcrop index: %v\n", err)
		return err
	}
	if cmd == "build" {
		err = buildIndex(ctx, cfg, sc, emb, rest, ingestTuning{concurrency: *concurrency, batch: *batch, json: *asJSON}, env)
	} else {
		err = queryIndex(ctx, sc, emb, strings.Join(rest, " "), *k, *asJSON, env)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "outcrop index %s: %v\n", cmd, err)
	}
	return err
}

// localStoreOf checks that name is a local store of cfg.
func localStoreOf(cfg *config.Config, name string, sc *config.RetrievalStore) error {
	if sc == nil {
		var names []string
		for _, s := range cfg.Retrieval.Stores {
			names = append(names, s.Name)
		}
		if len(names) == 0 {
			return fmt.Errorf("no store %q: the configuration has no retrieval.stores (add one: {name: %s, type: local})", name, name)
		}
		return fmt.Errorf("no store %q in retrieval.stores (have %s)", name, strings.Join(names, ", "))
	}
	if !sc.Local() {
		return fmt.Errorf("store %q is of type %s; only local stores are built here (Kendra and Knowledge Bases are indexed by AWS)", name, sc.Type)
	}
	return nil
}

// indexEmbedder is the store's embedding model on the configured
// upstreams (the demo's when no upstream is configured).
func indexEmbedder(ctx context.Context, cfg *config.Config, sc *config.RetrievalStore, env Env) (retrieval.Embedder, error) {
	model := cfg.StoreEmbeddingModel(sc)
	if model == "" {
		return nil, errors.New("no embedding model: set retrieval.embedding_model (or the store's embedding_model)")
	}
	logger := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	gw, _, err := buildRoutes(ctx, cfg, logger, env.Getenv)
	if err != nil {
		return nil, err
	}
	return (&cachedEmbedder{}).forModel(gw.Router, model), nil
}

// ingestTuning are the build's flags.
type ingestTuning struct {
	concurrency, batch int
	json               bool
}

// buildIndex chunks and embeds paths and writes the store's index.
func buildIndex(ctx context.Context, cfg *config.Config, sc *config.RetrievalStore, emb retrieval.Embedder, paths []string, tune ingestTuning, env Env) error {
	journal := sc.Path + ".journal"
	if err := os.MkdirAll(filepath.Dir(sc.Path), 0o755); err != nil {
		return err
	}
	model := cfg.StoreEmbeddingModel(sc)
	res, err := ingest.Run(ctx, paths, ingest.Options{
		Embedder: emb, Model: model, Journal: journal,
		Chunker:     ingest.Chunker{Size: sc.ChunkTokens, Overlap: sc.ChunkOverlap},
		BatchSize:   tune.batch,
		Concurrency: tune.concurrency,
		Progress:    env.Stderr,
		Terminal:    isTerminal(env.Stderr),
	})
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted; the files embedded so far are kept in %s, and running the same command again resumes there", journal)
		}
		return err
	}
	if len(res.Records) == 0 {
		return fmt.Errorf("no text found in %s (%d files skipped): the builder reads .txt, .md and .html files", strings.Join(paths, " "), len(res.Skipped))
	}
	metric, err := vectorindex.ParseMetric(sc.Metric)
	if err != nil {
		return err
	}
	b, err := vectorindex.NewBuilder(vectorindex.Options{Dim: len(res.Records[0].Vector), Metric: metric, Model: model})
	if err != nil {
		return err
	}
	b.Grow(len(res.Records))
	for _, r := range res.Records {
		c := vectorindex.Chunk{
			ID: r.ID, Text: r.Text, Source: r.Source, Title: r.Title,
			Metadata: map[string]string{"chunk": strconv.Itoa(r.Index), "tokens": strconv.Itoa(r.Tokens)},
		}
		if err := b.Add(r.Vector, c); err != nil {
			return fmt.Errorf("%s: %w", r.Source, err)
		}
	}
	ix, err := b.Build()
	if err != nil {
		return err
	}
	if err := ix.WriteFile(sc.Path); err != nil {
		return err
	}
	if err := ingest.Clean(journal); err != nil {
		return err
	}
	st := res.Stats
	if tune.json {
		return json.NewEncoder(env.Stdout).Encode(map[string]any{
			"store": sc.Name, "path": sc.Path, "model": model, "dimensions": ix.Dim(), "files": st.Files,
			"skipped": len(res.Skipped), "chunks": st.Chunks, "embedded": st.Embedded, "resumed": st.Resumed,
			"seconds": st.Elapsed.Seconds(),
		})
	}
	fmt.Fprintf(env.Stdout, "indexed %d chunks from %d files into %s (%s, %d dimensions, %d embedded now, %d resumed, %d files skipped) in %s\n",
		st.Chunks, st.Files, sc.Path, model, ix.Dim(), st.Embedded, st.Resumed, len(res.Skipped), st.Elapsed.Round(time.Millisecond))
	return nil
}

// queryIndex prints the store's best passages for text.
func queryIndex(ctx context.Context, sc *config.RetrievalStore, emb retrieval.Embedder, text string, k int, asJSON bool, env Env) error {
	h, err := vectorindex.OpenHandle(sc.Path)
	if err != nil {
		if notBuilt(err) {
			return fmt.Errorf("the index %s is not built yet: run `outcrop index build --store %s PATH...`", sc.Path, sc.Name)
		}
		return err
	}
	if k <= 0 {
		k = sc.TopK
	}
	hits, err := vectorindex.NewRetriever(h, emb, k).Retrieve(ctx, retrieval.Query{Text: text, TopK: k, MinScore: sc.MinScore})
	if err != nil {
		return err
	}
	if asJSON {
		if hits == nil {
			hits = []retrieval.Hit{}
		}
		return json.NewEncoder(env.Stdout).Encode(hits)
	}
	if len(hits) == 0 {
		fmt.Fprintln(env.Stdout, "no passages")
		return nil
	}
	for i, hit := range hits {
		fmt.Fprintf(env.Stdout, "%d. %.4f  %s", i+1, hit.Score, hit.Source)
		if hit.Title != "" {
			fmt.Fprintf(env.Stdout, "  (%s)", hit.Title)
		}
		fmt.Fprintf(env.Stdout, "\n   %s\n", excerpt(hit.Text, 200))
	}
	return nil
}

// excerpt is text on one line, cut at n bytes on a rune boundary.
func excerpt(text string, n int) string {
	s := strings.Join(strings.Fields(text), " ")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// isTerminal reports whether w is a terminal, where the build draws a
// progress bar.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
