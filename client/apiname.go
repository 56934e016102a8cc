package client

// ValidAPIName reports whether name can be put into SOQL as an object or field name: Salesforce API
// names are letters, digits and underscores, starting with a letter. "" (a Go resource) passes.
func ValidAPIName(name string) bool {
	for i, c := range name {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case (c >= '0' && c <= '9') || c == '_':
			if i == 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}
