package schema

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestNormalizeIdentifierConventionExamples(t *testing.T) {
	// Every example of dlt-conventions.md, plus the Salesforce names the pipeline meets.
	tests := []struct{ in, want string }{
		{"SystemModstamp", "system_modstamp"},
		{"CreatedById", "created_by_id"},
		{"Pricebook2Id", "pricebook2_id"},
		{"HTMLBody", "html_body"},
		{"Field_", "fieldx"},
		{"1stField", "_1st_field"},
		{"Account__c", "account__c"},
		{"SLAExpirationDate__c", "sla_expiration_date__c"},
		{"Location__Latitude__s", "location__latitude__s"},
		{"SBQQ__NetAmount__c", "sbqq__net_amount__c"},
		{"  Name  ", "name"},
		{"a+b", "axb"},
		{"a-b", "a_b"},
		{"a*b", "axb"},
		{"a@b", "aab"},
		{"a|b", "alb"},
		{"hello world", "hello_world"},
		{"über", "_ber"},
		{"emoji😀name", "emoji_name"},
		{"ALLCAPS", "allcaps"},
		{"", EmptyIdentifier},
		{"   ", EmptyIdentifier},
	}
	for _, tt := range tests {
		if got := NormalizeIdentifier(tt.in); got != tt.want {
			t.Errorf("NormalizeIdentifier(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeTableNameSalesforceResources(t *testing.T) {
	// What dlt's rules give for the Salesforce object names...
	objects := []struct{ object, want string }{
		{"User", "user"},
		{"UserRole", "user_role"},
		{"Lead", "lead"},
		{"Product2", "product2"}, // dlt: a digit after letters is not a word break
		{"Pricebook2", "pricebook2"},
		{"PricebookEntry", "pricebook_entry"},
		{"Opportunity", "opportunity"},
		{"OpportunityLineItem", "opportunity_line_item"},
		{"OpportunityContactRole", "opportunity_contact_role"},
		{"CampaignMember", "campaign_member"},
	}
	for _, tt := range objects {
		if got := NormalizeTableName(tt.object); got != tt.want {
			t.Errorf("NormalizeTableName(%q) = %q, want %q", tt.object, got, tt.want)
		}
	}
	// ...and the resource names the Python source gives them itself (sf_user because
	// `user` is reserved in SQL, product_2/pricebook_2 by its own choice): these are the
	// table names, and normalization keeps them as they are.
	for _, name := range []string{"sf_user", "user_role", "lead", "contact", "campaign", "product_2",
		"pricebook_2", "pricebook_entry", "opportunity", "opportunity_line_item",
		"opportunity_contact_role", "account", "campaign_member", "task", "event"} {
		if got := NormalizeTableName(name); got != name {
			t.Errorf("NormalizeTableName(%q) = %q, want it unchanged", name, got)
		}
	}
	// The column rule meanwhile keeps the digit attached: Pricebook2Id -> pricebook2_id.
	if got := NormalizeIdentifier("Pricebook2Id"); got != "pricebook2_id" {
		t.Errorf("NormalizeIdentifier(Pricebook2Id) = %q", got)
	}
}

type namingGolden struct {
	In       string  `json:"in"`
	Out      string  `json:"out"`
	Postgres *string `json:"postgres"`
	Why      string  `json:"why"`
}

func loadNamingGolden(t *testing.T) []namingGolden {
	t.Helper()
	b, err := os.ReadFile("testdata/naming.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []namingGolden
	if err := json.Unmarshal(b, &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) < 100 {
		t.Fatalf("golden file has %d rows, want at least 100", len(rows))
	}
	return rows
}

func TestNormalizeIdentifierGolden(t *testing.T) {
	for _, r := range loadNamingGolden(t) {
		if got := NormalizeIdentifier(r.In); got != r.Out {
			t.Errorf("NormalizeIdentifier(%q) = %q, want %q %s", r.In, got, r.Out, r.Why)
		}
		got := PostgresNaming.NormalizeIdentifier(r.In)
		if r.Postgres == nil {
			if len(got) > PostgresMaxIdentifierLength || !strings.Contains(got, Tag(r.In)) {
				t.Errorf("PostgresNaming.NormalizeIdentifier(%q) = %q (%d bytes), want <= 63 bytes with tag %q",
					r.In, got, len(got), Tag(r.In))
			}
			continue
		}
		if got != *r.Postgres {
			t.Errorf("PostgresNaming.NormalizeIdentifier(%q) = %q, want %q %s", r.In, got, *r.Postgres, r.Why)
		}
	}
}

func TestTag(t *testing.T) {
	// Reference value computed with Python's hashlib.shake_128 and dlt's encoding.
	if got := Tag("hello"); got != "jrs2qq" {
		t.Errorf("Tag(hello) = %q, want jrs2qq", got)
	}
	if tagBytes != 4 {
		t.Errorf("tagBytes = %d, want 4 (dlt's length for probability 0.001)", tagBytes)
	}
}

func TestShorten(t *testing.T) {
	long := strings.Repeat("abcdefghij", 10)
	tests := []struct {
		name       string
		normalized string
		maxLen     int
		want       string
	}{
		{"fits", "short", 63, "short"},
		{"no limit", long, 0, long},
		{"exact", long[:63], 63, long[:63]},
		{"odd remaining: head takes the extra byte", long, 63, long[:29] + Tag(long) + long[100-28:]},
		{"even remaining", long, 62, long[:28] + Tag(long) + long[100-28:]},
		{"tag only", long, 6, Tag(long)},
		{"shorter than tag", long, 3, Tag(long)[:3]},
		{"one byte around", long, 7, long[:1] + Tag(long)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Shorten(tt.normalized, tt.normalized, tt.maxLen); got != tt.want {
				t.Errorf("Shorten(..., %d) = %q, want %q", tt.maxLen, got, tt.want)
			}
		})
	}
	// The tag comes from the original name, so names that normalize alike differ.
	a := Shorten(long, "A"+long, 63)
	b := Shorten(long, "a"+long, 63)
	if a == b {
		t.Errorf("Shorten gave %q for two different originals", a)
	}
}

func TestNormalizePath(t *testing.T) {
	tests := []struct {
		parts []string
		want  string
	}{
		{[]string{"Opportunity", "LineItems"}, "opportunity__line_items"},
		{[]string{"Owner", "Name"}, "owner__name"},
		{[]string{"Account", "BillingAddress", "City"}, "account__billing_address__city"},
		{[]string{"Account__r", "Name"}, "account__r__name"},
		{[]string{"a", ""}, "a___empty"},
		{nil, EmptyIdentifier},
	}
	for _, tt := range tests {
		if got := NormalizePath(tt.parts...); got != tt.want {
			t.Errorf("NormalizePath(%q) = %q, want %q", tt.parts, got, tt.want)
		}
	}
	long := PostgresNaming.NormalizePath(strings.Repeat("Parent", 10), strings.Repeat("Child", 10))
	if len(long) != 63 {
		t.Errorf("long path %q has %d bytes, want 63", long, len(long))
	}
}

func TestVariantName(t *testing.T) {
	if got := NormalizeIdentifier("Amount"); got != "amount" {
		t.Fatal(got)
	}
	if got := (Naming{}).VariantName("amount", Text); got != "amount__v_text" {
		t.Errorf("VariantName = %q, want amount__v_text", got)
	}
	long := strings.Repeat("x", 60)
	if got := PostgresNaming.VariantName(long, Bigint); len(got) != 63 || !strings.HasSuffix(got, "__v_bigint") {
		t.Errorf("VariantName(long) = %q (%d bytes), want 63 bytes ending in __v_bigint", got, len(got))
	}
}

func TestColumnNamesCollisions(t *testing.T) {
	tests := []struct {
		name    string
		names   []string
		collide [2]string // empty when no collision is expected
	}{
		{"salesforce custom names stay apart", []string{"Name__c", "Name_c", "Name"}, [2]string{}},
		{"camel case against underscore", []string{"Id", "NameC", "Name_C"}, [2]string{"NameC", "Name_C"}},
		{"trailing underscore becomes x", []string{"Field_", "Fieldx"}, [2]string{"Field_", "Fieldx"}},
		{"acronyms", []string{"HTMLBody", "HtmlBody"}, [2]string{"HTMLBody", "HtmlBody"}},
		{"symbols", []string{"a-b", "a b"}, [2]string{"a-b", "a b"}},
		{"exact duplicate is fine", []string{"Id", "Id"}, [2]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := (Naming{}).ColumnNames("account", tt.names)
			if tt.collide == [2]string{} {
				if err != nil {
					t.Fatalf("ColumnNames(%q): %v", tt.names, err)
				}
				if len(got) != len(tt.names) {
					t.Fatalf("got %d names for %d", len(got), len(tt.names))
				}
				return
			}
			var ce *CollisionError
			if !errors.As(err, &ce) {
				t.Fatalf("ColumnNames(%q) error = %v, want *CollisionError", tt.names, err)
			}
			if ce.First != tt.collide[0] || ce.Second != tt.collide[1] || ce.Table != "account" {
				t.Errorf("collision = %+v, want %q and %q", ce, tt.collide[0], tt.collide[1])
			}
			msg := err.Error()
			for _, s := range []string{tt.collide[0], tt.collide[1], "account", "exclude"} {
				if !strings.Contains(msg, s) {
					t.Errorf("error %q does not mention %q", msg, s)
				}
			}
			if (Naming{}).CheckCollisions("account", tt.names) == nil {
				t.Error("CheckCollisions found no collision")
			}
		})
	}
}

func checkIdentifier(t *testing.T, in, got string, maxLen int) {
	t.Helper()
	if got == "" {
		t.Fatalf("normalize(%q) returned an empty name", in)
	}
	if r, _ := utf8.DecodeRuneInString(got); unicode.IsDigit(r) {
		t.Fatalf("normalize(%q) = %q starts with a digit", in, got)
	}
	if maxLen > 0 && len(got) > maxLen {
		t.Fatalf("normalize(%q) = %q is %d bytes, limit %d", in, got, len(got), maxLen)
	}
	for _, r := range got {
		if !(r == '_' || r >= 'a' && r <= 'z' || unicode.IsDigit(r)) {
			t.Fatalf("normalize(%q) = %q holds %q", in, got, r)
		}
	}
}

func FuzzNormalizeIdentifier(f *testing.F) {
	for _, s := range []string{"SystemModstamp", "Account__c", "1stField", "Field_", "a___b", "__1", "😀", "٣abc",
		" \x1c", "a__ 1", "HTMLBody", "____", strings.Repeat("Ab", 50)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := NormalizeIdentifier(in)
		checkIdentifier(t, in, got, 0)
		if again := NormalizeIdentifier(got); again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q", in, got, again)
		}
		pg := PostgresNaming.NormalizeIdentifier(in)
		checkIdentifier(t, in, pg, PostgresMaxIdentifierLength)
		if pg != PostgresNaming.NormalizeIdentifier(in) {
			t.Fatalf("not deterministic: %q", in)
		}
		if len(got) <= PostgresMaxIdentifierLength && pg != got {
			t.Fatalf("short name %q changed under the limit: %q vs %q", in, got, pg)
		}
	})
}

func FuzzShorten(f *testing.F) {
	f.Add("abc", "abc", 63)
	f.Add(strings.Repeat("a", 100), "x", 63)
	f.Add(strings.Repeat("٣", 50), "y", 7)
	f.Fuzz(func(t *testing.T, normalized, original string, maxLen int) {
		maxLen %= 200
		got := Shorten(normalized, original, maxLen)
		if maxLen > 0 && len(got) > maxLen {
			t.Fatalf("Shorten(%q, %d) = %q is %d bytes", normalized, maxLen, got, len(got))
		}
		if maxLen <= 0 && got != normalized {
			t.Fatalf("Shorten without limit changed %q to %q", normalized, got)
		}
		if got != Shorten(normalized, original, maxLen) {
			t.Fatal("not deterministic")
		}
		if utf8.ValidString(normalized) && !utf8.ValidString(got) {
			t.Fatalf("Shorten cut a character: %q", got)
		}
	})
}

func BenchmarkNormalizeIdentifier(b *testing.B) {
	for b.Loop() {
		NormalizeIdentifier("SLAExpirationDate__c")
	}
}
