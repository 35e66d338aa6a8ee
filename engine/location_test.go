package engine_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/snapshot"
)

// haversine is an independent great-circle distance (spherical law of haversines, in its
// textbook form), for checking the engine's.
func haversine(lat1, lng1, lat2, lng2 float64) float64 {
	const r = 6371.0088
	rad := math.Pi / 180
	dlat, dlng := (lat2-lat1)*rad, (lng2-lng1)*rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlng/2)*math.Sin(dlng/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(a)))
}

type refDealer struct {
	loc    engine.Location
	stock  map[string]int64 // own location stock
	linked int              // reseller index, -1 none
}

// TestNearbyStockMatchesNaive builds a manufacturer with random dealers (own stock, linked
// resellers sharing at random precisions, some revoking, inactive ones, ones without
// coordinates, points near the poles and the antimeridian) and checks every answer of
// NearbyStock against a plain sort of all dealers by an independent haversine.
func TestNearbyStockMatchesNaive(t *testing.T) {
	seed := testSeed(t, "TestNearbyStockMatchesNaive")
	for round := 0; round < 20; round++ {
		r := rand.New(rand.NewPCG(seed, uint64(round)))
		e := engine.New()
		e.Load(extCatalog(t), "v1")
		parts := []string{"EBC-1", "EBC-2", "ZZ-9"}
		const m = "maker"
		mustUpdate(t, e, m, engine.Change{Subscribe: []string{"EBC"}})
		nRes := 1 + r.IntN(6)
		grants := make([]*engine.Grant, nRes) // nil: never granted or revoked
		resStock := make([]map[string]int64, nRes)
		for i := range nRes {
			id := fmt.Sprintf("res%d", i)
			mustUpdate(t, e, id, engine.Change{Subscribe: []string{"EBC"}})
			resStock[i] = map[string]int64{}
			var ups []engine.ItemUpdate
			for _, pn := range parts {
				if r.IntN(3) > 0 {
					n := int64(r.IntN(6))
					resStock[i][pn] = n
					ups = append(ups, engine.ItemUpdate{Ref: pn, SetStock: true, Stock: n})
				}
			}
			mustUpdate(t, e, id, engine.Change{Resolve: engine.ResolveActive, Items: ups})
			switch r.IntN(4) {
			case 0: // never shares
			case 1: // shares, then revokes
				mustUpdate(t, e, id, engine.Change{Grants: []engine.GrantChange{{Tenant: m, Grant: &engine.Grant{Precision: engine.Exact, LowThreshold: 2}}}})
				mustUpdate(t, e, id, engine.Change{Grants: []engine.GrantChange{{Tenant: m}}})
			default:
				g := &engine.Grant{Precision: []string{engine.Exact, engine.Bucket}[r.IntN(2)], LowThreshold: r.IntN(4)}
				grants[i] = g
				mustUpdate(t, e, id, engine.Change{Grants: []engine.GrantChange{{Tenant: m, Grant: g}}})
			}
		}
		var dealers []refDealer
		var locs []engine.Location
		var stockRows []engine.LocationStockUpdate
		for i := range 1 + r.IntN(300) {
			l := engine.Location{Code: fmt.Sprintf("D%04d", i), Name: fmt.Sprintf("Dealer %d", r.IntN(50)), Country: "Finland", Active: r.IntN(8) > 0}
			if r.IntN(10) > 0 {
				lat, lng := 35+r.Float64()*36, -25+r.Float64()*70
				switch r.IntN(10) {
				case 0:
					lat = 89.9 - r.Float64()*0.2
				case 1:
					lng = 179.95 + r.Float64()*0.1
					if lng > 180 {
						lng -= 360
					}
				}
				l.Lat, l.Lng = &lat, &lng
			}
			d := refDealer{loc: l, stock: map[string]int64{}, linked: -1}
			if r.IntN(2) == 0 {
				d.linked = r.IntN(nRes)
				d.loc.LinkedTenantID = fmt.Sprintf("res%d", d.linked)
			} else {
				for _, pn := range parts {
					if r.IntN(2) == 0 {
						n := int64(r.IntN(5))
						d.stock[pn] = n
						stockRows = append(stockRows, engine.LocationStockUpdate{Location: l.Code, Ref: pn, SetStock: true, Stock: n})
					}
				}
			}
			dealers = append(dealers, d)
			locs = append(locs, d.loc)
		}
		mustUpdate(t, e, m, engine.Change{PutLocations: locs})
		out := mustUpdate(t, e, m, engine.Change{Resolve: engine.ResolveActive, LocationStock: stockRows})
		if out.LocationRows != len(stockRows) {
			t.Fatalf("round %d: location stock rows applied %d of %d", round, out.LocationRows, len(stockRows))
		}
		for q := 0; q < 20; q++ {
			lat, lng := -90+r.Float64()*180, -180+r.Float64()*360
			if q%4 == 0 {
				lat, lng = 60+r.Float64()*5, 20+r.Float64()*5
			}
			pn := parts[r.IntN(len(parts))]
			limit := 1 + r.IntN(15)
			got, err := e.NearbyStock(m, pn, lat, lng, limit)
			if err != nil {
				t.Fatal(err)
			}
			type cand struct {
				ds  engine.DealerStock
				km  float64
				key string
			}
			var want []cand
			for _, d := range dealers {
				l := d.loc
				if !l.Active || l.Lat == nil {
					continue
				}
				ds := engine.DealerStock{Dealer: engine.Dealer{Name: l.Name, Country: l.Country, Lat: l.Lat, Lng: l.Lng}}
				if n, ok := d.stock[pn]; ok && n > 0 {
					ds.Stock, ds.Availability = &n, avail(n, engine.DefaultLowThreshold)
				} else if d.linked >= 0 && grants[d.linked] != nil && resStock[d.linked][pn] > 0 {
					n := resStock[d.linked][pn]
					g := grants[d.linked]
					ds.Availability = avail(n, g.LowThreshold)
					if g.Precision == engine.Exact {
						ds.Stock = &n
					}
				} else {
					continue
				}
				km := haversine(lat, lng, *l.Lat, *l.Lng)
				ds.DistanceKm = math.Round(km*10) / 10
				want = append(want, cand{ds, km, snapshot.Key(l.Code)})
			}
			sort.SliceStable(want, func(a, b int) bool {
				if math.Abs(want[a].km-want[b].km) > 1e-9 {
					return want[a].km < want[b].km
				}
				return want[a].key < want[b].key
			})
			var wantDS []engine.DealerStock
			for _, c := range want[:min(limit, len(want))] {
				wantDS = append(wantDS, c.ds)
			}
			if len(got) == 0 && len(wantDS) == 0 {
				continue
			}
			if !reflect.DeepEqual(got, wantDS) {
				t.Fatalf("round %d: NearbyStock(%s, %.4f %.4f, %d):\n got %+v\nwant %+v", round, pn, lat, lng, limit, got, wantDS)
			}
		}
	}
}

func avail(n int64, low int) string {
	if n <= int64(low) {
		return engine.Low
	}
	return engine.InStock
}

// TestLocations: upserts and deletes by code, dealers in order, stock going with its
// location, full syncs, postal code look-up.
func TestLocations(t *testing.T) {
	e := engine.New()
	e.Load(extCatalog(t), "v1")
	f := func(x float64) *float64 { return &x }
	mustUpdate(t, e, "c", engine.Change{Subscribe: []string{"EBC"}})
	mustUpdate(t, e, "c", engine.Change{PutLocations: []engine.Location{
		{Code: "HEL", Name: "Helsinki", Country: "Finland", PostalCode: "00100", Lat: f(60.17), Lng: f(24.94), Active: true},
		{Code: "sto", Name: "Stockholm", Country: "Sweden", PostalCode: "111 20", Lat: f(59.33), Lng: f(18.07), Active: true},
		{Code: "ESP", Name: "Espoo", Country: "Finland", Active: true},
		{Code: "OLD", Name: "Closed", Country: "Finland", Active: false},
	}})
	out := mustUpdate(t, e, "c", engine.Change{Resolve: engine.ResolveActive, LocationStock: []engine.LocationStockUpdate{
		{Location: "hel", Ref: "EBC-1", SetStock: true, Stock: 4}, {Location: "STO", Ref: "EBC-1", SetStock: true, Stock: 1},
		{Location: "STO", Ref: "EBC-2", SetStock: true, Stock: 9}, {Location: "nope", Ref: "EBC-1", SetStock: true, Stock: 1},
		{Location: "HEL", Ref: "KN-1", SetStock: true, Stock: 1},
	}})
	if out.LocationRows != 3 || !reflect.DeepEqual(out.LocationUnknown, []int{3}) || !reflect.DeepEqual(out.LocationPartAbsent, []int{4}) {
		t.Errorf("location stock: %+v", out)
	}
	v, _ := e.View("c")
	var names []string
	for _, d := range v.Dealers() {
		names = append(names, d.Name)
	}
	if !reflect.DeepEqual(names, []string{"Espoo", "Helsinki", "Stockholm"}) {
		t.Errorf("Dealers: %v, want by country then name, active only", names)
	}
	if lat, lng, ok := v.LocatePostalCode("11120", "sweden"); !ok || math.Abs(lat-59.33) > 1e-9 || math.Abs(lng-18.07) > 1e-9 {
		t.Errorf("LocatePostalCode: %v %v %v", lat, lng, ok)
	}
	got, _ := e.NearbyStock("c", "EBC-1", 59.9, 19, 10)
	if len(got) != 2 || got[0].Name != "Stockholm" || got[0].Availability != engine.Low || got[1].Name != "Helsinki" || *got[1].Stock != 4 {
		t.Errorf("NearbyStock(EBC-1): %+v", got)
	}
	// A full sync of STO: EBC-1 not named loses its stock there only.
	out = mustUpdate(t, e, "c", engine.Change{Resolve: engine.ResolveActive, ReplaceLocationStock: true,
		LocationStock: []engine.LocationStockUpdate{{Location: "sto", Ref: "EBC-2", SetStock: true, Stock: 8}}})
	v, _ = e.View("c")
	if n, ok := v.LocationStockOf("sto", "EBC-1"); ok || out.LocationCleared != 1 {
		t.Errorf("after a full sync of STO: EBC-1 there %d %v, cleared %d", n, ok, out.LocationCleared)
	}
	if n, _ := v.LocationStockOf("hel", "EBC-1"); n != 4 {
		t.Errorf("HEL's EBC-1 after STO's sync: %d", n)
	}
	// The stock of one location, paged: catalog parts in part-number order, then own parts.
	mustUpdate(t, e, "c", engine.Change{PutParts: []engine.TenantPart{{PartNumber: "OWN-1", Brand: "Own", Name: "Own"}}})
	out = mustUpdate(t, e, "c", engine.Change{PutParts: []engine.TenantPart{{PartNumber: "OWN-2", Brand: "Own", Name: "Own", Category: "Nowhere"}}})
	if !reflect.DeepEqual(out.PartUnknownCategory, []int{0}) || out.PartsPut != 0 {
		t.Errorf("own part of an unknown category: %+v", out)
	}
	mustUpdate(t, e, "c", engine.Change{Resolve: engine.ResolveActive, LocationStock: []engine.LocationStockUpdate{
		{Location: "sto", Ref: "OWN-1", SetStock: true, Stock: 2}, {Location: "sto", Ref: "ZZ-9", SetStock: true, Stock: 0}}})
	v, _ = e.View("c")
	want := []engine.StockItem{{PartNumber: "EBC-2", Stock: 8}, {PartNumber: "ZZ-9", Stock: 0}, {PartNumber: "OWN-1", Stock: 2}}
	var paged []engine.StockItem
	for after := ""; ; {
		items, more, ok := v.LocationStockItems("STO", after, 1)
		if !ok || len(items) != 1 {
			t.Fatalf("LocationStockItems(after %q): %v %v %v", after, items, more, ok)
		}
		paged = append(paged, items...)
		if !more {
			break
		}
		after = items[0].PartNumber
	}
	if !reflect.DeepEqual(paged, want) {
		t.Errorf("STO's stock paged: %v, want %v", paged, want)
	}
	if _, _, ok := v.LocationStockItems("nope", "", 10); ok {
		t.Errorf("an unknown location lists stock")
	}
	// Deleting a location takes its stock; putting it back starts empty.
	out = mustUpdate(t, e, "c", engine.Change{DeleteLocations: []string{"HEL", "nope"}})
	mustUpdate(t, e, "c", engine.Change{PutLocations: []engine.Location{{Code: "HEL", Name: "Helsinki", Active: true}}})
	v, _ = e.View("c")
	if _, ok := v.LocationStockOf("HEL", "EBC-1"); ok || out.LocationsDeleted != 1 || !reflect.DeepEqual(out.LocationMissing, []int{1}) {
		t.Errorf("after deleting HEL: %+v", out)
	}
	// A catalog rebuild carries every location's stock over, own parts' included.
	before := v.LocationStockState()
	e.Load(extCatalog(t), "v2")
	v, _ = e.View("c")
	if got := v.LocationStockState(); !reflect.DeepEqual(got, before) {
		t.Errorf("location stock after a rebuild:\n got %+v\nwant %+v", got, before)
	}
	if n, ok := v.LocationStockOf("STO", "OWN-1"); !ok || n != 2 {
		t.Errorf("STO's own part after a rebuild: %d %v", n, ok)
	}
	// Restored from an export: the same.
	e2 := engine.New()
	e2.Load(extCatalog(t), "v1")
	e2.Restore("c", v.State())
	v2, _ := e2.View("c")
	if !reflect.DeepEqual(v2.Locations(), v.Locations()) || !reflect.DeepEqual(v2.LocationStockState(), v.LocationStockState()) {
		t.Errorf("restore: locations or stock differ")
	}
}

// BenchmarkNearbyStock: the locator of a manufacturer with 20,000 dealers, half its own
// stores and half the shops of 1,000 resellers that share their stock with it, for a part
// held by 1 %, 10 % and 50 % of them, from random points in Europe.
func BenchmarkNearbyStock(b *testing.B) {
	e := engine.New()
	e.Load(extCatalog(b), "v1")
	r := rand.New(rand.NewPCG(1, 2))
	shares := map[string]float64{"EBC-1": 0.01, "EBC-2": 0.10, "ZZ-9": 0.50}
	const m, dealers, resellers = "maker", 20_000, 1_000
	mustUpdate(b, e, m, engine.Change{Subscribe: []string{"EBC"}})
	for i := range resellers {
		id := fmt.Sprintf("res%d", i)
		var ups []engine.ItemUpdate
		for pn, f := range shares {
			if r.Float64() < f {
				ups = append(ups, engine.ItemUpdate{Ref: pn, SetStock: true, Stock: int64(1 + r.IntN(9))})
			}
		}
		mustUpdate(b, e, id, engine.Change{Subscribe: []string{"EBC"}, Grants: []engine.GrantChange{{Tenant: m, Grant: &engine.Grant{Precision: engine.Exact, LowThreshold: 2}}}})
		if len(ups) > 0 {
			mustUpdate(b, e, id, engine.Change{Resolve: engine.ResolveActive, Items: ups})
		}
	}
	point := func() (float64, float64) { return 38 + r.Float64()*30, -8 + r.Float64()*36 }
	var locs []engine.Location
	var stock []engine.LocationStockUpdate
	for i := range dealers {
		lat, lng := point()
		l := engine.Location{Code: fmt.Sprintf("D%05d", i), Name: "Dealer", Lat: &lat, Lng: &lng, Active: true}
		if i%2 == 1 {
			l.LinkedTenantID = fmt.Sprintf("res%d", (i/2)%resellers)
		} else {
			for pn, f := range shares {
				if r.Float64() < f {
					stock = append(stock, engine.LocationStockUpdate{Location: l.Code, Ref: pn, SetStock: true, Stock: int64(1 + r.IntN(9))})
				}
			}
		}
		locs = append(locs, l)
	}
	mustUpdate(b, e, m, engine.Change{PutLocations: locs})
	mustUpdate(b, e, m, engine.Change{Resolve: engine.ResolveActive, LocationStock: stock})
	for _, pn := range []string{"EBC-1", "EBC-2", "ZZ-9"} {
		b.Run(fmt.Sprintf("held=%g%%", shares[pn]*100), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				lat, lng := point()
				if got, err := e.NearbyStock(m, pn, lat, lng, 10); err != nil || len(got) != 10 {
					b.Fatalf("NearbyStock: %d dealers, %v", len(got), err)
				}
			}
		})
	}
}
