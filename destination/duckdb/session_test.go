package duckdb

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfdlt/sfdlt/destination"
	"github.com/sfdlt/sfdlt/schema"
)

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
// reported as ErrLocked, to loads and to Readers, which DuckDB does not let read either.
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
	_, err = New(file).Read(t.Context(), testDataset, "sf")
	if !errors.Is(err, destination.ErrLocked) || !strings.Contains(err.Error(), "in use by a running pipeline in another process") {
		t.Fatalf("Read of a file held by another process: got %v, want ErrLocked saying a run uses it", err)
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
	// A dataset named as the file's database: DuckDB could not tell them apart.
	for _, tc := range []struct{ file, dataset string }{{"org.duckdb", "org"}, {"Org.duckdb", "org"}, {"org_staging.db", "org"}} {
		path := filepath.Join(dir, tc.file)
		_, err := New(path).Open(t.Context(), tc.dataset, "p")
		if err == nil || !strings.Contains(err.Error(), "cannot tell a schema from a database") || !strings.Contains(err.Error(), "choose another dataset name") {
			t.Errorf("Open of dataset %q in %s: %v, want an error saying to choose another dataset name", tc.dataset, tc.file, err)
		}
		if _, err := New(path).Read(t.Context(), tc.dataset, "p"); err == nil || !strings.Contains(err.Error(), "cannot tell a schema from a database") {
			t.Errorf("Read of dataset %q in %s: %v", tc.dataset, tc.file, err)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a refused Open left %s behind: %v", tc.file, err)
		}
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

// TestCreatedFileRemovedWhenNothingCommitted checks that a file Open created is gone after
// the last session on it closes without a committed load, and that a file with a committed
// load, or one that existed before, stays.
func TestCreatedFileRemovedWhenNothingCommitted(t *testing.T) {
	tbl := schema.NewTable("t", schema.Append, col("id", schema.Text))
	// open opens the test dataset of pipeline on d; close closes s.
	open := func(t *testing.T, d *Destination, pipeline string) destination.Session {
		t.Helper()
		s, err := d.Open(t.Context(), testDataset, pipeline)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return s
	}
	closeSession := func(t *testing.T, s destination.Session) {
		t.Helper()
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	cases := []struct {
		name     string
		existing bool // the file is an empty DuckDB database before the test opens it
		run      func(t *testing.T, d *Destination)
		keep     bool
	}{
		{name: "opened and closed", run: func(t *testing.T, d *Destination) {
			closeSession(t, open(t, d, "p"))
		}},
		{name: "load rolled back", run: func(t *testing.T, d *Destination) {
			s := open(t, d, "p")
			l, err := s.Begin(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := l.Table(t.Context(), tbl); err != nil {
				t.Fatal(err)
			}
			if err := l.Rollback(); err != nil {
				t.Fatal(err)
			}
			closeSession(t, s)
		}},
		{name: "Open failed after opening the file", run: func(t *testing.T, d *Destination) {
			if _, err := d.Open(t.Context(), "", "p"); err == nil {
				t.Fatal("Open with no dataset succeeded")
			}
		}},
		{name: "load committed", keep: true, run: func(t *testing.T, d *Destination) {
			s := open(t, d, "p")
			load(t, s, tableLoad{Table: tbl, Batches: [][][]any{{{"1"}}}})
			closeSession(t, s)
		}},
		{name: "empty load committed", keep: true, run: func(t *testing.T, d *Destination) {
			s := open(t, d, "p")
			load(t, s)
			closeSession(t, s)
		}},
		{name: "another session committed and closed first", keep: true, run: func(t *testing.T, d *Destination) {
			s1 := open(t, d, "p")
			s2 := open(t, d, "q")
			load(t, s2, tableLoad{Table: tbl, Batches: [][][]any{{{"1"}}}})
			closeSession(t, s2)
			closeSession(t, s1)
		}},
		{name: "existing file, load rolled back", existing: true, keep: true, run: func(t *testing.T, d *Destination) {
			s := open(t, d, "p")
			l, err := s.Begin(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if err := l.Rollback(); err != nil {
				t.Fatal(err)
			}
			closeSession(t, s)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, file := newFile(t)
			if tc.existing {
				db, err := openFile(file, nil, false)
				if err != nil {
					t.Fatal(err)
				}
				if err := db.Ping(); err != nil {
					t.Fatal(err)
				}
				if err := db.Close(); err != nil {
					t.Fatal(err)
				}
				if _, err := os.Stat(file); err != nil {
					t.Fatalf("the existing file: %v", err)
				}
			}
			tc.run(t, d)
			entries, err := os.ReadDir(filepath.Dir(file))
			if err != nil {
				t.Fatal(err)
			}
			var left []string
			for _, e := range entries {
				left = append(left, e.Name())
			}
			want := "[]"
			if tc.keep {
				want = "[" + filepath.Base(file) + "]"
			}
			if got := fmt.Sprint(left); got != want {
				t.Errorf("files left: %s, want %s", got, want)
			}
		})
	}
}

// TestCreatedFileKeptWhileOpen checks that a session closing without a commit leaves the
// file to another session still open on it, which may yet commit.
func TestCreatedFileKeptWhileOpen(t *testing.T) {
	d, file := newFile(t)
	s1, err := d.Open(t.Context(), testDataset, "p")
	if err != nil {
		t.Fatal(err)
	}
	s2 := openSession(t, d, "q")
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("the file went with the first session, while the second was open: %v", err)
	}
	load(t, s2)
}
