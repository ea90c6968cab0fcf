package embedcache

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeModel embeds a text as {len(text), first byte}, and records each
// call's texts.
type fakeModel struct {
	mu    sync.Mutex
	calls [][]string
}

func (f *fakeModel) embed(_ context.Context, texts []string) ([][]float32, error) {
	f.mu.Lock()
	f.calls = append(f.calls, append([]string(nil), texts...))
	f.mu.Unlock()
	out := make([][]float32, len(texts))
	for i, t := range texts {
		first := float32(0)
		if t != "" {
			first = float32(t[0])
		}
		out[i] = []float32{float32(len(t)), first}
	}
	return out, nil
}

func want(texts ...string) [][]float32 {
	out, _ := (&fakeModel{}).embed(context.Background(), texts)
	return out
}

func TestEmbedOnlyMisses(t *testing.T) {
	ctx := context.Background()
	c := NewMemory(0)
	m := &fakeModel{}
	got, err := Embed(ctx, c, testParams, []string{"a", "bb", "a", "ccc", "bb"}, m.embed)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want("a", "bb", "a", "ccc", "bb"), got); diff != "" {
		t.Fatalf("vectors (-want +got):\n%s", diff)
	}
	// Repeats in a batch are asked for once.
	if diff := cmp.Diff([][]string{{"a", "bb", "ccc"}}, m.calls); diff != "" {
		t.Fatalf("model calls (-want +got):\n%s", diff)
	}
	got[0][0] = 99 // repeated texts do not share memory
	if got[2][0] != 1 {
		t.Fatal("two results share memory")
	}

	got, err = Embed(ctx, c, testParams, []string{"ccc", "dddd", "a"}, m.embed)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want("ccc", "dddd", "a"), got); diff != "" {
		t.Fatalf("vectors (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]string{{"a", "bb", "ccc"}, {"dddd"}}, m.calls); diff != "" {
		t.Fatalf("model calls (-want +got):\n%s", diff)
	}

	if _, err := Embed(ctx, c, testParams, []string{"a", "bb"}, m.embed); err != nil {
		t.Fatal(err)
	}
	if len(m.calls) != 2 {
		t.Fatalf("all hits still called the model: %v", m.calls)
	}
	// Other parameters are other entries.
	other := testParams
	other.Dimensions = 2
	if _, err := Embed(ctx, c, other, []string{"a"}, m.embed); err != nil {
		t.Fatal(err)
	}
	if len(m.calls) != 3 {
		t.Fatalf("another dimension was served from the cache: %v", m.calls)
	}
}

func TestEmbedNoCache(t *testing.T) {
	m := &fakeModel{}
	got, err := Embed(context.Background(), nil, testParams, []string{"x", "x"}, m.embed)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want("x", "x"), got); diff != "" {
		t.Fatalf("vectors (-want +got):\n%s", diff)
	}
	if len(m.calls) != 1 || len(m.calls[0]) != 1 {
		t.Fatalf("got calls %v, want one call for one text", m.calls)
	}
	empty, err := Embed(context.Background(), nil, testParams, nil, m.embed)
	if err != nil || len(empty) != 0 || len(m.calls) != 1 {
		t.Fatalf("no texts: got %v, %v and %d calls", empty, err, len(m.calls))
	}
}

func TestEmbedModelError(t *testing.T) {
	c := NewMemory(0)
	boom := errors.New("upstream 429")
	_, err := Embed(context.Background(), c, testParams, []string{"a"}, func(context.Context, []string) ([][]float32, error) {
		return nil, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want the model's error", err)
	}
	for name, bad := range map[string][][]float32{
		"too few vectors": {{1}},
		"an empty vector": {{1}, {}},
	} {
		_, err := Embed(context.Background(), c, testParams, []string{"a", "b"}, func(context.Context, []string) ([][]float32, error) {
			return bad, nil
		})
		if err == nil {
			t.Errorf("%s: got nil error", name)
		}
	}
	if s := c.Stats(); s.Entries != 0 {
		t.Fatalf("got %d entries after failed calls, want 0", s.Entries)
	}
}

// failingCache fails every call, as a Redis that is down does.
type failingCache struct{}

func (failingCache) Get(_ context.Context, keys []Key) ([][]float32, error) {
	return make([][]float32, len(keys)), errors.New("down")
}

func (failingCache) Put(context.Context, []Key, [][]float32) error { return errors.New("down") }

func TestEmbedCacheFailing(t *testing.T) {
	m := &fakeModel{}
	got, err := Embed(context.Background(), failingCache{}, testParams, []string{"a", "b"}, m.embed)
	if err != nil {
		t.Fatalf("a failing cache failed Embed: %v", err)
	}
	if diff := cmp.Diff(want("a", "b"), got); diff != "" {
		t.Fatalf("vectors (-want +got):\n%s", diff)
	}
}
