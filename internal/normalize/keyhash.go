package normalize

import (
	"crypto/sha3"
	"encoding/base64"
)

// KeyHash is the hash of a record's key that dedup at the cursor boundary keeps (dlt's unique_hashes), and of a nested row's parent, table and position (its _dlt_id): like dlt's
// digest128, 16 bytes of SHAKE-128, base64 without padding.
func KeyHash(key string) string {
	sum := sha3.SumSHAKE128([]byte(key), 16)
	return base64.RawStdEncoding.EncodeToString(sum)
}
