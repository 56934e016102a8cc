// Package state is dlt's pipeline state: its format (the JSON dlt keeps locally and, compressed,
// in the destination's _dlt_pipeline_state table), the local state file, and which copy is in
// force when a run starts.
package state

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha3"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sfdlt/sfdlt/destination"
)

// EngineVersion is dlt's pipeline state engine version whose layout sfdlt writes.
const EngineVersion = 4

// Pipeline is the pipeline state as dlt keeps it: in <pipelines dir>/<name>/state.json and,
// zlib-compressed and base64-encoded, in the destination's _dlt_pipeline_state table, written in
// the same load as the data it describes.
type Pipeline struct {
	Version           int64              `json:"_state_version"`
	EngineVersion     int                `json:"_state_engine_version"`
	PipelineName      string             `json:"pipeline_name"`
	DatasetName       string             `json:"dataset_name"`
	DefaultSchemaName string             `json:"default_schema_name,omitempty"`
	SchemaNames       []string           `json:"schema_names,omitempty"`
	DestinationName   string             `json:"destination_name,omitempty"`
	DestinationType   string             `json:"destination_type,omitempty"`
	Sources           map[string]*Source `json:"sources"`
	VersionHash       string             `json:"_version_hash"`
}

// Source is the state of one source: sources.<source>.
type Source struct {
	Resources map[string]*Resource `json:"resources"`
}

// Resource is the state of one resource: sources.<source>.resources.<resource>.
type Resource struct {
	Incremental map[string]*Incremental `json:"incremental,omitempty"`
	// LastFullRead is when the resource was last read in full (RFC 3339), for FormulaRefresh.
	LastFullRead string `json:"last_full_read,omitempty"`
	// LastRun is when a run last loaded the resource (RFC 3339): a longer gap than Salesforce's
	// recycle bin keeps deletions makes the next run check the deleted endpoint.
	LastRun string `json:"last_run,omitempty"`
	// FullReadRows is how many records the resource's last full read (not a resumed one)
	// returned: a later full read that was small is sized by its first REST page, at no extra
	// call, and one that was large (or not known) by a SELECT COUNT() first (see
	// sfdlt.DefaultBulkThreshold).
	FullReadRows *int64 `json:"full_read_rows,omitempty"`
	// Resume is set while a pass over the resource was committed in chunks and not finished:
	// the next run picks it up from there (see CommitEvery).
	Resume *Resume `json:"resume,omitempty"`
}

// Resume is where an unfinished pass over a resource stands after its last committed chunk.
// A merge resource read in SystemModstamp order needs none: its cursor state is committed with
// each chunk and the next run simply goes on from it.
type Resume struct {
	// Replace: the pass replaces the table, committed in chunks that merge rows by Id; when it
	// ends, rows written by none of LoadIDs (records that no longer exist) are deleted.
	Replace bool `json:"replace,omitempty"`
	// LoadIDs are the committed loads holding the pass's rows so far (replace passes).
	LoadIDs []string `json:"load_ids,omitempty"`
	// AfterID: the pass read the records in Id order up to and including this one; empty when the
	// rows were read in no resumable order (Bulk, split queries), so the pass starts over.
	AfterID string `json:"after_id,omitempty"`
	// QueryAll: the pass reads deleted records too (a full reload of a merge resource).
	QueryAll bool `json:"query_all,omitempty"`
	// FullRead: the pass reads the resource in full; its end is recorded as LastFullRead.
	FullRead bool `json:"full_read,omitempty"`
	// StartedAt is when the pass began (RFC 3339); a full read that ends in a later run is
	// recorded as LastFullRead from this time.
	StartedAt string `json:"started_at,omitempty"`
	// Token is where the pass's read stands, in a form only sfdlt reads: the place in the
	// results of a Bulk API 2.0 job the pass reads, committed up to a results page, which a later
	// run reads on from while Salesforce keeps the job (7 days). Empty when the read is placed by
	// AfterID or not at all.
	Token string `json:"token,omitempty"`
}

// Resource returns a resource's state, creating it.
func (s *Pipeline) Resource(source, resource string) *Resource {
	if s.Sources == nil {
		s.Sources = map[string]*Source{}
	}
	src := s.Sources[source]
	if src == nil {
		src = &Source{Resources: map[string]*Resource{}}
		s.Sources[source] = src
	}
	if src.Resources == nil {
		src.Resources = map[string]*Resource{}
	}
	res := src.Resources[resource]
	if res == nil {
		res = &Resource{}
		src.Resources[resource] = res
	}
	return res
}

// Cursor returns the stored cursor state of a resource, or nil.
func (s *Pipeline) Cursor(source, resource, cursor string) *Incremental {
	if s == nil || s.Sources[source] == nil || s.Sources[source].Resources[resource] == nil {
		return nil
	}
	return s.Sources[source].Resources[resource].Incremental[cursor]
}

// SetCursor records a resource's cursor state.
func (s *Pipeline) SetCursor(source, resource, cursor string, st *Incremental) {
	res := s.Resource(source, resource)
	if res.Incremental == nil {
		res.Incremental = map[string]*Incremental{}
	}
	res.Incremental[cursor] = st
}

// ContentHash hashes the state without its version fields, so a run that changed nothing
// does not make a new state version.
func (s *Pipeline) ContentHash() (string, error) {
	c := *s
	c.Version, c.VersionHash = 0, ""
	b, err := json.Marshal(&c)
	if err != nil {
		return "", err
	}
	sum := sha3.Sum256(b)
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}

// Encode compresses and encodes the state as dlt stores it in _dlt_pipeline_state.state.
func Encode(s *Pipeline) (string, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("encoding pipeline state: %w", err)
	}
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// Decode reverses Encode.
func Decode(enc string) (*Pipeline, error) {
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, fmt.Errorf("decoding pipeline state from the destination: not base64: %w", err)
	}
	zr, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("decoding pipeline state from the destination: not zlib: %w", err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("decoding pipeline state from the destination: %w", err)
	}
	var s Pipeline
	if err := unmarshalState(b, &s); err != nil {
		return nil, fmt.Errorf("decoding pipeline state from the destination: %w", err)
	}
	return &s, nil
}

// ReadLocal reads <dir>/state.json; a missing file is (nil, nil).
func ReadLocal(dir string) (*Pipeline, error) {
	path := filepath.Join(dir, "state.json")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the local pipeline state: %w", err)
	}
	var s Pipeline
	if err := unmarshalState(b, &s); err != nil {
		return nil, fmt.Errorf("the local pipeline state %s is not valid JSON (%v): delete it and the state is restored from the destination", path, err)
	}
	return &s, nil
}

// WriteLocal writes <dir>/state.json atomically (temp file + rename), so a crash leaves
// either the old state or the new one.
func WriteLocal(dir string, s *Pipeline) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("saving the local pipeline state: %w", err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, "state.json"), b)
}

// WriteLocalFile writes <dir>/<name> (another file of the pipeline's working directory, such as
// its describe cache) atomically, creating dir.
func WriteLocalFile(dir, name string, b []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("writing %s: %w", filepath.Join(dir, name), err)
	}
	return writeFileAtomic(filepath.Join(dir, name), b)
}

// writeFileAtomic writes path through a temporary file and a rename, so a crash leaves the old
// file or the new one.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	_, werr := tmp.Write(b)
	if werr == nil {
		werr = tmp.Sync()
	}
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, werr)
	}
	return nil
}

// unmarshalState decodes a state keeping numbers exact (json.Number): a cursor of 2^53+1 read
// back as a float64 would load its record again.
func unmarshalState(b []byte, s *Pipeline) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(s); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("data after the state object")
	}
	return nil
}

// Stored reads the pipeline state a destination holds (destination.Session and the read-only
// destination.Reader both do).
type Stored interface {
	PipelineState(ctx context.Context, pipeline string) (*destination.StateRow, error)
}

// Restored is the state in force for a run and where it came from.
type Restored struct {
	State *Pipeline
	// From says where State came from: "local" (the local file, which agrees with the
	// destination), "destination" or "new" (the destination holds none).
	From string
	// SetAside is set when the local state file of the dataset was not used because the
	// destination disagrees with it (it holds no state, or an older or another version): it
	// says so, for the load info and the log. Empty otherwise.
	SetAside string
	// LocalVersion is the version of the local state file of the dataset, 0 when there is none.
	LocalVersion int64
}

// Restore picks the state in force for pipeline's dataset. The dataset is the truth: the state
// the destination holds is in force, and where it holds none (a deleted DuckDB file, a dropped
// schema or state table) a new one, so that every resource is loaded in full again. The local
// state file under dir is used only where it agrees with the destination's (same version and
// hash); where it does not, Restored.SetAside says why it was set aside. The run's first
// commit replaces the local file.
func Restore(ctx context.Context, stored Stored, dir, pipeline, dataset string) (*Restored, error) {
	local, err := ReadLocal(dir)
	if err != nil {
		return nil, err
	}
	if local != nil && local.DatasetName != dataset {
		local = nil // state of another dataset: the destination's is the one that matters
	}
	row, err := stored.PipelineState(ctx, pipeline)
	if err != nil && !errors.Is(err, destination.ErrNotFound) {
		return nil, fmt.Errorf("reading the pipeline state from the destination: %w", err)
	}
	var remote *Pipeline
	if row != nil {
		if remote, err = Decode(row.State); err != nil {
			return nil, err
		}
	}
	r := &Restored{}
	if local != nil {
		r.LocalVersion = local.Version
	}
	switch {
	case remote == nil:
		r.State, r.From = &Pipeline{EngineVersion: EngineVersion, PipelineName: pipeline, DatasetName: dataset}, "new"
		if local != nil {
			r.SetAside = fmt.Sprintf("the destination holds no state for pipeline %s in dataset %s (the local state file had version %d): loading every resource in full", pipeline, dataset, local.Version)
		}
	case local != nil && remote.Version == local.Version && remote.VersionHash == local.VersionHash:
		r.State, r.From = local, "local"
	default:
		r.State, r.From = remote, "destination"
		switch {
		case local == nil || remote.Version > local.Version:
			// No local file, or a run committed and stopped before saving it: nothing to say.
		case remote.Version < local.Version:
			r.SetAside = fmt.Sprintf("the destination's state of pipeline %s in dataset %s (version %d) is older than the local state file's (version %d): using the destination's", pipeline, dataset, remote.Version, local.Version)
		default:
			r.SetAside = fmt.Sprintf("the destination's state of pipeline %s in dataset %s (version %d) is not the local state file's of the same version: using the destination's", pipeline, dataset, remote.Version)
		}
	}
	return r, nil
}

// Reset forgets what the state holds of a resource (its cursors, resume point, full-read size
// and last runs), so that it is read in full again. It reports whether there was anything.
func (s *Pipeline) Reset(source, resource string) bool {
	if s == nil || s.Sources[source] == nil || s.Sources[source].Resources[resource] == nil {
		return false
	}
	delete(s.Sources[source].Resources, resource)
	return true
}

// Incremental is how a cursor is kept in the pipeline state, under
// sources.<source>.resources.<resource>.incremental.<cursor>, with dlt's keys.
type Incremental struct {
	InitialValue any      `json:"initial_value"`
	LastValue    any      `json:"last_value"`
	UniqueHashes []string `json:"unique_hashes"`
}

// BulkPosition is a place in the results of a Bulk API 2.0 query job: the results page that
// starts at Locator, with Rows rows before it.
type BulkPosition struct {
	Job     string `json:"job"`
	Locator string `json:"locator"`
	Rows    int64  `json:"rows"`
}

// bulkTokenPrefix marks a Resume.Token that holds a BulkPosition.
const bulkTokenPrefix = "bulk:"

// Token is the position as a Resume.Token.
func (p BulkPosition) Token() string {
	b, err := json.Marshal(p)
	if err != nil {
		panic(err) // three strings and an int always encode
	}
	return bulkTokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// ParseBulkToken reads a Resume.Token that holds a BulkPosition; ok is false for any other.
func ParseBulkToken(token string) (p BulkPosition, ok bool) {
	enc, found := strings.CutPrefix(token, bulkTokenPrefix)
	if !found {
		return p, false
	}
	b, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || json.Unmarshal(b, &p) != nil || p.Job == "" {
		return BulkPosition{}, false
	}
	return p, true
}

// UnmarshalJSON reads a resume point, also as sfdlt wrote it before the Token (bulk_job,
// bulk_locator and bulk_rows), so a Bulk read an earlier version left unfinished goes on.
func (r *Resume) UnmarshalJSON(b []byte) error {
	type plain Resume
	var aux struct {
		plain
		BulkJob     string `json:"bulk_job"`
		BulkLocator string `json:"bulk_locator"`
		BulkRows    int64  `json:"bulk_rows"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*r = Resume(aux.plain)
	if r.Token == "" && aux.BulkJob != "" {
		r.Token = BulkPosition{Job: aux.BulkJob, Locator: aux.BulkLocator, Rows: aux.BulkRows}.Token()
	}
	return nil
}
