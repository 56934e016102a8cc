package client

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// scanAll reads every record of in with a csvScanner.
func scanAll(in io.Reader) ([][]string, error) {
	s := newCSVScanner(in)
	var out [][]string
	for {
		rec, err := s.readRecord(nil)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, rec)
	}
}

func TestCSVScanner(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want [][]string
	}{
		{"quoted", "\"Id\",\"Name\"\n\"001\",\"Acme\"\n", [][]string{{"Id", "Name"}, {"001", "Acme"}}},
		{"unquoted", "Id,Name\n001,Acme\n", [][]string{{"Id", "Name"}, {"001", "Acme"}}},
		{"no final line break", "Id,Name\n001,Acme", [][]string{{"Id", "Name"}, {"001", "Acme"}}},
		{"both null forms", "A,B,C,D\n,\"\",x,\n", [][]string{{"A", "B", "C", "D"}, {"", "", "x", ""}}},
		{"doubled quotes", "A,B\n\"say \"\"hi\"\"\",\"\"\"\"\n", [][]string{{"A", "B"}, {`say "hi"`, `"`}}},
		{"commas and line breaks inside quotes", "A,B\n\"a,b\",\"line1\nline2\r\nline3\"\n", [][]string{{"A", "B"}, {"a,b", "line1\nline2\r\nline3"}}},
		{"unicode", "A,B\n\"Zürich ☃\",\"東京\"\n", [][]string{{"A", "B"}, {"Zürich ☃", "東京"}}},
		{"CRLF", "A,B\r\n\"1\",2\r\n3,\"4\"\r\n", [][]string{{"A", "B"}, {"1", "2"}, {"3", "4"}}},
		{"BOM and leading blank lines", "\xEF\xBB\xBF\n\r\n\"A\",\"B\"\n1,2\n", [][]string{{"A", "B"}, {"1", "2"}}},
		{"blank lines between rows of two columns", "A,B\n1,2\n\n3,4\n", [][]string{{"A", "B"}, {"1", "2"}, {"3", "4"}}},
		{"one column with a null row", "A\n1\n\n\"\"\n2\n", [][]string{{"A"}, {"1"}, {""}, {""}, {"2"}}},
		{"empty", "", nil},
		{"header only", "\"A\",\"B\"\n", [][]string{{"A", "B"}}},
		{"long line", "A\n\"" + strings.Repeat("x", 200<<10) + "\"\n", [][]string{{"A"}, {strings.Repeat("x", 200<<10)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(tt.in), iotest.OneByteReader(strings.NewReader(tt.in))} {
				got, err := scanAll(r)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("got %q, want %q", got, tt.want)
				}
			}
		})
	}
}

func TestCSVScannerErrors(t *testing.T) {
	readErr := errors.New("connection reset")
	tests := []struct {
		name string
		in   io.Reader
		is   error  // errors.Is target, or nil for a syntax error
		msg  string // substring of a syntax error
	}{
		{"cut inside quotes", strings.NewReader("A,B\n\"1\",\"tw"), errCSVTruncated, ""},
		{"cut after a field", strings.NewReader("A,B,C\n1,2"), errCSVTruncated, ""},
		{"read error", io.MultiReader(strings.NewReader("A,B\n1,"), iotest.ErrReader(readErr)), readErr, ""},
		{"bare quote", strings.NewReader("A,B\n1,x\"y\n"), nil, "quote inside an unquoted value"},
		{"text after closing quote", strings.NewReader("A,B\n\"1\"x,2\n"), nil, "after a closing quote"},
		{"too many fields", strings.NewReader("A,B\n1,2,3\n"), nil, "3 fields, the header has 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := scanAll(tt.in)
			var se *csvSyntaxError
			switch {
			case tt.is != nil && !errors.Is(err, tt.is):
				t.Errorf("got %v, want %v", err, tt.is)
			case tt.is == nil && (!errors.As(err, &se) || !strings.Contains(err.Error(), tt.msg)):
				t.Errorf("got %v, want a syntax error with %q", err, tt.msg)
			}
		})
	}
}

// TestCSVScannerTerminated: a last record without a line break is returned but flagged, so a
// page cut off right after a comma can be told from a complete one by the row count.
func TestCSVScannerTerminated(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{{"A,B\n\"1\",", false}, {"A,B\n1,2", false}, {"A,B\n1,2\n", true}, {"A,B\n1,\"2\"\r\n", true}, {"A\n1\n\n", true}} {
		s := newCSVScanner(strings.NewReader(tt.in))
		var last []string
		for {
			rec, err := s.readRecord(nil)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%q: %v", tt.in, err)
			}
			last = rec
		}
		if s.terminated != tt.want || len(last) == 0 {
			t.Errorf("%q: terminated %v, want %v (last %q)", tt.in, s.terminated, tt.want, last)
		}
	}
}

// TestCSVScannerStickyError: after a read error the scanner never reports a clean end.
func TestCSVScannerStickyError(t *testing.T) {
	readErr := errors.New("unexpected EOF")
	s := newCSVScanner(io.MultiReader(strings.NewReader("A\n1\n"), iotest.ErrReader(readErr)))
	for range 2 {
		s.readRecord(nil)
	}
	for range 3 {
		if _, err := s.readRecord(nil); !errors.Is(err, readErr) {
			t.Fatalf("got %v, want the read error every time", err)
		}
	}
}

// FuzzCSVScanner: the scanner never panics, and on input encoding/csv reads without error it
// returns the same records. Inputs where the two formats legitimately differ are skipped:
// encoding/csv drops \r before \n inside quotes, skips blank lines (a null one-column row for
// us) and trims nothing else.
func FuzzCSVScanner(f *testing.F) {
	for _, s := range []string{
		"\"Id\",\"Name\"\n\"001\",\"Acme\"\n",
		"A,B\n,\"\"\n",
		"A,B\n\"a\"\"b\",\"x\ny\"\n",
		"\xEF\xBB\xBFA,B\r\n1,2\r\n",
		"\nA,B\n1,2",
		"A\n\n",
		"A,B\n\"1\",\"tw",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := scanAll(strings.NewReader(in))
		if strings.Contains(in, "\r") || strings.HasPrefix(in, "\xEF\xBB\xBF") {
			return
		}
		r := csv.NewReader(strings.NewReader(in))
		want, werr := r.ReadAll()
		if werr != nil || len(want) == 0 || len(want[0]) < 2 {
			return
		}
		if err != nil {
			t.Fatalf("scanner failed on input encoding/csv reads: %v\ninput %q", err, in)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("scanner %q\nencoding/csv %q\ninput %q", got, want, in)
		}
	})
}

// opportunityCSV builds n Opportunity-shaped rows of 30 quoted columns, as Bulk writes them.
func opportunityCSV(n int) []byte {
	cols := []string{"Id", "IsDeleted", "AccountId", "RecordTypeId", "IsPrivate", "Name", "Description", "StageName",
		"Amount", "Probability", "ExpectedRevenue", "TotalOpportunityQuantity", "CloseDate", "Type", "NextStep",
		"LeadSource", "IsClosed", "IsWon", "ForecastCategory", "ForecastCategoryName", "CampaignId",
		"HasOpportunityLineItem", "Pricebook2Id", "OwnerId", "CreatedDate", "CreatedById", "LastModifiedDate",
		"LastModifiedById", "SystemModstamp", "LastActivityDate"}
	var b bytes.Buffer
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q", c)
	}
	b.WriteByte('\n')
	for i := range n {
		fmt.Fprintf(&b, `"006Hp00001%08dAAA","false","001Hp00002%08dQAA","","false","Opportunity %d - Expansion","Customer asked for a ""phased"" rollout,
second line of notes","Negotiation/Review","125000.0","80","100000.0","","2024-06-30","New Customer","Send contract","Web","false","false","Commit","Commit","","true","01sHp000000AbCdIAK","005Hp00000%08dAAA","2024-01-05T03:41:05.000Z","005Hp00000AbCdEIAZ","2024-03-05T03:41:05.000Z","005Hp00000AbCdEIAZ","2024-03-05T03:41:05.000Z",""`+"\n", i, i, i, i)
	}
	return b.Bytes()
}

// BenchmarkCSVScanner compares the package's scanner with encoding/csv (ReuseRecord) on
// 30-column Opportunity rows; run with
//
//	go test ./client -run '^$' -bench CSVScanner -benchmem
func BenchmarkCSVScanner(b *testing.B) {
	const rows = 10000
	data := opportunityCSV(rows)
	b.Run("scanner", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		s := newCSVScanner(nil)
		var rec []string
		for b.Loop() {
			s.reset(bytes.NewReader(data))
			n := 0
			for {
				var err error
				if rec, err = s.readRecord(rec); err != nil {
					if err != io.EOF {
						b.Fatal(err)
					}
					break
				}
				n++
			}
			if n != rows+1 {
				b.Fatalf("%d records", n)
			}
		}
		b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("encoding-csv", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			r := csv.NewReader(bytes.NewReader(data))
			r.ReuseRecord = true
			n := 0
			for {
				if _, err := r.Read(); err != nil {
					if err != io.EOF {
						b.Fatal(err)
					}
					break
				}
				n++
			}
			if n != rows+1 {
				b.Fatalf("%d records", n)
			}
		}
		b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}
