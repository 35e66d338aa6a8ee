package engine

import (
	"slices"
	"sort"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fitment/fitment/snapshot"
)

// candidates is the set of visible vehicles that pass the year and type filters. The
// result must not be modified: with no filter it is the view's own set.
func (v *View) candidates(f Filter) (*roaring.Bitmap, bool) {
	set := v.vehicles
	if f.Type != "" {
		t, ok := snapshot.ParseVehicleType(f.Type)
		if !ok {
			return nil, false
		}
		set = roaring.And(set, v.cat.typeVehicles[t])
	}
	if f.Year != 0 {
		yv, ok := v.cat.yearVehicles[f.Year]
		if !ok {
			return nil, false
		}
		set = roaring.And(set, yv)
	}
	return set, true
}

// Years lists the years with a visible vehicle (of f.Type), newest first. The answer
// depends only on the view and the type, so it is computed once per view and type.
func (v *View) Years(f Filter) []int {
	t := snapshot.VehicleType(0)
	if f.Type != "" {
		var ok bool
		if t, ok = snapshot.ParseVehicleType(f.Type); !ok {
			return []int{}
		}
	}
	c := &v.years[t]
	c.once.Do(func() {
		set := v.vehicles
		if t != 0 {
			set = roaring.And(set, v.cat.typeVehicles[t])
		}
		c.years = []int{}
		for _, y := range v.cat.years {
			if set.Intersects(v.cat.yearVehicles[y]) {
				c.years = append(c.years, y)
			}
		}
	})
	return slices.Clone(c.years)
}

// Makes lists the makes with a visible vehicle (of f.Year and f.Type), by name.
func (v *View) Makes(f Filter) []MakeRef {
	out := []MakeRef{}
	set, ok := v.candidates(f)
	if !ok {
		return out
	}
	// Vehicles are sorted by make, and makes by name: one skipping pass yields the answer
	// in order, touching one vehicle per make.
	it := set.Iterator()
	for it.HasNext() {
		m := v.cat.vehMake[it.PeekNext()]
		out = append(out, MakeRef{ID: v.cat.Makes[m].ID, Name: v.cat.Makes[m].Name})
		it.AdvanceIfNeeded(v.cat.makeEnd[m])
	}
	return out
}

// Models lists the models with a visible vehicle (of f.MakeID, f.Year and f.Type), by name.
func (v *View) Models(f Filter) []ModelRef {
	out := []ModelRef{}
	set, ok := v.candidates(f)
	if !ok {
		return out
	}
	lo, hi := uint32(0), uint32(len(v.cat.Vehicles))
	if f.MakeID != "" {
		m, ok := v.cat.makeByID[f.MakeID]
		if !ok {
			return out
		}
		lo, hi = v.cat.makeStart(m), v.cat.makeEnd[m]
	}
	var models []uint32
	it := set.Iterator()
	it.AdvanceIfNeeded(lo)
	for it.HasNext() && it.PeekNext() < hi {
		md := v.cat.Vehicles[it.PeekNext()].Model
		models = append(models, md)
		it.AdvanceIfNeeded(v.cat.modelEnd[md])
	}
	if f.MakeID == "" {
		// Across makes, order by name (models of one make are already in name order).
		rank := v.cat.modelRank
		sort.Slice(models, func(a, b int) bool { return rank[models[a]] < rank[models[b]] })
	}
	for _, md := range models {
		out = append(out, ModelRef{ID: v.cat.Models[md].ID, Name: v.cat.Models[md].Name})
	}
	return out
}

// Vehicles lists the visible vehicles of f.ModelID (and f.Year), by submodel, newest year
// first within a submodel. A wildcard vehicle is listed only for a model-year that has no
// concrete submodels.
func (v *View) Vehicles(f Filter) []VehicleRef {
	out := []VehicleRef{}
	set, ok := v.candidates(Filter{Year: f.Year, Type: f.Type})
	if !ok {
		return out
	}
	lo, hi := uint32(0), uint32(len(v.cat.Vehicles))
	if f.ModelID != "" {
		m, ok := v.cat.modelByID[f.ModelID]
		if !ok {
			return out
		}
		lo, hi = v.cat.modelRange(m, f.Year)
	}
	it := set.Iterator()
	it.AdvanceIfNeeded(lo)
	for it.HasNext() && it.PeekNext() < hi {
		id := it.Next()
		veh := &v.cat.Vehicles[id]
		if veh.Wildcard() && v.cat.yearEnd[id] > id+1 {
			continue // the model-year has concrete submodels; list those
		}
		out = append(out, v.cat.vehicleRef(id))
	}
	sort.SliceStable(out, func(a, b int) bool {
		if ka, kb := snapshot.Key(out[a].Submodel), snapshot.Key(out[b].Submodel); ka != kb {
			return ka < kb
		}
		return out[a].Year > out[b].Year
	})
	return out
}

func (k *catalog) vehicleRef(id uint32) VehicleRef {
	veh := &k.Vehicles[id]
	md := &k.Models[veh.Model]
	return VehicleRef{
		ID:       veh.ID,
		Submodel: veh.Submodel,
		Year:     int(veh.Year),
		ModelID:  md.ID,
		Model:    md.Name,
		Make:     k.Makes[md.Make].Name,
		Type:     md.Type.String(),
	}
}
