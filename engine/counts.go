package engine

import (
	"sync"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fitment/fitment/snapshot"
)

// The counts=true form of the cascade: each year, make or model with the number of the
// tenant's visible parts that fit at least one of its vehicles (wildcard fitments included:
// a group always holds the wildcard vehicles of its model-years).
//
// The parts that fit a group are the same for every tenant, so they are unioned once per
// catalog and kept (groups of years and of make-years; a model-year has few vehicles and
// is unioned on the fly); a tenant's count is one AndCardinality with its visible parts.

// YearCount is a year with its number of visible fitting parts.
type YearCount struct {
	Year  int `json:"year"`
	Parts int `json:"parts"`
}

// MakeCount is a make with its number of visible fitting parts.
type MakeCount struct {
	MakeRef
	Parts int `json:"parts"`
}

// ModelCount is a model with its number of visible fitting parts.
type ModelCount struct {
	ModelRef
	Parts int `json:"parts"`
}

// groupKey names a cached group: a year (make = none) or a make-year, of one type (0 = any).
type groupKey struct {
	make uint32
	year int
	typ  snapshot.VehicleType
}

// groupParts is the catalog's cache of group part sets.
type groupParts struct {
	m sync.Map // groupKey → *roaring.Bitmap
}

// YearCounts is Years with part counts.
func (v *View) YearCounts(f Filter) []YearCount {
	out := []YearCount{}
	t, _ := typeFilter(f.Type)
	for _, y := range v.Years(f) {
		own := v.extFitsGroup(func(year int, _, _ string, vt snapshot.VehicleType) bool { return year == y && (t == 0 || vt == t) })
		if v.cat.yearVehicles[y] == nil {
			out = append(out, YearCount{Year: y, Parts: own})
			continue
		}
		parts := v.cat.groupUnion(groupKey{make: snapshot.None, year: y, typ: t}, func() *roaring.Bitmap {
			var bs []*roaring.Bitmap
			it := v.cat.yearVehicles[y].Iterator()
			for it.HasNext() {
				id := it.Next()
				if (t == 0 || v.cat.Models[v.cat.Vehicles[id].Model].Type == t) && !v.cat.VehicleParts.Empty(int(id)) {
					bs = append(bs, v.cat.VehicleParts.Get(int(id)))
				}
			}
			return roaring.ParOr(0, bs...)
		})
		out = append(out, YearCount{Year: y, Parts: int(parts.AndCardinality(v.fit)) + own})
	}
	return out
}

// MakeCounts is Makes with part counts.
func (v *View) MakeCounts(f Filter) []MakeCount {
	out := []MakeCount{}
	t, _ := typeFilter(f.Type)
	for _, mk := range v.Makes(f) {
		own := v.extFitsGroup(func(year int, _, makeID string, vt snapshot.VehicleType) bool {
			return makeID == mk.ID && (f.Year == 0 || year == f.Year) && (t == 0 || vt == t)
		})
		m, ok := v.cat.makeByID[mk.ID]
		if !ok {
			out = append(out, MakeCount{MakeRef: mk, Parts: own})
			continue
		}
		parts := v.cat.groupUnion(groupKey{make: m, year: f.Year, typ: t}, func() *roaring.Bitmap {
			lo, hi := v.cat.modelsOf(m)
			var bs []*roaring.Bitmap
			for md := lo; md < hi; md++ {
				if t == 0 || v.cat.Models[md].Type == t {
					bs = append(bs, v.cat.modelParts(md, f.Year))
				}
			}
			return roaring.ParOr(0, bs...)
		})
		out = append(out, MakeCount{MakeRef: mk, Parts: int(parts.AndCardinality(v.fit)) + own})
	}
	return out
}

// ModelCounts is Models with part counts.
func (v *View) ModelCounts(f Filter) []ModelCount {
	out := []ModelCount{}
	for _, md := range v.Models(f) {
		own := v.extFitsGroup(func(year int, modelID, _ string, _ snapshot.VehicleType) bool {
			return modelID == md.ID && (f.Year == 0 || year == f.Year)
		})
		m, ok := v.cat.modelByID[md.ID]
		if !ok {
			out = append(out, ModelCount{ModelRef: md, Parts: own})
			continue
		}
		parts := v.cat.modelParts(m, f.Year)
		out = append(out, ModelCount{ModelRef: md, Parts: int(parts.AndCardinality(v.fit)) + own})
	}
	return out
}

// groupUnion returns the cached part set of a group, building it with build once.
func (k *catalog) groupUnion(key groupKey, build func() *roaring.Bitmap) *roaring.Bitmap {
	if b, ok := k.groups.m.Load(key); ok {
		return b.(*roaring.Bitmap)
	}
	b, _ := k.groups.m.LoadOrStore(key, build())
	return b.(*roaring.Bitmap)
}

// modelParts unions the parts fitted to the vehicles of model m (of its model-year when
// year != 0). Not cached: a model-year is a handful of vehicles.
func (k *catalog) modelParts(m uint32, year int) *roaring.Bitmap {
	lo, hi := k.modelRange(m, year)
	var bs []*roaring.Bitmap
	for id := lo; id < hi; id++ {
		if !k.VehicleParts.Empty(int(id)) {
			bs = append(bs, k.VehicleParts.Get(int(id)))
		}
	}
	return roaring.FastOr(bs...)
}
