package engine

import (
	"maps"
	"sync"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fitment/fitment/snapshot"
)

// View is one tenant's state at one moment: what it sees of the catalog (its visibility:
// visible parts, the vehicles they fit, a year × model presence table), its offers (price
// and stock per part) and its aliases, all against one catalog. A View is immutable and
// safe for concurrent readers; a change makes a new one.
//
// Visibility is kept apart from offers: a feed that only moves prices or stock makes a View
// that shares the old one's visibility (same VisibilityGen), so what was derived from
// visibility alone — cascade answers — stays valid.
type View struct {
	*visibility
	gen     uint64 // unique per view: names everything it answers
	cat     *catalog
	offers  *offers
	aliases *aliasTable

	// The inputs visibility is derived from.
	subs     map[string]string // Key(brand) → brand as stored
	on, off  *roaring.Bitmap   // parts activated, and deactivated, one by one
	perBrand map[uint32]*brandSet
	// orphans holds the settings of part numbers the catalog does not have (they left it,
	// or a replayed change names a part of another catalog): kept, never served.
	orphans map[string]orphan

	// Stores and dealers, the stock of each location (stock+1 per part id, 0 = none) by
	// the location's index in locs.list (nil where none; the slice is empty or as long as
	// the list), and the stock-sharing grants the tenant gave, by tenant id.
	locs       *locations
	locStock   []*stockList
	grants     map[string]Grant
	locOrphans map[string]map[string]uint32 // Key(code) → part number → stock+1, for parts the catalog lacks

	ext *extension // the tenant's own vehicles and parts
}

// Activation is a tenant's explicit setting for one part.
type Activation uint8

const (
	// Unset: the part follows its brand subscription.
	Unset Activation = iota
	// Activated: visible whatever the subscriptions.
	Activated
	// Deactivated: hidden even when its brand is subscribed.
	Deactivated
)

type orphan struct {
	number string // as given
	active Activation
	offer  Offer
}

// visibility is what a tenant sees of the catalog. Views share it until an activation or
// subscription changes.
type visibility struct {
	gen      uint64
	parts    *roaring.Bitmap // visible parts, universal ones included
	fit      *roaring.Bitmap // visible parts that are not universal
	vehicles *roaring.Bitmap // vehicles at least one visible part fits (wildcards inherited)

	// present has bit (year-minYear)*len(Models)+model set when the model has a visible
	// vehicle that year; anyYear has bit model set when it has one in any year. Together
	// about 12 KB a tenant on the eu profile, they answer makes and models with bit tests.
	present []uint64
	anyYear []uint64

	// Answers computed once per visibility: they change only when it does.
	years [5]struct {
		once  sync.Once
		years []int
	} // by snapshot.VehicleType, 0 = any type
	catsOnce   sync.Once
	categories []CategoryRef
	catUsed    []bool // by category: a visible part is in it or below (with categories)

	ext []int // visible own vehicles (indexes into the view's extension)
}

type brandSet struct {
	parts *roaring.Bitmap // visible parts of the brand, universal ones included
	cover *roaring.Bitmap // vehicles the brand's visible non-universal parts fit directly
}

// generation numbers visibilities and offer tables across every engine of the process, so
// that (tenant, generation) names one state for as long as the process lives.
var generation atomic.Uint64

func nextGen() uint64 { return generation.Add(1) }

// VisibilityGen names the view's visibility: equal for two views of a tenant when and only
// when they see the same parts (answers derived from visibility alone may be shared).
func (v *View) VisibilityGen() uint64 { return v.visibility.gen }

// OffersGen names the view's offers in the same way.
func (v *View) OffersGen() uint64 { return v.offers.gen }

// Gen names the view itself: every change of the tenant makes a view with a new one.
func (v *View) Gen() uint64 { return v.gen }

// Version is the version of the catalog the view reads.
func (v *View) Version() string { return v.cat.version }

// emptyView is the state of a tenant with no settings at all against cat.
func (k *catalog) emptyView() *View {
	return &View{
		visibility: newVisibility(k, roaring.New(), roaring.New(), 0),
		cat:        k,
		offers:     newOffers(len(k.Parts), 0),
		aliases:    emptyAliases,
		subs:       map[string]string{},
		on:         roaring.New(),
		off:        roaring.New(),
		perBrand:   map[uint32]*brandSet{},
		orphans:    map[string]orphan{},
		locs:       noLocations,
		grants:     map[string]Grant{},
		locOrphans: map[string]map[string]uint32{},
		ext:        noExtension,
	}
}

func newVisibility(cat *catalog, parts, vehicles *roaring.Bitmap, gen uint64) *visibility {
	v := &visibility{gen: gen, parts: parts, fit: roaring.AndNot(parts, cat.universal), vehicles: vehicles}
	nm := len(cat.Models)
	v.present = make([]uint64, (cat.nYears*nm+63)/64)
	v.anyYear = make([]uint64, (nm+63)/64)
	// One step per visible model-year: model-years are contiguous, wildcard first.
	it := vehicles.Iterator()
	for it.HasNext() {
		id := it.PeekNext()
		veh := &cat.Vehicles[id]
		bit := (int(veh.Year)-cat.minYear)*nm + int(veh.Model)
		v.present[bit/64] |= 1 << (bit % 64)
		v.anyYear[veh.Model/64] |= 1 << (veh.Model % 64)
		it.AdvanceIfNeeded(cat.yearEnd[cat.wildcard[id]])
	}
	return v
}

// has reports whether model m has a visible vehicle in year (any year when 0).
func (v *View) has(m uint32, year int) bool {
	if year == 0 {
		return v.anyYear[m/64]&(1<<(m%64)) != 0
	}
	y := year - v.cat.minYear
	if y < 0 || y >= v.cat.nYears {
		return false
	}
	bit := y*len(v.cat.Models) + int(m)
	return v.present[bit/64]&(1<<(bit%64)) != 0
}

// activation returns the tenant's explicit setting for part p.
func (v *View) activation(p uint32) Activation {
	switch {
	case v.on.Contains(p):
		return Activated
	case v.off.Contains(p):
		return Deactivated
	}
	return Unset
}

// derive recomputes the brand sets of the dirty brands and the visibility from them.
func (v *View) derive(dirty map[uint32]bool) {
	if len(dirty) == 0 {
		return
	}
	v.perBrand = maps.Clone(v.perBrand)
	for b := range dirty {
		if s := v.brandSet(b); s != nil {
			v.perBrand[b] = s
		} else {
			delete(v.perBrand, b)
		}
	}
	v.visibility = v.buildVisibility()
}

// deriveAll recomputes every brand (after a restore or a catalog change).
func (v *View) deriveAll() {
	dirty := map[uint32]bool{}
	for key := range v.subs {
		if b, ok := v.cat.brandByKey[key]; ok {
			dirty[b] = true
		}
	}
	for _, set := range []*roaring.Bitmap{v.on, v.off} {
		it := set.Iterator()
		for it.HasNext() {
			dirty[v.cat.Parts[it.Next()].Brand] = true
		}
	}
	v.perBrand = map[uint32]*brandSet{}
	v.derive(dirty)
	if len(dirty) == 0 {
		v.visibility = v.buildVisibility()
	}
}

// brandSet derives brand b's visible parts and their cover from the subscriptions and the
// explicit settings of the brand's parts alone.
func (v *View) brandSet(b uint32) *brandSet {
	cat := v.cat
	all := cat.brandParts[b]
	if _, subscribed := v.subs[snapshot.Key(cat.Brands[b])]; subscribed {
		gone := roaring.And(v.off, all)
		if gone.IsEmpty() {
			return &brandSet{parts: all, cover: cat.BrandVehicles.Get(int(b))}
		}
		parts := roaring.AndNot(all, gone)
		if parts.IsEmpty() {
			return nil
		}
		return &brandSet{parts: parts, cover: subscribedCover(cat, b, parts, gone)}
	}
	parts := roaring.And(v.on, all)
	if parts.IsEmpty() {
		return nil
	}
	return &brandSet{parts: parts, cover: unionCover(cat, parts)}
}

// unionCover is the set of vehicles that some part of parts fits directly: for a brand
// whose parts are activated one by one, so there are few.
func unionCover(cat *catalog, parts *roaring.Bitmap) *roaring.Bitmap {
	fit := roaring.AndNot(parts, cat.universal)
	covers := make([]*roaring.Bitmap, 0, fit.GetCardinality())
	it := fit.Iterator()
	for it.HasNext() {
		if p := it.Next(); !cat.PartVehicles.Empty(int(p)) {
			covers = append(covers, cat.PartVehicles.Get(int(p)))
		}
	}
	return roaring.FastOr(covers...)
}

// subscribedCover is the cover of a subscribed brand some of whose parts (gone) are
// deactivated. Unioning every remaining part would cost one bitmap per part of the brand
// (hundreds of thousands for the largest); instead start from the whole brand's cover and
// drop the vehicles that only deactivated parts reached: those a deactivated part fits and
// no visible part of the brand does.
func subscribedCover(cat *catalog, b uint32, parts, gone *roaring.Bitmap) *roaring.Bitmap {
	var reached []*roaring.Bitmap
	it := gone.Iterator()
	for it.HasNext() {
		if p := it.Next(); !cat.PartVehicles.Empty(int(p)) {
			reached = append(reached, cat.PartVehicles.Get(int(p)))
		}
	}
	cover := cat.BrandVehicles.Get(int(b)).Clone()
	fit := roaring.AndNot(parts, cat.universal)
	vt := roaring.FastOr(reached...).Iterator()
	for vt.HasNext() {
		veh := vt.Next()
		if !cat.VehicleParts.Get(int(veh)).Intersects(fit) {
			cover.Remove(veh)
		}
	}
	return cover
}

// buildVisibility unions the brand sets and expands wildcard coverage to concrete submodels.
func (v *View) buildVisibility() *visibility {
	cat := v.cat
	parts := make([]*roaring.Bitmap, 0, len(v.perBrand))
	covers := make([]*roaring.Bitmap, 0, len(v.perBrand))
	for _, s := range v.perBrand {
		parts = append(parts, s.parts)
		covers = append(covers, s.cover)
	}
	visible := roaring.FastOr(parts...)
	direct := roaring.FastOr(covers...)
	x := v.ext
	var extUniversal []uint32
	for _, seq := range x.sorted { // own parts are always visible to their tenant
		id := cat.extID(seq)
		visible.Add(id)
		if x.parts[seq].Universal {
			extUniversal = append(extUniversal, id)
		}
	}
	for id := range x.centralFits {
		direct.Add(id)
	}
	// A concrete submodel is visible when it or its wildcard has a visible part; the
	// wildcard leads its model-year, so the whole model-year range lights up.
	vehicles := direct.Clone()
	it := roaring.And(direct, cat.wildcards).Iterator()
	for it.HasNext() {
		w := it.Next()
		vehicles.AddRange(uint64(w), uint64(cat.yearEnd[w]))
	}
	vis := newVisibility(cat, visible, vehicles, nextGen())
	if len(extUniversal) > 0 {
		for _, id := range extUniversal {
			vis.fit.Remove(id)
		}
	}
	// An own vehicle is visible when an own part fits it, or (a concrete submodel) when
	// its model-year's wildcard, the catalog's or own, has a visible part.
	for i := range x.vehicles {
		ev := &x.vehicles[i]
		ok := len(x.ownFits[i]) > 0
		if !ok && ev.Submodel != "" {
			if w, central := cat.vehicleByID[ev.wildcard]; central {
				ok = direct.Contains(w)
			} else {
				ok = len(x.ownFits[x.vehByID[ev.wildcard]]) > 0
			}
		}
		if ok {
			vis.ext = append(vis.ext, i)
		}
	}
	return vis
}

// partNumber is the canonical number of part p.
func (v *View) partNumber(p uint32) string {
	if int(p) < len(v.cat.Parts) {
		return v.cat.Parts[p].Number
	}
	return v.extPart(p).PartNumber
}
