package engine

import (
	"slices"
	"sort"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fitment/fitment/snapshot"
)

// typeFilter parses a type filter: 0 for none; ok is false for an unknown type.
func typeFilter(name string) (t snapshot.VehicleType, ok bool) {
	if name == "" {
		return 0, true
	}
	return snapshot.ParseVehicleType(name)
}

// modelOK reports whether model m passes the type filter and has a visible vehicle in year.
func (v *View) modelOK(m uint32, t snapshot.VehicleType, year int) bool {
	return (t == 0 || v.cat.Models[m].Type == t) && v.has(m, year)
}

// Years lists the years with a visible vehicle (of f.Type), newest first. The answer
// depends only on the view and the type, so it is computed once per view and type.
func (v *View) Years(f Filter) []int {
	t, ok := typeFilter(f.Type)
	if !ok {
		return []int{}
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
		c.years = v.extYears(t, c.years)
	})
	return slices.Clone(c.years)
}

// Makes lists the makes with a visible vehicle (of f.Year and f.Type), by name.
func (v *View) Makes(f Filter) []MakeRef {
	if _, ok := typeFilter(f.Type); !ok {
		return []MakeRef{}
	}
	return v.extMakes(f, v.catalogMakes(f))
}

func (v *View) catalogMakes(f Filter) []MakeRef {
	out := []MakeRef{}
	t, ok := typeFilter(f.Type)
	if !ok {
		return out
	}
	for mk := range v.cat.Makes { // makes are sorted by name
		lo, hi := v.cat.modelsOf(uint32(mk))
		for m := lo; m < hi; m++ {
			if v.modelOK(m, t, f.Year) {
				out = append(out, MakeRef{ID: v.cat.Makes[mk].ID, Name: v.cat.Makes[mk].Name})
				break
			}
		}
	}
	return out
}

// Models lists the models with a visible vehicle (of f.MakeID, f.Year and f.Type), by name.
func (v *View) Models(f Filter) []ModelRef {
	if _, ok := typeFilter(f.Type); !ok {
		return []ModelRef{}
	}
	return v.extModels(f, v.catalogModels(f))
}

func (v *View) catalogModels(f Filter) []ModelRef {
	out := []ModelRef{}
	t, ok := typeFilter(f.Type)
	if !ok {
		return out
	}
	add := func(m uint32) {
		if v.modelOK(m, t, f.Year) {
			out = append(out, ModelRef{ID: v.cat.Models[m].ID, Name: v.cat.Models[m].Name})
		}
	}
	if f.MakeID == "" {
		for _, m := range v.cat.modelsByName {
			add(m)
		}
		return out
	}
	mk, ok := v.cat.makeByID[f.MakeID]
	if !ok {
		return out
	}
	lo, hi := v.cat.modelsOf(mk) // a make's models are sorted by name
	for m := lo; m < hi; m++ {
		add(m)
	}
	return out
}

// Vehicles lists the visible vehicles of f.ModelID (and f.Year), by submodel, newest year
// first within a submodel. A wildcard vehicle is listed only for a model-year that has no
// concrete submodels. Without a model, every visible vehicle is listed.
func (v *View) Vehicles(f Filter) []VehicleRef {
	if _, ok := typeFilter(f.Type); !ok {
		return []VehicleRef{}
	}
	return v.extVehiclesOf(f, v.catalogVehicles(f))
}

func (v *View) catalogVehicles(f Filter) []VehicleRef {
	out := []VehicleRef{}
	t, ok := typeFilter(f.Type)
	if !ok {
		return out
	}
	lo, hi := uint32(0), uint32(len(v.cat.Vehicles))
	if f.ModelID != "" {
		m, ok := v.cat.modelByID[f.ModelID]
		if !ok || !v.modelOK(m, t, f.Year) {
			return out
		}
		lo, hi = v.cat.modelRange(m, f.Year)
	}
	it := v.vehicles.Iterator()
	it.AdvanceIfNeeded(lo)
	for it.HasNext() && it.PeekNext() < hi {
		id := it.Next()
		veh := &v.cat.Vehicles[id]
		if f.Year != 0 && int(veh.Year) != f.Year || t != 0 && v.cat.Models[veh.Model].Type != t {
			continue
		}
		if veh.Wildcard() && v.cat.yearEnd[id] > id+1 {
			continue // the model-year has concrete submodels; list those
		}
		out = append(out, v.cat.vehicleRef(id))
	}
	if f.Year != 0 && f.ModelID != "" {
		return out // one model-year: already in submodel order
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
