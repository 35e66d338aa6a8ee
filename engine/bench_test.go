package engine_test

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/gen"
	"github.com/fitment/fitment/index"
	"github.com/fitment/fitment/ingest"
	"github.com/fitment/fitment/snapshot"
)

// Benchmarks run on a generated profile: FITMENT_BENCH_PROFILE=small (the default) or eu.
// The catalog and its snapshot are generated once into FITMENT_BENCH_DIR (default
// $TMPDIR/fitment-bench) and reused. Each query shape is measured over a sample of real
// inputs drawn from the profile (random tenants, then random visible years, makes, models
// and vehicles), and reports the per-input p50 and p99 latency besides the mean.

type benchEnv struct {
	eng     *engine.Engine
	cat     *snapshot.Catalog
	tenants []string
	states  []engine.TenantState
	brands  []string // every brand some tenant subscribes to
	info    snapshot.Info
}

var (
	benchOnce sync.Once
	bench     *benchEnv
	benchErr  error
)

func benchProfile() string {
	if p := os.Getenv("FITMENT_BENCH_PROFILE"); p != "" {
		return p
	}
	return "small"
}

// benchSnapshot generates the profile's sources and builds its snapshot unless cached.
func benchSnapshot(b *testing.B) (snapPath, srcDir string) {
	profile := benchProfile()
	dir := os.Getenv("FITMENT_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "fitment-bench")
	}
	srcDir = filepath.Join(dir, profile+"-seed1")
	snapPath = srcDir + ".snap"
	if _, err := os.Stat(snapPath); err == nil {
		return snapPath, srcDir
	}
	p, ok := gen.ProfileByName(profile)
	if !ok {
		b.Fatalf("unknown FITMENT_BENCH_PROFILE %q", profile)
	}
	b.Logf("generating %s into %s (once)", profile, srcDir)
	if _, err := gen.Generate(p, 1, srcDir, gen.DefaultOptions()); err != nil {
		b.Fatal(err)
	}
	cat, _, err := ingest.Build(srcDir, ingest.Options{MaxRejects: -1, MaxRejectRatio: 0.001})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := snapshot.Write(snapPath, cat); err != nil {
		b.Fatal(err)
	}
	return snapPath, srcDir
}

func loadBench(b *testing.B) *benchEnv {
	benchOnce.Do(func() {
		snapPath, srcDir := benchSnapshot(b)
		var tenants []gen.Tenant
		raw, err := os.ReadFile(filepath.Join(srcDir, "tenants.json"))
		if err == nil {
			err = json.Unmarshal(raw, &tenants)
		}
		if err != nil {
			benchErr = err
			return
		}
		cat, info, err := snapshot.Open(snapPath)
		if errors.Is(err, snapshot.ErrFormat) {
			// A cached snapshot from an older format: build it afresh.
			b.Logf("rebuilding %s: %v", snapPath, err)
			os.Remove(snapPath)
			snapPath, _ = benchSnapshot(b)
			cat, info, err = snapshot.Open(snapPath)
		}
		if err != nil {
			benchErr = err
			return
		}
		e := engine.New()
		env := &benchEnv{eng: e, info: info, cat: cat}
		seen := map[string]bool{}
		for _, t := range tenants {
			st := tenantState(t)
			e.Restore(t.ID, st)
			env.tenants = append(env.tenants, t.ID)
			env.states = append(env.states, st)
			for _, br := range t.Brands {
				if !seen[br] {
					seen[br] = true
					env.brands = append(env.brands, br)
				}
			}
		}
		// The text index, when the snapshot has one (fitctl build writes it; a snapshot
		// generated here by snapshot.Write has none, and the search benchmarks skip).
		text, err := index.OpenSnapshot(snapPath, info)
		if err != nil && !errors.Is(err, index.ErrNoIndex) {
			benchErr = err
			return
		}
		e.LoadWithText(cat, info.Version(), text)
		// "all" subscribes to every brand and prices every part: the heaviest storefront
		// (whole part lists of ~1,000 parts on eu) and a tenant with as many items as the
		// catalog has parts.
		st := engine.TenantState{Brands: cat.Brands}
		for i := range cat.Parts {
			st.Items = append(st.Items, engine.ItemState{Number: cat.Parts[i].Number,
				Offer: engine.Offer(0).WithPrice(int64(100 + i%100000)).WithStock(int64(i % 7))})
		}
		e.Restore(allTenant, st)
		bench = env
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return bench
}

func tenantState(t gen.Tenant) engine.TenantState {
	st := engine.TenantState{Brands: t.Brands}
	for _, pn := range t.Activate {
		st.Items = append(st.Items, engine.ItemState{Number: pn, Active: engine.Activated})
	}
	for _, pn := range t.Deactivate {
		st.Items = append(st.Items, engine.ItemState{Number: pn, Active: engine.Deactivated})
	}
	return st
}

// allTenant is the benchmark's tenant with every brand and every part priced.
const allTenant = "bench-all"

// query is one sampled input: a closure over a view and its arguments.
type query func()

const sampleSize = 2000

// sample draws inputs until it has n non-empty ones (or gives up).
func sample(b *testing.B, env *benchEnv, draw func(r *rand.Rand, v *engine.View) query) []query {
	r := rand.New(rand.NewPCG(1, 2))
	var qs []query
	for tries := 0; len(qs) < sampleSize && tries < 50*sampleSize; tries++ {
		v, err := env.eng.View(env.tenants[r.IntN(len(env.tenants))])
		if err != nil {
			b.Fatal(err)
		}
		if q := draw(r, v); q != nil {
			qs = append(qs, q)
		}
	}
	if len(qs) == 0 {
		b.Skip("no inputs for this shape")
	}
	return qs
}

// run times every input of the sample in turn and reports p50 and p99 over inputs.
func run(b *testing.B, qs []query) {
	b.ReportAllocs()
	for _, q := range qs { // warm up
		q()
	}
	lat := make([]time.Duration, len(qs))
	rounds := make([]int, len(qs))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % len(qs)
		t0 := time.Now()
		qs[k]()
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
		b.ReportMetric(per[min(len(per)-1, len(per)*99/100)], "p99-ns")
	}
}

func randomYear(r *rand.Rand, v *engine.View) int {
	ys := v.Years(engine.Filter{})
	if len(ys) == 0 {
		return 0
	}
	return ys[r.IntN(len(ys))]
}

func BenchmarkYears(b *testing.B) {
	env := loadBench(b)
	qs := sample(b, env, func(r *rand.Rand, v *engine.View) query {
		return func() { v.Years(engine.Filter{}) }
	})
	run(b, qs)
}

func BenchmarkMakes(b *testing.B) {
	env := loadBench(b)
	qs := sample(b, env, func(r *rand.Rand, v *engine.View) query {
		y := randomYear(r, v)
		if y == 0 {
			return nil
		}
		return func() { v.Makes(engine.Filter{Year: y}) }
	})
	run(b, qs)
}

func BenchmarkModels(b *testing.B) {
	env := loadBench(b)
	qs := sample(b, env, func(r *rand.Rand, v *engine.View) query {
		y := randomYear(r, v)
		ms := v.Makes(engine.Filter{Year: y})
		if y == 0 || len(ms) == 0 {
			return nil
		}
		f := engine.Filter{Year: y, MakeID: ms[r.IntN(len(ms))].ID}
		return func() { v.Models(f) }
	})
	run(b, qs)
}

func BenchmarkVehicles(b *testing.B) {
	env := loadBench(b)
	qs := sample(b, env, func(r *rand.Rand, v *engine.View) query {
		f, ok := randomModel(r, v)
		if !ok {
			return nil
		}
		return func() { v.Vehicles(f) }
	})
	run(b, qs)
}

func randomModel(r *rand.Rand, v *engine.View) (engine.Filter, bool) {
	y := randomYear(r, v)
	ms := v.Makes(engine.Filter{Year: y})
	if y == 0 || len(ms) == 0 {
		return engine.Filter{}, false
	}
	mds := v.Models(engine.Filter{Year: y, MakeID: ms[r.IntN(len(ms))].ID})
	if len(mds) == 0 {
		return engine.Filter{}, false
	}
	return engine.Filter{Year: y, ModelID: mds[r.IntN(len(mds))].ID}, true
}

// BenchmarkMakeCounts is makes?year&counts=true; the per-catalog group unions are built
// during the warm-up, so this measures the per-tenant count.
func BenchmarkMakeCounts(b *testing.B) {
	env := loadBench(b)
	qs := sample(b, env, func(r *rand.Rand, v *engine.View) query {
		y := randomYear(r, v)
		if y == 0 {
			return nil
		}
		return func() { v.MakeCounts(engine.Filter{Year: y}) }
	})
	run(b, qs)
}

// BenchmarkPartsForVehicle lists the first page of 50 parts of a vehicle.
func BenchmarkPartsForVehicle(b *testing.B) {
	env := loadBench(b)
	qs := sample(b, env, func(r *rand.Rand, v *engine.View) query {
		f, ok := randomModel(r, v)
		if !ok {
			return nil
		}
		vs := v.Vehicles(f)
		if len(vs) == 0 {
			return nil
		}
		id := vs[r.IntN(len(vs))].ID
		return func() {
			if _, _, err := v.Parts(id, engine.PartsQuery{Limit: 50}); err != nil {
				panic(err)
			}
		}
	})
	run(b, qs)
}

// vehicleOf draws a random visible vehicle of v.
func vehicleOf(r *rand.Rand, v *engine.View) string {
	f, ok := randomModel(r, v)
	if !ok {
		return ""
	}
	vs := v.Vehicles(f)
	if len(vs) == 0 {
		return ""
	}
	return vs[r.IntN(len(vs))].ID
}

// BenchmarkPartsPage renders a page of 50 parts of a sampled vehicle of a sampled tenant
// to JSON, prices and stock included: what GET /api/t/parts?limit=50 costs without HTTP.
func BenchmarkPartsPage(b *testing.B) {
	env := loadBench(b)
	var buf []byte
	qs := sample(b, env, func(r *rand.Rand, v *engine.View) query {
		id := vehicleOf(r, v)
		if id == "" {
			return nil
		}
		return func() {
			var err error
			if buf, _, err = v.AppendParts(buf[:0], id, engine.PartsQuery{Limit: 50}); err != nil {
				panic(err)
			}
		}
	})
	run(b, qs)
}

// BenchmarkPartsWholeList renders the whole part list of a sampled vehicle for the tenant
// that sees every brand (the [compat] GET /api/t/parts?vehicleId= with no limit).
func BenchmarkPartsWholeList(b *testing.B) {
	env := loadBench(b)
	v, err := env.eng.View(allTenant)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	var qs []query
	var buf []byte
	var bytes, parts int
	for len(qs) < 500 {
		id := vehicleOf(r, v)
		if id == "" {
			continue
		}
		out, n, _ := v.AppendParts(nil, id, engine.PartsQuery{})
		bytes += len(out)
		parts += n
		qs = append(qs, func() {
			if buf, _, err = v.AppendParts(buf[:0], id, engine.PartsQuery{}); err != nil {
				panic(err)
			}
		})
	}
	run(b, qs)
	b.ReportMetric(float64(parts)/float64(len(qs)), "parts/list")
	b.ReportMetric(float64(bytes)/float64(len(qs)), "bytes/list")
}

// BenchmarkOneRowChange sets one price of the tenant whose every catalog part has an
// offer (1,000,000 items on eu): the engine's share of a one-row feed.
func BenchmarkOneRowChange(b *testing.B) {
	env := loadBench(b)
	v, _ := env.eng.View(allTenant)
	defer b.ReportMetric(float64(v.Counts().Offers), "items")
	r := rand.New(rand.NewPCG(7, 8))
	cat := env.cat
	var qs []query
	for i := 0; i < 200; i++ {
		pn := cat.Parts[r.IntN(len(cat.Parts))].Number
		price := int64(r.IntN(100000))
		qs = append(qs, func() {
			ch := engine.Change{Resolve: engine.ResolveActive, Items: []engine.ItemUpdate{{Ref: pn, SetPrice: true, Price: price}}}
			if _, err := env.eng.Update(allTenant, ch, nil); err != nil {
				panic(err)
			}
		})
	}
	run(b, qs)
}

// BenchmarkFeed100k applies a 100,000-row stock feed to the tenant with every part (the
// engine's share: resolve, copy the touched pages, publish; no journal).
func BenchmarkFeed100k(b *testing.B) {
	env := loadBench(b)
	r := rand.New(rand.NewPCG(9, 10))
	cat := env.cat
	ups := make([]engine.ItemUpdate, 0, 100_000)
	for _, i := range r.Perm(len(cat.Parts))[:min(100_000, len(cat.Parts))] {
		ups = append(ups, engine.ItemUpdate{Ref: cat.Parts[i].Number, SetStock: true, Stock: int64(r.IntN(20))})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := env.eng.Update(allTenant, engine.Change{Resolve: engine.ResolveActive, Items: ups}, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(ups))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkSubscriptionChange toggles one brand subscription of a tenant: the write path
// whose result must show in the next query.
func BenchmarkSubscriptionChange(b *testing.B) {
	env := loadBench(b)
	r := rand.New(rand.NewPCG(3, 4))
	var qs []query
	for i := 0; i < 200; i++ {
		t := env.tenants[r.IntN(len(env.tenants))]
		brand := env.brands[r.IntN(len(env.brands))]
		on := true
		qs = append(qs, func() {
			ch := engine.Change{Unsubscribe: []string{brand}}
			if on {
				ch = engine.Change{Subscribe: []string{brand}}
			}
			if _, err := env.eng.Update(t, ch, nil); err != nil {
				panic(err)
			}
			on = !on
		})
	}
	run(b, qs)
	// Put every tenant back as the tenants file has it, for the benchmarks that follow.
	for i, t := range env.tenants {
		env.eng.Restore(t, env.states[i])
	}
}

// BenchmarkLoad opens the snapshot and loads it with every tenant: the cold start.
func BenchmarkLoad(b *testing.B) {
	env := loadBench(b)
	snapPath, _ := benchSnapshot(b)
	b.ReportMetric(float64(env.info.Bytes)/(1<<20), "snapshot-MiB")
	for i := 0; i < b.N; i++ {
		cat, info, err := snapshot.Open(snapPath)
		if err != nil {
			b.Fatal(err)
		}
		e := engine.New()
		for k, t := range env.tenants {
			e.Restore(t, env.states[k])
		}
		e.Load(cat, info.Version())
	}
	runtime.GC()
	b.ReportMetric(float64(rssBytes())/(1<<20), "rss-MiB")
}

// rssBytes reads the resident set size of this process.
func rssBytes() int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}
