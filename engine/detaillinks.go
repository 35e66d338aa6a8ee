package engine

import (
	"sync"
	"sync/atomic"
)

// Fitment details (position, qty, notes) are stored vehicle-major, as part lists read
// them; walks over one part's links (fitment tables, bulk lookups, exports) would search
// another vehicle's entries for every link, a few cache misses each, though most links have
// no details at all. detailLinks marks, for each part, which of its links have: one bit per
// link in the order of the part's vehicle bitmap (48 M bits, 6 MB on eu, plus 4 MB of
// offsets), so a walk searches the detail table only where a bit is set.
type detailLinks struct {
	start []uint32 // part → its first bit; len(Parts)+1
	bits  []uint64
}

// has reports whether the i-th link of part p has detail entries.
func (d *detailLinks) has(p uint32, i int) bool {
	b := d.start[p] + uint32(i)
	return d.bits[b/64]&(1<<(b%64)) != 0
}

// detailLinksState builds the marks once per catalog, off the request path.
type detailLinksState struct {
	once sync.Once
	done atomic.Pointer[detailLinks]
}

// detailLinks returns the marks, or nil while they are not built (callers then search the
// detail table for every link).
func (k *catalog) detailLinks() *detailLinks { return k.dlinks.done.Load() }

// PrepareFitment builds what fitment walks use to skip links without details (about a
// second on eu, on one core); fitmentd calls it after it is ready.
func (e *Engine) PrepareFitment() {
	if k := e.cat.Load(); k != nil {
		k.prepareDetailLinks()
	}
}

func (k *catalog) prepareDetailLinks() {
	k.dlinks.once.Do(func() { k.dlinks.done.Store(buildDetailLinks(k)) })
}

// buildDetailLinks walks every link vehicle-major (each vehicle's parts ascending, beside its
// detail entries, also sorted by part), counting per part the links seen so far: a link's
// rank among its part's vehicles is that count, since vehicles come in ascending order.
func buildDetailLinks(k *catalog) *detailLinks {
	n := len(k.Parts)
	d := &detailLinks{start: make([]uint32, n+1)}
	for p := 0; p < n; p++ {
		d.start[p+1] = d.start[p] + uint32(k.PartVehicles.Cardinality(p))
	}
	d.bits = make([]uint64, (d.start[n]+63)/64)
	seen := make([]uint32, n)
	for v := 0; v < len(k.Vehicles); v++ {
		es := k.Details.Entries[k.Details.Offsets[v]:k.Details.Offsets[v+1]]
		if k.VehicleParts.Empty(v) {
			continue
		}
		it := k.VehicleParts.Get(v).Iterator()
		for it.HasNext() {
			p := it.Next()
			for len(es) > 0 && es[0].Part < p {
				es = es[1:]
			}
			if len(es) > 0 && es[0].Part == p {
				b := d.start[p] + seen[p]
				d.bits[b/64] |= 1 << (b % 64)
			}
			seen[p]++
		}
	}
	return d
}
