package state

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestStateRoundTrip(t *testing.T) {
	st := &Pipeline{Version: 3, EngineVersion: EngineVersion, PipelineName: "p", DatasetName: "d"}
	st.SetCursor("salesforce", "opportunity", "SystemModstamp", &Incremental{LastValue: "2024-01-02T03:04:05.000+0000", UniqueHashes: []string{"x"}})
	enc, err := Encode(st)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	got := back.Cursor("salesforce", "opportunity", "SystemModstamp")
	if got == nil || got.LastValue != "2024-01-02T03:04:05.000+0000" || back.Version != 3 {
		t.Fatalf("round trip lost the cursor: %+v", back)
	}
	if _, err := Decode("not base64!"); err == nil {
		t.Fatal("garbage state must be an error")
	}
	h1, _ := st.ContentHash()
	st.Version = 9
	h2, _ := st.ContentHash()
	if h1 != h2 {
		t.Fatal("the content hash must not depend on the version")
	}
}

func TestBulkToken(t *testing.T) {
	p := BulkPosition{Job: "750xx0000000001AAA", Locator: "MTAwMDA", Rows: 10000}
	got, ok := ParseBulkToken(p.Token())
	if !ok || got != p {
		t.Fatalf("ParseBulkToken(Token()) = %+v, %v; want %+v", got, ok, p)
	}
	for _, tok := range []string{"", "bulk:", "bulk:!!", "other:" + p.Token(), BulkPosition{Locator: "x"}.Token()} {
		if _, ok := ParseBulkToken(tok); ok {
			t.Errorf("ParseBulkToken(%q) = ok, want not a Bulk position", tok)
		}
	}
}

func TestResumeReadsTheFormBeforeTokens(t *testing.T) {
	var st Pipeline
	old := `{"sources":{"salesforce":{"resources":{"task":{"resume":{"replace":true,"load_ids":["1.1"],"bulk_job":"750J","bulk_locator":"LOC","bulk_rows":42}}}}}}`
	if err := unmarshalState([]byte(old), &st); err != nil {
		t.Fatal(err)
	}
	rp := st.Sources["salesforce"].Resources["task"].Resume
	p, ok := ParseBulkToken(rp.Token)
	if !rp.Replace || len(rp.LoadIDs) != 1 || !ok || p != (BulkPosition{Job: "750J", Locator: "LOC", Rows: 42}) {
		t.Fatalf("resume = %+v (bulk %+v, %v)", rp, p, ok)
	}
	b, err := json.Marshal(rp)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "bulk_") {
		t.Fatalf("a resume point is written with its token only, got %s", b)
	}
}
