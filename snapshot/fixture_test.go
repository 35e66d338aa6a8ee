package snapshot

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var writeFixture = flag.Bool("write-fixture", false, "write testdata/snapshot/v1.snap from handCatalog (v2.snap, with its text index, is written by index.TestSnapshotFixture)")

// TestOpenFixtures opens the checked-in snapshot of every format version this code reads,
// so a change that silently breaks old files fails here. A new format version adds its
// fixture with: go test ./snapshot -run TestOpenFixtures -write-fixture
func TestOpenFixtures(t *testing.T) {
	dir := filepath.Join("..", "testdata", "snapshot")
	if *writeFixture {
		if _, err := Write(filepath.Join(dir, "v1.snap"), handCatalog()); err != nil {
			t.Fatal(err)
		}
	}
	want := handCatalog()
	got, info, err := Open(filepath.Join(dir, "v1.snap"))
	if err != nil {
		t.Fatalf("Open(v1.snap): %v", err)
	}
	if info.FormatVersion != 1 || info.Counts.Parts != len(want.Parts) {
		t.Errorf("Open(v1.snap): info %+v", info)
	}
	if !reflect.DeepEqual(got.Vehicles, want.Vehicles) || !reflect.DeepEqual(got.Parts, want.Parts) || !reflect.DeepEqual(got.Details, want.Details) {
		t.Errorf("Open(v1.snap): tables differ from handCatalog")
	}
	if d, _ := got.PartDetail(0); d.EAN != "4006381333931" {
		t.Errorf("Open(v1.snap).PartDetail(0): got %+v", d)
	}
	if info.TextIndex != "" || TextIndexPath(filepath.Join(dir, "v1.snap"), info) != "" {
		t.Errorf("Open(v1.snap): text index %q, want none", info.TextIndex)
	}

	// Version 2 adds info.textIndex; the index package's test opens the index itself.
	got, info, err = Open(filepath.Join(dir, "v2.snap"))
	if err != nil {
		t.Fatalf("Open(v2.snap): %v", err)
	}
	if info.FormatVersion != 2 || !reflect.DeepEqual(got.Parts, want.Parts) {
		t.Errorf("Open(v2.snap): info %+v, parts %+v", info, got.Parts)
	}
	if st, err := os.Stat(TextIndexPath(filepath.Join(dir, "v2.snap"), info)); err != nil || !st.IsDir() || !strings.HasPrefix(info.TextIndex, "v2.snap.text-"+info.Version()+"-") {
		t.Errorf("Open(v2.snap): text index %q: %v", info.TextIndex, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "v3.snap")); err == nil && FormatVersion < 3 {
		t.Errorf("a v3 fixture exists but this code reads version %d", FormatVersion)
	}
}
