package vectorindex

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// generation builds the index of generation g: 100+30g vectors of dim 8
// tagged "g<g>", graph or not by parity, so every swap changes content,
// size and search path.
func generation(t testing.TB, g int) *Index {
	t.Helper()
	opts := Options{Dim: 8}
	if g%2 == 1 {
		opts.ExactBelow = 1
	}
	return build(t, opts, randomVectors(100+30*g, 8, uint64(g)), fmt.Sprintf("g%d", g))
}

// writeGeneration writes generation g to path.
func writeGeneration(t testing.TB, path string, g int) {
	t.Helper()
	if err := generation(t, g).WriteFile(path); err != nil {
		t.Fatal(err)
	}
}

// genOf returns the generation an index's chunks carry, checking its
// size matches.
func genOf(ix *Index) (int, error) {
	var g int
	if _, err := fmt.Sscanf(ix.chunks[0].Metadata["gen"], "g%d", &g); err != nil {
		return 0, err
	}
	if want := 100 + 30*g; ix.Len() != want {
		return 0, fmt.Errorf("generation %d has %d vectors, want %d", g, ix.Len(), want)
	}
	return g, nil
}

func TestReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.idx")
	writeGeneration(t, path, 0)
	h, err := OpenHandle(path)
	if err != nil {
		t.Fatal(err)
	}
	first := h.Current()

	if changed, err := h.Reload(); changed || err != nil {
		t.Errorf("unchanged file: got changed %v, %v; want false, nil", changed, err)
	}
	if h.Current() != first {
		t.Error("unchanged file: index was replaced")
	}

	writeGeneration(t, path, 1)
	if changed, err := h.Reload(); !changed || err != nil {
		t.Fatalf("new file: got changed %v, %v; want true, nil", changed, err)
	}
	if g, err := genOf(h.Current()); g != 1 || err != nil {
		t.Errorf("after reload: got generation %d (%v), want 1", g, err)
	}
	if g, _ := genOf(first); g != 0 {
		t.Errorf("the old index changed: got generation %d, want 0", g)
	}

	// A broken replacement keeps the loaded index, and fails the same way
	// until it changes.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	var firstErr error
	for i := range 2 {
		changed, err := h.Reload()
		if changed || !errors.Is(err, ErrBadFile) {
			t.Errorf("broken file: got changed %v, %v; want false and ErrBadFile", changed, err)
		}
		if i == 0 {
			firstErr = err
		} else if err != firstErr { //nolint:errorlint // the very same error value: the file was not read again
			t.Errorf("broken file again: got a new error %v, want the first one returned without rereading", err)
		}
	}
	if g, _ := genOf(h.Current()); g != 1 {
		t.Errorf("after a broken file: got generation %d, want 1 kept", g)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Reload(); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: got %v, want ErrNotExist", err)
	}
	writeGeneration(t, path, 2)
	if changed, err := h.Reload(); !changed || err != nil {
		t.Errorf("repaired file: got changed %v, %v; want true, nil", changed, err)
	}
}

func TestOpenHandleRefusesBadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.idx")
	if err := os.WriteFile(path, []byte("OCVINDEX"), 0o644); err != nil {
		t.Fatal(err)
	}
	if h, err := OpenHandle(path); !errors.Is(err, ErrBadFile) {
		t.Errorf("got %v, %v; want ErrBadFile", h, err)
	}
}

// TestHotSwapUnderLoad replaces the file while goroutines query: every
// search must succeed and come whole from one generation.
func TestHotSwapUnderLoad(t *testing.T) {
	const generations = 6
	path := filepath.Join(t.TempDir(), "x.idx")
	writeGeneration(t, path, 0)
	h, err := OpenHandle(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	var searches atomic.Int64
	seen := make([]atomic.Bool, generations)
	for w := range 4 {
		wg.Go(func() {
			queries := randomVectors(16, 8, uint64(100+w))
			for i := 0; ctx.Err() == nil; i++ {
				if err := searchOneGeneration(h.Current(), queries[i%len(queries)], seen); err != nil {
					t.Error(err)
					cancel()
					return
				}
				searches.Add(1)
			}
		})
	}
	watchErrs := make(chan error, 10)
	wg.Go(func() { h.Watch(ctx, time.Millisecond, func(err error) { watchErrs <- err }) })
	for g := 1; g < generations; g++ {
		writeGeneration(t, path, g)
		if g%2 == 0 {
			if _, err := h.Reload(); err != nil {
				t.Error(err)
			}
		}
		waitGeneration(t, h, g)
	}
	cancel()
	wg.Wait()
	close(watchErrs)
	for err := range watchErrs {
		t.Errorf("watch: %v", err)
	}
	for g := range seen {
		if !seen[g].Load() {
			t.Errorf("no search ran on generation %d", g)
		}
	}
	t.Logf("%d searches", searches.Load())
}

// searchOneGeneration searches ix and checks the results are all of one
// generation, the index's own, and records it in seen.
func searchOneGeneration(ix *Index, q []float32, seen []atomic.Bool) error {
	res, err := ix.Search(q, 10)
	if err != nil {
		return err
	}
	want, err := genOf(ix)
	if err != nil {
		return err
	}
	if len(res) != 10 {
		return fmt.Errorf("got %d results, want 10", len(res))
	}
	for _, r := range res {
		if got := r.Chunk.Metadata["gen"]; got != fmt.Sprintf("g%d", want) {
			return fmt.Errorf("search of generation %d returned a chunk of %s", want, got)
		}
	}
	seen[want].Store(true)
	return nil
}

// waitGeneration waits until h serves generation g and a search ran on it.
func waitGeneration(t *testing.T, h *Handle, g int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := genOf(h.Current())
		if err != nil {
			t.Fatal(err)
		}
		if got == g {
			time.Sleep(5 * time.Millisecond) // let the queriers use it
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still serving generation %d, want %d", got, g)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestWatchReportsEachFailureOnce checks that a broken file is reported
// once, not at every poll, and that Watch returns when ctx ends.
func TestWatchReportsEachFailureOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.idx")
	writeGeneration(t, path, 0)
	h, err := OpenHandle(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".new", []byte("OCVINDEX broken"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
	var reports atomic.Int64
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	done := make(chan struct{})
	go func() {
		h.Watch(ctx, time.Millisecond, func(error) { reports.Add(1) })
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Watch did not return after its context ended")
	}
	if got := reports.Load(); got != 1 {
		t.Errorf("got %d reports of one broken file, want 1", got)
	}
	if g, _ := genOf(h.Current()); g != 0 {
		t.Errorf("got generation %d, want 0 kept", g)
	}
}
