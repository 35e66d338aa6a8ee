package engine

import (
	"math"
	"sort"
	"strings"

	"github.com/fitment/fitment/snapshot"
)

// Location is one of a tenant's stores or dealers. A dealer linked to another tenant
// (LinkedTenantID) shows that tenant's stock when it shares its stock with this one.
type Location struct {
	Code           string   `json:"code"`
	Name           string   `json:"name"`
	Address        string   `json:"address"`
	City           string   `json:"city"`
	PostalCode     string   `json:"postalCode"`
	Country        string   `json:"country"`
	Phone          string   `json:"phone"`
	Website        string   `json:"website"`
	Lat            *float64 `json:"lat"`
	Lng            *float64 `json:"lng"`
	Active         bool     `json:"active"`
	LinkedTenantID string   `json:"linkedTenantId"`
}

// Dealer is an active location as the storefront lists it [compat].
type Dealer struct {
	Name       string   `json:"name"`
	Address    string   `json:"address"`
	City       string   `json:"city"`
	PostalCode string   `json:"postalCode"`
	Country    string   `json:"country"`
	Phone      string   `json:"phone"`
	Website    string   `json:"website"`
	Lat        *float64 `json:"lat"`
	Lng        *float64 `json:"lng"`
}

func (l *Location) dealer() Dealer {
	return Dealer{Name: l.Name, Address: l.Address, City: l.City, PostalCode: l.PostalCode, Country: l.Country,
		Phone: l.Phone, Website: l.Website, Lat: l.Lat, Lng: l.Lng}
}

// locations is a tenant's locations with what queries need of them, immutable: a change
// of any location builds a new one (they change seldom; their stock is kept apart).
type locations struct {
	gen     uint64
	list    []Location     // by Key(Code)
	keys    []string       // Key(list[i].Code)
	byKey   map[string]int // Key(Code) → index in list
	linked  []string       // the tenants locations link to, each once
	linkOf  []int32        // list index → index in linked, -1 for none
	dealers []int          // the active ones, by country, then name, then code
	near    *nearIndex     // the active ones with coordinates
	nearLoc []int          // near's point → index in list
}

var noLocations = newLocations(nil, 0)

func newLocations(list []Location, gen uint64) *locations {
	sort.Slice(list, func(i, j int) bool { return snapshot.Key(list[i].Code) < snapshot.Key(list[j].Code) })
	ls := &locations{gen: gen, list: list, keys: make([]string, len(list)), byKey: make(map[string]int, len(list)),
		linkOf: make([]int32, len(list))}
	var pts []latLng
	linkIdx := map[string]int32{}
	for i := range list {
		l := &list[i]
		ls.keys[i] = snapshot.Key(l.Code)
		ls.byKey[ls.keys[i]] = i
		ls.linkOf[i] = -1
		if id := l.LinkedTenantID; id != "" {
			k, ok := linkIdx[id]
			if !ok {
				k = int32(len(ls.linked))
				linkIdx[id] = k
				ls.linked = append(ls.linked, id)
			}
			ls.linkOf[i] = k
		}
		if !l.Active {
			continue
		}
		ls.dealers = append(ls.dealers, i)
		if l.Lat != nil && l.Lng != nil {
			pts = append(pts, latLng{*l.Lat, *l.Lng})
			ls.nearLoc = append(ls.nearLoc, i)
		}
	}
	sort.SliceStable(ls.dealers, func(a, b int) bool {
		x, y := &list[ls.dealers[a]], &list[ls.dealers[b]]
		if kx, ky := strings.ToLower(x.Country), strings.ToLower(y.Country); kx != ky {
			return kx < ky
		}
		return strings.ToLower(x.Name) < strings.ToLower(y.Name)
	})
	ls.near = newNearIndex(pts)
	return ls
}

// with returns the locations after putting puts (upserts by code) and deleting dels.
func (ls *locations) with(puts []Location, dels map[string]bool) *locations {
	byKey := make(map[string]Location, len(ls.list)+len(puts))
	for _, l := range ls.list {
		byKey[snapshot.Key(l.Code)] = l
	}
	for _, l := range puts {
		byKey[snapshot.Key(l.Code)] = l
	}
	for k := range dels {
		delete(byKey, k)
	}
	list := make([]Location, 0, len(byKey))
	for _, l := range byKey {
		list = append(list, l)
	}
	return newLocations(list, nextGen())
}

// stockAt is the stock table of location li (an index in locs.list), nil for none.
func (v *View) stockAt(li int) *stockList {
	if li < len(v.locStock) {
		return v.locStock[li]
	}
	return nil
}

// stockOf is the stock table of the location of a code, nil for none.
func (v *View) stockOf(code string) *stockList {
	if li, ok := v.locs.byKey[snapshot.Key(code)]; ok {
		return v.stockAt(li)
	}
	return nil
}

// carryStock moves location stock held by index in ls to the indexes of next, the
// locations after a change: a location that next lacks loses its stock.
func (ls *locations) carryStock(stock []*stockList, next *locations) []*stockList {
	if len(stock) == 0 {
		return nil
	}
	out := make([]*stockList, len(next.list))
	for i, t := range stock {
		if j, ok := next.byKey[ls.keys[i]]; ok && t != nil {
			out[j] = t
		}
	}
	return out
}

// LocationsGen names the view's locations as VisibilityGen names its visibility.
func (v *View) LocationsGen() uint64 { return v.locs.gen }

// Dealers lists the active locations, by country, then name [compat].
func (v *View) Dealers() []Dealer {
	out := make([]Dealer, 0, len(v.locs.dealers))
	for _, i := range v.locs.dealers {
		out = append(out, v.locs.list[i].dealer())
	}
	return out
}

// Locations lists every location, in code order (case-insensitively).
func (v *View) Locations() []Location { return v.locs.list }

// Location returns the location of a code.
func (v *View) Location(code string) (Location, bool) {
	i, ok := v.locs.byKey[snapshot.Key(code)]
	if !ok {
		return Location{}, false
	}
	return v.locs.list[i], true
}

// LocatePostalCode is where the tenant's locations with a postal code (compared without
// spaces, case-insensitively) in a country (case-insensitively; "" any) are: the mean of
// their coordinates.
func (v *View) LocatePostalCode(postalCode, country string) (lat, lng float64, ok bool) {
	norm := func(s string) string { return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", "")) }
	pc := norm(postalCode)
	var x, y, z float64
	n := 0
	for i := range v.locs.list {
		l := &v.locs.list[i]
		if l.Lat == nil || l.Lng == nil || norm(l.PostalCode) != pc || country != "" && !strings.EqualFold(strings.TrimSpace(l.Country), strings.TrimSpace(country)) {
			continue
		}
		// Average on the sphere, not in degrees: a mean of longitudes breaks at ±180.
		la, lo := *l.Lat*math.Pi/180, *l.Lng*math.Pi/180
		x += math.Cos(la) * math.Cos(lo)
		y += math.Cos(la) * math.Sin(lo)
		z += math.Sin(la)
		n++
	}
	if n == 0 {
		return 0, 0, false
	}
	return math.Atan2(z, math.Hypot(x, y)) * 180 / math.Pi, math.Atan2(y, x) * 180 / math.Pi, true
}

// Sharing precisions.
const (
	Exact  = "EXACT"
	Bucket = "BUCKET"
)

// DefaultLowThreshold is the stock at or under which a part is "low" where no grant says
// otherwise (the tenant's own locations).
const DefaultLowThreshold = 2

// Grant is a tenant's permission for another to show its stock: exact counts, or only
// in stock / low (1..LowThreshold) / out.
type Grant struct {
	Precision    string `json:"precision"`
	LowThreshold int    `json:"lowThreshold"`
}

// GrantChange sets (Grant non-nil) or revokes the grant to a tenant.
type GrantChange struct {
	Tenant string
	Grant  *Grant
}

// SharingGrant is a grant as the portal lists it: given to To, or received from From.
type SharingGrant struct {
	Tenant string `json:"tenantId"`
	Grant
}

// GrantsGiven lists the tenant's grants, by tenant id.
func (v *View) GrantsGiven() []SharingGrant {
	out := make([]SharingGrant, 0, len(v.grants))
	for id, g := range v.grants {
		out = append(out, SharingGrant{Tenant: id, Grant: g})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Tenant < out[j].Tenant })
	return out
}

// GrantsReceived lists the grants other tenants gave tenantID, by tenant id.
func (e *Engine) GrantsReceived(tenantID string) []SharingGrant {
	out := []SharingGrant{}
	e.tenants.Range(func(k, s any) bool {
		if v := s.(*slot).view.Load(); v != nil {
			if g, ok := v.grants[tenantID]; ok {
				out = append(out, SharingGrant{Tenant: k.(string), Grant: g})
			}
		}
		return true
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Tenant < out[j].Tenant })
	return out
}

// Availability words of the stock locator [compat].
const (
	InStock = "in_stock"
	Low     = "low"
)

// DealerStock is a dealer holding a part, as the stock locator lists it [compat]. Stock is
// null where the sharing precision is BUCKET.
type DealerStock struct {
	Dealer
	DistanceKm   float64 `json:"distanceKm"`
	Availability string  `json:"availability"`
	Stock        *int64  `json:"stock"`
}

// NearbyStock lists the tenant's dealers that hold a part (by number or alias), nearest
// first from (lat, lng), at most limit: its own locations by their location stock, and the
// dealers linked to tenants that share their stock with it, by that stock at the grant's
// precision. Dealers without coordinates are not listed.
func (e *Engine) NearbyStock(tenantID, partRef string, lat, lng float64, limit int) ([]DealerStock, error) {
	v, err := e.View(tenantID)
	if err != nil {
		return nil, err
	}
	p, ok := v.resolve(partRef, ResolveActive)
	if !ok {
		return nil, notFoundf("part %s is not in this catalog", strings.TrimSpace(partRef))
	}
	central := int(p) < len(v.cat.Parts) // another tenant can hold only a part of the catalog
	ls := v.locs
	// shared is what a tenant the dealers link to shares with this one of the part: its
	// stock (ok: > 0) at its grant.
	shared := func(k int32) (n int64, g Grant, ok bool) {
		id := ls.linked[k]
		if id == tenantID || !central {
			return 0, Grant{}, false
		}
		if r, err := e.View(id); err == nil {
			g, ok = r.grants[tenantID] // absent: never granted, or revoked
			q := p
			if r.cat != v.cat { // a swap published between the two views: find the part by number
				if q, ok = r.cat.partByKey[snapshot.Key(v.cat.Parts[p].Number)]; !ok {
					return 0, Grant{}, false
				}
			}
			n, _ = r.offers.get(q).Stock()
		}
		return n, g, ok && n > 0
	}
	// holds says whether dealer (near point) i holds the part: by its own location stock,
	// else by what the tenant it is linked to shares, looked up once per request (a tenant
	// has many shops): known[k] is 0 before, then 1 (shares none) or 2.
	known := make([]uint8, len(ls.linked))
	holds := func(i int) bool {
		li := ls.nearLoc[i]
		if v.stockAt(li).get(p) > 1 {
			return true
		}
		k := ls.linkOf[li]
		if k < 0 {
			return false
		}
		if known[k] == 0 {
			_, _, ok := shared(k)
			known[k] = 1 + uint8(b2i(ok))
		}
		return known[k] == 2
	}
	// holding is what a dealer that holds the part shows: its stock at its precision.
	holding := func(i int) (n int64, g Grant) {
		li := ls.nearLoc[i]
		if s := v.stockAt(li).get(p); s > 1 {
			return int64(s) - 1, Grant{Precision: Exact, LowThreshold: DefaultLowThreshold}
		}
		n, g, _ = shared(ls.linkOf[li])
		return n, g
	}
	out := make([]DealerStock, 0, max(0, min(limit, len(ls.nearLoc))))
	ls.near.nearestWhere(latLng{lat, lng}, holds, func(i int, km float64) bool {
		n, g := holding(i)
		ds := DealerStock{Dealer: ls.list[ls.nearLoc[i]].dealer(), DistanceKm: math.Round(km*10) / 10, Availability: availability(n, g.LowThreshold)}
		if g.Precision == Exact {
			ds.Stock = &n
		}
		out = append(out, ds)
		return len(out) < limit
	})
	return out, nil
}

func availability(n int64, low int) string {
	if n <= int64(low) {
		return Low
	}
	return InStock
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
