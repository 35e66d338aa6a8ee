package engine

import (
	"container/heap"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fitment/fitment/snapshot"
)

// Type-ahead suggestions (GET /api/t/suggest): completions of what a shopper has typed so
// far, from the catalog's part names in the request's language, its categories, brands,
// makes and models, part numbers, and the tenant's own parts — only what the tenant sees.
//
// The catalog's side is built once per catalog, on first use (see PrepareSuggest). Each
// kind of phrase is a suggestDict: every phrase folded (appendFolded) and keyed once at its
// start and once at each later word, so "pads" completes "Brake pads" as "brake" does.
// Keys are sorted, so the keys a prefix completes are one range, found by binary search;
// within blocks of 64 keys an order heaviest first lets a heap over the range's blocks
// yield its keys heaviest first. A one-letter prefix so costs about what a long one does:
// keys are looked at only until `limit` entries the tenant can see are found.

// Suggestions is the answer to one type-ahead query, each list best first.
type Suggestions struct {
	Queries    []QuerySuggestion    `json:"queries"`
	Categories []CategorySuggestion `json:"categories"`
	Brands     []BrandSuggestion    `json:"brands"`
	Vehicles   []VehicleSuggestion  `json:"vehicles"`
	Parts      []PartSuggestion     `json:"parts"`
}

// QuerySuggestion completes the query to a part name the tenant sells (search for it).
type QuerySuggestion struct {
	Text string `json:"text"`
}

// CategorySuggestion is a category with visible parts in it.
type CategorySuggestion struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Path string `json:"path"`
}

// BrandSuggestion is a brand with visible parts.
type BrandSuggestion struct {
	Name string `json:"name"`
}

// VehicleSuggestion is a make, or a model, with vehicles the tenant has parts for.
type VehicleSuggestion struct {
	Kind    string  `json:"kind"` // "make" or "model"
	MakeID  string  `json:"makeId"`
	Make    string  `json:"make"`
	ModelID *string `json:"modelId,omitempty"`
	Model   *string `json:"model,omitempty"`
	Type    *string `json:"type,omitempty"`
}

// PartSuggestion is one part whose number (or, for the tenant's own parts, name) the query
// begins.
type PartSuggestion struct {
	PartNumber string `json:"partNumber"`
	Name       string `json:"name"`
	Brand      string `json:"brand"`
}

// MaxSuggest bounds the limit of each list.
const MaxSuggest = 20

// MaxSuggestLooks bounds the keys looked at per list, for a tenant that sees little of what
// a prefix completes: past it, a list may hold fewer entries than its limit.
const MaxSuggestLooks = 4096

// Suggest completes q for the tenant, up to limit entries a list (1..MaxSuggest), part
// names in lang (the catalog's default names when lang is "" or a part has no name in it).
// A q that folds to nothing suggests nothing.
func (v *View) Suggest(q, lang string, limit int) Suggestions {
	limit = min(max(limit, 1), MaxSuggest)
	out := Suggestions{Queries: []QuerySuggestion{}, Categories: []CategorySuggestion{}, Brands: []BrandSuggestion{},
		Vehicles: []VehicleSuggestion{}, Parts: []PartSuggestion{}}
	var buf [128]byte
	prefix := string(appendFolded(buf[:0], q))
	if prefix == "" {
		return out
	}
	k := v.cat
	s := k.suggestions()

	d := s.names[lang]
	if d == nil {
		d = s.names[""]
	}
	for _, e := range d.top(prefix, limit, func(e uint32) bool { return d.parts[e].Intersects(v.parts) }) {
		out.Queries = append(out.Queries, QuerySuggestion{Text: d.text[e]})
	}
	cats := v.visibleCategories()
	for _, e := range s.categories.top(prefix, limit, func(e uint32) bool { return cats[e] }) {
		c := &k.Categories[e]
		out.Categories = append(out.Categories, CategorySuggestion{ID: c.ID, Name: c.Name, Path: c.Path})
	}
	for _, e := range s.brands.top(prefix, limit, func(e uint32) bool { return k.brandParts[e].Intersects(v.parts) }) {
		out.Brands = append(out.Brands, BrandSuggestion{Name: k.Brands[e]})
	}
	nm := uint32(len(k.Models))
	for _, e := range s.vehicles.top(prefix, limit, func(e uint32) bool {
		if e < nm {
			return v.has(e, 0)
		}
		lo, hi := k.modelsOf(e - nm)
		for m := lo; m < hi; m++ {
			if v.has(m, 0) {
				return true
			}
		}
		return false
	}) {
		if e < nm {
			m := &k.Models[e]
			mk := &k.Makes[m.Make]
			t := m.Type.String()
			out.Vehicles = append(out.Vehicles, VehicleSuggestion{Kind: "model", MakeID: mk.ID, Make: mk.Name, ModelID: &m.ID, Model: &m.Name, Type: &t})
		} else {
			mk := &k.Makes[e-nm]
			out.Vehicles = append(out.Vehicles, VehicleSuggestion{Kind: "make", MakeID: mk.ID, Make: mk.Name})
		}
	}
	out.Parts = v.suggestParts(q, prefix, lang, limit, s)
	return out
}

// suggestParts lists the tenant's own parts whose number or name the query begins, then
// the visible catalog parts whose number it begins (a query without a digit names no
// catalog number: those complete as names).
func (v *View) suggestParts(q, prefix, lang string, limit int, s *suggestIndex) []PartSuggestion {
	out := []PartSuggestion{}
	var nb [128]byte
	num := string(appendNumberKey(nb[:0], q))
	for _, seq := range v.ext.sorted {
		if len(out) == limit {
			return out
		}
		p := v.ext.parts[seq]
		if p == nil || !v.parts.Contains(v.cat.extID(seq)) {
			continue
		}
		name := p.Name
		if n, ok := p.Names.Get(lang); ok && n != "" {
			name = n
		}
		var kb [128]byte
		if num != "" && strings.HasPrefix(string(appendNumberKey(kb[:0], p.PartNumber)), num) || wordPrefix(fold(name), prefix) {
			out = append(out, PartSuggestion{PartNumber: p.PartNumber, Name: name, Brand: p.Brand})
		}
	}
	if !strings.ContainsAny(num, "0123456789") {
		return out
	}
	k := v.cat
	var kb [128]byte
	i := sort.Search(len(s.numbers), func(i int) bool { return string(s.numberKey(kb[:0], k, i)) >= num })
	for looks := 0; i < len(s.numbers) && len(out) < limit && looks < MaxSuggestLooks; i, looks = i+1, looks+1 {
		if key := s.numberKey(kb[:0], k, i); len(key) < len(num) || string(key[:len(num)]) != num {
			break
		}
		p := s.numbers[i]
		if !v.parts.Contains(p) {
			continue
		}
		part := &k.Parts[p]
		out = append(out, PartSuggestion{PartNumber: part.Number, Name: localName(part, lang), Brand: k.Brands[part.Brand]})
	}
	return out
}

// wordPrefix reports whether prefix begins folded text s at its start or at one of its
// words.
func wordPrefix(s, prefix string) bool {
	for {
		if strings.HasPrefix(s, prefix) {
			return true
		}
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			return false
		}
		s = s[i+1:]
	}
}

// suggestIndex is a catalog's side of type-ahead.
type suggestIndex struct {
	names      map[string]*suggestDict // part names by language; "" = the default names
	categories *suggestDict            // entry = category
	brands     *suggestDict            // entry = brand
	vehicles   *suggestDict            // entry = model, or len(Models) + make
	numbers    []uint32                // every part, by appendNumberKey of its number
}

// numberKey appends the number key of the i-th part in number order to dst.
func (s *suggestIndex) numberKey(dst []byte, k *catalog, i int) []byte {
	return appendNumberKey(dst, k.Parts[s.numbers[i]].Number)
}

// suggestOnce guards a catalog's suggestIndex.
type suggestOnce struct {
	once sync.Once
	idx  *suggestIndex
}

// suggestions returns the catalog's suggestIndex, building it on first use.
func (k *catalog) suggestions() *suggestIndex {
	k.suggest.once.Do(func() { k.suggest.idx = buildSuggestIndex(k) })
	return k.suggest.idx
}

// PrepareSuggest builds the current catalog's type-ahead dictionaries now rather than on
// the first suggestion (about a second on the eu profile). fitmentd calls it once it is
// ready.
func (e *Engine) PrepareSuggest() {
	if k := e.cat.Load(); k != nil {
		k.suggestions()
	}
}

func buildSuggestIndex(k *catalog) *suggestIndex {
	s := &suggestIndex{names: map[string]*suggestDict{}}
	var wg sync.WaitGroup
	wg.Go(func() {
		s.numbers = make([]uint32, len(k.Parts))
		keys := make([]string, len(k.Parts))
		for i := range k.Parts {
			s.numbers[i] = uint32(i)
			keys[i] = string(appendNumberKey(nil, k.Parts[i].Number))
		}
		sort.Slice(s.numbers, func(a, b int) bool {
			ka, kb := keys[s.numbers[a]], keys[s.numbers[b]]
			return ka < kb || ka == kb && s.numbers[a] < s.numbers[b]
		})
	})

	// Part names: one phrase per distinct name and language, with the parts that carry it.
	type phrase struct {
		text  string
		parts *roaring.Bitmap
	}
	byLang := map[string]map[string]*phrase{}
	add := func(lang, name string, p uint32) {
		m := byLang[lang]
		if m == nil {
			m = map[string]*phrase{}
			byLang[lang] = m
		}
		ph := m[name]
		if ph == nil {
			ph = &phrase{text: name, parts: roaring.New()}
			m[name] = ph
		}
		ph.parts.Add(p)
	}
	catParts := make([]uint32, len(k.Categories))
	brandParts := make([]uint32, len(k.Brands))
	for i := range k.Parts {
		p := &k.Parts[i]
		add("", p.Name, uint32(i))
		for lang := range k.langs {
			add(lang, localName(p, lang), uint32(i))
		}
		for c := p.Category; c != snapshot.None; c = k.Categories[c].Parent {
			catParts[c]++
		}
		brandParts[p.Brand]++
	}
	for lang, m := range byLang {
		var b dictBuilder
		d := &suggestDict{}
		names := slices.Sorted(maps.Keys(m))
		for _, name := range names {
			ph := m[name]
			ph.parts.RunOptimize()
			b.add(uint32(len(d.text)), name, uint32(min(ph.parts.GetCardinality(), 1<<31)))
			d.text = append(d.text, ph.text)
			d.parts = append(d.parts, ph.parts)
		}
		b.build(d)
		s.names[lang] = d
	}

	var b dictBuilder
	s.categories = &suggestDict{}
	for i, c := range k.Categories {
		b.add(uint32(i), c.Name, catParts[i])
	}
	b.build(s.categories)

	b = dictBuilder{}
	s.brands = &suggestDict{}
	for i, name := range k.Brands {
		b.add(uint32(i), name, brandParts[i])
	}
	b.build(s.brands)

	b = dictBuilder{}
	s.vehicles = &suggestDict{}
	nm := uint32(len(k.Models))
	for i := range k.Models {
		m := &k.Models[i]
		n := k.modelEnd[i] - k.modelStart[i]
		b.add(uint32(i), k.Makes[m.Make].Name+" "+m.Name, n)
	}
	for i, mk := range k.Makes {
		lo, hi := k.modelsOf(uint32(i))
		var n uint32
		if hi > lo {
			n = k.modelEnd[hi-1] - k.modelStart[lo]
		}
		// A make outweighs each of its models, so "yam" puts Yamaha first.
		b.add(nm+uint32(i), mk.Name, n+1)
	}
	b.build(s.vehicles)
	wg.Wait()
	return s
}

// suggestDict is one kind of phrase, keyed for prefix completion (see the top of the file).
type suggestDict struct {
	keys   []string // folded; sorted
	entry  []uint32 // key → its entry
	weight []uint32 // key → its weight: its entry's, halved for a key inside the phrase
	order  []uint8  // per block of suggestBlock keys: the keys' offsets, heaviest first

	// Part names only, by entry: the name as shown, and the parts carrying it.
	text  []string
	parts []*roaring.Bitmap
}

const suggestBlock = 64

type dictKey struct {
	key    string
	entry  uint32
	weight uint32
}

type dictBuilder struct{ keys []dictKey }

// add keys entry's phrase at its start and at each later word.
func (b *dictBuilder) add(entry uint32, phrase string, weight uint32) {
	f := fold(phrase)
	if f == "" {
		return
	}
	b.keys = append(b.keys, dictKey{f, entry, weight})
	for i := 0; i < len(f); i++ {
		if f[i] == ' ' {
			b.keys = append(b.keys, dictKey{f[i+1:], entry, weight / 2})
		}
	}
}

func (b *dictBuilder) build(d *suggestDict) {
	sort.Slice(b.keys, func(i, j int) bool {
		if b.keys[i].key != b.keys[j].key {
			return b.keys[i].key < b.keys[j].key
		}
		return b.keys[i].entry < b.keys[j].entry
	})
	n := len(b.keys)
	d.keys, d.entry, d.weight = make([]string, n), make([]uint32, n), make([]uint32, n)
	for i, k := range b.keys {
		d.keys[i], d.entry[i], d.weight[i] = k.key, k.entry, k.weight
	}
	d.order = make([]uint8, n)
	for lo := 0; lo < n; lo += suggestBlock {
		hi := min(lo+suggestBlock, n)
		o := d.order[lo:hi]
		for i := range o {
			o[i] = uint8(i)
		}
		sort.SliceStable(o, func(i, j int) bool { return d.weight[lo+int(o[i])] > d.weight[lo+int(o[j])] })
	}
}

// top returns up to limit distinct entries that prefix completes and keep accepts,
// heaviest key first (ties: key order).
func (d *suggestDict) top(prefix string, limit int, keep func(entry uint32) bool) []uint32 {
	if d == nil {
		return nil
	}
	lo := sort.SearchStrings(d.keys, prefix)
	hi := lo + sort.Search(len(d.keys)-lo, func(i int) bool { return !strings.HasPrefix(d.keys[lo+i], prefix) })
	if lo == hi {
		return nil
	}
	h := &blockHeap{d: d, lo: lo, hi: hi}
	for b := lo / suggestBlock; b*suggestBlock < hi; b++ {
		c := blockCursor{block: b}
		if h.valid(&c) {
			h.cursors = append(h.cursors, c)
		}
	}
	heap.Init(h)
	var out []uint32
	seen := map[uint32]bool{}
	for looks := 0; h.Len() > 0 && len(out) < limit && looks < MaxSuggestLooks; looks++ {
		c := &h.cursors[0]
		key := h.key(c)
		if e := d.entry[key]; !seen[e] {
			seen[e] = true
			if keep(e) {
				out = append(out, e)
			}
		}
		c.next++
		if h.valid(c) {
			heap.Fix(h, 0)
		} else {
			heap.Pop(h)
		}
	}
	return out
}

// blockCursor walks one block's keys heaviest first.
type blockCursor struct{ block, next int }

type blockHeap struct {
	d       *suggestDict
	lo, hi  int
	cursors []blockCursor
}

func (h *blockHeap) key(c *blockCursor) int {
	return c.block*suggestBlock + int(h.d.order[c.block*suggestBlock+c.next])
}

// valid moves c to its next key inside [lo, hi) and reports whether there is one.
func (h *blockHeap) valid(c *blockCursor) bool {
	start := c.block * suggestBlock
	size := min(suggestBlock, len(h.d.keys)-start)
	for ; c.next < size; c.next++ {
		if k := h.key(c); k >= h.lo && k < h.hi {
			return true
		}
	}
	return false
}

func (h *blockHeap) Len() int { return len(h.cursors) }
func (h *blockHeap) Less(i, j int) bool {
	ki, kj := h.key(&h.cursors[i]), h.key(&h.cursors[j])
	if wi, wj := h.d.weight[ki], h.d.weight[kj]; wi != wj {
		return wi > wj
	}
	return ki < kj
}
func (h *blockHeap) Swap(i, j int) { h.cursors[i], h.cursors[j] = h.cursors[j], h.cursors[i] }
func (h *blockHeap) Push(x any)    { h.cursors = append(h.cursors, x.(blockCursor)) }
func (h *blockHeap) Pop() any {
	c := h.cursors[len(h.cursors)-1]
	h.cursors = h.cursors[:len(h.cursors)-1]
	return c
}

// visibleCategories reports, by category, whether the tenant sees a part in it or below.
func (v *View) visibleCategories() []bool {
	v.Categories()
	return v.catUsed
}
