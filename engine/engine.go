// Package engine answers fitment queries for many tenants over one immutable central
// catalog held in memory.
//
// The catalog comes from a snapshot (package snapshot). Each tenant's state is a View: its
// visibility (subscribed brands and activated parts, minus deactivated ones, as roaring
// bitmaps: the visible parts, and the vehicles at least one visible part fits, with
// wildcard fitments inherited by every submodel of their model-year), its offers (price
// and stock per part, in a copy-on-write paged table) and its SKU aliases. A change
// (Update) derives a new View from the current one: an activation or subscription
// re-derives only the brands it touches; a price or stock change copies only the pages of
// the offer table it writes and keeps the visibility, so answers derived from visibility
// alone stay valid.
//
// Concurrency: an Engine is safe for concurrent use. Readers never lock: View returns the
// tenant's current immutable *View, valid for as long as the caller holds it, that sees one
// catalog and one state of the tenant throughout. Writers of one tenant (Update, Restore)
// are serialised by that tenant's mutex; writers of different tenants run in parallel. A
// catalog swap (Swap, Rollback, Load; swap.go) derives every tenant beside the writers and
// excludes them only for its publish.
package engine

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fitment/fitment/index"
	"github.com/fitment/fitment/snapshot"
)

// Engine holds the current catalog and every tenant's View.
type Engine struct {
	loadMu  sync.RWMutex // a swap's publish holds it exclusively; tenant writers share it
	swapMu  sync.Mutex   // one swap or rollback at a time
	closed  bool         // Close was called (under swapMu)
	cat     atomic.Pointer[catalog]
	prev    atomic.Pointer[catalog] // the catalog kept for Rollback (slots' back migrations)
	budget  int                     // rows logged per back migration (under loadMu)
	tenants sync.Map                // id → *slot
}

// slot publishes a tenant's current view to lock-free readers.
type slot struct {
	mu      sync.Mutex // serialises the tenant's writers
	view    atomic.Pointer[View]
	pending *TenantState // restored before any catalog was loaded; Load derives it (under mu)

	// The tenant's ways to another catalog (swap.go): the one a running swap derives,
	// and the previous catalog kept for Rollback.
	swap, back *migration
}

// New returns an engine with no catalog; queries fail with ErrNoCatalog until Load.
func New() *Engine { return &Engine{} }

// TenantState is a tenant's whole state, as a checkpoint holds it (see Restore and Export).
type TenantState struct {
	// Catalog is the version of the catalog that Items[i].Part refers to. When it is the
	// loaded catalog, parts are found by id; otherwise (or when "") by Items[i].Number.
	Catalog string
	Brands  []string // subscribed brands, as stored
	Items   []ItemState
	Aliases []Alias

	Locations     []Location
	LocationStock []LocationStock // per location, its parts' stock (Offer's stock only)
	Grants        []SharingGrant  // grants given

	Vehicles []TenantVehicle // own vehicles
	Parts    []*TenantPart   // own parts by sequence number (nil: deleted)
}

// LocationStock is the stock of one location in a TenantState: Items' Offers carry stock
// only.
type LocationStock struct {
	Code  string
	Items []ItemState
}

// ItemState is one part's settings in a TenantState.
type ItemState struct {
	Part   uint32
	Number string // canonical part number
	Active Activation
	Offer  Offer
}

// Load publishes a catalog and rebases every tenant on it: settings follow their part
// numbers to the new ids; those of parts the new catalog lacks are kept aside and come
// back if a later catalog has the part again. Queries that started before keep the catalog
// they began with. It is Swap without a text index or a previous catalog kept, waiting
// for a running swap instead of failing.
func (e *Engine) Load(c *snapshot.Catalog, version string) { e.load(c, version, nil) }

func (e *Engine) load(c *snapshot.Catalog, version string, text *index.Index) {
	e.swapMu.Lock()
	defer e.swapMu.Unlock()
	e.swapLocked(c, version, text, SwapOptions{Workers: runtime.GOMAXPROCS(0)})
}

// Version is the version of the loaded catalog, "" before Load.
func (e *Engine) Version() string {
	if c := e.cat.Load(); c != nil {
		return c.version
	}
	return ""
}

// Loaded is the version of the loaded catalog and when Load published it; "" and the
// zero time before Load.
func (e *Engine) Loaded() (version string, at time.Time) {
	if c := e.cat.Load(); c != nil {
		return c.version, time.Unix(0, c.published.Load())
	}
	return "", time.Time{}
}

// Restore replaces a tenant's whole state. Before the first Load it is kept and derived
// by Load; after it, nothing of st is kept once Restore returns (its slices may be reused).
func (e *Engine) Restore(id string, st TenantState) {
	e.loadMu.RLock()
	defer e.loadMu.RUnlock()
	s := e.slot(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	cat := e.cat.Load()
	if cat == nil {
		s.pending = &st
		return
	}
	s.view.Store(cat.restore(&st))
	s.restored()
}

// Update applies ch to a tenant atomically. It resolves every row against the tenant's
// current state and derives the new state without changing anything, then calls commit
// with the change as resolved (ResolveExact: canonical numbers, unresolved rows left out),
// and publishes the new state only when commit returns nil. A nil commit publishes at once
// (replay). Nothing is published when ch resolves to nothing.
//
// commit runs under the tenant's lock: it is where the change is made durable, so the
// tenant's changes are made durable in the order they are published.
func (e *Engine) Update(id string, ch Change, commit func(resolved Change) error) (Outcome, error) {
	e.loadMu.RLock()
	defer e.loadMu.RUnlock()
	cat := e.cat.Load()
	if cat == nil {
		return Outcome{}, ErrNoCatalog
	}
	s := e.slot(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.view.Load()
	if cur == nil {
		cur = cat.empty
	}
	next, out, resolved := cur.with(&ch)
	if resolved.empty() {
		return out, nil
	}
	if commit != nil {
		if err := commit(resolved); err != nil {
			return Outcome{}, err
		}
	}
	s.view.Store(next)
	s.record(&resolved, e.budget)
	return out, nil
}

// DropTenant forgets a tenant.
func (e *Engine) DropTenant(id string) {
	e.loadMu.RLock()
	defer e.loadMu.RUnlock()
	e.tenants.Delete(id)
}

func (e *Engine) slot(id string) *slot {
	if v, ok := e.tenants.Load(id); ok {
		return v.(*slot)
	}
	v, _ := e.tenants.LoadOrStore(id, &slot{})
	return v.(*slot)
}

// View returns the tenant's current read view. An unknown tenant sees an empty catalog.
func (e *Engine) View(tenantID string) (*View, error) {
	cat := e.cat.Load()
	if cat == nil {
		return nil, ErrNoCatalog
	}
	// A view carries its own catalog, so it is consistent even while a Load is
	// rebasing tenants one by one.
	if v, ok := e.tenants.Load(tenantID); ok {
		if view := v.(*slot).view.Load(); view != nil {
			return view, nil
		}
	}
	return cat.empty, nil
}

// Brand looks a brand up case-insensitively: its spelling in the catalog and how many
// parts the catalog has of it. ok is false for a brand the catalog does not know.
func (e *Engine) Brand(brand string) (name string, parts int, ok bool) {
	cat := e.cat.Load()
	if cat == nil {
		return "", 0, false
	}
	b, ok := cat.brandByKey[snapshot.Key(brand)]
	if !ok {
		return "", 0, false
	}
	return cat.Brands[b], int(cat.brandParts[b].GetCardinality()), true
}

// PartNumber finds a part of the catalog by number, case-insensitively, whether or not any
// tenant sees it, and returns its canonical number.
func (e *Engine) PartNumber(partNumber string) (canonical string, ok bool) {
	cat := e.cat.Load()
	if cat == nil {
		return "", false
	}
	p, ok := cat.partByKey[snapshot.Key(partNumber)]
	if !ok {
		return "", false
	}
	return cat.Parts[p].Number, true
}

// restore builds a tenant's view from a whole state.
func (k *catalog) restore(st *TenantState) *View {
	v := k.emptyView()
	v.gen = nextGen()
	for _, b := range st.Brands {
		v.subs[snapshot.Key(b)] = b
	}
	if len(st.Vehicles)+len(st.Parts) > 0 {
		v.ext = buildExtension(k, append([]TenantVehicle(nil), st.Vehicles...), st.Parts, uint32(len(st.Parts)))
	}
	byID := st.Catalog != "" && st.Catalog == k.version
	resolve := v.partResolver()
	find := func(it ItemState) (uint32, bool) {
		if byID && int(it.Part) < len(k.Parts) {
			return it.Part, true
		}
		p, _, ok := resolve(it.Number)
		return p, ok
	}
	var on, off []uint32
	ow := v.offers.writer(nextGen())
	for _, it := range st.Items {
		p, ok := find(it)
		if !ok {
			v.orphans[snapshot.Key(it.Number)] = orphan{number: it.Number, active: it.Active, offer: it.Offer}
			continue
		}
		switch {
		case int(p) >= len(k.Parts): // own parts are always active
		case it.Active == Activated:
			on = append(on, p)
		case it.Active == Deactivated:
			off = append(off, p)
		}
		if it.Offer != 0 {
			ow.set(p, it.Offer)
		}
	}
	v.on.AddMany(on)
	v.off.AddMany(off)
	v.offers = ow.done()
	if len(st.Aliases) > 0 {
		aw := v.aliases.writer()
		for _, a := range st.Aliases {
			e := aliasEntry{Alias: a, part: snapshot.None}
			if p, number, ok := resolve(a.PartNumber); ok {
				e.part, e.PartNumber = p, number
			}
			aw.put(snapshot.Key(a.Alias), e)
		}
		v.aliases = aw.done()
	}
	if len(st.Locations) > 0 {
		v.locs = newLocations(append([]Location(nil), st.Locations...), nextGen())
	}
	for _, ls := range st.LocationStock {
		key := snapshot.Key(ls.Code)
		li, ok := v.locs.byKey[key]
		if !ok {
			continue
		}
		if v.locStock == nil {
			v.locStock = make([]*stockList, len(v.locs.list))
		}
		w := (*stockList)(nil).writer()
		for _, it := range ls.Items {
			n, ok := it.Offer.Stock()
			if !ok {
				continue
			}
			p, found := find(it)
			if !found {
				keepLocOrphan(v.locOrphans, key, it.Number, uint32(n+1))
				continue
			}
			w.set(p, uint32(n+1))
		}
		v.locStock[li] = w.done()
	}
	for _, g := range st.Grants {
		v.grants[g.Tenant] = g.Grant
	}
	v.deriveAll()
	return v
}

func keepLocOrphan(m map[string]map[string]uint32, loc, number string, stock uint32) {
	if m[loc] == nil {
		m[loc] = map[string]uint32{}
	}
	m[loc][number] = stock
}

// remapParts maps every part id of old to the id of the same part number in cat
// (snapshot.None when cat lacks it).
func remapParts(old, cat *catalog) []uint32 {
	m := make([]uint32, len(old.Parts))
	for i := range old.Parts {
		p, ok := cat.partByKey[snapshot.Key(old.Parts[i].Number)]
		if !ok {
			p = snapshot.None
		}
		m[i] = p
	}
	return m
}

// rebase moves v onto cat: remap gives each part id of v's catalog its id in cat.
func (v *View) rebase(cat *catalog, old []uint32) *View {
	n := cat.emptyView()
	n.gen = nextGen()
	n.subs = v.subs // immutable, shared
	// Own parts keep their sequence numbers: their ids move with the catalog's size.
	if !v.ext.empty() {
		n.ext = buildExtension(cat, v.ext.tenantVehicles(), v.ext.tenantParts(), v.ext.nextSeq)
	}
	remap := func(p uint32) uint32 {
		if int(p) < len(old) {
			return old[p]
		}
		return cat.extID(p - uint32(len(old)))
	}
	orphans := cloneOrphans(v.orphans)
	keep := func(p uint32, f func(o *orphan)) {
		num := v.cat.Parts[p].Number
		key := snapshot.Key(num)
		o := orphans[key]
		o.number = num
		f(&o)
		orphans[key] = o
	}
	var on, off []uint32
	for _, c := range []struct {
		set *roaring.Bitmap
		ids *[]uint32
		a   Activation
	}{{v.on, &on, Activated}, {v.off, &off, Deactivated}} {
		it := c.set.Iterator()
		for it.HasNext() {
			p := it.Next()
			if q := remap(p); q != snapshot.None {
				*c.ids = append(*c.ids, q)
			} else {
				keep(p, func(o *orphan) { o.active = c.a })
			}
		}
	}
	ow := n.offers.writer(nextGen())
	v.offers.each(func(p uint32, o Offer) {
		if q := remap(p); q != snapshot.None {
			ow.set(q, o)
		} else {
			keep(p, func(x *orphan) { x.offer = o })
		}
	})
	// Parts kept aside that this catalog has again.
	for key, o := range orphans {
		p, ok := cat.partByKey[key]
		if !ok {
			continue
		}
		switch o.active {
		case Activated:
			on = append(on, p)
		case Deactivated:
			off = append(off, p)
		}
		if o.offer != 0 {
			ow.set(p, o.offer)
		}
		delete(orphans, key)
	}
	n.on.AddMany(on)
	n.off.AddMany(off)
	n.offers = ow.done()
	n.orphans = orphans
	n.aliases = v.aliases.rebase(n.partResolver())
	n.locs, n.grants = v.locs, v.grants // immutable, shared
	n.locStock = nil
	for i, key := range v.locs.keys {
		t := v.stockAt(i)
		if t == nil && len(v.locOrphans[key]) == 0 {
			continue
		}
		if n.locStock == nil {
			n.locStock = make([]*stockList, len(v.locs.keys))
		}
		w := (*stockList)(nil).writer()
		t.each(func(p uint32, s uint32) {
			if q := remap(p); q != snapshot.None {
				w.set(q, s)
			} else {
				keepLocOrphan(n.locOrphans, key, v.cat.Parts[p].Number, s)
			}
		})
		for number, s := range v.locOrphans[key] {
			if q, ok := cat.partByKey[snapshot.Key(number)]; ok {
				w.set(q, s)
			} else {
				keepLocOrphan(n.locOrphans, key, number, s)
			}
		}
		n.locStock[i] = w.done()
	}
	n.deriveAll()
	return n
}
