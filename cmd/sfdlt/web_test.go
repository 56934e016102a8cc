package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/destination/destinationtest"
	"github.com/sfdlt/sfdlt/destination/duckdb"
	"github.com/sfdlt/sfdlt/destination/postgres"
	"github.com/sfdlt/sfdlt/salesforcetest"
)

// webOpportunities is how many opportunities the org of the show --web tests has: more than
// two pages of the row browser (50 rows each).
const webOpportunities = 120

// webEnv is a pipeline loaded from the emulator and the page of `pipeline show --web` on it.
type webEnv struct {
	dest, dataset, dir string
	url                string // http://127.0.0.1:PORT/
	secrets            []string
	stderr             *lockedBuffer
	d                  destination.Destination
}

// lockedBuffer is a bytes.Buffer that the command writes while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// showWeb loads opportunities and contacts of an emulated org (configured with distinctive
// secrets) into dest, then serves the page of `sfdlt pipeline salesforce show --web` on it.
func showWeb(t *testing.T, dest string) *webEnv {
	t.Helper()
	e := loaded(t, dest)
	e.serve(t)
	return e
}

// loaded loads opportunities and contacts of an emulated org, configured with distinctive
// secrets, into dest, and returns the environment to serve them from.
func loaded(t *testing.T, dest string) *webEnv {
	t.Helper()
	dir := cleanEnv(t)
	t.Chdir(dir)
	srv := salesforcetest.NewServer(salesforcetest.Options{Seed: 11, Counts: map[string]int{"Opportunity": webOpportunities, "Contact": 20},
		Password: cliPassword, SecurityToken: cliToken, ClientID: cliClientID, ClientSecret: cliClientSecret})
	t.Cleanup(srv.Close)
	c := srv.Credentials()
	e := &webEnv{dest: dest, dataset: "web_data", dir: dir, stderr: &lockedBuffer{},
		secrets: []string{cliPassword, cliToken, cliClientID, cliClientSecret, c.RefreshToken}}
	for _, line := range strings.Split(c.PrivateKeyPEM, "\n") {
		if len(line) >= 32 && !strings.HasPrefix(line, "-----") {
			e.secrets = append(e.secrets, line)
		}
	}
	t.Setenv("SOURCES__SALESFORCE__CREDENTIALS__USER_NAME", c.UserName)
	t.Setenv("SOURCES__SALESFORCE__CREDENTIALS__PASSWORD", cliPassword)
	t.Setenv("SOURCES__SALESFORCE__CREDENTIALS__SECURITY_TOKEN", cliToken)
	t.Setenv("SOURCES__SALESFORCE__CREDENTIALS__CLIENT_ID", cliClientID)
	t.Setenv("SOURCES__SALESFORCE__CREDENTIALS__CLIENT_SECRET", cliClientSecret)
	t.Setenv("SOURCES__SALESFORCE__LOGIN_URL", srv.URL())
	if dest == "postgres" {
		u, err := url.Parse(destinationtest.PostgresDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		if pw, ok := u.User.Password(); ok {
			e.secrets = append(e.secrets, pw)
		} else {
			// Postgres of the tests trusts local connections: a password in the DSN is
			// ignored by the server and must still never reach the page.
			u.User = url.UserPassword(u.User.Username(), cliPGPassword)
			e.secrets = append(e.secrets, cliPGPassword)
		}
		e.dataset = destinationtest.DatasetName(t)
		t.Setenv("DESTINATION__POSTGRES__CREDENTIALS", u.String())
		e.d = postgres.New(u.String())
		t.Cleanup(func() { postgres.New(u.String()).DropDataset(context.Background(), e.dataset) })
	} else {
		file := filepath.Join(dir, "web.duckdb")
		t.Setenv("DESTINATION__DUCKDB__CREDENTIALS", file)
		e.d = duckdb.New(file)
	}
	e.run(t)
	return e
}

// serve starts `sfdlt pipeline salesforce show --web` on the dataset in this process and sets
// e.url; the server is stopped (and must stop cleanly) when the test ends.
func (e *webEnv) serve(t *testing.T) {
	t.Helper()
	dest := e.dest
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	cmd := newRootCmd()
	cmd.SetArgs([]string{"pipeline", "salesforce", "show", "--web", "--destination", dest, "--dataset-name", e.dataset})
	cmd.SetIn(strings.NewReader(""))
	cmd.SetOut(pw)
	cmd.SetErr(e.stderr)
	done := make(chan error, 1)
	go func() {
		err := cmd.ExecuteContext(ctx)
		pw.CloseWithError(fmt.Errorf("the command ended: %v", err))
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("show --web did not stop cleanly when its context was cancelled: %v\n%s", err, e.stderr)
		}
	})
	out := bufio.NewReader(pr)
	first, err := out.ReadString('\n')
	if err != nil {
		t.Fatalf("show --web printed no address: %v\n%s", err, e.stderr)
	}
	go io.Copy(io.Discard, out)
	e.url = strings.TrimSpace(first)
	if !regexp.MustCompile(`^http://127\.0\.0\.1:[0-9]+/$`).MatchString(e.url) {
		t.Fatalf("the first line of show --web is %q, want http://127.0.0.1:PORT/", first)
	}
}

// run loads the org's opportunities and contacts into the dataset.
func (e *webEnv) run(t *testing.T) {
	t.Helper()
	out, errOut, err := cliIn(t, e.dir, "", "run", "--destination", e.dest, "--dataset-name", e.dataset, "--resources", "opportunity,contact")
	if err != nil {
		t.Fatalf("run: %v\n%s\n%s", err, out, errOut)
	}
}

// reader opens the dataset straight from the destination and lists its tables; the caller
// closes the reader (at once: an open reader can keep a run from the DuckDB file).
func (e *webEnv) reader(t *testing.T) (destination.Reader, []destination.TableStats) {
	t.Helper()
	r, err := e.d.Read(context.Background(), e.dataset, "salesforce")
	if err != nil {
		t.Fatal(err)
	}
	stats, err := r.Tables(context.Background())
	if err != nil {
		r.Close()
		t.Fatal(err)
	}
	return r, stats
}

// tables reads the dataset's tables and row counts straight from the destination.
func (e *webEnv) tables(t *testing.T) map[string]int64 {
	t.Helper()
	r, stats := e.reader(t)
	r.Close()
	out := map[string]int64{}
	for _, s := range stats {
		out[s.Name] = s.Rows
	}
	return out
}

// get fetches a path of the page and checks its status; it returns the body.
func (e *webEnv) get(t *testing.T, path string, wantStatus int) string {
	t.Helper()
	resp, err := http.Get(strings.TrimSuffix(e.url, "/") + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != wantStatus {
		t.Errorf("GET %s: status %d, want %d:\n%s", path, resp.StatusCode, wantStatus, b)
	}
	e.noSecret(t, "GET "+path, string(b))
	return string(b)
}

// noSecret fails the test when text holds one of the configured secrets.
func (e *webEnv) noSecret(t *testing.T, what, text string) {
	t.Helper()
	for _, s := range e.secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("%s shows a secret (%.8s…)", what, s)
		}
	}
}

// sqlPath is the path of the SQL page running query.
func sqlPath(query string) string { return "/query?sql=" + url.QueryEscape(query) }

// TestShowWeb checks the pages of show --web over HTTP on DuckDB and Postgres: the overview
// lists the tables with their row counts, cursors and charts; the row browser pages in order;
// the SQL box runs a SELECT and refuses what would write, several statements and other files;
// table names from the URL are checked; other hosts are refused; and a run can load while the
// page is served.
func TestShowWeb(t *testing.T) {
	for _, dest := range []string{"duckdb", "postgres"} {
		t.Run(dest, func(t *testing.T) {
			e := showWeb(t, dest)
			want := e.tables(t)
			if want["opportunity"] != webOpportunities || want["contact"] != 20 {
				t.Fatalf("the dataset holds %v, want %d opportunities and 20 contacts", want, webOpportunities)
			}
			home := e.get(t, "/", http.StatusOK)
			for _, name := range []string{"opportunity", "contact"} {
				row := regexp.MustCompile(`(?s)<tr data-table="` + name + `">.*?</tr>`).FindString(home)
				if !strings.Contains(row, fmt.Sprintf(`<td class="num rows">%d</td>`, want[name])) {
					t.Errorf("the overview's row of %s does not show %d rows: %s", name, want[name], row)
				}
			}
			for _, s := range []string{e.dataset, "SystemModstamp", "<svg", "merge, incremental on SystemModstamp", "The last run skipped nothing"} {
				if !strings.Contains(home, s) {
					t.Errorf("the overview lacks %q", s)
				}
			}

			first := e.get(t, "/table/opportunity", http.StatusOK)
			last := e.get(t, "/table/opportunity?page=2", http.StatusOK)
			for _, c := range []struct{ page, want string }{{first, "1–50 of 120"}, {last, "101–120 of 120"}} {
				if !strings.Contains(c.page, c.want) {
					t.Errorf("the row browser does not say %q", c.want)
				}
			}
			if !strings.Contains(first, `id="next" href="?page=1"`) || strings.Contains(last, `id="next"`) {
				t.Errorf("the first page must link to the next, the last one not")
			}
			for _, s := range []string{"primary key", "text", "timestamp"} {
				if !strings.Contains(first, s) {
					t.Errorf("the columns of opportunity lack %q", s)
				}
			}
			e.get(t, "/table/nosuch", http.StatusNotFound)
			e.get(t, "/table/"+url.PathEscape(`opportunity" ; DROP TABLE "opportunity`), http.StatusNotFound)
			e.get(t, "/table/opportunity?page=-1", http.StatusBadRequest)

			q := fmt.Sprintf(`SELECT count(*) AS n FROM "%s"."opportunity"`, e.dataset)
			if body := e.get(t, sqlPath(q), http.StatusOK); !strings.Contains(body, fmt.Sprintf(">%d</td>", webOpportunities)) {
				t.Errorf("%s does not show %d:\n%s", q, webOpportunities, body)
			}
			capped := e.get(t, sqlPath(fmt.Sprintf(`SELECT * FROM "%s"."opportunity" CROSS JOIN "%s"."opportunity" AS b`, e.dataset, e.dataset)), http.StatusOK)
			if !strings.Contains(capped, "the first 1000 shown") {
				t.Errorf("a result of %d rows is not capped at 1000", webOpportunities*webOpportunities)
			}
			refused := map[string]string{
				"bad SQL":  "SELEC nothing",
				"no table": `SELECT * FROM "` + e.dataset + `"."nosuch"`,
				"two":      fmt.Sprintf(`SELECT 1; DROP TABLE "%s"."contact"`, e.dataset),
				// A backslash escape that counting misses: the database's prepare refuses it.
				"escaped":   fmt.Sprintf(`SELECT E'\''; DROP TABLE "%s"."contact"`, e.dataset),
				"comment":   "-- nothing to run",
				"drop":      fmt.Sprintf(`DROP TABLE "%s"."contact"`, e.dataset),
				"delete":    fmt.Sprintf(`DELETE FROM "%s"."contact"`, e.dataset),
				"commit":    "COMMIT",
				"rollback":  "-- a comment first\nrollback",
				"set rw":    "SET TRANSACTION READ WRITE",
				"read file": "SELECT * FROM read_csv('/etc/passwd')",
			}
			if dest == "postgres" {
				// Postgres lets the DSN's role do what its privileges allow, e.g. a superuser
				// pg_read_file: the README says to give show --web a read-only role.
				delete(refused, "read file")
			}
			for what, q := range refused {
				if body := e.get(t, sqlPath(q), http.StatusBadRequest); !strings.Contains(body, `id="error"`) {
					t.Errorf("%s (%s): no error shown", what, q)
				}
			}
			if got := e.tables(t); got["contact"] != 20 || got["opportunity"] != webOpportunities {
				t.Errorf("after the refused statements the dataset holds %v, want it unchanged: %v", got, want)
			}

			req, _ := http.NewRequest("GET", e.url, nil)
			req.Host = "rebound.example:80"
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusMisdirectedRequest {
				t.Errorf("a request for host %s: status %d, want %d", req.Host, resp.StatusCode, http.StatusMisdirectedRequest)
			}

			// The page holds nothing open between requests: a run loads meanwhile.
			e.run(t)
			if got := e.get(t, "/", http.StatusOK); strings.Count(got, "<tr><td><code>") < 2 {
				t.Errorf("the load history does not show the second run's load")
			}
		})
	}
}

// TestShowWebRefusesBadFlags checks the flags of show --web: --addr needs --web, and neither
// goes with another operation.
func TestShowWebRefusesBadFlags(t *testing.T) {
	dir := cleanEnv(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"pipeline", "salesforce", "show", "--addr", "127.0.0.1:0"}, "add --web"},
		{[]string{"pipeline", "salesforce", "trace", "--web"}, "go with show"},
	} {
		if _, _, err := cliIn(t, dir, "", c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one saying %q", c.args, err, c.want)
		}
	}
	_, _, err := cliIn(t, dir, "", "pipeline", "salesforce", "show", "--web", "--addr", "256.0.0.1:1")
	if err == nil || !strings.Contains(err.Error(), "cannot listen on 256.0.0.1:1") {
		t.Errorf("an address that cannot be listened on: %v", err)
	}
}

// processEnv names the environment variable that makes TestShowWebProcess the command itself:
// it then runs sfdlt with the arguments in the variable, one per line, stopped by SIGINT as
// main is.
const processEnv = "SFDLT_TEST_SHOW_WEB_ARGS"

// TestShowWebProcess runs show --web on DuckDB in a process of its own, as a user does: it
// prints its address first; a run in another process (this one) loads into the file while the
// page is open, since the page holds the file only while it answers; the page then shows the new
// load; and ctrl-C (SIGINT) stops it with status 0.
func TestShowWebProcess(t *testing.T) {
	if args := os.Getenv(processEnv); args != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		cmd := newRootCmd()
		cmd.SetArgs(strings.Split(args, "\n"))
		if err := cmd.ExecuteContext(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "sfdlt:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	e := loaded(t, "duckdb")
	cmd := exec.Command(os.Args[0], "-test.run=^TestShowWebProcess$")
	cmd.Dir = e.dir
	cmd.Env = append(os.Environ(), processEnv+"="+strings.Join([]string{"pipeline", "salesforce", "show", "--web", "--dataset-name", e.dataset}, "\n"))
	cmd.Stderr = e.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	out := bufio.NewReader(stdout)
	first, err := out.ReadString('\n')
	if err != nil {
		t.Fatalf("show --web printed no address: %v\n%s", err, e.stderr)
	}
	go io.Copy(io.Discard, out)
	e.url = strings.TrimSpace(first)

	loads := func() int { return strings.Count(e.get(t, "/", http.StatusOK), "<tr><td><code>") }
	if n := loads(); n != 1 {
		t.Fatalf("the load history shows %d loads, want 1", n)
	}
	e.run(t) // fails if the page's process held the DuckDB file
	if n := loads(); n != 2 {
		t.Errorf("after a second run the load history shows %d loads, want 2", n)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	stopped = true
	if err != nil {
		t.Errorf("show --web did not exit cleanly on SIGINT: %v\n%s", err, e.stderr)
	}
}

// TestShowWebShowsSkippedObjects loads a whole org, where Salesforce refuses to read some
// objects, and checks that the overview lists each skipped object with Salesforce's reason.
func TestShowWebShowsSkippedObjects(t *testing.T) {
	dir := cleanEnv(t)
	t.Chdir(dir)
	emulatorEnvWith(t, "", salesforcetest.Options{Seed: 7, WholeOrg: true, Counts: map[string]int{"Opportunity": 10}})
	t.Setenv("DESTINATION__DUCKDB__CREDENTIALS", filepath.Join(dir, "web.duckdb"))
	if out, errOut, err := cliIn(t, dir, "", "run", "--dataset-name", "org", "--all-objects", "--objects-exclude", "*Share,Group*"); err != nil {
		t.Fatalf("run: %v\n%s\n%s", err, out, errOut)
	}
	e := &webEnv{dest: "duckdb", dataset: "org", dir: dir, stderr: &lockedBuffer{}}
	e.serve(t)
	home := e.get(t, "/", http.StatusOK)
	for _, want := range []string{"Skipped object <strong>EventLogFile</strong>", "Skipped object <strong>SetupAuditTrail</strong>", "INSUFFICIENT_ACCESS_OR_READONLY", "Skipped object <strong>ContentDocumentLink</strong>"} {
		if !strings.Contains(home, want) {
			t.Errorf("the overview lacks %q", want)
		}
	}
}
