// Package snapshot defines the central catalog as it lives in one immutable snapshot file:
// the in-memory form (Catalog) that ingest builds and the engine loads, and the on-disk
// format (see FORMAT.md) that Write and Open translate between.
//
// Every table is a dense, sorted slice; an index into it (uint32) is the internal id of
// that row within one snapshot. Internal ids change between snapshots; the external ids
// (Make.ID, Model.ID, Vehicle.ID) are derived from natural keys and never do.
//
// A Catalog is immutable once built: it is safe for any number of concurrent readers and
// must never be modified after it is handed to Write or returned by Open.
package snapshot

import (
	"crypto/sha256"
	"encoding/base32"
	"strconv"
	"strings"
)

// VehicleType is the kind of a vehicle model.
type VehicleType uint8

const (
	Motorcycle VehicleType = iota + 1
	ATV
	UTV
	Snowmobile
)

var vehicleTypeNames = [...]string{"", "motorcycle", "atv", "utv", "snowmobile"}

func (t VehicleType) String() string {
	if int(t) < len(vehicleTypeNames) {
		return vehicleTypeNames[t]
	}
	return "unknown"
}

// ParseVehicleType reads a type name case-insensitively; ok is false for anything else.
func ParseVehicleType(s string) (VehicleType, bool) {
	for i, n := range vehicleTypeNames {
		if i > 0 && strings.EqualFold(s, n) {
			return VehicleType(i), true
		}
	}
	return 0, false
}

// None marks an absent optional reference (category, parent).
const None = ^uint32(0)

// Make is a vehicle make. Makes are sorted by Key(Name).
type Make struct {
	ID   string
	Name string
}

// Model is a product line of a make. Models are sorted by (Make, Key(Name)), so the models
// of one make occupy one contiguous range.
type Model struct {
	ID   string
	Make uint32
	Name string
	Type VehicleType
}

// Vehicle is one model year of one submodel. Vehicles are sorted by (Model, Year,
// Key(Submodel)); the wildcard vehicle (Submodel "") of every model-year that has any
// vehicle is always present and comes first in its model-year, immediately followed by
// that model-year's concrete submodels. So a model, and a model-year, are contiguous ranges.
type Vehicle struct {
	ID         string
	Model      uint32
	Submodel   string // "" = wildcard: all submodels of this model-year
	Year       uint16
	EngineCC   uint32 // 0 = unknown
	Generation string
}

// Wildcard reports whether v is the wildcard vehicle of its model-year.
func (v *Vehicle) Wildcard() bool { return v.Submodel == "" }

// Category is one node of the category tree (at most three levels). Categories are sorted
// by Key(Path); a parent always sorts before its children.
type Category struct {
	ID     string
	Name   string
	Parent uint32 // None for a top-level category
	Level  uint8  // 1..3
	Path   string // "Brakes > Brake pads > Sintered"
}

// OEMRef is an original-equipment cross reference.
type OEMRef struct {
	Brand  string
	Number string
}

// Part is the summary of a part, held in memory for every part. Parts are sorted by
// Key(Number). The heavier fields live in PartDetail, read on demand.
type Part struct {
	Number    string // canonical part number, as given (case preserved)
	Brand     uint32
	Name      string // default-language name
	Category  uint32 // None when not given
	OEM       string // primary OEM number ("" when none)
	Image     string // primary image URL ("" when none)
	Universal bool
	// Names holds the translated names; nil when there are none.
	Names Translations
}

// Translation is a text in one language (ISO 639-1 code).
type Translation struct {
	Lang, Text string
}

// Translations is a short list sorted by Lang. A slice rather than a map: a million parts
// with a handful of languages each would otherwise cost a million small maps.
type Translations []Translation

// Get returns the text in lang.
func (ts Translations) Get(lang string) (string, bool) {
	for _, t := range ts {
		if t.Lang == lang {
			return t.Text, true
		}
	}
	return "", false
}

// Set adds or replaces the text in lang, keeping the list sorted.
func (ts *Translations) Set(lang, text string) {
	i := 0
	for i < len(*ts) && (*ts)[i].Lang < lang {
		i++
	}
	if i < len(*ts) && (*ts)[i].Lang == lang {
		(*ts)[i].Text = text
		return
	}
	*ts = append(*ts, Translation{})
	copy((*ts)[i+1:], (*ts)[i:])
	(*ts)[i] = Translation{lang, text}
}

// PartDetail is the product-detail content of a part.
type PartDetail struct {
	Description     string            `json:"description,omitempty"` // sanitised HTML
	Descriptions    map[string]string `json:"descriptions,omitempty"`
	OEM             []OEMRef          `json:"oem,omitempty"` // first is primary
	EAN             string            `json:"ean,omitempty"`
	WeightKg        *float64          `json:"weightKg,omitempty"`
	LengthCm        *float64          `json:"lengthCm,omitempty"`
	WidthCm         *float64          `json:"widthCm,omitempty"`
	HeightCm        *float64          `json:"heightCm,omitempty"`
	CountryOfOrigin string            `json:"countryOfOrigin,omitempty"`
	Images          []string          `json:"images,omitempty"` // first is primary
	ManualURL       string            `json:"manualUrl,omitempty"`
}

// Detail is one fitment's optional attributes for a (vehicle, part) link. Position and
// Note index Catalog.Positions and Catalog.Notes; 0 means "not given". Qty 0 = not given.
type Detail struct {
	Part     uint32
	Position uint16
	Qty      uint16
	Note     uint32
}

// Details holds fitment attributes sparsely, grouped by vehicle (CSR layout): the entries
// of vehicle v are Entries[Offsets[v]:Offsets[v+1]], sorted by Part. A (vehicle, part) link
// with no entries is one fitment without position, qty or notes. When any fitment of a link
// has attributes, every fitment of that link is listed (an attribute-less one as {0,0,0}).
type Details struct {
	Offsets []uint32 // len(Vehicles)+1
	Entries []Detail
}

// For returns the fitment entries of (vehicle, part); nil means one plain fitment.
func (d *Details) For(vehicle, part uint32) []Detail {
	es := d.Entries[d.Offsets[vehicle]:d.Offsets[vehicle+1]]
	lo, hi := 0, len(es)
	for lo < hi { // first entry with Part >= part
		m := int(uint(lo+hi) >> 1)
		if es[m].Part < part {
			lo = m + 1
		} else {
			hi = m
		}
	}
	end := lo
	for end < len(es) && es[end].Part == part {
		end++
	}
	if end == lo {
		return nil
	}
	return es[lo:end]
}

// Catalog is the whole central catalog of one snapshot.
type Catalog struct {
	Makes      []Make
	Models     []Model
	Vehicles   []Vehicle
	Brands     []string // sorted by Key
	Categories []Category
	Parts      []Part

	// VehicleParts maps a vehicle to the parts fitted directly to it (no wildcard
	// inheritance: a concrete vehicle's parts are its own ∪ its wildcard's).
	VehicleParts *Postings
	// PartVehicles is the inverse of VehicleParts.
	PartVehicles *Postings
	// BrandVehicles maps a brand to the vehicles its non-universal parts fit directly.
	BrandVehicles *Postings

	Details   Details
	Positions []string // [0] = ""
	Notes     []string // [0] = ""

	// PartDetail returns the detail record of part i. Set by Open (reads the snapshot file
	// on demand) or by the builder (from memory).
	PartDetail func(i uint32) (PartDetail, error)
}

// Key is the normalised form under which names and part numbers are compared: outer
// whitespace trimmed, case folded.
func Key(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

func stableID(prefix string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(Key(p)))
		h.Write([]byte{0})
	}
	sum := h.Sum(nil)
	return prefix + idEncoding.EncodeToString(sum[:8])[:12]
}

// MakeID, ModelID, VehicleID and CategoryID derive the stable external id of a natural
// key. The same key (compared with Key) gets the same id in every snapshot.
func MakeID(make string) string         { return stableID("mk", make) }
func ModelID(make, model string) string { return stableID("md", make, model) }
func CategoryID(path string) string     { return stableID("c", path) }
func VehicleID(make, model, submodel string, year int) string {
	return stableID("v", make, model, submodel, strconv.Itoa(year))
}
