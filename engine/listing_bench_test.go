package engine_test

import (
	"math/rand/v2"
	"testing"

	"github.com/fitment/fitment/engine"
)

// BenchmarkVehicleListing is GET /api/t/vehicles/:id/parts?facets=category,brand&limit=50
// without HTTP: a sampled vehicle of a sampled tenant, its visible parts filtered, both
// facets counted, a page of 50 sorted and rendered to JSON. Shapes: by name (the default),
// by price, filtered by the vehicle's most common brand and inStock, the second page (a
// cursor), by name in German; "all-brands" is the tenant that sees every brand (the
// heaviest lists, ~1,000 parts a vehicle on eu). The name orders are built in the
// warm-up. parts/vehicle is the mean number of candidates per sampled input.
func BenchmarkVehicleListing(b *testing.B) {
	env := loadBench(b)
	shapes := []struct {
		name string
		all  bool // the every-brand tenant
		q    func(v *engine.View, id string) (engine.ListQuery, bool)
	}{
		{"name", false, plainListing(engine.SortName, "")},
		{"price", false, plainListing(engine.SortPrice, "")},
		{"filtered", false, func(v *engine.View, id string) (engine.ListQuery, bool) {
			q, _ := plainListing(engine.SortName, "")(v, id)
			pg, err := v.List(q)
			if err != nil || len(pg.Facets.Brand) == 0 {
				return q, false
			}
			q.Brands, q.InStock = []string{pg.Facets.Brand[0].Value}, true
			return q, true
		}},
		{"page2", false, func(v *engine.View, id string) (engine.ListQuery, bool) {
			q, _ := plainListing(engine.SortPrice, "")(v, id)
			pg, err := v.List(q)
			if err != nil || pg.NextCursor == "" {
				return q, false
			}
			q.Cursor = pg.NextCursor
			return q, true
		}},
		{"name-de", false, plainListing(engine.SortName, "de")},
		{"all-brands", true, plainListing(engine.SortName, "")},
		{"all-brands-price", true, plainListing(engine.SortPrice, "")},
	}
	for _, sh := range shapes {
		b.Run(sh.name, func(b *testing.B) {
			var buf []byte
			var cands, inputs int
			draw := func(r *rand.Rand, v *engine.View) query {
				id := vehicleOf(r, v)
				if id == "" {
					return nil
				}
				q, ok := sh.q(v, id)
				if !ok {
					return nil
				}
				c, _ := v.Candidates(id, false)
				cands += int(c.GetCardinality())
				inputs++
				return func() {
					var err error
					if buf, err = v.AppendList(buf[:0], q); err != nil {
						panic(err)
					}
				}
			}
			var qs []query
			if sh.all {
				v, err := env.eng.View(allTenant)
				if err != nil {
					b.Fatal(err)
				}
				r := rand.New(rand.NewPCG(5, 6))
				for tries := 0; len(qs) < 500 && tries < 50000; tries++ {
					if q := draw(r, v); q != nil {
						qs = append(qs, q)
					}
				}
			} else {
				qs = sample(b, env, draw)
			}
			run(b, qs)
			b.ReportMetric(float64(cands)/float64(max(inputs, 1)), "parts/vehicle")
		})
	}
}

func plainListing(s engine.ListSort, lang string) func(*engine.View, string) (engine.ListQuery, bool) {
	return func(_ *engine.View, id string) (engine.ListQuery, bool) {
		return engine.ListQuery{VehicleID: id, Sort: s, Lang: lang, Limit: 50, Facets: engine.FacetCategory | engine.FacetBrand}, true
	}
}

// BenchmarkNameOrderBuild is the first name-sorted listing in a language after a catalog
// load: the collation order of every part's name in that language is built then (once
// per language and catalog). Run it with -benchtime 1x on eu.
func BenchmarkNameOrderBuild(b *testing.B) {
	env := loadBench(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := engine.New()
		e.Load(env.cat, env.info.Version())
		e.Restore("t", engine.TenantState{Brands: env.cat.Brands[:1]})
		v, _ := e.View("t")
		id := vehicleOf(rand.New(rand.NewPCG(1, uint64(i))), v)
		b.StartTimer()
		if _, err := v.List(engine.ListQuery{VehicleID: id, Sort: engine.SortName, Lang: "de"}); err != nil {
			b.Fatal(err)
		}
	}
}
