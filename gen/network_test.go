package gen

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/fitment/fitment/ingest"
	"github.com/fitment/fitment/snapshot"
)

// catalogFacts is what checkCatalog read of the catalog, for the tenants' own data.
type catalogFacts struct {
	vyears     map[vkey]map[int]bool // exact spelling; wildcards under sub ""
	brandOf    map[string]string     // lower(part number) → brand
	categories map[string]bool
	ids        map[string]bool // snapshot.VehicleID of every catalog vehicle, lazily
}

func (c *catalogFacts) vehicleIDs() map[string]bool {
	if c.ids == nil {
		c.ids = map[string]bool{}
		for k, ys := range c.vyears {
			for y := range ys {
				c.ids[snapshot.VehicleID(k.make, k.model, k.sub, y)] = true
			}
		}
	}
	return c.ids
}

// checkOwn validates a tenant's own vehicles and parts with the readers the API and the
// demo loader use (package ingest), against the catalog: no own vehicle is a catalog
// vehicle, no own part number a catalog part number, every category is in the catalog's
// tree and every fitment names a catalog or an own vehicle. It returns the own part
// numbers (lower-case).
func checkOwn(t *testing.T, dir string, tn Tenant, cat *catalogFacts, st *Stats) map[string]bool {
	t.Helper()
	if tn.OwnParts == "" || tn.OwnVehicles == "" {
		if tn.OwnParts != "" || tn.OwnVehicles != "" || tn.OwnPartCount != 0 || tn.OwnVehicleCount != 0 || tn.OwnPricedItems != 0 {
			t.Errorf("tenant %s: own parts %q (%d), vehicles %q (%d), %d priced: want all or nothing",
				tn.ID, tn.OwnParts, tn.OwnPartCount, tn.OwnVehicles, tn.OwnVehicleCount, tn.OwnPricedItems)
		}
		return nil
	}
	if tn.OwnVehicles != ownDir+"/"+tn.ID+"-vehicles.csv" || tn.OwnParts != ownDir+"/"+tn.ID+"-parts.ndjson" {
		t.Errorf("tenant %s: own files %q, %q", tn.ID, tn.OwnVehicles, tn.OwnParts)
	}
	catIDs := cat.vehicleIDs()
	own := map[string]bool{} // own vehicle ids and their implicit wildcards
	nv := 0
	for i, r := range readCSV(t, filepath.Join(dir, tn.OwnVehicles), []string{"type", "make", "model", "submodel", "years", "engine_cc", "generation"}) {
		at := fmt.Sprintf("%s:%d", tn.OwnVehicles, i+2)
		vs, reason := ingest.TenantVehicles(ingest.VehicleFields{Type: r[0], Make: r[1], Model: r[2], Submodel: r[3], Years: r[4], EngineCC: r[5], Generation: r[6]})
		if reason != "" {
			t.Fatalf("%s: %s", at, reason)
		}
		for _, v := range vs {
			if catIDs[v.ID] {
				t.Fatalf("%s: %s/%s/%s/%d is a catalog vehicle", at, v.Make, v.Model, v.Submodel, v.Year)
			}
			if own[v.ID] {
				t.Fatalf("%s: %s/%s/%s/%d given twice", at, v.Make, v.Model, v.Submodel, v.Year)
			}
			own[v.ID] = true
			nv++
		}
		for _, v := range vs {
			own[snapshot.VehicleID(v.Make, v.Model, "", v.Year)] = true
		}
	}
	if nv != tn.OwnVehicleCount {
		t.Errorf("tenant %s: ownVehicleCount %d, the file makes %d", tn.ID, tn.OwnVehicleCount, nv)
	}
	raw := readAll(t, filepath.Join(dir, tn.OwnParts))
	pns := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(nil, 1<<24)
	ownFits, catFits := 0, 0
	for line := 1; sc.Scan(); line++ {
		at := fmt.Sprintf("%s:%d", tn.OwnParts, line)
		p, pn, reason := ingest.ReadTenantPart(sc.Bytes())
		if reason != "" {
			t.Fatalf("%s: part %s: %s", at, pn, reason)
		}
		key := strings.ToLower(p.PartNumber)
		switch {
		case cat.brandOf[key] != "":
			t.Fatalf("%s: %s is a catalog part number", at, p.PartNumber)
		case pns[key]:
			t.Fatalf("%s: %s given twice", at, p.PartNumber)
		case !cat.categories[p.Category]:
			t.Fatalf("%s: category %q is not in the catalog's tree", at, p.Category)
		case len(p.Fitments) == 0 && !p.Universal:
			t.Errorf("%s: %s fits nothing and is not universal", at, p.PartNumber)
		}
		pns[key] = true
		for j, f := range p.Fitments {
			switch {
			case own[f.VehicleID]:
				ownFits++
			case catIDs[f.VehicleID]:
				catFits++
			default:
				t.Fatalf("%s: %s: unknown vehicle", at, p.FitmentFrom[j])
			}
		}
	}
	if len(pns) != tn.OwnPartCount {
		t.Errorf("tenant %s: ownPartCount %d, the file has %d", tn.ID, tn.OwnPartCount, len(pns))
	}
	if ownFits == 0 || catFits == 0 {
		t.Errorf("tenant %s: own parts fit %d own and %d catalog vehicles, want both", tn.ID, ownFits, catFits)
	}
	st.OwnTenants++
	st.OwnParts += len(pns)
	st.OwnVehicles += nv
	return pns
}

// checkLocations validates a tenant's stores, dealers, location stock and grants, and adds
// them to st. stocked are the parts of its feed with a tracked stock (lower-case).
func checkLocations(t *testing.T, dir string, tn Tenant, byID map[string]*Tenant, stocked map[string]bool, st *Stats) {
	t.Helper()
	codes := map[string]bool{}
	open := map[string]bool{}
	stores := 0
	for i, l := range tn.Locations {
		at := fmt.Sprintf("tenant %s location %s", tn.ID, l.Code)
		if i > 0 && strings.ToLower(tn.Locations[i-1].Code) >= strings.ToLower(l.Code) {
			t.Errorf("%s: not in code order", at)
		}
		codes[strings.ToLower(l.Code)] = true
		if l.Code == "" || l.Name == "" || l.Address == "" || l.City == "" || l.PostalCode == "" {
			t.Errorf("%s: missing code, name, address, city or postal code: %+v", at, l)
		}
		if (l.Lat == nil) != (l.Lng == nil) || l.Lat != nil && (math.Abs(*l.Lat) > 90 || math.Abs(*l.Lng) > 180) {
			t.Errorf("%s: lat, lng %v, %v", at, l.Lat, l.Lng)
		}
		home := tn.Country
		if l.LinkedTenantID == "" {
			stores++
			if tn.Type != TypeRetail {
				t.Errorf("%s: a store of a %s", at, tn.Type)
			}
			if l.Active {
				open[strings.ToLower(l.Code)] = true
			}
		} else {
			r := byID[l.LinkedTenantID]
			switch {
			case tn.Type != TypeManufacturer:
				t.Errorf("%s: a %s links dealers", at, tn.Type)
			case r == nil || r.ID == tn.ID:
				t.Fatalf("%s: linked to %q, not another tenant", at, l.LinkedTenantID)
			case r.Type != TypeReseller && r.Type != TypeHybrid && r.Type != TypeStandard:
				t.Errorf("%s: linked to a %s", at, r.Type)
			case l.Lat == nil || !l.Active:
				t.Errorf("%s: a dealer without coordinates, or closed", at)
			case !slices.Contains(r.Brands, tn.Brands[0]):
				t.Errorf("%s: dealer %s does not sell %s", at, r.ID, tn.Brands[0])
			}
			home = r.Country
			st.Dealers++
		}
		if g, ok := geo[home]; !ok || l.Country != g.country {
			t.Errorf("%s: country %q in a %s market", at, l.Country, home)
		}
		if l.Lat != nil {
			near := false
			for _, c := range geo[home].cities {
				near = near || c.name == l.City && math.Abs(c.lat-*l.Lat) < 0.1 && math.Abs(c.lng-*l.Lng) < 0.3
			}
			if !near {
				t.Errorf("%s: %v, %v is not near %s", at, *l.Lat, *l.Lng, l.City)
			}
		}
	}
	if len(codes) != len(tn.Locations) {
		t.Errorf("tenant %s: location codes repeat", tn.ID)
	}
	if tn.Type == TypeRetail && (stores < 2 || stores > 40) {
		t.Errorf("chain %s: %d stores, want 2-40", tn.ID, stores)
	}
	st.Stores += stores
	if stores > 0 {
		st.Chains++
	}

	if tn.LocationStock == "" {
		if tn.LocationStockRows != 0 || len(stocked) > 0 && len(open) > 0 {
			t.Errorf("chain %s: no location stock file but %d rows, %d stocked items, %d open stores", tn.ID, tn.LocationStockRows, len(stocked), len(open))
		}
	} else {
		if want := feedsDir + "/" + tn.ID + "-locations.csv"; tn.LocationStock != want {
			t.Errorf("tenant %s locationStock: got %q, want %q", tn.ID, tn.LocationStock, want)
		}
		held := map[string]int{}
		seen := map[string]bool{}
		rows := readCSV(t, filepath.Join(dir, tn.LocationStock), []string{"location", "part_number", "stock"})
		for i, r := range rows {
			at := fmt.Sprintf("%s:%d", tn.LocationStock, i+2)
			loc, pn := strings.ToLower(r[0]), strings.ToLower(r[1])
			switch n, err := strconv.Atoi(r[2]); {
			case !open[loc]:
				t.Fatalf("%s: %s is not an open store", at, r[0])
			case !stocked[pn]:
				t.Fatalf("%s: %s is not a stocked item of the chain's feed", at, r[1])
			case seen[loc+"|"+pn]:
				t.Fatalf("%s: %s at %s twice", at, r[1], r[0])
			case err != nil || n < 0 || strconv.Itoa(n) != r[2]:
				t.Fatalf("%s: stock %q", at, r[2])
			}
			seen[loc+"|"+pn] = true
			held[loc]++
		}
		if len(rows) != tn.LocationStockRows {
			t.Errorf("chain %s: locationStockRows %d, the file has %d", tn.ID, tn.LocationStockRows, len(rows))
		}
		for code := range open {
			if held[code] == 0 {
				t.Errorf("chain %s: open store %s holds nothing", tn.ID, code)
			}
		}
		st.LocationStockRows += len(rows)
	}

	for i, g := range tn.Grants {
		m := byID[g.TenantID]
		at := fmt.Sprintf("tenant %s grant to %s", tn.ID, g.TenantID)
		switch {
		case i > 0 && tn.Grants[i-1].TenantID >= g.TenantID:
			t.Errorf("%s: grants not by tenant id, or repeated", at)
		case m == nil || m.Type != TypeManufacturer:
			t.Fatalf("%s: not a manufacturer", at)
		case g.Precision != PrecisionExact && g.Precision != PrecisionBucket:
			t.Errorf("%s: precision %q", at, g.Precision)
		case g.LowThreshold < 1 || g.LowThreshold > 5:
			t.Errorf("%s: lowThreshold %d", at, g.LowThreshold)
		case !slices.ContainsFunc(m.Locations, func(l Location) bool { return l.LinkedTenantID == tn.ID }):
			t.Errorf("%s: the manufacturer lists no shop of this tenant", at)
		}
	}
	st.Grants += len(tn.Grants)
}

// TestTinyNetwork: the hand-checkable chain has four stores with stock, the last not on the
// map; one tenant owns parts and vehicles of every kind; tiny has no dealers or grants.
func TestTinyNetwork(t *testing.T) {
	dir, st := generate(t, "tiny", 1, DefaultOptions())
	tenants := readTenants(t, dir)
	rq := tenants[2]
	if rq.ID != "demo-rhein-quad" || len(rq.Locations) != 4 || rq.LocationStockRows == 0 {
		t.Fatalf("tenant %s: %d locations, %d location-stock rows, want demo-rhein-quad with 4 and stock", rq.ID, len(rq.Locations), rq.LocationStockRows)
	}
	for i, l := range rq.Locations {
		if !l.Active || (l.Lat == nil) != (i == 3) || l.Country != "Germany" {
			t.Errorf("demo-rhein-quad store %d: %+v, want open, in Germany, placed on the map but the last", i, l)
		}
	}
	if st.Dealers != 0 || st.Grants != 0 || st.Chains != 1 || st.Stores != 4 {
		t.Errorf("tiny network: %+v", st)
	}
	am := tenants[1]
	if am.ID != "demo-alpine-moto" || am.OwnPartCount == 0 || am.OwnPricedItems == 0 || st.OwnTenants != 1 {
		t.Fatalf("tiny own parts: %s has %d (%d priced), %d tenants own some", am.ID, am.OwnPartCount, am.OwnPricedItems, st.OwnTenants)
	}
	rows := readCSV(t, filepath.Join(dir, am.OwnVehicles), []string{"type", "make", "model", "submodel", "years", "engine_cc", "generation"})
	makes, models := map[string]bool{}, map[string]bool{}
	for _, r := range readCSV(t, filepath.Join(dir, "vehicles.csv"), []string{"type", "make", "model", "submodel", "years", "engine_cc", "generation"}) {
		makes[r[1]], models[r[1]+"/"+r[2]] = true, true
	}
	got := map[string]bool{}
	for _, r := range rows {
		switch {
		case !makes[r[1]]:
			got["new make"] = true
		case !models[r[1]+"/"+r[2]]:
			got["new model"] = true
		default:
			got["new submodel"] = true
		}
	}
	if len(rows) != 3 || len(got) != 3 {
		t.Errorf("demo-alpine-moto own vehicles: %q, want a new submodel, a new model and a new make", rows)
	}
}

// checkNetworkShape checks a generated small profile's stores, dealers, grants and own parts
// against the profile's description (TestCountsAndValidity runs it).
func checkNetworkShape(t *testing.T, dir string, st Stats) {
	t.Helper()
	tenants := readTenants(t, dir)
	byID := map[string]*Tenant{}
	for i := range tenants {
		byID[tenants[i].ID] = &tenants[i]
	}
	brandOf := map[string]string{}
	for _, r := range readCSV(t, filepath.Join(dir, "parts.csv"), partsHeader) {
		brandOf[r[0]] = r[1]
	}
	// What each tenant stocks (stock > 0), by brand.
	stockOf := map[string]map[string]int{}
	inStock := func(tn *Tenant, brand string) int {
		if stockOf[tn.ID] == nil {
			stockOf[tn.ID] = map[string]int{}
			for _, r := range readCSV(t, filepath.Join(dir, tn.Offers), []string{"partNumber", "price", "stock"}) {
				if r[2] != "null" && r[2] != "0" {
					stockOf[tn.ID][brandOf[r[0]]]++
				}
			}
		}
		return stockOf[tn.ID][brand]
	}
	pairs, none, exact := 0, 0, 0
	manufacturers := 0
	for _, m := range tenants {
		if m.Type != TypeManufacturer {
			continue
		}
		manufacturers++
		linked := map[string]bool{}
		for _, l := range m.Locations {
			linked[l.LinkedTenantID] = true
		}
		if len(linked) < 10 || len(linked) > 200 {
			t.Errorf("manufacturer %s: %d linked resellers, want 10-200", m.ID, len(linked))
		}
		for id := range linked {
			pairs++
			r := byID[id]
			gi := slices.IndexFunc(r.Grants, func(g Grant) bool { return g.TenantID == m.ID })
			if gi < 0 {
				none++
				continue
			}
			if r.Grants[gi].Precision == PrecisionExact {
				exact++
			}
			if n := inStock(r, m.Brands[0]); n == 0 {
				t.Errorf("reseller %s shares with %s but stocks no %s part", r.ID, m.ID, m.Brands[0])
			}
		}
	}
	if manufacturers == 0 {
		t.Fatal("small: no manufacturers")
	}
	if f := float64(none) / float64(pairs); f < 0.02 || f > 0.25 {
		t.Errorf("linked resellers without a grant: %d of %d, want about 10%%", none, pairs)
	}
	if f := float64(exact) / float64(pairs-none); f < 0.3 || f > 0.7 {
		t.Errorf("EXACT grants: %d of %d, want about half", exact, pairs-none)
	}
	eligible := 0
	for _, tn := range tenants {
		if ownEligible(tn.Type) {
			eligible++
		}
	}
	if st.OwnTenants < 1 || st.OwnTenants > eligible*3/10 {
		t.Errorf("tenants with own parts: %d of %d eligible, want about 15%%", st.OwnTenants, eligible)
	}
	if st.OwnParts < 100*st.OwnTenants || st.OwnParts > 500*st.OwnTenants {
		t.Errorf("own parts: %d for %d tenants, want a few hundred each", st.OwnParts, st.OwnTenants)
	}
	// Each store holds 20-40% of its chain's stocked items, or what its shelves take.
	for _, tn := range tenants {
		if tn.LocationStock == "" {
			continue
		}
		perStore := float64(tn.LocationStockRows) / float64(openStores(&tn))
		share := perStore / float64(tn.StockedItems)
		if share > 0.45 || perStore > shelfMax*1.1 || share < 0.15 && perStore < shelfMin*0.9 {
			t.Errorf("chain %s: a store holds %.0f items, %.2f of the chain's stocked items, want 0.2-0.4 or a shelf of %d-%d", tn.ID, perStore, share, shelfMin, shelfMax)
		}
	}
	if st.Chains == 0 || st.LocationStockRows == 0 || st.LocationStockRows > locationStockBudget(profiles[1]) {
		t.Errorf("small location stock: %d chains, %d rows", st.Chains, st.LocationStockRows)
	}
}

// TestNetworkPlan draws every profile's network without writing a file, so it covers eu:
// the chains and manufacturers of the spec's profile table, and a location stock within
// budget.
func TestNetworkPlan(t *testing.T) {
	for _, m := range markets {
		g, ok := geo[m.country]
		if !ok || g.country == "" || len(g.cities) < 5 || len(g.streets) == 0 || g.phone == "" {
			t.Errorf("market %s: geography %+v, want a country name, cities, streets and a phone pattern", m.country, g)
		}
	}
	for _, name := range ProfileNames() {
		p, _ := ProfileByName(name)
		brands := makeBrands(p.Brands, p.Parts, newRand(1, streamBrands))
		tenants := makeTenants(p, brands, newRand(1, streamTenants))
		if err := makeNetwork(brands, tenants, 1); err != nil {
			t.Fatal(err)
		}
		chains, stores, dealers, manufacturers, big := 0, 0, 0, 0, 0
		for i := range tenants {
			tn := &tenants[i]
			n := 0
			for _, l := range tn.Locations {
				if l.LinkedTenantID == "" {
					n++
				} else {
					dealers++
				}
			}
			if n > 0 {
				chains++
				stores += n
			}
			if n == 40 {
				big++
			}
			if tn.Type == TypeManufacturer && len(tn.Locations) > 0 {
				manufacturers++
			}
		}
		if name == "eu" && (chains != 100 || manufacturers != 30 || big == 0 || stores > 20*chains) {
			t.Errorf("eu: %d chains (%d with 40 stores), %d stores, %d manufacturers with dealers; want 100 chains of 2-40 stores, most small, and 30 manufacturers",
				chains, big, stores, manufacturers)
		}
		if name != "tiny" && (dealers == 0 || manufacturers == 0) {
			t.Errorf("%s: %d manufacturers with %d dealers", name, manufacturers, dealers)
		}
	}
}
