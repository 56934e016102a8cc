package sfdlt

import (
	"bytes"
	"compress/zlib"
	"crypto/sha3"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// stateEngineVersion is dlt's pipeline state engine version whose layout sfdlt writes.
const stateEngineVersion = 4

// PipelineState is the pipeline state as dlt keeps it: in <pipelines dir>/<name>/state.json and,
// zlib-compressed and base64-encoded, in the destination's _dlt_pipeline_state table, written in
// the same load as the data it describes.
type PipelineState struct {
	Version           int64                   `json:"_state_version"`
	EngineVersion     int                     `json:"_state_engine_version"`
	PipelineName      string                  `json:"pipeline_name"`
	DatasetName       string                  `json:"dataset_name"`
	DefaultSchemaName string                  `json:"default_schema_name,omitempty"`
	SchemaNames       []string                `json:"schema_names,omitempty"`
	DestinationName   string                  `json:"destination_name,omitempty"`
	DestinationType   string                  `json:"destination_type,omitempty"`
	Sources           map[string]*SourceState `json:"sources"`
	VersionHash       string                  `json:"_version_hash"`
}

// SourceState is the state of one source: sources.<source>.
type SourceState struct {
	Resources map[string]*ResourceState `json:"resources"`
}

// ResourceState is the state of one resource: sources.<source>.resources.<resource>.
type ResourceState struct {
	Incremental map[string]*IncrementalState `json:"incremental,omitempty"`
	// LastFullRead is when the resource was last read in full (RFC 3339), for FormulaRefresh.
	LastFullRead string `json:"last_full_read,omitempty"`
	// LastRun is when a run last loaded the resource (RFC 3339): a longer gap than Salesforce's
	// recycle bin keeps deletions makes the next run check the deleted endpoint.
	LastRun string `json:"last_run,omitempty"`
	// Resume is set while a pass over the resource was committed in chunks and not finished:
	// the next run picks it up from there (see CommitEvery).
	Resume *ResumePoint `json:"resume,omitempty"`
}

// ResumePoint is where an unfinished pass over a resource stands after its last committed chunk.
// A merge resource read in SystemModstamp order needs none: its cursor state is committed with
// each chunk and the next run simply goes on from it.
type ResumePoint struct {
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
	// BulkJob, BulkLocator and BulkRows: the pass reads the results of a Bulk API 2.0 query job
	// and committed them up to the results page that starts at BulkLocator (BulkRows rows before
	// it); a later run reads on from there while Salesforce keeps the job (7 days).
	BulkJob     string `json:"bulk_job,omitempty"`
	BulkLocator string `json:"bulk_locator,omitempty"`
	BulkRows    int64  `json:"bulk_rows,omitempty"`
}

// resource returns a resource's state, creating it.
func (s *PipelineState) resource(source, resource string) *ResourceState {
	if s.Sources == nil {
		s.Sources = map[string]*SourceState{}
	}
	src := s.Sources[source]
	if src == nil {
		src = &SourceState{Resources: map[string]*ResourceState{}}
		s.Sources[source] = src
	}
	if src.Resources == nil {
		src.Resources = map[string]*ResourceState{}
	}
	res := src.Resources[resource]
	if res == nil {
		res = &ResourceState{}
		src.Resources[resource] = res
	}
	return res
}

// incremental returns the stored cursor state of a resource, or nil.
func (s *PipelineState) incremental(source, resource, cursor string) *IncrementalState {
	if s == nil || s.Sources[source] == nil || s.Sources[source].Resources[resource] == nil {
		return nil
	}
	return s.Sources[source].Resources[resource].Incremental[cursor]
}

// setIncremental records a resource's cursor state.
func (s *PipelineState) setIncremental(source, resource, cursor string, st *IncrementalState) {
	res := s.resource(source, resource)
	if res.Incremental == nil {
		res.Incremental = map[string]*IncrementalState{}
	}
	res.Incremental[cursor] = st
}

// contentHash hashes the state without its version fields, so a run that changed nothing
// does not make a new state version.
func (s *PipelineState) contentHash() (string, error) {
	c := *s
	c.Version, c.VersionHash = 0, ""
	b, err := json.Marshal(&c)
	if err != nil {
		return "", err
	}
	sum := sha3.Sum256(b)
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}

// encodeState compresses and encodes the state as dlt stores it in _dlt_pipeline_state.state.
func encodeState(s *PipelineState) (string, error) {
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

// decodeState reverses encodeState.
func decodeState(enc string) (*PipelineState, error) {
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
	var s PipelineState
	if err := unmarshalState(b, &s); err != nil {
		return nil, fmt.Errorf("decoding pipeline state from the destination: %w", err)
	}
	return &s, nil
}

// readLocalState reads <dir>/state.json; a missing file is (nil, nil).
func readLocalState(dir string) (*PipelineState, error) {
	path := filepath.Join(dir, "state.json")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the local pipeline state: %w", err)
	}
	var s PipelineState
	if err := unmarshalState(b, &s); err != nil {
		return nil, fmt.Errorf("the local pipeline state %s is not valid JSON (%v): delete it and the state is restored from the destination", path, err)
	}
	return &s, nil
}

// writeLocalState writes <dir>/state.json atomically (temp file + rename), so a crash leaves
// either the old state or the new one.
func writeLocalState(dir string, s *PipelineState) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("saving the local pipeline state: %w", err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, "state.json"), b)
}

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
func unmarshalState(b []byte, s *PipelineState) error {
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
