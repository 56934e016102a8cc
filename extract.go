package sfdlt

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"

	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/schema"
)

// devRowCap is the per-query row cap of Production(false), as the Python source's
// IS_PRODUCTION=False.
const devRowCap = 100

// extract runs one resource: it reads its records and writes them to its table(s).
func (r *run) extract(ctx context.Context, res *Resource) error {
	if res.object != "" {
		return r.extractObject(ctx, res)
	}
	return r.extractFunc(ctx, res)
}

// selectedField is one field of a Salesforce resource's SELECT list.
type selectedField struct {
	name   string // Salesforce API name
	column string // table column
	typ    schema.DataType
}

// objectFields chooses the fields to select from a describe: every field but compound parents
// (address, location: their component fields are selected instead), base64 (not selectable in
// bulk queries, and blobs do not belong in a mirror), hidden ones, and formula fields when
// they are left out. Names go through dlt's naming; two fields that normalize to one column are
// an error.
func (r *run) objectFields(res *Resource, d *client.SObjectDescribe) ([]selectedField, error) {
	formulas := r.src.formulas
	if res.formulas != nil {
		formulas = *res.formulas
	}
	var out []selectedField
	seen := map[string]string{}
	for _, f := range d.Fields {
		switch {
		case f.Type == "address", f.Type == "location", f.Type == "base64":
			continue
		case f.DeprecatedAndHidden:
			continue
		case f.Calculated && !formulas:
			continue
		}
		if !validObjectName(f.Name) || f.Name == "" {
			return nil, fmt.Errorf("describe of %s lists a field named %q, which is not a Salesforce API name; it cannot be put in SOQL", d.Name, f.Name)
		}
		typ, err := schema.FromSalesforce(f.Type)
		if err != nil {
			return nil, fmt.Errorf("field %s.%s: %w", d.Name, f.Name, err)
		}
		col := r.sch.Naming.NormalizeIdentifier(f.Name)
		if other, dup := seen[col]; dup {
			return nil, fmt.Errorf("fields %s.%s and %s.%s both become column %q under dlt's naming: rename one in Salesforce, or leave one out", d.Name, other, d.Name, f.Name, col)
		}
		seen[col] = f.Name
		out = append(out, selectedField{name: f.Name, column: col, typ: typ})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the Salesforce object %s has no field sfdlt can select", d.Name)
	}
	return out, nil
}

// observedTable is the table a resource's data needs: its columns with the resource's hints, and
// the system columns.
func (r *run) observedTable(res *Resource, cols []schema.Column) *schema.Table {
	t := schema.NewTable(res.name, res.disposition)
	pk := map[string]bool{}
	for _, k := range res.primaryKey {
		pk[k] = true
	}
	mk := map[string]bool{}
	for _, k := range res.mergeKey {
		mk[k] = true
	}
	for _, c := range cols {
		if h, ok := res.columns[c.Name]; ok {
			if h.DataType != "" {
				c.DataType = h.DataType
			}
			c.Nullable = c.Nullable && !h.NotNull
			c.Unique = c.Unique || h.Unique
			c.PrimaryKey = c.PrimaryKey || h.PrimaryKey
			c.MergeKey = c.MergeKey || h.MergeKey
			c.HardDelete = c.HardDelete || h.HardDelete
			if h.DedupSort != "" {
				c.DedupSort = schema.SortOrder(h.DedupSort)
			}
		}
		if pk[c.Name] {
			c.PrimaryKey, c.Nullable = true, false
		}
		if mk[c.Name] {
			c.MergeKey = true
		}
		t.Columns = append(t.Columns, c)
	}
	t.Columns = append(t.Columns, schema.RootSystemColumns()...)
	return t
}

// evolve merges the observed table into the schema and returns the schema's table. The table
// belongs to the schema: read it under schMu once other extractors run.
func (r *run) evolve(observed *schema.Table) (*schema.Table, error) {
	r.schMu.Lock()
	defer r.schMu.Unlock()
	u, err := r.sch.Update(observed)
	if err != nil {
		return nil, err
	}
	if u.DiscardRow || u.Table == nil {
		return nil, fmt.Errorf("the schema contract of table %s discards it: nothing would be loaded; set the contract to evolve", observed.Name)
	}
	t := u.Table
	// Hints given in code win over the stored ones: apply them to existing columns too.
	for _, oc := range observed.Columns {
		if c := t.Column(oc.Name); c != nil && c.DataType == oc.DataType {
			c.PrimaryKey, c.MergeKey, c.HardDelete, c.DedupSort, c.Unique = oc.PrimaryKey, oc.MergeKey, oc.HardDelete, oc.DedupSort, oc.Unique
			if !oc.Nullable {
				c.Nullable = false
			}
		}
	}
	t.WriteDisposition = observed.WriteDisposition
	return t, nil
}

// soql builds the query of a Salesforce resource: its fields, the incremental range (closed
// start) and the development cap.
func (r *run) soql(res *Resource, object string, fields []selectedField) (string, error) {
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, f := range fields {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f.name)
	}
	b.WriteString(" FROM ")
	b.WriteString(object)
	if res.inc != nil {
		if !validObjectName(res.inc.CursorPath) {
			return "", fmt.Errorf("cursor field %q is not a Salesforce field name", res.inc.CursorPath)
		}
		if start := res.inc.LastValue(); start != nil {
			t, ok := asTime(start)
			if !ok {
				return "", fmt.Errorf("the cursor %s starts at %v, which is not a datetime: Salesforce cursors must be datetime fields", res.inc.CursorPath, start)
			}
			fmt.Fprintf(&b, " WHERE %s >= %s", res.inc.CursorPath, client.FormatDateTime(t))
		}
	}
	if !r.src.production {
		fmt.Fprintf(&b, " LIMIT %d", devRowCap)
	}
	return b.String(), nil
}

// extractObject loads one Salesforce object.
func (r *run) extractObject(ctx context.Context, res *Resource) error {
	d, err := r.sf.Describe(ctx, res.object)
	if errors.Is(err, client.ErrNotFound) {
		return fmt.Errorf("the Salesforce object %q does not exist in this org (or the user cannot see it): check its API name (custom objects end in __c) and the user's permissions", res.object)
	}
	if err != nil {
		return fmt.Errorf("describing %s: %w", res.object, err)
	}
	if !d.Queryable {
		return fmt.Errorf("the Salesforce object %s is not queryable: leave it out", d.Name)
	}
	fields, err := r.objectFields(res, d)
	if err != nil {
		return err
	}
	cols := make([]schema.Column, len(fields))
	for i, f := range fields {
		cols[i] = schema.NewColumn(f.column, f.typ)
	}
	if res.inc != nil && res.inc.CursorPath == SystemModstamp && res.disposition == Merge {
		// Several versions of one record in a run (changed while it was read): keep the newest.
		hint := res.columns[r.sch.Naming.NormalizeIdentifier(SystemModstamp)]
		if hint.DedupSort == "" {
			res.ApplyHints(Hints{Columns: map[string]ColumnHint{SystemModstamp: {DedupSort: "desc", NotNull: hint.NotNull}}})
		}
	}
	t, err := r.evolve(r.observedTable(res, cols))
	if err != nil {
		return err
	}
	w := newRowWriter(r, res, t)
	if res.inc != nil && columnIndex(t, r.sch.Naming.NormalizeIdentifier(res.inc.CursorPath)) < 0 {
		return fmt.Errorf("cursor field %s is not a field of %s (or it was left out): choose a datetime field of the object", res.inc.CursorPath, d.Name)
	}
	q, err := r.soql(res, d.Name, fields)
	if err != nil {
		return err
	}
	byName := make(map[string]int, len(fields))
	types := make([]schema.DataType, len(t.Columns))
	for _, f := range fields {
		i := columnIndex(t, f.column)
		byName[f.name] = i
		types[i] = t.Columns[i].DataType
	}
	order := make([]string, len(fields))
	for i, f := range fields {
		order[i] = f.name
	}
	dec := newRecordDecoder(byName, types, order...)
	if err := w.begin(ctx); err != nil {
		return err
	}

	var pages iter.Seq2[*client.Page, error]
	if res.disposition == Merge {
		// queryAll: deletions since the last run arrive as IsDeleted=true rows, so the mirror
		// records them instead of keeping deleted records as if they were alive.
		pages = r.sf.QueryAll(ctx, q)
	} else {
		pages = r.sf.Query(ctx, q)
	}
	prog := Progress{Resource: res.name, Table: t.Name, TotalRows: -1}
	var misfits []misfit
	for page, err := range pages {
		if err != nil {
			return fmt.Errorf("querying %s: %w", d.Name, err)
		}
		rows := make([][]any, 0, len(page.Records))
		for i, raw := range page.Records {
			row := make([]any, len(t.Columns))
			misfits, err = dec.decode(raw, row, misfits[:0])
			if err != nil {
				return fmt.Errorf("page %d, record %d: %w", page.Number, i+1, err)
			}
			keep, row, err := w.finishRow(row, misfits)
			if err != nil {
				return fmt.Errorf("page %d: %w", page.Number, err)
			}
			if keep {
				rows = append(rows, row)
			}
		}
		if err := w.flush(ctx, rows); err != nil {
			return err
		}
		prog.Pages++
		prog.Rows = w.rows
		prog.TotalRows = int64(page.TotalSize)
		r.report(prog)
	}
	prog.Done = true
	r.report(prog)
	return nil
}

func (r *run) report(p Progress) {
	if r.p.progress != nil {
		r.progMu.Lock()
		defer r.progMu.Unlock()
		r.p.progress(p)
	}
}
