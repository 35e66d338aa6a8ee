package engine

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/fitment/fitment/snapshot"
)

// Fit checks (does this part fit that vehicle?) and the part → vehicles table of a product
// page. Both read the part → vehicles direction of the catalog: a catalog part's direct
// links are one frozen bitmap (snapshot.Postings), tested in place; an own part keeps its
// links in maps (ext.go).

// FitResult is the answer of a fit check.
type FitResult uint8

const (
	// DoesNotFit: the part has fitment data, none of it for this vehicle.
	DoesNotFit FitResult = iota
	// Fits: the part is fitted to the vehicle, or to every submodel of its model-year.
	Fits
	// Unknown: the part has no fitment data at all (and is not universal).
	Unknown
	// Universal: the part fits anything.
	Universal
)

var fitResultNames = [...]string{DoesNotFit: "does_not_fit", Fits: "fits", Unknown: "unknown", Universal: "universal"}

func (r FitResult) String() string { return fitResultNames[r] }

// MarshalText makes a FitResult its name in JSON.
func (r FitResult) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads a FitResult's name.
func (r *FitResult) UnmarshalText(b []byte) error {
	for i, name := range fitResultNames {
		if string(b) == name {
			*r = FitResult(i)
			return nil
		}
	}
	return fmt.Errorf("unknown fit result %q", b)
}

// PartKey is a part resolved in one view: a catalog part or one of the tenant's own. It is
// valid only with the view that made it.
type PartKey struct{ id uint32 }

// VehicleKey is a vehicle resolved in one view: a catalog vehicle or one of the tenant's own.
type VehicleKey struct {
	id  uint32 // catalog vehicle id, or own vehicle index
	own bool
}

// LookupPart resolves a part reference as the product detail does: a visible part by
// number (case-insensitively, outer spaces trimmed) or by one of the tenant's SKU aliases.
func (v *View) LookupPart(ref string) (PartKey, bool) {
	p, ok := v.resolve(ref, ResolveActive)
	return PartKey{p}, ok
}

// LookupVehicle resolves a vehicle id: a vehicle of the catalog or one of the tenant's own,
// whether or not any visible part fits it (a shopper's saved vehicle stays answerable).
func (v *View) LookupVehicle(id string) (VehicleKey, bool) {
	if i, ok := v.cat.vehicleByID[id]; ok {
		return VehicleKey{id: i}, true
	}
	if i, ok := v.ext.vehByID[id]; ok {
		return VehicleKey{id: uint32(i), own: true}, true
	}
	return VehicleKey{}, false
}

// Fit checks a resolved part against a resolved vehicle. For a catalog part and vehicle it
// is two in-place bitmap probes (the vehicle, then its model-year's wildcard) and allocates
// nothing.
func (v *View) Fit(p PartKey, veh VehicleKey) FitResult {
	if int(p.id) < len(v.cat.Parts) {
		if v.cat.fitsCentral(p.id, veh, v) {
			return Fits
		}
	} else if len(v.extFitments(v.extPart(p.id), veh)) > 0 {
		return Fits
	}
	return v.noFit(p)
}

// noFit is the answer for a part that is not fitted to the vehicle: universal, without any
// fitment data, or not fitting.
func (v *View) noFit(p PartKey) FitResult {
	k := v.cat
	if int(p.id) < len(k.Parts) {
		if k.Parts[p.id].Universal {
			return Universal
		}
		if k.PartVehicles.Empty(int(p.id)) {
			return Unknown
		}
		return DoesNotFit
	}
	ep := v.extPart(p.id)
	if ep.Universal {
		return Universal
	}
	if len(ep.central) == 0 && len(ep.own) == 0 {
		return Unknown
	}
	return DoesNotFit
}

// fitsCentral reports whether catalog part p is fitted to veh or to its model-year's
// wildcard (a wildcard itself takes only its own fitments, as in domain.md).
func (k *catalog) fitsCentral(p uint32, veh VehicleKey, v *View) bool {
	if veh.own {
		w, ok := v.ownCentralWildcard(veh.id)
		return ok && k.PartVehicles.Contains(int(p), w)
	}
	if k.PartVehicles.Contains(int(p), veh.id) {
		return true
	}
	w := k.wildcard[veh.id]
	return w != veh.id && k.PartVehicles.Contains(int(p), w)
}

// ownCentralWildcard is the catalog's wildcard of own vehicle i's model-year, through which
// catalog parts reach an own concrete submodel; ok is false when there is none.
func (v *View) ownCentralWildcard(i uint32) (uint32, bool) {
	ev := &v.ext.vehicles[i]
	if ev.Submodel == "" {
		return 0, false
	}
	w, ok := v.cat.vehicleByID[ev.wildcard]
	return w, ok
}

// fitmentsOf lists how part p fits veh (nil: it does not), as part lists show them.
func (v *View) fitmentsOf(p PartKey, veh VehicleKey) []Fitment {
	k := v.cat
	if int(p.id) >= len(k.Parts) {
		return v.extFitments(v.extPart(p.id), veh)
	}
	var out []Fitment
	add := func(target uint32) {
		if k.PartVehicles.Contains(int(p.id), target) {
			out = k.addLinkFitments(out, target, p.id)
		}
	}
	if veh.own {
		if w, ok := v.ownCentralWildcard(veh.id); ok {
			add(w)
		}
		return out
	}
	add(veh.id)
	if w := k.wildcard[veh.id]; w != veh.id {
		add(w)
	}
	return out
}

// extFitments lists how own part ep fits veh: its fitments to the vehicle, then to the
// vehicle's model-year wildcard (the catalog's or the tenant's).
func (v *View) extFitments(ep *extPart, veh VehicleKey) []Fitment {
	var out []Fitment
	add := func(fs []Fitment) {
		for _, f := range fs {
			out = appendFitment(out, f)
		}
	}
	if !veh.own {
		add(ep.central[veh.id])
		if w := v.cat.wildcard[veh.id]; w != veh.id {
			add(ep.central[w])
		}
		return out
	}
	ev := &v.ext.vehicles[veh.id]
	add(ep.own[int(veh.id)])
	if ev.Submodel != "" {
		if w, ok := v.cat.vehicleByID[ev.wildcard]; ok {
			add(ep.central[w])
		} else if wi, ok := v.ext.vehByID[ev.wildcard]; ok {
			add(ep.own[wi])
		}
	}
	return out
}

// addLinkFitments appends the fitments of the direct link (veh, p) to out, distinct ones
// once: its detail entries, or one plain fitment when it has none.
func (k *catalog) addLinkFitments(out []Fitment, veh, p uint32) []Fitment {
	ds := k.Details.For(veh, p)
	if ds == nil {
		if out == nil {
			return plainFitment
		}
		return appendFitment(out, Fitment{})
	}
	for _, d := range ds {
		out = appendFitment(out, k.fitment(d))
	}
	return out
}

// FitCheck is the answer of Fits.
type FitCheck struct {
	PartNumber string    `json:"partNumber"` // canonical
	VehicleID  string    `json:"vehicleId"`
	Result     FitResult `json:"result"`
	Fitments   []Fitment `json:"fitments"` // how it fits ([] unless Result is Fits)
}

// Fits checks whether a part (by number or alias) fits a vehicle (by id). A part outside
// the tenant's visible catalog, or a vehicle neither the catalog nor the tenant has, is
// ErrNotFound.
func (v *View) Fits(partRef, vehicleID string) (FitCheck, error) {
	veh, ok := v.LookupVehicle(vehicleID)
	if !ok {
		return FitCheck{}, notFoundf("vehicle %s is not in this catalog", vehicleID)
	}
	p, ok := v.LookupPart(partRef)
	if !ok {
		return FitCheck{}, notFoundf("part %s is not in this catalog", strings.TrimSpace(partRef))
	}
	return v.fitCheck(p, veh, vehicleID), nil
}

// fitCheck probes once: fitmentsOf makes the probes Fit makes, and lists at least one
// fitment for every link it finds, so no fitments is no fit.
func (v *View) fitCheck(p PartKey, veh VehicleKey, vehicleID string) FitCheck {
	fc := FitCheck{PartNumber: v.partNumber(p.id), VehicleID: vehicleID, Result: Fits, Fitments: v.fitmentsOf(p, veh)}
	if len(fc.Fitments) == 0 {
		fc.Result, fc.Fitments = v.noFit(p), []Fitment{}
	}
	return fc
}

// CartFit is one part of FitsMany: its check, or why it has none.
type CartFit struct {
	Input string `json:"input"` // the reference as given
	*FitCheck
	Error *LookupError `json:"error,omitempty"`
}

// LookupError names an input that could not be answered.
type LookupError struct {
	Code    string `json:"code"` // not_found
	Message string `json:"message"`
}

// FitsMany checks many parts against one vehicle (a cart), in input order; a part outside
// the tenant's catalog is reported in its place. Only an unknown vehicle fails the call.
func (v *View) FitsMany(vehicleID string, partRefs []string) ([]CartFit, error) {
	veh, ok := v.LookupVehicle(vehicleID)
	if !ok {
		return nil, notFoundf("vehicle %s is not in this catalog", vehicleID)
	}
	out := make([]CartFit, len(partRefs))
	for i, ref := range partRefs {
		out[i].Input = ref
		p, ok := v.LookupPart(ref)
		if !ok {
			out[i].Error = &LookupError{Code: "not_found", Message: "part " + strings.TrimSpace(ref) + " is not in this catalog"}
			continue
		}
		fc := v.fitCheck(p, veh, vehicleID)
		out[i].FitCheck = &fc
	}
	return out, nil
}

// VehicleFit is one row of a part's fitment table: one submodel of one model (or every
// submodel of it, AllSubmodels) over the years it fits in the same way.
type VehicleFit struct {
	Make         string    `json:"make"`
	MakeID       string    `json:"makeId"`
	Model        string    `json:"model"`
	ModelID      string    `json:"modelId"`
	Submodel     string    `json:"submodel"` // "" with AllSubmodels
	AllSubmodels bool      `json:"allSubmodels"`
	Type         string    `json:"type"`
	Years        string    `json:"years"`      // "2014-2019, 2021"
	YearRanges   [][2]int  `json:"yearRanges"` // [[2014, 2019], [2021, 2021]]
	Fitments     []Fitment `json:"fitments"`
}

// PartFitments is a part's fitment table.
type PartFitments struct {
	PartNumber string       `json:"partNumber"` // canonical
	Universal  bool         `json:"universal"`
	Vehicles   []VehicleFit `json:"vehicles"`
}

// PartVehicles returns the fitment table of a visible part (by number or alias): its
// direct links grouped by make, model and submodel — wildcard links as "all submodels" —
// with the years of each group collapsed into ranges. A group holds the years in which the
// part fits that submodel with the same fitments (position, qty, notes), so a change of
// position between years makes two rows. Rows are sorted by make, model, submodel (all
// submodels first), then first year.
func (v *View) PartVehicles(partRef string) (*PartFitments, error) {
	p, ok := v.LookupPart(partRef)
	if !ok {
		return nil, notFoundf("part %s is not in this catalog", strings.TrimSpace(partRef))
	}
	k := v.cat
	if int(p.id) < len(k.Parts) {
		return &PartFitments{PartNumber: k.Parts[p.id].Number, Universal: k.Parts[p.id].Universal,
			Vehicles: k.vehicleFits(p.id)}, nil
	}
	ep := v.extPart(p.id)
	return &PartFitments{PartNumber: ep.PartNumber, Universal: ep.Universal, Vehicles: v.extVehicleFits(ep)}, nil
}

// fitGroup gathers the years of one row while the links are walked: a set of years as
// bits from the catalog's first year (years span at most 1900–2100, so 256 bits hold them).
type fitGroup struct {
	veh   uint32 // the first vehicle of the group, for names
	sig   string // the fitments' identity (detailSig)
	fits  []Fitment
	first int // first year
	years [4]uint64
}

// vehicleFits builds catalog part p's table. Vehicles are numbered by (make, model, year,
// submodel), so one pass in id order meets each model's links together and in year order:
// groups are formed per model and flushed when the model changes; only the handful of
// groups of one model is ever sorted. Once detailLinks is built, links without fitment
// details (most of them) skip the detail look-up.
func (k *catalog) vehicleFits(p uint32) []VehicleFit {
	out := []VehicleFit{}
	if k.PartVehicles.Empty(int(p)) {
		return out
	}
	dl := k.detailLinks()
	var groups []fitGroup
	var ranges [][2]int // every row's ranges, end to end
	var text []byte     // every row's years text, end to end
	type span struct{ r0, r1, t0, t1 int }
	var spans []span
	model := ^uint32(0)
	flush := func() {
		slices.SortFunc(groups, func(a, b fitGroup) int {
			sa, sb := k.Vehicles[a.veh].Submodel, k.Vehicles[b.veh].Submodel
			if strings.EqualFold(sa, sb) {
				return cmp.Compare(a.first, b.first)
			}
			return cmp.Compare(snapshot.Key(sa), snapshot.Key(sb))
		})
		for i := range groups {
			g := &groups[i]
			sp := span{r0: len(ranges), t0: len(text)}
			ranges, text = appendYearBits(ranges, text, &g.years, k.minYear)
			sp.r1, sp.t1 = len(ranges), len(text)
			spans = append(spans, sp)
			out = append(out, k.vehicleFit(g.veh, g.fits))
		}
		groups = groups[:0]
	}
	var sigBuf []byte
	it := k.PartVehicles.Get(int(p)).Iterator()
	for i := 0; it.HasNext(); i++ {
		veh := it.Next()
		vh := &k.Vehicles[veh]
		if vh.Model != model {
			flush()
			model = vh.Model
		}
		var ds []snapshot.Detail
		if dl == nil || dl.has(p, i) {
			ds = k.Details.For(veh, p)
		}
		sigBuf = detailSig(sigBuf[:0], ds)
		var g *fitGroup
		for i := range groups {
			if h := &groups[i]; h.sig == string(sigBuf) && strings.EqualFold(k.Vehicles[h.veh].Submodel, vh.Submodel) {
				g = h
				break
			}
		}
		if g == nil {
			groups = append(groups, fitGroup{veh: veh, sig: string(sigBuf), fits: k.addLinkFitments(nil, veh, p), first: int(vh.Year)})
			g = &groups[len(groups)-1]
		}
		bit := int(vh.Year) - k.minYear
		g.years[bit/64] |= 1 << (bit % 64)
	}
	flush()
	all := string(text) // one string for every row's years text
	for i, sp := range spans {
		out[i].Years, out[i].YearRanges = all[sp.t0:sp.t1], ranges[sp.r0:sp.r1:sp.r1]
	}
	return out
}

// appendYearBits appends the ranges of a set of years (bits from minYear) and their text.
func appendYearBits(ranges [][2]int, text []byte, set *[4]uint64, minYear int) ([][2]int, []byte) {
	first := len(ranges)
	for w, word := range set {
		for word != 0 {
			b := bits.TrailingZeros64(word)
			word &= word - 1
			y := minYear + 64*w + b
			if n := len(ranges); n > first && ranges[n-1][1] == y-1 {
				ranges[n-1][1] = y
			} else {
				ranges = append(ranges, [2]int{y, y})
			}
		}
	}
	for i, r := range ranges[first:] {
		if i > 0 {
			text = append(text, ", "...)
		}
		text = strconv.AppendInt(text, int64(r[0]), 10)
		if r[1] != r[0] {
			text = append(text, '-')
			text = strconv.AppendInt(text, int64(r[1]), 10)
		}
	}
	return ranges, text
}

func (k *catalog) vehicleFit(veh uint32, fits []Fitment) VehicleFit {
	vh := &k.Vehicles[veh]
	md := &k.Models[vh.Model]
	mk := &k.Makes[md.Make]
	return VehicleFit{Make: mk.Name, MakeID: mk.ID, Model: md.Name, ModelID: md.ID, Submodel: vh.Submodel,
		AllSubmodels: vh.Wildcard(), Type: md.Type.String(), Fitments: fits}
}

// detailSig appends the identity of a link's fitment entries (their attributes in order;
// none is "" — the plain fitment).
func detailSig(dst []byte, ds []snapshot.Detail) []byte {
	for _, d := range ds {
		dst = append(dst, byte(d.Position), byte(d.Position>>8), byte(d.Qty), byte(d.Qty>>8),
			byte(d.Note), byte(d.Note>>8), byte(d.Note>>16), byte(d.Note>>24))
	}
	return dst
}

// extVehicleFits builds own part ep's table from its links to catalog and own vehicles.
// There are few; they are sorted by names.
func (v *View) extVehicleFits(ep *extPart) []VehicleFit {
	k := v.cat
	type link struct {
		row  VehicleFit // names; Years etc. filled per group
		year int
		keys [3]string // Key(make), Key(model), Key(submodel)
		sig  string
	}
	var links []link
	add := func(row VehicleFit, year int, fits []Fitment) {
		row.Fitments = fits
		links = append(links, link{row: row, year: year, keys: [3]string{snapshot.Key(row.Make), snapshot.Key(row.Model), snapshot.Key(row.Submodel)},
			sig: string(appendFitmentList(nil, fits))})
	}
	for veh, fits := range ep.central {
		add(k.vehicleFit(veh, nil), int(k.Vehicles[veh].Year), fits)
	}
	for i, fits := range ep.own {
		ev := &v.ext.vehicles[i]
		add(VehicleFit{Make: v.makeName(ev), MakeID: ev.makeID, Model: ev.Model, ModelID: ev.modelID, Submodel: ev.Submodel,
			AllSubmodels: ev.Submodel == "", Type: ev.typ.String()}, ev.Year, fits)
	}
	slices.SortFunc(links, func(a, b link) int {
		return cmp.Or(cmp.Compare(a.keys[0], b.keys[0]), cmp.Compare(a.keys[1], b.keys[1]), cmp.Compare(a.keys[2], b.keys[2]),
			cmp.Compare(a.sig, b.sig), cmp.Compare(a.year, b.year))
	})
	out := []VehicleFit{}
	for i := 0; i < len(links); {
		j := i
		var years []int
		for ; j < len(links) && links[j].keys == links[i].keys && links[j].sig == links[i].sig; j++ {
			years = append(years, links[j].year)
		}
		row := links[i].row
		row.Years, row.YearRanges = CollapseYears(years)
		out = append(out, row)
		i = j
	}
	slices.SortStableFunc(out, func(a, b VehicleFit) int {
		return cmp.Or(cmp.Compare(snapshot.Key(a.Make), snapshot.Key(b.Make)), cmp.Compare(snapshot.Key(a.Model), snapshot.Key(b.Model)),
			cmp.Compare(snapshot.Key(a.Submodel), snapshot.Key(b.Submodel)), cmp.Compare(a.YearRanges[0][0], b.YearRanges[0][0]))
	})
	return out
}

// CollapseYears turns a set of years (any order, duplicates allowed) into ascending
// ranges of consecutive years, and their display form: 2014, 2015, …, 2019, 2021 →
// "2014-2019, 2021" and [[2014 2019] [2021 2021]].
func CollapseYears(years []int) (string, [][2]int) {
	ranges := [][2]int{}
	if len(years) == 0 {
		return "", ranges
	}
	if !slices.IsSorted(years) {
		years = slices.Sorted(slices.Values(years))
	}
	for _, y := range years {
		if n := len(ranges); n > 0 && y <= ranges[n-1][1]+1 {
			ranges[n-1][1] = max(ranges[n-1][1], y)
			continue
		}
		ranges = append(ranges, [2]int{y, y})
	}
	var b []byte
	for i, r := range ranges {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendInt(b, int64(r[0]), 10)
		if r[1] != r[0] {
			b = append(b, '-')
			b = strconv.AppendInt(b, int64(r[1]), 10)
		}
	}
	return string(b), ranges
}
