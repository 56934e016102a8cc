package web

import (
	"encoding/hex"
	"fmt"
	"html/template"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/destination"
)

// maxCell is the most characters a cell shows; the whole value is in its title.
const maxCell = 120

var funcs = template.FuncMap{
	"cell": func(v any) string {
		s := cellText(v)
		if utf8.RuneCountInString(s) > maxCell {
			return string([]rune(s)[:maxCell]) + "…"
		}
		return s
	},
	"full":     cellText,
	"isNull":   func(v any) bool { return v == nil },
	"when":     func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") },
	"duration": func(d time.Duration) string { return d.Round(time.Millisecond).String() },
	"count":    thousands,
	"add":      func(a, b int) int { return a + b },
	"value": func(v any) string {
		if v == nil {
			return "none"
		}
		return fmt.Sprint(v)
	},
	"status": func(l destination.LoadRow) string {
		if l.Status == 0 {
			return "completed"
		}
		return fmt.Sprintf("status %d", l.Status)
	},
}

// thousands writes n with a comma between thousands: 12,345 (as the CLI's progress and the
// client's errors do, through golang.org/x/text).
func thousands(n int64) string { return english.Sprint(n) }

// english formats numbers as an English reader expects them.
var english = message.NewPrinter(language.English)

// cellText renders a value as the database driver returned it.
func cellText(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		if utf8.Valid(v) {
			return string(v)
		}
		return `\x` + hex.EncodeToString(v)
	case time.Time:
		if v.Hour() == 0 && v.Minute() == 0 && v.Second() == 0 && v.Nanosecond() == 0 && v.Location() == time.UTC {
			return v.Format(time.DateOnly)
		}
		return v.Format(time.RFC3339Nano)
	case fmt.Stringer:
		return v.String()
	}
	return fmt.Sprint(v)
}

// cursorsOf lists the state's incremental cursors, by source, resource and cursor field.
func cursorsOf(st *sfdlt.PipelineState) []cursor {
	var out []cursor
	for _, src := range slices.Sorted(maps.Keys(st.Sources)) {
		res := st.Sources[src].Resources
		for _, name := range slices.Sorted(maps.Keys(res)) {
			for _, field := range slices.Sorted(maps.Keys(res[name].Incremental)) {
				inc := res[name].Incremental[field]
				out = append(out, cursor{Source: src, Resource: name, Field: field, LastValue: inc.LastValue, AtValue: len(inc.UniqueHashes)})
			}
		}
	}
	return out
}

// howLoaded says how each resource's table is loaded: "merge, incremental on SystemModstamp".
func howLoaded(resources []sfdlt.ResourceInfo) map[string]string {
	out := map[string]string{}
	for _, r := range resources {
		how := string(r.Disposition)
		if r.MergeStrategy == sfdlt.StrategySCD2 {
			how += " (scd2)"
		}
		if r.Cursor != "" {
			how += ", incremental on " + r.Cursor
		}
		out[r.Table] = how
	}
	return out
}

// chart is a bar chart drawn as SVG by the template: no script, nothing to load.
type chart struct {
	Width, Height int
	Bars          []bar
	Labels        []label
	Legend        []legendItem
	Empty         string // what to say instead of an empty chart
}

// bar is a rectangle of a chart, with the tooltip that says what it is.
type bar struct {
	X, Y, W, H int
	Color      string
	Title      string
}

// label is a text of a chart.
type label struct {
	X, Y   int
	Anchor string
	Text   string
}

// legendItem says which table a color is.
type legendItem struct {
	Color, Name string
}

// palette colors the tables of a chart; readable on white and told apart by most eyes.
var palette = []string{"#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#0ea5e9", "#84cc16", "#ec4899", "#64748b", "#14b8a6",
	"#1e3a8a", "#b45309", "#065f46", "#991b1b", "#5b21b6", "#0369a1", "#4d7c0f", "#9d174d", "#334155", "#0f766e"}

// loadChart stacks, for each load (oldest first), the rows of each data table that the load
// wrote and that are still there.
func loadChart(loads []destination.LoadRow, tables []sfdlt.TableDescription) *chart {
	c := &chart{Width: 760, Height: 260}
	if len(loads) == 0 {
		c.Empty = "No load yet: run the pipeline, then reload this page."
		return c
	}
	ordered := slices.Clone(loads)
	slices.Reverse(ordered) // Loads are newest first
	rows := map[string]map[string]int64{}
	var top int64
	for _, l := range ordered {
		rows[l.LoadID] = map[string]int64{}
	}
	for _, t := range tables {
		for _, lr := range t.LoadRows {
			if m := rows[lr.LoadID]; m != nil {
				m[t.Name] += lr.Rows
			}
		}
	}
	for _, l := range ordered {
		var sum int64
		for _, n := range rows[l.LoadID] {
			sum += n
		}
		top = max(top, sum)
	}
	const left, right, topPad, bottom = 64, 16, 16, 48
	plotW, plotH := c.Width-left-right, c.Height-topPad-bottom
	if top == 0 {
		top = 1
	}
	slot := plotW / len(ordered)
	barW := max(min(slot*2/3, 64), 4)
	for i, t := range tables {
		c.Legend = append(c.Legend, legendItem{Color: palette[i%len(palette)], Name: t.Name})
	}
	for i, l := range ordered {
		x := left + i*slot + (slot-barW)/2
		y := topPad + plotH
		for ti, t := range tables {
			n := rows[l.LoadID][t.Name]
			if n == 0 {
				continue
			}
			h := max(int(float64(n)/float64(top)*float64(plotH)), 1)
			y -= h
			c.Bars = append(c.Bars, bar{X: x, Y: y, W: barW, H: h, Color: palette[ti%len(palette)],
				Title: fmt.Sprintf("load %s (%s): %s, %d rows", l.LoadID, l.InsertedAt.UTC().Format("2006-01-02 15:04:05Z"), t.Name, n)})
		}
		c.Labels = append(c.Labels, label{X: x + barW/2, Y: c.Height - bottom + 16, Anchor: "middle", Text: l.InsertedAt.UTC().Format("01-02 15:04:05")})
	}
	c.Labels = append(c.Labels,
		label{X: left - 8, Y: topPad + 4, Anchor: "end", Text: thousands(top)},
		label{X: left - 8, Y: topPad + plotH, Anchor: "end", Text: "0"},
		label{X: left + plotW/2, Y: c.Height - 8, Anchor: "middle", Text: "rows still in the dataset, by the load that wrote them"})
	return c
}

// stepChart draws the steps of the last run as a timeline: each step a bar from its start to
// its end.
func stepChart(t *sfdlt.Trace) *chart {
	c := &chart{Width: 760}
	if t == nil || len(t.Steps) == 0 {
		c.Empty = "No run on this machine yet: its steps show here after `sfdlt run`."
		return c
	}
	const left, right, rowH, pad = 96, 120, 26, 8
	c.Height = pad*2 + rowH*len(t.Steps) + 20
	start, end := t.Steps[0].StartedAt, t.Steps[0].FinishedAt
	for _, s := range t.Steps {
		if s.StartedAt.Before(start) {
			start = s.StartedAt
		}
		if s.FinishedAt.After(end) {
			end = s.FinishedAt
		}
	}
	span := max(end.Sub(start), time.Millisecond)
	plotW := c.Width - left - right
	for i, s := range t.Steps {
		y := pad + i*rowH
		x := left + int(float64(s.StartedAt.Sub(start))/float64(span)*float64(plotW))
		w := max(int(float64(s.Duration)/float64(span)*float64(plotW)), 2)
		color := palette[0]
		if s.Error != "" {
			color = palette[3]
		}
		title := fmt.Sprintf("%s: %s", s.Name, s.Duration.Round(time.Millisecond))
		if s.Error != "" {
			title += ", failed: " + s.Error
		}
		c.Bars = append(c.Bars, bar{X: x, Y: y + 4, W: w, H: rowH - 8, Color: color, Title: title})
		c.Labels = append(c.Labels,
			label{X: left - 8, Y: y + rowH/2 + 4, Anchor: "end", Text: s.Name},
			label{X: x + w + 6, Y: y + rowH/2 + 4, Anchor: "start", Text: s.Duration.Round(time.Millisecond).String()})
	}
	c.Labels = append(c.Labels, label{X: left + plotW/2, Y: c.Height - 6, Anchor: "middle",
		Text: fmt.Sprintf("the last run's steps, %s in all", strings.TrimSpace(span.Round(time.Millisecond).String()))})
	return c
}

// runChart draws the run times of the pipeline's runs on this machine, oldest first: a bar per
// run, as long as the run took, red when it failed.
func runChart(runs []sfdlt.RunRecord) *chart {
	c := &chart{Width: 760, Height: 200}
	if len(runs) == 0 {
		c.Empty = "No run on this machine yet: each run's time shows here after `sfdlt run`."
		return c
	}
	const left, right, topPad, bottom = 64, 16, 16, 48
	plotW, plotH := c.Width-left-right, c.Height-topPad-bottom
	var top time.Duration
	for _, r := range runs {
		top = max(top, r.FinishedAt.Sub(r.StartedAt))
	}
	top = max(top, time.Millisecond)
	slot := plotW / len(runs)
	barW := max(min(slot*2/3, 48), 2)
	every := max(1, len(runs)/8) // at most about 8 time labels
	for i, r := range runs {
		d := r.FinishedAt.Sub(r.StartedAt)
		h := max(int(float64(d)/float64(top)*float64(plotH)), 1)
		x := left + i*slot + (slot-barW)/2
		color, outcome := palette[2], "loaded everything"
		if !r.Loaded {
			color, outcome = palette[3], "failed"
		}
		c.Bars = append(c.Bars, bar{X: x, Y: topPad + plotH - h, W: barW, H: h, Color: color,
			Title: fmt.Sprintf("run at %s: %s, %s rows in %d load(s), %s", r.StartedAt.UTC().Format("2006-01-02 15:04:05Z"),
				d.Round(time.Millisecond), thousands(r.Rows), r.Loads, outcome)})
		if i%every == 0 || i == len(runs)-1 {
			c.Labels = append(c.Labels, label{X: x + barW/2, Y: c.Height - bottom + 16, Anchor: "middle", Text: r.StartedAt.UTC().Format("01-02 15:04:05")})
		}
	}
	c.Labels = append(c.Labels,
		label{X: left - 8, Y: topPad + 4, Anchor: "end", Text: top.Round(time.Millisecond).String()},
		label{X: left - 8, Y: topPad + plotH, Anchor: "end", Text: "0"},
		label{X: left + plotW/2, Y: c.Height - 8, Anchor: "middle", Text: fmt.Sprintf("run times of the last %d run(s) on this machine (red: failed)", len(runs))})
	c.Legend = []legendItem{{Color: palette[2], Name: "loaded everything"}, {Color: palette[3], Name: "failed"}}
	return c
}
