package schema_test

import (
	"fmt"

	"github.com/sfdlt/sfdlt/schema"
)

func ExampleNormalizeIdentifier() {
	for _, field := range []string{"SystemModstamp", "HTMLBody", "Pricebook2Id", "Field_", "1stField", "SLAExpirationDate__c"} {
		fmt.Println(field, "->", schema.NormalizeIdentifier(field))
	}
	// Postgres cuts identifiers at 63 bytes; dlt shortens them with a hash tag instead.
	long := "This_Is_A_Very_Long_Custom_Field_Name_That_Exceeds_Sixty_Three_Characters__c"
	fmt.Println(schema.PostgresNaming.NormalizeIdentifier(long))
	// Output:
	// SystemModstamp -> system_modstamp
	// HTMLBody -> html_body
	// Pricebook2Id -> pricebook2_id
	// Field_ -> fieldx
	// 1stField -> _1st_field
	// SLAExpirationDate__c -> sla_expiration_date__c
	// this_is_a_very_long_custom_fimyobawds_sixty_three_characters__c
}

func ExampleSchema_Update() {
	s := schema.New("salesforce")

	// First load: describe gives the columns of a new table.
	account := schema.NewTable("account", schema.Merge,
		schema.NewColumn("id", schema.Text),
		schema.NewColumn("annual_revenue", schema.Decimal))
	u, _ := s.Update(account)
	fmt.Println("new table:", u.NewTable, "columns:", len(u.Added))

	// A later describe has a new custom field: the table evolves.
	observed := schema.NewTable("account", schema.Merge,
		schema.NewColumn("id", schema.Text),
		schema.NewColumn("sla__c", schema.Text))
	u, _ = s.Update(observed)
	for _, c := range u.Added {
		fmt.Println("added:", c.Name, c.DataType)
	}

	// A value that does not fit its column goes to a variant column.
	p, _ := s.Place(s.Table("account"), "annual_revenue", "unknown")
	fmt.Println("placed in:", p.Column, "new:", p.Added != nil)

	fmt.Println("version bumped:", s.Bump(), "version:", s.Version)
	// Output:
	// new table: true columns: 2
	// added: sla__c text
	// placed in: annual_revenue__v_text new: true
	// version bumped: true version: 2
}
