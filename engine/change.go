package engine

import (
	"maps"
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
}

func (ch *Change) empty() bool {
	return len(ch.Subscribe)+len(ch.Unsubscribe)+len(ch.Items)+len(ch.PutAliases)+len(ch.DeleteAliases) == 0 && !ch.ClearStock
}

// resolve finds the part a reference names under mode r.
func (v *View) resolve(ref string, r Resolve) (uint32, bool) {
	p, ok := v.cat.part(ref)
	switch r {
	case ResolveExact:
		return p, ok
	case ResolveCatalog:
		if ok {
			return p, true
		}
	case ResolveActive:
		if ok && v.parts.Contains(p) {
			return p, true
		}
	}
	if v.aliases.n == 0 {
		return 0, false
	}
	if a, ok := v.aliases.get(snapshot.Key(ref)); ok && a.part != snapshot.None {
		if r == ResolveCatalog || v.parts.Contains(a.part) {
			return a.part, true
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
			it.Ref = cat.Parts[p].Number
			res.Items = append(res.Items, it)
			if it.sets() {
				out.Updated++
			}
			if stocked != nil {
				stocked.Add(p)
			}
			if it.SetActive && v.activationIn(on, off, p) != it.Active {
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
			out.Cleared = ow.clearStockExcept(func(p uint32) bool { return stocked.Contains(p) || !v.parts.Contains(p) })
		}
		next.offers = ow.done()
		if on != nil {
			next.on, next.off = on, off
		}
		next.orphans = orphans
	}

	if len(ch.PutAliases)+len(ch.DeleteAliases) > 0 {
		aw := v.aliases.writer()
		for i, a := range ch.PutAliases {
			key := snapshot.Key(a.Alias)
			p, ok := cat.partByKey[snapshot.Key(a.PartNumber)]
			if ch.Resolve != ResolveExact {
				if _, isPart := cat.partByKey[key]; isPart {
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
				e.part = p
				e.PartNumber = cat.Parts[p].Number
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

	next.derive(dirty)
	return &next, out, res
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
