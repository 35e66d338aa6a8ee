// Package engine answers fitment queries for many tenants over one immutable central
// catalog held in memory.
//
// The catalog comes from a snapshot (package snapshot). Each tenant's visible catalog
// (subscribed brands and activated parts, minus deactivated ones) is kept as roaring
// bitmaps: the visible parts, and the vehicles at least one visible part fits, with
// wildcard fitments inherited by every submodel of their model-year. A tenant change
// re-derives only the brands it touches and publishes a new View.
//
// Concurrency: an Engine is safe for concurrent use. Writers (Load, SetTenant,
// UpdateTenant, DropTenant) are serialised by one mutex; readers never take it: View
// returns an immutable *View, valid for as long as the caller holds it, that sees one
// catalog and one state of the tenant throughout.
package engine

import (
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fitment/fitment/snapshot"
)

// Engine holds the current catalog and every tenant's derived sets.
type Engine struct {
	mu      sync.Mutex // serialises writers; guards tenants' mutable state
	cat     atomic.Pointer[catalog]
	tenants sync.Map // id → *slot
}

// slot publishes a tenant's current view to lock-free readers.
type slot struct {
	t    *tenant // writer-owned, under Engine.mu
	view atomic.Pointer[View]
}

// New returns an engine with no catalog; queries fail with ErrNoCatalog until Load.
func New() *Engine { return &Engine{} }

// Load publishes a catalog and re-derives every tenant against it. Queries that started
// before keep the catalog they began with.
func (e *Engine) Load(c *snapshot.Catalog, version string) {
	cat := newCatalog(c, version)
	e.mu.Lock()
	defer e.mu.Unlock()
	var slots []*slot
	e.tenants.Range(func(_, v any) bool {
		slots = append(slots, v.(*slot))
		return true
	})
	// Tenants derive independently of each other: use every core.
	var wg sync.WaitGroup
	next := make(chan *slot)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range next {
				s.t.rebase(cat)
				s.view.Store(s.t.view)
			}
		}()
	}
	for _, s := range slots {
		next <- s
	}
	close(next)
	wg.Wait()
	e.cat.Store(cat)
}

// Version is the version of the loaded catalog, "" before Load.
func (e *Engine) Version() string {
	if c := e.cat.Load(); c != nil {
		return c.version
	}
	return ""
}

// SetTenant replaces a tenant's whole state.
func (e *Engine) SetTenant(id string, st TenantState) {
	t := newTenant()
	for _, b := range st.Brands {
		t.brands[snapshot.Key(b)] = b
	}
	for pn, it := range st.Items {
		t.items[snapshot.Key(pn)] = it
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.slot(id)
	s.t = t
	if cat := e.cat.Load(); cat != nil {
		t.rebase(cat)
		s.view.Store(t.view)
	}
}

// UpdateTenant applies an incremental change; the next View of the tenant reflects it.
func (e *Engine) UpdateTenant(id string, ch TenantChange) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.slot(id)
	if cat := e.cat.Load(); cat != nil && s.t.cat != cat {
		s.t.rebase(cat)
	}
	s.t.apply(ch)
	if s.t.view != nil {
		s.view.Store(s.t.view)
	}
}

// DropTenant forgets a tenant.
func (e *Engine) DropTenant(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.tenants.Delete(id)
}

func (e *Engine) slot(id string) *slot {
	if v, ok := e.tenants.Load(id); ok {
		return v.(*slot)
	}
	s := &slot{t: newTenant()}
	e.tenants.Store(id, s)
	return s
}

// View returns the tenant's current read view. An unknown tenant sees an empty catalog.
func (e *Engine) View(tenantID string) (*View, error) {
	cat := e.cat.Load()
	if cat == nil {
		return nil, ErrNoCatalog
	}
	// A view carries its own catalog, so it is consistent even while a Load is
	// re-deriving tenants one by one.
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

// View is one tenant's visible catalog at one moment. It is immutable.
type View struct {
	cat      *catalog
	parts    *roaring.Bitmap // visible parts, universal ones included
	fit      *roaring.Bitmap // visible parts that are not universal
	vehicles *roaring.Bitmap // vehicles at least one visible part fits (wildcards inherited)
	items    map[uint32]Item // parts with a price or stock

	// present has bit (year-minYear)*len(Models)+model set when the model has a visible
	// vehicle that year; anyYear has bit model set when it has one in any year. Together
	// about 12 KB a tenant on the eu profile, they answer makes and models with bit tests.
	present []uint64
	anyYear []uint64

	// Answers memoised per view: they change only when the view does.
	years [5]struct {
		once  sync.Once
		years []int
	} // by snapshot.VehicleType, 0 = any type
	catsOnce   sync.Once
	categories []CategoryRef

	memo  sync.Map // Memo's cache: key → value
	memoN atomic.Int32
}

// memoLimit bounds the values a view keeps for Memo; a new view starts empty.
const memoLimit = 256

// Memo returns the value kept under key in this view, computing it with f the first time.
// A view is immutable, so anything derived from it alone (a rendered answer, say) stays
// valid for the view's lifetime and is dropped with it. At most memoLimit values are kept;
// past that f runs on every call. f may run more than once for one key under concurrency.
// Memo keeps its own copy of key, so key may alias a buffer the caller reuses.
func (v *View) Memo(key string, f func() any) any {
	if x, ok := v.memo.Load(key); ok {
		return x
	}
	x := f()
	if v.memoN.Add(1) <= memoLimit {
		v.memo.Store(strings.Clone(key), x)
	} else {
		v.memoN.Add(-1)
	}
	return x
}

func newView(cat *catalog, parts, vehicles *roaring.Bitmap, items map[uint32]Item) *View {
	v := &View{cat: cat, parts: parts, fit: roaring.AndNot(parts, cat.universal), vehicles: vehicles, items: items}
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

// Version is the version of the catalog the view reads.
func (v *View) Version() string { return v.cat.version }
