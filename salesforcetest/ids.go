package salesforcetest

// id18 appends Salesforce's case-safety checksum to a 15-character id: for each block of five
// characters, a bit per upper-case letter selects one of 32 suffix characters.
func id18(id15 string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	suffix := make([]byte, 3)
	for i := range 3 {
		flags := 0
		for j := range 5 {
			if c := id15[i*5+j]; c >= 'A' && c <= 'Z' {
				flags |= 1 << j
			}
		}
		suffix[i] = alphabet[flags]
	}
	return id15 + string(suffix)
}

// The org's fixed identity: an organization id (00D) and the API user's id (005), in real format.
var (
	orgID  = id18("00DSf00000DLTeM")
	userID = id18("005Sf00000DLTuS")
)

// base62 writes n in base 62 padded to width, for locator ids.
func base62(n, width int) string {
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, width)
	for i := width - 1; i >= 0; i-- {
		b[i] = digits[n%62]
		n /= 62
	}
	return string(b)
}
