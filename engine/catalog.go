package engine

import (
	"sort"
	"sync"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fitment/fitment/index"
	"github.com/fitment/fitment/snapshot"
)

// catalog is a loaded snapshot plus the lookup tables every query needs. It is built once
// per snapshot and never modified afterwards.
type catalog struct {
	*snapshot.Catalog
	version   string
	published atomic.Int64 // when a swap last published it (Unix nanoseconds)
	replaced  atomic.Int64 // when a swap last replaced it

	partByKey   map[string]uint32 // snapshot.Key(part number) → part
	brandByKey  map[string]uint32
	makeByID    map[string]uint32
	modelByID   map[string]uint32
	vehicleByID map[string]uint32

	// Vehicles are sorted by (make, model, year, submodel), so a make, a model and a
	// model-year are each a contiguous id range [lo, hi).
	makeModels []uint32 // make → one past its last model (models are sorted by make)
	modelStart []uint32 // model → its first vehicle
	modelEnd   []uint32 // model → one past its last vehicle
	wildcard   []uint32 // vehicle → the wildcard vehicle of its model-year (itself for a wildcard)
	yearEnd    []uint32 // wildcard vehicle → one past the last vehicle of its model-year

	wildcards    *roaring.Bitmap         // every wildcard vehicle
	years        []int                   // every year with a vehicle, descending
	yearVehicles map[int]*roaring.Bitmap // year → vehicles
	typeVehicles [5]*roaring.Bitmap      // snapshot.VehicleType → vehicles
	modelsByName []uint32                // every model, by (name, make)
	minYear      int                     // years[len(years)-1]
	nYears       int                     // years span minYear ..= years[0]

	brandParts   []*roaring.Bitmap // brand → its parts
	universal    *roaring.Bitmap   // universal parts
	categoryPath [][]string        // category → names from the root

	empty  *View           // what a tenant with nothing visible sees
	groups groupParts      // part sets of years and make-years, built on demand (counts.go)
	langs  map[string]bool // languages some part name is translated into
	frags  fragments       // encoded part summaries, built on demand (render.go)

	suggest suggestOnce  // type-ahead dictionaries, built on demand (suggest.go)
	names   lazyNames    // the vehicle-name index, built on demand (vindex.go)
	lists   listTables   // listing tables and name orders, built on demand (listing.go)
	text    *index.Index // the text index of the catalog's parts (nil: none; textsearch.go)

	dlinks detailLinksState // which links have fitment details, built on demand (detaillinks.go)

	linkVehOnce [2]sync.Once     // by LinkFormat
	linkVeh     [2]*vehicleFrags // vehicles' columns in link lines, built on demand (links.go)
}

func newCatalog(c *snapshot.Catalog, version string) *catalog {
	k := &catalog{
		Catalog:      c,
		version:      version,
		partByKey:    make(map[string]uint32, len(c.Parts)),
		brandByKey:   make(map[string]uint32, len(c.Brands)),
		makeByID:     make(map[string]uint32, len(c.Makes)),
		modelByID:    make(map[string]uint32, len(c.Models)),
		vehicleByID:  make(map[string]uint32, len(c.Vehicles)),
		makeModels:   make([]uint32, len(c.Makes)),
		modelStart:   make([]uint32, len(c.Models)),
		modelEnd:     make([]uint32, len(c.Models)),
		wildcard:     make([]uint32, len(c.Vehicles)),
		yearEnd:      make([]uint32, len(c.Vehicles)),
		wildcards:    roaring.New(),
		yearVehicles: map[int]*roaring.Bitmap{},
		brandParts:   make([]*roaring.Bitmap, len(c.Brands)),
		universal:    roaring.New(),
		langs:        map[string]bool{},
	}
	k.frags.limit = DefaultFragmentBytes
	for i, m := range c.Makes {
		k.makeByID[m.ID] = uint32(i)
	}
	for i, m := range c.Models {
		k.modelByID[m.ID] = uint32(i)
		k.makeModels[m.Make] = uint32(i) + 1
	}
	for i, b := range c.Brands {
		k.brandByKey[snapshot.Key(b)] = uint32(i)
		k.brandParts[i] = roaring.New()
	}
	for t := range k.typeVehicles {
		k.typeVehicles[t] = roaring.New()
	}

	var w uint32
	for i := range c.Vehicles {
		v := &c.Vehicles[i]
		id := uint32(i)
		k.vehicleByID[v.ID] = id
		model := c.Models[v.Model]
		if i == 0 || c.Vehicles[i-1].Model != v.Model {
			k.modelStart[v.Model] = id
		}
		k.modelEnd[v.Model] = id + 1
		if v.Wildcard() {
			w = id
			k.wildcards.Add(id)
		}
		k.wildcard[i] = w
		k.yearEnd[w] = id + 1
		yv := k.yearVehicles[int(v.Year)]
		if yv == nil {
			yv = roaring.New()
			k.yearVehicles[int(v.Year)] = yv
			k.years = append(k.years, int(v.Year))
		}
		yv.Add(id)
		if int(model.Type) < len(k.typeVehicles) {
			k.typeVehicles[model.Type].Add(id)
		}
	}
	// No RunOptimize on these query-side sets: roaring's run containers answer Intersects
	// by building the whole intersection, array and bitmap containers stop at the first hit.
	sort.Sort(sort.Reverse(sort.IntSlice(k.years)))
	if len(k.years) > 0 {
		k.minYear, k.nYears = k.years[len(k.years)-1], k.years[0]-k.years[len(k.years)-1]+1
	}

	k.modelsByName = make([]uint32, len(c.Models))
	for i := range k.modelsByName {
		k.modelsByName[i] = uint32(i)
	}
	sort.SliceStable(k.modelsByName, func(a, b int) bool {
		ma, mb := &c.Models[k.modelsByName[a]], &c.Models[k.modelsByName[b]]
		if ka, kb := snapshot.Key(ma.Name), snapshot.Key(mb.Name); ka != kb {
			return ka < kb
		}
		return ma.Make < mb.Make
	})

	for i := range c.Parts {
		p := &c.Parts[i]
		k.partByKey[snapshot.Key(p.Number)] = uint32(i)
		k.brandParts[p.Brand].Add(uint32(i))
		if p.Universal {
			k.universal.Add(uint32(i))
		}
		for _, t := range p.Names {
			k.langs[t.Lang] = true
		}
	}

	k.categoryPath = make([][]string, len(c.Categories))
	for i, cat := range c.Categories {
		var path []string
		if cat.Parent != snapshot.None {
			path = append(path, k.categoryPath[cat.Parent]...)
		}
		k.categoryPath[i] = append(path, cat.Name)
	}
	k.empty = k.emptyView()
	return k
}

// part finds a part by number (snapshot.Key comparison) without allocating: feeds look up
// hundreds of thousands of numbers a second.
func (k *catalog) part(ref string) (uint32, bool) {
	var buf [64]byte
	b := appendKey(buf[:0], ref)
	p, ok := k.partByKey[string(b)] // no allocation: the compiler looks up []byte keys in place
	return p, ok
}

// appendKey appends snapshot.Key(s) for ASCII s, and falls back to it otherwise.
func appendKey(dst []byte, s string) []byte {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r' || s[0] == '\v' || s[0] == '\f') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t' || s[len(s)-1] == '\n' || s[len(s)-1] == '\r' || s[len(s)-1] == '\v' || s[len(s)-1] == '\f') {
		s = s[:len(s)-1]
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return append(dst[:0], snapshot.Key(s)...)
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// modelRange returns the vehicles of model m, or of its model-year y when y != 0.
func (k *catalog) modelRange(m uint32, year int) (lo, hi uint32) {
	lo, hi = k.modelStart[m], k.modelEnd[m]
	if year == 0 {
		return lo, hi
	}
	// Wildcards lead their model-year; walk the (few) model-years of the model.
	for w := lo; w < hi; w = k.yearEnd[w] {
		if int(k.Vehicles[w].Year) == year {
			return w, k.yearEnd[w]
		}
	}
	return lo, lo
}

// modelsOf returns the models of make m as the range [lo, hi).
func (k *catalog) modelsOf(m uint32) (lo, hi uint32) {
	if m > 0 {
		lo = k.makeModels[m-1]
	}
	return lo, k.makeModels[m]
}

// vehicleParts returns the parts fitted to vehicle v itself and, for a concrete
// submodel, those fitted to its model-year's wildcard (nil for a wildcard vehicle or an
// empty wildcard). The results must not be modified.
func (k *catalog) vehicleParts(v uint32) (own, wild *roaring.Bitmap) {
	own = k.VehicleParts.Get(int(v))
	if w := k.wildcard[v]; w != v && !k.VehicleParts.Empty(int(w)) {
		wild = k.VehicleParts.Get(int(w))
	}
	return own, wild
}
