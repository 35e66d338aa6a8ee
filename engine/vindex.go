package engine

import (
	"math/bits"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/cespare/xxhash/v2"

	"github.com/fitment/fitment/snapshot"
)

// The name index behind vehicle recognition (resolve.go): the makes, models and submodels of
// a set of vehicles as atoms (vtext.go), a vocabulary of terms with the makes and models each
// term names, and the vehicles grouped by model and model-year. One is built per catalog, on
// first use, and one per tenant extension (its own vehicles), also on first use; both are
// immutable once built.
//
// A term is an atom, or two or three consecutive letter atoms of one name joined ("X-MR" has
// the terms x, mr and xmr; "Can-Am" can, am and canam), so a query can join or split letters
// either way. Letters and digits never need joining: a query is cut at letter–digit
// boundaries as the names are.

// vname is a make, model or submodel name as the recogniser matches it.
type vname struct {
	atoms []string
	digit uint64   // which atoms are digits
	alts  []uint64 // the ways of naming it, as sets of atoms; its coverage is the best of them
	whole int8     // the alternative that is all of the name (a make's own spelling), -1 none
	parts bool     // the other alternatives are parts of it (a model's, see modelSpellings)
	// spellings: the alternatives are spellings of it (a make's and its aliases).
	spellings bool
	terms     []nterm // its vocabulary terms
}

// nterm is one term of a name: atoms pos..pos+n of it.
type nterm struct {
	term   uint32
	pos, n uint8
}

const maxNameAtoms = 64

// vmodel is a model with its make and model-years.
type vmodel struct {
	name  vname
	make  uint32
	years []myear // by year, ascending
}

// myear is a model-year: rows lo..hi, its wildcard first when it has one.
type myear struct {
	year   uint16
	lo, hi uint32
}

// vrow is one vehicle of the index.
type vrow struct {
	id  uint32 // catalog vehicle id, or the own vehicle's index in the extension
	sub uint32 // its submodel in subs; 0 = the wildcard
	cc  uint32 // engine cc, 0 = unknown
	wcc uint32 // engine cc of its model-year's wildcard (0 = unknown or none)
}

// nameIndex is the recogniser's index over one set of vehicles.
type nameIndex struct {
	own    bool // the rows are own vehicles of an extension
	makes  []vname
	models []vmodel
	subs   []vname // [0] is the wildcard's empty name
	rows   []vrow  // by model, year, submodel: the tie-break order of candidates

	makeModels [][]uint32 // make → its models

	terms     map[string]uint32
	termText  []string
	makePost  [][]uint32 // term → the makes whose name has it, ascending
	modelPost [][]uint32 // term → the models whose name has it, ascending
	// subPost: term → the models with a submodel whose name has it, ascending (for the
	// bound of what a model's vehicles can score).
	subPost [][]uint32
	typo    []typoKey // by hash: one-deletion keys of the longer letter terms
}

// typoKey says that term has a deletion variant (or itself) hashing to hash.
type typoKey struct {
	hash uint64
	term uint32
}

// lazyNames is a name index built on first use.
type lazyNames struct {
	once sync.Once
	ix   *nameIndex
}

func (l *lazyNames) get(build func() *nameIndex) *nameIndex {
	l.once.Do(func() { l.ix = build() })
	return l.ix
}

// vehicleNames is the catalog's name index.
func (k *catalog) vehicleNames() *nameIndex {
	return k.names.get(func() *nameIndex { return buildCatalogNames(k) })
}

// vehicleNames is the name index of the tenant's own vehicles.
func (v *View) ownVehicleNames() *nameIndex {
	return v.ext.names.get(func() *nameIndex { return buildOwnNames(v.cat, v.ext) })
}

// makeAliases holds groups of spellings of one vehicle make: a make spelt (atoms joined) as
// one member of a group also answers to the others. BRP builds Can-Am, Ski-Doo and Lynx;
// vPIC's spellings ("Indian Motorcycle", "MV Agusta Motor") are here for catalogs built
// from it.
var makeAliases = [][]string{
	{"Can-Am", "BRP", "Bombardier"},
	{"Ski-Doo", "BRP", "Bombardier"},
	{"Lynx", "BRP"},
	{"Harley-Davidson", "Harley", "HD", "H-D"},
	{"Husqvarna", "Husky"},
	{"Kawasaki", "Kawi"},
	{"CFMOTO", "CF Moto", "CF"},
	{"GasGas", "Gas Gas"},
	{"Indian", "Indian Motorcycle", "Indian Motorcycles"},
	{"MV Agusta", "MV Agusta Motor", "MV"},
	{"Moto Guzzi", "Guzzi"},
	{"Royal Enfield", "Enfield"},
	{"Zero", "Zero Motorcycles"},
	{"Segway", "Segway Powersports"},
	{"BMW", "BMW Motorrad"},
	{"Arctic Cat", "Arcticcat", "Textron"},
	{"Polaris", "Polaris Industries"},
	{"Triumph", "Triumph Motorcycles"},
}

// squash is s as atoms joined: how make spellings are compared.
func squash(s string) string {
	as, _ := atomize(s, nil)
	var b strings.Builder
	for _, a := range as {
		b.WriteString(a.text)
	}
	return b.String()
}

var aliasOf = sync.OnceValue(func() map[string][]string {
	m := map[string][]string{}
	for _, g := range makeAliases {
		for i, s := range g {
			for j, t := range g {
				if i != j {
					m[squash(s)] = append(m[squash(s)], t)
				}
			}
		}
	}
	return m
})

// makeSpellings returns a make's name followed by its aliases.
func makeSpellings(name string) []string {
	return append([]string{name}, aliasOf()[squash(name)]...)
}

// modelSpellings returns the ways of naming a model: the whole name and, for a name with a
// part in parentheses ("XTZ690 (Tenere 700)"), that part and the rest (as segments of
// one name, see name).
func modelSpellings(name string) (segs []string, union bool) {
	open := strings.IndexByte(name, '(')
	end := strings.LastIndexByte(name, ')')
	if open < 0 || end < open {
		return []string{name}, false
	}
	inside := name[open+1 : end]
	outside := name[:open] + " " + name[end+1:]
	if strings.TrimSpace(inside) == "" || strings.TrimSpace(outside) == "" {
		return []string{name}, false
	}
	return []string{outside, inside}, true
}

// indexBuilder builds a nameIndex.
type indexBuilder struct {
	ix  *nameIndex
	buf []atom
}

func newIndexBuilder(own bool) *indexBuilder {
	return &indexBuilder{ix: &nameIndex{own: own, terms: map[string]uint32{}}}
}

func (b *indexBuilder) term(s string) uint32 {
	if t, ok := b.ix.terms[s]; ok {
		return t
	}
	t := uint32(len(b.ix.termText))
	b.ix.terms[s] = t
	b.ix.termText = append(b.ix.termText, s)
	b.ix.makePost = append(b.ix.makePost, nil)
	b.ix.modelPost = append(b.ix.modelPost, nil)
	b.ix.subPost = append(b.ix.subPost, nil)
	return t
}

// name builds the name made of segs. Each segment is one way of naming it; with union, all
// segments together are one more (a model named "XTZ690 (Tenere 700)" is named by
// "xtz690", by "tenere 700", or by both).
func (b *indexBuilder) name(segs []string, union bool) vname {
	var nm vname
	var all uint64
	for _, seg := range segs {
		b.buf, _ = atomize(seg, b.buf[:0])
		lo := len(nm.atoms)
		for _, a := range b.buf {
			if len(nm.atoms) == maxNameAtoms {
				break
			}
			if a.digit {
				nm.digit |= 1 << len(nm.atoms)
			}
			nm.atoms = append(nm.atoms, a.text)
		}
		hi := len(nm.atoms)
		if hi == lo {
			continue
		}
		alt := atomRange(lo, hi)
		all |= alt
		nm.alts = append(nm.alts, alt)
		for i := lo; i < hi; i++ {
			nm.terms = append(nm.terms, nterm{term: b.term(nm.atoms[i]), pos: uint8(i), n: 1})
			joined := nm.atoms[i]
			for n := 2; n <= 3 && i+n <= hi; n++ {
				if nm.digit&atomRange(i, i+n) != 0 {
					break
				}
				joined += nm.atoms[i+n-1]
				nm.terms = append(nm.terms, nterm{term: b.term(joined), pos: uint8(i), n: uint8(n)})
			}
		}
	}
	nm.whole = 0
	switch {
	case len(nm.alts) == 0:
		nm.whole = -1
	case union && len(nm.alts) > 1:
		nm.whole, nm.parts = int8(len(nm.alts)), true
		nm.alts = append(nm.alts, all)
	}
	return nm
}

// atomRange is the set of atoms lo..hi.
func atomRange(lo, hi int) uint64 {
	if hi-lo >= 64 {
		return ^uint64(0)
	}
	return (1<<(hi-lo) - 1) << lo
}

func (b *indexBuilder) addMake(name string) {
	id := uint32(len(b.ix.makes))
	nm := b.name(makeSpellings(name), false)
	nm.spellings = true
	for _, t := range nm.terms {
		if p := b.ix.makePost[t.term]; len(p) == 0 || p[len(p)-1] != id {
			b.ix.makePost[t.term] = append(p, id)
		}
	}
	b.ix.makes = append(b.ix.makes, nm)
	b.ix.makeModels = append(b.ix.makeModels, nil)
}

func (b *indexBuilder) addModel(mk uint32, name string) {
	id := uint32(len(b.ix.models))
	nm := b.name(modelSpellings(name))
	for _, t := range nm.terms {
		if p := b.ix.modelPost[t.term]; len(p) == 0 || p[len(p)-1] != id {
			b.ix.modelPost[t.term] = append(p, id)
		}
	}
	b.ix.models = append(b.ix.models, vmodel{name: nm, make: mk})
	b.ix.makeModels[mk] = append(b.ix.makeModels[mk], id)
}

// sub returns the submodel id of name (by snapshot.Key), adding it when new.
func (b *indexBuilder) sub(ids map[string]uint32, name string) uint32 {
	key := snapshot.Key(name)
	if id, ok := ids[key]; ok {
		return id
	}
	id := uint32(len(b.ix.subs))
	ids[key] = id
	b.ix.subs = append(b.ix.subs, b.name([]string{name}, false))
	return id
}

// finish derives the submodel postings and the typo keys.
func (b *indexBuilder) finish() *nameIndex {
	ix := b.ix
	seen := make([]int32, len(ix.subs)) // sub → the last model (+1) that had it
	for m := range ix.models {
		for _, y := range ix.models[m].years {
			for r := y.lo; r < y.hi; r++ {
				s := ix.rows[r].sub
				if s == 0 || seen[s] == int32(m)+1 {
					continue
				}
				seen[s] = int32(m) + 1
				for _, t := range ix.subs[s].terms {
					if p := ix.subPost[t.term]; len(p) == 0 || p[len(p)-1] != uint32(m) {
						ix.subPost[t.term] = append(p, uint32(m))
					}
				}
			}
		}
	}
	var buf []byte
	for t, s := range ix.termText {
		if len(s) < typoTermMin || !letters(s) {
			continue
		}
		buf = deletions(s, buf, func(key []byte) {
			ix.typo = append(ix.typo, typoKey{hash: xxhash.Sum64(key), term: uint32(t)})
		})
	}
	slices.SortFunc(ix.typo, func(a, b typoKey) int {
		switch {
		case a.hash < b.hash:
			return -1
		case a.hash > b.hash:
			return 1
		}
		return int(a.term) - int(b.term)
	})
	ix.typo = slices.Compact(ix.typo)
	return ix
}

// buildCatalogNames indexes every vehicle of the catalog; rows are the catalog's vehicles in
// id order.
func buildCatalogNames(k *catalog) *nameIndex {
	b := newIndexBuilder(false)
	for _, mk := range k.Makes {
		b.addMake(mk.Name)
	}
	for _, md := range k.Models {
		b.addModel(md.Make, md.Name)
	}
	subs := map[string]uint32{}
	b.sub(subs, "")
	ix := b.ix
	ix.rows = make([]vrow, len(k.Vehicles))
	for i := range k.Vehicles {
		veh := &k.Vehicles[i]
		w := k.wildcard[i]
		ix.rows[i] = vrow{id: uint32(i), sub: b.sub(subs, veh.Submodel), cc: veh.EngineCC, wcc: k.Vehicles[w].EngineCC}
		if veh.Wildcard() {
			md := &ix.models[veh.Model]
			md.years = append(md.years, myear{year: veh.Year, lo: uint32(i), hi: k.yearEnd[i]})
		}
	}
	return b.finish()
}

// buildOwnNames indexes a tenant's own vehicles (the implicit wildcards included), grouped
// into models by (make, model) name; rows are by make, model, year and submodel names.
func buildOwnNames(k *catalog, x *extension) *nameIndex {
	b := newIndexBuilder(true)
	order := make([]int, len(x.vehicles))
	for i := range order {
		order[i] = i
	}
	type key struct{ mk, md, sub string }
	keys := make([]key, len(x.vehicles))
	for i := range x.vehicles {
		ev := &x.vehicles[i]
		keys[i] = key{snapshot.Key(ev.Make), snapshot.Key(ev.Model), snapshot.Key(ev.Submodel)}
	}
	sort.SliceStable(order, func(a, c int) bool {
		ka, kc := keys[order[a]], keys[order[c]]
		ea, ec := &x.vehicles[order[a]], &x.vehicles[order[c]]
		switch {
		case ka.mk != kc.mk:
			return ka.mk < kc.mk
		case ka.md != kc.md:
			return ka.md < kc.md
		case ea.Year != ec.Year:
			return ea.Year < ec.Year
		case ka.sub != kc.sub:
			return ka.sub < kc.sub
		}
		return ea.ID < ec.ID
	})
	subs := map[string]uint32{}
	b.sub(subs, "")
	ix := b.ix
	var lastMake, lastModel string
	wcc := map[string]uint32{} // wildcard id → its cc
	for i := range x.vehicles {
		if ev := &x.vehicles[i]; ev.Submodel == "" && ev.EngineCC > 0 {
			wcc[ev.ID] = uint32(ev.EngineCC)
		}
	}
	for n, i := range order {
		ev, kk := &x.vehicles[i], keys[i]
		if n == 0 || kk.mk != lastMake {
			name := ev.Make
			if m, ok := k.makeByID[ev.makeID]; ok {
				name = k.Makes[m].Name
			}
			b.addMake(name)
			lastModel = ""
		}
		if n == 0 || kk.mk != lastMake || kk.md != lastModel {
			b.addModel(uint32(len(ix.makes)-1), ev.Model)
		}
		lastMake, lastModel = kk.mk, kk.md
		md := &ix.models[len(ix.models)-1]
		row := uint32(len(ix.rows))
		if len(md.years) == 0 || int(md.years[len(md.years)-1].year) != ev.Year {
			md.years = append(md.years, myear{year: uint16(ev.Year), lo: row})
		}
		md.years[len(md.years)-1].hi = row + 1
		cc := uint32(max(ev.EngineCC, 0))
		w := wcc[ev.wildcard]
		if w == 0 {
			if c, ok := k.vehicleByID[ev.wildcard]; ok {
				w = k.Vehicles[c].EngineCC
			}
		}
		ix.rows = append(ix.rows, vrow{id: uint32(i), sub: b.sub(subs, ev.Submodel), cc: cc, wcc: w})
	}
	return b.finish()
}

func popcount(m uint64) int { return bits.OnesCount64(m) }
