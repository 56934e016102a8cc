package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestClip(t *testing.T) {
	long := strings.Repeat("x", 25311)
	tests := []struct {
		name, in string
		n        int
		want     string
	}{
		{"short", "SELECT Id FROM Account", 160, "SELECT Id FROM Account"},
		{"exactly n", "abcd", 4, "abcd"},
		{"long", long, 10, "xxxxxxxxxx... (25,311 bytes)"},
		{"cut inside a character", "ab\u00e9cd", 3, "ab... (6 bytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := clip(tt.in, tt.n); got != tt.want {
				t.Errorf("clip = %q, want %q", got, tt.want)
			}
		})
	}
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 25311: "25,311", 1234567: "1,234,567", -16384: "-16,384"} {
		if got := groupDigits(n); got != want {
			t.Errorf("groupDigits(%d) = %q, want %q", n, got, want)
		}
	}
}

// wideSOQL selects enough custom fields to make a query URL of about 25 kB.
func wideSOQL() string {
	fields := []string{"Id"}
	for i := range 1050 {
		fields = append(fields, fmt.Sprintf("Custom_Field_%04d__c", i))
	}
	return "SELECT " + strings.Join(fields, ", ") + " FROM Account"
}

// TestWideQueryErrorsAreShort: whatever fails, an error or log line about a query of 25 kB
// prints neither its URL nor Salesforce's quote of its SOQL whole: each is cut and its length
// given; the APIError keeps both whole. The 414/431 hint measures the request.
func TestWideQueryErrorsAreShort(t *testing.T) {
	soql := wideSOQL()
	column := strings.Index(soql, "Custom_Field_0999__c") + 1
	invalidField := fmt.Sprintf(`[{"errorCode":"INVALID_FIELD","message":%q}]`,
		"\n"+soql+"\n"+strings.Repeat(" ", column-1)+"^\nERROR at Row:1:Column:"+fmt.Sprint(column)+
			"\nNo such column 'Custom_Field_0999__c' on entity 'Account'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.")
	tests := []struct {
		name   string
		answer func(w http.ResponseWriter)
		says   []string
	}{
		{"400 INVALID_FIELD quoting the SOQL", func(w http.ResponseWriter) { writeJSON(w, 400, invalidField) },
			[]string{"INVALID_FIELD", "No such column 'Custom_Field_0999__c' on entity 'Account'", "ERROR at Row:1:Column:" + fmt.Sprint(column)}},
		{"414 with an HTML page", func(w http.ResponseWriter) {
			status(414, "text/html", "<h1>Bad Message 414</h1><pre>reason: URI Too Long</pre>")(w)
		}, []string{"HTTP 414", "16,384", "bug"}},
		{"431", func(w http.ResponseWriter) { status(431, "", "")(w) }, []string{"HTTP 431", "with its headers", "16,384"}},
		{"503 until the retries are spent", func(w http.ResponseWriter) { status(503, "text/html", "<html>down</html>")(w) },
			[]string{"giving up after 3 attempts", "HTTP 503"}},
		{"connection dropped until the retries are spent", func(w http.ResponseWriter) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				panic(err)
			}
			conn.Close()
		}, []string{"giving up after 3 attempts", "EOF"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) { tt.answer(w) })
			var logs logBuffer
			c := sessionClient(t, srv, func(cfg *Config) { cfg.MaxRetries, cfg.Logger = 2, logs.logger() })
			requestURI := c.dataPath("query") + "?" + url.Values{"q": {soql}}.Encode()
			fullURL := srv.URL + requestURI
			if len(fullURL) < 25000 {
				t.Fatalf("the query URL is only %d bytes", len(fullURL))
			}
			_, err := collectIDs(t, c.Query(context.Background(), soql))
			if err == nil {
				t.Fatal("the query succeeded")
			}
			msg := err.Error()
			t.Log(msg)
			if len(msg) > 1500 {
				t.Errorf("the error is %d bytes long: %.300s...", len(msg), msg)
			}
			if !strings.Contains(msg, "("+groupDigits(len(fullURL))+" bytes)") {
				t.Errorf("the error does not give the URL's length (%d): %s", len(fullURL), msg)
			}
			for _, s := range tt.says {
				if !strings.Contains(msg, s) {
					t.Errorf("the error does not say %q: %s", s, msg)
				}
			}
			if ae := asAPIError(err); ae != nil {
				if ae.URL != fullURL {
					t.Errorf("APIError.URL is %d bytes, want the whole URL of %d", len(ae.URL), len(fullURL))
				}
				if ae.ErrorCode == CodeInvalidField && !strings.Contains(ae.Message, soql) {
					t.Error("APIError.Message lost the SOQL it quoted")
				}
				if errors.Is(err, ErrURITooLong) && !strings.Contains(msg, "URI ("+groupDigits(len(requestURI))+" bytes)") {
					t.Errorf("the hint does not measure the URI (%d bytes): %s", len(requestURI), msg)
				}
			}
			for line := range strings.Lines(logs.String()) {
				if len(line) > 2000 {
					t.Errorf("a log line of %d bytes: %.300s...", len(line), line)
				}
			}
			assertNoSecrets(t, "error", msg)
			assertNoSecrets(t, "logs", logs.String())
		})
	}
}

// TestClipMessage: Salesforce's message is cut line by line: the quoted statement is cut, a
// caret line as long is left out, the lines saying what is wrong stay whole.
func TestClipMessage(t *testing.T) {
	soql := wideSOQL()
	tests := []struct {
		name, in, want string
	}{
		{"short", "No such column 'Foo' on entity 'Account'.", "No such column 'Foo' on entity 'Account'."},
		{"short multi-line", "\nSELECT Foo FROM Account\n       ^\nERROR at Row:1:Column:8\nNo such column 'Foo'",
			"\nSELECT Foo FROM Account\n       ^\nERROR at Row:1:Column:8\nNo such column 'Foo'"},
		{"wide", "\n" + soql + "\n" + strings.Repeat(" ", 20000) + "^\nERROR at Row:1:Column:20001\nNo such column 'X'",
			"\n" + soql[:clipKeep] + "... (" + groupDigits(len(soql)) + " bytes)\nERROR at Row:1:Column:20001\nNo such column 'X'"},
		{"one long line", soql, soql[:clipKeep] + "... (" + groupDigits(len(soql)) + " bytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := clipMessage(tt.in); got != tt.want {
				t.Errorf("clipMessage = %.400q, want %.400q", got, tt.want)
			}
		})
	}
}
