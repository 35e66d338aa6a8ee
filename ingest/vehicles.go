package ingest

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/fitment/fitment/snapshot"
)

var vehicleColumns = []column{
	{"type", true}, {"make", true}, {"model", true}, {"submodel", false},
	{"years", true}, {"engine_cc", false}, {"generation", false},
}

// vehicleKey identifies a vehicle while reading vehicles.csv: the model (parse order),
// the submodel (index into subs, 0 = wildcard) and the year.
type vehicleKey struct {
	model uint32
	sub   uint32
	year  uint16
}

type rawVehicle struct {
	model      uint32 // parse-order model index
	year       uint16
	sub        string // display spelling, "" = wildcard
	subKey     string
	engineCC   uint32
	generation string
}

type rawModel struct {
	make uint32 // parse-order make index
	name string
	key  string
	typ  snapshot.VehicleType
}

// vehicleSet is vehicles.csv after parsing, and the lookups fitments need.
type vehicleSet struct {
	makes    []snapshot.Make
	models   []snapshot.Model
	vehicles []snapshot.Vehicle

	makeByKey  map[string]uint32 // Key(make) → final make id
	modelByKey map[string]uint32 // Key(make) + "\x00" + Key(model) → final model id
	subs       map[string]uint32 // Key(submodel) → submodel number, "" = 0
	// years maps model<<32 | submodel number to the vehicles of that (model, submodel)
	// by year: one map lookup a fitment row instead of one a year.
	years map[uint64]*yearTable
}

// yearTable holds the vehicle ids of one (model, submodel) by year; None for a gap.
type yearTable struct {
	first int
	vids  []uint32
}

func (t *yearTable) lookup(year int) uint32 {
	if t == nil || year < t.first || year >= t.first+len(t.vids) {
		return snapshot.None
	}
	return t.vids[year-t.first]
}

func (t *yearTable) set(year int, vid uint32) {
	if len(t.vids) == 0 {
		t.first = year
	}
	for year >= t.first+len(t.vids) {
		t.vids = append(t.vids, snapshot.None)
	}
	t.vids[year-t.first] = vid
}

func readVehicles(s *source, rep *Report) (*vehicleSet, error) {
	var (
		makeNames []string
		makeIdx   = map[string]uint32{}
		models    []rawModel
		modelIdx  = map[string]uint32{}
		vehicles  []rawVehicle
		vehIdx    = map[vehicleKey]uint32{} // sub: index into subs below, model: parse order
		subs      = map[string]uint32{"": 0}
		years     []int
	)
	cType, cMake, cModel, cSub := s.idx["type"], s.idx["make"], s.idx["model"], s.idx["submodel"]
	cYears, cCC, cGen := s.idx["years"], s.idx["engine_cc"], s.idx["generation"]
	for {
		rec, line, bad, err := s.next()
		if err != nil {
			if err == io.EOF {
				break
			}
			return nil, err
		}
		if bad == "" {
			bad = func() string {
				typName, mk, md := rec[cType], rec[cMake], rec[cModel]
				sub, ys := cell(rec, cSub), rec[cYears]
				switch {
				case typName == "":
					return "missing type"
				case mk == "":
					return "missing make"
				case md == "":
					return "missing model"
				case ys == "":
					return "missing years"
				}
				typ, ok := snapshot.ParseVehicleType(typName)
				if !ok {
					return fmt.Sprintf("bad type %q (want motorcycle, atv, utv or snowmobile)", typName)
				}
				years, err = appendYears(years, ys)
				if err != nil {
					return fmt.Sprintf("bad years %q: %v", ys, err)
				}
				var cc uint64
				if c := cell(rec, cCC); c != "" {
					cc, err = strconv.ParseUint(c, 10, 32)
					if err != nil {
						return fmt.Sprintf("bad engine_cc %q (want a whole number)", c)
					}
				}
				mkKey, mdKey := snapshot.Key(mk), snapshot.Key(md)
				mi, haveModel := modelIdx[mkKey+"\x00"+mdKey]
				if haveModel && models[mi].typ != typ {
					return fmt.Sprintf("type %s conflicts with type %s of %s/%s", typ, models[mi].typ, makeNames[models[mi].make], models[mi].name)
				}
				// The row is good: record it.
				if !haveModel {
					ki, ok := makeIdx[mkKey]
					if !ok {
						ki = uint32(len(makeNames))
						makeNames = append(makeNames, strings.Clone(mk))
						makeIdx[strings.Clone(mkKey)] = ki
					}
					mi = uint32(len(models))
					models = append(models, rawModel{make: ki, name: strings.Clone(md), key: strings.Clone(mdKey), typ: typ})
					modelIdx[strings.Clone(mkKey)+"\x00"+models[mi].key] = mi
				}
				subKey := snapshot.Key(sub)
				si, ok := subs[subKey]
				if !ok {
					si = uint32(len(subs))
					subKey = strings.Clone(subKey)
					subs[subKey] = si
				}
				gen := cell(rec, cGen)
				for _, y := range years {
					k := vehicleKey{model: mi, sub: si, year: uint16(y)}
					if vi, ok := vehIdx[k]; ok {
						rep.MergedVehicles++
						v := &vehicles[vi]
						if v.engineCC == 0 {
							v.engineCC = uint32(cc)
						}
						if v.generation == "" {
							v.generation = strings.Clone(gen)
						}
						continue
					}
					vehIdx[k] = uint32(len(vehicles))
					vehicles = append(vehicles, rawVehicle{model: mi, year: uint16(y), sub: strings.Clone(sub), subKey: subKey,
						engineCC: uint32(cc), generation: strings.Clone(gen)})
				}
				return ""
			}()
		}
		if bad != "" {
			rep.reject(s.name, line, bad)
		}
	}
	// The wildcard of every model-year exists, named by a row or not.
	n := len(vehicles)
	for i := 0; i < n; i++ {
		k := vehicleKey{model: vehicles[i].model, sub: 0, year: vehicles[i].year}
		if _, ok := vehIdx[k]; !ok {
			vehIdx[k] = uint32(len(vehicles))
			vehicles = append(vehicles, rawVehicle{model: k.model, year: k.year})
			rep.ImplicitWilds++
		}
	}
	return finishVehicles(makeNames, models, vehicles, subs), nil
}

// finishVehicles sorts the parsed tables into their documented orders, assigns stable
// ids and builds the lookups by final id.
func finishVehicles(makeNames []string, models []rawModel, vehicles []rawVehicle, subs map[string]uint32) *vehicleSet {
	vs := &vehicleSet{
		makeByKey:  make(map[string]uint32, len(makeNames)),
		modelByKey: make(map[string]uint32, len(models)),
		subs:       subs,
		years:      map[uint64]*yearTable{},
	}
	// Makes by Key(name).
	makeOrder := make([]uint32, len(makeNames))
	for i := range makeOrder {
		makeOrder[i] = uint32(i)
	}
	makeKeys := make([]string, len(makeNames))
	for i, n := range makeNames {
		makeKeys[i] = snapshot.Key(n)
	}
	slices.SortFunc(makeOrder, func(a, b uint32) int { return cmp.Compare(makeKeys[a], makeKeys[b]) })
	makeNew := make([]uint32, len(makeNames))
	vs.makes = make([]snapshot.Make, len(makeNames))
	for newID, old := range makeOrder {
		makeNew[old] = uint32(newID)
		vs.makes[newID] = snapshot.Make{ID: snapshot.MakeID(makeNames[old]), Name: makeNames[old]}
		vs.makeByKey[makeKeys[old]] = uint32(newID)
	}
	// Models by (make, Key(name)).
	modelOrder := make([]uint32, len(models))
	for i := range modelOrder {
		modelOrder[i] = uint32(i)
	}
	slices.SortFunc(modelOrder, func(a, b uint32) int {
		ma, mb := &models[a], &models[b]
		if c := cmp.Compare(makeNew[ma.make], makeNew[mb.make]); c != 0 {
			return c
		}
		return cmp.Compare(ma.key, mb.key)
	})
	modelNew := make([]uint32, len(models))
	vs.models = make([]snapshot.Model, len(models))
	for newID, old := range modelOrder {
		m := &models[old]
		modelNew[old] = uint32(newID)
		mk := makeNames[m.make]
		vs.models[newID] = snapshot.Model{ID: snapshot.ModelID(mk, m.name), Make: makeNew[m.make], Name: m.name, Type: m.typ}
		vs.modelByKey[makeKeys[m.make]+"\x00"+m.key] = uint32(newID)
	}
	// Vehicles by (model, year, Key(submodel)); the wildcard's key "" sorts first.
	for i := range vehicles {
		vehicles[i].model = modelNew[vehicles[i].model]
	}
	slices.SortFunc(vehicles, func(a, b rawVehicle) int {
		if c := cmp.Compare(a.model, b.model); c != 0 {
			return c
		}
		if c := cmp.Compare(a.year, b.year); c != 0 {
			return c
		}
		return cmp.Compare(a.subKey, b.subKey)
	})
	vs.vehicles = make([]snapshot.Vehicle, len(vehicles))
	for i := range vehicles {
		v := &vehicles[i]
		m := &vs.models[v.model]
		vs.vehicles[i] = snapshot.Vehicle{
			ID:         snapshot.VehicleID(vs.makes[m.Make].Name, m.Name, v.sub, int(v.year)),
			Model:      v.model,
			Submodel:   v.sub,
			Year:       v.year,
			EngineCC:   v.engineCC,
			Generation: v.generation,
		}
		k := uint64(v.model)<<32 | uint64(subs[v.subKey])
		t := vs.years[k]
		if t == nil {
			t = &yearTable{}
			vs.years[k] = t
		}
		t.set(int(v.year), uint32(i)) // ascending years per (model, submodel): first is the lowest
	}
	return vs
}
