package client

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseDateTime(t *testing.T) {
	base := time.Date(2011, 7, 7, 0, 37, 0, 0, time.UTC)
	ms := base.Add(123 * time.Millisecond)
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2011-07-07T00:37:00.000+0000", base, true}, // REST records
		{"2011-07-07T00:37:00+0000", base, true},
		{"2011-07-07T00:37:00.123+0000", ms, true},
		{"2011-07-07T00:37:00.000Z", base, true}, // Bulk CSV
		{"2011-07-07T00:37:00Z", base, true},
		{"2011-07-07T00:37:00.123Z", ms, true},
		{"2011-07-07T00:37:00.000+00:00", base, true}, // SOQL literal form
		{"2011-07-07T00:37:00+00:00", base, true},
		{"2011-07-07T02:37:00.000+0200", base, true},
		{"2011-07-06T19:37:00-05:00", base, true},
		{"2011-07-07T00:37:00.123456789Z", base.Add(123456789), true},
		{"2011-07-07", time.Time{}, false},
		{"2011-07-07 00:37:00", time.Time{}, false},
		{"2011-07-07T00:37:00", time.Time{}, false},
		{"2011-13-07T00:37:00Z", time.Time{}, false},
		{"", time.Time{}, false},
		{"null", time.Time{}, false},
		{" 2011-07-07T00:37:00Z", time.Time{}, false},
	}
	for _, tt := range tests {
		got, err := ParseDateTime(tt.in)
		if (err == nil) != tt.ok || !got.Equal(tt.want) {
			t.Errorf("ParseDateTime(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err == nil && got.Location() != time.UTC {
			t.Errorf("ParseDateTime(%q) is in %v, want UTC", tt.in, got.Location())
		}
		if err != nil && !strings.Contains(err.Error(), "Salesforce datetime") {
			t.Errorf("error does not say what was expected: %v", err)
		}
	}
}

func TestParseDateAndTime(t *testing.T) {
	dates := []struct {
		in string
		ok bool
	}{{"2010-01-01", true}, {"2025-12-16", true}, {"2024-02-30", false}, {"2010-1-1", false}, {"2010-01-01T00:00:00Z", false}, {"", false}}
	for _, tt := range dates {
		d, err := ParseDate(tt.in)
		if (err == nil) != tt.ok || (tt.ok && (d.Format("2006-01-02") != tt.in || d.Location() != time.UTC || d.Hour() != 0)) {
			t.Errorf("ParseDate(%q) = %v, %v", tt.in, d, err)
		}
	}
	times := []struct {
		in         string
		h, m, s, n int
		ok         bool
	}{
		{"13:05:30.000Z", 13, 5, 30, 0, true}, // REST and Bulk
		{"13:05:30.250Z", 13, 5, 30, 250e6, true},
		{"13:05:30Z", 13, 5, 30, 0, true},
		{"13:05:30", 13, 5, 30, 0, true},
		{"13:05:30.000+0000", 13, 5, 30, 0, true},
		{"13:05:30.000+00:00", 13, 5, 30, 0, true},
		{"25:00:00.000Z", 0, 0, 0, 0, false},
		{"13:05", 0, 0, 0, 0, false},
		{"", 0, 0, 0, 0, false},
	}
	for _, tt := range times {
		got, err := ParseTime(tt.in)
		if (err == nil) != tt.ok || (tt.ok && (got.Hour() != tt.h || got.Minute() != tt.m || got.Second() != tt.s || got.Nanosecond() != tt.n)) {
			t.Errorf("ParseTime(%q) = %v, %v", tt.in, got, err)
		}
	}
}

func TestFormatDateTime(t *testing.T) {
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2024, 1, 31, 10, 0, 0, 0, time.UTC), "2024-01-31T10:00:00Z"},
		{time.Date(2024, 1, 31, 11, 0, 0, 0, time.FixedZone("CET", 3600)), "2024-01-31T10:00:00Z"},
		{time.Date(2024, 1, 31, 10, 0, 0, 123_999_999, time.UTC), "2024-01-31T10:00:00.123+00:00"},
		{time.Date(2024, 1, 31, 10, 0, 0, 999, time.UTC), "2024-01-31T10:00:00Z"},
	}
	for _, tt := range tests {
		if got := FormatDateTime(tt.in); got != tt.want {
			t.Errorf("FormatDateTime(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := FormatDate(time.Date(2024, 1, 31, 23, 0, 0, 0, time.UTC)); got != "2024-01-31" {
		t.Errorf("FormatDate = %q", got)
	}
}

func FuzzParseDateTime(f *testing.F) {
	for _, s := range []string{"2011-07-07T00:37:00.000+0000", "2019-01-05T03:41:05.000Z", "2011-07-07T00:37:00+00:00",
		"2011-07-07T00:37:00Z", "2011-07-07T00:37:00.1-0130", "9999-12-31T23:59:59.999+1400", "0000-01-01T00:00:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseDateTime(s)
		if err != nil {
			if !utf8.ValidString(s) {
				return
			}
			if !strings.Contains(err.Error(), "Salesforce datetime") {
				t.Errorf("unexpected error text %v", err)
			}
			return
		}
		if got.Location() != time.UTC {
			t.Errorf("%q parsed into %v", s, got.Location())
		}
		// What we format, we parse back to the same instant (at millisecond precision).
		back, err := ParseDateTime(FormatDateTime(got))
		if got.Year() >= 0 && got.Year() <= 9999 && (err != nil || !back.Equal(got.Truncate(time.Millisecond))) {
			t.Errorf("%q -> %v -> %q -> %v, %v", s, got, FormatDateTime(got), back, err)
		}
	})
}

func FuzzParseSOAPLoginResponse(f *testing.F) {
	f.Add(fixture(f, "simple-salesforce/soap_login_success.xml"))
	f.Add(fixture(f, "simple-salesforce/soap_login_fault_invalid_login.xml"))
	f.Add([]byte(soapFaultXML("sf:INVALID_OPERATION", "", "retired")))
	f.Add([]byte(`<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body/></Envelope>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseSOAPLoginResponse(body)
		if (r == nil) == (err == nil) {
			t.Fatalf("result %v and error %v: exactly one must be set", r, err)
		}
		var fault *SOAPFault
		if errors.As(err, &fault) && fault.Code == "" && fault.Message == "" {
			t.Errorf("empty fault returned")
		}
	})
}

func FuzzParseLimitInfo(f *testing.F) {
	for _, s := range []string{"api-usage=18/5000", "api-usage=18/5000; per-app-api-usage=17/250(appName=x)", "api-bursts=1/750", "a=(", "=/;("} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, ok := ParseLimitInfo(s)
		if !ok && (u.Used != 0 || u.Max != 0 || len(u.PerApp) != 0) {
			t.Errorf("%q: not ok but %+v", s, u)
		}
		if u.Raw != s {
			t.Errorf("Raw %q, want %q", u.Raw, s)
		}
	})
}
