package chart

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWrite(t *testing.T) {
	var buf bytes.Buffer
	err := Write(&buf, 1000,
		Bars{
			Title: "CPU µs per request", Series: []string{"c=16", "c=64"},
			Labels: []string{"fasthttp-floor", "outcrop-openai+key+redis+log"},
			Values: [][]float64{{30, 32}, {95, 120}},
		},
		Lines{
			Title: "p99 latency against request rate", XLabel: "req/s", YLabel: "ms", YMax: 200, Limit: 50,
			Lines: []Line{{Name: "direct", Points: []Point{{1000, 21}, {2000, 22}, {4000, 30}}}, {Name: "outcrop", Points: []Point{{1000, 23}, {2000, 400}}}},
		},
	)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1000 || b.Dy() < 400 {
		t.Errorf("size: got %v, want 1000 wide and at least 400 high", b)
	}
	if dir := os.Getenv("CHART_TEST_OUT"); dir != "" {
		var out bytes.Buffer
		_ = png.Encode(&out, img)
		_ = os.WriteFile(filepath.Join(dir, "chart_test.png"), out.Bytes(), 0o600)
	}
}

// TestSegmentEnds draws segments in every direction: each must end (a
// Bresenham step that re-reads its error overshoots and never does).
func TestSegmentEnds(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 100, 100))
	for _, s := range [][4]int{{0, 0, 99, 37}, {99, 99, 3, 0}, {10, 90, 80, 5}, {50, 50, 50, 50}, {0, 60, 99, 61}, {5, 0, 6, 99}} {
		done := make(chan struct{})
		go func() { segment(img, s[0], s[1], s[2], s[3], black); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("segment %v: did not end", s)
		}
	}
}

func TestFormat(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 0.4219: "0.42", 12.34: "12.3", 950: "950", 1500: "1.5k", 12400: "12k"} {
		if got := Format(v); got != want {
			t.Errorf("Format(%v): got %q, want %q", v, got, want)
		}
	}
}

func TestGlyphsFitFiveColumns(t *testing.T) {
	for r, g := range glyphs {
		for _, row := range g {
			if row >= 1<<glyphW {
				t.Errorf("glyph %q: row %#x is wider than %d pixels", r, row, glyphW)
			}
		}
	}
}
