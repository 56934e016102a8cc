package load

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// newLoadID makes a dlt load id: the Unix time with microseconds, "1751371611.374621".
func newLoadID(now time.Time) string {
	us := now.UnixMicro()
	return fmt.Sprintf("%d.%06d", us/1_000_000, us%1_000_000)
}

// loadIDTime is the time of a load id made by newLoadID.
func loadIDTime(id string) time.Time {
	sec, frac, _ := strings.Cut(id, ".")
	s, err1 := strconv.ParseInt(sec, 10, 64)
	us, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || len(frac) != 6 {
		panic(fmt.Sprintf("internal error: load id %q is not seconds.microseconds", id))
	}
	return time.UnixMicro(s*1_000_000 + us).UTC()
}

// RowIDs makes dlt row ids (_dlt_id: 10 random bytes, base64 without padding) for one writer,
// from a ChaCha8 stream seeded from crypto/rand: as unpredictable, without a system call per row.
// The zero value is ready to use; it is not safe for concurrent use.
type RowIDs struct {
	src *mrand.ChaCha8
}

func (g *RowIDs) Next() string {
	if g.src == nil {
		var seed [32]byte
		rand.Read(seed[:])
		g.src = mrand.NewChaCha8(seed)
	}
	var b [10]byte
	g.src.Read(b[:])
	return base64.RawStdEncoding.EncodeToString(b[:])
}
