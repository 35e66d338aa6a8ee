package engine

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// The walk is checked against a naive model: measure every point with haversineKm and sort
// by (km, index).

var nearSeedFlag = flag.Uint64("nearseed", 0, "seed for the randomised nearIndex tests (0: from the clock)")

func nearSeed(t testing.TB) uint64 {
	seed := uint64(time.Now().UnixNano())
	if *nearSeedFlag != 0 {
		seed = *nearSeedFlag
	}
	t.Logf("seed %d (rerun with: go test ./engine -run '%s' -nearseed=%d)", seed, t.Name(), seed)
	return seed
}

type nearHit struct {
	i  int
	km float64
}

func nearBrute(pts []latLng, q latLng) []nearHit {
	out := make([]nearHit, len(pts))
	for i, p := range pts {
		out[i] = nearHit{i, haversineKm(q, p)}
	}
	slices.SortFunc(out, func(a, b nearHit) int {
		if a.km != b.km {
			if a.km < b.km {
				return -1
			}
			return 1
		}
		return a.i - b.i
	})
	return out
}

// nearWalkK walks at most k points (k <= 0: all).
func nearWalkK(x *nearIndex, q latLng, k int) []nearHit {
	var out []nearHit
	x.nearest(q, func(i int, km float64) bool {
		out = append(out, nearHit{i, km})
		return k <= 0 || len(out) < k
	})
	return out
}

func uniformPoint(r *rand.Rand) latLng {
	return latLng{math.Asin(2*r.Float64()-1) / radPerDegree, 360*r.Float64() - 180}
}

// nearUniform is uniform on the sphere.
func nearUniform(r *rand.Rand, n int) []latLng {
	pts := make([]latLng, n)
	for i := range pts {
		pts[i] = uniformPoint(r)
	}
	return pts
}

// nearEurope is clustered like a European dealer network: dense cities, many exact
// duplicates (dealers geocoded to a postal code, or to one building).
func nearEurope(r *rand.Rand, n int) []latLng {
	var cities []latLng
	for range 1 + n/200 {
		cities = append(cities, latLng{35 + 36*r.Float64(), -25 + 70*r.Float64()})
	}
	pts := make([]latLng, 0, n)
	for len(pts) < n {
		switch u := r.Float64(); {
		case len(pts) > 0 && u < 0.25: // a duplicate
			pts = append(pts, pts[r.IntN(len(pts))])
		case u < 0.4: // anywhere
			pts = append(pts, latLng{35 + 36*r.Float64(), -25 + 70*r.Float64()})
		case u < 0.5: // on a coarse grid
			pts = append(pts, latLng{35 + float64(r.IntN(37)), -25 + float64(r.IntN(71))})
		default: // around a city
			c := cities[r.IntN(len(cities))]
			pts = append(pts, latLng{
				min(71, max(35, c.lat+0.1*r.NormFloat64())),
				min(45, max(-25, c.lng+0.15*r.NormFloat64())),
			})
		}
	}
	return pts
}

// nearEdges crowds the places where lat/lng arithmetic goes wrong: both poles and both
// sides of the antimeridian, exactly on them and next to them.
func nearEdges(r *rand.Rand, n int) []latLng {
	lngs := []float64{180, -180, 179.99, -179.99, 179.9999999, -179.9999999, 0}
	pts := make([]latLng, 0, n)
	for len(pts) < n {
		switch r.IntN(6) {
		case 0:
			pts = append(pts, latLng{90 - 0.05*r.Float64(), 360*r.Float64() - 180})
		case 1:
			pts = append(pts, latLng{-90 + 0.05*r.Float64(), 360*r.Float64() - 180})
		case 2:
			pts = append(pts, latLng{[]float64{90, -90}[r.IntN(2)], lngs[r.IntN(len(lngs))]})
		case 3:
			pts = append(pts, latLng{180*r.Float64() - 90, lngs[r.IntN(len(lngs))]})
		case 4:
			pts = append(pts, latLng{180*r.Float64() - 90, 179.98 + 0.02*r.Float64()})
		default:
			pts = append(pts, latLng{180*r.Float64() - 90, -179.98 - 0.02*r.Float64()})
		}
	}
	return pts
}

// nearRings puts points on circles around a few centres: their distances from the centre
// are equal on paper and differ by ulps in floating point, in a different order by chord
// than by haversineKm.
func nearRings(r *rand.Rand, n int) []latLng {
	pts := make([]latLng, 0, n)
	for len(pts) < n {
		// a latitude ring (equidistant from both poles) ...
		lat := []float64{89.5, 60, 0.001, -45, -89.99}[r.IntN(5)]
		for k := range 24 {
			pts = append(pts, latLng{lat, -180 + 15*float64(k)})
		}
		// ... and a ring of radius d around a random centre (destination formula).
		c, d := uniformPoint(r), 0.001+math.Pi*r.Float64()
		φ1, λ1 := c.lat*radPerDegree, c.lng*radPerDegree
		for k := range 24 {
			brg := 2 * math.Pi * float64(k) / 24
			φ2 := math.Asin(math.Sin(φ1)*math.Cos(d) + math.Cos(φ1)*math.Sin(d)*math.Cos(brg))
			λ2 := λ1 + math.Atan2(math.Sin(brg)*math.Sin(d)*math.Cos(φ1), math.Cos(d)-math.Sin(φ1)*math.Sin(φ2))
			pts = append(pts, latLng{φ2 / radPerDegree, math.Remainder(λ2/radPerDegree, 360)})
		}
	}
	return pts[:n]
}

func nearQueries(r *rand.Rand, pts []latLng) []latLng {
	qs := []latLng{
		{90, 0}, {-90, 0}, {90, 123}, {-90, -45},
		{0, 180}, {0, -180}, {45, 180}, {-30, -180}, {60, 179.99}, {60, -179.99},
		{0, 0}, {52.52, 13.405}, // Berlin, inside the clustered sets
		{-52.52, -166.595}, // Berlin's antipode: every European point is nearly antipodal
	}
	for range 6 {
		qs = append(qs, uniformPoint(r))
	}
	for range 4 {
		if len(pts) > 0 {
			qs = append(qs, pts[r.IntN(len(pts))])
		}
	}
	return qs
}

func TestNearMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(nearSeed(t), 1))
	sets := []struct {
		name string
		gen  func(*rand.Rand, int) []latLng
	}{
		{"uniform", nearUniform},
		{"europe", nearEurope},
		{"edges", nearEdges},
		{"rings", nearRings},
	}
	for _, set := range sets {
		for _, n := range []int{0, 1, 2, 17, 1000, 20000} {
			if testing.Short() && n > 1000 {
				continue
			}
			pts := set.gen(r, n)
			x := newNearIndex(pts)
			for _, q := range nearQueries(r, pts) {
				want := nearBrute(pts, q)
				name := fmt.Sprintf("%s/%d nearest(%v)", set.name, n, q)
				if diff := nearDiff(nearWalkK(x, q, 0), want); diff != "" {
					t.Fatalf("%s: %s", name, diff)
				}
				for _, k := range []int{1, 2, 10, n / 2} {
					if k < 1 || k > n {
						continue
					}
					if diff := nearDiff(nearWalkK(x, q, k), want[:k]); diff != "" {
						t.Fatalf("%s stopped after %d: %s", name, k, diff)
					}
				}
				// A walk over a sparse subset (every 7th point, and points of one parity
				// of i/3) is the model's order restricted to it.
				for _, keep := range []func(int) bool{func(i int) bool { return i%7 == 3 }, func(i int) bool { return i/3%2 == 0 }} {
					var sub []nearHit
					for _, h := range want {
						if keep(h.i) {
							sub = append(sub, h)
						}
					}
					var got []nearHit
					x.nearestWhere(q, keep, func(i int, km float64) bool { got = append(got, nearHit{i, km}); return true })
					if diff := nearDiff(got, sub); diff != "" {
						t.Fatalf("%s over a subset: %s", name, diff)
					}
				}
			}
		}
	}
}

// nearDiff says how a walk differs from the model: the same points in the same order, at
// distances within 1e-6 km.
func nearDiff(got, want []nearHit) string {
	for k := range min(len(got), len(want)) {
		if got[k].i != want[k].i {
			return fmt.Sprintf("at %d got point %d (%.15g km), want %d (%.15g km)", k, got[k].i, got[k].km, want[k].i, want[k].km)
		}
		if d := math.Abs(got[k].km - want[k].km); !(d <= 1e-6) {
			return fmt.Sprintf("at %d (point %d) got %.15g km, want %.15g km", k, got[k].i, got[k].km, want[k].km)
		}
	}
	if len(got) != len(want) {
		return fmt.Sprintf("got %d points, want %d", len(got), len(want))
	}
	return ""
}

// TestNearReportsHaversineKm holds the stronger promise the storefront relies on when it
// rounds: the reported distance is haversineKm's, bit for bit.
func TestNearReportsHaversineKm(t *testing.T) {
	r := rand.New(rand.NewPCG(nearSeed(t), 5))
	for _, pts := range [][]latLng{nearUniform(r, 2000), nearEurope(r, 2000), nearEdges(r, 2000)} {
		x := newNearIndex(pts)
		for _, q := range nearQueries(r, pts) {
			x.nearest(q, func(i int, km float64) bool {
				if want := haversineKm(q, pts[i]); km != want {
					t.Fatalf("nearest(%v) point %d: got %.17g km, want haversineKm %.17g", q, i, km, want)
				}
				return true
			})
		}
	}
}

func TestNearEmpty(t *testing.T) {
	for _, pts := range [][]latLng{nil, {}} {
		x := newNearIndex(pts)
		x.nearest(latLng{0, 0}, func(i int, km float64) bool {
			t.Fatalf("nearest over no points: called fn(%d, %g)", i, km)
			return true
		})
	}
}

func TestNearNonFiniteQuery(t *testing.T) {
	x := newNearIndex([]latLng{{60, 25}, {59, 18}})
	for _, q := range []latLng{{math.NaN(), 0}, {0, math.NaN()}, {math.Inf(1), 0}, {0, math.Inf(-1)}} {
		x.nearest(q, func(i int, km float64) bool {
			t.Fatalf("nearest(%v): called fn(%d, %g), want no calls", q, i, km)
			return true
		})
	}
}

// TestNearWalksLittle holds the point of the index: the first 10 of 20,000 dealers cost a
// few leaves and about 10 exact distances, not a distance to every dealer. From a pole the
// dealers on one grid latitude are all equally near, and every one of them must be
// measured to order the tie.
func TestNearWalksLittle(t *testing.T) {
	r := rand.New(rand.NewPCG(nearSeed(t), 2))
	pts := nearEurope(r, 20000)
	x := newNearIndex(pts)
	var w nearWalk
	for _, q := range append(nearQueries(r, pts), latLng{40.7, -74}) {
		maxSeen, maxMeasured := 300, 30
		if math.Abs(q.lat) == 90 {
			maxSeen, maxMeasured = 1000, 200
		}
		n := 0
		w.walk(x, q, nil, func(int, float64) bool { n++; return n < 10 })
		if n != 10 || w.seen > maxSeen || w.measured > maxMeasured {
			t.Errorf("nearest(%v) first 10 of 20000: got %d points, %d chords, %d measured; want 10, <= %d, <= %d",
				q, n, w.seen, w.measured, maxSeen, maxMeasured)
		}
	}
}

func TestNearConcurrentReaders(t *testing.T) {
	r := rand.New(rand.NewPCG(nearSeed(t), 3))
	pts := nearEurope(r, 5000)
	x := newNearIndex(pts)
	qs := nearQueries(r, pts)
	want := make([][]nearHit, len(qs))
	for i, q := range qs {
		want[i] = nearBrute(pts, q)[:50]
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for k := range 200 {
				i := (g + k) % len(qs)
				if got := nearWalkK(x, qs[i], 50); !slices.Equal(got, want[i]) { // bit for bit
					t.Errorf("concurrent nearest(%v): got %v, want %v", qs[i], got, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
}

// nearTestRadiusKm is the Earth's mean radius, spelled out again so that a wrong constant in
// the code under test fails.
const nearTestRadiusKm = 6371.0088

func TestHaversineKnown(t *testing.T) {
	half := math.Pi * nearTestRadiusKm // half the circumference
	tests := []struct {
		a, b     latLng
		want, to float64 // km, tolerance
	}{
		{latLng{60.1699, 24.9384}, latLng{59.3293, 18.0686}, 396, 1},  // Helsinki–Stockholm
		{latLng{51.5074, -0.1278}, latLng{48.8566, 2.3522}, 343.5, 1}, // London–Paris
		{latLng{60, 25}, latLng{60, 25}, 0, 0},
		{latLng{0, 0}, latLng{0, 180}, half, 1e-9},
		{latLng{90, 0}, latLng{-90, 0}, half, 1e-9},
		{latLng{45, 10}, latLng{-45, -170}, half, 1e-9},
		{latLng{52.52, 13.405}, latLng{-52.52, -166.595}, half, 1e-9},
		{latLng{90, 0}, latLng{90, 135}, 0, 1e-9}, // a pole has every longitude
		{latLng{0, 179.99}, latLng{0, -179.99}, 0.02 * radPerDegree * nearTestRadiusKm, 1e-9},
		{latLng{10, 180}, latLng{10, -180}, 0, 1e-9},
	}
	for _, tt := range tests {
		if got := haversineKm(tt.a, tt.b); !(math.Abs(got-tt.want) <= tt.to) {
			t.Errorf("haversineKm(%v, %v): got %.9f, want %.9f ± %g", tt.a, tt.b, got, tt.want, tt.to)
		}
	}
	if math.Abs(half-20015.1145) > 1e-4 {
		t.Errorf("antipodes: got %.4f km, want 20015.1145", half)
	}
}

// TestHaversineIndependent compares haversineKm with formulas that share none of its code:
// the spherical law of cosines where it is well conditioned, exact arcs along the equator
// and a meridian (near antipodes too, where asin(√h) loses ~0.1 m), and the chord of unit
// vectors taken through atan2.
func TestHaversineIndependent(t *testing.T) {
	r := rand.New(rand.NewPCG(nearSeed(t), 4))
	check := func(what string, a, b latLng, want float64) {
		t.Helper()
		if got := haversineKm(a, b); !(math.Abs(got-want) <= 1e-6) {
			t.Fatalf("haversineKm(%v, %v): got %.12f, want %.12f (%s)", a, b, got, want, what)
		}
	}
	for range 20000 {
		a, b := uniformPoint(r), uniformPoint(r)
		φ1, φ2, Δλ := a.lat*radPerDegree, b.lat*radPerDegree, (b.lng-a.lng)*radPerDegree
		if cosθ := math.Sin(φ1)*math.Sin(φ2) + math.Cos(φ1)*math.Cos(φ2)*math.Cos(Δλ); math.Abs(cosθ) < 0.9 {
			check("law of cosines", a, b, math.Acos(cosθ)*nearTestRadiusKm)
		}
		// Chord: |u−v| = 2 sin(θ/2), |u+v| = 2 cos(θ/2).
		u, v := unitVec(a), unitVec(b)
		d := math.Hypot(math.Hypot(u[0]-v[0], u[1]-v[1]), u[2]-v[2])
		s := math.Hypot(math.Hypot(u[0]+v[0], u[1]+v[1]), u[2]+v[2])
		check("chord", a, b, 2*math.Atan2(d, s)*nearTestRadiusKm)
		// Along the equator and along a meridian, including nearly antipodal pairs.
		off := math.Pow(10, -12*r.Float64()) // degrees short of antipodal
		for _, Δ := range []float64{360 * r.Float64(), 180 - off, 180 + off} {
			check("equator", latLng{0, a.lng}, latLng{0, a.lng + Δ}, math.Min(Δ, 360-Δ)*radPerDegree*nearTestRadiusKm)
		}
		lat := 89 * r.Float64()
		check("over the pole", latLng{lat, a.lng}, latLng{lat + off, a.lng + 180}, (180-2*lat-off)*radPerDegree*nearTestRadiusKm)
		check("meridian", latLng{lat, a.lng}, latLng{-lat + off, a.lng + 180}, (180-off)*radPerDegree*nearTestRadiusKm)
	}
}

func nearBenchIndex(b *testing.B, n int) ([]latLng, *nearIndex, []latLng) {
	r := rand.New(rand.NewPCG(1, 1))
	pts := nearEurope(r, n)
	qs := make([]latLng, 64)
	for i := range qs { // shoppers are where the dealers are
		qs[i] = latLng{35 + 36*r.Float64(), -25 + 70*r.Float64()}
	}
	return pts, newNearIndex(pts), qs
}

// BenchmarkNearFirst walks until k points: k = 10 is a part most dealers hold; k = 1000 is
// "the first 10 holders" of a part 1 % of dealers hold.
func BenchmarkNearFirst(b *testing.B) {
	for _, n := range []int{1000, 20000} {
		_, x, qs := nearBenchIndex(b, n)
		for _, k := range []int{10, 1000} {
			b.Run(fmt.Sprintf("n=%d/k=%d", n, k), func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					c := 0
					x.nearest(qs[i%len(qs)], func(int, float64) bool { c++; return c < k })
					i++
				}
			})
		}
	}
}

func BenchmarkNearWalkAll(b *testing.B) {
	for _, n := range []int{1000, 20000} {
		_, x, qs := nearBenchIndex(b, n)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				x.nearest(qs[i%len(qs)], func(int, float64) bool { return true })
				i++
			}
		})
	}
}

// BenchmarkNearBrute is the walk's baseline: measure every point, then sort.
func BenchmarkNearBrute(b *testing.B) {
	pts, _, qs := nearBenchIndex(b, 20000)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		nearBrute(pts, qs[i%len(qs)])
		i++
	}
}

func BenchmarkNewNearIndex(b *testing.B) {
	pts, _, _ := nearBenchIndex(b, 20000)
	b.ReportAllocs()
	for b.Loop() {
		newNearIndex(pts)
	}
}
