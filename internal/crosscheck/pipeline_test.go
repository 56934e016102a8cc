package crosscheck

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/destination/duckdb"
	"github.com/sfdlt/sfdlt/salesforcetest"
)

func TestPipelineSmoke(t *testing.T) {
	srv := salesforcetest.NewServer(salesforcetest.Options{Seed: 1})
	defer srv.Close()
	c := srv.Credentials()
	src, err := sfdlt.NewSource(sfdlt.Credentials{UserName: c.UserName, Password: c.Password, SecurityToken: c.SecurityToken}, sfdlt.LoginURL(srv.URL()))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p, err := sfdlt.NewPipeline("salesforce", duckdb.New(filepath.Join(dir, "sf.duckdb")), sfdlt.Dataset("salesforce_data"), sfdlt.PipelinesDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	info, err := p.Run(context.Background(), src)
	t.Log(info)
	if err != nil {
		t.Fatal(err)
	}
	info, err = p.Run(context.Background(), src)
	t.Log(info)
	if err != nil {
		t.Fatal(err)
	}
}
