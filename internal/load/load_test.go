package load

import (
	"testing"
	"time"
)

func TestLoadIDAndRowID(t *testing.T) {
	id := newLoadID(time.Unix(1751371611, 374621000))
	if id != "1751371611.374621" {
		t.Fatalf("load id = %q", id)
	}
	if got, want := loadIDTime(id), time.Unix(1751371611, 374621000).UTC(); !got.Equal(want) {
		t.Fatalf("loadIDTime(%q) = %v, want %v", id, got, want)
	}
	var ids RowIDs
	a, b := ids.Next(), ids.Next()
	if len(a) != 14 || a == b {
		t.Fatalf("row ids %q %q: want 14 chars (10 bytes, base64 without padding), distinct", a, b)
	}
}

func TestLoadIDAfter(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"1751371611.374622", "1751371611.374621", true},
		{"1751371611.374621", "1751371611.374621", false},
		{"999999999.999999", "1000000000.000000", false}, // fewer digits of seconds: earlier
		{"1000000000.000000", "999999999.999999", true},
	} {
		if got := loadIDAfter(c.a, c.b); got != c.want {
			t.Errorf("loadIDAfter(%s, %s) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
