package main

import (
	"fmt"
	"html"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sfdlt/sfdlt/salesforcetest"
)

// Off a terminal (stderr is a buffer here, as a pipe or a log file would be), a run writes
// dlt's log progress: a line per finished resource and a total, and no escape code.
func TestRunProgressLog(t *testing.T) {
	dir := cleanEnv(t)
	emulatorEnv(t, "")
	_, errOut, err := cli(t, dir, "run", "--resources", "opportunity,contact", "--dataset-name", "d1")
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errOut)
	}
	for _, want := range []string{"progress: opportunity done: 30 rows in ", "progress: contact done: 20 rows in ", "progress: total: 2 resources, 50 rows in "} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.ContainsAny(errOut, "\x1b\r") {
		t.Errorf("log progress has escape codes or carriage returns: %q", errOut)
	}

	// Bars asked for where there is no terminal: log lines, and a word why.
	_, errOut, err = cli(t, dir, "run", "--resources", "contact", "--dataset-name", "d2", "--progress", "bar")
	if err != nil || !strings.Contains(errOut, "not a terminal") || !strings.Contains(errOut, "progress: contact done: 20 rows") {
		t.Errorf("--progress bar off a terminal: %v\n%s", err, errOut)
	}

	// none: not a word of progress; the configuration's key is read and the flag wins over it.
	os.MkdirAll(filepath.Join(dir, ".dlt"), 0o700)
	if err := os.WriteFile(filepath.Join(dir, ".dlt", "config.toml"), []byte("progress = \"none\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, err = cli(t, dir, "run", "--resources", "contact", "--dataset-name", "d3"); err != nil || strings.Contains(errOut, "progress") {
		t.Errorf("progress = \"none\": %v\n%s", err, errOut)
	}
	if _, errOut, err = cli(t, dir, "run", "--resources", "contact", "--dataset-name", "d4", "--progress", "log"); err != nil || !strings.Contains(errOut, "progress: total: 1 resources") {
		t.Errorf("--progress log over progress = \"none\": %v\n%s", err, errOut)
	}

	// A bad value says which values there are, and loads nothing.
	if _, _, err = cli(t, dir, "run", "--resources", "contact", "--dataset-name", "d5", "--progress", "fancy"); err == nil ||
		!strings.Contains(err.Error(), `--progress "fancy": use bar`) || !strings.Contains(err.Error(), "none") {
		t.Errorf("--progress fancy: %v", err)
	}
	if got := tablesIn(t, filepath.Join(dir, "salesforce.duckdb"), "d5"); len(got) != 0 {
		t.Errorf("a run with a bad --progress loaded %v", got)
	}
}

// TestRunProgressBarsOnTerminal runs the CLI under a pseudo-terminal (tmux) and reads the screen
// it leaves: a summary line per resource, the total, and no bar still drawn. With
// SFDLT_UPDATE_DOCS=1 it also writes docs/progress.txt: the screen in the middle of a run and
// at its end.
func TestRunProgressBarsOnTerminal(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux is missing: .ci/run installs it (apt-get install tmux); the progress display must be tested on a terminal")
		}
		t.Skip("tmux is not installed")
	}
	if testing.Short() {
		t.Skip("builds the CLI")
	}
	docs := os.Getenv("SFDLT_UPDATE_DOCS") == "1"
	// Built before cleanEnv moves HOME: go's build and module caches are under the real one.
	bin := filepath.Join(t.TempDir(), "sfdlt")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := cleanEnv(t)
	lat := salesforcetest.RealOrgLatency()
	lat.Scale = 0.02
	opts := salesforcetest.Options{Seed: 3, Counts: map[string]int{"Opportunity": 3000, "Contact": 2000, "Task": 6000}, Latency: lat}
	if docs {
		// Slow enough to catch bars being drawn.
		lat.Scale = 0.5
		opts.Latency = lat
		opts.Counts = map[string]int{"Opportunity": 16000, "Contact": 12000, "Task": 50000, "Account": 6000, "Event": 24000, "Lead": 8000}
	}
	srv := salesforcetest.NewServer(opts)
	t.Cleanup(srv.Close)
	c := srv.Credentials()

	// The run's settings are in a script: a tmux session gets the tmux server's environment,
	// not this test's.
	script := filepath.Join(dir, "run.sh")
	stdout, done := filepath.Join(dir, "stdout.txt"), filepath.Join(dir, "exit-status")
	body := fmt.Sprintf(`cd %q
export HOME=%q SOURCES__SALESFORCE__CREDENTIALS__USER_NAME=%q SOURCES__SALESFORCE__CREDENTIALS__PASSWORD=%q SOURCES__SALESFORCE__CREDENTIALS__SECURITY_TOKEN=%q SOURCES__SALESFORCE__LOGIN_URL=%q
%q run --dataset-name salesforce_data >%q
echo $? >%q.tmp && mv %q.tmp %q
exec sleep 600
`, dir, filepath.Join(dir, "home"), c.UserName, c.Password, c.SecurityToken, srv.URL(), bin, stdout, done, done, done)
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	socket := fmt.Sprintf("sfdlt-test-%d", os.Getpid())
	tmux := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("tmux", append([]string{"-L", socket}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	tmux("-f", "/dev/null", "new-session", "-d", "-x", "132", "-y", "50", "bash "+script)
	t.Cleanup(func() { exec.Command("tmux", "-L", socket, "kill-server").Run() })

	// Wait for the run to end (the script writes its exit status), however long the machine takes.
	var midRun string
	deadline := time.Now().Add(5 * time.Minute)
	for {
		if _, err := os.Stat(done); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run did not end in 5 minutes; the screen:\n%s", tmux("capture-pane", "-p"))
		}
		if docs && midRun == "" {
			if s := tmux("capture-pane", "-p"); strings.Contains(s, "rows/s,") && strings.Contains(s, "✓") {
				midRun = s
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	status, _ := os.ReadFile(done)
	out, _ := os.ReadFile(stdout)
	screen := tmux("capture-pane", "-p")
	if strings.TrimSpace(string(status)) != "0" {
		t.Fatalf("sfdlt run exited with %s; stdout:\n%s\nscreen:\n%s", status, out, screen)
	}
	resources := []string{"sf_user", "user_role", "lead", "contact", "campaign", "product_2", "pricebook_2", "pricebook_entry",
		"opportunity", "opportunity_line_item", "opportunity_contact_role", "account", "campaign_member", "task", "event"}
	summary := regexp.MustCompile(`(?m)^✓ ([a-z_0-9]+) +([0-9,]+) rows? in [0-9.]+s`)
	seen := map[string]bool{}
	for _, m := range summary.FindAllStringSubmatch(screen, -1) {
		if seen[m[1]] {
			t.Errorf("%s's summary is on the screen twice", m[1])
		}
		seen[m[1]] = true
	}
	for _, r := range resources {
		if !seen[r] {
			t.Errorf("no summary line for %s on the screen:\n%s", r, screen)
		}
	}
	total := regexp.MustCompile(`(?m)^total: 15 resources, [0-9,]+ rows in [0-9.]+s`)
	if !total.MatchString(screen) {
		t.Errorf("no total line on the screen:\n%s", screen)
	}
	if strings.Contains(screen, "[=") || strings.Contains(screen, "reading") || strings.Contains(screen, "\x1b") {
		t.Errorf("a bar or an escape code is left on the screen:\n%s", screen)
	}
	if !strings.Contains(string(out), "is LOADED and contains no failed jobs") {
		t.Errorf("stdout lacks the load info:\n%s", out)
	}
	if docs {
		trim := func(s string) string { return strings.TrimRight(s, "\n") + "\n" }
		text := "# sfdlt run on a terminal (tmux capture by TestRunProgressBarsOnTerminal, SFDLT_UPDATE_DOCS=1)\n\n## During the run\n\n" +
			trim(midRun) + "\n## At the end\n\n" + trim(screen)
		if err := os.WriteFile(filepath.Join(docsDir, "progress.txt"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		// The same two screens as a picture, drawn by Chromium as a terminal would show them.
		page := `<!doctype html><meta charset="utf-8"><body style="margin:0;background:#1e1e1e;color:#d4d4d4;font:14px/1.35 'DejaVu Sans Mono',monospace">` +
			`<div style="padding:14px 18px"><div style="color:#8a8a8a">$ sfdlt run   # during the run</div><pre style="margin:4px 0 18px">` + html.EscapeString(trim(midRun)) +
			`</pre><div style="color:#8a8a8a">at its end</div><pre style="margin:4px 0 0">` + html.EscapeString(trim(screen)) + `</pre></div>`
		ctx := browser(t)
		do(t, ctx, "drawing the screens", chromedp.Navigate("data:text/html;charset=utf-8,"+url.PathEscape(page)),
			chromedp.WaitVisible("pre"))
		png := read(t, ctx, "taking a screenshot", chromedp.FullScreenshot(100))
		if err := os.WriteFile(filepath.Join(docsDir, "progress.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
