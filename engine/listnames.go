package engine

import (
	"bytes"
	"cmp"
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
// number — built on first use: a second or so on the eu profile's million parts, once per
// language and catalog. A language no part is translated into sorts the default names
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
	c := newCollator(t.tag)
	var buf collate.Buffer
	n := len(k.Parts)
	offs := make([]uint32, n+1)
	arena := make([]byte, 0, n*48)
	for i := range k.Parts {
		arena = append(arena, c.KeyFromString(&buf, localName(&k.Parts[i], t.lang))...)
		offs[i+1] = uint32(len(arena))
		if i%1024 == 1023 {
			buf.Reset()
		}
	}
	key := func(p uint32) []byte { return arena[offs[p]:offs[p+1]] }
	t.order = make([]uint32, n)
	for i := range t.order {
		t.order[i] = uint32(i)
	}
	// Part ids are in part-number order, so they break ties.
	slices.SortFunc(t.order, func(a, b uint32) int {
		if c := bytes.Compare(key(a), key(b)); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	t.rank = make([]uint32, n)
	for i, p := range t.order {
		t.rank[p] = uint32(i)
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
