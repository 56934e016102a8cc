package extract

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/internal/normalize"
	"github.com/sfdlt/sfdlt/salesforcetest"
	"github.com/sfdlt/sfdlt/schema"
)

// fastCheckTypes and fastCheckFields cover every column type, for the fast path's checks.
var (
	fastCheckTypes = []schema.DataType{schema.Text, schema.Timestamp, schema.Date, schema.Time, schema.Bool, schema.Bigint,
		schema.Double, schema.Decimal, schema.Text, schema.JSON, schema.Binary}
	fastCheckFields = map[string]int{"Name": 0, "SystemModstamp": 1, "CloseDate": 2, "Open__c": 3, "IsWon": 4,
		"Employees": 5, "Probability": 6, "Amount": 7, "Tags": 8, "BillingAddress": 9, "Blob__c": 10}
)

// checkFastAgreesWithGeneral decodes raw with both paths: where the fast path accepts a record,
// its row and misfits must be exactly the general path's, and the general path must accept it.
func checkFastAgreesWithGeneral(t *testing.T, dec *recordDecoder, raw []byte) (accepted bool) {
	t.Helper()
	fastRow, generalRow := make([]any, len(dec.types)), make([]any, len(dec.types))
	fastMisfits, ok := dec.fast(raw, fastRow, nil)
	generalMisfits, err := dec.general(raw, generalRow, nil)
	if !ok {
		return false
	}
	if err != nil {
		t.Fatalf("fast path accepted %q, which the general path rejects: %v", raw, err)
	}
	if !reflect.DeepEqual(fastRow, generalRow) || !reflect.DeepEqual(fastMisfits, generalMisfits) {
		t.Fatalf("paths disagree on %q:\nfast    %#v %#v\ngeneral %#v %#v", raw, fastRow, fastMisfits, generalRow, generalMisfits)
	}
	return true
}

func TestFastDecodeAgreesWithGeneral(t *testing.T) {
	dec := newRecordDecoder(fastCheckFields, fastCheckTypes, "Name", "SystemModstamp", "CloseDate")
	accept := []string{
		`{"attributes":{"type":"Opportunity","url":"/services/data/v64.0/sobjects/Opportunity/006"},"Name":"Acme","SystemModstamp":"2011-07-07T00:37:00.000+0000","CloseDate":"2025-12-16"}`,
		`{"Name":"Zoë \"quoted\", comma\nnewline 🚀 \u00e9 \/","IsWon":true,"Employees":12.0,"Probability":4e2,"Amount":-0.5}`,
		` { "Name" : "spaced" , "IsWon" : false , "Tags" : null } `,
		`{"BillingAddress":{"city":"Paris","street":"1 \"rue\" {x}","geo":[1,2.5,null]},"Unknown":[{"a":"]"}]}`,
		`{"Employees":"many","IsWon":"yes","Amount":"12"}`, // misfits
		`{"Name":"","Tags":""}`,
		`{"Name":12345,"Tags":true}`, // a number or bool in a text column
		`{"Blob__c":"aGVsbG8=","Open__c":"13:05:30.000Z"}`,
		`{"Amount":9999999999999999.99,"Probability":-0}`,
		`{}`,
		`{"Name":"out of order first","CloseDate":"2025-01-02","SystemModstamp":"2011-07-07T00:37:00.000Z"}`,
		`{"Name":"a","Name":"duplicate, last wins"}`,
	}
	for _, raw := range accept {
		if !checkFastAgreesWithGeneral(t, dec, []byte(raw)) {
			t.Errorf("fast path declined %q, which it is meant to decode", raw)
		}
	}
	// Malformed records: the fast path declines them all, so the general path reports them.
	decline := []string{
		`[1]`, `{"Name":`, `{"Name":"x"`, `nope`, `{"Name":"x"}x`, `{"Name":"x",}`, `{"Name" "x"}`,
		`{"Name":"bad \q escape"}`, "{\"Name\":\"raw\ncontrol\"}", "{\"Name\":\"\xff\xfe\"}", `{"Amount":01}`,
		`{"Amount":1.}`, `{"Amount":.5}`, `{"Amount":1e}`, `{"Amount":+1}`, `{"IsWon":tru}`, `{"Tags":nul}`,
		`{"BillingAddress":{"city":}}`, `{"BillingAddress":{"city":"x"}`, `{"Na\u006de":"escaped name"}`,
	}
	for _, raw := range decline {
		fastRow := make([]any, len(dec.types))
		if _, ok := dec.fast([]byte(raw), fastRow, nil); ok {
			t.Errorf("fast path accepted malformed or unusual %q", raw)
		}
		// decode as a whole still works through the general path where the record is valid JSON.
		checkFastAgreesWithGeneral(t, dec, []byte(raw))
	}
}

// TestFastDecodeEmulatorPages runs both paths over every record of the emulator's pages of each
// default object, all fields selected.
func TestFastDecodeEmulatorPages(t *testing.T) {
	srv := salesforcetest.NewServer(salesforcetest.Options{Seed: 7})
	defer srv.Close()
	c := srv.Credentials()
	ctx := context.Background()
	cl, err := client.New(ctx, client.Config{LoginURL: srv.URL(), Credentials: client.Credentials{UserName: c.UserName, Password: c.Password, SecurityToken: c.SecurityToken}})
	if err != nil {
		t.Fatal(err)
	}
	r := &Extractor{src: &Source{Formulas: true}, sch: normalize.NewSchema(schema.New("t"))}
	for _, object := range []string{"Account", "Contact", "Lead", "Opportunity", "Task", "Event", "User", "Campaign"} {
		d, err := cl.Describe(ctx, object)
		if err != nil {
			t.Fatal(err)
		}
		fields, err := r.objectFields(&resource{}, d)
		if err != nil {
			t.Fatal(err)
		}
		names := make([]string, len(fields))
		byName := map[string]int{}
		types := make([]schema.DataType, len(fields))
		for i, f := range fields {
			names[i], byName[f.name], types[i] = f.name, i, f.typ
		}
		dec := newRecordDecoder(byName, types, names...)
		n := 0
		for page, err := range cl.QueryAll(ctx, "SELECT "+strings.Join(names, ", ")+" FROM "+object) {
			if err != nil {
				t.Fatal(err)
			}
			for _, raw := range page.Records {
				if !checkFastAgreesWithGeneral(t, dec, raw) {
					t.Fatalf("%s: fast path declined an emulator record: %s", object, raw)
				}
				n++
			}
		}
		if n == 0 {
			t.Fatalf("%s: no records", object)
		}
	}
}

// FuzzFastDecode: wherever the fast path accepts a record, the general path agrees with it.
func FuzzFastDecode(f *testing.F) {
	for _, s := range []string{`{"Name":"x","Amount":1.5,"IsWon":true,"BillingAddress":{"a":[1]}}`, `{"Tags":null}`, `{"Name":"\u00e9\n"}`} {
		f.Add([]byte(s))
	}
	dec := newRecordDecoder(fastCheckFields, fastCheckTypes, "Name", "Amount")
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkFastAgreesWithGeneral(t, dec, raw)
	})
}
