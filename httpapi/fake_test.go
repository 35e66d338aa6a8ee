package httpapi

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/fitment/fitment/engine"
)

// fakeEngine is a hand-written Engine over a tiny fixed catalog, answering with plain maps:
// a part is visible when its item says active, or, without an item, when its brand is
// subscribed (the engine's rule).
type fakeEngine struct {
	mu      sync.Mutex
	version string
	tenants map[string]*fakeTenant
	// gate, when set, holds every View call until it is closed (to keep a request busy).
	gate chan struct{}
}

type fakeTenant struct {
	brands map[string]bool
	items  map[string]engine.Item
}

type fakePart struct {
	number, brand, name, category string
	fits                          []string // vehicle ids
}

type fakeVehicle struct {
	engine.VehicleRef
	makeID string
}

var fakeVehicles = []fakeVehicle{
	{engine.VehicleRef{ID: "v1", Submodel: "X-MR", Year: 2024, ModelID: "md-out", Model: "Outlander 1000", Make: "Can-Am", Type: "atv"}, "mk-canam"},
	{engine.VehicleRef{ID: "v2", Submodel: "", Year: 2019, ModelID: "md-yfz", Model: "YFZ450R", Make: "Yamaha", Type: "atv"}, "mk-yamaha"},
	{engine.VehicleRef{ID: "v3", Submodel: "", Year: 2023, ModelID: "md-sxf", Model: "450 SX-F", Make: "KTM", Type: "motorcycle"}, "mk-ktm"},
}

var fakeParts = []fakePart{
	{"EBC-1", "EBC", "Brake pads", "Brakes", []string{"v1"}},
	{"EBC-2", "EBC", "Brake disc", "Brakes", []string{"v2"}},
	{"KN-1", "K&N", "Air filter", "Filters", []string{"v1", "v3"}},
	{"AT/1", "Alphatrac", "Skid plate", "Protection", []string{"v3"}},
}

func newFakeEngine() *fakeEngine { return &fakeEngine{tenants: map[string]*fakeTenant{}} }

func (e *fakeEngine) load(version string) { e.mu.Lock(); e.version = version; e.mu.Unlock() }

func (e *fakeEngine) Version() string { e.mu.Lock(); defer e.mu.Unlock(); return e.version }

func (e *fakeEngine) tenant(id string) *fakeTenant {
	t, ok := e.tenants[id]
	if !ok {
		t = &fakeTenant{brands: map[string]bool{}, items: map[string]engine.Item{}}
		e.tenants[id] = t
	}
	return t
}

func (e *fakeEngine) UpdateTenant(id string, ch engine.TenantChange) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t := e.tenant(id)
	for _, b := range ch.Subscribe {
		t.brands[strings.ToLower(b)] = true
	}
	for _, b := range ch.Unsubscribe {
		delete(t.brands, strings.ToLower(b))
	}
	for pn, it := range ch.Items {
		t.items[strings.ToLower(pn)] = it
	}
}

func (e *fakeEngine) Brand(brand string) (string, int, bool) {
	name, n := "", 0
	for _, p := range fakeParts {
		if strings.EqualFold(p.brand, brand) {
			name = p.brand
			n++
		}
	}
	return name, n, n > 0
}

func (e *fakeEngine) PartNumber(pn string) (string, bool) {
	for _, p := range fakeParts {
		if strings.EqualFold(p.number, strings.TrimSpace(pn)) {
			return p.number, true
		}
	}
	return "", false
}

func (e *fakeEngine) View(id string) (View, error) {
	e.mu.Lock()
	gate := e.gate
	e.mu.Unlock()
	if gate != nil {
		<-gate
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.version == "" {
		return nil, engine.ErrNoCatalog
	}
	v := &fakeView{version: e.version, items: map[string]engine.Item{}}
	t := e.tenant(id)
	for _, p := range fakeParts {
		it := t.items[strings.ToLower(p.number)]
		if it.Active != nil && *it.Active || it.Active == nil && t.brands[strings.ToLower(p.brand)] {
			v.parts = append(v.parts, p)
			v.items[p.number] = it
		}
	}
	return v, nil
}

type fakeView struct {
	version string
	parts   []fakePart
	items   map[string]engine.Item
}

func (v *fakeView) Version() string { return v.version }

func (v *fakeView) vehicles(f engine.Filter) []fakeVehicle {
	var out []fakeVehicle
	for _, veh := range fakeVehicles {
		if f.Year != 0 && veh.Year != f.Year || f.Type != "" && veh.Type != f.Type ||
			f.MakeID != "" && veh.makeID != f.MakeID || f.ModelID != "" && veh.ModelID != f.ModelID {
			continue
		}
		for _, p := range v.parts {
			if contains(p.fits, veh.ID) {
				out = append(out, veh)
				break
			}
		}
	}
	return out
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

func (v *fakeView) Years(f engine.Filter) []int {
	var out []int
	for _, veh := range v.vehicles(f) {
		if !containsInt(out, veh.Year) {
			out = append(out, veh.Year)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(out)))
	return out
}

func containsInt(s []int, x int) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

func (v *fakeView) Makes(f engine.Filter) []engine.MakeRef {
	var out []engine.MakeRef
	seen := map[string]bool{}
	for _, veh := range v.vehicles(f) {
		if !seen[veh.makeID] {
			seen[veh.makeID] = true
			out = append(out, engine.MakeRef{ID: veh.makeID, Name: veh.Make})
		}
	}
	return out
}

func (v *fakeView) Models(f engine.Filter) []engine.ModelRef {
	var out []engine.ModelRef
	seen := map[string]bool{}
	for _, veh := range v.vehicles(f) {
		if !seen[veh.ModelID] {
			seen[veh.ModelID] = true
			out = append(out, engine.ModelRef{ID: veh.ModelID, Name: veh.Model})
		}
	}
	return out
}

func (v *fakeView) Vehicles(f engine.Filter) []engine.VehicleRef {
	var out []engine.VehicleRef
	for _, veh := range v.vehicles(f) {
		out = append(out, veh.VehicleRef)
	}
	return out
}

func (v *fakeView) Parts(vehicleID string, q engine.PartsQuery) ([]engine.PartSummary, int, error) {
	found := false
	for _, veh := range fakeVehicles {
		found = found || veh.ID == vehicleID
	}
	if !found {
		return nil, 0, fmt.Errorf("vehicle %s: %w", vehicleID, engine.ErrNotFound)
	}
	var all []engine.PartSummary
	for _, p := range v.parts {
		if contains(p.fits, vehicleID) {
			cat := p.category
			name := p.name
			if q.Lang == "de" {
				name += " (de)"
			}
			it := v.items[p.number]
			all = append(all, engine.PartSummary{PartNumber: p.number, Brand: p.brand, Name: name, Category: &cat, Price: it.Price, Stock: it.Stock})
		}
	}
	lo := min(q.Offset, len(all))
	hi := len(all)
	if q.Limit > 0 {
		hi = min(lo+q.Limit, hi)
	}
	return all[lo:hi], len(all), nil
}

func (v *fakeView) Part(pn, lang string) (*engine.PartDetail, error) {
	for _, p := range v.parts {
		if strings.EqualFold(p.number, strings.TrimSpace(pn)) {
			cat := p.category
			it := v.items[p.number]
			return &engine.PartDetail{PartNumber: p.number, Brand: p.brand, Name: p.name, Category: &cat, Price: it.Price, Stock: it.Stock}, nil
		}
	}
	return nil, fmt.Errorf("part %s is not in this catalog: %w", pn, engine.ErrNotFound)
}

func (v *fakeView) Categories() []engine.CategoryRef {
	var out []engine.CategoryRef
	seen := map[string]bool{}
	for _, p := range v.parts {
		if !seen[p.category] {
			seen[p.category] = true
			out = append(out, engine.CategoryRef{ID: "c-" + strings.ToLower(p.category), Name: p.category, Level: 1, Path: p.category})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// Memo keeps nothing: the fake answers every call afresh.
func (v *fakeView) Memo(key string, f func() any) any { return f() }

// count counts the visible parts fitting a vehicle that keep accepts.
func (v *fakeView) count(f engine.Filter, keep func(fakeVehicle) bool) int {
	ok := map[string]bool{}
	for _, veh := range v.vehicles(f) {
		if keep(veh) {
			ok[veh.ID] = true
		}
	}
	n := 0
	for _, p := range v.parts {
		for _, id := range p.fits {
			if ok[id] {
				n++
				break
			}
		}
	}
	return n
}

func (v *fakeView) YearCounts(f engine.Filter) []engine.YearCount {
	var out []engine.YearCount
	for _, y := range v.Years(f) {
		out = append(out, engine.YearCount{Year: y, Parts: v.count(f, func(veh fakeVehicle) bool { return veh.Year == y })})
	}
	return out
}

func (v *fakeView) MakeCounts(f engine.Filter) []engine.MakeCount {
	var out []engine.MakeCount
	for _, m := range v.Makes(f) {
		out = append(out, engine.MakeCount{MakeRef: m, Parts: v.count(f, func(veh fakeVehicle) bool { return veh.makeID == m.ID })})
	}
	return out
}

func (v *fakeView) ModelCounts(f engine.Filter) []engine.ModelCount {
	var out []engine.ModelCount
	for _, m := range v.Models(f) {
		out = append(out, engine.ModelCount{ModelRef: m, Parts: v.count(f, func(veh fakeVehicle) bool { return veh.ModelID == m.ID })})
	}
	return out
}
