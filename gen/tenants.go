package gen

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Tenant is one entry of tenants.json. Later data is added as further fields with omitempty, so
// older files keep parsing. Paths are relative to the catalog directory, with '/'.
type Tenant struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Type     string `json:"type"`
	Currency string `json:"currency"`
	Language string `json:"language"`
	Country  string `json:"country,omitempty"` // ISO 3166 alpha-2
	// Brands are brand subscriptions: every part of the brand is active, now and after rebuilds.
	Brands []string `json:"brands"`
	// Activate lists parts activated one by one, all of brands the tenant does not subscribe.
	Activate []string `json:"activate"`
	// Deactivate lists parts switched off although their brand is subscribed.
	Deactivate []string `json:"deactivate"`

	// Offers is the tenant's feed of prices and stock, a path relative to the catalog
	// directory: feeds/<id>.csv, .csv.gz or .csv.zst (see offers.go for the format). Empty when
	// the tenant prices nothing.
	Offers string `json:"offers,omitempty"`
	// PricedItems is the number of rows of Offers; StockedItems of them have a tracked stock.
	PricedItems  int `json:"pricedItems,omitempty"`
	StockedItems int `json:"stockedItems,omitempty"`
	// Aliases are the tenant's SKU aliases, each for a part of its feed.
	Aliases []Alias `json:"aliases,omitempty"`
	// OwnPricedItems of the PricedItems rows are the tenant's own parts: the last rows of
	// Offers.
	OwnPricedItems int `json:"ownPricedItems,omitempty"`

	// Locations are the tenant's stores (a RETAIL chain's, code S01, S02, …) or dealers (a
	// MANUFACTURER's, code D0001, …, each a shop of the reseller tenant its linkedTenantId
	// names), in code order, as PUT /api/app/locations takes them (see network.go).
	Locations []Location `json:"locations,omitempty"`
	// LocationStock is a chain's stock per store, feeds/<id>-locations.csv (.csv.gz,
	// .csv.zst): location,part_number,stock (see locstock.go); LocationStockRows its rows.
	LocationStock     string `json:"locationStock,omitempty"`
	LocationStockRows int    `json:"locationStockRows,omitempty"`
	// Grants are the stock-sharing grants the tenant gives (a reseller to the
	// manufacturers that list its shops), by tenant id.
	Grants []Grant `json:"grants,omitempty"`

	// OwnVehicles is the tenant's own vehicles, own/<id>-vehicles.csv in the columns of
	// vehicles.csv; OwnVehicleCount the vehicles (one a year) its rows make. OwnParts is its
	// own parts, own/<id>-parts.ndjson, one POST /api/app/tenant-parts object a line, with
	// fitments to its own and to catalog vehicles; OwnPartCount their number. See own.go.
	OwnVehicles     string `json:"ownVehicles,omitempty"`
	OwnVehicleCount int    `json:"ownVehicleCount,omitempty"`
	OwnParts        string `json:"ownParts,omitempty"`
	OwnPartCount    int    `json:"ownPartCount,omitempty"`
}

// Tenant types of the domain model.
const (
	TypeStandard     = "STANDARD"
	TypeRetail       = "RETAIL"
	TypeReseller     = "RESELLER"
	TypeHybrid       = "HYBRID"
	TypeManufacturer = "MANUFACTURER"
	TypeDistributor  = "DISTRIBUTOR"
	TypeDataProvider = "DATA_PROVIDER"
)

type market struct {
	country, currency string
	langs             []string
	suffix            string
	places            []string
}

var markets = []market{
	{"SE", "SEK", []string{"sv"}, "AB", []string{"Norrland", "Jämtland", "Dalarna", "Göta", "Alpine", "Vänern", "Lapland"}},
	{"FI", "EUR", []string{"fi", "sv"}, "Oy", []string{"Lappi", "Karjala", "Savo", "Häme", "Kainuu", "Pohjola"}},
	{"NO", "NOK", []string{"en"}, "AS", []string{"Fjord", "Nordkapp", "Trøndelag", "Vestland", "Finnmark"}},
	{"DK", "DKK", []string{"en"}, "ApS", []string{"Jylland", "Fyn", "Sjælland", "Limfjord"}},
	{"DE", "EUR", []string{"de"}, "GmbH", []string{"Rhein", "Allgäu", "Schwarzwald", "Harz", "Eifel", "Bayern"}},
	{"AT", "EUR", []string{"de"}, "GmbH", []string{"Tirol", "Salzburg", "Kärnten", "Steiermark"}},
	{"CH", "CHF", []string{"de", "fr", "it"}, "AG", []string{"Alpen", "Jura", "Engadin", "Ticino"}},
	{"FR", "EUR", []string{"fr"}, "SARL", []string{"Alpes", "Vosges", "Bretagne", "Provence", "Savoie"}},
	{"BE", "EUR", []string{"nl", "fr"}, "BV", []string{"Ardennes", "Flandria", "Kempen"}},
	{"NL", "EUR", []string{"nl"}, "B.V.", []string{"Delta", "Veluwe", "Holland", "Drenthe"}},
	{"IT", "EUR", []string{"it"}, "S.r.l.", []string{"Dolomiti", "Toscana", "Brianza", "Emilia", "Piemonte"}},
	{"ES", "EUR", []string{"es"}, "S.L.", []string{"Pirineos", "Sierra", "Costa", "Meseta", "Navarra"}},
	{"PL", "PLN", []string{"en"}, "sp. z o.o.", []string{"Tatra", "Mazury", "Bieszczady", "Karkonosze"}},
	{"GB", "GBP", []string{"en"}, "Ltd", []string{"Highland", "Pennine", "Cotswold", "Peak", "Snowdonia"}},
	{"IE", "EUR", []string{"en"}, "Ltd", []string{"Emerald", "Connacht", "Wicklow"}},
}

var shopWords = []string{"Moto", "Motorsport", "Powersports", "Quad", "MC", "Snow & Quad",
	"Offroad", "Moto Center", "Motor", "Racing", "Parts", "Trail", "ATV", "Sled Shop"}

// tenantPlan gives how many tenants of each type a profile has; STANDARD fills the rest.
func tenantPlan(n int) []struct {
	typ string
	n   int
} {
	frac := func(f float64) int { return max(1, int(math.Round(float64(n)*f))) }
	return []struct {
		typ string
		n   int
	}{
		{TypeRetail, frac(0.10)},
		{TypeManufacturer, frac(0.03)},
		{TypeReseller, frac(0.15)},
		{TypeDistributor, frac(0.02)},
		{TypeDataProvider, frac(0.005)},
		{TypeHybrid, frac(0.04)},
	}
}

func makeTenants(p Profile, brands []brand, rng *rand.Rand) []Tenant {
	if p.Tenants <= 3 {
		return demoTenants(brands, rng)
	}
	ids := map[string]bool{}
	names := map[string]bool{}
	var out []Tenant
	add := func(typ string, mi int) *Tenant {
		m := markets[mi]
		var name string
		for try := 0; ; try++ {
			name = m.places[rng.IntN(len(m.places))] + " " + shopWords[rng.IntN(len(shopWords))]
			if try > 5 {
				name += " " + strconv.Itoa(try)
			}
			name += " " + m.suffix
			if !names[strings.ToLower(name)] {
				break
			}
		}
		names[strings.ToLower(name)] = true
		t := Tenant{ID: uniqueID(slugify(name), ids), Name: name, Type: typ, Currency: m.currency,
			Language: m.langs[rng.IntN(len(m.langs))], Country: m.country}
		out = append(out, t)
		return &out[len(out)-1]
	}
	plan := tenantPlan(p.Tenants)
	rest := p.Tenants
	for _, g := range plan {
		rest -= g.n
	}
	plan = append(plan, struct {
		typ string
		n   int
	}{TypeStandard, rest})
	manufacturer := 0
	for _, g := range plan {
		for range g.n {
			mi := rng.IntN(len(markets))
			if g.typ == TypeManufacturer && manufacturer < len(brands) {
				// A manufacturer tenant is a part brand's European arm and subscribes to itself.
				b := &brands[manufacturer]
				manufacturer++
				name := b.name + " Europe"
				t := Tenant{ID: uniqueID(slugify(name), ids), Name: name, Type: g.typ,
					Currency: markets[mi].currency, Language: markets[mi].langs[0], Country: markets[mi].country,
					Brands: []string{b.name}}
				names[strings.ToLower(name)] = true
				out = append(out, t)
				continue
			}
			t := add(g.typ, mi)
			t.Brands = pickBrands(brands, brandCount(g.typ, len(brands), rng), rng)
		}
	}
	for i := range out {
		t := &out[i]
		if rng.IntN(2) == 0 {
			t.Activate = pickParts(brands, t.Brands, false, rng.IntN(20), rng)
		}
		if rng.IntN(3) == 0 {
			t.Deactivate = pickParts(brands, t.Brands, true, rng.IntN(10), rng)
		}
		fillEmpty(t)
	}
	return out
}

// brandCount: subscriptions are heavy-tailed; aggregators take most of the catalog, a typical
// shop a handful of brands.
func brandCount(typ string, nb int, rng *rand.Rand) int {
	switch typ {
	case TypeDistributor, TypeDataProvider:
		return max(1, nb/2+rng.IntN(nb/2+1))
	case TypeRetail, TypeHybrid:
		return max(1, min(nb, 5+int(float64(nb)*math.Pow(rng.Float64(), 2)/2)))
	}
	return max(1, min(nb, int(math.Ceil(math.Exp(rng.NormFloat64()*1.1+1.3)))))
}

// demoTenants are the tiny profile's three hand-checkable tenants: one sees every brand, one two
// brands, one a single brand plus single activations and deactivations.
func demoTenants(brands []brand, rng *rand.Rand) []Tenant {
	all := make([]string, len(brands))
	for i := range brands {
		all[i] = brands[i].name
	}
	ts := []Tenant{
		{ID: "demo-nordic-powersports", Name: "Nordic Powersports Oy", Type: TypeDistributor,
			Currency: "EUR", Language: "fi", Country: "FI", Brands: all},
		{ID: "demo-alpine-moto", Name: "Alpine Moto AB", Type: TypeStandard, Currency: "SEK",
			Language: "sv", Country: "SE", Brands: []string{all[0], all[1%len(all)]}},
		{ID: "demo-rhein-quad", Name: "Rhein Quad & Schnee GmbH", Type: TypeRetail, Currency: "EUR",
			Language: "de", Country: "DE", Brands: []string{all[len(all)-1]}},
	}
	ts[2].Activate = pickParts(brands, ts[2].Brands, false, 3, rng)
	ts[2].Deactivate = pickParts(brands, ts[2].Brands, true, 2, rng)
	for i := range ts {
		fillEmpty(&ts[i])
	}
	return ts
}

// fillEmpty makes absent lists encode as [] rather than null.
func fillEmpty(t *Tenant) {
	if t.Brands == nil {
		t.Brands = []string{}
	}
	if t.Activate == nil {
		t.Activate = []string{}
	}
	if t.Deactivate == nil {
		t.Deactivate = []string{}
	}
}

// pickBrands samples n brands without replacement, favouring big ones (weight √parts), and
// returns them in catalog order.
func pickBrands(brands []brand, n int, rng *rand.Rand) []string {
	type kv struct {
		key float64
		i   int
	}
	ks := make([]kv, len(brands))
	for i := range brands {
		ks[i] = kv{math.Pow(rng.Float64(), 1/math.Sqrt(float64(brands[i].parts))), i}
	}
	slices.SortFunc(ks, func(a, b kv) int {
		switch {
		case a.key > b.key:
			return -1
		case a.key < b.key:
			return 1
		}
		return a.i - b.i
	})
	idx := make([]int, 0, n)
	for _, k := range ks[:min(n, len(ks))] {
		idx = append(idx, k.i)
	}
	slices.Sort(idx)
	out := make([]string, len(idx))
	for i, bi := range idx {
		out[i] = brands[bi].name
	}
	return out
}

// pickParts returns up to n distinct part numbers from subscribed brands (in=true) or from the
// others.
func pickParts(brands []brand, subscribed []string, in bool, n int, rng *rand.Rand) []string {
	var pool []int
	for i := range brands {
		if slices.Contains(subscribed, brands[i].name) == in {
			pool = append(pool, i)
		}
	}
	if len(pool) == 0 || n == 0 {
		return nil
	}
	var out []string
	for tries := 0; len(out) < n && tries < 4*n; tries++ {
		b := &brands[pool[rng.IntN(len(pool))]]
		pn := b.partNumber(rng.IntN(b.parts))
		if !slices.Contains(out, pn) {
			out = append(out, pn)
		}
	}
	return out
}

func slugify(s string) string { return brandSlug(s) }

func uniqueID(base string, used map[string]bool) string {
	id := base
	for i := 2; used[id]; i++ {
		id = base + "-" + strconv.Itoa(i)
	}
	used[id] = true
	return id
}
