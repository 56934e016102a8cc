package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt/salesforcetest"
)

func TestEmulatorFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--wide", "Nope=3"}, "--wide Nope=3: the emulated org has no object Nope"},
		{[]string{"--wide", "Account=-1"}, "cannot be negative"},
		{[]string{"--wide", "Account"}, "--wide"},
		{[]string{"--real-org-latency", "-1"}, "--real-org-latency -1: give a factor of 0 or more"},
	} {
		_, _, err := cli(t, t.TempDir(), append([]string{"emulator", "--addr", "127.0.0.1:0"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
}

// TestEmulatorWideAndNoLimits starts `sfdlt emulator --wide Account=700,Contact=30 --no-limits`
// and sends a query of every Account field, which a real org (and the emulator without
// --no-limits) refuses with 414.
func TestEmulatorWideAndNoLimits(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"limits", nil, http.StatusRequestURITooLong},
		{"no limits", []string{"--no-limits"}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := runEmulatorCmd(t, append([]string{"--addr", "127.0.0.1:0", "--count", "Account=5", "--wide", "Account=700", "--wide", "Contact=30"}, tc.args...)...)
			tok := emulatorToken(t, base)
			var d struct {
				Fields []struct {
					Name string `json:"name"`
					Type string `json:"type"`
				} `json:"fields"`
			}
			emulatorGetJSON(t, base+"/services/data/v62.0/sobjects/Account/describe", tok, &d)
			var names []string
			for _, f := range d.Fields {
				if f.Type != "address" && f.Type != "location" {
					names = append(names, f.Name)
				}
			}
			if len(d.Fields) < 700 {
				t.Fatalf("Account has %d fields with --wide Account=700", len(d.Fields))
			}
			q := url.QueryEscape("SELECT " + strings.Join(names, ", ") + " FROM Account")
			req, _ := http.NewRequest(http.MethodGet, base+"/services/data/v62.0/query?q="+q, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("query of %d fields: %d, want %d", len(names), resp.StatusCode, tc.want)
			}
		})
	}
}

// runEmulatorCmd runs `sfdlt emulator args...` in-process until the test ends and returns its URL.
func runEmulatorCmd(t *testing.T, args ...string) string {
	t.Helper()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := newRootCmd()
	cmd.SetArgs(append([]string{"emulator"}, args...))
	cmd.SetOut(pw)
	cmd.SetErr(pw)
	done := make(chan error, 1)
	go func() {
		err := cmd.ExecuteContext(ctx)
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("emulator: %v", err)
		}
	})
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "Salesforce emulator listening on "); ok {
			go func() { _, _ = io.Copy(io.Discard, pr) }()
			return strings.TrimSpace(rest)
		}
	}
	t.Fatalf("the emulator printed no URL: %v", sc.Err())
	return ""
}

func emulatorToken(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.PostForm(base+"/services/oauth2/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {salesforcetest.DefaultClientID}, "client_secret": {salesforcetest.DefaultClientSecret},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("login: %v", err)
	}
	return tok.AccessToken
}

func emulatorGetJSON(t *testing.T, u, tok string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// TestEmulatorRealOrgLatency starts `sfdlt emulator --real-org-latency 0.1`: a call waits a
// tenth of a real org's 150 ms. Only a lower bound, which no slow machine can break.
func TestEmulatorRealOrgLatency(t *testing.T) {
	base := runEmulatorCmd(t, "--addr", "127.0.0.1:0", "--real-org-latency", "0.1")
	start := time.Now()
	resp, err := http.Get(base + "/services/data/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if d := time.Since(start); d < 15*time.Millisecond {
		t.Errorf("the versions list answered after %v, want at least 15ms (150ms at 0.1)", d)
	}
}
