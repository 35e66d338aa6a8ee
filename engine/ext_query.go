package engine

import (
	"slices"
	"sort"

	"github.com/fitment/fitment/snapshot"
)

// The catalog's answers, merged with the tenant's own vehicles and parts. Every function
// here returns at once for a tenant without any.

// extVehicles calls fn for each visible own vehicle that passes f (type, year, make, model).
func (v *View) extVehicles(f Filter, fn func(ev *extVehicle)) {
	t, _ := typeFilter(f.Type)
	for _, i := range v.visibility.ext {
		ev := &v.ext.vehicles[i]
		if f.Year != 0 && ev.Year != f.Year || t != 0 && ev.typ != t || f.MakeID != "" && ev.makeID != f.MakeID ||
			f.ModelID != "" && ev.modelID != f.ModelID {
			continue
		}
		fn(ev)
	}
}

// makeName is the display name of a make: the catalog's spelling when it has the make.
func (v *View) makeName(ev *extVehicle) string {
	if m, ok := v.cat.makeByID[ev.makeID]; ok {
		return v.cat.Makes[m].Name
	}
	return ev.Make
}

func (v *View) extYears(t snapshot.VehicleType, years []int) []int {
	if len(v.visibility.ext) == 0 {
		return years
	}
	f := Filter{}
	if t != 0 {
		f.Type = t.String()
	}
	v.extVehicles(f, func(ev *extVehicle) {
		if !slices.Contains(years, ev.Year) {
			years = append(years, ev.Year)
		}
	})
	sort.Sort(sort.Reverse(sort.IntSlice(years)))
	return years
}

func (v *View) extMakes(f Filter, out []MakeRef) []MakeRef {
	if len(v.visibility.ext) == 0 {
		return out
	}
	added := false
	v.extVehicles(Filter{Year: f.Year, Type: f.Type}, func(ev *extVehicle) {
		if !slices.ContainsFunc(out, func(m MakeRef) bool { return m.ID == ev.makeID }) {
			out = append(out, MakeRef{ID: ev.makeID, Name: v.makeName(ev)})
			added = true
		}
	})
	if added {
		sort.SliceStable(out, func(a, b int) bool { return snapshot.Key(out[a].Name) < snapshot.Key(out[b].Name) })
	}
	return out
}

func (v *View) extModels(f Filter, out []ModelRef) []ModelRef {
	if len(v.visibility.ext) == 0 {
		return out
	}
	makeOf := map[string]string{} // model id → Key(make name), for the order
	added := false
	v.extVehicles(Filter{Year: f.Year, Type: f.Type, MakeID: f.MakeID}, func(ev *extVehicle) {
		if !slices.ContainsFunc(out, func(m ModelRef) bool { return m.ID == ev.modelID }) {
			out = append(out, ModelRef{ID: ev.modelID, Name: ev.Model})
			makeOf[ev.modelID] = snapshot.Key(v.makeName(ev))
			added = true
		}
	})
	if !added {
		return out
	}
	mk := func(r ModelRef) string {
		if m, ok := v.cat.modelByID[r.ID]; ok {
			return snapshot.Key(v.cat.Makes[v.cat.Models[m].Make].Name)
		}
		return makeOf[r.ID]
	}
	sort.SliceStable(out, func(a, b int) bool {
		if ka, kb := snapshot.Key(out[a].Name), snapshot.Key(out[b].Name); ka != kb {
			return ka < kb
		}
		return mk(out[a]) < mk(out[b])
	})
	return out
}

func (v *View) extVehicleRef(ev *extVehicle) VehicleRef {
	return VehicleRef{ID: ev.ID, Submodel: ev.Submodel, Year: ev.Year, ModelID: ev.modelID, Model: ev.Model,
		Make: v.makeName(ev), Type: ev.typ.String()}
}

func (v *View) extVehiclesOf(f Filter, out []VehicleRef) []VehicleRef {
	if len(v.visibility.ext) == 0 {
		return out
	}
	added := false
	v.extVehicles(f, func(ev *extVehicle) {
		if ev.Submodel == "" && v.ext.hasConcrete[ev.ID] {
			return // the model-year has concrete submodels; list those
		}
		out = append(out, v.extVehicleRef(ev))
		added = true
	})
	if !added {
		return out
	}
	// A catalog wildcard gives way to own concrete submodels of its model-year too.
	out = slices.DeleteFunc(out, func(r VehicleRef) bool { return r.Submodel == "" && v.ext.hasConcrete[r.ID] })
	sort.SliceStable(out, func(a, b int) bool {
		if ka, kb := snapshot.Key(out[a].Submodel), snapshot.Key(out[b].Submodel); ka != kb {
			return ka < kb
		}
		return out[a].Year > out[b].Year
	})
	return out
}

// extFitsGroup counts the own parts (not universal) with a fitment to a vehicle that in
// accepts, given the vehicle's year, model id, make id and type.
func (v *View) extFitsGroup(in func(year int, modelID, makeID string, t snapshot.VehicleType) bool) int {
	n := 0
	for _, seq := range v.ext.sorted {
		p := v.ext.parts[seq]
		if p.Universal {
			continue
		}
		hit := false
		for id := range p.central {
			veh := &v.cat.Vehicles[id]
			md := &v.cat.Models[veh.Model]
			if in(int(veh.Year), md.ID, v.cat.Makes[md.Make].ID, md.Type) {
				hit = true
				break
			}
		}
		for i := range p.own {
			if hit {
				break
			}
			ev := &v.ext.vehicles[i]
			hit = in(ev.Year, ev.modelID, ev.makeID, ev.typ)
		}
		if hit {
			n++
		}
	}
	return n
}

// extList is the own parts of a vehicle's part list, by part number: fitting, then
// universal, each with its fitments.
type extList struct {
	fitting   []uint32 // part ids
	universal []uint32
	fits      map[uint32][]Fitment
}

// extParts returns the own parts fitting catalog vehicle id (central) or own vehicle i.
func (v *View) extParts(central bool, id uint32, own int, universal bool) extList {
	x := v.ext
	var l extList
	if x.empty() {
		return l
	}
	l.fits = map[uint32][]Fitment{}
	add := func(seqs []uint32, fits func(p *extPart) []Fitment) {
		for _, seq := range seqs {
			pid := v.cat.extID(seq)
			if _, seen := l.fits[pid]; !seen {
				l.fitting = append(l.fitting, pid)
			}
			for _, f := range fits(x.parts[seq]) {
				l.fits[pid] = appendFitment(l.fits[pid], f)
			}
		}
	}
	if central {
		add(x.centralFits[id], func(p *extPart) []Fitment { return p.central[id] })
		if w := v.cat.wildcard[id]; w != id {
			add(x.centralFits[w], func(p *extPart) []Fitment { return p.central[w] })
		}
	} else {
		ev := &x.vehicles[own]
		add(x.ownFits[own], func(p *extPart) []Fitment { return p.own[own] })
		if ev.Submodel != "" {
			if w, ok := v.cat.vehicleByID[ev.wildcard]; ok {
				add(x.centralFits[w], func(p *extPart) []Fitment { return p.central[w] })
			} else if wi, ok := x.vehByID[ev.wildcard]; ok {
				add(x.ownFits[wi], func(p *extPart) []Fitment { return p.own[wi] })
			}
		}
	}
	sort.Slice(l.fitting, func(a, b int) bool { return v.extPart(l.fitting[a]).key < v.extPart(l.fitting[b]).key })
	if universal {
		for _, seq := range x.sorted {
			if x.parts[seq].Universal {
				l.universal = append(l.universal, v.cat.extID(seq))
			}
		}
	}
	return l
}

// mergeByNumber merges a set of catalog part ids (in id order, which is part-number
// order) with own part ids in part-number order.
func (v *View) mergeByNumber(central []uint32, own []uint32) []uint32 {
	out := make([]uint32, 0, len(central)+len(own))
	i := 0
	for _, p := range own {
		after := v.extPart(p).after
		for i < len(central) && central[i] < after {
			out = append(out, central[i])
			i++
		}
		out = append(out, p)
	}
	return append(out, central[i:]...)
}

// extDetail is the product detail of own part p.
func (v *View) extDetail(p uint32, lang string) *PartDetail {
	ep := v.extPart(p)
	d := ep.Detail
	name := ep.Name
	if n, ok := ep.Names.Get(lang); ok && n != "" {
		name = n
	}
	out := &PartDetail{PartNumber: ep.PartNumber, Brand: ep.Brand, Name: name, ManualURL: optString(d.ManualURL),
		WeightKg: d.WeightKg, Images: append([]string{}, d.Images...), OEMNumbers: []OEMNumber{}, EAN: optString(d.EAN),
		CountryOfOrigin: optString(d.CountryOfOrigin), CategoryPath: []string{}, Universal: ep.Universal}
	desc := d.Description
	if t, ok := d.Descriptions[lang]; ok && t != "" {
		desc = t
	}
	out.Description = optString(desc)
	for _, o := range d.OEM {
		out.OEMNumbers = append(out.OEMNumbers, OEMNumber{Brand: o.Brand, Number: o.Number})
	}
	if len(d.OEM) > 0 {
		out.OEMPartNumber = &d.OEM[0].Number
	}
	if len(d.Images) > 0 {
		out.ImageURL = &d.Images[0]
	}
	if d.LengthCm != nil || d.WidthCm != nil || d.HeightCm != nil {
		out.DimensionsCm = &Dimensions{Length: d.LengthCm, Width: d.WidthCm, Height: d.HeightCm}
	}
	if ep.category != snapshot.None {
		out.Category = &v.cat.Categories[ep.category].Name
		out.CategoryPath = v.cat.categoryPath[ep.category]
	}
	o := v.offers.get(p)
	out.Price, out.Stock = o.money(), o.stockPtr()
	return out
}

// extSummary is own part p as a part list shows it.
func (v *View) extSummary(p uint32, lang string, fits []Fitment) PartSummary {
	d := v.extDetail(p, lang)
	return PartSummary{PartNumber: d.PartNumber, OEMPartNumber: d.OEMPartNumber, Brand: d.Brand, Name: d.Name,
		Category: d.Category, ImageURL: d.ImageURL, Price: d.Price, Stock: d.Stock, Fitments: fits}
}

// encodeExtFragment is encodeFragment for own part p.
func (v *View) encodeExtFragment(dst []byte, p uint32, lang string) []byte {
	s := v.extSummary(p, lang, nil)
	dst = append(dst, `{"partNumber":`...)
	dst = appendJSONString(dst, s.PartNumber)
	dst = append(dst, `,"oemPartNumber":`...)
	dst = appendOptPtr(dst, s.OEMPartNumber)
	dst = append(dst, `,"brand":`...)
	dst = appendJSONString(dst, s.Brand)
	dst = append(dst, `,"name":`...)
	dst = appendJSONString(dst, s.Name)
	dst = append(dst, `,"category":`...)
	dst = appendOptPtr(dst, s.Category)
	dst = append(dst, `,"imageUrl":`...)
	dst = appendOptPtr(dst, s.ImageURL)
	return append(dst, `,"price":`...)
}

func appendOptPtr(dst []byte, s *string) []byte {
	if s == nil {
		return append(dst, "null"...)
	}
	return appendJSONString(dst, *s)
}
