package main

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	// mpb draws the bars: it keeps the live lines at the bottom of the terminal, redraws them
	// in place and moves finished ones above (PopCompletedMode), so sfdlt writes no escape
	// codes of its own.
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/sfdlt/sfdlt"
)

// The progress modes of --progress and the progress key (dlt's progress: "log" is dlt's own
// name for a line now and then).
const (
	progressBar  = "bar"
	progressLog  = "log"
	progressNone = "none"
)

// logEvery is how often at most the log display writes a line for one resource.
const logEvery = 5 * time.Second

// chooseProgress decides the progress display from the flag, the configuration's progress
// key (the flag wins) and whether stderr is a terminal: by default bars on a terminal and log
// lines elsewhere. Bars asked for off a terminal become log lines (a file or a pipe cannot be
// redrawn), and note says so.
func chooseProgress(flag, configured string, tty bool) (mode, note string, err error) {
	mode, from := flag, "--progress"
	if mode == "" {
		mode, from = configured, "progress"
	}
	switch mode {
	case "":
		if tty {
			return progressBar, "", nil
		}
		return progressLog, "", nil
	case progressBar:
		if !tty {
			return progressLog, "progress: stderr is not a terminal, so progress is shown as log lines instead of bars", nil
		}
		return mode, "", nil
	case progressLog, progressNone:
		return mode, "", nil
	}
	return "", "", fmt.Errorf("%s %q: use bar (a bar per resource on a terminal), log (a line per resource every few seconds) or none", from, mode)
}

// progressDisplay shows a run's progress. report is called from the run's goroutines, any
// number at once; stop ends the display (failed: the run ended with an error) and returns
// once everything is written, before the run's summary is printed.
type progressDisplay interface {
	report(sfdlt.Progress)
	stop(failed bool)
}

// newProgressDisplay makes the display of a mode, writing to w. now is the clock (time.Now
// outside tests).
func newProgressDisplay(mode string, w io.Writer, now func() time.Time) progressDisplay {
	switch mode {
	case progressBar:
		return newBarDisplay(w, now)
	case progressLog:
		l := newLogDisplay(w, now)
		l.startTicking(logEvery)
		return l
	}
	return noDisplay{}
}

type noDisplay struct{}

func (noDisplay) report(sfdlt.Progress) {}
func (noDisplay) stop(bool)             {}

// rate is rows per second over d, and whether it is known (too short a time tells nothing).
func rate(rows int64, d time.Duration) (float64, bool) {
	if d < 100*time.Millisecond || rows <= 0 {
		return 0, false
	}
	return float64(rows) / d.Seconds(), true
}

// timeLeft is how long the rows left take at r rows per second.
func timeLeft(rows, total int64, r float64) (time.Duration, bool) {
	if total <= rows || r <= 0 {
		return 0, false
	}
	return time.Duration(float64(total-rows) / r * float64(time.Second)), true
}

// rowCount writes "1 row" or "1,234 rows".
func rowCount(n int64) string {
	if n == 1 {
		return "1 row"
	}
	return count(n) + " rows"
}

// count writes n with thousands separated by commas: 1,234,567.
func count(n int64) string { return english.Sprint(n) }

// english formats numbers as an English reader expects them (x/text knows each language's
// grouping, so none is written by hand here).
var english = message.NewPrinter(language.English)

// short writes d for a person: 0.4s, 12.3s, 4m05s, 2h03m.
func short(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.FormatFloat(math.Round(d.Seconds()*10)/10, 'f', 1, 64) + "s"
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	}
	d = d.Round(time.Minute)
	return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// rowsOf writes rows read of total ("1,200 / 5,000 rows"), or rows alone when Salesforce has
// not told the total yet.
func rowsOf(rows, total int64) string {
	if total < 0 {
		return rowCount(rows)
	}
	return count(rows) + " / " + rowCount(max(total, rows))
}

// speedAndLeft writes "3,850 rows/s, 12s left" as far as they are known.
func speedAndLeft(rows, total int64, d time.Duration) string {
	r, ok := rate(rows, d)
	if !ok {
		return ""
	}
	s := count(int64(math.Round(r))) + " rows/s"
	if left, ok := timeLeft(rows, total, r); ok {
		s += ", " + short(left) + " left"
	}
	return s
}

// summary is the line of a finished resource.
func summary(rows int64, d time.Duration) string {
	s := rowCount(rows) + " in " + short(d)
	if r, ok := rate(rows, d); ok {
		s += " (" + count(int64(math.Round(r))) + " rows/s)"
	}
	return s
}

// unfinished says why a resource that reported progress did not finish: in a run that failed
// (or was interrupted) it was stopped; in a run that succeeded, Salesforce refused to read
// the rest of the object and the run skipped it (see LoadInfo.Skipped).
func unfinished(failed bool) string {
	if failed {
		return "stopped"
	}
	return "skipped"
}

// logDisplay writes a line per resource at most every logEvery (a resource read in less than
// that gets only its finished line), a line when it finishes and a total at the end: dlt's log
// progress, for a log file or CI.
type logDisplay struct {
	mu    sync.Mutex
	w     io.Writer
	now   func() time.Time
	every time.Duration
	start time.Time
	res   map[string]*logResource
	rows  int64 // of the finished resources
	done  int
	// quit stops the ticker, which closes ticked when it is gone (nil: no ticker).
	quit, ticked chan struct{}
}

type logResource struct {
	start, last time.Time
	rows, total int64
	done        bool
}

// newLogDisplay makes a log display that writes when reports come; startTicking adds lines for
// resources that report nothing for a while (a Bulk job Salesforce is still running).
func newLogDisplay(w io.Writer, now func() time.Time) *logDisplay {
	return &logDisplay{w: w, now: now, every: logEvery, start: now(), res: map[string]*logResource{}}
}

// startTicking calls tick every interval until stop.
func (l *logDisplay) startTicking(every time.Duration) {
	l.quit, l.ticked = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(l.ticked)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				l.tick()
			case <-l.quit:
				return
			}
		}
	}()
}

// tick writes a line for each resource being read that has had none for the interval, in
// name order: one that reports no pages (its Bulk job runs) still says it is being read.
func (l *logDisplay) tick() {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	names := make([]string, 0, len(l.res))
	for name := range l.res {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if r := l.res[name]; !r.done && now.Sub(r.last) >= l.every {
			l.line(name, r, now)
		}
	}
}

// line writes how far a resource has come.
func (l *logDisplay) line(name string, r *logResource, now time.Time) {
	r.last = now
	elapsed := now.Sub(r.start)
	line := "progress: " + name + " " + rowsOf(r.rows, r.total)
	if r.total > 0 {
		line += fmt.Sprintf(" (%d%%)", min(100, r.rows*100/r.total))
	}
	line += " in " + short(elapsed)
	if s := speedAndLeft(r.rows, r.total, elapsed); s != "" {
		line += ", " + s
	}
	fmt.Fprintln(l.w, line)
}

func (l *logDisplay) report(ev sfdlt.Progress) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	r := l.res[ev.Resource]
	if r == nil {
		start := ev.Started
		if start.IsZero() {
			start = now
		}
		r = &logResource{start: start, last: start}
		l.res[ev.Resource] = r
	}
	if r.done {
		return
	}
	r.rows, r.total = ev.Rows, ev.TotalRows
	switch {
	case ev.Done:
		r.done = true
		l.done++
		l.rows += ev.Rows
		fmt.Fprintf(l.w, "progress: %s done: %s\n", ev.Resource, summary(ev.Rows, now.Sub(r.start)))
	case now.Sub(r.last) >= l.every:
		l.line(ev.Resource, r, now)
	}
}

func (l *logDisplay) stop(failed bool) {
	if l.quit != nil {
		close(l.quit)
		<-l.ticked
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	elapsed := l.now().Sub(l.start)
	var open []string
	for name, r := range l.res {
		if !r.done {
			open = append(open, fmt.Sprintf("%s at %s rows", name, count(r.rows)))
		}
	}
	sort.Strings(open)
	if failed {
		fmt.Fprintf(l.w, "progress: stopped after %s: %d resources finished (%s rows)", short(elapsed), l.done, count(l.rows))
	} else {
		fmt.Fprintf(l.w, "progress: total: %d resources, %s", l.done, summary(l.rows, elapsed))
	}
	if len(open) > 0 {
		fmt.Fprintf(l.w, "; %s: %s", unfinished(failed), strings.Join(open, ", "))
	}
	fmt.Fprintln(l.w)
}

// barDisplay draws a bar per resource being read and a total line under them; a finished
// resource's bar becomes its summary line and moves above the live bars.
type barDisplay struct {
	p     *mpb.Progress
	now   func() time.Time
	start time.Time
	total *mpb.Bar

	mu   sync.Mutex
	bars map[string]*resourceBar
	// Read by the total line's decorator (mpb's goroutine), hence atomic.
	rows    atomic.Int64 // of every resource, as reported
	done    atomic.Int64
	reading atomic.Int64
	failed  atomic.Bool
	// finished: the run ended; the total line's time stops at end.
	finished atomic.Bool
	end      atomic.Int64
}

// resourceBar is one resource's bar; its decorators run on mpb's goroutine, so what they read
// is atomic (report must not hold a lock while it calls mpb: mpb may be drawing, waiting for it).
type resourceBar struct {
	bar        *mpb.Bar
	name       string
	start      time.Time
	rows       atomic.Int64
	total      atomic.Int64 // -1 unknown
	elapsed    atomic.Int64 // when done: the time it took
	done       atomic.Bool
	lastRows   int64                  // owned by report, under barDisplay.mu
	stoppedOff atomic.Pointer[string] // why it never finished: "stopped" or "skipped"
}

// newBarDisplay makes the bars; extra container options are for tests (mpb.WithAutoRefresh to draw
// into a buffer).
func newBarDisplay(w io.Writer, now func() time.Time, extra ...mpb.ContainerOption) *barDisplay {
	opts := append([]mpb.ContainerOption{mpb.WithOutput(w), mpb.WithWidth(30), mpb.PopCompletedMode(), mpb.WithRefreshRate(150 * time.Millisecond)}, extra...)
	d := &barDisplay{
		p:     mpb.New(opts...),
		now:   now,
		start: now(),
		bars:  map[string]*resourceBar{},
	}
	d.total = d.p.New(0, mpb.NopStyle(), mpb.BarPriority(math.MaxInt),
		mpb.PrependDecorators(decor.Any(func(decor.Statistics) string { return d.totalLine() })))
	return d
}

func (d *barDisplay) totalLine() string {
	elapsed := d.now().Sub(d.start)
	if d.finished.Load() {
		elapsed = time.Duration(d.end.Load())
	}
	rows := d.rows.Load()
	var s string
	switch {
	case d.failed.Load():
		s = fmt.Sprintf("stopped: %d resources done, %s in %s", d.done.Load(), rowCount(rows), short(elapsed))
	case d.finished.Load():
		s = fmt.Sprintf("total: %d resources, %s in %s", d.done.Load(), rowCount(rows), short(elapsed))
	default:
		s = fmt.Sprintf("total: %d done, %d reading, %s in %s", d.done.Load(), d.reading.Load(), rowCount(rows), short(elapsed))
	}
	if r, ok := rate(rows, elapsed); ok {
		s += fmt.Sprintf(" (%s rows/s)", count(int64(math.Round(r))))
	}
	return s
}

func (d *barDisplay) report(ev sfdlt.Progress) {
	d.mu.Lock()
	rb := d.bars[ev.Resource]
	isNew := rb == nil
	if isNew {
		rb = &resourceBar{name: ev.Resource, start: ev.Started}
		if rb.start.IsZero() {
			rb.start = d.now()
		}
		rb.total.Store(-1)
		d.bars[ev.Resource] = rb
	}
	if rb.done.Load() {
		d.mu.Unlock()
		return
	}
	d.rows.Add(ev.Rows - rb.lastRows)
	rb.lastRows = ev.Rows
	d.mu.Unlock()

	rb.rows.Store(ev.Rows)
	if ev.TotalRows >= 0 {
		rb.total.Store(ev.TotalRows)
	}
	if isNew {
		d.reading.Add(1)
		rb.bar = d.p.New(0, mpb.BarStyle().Lbound("[").Rbound("]"),
			mpb.BarFillerClearOnComplete(),
			mpb.PrependDecorators(decor.Any(func(decor.Statistics) string { return rb.head() })),
			mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return rb.tail(d.now()) })))
	}
	if ev.TotalRows >= 0 {
		rb.bar.SetTotal(max(ev.TotalRows, ev.Rows), false)
	} else {
		// An unknown total: the bar stays empty and the line shows the count.
		rb.bar.SetTotal(0, false)
	}
	rb.bar.SetCurrent(ev.Rows)
	if ev.Done {
		rb.elapsed.Store(int64(d.now().Sub(rb.start)))
		rb.done.Store(true)
		d.reading.Add(-1)
		d.done.Add(1)
		rb.bar.SetTotal(-1, true) // completes it: mpb moves its summary above the live bars
	}
}

// head is what stands before the bar: a mark and the resource's name.
func (rb *resourceBar) head() string {
	mark := "  "
	switch {
	case rb.done.Load():
		mark = "✓ "
	case rb.stoppedOff.Load() != nil:
		mark = "✗ "
	}
	// A fixed width (the longest standard resource's name) keeps the columns of lines drawn at
	// different times aligned; a longer name pushes its own line only.
	return fmt.Sprintf("%s%-24s ", mark, rb.name)
}

// tail is what follows the bar: rows of the total, rate and time left; the summary when done.
func (rb *resourceBar) tail(now time.Time) string {
	rows := rb.rows.Load()
	if rb.done.Load() {
		return summary(rows, time.Duration(rb.elapsed.Load()))
	}
	s := rowsOf(rows, rb.total.Load())
	if why := rb.stoppedOff.Load(); why != nil {
		return s + ", " + *why
	}
	if sl := speedAndLeft(rows, rb.total.Load(), now.Sub(rb.start)); sl != "" {
		s += "  " + sl
	} else {
		s += " in " + short(now.Sub(rb.start)) // no rows yet (a Bulk job runs): how long it has waited
	}
	return s
}

func (d *barDisplay) stop(failed bool) {
	d.mu.Lock()
	bars := make([]*resourceBar, 0, len(d.bars))
	for _, rb := range d.bars {
		bars = append(bars, rb)
	}
	d.mu.Unlock()
	sort.Slice(bars, func(i, j int) bool { return bars[i].name < bars[j].name })
	why := unfinished(failed)
	for _, rb := range bars {
		if !rb.done.Load() {
			// The run ended without finishing it: keep its line, marked.
			rb.stoppedOff.Store(&why)
			rb.bar.Abort(false)
		}
	}
	// The unfinished lines are drawn (and moved above) before the total ends, so it stays last.
	for _, rb := range bars {
		rb.bar.Wait()
	}
	d.failed.Store(failed)
	d.end.Store(int64(d.now().Sub(d.start)))
	d.finished.Store(true)
	d.total.SetTotal(-1, true)
	d.p.Wait()
}
