package engine

import (
	"sort"

	"github.com/fitment/fitment/snapshot"
)

// A tenant's own vehicles and parts (its extension of the catalog). They show in that
// tenant's cascade, part lists, product detail, feeds and alias resolution, and nowhere
// else. There are few of them (hundreds), so they are kept in plain slices and merged into
// the catalog's answers at query time.
//
// An own part has a part id after the catalog's: len(catalog parts) + its sequence number,
// which never changes while the part exists, so its offers, location stock and aliases
// live in the same tables as the catalog's parts. An own vehicle is named by its stable id
// (snapshot.VehicleID of its natural key); a vehicle the catalog has is the catalog's, and
// own fitments may name either.

// TenantVehicle is one of a tenant's own vehicles (one year of one submodel).
type TenantVehicle struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Make       string `json:"make"`
	Model      string `json:"model"`
	Submodel   string `json:"submodel"`
	Year       int    `json:"year"`
	EngineCC   int    `json:"engineCc,omitempty"`
	Generation string `json:"generation,omitempty"`
}

// TenantPart is one of a tenant's own parts: the fields of a catalog part, and its
// fitments.
type TenantPart struct {
	PartNumber string                `json:"partNumber"`
	Brand      string                `json:"brand"`
	Name       string                `json:"name"`
	Names      snapshot.Translations `json:"names,omitempty"`
	Category   string                `json:"category,omitempty"` // a path of the catalog's tree, or ""
	Universal  bool                  `json:"universal"`
	Detail     snapshot.PartDetail   `json:"detail"`
	Fitments   []TenantFitment       `json:"fitments"`
}

// TenantFitment links an own part to a vehicle, the catalog's or the tenant's, by id.
type TenantFitment struct {
	VehicleID string `json:"vehicleId"`
	Position  string `json:"position,omitempty"`
	Qty       int    `json:"qty,omitempty"`
	Notes     string `json:"notes,omitempty"`
}

// extension is a tenant's own vehicles and parts against one catalog, immutable.
type extension struct {
	vehicles []extVehicle      // by id
	vehByID  map[string]int    // vehicle id → index
	parts    []*extPart        // by sequence number; nil where deleted
	byKey    map[string]uint32 // Key(part number) → sequence number
	sorted   []uint32          // sequence numbers of the parts, by Key(number)
	nextSeq  uint32

	// Inverted: the own parts (sequence numbers, by Key) fitted to a vehicle directly.
	centralFits map[uint32][]uint32 // by catalog vehicle id
	ownFits     map[int][]uint32    // by own vehicle index
	hasConcrete map[string]bool     // wildcard vehicle id → its model-year has own concrete submodels

	names   lazyNames  // the own vehicles' name index, built on demand (vindex.go)
	listing extListing // what listings derive from the parts, on demand (listing.go)
	text    extText    // the own parts' text index, built on the first search (textsearch.go)
}

type extVehicle struct {
	TenantVehicle
	makeID, modelID string
	typ             snapshot.VehicleType
	wildcard        string // the vehicle id of its model-year's wildcard (the catalog's or own)
	implicit        bool   // a wildcard no one declared, there because its model-year has vehicles
}

type extPart struct {
	TenantPart
	key      string
	category uint32 // in the catalog; snapshot.None for none
	// Where it fits: catalog vehicle ids, and own vehicle indexes, with the fitments.
	central map[uint32][]Fitment
	own     map[int][]Fitment
	// after is how many catalog parts sort before it: it comes after catalog part
	// after-1 in a list in part-number order.
	after uint32
}

var noExtension = &extension{vehByID: map[string]int{}, byKey: map[string]uint32{},
	centralFits: map[uint32][]uint32{}, ownFits: map[int][]uint32{}, hasConcrete: map[string]bool{}}

func (x *extension) empty() bool { return len(x.vehicles) == 0 && len(x.byKey) == 0 }

// partID is the part id of own part seq against cat.
func (k *catalog) extID(seq uint32) uint32 { return uint32(len(k.Parts)) + seq }

// extPart returns the own part of part id p (nil for a catalog part or none).
func (v *View) extPart(p uint32) *extPart {
	n := int(p) - len(v.cat.Parts)
	if n < 0 || n >= len(v.ext.parts) {
		return nil
	}
	return v.ext.parts[n]
}

// build returns the extension with the given vehicles and parts (by sequence number;
// nil = deleted), resolved against cat. Vehicles the catalog has are dropped (they are the
// catalog's); a fitment to a vehicle neither has is dropped (the caller validated them).
func buildExtension(cat *catalog, vehicles []TenantVehicle, parts []*TenantPart, nextSeq uint32) *extension {
	x := &extension{vehByID: map[string]int{}, byKey: map[string]uint32{}, parts: make([]*extPart, len(parts)), nextSeq: nextSeq,
		centralFits: map[uint32][]uint32{}, ownFits: map[int][]uint32{}, hasConcrete: map[string]bool{}}
	sort.Slice(vehicles, func(i, j int) bool { return vehicles[i].ID < vehicles[j].ID })
	for _, tv := range vehicles {
		if _, ok := cat.vehicleByID[tv.ID]; ok {
			continue
		}
		if _, dup := x.vehByID[tv.ID]; dup {
			continue
		}
		typ, _ := snapshot.ParseVehicleType(tv.Type)
		ev := extVehicle{TenantVehicle: tv, makeID: snapshot.MakeID(tv.Make), modelID: snapshot.ModelID(tv.Make, tv.Model), typ: typ,
			wildcard: snapshot.VehicleID(tv.Make, tv.Model, "", tv.Year)}
		x.vehByID[tv.ID] = len(x.vehicles)
		x.vehicles = append(x.vehicles, ev)
	}
	// Every own model-year has its wildcard, as every catalog model-year has.
	for i := 0; i < len(x.vehicles); i++ {
		ev := x.vehicles[i]
		w := ev.wildcard
		if ev.Submodel != "" {
			x.hasConcrete[w] = true
		}
		if _, ok := cat.vehicleByID[w]; ok {
			continue
		}
		if _, ok := x.vehByID[w]; ok {
			continue
		}
		x.vehByID[w] = len(x.vehicles)
		x.vehicles = append(x.vehicles, extVehicle{TenantVehicle: TenantVehicle{ID: w, Type: ev.Type, Make: ev.Make, Model: ev.Model, Year: ev.Year},
			makeID: ev.makeID, modelID: ev.modelID, typ: ev.typ, wildcard: w, implicit: true})
	}
	for seq, tp := range parts {
		if tp == nil {
			continue
		}
		p := &extPart{TenantPart: *tp, key: snapshot.Key(tp.PartNumber), category: snapshot.None,
			central: map[uint32][]Fitment{}, own: map[int][]Fitment{}}
		if tp.Category != "" {
			p.category = cat.categoryByPath(tp.Category)
		}
		for _, f := range tp.Fitments {
			fit := Fitment{}
			if f.Position != "" {
				fit.Position = ptrTo(f.Position)
			}
			if f.Qty > 0 {
				fit.Qty = ptrTo(f.Qty)
			}
			if f.Notes != "" {
				fit.Notes = ptrTo(f.Notes)
			}
			if id, ok := cat.vehicleByID[f.VehicleID]; ok {
				p.central[id] = appendFitment(p.central[id], fit)
			} else if i, ok := x.vehByID[f.VehicleID]; ok {
				p.own[i] = appendFitment(p.own[i], fit)
			}
		}
		p.after = cat.firstPartFrom(p.key)
		x.parts[seq] = p
		x.byKey[p.key] = uint32(seq)
		x.sorted = append(x.sorted, uint32(seq))
	}
	sort.Slice(x.sorted, func(i, j int) bool { return x.parts[x.sorted[i]].key < x.parts[x.sorted[j]].key })
	for _, seq := range x.sorted { // so each list is in part-number order
		p := x.parts[seq]
		for id := range p.central {
			x.centralFits[id] = append(x.centralFits[id], seq)
		}
		for i := range p.own {
			x.ownFits[i] = append(x.ownFits[i], seq)
		}
	}
	return x
}

// categoryByPath finds a category of the catalog by its path (case-insensitively).
func (k *catalog) categoryByPath(path string) uint32 {
	key := snapshot.Key(path)
	i := sort.Search(len(k.Categories), func(i int) bool { return snapshot.Key(k.Categories[i].Path) >= key })
	if i < len(k.Categories) && snapshot.Key(k.Categories[i].Path) == key {
		return uint32(i)
	}
	return snapshot.None
}

// tenantParts returns the own parts as written (by sequence number, nil = deleted).
func (x *extension) tenantParts() []*TenantPart {
	out := make([]*TenantPart, len(x.parts))
	for i, p := range x.parts {
		if p != nil {
			out[i] = &p.TenantPart
		}
	}
	return out
}

// tenantVehicles returns the own vehicles as written (not the implicit wildcards).
func (x *extension) tenantVehicles() []TenantVehicle {
	out := make([]TenantVehicle, 0, len(x.vehicles))
	for _, ev := range x.vehicles {
		if !ev.implicit {
			out = append(out, ev.TenantVehicle)
		}
	}
	return out
}
