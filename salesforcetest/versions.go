package salesforcetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// The API versions the emulator serves. Versions up to retiredUpTo answer 410 Gone, as the
// retired versions of a real org do.
const (
	minVersion  = 31
	maxVersion  = 67
	retiredUpTo = 30
	// soapLoginRemovedFrom is the first version whose SOAP login() answers INVALID_OPERATION.
	soapLoginRemovedFrom = 65
)

// versionLabel names the release of an API version: three releases a year, 59.0 being Winter '24.
func versionLabel(v int) string {
	off := v - 59
	season := ((off % 3) + 3) % 3
	year := 24 + floorDiv(off, 3)
	return fmt.Sprintf("%s '%02d", [...]string{"Winter", "Spring", "Summer"}[season], year)
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// parseVersionNumber reads "62.0" as 62; only whole versions exist.
func parseVersionNumber(s string) (int, bool) {
	major, minor, ok := strings.Cut(s, ".")
	if !ok || minor != "0" {
		return 0, false
	}
	n, err := strconv.Atoi(major)
	if err != nil || n <= 0 || strconv.Itoa(n) != major {
		return 0, false
	}
	return n, true
}

// serveVersions answers GET /services/data: no authentication, not counted, no Sforce-Limit-Info.
func (s *Server) serveVersions(w *bufWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w, r.Method)
		return
	}
	type entry struct {
		Label   string `json:"label"`
		URL     string `json:"url"`
		Version string `json:"version"`
	}
	var list []entry
	for v := minVersion; v <= maxVersion; v++ {
		list = append(list, entry{Label: versionLabel(v), URL: fmt.Sprintf("/services/data/v%d.0", v), Version: fmt.Sprintf("%d.0", v)})
	}
	writeJSON(w, http.StatusOK, list)
}

// writeJSON renders v without HTML escaping, as Salesforce does.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		restError(w, http.StatusInternalServerError, "UNKNOWN_EXCEPTION", "emulator could not render the response: "+err.Error())
		return
	}
	writeRaw(w, status, bytes.TrimRight(buf.Bytes(), "\n"))
}

// writeRaw sends an already rendered JSON body.
func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// apiError is one entry of a REST error body.
type apiError struct {
	Message   string   `json:"message"`
	ErrorCode string   `json:"errorCode"`
	Fields    []string `json:"fields,omitempty"`
}

// restError sends a REST error: a JSON array of {message, errorCode[, fields]}.
func restError(w http.ResponseWriter, status int, code, msg string, fields ...string) {
	writeJSON(w, status, []apiError{{Message: msg, ErrorCode: code, Fields: fields}})
}

func methodNotAllowed(w http.ResponseWriter, method string) {
	w.Header().Set("Allow", "GET, HEAD")
	restError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED",
		fmt.Sprintf("HTTP Method '%s' not allowed. Allowed are GET,HEAD", method))
}
