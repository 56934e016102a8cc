package salesforcetest_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfdlt/sfdlt/salesforcetest"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata")

// orgFingerprint is one line per response a client sees of an org: the global describe, every
// object's describe (with its Last-Modified) and the first page of a query of every scalar field
// (the first 100 of a wide object) of each object, by Id and by SystemModstamp order, each as a
// SHA-256 of its body with the server's address taken out. Two orgs with equal fingerprints
// answer those calls byte for byte alike.
func orgFingerprint(t *testing.T, s *salesforcetest.Server, objects []string) string {
	t.Helper()
	tok := soapLogin(t, s)
	var b strings.Builder
	line := func(name string, r response) {
		if r.status != http.StatusOK {
			t.Fatalf("%s: %v", name, r)
		}
		h := sha256.New()
		fmt.Fprintf(h, "Last-Modified: %s\n", r.header.Get("Last-Modified"))
		h.Write(bytes.ReplaceAll(r.body, []byte(s.URL()), []byte("{url}")))
		sum := h.Sum(nil)
		fmt.Fprintf(&b, "%s %s\n", name, hex.EncodeToString(sum[:]))
	}
	line("sobjects", get(t, s, tok, "sobjects"))
	for _, name := range objects {
		line(name+" describe", get(t, s, tok, "sobjects/"+name+"/describe"))
		obj, ok := objectNamed(s, name)
		if !ok {
			t.Fatalf("the org has no %s", name)
		}
		var fields []string
		for _, f := range obj.Fields {
			if f.Type != "address" && f.Type != "location" && len(fields) < 100 { // a wide object's SELECT stays under the URI limit
				fields = append(fields, f.Name)
			}
		}
		q := "SELECT " + strings.Join(fields, ",") + " FROM " + name
		line(name+" query", get(t, s, tok, "query?q="+url.QueryEscape(q+" ORDER BY Id LIMIT 300")))
		if _, ok := obj.Field("SystemModstamp"); ok {
			line(name+" queryAll", get(t, s, tok, "queryAll?q="+url.QueryEscape(q+" WHERE SystemModstamp >= 2024-01-01T00:00:00Z"),
				"Sforce-Query-Options", "batchSize=200"))
		}
	}
	return b.String()
}

func objectNamed(s *salesforcetest.Server, name string) (*salesforcetest.Object, bool) {
	for _, o := range s.Objects() {
		if o.Name == name {
			return o, true
		}
	}
	return nil, false
}

// checkGolden compares got with testdata/name, or rewrites the file under -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to write it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("the org differs from %s:\n got:\n%s\nwant:\n%s", path, got, want)
	}
}

// TestDefaultOrgUnchanged pins what every existing test and user sees of an org with the default
// options: the golden file was written before Options.WholeOrg existed, so the whole-org objects
// cannot have changed the default org's object list, describes or data.
func TestDefaultOrgUnchanged(t *testing.T) {
	s := newServer(t, salesforcetest.Options{Seed: 1})
	var names []string
	for name := range salesforcetest.DefaultCounts() {
		names = append(names, name)
	}
	var listed []string
	for _, o := range s.Objects() {
		listed = append(listed, o.Name)
	}
	if len(listed) != len(names) {
		t.Fatalf("the default org lists %d objects %v, want the %d of DefaultCounts", len(listed), listed, len(names))
	}
	checkGolden(t, "default_org.golden", orgFingerprint(t, s, listed))
}
