package chart

import (
	"image"
)

// Bars is a horizontal bar chart: one row per label, one bar per series
// in each row.
type Bars struct {
	Title  string
	Series []string
	Labels []string
	// Values[i][j] is label i's value of series j; a negative or NaN
	// value draws no bar.
	Values [][]float64
}

var _ Panel = Bars{}

const (
	barH   = 9 * scale
	margin = 12 * scale
)

func (b Bars) rowH() int { return len(b.Series)*barH + 3*scale }

func (b Bars) height(int) int {
	// title, legend (one or two lines), rows, axis labels
	return margin + 3*line + len(b.Labels)*b.rowH() + line + margin
}

func (b Bars) labelW() int {
	w := 0
	for _, l := range b.Labels {
		w = max(w, textWidth(l, scale))
	}
	return w + 4*scale
}

func (b Bars) max() float64 {
	m := 0.0
	for _, row := range b.Values {
		for _, v := range row {
			if v > m {
				m = v
			}
		}
	}
	return m
}

func (b Bars) draw(img *image.RGBA, r image.Rectangle) {
	x0, y := r.Min.X+margin, r.Min.Y+margin
	drawText(img, x0, y, b.Title, scale, black)
	y = legend(img, x0, y+line, r.Max.X-margin, b.Series)
	plotX := x0 + b.labelW()
	valueRoom := textWidth("00.0k", scale) + 2*scale
	plotW := r.Max.X - margin - valueRoom - plotX
	top, bottom := y, y+len(b.Labels)*b.rowH()
	mx := b.max()
	step := niceStep(mx, 6)
	axisMax := step * float64(int(mx/step)+1)
	px := func(v float64) int { return plotX + int(v/axisMax*float64(plotW)) }
	for t := 0.0; t <= axisMax+step/2; t += step {
		x := px(t)
		fill(img, image.Rect(x, top, x+1, bottom), grid)
		s := tick(t, step)
		drawText(img, x-textWidth(s, scale)/2, bottom+scale*2, s, scale, muted)
	}
	for i, label := range b.Labels {
		ry := top + i*b.rowH()
		drawText(img, x0, ry+(b.rowH()-glyphH*scale)/2, label, scale, black)
		for j, v := range b.Values[i] {
			if !(v >= 0) {
				continue
			}
			by := ry + j*barH
			fill(img, image.Rect(plotX, by+scale, px(v), by+barH-scale), Palette[j%len(Palette)])
			drawText(img, px(v)+2*scale, by+scale, Format(v), 1, black)
		}
	}
	fill(img, image.Rect(plotX, top, plotX+1, bottom), black)
}
