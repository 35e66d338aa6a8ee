package snapshot

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

var writeFixture = flag.Bool("write-fixture", false, "write testdata/snapshot/v<FormatVersion>.snap from handCatalog")

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
	if _, err := os.Stat(filepath.Join(dir, "v2.snap")); err == nil && FormatVersion < 2 {
		t.Errorf("a v2 fixture exists but this code reads version %d", FormatVersion)
	}
}
