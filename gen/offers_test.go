package gen

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestOfferPlan checks the scaling arithmetic on every profile's real brand table and tenants,
// without writing a file, so it covers eu cheaply.
func TestOfferPlan(t *testing.T) {
	for _, name := range ProfileNames() {
		for seed := uint64(1); seed <= 2; seed++ {
			p, _ := ProfileByName(name)
			brands := makeBrands(p.Brands, p.Parts, newRand(seed, streamBrands))
			tenants := makeTenants(p, brands, newRand(seed, streamTenants))
			if err := makeNetwork(brands, tenants, seed); err != nil {
				t.Fatal(err)
			}
			plans, err := planOffers(p, brands, newPartIndex(brands), tenants, seed)
			if err != nil {
				t.Fatalf("planOffers(%s, %d): %v", name, seed, err)
			}
			total, aliasShops, shops := 0, 0, 0
			for i, pl := range plans {
				tn := &tenants[i]
				visible := len(tn.Activate) - len(tn.Deactivate)
				for bi := range brands {
					if slices.Contains(tn.Brands, brands[bi].name) {
						visible += brands[bi].parts
					}
				}
				switch tn.Type {
				case TypeDataProvider:
					if pl.priced != 0 {
						t.Errorf("%s/%d: data provider %s prices %d", name, seed, tn.ID, pl.priced)
					}
				case TypeManufacturer:
					own := brands[slices.IndexFunc(brands, func(b brand) bool { return b.name == tn.Brands[0] })].parts - len(tn.Deactivate)
					if pl.priced != own {
						t.Errorf("%s/%d: manufacturer %s prices %d, want its brand's %d", name, seed, tn.ID, pl.priced, own)
					}
				default:
					if pl.priced < min(1, visible) || pl.priced > visible || pl.candidates != visible {
						t.Errorf("%s/%d: %s prices %d of %d candidates, sees %d", name, seed, tn.ID, pl.priced, pl.candidates, visible)
					}
					// Enough of each brand it shares its stock for: about sharedParts parts.
					for _, g := range tn.Grants {
						m := tenants[slices.IndexFunc(tenants, func(x Tenant) bool { return x.ID == g.TenantID })]
						b := brands[slices.IndexFunc(brands, func(b brand) bool { return b.name == m.Brands[0] })]
						if want := min(b.parts, sharedParts); float64(pl.priced)*float64(b.parts)/float64(pl.candidates) < float64(want)*0.99 {
							t.Errorf("%s/%d: %s shares with %s but expects %.1f of its %d parts priced, want %d",
								name, seed, tn.ID, m.ID, float64(pl.priced)*float64(b.parts)/float64(pl.candidates), b.parts, want)
						}
					}
				}
				if tn.Type == TypeStandard || tn.Type == TypeRetail {
					shops++
					if pl.aliases > 0 {
						aliasShops++
						if pl.aliases > 50 || pl.aliases < min(5, pl.priced) || pl.aliases > pl.priced {
							t.Errorf("%s/%d: %s has %d aliases for %d priced", name, seed, tn.ID, pl.aliases, pl.priced)
						}
					}
				} else if pl.aliases != 0 {
					t.Errorf("%s/%d: %s %s has %d aliases", name, seed, tn.Type, tn.ID, pl.aliases)
				}
				total += pl.priced
			}
			// Bisection lands on the target up to rounding; ±1% catches a lost term.
			if !within(total, p.PricedItems, 0.01) {
				t.Errorf("%s/%d: %d priced items planned, want %d ±1%%", name, seed, total, p.PricedItems)
			}
			if frac := float64(aliasShops) / float64(shops); name == "eu" && (frac < 0.2 || frac > 0.4) {
				t.Errorf("%s/%d: %d of %d shops have aliases, want about 30%%", name, seed, aliasShops, shops)
			}
		}
	}
}

// TestOfferDistribution checks the shape of small's prices, stock and aliases.
func TestOfferDistribution(t *testing.T) {
	if testing.Short() {
		t.Skip("generates the small profile")
	}
	dir, st := generate(t, "small", 3, DefaultOptions())
	tenants := readTenants(t, dir)
	type price struct {
		norm float64 // in EUR
		raw  float64
	}
	prices := map[string][]price{}
	var norms []float64
	tracked, zero, few, rows, maxStock := 0, 0, 0, 0, 0
	for _, tn := range tenants {
		if tn.Offers == "" {
			continue
		}
		factor := currencyFactor[tn.Currency]
		if factor == 0 {
			t.Fatalf("tenant %s: currency %q has no factor", tn.ID, tn.Currency)
		}
		for _, r := range readCSV(t, filepath.Join(dir, tn.Offers), []string{"partNumber", "price", "stock"}) {
			rows++
			v, err := strconv.ParseFloat(r[1], 64)
			if err != nil {
				t.Fatal(err)
			}
			prices[r[0]] = append(prices[r[0]], price{v / factor, v})
			norms = append(norms, v/factor)
			if r[2] == "null" {
				continue
			}
			tracked++
			n, _ := strconv.Atoi(r[2])
			switch {
			case n == 0:
				zero++
			case n <= 10:
				few++
			}
			maxStock = max(maxStock, n)
		}
	}
	if rows != st.PricedItems || tracked != st.StockedItems {
		t.Fatalf("rows, tracked: got %d, %d, Stats say %d, %d", rows, tracked, st.PricedItems, st.StockedItems)
	}
	fr := func(a, b int) float64 { return float64(a) / float64(b) }
	if f := fr(tracked, rows); f < 0.72 || f > 0.88 {
		t.Errorf("tracked stock: %.3f of items, want about 0.8", f)
	}
	if f := fr(zero, tracked); f < 0.15 || f > 0.25 {
		t.Errorf("out of stock: %.3f of tracked items, want about 0.2", f)
	}
	if f := fr(few, tracked); f < 0.6 {
		t.Errorf("stock 1-10: %.3f of tracked items, want most", f)
	}
	if maxStock <= 50 || maxStock > 500 {
		t.Errorf("largest stock: %d, want a few hundred", maxStock)
	}
	slices.Sort(norms)
	if lo, med, hi := norms[0], norms[len(norms)/2], norms[len(norms)-1]; lo < 3 || hi > 2700 || med < 15 || med > 250 {
		t.Errorf("EUR prices: min %.2f, median %.2f, max %.2f; want 5-2,000 skewed low", lo, med, hi)
	}
	// One part costs about the same everywhere once converted: only markups (0.9-1.2) and
	// rounding set tenants apart.
	shared := 0
	for pn, ps := range prices {
		if len(ps) < 2 {
			continue
		}
		shared++
		lo, hi := ps[0], ps[0]
		for _, p := range ps {
			if p.norm < lo.norm {
				lo = p
			}
			if p.norm > hi.norm {
				hi = p
			}
		}
		limit := 2.5 // rounding a few units to an ending moves cheap prices a lot
		if lo.raw >= 100 {
			limit = 1.5
		}
		if hi.norm/lo.norm > limit {
			t.Fatalf("part %s: EUR prices %.2f and %.2f across tenants", pn, lo.norm, hi.norm)
		}
	}
	if shared == 0 {
		t.Errorf("no part priced by two tenants")
	}
}

// TestTinyOffers: the hand-checkable tenants all sell, and two of them share an alias string.
func TestTinyOffers(t *testing.T) {
	dir, _ := generate(t, "tiny", 1, DefaultOptions())
	tenants := readTenants(t, dir)
	owner := map[string]Alias{}
	shared := 0
	for _, tn := range tenants {
		if tn.PricedItems == 0 {
			t.Errorf("tenant %s: no offers", tn.ID)
		}
		if (tn.Type == TypeStandard || tn.Type == TypeRetail) && len(tn.Aliases) == 0 {
			t.Errorf("tenant %s: no aliases", tn.ID)
		}
		for _, a := range tn.Aliases {
			if o, ok := owner[a.Alias]; ok && o.PartNumber != a.PartNumber {
				shared++
			}
			owner[a.Alias] = a
		}
	}
	if shared == 0 {
		t.Errorf("no alias string names different parts in two tenants")
	}
}

// TestPartIndex: lookup inverts partNumber, ignores case, and rejects near misses.
func TestPartIndex(t *testing.T) {
	p, _ := ProfileByName("small")
	brands := makeBrands(p.Brands, p.Parts, newRand(1, streamBrands))
	x := newPartIndex(brands)
	for bi := range brands {
		b := &brands[bi]
		for _, k := range []int{0, 1, b.parts / 2, b.parts - 1} {
			if got := brandAt(brands, b.firstIdx+k); got != bi {
				t.Errorf("brandAt(%d): got %d, want %d", b.firstIdx+k, got, bi)
			}
			pn := b.partNumber(k)
			for _, in := range []string{pn, strings.ToLower(pn), " " + pn + " "} {
				if gb, gk, ok := x.lookup(in); !ok || gb != bi || gk != k {
					t.Errorf("lookup(%q): got %d, %d, %v, want %d, %d, true", in, gb, gk, ok, bi, k)
				}
			}
		}
		n := b.base + (b.parts-1)*b.step
		dash := map[bool]string{true: "-", false: ""}
		for _, miss := range []string{
			b.prefix + dash[b.dash] + strconv.Itoa(b.base+b.parts*b.step) + b.suffix, // past the last part
			b.prefix + dash[b.dash] + strconv.Itoa(b.base-b.step) + b.suffix,         // before the first
			b.prefix + dash[!b.dash] + strconv.Itoa(n) + b.suffix,                    // wrong dash
			b.prefix + dash[b.dash] + strconv.Itoa(n) + b.suffix + "Z",               // wrong suffix
			b.prefix + dash[b.dash] + "0" + strconv.Itoa(n) + b.suffix,               // leading zero
			"POS-" + strconv.Itoa(n),
		} {
			if gb, gk, ok := x.lookup(miss); ok && brands[gb].partNumber(gk) != strings.ToUpper(miss) {
				t.Errorf("lookup(%q): got %s, want no part", miss, brands[gb].partNumber(gk))
			}
		}
		if b.step > 1 {
			off := b.prefix + dash[b.dash] + strconv.Itoa(b.base+1) + b.suffix
			if _, _, ok := x.lookup(off); ok {
				t.Errorf("lookup(%q): found a part between steps", off)
			}
		}
	}
}

func TestShelfPrice(t *testing.T) {
	rng := newRand(1, 2)
	for _, c := range []struct {
		p     float64
		style int
		want  int64 // cents; 0: any positive price with a shop's ending
	}{
		{1243.7, styleWhole, 124900},
		{1201, styleWhole, 124900},
		{1199.5, styleWhole, 119900},
		{345.2, styleWhole, 34900},
		{0.4, styleWhole, 0},
		{0.4, styleRound, 0},
		{0.4, styleCharm, 0},
		{89.3, styleCharm, 0},
	} {
		for range 20 {
			got := shelfPrice(c.p, c.style, rng)
			cents := got % 100
			ok := got > 0 && slices.Contains([]int64{0, 50, 90, 95, 99}, cents) && got/100 <= int64(c.p)+50
			if c.want != 0 {
				ok = got == c.want
			}
			if !ok && c.want != 0 {
				t.Errorf("shelfPrice(%v, %d): got %d cents, want %d", c.p, c.style, got, c.want)
			} else if !ok {
				t.Errorf("shelfPrice(%v, %d): got %d cents, want > 0 ending in .00, .50, .90, .95 or .99", c.p, c.style, got)
			}
		}
	}
	if got := string(appendCents(nil, 124905)); got != "1249.05" {
		t.Errorf("appendCents(124905): got %q, want 1249.05", got)
	}
}

func TestKindPrices(t *testing.T) {
	if len(kinds) > 256 {
		t.Fatalf("%d kinds do not fit the uint8 of writePartsAndFitments", len(kinds))
	}
	for _, k := range kinds {
		r, ok := categoryPrice[k.category]
		if !ok || r[0] < 5 || r[1] > 2000 || r[0] >= r[1] {
			t.Errorf("categoryPrice[%q]: got %v, %v, want a range within 5-2,000 EUR", k.category, r, ok)
		}
	}
	for _, m := range markets {
		if currencyFactor[m.currency] == 0 {
			t.Errorf("currencyFactor[%q]: missing", m.currency)
		}
	}
}

// TestEUOffers generates the whole eu profile (a minute, 1.7 GB): FITMENT_GEN_EU=1.
func TestEUOffers(t *testing.T) {
	if os.Getenv("FITMENT_GEN_EU") == "" {
		t.Skip("set FITMENT_GEN_EU=1 to generate the eu profile")
	}
	p, _ := ProfileByName("eu")
	dir, st := generate(t, "eu", 1, DefaultOptions())
	if !within(st.PricedItems, p.PricedItems, 0.25) {
		t.Errorf("eu priced items: got %d, want %d ±25%%", st.PricedItems, p.PricedItems)
	}
	sum := 0
	for _, tn := range readTenants(t, dir) {
		if tn.Offers == "" {
			continue
		}
		if rows := bytes.Count(readAll(t, filepath.Join(dir, tn.Offers)), []byte{'\n'}) - 1; rows != tn.PricedItems {
			t.Errorf("tenant %s: pricedItems %d, file has %d rows", tn.ID, tn.PricedItems, rows)
		}
		sum += tn.PricedItems
	}
	if sum != st.PricedItems {
		t.Errorf("eu: tenants.json sums to %d priced items, Stats say %d", sum, st.PricedItems)
	}
}

// TestOffersLeaveCatalogAlone: offers draw from their own stream, so a profile with or without
// them writes the same catalog, the same own parts and vehicles, and the same tenants.json
// apart from the offer and location-stock fields.
func TestOffersLeaveCatalogAlone(t *testing.T) {
	p, _ := ProfileByName("tiny")
	with, without := t.TempDir(), t.TempDir()
	if _, err := Generate(p, 5, with, DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	p.PricedItems = 0
	if _, err := Generate(p, 5, without, DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"vehicles.csv", "parts.csv", "fitments.csv"} {
		if !bytes.Equal(readAll(t, filepath.Join(with, f)), readAll(t, filepath.Join(without, f))) {
			t.Errorf("Generate(tiny, 5): %s changes with offers", f)
		}
	}
	a, b := readTenants(t, with), readTenants(t, without)
	for i := range a {
		if a[i].Offers == "" {
			t.Errorf("tenant %s: no offers", a[i].ID)
		}
		a[i].Offers, a[i].PricedItems, a[i].StockedItems, a[i].Aliases, a[i].OwnPricedItems = "", 0, 0, nil, 0
		a[i].LocationStock, a[i].LocationStockRows = "", 0
	}
	for _, f := range feedFiles(t, with) {
		if strings.HasPrefix(f, ownDir+"/") && !bytes.Equal(readAll(t, filepath.Join(with, f)), readAll(t, filepath.Join(without, f))) {
			t.Errorf("Generate(tiny, 5): %s changes with offers", f)
		}
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("Generate(tiny, 5): tenants change with offers beyond the offer fields")
	}
	if _, err := os.Stat(filepath.Join(without, feedsDir)); err == nil {
		t.Errorf("Generate(PricedItems 0): wrote %s/", feedsDir)
	}
}
