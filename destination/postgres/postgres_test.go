package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"

	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/destination/destinationtest"
	"github.com/sfdlt/sfdlt/schema"
)

func col(name string, dt schema.DataType) schema.Column { return schema.NewColumn(name, dt) }

// open opens a session of pipeline on dataset, closed at the end of the test.
func open(t *testing.T, d *Destination, dataset, pipeline string) destination.Session {
	t.Helper()
	s, err := d.Open(t.Context(), dataset, pipeline)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// admin is a connection of its own, as another program (or a DBA) would have.
func admin(t *testing.T) *sqlx.DB {
	t.Helper()
	db, err := sqlx.Open("postgres", destinationtest.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestInfoRedactsPassword checks Info and that the password shows nowhere: not in Info,
// String, any fmt verb, nor the errors of a failed connection, which name the host.
func TestInfoRedactsPassword(t *testing.T) {
	const pw = "s3cret-PW"
	cases := []struct{ dsn, location string }{
		{"postgres://loader:" + pw + "@127.0.0.1:1/warehouse?sslmode=disable", "postgres://loader:***@127.0.0.1:1/warehouse"},
		{"postgresql://loader:" + pw + "@db.example:6543/warehouse?password=" + pw, "postgres://loader:***@db.example:6543/warehouse"},
		{"postgres://loader@127.0.0.1/warehouse", "postgres://loader@127.0.0.1:5432/warehouse"},
	}
	for _, tc := range cases {
		d := New(tc.dsn)
		info := d.Info()
		if info.Name != "postgres" || info.Location != tc.location || info.MaxIdentifierLength != 63 {
			t.Errorf("Info of %s: %+v, want location %s", tc.location, info, tc.location)
		}
		for _, s := range []string{d.String(), fmt.Sprintf("%v %+v %#v %s", d, d, d, d), fmt.Sprintf("%+v %#v", *d, info)} {
			if strings.Contains(s, pw) {
				t.Errorf("the password shows in %q", s)
			}
		}
	}
	// Nothing listens on port 1: the error names the host and says what to check.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err := New(cases[0].dsn).Open(ctx, "ds", "p")
	if err == nil || strings.Contains(err.Error(), pw) || !strings.Contains(err.Error(), "127.0.0.1:1") || !strings.Contains(err.Error(), "check that Postgres runs") {
		t.Errorf("Open of an unreachable host: %v; want an error naming 127.0.0.1:1, without the password", err)
	}
}

// TestBadDSN checks the messages for DSNs that cannot work; none quotes the password.
func TestBadDSN(t *testing.T) {
	cases := []struct{ dsn, want string }{
		{"host=localhost password=s3cret dbname=x", "not a URL"},
		{"postgres://u:s3cret@[::1/db", "not a URL"},
		{"mysql://u:s3cret@localhost/db", `scheme "mysql"`},
		{"postgres://u:s3cret@localhost:5432", "names no database"},
		{"postgres://u:s3cret@localhost:5432/db?sslmode=sometimes", "not valid"},
	}
	for _, tc := range cases {
		_, err := New(tc.dsn).Open(t.Context(), "ds", "p")
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Open(%q): got %v, want an error containing %q without the password", tc.dsn, err, tc.want)
		}
	}
}

// TestColumnTypes checks the Postgres types dlt's Postgres destination creates.
func TestColumnTypes(t *testing.T) {
	d, ds := target(t)
	s := open(t, d, ds, "p")
	var cols []schema.Column
	for _, dt := range schema.DataTypes {
		cols = append(cols, col("v_"+string(dt), dt))
	}
	cols = append(cols, schema.Column{Name: "v_dec", DataType: schema.Decimal, Nullable: true, Precision: 10, Scale: 2},
		schema.Column{Name: "v_short", DataType: schema.Text, Nullable: true, Precision: 18})
	l, err := s.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Rollback()
	if _, err := l.Table(t.Context(), schema.NewTable("types", schema.Append, cols...)); err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	var got []string
	err = admin(t).Select(&got, `SELECT column_name || ' ' || format_type(atttypid, atttypmod)
		FROM information_schema.columns c JOIN pg_attribute a ON a.attrelid = (quote_ident(c.table_schema) || '.' || quote_ident(c.table_name))::regclass AND a.attname = c.column_name
		WHERE table_schema = $1 AND table_name = 'types' ORDER BY ordinal_position`, ds)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"v_text character varying", "v_bigint bigint", "v_double double precision", "v_decimal numeric(38,9)",
		"v_bool boolean", "v_timestamp timestamp with time zone", "v_date date", "v_time time without time zone",
		"v_json jsonb", "v_binary bytea", "v_dec numeric(10,2)", "v_short character varying(18)"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("types:\n got %v\nwant %v", got, want)
	}
}

// TestValueErrors checks that values Postgres cannot store are refused with the table,
// row and column named, rather than stored wrongly or cut.
func TestValueErrors(t *testing.T) {
	d, ds := target(t)
	s := open(t, d, ds, "p")
	cases := []struct {
		name string
		col  schema.Column
		v    any
		want string
	}{
		{"NUL in text", col("v", schema.Text), "abc\x00def", "NUL byte"},
		{"invalid UTF-8", col("v", schema.Text), "abc\xff", "not valid UTF-8"},
		{"NUL in JSON", col("v", schema.JSON), json.RawMessage(`{"a":"x\u0000y"}`), `\u0000`},
		{"bad JSON", col("v", schema.JSON), json.RawMessage(`{`), "not valid JSON"},
		{"int in text", col("v", schema.Text), int64(1), "got a int64"},
		{"decimal overflow", col("v", schema.Decimal), "1e30", "does not fit numeric(38,9)"},
		{"bad decimal", col("v", schema.Decimal), "abc", `"abc" is not a decimal number`},
		{"time past midnight", col("v", schema.Time), 25 * time.Hour, "outside 00:00 to 24:00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			l, err := s.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Rollback()
			w, err := l.Table(ctx, schema.NewTable("t", schema.Append, col("k", schema.Text), tc.col))
			if err != nil {
				t.Fatal(err)
			}
			err = w.Write(ctx, [][]any{{"ok", nil}, {"bad", tc.v}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Write: got %v, want an error containing %q", err, tc.want)
			}
			for _, part := range []string{ds + ".t", "row 1", `column "v"`} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not name %s", err, part)
				}
			}
		})
	}
}

// A row of more filled columns than a Postgres page holds is refused as ErrRowTooLarge, saying
// what to do.
func TestRowTooLarge(t *testing.T) {
	d, ds := target(t)
	s := open(t, d, ds, "p")
	ctx := t.Context()
	l, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Rollback()
	tbl := schema.NewTable("wide", schema.Append)
	row := make([]any, 1100)
	for i := range row {
		tbl.Columns = append(tbl.Columns, col(fmt.Sprintf("c%04d", i), schema.Bigint))
		row[i] = int64(i)
	}
	w, err := l.Table(ctx, tbl)
	if err != nil {
		t.Fatal(err)
	}
	err = w.Write(ctx, [][]any{row})
	if !errors.Is(err, destination.ErrRowTooLarge) || !strings.Contains(err.Error(), "leave columns out") {
		t.Fatalf("Write of 1,100 filled bigint columns: %v, want destination.ErrRowTooLarge saying to leave columns out", err)
	}
}

// TestLongIdentifiers checks that names Postgres would cut to 63 bytes are refused.
func TestLongIdentifiers(t *testing.T) {
	d, ds := target(t)
	long := strings.Repeat("x", 64)
	if _, err := d.Open(t.Context(), long, "p"); err == nil || !strings.Contains(err.Error(), "63") {
		t.Errorf("Open of a 64-byte dataset: got %v, want an error about 63 bytes", err)
	}
	s := open(t, d, ds, "p")
	l, err := s.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Rollback()
	for _, tbl := range []*schema.Table{
		schema.NewTable(long, schema.Append, col("a", schema.Text)),
		schema.NewTable("t", schema.Append, col(long, schema.Text)),
	} {
		if _, err := l.Table(t.Context(), tbl); err == nil || !strings.Contains(err.Error(), "keeps only 63") {
			t.Errorf("Table with a 64-byte name: got %v, want an error about 63 bytes", err)
		}
	}
	w, err := l.Table(t.Context(), schema.NewTable("t", schema.Append, col(long[:63], schema.Text)))
	if err != nil {
		t.Fatalf("a 63-byte column name: %v", err)
	}
	if err := w.AddColumns(t.Context(), []schema.Column{col(long, schema.Text)}); err == nil {
		t.Error("AddColumns of a 64-byte name succeeded")
	}
	// A dataset of 60 bytes fits, but its staging dataset would not.
	ds60 := ds + strings.Repeat("y", 60-len(ds))
	t.Cleanup(func() { d.DropDataset(context.Background(), ds60) })
	l2, err := open(t, d, ds60, "p").Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Rollback()
	_, err = l2.Table(t.Context(), schema.NewTable("m", schema.Merge, schema.Column{Name: "id", DataType: schema.Text, PrimaryKey: true}))
	if err == nil || !strings.Contains(err.Error(), "staging") {
		t.Errorf("merge table in a 60-byte dataset: got %v, want an error about the staging dataset", err)
	}
}

// TestLockAcrossDestinations checks the advisory lock: a second run of the pipeline, even
// through another Destination value (another process would be no different to the
// server), fails fast with ErrLocked; other pipelines and datasets open side by side.
func TestLockAcrossDestinations(t *testing.T) {
	d, ds := target(t)
	_, other := target(t)
	s := open(t, d, ds, "sf")
	_, err := New(destinationtest.PostgresDSN(t)).Open(t.Context(), ds, "sf")
	if !errors.Is(err, destination.ErrLocked) || !strings.Contains(err.Error(), "pipeline is already running") || !strings.Contains(err.Error(), ds) {
		t.Fatalf("second Open: got %v, want ErrLocked saying the pipeline is already running", err)
	}
	open(t, d, ds, "other_pipeline")
	open(t, d, other, "sf")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	open(t, d, ds, "sf")
}

// TestKilledBackend kills the load's backend in the middle of a load, as a dropped
// connection or a DBA would: the load fails cleanly, the dataset is as before, the lock is
// gone with the backend and the next run loads.
func TestKilledBackend(t *testing.T) {
	d, ds := target(t)
	tbl := schema.NewTable("account", schema.Replace, col("id", schema.Text))
	s := open(t, d, ds, "sf")
	ctx := t.Context()
	load := func(s destination.Session, ids ...string) error {
		l, err := s.Begin(ctx)
		if err != nil {
			return err
		}
		defer l.Rollback()
		w, err := l.Table(ctx, tbl)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := w.Write(ctx, [][]any{{id}}); err != nil {
				return err
			}
		}
		return l.Commit(ctx)
	}
	if err := load(s, "old"); err != nil {
		t.Fatal(err)
	}

	l, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w, err := l.Table(ctx, tbl)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(ctx, [][]any{{"new1"}}); err != nil {
		t.Fatal(err)
	}
	var killed bool
	// The timeout makes pg_terminate_backend wait until the backend is gone.
	if err := admin(t).Get(&killed, "SELECT pg_terminate_backend($1, 10000)", backendPID(s)); err != nil || !killed {
		t.Fatalf("pg_terminate_backend: %v, %v", killed, err)
	}
	err = w.Write(ctx, [][]any{{"new2"}})
	if err == nil {
		err = l.Commit(ctx)
	}
	if err == nil {
		t.Fatal("the load committed on a killed backend")
	}
	if err := l.Rollback(); err != nil {
		t.Errorf("Rollback after the kill: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close after the kill: %v", err)
	}

	s2 := open(t, d, ds, "sf")
	var ids []string
	if err := admin(t).Select(&ids, fmt.Sprintf(`SELECT id FROM %q.account`, ds)); err != nil || strings.Join(ids, ",") != "old" {
		t.Fatalf("after the kill the table holds %v (%v), want only old", ids, err)
	}
	if err := load(s2, "next"); err != nil {
		t.Fatalf("the next load: %v", err)
	}
}

// TestFirstLoadsRace checks that two pipelines whose first loads create the same system
// table of a fresh dataset at once both succeed: the second waits for the first's schema
// change instead of failing on Postgres' unique index when it commits.
func TestFirstLoadsRace(t *testing.T) {
	d, ds := target(t)
	a, b := open(t, d, ds, "a"), open(t, d, ds, "b")
	ctx := t.Context()
	at := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	la, err := a.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer la.Rollback()
	wa, err := la.Table(ctx, schema.LoadsTable())
	if err != nil {
		t.Fatal(err)
	}
	if err := wa.Write(ctx, [][]any{{"1.0", "a", int64(0), at, nil}}); err != nil {
		t.Fatal(err)
	}

	done := make(chan error, 1)
	go func() {
		l, err := b.Begin(ctx)
		if err != nil {
			done <- err
			return
		}
		defer l.Rollback()
		w, err := l.Table(ctx, schema.LoadsTable())
		if err == nil {
			err = w.Write(ctx, [][]any{{"2.0", "b", int64(0), at, nil}})
		}
		if err == nil {
			err = l.Commit(ctx)
		}
		done <- err
	}()
	// Commit a only once b waits for a lock, so that b's table creation overlaps a's.
	db := admin(t)
	for waiting := false; !waiting; {
		if err := db.Get(&waiting, `SELECT count(*) > 0 FROM pg_stat_activity
			WHERE pid = $1 AND wait_event_type = 'Lock'`, backendPID(b)); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			t.Fatalf("b finished before a committed: %v", err)
		default:
		}
	}
	if err := la.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the second pipeline's first load: %v", err)
	}
	var n int
	if err := db.Get(&n, fmt.Sprintf(`SELECT count(*) FROM %q._dlt_loads`, ds)); err != nil || n != 2 {
		t.Errorf("_dlt_loads has %d rows (%v), want 2", n, err)
	}
}

func ExampleNew() {
	d := New("postgres://loader:secret@db.example:5432/warehouse?sslmode=require")
	fmt.Println(d.Info().Location)
	// Output: postgres://loader:***@db.example:5432/warehouse
}
