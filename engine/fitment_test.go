package engine_test

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/ingest"
	"github.com/fitment/fitment/snapshot"
)

// Fit checks, part → vehicles tables, bulk lookups and exports, checked against the naive
// model of reference_test.go.

func TestCollapseYears(t *testing.T) {
	for _, tc := range []struct {
		in     []int
		text   string
		ranges [][2]int
	}{
		{nil, "", [][2]int{}},
		{[]int{2024}, "2024", [][2]int{{2024, 2024}}},
		{[]int{2014, 2015, 2016, 2017, 2018, 2019, 2021}, "2014-2019, 2021", [][2]int{{2014, 2019}, {2021, 2021}}},
		{[]int{2021, 2014, 2016, 2015}, "2014-2016, 2021", [][2]int{{2014, 2016}, {2021, 2021}}}, // any order
		{[]int{2012, 2012, 2013, 2013, 2013}, "2012-2013", [][2]int{{2012, 2013}}},               // duplicates
		{[]int{2000, 2002, 2004}, "2000, 2002, 2004", [][2]int{{2000, 2000}, {2002, 2002}, {2004, 2004}}},
		{[]int{2012, 2013, 2014, 2015, 2016, 2018, 2019, 2020, 2021, 2022, 2023}, "2012-2016, 2018-2023", [][2]int{{2012, 2016}, {2018, 2023}}},
	} {
		text, ranges := engine.CollapseYears(slices.Clone(tc.in))
		if text != tc.text || !reflect.DeepEqual(ranges, tc.ranges) {
			t.Errorf("CollapseYears(%v) = %q %v, want %q %v", tc.in, text, ranges, tc.text, tc.ranges)
		}
	}
}

// TestCollapseYearsProperty: expanding the ranges gives back the input set, the ranges are
// ascending, disjoint and not adjacent (so none could be merged), and the text lists them.
func TestCollapseYearsProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < 5000; i++ {
		var in []int
		set := map[int]bool{}
		for n := r.IntN(30); n > 0; n-- {
			y := 1990 + r.IntN(40)
			in = append(in, y)
			set[y] = true
		}
		text, ranges := engine.CollapseYears(slices.Clone(in))
		got := map[int]bool{}
		var parts []string
		for j, rg := range ranges {
			if rg[0] > rg[1] || j > 0 && rg[0] <= ranges[j-1][1]+1 {
				t.Fatalf("%v: ranges %v not ascending, disjoint and apart", in, ranges)
			}
			for y := rg[0]; y <= rg[1]; y++ {
				got[y] = true
			}
			if rg[0] == rg[1] {
				parts = append(parts, strconv.Itoa(rg[0]))
			} else {
				parts = append(parts, fmt.Sprintf("%d-%d", rg[0], rg[1]))
			}
		}
		if !reflect.DeepEqual(got, set) && !(len(got) == 0 && len(set) == 0) {
			t.Fatalf("%v: ranges %v expand to %v", in, ranges, got)
		}
		if want := strings.Join(parts, ", "); text != want {
			t.Fatalf("%v: text %q, want %q", in, text, want)
		}
	}
}

// refLink is one direct link of a part in the model.
type refLink struct {
	veh  refVehicle
	fits []engine.Fitment
}

// vehicleOrder is the catalog's vehicle order: make, model, year, submodel (case-folded).
func vehicleOrder(a, b refVehicle) int {
	return cmp.Or(cmp.Compare(snapshot.Key(a.make), snapshot.Key(b.make)), cmp.Compare(snapshot.Key(a.model), snapshot.Key(b.model)),
		cmp.Compare(a.year, b.year), cmp.Compare(snapshot.Key(a.submodel), snapshot.Key(b.submodel)))
}

// partLinks gives every part's direct links in vehicle order.
func (m *model) partLinks() map[string][]refLink {
	vs := slices.Clone(m.vehicles)
	slices.SortFunc(vs, vehicleOrder)
	out := map[string][]refLink{}
	for _, v := range vs {
		for pk, fits := range m.directFits(v) {
			out[pk] = append(out[pk], refLink{v, canonFits(fits)})
		}
	}
	return out
}

// resolveRef finds the part a reference names for tenant t, as the product detail does:
// a visible part by number, else an alias to a visible part.
func (m *model) resolveRef(t *refTenant, ref string) (refPart, bool) {
	if p, ok := m.partByKey[snapshot.Key(ref)]; ok && m.visiblePart(t, p) {
		return p, true
	}
	if a, ok := t.aliases[snapshot.Key(ref)]; ok {
		if p := m.part(a.target); m.visiblePart(t, p) {
			return p, true
		}
	}
	return refPart{}, false
}

func (m *model) vehicleID(v refVehicle) string {
	return snapshot.VehicleID(v.make, v.model, v.submodel, v.year)
}

// refRecord is a line as the 13 lookup columns (export lines leave out input and status).
func (m *model) refRecord(input string, p refPart, v *refVehicle, f *engine.Fitment, status string) []string {
	rec := make([]string, 13)
	rec[0] = input
	if p.number != "" {
		rec[1], rec[2] = p.number, p.brand
	}
	if v != nil {
		rec[3], rec[4], rec[5], rec[6] = m.vehicleID(*v), m.makeName[snapshot.Key(v.make)], v.model, v.submodel
		rec[7], rec[8] = strconv.Itoa(v.year), v.typ
	}
	if f != nil {
		if f.Position != nil {
			rec[9] = *f.Position
		}
		if f.Qty != nil {
			rec[10] = strconv.Itoa(*f.Qty)
		}
		if f.Notes != nil {
			rec[11] = *f.Notes
		}
	}
	rec[12] = status
	return rec
}

func (m *model) partRecords(links map[string][]refLink, input string, p refPart) [][]string {
	var out [][]string
	for _, l := range links[p.key] {
		for _, f := range l.fits {
			out = append(out, m.refRecord(input, p, &l.veh, &f, ""))
		}
	}
	if len(out) == 0 {
		status := engine.StatusNoFitments
		if p.universal {
			status = engine.StatusUniversal
		}
		out = append(out, m.refRecord(input, p, nil, nil, status))
	}
	return out
}

// parseLines reads link lines back into lookup records, from either format.
func parseLines(t *testing.T, format engine.LinkFormat, lookup bool, data []byte) [][]string {
	t.Helper()
	cols := []string{"input", "partNumber", "brand", "vehicleId", "make", "model", "submodel", "year", "type", "position", "qty", "notes", "status"}
	var out [][]string
	if format == engine.LinksCSV {
		r := csv.NewReader(bytes.NewReader(data))
		recs, err := r.ReadAll()
		if err != nil {
			t.Fatalf("CSV does not parse: %v\n%s", err, data)
		}
		want := cols
		if !lookup {
			want = cols[1:12]
		}
		if len(recs) == 0 || !reflect.DeepEqual(recs[0], want) {
			t.Fatalf("CSV header %v, want %v", recs[0], want)
		}
		for _, rec := range recs[1:] {
			if !lookup {
				rec = append(append([]string{""}, rec...), "")
			}
			out = append(out, rec)
		}
		return out
	}
	for _, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var obj map[string]any
		if err := json.Unmarshal(line, &obj); err != nil {
			t.Fatalf("line %q is not JSON: %v", line, err)
		}
		rec := make([]string, len(cols))
		for i, c := range cols {
			switch x := obj[c].(type) {
			case string:
				rec[i] = x
			case float64:
				rec[i] = strconv.Itoa(int(x))
			case nil:
			default:
				t.Fatalf("line %q: %s is %T", line, c, x)
			}
		}
		if _, ok := obj["input"]; ok != lookup {
			t.Fatalf("line %q: input present %v, want %v", line, ok, lookup)
		}
		out = append(out, rec)
	}
	return out
}

// checkFitments compares every fitment answer of a tenant's view with the model's.
func checkFitments(t *testing.T, r *rand.Rand, label string, v *engine.View, m *model, rt *refTenant, parts []refPart, vehicles []refVehicle) {
	t.Helper()
	links := m.partLinks()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%s: "+format, append([]any{label}, args...)...)
	}
	var refs []string
	for _, p := range parts {
		refs = append(refs, p.number)
	}
	for i := 0; i < 10; i++ {
		refs = append(refs, randomRef(r, m.c, rt))
	}
	for _, ref := range refs {
		p, ok := m.resolveRef(rt, ref)
		// Part → vehicles.
		pf, err := v.PartVehicles(ref)
		if !ok {
			if err == nil {
				fail("PartVehicles(%q) = %v, want not found", ref, pf)
			}
			continue
		}
		if err != nil {
			fail("PartVehicles(%q): %v", ref, err)
		}
		if pf.PartNumber != p.number || pf.Universal != p.universal {
			fail("PartVehicles(%q): part %s universal %v, want %s %v", ref, pf.PartNumber, pf.Universal, p.number, p.universal)
		}
		got := pf.Vehicles
		for i := range got {
			got[i].Fitments = canonFits(got[i].Fitments)
		}
		if want := m.vehicleFits(links[p.key]); !reflect.DeepEqual(got, want) {
			fail("PartVehicles(%q):\n got %s\nwant %s", ref, marshal(t, got), marshal(t, want))
		}
	}
	// Fit checks: every listed vehicle against a sample of references, and one cart.
	for _, veh := range vehicles {
		id := m.vehicleID(veh)
		fv := m.fitsOf(veh)
		for _, ref := range refs[:min(len(refs), 25)] {
			got, err := v.Fits(ref, id)
			p, ok := m.resolveRef(rt, ref)
			if !ok {
				if err == nil {
					fail("Fits(%q, %s) = %+v, want not found", ref, id, got)
				}
				continue
			}
			want := engine.FitCheck{PartNumber: p.number, VehicleID: id, Fitments: []engine.Fitment{}}
			switch {
			case len(fv[p.key]) > 0:
				want.Result, want.Fitments = engine.Fits, fv[p.key]
			case p.universal:
				want.Result = engine.Universal
			case len(links[p.key]) == 0:
				want.Result = engine.Unknown
			default:
				want.Result = engine.DoesNotFit
			}
			got.Fitments = canonFits(got.Fitments)
			want.Fitments = canonFits(want.Fitments)
			if err != nil || !reflect.DeepEqual(got, want) {
				fail("Fits(%q, %s) = %s, %v; want %s", ref, id, marshal(t, got), err, marshal(t, want))
			}
			pk, _ := v.LookupPart(ref)
			vk, _ := v.LookupVehicle(id)
			if res := v.Fit(pk, vk); res != want.Result {
				fail("Fit(%q, %s) = %s, want %s", ref, id, res, want.Result)
			}
		}
		cart, err := v.FitsMany(id, refs[:min(len(refs), 8)])
		if err != nil {
			fail("FitsMany(%s): %v", id, err)
		}
		for i, c := range cart {
			single, err := v.Fits(c.Input, id)
			if (err != nil) != (c.Error != nil) || err == nil && !reflect.DeepEqual(c.FitCheck, &single) {
				fail("FitsMany(%s)[%d] = %s, Fits says %s, %v", id, i, marshal(t, c), marshal(t, single), err)
			}
		}
	}
	if _, err := v.Fits(parts[0].number, "vNOPE"); err == nil {
		fail("Fits on an unknown vehicle: no error")
	}

	// Bulk lookups and the export, in both formats.
	for _, format := range []engine.LinkFormat{engine.LinksNDJSON, engine.LinksCSV} {
		var buf bytes.Buffer
		lw := v.NewLinkWriter(&buf, format, true)
		var want [][]string
		for _, ref := range refs {
			if err := lw.Part(ref); err != nil {
				fail("LinkWriter.Part(%q): %v", ref, err)
			}
			if p, ok := m.resolveRef(rt, ref); ok {
				want = append(want, m.partRecords(links, ref, p)...)
			} else {
				want = append(want, m.refRecord(ref, refPart{}, nil, nil, engine.StatusNotFound))
			}
		}
		vids := []string{"vNOPE"}
		for _, veh := range vehicles {
			vids = append(vids, m.vehicleID(veh))
			vis := m.visibleParts(rt, veh)
			for _, pn := range vis {
				for _, f := range m.fitments(veh, pn) {
					want = append(want, m.refRecord(m.vehicleID(veh), m.part(pn), &veh, &f, ""))
				}
			}
			if len(vis) == 0 {
				want = append(want, m.refRecord(m.vehicleID(veh), refPart{}, &veh, nil, engine.StatusNoFitments))
			}
		}
		want = slices.Insert(want, len(want)-countVehicleRecords(want, vids[1:]), m.refRecord("vNOPE", refPart{}, nil, nil, engine.StatusNotFound))
		for _, id := range vids {
			if err := lw.Vehicle(id); err != nil {
				fail("LinkWriter.Vehicle(%s): %v", id, err)
			}
		}
		if err := lw.Flush(); err != nil {
			fail("Flush: %v", err)
		}
		if got := canonRuns(parseLines(t, format, true, buf.Bytes())); !reflect.DeepEqual(got, canonRuns(want)) {
			fail("lookup lines (format %d) differ:\n got %v\nwant %v", format, got, want)
		}

		for _, brand := range []string{"", refBrands[r.IntN(len(refBrands))]} {
			buf.Reset()
			lw := v.NewLinkWriter(&buf, format, false)
			known := brand == "" || slices.ContainsFunc(m.c.parts, func(p refPart) bool { return p.brand == brand })
			if err := lw.Export(brand); !known {
				if !errors.Is(err, engine.ErrNotFound) {
					fail("Export(%q) of a brand the catalog lacks: %v, want not found", brand, err)
				}
				continue
			} else if err != nil {
				fail("Export(%q): %v", brand, err)
			}
			var want [][]string
			for _, p := range m.sorted {
				if !m.visiblePart(rt, p) || brand != "" && p.brand != brand {
					continue
				}
				for _, l := range links[p.key] {
					for _, f := range l.fits {
						want = append(want, m.refRecord("", p, &l.veh, &f, ""))
					}
				}
			}
			if got := canonRuns(parseLines(t, format, false, buf.Bytes())); !reflect.DeepEqual(got, canonRuns(want)) {
				fail("export lines (format %d, brand %q) differ:\n got %d %v\nwant %d %v", format, brand, len(got), got, len(want), want)
			}
			if int(lw.Links()) != len(want) {
				fail("export counted %d links, wrote %d", lw.Links(), len(want))
			}
		}
	}
}

// countVehicleRecords counts the trailing records answering the given vehicle inputs.
func countVehicleRecords(recs [][]string, ids []string) int {
	n := 0
	for i := len(recs) - 1; i >= 0 && slices.Contains(ids, recs[i][0]); i-- {
		n++
	}
	return n
}

// vehicleFits is the model's fitment table of a part from its direct links: grouped by
// (make, model, submodel, fitments), years collapsed, sorted by make, model, submodel and
// first year.
func (m *model) vehicleFits(links []refLink) []engine.VehicleFit {
	type group struct {
		v     refVehicle
		fits  []engine.Fitment // canonical order
		years []int
	}
	var groups []*group
	for _, l := range links {
		var g *group
		for _, h := range groups {
			if snapshot.Key(h.v.make) == snapshot.Key(l.veh.make) && h.v.model == l.veh.model &&
				snapshot.Key(h.v.submodel) == snapshot.Key(l.veh.submodel) && reflect.DeepEqual(h.fits, l.fits) {
				g = h
			}
		}
		if g == nil {
			g = &group{v: l.veh, fits: l.fits}
			groups = append(groups, g)
		}
		g.years = append(g.years, l.veh.year)
	}
	out := []engine.VehicleFit{}
	for _, g := range groups {
		vf := engine.VehicleFit{Make: m.makeName[snapshot.Key(g.v.make)], MakeID: snapshot.MakeID(g.v.make), Model: g.v.model,
			ModelID: snapshot.ModelID(g.v.make, g.v.model), Submodel: g.v.submodel, AllSubmodels: g.v.submodel == "", Type: g.v.typ,
			Fitments: g.fits}
		// Ranges the slow way: a year starts a range unless the year before is in the set.
		set := map[int]bool{}
		for _, y := range g.years {
			set[y] = true
		}
		var texts []string
		for y := 1900; y < 2100; y++ {
			if set[y] && !set[y-1] {
				end := y
				for set[end+1] {
					end++
				}
				vf.YearRanges = append(vf.YearRanges, [2]int{y, end})
				if end == y {
					texts = append(texts, strconv.Itoa(y))
				} else {
					texts = append(texts, fmt.Sprintf("%d-%d", y, end))
				}
			}
		}
		vf.Years = strings.Join(texts, ", ")
		out = append(out, vf)
	}
	slices.SortStableFunc(out, func(a, b engine.VehicleFit) int {
		return cmp.Or(cmp.Compare(snapshot.Key(a.Make), snapshot.Key(b.Make)), cmp.Compare(snapshot.Key(a.Model), snapshot.Key(b.Model)),
			cmp.Compare(snapshot.Key(a.Submodel), snapshot.Key(b.Submodel)), cmp.Compare(a.YearRanges[0][0], b.YearRanges[0][0]))
	})
	return out
}

func TestFitmentMatchesReferenceModel(t *testing.T) {
	seed := testSeed(t, "TestFitmentMatchesReferenceModel")
	rounds := 30
	if testing.Short() {
		rounds = 8
	}
	for round := 0; round < rounds; round++ {
		r := rand.New(rand.NewPCG(seed, uint64(round)))
		c := randomCatalog(r)
		dir := t.TempDir()
		c.write(t, r, dir)
		cat, _, err := ingest.Build(dir, ingest.Options{})
		if err != nil {
			t.Fatalf("round %d: build: %v", round, err)
		}
		m := newModel(c)
		e := engine.New()
		e.Load(cat, "v1")
		if round%2 == 1 {
			e.PrepareFitment() // walks skip links without details; the others search for each
		}
		for i := 0; i < 1+r.IntN(3); i++ {
			rt := randomTenant(r, c)
			id := fmt.Sprintf("t%d", i)
			e.Restore(id, rt.state(m))
			v, _ := e.View(id)
			checkFitments(t, r, fmt.Sprintf("round %d tenant %d (seed %d)", round, i, seed), v, m, rt, c.parts, m.vehicles)
		}
	}
}

// TestFitmentLarge runs the same checks on the catalog whose part and vehicle ids cross
// roaring's 65,536 container boundary, sampling parts and vehicles on both sides.
func TestFitmentLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a catalog of 75,000 vehicles and 70,000 parts")
	}
	seed := testSeed(t, "TestFitmentLarge")
	r := rand.New(rand.NewPCG(seed, 3))
	c := bigCatalog(r)
	dir := t.TempDir()
	c.write(t, r, dir)
	cat, _, err := ingest.Build(dir, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := newModel(c)
	e := engine.New()
	e.Load(cat, "v1")
	var parts []refPart
	for _, i := range r.Perm(len(c.parts))[:60] {
		parts = append(parts, c.parts[i])
	}
	parts = append(parts, c.parts[len(c.parts)-20:]...) // ids past 65,536
	var vehicles []refVehicle
	for _, i := range r.Perm(len(m.vehicles))[:25] {
		vehicles = append(vehicles, m.vehicles[i])
	}
	for i := 0; i < 2; i++ {
		if i == 1 {
			e.PrepareFitment() // the second tenant's walks skip links without details
		}
		rt := scaledTenant(r, c, 1500)
		// Subscribe the brand of the last parts, so ids past the boundary are visible.
		rt.brands[snapshot.Key(c.parts[len(c.parts)-1].brand)] = true
		id := fmt.Sprintf("t%d", i)
		e.Restore(id, rt.state(m))
		v, _ := e.View(id)
		checkFitments(t, r, fmt.Sprintf("large tenant %d (seed %d)", i, seed), v, m, rt, parts, vehicles)
	}
}

// canonFits sorts fitments into one order: a link's fitments are a set, and the engine
// lists them in its detail order, the model in row order.
func canonFits(fs []engine.Fitment) []engine.Fitment {
	s := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	q := func(p *int) int {
		if p == nil {
			return 0
		}
		return *p
	}
	out := slices.Clone(fs)
	slices.SortFunc(out, func(a, b engine.Fitment) int {
		return cmp.Or(cmp.Compare(s(a.Position), s(b.Position)), cmp.Compare(q(a.Qty), q(b.Qty)), cmp.Compare(s(a.Notes), s(b.Notes)))
	})
	return out
}

// canonRuns sorts the lines of each link (consecutive records equal in their input, part
// and vehicle columns) into one order, for the same reason.
func canonRuns(recs [][]string) [][]string {
	out := slices.Clone(recs)
	for i := 0; i < len(out); {
		j := i + 1
		for j < len(out) && slices.Equal(out[j][:9], out[i][:9]) {
			j++
		}
		slices.SortFunc(out[i:j], func(a, b []string) int { return slices.Compare(a, b) })
		i = j
	}
	return out
}

// TestFitmentOwnPartsAndVehicles: fit checks, fitment tables and link lines of a tenant's
// own parts on its own and the catalog's vehicles, through aliases, and of catalog parts on
// its own submodels (through the catalog's wildcard); another tenant sees none of them.
func TestFitmentOwnPartsAndVehicles(t *testing.T) {
	e := engine.New()
	e.Load(extCatalog(t), "v1")
	yfzSE := snapshot.VehicleID("Yamaha", "YFZ450R", "SE", 2019)
	yfzW := snapshot.VehicleID("Yamaha", "YFZ450R", "", 2019)
	ktm := snapshot.VehicleID("KTM", "450 SX-F", "", 2023)
	own := func(make, model, sub string, year int, typ string) engine.TenantVehicle {
		return engine.TenantVehicle{ID: snapshot.VehicleID(make, model, sub, year), Type: typ, Make: make, Model: model, Submodel: sub, Year: year}
	}
	custom := own("Yamaha", "YFZ450R", "Custom", 2019, "atv")
	sled24, sled25 := own("Lynx", "Rave", "", 2024, "snowmobile"), own("Lynx", "Rave", "", 2025, "snowmobile")
	mustUpdate(t, e, "t", engine.Change{Subscribe: []string{"EBC"}})
	mustUpdate(t, e, "t", engine.Change{PutVehicles: []engine.TenantVehicle{custom, sled24, sled25}})
	mustUpdate(t, e, "t", engine.Change{PutParts: []engine.TenantPart{
		{PartNumber: "AAA-1", Brand: "Own", Name: "Skid plate", Fitments: []engine.TenantFitment{
			{VehicleID: custom.ID, Position: "FRONT", Qty: 2, Notes: "with winch"}, {VehicleID: sled24.ID}, {VehicleID: sled25.ID}}},
		{PartNumber: "own-w", Brand: "Own", Name: "For every YFZ 2019", Fitments: []engine.TenantFitment{{VehicleID: yfzW, Qty: 2}}},
		{PartNumber: "UNI-1", Brand: "Own", Name: "Grease", Universal: true},
		{PartNumber: "NOFIT-1", Brand: "Own", Name: "No data yet"},
	}})
	mustUpdate(t, e, "t", engine.Change{PutAliases: []engine.Alias{{Alias: "POS-7", PartNumber: "AAA-1"}, {Alias: "POS-8", PartNumber: "EBC-1"}}})
	mustUpdate(t, e, "other", engine.Change{Subscribe: []string{"EBC"}})
	v, _ := e.View("t")

	winch := engine.Fitment{Position: ptr("FRONT"), Qty: ptr(2), Notes: ptr("with winch")}
	for _, tc := range []struct {
		part, vehicle string
		result        engine.FitResult
		fits          []engine.Fitment
	}{
		{"pos-7", custom.ID, engine.Fits, []engine.Fitment{winch}},                    // own part, own vehicle, by alias
		{"AAA-1", sled25.ID, engine.Fits, []engine.Fitment{{}}},                       // own part, own make
		{"AAA-1", yfzSE, engine.DoesNotFit, []engine.Fitment{}},                       // own part, catalog vehicle
		{"own-w", custom.ID, engine.Fits, []engine.Fitment{{Qty: ptr(2)}}},            // own part on the catalog wildcard → own submodel
		{"own-w", yfzSE, engine.Fits, []engine.Fitment{{Qty: ptr(2)}}},                // … and the catalog's submodel
		{"own-w", ktm, engine.DoesNotFit, []engine.Fitment{}},                         //
		{"POS-8", custom.ID, engine.Fits, []engine.Fitment{{Position: ptr("FRONT")}}}, // catalog part on an own submodel, by alias
		{"EBC-2", custom.ID, engine.DoesNotFit, []engine.Fitment{}},                   // fitted to SE only
		{"UNI-1", sled24.ID, engine.Universal, []engine.Fitment{}},                    //
		{"NOFIT-1", ktm, engine.Unknown, []engine.Fitment{}},                          //
		{"ZZ-9", yfzSE, engine.DoesNotFit, []engine.Fitment{}},                        // catalog part fitting another make
	} {
		got, err := v.Fits(tc.part, tc.vehicle)
		if err != nil || got.Result != tc.result || !reflect.DeepEqual(got.Fitments, tc.fits) {
			t.Errorf("Fits(%s, %s) = %s %v, want %s %s", tc.part, tc.vehicle, marshal(t, got), err, tc.result, marshal(t, tc.fits))
		}
	}
	o, _ := e.View("other")
	for _, tc := range [][2]string{{"AAA-1", yfzSE}, {"POS-8", yfzSE}, {"EBC-1", custom.ID}} {
		if got, err := o.Fits(tc[0], tc[1]); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("another tenant: Fits(%s, %s) = %+v, %v; want not found", tc[0], tc[1], got, err)
		}
	}
	if _, err := v.Fits("KN-1", ktm); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("Fits of a part outside the tenant's catalog: %v, want not found", err)
	}

	pf, err := v.PartVehicles("pos-7")
	if err != nil {
		t.Fatal(err)
	}
	wantRows := []engine.VehicleFit{
		{Make: "Lynx", MakeID: snapshot.MakeID("Lynx"), Model: "Rave", ModelID: snapshot.ModelID("Lynx", "Rave"), AllSubmodels: true,
			Type: "snowmobile", Years: "2024-2025", YearRanges: [][2]int{{2024, 2025}}, Fitments: []engine.Fitment{{}}},
		{Make: "Yamaha", MakeID: snapshot.MakeID("Yamaha"), Model: "YFZ450R", ModelID: snapshot.ModelID("Yamaha", "YFZ450R"), Submodel: "Custom",
			Type: "atv", Years: "2019", YearRanges: [][2]int{{2019, 2019}}, Fitments: []engine.Fitment{winch}},
	}
	if pf.PartNumber != "AAA-1" || !reflect.DeepEqual(pf.Vehicles, wantRows) {
		t.Errorf("PartVehicles(pos-7) = %s", marshal(t, pf))
	}

	// Lines: the own part's links, an own vehicle's parts, and the export with own parts in
	// part-number order among the catalog's.
	var buf bytes.Buffer
	lw := v.NewLinkWriter(&buf, engine.LinksCSV, true)
	for _, ref := range []string{"POS-7", "UNI-1", "NOFIT-1"} {
		lw.Part(ref)
	}
	lw.Vehicle(custom.ID)
	lw.Flush()
	want := "input,partNumber,brand,vehicleId,make,model,submodel,year,type,position,qty,notes,status\n" +
		"POS-7,AAA-1,Own," + sled24.ID + ",Lynx,Rave,,2024,snowmobile,,,,\n" +
		"POS-7,AAA-1,Own," + sled25.ID + ",Lynx,Rave,,2025,snowmobile,,,,\n" +
		"POS-7,AAA-1,Own," + custom.ID + ",Yamaha,YFZ450R,Custom,2019,atv,FRONT,2,with winch,\n" +
		"UNI-1,UNI-1,Own,,,,,,,,,,universal\n" +
		"NOFIT-1,NOFIT-1,Own,,,,,,,,,,no_fitments\n" +
		custom.ID + ",AAA-1,Own," + custom.ID + ",Yamaha,YFZ450R,Custom,2019,atv,FRONT,2,with winch,\n" +
		custom.ID + ",EBC-1,EBC," + custom.ID + ",Yamaha,YFZ450R,Custom,2019,atv,FRONT,,,\n" +
		custom.ID + ",own-w,Own," + custom.ID + ",Yamaha,YFZ450R,Custom,2019,atv,,2,,\n"
	if buf.String() != want {
		t.Errorf("lookup lines:\n%s\nwant\n%s", buf.String(), want)
	}
	buf.Reset()
	lw = v.NewLinkWriter(&buf, engine.LinksNDJSON, false)
	if err := lw.Export(""); err != nil {
		t.Fatal(err)
	}
	var numbers []string
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var obj struct{ PartNumber string }
		json.Unmarshal([]byte(line), &obj)
		if len(numbers) == 0 || numbers[len(numbers)-1] != obj.PartNumber {
			numbers = append(numbers, obj.PartNumber)
		}
	}
	if want := []string{"AAA-1", "EBC-1", "EBC-2", "own-w", "ZZ-9"}; !reflect.DeepEqual(numbers, want) {
		t.Errorf("export parts %v, want %v", numbers, want)
	}
	buf.Reset()
	if err := v.NewLinkWriter(&buf, engine.LinksNDJSON, false).Export("own"); err != nil || strings.Count(buf.String(), "\n") != 4 {
		t.Errorf("export of brand Own: %v\n%s", err, buf.String())
	}
	buf.Reset()
	if err := o.NewLinkWriter(&buf, engine.LinksNDJSON, false).Export("own"); !errors.Is(err, engine.ErrNotFound) || buf.Len() != 0 {
		t.Errorf("another tenant's export of brand Own: %v %q", err, buf.String())
	}
}

// TestPartVehiclesTable: a hand-made part's table — wildcard and submodel rows of one model
// mixed, a gap in the years, a position that changes between years, duplicate rows — as a
// product page shows it.
func TestPartVehiclesTable(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"vehicles.csv": "type,make,model,submodel,years\n" +
			"atv,Yamaha,YFZ450R,,2014-2021\natv,Yamaha,YFZ450R,SE,2014-2021\natv,Yamaha,YFZ450R,Special,2016-2017\n" +
			"atv,Can-Am,Outlander 1000,X-MR,2024\n",
		"parts.csv": "part_number,brand,name\nEB-1,EBC,Brake pads\n",
		"fitments.csv": "part_number,make,model,submodel,years,position,qty,notes\n" +
			"EB-1,Yamaha,YFZ450R,,2014-2019,FRONT,2,\n" + // every submodel, with a gap before 2021
			"EB-1,Yamaha,YFZ450R,,2021,FRONT,2,\n" +
			"EB-1,Yamaha,YFZ450R,SE,2016-2017,REAR,,with winch\n" + // SE alone, another position
			"EB-1,Yamaha,YFZ450R,SE,2018,REAR,,with winch\n" + // adjacent years: one range
			"EB-1,Yamaha,YFZ450R,SE,2016,REAR,,with winch\n" + // a duplicate row
			"EB-1,Yamaha,YFZ450R,Special,2016-2017,FRONT,2,\n" +
			"EB-1,Can-Am,Outlander 1000,X-MR,2024,,,\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cat, _, err := ingest.Build(dir, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := engine.New()
	e.Load(cat, "v1")
	mustUpdate(t, e, "t", engine.Change{Subscribe: []string{"EBC"}})
	v, _ := e.View("t")
	pf, err := v.PartVehicles("eb-1")
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ make, model, sub, years, fits string }
	var got []row
	for _, r := range pf.Vehicles {
		got = append(got, row{r.Make, r.Model, r.Submodel, r.Years, string(marshal(t, r.Fitments))})
		if r.AllSubmodels != (r.Submodel == "") {
			t.Errorf("%+v: allSubmodels %v", r, r.AllSubmodels)
		}
	}
	front := `[{"position":"FRONT","qty":2,"notes":null}]`
	want := []row{
		{"Can-Am", "Outlander 1000", "X-MR", "2024", `[{"position":null,"qty":null,"notes":null}]`},
		{"Yamaha", "YFZ450R", "", "2014-2019, 2021", front},
		{"Yamaha", "YFZ450R", "SE", "2016-2018", `[{"position":"REAR","qty":null,"notes":"with winch"}]`},
		{"Yamaha", "YFZ450R", "Special", "2016-2017", front},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("table:\n got %v\nwant %v", got, want)
	}
	// The fit check of SE 2016 has both: its own REAR and the wildcard's FRONT.
	fc, _ := v.Fits("EB-1", snapshot.VehicleID("Yamaha", "YFZ450R", "SE", 2016))
	if fc.Result != engine.Fits || len(fc.Fitments) != 2 {
		t.Errorf("SE 2016: %s", marshal(t, fc))
	}
	if fc, _ := v.Fits("EB-1", snapshot.VehicleID("Yamaha", "YFZ450R", "SE", 2020)); fc.Result != engine.DoesNotFit {
		t.Errorf("SE 2020 (the gap): %s", marshal(t, fc))
	}
}
