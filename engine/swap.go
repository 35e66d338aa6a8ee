package engine

import (
	"errors"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/fitment/fitment/index"
	"github.com/fitment/fitment/snapshot"
)

// A swap replaces the catalog under every tenant while the engine serves (Swap); a
// rollback returns to the catalog it replaced (Rollback). Neither makes readers wait, and
// writers wait only for the publish:
//
//  1. Each tenant's current view is rebased on the target catalog by a few workers,
//     while writers go on changing the tenants. Every change a writer publishes meanwhile
//     is also logged in the tenant's migration (slot.swap), in order.
//  2. Catch-up rounds replay each tenant's logged changes onto its derived view, until
//     little is left.
//  3. The publish excludes writers (loadMu), replays what the last round left, stores every
//     tenant's derived view and then the catalog. Readers see either catalog, never a
//     mix within one view: a view carries its catalog.
//
// Kept for rollback (SwapOptions.KeepPrevious), the replaced catalog stays resident with
// every tenant's view on it as it was at the publish, and the changes made since are
// logged (slot.back): a rollback is then the same catch-up and publish, without the
// derivation. A tenant whose log outgrows its budget, or whose state is replaced
// (Restore), drops its old view and is derived afresh at the rollback.

// swapHook, set by tests, runs between a swap's stages.
var swapHook func(stage string)

// ErrSwapBusy reports a swap or rollback asked for while another runs.
var ErrSwapBusy = errors.New("a catalog swap or rollback is already running")

// ErrClosed reports a swap or rollback asked of a closed engine.
var ErrClosed = errors.New("the engine is closed")

// ErrNoPrevious reports a rollback with no previous catalog kept.
var ErrNoPrevious = errors.New("no previous catalog is kept to roll back to")

// SwapOptions tunes Swap and Rollback.
type SwapOptions struct {
	// Workers derive tenants in parallel; 0 takes half the cores (at least one), leaving
	// the others to serve.
	Workers int
	// KeepPrevious keeps the replaced catalog and every tenant's view on it for Rollback.
	KeepPrevious bool
	// LogBudget bounds, per tenant, the rows of changes logged for the previous catalog;
	// past it the tenant's old view is dropped and derived again at a rollback. 0 takes
	// DefaultLogBudget.
	LogBudget int
}

// DefaultLogBudget is SwapOptions.LogBudget's default: about 100 MB of logged changes
// over a thousand tenants feeding all day, in the worst case.
const DefaultLogBudget = 200_000

// SwapReport says what a swap or rollback did. Durations are in the JSON as
// milliseconds (see MarshalJSON).
type SwapReport struct {
	Version         string
	PreviousVersion string
	Rollback        bool
	Tenants         int
	// Derived counts the tenants rebased on the target catalog; for a rollback, those
	// whose view on it was not kept.
	Derived int
	// Replayed counts the changes made while the swap ran, or since the previous swap
	// for a rollback, replayed onto the target catalog.
	Replayed int
	Orphans  OrphanCounts // over every tenant, on the target catalog

	Prepare      time.Duration // building the target catalog's tables and dictionaries
	Derive       time.Duration // rebasing the tenants
	CatchUp      time.Duration // replaying the changes made meanwhile, writers running
	PublishPause time.Duration // the final replay and publish, writers waiting
	Total        time.Duration

	PreviousKept bool // the replaced catalog is kept for Rollback
}

// OrphanCounts counts settings kept for parts the catalog does not have: kept, not
// served, and back if a later catalog has the part again.
type OrphanCounts struct {
	Items         int `json:"items"`         // per-item settings: activation, price, stock
	Aliases       int `json:"aliases"`       // aliases whose part is not in the catalog
	LocationStock int `json:"locationStock"` // per-location stock entries
}

func (o *OrphanCounts) add(v *View) {
	o.Items += len(v.orphans)
	o.Aliases += v.aliases.unresolved()
	for _, m := range v.locOrphans {
		o.LocationStock += len(m)
	}
}

// migration is a tenant's way to a target catalog: its view there as of some change, and
// the changes the tenant published since, in order. Its fields change under the slot's
// mutex.
type migration struct {
	// view is the tenant on the target catalog before log's changes; nil: derive it from
	// base (the tenant's view on the current catalog that log follows; nil: no state).
	view  *View
	base  *View
	log   []Change
	rows  int    // rows in log, against SwapOptions.LogBudget (back migrations only)
	epoch uint64 // bumped when view, base and log are reset
}

// reset restarts m from base, the tenant's current view.
func (m *migration) reset(base *View) {
	m.view, m.base, m.log, m.rows = nil, base, nil, 0
	m.epoch++
}

// record logs a change the tenant published, under the slot's mutex.
func (s *slot) record(ch *Change, budget int) {
	if m := s.swap; m != nil {
		m.log = append(m.log, *ch)
	}
	if m := s.back; m != nil {
		m.log = append(m.log, *ch)
		if m.rows += ch.rows(); m.rows > budget {
			m.reset(s.view.Load())
		}
	}
}

// restored resets the migrations after the tenant's whole state was replaced.
func (s *slot) restored() {
	for _, m := range []*migration{s.swap, s.back} {
		if m != nil {
			m.reset(s.view.Load())
		}
	}
}

// rows is the size of a change, for log budgets.
func (ch *Change) rows() int {
	n := len(ch.Subscribe) + len(ch.Unsubscribe) + len(ch.Items) + len(ch.PutAliases) + len(ch.DeleteAliases) +
		len(ch.PutLocations) + len(ch.DeleteLocations) + len(ch.LocationStock) + len(ch.Grants) +
		len(ch.PutVehicles) + len(ch.PutParts) + len(ch.DeleteParts)
	return max(n, 1)
}

// Swap loads a catalog beside the current one, derives every tenant on it while writers
// go on, and publishes it (see the top of this file); with no catalog loaded yet it is
// Load. Only one swap or rollback runs at a time: ErrSwapBusy otherwise. The text index
// (nil: none) is published with the catalog.
func (e *Engine) Swap(c *snapshot.Catalog, version string, text *index.Index, o SwapOptions) (SwapReport, error) {
	if !e.swapMu.TryLock() {
		return SwapReport{}, ErrSwapBusy
	}
	defer e.swapMu.Unlock()
	if e.closed {
		return SwapReport{}, ErrClosed
	}
	return e.swapLocked(c, version, text, o), nil
}

func (e *Engine) swapLocked(c *snapshot.Catalog, version string, text *index.Index, o SwapOptions) SwapReport {
	start := time.Now()
	cat := newCatalog(c, version)
	cat.text = text
	if text != nil {
		// Retired: once no view of the catalog is left (no request holds one), its
		// text index is unmapped. Nothing of a search outlives the view it ran on.
		runtime.AddCleanup(cat, func(ix *index.Index) { ix.Close() }, text)
	}
	cur := e.cat.Load()
	if cur == nil {
		e.firstLoad(cat)
		return SwapReport{Version: version, Tenants: e.count(), Total: time.Since(start)}
	}
	cat.warmLike(cur)
	e.dropPrevious() // the catalog before cur, if it was kept
	r := SwapReport{Version: version, PreviousVersion: cur.version, Prepare: time.Since(start)}
	e.switchTo(cat, func(s *slot) **migration { return &s.swap }, o, &r)
	r.Total = time.Since(start)
	return r
}

// Rollback returns to the catalog the last swap replaced, kept by SwapOptions.KeepPrevious:
// each tenant's view on it is brought up to date with the changes made since and
// published. The catalog rolled back from is kept in turn (o.KeepPrevious), so a second
// rollback goes forward again.
func (e *Engine) Rollback(o SwapOptions) (SwapReport, error) {
	if !e.swapMu.TryLock() {
		return SwapReport{}, ErrSwapBusy
	}
	defer e.swapMu.Unlock()
	if e.closed {
		return SwapReport{}, ErrClosed
	}
	start := time.Now()
	prev, cur := e.prev.Load(), e.cat.Load()
	if prev == nil {
		return SwapReport{}, ErrNoPrevious
	}
	r := SwapReport{Version: prev.version, PreviousVersion: cur.version, Rollback: true}
	e.switchTo(prev, func(s *slot) **migration { return &s.back }, o, &r)
	r.Total = time.Since(start)
	return r, nil
}

// Previous is the version of the catalog kept for Rollback and when it was replaced;
// ok is false when none is kept.
func (e *Engine) Previous() (version string, replaced time.Time, ok bool) {
	p := e.prev.Load()
	if p == nil {
		return "", time.Time{}, false
	}
	return p.version, time.Unix(0, p.replaced.Load()), true
}

// DropPrevious forgets the catalog kept for Rollback, and every tenant's view on it: its
// memory goes once no request holds one of its views. Its text index is closed then too.
func (e *Engine) DropPrevious() {
	e.swapMu.Lock()
	defer e.swapMu.Unlock()
	e.dropPrevious()
}

func (e *Engine) dropPrevious() {
	if e.prev.Load() == nil {
		return
	}
	e.prev.Store(nil)
	e.eachSlot(func(s *slot) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.back = nil
	})
}

// switchTo moves every tenant to target through the migrations field picks (swap or
// back), then publishes target; cur, the catalog left, is kept as the previous one when
// o says so.
func (e *Engine) switchTo(target *catalog, field func(*slot) **migration, o SwapOptions, r *SwapReport) {
	cur := e.cat.Load()
	workers := o.Workers
	if workers <= 0 {
		workers = max(1, runtime.GOMAXPROCS(0)/2)
	}
	budget := o.LogBudget
	if budget <= 0 {
		budget = DefaultLogBudget
	}
	var remapOnce sync.Once
	var remap []uint32
	rebase := func(v *View) *View {
		remapOnce.Do(func() { remap = remapParts(cur, target) })
		return v.rebase(target, remap)
	}

	// Every tenant gets a migration (new ones too, in later rounds), then rounds of
	// catch-up; each round does the work the writers left since the one before.
	t := time.Now()
	var mu sync.Mutex // guards r's counters across workers
	round := func(locked bool) (work int) {
		var g errgroup.Group
		g.SetLimit(workers)
		e.eachSlot(func(s *slot) {
			g.Go(func() error {
				derived, replayed := s.catchUp(field, target, rebase, locked)
				mu.Lock()
				r.Derived += derived
				r.Replayed += replayed
				work += derived + replayed
				mu.Unlock()
				return nil
			})
		})
		g.Wait()
		return work
	}
	round(false)
	r.Derive = time.Since(t)
	if swapHook != nil {
		swapHook("derived")
	}
	t = time.Now()
	for i := 0; i < 4; i++ {
		if round(false) <= 16 {
			break // little enough left for the publish
		}
	}
	r.CatchUp = time.Since(t)
	if swapHook != nil {
		swapHook("caught up")
	}

	e.publish(target, field, o.KeepPrevious, budget, round, r)

	// Counted after the publish, off the writers' way.
	e.eachSlot(func(s *slot) {
		if v := s.view.Load(); v != nil {
			r.Tenants++
			r.Orphans.add(v)
		}
	})
}

// publish replays what the writers left and publishes target and every tenant's view on
// it, writers excluded.
func (e *Engine) publish(target *catalog, field func(*slot) **migration, keep bool, budget int, round func(bool) int, r *SwapReport) {
	t := time.Now()
	e.loadMu.Lock()
	defer e.loadMu.Unlock()
	cur := e.cat.Load()
	round(true)
	e.eachSlot(func(s *slot) {
		s.mu.Lock()
		defer s.mu.Unlock()
		m := *field(s)
		old := s.view.Load()
		if m != nil && m.view != nil {
			s.view.Store(m.view)
		}
		s.swap, s.back = nil, nil
		if keep {
			s.back = &migration{view: old}
		}
	})
	now := time.Now()
	target.published.Store(now.UnixNano())
	e.cat.Store(target)
	if keep {
		cur.replaced.Store(now.UnixNano())
		e.prev.Store(cur)
		e.budget = budget
	} else {
		e.prev.Store(nil)
	}
	r.PreviousKept = keep
	r.PublishPause = time.Since(t)
}

// catchUp brings the slot's migration (field) up to date: it derives the view from the
// migration's base where it has none, and replays the logged changes. Unlocked (writers
// running), it works on a copy taken under the slot's mutex and keeps the result only if
// no reset came meanwhile; locked (writers excluded) it works in place. A slot without a
// migration gets one from its current view.
func (s *slot) catchUp(field func(*slot) **migration, target *catalog, rebase func(*View) *View, locked bool) (derived, replayed int) {
	s.mu.Lock()
	mp := field(s)
	if *mp == nil {
		*mp = &migration{base: s.view.Load()}
	}
	m := *mp
	view, base, log, epoch := m.view, m.base, m.log, m.epoch
	s.mu.Unlock()

	if view == nil {
		switch {
		case base != nil:
			view = rebase(base)
			derived = 1
		case len(log) > 0:
			view = target.empty
		}
	}
	for i := range log {
		view, _, _ = view.with(&log[i])
	}
	replayed = len(log)

	s.mu.Lock()
	defer s.mu.Unlock()
	if m.epoch != epoch && !locked {
		return derived, replayed // reset meanwhile: the next round starts over
	}
	m.view, m.base = view, nil
	m.log = append([]Change(nil), m.log[len(log):]...)
	m.rows = 0
	return derived, replayed
}

// eachSlot calls f for every tenant's slot.
func (e *Engine) eachSlot(f func(*slot)) {
	e.tenants.Range(func(_, v any) bool { f(v.(*slot)); return true })
}

func (e *Engine) count() (n int) {
	e.eachSlot(func(*slot) { n++ })
	return n
}

// firstLoad publishes the first catalog and derives the tenants restored before it.
func (e *Engine) firstLoad(cat *catalog) {
	e.loadMu.Lock()
	defer e.loadMu.Unlock()
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	e.eachSlot(func(s *slot) {
		g.Go(func() error {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.pending != nil {
				s.view.Store(cat.restore(s.pending))
				s.pending = nil
			}
			return nil
		})
	})
	g.Wait()
	cat.published.Store(time.Now().UnixNano())
	e.cat.Store(cat)
}

// warmLike builds, before the catalog is published, the tables and dictionaries that old
// (the catalog it replaces) has built on demand, so that the first requests after the
// publish do not pay for them.
func (k *catalog) warmLike(old *catalog) {
	var wg sync.WaitGroup
	wg.Go(func() { k.suggestions() })
	wg.Go(func() { k.prepareDetailLinks() })
	wg.Wait()
	k.listTables()
	k.vehicleNames()
	old.lists.names.Range(func(lang, _ any) bool {
		k.nameTable(lang.(string))
		return true
	})
}

// Close ends the engine's swaps, for a shutdown: it waits for a running swap or rollback,
// refuses later ones (ErrClosed) and drops the previous catalog. The current catalog keeps
// answering: a request the shutdown's deadline left running must not find its text index
// unmapped; the process's exit unmaps it.
func (e *Engine) Close() error {
	e.swapMu.Lock()
	defer e.swapMu.Unlock()
	e.closed = true
	e.dropPrevious()
	return nil
}

// HasPrevious reports whether a previous catalog is kept for Rollback.
func (e *Engine) HasPrevious() bool { return e.prev.Load() != nil }
