package sfdlt_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/salesforcetest"
)

// Distinctive secret values: any of them found in an output is a leak.
const (
	secretUser     = "sekret-user@sfdlt.example" // not a secret, but logged in as
	secretPassword = "pw-SEKRET-1"
	secretToken    = "tok-SEKRET-2"
	secretClientID = "cid-SEKRET-3"
	secretClient   = "cs-SEKRET-4"
	wrongPassword  = "pw-SEKRET-WRONG-5"
)

// tokenRecorder is an HTTP transport that remembers the session ids (access tokens) Salesforce
// hands out, so that a test can look for them in outputs: they are secrets too.
type tokenRecorder struct {
	mu     sync.Mutex
	tokens map[string]bool
}

func (r *tokenRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if tok, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer "); ok && tok != "" {
		r.mu.Lock()
		if r.tokens == nil {
			r.tokens = map[string]bool{}
		}
		r.tokens[tok] = true
		r.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(req)
}

func (r *tokenRecorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for t := range r.tokens {
		out = append(out, t)
	}
	return out
}

// secretServer is an emulated org whose credentials are the distinctive values above.
func secretServer(t *testing.T) *salesforcetest.Server {
	t.Helper()
	srv := salesforcetest.NewServer(salesforcetest.Options{Seed: 7, Counts: smallCounts(),
		UserName: secretUser, Password: secretPassword, SecurityToken: secretToken, ClientID: secretClientID, ClientSecret: secretClient})
	t.Cleanup(srv.Close)
	return srv
}

// secretsOf lists the secrets a leak scan looks for: the fixed values, the refresh token, pieces
// of the private key (a PEM can be printed re-wrapped, so its lines are looked for one by one)
// and every session id handed out.
func secretsOf(srv *salesforcetest.Server, rec *tokenRecorder) []string {
	c := srv.Credentials()
	out := []string{secretPassword, secretToken, secretClientID, secretClient, wrongPassword, c.RefreshToken}
	for _, line := range strings.Split(c.PrivateKeyPEM, "\n") {
		if len(line) >= 32 && !strings.HasPrefix(line, "-----") {
			out = append(out, line)
		}
	}
	if rec != nil {
		for _, tok := range rec.list() {
			out = append(out, tok)
			// The part after the org id is the secret part of a session id.
			if _, after, ok := strings.Cut(tok, "!"); ok && len(after) >= 16 {
				out = append(out, after)
			}
		}
	}
	return out
}

// scanForSecrets fails the test for every secret found in any of the named texts.
func scanForSecrets(t *testing.T, secrets []string, texts map[string]string) {
	t.Helper()
	for where, text := range texts {
		for _, s := range secrets {
			if s != "" && strings.Contains(text, s) {
				i := strings.Index(text, s)
				t.Errorf("%s shows a secret (%.8s…) at byte %d: …%s…", where, s, i, text[max(0, i-80):i])
			}
		}
	}
}

// datasetText returns every text value of every table of the dataset, the _dlt_pipeline_state
// rows decoded (base64, zlib) too.
func datasetText(t *testing.T, e *env) string {
	t.Helper()
	db := e.db()
	var b strings.Builder
	cols, err := db.Query(`SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = $1 AND data_type = 'VARCHAR' ORDER BY 1, 2`, e.ds)
	if err != nil {
		t.Fatal(err)
	}
	type tc struct{ table, column string }
	var all []tc
	for cols.Next() {
		var c tc
		if err := cols.Scan(&c.table, &c.column); err != nil {
			t.Fatal(err)
		}
		all = append(all, c)
	}
	cols.Close()
	if len(all) == 0 {
		t.Fatal("the dataset has no text columns")
	}
	for _, c := range all {
		rows, err := db.Query(fmt.Sprintf(`SELECT "%s" FROM %s."%s"`, c.column, e.ds, c.table))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var v sql.NullString
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			b.WriteString(v.String)
			b.WriteByte('\n')
			if c.table == "_dlt_pipeline_state" && c.column == "state" {
				b.WriteString(decodeStoredState(t, v.String))
				b.WriteByte('\n')
			}
		}
		rows.Close()
	}
	return b.String()
}

func decodeStoredState(t *testing.T, s string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("the stored state is not base64: %v", err)
	}
	zr, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the stored state is not zlib: %v", err)
	}
	js, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(js, []byte(`"pipeline_name"`)) {
		t.Fatalf("the decoded state is not the state: %.200s", js)
	}
	return string(js)
}

func TestSecretsNeverShown(t *testing.T) {
	srv := secretServer(t)
	rec := &tokenRecorder{}
	// A session id to log in with: the one of a first SOAP login.
	first, err := client.New(context.Background(), client.Config{LoginURL: srv.URL(), HTTPClient: &http.Client{Transport: rec},
		Credentials: client.Credentials{UserName: secretUser, Password: secretPassword, SecurityToken: secretToken}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.Limits(context.Background()); err != nil {
		t.Fatal(err)
	}
	sessions := rec.list()
	if len(sessions) != 1 {
		t.Fatalf("recorded %d session ids, want the first login's", len(sessions))
	}
	c := srv.Credentials()
	flows := []struct {
		name  string
		creds sfdlt.Credentials
		fail  bool
	}{
		{"soap", sfdlt.Credentials{UserName: secretUser, Password: secretPassword, SecurityToken: secretToken}, false},
		{"oauth password", sfdlt.Credentials{UserName: secretUser, Password: secretPassword, SecurityToken: secretToken, ClientID: secretClientID, ClientSecret: secretClient}, false},
		{"client credentials", sfdlt.Credentials{ClientID: secretClientID, ClientSecret: secretClient}, false},
		{"jwt", sfdlt.Credentials{UserName: secretUser, ClientID: secretClientID, PrivateKey: c.PrivateKeyPEM}, false},
		{"refresh token", sfdlt.Credentials{ClientID: secretClientID, ClientSecret: secretClient, RefreshToken: c.RefreshToken}, false},
		{"session", sfdlt.Credentials{SessionID: sessions[0], InstanceURL: srv.URL()}, false},
		{"soap wrong password", sfdlt.Credentials{UserName: secretUser, Password: wrongPassword, SecurityToken: secretToken}, true},
		{"oauth wrong password", sfdlt.Credentials{UserName: secretUser, Password: wrongPassword, SecurityToken: secretToken, ClientID: secretClientID, ClientSecret: secretClient}, true},
		{"refresh token wrong secret", sfdlt.Credentials{ClientID: secretClientID, ClientSecret: wrongPassword, RefreshToken: c.RefreshToken}, true},
	}
	for _, f := range flows {
		t.Run(f.name, func(t *testing.T) {
			dir := t.TempDir()
			e := &env{t: t, srv: srv, dir: dir, file: filepath.Join(dir, "secrets.duckdb"), kind: "duckdb", ds: "salesforce_data"}
			var logs bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			src, err := sfdlt.NewSource(f.creds, sfdlt.LoginURL(srv.URL()), sfdlt.Logger(logger),
				sfdlt.HTTPClient(&http.Client{Transport: rec}))
			if err != nil {
				t.Fatal(err)
			}
			src = src.WithResources("opportunity", "contact")
			p := e.pipeline(sfdlt.Logger(logger))
			texts := map[string]string{}
			info, err := p.Run(context.Background(), src)
			switch {
			case f.fail && err == nil:
				t.Fatal("a wrong secret logged in")
			case !f.fail && err != nil:
				t.Fatalf("run: %v", err)
			}
			if err != nil {
				texts["the error"] = err.Error()
				texts["the error (%+v)"] = fmt.Sprintf("%+v", err)
				texts["the error (%#v)"] = fmt.Sprintf("%#v", err)
			}
			if info != nil {
				texts["LoadInfo.String"] = info.String()
				texts["LoadInfo (%+v)"] = fmt.Sprintf("%+v", *info)
			}
			texts["the creds (%v)"] = fmt.Sprint(f.creds)
			texts["the creds (%#v)"] = fmt.Sprintf("%#v", f.creds)
			if !f.fail {
				if in, err := p.Inspect(context.Background(), 10); err != nil {
					t.Fatal(err)
				} else {
					texts["Inspection.String"] = in.String()
				}
				st, err := os.ReadFile(filepath.Join(p.Dir(), "state.json"))
				if err != nil {
					t.Fatalf("the local state: %v", err)
				}
				texts["the local state"] = string(st)
				texts["the dataset"] = datasetText(t, e)
				if !strings.Contains(texts["the dataset"], `"name":"salesforce"`) && !strings.Contains(texts["the dataset"], `"name": "salesforce"`) {
					t.Error("the scan did not reach the schema in _dlt_version")
				}
			}
			texts["the log"] = logs.String()
			if logs.Len() == 0 {
				t.Error("nothing was logged at debug level: the scan of the log proves nothing")
			}
			scanForSecrets(t, secretsOf(srv, rec), texts)
		})
	}
}

// The configuration never shows a secret, and warns about a secrets.toml others can read.
func TestSecretsInConfiguration(t *testing.T) {
	dir := t.TempDir()
	path := writeDlt(t, dir, "secrets.toml", fmt.Sprintf("[sources.salesforce]\nuser_name = %q\npassword = %q\nsecurity_token = %q\nclient_id = %q\nclient_secret = %q\n",
		secretUser, secretPassword, secretToken, secretClientID, secretClient))
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := loadTestConfig(t, dir, []string{"DESTINATION__POSTGRES__CREDENTIALS=postgresql://loader:" + secretClient + "@db.example:5432/sf"})
	warned := false
	for _, w := range cfg.Warnings {
		if strings.Contains(w, path) && strings.Contains(w, "chmod 600") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no warning naming %s and chmod 600: %q", path, cfg.Warnings)
	}
	creds, err := cfg.Credentials()
	if err != nil {
		t.Fatal(err)
	}
	if creds.Password != secretPassword || creds.ClientSecret != secretClient {
		t.Fatalf("the configuration did not resolve the secrets: %v", creds)
	}
	origin, _ := cfg.Origin("password")
	dsnOrigin, _ := cfg.Origin("destination.postgres.credentials")
	dest, err := cfg.Destination("postgres")
	if err != nil {
		t.Fatal(err)
	}
	_, unknownDest := cfg.Destination("bigquery")
	_, missingDest := loadTestConfig(t, dir, nil).Destination("postgres")
	if unknownDest == nil || missingDest == nil {
		t.Fatalf("Destination(bigquery): %v; Destination(postgres) without its credentials: %v; want errors", unknownDest, missingDest)
	}
	settings := cfg.Settings()
	texts := map[string]string{
		"Config.String":            cfg.String(),
		"Config (%v)":              fmt.Sprint(cfg),
		"Config (%+v)":             fmt.Sprintf("%+v", *cfg),
		"Config (%#v)":             fmt.Sprintf("%#v", cfg),
		"the warnings":             strings.Join(cfg.Warnings, "\n"),
		"the password's origin":    origin,
		"the postgres origin":      dsnOrigin,
		"the credentials (%v)":     fmt.Sprint(creds),
		"the credentials (%#v)":    fmt.Sprintf("%#v", creds),
		"the postgres location":    dest.Info().Location,
		"the postgres destination": fmt.Sprintf("%v %+v %#v", dest, dest, dest),
		"the settings":             fmt.Sprintf("%v %+v %#v", settings, settings, settings),
		"the unknown destination":  unknownDest.Error(),
		"the missing destination":  missingDest.Error(),
	}
	scanForSecrets(t, []string{secretPassword, secretToken, secretClientID, secretClient}, texts)

	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, w := range loadTestConfig(t, dir, nil).Warnings {
		if strings.Contains(w, "chmod") {
			t.Errorf("a private secrets.toml still warns: %s", w)
		}
	}
}
