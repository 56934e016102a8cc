package config

import (
	"path/filepath"
	"strings"
	"testing"
)

// FuzzSecretsTOML feeds arbitrary bytes as secrets.toml: loading never panics, errors always
// name the file, and what a Config builds from the result never panics either.
func FuzzSecretsTOML(f *testing.F) {
	for _, seed := range []string{
		"[sources.salesforce]\nuser_name = \"a\"\npassword = \"SEKRET\"\n",
		"password = \"SEKRET",
		"[sources.salesforce.credentials]\nsecurity_token = 1\n",
		"[destination.postgres.credentials]\nhost = \"h\"\nport = \"x\"\n",
		"[destination.postgres]\ncredentials = \"postgresql://u:SEKRET@h/db\"\n",
		"[[sources.salesforce]]\npassword = \"SEKRET\"\n",
		"a = {b = {c = [1, {d = 2}]}}\n",
		"SEKRET\n",
		"[sources.salesforce]\nis_production = \"SEKRET\"\n",
		"pipeline_name = \"p\"\n[p.sources.salesforce]\npassword = 'SEKRET'\n",
		"\xff\xfe[",
		"[sources.salesforce]\nprivate_key = \"\"\"\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC==SEKRET\n",
		"credentials=\"://\" ", // found by the fuzzer: a URL at the least specific path
		"[sources.salesforce]\nmax_api_usage_percent = nan\nlookback = \"-1s\"\nbulk_threshold = 1e3\n",
		"[sources.salesforce]\nobjects_include = [\"[\", 1]\nobjects_exclude = \"a,b\"\nobjects = 3\n",
		"[sources.salesforce.objects.Invoice__c]\nwrite_disposition = 1\ncursor = \"a b\"\nprimary_key = []\n[sources.salesforce.objects.INVOICE__C]\nx = 1\n",
		"[sources.salesforce.objects]\n\"\" = {cursor = \"none\"}\n\"a.b\" = 2\n",
		"[sources.salesforce.resources.contact]\nwrite_disposition = { disposition = \"merge\", strategy = \"x\", y = 1 }\ncolumns = [{name = 1}, 2]\n",
		"[sources.salesforce.resources]\nContact = {columns = {a = {nullable = \"x\"}}}\nfoo = 1\ncontact = {not_null = [\"A\"], columns = {a = {nullable = true, data_type = 3}}}\n",
		"[sources.salesforce.resources.contact.write_disposition]\nstrategy = 3\n[sources.salesforce.objects.Contact]\ncolumns = {}\n",
	} {
		f.Add([]byte(seed))
	}
	work, home := "/fuzz/work", "/fuzz/home"
	path := filepath.Join(work, ".dlt", "secrets.toml")
	f.Fuzz(func(t *testing.T, data []byte) {
		file := &tomlFile{path: path, secrets: true}
		err := file.parse(data)
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		c := &Config{st: &state{workDir: work, homeDir: home, files: []*tomlFile{file}, lookupEnv: environLookup(nil)}}
		if err := c.resolve(""); err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error does not name the file: %v", err)
			}
		}
		_ = c.String()
		_, _ = c.Credentials()
		_ = c.Settings().Postgres.String()
		_, _ = c.Destination("postgres")
	})
}

// FuzzHintVariables feeds arbitrary values to the variables of a resource's table hints
// (write_disposition, columns: JSON or TOML literals, or plain strings): loading never panics,
// and an error names the variable.
func FuzzHintVariables(f *testing.F) {
	for _, seed := range []string{
		`merge`, `{"disposition": "merge", "strategy": "delete-insert"}`, `{disposition = "merge", strategy = "scd2"}`,
		`{disposition = }`, `[1, {"name": "a"}]`, `{"Email": {"nullable": false, "data_type": "text"}}`,
		`[{name = "Email", dedup_sort = "desc"}]`, "{a = 1}\nb = 2", `{"a": {"nullable": null}}`, `[`, `{}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		if strings.ContainsRune(value, 0) {
			return
		}
		for _, key := range []string{"WRITE_DISPOSITION", "COLUMNS"} {
			name := "SOURCES__SALESFORCE__RESOURCES__CONTACT__" + key
			c := &Config{st: &state{workDir: "/fuzz/work", homeDir: "/fuzz/home", environ: []string{name + "=" + value}, lookupEnv: environLookup([]string{name + "=" + value})}}
			if err := c.resolve(""); err != nil && !strings.Contains(err.Error(), name) {
				t.Fatalf("%s=%q: error does not name the variable: %v", name, value, err)
			}
			_ = c.String()
		}
	})
}
