package gen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// The tenants' store network: the stores of the retail chains, the dealers of the
// manufacturers and the stock-sharing grants between them.
//
//   - Every RETAIL tenant is a chain with 2-40 stores (most have a handful, some 40) in its
//     market: real cities with coordinates jittered a few km, plausible street addresses,
//     postal codes and phone numbers; about 5% of them are closed (active false) and a few
//     have no coordinates. The tiny profile's chain, demo-rhein-quad, has four stores, the
//     last without coordinates.
//   - Every MANUFACTURER tenant that subscribes to its own brand lists 10-200 dealers: the
//     shops (1-3 each) of RESELLER, HYBRID or STANDARD tenants, resellers most likely, each
//     shop one location with coordinates and linkedTenantId naming the reseller. A
//     reseller's shops are the same in every manufacturer's list.
//   - Every linked reseller subscribes to the manufacturer's brand (makeNetwork adds the
//     subscription when it had none), and about 90% of them grant the manufacturer stock
//     sharing, half EXACT and half BUCKET, with a lowThreshold of 1-5; the other 10% share
//     nothing, so the locator's "only those that share" rule shows.
//
// Locations draw from their own random streams, per tenant, so one tenant's stores do not
// depend on another's. The tiny profile has no manufacturer, so no dealers and no grants.

// Location is one of a tenant's stores or dealers in tenants.json, with the JSON names of
// the API's locations (PUT /api/app/locations).
type Location struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	Address    string `json:"address"`
	City       string `json:"city"`
	PostalCode string `json:"postalCode"`
	// Country is the country's full name, as dealers show it ("Finland").
	Country string `json:"country"`
	Phone   string `json:"phone"`   // "" when not known
	Website string `json:"website"` // "" when not known
	// Lat and Lng are WGS84 degrees, null for a store not yet placed on the map.
	Lat    *float64 `json:"lat"`
	Lng    *float64 `json:"lng"`
	Active bool     `json:"active"`
	// LinkedTenantID names the tenant a dealer is a shop of ("" for the tenant's own
	// stores).
	LinkedTenantID string `json:"linkedTenantId"`
}

// Grant is a stock-sharing grant in tenants.json, given by the tenant that lists it: it
// shares its stock with TenantID (a manufacturer) at Precision EXACT (counts) or BUCKET
// (in stock / low / out, low = 1..LowThreshold), as PUT /api/app/stock-sharing/:tenantId.
type Grant struct {
	TenantID     string `json:"tenantId"`
	Precision    string `json:"precision"`
	LowThreshold int    `json:"lowThreshold"`
}

// Sharing precisions.
const (
	PrecisionExact  = "EXACT"
	PrecisionBucket = "BUCKET"
)

// Random streams of the network, xor the tenant's index << 32.
const (
	streamStores = 0x7374_6f72
	streamShops  = 0x7368_6f70
	streamLinks  = 0x6c69_6e6b
)

// shop is a store of a reseller as its dealers show it.
type shop struct {
	name, address, city, postal, country, phone, website string
	lat, lng                                             float64
}

// makeNetwork gives the chains their stores and the manufacturers their dealers, and the
// dealers' tenants their grants and the brand subscriptions those need. It runs after
// makeTenants and before the offers, whose plans it changes through the subscriptions.
func makeNetwork(brands []brand, tenants []Tenant, seed uint64) error {
	demo := len(tenants) <= 3
	for i := range tenants {
		t := &tenants[i]
		if t.Type == TypeRetail {
			t.Locations = chainStores(t, demo, newRand(seed, streamStores^uint64(i)<<32))
		}
	}
	// Every possible dealer's shops, drawn whether or not a manufacturer lists them.
	shops := make([][]shop, len(tenants))
	var cands []int
	for i := range tenants {
		switch tenants[i].Type {
		case TypeReseller, TypeHybrid, TypeStandard:
			shops[i] = resellerShops(&tenants[i], newRand(seed, streamShops^uint64(i)<<32))
			cands = append(cands, i)
		}
	}
	byName := make(map[string]int, len(brands))
	for i := range brands {
		byName[brands[i].name] = i
	}
	addBrand := make([]map[int]bool, len(tenants)) // brands a dealer must subscribe to
	for mi := range tenants {
		m := &tenants[mi]
		if m.Type != TypeManufacturer || len(m.Brands) != 1 || len(cands) == 0 {
			continue
		}
		own, ok := byName[m.Brands[0]]
		if !ok {
			return fmt.Errorf("gen: manufacturer %s: unknown brand %q", m.ID, m.Brands[0])
		}
		rng := newRand(seed, streamLinks^uint64(mi)<<32)
		n := min(len(cands), 10+int(190*math.Pow(rng.Float64(), 2.2)))
		// Weighted sampling without replacement (Efraimidis–Spirakis): resellers first,
		// then hybrids, and shops that sell the brand already.
		type kv struct {
			key float64
			i   int
		}
		ks := make([]kv, len(cands))
		for j, ci := range cands {
			w := map[string]float64{TypeReseller: 6, TypeHybrid: 3, TypeStandard: 1}[tenants[ci].Type]
			if slices.Contains(tenants[ci].Brands, m.Brands[0]) {
				w *= 2
			}
			ks[j] = kv{math.Pow(rng.Float64(), 1/w), ci}
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
		linked := make([]int, 0, n)
		for _, k := range ks[:n] {
			linked = append(linked, k.i)
		}
		slices.Sort(linked)
		code := 0
		for _, ri := range linked {
			r := &tenants[ri]
			for _, s := range shops[ri] {
				code++
				m.Locations = append(m.Locations, s.location(fmt.Sprintf("D%04d", code), r.ID))
			}
			if addBrand[ri] == nil {
				addBrand[ri] = map[int]bool{}
			}
			addBrand[ri][own] = true
			if rng.IntN(10) == 0 {
				continue // a dealer that shares nothing
			}
			g := Grant{TenantID: m.ID, Precision: PrecisionExact, LowThreshold: 1 + rng.IntN(5)}
			if rng.IntN(2) == 0 {
				g.Precision = PrecisionBucket
			}
			r.Grants = append(r.Grants, g)
		}
	}
	idx := newPartIndex(brands)
	for i := range tenants {
		t := &tenants[i]
		slices.SortFunc(t.Grants, func(a, b Grant) int { return strings.Compare(a.TenantID, b.TenantID) })
		if len(addBrand[i]) == 0 {
			continue
		}
		// The subscriptions stay in catalog order, and Activate keeps only parts of brands
		// the tenant does not subscribe.
		sub := map[int]bool{}
		for _, name := range t.Brands {
			sub[byName[name]] = true
		}
		for bi := range addBrand[i] {
			sub[bi] = true
		}
		t.Brands = t.Brands[:0]
		for bi := range brands {
			if sub[bi] {
				t.Brands = append(t.Brands, brands[bi].name)
			}
		}
		t.Activate = slices.DeleteFunc(t.Activate, func(pn string) bool {
			bi, _, ok := idx.lookup(pn)
			return ok && sub[bi]
		})
	}
	return nil
}

// chainStores draws a chain's stores in its market.
func chainStores(t *Tenant, demo bool, rng *rand.Rand) []Location {
	g, ok := geo[t.Country]
	if !ok {
		return nil
	}
	n := 4
	if !demo {
		switch u := rng.IntN(100); {
		case u < 55:
			n = 2 + rng.IntN(4)
		case u < 80:
			n = 6 + rng.IntN(7)
		case u < 93:
			n = 13 + rng.IntN(27)
		default:
			n = 40
		}
	}
	brand := shortName(t.Name)
	site := "https://www." + brandSlug(brand) + "." + g.tld
	phone := rng.IntN(10) > 0 // some chains list no store phones
	out := make([]Location, 0, n)
	inCity := map[string]int{}
	for _, ci := range cityOrder(len(g.cities), n, rng) {
		c := &g.cities[ci]
		inCity[c.name]++
		name := brand + " " + c.name
		if k := inCity[c.name]; k > 1 {
			name += " " + strconv.Itoa(k)
		}
		l := Location{
			Code: fmt.Sprintf("S%02d", len(out)+1), Name: name, Address: streetAddress(&g, rng),
			City: c.name, PostalCode: fill(c.postal, g.letters, rng), Country: g.country,
			Website: site + "/stores/" + brandSlug(c.name), Active: true,
		}
		if inCity[c.name] > 1 {
			l.Website += "-" + strconv.Itoa(inCity[c.name])
		}
		if phone {
			l.Phone = fill(g.phone, "", rng)
		}
		lat, lng := jitter(c, rng)
		noCoords := rng.IntN(100) < 4
		closed := rng.IntN(100) < 5
		if demo {
			// Hand-checkable: all open, the last one not placed on the map yet.
			noCoords, closed = len(out) == n-1, false
		}
		if !noCoords {
			l.Lat, l.Lng = &lat, &lng
		}
		l.Active = !closed
		out = append(out, l)
	}
	return out
}

// resellerShops draws a reseller's 1-3 shops in its market: where its dealers are.
func resellerShops(t *Tenant, rng *rand.Rand) []shop {
	g, ok := geo[t.Country]
	if !ok {
		return nil
	}
	n := 1
	switch u := rng.IntN(10); {
	case u >= 9:
		n = 3
	case u >= 6:
		n = 2
	}
	site := ""
	if rng.IntN(10) < 8 {
		site = "https://www." + brandSlug(shortName(t.Name)) + "." + g.tld
	}
	var out []shop
	for _, ci := range cityOrder(len(g.cities), n, rng) {
		c := &g.cities[ci]
		s := shop{name: t.Name, address: streetAddress(&g, rng), city: c.name,
			postal: fill(c.postal, g.letters, rng), country: g.country, website: site}
		if n > 1 {
			s.name += " (" + c.name + ")"
		}
		if rng.IntN(20) > 0 {
			s.phone = fill(g.phone, "", rng)
		}
		s.lat, s.lng = jitter(c, rng)
		out = append(out, s)
	}
	return out
}

func (s *shop) location(code, linked string) Location {
	lat, lng := s.lat, s.lng
	return Location{Code: code, Name: s.name, Address: s.address, City: s.city, PostalCode: s.postal,
		Country: s.country, Phone: s.phone, Website: s.website, Lat: &lat, Lng: &lng, Active: true,
		LinkedTenantID: linked}
}

// cityOrder picks n cities of a market: distinct ones while they last (the bigger, listed
// first, more likely), then again from the start.
func cityOrder(ncities, n int, rng *rand.Rand) []int {
	type kv struct {
		key float64
		i   int
	}
	ks := make([]kv, ncities)
	for i := range ks {
		ks[i] = kv{math.Pow(rng.Float64(), float64(1+i/3)), i}
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
	out := make([]int, n)
	for i := range out {
		out[i] = ks[i%ncities].i
	}
	return out
}

// jitter places a store a few km from its city's centre, rounded to 5 decimals (a metre).
func jitter(c *city, rng *rand.Rand) (lat, lng float64) {
	const sigma = 0.025 // degrees of latitude, about 2.8 km
	dlat := max(-3*sigma, min(3*sigma, rng.NormFloat64()*sigma))
	dlng := max(-3*sigma, min(3*sigma, rng.NormFloat64()*sigma)) / math.Cos(c.lat*math.Pi/180)
	return round5(c.lat + dlat), round5(c.lng + dlng)
}

func round5(x float64) float64 { return math.Round(x*1e5) / 1e5 }

func streetAddress(g *geography, rng *rand.Rand) string {
	st := g.streets[rng.IntN(len(g.streets))]
	n := strconv.Itoa(1 + int(120*math.Pow(rng.Float64(), 2)))
	if g.numberFirst {
		return n + " " + st
	}
	return st + " " + n
}

// fill expands a pattern: '#' a digit, '%' a digit but 0, '@' one of letters.
func fill(pattern, letters string, rng *rand.Rand) string {
	if letters == "" {
		letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
	}
	b := make([]byte, 0, len(pattern))
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; c {
		case '#':
			b = append(b, byte('0'+rng.IntN(10)))
		case '%':
			b = append(b, byte('1'+rng.IntN(9)))
		case '@':
			b = append(b, letters[rng.IntN(len(letters))])
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

// legalSuffixes are the company-form words shortName drops.
var legalSuffixes = func() []string {
	var out []string
	for _, m := range markets {
		out = append(out, m.suffix)
	}
	return out
}()

// shortName is a tenant's name without its company form: "Alpine Moto AB" → "Alpine Moto".
func shortName(name string) string {
	for _, s := range legalSuffixes {
		if rest, ok := strings.CutSuffix(name, " "+s); ok {
			return rest
		}
	}
	return name
}
