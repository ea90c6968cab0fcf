package provider

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/openai"
)

func TestRouterDefaults(t *testing.T) {
	r, a, b := testRouter(t)
	d, err := r.WithDefaults(Defaults{Chat: "fast", Embedding: "gpt-b"}) // an alias works too
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		use   Use
		model string
		want  *Route
	}{
		{name: "known name", use: UseChat, model: "gpt-b", want: b},
		{name: "known alias", use: UseEmbedding, model: "fast", want: a},
		{name: "unknown chat", use: UseChat, model: "gpt-4o", want: a},
		{name: "unknown embedding", use: UseEmbedding, model: "text-embedding-3-small", want: b},
		{name: "empty name", use: UseChat, model: "", want: a},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := d.LookupFor(tt.use, tt.model)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got route %q, want %q", got.Name, tt.want.Name)
			}
		})
	}
	// Lookup, the original router and the model list are unchanged.
	var e *openai.Error
	if _, err := d.Lookup("gpt-4o"); !errors.As(err, &e) || e.Code != "model_not_found" {
		t.Errorf("Lookup(gpt-4o) on the copy: got %v, want model_not_found", err)
	}
	if _, err := r.LookupFor(UseChat, "gpt-4o"); !errors.As(err, &e) || e.Code != "model_not_found" {
		t.Errorf("LookupFor on the original: got %v, want model_not_found", err)
	}
	if diff := cmp.Diff(r.Models(), d.Models()); diff != "" {
		t.Errorf("Models changed (-original +copy):\n%s", diff)
	}
}

func TestRouterDefaultsOnlyForTheirUse(t *testing.T) {
	r, a, _ := testRouter(t)
	d, err := r.WithDefaults(Defaults{Chat: "gpt-a"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := d.LookupFor(UseChat, "x"); err != nil || got != a {
		t.Errorf("chat: got %v, %v; want gpt-a", got, err)
	}
	var e *openai.Error
	if got, err := d.LookupFor(UseEmbedding, "x"); !errors.As(err, &e) || e.Code != "model_not_found" {
		t.Errorf("embedding with no default: got %v, %v; want model_not_found", got, err)
	}
	// Clearing the defaults of a copy.
	none, err := d.WithDefaults(Defaults{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := none.LookupFor(UseChat, "x"); !errors.As(err, &e) {
		t.Errorf("cleared defaults: got %v, want model_not_found", err)
	}
}

func TestRouterDefaultsUnknown(t *testing.T) {
	r, _, _ := testRouter(t)
	for _, d := range []Defaults{{Chat: "missing"}, {Embedding: "GPT-A"}} {
		if got, err := r.WithDefaults(d); err == nil {
			t.Errorf("%+v: got router %v, want an error", d, got)
		}
	}
}
