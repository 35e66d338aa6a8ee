package index_test

import (
	"cmp"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fitment/fitment/gen"
	"github.com/fitment/fitment/index"
	"github.com/fitment/fitment/ingest"
	"github.com/fitment/fitment/snapshot"
)

// Benchmarks run on a generated profile, FITMENT_BENCH_PROFILE=small (the default) or eu,
// generated once into FITMENT_BENCH_DIR (default $TMPDIR/fitment-bench) as the engine's
// benchmarks do, and built into "<profile>-seed1-text.snap" with its text index (cached).
// FITMENT_INDEX_SNAPSHOT=PATH uses a snapshot that fitctl build wrote instead (eu: the
// build takes minutes and 6 GiB). Every search shape is timed over a sample of inputs
// drawn from the catalog and reports p50, p95 and p99 per input.

type benchEnv struct {
	cat  *snapshot.Catalog
	ix   *index.Index
	path string
}

var (
	benchOnce sync.Once
	bench     *benchEnv
	benchErr  error
)

func benchDir() string {
	if d := os.Getenv("FITMENT_BENCH_DIR"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "fitment-bench")
}

func benchProfile() string {
	if p := os.Getenv("FITMENT_BENCH_PROFILE"); p != "" {
		return p
	}
	return "small"
}

// benchSource generates the profile's sources unless cached and returns their directory.
func benchSource(b *testing.B) string {
	src := filepath.Join(benchDir(), benchProfile()+"-seed1")
	if _, err := os.Stat(filepath.Join(src, "tenants.json")); err == nil {
		return src
	}
	p, ok := gen.ProfileByName(benchProfile())
	if !ok {
		b.Fatalf("unknown FITMENT_BENCH_PROFILE %q", benchProfile())
	}
	b.Logf("generating %s into %s (once)", p.Name, src)
	if _, err := gen.Generate(p, 1, src, gen.DefaultOptions()); err != nil {
		b.Fatal(err)
	}
	return src
}

func loadBench(b *testing.B) *benchEnv {
	benchOnce.Do(func() {
		path := os.Getenv("FITMENT_INDEX_SNAPSHOT")
		if path == "" {
			path = filepath.Join(benchDir(), benchProfile()+"-seed1-text.snap")
			if _, err := os.Stat(path); err != nil {
				cat, _, err := ingest.Build(benchSource(b), ingest.DefaultOptions())
				if err != nil {
					benchErr = err
					return
				}
				p, err := snapshot.Prepare(path, cat)
				if err != nil {
					benchErr = err
					return
				}
				defer p.Abort()
				name := p.TextIndexName()
				if _, err := index.Build(filepath.Join(filepath.Dir(path), name), len(cat.Parts), index.CatalogDocs(cat, "en"), index.Options{Catalog: p.Info().Hash}); err != nil {
					benchErr = err
					return
				}
				if _, err := p.Publish(name); err != nil {
					benchErr = err
					return
				}
			}
		}
		cat, info, err := snapshot.Open(path)
		if err != nil {
			benchErr = err
			return
		}
		ix, err := index.OpenSnapshot(path, info)
		if err != nil {
			benchErr = err
			return
		}
		bench = &benchEnv{cat: cat, ix: ix, path: path}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return bench
}

// BenchmarkBuild builds the text index of the profile's catalog (parts/s). The catalog
// comes from the sources through ingest, as in fitctl build, with its part details in
// memory.
func BenchmarkBuild(b *testing.B) {
	cat, _, err := ingest.Build(benchSource(b), ingest.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var st index.BuildStats
	for i := 0; i < b.N; i++ {
		dir := filepath.Join(b.TempDir(), "idx")
		if st, err = index.Build(dir, len(cat.Parts), index.CatalogDocs(cat, "en"), index.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(cat.Parts))*float64(b.N)/b.Elapsed().Seconds(), "parts/s")
	b.ReportMetric(float64(st.Bytes)/(1<<20), "MiB")
}

// BenchmarkOpen opens the index (the server's share of the cold start).
func BenchmarkOpen(b *testing.B) {
	env := loadBench(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ix, err := index.Open(env.ix.Dir())
		if err != nil {
			b.Fatal(err)
		}
		ix.Close()
	}
}

// queryWords samples the words of the default-language names by how many parts hold
// them: the most frequent tenth ("common"), the middle ("mid") and the least frequent
// ("rare").
func queryWords(cat *snapshot.Catalog) (common, mid, rare []string) {
	df := map[string]int{}
	for i := range cat.Parts {
		seen := map[string]bool{}
		for _, w := range strings.Fields(strings.ToLower(cat.Parts[i].Name)) {
			if len(w) >= 3 && strings.IndexAny(w, "0123456789") < 0 && !seen[w] {
				seen[w] = true
				df[w]++
			}
		}
	}
	var ws []string
	for w := range df {
		ws = append(ws, w)
	}
	slices.SortFunc(ws, func(a, c string) int { return cmp.Or(cmp.Compare(df[c], df[a]), cmp.Compare(a, c)) })
	n := len(ws)
	return ws[:max(1, n/10)], ws[n*4/10 : max(n*4/10+1, n*6/10)], ws[max(0, n-n/10-1):]
}

// vehicleSets samples candidate sets the size of a vehicle's parts: the parts fitted to a
// concrete vehicle or its model-year's wildcard.
func vehicleSets(cat *snapshot.Catalog, rng *rand.Rand, n int) []*roaring.Bitmap {
	var out []*roaring.Bitmap
	for tries := 0; len(out) < n && tries < 100*n; tries++ {
		v := rng.IntN(len(cat.Vehicles))
		bm := roaring.New()
		if !cat.VehicleParts.Empty(v) {
			bm.Or(cat.VehicleParts.Get(v))
		}
		if !cat.Vehicles[v].Wildcard() {
			for w := v; w >= 0; w-- {
				if cat.Vehicles[w].Wildcard() {
					if !cat.VehicleParts.Empty(w) {
						bm.Or(cat.VehicleParts.Get(w))
					}
					break
				}
			}
		}
		if bm.GetCardinality() >= 20 {
			out = append(out, bm)
		}
	}
	return out
}

// tenantSet is a tenant's visible catalog: 60 % of the parts.
func tenantSet(cat *snapshot.Catalog, rng *rand.Rand) *roaring.Bitmap {
	bm := roaring.New()
	for p := range cat.Parts {
		if rng.IntN(10) < 6 {
			bm.Add(uint32(p))
		}
	}
	bm.RunOptimize()
	return bm
}

func runSearches(b *testing.B, ix *index.Index, qs []index.Query) {
	b.ReportAllocs()
	matches := 0
	for _, q := range qs { // warm up
		matches += int(ix.Search(q).Matches.GetCardinality())
	}
	lat := make([]time.Duration, len(qs))
	rounds := make([]int, len(qs))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % len(qs)
		t0 := time.Now()
		r := ix.Search(qs[k])
		r.Page(nil, 50)
		lat[k] += time.Since(t0)
		rounds[k]++
	}
	b.StopTimer()
	var per []float64
	for k := range qs {
		if rounds[k] > 0 {
			per = append(per, float64(lat[k])/float64(rounds[k]))
		}
	}
	slices.Sort(per)
	if len(per) > 0 {
		b.ReportMetric(per[len(per)/2], "p50-ns")
		b.ReportMetric(per[min(len(per)-1, len(per)*95/100)], "p95-ns")
		b.ReportMetric(per[min(len(per)-1, len(per)*99/100)], "p99-ns")
	}
	b.ReportMetric(float64(matches)/float64(len(qs)), "matches/q")
}

// BenchmarkSearch times Search plus its first page of 50 for each query shape, in a
// vehicle's parts and in a tenant's whole visible catalog (60 % of the parts).
func BenchmarkSearch(b *testing.B) {
	env := loadBench(b)
	cat := env.cat
	rng := rand.New(rand.NewPCG(1, 2))
	common, mid, rare := queryWords(cat)
	vehicles := vehicleSets(cat, rng, 200)
	tenant := tenantSet(cat, rng)
	langs := []string{"en", "de", "fr", "sv"}

	type shape struct {
		name string
		text func() string
	}
	pick := func(ws []string) string { return ws[rng.IntN(len(ws))] }
	part := func() *snapshot.Part { return &cat.Parts[rng.IntN(len(cat.Parts))] }
	shapes := []shape{
		{"common", func() string { return pick(common) }},
		{"mid", func() string { return pick(mid) }},
		{"rare", func() string { return pick(rare) }},
		{"name", func() string { // the first two words of a part's name in some language
			p := part()
			name := p.Name
			if len(p.Names) > 0 && rng.IntN(2) == 0 {
				name = p.Names[rng.IntN(len(p.Names))].Text
			}
			ws := strings.Fields(name)
			return strings.Join(ws[:min(2, len(ws))], " ")
		}},
		{"typo", func() string {
			w := []rune(pick(append(slices.Clone(common), mid...)))
			if len(w) > 4 {
				i := 1 + rng.IntN(len(w)-3)
				w[i], w[i+1] = w[i+1], w[i]
			}
			return string(w)
		}},
		{"number", func() string { return strings.ReplaceAll(part().Number, "-", " ") }},
	}
	for _, where := range []string{"vehicle", "tenant"} {
		for _, sh := range shapes {
			b.Run(where+"/"+sh.name, func(b *testing.B) {
				var qs []index.Query
				for i := 0; i < 200; i++ {
					q := index.Query{Text: sh.text(), Lang: langs[rng.IntN(len(langs))], Candidates: tenant}
					if where == "vehicle" {
						q.Candidates = vehicles[rng.IntN(len(vehicles))]
					}
					qs = append(qs, q)
				}
				runSearches(b, env.ix, qs)
			})
		}
	}
}

// BenchmarkComplete times a type-ahead completion of two to five letters of a name word.
func BenchmarkComplete(b *testing.B) {
	env := loadBench(b)
	rng := rand.New(rand.NewPCG(3, 4))
	common, mid, rare := queryWords(env.cat)
	ws := append(append(common, mid...), rare...)
	var ps []string
	for range 200 {
		w := ws[rng.IntN(len(ws))]
		ps = append(ps, w[:min(len(w), 2+rng.IntN(4))])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		env.ix.Complete(ps[i%len(ps)], 10, nil)
	}
}
