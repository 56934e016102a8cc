package crosscheck

import (
	"context"
	"testing"

	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/salesforcetest"
)

func TestSmoke(t *testing.T) {
	srv := salesforcetest.NewServer(salesforcetest.Options{Seed: 1})
	defer srv.Close()
	c := srv.Credentials()
	for _, creds := range []client.Credentials{
		{UserName: c.UserName, Password: c.Password, SecurityToken: c.SecurityToken},
		{UserName: c.UserName, Password: c.Password + c.SecurityToken, ClientID: c.ClientID, ClientSecret: c.ClientSecret},
		{ClientID: c.ClientID, ClientSecret: c.ClientSecret},
		{ClientID: c.ClientID, UserName: c.UserName, PrivateKey: c.PrivateKeyPEM},
		{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RefreshToken: c.RefreshToken},
	} {
		cl, err := client.New(context.Background(), client.Config{LoginURL: srv.URL(), Credentials: creds})
		if err != nil {
			t.Errorf("%v: %v", creds, err)
			continue
		}
		n := 0
		for p, err := range cl.QueryAll(context.Background(), "SELECT Id, Name, SystemModstamp, Amount FROM Opportunity") {
			if err != nil {
				t.Fatal(err)
			}
			n += len(p.Records)
			if n == len(p.Records) {
				t.Logf("first record: %s", p.Records[0])
			}
		}
		t.Logf("%v: %d records", creds, n)
	}
}
