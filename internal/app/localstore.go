package app

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/outcrop/outcrop/internal/config"
	"github.com/outcrop/outcrop/internal/retrieval"
	"github.com/outcrop/outcrop/internal/retrieval/vectorindex"
)

// localStore is a local store's retriever: the index file, loaded once it
// exists (a store may be configured before its index is built), reloaded
// when it is replaced, and refused when it was built with another
// embedding model.
type localStore struct {
	name, path, model string
	emb               retrieval.Embedder
	topK              int
	every             time.Duration
	logger            *slog.Logger

	mu      sync.Mutex
	h       *vectorindex.Handle
	r       retrieval.Retriever
	lastErr error
	lastTry time.Time
}

var _ retrieval.Retriever = (*localStore)(nil)

func newLocalStore(sc *config.RetrievalStore, model string, emb retrieval.Embedder, logger *slog.Logger) *localStore {
	s := &localStore{
		name: sc.Name, path: sc.Path, model: model, emb: emb, topK: sc.TopK, every: sc.Reload.Std(), logger: logger,
	}
	if _, _, err := s.open(); err != nil && !notBuilt(err) {
		logger.Warn("local index cannot be loaded; the store answers 503 until it can", "store", s.name, "path", s.path, "error", err)
	}
	return s
}

// open loads the index file if it is not loaded yet, and returns the
// handle and its retriever (nil until the file loaded once). A file that
// fails to load is tried again at most once per reload period, so a
// broken file is not read again on every query.
func (s *localStore) open() (*vectorindex.Handle, retrieval.Retriever, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.h != nil {
		return s.h, s.r, nil
	}
	if s.lastErr != nil && time.Since(s.lastTry) < s.every {
		return nil, nil, s.lastErr
	}
	s.lastTry = time.Now()
	h, err := vectorindex.OpenHandle(s.path)
	if s.lastErr = err; err != nil {
		return nil, nil, err
	}
	s.h, s.r = h, vectorindex.NewRetriever(h, s.emb, s.topK)
	ix := h.Current()
	if err := s.check(ix); err != nil {
		// Kept, so that the watcher picks up a rebuilt file; queries are
		// refused meanwhile.
		return s.h, s.r, err
	}
	s.logger.Info("local index loaded", "store", s.name, "path", s.path, "chunks", ix.Len(), "model", ix.Model())
	return s.h, s.r, nil
}

// check refuses an index built with another embedding model: its vectors
// are not comparable with the queries'.
func (s *localStore) check(ix *vectorindex.Index) error {
	if m := ix.Model(); m != "" && m != s.model {
		return fmt.Errorf("the index was built with embedding model %q but the store embeds queries with %q; rebuild it or set the store's embedding_model", m, s.model)
	}
	return nil
}

// Retrieve implements retrieval.Retriever.
func (s *localStore) Retrieve(ctx context.Context, q retrieval.Query) ([]retrieval.Hit, error) {
	h, r, err := s.open() // one lock per query
	if err != nil {
		if h == nil && notBuilt(err) {
			return nil, fmt.Errorf("%w: its index %s is not built yet (run `outcrop index build --store %s PATH...`)", retrieval.ErrNotReady, s.path, s.name)
		}
		return nil, fmt.Errorf("%w: %w", retrieval.ErrNotReady, err)
	}
	if err := s.check(h.Current()); err != nil {
		return nil, fmt.Errorf("%w: %w", retrieval.ErrNotReady, err)
	}
	return r.Retrieve(ctx, q)
}

// watch reloads the index when its file is replaced, until ctx ends. A
// replacement that does not load, or was built with another model, is
// logged and the old index keeps serving.
func (s *localStore) watch(ctx context.Context) {
	t := time.NewTicker(s.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		h := s.h
		s.mu.Unlock()
		if h == nil {
			if _, _, err := s.open(); err != nil && !notBuilt(err) {
				s.logger.Warn("local index cannot be loaded", "store", s.name, "path", s.path, "error", err)
			}
			continue
		}
		s.reload(h)
	}
}

func (s *localStore) reload(h *vectorindex.Handle) {
	old := h.Current()
	changed, err := h.Reload()
	if err != nil {
		s.logger.Warn("replaced local index cannot be loaded; the old one keeps serving", "store", s.name, "path", s.path, "error", err)
		return
	}
	if !changed {
		return
	}
	if err := s.check(h.Current()); err != nil {
		s.logger.Warn("replaced local index is refused until it is rebuilt", "store", s.name, "error", err)
		return
	}
	s.logger.Info("local index reloaded", "store", s.name, "chunks", h.Current().Len(), "was", old.Len())
}
