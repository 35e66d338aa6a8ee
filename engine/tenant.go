package engine

import (
	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fitment/fitment/snapshot"
)

// tenant holds one tenant's state (as the tenant store has it) and the sets derived from
// it against the current catalog. It is owned by the Engine's writer lock; readers only
// ever see the immutable Views it publishes.
type tenant struct {
	brands map[string]string // Key(brand) → brand as given
	items  map[string]Item   // Key(part number) → item

	// Derived against cat: per brand with any visible part, that brand's visible parts and
	// the vehicles they fit directly. A change touching brand b recomputes only b.
	cat      *catalog
	perBrand map[uint32]*brandSet
	view     *View
}

type brandSet struct {
	parts *roaring.Bitmap // visible parts of the brand, universal ones included
	cover *roaring.Bitmap // vehicles the brand's visible non-universal parts fit directly
}

func newTenant() *tenant {
	return &tenant{brands: map[string]string{}, items: map[string]Item{}}
}

// rebase derives everything afresh against cat (after a catalog load or a full reset).
func (t *tenant) rebase(cat *catalog) {
	t.cat = cat
	t.perBrand = map[uint32]*brandSet{}
	dirty := map[uint32]bool{}
	for key := range t.brands {
		if b, ok := cat.brandByKey[key]; ok {
			dirty[b] = true
		}
	}
	for key := range t.items {
		if p, ok := cat.partByKey[key]; ok {
			dirty[cat.Parts[p].Brand] = true
		}
	}
	t.refresh(dirty)
}

// apply records a change and re-derives the brands it touches.
func (t *tenant) apply(ch TenantChange) {
	dirty := map[uint32]bool{}
	touch := func(brandKey string) {
		if t.cat == nil {
			return
		}
		if b, ok := t.cat.brandByKey[brandKey]; ok {
			dirty[b] = true
		}
	}
	for _, b := range ch.Subscribe {
		k := snapshot.Key(b)
		t.brands[k] = b
		touch(k)
	}
	for _, b := range ch.Unsubscribe {
		k := snapshot.Key(b)
		delete(t.brands, k)
		touch(k)
	}
	for pn, it := range ch.Items {
		k := snapshot.Key(pn)
		t.items[k] = it
		if t.cat != nil {
			if p, ok := t.cat.partByKey[k]; ok {
				dirty[t.cat.Parts[p].Brand] = true
			}
		}
	}
	if t.cat != nil {
		t.refresh(dirty)
	}
}

// refresh recomputes the brand sets of the dirty brands and publishes a new view.
func (t *tenant) refresh(dirty map[uint32]bool) {
	cat := t.cat
	if len(dirty) > 0 {
		// Items grouped by brand, for the dirty brands only.
		overrides := map[uint32][]itemAt{}
		for key, it := range t.items {
			if p, ok := cat.partByKey[key]; ok && dirty[cat.Parts[p].Brand] {
				overrides[cat.Parts[p].Brand] = append(overrides[cat.Parts[p].Brand], itemAt{p, it})
			}
		}
		for b := range dirty {
			if s := t.brandSet(b, overrides[b]); s != nil {
				t.perBrand[b] = s
			} else {
				delete(t.perBrand, b)
			}
		}
	}
	t.view = t.buildView()
}

type itemAt struct {
	part uint32
	item Item
}

func (t *tenant) brandSet(b uint32, overrides []itemAt) *brandSet {
	cat := t.cat
	_, subscribed := t.brands[snapshot.Key(cat.Brands[b])]
	parts := roaring.New()
	if subscribed {
		parts.Or(cat.brandParts[b])
	}
	changed := false // does any override change the set a subscription alone gives?
	for _, o := range overrides {
		switch a := o.item.Active; {
		case a == nil || *a == subscribed:
			// follows the subscription
		case *a:
			parts.Add(o.part)
			changed = true
		default:
			parts.Remove(o.part)
			changed = true
		}
	}
	if parts.IsEmpty() {
		return nil
	}
	s := &brandSet{parts: parts}
	switch {
	case subscribed && !changed:
		s.cover = cat.BrandVehicles.Get(int(b))
	case subscribed:
		s.cover = subscribedCover(cat, b, parts, overrides)
	default:
		s.cover = unionCover(cat, parts)
	}
	return s
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

// subscribedCover is the cover of a subscribed brand some of whose parts are deactivated.
// Unioning every remaining part would cost one bitmap per part of the brand (hundreds of
// thousands for the largest); instead start from the whole brand's cover and drop the
// vehicles that only deactivated parts reached: those a deactivated part fits and no
// visible part of the brand does.
func subscribedCover(cat *catalog, b uint32, parts *roaring.Bitmap, overrides []itemAt) *roaring.Bitmap {
	var gone []*roaring.Bitmap
	for _, o := range overrides {
		if o.item.Active != nil && !*o.item.Active && !cat.PartVehicles.Empty(int(o.part)) {
			gone = append(gone, cat.PartVehicles.Get(int(o.part)))
		}
	}
	cover := cat.BrandVehicles.Get(int(b)).Clone()
	fit := roaring.AndNot(parts, cat.universal)
	it := roaring.FastOr(gone...).Iterator()
	for it.HasNext() {
		v := it.Next()
		if !cat.VehicleParts.Get(int(v)).Intersects(fit) {
			cover.Remove(v)
		}
	}
	return cover
}

// buildView unions the brand sets and expands wildcard coverage to concrete submodels.
func (t *tenant) buildView() *View {
	cat := t.cat
	parts := make([]*roaring.Bitmap, 0, len(t.perBrand))
	covers := make([]*roaring.Bitmap, 0, len(t.perBrand))
	for _, s := range t.perBrand {
		parts = append(parts, s.parts)
		covers = append(covers, s.cover)
	}
	visible := roaring.FastOr(parts...)
	direct := roaring.FastOr(covers...)
	// A concrete submodel is visible when it or its wildcard has a visible part; the
	// wildcard leads its model-year, so the whole model-year range lights up.
	vehicles := direct.Clone()
	it := roaring.And(direct, cat.wildcards).Iterator()
	for it.HasNext() {
		w := it.Next()
		vehicles.AddRange(uint64(w), uint64(cat.yearEnd[w]))
	}
	items := make(map[uint32]Item)
	for key, it := range t.items {
		if p, ok := cat.partByKey[key]; ok && (it.Price != nil || it.Stock != nil) {
			items[p] = it
		}
	}
	v := newView(cat, visible, vehicles, items)
	return v
}
