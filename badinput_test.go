package sfdlt_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	duckdbdriver "github.com/duckdb/duckdb-go/v2"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/config"
	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/destination/duckdb"
	"github.com/sfdlt/sfdlt/salesforcetest"
	"github.com/sfdlt/sfdlt/schema"
)

// badInput is one row of the bad input table: something a user can get wrong, the error it
// must give, and, for every row, nothing written to the dataset.
type badInput struct {
	name string
	// prior runs a good load of opportunity and contact first, so the row can check that the
	// failing run leaves that dataset exactly as it was.
	prior bool
	// do makes the mistake and returns the error it gave.
	do func(t *testing.T, e *env) error
	// is lists sentinels the error must match with errors.Is; as checks typed errors.
	is []error
	as func(err error) bool
	// want are substrings the message must hold: what is wrong, where, and what to do.
	want []string
	// hide are substrings the message must not hold (secrets).
	hide []string
}

func TestBadInput(t *testing.T) {
	rows := []badInput{
		{
			name: "no credentials anywhere",
			do: func(t *testing.T, e *env) error {
				cfg := loadTestConfig(t, e.dir, nil)
				_, err := cfg.Source()
				return err
			},
			as: func(err error) bool { var m *config.MissingConfigError; return errors.As(err, &m) },
			want: []string{"missing Salesforce credentials", "sources.salesforce.credentials.<key>", "user_name", "password", "security_token",
				"SOURCES__SALESFORCE__PASSWORD", filepath.Join(".dlt", "secrets.toml"), "(not found)", "sfdlt init"},
		},
		{
			name: "empty credentials in secrets.toml",
			do: func(t *testing.T, e *env) error {
				writeDlt(t, e.dir, "secrets.toml", "[sources.salesforce]\nuser_name = \"\"\npassword = \"\"\nsecurity_token = \"\"\n")
				_, err := loadTestConfig(t, e.dir, nil).Source()
				return err
			},
			as:   func(err error) bool { var m *config.MissingConfigError; return errors.As(err, &m) },
			want: []string{"missing Salesforce credentials", "SOURCES__SALESFORCE__USER_NAME", filepath.Join(".dlt", "secrets.toml"), "[sources.salesforce]"},
		},
		{
			name: "user name without password",
			do: func(t *testing.T, e *env) error {
				writeDlt(t, e.dir, "secrets.toml", "[sources.salesforce]\nuser_name = \"me@example.com\"\n")
				_, err := loadTestConfig(t, e.dir, nil).Source()
				return err
			},
			as:   func(err error) bool { var m *config.MissingConfigError; return errors.As(err, &m) && m.What != "" },
			want: []string{"password", filepath.Join(".dlt", "secrets.toml") + ":2", "SOURCES__SALESFORCE__PASSWORD"},
		},
		{
			name: "empty credentials in the environment",
			do: func(t *testing.T, e *env) error {
				_, err := loadTestConfig(t, e.dir, []string{"SOURCES__SALESFORCE__USER_NAME=", "SOURCES__SALESFORCE__PASSWORD="}).Source()
				return err
			},
			as:   func(err error) bool { var m *config.MissingConfigError; return errors.As(err, &m) },
			want: []string{"missing Salesforce credentials", "SOURCES__SALESFORCE__CREDENTIALS__<KEY>"},
		},
		{
			name: "empty credentials in code",
			do: func(t *testing.T, e *env) error {
				_, err := sfdlt.NewSource(sfdlt.Credentials{})
				return err
			},
			want: []string{"no credentials", "user_name", "password", "security_token"},
		},
		{
			name: "TOML syntax error",
			do: func(t *testing.T, e *env) error {
				writeDlt(t, e.dir, "secrets.toml", "[sources.salesforce]\nuser_name = \"me@example.com\"\npassword = \"pw-unterminated\nsecurity_token = \"x\"\n")
				_, err := config.Load(config.Options{WorkDir: e.dir, HomeDir: filepath.Join(e.dir, "home"), Environ: []string{}})
				return err
			},
			want: []string{filepath.Join(".dlt", "secrets.toml") + ":3:", "TOML syntax error", "fix this line"},
			hide: []string{"pw-unterminated"},
		},
		{
			name: "TOML value of the wrong type",
			do: func(t *testing.T, e *env) error {
				writeDlt(t, e.dir, "config.toml", "[sources.salesforce]\nis_production = \"maybe\"\n")
				_, err := config.Load(config.Options{WorkDir: e.dir, HomeDir: filepath.Join(e.dir, "home"), Environ: []string{}})
				return err
			},
			want: []string{"is_production", filepath.Join(".dlt", "config.toml") + ":2"},
		},
		{
			name: "wrong password",
			do: func(t *testing.T, e *env) error {
				c := e.srv.Credentials()
				src, err := sfdlt.NewSource(sfdlt.Credentials{UserName: c.UserName, Password: "pw-WRONG-7", SecurityToken: c.SecurityToken}, sfdlt.LoginURL(e.srv.URL()))
				if err != nil {
					t.Fatal(err)
				}
				_, err = e.pipeline().Run(context.Background(), src.WithResources("contact"))
				return err
			},
			is:   []error{client.ErrInvalidLogin, client.ErrLogin},
			as:   func(err error) bool { var l *client.LoginError; return errors.As(err, &l) && l.Flow == client.FlowSOAP },
			want: []string{"logging in to Salesforce", "soap login", "INVALID_LOGIN", "127.0.0.1"},
			hide: []string{"pw-WRONG-7"},
		},
		{
			name:  "wrong password after a good run",
			prior: true,
			do: func(t *testing.T, e *env) error {
				c := e.srv.Credentials()
				src, err := sfdlt.NewSource(sfdlt.Credentials{UserName: c.UserName, Password: "pw-WRONG-8", SecurityToken: c.SecurityToken}, sfdlt.LoginURL(e.srv.URL()))
				if err != nil {
					t.Fatal(err)
				}
				_, err = e.pipeline().Run(context.Background(), src.WithResources("contact", "opportunity"))
				return err
			},
			is:   []error{client.ErrInvalidLogin},
			want: []string{"INVALID_LOGIN"},
			hide: []string{"pw-WRONG-8"},
		},
		{
			name: "expired password",
			do: func(t *testing.T, e *env) error {
				e.srv.SetFaults(salesforcetest.Faults{PasswordExpired: true})
				_, err := e.pipeline().Run(context.Background(), e.source().WithResources("contact"))
				return err
			},
			is:   []error{client.ErrPasswordExpired, client.ErrLogin},
			as:   func(err error) bool { var l *client.LoginError; return errors.As(err, &l) },
			want: []string{"logging in to Salesforce", "expired", "127.0.0.1"},
		},
		{
			name: "unknown resource in WithResources",
			do: func(t *testing.T, e *env) error {
				_, err := e.pipeline().Run(context.Background(), e.source().WithResources("opportunity", "opportunities"))
				return err
			},
			want: []string{`no resource "opportunities"`, "opportunity_line_item", "sf_user"},
		},
		{
			name: "WithResources naming nothing",
			do: func(t *testing.T, e *env) error {
				_, err := e.pipeline().Run(context.Background(), e.source().WithResources())
				return err
			},
			want: []string{"WithResources", "no resource named", "opportunity"},
		},
		{
			name: "unknown custom object",
			do: func(t *testing.T, e *env) error {
				_, err := e.pipeline().Run(context.Background(), e.source().AddObject("Nothing__c").WithResources("nothing__c", "contact"))
				return err
			},
			want: []string{`"Nothing__c" does not exist`, "nothing__c", "__c", "permissions"},
		},
		{
			name:  "unknown custom object after a good run",
			prior: true,
			do: func(t *testing.T, e *env) error {
				_, err := e.pipeline().Run(context.Background(), e.source().AddObject("Nothing__c").WithResources("contact", "opportunity", "nothing__c"))
				return err
			},
			want: []string{`"Nothing__c" does not exist`},
		},
		{
			name: "object name that is not an API name",
			do: func(t *testing.T, e *env) error {
				_, err := e.pipeline().Run(context.Background(), e.source().AddObject("Account WHERE Name != ''").WithResources("contact"))
				return err
			},
			want: []string{"Account WHERE", "not a Salesforce object API name", "Something__c"},
		},
		{
			name: "object added twice",
			do: func(t *testing.T, e *env) error {
				_, err := e.pipeline().Run(context.Background(), e.source().AddObject("Something__c").AddObject("Something__c").WithResources("something__c"))
				return err
			},
			want: []string{`already has a resource named "something__c"`, "another name"},
		},
		{
			name: "invalid pipeline names",
			do: func(t *testing.T, e *env) error {
				var errs []error
				for _, name := range []string{"", "a/b", "../x", "..", ".hidden", "with space", "tab\tname", "pipé", strings.Repeat("p", 129)} {
					_, err := sfdlt.NewPipeline(name, duckdb.New(e.file))
					if err == nil {
						t.Errorf("pipeline name %q accepted", name)
						continue
					}
					errs = append(errs, err)
				}
				return errors.Join(errs...)
			},
			want: []string{`invalid pipeline name "a/b"`, `invalid pipeline name "../x"`, `invalid pipeline name ".."`, "for example salesforce"},
		},
		{
			name: "invalid dataset names",
			do: func(t *testing.T, e *env) error {
				var errs []error
				for _, name := range []string{"Bad Name", "UPPER", "1abc", "a-b", "données", "x;DROP TABLE y", "a.b"} {
					_, err := sfdlt.NewPipeline("ok", duckdb.New(e.file), sfdlt.Dataset(name))
					if err == nil {
						t.Errorf("dataset name %q accepted", name)
						continue
					}
					errs = append(errs, err)
				}
				return errors.Join(errs...)
			},
			want: []string{`invalid dataset name "Bad Name"`, `(for example "bad_name")`, `(for example "_1abc")`, `invalid dataset name "x;DROP TABLE y"`, "lower-case letters"},
		},
		{
			name: "two Go resources with one table",
			do: func(t *testing.T, e *env) error {
				_, err := e.pipeline().Run(context.Background(), goSource(t,
					sfdlt.NewResource("Orders", records(map[string]any{"a": 1})), sfdlt.NewResource("orders", records(map[string]any{"a": 2}))))
				return err
			},
			want: []string{`already has a resource named "orders"`},
		},
		{
			name: "unreachable host",
			do: func(t *testing.T, e *env) error {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				addr := ln.Addr().String()
				ln.Close() // nothing listens there any more: connections are refused
				start := time.Now()
				_, err = e.pipeline().Run(context.Background(), e.source(sfdlt.LoginURL("http://"+addr),
					sfdlt.ClientConfig(func(c *client.Config) { c.RetryWait, c.MaxRetryWait = time.Millisecond, 5*time.Millisecond })).WithResources("contact"))
				if d := time.Since(start); d > 10*time.Second {
					t.Errorf("an unreachable host took %v to report", d)
				}
				if err != nil && !strings.Contains(err.Error(), addr) {
					t.Errorf("the error does not name %s: %v", addr, err)
				}
				return err
			},
			is:   []error{syscall.ECONNREFUSED},
			want: []string{"logging in to Salesforce", "127.0.0.1", "refused"},
		},
		{
			name: "plain http to a remote host",
			do: func(t *testing.T, e *env) error {
				_, err := e.pipeline().Run(context.Background(), e.source(sfdlt.LoginURL("http://login.salesforce.com")).WithResources("contact"))
				return err
			},
			want: []string{"http://", "loopback", "https://"},
		},
		{
			name:  "not-null violation",
			prior: true,
			do: func(t *testing.T, e *env) error {
				src := e.source().WithResources("opportunity", "contact")
				src.ApplyHints("contact", sfdlt.Hints{NotNull: []string{"Email"}})
				info, err := e.pipeline().Run(context.Background(), src)
				if info == nil || info.Loaded {
					t.Errorf("load info should say the load failed: %v", info)
				}
				return err
			},
			want: []string{"contact", "email", "Id 003"},
		},
		{
			name: "SQL keywords as field names load",
			do: func(t *testing.T, e *env) error {
				for _, name := range []string{"Select__c", "Order", "Group__c", "Where__c"} {
					addTextField(t, e.srv, "Contact", name, func(r *salesforcetest.Record) any { return name + ":" + r.ID() })
				}
				_, err := e.pipeline().Run(context.Background(), e.source().WithResources("contact"))
				if err != nil {
					return err
				}
				n := e.srv.Count("Contact", false)
				if got := e.scalar(`SELECT count(*) FROM {ds}.contact WHERE "select__c" = 'Select__c:' || id AND "order" = 'Order:' || id AND "group__c" = 'Group__c:' || id AND "where__c" = 'Where__c:' || id`); got != int64(n) {
					t.Errorf("keyword columns hold %d rows of %d", got, n)
				}
				return errors.New("ok: loaded") // the row's expectation below, so the table stays uniform
			},
			want: []string{"ok: loaded"},
		},
		{
			name: "fields that collide after normalization",
			do: func(t *testing.T, e *env) error {
				addTextField(t, e.srv, "Contact", "LoyaltyTier__c", func(*salesforcetest.Record) any { return "a" })
				addTextField(t, e.srv, "Contact", "Loyalty_Tier__c", func(*salesforcetest.Record) any { return "b" })
				_, err := e.pipeline().Run(context.Background(), e.source().WithResources("contact", "opportunity"))
				return err
			},
			want: []string{"Contact.LoyaltyTier__c", "Contact.Loyalty_Tier__c", `"loyalty_tier__c"`, "rename one"},
		},
		{
			name:  "fields that collide after a good run",
			prior: true,
			do: func(t *testing.T, e *env) error {
				addTextField(t, e.srv, "Contact", "FirstName__c", func(*salesforcetest.Record) any { return "a" })
				addTextField(t, e.srv, "Contact", "First_Name__c", func(*salesforcetest.Record) any { return "b" })
				_, err := e.pipeline().Run(context.Background(), e.source().WithResources("contact", "opportunity"))
				return err
			},
			want: []string{"Contact.FirstName__c", "Contact.First_Name__c", `"first_name__c"`},
		},
		{
			name: "pipeline already running",
			do: func(t *testing.T, e *env) error {
				sess, err := duckdb.New(e.file).Open(context.Background(), e.ds, "salesforce")
				if err != nil {
					t.Fatal(err)
				}
				_, err = e.pipeline().Run(context.Background(), e.source().WithResources("contact"))
				sess.Close()
				return err
			},
			is:   []error{destination.ErrLocked},
			want: []string{"already running", "salesforce", e2file},
		},
		{
			name: "unknown column data type hint",
			do: func(t *testing.T, e *env) error {
				src := e.source().WithResources("contact")
				src.ApplyHints("contact", sfdlt.Hints{Columns: map[string]sfdlt.ColumnHint{"Email": {DataType: "varchar2"}}})
				_, err := e.pipeline().Run(context.Background(), src)
				return err
			},
			want: []string{"contact", "email", `unknown data type "varchar2"`},
		},
		{
			name: "merge without a key",
			do: func(t *testing.T, e *env) error {
				_, err := e.pipeline().Run(context.Background(), goSource(t, sfdlt.NewResource("things", records(map[string]any{"a": 1}), sfdlt.Disposition(sfdlt.Merge))))
				return err
			},
			want: []string{`"things"`, "merge", "primary key", "PrimaryKey"},
		},
	}
	rows = append(rows, malformedResponses()...)
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			e := newEnv(t, smallCounts())
			e.popts = nil // each bad input leaves the dataset as one good load left it
			var before map[string]int64
			if row.prior {
				e.run(e.source().WithResources("opportunity", "contact"))
				before = datasetCounts(t, e)
				if before["contact"] == 0 || before["_dlt_loads"] != 1 {
					t.Fatalf("the good first run loaded %v", before)
				}
			}
			err := row.do(t, e)
			if err == nil {
				t.Fatal("no error")
			}
			t.Logf("error: %v", err)
			for _, target := range row.is {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(err, %v) is false for %v", target, err)
				}
			}
			if row.as != nil && !row.as(err) {
				t.Errorf("the error is not of the expected type (%T): %v", err, err)
			}
			msg := err.Error()
			for _, w := range row.want {
				if w == e2file {
					w = e.file
				}
				if !strings.Contains(msg, w) {
					t.Errorf("the error does not say %q:\n%s", w, msg)
				}
			}
			for _, h := range row.hide {
				if strings.Contains(msg, h) {
					t.Errorf("the error shows %q:\n%s", h, msg)
				}
			}
			if strings.HasPrefix(msg, "ok: ") {
				return // a row that must load: it checked its data itself
			}
			after := datasetCounts(t, e)
			if row.prior {
				if !maps.Equal(before, after) {
					t.Errorf("the failed run changed the dataset: before %v, after %v", before, after)
				}
				return
			}
			for table, n := range after {
				if !strings.HasPrefix(table, "_dlt_") {
					t.Errorf("the failed run created table %s (%d rows)", table, n)
				} else if n != 0 {
					t.Errorf("the failed run wrote %d rows to %s", n, table)
				}
			}
		})
	}
}

// e2file stands for the env's DuckDB file in a row's want list.
const e2file = "\x00file"

func smallCounts() map[string]int {
	counts := salesforcetest.DefaultCounts()
	for k := range counts {
		counts[k] = min(counts[k], 50)
	}
	return counts
}

// datasetCounts counts the rows of every table of the env's dataset (none when the DuckDB
// file does not exist).
func datasetCounts(t *testing.T, e *env) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	if _, err := os.Stat(e.file); errors.Is(err, os.ErrNotExist) {
		return out
	}
	for _, table := range e.tables() {
		out[table] = e.scalar(fmt.Sprintf(`SELECT count(*) FROM {ds}."%s"`, table))
	}
	return out
}

// loadTestConfig loads the configuration of dir with an empty home and the given environment.
func loadTestConfig(t *testing.T, dir string, environ []string) *config.Config {
	t.Helper()
	if environ == nil {
		environ = []string{}
	}
	cfg, err := config.Load(config.Options{WorkDir: dir, HomeDir: filepath.Join(dir, "home"), Environ: environ})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// writeDlt writes .dlt/<name> in dir, private.
func writeDlt(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, ".dlt", name)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// addTextField adds a custom text field to an object of the emulated org.
func addTextField(t *testing.T, srv *salesforcetest.Server, object, name string, value func(*salesforcetest.Record) any) {
	t.Helper()
	err := srv.AddField(object, salesforcetest.Field{
		Name: name, Label: name, Type: "string", SoapType: "xsd:string", Length: 255, ByteLength: 765,
		Nillable: true, Custom: strings.HasSuffix(name, "__c"), Filterable: true, Sortable: true, Groupable: true, Createable: true, Updateable: true,
	}, value)
	if err != nil {
		t.Fatal(err)
	}
}

// fakeOrg is a tiny Salesforce that logs in like the real one (SOAP) and then answers describe
// and query with the bodies a test gives: malformed, truncated or of the wrong shape.
func fakeOrg(t *testing.T, describe, query string) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/services/Soap/u/"):
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			fmt.Fprintf(w, soapLoginSuccess, srv.URL)
		case strings.HasSuffix(r.URL.Path, "/describe") || strings.HasSuffix(r.URL.Path, "/describe/"):
			w.Header().Set("Content-Type", "application/json;charset=UTF-8")
			fmt.Fprint(w, describe)
		case strings.Contains(r.URL.Path, "/query"):
			w.Header().Set("Content-Type", "application/json;charset=UTF-8")
			fmt.Fprint(w, query)
		default:
			w.Header().Set("Content-Type", "application/json;charset=UTF-8")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// soapLoginSuccess is the shape of /work/shared/fixtures/simple-salesforce/soap_login_success.xml
// (simple-salesforce's recorded SOAP login answer), with serverUrl pointing at the fake org.
const soapLoginSuccess = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:enterprise.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
   <soapenv:Body>
      <loginResponse>
         <result>
            <metadataServerUrl>%[1]s/services/Soap/m/64.0/00Di0000000icUB</metadataServerUrl>
            <passwordExpired>false</passwordExpired>
            <sandbox>false</sandbox>
            <serverUrl>%[1]s/services/Soap/c/64.0/00Di0000000icUB/0DFi00000008UYO</serverUrl>
            <sessionId>00Di0000000icUB!fake-session</sessionId>
            <userId>005i0000002MUqLAAW</userId>
            <userInfo>
               <organizationId>00Di0000000icUBEAY</organizationId>
               <sessionSecondsValid>7200</sessionSecondsValid>
               <userName>you@yourdomain.com</userName>
            </userInfo>
         </result>
      </loginResponse>
   </soapenv:Body>
</soapenv:Envelope>`

// goodDescribe is a minimal describe of Contact with two fields.
const goodDescribe = `{"name":"Contact","label":"Contact","labelPlural":"Contacts","custom":false,"keyPrefix":"003","queryable":true,"replicateable":true,"retrieveable":true,
"fields":[{"name":"Id","label":"Contact ID","type":"id","soapType":"tns:ID","length":18,"nillable":false,"calculated":false,"filterable":true,"sortable":true},
{"name":"Name","label":"Full Name","type":"string","soapType":"xsd:string","length":255,"nillable":false,"calculated":false,"filterable":true,"sortable":true}],
"childRelationships":[],"recordTypeInfos":[],"urls":{}}`

const goodPage = `{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Contact","url":"/services/data/v64.0/sobjects/Contact/003000000000001AAA"},"Id":"003000000000001AAA","Name":"Ann Acme"}]}`

// malformedResponses are rows for answers a broken proxy or a Salesforce incident can give.
func malformedResponses() []badInput {
	mk := func(name, describe, query string, want ...string) badInput {
		return badInput{
			name: name,
			do: func(t *testing.T, e *env) error {
				fake := fakeOrg(t, describe, query)
				c := e.srv.Credentials()
				src, err := sfdlt.NewSource(sfdlt.Credentials{UserName: c.UserName, Password: c.Password, SecurityToken: c.SecurityToken},
					sfdlt.LoginURL(fake.URL), sfdlt.ClientConfig(func(c *client.Config) {
						c.MaxRetries, c.RetryWait, c.MaxRetryWait = 2, time.Millisecond, 2*time.Millisecond
					}))
				if err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				_, err = e.pipeline().Run(context.Background(), src.WithResources("contact"))
				if d := time.Since(start); d > 10*time.Second {
					t.Errorf("a malformed answer took %v to report", d)
				}
				return err
			},
			want: want,
		}
	}
	return []badInput{
		mk("describe is not JSON", "<html>Service Unavailable</html>", goodPage, "describing Contact", "decoding HTTP 200"),
		mk("describe is truncated", goodDescribe[:len(goodDescribe)/2], goodPage, "describing Contact", "decoding HTTP 200"),
		mk("describe of the wrong shape", `[{"name":"Account"}]`, goodPage, "describing Contact", "decoding HTTP 200"),
		mk("describe with no fields", `{"name":"Contact","queryable":true,"fields":[]}`, goodPage, "Contact", "no field"),
		mk("query page is not JSON", goodDescribe, "<html>502 Bad Gateway</html>", "querying Contact", "decoding HTTP 200"),
		mk("query page is truncated", goodDescribe, goodPage[:len(goodPage)-20], "querying Contact", "decoding HTTP 200"),
		mk("query page of the wrong shape", goodDescribe, `{"totalSize":1,"done":true,"records":{"Id":"003000000000001AAA"}}`, "querying Contact", "decoding HTTP 200"),
		mk("query page without done", goodDescribe, `{"totalSize":1,"records":[]}`, "querying Contact"),
	}
}

// Values users' data really holds load exactly: unicode and emoji in names and values, a 32k
// text, a number beyond float precision into a decimal column.
func TestBadInputValuesRoundTrip(t *testing.T) {
	e := newGoEnv(t)
	long := strings.Repeat("ü€😀x", 32768/4) // 32k characters, 4 bytes at most each
	dec := json.Number("123456789012345678901234.123456789")
	res := sfdlt.NewResource("Bestellungen 🍕", records(
		map[string]any{"Größe": "XL 🎉", "Name": "山田 太郎", "Emoji": "👩‍👩‍👧‍👦", "Notes": long, "Amount": dec, "id": 1},
	))
	res.ApplyHints(sfdlt.Hints{Columns: map[string]sfdlt.ColumnHint{"Amount": {DataType: schema.Decimal}}})
	e.run(goSource(t, res))

	db := e.db()
	var size, name, emoji, notes string
	var amount any
	err := db.QueryRow(e.sql(`SELECT "gr_e", name, emoji, notes, amount FROM {ds}.bestellungenx`)).Scan(&size, &name, &emoji, &notes, &amount)
	if err != nil {
		t.Fatal(err)
	}
	if size != "XL 🎉" || name != "山田 太郎" || emoji != "👩‍👩‍👧‍👦" {
		t.Errorf("unicode values changed: %q %q %q", size, name, emoji)
	}
	if notes != long {
		t.Errorf("the 32k text came back with %d characters, want %d", len([]rune(notes)), len([]rune(long)))
	}
	d, ok := amount.(duckdbdriver.Decimal)
	if !ok {
		t.Fatalf("amount is %T, want a decimal", amount)
	}
	got := new(big.Rat).SetFrac(d.Value, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d.Scale)), nil))
	want, _ := new(big.Rat).SetString(dec.String())
	if got.Cmp(want) != 0 {
		t.Errorf("decimal %s came back as %s", dec, got.FloatString(9))
	}
	var typ string
	if err := db.QueryRow(`SELECT data_type FROM information_schema.columns WHERE table_name = 'bestellungenx' AND column_name = 'amount'`).Scan(&typ); err != nil || !strings.HasPrefix(typ, "DECIMAL") {
		t.Errorf("amount column type %q (%v), want DECIMAL", typ, err)
	}
	cols := columnsOf(t, db, "bestellungenx")
	for _, c := range []string{"gr_e", "name", "emoji", "notes", "amount", "id"} {
		if !slices.Contains(cols, c) {
			t.Errorf("column %s missing: %v", c, cols)
		}
	}
}

func columnsOf(t *testing.T, db *sql.DB, table string) []string {
	t.Helper()
	rows, err := db.Query(`SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}
