package client

import (
	"fmt"
	"time"
)

// Layouts of Salesforce values. Go parses an optional fractional second after the seconds even
// when the layout has none, so one layout covers values with and without milliseconds.
const (
	layoutOffsetNoColon = "2006-01-02T15:04:05Z0700" // 2011-07-07T00:37:00.000+0000 (REST) or ...Z
	layoutDate          = "2006-01-02"
)

// ParseDateTime parses a Salesforce datetime: "2011-07-07T00:37:00.000+0000" (REST records),
// "2019-01-05T03:41:05.000Z" (Bulk CSV), "...+00:00", each with or without milliseconds. The
// result is in UTC. time.RFC3339 alone does not accept the +0000 form.
func ParseDateTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		var err2 error
		if t, err2 = time.Parse(layoutOffsetNoColon, s); err2 != nil {
			return time.Time{}, fmt.Errorf("%q is not a Salesforce datetime (want 2006-01-02T15:04:05.000+0000, ...Z or ...+00:00)", s)
		}
	}
	return t.UTC(), nil
}

// ParseDate parses a Salesforce date such as "2010-01-01" to midnight UTC.
func ParseDate(s string) (time.Time, error) {
	t, err := time.Parse(layoutDate, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a Salesforce date (want 2006-01-02)", s)
	}
	return t, nil
}

// ParseTime parses a Salesforce time of day such as "13:05:30.000Z" (also without millis or
// zone, or with +0000/+00:00). The result is that time on January 1 of year 0, UTC, as
// time.Parse returns for layouts without a date.
func ParseTime(s string) (time.Time, error) {
	for _, layout := range []string{"15:04:05Z07:00", "15:04:05Z0700", "15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a Salesforce time (want 15:04:05.000Z)", s)
}

// FormatDateTime formats t as a SOQL datetime literal in UTC: "2024-01-31T10:00:00Z", or with
// milliseconds "2024-01-31T10:00:00.123+00:00" when t has sub-second precision (truncated to
// milliseconds, never rounded up, so a >= cursor loses nothing). Literals are not quoted in SOQL.
func FormatDateTime(t time.Time) string {
	t = t.UTC().Truncate(time.Millisecond)
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02T15:04:05Z")
	}
	return t.Format("2006-01-02T15:04:05.000-07:00")
}

// FormatDate formats t's calendar date (in t's location) as a SOQL date literal: "2024-01-31".
func FormatDate(t time.Time) string { return t.Format(layoutDate) }
