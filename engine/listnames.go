package engine

import (
	"bytes"
	"slices"
	"sort"
	"strings"
	"sync"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/fitment/fitment/snapshot"
)

// Name order, per language: a listing sorted by name compares integers, not strings. For
// each language the catalog's names are translated into (and "" for the default names)
// a table gives every catalog part its place in name order — by the language's collation
// (golang.org/x/text/collate: case ignored, digits compared as numbers), then by part
// number — built on first use, once per language and catalog (each distinct name is
// collated once: a catalog repeats its names). A language no part is translated into sorts the default names
// under the root collation.
//
// A tenant's own parts are placed between the catalog's: an own part that sorts after i
// catalog parts and is the j-th of the own parts in name order has the key i<<ownBits | j
// (catalog part at place i: i<<ownBits | ownLast), computed once per extension and table.

type nameTable struct {
	once  sync.Once
	lang  string // the names' language; "" = default names
	tag   language.Tag
	order []uint32 // catalog part ids in name order
	rank  []uint32 // part id → its place in order
	pool  sync.Pool
}

// nameCollator is a collator with its buffers: collators are not safe for concurrent use,
// so each call takes one from the table's pool.
type nameCollator struct {
	c   *collate.Collator
	buf collate.Buffer
}

func newCollator(tag language.Tag) *collate.Collator {
	return collate.New(tag, collate.IgnoreCase, collate.Numeric)
}

// nameTable returns the name order of lang, building it on first use.
func (k *catalog) nameTable(lang string) *nameTable {
	if !k.langs[lang] {
		lang = ""
	}
	t, ok := k.lists.names.Load(lang)
	if !ok {
		lang = strings.Clone(lang) // a key kept for the catalog's lifetime: never a caller's buffer
		tag := language.Und
		if lang != "" {
			tag = language.Make(lang)
		}
		t, _ = k.lists.names.LoadOrStore(lang, &nameTable{lang: lang, tag: tag})
	}
	nt := t.(*nameTable)
	nt.once.Do(func() { nt.build(k) })
	return nt
}

func (t *nameTable) build(k *catalog) {
	// Catalogs repeat names ("Brake pads" in every brand): collate each distinct name
	// once, then place the parts by a counting pass, in id (= part-number) order within
	// equal names.
	n := len(k.Parts)
	distinct := map[string]uint32{}
	var names []string
	nameOf := make([]uint32, n)
	for i := range k.Parts {
		s := localName(&k.Parts[i], t.lang)
		d, ok := distinct[s]
		if !ok {
			d = uint32(len(names))
			distinct[s] = d
			names = append(names, s)
		}
		nameOf[i] = d
	}
	c := newCollator(t.tag)
	var buf collate.Buffer
	keys := make([][]byte, len(names))
	for i, s := range names {
		keys[i] = bytes.Clone(c.KeyFromString(&buf, s))
		buf.Reset()
	}
	byKey := make([]uint32, len(names))
	for i := range byKey {
		byKey[i] = uint32(i)
	}
	slices.SortFunc(byKey, func(a, b uint32) int { return bytes.Compare(keys[a], keys[b]) })
	// class: the place of a name's collation key among the distinct keys (names that
	// collate equal, "Oil filter" and "oil filter", share one).
	class := make([]uint32, len(names))
	var classes uint32
	for i, d := range byKey {
		if i > 0 && !bytes.Equal(keys[d], keys[byKey[i-1]]) {
			classes++
		}
		class[d] = classes
	}
	start := make([]uint32, classes+2)
	for _, d := range nameOf {
		start[class[d]+1]++
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	t.order = make([]uint32, n)
	t.rank = make([]uint32, n)
	for p, d := range nameOf {
		r := start[class[d]]
		start[class[d]]++
		t.order[r], t.rank[p] = uint32(p), r
	}
}

func (t *nameTable) collator() *nameCollator {
	if c, ok := t.pool.Get().(*nameCollator); ok {
		return c
	}
	return &nameCollator{c: newCollator(t.tag)}
}

func (t *nameTable) put(c *nameCollator) {
	c.buf.Reset()
	t.pool.Put(c)
}

// key is the collation key of s, valid until the next call.
func (c *nameCollator) key(s string) []byte {
	c.buf.Reset()
	return c.c.KeyFromString(&c.buf, s)
}

// before counts the catalog parts that sort before (the name of collation key coll, the
// part number of Key numKey).
func (t *nameTable) before(k *catalog, c *nameCollator, coll []byte, numKey string) int {
	return sort.Search(len(t.order), func(i int) bool {
		p := &k.Parts[t.order[i]]
		if d := bytes.Compare(c.key(localName(p, t.lang)), coll); d != 0 {
			return d > 0
		}
		return snapshot.Key(p.Number) >= numKey
	})
}

type ownNamesKey struct {
	t    *nameTable
	lang string
}

// ownNames is the name order of a tenant's own parts under one name table.
type ownNames struct {
	keys  []uint64 // sort key by sequence number
	order []uint32 // sequence numbers in name order
	colls [][]byte // their collation keys
}

// displayName is part p's name as a listing in lang shows it.
func (v *View) displayName(p uint32, lang string) string {
	if int(p) < len(v.cat.Parts) {
		return localName(&v.cat.Parts[p], lang)
	}
	ep := v.extPart(p)
	if n, ok := ep.Names.Get(lang); ok && n != "" {
		return n
	}
	return ep.Name
}

// ownNameKeys returns the own parts' name keys under table t, their names those of lang
// (an own part may be translated into a language no catalog part is), computing them once
// per extension, table and language.
func (v *View) ownNameKeys(t *nameTable, lang string) *ownNames {
	xl := v.extListing()
	xl.mu.Lock()
	defer xl.mu.Unlock()
	nk := ownNamesKey{t, lang}
	if on, ok := xl.names[nk]; ok {
		return on
	}
	x, k := v.ext, v.cat
	c := t.collator()
	defer t.put(c)
	on := &ownNames{keys: make([]uint64, len(x.parts)), order: slices.Clone(x.sorted)}
	colls := make(map[uint32][]byte, len(x.sorted))
	for _, seq := range x.sorted {
		colls[seq] = bytes.Clone(c.key(v.displayName(k.extID(seq), lang)))
	}
	slices.SortFunc(on.order, func(a, b uint32) int {
		if d := bytes.Compare(colls[a], colls[b]); d != 0 {
			return d
		}
		return strings.Compare(x.parts[a].key, x.parts[b].key)
	})
	for j, seq := range on.order {
		i := t.before(k, c, colls[seq], x.parts[seq].key)
		on.keys[seq] = uint64(i)<<ownBits | uint64(j)
		on.colls = append(on.colls, colls[seq])
	}
	if xl.names == nil {
		xl.names = map[ownNamesKey]*ownNames{}
	}
	xl.names[nk] = on
	return on
}

// namePlace is where (name, part number) sorts in the view's name order under table t
// (own parts named in lang), as a sort key: the part's own key when the view has that part
// with that name (exact), else the key of the place just before the first part that sorts
// after it.
func (v *View) namePlace(t *nameTable, lang, name, number string) (key uint64, exact bool) {
	k := v.cat
	c := t.collator()
	defer t.put(c)
	coll := bytes.Clone(c.key(name))
	numKey := snapshot.Key(number)
	i := t.before(k, c, coll, numKey)
	if i < len(t.order) {
		p := &k.Parts[t.order[i]]
		if snapshot.Key(p.Number) == numKey && bytes.Equal(c.key(localName(p, t.lang)), coll) {
			return catalogKey(uint32(i)), true
		}
	}
	j := 0
	if !v.ext.empty() {
		on := v.ownNameKeys(t, lang)
		x := v.ext
		j = sort.Search(len(on.order), func(j int) bool {
			if d := bytes.Compare(on.colls[j], coll); d != 0 {
				return d > 0
			}
			return x.parts[on.order[j]].key >= numKey
		})
		if j < len(on.order) && x.parts[on.order[j]].key == numKey && bytes.Equal(on.colls[j], coll) {
			return on.keys[on.order[j]], true
		}
	}
	return uint64(i)<<ownBits | uint64(j), false
}
