package engine_test

import (
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/snapshot"
)

// Fit checks, part → vehicles tables, bulk lookups and exports on the benchmark profile
// (FITMENT_BENCH_PROFILE, see bench_test.go). Parts are drawn from the visible catalog of
// sampled tenants (a subscribed brand, then one of its parts); how many vehicles a part
// fits is its count of direct links, the size of its PartVehicles postings entry.

// fitTables are what the fitment benchmarks draw parts from, built once per catalog.
type fitTables struct {
	links   []int               // per catalog part: the vehicles it is fitted to directly
	byBrand map[string][]uint32 // Key(brand) → its catalog parts, by id
	sorted  []int               // the link counts of the parts with links, ascending
}

var (
	fitOnce sync.Once
	fitTab  *fitTables
)

func loadFitTables(env *benchEnv) *fitTables {
	fitOnce.Do(func() {
		cat := env.cat
		t := &fitTables{links: make([]int, len(cat.Parts)), byBrand: map[string][]uint32{}}
		for p := range cat.Parts {
			if !cat.PartVehicles.Empty(p) {
				t.links[p] = int(cat.PartVehicles.Get(p).GetCardinality())
				t.sorted = append(t.sorted, t.links[p])
			}
			key := snapshot.Key(cat.Brands[cat.Parts[p].Brand])
			t.byBrand[key] = append(t.byBrand[key], uint32(p))
		}
		slices.Sort(t.sorted)
		fitTab = t
	})
	return fitTab
}

// quantile is the link count at quantile q of the parts with links.
func (t *fitTables) quantile(q float64) int {
	return t.sorted[min(len(t.sorted)-1, int(q*float64(len(t.sorted))))]
}

// withLinks is byBrand restricted to the parts fitted to lo..hi vehicles.
func (t *fitTables) withLinks(lo, hi int) map[string][]uint32 {
	out := map[string][]uint32{}
	for key, ps := range t.byBrand {
		for _, p := range ps {
			if n := t.links[p]; n >= lo && n <= hi {
				out[key] = append(out[key], p)
			}
		}
	}
	return out
}

// drawPart draws a visible part of v from pool (Key(brand) → parts): a random subscribed
// brand, then a random part of it, a few times over; ok is false when none was visible.
func drawPart(r *rand.Rand, v *engine.View, cat *snapshot.Catalog, pool map[string][]uint32) (uint32, engine.PartKey, bool) {
	subs := v.Subscriptions()
	if len(subs) == 0 {
		return 0, engine.PartKey{}, false
	}
	for range 20 {
		ps := pool[snapshot.Key(subs[r.IntN(len(subs))])]
		if len(ps) == 0 {
			continue
		}
		p := ps[r.IntN(len(ps))]
		if k, ok := v.LookupPart(cat.Parts[p].Number); ok {
			return p, k, true
		}
	}
	return 0, engine.PartKey{}, false
}

// fitInput is a sampled fit check: a visible part of a sampled tenant and a vehicle, half
// of them one the part is fitted to directly, half any vehicle of the catalog.
type fitInput struct {
	v        *engine.View
	part     engine.PartKey
	veh      engine.VehicleKey
	number   string // the part's number as the catalog has it
	vehicle  string // the vehicle's id
	fitsLink bool   // the vehicle was drawn from the part's links
}

func fitInputs(b *testing.B, env *benchEnv) []fitInput {
	t := loadFitTables(env)
	cat := env.cat
	linked := t.withLinks(1, len(cat.Vehicles))
	var in []fitInput
	sample(b, env, func(r *rand.Rand, v *engine.View) query {
		fitsLink := r.IntN(2) == 0
		pool := t.byBrand
		if fitsLink {
			pool = linked
		}
		p, pk, ok := drawPart(r, v, cat, pool)
		if !ok {
			return nil
		}
		veh := uint32(r.IntN(len(cat.Vehicles)))
		if fitsLink {
			var err error
			if veh, err = cat.PartVehicles.Get(int(p)).Select(uint32(r.IntN(t.links[p]))); err != nil {
				b.Fatal(err)
			}
		}
		id := cat.Vehicles[veh].ID
		vk, ok := v.LookupVehicle(id)
		if !ok {
			b.Fatalf("vehicle %s of the catalog not found", id)
		}
		in = append(in, fitInput{v: v, part: pk, veh: vk, number: cat.Parts[p].Number, vehicle: id, fitsLink: fitsLink})
		return func() {}
	})
	return in
}

// latencyRounds is how many times runTight times each input for its percentiles.
const latencyRounds = 5

// runTight is run for queries of tens to hundreds of nanoseconds, where reading the clock
// around each call (as run does) costs about as much as the call: ns/op and allocations
// come from calling the inputs in turn with no clock read; p50-ns and p99-ns are then
// measured per input as run measures them (outside the timer, latencyRounds rounds), so
// they include the cost of reading the clock around a call, which clock-ns reports (the
// median over inputs of timing an empty call the same way). Timing many calls of one input
// instead would measure it with a warm cache, about twice as fast as in turn.
func runTight(b *testing.B, qs []query) {
	b.ReportAllocs()
	for _, q := range qs { // warm up
		q()
	}
	b.ResetTimer()
	for i, k := 0, 0; i < b.N; i++ {
		qs[k]()
		if k++; k == len(qs) {
			k = 0
		}
	}
	b.StopTimer()
	per := perInput(qs)
	b.ReportMetric(per[len(per)/2], "p50-ns")
	b.ReportMetric(per[min(len(per)-1, len(per)*99/100)], "p99-ns")
	empty := make([]query, len(qs))
	for i := range empty {
		empty[i] = func() {}
	}
	clock := perInput(empty)
	b.ReportMetric(clock[len(clock)/2], "clock-ns")
}

// perInput times each input latencyRounds times, in turn, and returns the mean of each,
// sorted.
func perInput(qs []query) []float64 {
	lat := make([]time.Duration, len(qs))
	for range latencyRounds {
		for k, q := range qs {
			t0 := time.Now()
			q()
			lat[k] += time.Since(t0)
		}
	}
	per := make([]float64, len(qs))
	for k := range lat {
		per[k] = float64(lat[k]) / latencyRounds
	}
	slices.Sort(per)
	return per
}

var fitSink engine.FitResult

// BenchmarkFitByID is the fast path of a fit check: part and vehicle resolved to keys
// beforehand (outside the timer), then v.Fit alone; it must not allocate. fits-% is the
// share of the sampled checks answering Fits.
func BenchmarkFitByID(b *testing.B) {
	env := loadBench(b)
	env.eng.PrepareFitment() // as fitmentd does after it is ready
	in := fitInputs(b, env)
	qs := make([]query, len(in))
	fits := 0
	for i, x := range in {
		switch r := x.v.Fit(x.part, x.veh); {
		case r == engine.Fits:
			fits++
		case x.fitsLink:
			b.Fatalf("part %s, vehicle %s: %v, want fits (drawn from its links)", x.number, x.vehicle, r)
		}
		qs[i] = func() { fitSink = x.v.Fit(x.part, x.veh) }
	}
	runTight(b, qs)
	b.ReportMetric(100*float64(fits)/float64(len(in)), "fits-%")
}

// BenchmarkFitsFromString is the same checks by v.Fits from the part-number string and the
// vehicle id: both looked up, the answer with its fitments.
func BenchmarkFitsFromString(b *testing.B) {
	env := loadBench(b)
	env.eng.PrepareFitment() // as fitmentd does after it is ready
	in := fitInputs(b, env)
	qs := make([]query, len(in))
	for i, x := range in {
		qs[i] = func() {
			fc, err := x.v.Fits(x.number, x.vehicle)
			if err != nil {
				panic(err)
			}
			fitSink = fc.Result
		}
	}
	runTight(b, qs)
}

// BenchmarkPartVehicles is a product page's fitment table (v.PartVehicles by part number)
// for parts drawn by how many vehicles they fit directly: "median" parts within the middle
// tenth of the catalog's parts with links, "p99" parts around its 99th percentile, "1k"
// parts fitting 800 to 1,250 vehicles. vehicles/part is the mean link count of the sampled
// parts, rows/part the mean rows of their tables.
func BenchmarkPartVehicles(b *testing.B) {
	env := loadBench(b)
	env.eng.PrepareFitment() // as fitmentd does after it is ready
	t := loadFitTables(env)
	for _, sh := range []struct {
		name   string
		lo, hi func() int // link counts
	}{
		{"median", func() int { return t.quantile(0.45) }, func() int { return t.quantile(0.55) }},
		{"p99", func() int { return t.quantile(0.985) }, func() int { return t.quantile(0.995) }},
		{"1k", func() int { return 800 }, func() int { return 1250 }},
	} {
		b.Run(sh.name, func(b *testing.B) {
			pool := t.withLinks(sh.lo(), sh.hi())
			var vehicles, rows, inputs int
			qs := sample(b, env, func(r *rand.Rand, v *engine.View) query {
				p, _, ok := drawPart(r, v, env.cat, pool)
				if !ok {
					return nil
				}
				pn := env.cat.Parts[p].Number
				pf, err := v.PartVehicles(pn)
				if err != nil {
					b.Fatal(err)
				}
				vehicles += t.links[p]
				rows += len(pf.Vehicles)
				inputs++
				return func() {
					if _, err := v.PartVehicles(pn); err != nil {
						panic(err)
					}
				}
			})
			run(b, qs)
			b.ReportMetric(float64(vehicles)/float64(inputs), "vehicles/part")
			b.ReportMetric(float64(rows)/float64(inputs), "rows/part")
		})
	}
}

// countingWriter counts what is written and discards it.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// compressor is a compressing writer that can start a new stream.
type compressor interface {
	io.WriteCloser
	Reset(io.Writer)
}

// linkShapes are the outputs of the link benchmarks: each format plain, and through zstd
// (SpeedFastest, one encoder goroutine) and gzip (BestSpeed), to show what compression
// costs a stream. Encoders are reused across operations, as a server would pool them.
var linkShapes = []struct {
	name   string
	format engine.LinkFormat
	comp   func() compressor
}{
	{"ndjson", engine.LinksNDJSON, nil},
	{"csv", engine.LinksCSV, nil},
	{"ndjson-zstd", engine.LinksNDJSON, newZstd},
	{"ndjson-gzip", engine.LinksNDJSON, newGzip},
	{"csv-zstd", engine.LinksCSV, newZstd},
	{"csv-gzip", engine.LinksCSV, newGzip},
}

func newZstd() compressor {
	zw, err := zstd.NewWriter(io.Discard, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	if err != nil {
		panic(err)
	}
	return zw
}

func newGzip() compressor {
	gw, err := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	if err != nil {
		panic(err)
	}
	return gw
}

// runLinks times write (all the links of one operation, to w) over b.N operations and
// reports links/s, links/op and the bytes written per link (after compression, if any).
func runLinks(b *testing.B, newComp func() compressor, write func(w io.Writer) int64) {
	var out countingWriter
	var comp compressor
	if newComp != nil {
		comp = newComp()
	}
	once := func() int64 {
		w := io.Writer(&out)
		if comp != nil {
			comp.Reset(&out)
			w = comp
		}
		n := write(w)
		if comp != nil {
			if err := comp.Close(); err != nil {
				b.Fatal(err)
			}
		}
		return n
	}
	once() // warm up: the vehicle columns are encoded on first use
	out.n = 0
	var links int64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		links += once()
	}
	b.StopTimer()
	b.ReportMetric(float64(links)/b.Elapsed().Seconds(), "links/s")
	b.ReportMetric(float64(links)/float64(b.N), "links/op")
	b.ReportMetric(float64(out.n)/float64(max(links, 1)), "bytes/link")
}

// BenchmarkBulkLookup is a distributor's bulk lookup: 10,000 part numbers sampled from the
// visible catalog of the tenant with the most brands, each answered with all its links
// (lookup lines, with the input), written to a discarding writer.
func BenchmarkBulkLookup(b *testing.B) {
	env := loadBench(b)
	env.eng.PrepareFitment() // as fitmentd does after it is ready
	t := loadFitTables(env)
	best := 0
	for i := range env.tenants {
		if len(env.states[i].Brands) > len(env.states[best].Brands) {
			best = i
		}
	}
	v, err := env.eng.View(env.tenants[best])
	if err != nil {
		b.Fatal(err)
	}
	var visible []string
	for _, br := range v.Subscriptions() {
		for _, p := range t.byBrand[snapshot.Key(br)] {
			if pn := env.cat.Parts[p].Number; func() bool { _, ok := v.LookupPart(pn); return ok }() {
				visible = append(visible, pn)
			}
		}
	}
	r := rand.New(rand.NewPCG(11, 12))
	r.Shuffle(len(visible), func(i, j int) { visible[i], visible[j] = visible[j], visible[i] })
	pns := visible[:min(10_000, len(visible))]
	b.Logf("tenant %s: %d brands, %d visible parts, %d sampled", env.tenants[best], len(env.states[best].Brands), len(visible), len(pns))
	for _, sh := range linkShapes {
		b.Run(sh.name, func(b *testing.B) {
			runLinks(b, sh.comp, func(w io.Writer) int64 {
				lw := v.NewLinkWriter(w, sh.format, true)
				for _, pn := range pns {
					if err := lw.Part(pn); err != nil {
						b.Fatal(err)
					}
				}
				if err := lw.Flush(); err != nil {
					b.Fatal(err)
				}
				return lw.Links()
			})
		})
	}
}

// BenchmarkExportBrand exports the brand with the most links among those tenants
// subscribe to, for a tenant subscribed to it (export lines, no input column).
func BenchmarkExportBrand(b *testing.B) {
	env := loadBench(b)
	env.eng.PrepareFitment() // as fitmentd does after it is ready
	t := loadFitTables(env)
	brand, most := "", -1
	for _, br := range env.brands {
		n := 0
		for _, p := range t.byBrand[snapshot.Key(br)] {
			n += t.links[p]
		}
		if n > most {
			brand, most = br, n
		}
	}
	tenant := ""
	for i, st := range env.states {
		if slices.Contains(st.Brands, brand) {
			tenant = env.tenants[i]
			break
		}
	}
	v, err := env.eng.View(tenant)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("brand %s (%d parts, %d direct links), tenant %s", brand, len(t.byBrand[snapshot.Key(brand)]), most, tenant)
	for _, sh := range linkShapes {
		b.Run(sh.name, func(b *testing.B) {
			runLinks(b, sh.comp, func(w io.Writer) int64 {
				lw := v.NewLinkWriter(w, sh.format, false)
				if err := lw.Export(brand); err != nil {
					b.Fatal(err)
				}
				return lw.Links()
			})
		})
	}
}
