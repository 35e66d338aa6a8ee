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
		env := &benchEnv{eng: e, info: info}
		seen := map[string]bool{}
		for _, t := range tenants {
			st := tenantState(t)
			e.SetTenant(t.ID, st)
			env.tenants = append(env.tenants, t.ID)
			env.states = append(env.states, st)
			for _, br := range t.Brands {
				if !seen[br] {
					seen[br] = true
					env.brands = append(env.brands, br)
				}
			}
		}
		e.Load(cat, info.Version())
		bench = env
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return bench
}

func tenantState(t gen.Tenant) engine.TenantState {
	st := engine.TenantState{Brands: t.Brands, Items: map[string]engine.Item{}}
	on, off := true, false
	for _, pn := range t.Activate {
		st.Items[pn] = engine.Item{Active: &on}
	}
	for _, pn := range t.Deactivate {
		st.Items[pn] = engine.Item{Active: &off}
	}
	return st
}

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
			if on {
				env.eng.UpdateTenant(t, engine.TenantChange{Subscribe: []string{brand}})
			} else {
				env.eng.UpdateTenant(t, engine.TenantChange{Unsubscribe: []string{brand}})
			}
			on = !on
		})
	}
	run(b, qs)
	// Put every tenant back as the tenants file has it, for the benchmarks that follow.
	for i, t := range env.tenants {
		env.eng.SetTenant(t, env.states[i])
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
			e.SetTenant(t, env.states[k])
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
