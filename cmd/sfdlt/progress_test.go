package main

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vbauerster/mpb/v8"

	"github.com/sfdlt/sfdlt"
)

func TestChooseProgress(t *testing.T) {
	for _, tc := range []struct {
		flag, configured string
		tty              bool
		want             string
		note             bool
	}{
		{"", "", true, progressBar, false},
		{"", "", false, progressLog, false},
		{"", "none", true, progressNone, false},
		{"", "log", true, progressLog, false},
		{"log", "none", true, progressLog, false}, // the flag wins
		{"none", "bar", false, progressNone, false},
		{"bar", "", true, progressBar, false},
		{"bar", "", false, progressLog, true}, // no terminal to draw on: said once
		{"", "bar", false, progressLog, true},
	} {
		got, note, err := chooseProgress(tc.flag, tc.configured, tc.tty)
		if err != nil || got != tc.want || (note != "") != tc.note {
			t.Errorf("chooseProgress(%q, %q, tty %v) = %q, note %q, %v; want %q, a note: %v", tc.flag, tc.configured, tc.tty, got, note, err, tc.want, tc.note)
		}
	}
	for _, tc := range []struct{ flag, configured, names string }{
		{"bars", "", `--progress "bars"`},
		{"", "tqdm", `progress "tqdm"`},
		{"BAR", "log", `--progress "BAR"`},
	} {
		_, _, err := chooseProgress(tc.flag, tc.configured, true)
		if err == nil || !strings.Contains(err.Error(), tc.names) || !strings.Contains(err.Error(), "bar") ||
			!strings.Contains(err.Error(), "log") || !strings.Contains(err.Error(), "none") {
			t.Errorf("chooseProgress(%q, %q): %v, want an error naming %s and bar, log, none", tc.flag, tc.configured, err, tc.names)
		}
	}
}

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestProgressLog(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)}
	var buf bytes.Buffer
	d := newLogDisplay(&buf, clock.Now)
	started := clock.Now()
	opp := func(pages int, rows, total int64, done bool) {
		d.report(sfdlt.Progress{Resource: "opportunity", Table: "opportunity", Started: started, Pages: pages, Rows: rows, TotalRows: total, Done: done})
	}
	opp(0, 0, -1, false) // the read begins: nothing to say yet
	clock.add(2 * time.Second)
	opp(1, 2000, 10000, false) // within the interval: quiet
	clock.add(3 * time.Second)
	opp(2, 4000, 10000, false) // 5 s after the start: a line
	clock.add(time.Second)
	opp(3, 6000, 10000, false) // 1 s after the last line: quiet
	clock.add(4 * time.Second)
	opp(4, 12000, 10000, false) // more rows than Salesforce counted at first (records added)
	d.report(sfdlt.Progress{Resource: "user_role", Started: clock.Now(), TotalRows: -1})
	clock.add(500 * time.Millisecond)
	d.report(sfdlt.Progress{Resource: "user_role", Started: clock.Now().Add(-500 * time.Millisecond), Pages: 1, Rows: 1, TotalRows: -1, Done: true})
	clock.add(time.Second)
	opp(5, 13000, 13000, true)
	opp(5, 13000, 13000, true) // a repeated report after done says nothing more
	d.stop(false)

	want := []string{
		"progress: opportunity 4,000 / 10,000 rows (40%) in 5.0s, 800 rows/s, 7.5s left",
		"progress: opportunity 12,000 / 12,000 rows (100%) in 10.0s, 1,200 rows/s",
		"progress: user_role done: 1 row in 0.5s (2 rows/s)",
		"progress: opportunity done: 13,000 rows in 11.5s (1,130 rows/s)",
		"progress: total: 2 resources, 13,001 rows in 11.5s (1,131 rows/s)",
	}
	if got := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("log lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A resource that reports nothing for a while (its Bulk job runs on Salesforce's side) still
// gets a line every interval, from the ticker; one that reported lately does not.
func TestProgressLogTicks(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)}
	var buf bytes.Buffer
	d := newLogDisplay(&buf, clock.Now)
	start := clock.Now()
	d.report(sfdlt.Progress{Resource: "task", Started: start, TotalRows: -1})
	d.report(sfdlt.Progress{Resource: "account", Started: start, TotalRows: -1})
	clock.add(4 * time.Second)
	d.tick() // too soon
	d.report(sfdlt.Progress{Resource: "account", Started: start, Pages: 1, Rows: 2000, TotalRows: 6000})
	clock.add(time.Second)
	d.report(sfdlt.Progress{Resource: "account", Started: start, Pages: 2, Rows: 4000, TotalRows: 6000}) // its line
	d.tick()                                                                                             // task's line
	clock.add(time.Second)
	d.tick() // nobody's
	clock.add(4 * time.Second)
	d.report(sfdlt.Progress{Resource: "account", Started: start, Pages: 3, Rows: 6000, TotalRows: 6000, Done: true})
	d.tick() // task's second line; account is done
	d.stop(false)
	want := "progress: account 4,000 / 6,000 rows (66%) in 5.0s, 800 rows/s, 2.5s left\n" +
		"progress: task 0 rows in 5.0s\n" +
		"progress: account done: 6,000 rows in 10.0s (600 rows/s)\n" +
		"progress: task 0 rows in 10.0s\n" +
		"progress: total: 1 resources, 6,000 rows in 10.0s (600 rows/s); skipped: task at 0 rows\n"
	if buf.String() != want {
		t.Errorf("log lines:\n%s\nwant:\n%s", buf.String(), want)
	}
}

func TestProgressLogOfAFailedRun(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)}
	for _, tc := range []struct {
		failed bool
		want   string
	}{
		{true, "progress: stopped after 2.0s: 1 resources finished (10 rows); stopped: task at 300 rows\n"},
		// A run that succeeded without finishing a resource skipped it (Salesforce refused it).
		{false, "progress: total: 1 resources, 10 rows in 2.0s (5 rows/s); skipped: task at 300 rows\n"},
	} {
		var buf bytes.Buffer
		d := newLogDisplay(&buf, clock.Now)
		d.report(sfdlt.Progress{Resource: "account", Started: clock.Now(), Pages: 1, Rows: 10, TotalRows: 10, Done: true})
		d.report(sfdlt.Progress{Resource: "task", Started: clock.Now(), Pages: 1, Rows: 300, TotalRows: -1})
		clock.add(2 * time.Second)
		d.stop(tc.failed)
		lines := strings.SplitAfter(buf.String(), "\n")
		if last := lines[len(lines)-2]; last != tc.want {
			t.Errorf("failed %v: last line %q, want %q", tc.failed, last, tc.want)
		}
	}
}

func TestProgressNonePrintsNothing(t *testing.T) {
	var buf bytes.Buffer
	d := newProgressDisplay(progressNone, &buf, time.Now)
	d.report(sfdlt.Progress{Resource: "account", Pages: 1, Rows: 10, TotalRows: 10, Done: true})
	d.stop(false)
	if buf.Len() != 0 {
		t.Errorf("progress none printed %q", buf.String())
	}
}

// The bars' final state, drawn once when the display stops (a buffer is no terminal, so mpb
// draws only then): a line per finished resource, the unfinished ones marked, and the total.
func TestProgressBarsFinalLines(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)}
	for _, tc := range []struct {
		failed bool
		want   []string
	}{
		{false, []string{
			"✓ opportunity              16,000 rows in 4.0s (4,000 rows/s)",
			"✓ account                  1 row in 1.0s (1 rows/s)",
			"✗ task                     500 / 50,000 rows, skipped",
			"total: 2 resources, 16,501 rows in 4.0s (4,125 rows/s)",
		}},
		{true, []string{
			"✗ task                     500 / 50,000 rows, stopped",
			"stopped: 2 resources done, 16,501 rows in 4.0s (4,125 rows/s)",
		}},
	} {
		var buf bytes.Buffer
		d := newBarDisplay(&buf, clock.Now, mpb.WithAutoRefresh(), mpb.WithWidth(120))
		start := clock.Now()
		d.report(sfdlt.Progress{Resource: "opportunity", Started: start, TotalRows: -1})
		d.report(sfdlt.Progress{Resource: "task", Started: start, TotalRows: -1})
		d.report(sfdlt.Progress{Resource: "task", Started: start, Pages: 1, Rows: 500, TotalRows: 50000})
		clock.add(time.Second)
		d.report(sfdlt.Progress{Resource: "opportunity", Started: start, Pages: 1, Rows: 2000, TotalRows: -1})
		d.report(sfdlt.Progress{Resource: "account", Started: start, Pages: 1, Rows: 1, TotalRows: 1, Done: true})
		clock.add(3 * time.Second)
		d.report(sfdlt.Progress{Resource: "opportunity", Started: start, Pages: 8, Rows: 16000, TotalRows: 16000, Done: true})
		d.stop(tc.failed)
		// The words matter, not the bar's drawing or the padding between them.
		out := strings.Join(strings.Fields(barFiller.ReplaceAllString(buf.String(), "")), " ")
		for _, w := range tc.want {
			if w = strings.Join(strings.Fields(w), " "); !strings.Contains(out, w) {
				t.Errorf("failed %v: the bars' output lacks %q:\n%s", tc.failed, w, out)
			}
		}
		// The total is the last line drawn, below the unfinished resource's.
		if last := tc.want[len(tc.want)-1]; strings.LastIndex(out, "✗ task") > strings.LastIndex(out, strings.Join(strings.Fields(last), " ")) {
			t.Errorf("failed %v: the total is not the last line:\n%s", tc.failed, buf.String())
		}
	}
}

// barFiller matches a drawn bar, [====>-----].
var barFiller = regexp.MustCompile(`\[[=>-]*\]`)

func TestCountAndDurations(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := count(n); got != want {
			t.Errorf("count(%d) = %q, want %q", n, got, want)
		}
	}
	for d, want := range map[time.Duration]string{
		400 * time.Millisecond: "0.4s", 12345 * time.Millisecond: "12.3s", 245 * time.Second: "4m05s",
		2*time.Hour + 3*time.Minute + 10*time.Second: "2h03m",
	} {
		if got := short(d); got != want {
			t.Errorf("short(%v) = %q, want %q", d, got, want)
		}
	}
}

// Sixteen resources report at once, as a run's readers do (run with -race): every line ends
// as its summary and the total counts them all.
func TestProgressBarsConcurrent(t *testing.T) {
	var buf bytes.Buffer
	d := newBarDisplay(&buf, time.Now, mpb.WithAutoRefresh(), mpb.WithWidth(120))
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			name := fmt.Sprintf("resource_%02d", i)
			start := time.Now()
			d.report(sfdlt.Progress{Resource: name, Started: start, TotalRows: -1})
			for page := 1; page <= 20; page++ {
				d.report(sfdlt.Progress{Resource: name, Started: start, Pages: page, Rows: int64(page * 100), TotalRows: 2000})
			}
			d.report(sfdlt.Progress{Resource: name, Started: start, Pages: 20, Rows: 2000, TotalRows: 2000, Done: true})
		})
	}
	wg.Wait()
	d.stop(false)
	out := strings.Join(strings.Fields(buf.String()), " ")
	for i := range 16 {
		if want := fmt.Sprintf("✓ resource_%02d 2,000 rows in", i); !strings.Contains(out, want) {
			t.Errorf("no %q in the output", want)
		}
	}
	if !strings.Contains(out, "total: 16 resources, 32,000 rows in") {
		t.Errorf("no total of 16 resources and 32,000 rows:\n%s", buf.String())
	}
}
