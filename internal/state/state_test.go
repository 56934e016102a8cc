package state

import "testing"

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
