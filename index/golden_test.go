package index_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fitment/fitment/gen"
	"github.com/fitment/fitment/index"
	"github.com/fitment/fitment/ingest"
	"github.com/fitment/fitment/snapshot"
)

var update = flag.Bool("update", false, "rewrite testdata/relevance.golden")

// goldenQueries are searched on the tiny profile (seed 1). Each line of the golden file
// shows a query, its total and words matched, then its top hits: rank, part number and
// the name in the query's language.
var goldenQueries = []struct {
	text, lang string
	vehicle    int // -1: the whole catalog; else the parts fitted directly to this vehicle row
}{
	{"bremsbelaege", "de", -1},
	{"Bremsbeläge", "de", -1},
	{"bremsbelag sinter", "de", -1},
	{"brake pads", "en", -1},
	{"brake pads", "de", -1},
	{"sintered brake pad", "en", -1},
	{"plaquettes de frein", "fr", -1},
	{"bromsbelägg", "sv", -1},
	{"jarrupalat", "fi", -1},
	{"remblokken", "nl", -1},
	{"pastiglie freno", "it", -1},
	{"pastillas de freno", "es", -1},
	{"ölfilter", "de", -1},
	{"filtre à huile", "fr", -1},
	{"k&n oil filter", "en", -1},
	{"k&n", "en", -1},
	{"luftfilter", "sv", -1},
	{"air filter foam", "en", -1},
	{"EB3606", "en", -1},
	{"eb 3606", "en", -1},
	{"eb-3606", "en", -1},
	{"KN5974", "de", -1},
	{"93559-3383", "en", -1},
	{"935593383", "en", -1},
	{"5NB-63396-00", "en", -1},
	{"5nb 63396 00", "en", -1},
	{"4010001788902", "en", -1},
	{"04010001788902", "en", -1},
	{"battery YTX20L-BS", "en", -1},
	{"ytx20l", "en", -1},
	{"batterie", "fr", -1},
	{"brkae disc", "en", -1},
	{"bremscheibe", "de", -1},
	{"snowmobil track", "en", -1},
	{"clutch plate", "en", -1},
	{"kupplung", "de", -1},
	{"brake pads yfz450r", "en", -1},
	{"brake", "en", 20},
	{"bremsbelaege", "de", 20},
	{"filter", "en", 35},
	{"installation", "en", -1},
	{"Direkter Ersatz", "de", -1},
	{"xyzzy", "en", -1},
}

func tinyCatalog(t testing.TB) *snapshot.Catalog {
	t.Helper()
	p, _ := gen.ProfileByName("tiny")
	dir := filepath.Join(t.TempDir(), "cat")
	if _, err := gen.Generate(p, 1, dir, gen.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	cat, _, err := ingest.Build(dir, ingest.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func TestRelevanceGolden(t *testing.T) {
	cat := tinyCatalog(t)
	dir := filepath.Join(t.TempDir(), "idx")
	if _, err := index.Build(dir, len(cat.Parts), index.CatalogDocs(cat, "en"), index.Options{}); err != nil {
		t.Fatal(err)
	}
	ix, err := index.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()

	var out bytes.Buffer
	out.WriteString("# index relevance on the tiny profile (seed 1): go test ./index -run TestRelevanceGolden -update\n")
	out.WriteString("# query [lang] [within vehicle]: matches, words matched / query words; then the top hits\n")
	for _, q := range goldenQueries {
		query := index.Query{Text: q.text, Lang: q.lang}
		where := ""
		if q.vehicle >= 0 {
			query.Candidates = roaring.New()
			if !cat.VehicleParts.Empty(q.vehicle) {
				query.Candidates = cat.VehicleParts.Get(q.vehicle).Clone()
			}
			v := cat.Vehicles[q.vehicle]
			m := cat.Models[v.Model]
			where = fmt.Sprintf(" within %s %s %s %d (%d parts)", cat.Makes[m.Make].Name, m.Name, v.Submodel, v.Year, query.Candidates.GetCardinality())
		}
		r := ix.Search(query)
		fmt.Fprintf(&out, "\n%q [%s]%s: %d matches, words %d/%d\n", q.text, q.lang, where, r.Matches.GetCardinality(), r.Matched, r.Words)
		for _, h := range r.Page(nil, 6) {
			p := cat.Parts[h.Part]
			name := p.Name
			if n, ok := p.Names.Get(q.lang); ok {
				name = n
			}
			fmt.Fprintf(&out, "  %-44s %-8s %s\n", h.Rank, p.Number, name)
		}
	}
	path := filepath.Join("testdata", "relevance.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (create it with -update)", err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		got := filepath.Join(t.TempDir(), "relevance.golden")
		os.WriteFile(got, out.Bytes(), 0o644)
		t.Errorf("relevance differs from %s; diff %s %s, and rerun with -update if the change is right", path, path, got)
	}
}

// Searches run concurrently on one index and each gets the answer it gets alone.
// Candidates past the parts are ignored. (A
// dictionary shared between searches once corrupted FST lookups under load; the race
// detector, which make test runs, sees such sharing.)
func TestConcurrentSearch(t *testing.T) {
	cat := tinyCatalog(t)
	dir := filepath.Join(t.TempDir(), "idx")
	if _, err := index.Build(dir, len(cat.Parts), index.CatalogDocs(cat, "en"), index.Options{}); err != nil {
		t.Fatal(err)
	}
	ix, err := index.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	want := make([]uint64, len(goldenQueries))
	// Candidates past the index's parts (a tenant's own parts, numbered after the
	// catalog's) are ignored: the engine passes a tenant's visible set as it is.
	beyond := roaring.New()
	beyond.AddRange(0, uint64(ix.Parts())+1000)
	for i, q := range goldenQueries {
		want[i] = ix.Search(index.Query{Text: q.text, Lang: q.lang}).Matches.GetCardinality()
		if r := ix.Search(index.Query{Text: q.text, Lang: q.lang, Candidates: beyond}); r.Matches.GetCardinality() != want[i] || !r.Matches.IsEmpty() && r.Matches.Maximum() >= uint32(ix.Parts()) {
			t.Errorf("%q with candidates past the parts: %d matches (some past them?), want %d", q.text, r.Matches.GetCardinality(), want[i])
		}
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Go(func() {
			for round := 0; round < 20; round++ {
				for k := range goldenQueries {
					i := (k*7 + g*13 + round) % len(goldenQueries)
					q := goldenQueries[i]
					if got := ix.Search(index.Query{Text: q.text, Lang: q.lang}).Matches.GetCardinality(); got != want[i] {
						select {
						case errs <- fmt.Sprintf("%q [%s]: %d matches concurrently, %d alone", q.text, q.lang, got, want[i]):
						default:
						}
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
