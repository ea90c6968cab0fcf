// Package chart draws the benchmark's PNG charts with the standard
// library only: horizontal bar charts and line charts, labelled with a
// built-in 5x7 bitmap font.
package chart

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
)

// Panel is one chart of a figure.
type Panel interface {
	// height is the panel's height at the given width.
	height(width int) int
	draw(img *image.RGBA, r image.Rectangle)
}

// Palette is the series colours, in order.
var Palette = []color.RGBA{
	{31, 119, 180, 255},
	{255, 127, 14, 255},
	{44, 160, 44, 255},
	{214, 39, 40, 255},
	{148, 103, 189, 255},
	{140, 86, 75, 255},
	{227, 119, 194, 255},
	{127, 127, 127, 255},
	{188, 189, 34, 255},
	{23, 190, 207, 255},
	{0, 0, 128, 255},
	{128, 128, 0, 255},
}

var (
	white = color.RGBA{255, 255, 255, 255}
	black = color.RGBA{0, 0, 0, 255}
	grid  = color.RGBA{225, 225, 225, 255}
	muted = color.RGBA{90, 90, 90, 255}
)

// scale is the font scale of every label.
const scale = 2

// line is the height of one line of text, spacing included.
const line = (glyphH + 3) * scale

// Write renders panels one under the other as a PNG of the given width.
func Write(w io.Writer, width int, panels ...Panel) error {
	h := 0
	for _, p := range panels {
		h += p.height(width)
	}
	img := image.NewRGBA(image.Rect(0, 0, width, max(h, 1)))
	draw.Draw(img, img.Bounds(), &image.Uniform{C: white}, image.Point{}, draw.Src)
	y := 0
	for _, p := range panels {
		ph := p.height(width)
		p.draw(img, image.Rect(0, y, width, y+ph))
		y += ph
	}
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("encode png: %w", err)
	}
	return nil
}

func fill(img *image.RGBA, r image.Rectangle, c color.Color) {
	draw.Draw(img, r.Intersect(img.Bounds()), &image.Uniform{C: c}, image.Point{}, draw.Src)
}

// legend draws coloured boxes with the series names from (x, y)
// rightwards, wrapping at maxX, and returns the y below it.
func legend(img *image.RGBA, x, y, maxX int, names []string) int {
	x0 := x
	for i, n := range names {
		w := line + textWidth(n, scale) + 3*scale*advance
		if x+w > maxX && x > x0 {
			x, y = x0, y+line+scale*2
		}
		fill(img, image.Rect(x, y, x+glyphH*scale, y+glyphH*scale), Palette[i%len(Palette)])
		drawText(img, x+glyphH*scale+2*scale, y, n, scale, black)
		x += w
	}
	return y + line + scale*2
}

// niceStep is a 1, 2 or 5 times a power of ten step that cuts [0, span]
// into about n intervals.
func niceStep(span float64, n int) float64 {
	if span <= 0 {
		return 1
	}
	raw := span / float64(n)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// tick formats an axis tick: no decimals when the step is whole.
func tick(v, step float64) string {
	if step >= 1 || v == 0 {
		if math.Abs(v) >= 1000 {
			return Format(v)
		}
		return fmt.Sprintf("%.0f", v)
	}
	return Format(v)
}

// Format writes v short: 950, 1.5k, 12k, 0.42.
func Format(v float64) string {
	switch a := math.Abs(v); {
	case a >= 10000:
		return fmt.Sprintf("%.0fk", v/1000)
	case a >= 1000:
		return fmt.Sprintf("%.1fk", v/1000)
	case a >= 100 || a == 0:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}
