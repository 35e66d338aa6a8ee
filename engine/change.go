package engine

import (
	"maps"
	"slices"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fitment/fitment/snapshot"
)

// Change is one batch of changes to a tenant's state, applied atomically by Update: a
// brand subscription, a portal edit, a feed. Rows apply in order, so a part given twice
// keeps its last value.
type Change struct {
	Subscribe   []string // brand names, stored as given (callers pass the catalog's spelling)
	Unsubscribe []string

	Items   []ItemUpdate
	Resolve Resolve // how Items[i].Ref and PutAliases[i].PartNumber find their part
	// ClearStock makes Items a full stock sync: every part the tenant sees that no row of
	// Items names loses its stock ("not tracked"). A row that sets nothing still names its
	// part (a full sync keeps the stock of parts whose rows were rejected).
	ClearStock bool

	PutAliases    []Alias
	DeleteAliases []string // aliases, compared with snapshot.Key

	PutLocations    []Location // upserts by code (snapshot.Key)
	DeleteLocations []string   // codes; a location's stock goes with it
	// LocationStock sets the stock of parts at locations (resolved as Resolve says).
	// ReplaceLocationStock makes it a full sync of every location it names: there, every
	// part the tenant sees that no row names loses its stock.
	LocationStock        []LocationStockUpdate
	ReplaceLocationStock bool

	Grants []GrantChange

	PutVehicles []TenantVehicle // own vehicles (ID = snapshot.VehicleID of the natural key)
	PutParts    []TenantPart    // own parts, upserts by part number
	DeleteParts []string
}

// LocationStockUpdate is one row of a location-stock feed. A row that does not set the
// stock still names its part (a full sync keeps it).
type LocationStockUpdate struct {
	Location string // code
	Ref      string
	SetStock bool
	Stock    int64 // ≤ MaxStock; negative: none
}

// Resolve says how a change's part references find their part.
type Resolve uint8

const (
	// ResolveCatalog: a part of the catalog (any, activated or not), then a tenant alias.
	// Portal edits: they may activate the part.
	ResolveCatalog Resolve = iota
	// ResolveActive: a part the tenant has activated, then a tenant alias to one. Feeds.
	ResolveActive
	// ResolveExact: canonical part numbers, as Update hands them to its commit function.
	// A number the catalog does not hold is kept aside (not served), never reported as not
	// found: replaying a change recorded against another catalog loses nothing.
	ResolveExact
)

// ItemUpdate changes one part's settings. Fields apply only when their Set flag is true.
type ItemUpdate struct {
	Ref string // part number or alias, as given

	SetActive bool
	Active    Activation
	SetPrice  bool
	Price     int64 // cents (≤ MaxPriceCents); negative clears the price
	SetStock  bool
	Stock     int64 // ≤ MaxStock; negative: not tracked
}

// Outcome reports what Update did with each row of a Change.
type Outcome struct {
	Updated  int   // item rows applied that set something
	NotFound []int // indexes of Items whose Ref found no part
	Cleared  int   // parts whose stock ClearStock removed

	Aliases       int   // aliases written
	AliasNotFound []int // indexes of PutAliases whose PartNumber found no part
	AliasIsPart   []int // indexes of PutAliases whose alias is itself a catalog part number
	Deleted       int   // aliases deleted
	DeleteMissing []int // indexes of DeleteAliases that named no alias

	LocationsPut     int
	LocationsDeleted int
	LocationMissing  []int // indexes of DeleteLocations that named no location

	LocationRows       int   // LocationStock rows applied that set a stock
	LocationUnknown    []int // indexes of LocationStock rows whose location does not exist
	LocationPartAbsent []int // indexes of LocationStock rows whose part was not found
	LocationCleared    int   // location stock entries a full sync removed

	Grants int // grants set or revoked

	VehiclesPut      int
	VehicleInCatalog []int // indexes of PutVehicles the catalog has already (they are the catalog's)
	PartsPut         int
	PartInCatalog    []int // indexes of PutParts whose number is a catalog part number
	// PartUnknownCategory: indexes of PutParts whose category is not in the catalog's tree
	// (own parts are filed under the catalog's categories).
	PartUnknownCategory []int
	PartUnknownFit      []UnknownFitment
	PartsDeleted        int
	PartDeleteMissing   []int // indexes of DeleteParts that named no own part
}

// UnknownFitment reports a fitment of PutParts[Part] to a vehicle neither the catalog nor
// the tenant has: Fitments[Fitment].
type UnknownFitment struct {
	Part, Fitment int
}

func (ch *Change) empty() bool {
	return len(ch.Subscribe)+len(ch.Unsubscribe)+len(ch.Items)+len(ch.PutAliases)+len(ch.DeleteAliases)+
		len(ch.PutLocations)+len(ch.DeleteLocations)+len(ch.LocationStock)+len(ch.Grants)+
		len(ch.PutVehicles)+len(ch.PutParts)+len(ch.DeleteParts) == 0 &&
		!ch.ClearStock && !ch.ReplaceLocationStock
}

// resolve finds the part a reference names under mode r: a part of the catalog (one the
// tenant sees, for ResolveActive), then one of the tenant's own parts, then a tenant alias.
func (v *View) resolve(ref string, r Resolve) (uint32, bool) {
	p, ok := v.cat.part(ref)
	switch r {
	case ResolveExact, ResolveCatalog:
		if ok {
			return p, true
		}
	case ResolveActive:
		if ok && v.parts.Contains(p) {
			return p, true
		}
	}
	if !v.ext.empty() || v.aliases.n > 0 {
		key := snapshot.Key(ref)
		if seq, ok := v.ext.byKey[key]; ok {
			return v.cat.extID(seq), true
		}
		if r == ResolveExact {
			return 0, false
		}
		if a, ok := v.aliases.get(key); ok && a.part != snapshot.None {
			if r == ResolveCatalog || v.parts.Contains(a.part) {
				return a.part, true
			}
		}
	}
	return 0, false
}

// with returns the view that ch makes of v, what became of each row, and ch as resolved:
// canonical part numbers under ResolveExact, rows that found nothing left out. v itself is
// not modified (views are immutable); everything changed is copied first.
func (v *View) with(ch *Change) (*View, Outcome, Change) {
	next := *v
	next.gen = nextGen()
	var out Outcome
	res := Change{Resolve: ResolveExact}
	cat := v.cat
	dirty := map[uint32]bool{}
	touchBrand := func(name string) {
		if b, ok := cat.brandByKey[snapshot.Key(name)]; ok {
			dirty[b] = true
		}
	}

	if len(ch.Subscribe)+len(ch.Unsubscribe) > 0 {
		next.subs = maps.Clone(v.subs)
		for _, b := range ch.Subscribe {
			b = strings.TrimSpace(b)
			next.subs[snapshot.Key(b)] = b
			touchBrand(b)
			res.Subscribe = append(res.Subscribe, b)
		}
		for _, b := range ch.Unsubscribe {
			delete(next.subs, snapshot.Key(b))
			touchBrand(b)
			res.Unsubscribe = append(res.Unsubscribe, b)
		}
	}

	if len(ch.Items) > 0 || ch.ClearStock {
		ow := v.offers.writer(nextGen())
		var on, off *roaring.Bitmap // copied on the first activation change
		var stocked *roaring.Bitmap // parts whose stock this change sets, for ClearStock
		if ch.ClearStock {
			stocked = roaring.New()
		}
		orphans, copied := v.orphans, false
		res.Items = make([]ItemUpdate, 0, len(ch.Items))
		for i, it := range ch.Items {
			p, ok := v.resolve(it.Ref, ch.Resolve)
			if !ok {
				if ch.Resolve != ResolveExact {
					out.NotFound = append(out.NotFound, i)
					continue
				}
				if !copied {
					orphans, copied = cloneOrphans(v.orphans), true
				}
				key := snapshot.Key(it.Ref)
				o := it.applyTo(orphans[key])
				o.number = it.Ref
				orphans[key] = o
				res.Items = append(res.Items, it)
				if it.sets() {
					out.Updated++
				}
				continue
			}
			it.Ref = v.partNumber(p)
			res.Items = append(res.Items, it)
			if it.sets() {
				out.Updated++
			}
			if stocked != nil {
				stocked.Add(p)
			}
			if it.SetActive && int(p) < len(cat.Parts) && v.activationIn(on, off, p) != it.Active { // own parts are always active
				if on == nil {
					on, off = v.on.Clone(), v.off.Clone()
				}
				on.Remove(p)
				off.Remove(p)
				switch it.Active {
				case Activated:
					on.Add(p)
				case Deactivated:
					off.Add(p)
				}
				dirty[cat.Parts[p].Brand] = true
			}
			if it.SetPrice || it.SetStock {
				o := ow.get(p)
				if it.SetPrice {
					o = o.WithPrice(it.Price)
				}
				if it.SetStock {
					o = o.WithStock(it.Stock)
				}
				ow.set(p, o)
			}
		}
		if ch.ClearStock {
			// Only parts a feed could have named: those the tenant sees.
			res.ClearStock = true
			out.Cleared = clearStockExcept(ow, func(p uint32) bool { return stocked.Contains(p) || !v.parts.Contains(p) })
		}
		next.offers = ow.done()
		if on != nil {
			next.on, next.off = on, off
		}
		next.orphans = orphans
	}

	if len(ch.PutAliases)+len(ch.DeleteAliases) > 0 {
		aw := v.aliases.writer()
		find := v.partResolver()
		for i, a := range ch.PutAliases {
			key := snapshot.Key(a.Alias)
			p, number, ok := find(a.PartNumber)
			if ch.Resolve != ResolveExact {
				if _, _, isPart := find(a.Alias); isPart {
					out.AliasIsPart = append(out.AliasIsPart, i)
					continue
				}
				if !ok {
					out.AliasNotFound = append(out.AliasNotFound, i)
					continue
				}
			}
			a.Alias, a.Source = strings.TrimSpace(a.Alias), strings.TrimSpace(a.Source)
			e := aliasEntry{Alias: a, part: snapshot.None}
			if ok {
				e.part, e.PartNumber = p, number
			}
			aw.put(key, e)
			res.PutAliases = append(res.PutAliases, e.Alias)
			out.Aliases++
		}
		for i, a := range ch.DeleteAliases {
			if aw.remove(snapshot.Key(a)) {
				res.DeleteAliases = append(res.DeleteAliases, a)
				out.Deleted++
			} else {
				out.DeleteMissing = append(out.DeleteMissing, i)
			}
		}
		next.aliases = aw.done()
	}

	v.withLocations(&next, ch, &out, &res)
	extChanged := v.withExtension(&next, ch, &out, &res)

	next.derive(dirty)
	if extChanged && len(dirty) == 0 {
		next.visibility = next.buildVisibility()
	}
	return &next, out, res
}

// withExtension applies ch's own vehicles and parts to next; it reports a change.
func (v *View) withExtension(next *View, ch *Change, out *Outcome, res *Change) bool {
	if len(ch.PutVehicles)+len(ch.PutParts)+len(ch.DeleteParts) == 0 {
		return false
	}
	cat := v.cat
	x := v.ext
	vehicles := x.tenantVehicles()
	have := map[string]bool{}
	for _, tv := range vehicles {
		have[tv.ID] = true
	}
	for i, tv := range ch.PutVehicles {
		if _, ok := cat.vehicleByID[tv.ID]; ok && ch.Resolve != ResolveExact {
			out.VehicleInCatalog = append(out.VehicleInCatalog, i)
			continue
		}
		if !have[tv.ID] {
			vehicles = append(vehicles, tv)
			have[tv.ID] = true
		} else {
			for j := range vehicles {
				if vehicles[j].ID == tv.ID {
					vehicles[j] = tv
				}
			}
		}
		res.PutVehicles = append(res.PutVehicles, tv)
		out.VehiclesPut++
	}
	// Fitments may name own vehicles put now, and their implicit wildcards.
	known := func(id string) bool {
		if _, ok := cat.vehicleByID[id]; ok || have[id] {
			return true
		}
		for _, tv := range vehicles {
			if snapshot.VehicleID(tv.Make, tv.Model, "", tv.Year) == id {
				return true
			}
		}
		return false
	}
	parts := x.tenantParts()
	nextSeq := x.nextSeq
	var gone []uint32 // part ids whose offers and stock go with them
	for i, tp := range ch.PutParts {
		key := snapshot.Key(tp.PartNumber)
		if ch.Resolve != ResolveExact {
			if _, isCatalog := cat.partByKey[key]; isCatalog {
				out.PartInCatalog = append(out.PartInCatalog, i)
				continue
			}
			if tp.Category != "" && cat.categoryByPath(tp.Category) == snapshot.None {
				out.PartUnknownCategory = append(out.PartUnknownCategory, i)
				continue
			}
			bad := false
			for j, f := range tp.Fitments {
				if !known(f.VehicleID) {
					out.PartUnknownFit = append(out.PartUnknownFit, UnknownFitment{Part: i, Fitment: j})
					bad = true
				}
			}
			if bad {
				continue
			}
		}
		tp.PartNumber = strings.TrimSpace(tp.PartNumber)
		if seq, ok := x.byKey[key]; ok {
			parts[seq] = &tp
		} else if seq, ok := seqOf(parts, key); ok {
			parts[seq] = &tp // put twice in this change
		} else {
			parts = append(parts, &tp)
			nextSeq = uint32(len(parts))
		}
		res.PutParts = append(res.PutParts, tp)
		out.PartsPut++
	}
	for i, pn := range ch.DeleteParts {
		seq, ok := seqOf(parts, snapshot.Key(pn))
		if !ok {
			out.PartDeleteMissing = append(out.PartDeleteMissing, i)
			continue
		}
		parts[seq] = nil
		gone = append(gone, cat.extID(uint32(seq)))
		res.DeleteParts = append(res.DeleteParts, pn)
		out.PartsDeleted++
	}
	if len(res.PutVehicles)+len(res.PutParts)+len(res.DeleteParts) == 0 {
		return false
	}
	next.ext = buildExtension(cat, vehicles, parts, max(nextSeq, uint32(len(parts))))
	if len(gone) > 0 {
		ow := next.offers.writer(nextGen())
		for _, p := range gone {
			ow.set(p, 0)
		}
		next.offers = ow.done()
		next.locStock = slices.Clone(next.locStock)
		for i, t := range next.locStock {
			if t == nil {
				continue
			}
			w := t.writer()
			for _, p := range gone {
				w.set(p, 0)
			}
			next.locStock[i] = w.done()
		}
	}
	next.aliases = next.aliases.rebase(next.partResolver())
	return true
}

// seqOf finds an own part by key among parts (by sequence number).
func seqOf(parts []*TenantPart, key string) (int, bool) {
	for i, p := range parts {
		if p != nil && snapshot.Key(p.PartNumber) == key {
			return i, true
		}
	}
	return 0, false
}

// partResolver finds a part id by canonical number: the catalog's, then the tenant's own.
func (v *View) partResolver() func(number string) (uint32, string, bool) {
	return func(number string) (uint32, string, bool) {
		key := snapshot.Key(number)
		if p, ok := v.cat.partByKey[key]; ok {
			return p, v.cat.Parts[p].Number, true
		}
		if seq, ok := v.ext.byKey[key]; ok {
			return v.cat.extID(seq), v.ext.parts[seq].PartNumber, true
		}
		return snapshot.None, number, false
	}
}

// withLocations applies ch's location, location stock and grant changes to next.
func (v *View) withLocations(next *View, ch *Change, out *Outcome, res *Change) {
	if len(ch.PutLocations)+len(ch.DeleteLocations) > 0 {
		dels := map[string]bool{}
		for i, code := range ch.DeleteLocations {
			key := snapshot.Key(code)
			if _, ok := next.locs.byKey[key]; !ok {
				out.LocationMissing = append(out.LocationMissing, i)
				continue
			}
			dels[key] = true
			res.DeleteLocations = append(res.DeleteLocations, code)
			out.LocationsDeleted++
		}
		for _, l := range ch.PutLocations {
			delete(dels, snapshot.Key(l.Code))
		}
		next.locs = next.locs.with(ch.PutLocations, dels)
		next.locStock = v.locs.carryStock(v.locStock, next.locs) // a deleted location's stock goes
		res.PutLocations = ch.PutLocations
		out.LocationsPut = len(ch.PutLocations)
		if len(dels) > 0 {
			next.locOrphans = maps.Clone(next.locOrphans)
			for key := range dels {
				delete(next.locOrphans, key)
			}
		}
	}
	if len(ch.LocationStock) > 0 || ch.ReplaceLocationStock {
		writers := map[int]*stockWriter{}  // by location index
		named := map[int]*roaring.Bitmap{} // full sync: per location, the parts its rows name
		for i, r := range ch.LocationStock {
			li, ok := next.locs.byKey[snapshot.Key(r.Location)]
			if !ok {
				out.LocationUnknown = append(out.LocationUnknown, i)
				continue
			}
			code := next.locs.list[li].Code
			p, ok := v.resolve(r.Ref, ch.Resolve)
			if !ok {
				out.LocationPartAbsent = append(out.LocationPartAbsent, i)
				continue
			}
			w := writers[li]
			if w == nil {
				w = next.stockAt(li).writer()
				writers[li] = w
				named[li] = roaring.New()
			}
			named[li].Add(p)
			r.Location, r.Ref = code, v.partNumber(p)
			res.LocationStock = append(res.LocationStock, r)
			if !r.SetStock {
				continue
			}
			out.LocationRows++
			if r.Stock < 0 {
				w.set(p, 0)
			} else {
				w.set(p, uint32(min(r.Stock, MaxStock)+1))
			}
		}
		stock := make([]*stockList, len(next.locs.list))
		copy(stock, next.locStock)
		next.locStock = stock
		for li, w := range writers {
			if ch.ReplaceLocationStock {
				keep := named[li] // the rows' parts keep what they set
				w.base.each(func(p uint32, _ uint32) {
					if !keep.Contains(p) && v.parts.Contains(p) {
						w.set(p, 0)
						out.LocationCleared++
					}
				})
			}
			next.locStock[li] = w.done()
		}
		res.ReplaceLocationStock = ch.ReplaceLocationStock
	}
	if len(ch.Grants) > 0 {
		next.grants = maps.Clone(next.grants)
		for _, g := range ch.Grants {
			if g.Grant == nil {
				delete(next.grants, g.Tenant)
			} else {
				next.grants[g.Tenant] = *g.Grant
			}
			res.Grants = append(res.Grants, g)
			out.Grants++
		}
	}
}

// activationIn is v.activation(p), read from the copies a change is building when it has
// made them.
func (v *View) activationIn(on, off *roaring.Bitmap, p uint32) Activation {
	if on == nil {
		return v.activation(p)
	}
	switch {
	case on.Contains(p):
		return Activated
	case off.Contains(p):
		return Deactivated
	}
	return Unset
}

// sets reports whether the row changes anything.
func (it ItemUpdate) sets() bool { return it.SetActive || it.SetPrice || it.SetStock }

func (it ItemUpdate) applyTo(o orphan) orphan {
	if it.SetActive {
		o.active = it.Active
	}
	if it.SetPrice {
		o.offer = o.offer.WithPrice(it.Price)
	}
	if it.SetStock {
		o.offer = o.offer.WithStock(it.Stock)
	}
	return o
}

func cloneOrphans(m map[string]orphan) map[string]orphan {
	out := make(map[string]orphan, len(m)+1)
	maps.Copy(out, m)
	return out
}
