package soql_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/sfdlt/sfdlt/salesforcetest/internal/soql"
)

// fields is a one-object Schema for the example.
type fields map[string]string

func (f fields) Object(name string) (string, bool) {
	return "Account", strings.EqualFold(name, "Account")
}

func (f fields) Field(object, name string) (string, string, bool) {
	for k, typ := range f {
		if strings.EqualFold(k, name) {
			return k, typ, true
		}
	}
	return "", "", false
}

type record map[string]any

func (r record) Get(field string) any { return r[field] }

func Example() {
	q, err := soql.Parse("select id, name from account where name like 'a%' and systemmodstamp >= 2024-01-01T00:00:00Z order by name desc")
	if err != nil {
		fmt.Println(err)
		return
	}
	s := fields{"Id": "id", "Name": "string", "SystemModstamp": "datetime"}
	if err := q.Check(s); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(q)
	r := record{"Id": "001000000000001AAA", "Name": "Acme", "SystemModstamp": time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)}
	fmt.Println(q.Match(r))

	_, err = soql.Parse("SELECT Id FORM Account")
	fmt.Println(err.(*soql.Error).Code, strings.ReplaceAll(err.Error(), "\n", "|"))
	// Output:
	// SELECT Id, Name FROM Account WHERE Name LIKE 'a%' AND SystemModstamp >= 2024-01-01T00:00:00Z ORDER BY Name DESC NULLS LAST
	// true
	// MALFORMED_QUERY |SELECT Id FORM Account|          ^|ERROR at Row:1:Column:11|unexpected token: 'FORM'
}
