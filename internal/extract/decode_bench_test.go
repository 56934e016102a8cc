package extract

import (
	"context"
	"testing"

	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/internal/normalize"
	"github.com/sfdlt/sfdlt/salesforcetest"
	"github.com/sfdlt/sfdlt/schema"
)

// BenchmarkDecodeOpportunityPage decodes a 2,000-record page of Opportunity (all fields) into
// typed rows, as a run does; it reports rows/s of the decoder alone.
func BenchmarkDecodeOpportunityPage(b *testing.B) {
	srv := salesforcetest.NewServer(salesforcetest.Options{Seed: 1, Counts: map[string]int{"Opportunity": 2000}})
	defer srv.Close()
	c := srv.Credentials()
	ctx := context.Background()
	cl, err := client.New(ctx, client.Config{LoginURL: srv.URL(), Credentials: client.Credentials{UserName: c.UserName, Password: c.Password, SecurityToken: c.SecurityToken}})
	if err != nil {
		b.Fatal(err)
	}
	d, err := cl.Describe(ctx, "Opportunity")
	if err != nil {
		b.Fatal(err)
	}
	r := &Extractor{src: &Source{Formulas: true}, sch: normalize.NewSchema(schema.New("b"))}
	fields, err := r.objectFields(&resource{}, d)
	if err != nil {
		b.Fatal(err)
	}
	q := "SELECT "
	byName := map[string]int{}
	types := make([]schema.DataType, len(fields))
	for i, f := range fields {
		if i > 0 {
			q += ", "
		}
		q += f.name
		byName[f.name] = i
		types[i] = f.typ
	}
	var page *client.Page
	for p, err := range cl.Query(ctx, q+" FROM Opportunity") {
		if err != nil {
			b.Fatal(err)
		}
		page = p
		break
	}
	order := make([]string, len(fields))
	for i, f := range fields {
		order[i] = f.name
	}
	dec := newRecordDecoder(byName, types, order...)
	// decode is what a run does (the fast path, general where it declines); general alone is
	// the decoder before the fast path, for comparison.
	for _, path := range []struct {
		name   string
		decode func([]byte, []any, []normalize.Misfit) ([]normalize.Misfit, error)
	}{{"decode", dec.decode}, {"general", dec.general}} {
		b.Run(path.name, func(b *testing.B) {
			row := make([]any, len(types))
			var misfits []normalize.Misfit
			n := 0
			for b.Loop() {
				for _, raw := range page.Records {
					if misfits, err = path.decode(raw, row, misfits[:0]); err != nil {
						b.Fatal(err)
					}
					n++
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
