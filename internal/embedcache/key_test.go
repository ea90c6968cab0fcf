package embedcache

import (
	"strings"
	"testing"
)

func TestKeyDiffers(t *testing.T) {
	base := Params{Model: "titan-v2", Dimensions: 1024, InputType: "search_document", Encoding: "float", Extra: "normalize=true"}
	variants := map[string]Key{
		"base":       base.Key("hello"),
		"text":       base.Key("hello!"),
		"empty text": base.Key(""),
	}
	add := func(name string, change func(p *Params)) {
		p := base
		change(&p)
		variants[name] = p.Key("hello")
	}
	add("model", func(p *Params) { p.Model = "titan-v1" })
	add("dimensions", func(p *Params) { p.Dimensions = 512 })
	add("default dimensions", func(p *Params) { p.Dimensions = 0 })
	add("input type", func(p *Params) { p.InputType = "search_query" })
	add("encoding", func(p *Params) { p.Encoding = "int8" })
	add("extra", func(p *Params) { p.Extra = "" })
	seen := map[Key]string{}
	for name, k := range variants {
		if other, ok := seen[k]; ok {
			t.Errorf("%s and %s have the same key", name, other)
		}
		seen[k] = name
	}
	// Length prefixes keep fields apart: moving bytes from one field to
	// its neighbour must change the key.
	shifted := Params{Model: "titan-v2", Dimensions: 1024, InputType: "search_document", Encoding: "float", Extra: "normalize=truehello"}.Key("")
	if shifted == base.Key("hello") {
		t.Error("moving the text into Extra kept the key")
	}
}

func TestKeyStable(t *testing.T) {
	p := Params{Model: "m", Dimensions: 8}
	a1, a2 := p.Key("a"), Params{Model: "m", Dimensions: 8}.Key("a")
	if a1 != a2 {
		t.Fatal("the same input gave two keys")
	}
	s := p.Key(strings.Repeat("long text ", 10000)).String()
	if len(s) != 64 {
		t.Fatalf("got a key of %d characters, want 64 hex digits", len(s))
	}
}
