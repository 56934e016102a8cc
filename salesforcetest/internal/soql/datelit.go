package soql

import (
	"strconv"
	"strings"
	"time"
)

// Relative date literals resolve to a half-open range of whole days [from, to) in the org's time
// zone, which the emulator keeps at UTC. Weeks start on Sunday (the default en_US locale).
var dateKeywords = map[string]func(today time.Time) (from, to time.Time){
	"YESTERDAY": func(d time.Time) (time.Time, time.Time) { return d.AddDate(0, 0, -1), d },
	"TODAY":     func(d time.Time) (time.Time, time.Time) { return d, d.AddDate(0, 0, 1) },
	"TOMORROW":  func(d time.Time) (time.Time, time.Time) { return d.AddDate(0, 0, 1), d.AddDate(0, 0, 2) },
	"LAST_WEEK": func(d time.Time) (time.Time, time.Time) { w := weekStart(d); return w.AddDate(0, 0, -7), w },
	"THIS_WEEK": func(d time.Time) (time.Time, time.Time) { w := weekStart(d); return w, w.AddDate(0, 0, 7) },
	"NEXT_WEEK": func(d time.Time) (time.Time, time.Time) {
		w := weekStart(d)
		return w.AddDate(0, 0, 7), w.AddDate(0, 0, 14)
	},
	"LAST_MONTH": func(d time.Time) (time.Time, time.Time) { m := monthStart(d); return m.AddDate(0, -1, 0), m },
	"THIS_MONTH": func(d time.Time) (time.Time, time.Time) { m := monthStart(d); return m, m.AddDate(0, 1, 0) },
	"NEXT_MONTH": func(d time.Time) (time.Time, time.Time) {
		m := monthStart(d)
		return m.AddDate(0, 1, 0), m.AddDate(0, 2, 0)
	},
	"LAST_90_DAYS": func(d time.Time) (time.Time, time.Time) { return d.AddDate(0, 0, -90), d.AddDate(0, 0, 1) },
	"NEXT_90_DAYS": func(d time.Time) (time.Time, time.Time) { return d.AddDate(0, 0, 1), d.AddDate(0, 0, 91) },
	"LAST_YEAR":    func(d time.Time) (time.Time, time.Time) { y := yearStart(d); return y.AddDate(-1, 0, 0), y },
	"THIS_YEAR":    func(d time.Time) (time.Time, time.Time) { y := yearStart(d); return y, y.AddDate(1, 0, 0) },
	"NEXT_YEAR": func(d time.Time) (time.Time, time.Time) {
		y := yearStart(d)
		return y.AddDate(1, 0, 0), y.AddDate(2, 0, 0)
	},
}

// nDayKeywords take a day count after a colon (LAST_N_DAYS:30). LAST_N_DAYS includes today;
// NEXT_N_DAYS starts tomorrow; N_DAYS_AGO is the single day n days back.
var nDayKeywords = map[string]func(today time.Time, n int) (from, to time.Time){
	"LAST_N_DAYS": func(d time.Time, n int) (time.Time, time.Time) { return d.AddDate(0, 0, -n), d.AddDate(0, 0, 1) },
	"NEXT_N_DAYS": func(d time.Time, n int) (time.Time, time.Time) { return d.AddDate(0, 0, 1), d.AddDate(0, 0, 1+n) },
	"N_DAYS_AGO":  func(d time.Time, n int) (time.Time, time.Time) { return d.AddDate(0, 0, -n), d.AddDate(0, 0, -n+1) },
}

// maxNDays bounds the day count so the range stays a sane date (Salesforce caps these too).
const maxNDays = 100000

func validDateKeyword(up string) bool {
	if _, ok := dateKeywords[up]; ok {
		return true
	}
	name, num, ok := strings.Cut(up, ":")
	if !ok {
		return false
	}
	if _, ok := nDayKeywords[name]; !ok {
		return false
	}
	n, err := strconv.Atoi(num)
	return err == nil && n >= 0 && n <= maxNDays
}

// dateRange resolves a validated date keyword at the instant now.
func dateRange(up string, now time.Time) (from, to time.Time) {
	now = now.UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if f, ok := dateKeywords[up]; ok {
		return f(today)
	}
	name, num, _ := strings.Cut(up, ":")
	n, _ := strconv.Atoi(num)
	return nDayKeywords[name](today, n)
}

func weekStart(d time.Time) time.Time { return d.AddDate(0, 0, -int(d.Weekday())) }
func monthStart(d time.Time) time.Time {
	return time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
}
func yearStart(d time.Time) time.Time { return time.Date(d.Year(), 1, 1, 0, 0, 0, 0, time.UTC) }
