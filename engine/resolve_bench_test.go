package engine_test

import (
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/fitment/fitment/engine"
)

// Vehicle recognition on the benchmark profile (FITMENT_BENCH_PROFILE, see bench_test.go):
// noisy queries (noisyQuery) for vehicles that sampled tenants see, as the accuracy tests
// write them; alone, inside part queries, and part queries naming no vehicle.

// vehicleQueries draws n (view, query) inputs: a sampled tenant and a noisy query for one of
// its visible vehicles, wrapped by wrap.
func vehicleQueries(b *testing.B, env *benchEnv, wrap func(r *rand.Rand, q string) string, run func(v *engine.View, q string)) []query {
	ids := map[string]uint32{}
	for i := range env.cat.Vehicles {
		ids[env.cat.Vehicles[i].ID] = uint32(i)
	}
	newest := newestOf(env.cat)
	return sample(b, env, func(r *rand.Rand, v *engine.View) query {
		id := vehicleOf(r, v)
		if id == "" {
			return nil
		}
		q, _ := noisyQuery(r, env.cat, ids[id], newest, map[string]bool{})
		q = wrap(r, q)
		return func() { run(v, q) }
	})
}

func BenchmarkResolveVehicles(b *testing.B) {
	env := loadBench(b)
	qs := vehicleQueries(b, env, func(r *rand.Rand, q string) string { return q },
		func(v *engine.View, q string) { v.ResolveVehicles(q, 10) })
	run(b, qs)
}

// BenchmarkFindVehicle: a part phrase around a vehicle ("brake pads yfz450r 2019").
func BenchmarkFindVehicle(b *testing.B) {
	env := loadBench(b)
	qs := vehicleQueries(b, env, func(r *rand.Rand, q string) string {
		p := partPhrases[r.IntN(len(partPhrases))]
		if r.IntN(2) == 0 {
			return p + " " + q
		}
		return q + " " + p
	}, func(v *engine.View, q string) { v.FindVehicle(q) })
	run(b, qs)
}

// BenchmarkFindVehicleNone: part queries that name no vehicle, what most searches are.
func BenchmarkFindVehicleNone(b *testing.B) {
	env := loadBench(b)
	qs := sample(b, env, func(r *rand.Rand, v *engine.View) query {
		q := partPhrases[r.IntN(len(partPhrases))]
		if r.IntN(2) == 0 {
			q += " " + partPhrases[r.IntN(len(partPhrases))]
		}
		return func() { v.FindVehicle(q) }
	})
	run(b, qs)
}

// BenchmarkVehicleNamesBuild builds the catalog's name index (done once per catalog, on
// the first recognition): time, and the heap it keeps.
func BenchmarkVehicleNamesBuild(b *testing.B) {
	env := loadBench(b)
	v, err := env.eng.View(allTenant)
	if err != nil {
		b.Fatal(err)
	}
	var size [6]int
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	t0 := time.Now()
	keep, _ := v.VehicleNamesForTest()
	first := time.Since(t0)
	runtime.GC()
	runtime.ReadMemStats(&ms1)
	runtime.KeepAlive(keep)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, size = v.VehicleNamesForTest()
	}
	b.StopTimer()
	b.ReportMetric(float64(first.Microseconds())/1000, "first-ms")
	b.ReportMetric(float64(size[0]), "terms")
	b.ReportMetric(float64(size[2]), "models")
	b.ReportMetric(float64(size[3]), "submodels")
	b.ReportMetric(float64(size[4]), "vehicles")
	b.ReportMetric(float64(size[5]), "typo-keys")
	b.ReportMetric(float64(int64(ms1.HeapAlloc)-int64(ms0.HeapAlloc))/(1<<20), "heap-MiB")
}
