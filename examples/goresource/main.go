// Command goresource loads a resource written in Go, as a function decorated with
// @dlt.resource is in Python, next to Salesforce resources in one source: support tickets from
// a helpdesk (a stand-in for any API), merged on ticket_id and incremental on updated_at. Each
// ticket has nested maps, which become parent__child columns (customer__contact__email), and
// lists, which become child tables (support_tickets__comments, support_tickets__tags) linked
// to their parent row by _dlt_parent_id, as dlt's relational normalizer does. The pipeline
// runs twice, to show the incremental filter: the second run gets only what changed.
//
// By default it runs against an emulated Salesforce org started in this process
// (salesforcetest.NewServer): no credentials, no network. With SFDLT_EXAMPLE_REAL_ORG=1 it
// loads the accounts of a real org instead, configured as dlt configures one
// (config.Load and Config.Source: .dlt/secrets.toml, ~/.dlt/secrets.toml or
// the SOURCES__SALESFORCE__* variables); the tickets then point at no account.
//
// Usage:
//
//	go run ./examples/goresource [dir]
//
// The data goes to <dir>/goresource.duckdb (dataset crm_data) and the pipeline's local state
// to <dir>/pipelines; without dir, to a new temporary directory, which is kept. The program
// exits with status 1 on any error.
package main

import (
	"context"
	"fmt"
	"io"
	"iter"
	"path/filepath"
	"time"

	"github.com/sfdlt/sfdlt"
	"github.com/sfdlt/sfdlt/destination/duckdb"
)

const exampleName = "goresource"

// run loads Salesforce accounts and helpdesk tickets into dir, twice.
func run(ctx context.Context, out io.Writer, dir string) error {
	sf, err := openOrg(out)
	if err != nil {
		return err
	}
	defer sf.Close()

	// The helpdesk's customers are Salesforce accounts: in the emulated org, two new ones.
	var accounts []string
	if sf.srv != nil {
		for _, name := range []string{"Helpdesk Customer GmbH", "Ticketing Ltd."} {
			id, err := sf.srv.Insert("Account", map[string]any{"Name": name})
			if err != nil {
				return err
			}
			accounts = append(accounts, id)
		}
	}
	desk := newHelpdesk(accounts)

	// Python:
	//   @dlt.resource(write_disposition="merge", primary_key="ticket_id")
	//   def support_tickets(updated_at=dlt.sources.incremental("updated_at")):
	//       yield from helpdesk.tickets(updated_since=updated_at.last_value)
	tickets := sfdlt.NewResource("support_tickets", desk.resource(out),
		sfdlt.Disposition(sfdlt.Merge),
		sfdlt.PrimaryKey("ticket_id"),
		sfdlt.Cursor(sfdlt.NewIncremental("updated_at", nil)))

	src, err := sf.newSource()
	if err != nil {
		return err
	}
	// One source, one run, one atomic load: the Salesforce accounts and the tickets.
	src = src.AddResource(tickets).WithResources("account", "support_tickets")

	file := filepath.Join(dir, exampleName+".duckdb")
	p, err := sfdlt.NewPipeline("salesforce_helpdesk", duckdb.New(file),
		sfdlt.Dataset("crm_data"), sfdlt.PipelinesDir(filepath.Join(dir, "pipelines")))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Loading into %s\n", file)

	fmt.Fprintf(out, "\n== 1. First run: every account and every ticket\n\n")
	if err := runAndPrint(ctx, out, p, src); err != nil {
		return err
	}

	fmt.Fprintf(out, "\n== 2. Meanwhile, in the helpdesk\n\n")
	for _, c := range desk.work() {
		fmt.Fprintln(out, "  "+c)
	}

	// The resource asks the helpdesk for tickets updated at or after the cursor's last value
	// (closed start): tickets 2 and 3, which share that value, come back, and the pipeline
	// drops them because it keeps the keys of the records it loaded at that value.
	fmt.Fprintf(out, "\n== 3. Second run: only what changed since the first\n\n")
	if err := runAndPrint(ctx, out, p, src); err != nil {
		return err
	}

	fmt.Fprintf(out, "\n== 4. The tables, with SQL\n")
	queries := []string{
		`SELECT ticket_id, subject, status, customer__contact__email, updated_at
		   FROM crm_data.support_tickets ORDER BY ticket_id`,
		// A list of maps: one row per comment, in list order, pointing at its ticket's row.
		// Ticket 1 was merged: its comments are the new list, not the old one plus the new.
		`SELECT t.ticket_id, c._dlt_list_idx AS idx, c.author, c.body
		   FROM crm_data.support_tickets t JOIN crm_data.support_tickets__comments c ON c._dlt_parent_id = t._dlt_id
		   ORDER BY t.ticket_id, c._dlt_list_idx`,
		// A list of strings: one row per item, in the column value.
		`SELECT t.ticket_id, string_agg(g.value, ', ' ORDER BY g._dlt_list_idx) AS tags
		   FROM crm_data.support_tickets t JOIN crm_data.support_tickets__tags g ON g._dlt_parent_id = t._dlt_id
		   GROUP BY t.ticket_id ORDER BY t.ticket_id`,
	}
	if sf.srv != nil {
		queries = append(queries,
			// Tickets and Salesforce accounts, loaded by the same run, join.
			`SELECT t.ticket_id, a.name AS account, a.id AS account_id
			   FROM crm_data.support_tickets t JOIN crm_data.account a ON a.id = t.customer__account_id
			   ORDER BY t.ticket_id`)
	}
	return query(ctx, out, file, queries...)
}

// runAndPrint runs the pipeline and prints its LoadInfo, also when the run failed.
func runAndPrint(ctx context.Context, out io.Writer, p *sfdlt.Pipeline, src *sfdlt.Source) error {
	info, err := p.Run(ctx, src)
	if info != nil {
		fmt.Fprint(out, info)
	}
	return err
}

// helpdesk stands for another system's API that a Go resource reads: support tickets with a
// customer, tags and comments.
type helpdesk struct {
	accounts []string // Salesforce account ids of the customers; may be empty
	now      time.Time
	tickets  []ticket
}

type ticket struct {
	id                        int64
	subject, status           string
	account                   string // Salesforce account id, "" for none
	contactName, contactEmail string
	tags                      []string
	comments                  []comment
	updatedAt                 time.Time
}

type comment struct {
	author, body string
	at           time.Time
}

// newHelpdesk makes a helpdesk with three tickets; the last two were updated at the same
// instant, as happens when one bulk action touches several records.
func newHelpdesk(accounts []string) *helpdesk {
	now := time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)
	h := &helpdesk{accounts: accounts, now: now}
	h.tickets = []ticket{
		{id: 1, subject: "Invoice shows the wrong VAT", status: "open", account: h.account(0),
			contactName: "Jürgen Weiß", contactEmail: "j.weiss@example.de", tags: []string{"billing", "urgent"},
			comments:  []comment{{"Jürgen Weiß", "The VAT on invoice 1042 should be 19%.", now.Add(-3 * time.Hour)}},
			updatedAt: now.Add(-3 * time.Hour)},
		{id: 2, subject: "Cannot log in", status: "solved", account: h.account(1),
			contactName: "Amara Okafor", contactEmail: "amara@example.co.uk", tags: []string{"login"},
			comments: []comment{{"Amara Okafor", "Locked out since this morning.", now.Add(-2 * time.Hour)},
				{"Support", "Unlocked, please try again.", now.Add(-time.Hour)}},
			updatedAt: now.Add(-time.Hour)},
		{id: 3, subject: "Export to CSV, \"quoted\" names break", status: "open", account: h.account(1),
			contactName: "Amara Okafor", contactEmail: "amara@example.co.uk", tags: []string{"export", "bug"},
			comments:  []comment{{"Amara Okafor", "Names with commas, like \"Doe, Jane\", split columns.", now.Add(-time.Hour)}},
			updatedAt: now.Add(-time.Hour)},
	}
	return h
}

func (h *helpdesk) account(i int) string {
	if i < len(h.accounts) {
		return h.accounts[i]
	}
	return ""
}

// work changes the helpdesk as its users would between two runs, and says what changed.
func (h *helpdesk) work() []string {
	h.now = h.now.Add(time.Hour)
	t := &h.tickets[0]
	t.status = "pending"
	t.comments = append(t.comments, comment{"Support", "Corrected invoice sent.", h.now})
	t.updatedAt = h.now
	h.tickets = append(h.tickets, ticket{id: 4, subject: "Feature request: dark mode", status: "new", account: h.account(0),
		contactName: "Jürgen Weiß", contactEmail: "j.weiss@example.de", tags: []string{"feature"}, updatedAt: h.now})
	return []string{
		"ticket 1: a reply from Support, status pending",
		"ticket 4: new, no comment yet",
	}
}

// updatedSince is the helpdesk's API call: the tickets updated at or after since, oldest
// first, as APIs with an updated_since filter answer.
func (h *helpdesk) updatedSince(since time.Time) []ticket {
	var out []ticket
	for _, t := range h.tickets {
		if !t.updatedAt.Before(since) {
			out = append(out, t)
		}
	}
	return out
}

// resource is the body of the support_tickets resource: it asks the helpdesk only for the
// tickets at or after the cursor's last value, and yields each as a record with nested maps
// and lists. The pipeline filters by the cursor again and drops records already loaded. It
// calls the function on a goroutine of its own, alongside the Salesforce resources' reads.
func (h *helpdesk) resource(out io.Writer) sfdlt.RecordsFunc {
	return func(ctx context.Context, inc *sfdlt.Incremental) iter.Seq2[map[string]any, error] {
		return func(yield func(map[string]any, error) bool) {
			var since time.Time // the zero time: everything
			if last := inc.LastValue(); last != nil {
				t, err := cursorTime(last)
				if err != nil {
					yield(nil, err)
					return
				}
				since = t
			}
			tickets := h.updatedSince(since)
			fmt.Fprintf(out, "(helpdesk API: %d ticket(s) updated since %s)\n", len(tickets), since.Format(time.RFC3339))
			for _, t := range tickets {
				if err := ctx.Err(); err != nil {
					yield(nil, err)
					return
				}
				if !yield(t.record(), nil) {
					return
				}
			}
		}
	}
}

// record is the ticket as the resource yields it: nested maps and lists, as an API's JSON.
func (t ticket) record() map[string]any {
	comments := make([]map[string]any, len(t.comments))
	for i, c := range t.comments {
		comments[i] = map[string]any{"author": c.author, "body": c.body, "created_at": c.at}
	}
	var account any // nil: no column value (a missing account is null, not "")
	if t.account != "" {
		account = t.account
	}
	return map[string]any{
		"ticket_id":  t.id,
		"subject":    t.subject,
		"status":     t.status,
		"updated_at": t.updatedAt,
		"customer": map[string]any{ // -> customer__account_id, customer__contact__name, ...
			"account_id": account,
			"contact":    map[string]any{"name": t.contactName, "email": t.contactEmail},
		},
		"tags":     t.tags,   // -> table support_tickets__tags (column value)
		"comments": comments, // -> table support_tickets__comments
	}
}

// cursorTime reads the cursor's last value. The pipeline keeps it in its state as Salesforce
// writes datetimes ("2025-06-02T09:00:00.000+0000"), so after the first run it is a string,
// not the time.Time the resource yielded.
func cursorTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case string:
		for _, layout := range []string{"2006-01-02T15:04:05.000-0700", time.RFC3339Nano} {
			if t, err := time.Parse(layout, x); err == nil {
				return t, nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("the cursor updated_at holds %v (%T), not a datetime: delete the pipeline's state to start over", v, v)
}
