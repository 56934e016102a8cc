// Package crosscheck holds tests that run the client against the emulator. The two are written
// independently from the wire reference (neither imports the other), so these tests catch a
// misreading of the reference on either side.
package crosscheck

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/salesforcetest"
)

// fastRetries keeps backoff waits short so fault tests run quickly.
func fastConfig(srv *salesforcetest.Server, creds client.Credentials) client.Config {
	return client.Config{
		LoginURL: srv.URL(), Credentials: creds,
		MaxRetries: 8, RetryWait: time.Millisecond, MaxRetryWait: 5 * time.Millisecond,
	}
}

func soapCreds(c salesforcetest.Credentials) client.Credentials {
	return client.Credentials{UserName: c.UserName, Password: c.Password, SecurityToken: c.SecurityToken}
}

// secretsOf lists every secret of the emulator's credentials, for leak checks.
func secretsOf(c salesforcetest.Credentials) []string {
	return []string{c.Password, c.SecurityToken, c.ClientSecret, c.RefreshToken, c.Password + c.SecurityToken, "PRIVATE KEY"}
}

func assertNoSecret(t *testing.T, what, text string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("%s leaks a secret: %q", what, text)
		}
	}
}

func TestEveryLoginFlow(t *testing.T) {
	srv := salesforcetest.NewServer(salesforcetest.Options{Seed: 1})
	t.Cleanup(srv.Close)
	c := srv.Credentials()
	flows := map[string]client.Credentials{
		"soap":               soapCreds(c),
		"oauth password":     {UserName: c.UserName, Password: c.Password, SecurityToken: c.SecurityToken, ClientID: c.ClientID, ClientSecret: c.ClientSecret},
		"client credentials": {ClientID: c.ClientID, ClientSecret: c.ClientSecret},
		"jwt bearer":         {ClientID: c.ClientID, UserName: c.UserName, PrivateKey: c.PrivateKeyPEM},
		"refresh token":      {ClientID: c.ClientID, ClientSecret: c.ClientSecret, RefreshToken: c.RefreshToken},
	}
	for name, creds := range flows {
		t.Run(name, func(t *testing.T) {
			cl, err := client.New(context.Background(), fastConfig(srv, creds))
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			if cl.InstanceURL() != srv.URL() {
				t.Errorf("instance URL = %q, want %q", cl.InstanceURL(), srv.URL())
			}
			d, err := cl.Describe(context.Background(), "Account")
			if err != nil || d.Name != "Account" || len(d.Fields) < 50 {
				t.Fatalf("describe after login: %v, %d fields", err, len(d.Fields))
			}
			assertNoSecret(t, "client String()", fmt.Sprint(cl), secretsOf(c))
			assertNoSecret(t, "credentials %v", fmt.Sprintf("%v %+v %#v", creds, creds, creds), secretsOf(c))
		})
	}
}

func TestLoginFailuresAreTypedAndSecretFree(t *testing.T) {
	srv := salesforcetest.NewServer(salesforcetest.Options{Seed: 1})
	t.Cleanup(srv.Close)
	c := srv.Credentials()
	untrusted := untrustedKeyPEM(t)

	cases := []struct {
		name   string
		faults salesforcetest.Faults
		creds  client.Credentials
		is     error
		code   string
	}{
		{"soap wrong password", salesforcetest.Faults{}, client.Credentials{UserName: c.UserName, Password: "wrong-password", SecurityToken: c.SecurityToken}, client.ErrInvalidLogin, "INVALID_LOGIN"},
		{"soap missing token", salesforcetest.Faults{}, client.Credentials{UserName: c.UserName, Password: c.Password}, client.ErrLogin, "LOGIN_MUST_USE_SECURITY_TOKEN"},
		{"soap disabled", salesforcetest.Faults{SOAPLoginDisabled: true}, soapCreds(c), client.ErrSOAPLoginUnavailable, "INVALID_OPERATION"},
		{"password expired", salesforcetest.Faults{PasswordExpired: true}, soapCreds(c), client.ErrPasswordExpired, ""},
		{"oauth password wrong", salesforcetest.Faults{}, client.Credentials{UserName: c.UserName, Password: "nope", ClientID: c.ClientID, ClientSecret: c.ClientSecret}, client.ErrLogin, "invalid_grant"},
		{"client credentials wrong secret", salesforcetest.Faults{}, client.Credentials{ClientID: c.ClientID, ClientSecret: "wrong-secret"}, client.ErrLogin, "invalid_client"},
		{"jwt untrusted key", salesforcetest.Faults{}, client.Credentials{ClientID: c.ClientID, UserName: c.UserName, PrivateKey: untrusted}, client.ErrLogin, "invalid_grant"},
		{"refresh token wrong", salesforcetest.Faults{}, client.Credentials{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RefreshToken: "not-the-token"}, client.ErrLogin, "invalid_grant"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv.SetFaults(tc.faults)
			t.Cleanup(func() { srv.SetFaults(salesforcetest.Faults{}) })
			_, err := client.New(context.Background(), fastConfig(srv, tc.creds))
			if err == nil {
				t.Fatal("login succeeded, want a failure")
			}
			if !errors.Is(err, tc.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.is)
			}
			var le *client.LoginError
			if tc.code != "" {
				if !errors.As(err, &le) || le.Code != tc.code {
					t.Errorf("LoginError code = %+v, want %s (err %v)", le, tc.code, err)
				}
				if le != nil && le.Host == "" {
					t.Errorf("LoginError does not say which host: %v", err)
				}
			}
			secrets := append(secretsOf(c), tc.creds.Password, tc.creds.ClientSecret, tc.creds.RefreshToken)
			assertNoSecret(t, "login error", err.Error(), secrets)
			assertNoSecret(t, "login error %+v", fmt.Sprintf("%+v %#v", err, err), secrets)
		})
	}

	t.Run("plain http to a non-loopback host is refused", func(t *testing.T) {
		_, err := client.New(context.Background(), client.Config{LoginURL: "http://login.salesforce.com", Credentials: soapCreds(c)})
		if err == nil || !strings.Contains(err.Error(), "http") {
			t.Fatalf("err = %v, want a refusal of plain http", err)
		}
	})
}

// readAll pages through a query and returns the Ids in order, failing on duplicates.
func readAll(t *testing.T, cl *client.Client, soql string, opts ...client.QueryOption) (ids []string, pages int) {
	t.Helper()
	seen := map[string]bool{}
	for p, err := range cl.Query(context.Background(), soql, opts...) {
		if err != nil {
			t.Fatalf("query failed after %d pages: %v", pages, err)
		}
		pages++
		for _, raw := range p.Records {
			var rec struct{ Id string }
			if err := json.Unmarshal(raw, &rec); err != nil {
				t.Fatalf("record %s: %v", raw, err)
			}
			if seen[rec.Id] {
				t.Fatalf("record %s returned twice", rec.Id)
			}
			seen[rec.Id] = true
			ids = append(ids, rec.Id)
		}
	}
	return ids, pages
}

func bigOrg(t *testing.T) *salesforcetest.Server {
	t.Helper()
	counts := salesforcetest.DefaultCounts()
	counts["Opportunity"] = opportunityRows
	srv := salesforcetest.NewServer(salesforcetest.Options{Seed: 7, Counts: counts})
	t.Cleanup(srv.Close)
	return srv
}

const pagingSOQL = "SELECT Id, Name, StageName, Amount, CloseDate, SystemModstamp FROM Opportunity"

func TestPagingFullAndIrregularPagesExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("pages 100,000 rows (20,000 with -race)")
	}
	srv := bigOrg(t)
	cl, err := client.New(context.Background(), fastConfig(srv, soapCreds(srv.Credentials())))
	if err != nil {
		t.Fatal(err)
	}
	full, pages := readAll(t, cl, pagingSOQL)
	if len(full) != opportunityRows {
		t.Fatalf("full pages: %d records, want %d", len(full), opportunityRows)
	}
	if pages != opportunityRows/2000 {
		t.Errorf("full pages: %d pages, want %d of 2,000", pages, opportunityRows/2000)
	}

	srv.SetFaults(salesforcetest.Faults{IrregularPages: true, Seed: 3})
	irregular, ipages := readAll(t, cl, pagingSOQL, client.BatchSize(1000))
	if ipages <= opportunityRows/1000 {
		t.Errorf("irregular pages: only %d pages; the emulator's pages should be smaller than asked", ipages)
	}
	if strings.Join(irregular, ",") != strings.Join(full, ",") {
		t.Fatalf("irregular pages returned other records (%d) than full pages (%d)", len(irregular), len(full))
	}
}

func TestPagingUnderFaultsReturnsTheSameRecords(t *testing.T) {
	if testing.Short() {
		t.Skip("pages 100,000 rows (20,000 with -race)")
	}
	srv := bigOrg(t)
	cl, err := client.New(context.Background(), fastConfig(srv, soapCreds(srv.Credentials())))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := readAll(t, cl, pagingSOQL, client.BatchSize(200))

	srv.SetFaults(salesforcetest.Faults{Seed: 11, ErrorRate: 0.10, DropRate: 0.02, SessionExpiresEvery: 50})
	srv.ResetCalls()
	got, _ := readAll(t, cl, pagingSOQL, client.BatchSize(200))
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("under faults: %d records, want the same %d as without", len(got), len(want))
	}
	var failed, logins int
	for _, call := range srv.Calls() {
		if call.Status >= 400 {
			failed++
		}
		if strings.Contains(call.Path, "/services/Soap/") || strings.Contains(call.Path, "/oauth2/") {
			logins++
		}
	}
	if failed == 0 || logins == 0 {
		t.Fatalf("the faults did not happen (%d failed calls, %d logins): the test proves nothing", failed, logins)
	}
	t.Logf("%d calls, %d answered with errors, %d logins", len(srv.Calls()), failed, logins)
}

func TestDailyLimitStopsAfterOneCall(t *testing.T) {
	srv := salesforcetest.NewServer(salesforcetest.Options{Seed: 1})
	t.Cleanup(srv.Close)
	cl, err := client.New(context.Background(), fastConfig(srv, soapCreds(srv.Credentials())))
	if err != nil {
		t.Fatal(err)
	}
	srv.SetFaults(salesforcetest.Faults{RequestLimitAfter: 1})
	srv.ResetCalls()
	if _, err := cl.Describe(context.Background(), "Account"); err != nil {
		t.Fatalf("first call within the limit: %v", err)
	}
	srv.ResetCalls()
	var qerr error
	for _, err := range cl.Query(context.Background(), "SELECT Id FROM Account") {
		if err != nil {
			qerr = err
			break
		}
	}
	if !errors.Is(qerr, client.ErrRequestLimitExceeded) {
		t.Fatalf("err = %v, want ErrRequestLimitExceeded", qerr)
	}
	var apiErr *client.APIError
	if !errors.As(qerr, &apiErr) || apiErr.StatusCode != 403 || apiErr.ErrorCode != "REQUEST_LIMIT_EXCEEDED" {
		t.Errorf("APIError = %+v", apiErr)
	}
	if n := len(srv.Calls()); n != 1 {
		t.Fatalf("%d calls after the limit answer, want exactly 1 (no retry storm)", n)
	}
}

// signalQuery is a transport that closes sent when the first query request leaves the client:
// the emulator logs a call only once it answered it, so its log cannot say a request is under way.
type signalQuery struct {
	once sync.Once
	sent chan struct{}
}

func (s *signalQuery) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/query") {
		s.once.Do(func() { close(s.sent) })
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestCancellationStopsPromptly: a query whose request the emulator holds for an hour ends when
// its context is cancelled, with an error matching context.Canceled. Nothing but cancellation
// can end it: the minute below only turns a hang into a failure.
func TestCancellationStopsPromptly(t *testing.T) {
	srv := salesforcetest.NewServer(salesforcetest.Options{Seed: 1})
	t.Cleanup(srv.Close)
	sig := &signalQuery{sent: make(chan struct{})}
	cfg := fastConfig(srv, soapCreds(srv.Credentials()))
	cfg.HTTPClient = &http.Client{Transport: sig}
	cl, err := client.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.SetFaults(salesforcetest.Faults{Latency: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		var qerr error
		for _, err := range cl.Query(ctx, "SELECT Id FROM Account") {
			if err != nil {
				qerr = err
				break
			}
		}
		done <- qerr
	}()
	<-sig.sent
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the query did not stop after cancellation")
	}
}

// TestAPIVersionNotOffered: a client set to a version newer than the emulator's release names
// the version problem (and the newest version offered) instead of a missing object.
func TestAPIVersionNotOffered(t *testing.T) {
	srv := salesforcetest.NewServer(salesforcetest.Options{Seed: 1})
	t.Cleanup(srv.Close)
	creds := srv.Credentials()
	cfg := fastConfig(srv, soapCreds(creds)) // SOAP login caps its own version: it works
	cfg.APIVersion = "99.0"
	cl, err := client.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	versions, err := cl.Versions(context.Background())
	if err != nil || len(versions) == 0 {
		t.Fatalf("versions: %v, %v", versions, err)
	}
	newest := versions[len(versions)-1].Version
	_, err = cl.Describe(context.Background(), "Opportunity")
	if !errors.Is(err, client.ErrAPIVersionUnavailable) || errors.Is(err, client.ErrNotFound) {
		t.Fatalf("got %v, want ErrAPIVersionUnavailable and not ErrNotFound", err)
	}
	for _, s := range []string{"99.0", newest, "api_version"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("the error does not say %q: %v", s, err)
		}
	}
	assertNoSecret(t, "error", err.Error(), secretsOf(creds))
}

// TestConcurrentLimitWaitedOut: the emulator refuses a third of the calls with either
// concurrent-limit message; the client waits them out (MaxRetries plays no part) and reads every
// record once, counting the refusals.
func TestConcurrentLimitWaitedOut(t *testing.T) {
	srv := salesforcetest.NewServer(salesforcetest.Options{Seed: 1, Counts: map[string]int{"Contact": 5000}})
	t.Cleanup(srv.Close)
	cfg := fastConfig(srv, soapCreds(srv.Credentials()))
	cfg.MaxRetries = -1
	cl, err := client.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := readAll(t, cl, "SELECT Id FROM Contact", client.BatchSize(200))
	srv.SetFaults(salesforcetest.Faults{Seed: 4, ConcurrentLimitRate: 0.3})
	got, _ := readAll(t, cl, "SELECT Id FROM Contact", client.BatchSize(200))
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("with concurrent-limit answers: %d records, want the same %d as without", len(got), len(want))
	}
	if cl.Throttled() < 2 {
		t.Fatalf("%d concurrent-limit answers seen, want both kinds: the test proves little", cl.Throttled())
	}
	t.Logf("%d records, %d concurrent-limit answers waited out, concurrency limit now %d", len(got), cl.Throttled(), cl.ConcurrencyLimit())
}

// TestURITooLongIsShort: the emulator's 414 for a query URL over 16,384 bytes comes back as
// ErrURITooLong with a short message that measures the URI.
func TestURITooLongIsShort(t *testing.T) {
	srv := salesforcetest.NewServer(salesforcetest.Options{Seed: 1})
	t.Cleanup(srv.Close)
	cl, err := client.New(context.Background(), fastConfig(srv, soapCreds(srv.Credentials())))
	if err != nil {
		t.Fatal(err)
	}
	fields := []string{"Id"}
	for i := range 1000 {
		fields = append(fields, fmt.Sprintf("Field_%04d__c", i))
	}
	var qerr error
	for _, err := range cl.Query(context.Background(), "SELECT "+strings.Join(fields, ", ")+" FROM Account") {
		qerr = err
		break
	}
	if !errors.Is(qerr, client.ErrURITooLong) {
		t.Fatalf("got %v, want ErrURITooLong", qerr)
	}
	if msg := qerr.Error(); len(msg) > 1000 || !strings.Contains(msg, " bytes)") || !strings.Contains(msg, "16,384") {
		t.Errorf("the error (%d bytes) is long or does not measure the URI: %.600s", len(msg), msg)
	}
}

// untrustedKeyPEM makes an RSA key the emulator does not trust.
func untrustedKeyPEM(t *testing.T) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// TestEleventhCursorReleasesTheOldest: the client, opening one more query cursor than the user's
// 10 (the emulator's default, as a real org's), finds the oldest released: its next page is
// ErrInvalidQueryLocator, while the newer cursors read on.
func TestEleventhCursorReleasesTheOldest(t *testing.T) {
	srv := salesforcetest.NewServer(salesforcetest.Options{Seed: 1, Counts: map[string]int{"Contact": 1000}})
	t.Cleanup(srv.Close)
	cl, err := client.New(context.Background(), fastConfig(srv, soapCreds(srv.Credentials())))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	type open struct {
		next func() (*client.Page, error, bool)
	}
	var cursors []open
	for i := range 11 {
		next, stop := iter.Pull2(cl.Query(ctx, fmt.Sprintf("SELECT Id FROM Contact WHERE Name != 'cursor %d'", i), client.BatchSize(200)))
		t.Cleanup(stop)
		if p, err, ok := next(); !ok || err != nil || p.Done {
			t.Fatalf("cursor %d: first page %v, %v", i, p, err)
		}
		cursors = append(cursors, open{next})
	}
	if _, err, _ := cursors[0].next(); !errors.Is(err, client.ErrInvalidQueryLocator) {
		t.Fatalf("the oldest of 11 cursors: %v, want ErrInvalidQueryLocator", err)
	} else {
		assertNoSecret(t, "the released cursor's error", err.Error(), secretsOf(srv.Credentials()))
	}
	for i := 1; i < 11; i++ {
		if p, err, ok := cursors[i].next(); !ok || err != nil || len(p.Records) == 0 {
			t.Fatalf("cursor %d of 11: second page %v, %v; want it read on", i, p, err)
		}
	}
}

// TestIdleCursorExpires: a cursor unused for 15 minutes of the emulator's clock is refused.
func TestIdleCursorExpires(t *testing.T) {
	srv := salesforcetest.NewServer(salesforcetest.Options{Seed: 1, Counts: map[string]int{"Contact": 1000}})
	t.Cleanup(srv.Close)
	cl, err := client.New(context.Background(), fastConfig(srv, soapCreds(srv.Credentials())))
	if err != nil {
		t.Fatal(err)
	}
	next, stop := iter.Pull2(cl.Query(context.Background(), "SELECT Id FROM Contact", client.BatchSize(200)))
	defer stop()
	if _, err, _ := next(); err != nil {
		t.Fatal(err)
	}
	srv.Advance(14 * time.Minute)
	if _, err, _ := next(); err != nil {
		t.Fatalf("after 14 idle minutes: %v", err)
	}
	srv.Advance(15*time.Minute + time.Second)
	if _, err, _ := next(); !errors.Is(err, client.ErrInvalidQueryLocator) {
		t.Fatalf("after 15 idle minutes: %v, want ErrInvalidQueryLocator", err)
	}
}
