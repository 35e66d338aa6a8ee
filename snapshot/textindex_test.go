package snapshot_test

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fitment/fitment/index"
	"github.com/fitment/fitment/snapshot"
)

// publish writes c to path with a text index, as fitctl build does.
func publish(t *testing.T, path string, c *snapshot.Catalog) snapshot.Info {
	t.Helper()
	p, err := snapshot.Prepare(path, c)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	defer p.Abort()
	name := p.TextIndexName()
	if _, err := index.Build(filepath.Join(filepath.Dir(path), name), len(c.Parts), index.CatalogDocs(c, "en"), index.Options{Catalog: p.Info().Hash}); err != nil {
		t.Fatalf("index.Build: %v", err)
	}
	info, err := p.Publish(name)
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if err := snapshot.RemoveTextIndexes(path, name); err != nil {
		t.Fatalf("RemoveTextIndexes: %v", err)
	}
	return info
}

func searchNumbers(t *testing.T, path string, q string) []string {
	t.Helper()
	c, info, err := snapshot.Open(path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	ix, err := index.OpenSnapshot(path, info)
	if err != nil {
		t.Fatalf("index.OpenSnapshot(%s): %v", path, err)
	}
	defer ix.Close()
	var out []string
	for _, h := range ix.Search(index.Query{Text: q, Lang: "de"}).Page(nil, 10) {
		out = append(out, c.Parts[h.Part].Number)
	}
	return out
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// TestPublishWithTextIndex: the snapshot's rename publishes it with its index; a rebuild
// replaces both and removes the old index; an aborted build leaves the published pair
// untouched.
func TestPublishWithTextIndex(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.snap")
	first := publish(t, path, snapshot.HandCatalog())
	if got := searchNumbers(t, path, "bremsbelaege"); !slices.Equal(got, []string{"FA123"}) {
		t.Errorf("search after the first build: got %v, want [FA123]", got)
	}
	second := publish(t, path, snapshot.HandCatalog())
	if second.TextIndex == first.TextIndex || second.Hash != first.Hash {
		t.Errorf("rebuild: text index %q after %q, hash %s after %s", second.TextIndex, first.TextIndex, second.Version(), first.Version())
	}
	if got := entries(t, dir); !slices.Equal(got, []string{"c.snap", second.TextIndex}) {
		t.Errorf("after the rebuild the directory holds %v, want the snapshot and its one index", got)
	}

	// A build that fails after Prepare, or after building its index: nothing published
	// changes, and Abort leaves no temporary file.
	p, err := snapshot.Prepare(path, snapshot.HandCatalog())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Publish("c.snap.text-missing"); err == nil {
		t.Errorf("Publish of a missing index directory: no error")
	}
	p.Abort()
	if got := entries(t, dir); !slices.Equal(got, []string{"c.snap", second.TextIndex}) {
		t.Errorf("after an aborted build the directory holds %v", got)
	}
	if got := searchNumbers(t, path, "FA-123"); !slices.Equal(got, []string{"FA123"}) {
		t.Errorf("search after an aborted build: got %v, want [FA123]", got)
	}
}

// TestOpenSnapshotRejectsAForeignIndex: an index built for other content is refused.
func TestOpenSnapshotRejectsAForeignIndex(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.snap")
	info := publish(t, path, snapshot.HandCatalog())
	info.Hash = strings.Repeat("0", 64)
	if ix, err := index.OpenSnapshot(path, info); err == nil {
		ix.Close()
		t.Errorf("index.OpenSnapshot with another content hash: no error")
	}
	info.TextIndex = ""
	if _, err := index.OpenSnapshot(path, info); err == nil {
		t.Errorf("index.OpenSnapshot of a snapshot without index: no error")
	}
}

// TestOpenV2FixtureIndex opens the version-2 fixture's text index and searches it. With
// -write-fixture it writes testdata/snapshot/v2.snap and its index first.
func TestOpenV2FixtureIndex(t *testing.T) {
	dir := filepath.Join("..", "testdata", "snapshot")
	path := filepath.Join(dir, "v2.snap")
	if f := flag.Lookup("write-fixture"); f != nil && f.Value.String() == "true" {
		publish(t, path, snapshot.HandCatalog())
	}
	for q, want := range map[string][]string{
		"bremsbelaege":  {"FA123"},
		"705601234":     {"FA123"},
		"4006381333931": {"FA123"},
		"kn 1":          {"KN-1"},
		"oil filtr":     {"KN-1"},
		"gesintert":     {"FA123"},
	} {
		if got := searchNumbers(t, path, q); !slices.Equal(got, want) {
			t.Errorf("search %q in the v2 fixture: got %v, want %v", q, got, want)
		}
	}
}
