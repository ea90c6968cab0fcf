package chart

import (
	"image"
	"image/color"
)

// Point is one (x, y) of a line.
type Point struct{ X, Y float64 }

// Line is one series of a line chart.
type Line struct {
	Name   string
	Points []Point
}

// Lines is a line chart with linear axes from zero. Points above YMax
// are drawn at the top edge; Limit, when set, is drawn as a dashed
// horizontal line.
type Lines struct {
	Title          string
	XLabel, YLabel string
	Lines          []Line
	YMax           float64
	Limit          float64
}

var _ Panel = Lines{}

// plotH is the height of the plotting area.
const plotH = 220 * scale

func (l Lines) height(int) int { return margin + 4*line + plotH + 2*line + margin }

func (l Lines) draw(img *image.RGBA, r image.Rectangle) {
	x0, y := r.Min.X+margin, r.Min.Y+margin
	drawText(img, x0, y, l.Title, scale, black)
	names := make([]string, len(l.Lines))
	for i, ln := range l.Lines {
		names[i] = ln.Name
	}
	top := legend(img, x0, y+line, r.Max.X-margin, names) + line
	yLabelW := textWidth("0000", scale) + 3*scale
	plotX, plotW := x0+yLabelW, r.Max.X-margin-x0-yLabelW
	bottom := top + plotH
	xMax := 0.0
	for _, ln := range l.Lines {
		for _, p := range ln.Points {
			xMax = max(xMax, p.X)
		}
	}
	xStep := niceStep(xMax, 8)
	xAxis := xStep * float64(int(xMax/xStep)+1)
	yStep := niceStep(l.YMax, 5)
	px := func(x float64) int { return plotX + int(x/xAxis*float64(plotW)) }
	py := func(v float64) int { return bottom - int(min(v, l.YMax)/l.YMax*float64(plotH)) }
	for t := 0.0; t <= xAxis+xStep/2; t += xStep {
		fill(img, image.Rect(px(t), top, px(t)+1, bottom), grid)
		s := tick(t, xStep)
		drawText(img, px(t)-textWidth(s, scale)/2, bottom+2*scale, s, scale, muted)
	}
	for t := 0.0; t <= l.YMax+yStep/2; t += yStep {
		fill(img, image.Rect(plotX, py(t), plotX+plotW, py(t)+1), grid)
		s := tick(t, yStep)
		drawText(img, plotX-textWidth(s, scale)-2*scale, py(t)-glyphH*scale/2, s, scale, muted)
	}
	drawText(img, plotX, top-line, l.YLabel, scale, muted)
	drawText(img, plotX+plotW-textWidth(l.XLabel, scale), bottom+line+scale, l.XLabel, scale, muted)
	if l.Limit > 0 {
		for x := plotX; x < plotX+plotW; x += 8 * scale {
			fill(img, image.Rect(x, py(l.Limit), x+4*scale, py(l.Limit)+scale), black)
		}
	}
	fill(img, image.Rect(plotX, top, plotX+1, bottom), black)
	fill(img, image.Rect(plotX, bottom, plotX+plotW, bottom+1), black)
	for i, ln := range l.Lines {
		c := Palette[i%len(Palette)]
		for k, p := range ln.Points {
			x, y := px(p.X), py(p.Y)
			fill(img, image.Rect(x-2*scale, y-2*scale, x+2*scale, y+2*scale), c)
			if k > 0 {
				q := ln.Points[k-1]
				segment(img, px(q.X), py(q.Y), x, y, c)
			}
		}
	}
}

// segment draws a line two pixels thick (Bresenham).
func segment(img *image.RGBA, x0, y0, x1, y1 int, c color.Color) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for {
		fill(img, image.Rect(x0, y0, x0+scale, y0+scale), c)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * e // both tests use the error before either step
		if e2 >= dy {
			e += dy
			x0 += sx
		}
		if e2 <= dx {
			e += dx
			y0 += sy
		}
	}
}

func abs(x int) int { return max(x, -x) }

func sign(x int) int {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}
