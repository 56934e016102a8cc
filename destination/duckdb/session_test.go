package duckdb

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/schema"
)

// systemLoad writes one load as the pipeline will: the state row, the schema version row
// (when version > 0) and, when status >= 0, the _dlt_loads row last.
func systemLoad(t *testing.T, s destination.Session, pipeline, loadID string, version int64, status int64, at time.Time) {
	t.Helper()
	tables := []tableLoad{{schema.PipelineStateTable(), [][][]any{{{
		version, int64(1), pipeline, "eNqrVgIAAA==" + loadID, at, "hash-" + loadID, loadID, "id-" + loadID,
	}}}}}
	if version > 0 {
		tables = append(tables, tableLoad{schema.VersionTable(), [][][]any{{{
			version, int64(11), at, "salesforce", "vhash-" + loadID, `{"name":"salesforce","version":` + loadID + `}`,
		}}}})
	}
	if status >= 0 {
		tables = append(tables, tableLoad{schema.LoadsTable(), [][][]any{{{
			loadID, "salesforce", status, at, "vhash-" + loadID,
		}}}})
	}
	load(t, s, tables...)
}

// TestStateAndSchema checks the status-0 rule: the state in force is the newest state row
// of the pipeline whose load completed; a fresh dataset or unknown pipeline is ErrNotFound.
func TestStateAndSchema(t *testing.T) {
	d, _ := newFile(t)
	s := openSession(t, d, "sf")
	ctx := t.Context()
	if _, err := s.PipelineState(ctx, "sf"); !errors.Is(err, destination.ErrNotFound) {
		t.Fatalf("PipelineState on a fresh dataset: got %v, want ErrNotFound", err)
	}
	if _, err := s.Schema(ctx, "salesforce"); !errors.Is(err, destination.ErrNotFound) {
		t.Fatalf("Schema on a fresh dataset: got %v, want ErrNotFound", err)
	}
	t0 := time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)

	// A load whose _dlt_loads row is missing does not count: there is no state yet.
	systemLoad(t, s, "sf", "1751371600.000001", 1, -1, t0)
	if _, err := s.PipelineState(ctx, "sf"); !errors.Is(err, destination.ErrNotFound) {
		t.Fatalf("PipelineState without a completed load: got %v, want ErrNotFound", err)
	}

	systemLoad(t, s, "sf", "1751371611.374621", 2, 0, t0.Add(time.Minute))
	systemLoad(t, s, "sf", "1751371700.000000", 3, 1, t0.Add(2*time.Minute)) // status 1: not complete
	systemLoad(t, s, "sf", "1751371800.000000", 0, -1, t0.Add(3*time.Minute))
	systemLoad(t, s, "other", "1751371900.000000", 0, 0, t0.Add(4*time.Minute))

	st, err := s.PipelineState(ctx, "sf")
	if err != nil {
		t.Fatal(err)
	}
	want := destination.StateRow{Version: 2, EngineVersion: 1, PipelineName: "sf", State: "eNqrVgIAAA==1751371611.374621",
		CreatedAt: t0.Add(time.Minute), VersionHash: "hash-1751371611.374621", LoadID: "1751371611.374621"}
	if !reflect.DeepEqual(*st, want) {
		t.Errorf("PipelineState:\n got %+v\nwant %+v", *st, want)
	}
	if _, err := s.PipelineState(ctx, "nobody"); !errors.Is(err, destination.ErrNotFound) {
		t.Errorf("PipelineState of an unknown pipeline: got %v, want ErrNotFound", err)
	}

	sc, err := s.Schema(ctx, "salesforce")
	if err != nil {
		t.Fatal(err)
	}
	if sc.Version != 3 || sc.EngineVersion != 11 || sc.SchemaName != "salesforce" || !sc.InsertedAt.Equal(t0.Add(2*time.Minute)) ||
		sc.VersionHash != "vhash-1751371700.000000" || !strings.Contains(sc.Schema, `"version":1751371700.000000`) {
		t.Errorf("Schema: got %+v, want version 3", *sc)
	}
	if _, err := s.Schema(ctx, "other_schema"); !errors.Is(err, destination.ErrNotFound) {
		t.Errorf("Schema of an unknown schema: got %v, want ErrNotFound", err)
	}

	// The Inspector sees the system tables and the loads, newest first.
	in := s.(destination.Inspector)
	tables, err := in.Tables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantTables := []destination.TableStats{{Name: "_dlt_loads", Rows: 3}, {Name: "_dlt_pipeline_state", Rows: 5}, {Name: "_dlt_version", Rows: 3}}
	if !reflect.DeepEqual(tables, wantTables) {
		t.Errorf("Tables: got %v, want %v", tables, wantTables)
	}
	loads, err := in.Loads(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(loads) != 2 || loads[0].LoadID != "1751371900.000000" || loads[1].LoadID != "1751371700.000000" || loads[1].Status != 1 ||
		loads[0].SchemaName != "salesforce" || !loads[0].InsertedAt.Equal(t0.Add(4*time.Minute)) {
		t.Errorf("Loads: got %+v", loads)
	}
}

// TestInspectorFreshDataset checks that a fresh dataset has no tables and no loads.
func TestInspectorFreshDataset(t *testing.T) {
	d, _ := newFile(t)
	in := openSession(t, d, "p").(destination.Inspector)
	if tables, err := in.Tables(t.Context()); err != nil || len(tables) != 0 {
		t.Errorf("Tables: %v, %v; want none", tables, err)
	}
	if loads, err := in.Loads(t.Context(), 10); err != nil || len(loads) != 0 {
		t.Errorf("Loads: %v, %v; want none", loads, err)
	}
}

// TestLockedInProcess checks that a second run of one pipeline on one file is refused until
// the first closes, while another pipeline may use the file.
func TestLockedInProcess(t *testing.T) {
	d, file := newFile(t)
	ctx := t.Context()
	s1, err := d.Open(ctx, testDataset, "sf")
	if err != nil {
		t.Fatal(err)
	}
	// Another Destination value on the same file, as a second run would build.
	_, err = New(file).Open(ctx, testDataset, "sf")
	if !errors.Is(err, destination.ErrLocked) || !strings.Contains(err.Error(), file) {
		t.Fatalf("second Open: got %v, want ErrLocked naming the file", err)
	}
	s2, err := d.Open(ctx, "other_dataset", "other")
	if err != nil {
		t.Fatalf("Open of another pipeline: %v", err)
	}
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	s3, err := d.Open(ctx, testDataset, "sf")
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	for _, s := range []destination.Session{s2, s3} {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	handles.Lock()
	n := len(handles.open)
	handles.Unlock()
	if n != 0 {
		t.Errorf("%d database handles still open after every session closed", n)
	}
}

const holdEnv = "SFDLT_DUCKDB_TEST_HOLD"

// TestHelperHoldFile is not a test: TestLockedByOtherProcess runs the test binary with it to
// hold a DuckDB file open in another process until its stdin closes.
func TestHelperHoldFile(t *testing.T) {
	file := os.Getenv(holdEnv)
	if file == "" {
		t.Skip("helper process for TestLockedByOtherProcess")
	}
	s, err := New(file).Open(context.Background(), testDataset, "holder")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	os.Stdout.WriteString("ready\n")
	bufio.NewReader(os.Stdin).ReadString('\n')
}

// TestLockedByOtherProcess checks that DuckDB's file lock, held by another process, is
// reported as ErrLocked.
func TestLockedByOtherProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	file := filepath.Join(t.TempDir(), "held.duckdb")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldFile$")
	cmd.Env = append(os.Environ(), holdEnv+"="+file)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("helper process: %q, %v", line, err)
	}
	_, err = New(file).Open(t.Context(), testDataset, "sf")
	if !errors.Is(err, destination.ErrLocked) || !strings.Contains(err.Error(), "another process") {
		t.Fatalf("Open of a file held by another process: got %v, want ErrLocked", err)
	}
}

// TestOpenErrors checks the messages for paths that cannot hold a database file.
func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path string
		want       []string
	}{
		{"missing directory", filepath.Join(dir, "nope", "x.duckdb"), []string{filepath.Join(dir, "nope"), "does not exist", "create it"}},
		{"parent is a file", filepath.Join(notDir, "x.duckdb"), []string{notDir, "is not a directory"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.path).Open(t.Context(), testDataset, "p")
			if err == nil {
				t.Fatal("Open succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	// The in-process pipeline lock is released after a failed Open.
	if _, err := New(filepath.Join(dir, "nope", "x.duckdb")).Open(t.Context(), testDataset, "p"); errors.Is(err, destination.ErrLocked) {
		t.Errorf("second failed Open reports %v; the lock leaked", err)
	}
}

// TestInfoAndDefaultPath checks Info and that an empty path means <pipeline>.duckdb in the
// working directory.
func TestInfoAndDefaultPath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	d := New("")
	if got := d.Info(); got.Name != "duckdb" || got.MaxIdentifierLength != 0 {
		t.Errorf("Info: %+v", got)
	}
	s, err := d.Open(t.Context(), testDataset, "salesforce")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := filepath.Join(dir, "salesforce.duckdb")
	if _, err := os.Stat(want); err != nil {
		t.Errorf("default file: %v", err)
	}
	if got := d.Info().Location; got != "duckdb:///"+filepath.ToSlash(want) || !strings.HasPrefix(got, "duckdb:////") {
		t.Errorf("Location %q, want duckdb:///%s", got, want)
	}
	if got := New("duckdb:///" + want).path; got != want {
		t.Errorf("credentials string: path %q, want %q", got, want)
	}
}
