package engine

import (
	"cmp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fitment/fitment/snapshot"
)

// Faceted part lists (GET /api/t/vehicles/:id/parts, and /api/t/search over a text
// query's matches): the parts of a tenant's visible catalog that fit a vehicle — or all of
// them — narrowed by filters, counted into facets, sorted and paged by a keyset cursor.
//
// Everything is one pass over the candidates: each part is read once (brand and category
// from a compact per-catalog table, price and stock from the tenant's offers, its sort
// key), tested against every filter, counted into the facets it belongs to, and kept when
// it passes and sorts after the cursor. A page is then the `limit` smallest kept keys
// (selected in linear time, then sorted), rendered from the pre-encoded fragments of
// render.go.
//
// Facets are disjunctive: a facet's counts apply every filter except its own, so with
// brand=EBC selected the brand facet still says how many parts each other brand would
// add (what a storefront's filter checkboxes need), while the category facet counts only
// EBC's parts. The same pass counts both.
//
// Sort keys are two integers, (primary, tiebreak), unique per part: the tiebreak is the
// part number's place in part-number order, catalog and own parts merged; the primary is
// the price, the text query's rank, or the name's place in the request language's
// collation order (listnames.go). A cursor (listcursor.go) carries the last item's sort
// values themselves — its price, rank or name, and its part number — not ids, so it keeps
// its meaning across price changes, own-part changes and catalog rebuilds.

// ListSort orders a listing.
type ListSort uint8

const (
	// SortDefault is SortRelevance when the query has Matches, else SortName.
	SortDefault ListSort = iota
	// SortRelevance: the text query's rank, highest first (needs Matches).
	SortRelevance
	// SortName: by name in the request language's collation (case-insensitive, numbers
	// by value: "Disc 90 mm" before "Disc 120 mm").
	SortName
	// SortPrice: cheapest first; parts without a price last.
	SortPrice
	// SortPriceDesc: dearest first; parts without a price last.
	SortPriceDesc
)

var sortNames = [...]string{"", "relevance", "name", "price", "-price"}

// String is the sort's parameter value ("" for SortDefault).
func (s ListSort) String() string {
	if int(s) < len(sortNames) {
		return sortNames[s]
	}
	return "?"
}

// ParseListSort reads a sort parameter: relevance, name, price or -price ("" is
// SortDefault).
func ParseListSort(s string) (ListSort, bool) {
	for i, n := range sortNames {
		if s == n {
			return ListSort(i), true
		}
	}
	return 0, false
}

// FacetSet says which facets a listing counts.
type FacetSet uint8

const (
	FacetCategory FacetSet = 1 << iota
	FacetBrand
)

// Listing page sizes.
const (
	DefaultListLimit = 50
	MaxListLimit     = 500
)

// ListQuery is one page of a listing. Zero values mean "no filter".
type ListQuery struct {
	// VehicleID restricts the listing to the parts that fit the vehicle (a catalog or own
	// vehicle; wildcard fitments of its model-year included), as GET /api/t/parts lists
	// them. "" lists the tenant's whole visible catalog, universal parts included.
	VehicleID string
	// IncludeUniversal adds the visible universal parts to a vehicle's listing.
	IncludeUniversal bool
	// Matches, when not nil, keeps only the parts a text query matched, and enables
	// SortRelevance.
	Matches *Matches
	// Categories keeps the parts in one of these categories (ids, as /api/t/categories
	// gives them) or below one: Brakes includes Brakes > Brake pads.
	Categories []string
	// Brands keeps the parts of one of these brands (case-insensitively), the catalog's or
	// the tenant's own parts' brands.
	Brands []string
	// InStock keeps the parts whose stock is tracked and above zero.
	InStock bool
	Sort    ListSort
	// Limit is the page size, 1..MaxListLimit; 0 is DefaultListLimit.
	Limit int
	// Cursor is a ListPage.NextCursor of an earlier page of the same query ("" for the
	// first page).
	Cursor string
	Facets FacetSet
	Lang   string // "" = default names
	// Scope is whatever else a cursor must belong to (search sets it to the normalised
	// text query): a cursor of another scope is refused.
	Scope string
}

// QueryError is a bad parameter of a listing query; it wraps ErrBadQuery.
type QueryError struct {
	Param string // category, brand, sort, limit, cursor
	Msg   string // "is not …", to follow the parameter's name
}

func (e *QueryError) Error() string { return "parameter " + e.Param + ": " + e.Msg }
func (e *QueryError) Unwrap() error { return ErrBadQuery }

// Match is one part a text query matched: its part id as the engine numbers it (catalog
// parts by index in the snapshot, the tenant's own parts after them) and its relevance
// rank, higher is better.
type Match struct {
	Part, Rank uint32
}

// Matches is the outcome of a text query, in part id order.
type Matches struct {
	ms []Match
}

// NewMatches makes a match set of ms (which it takes over and sorts); a part given more
// than once keeps its highest rank.
func NewMatches(ms []Match) *Matches {
	slices.SortFunc(ms, func(a, b Match) int {
		if a.Part != b.Part {
			return cmpUint32(a.Part, b.Part)
		}
		return cmpUint32(b.Rank, a.Rank) // highest rank first
	})
	out := ms[:0]
	for i, m := range ms {
		if i == 0 || m.Part != ms[i-1].Part {
			out = append(out, m)
		}
	}
	return &Matches{ms: out}
}

// Len is how many parts matched.
func (m *Matches) Len() int { return len(m.ms) }

// Rank returns part p's rank; ok is false when p did not match.
func (m *Matches) Rank(p uint32) (rank uint32, ok bool) {
	i := sort.Search(len(m.ms), func(i int) bool { return m.ms[i].Part >= p })
	if i < len(m.ms) && m.ms[i].Part == p {
		return m.ms[i].Rank, true
	}
	return 0, false
}

func cmpUint32(a, b uint32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Facets are a listing's facet counts. A facet not asked for is nil (and left out of the
// JSON); one asked for is a list, [] when empty.
type Facets struct {
	Category []CategoryFacet `json:"category,omitzero"`
	Brand    []BrandFacet    `json:"brand,omitzero"`
}

// CategoryFacet is one category with how many parts of the listing are in it or below
// it. Categories come in path order (parents before children); an ancestor of a counted
// category is listed too.
type CategoryFacet struct {
	Value    string  `json:"value"` // the category id, what the category filter takes
	Name     string  `json:"name"`
	ParentID *string `json:"parentId"`
	Count    int     `json:"count"`
}

// BrandFacet is one brand with how many parts of the listing it has. Brands come by count,
// highest first, then by name.
type BrandFacet struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// Listing is a ListPage as a value, the JSON of GET /api/t/vehicles/:id/parts.
type Listing struct {
	Items      []PartSummary `json:"items"`
	Total      int           `json:"total"`
	Facets     Facets        `json:"facets"`
	NextCursor *string       `json:"nextCursor"`
}

// ListPage is one page of a listing, computed by View.List; render it with AppendJSON (or
// AppendItems), or take it as a value with Listing.
type ListPage struct {
	Total      int    // parts passing every filter, on every page
	Facets     Facets // as asked by the query
	NextCursor string // the cursor of the next page; "" on the last page

	v     *View
	lang  string
	src   *listSource
	items []pageItem
}

type pageItem struct {
	p     uint32
	flags uint8 // how it reaches the vehicle (viaOwn, viaWild, isUniversal)
}

// How a candidate reaches the listing's vehicle.
const (
	viaOwn      uint8 = 1 << iota // fitted to the vehicle (an own vehicle: to its catalog wildcard)
	viaWild                       // fitted to its model-year's wildcard
	isUniversal                   // a universal part: no fitments to show
)

// List computes one page of a listing: the filtered parts in sort order after the cursor,
// the total and the facets, in one pass over the candidates. A bad parameter is a
// *QueryError; an unknown vehicle is ErrNotFound.
func (v *View) List(q ListQuery) (*ListPage, error) {
	l := listerPool.Get().(*lister)
	defer l.release()
	if err := l.prepare(v, &q); err != nil {
		return nil, err
	}
	src, err := v.listSource(q.VehicleID, q.IncludeUniversal)
	if err != nil {
		return nil, err
	}
	l.scan(src, q.Matches)
	l.buf.kept = l.kept
	page := &ListPage{Total: l.total, v: v, lang: q.Lang, src: src}
	l.page(page, &q)
	return page, nil
}

// AppendList appends the JSON of List(q) to dst.
func (v *View) AppendList(dst []byte, q ListQuery) ([]byte, error) {
	page, err := v.List(q)
	if err != nil {
		return dst, err
	}
	return page.AppendJSON(dst), nil
}

// Candidates returns the part ids a listing of vehicleID considers before any filter (all
// the visible ones for ""), catalog and own parts alike: what a text query should be
// restricted to. The bitmap must not be modified.
func (v *View) Candidates(vehicleID string, includeUniversal bool) (*roaring.Bitmap, error) {
	src, err := v.listSource(vehicleID, includeUniversal)
	if err != nil {
		return nil, err
	}
	if len(src.own)+len(src.ownUniversal) == 0 && src.universal == nil && src.wild == nil {
		return src.central, nil
	}
	out := src.central.Clone()
	for _, b := range []*roaring.Bitmap{src.wild, src.universal} {
		if b != nil {
			out.Or(b)
		}
	}
	out.AddMany(src.own)
	out.AddMany(src.ownUniversal)
	return out, nil
}

// listSource is the candidate set of a listing and where its fitments come from.
type listSource struct {
	central      *roaring.Bitmap // catalog parts fitted to the vehicle (or every visible part, own ones too, for no vehicle)
	wild         *roaring.Bitmap // catalog parts fitted to its model-year's wildcard (nil: none); may overlap central
	centralFlags uint8           // what reaching the listing through central means (viaOwn, or 0 for no vehicle)
	universal    *roaring.Bitmap // visible catalog universal parts, when asked (nil: none)
	own          []uint32        // own parts fitting, ascending
	ownUniversal []uint32        // own universal parts, when asked

	vehicle bool                 // a vehicle listing: fitments are shown
	veh     uint32               // the catalog vehicle whose details give central fitments
	vOwn    *roaring.Bitmap      // parts fitted to veh, and to its model-year's wildcard (nil: none)
	vWild   *roaring.Bitmap      //
	extFits map[uint32][]Fitment // own parts' fitments
}

func (v *View) listSource(vehicleID string, universal bool) (*listSource, error) {
	k := v.cat
	if vehicleID == "" {
		return &listSource{central: v.parts}, nil
	}
	s := &listSource{vehicle: true, central: roaring.New(), centralFlags: viaOwn}
	var ext extList
	if id, ok := k.vehicleByID[vehicleID]; ok {
		// The vehicle's parts and its wildcard's, visible ones, scanned side by side: no
		// union to build, and each part comes with how it fits.
		s.veh = id
		s.vOwn, s.vWild = k.vehicleParts(id)
		s.central = roaring.And(s.vOwn, v.fit)
		if s.vWild != nil {
			if s.wild = roaring.And(s.vWild, v.fit); s.wild.IsEmpty() {
				s.wild = nil
			}
		}
		ext = v.extParts(true, id, 0, universal)
	} else if i, ok := v.ext.vehByID[vehicleID]; ok {
		// Catalog parts reach an own vehicle only through its model-year's catalog wildcard.
		if w, ok := k.vehicleByID[v.ext.vehicles[i].wildcard]; ok && v.ext.vehicles[i].Submodel != "" {
			wp := k.VehicleParts.Get(int(w))
			s.central, s.veh, s.vOwn = roaring.And(wp, v.fit), w, wp
		}
		ext = v.extParts(false, 0, i, universal)
	} else {
		return nil, notFoundf("vehicle %s is not in this catalog", vehicleID)
	}
	s.own, s.extFits = slices.Clone(ext.fitting), ext.fits
	slices.Sort(s.own)
	for _, p := range ext.universal {
		if _, fits := ext.fits[p]; !fits {
			s.ownUniversal = append(s.ownUniversal, p)
		}
	}
	slices.Sort(s.ownUniversal)
	if universal {
		if u := roaring.And(v.parts, k.universal); !u.IsEmpty() {
			s.universal = u
		}
	}
	return s, nil
}

// partAttr is what a listing reads of every candidate: its brand (an index of the
// catalog's brands, or past them one of the tenant's own brands) and category.
type partAttr struct {
	brand, category uint32
}

// listTables are a catalog's listing tables, built on first use.
type listTables struct {
	once       sync.Once
	attrs      []partAttr        // by part id
	categoryID map[string]uint32 // category id → index
	names      sync.Map          // language → *nameTable (listnames.go)
}

func (k *catalog) listTables() *listTables {
	t := &k.lists
	t.once.Do(func() {
		t.attrs = make([]partAttr, len(k.Parts))
		for i := range k.Parts {
			t.attrs[i] = partAttr{k.Parts[i].Brand, k.Parts[i].Category}
		}
		t.categoryID = make(map[string]uint32, len(k.Categories))
		for i, c := range k.Categories {
			t.categoryID[c.ID] = uint32(i)
		}
	})
	return t
}

// extListing is what listings derive from a tenant's own parts, once per extension.
type extListing struct {
	once   sync.Once
	attrs  []partAttr // by sequence number
	tie    []uint64   // tiebreak keys by sequence number
	brands []string   // own brands the catalog lacks, brand index len(catalog brands)+i
	byKey  map[string]uint32

	mu    sync.Mutex
	names map[ownNamesKey]*ownNames // per name table and language (listnames.go)
}

func (v *View) extListing() *extListing {
	x, k := v.ext, v.cat
	xl := &x.listing
	xl.once.Do(func() {
		xl.attrs = make([]partAttr, len(x.parts))
		xl.tie = make([]uint64, len(x.parts))
		xl.byKey = map[string]uint32{}
		for j, seq := range x.sorted {
			p := x.parts[seq]
			key := snapshot.Key(p.Brand)
			b, ok := k.brandByKey[key]
			if !ok {
				if b, ok = xl.byKey[key]; !ok {
					b = uint32(len(k.Brands) + len(xl.brands))
					xl.byKey[key] = b
					xl.brands = append(xl.brands, strings.TrimSpace(p.Brand))
				}
			}
			xl.attrs[seq] = partAttr{b, p.category}
			xl.tie[seq] = uint64(p.after)<<ownBits | uint64(j)
		}
	})
	return xl
}

// ownBits is how many low bits of a sort key place own parts between catalog parts: a
// catalog part at place i has key i<<ownBits | ownLast, an own part that comes after i
// catalog parts and is the j-th own part has i<<ownBits | j.
const (
	ownBits = 24
	ownLast = 1<<ownBits - 1
)

func catalogKey(i uint32) uint64 { return uint64(i)<<ownBits | ownLast }

// brandName is the display name of brand index b.
func (v *View) brandName(b uint32) string {
	if int(b) < len(v.cat.Brands) {
		return v.cat.Brands[b]
	}
	return v.extListing().brands[int(b)-len(v.cat.Brands)]
}

// listItem is a kept candidate: its sort key and part.
type listItem struct {
	key, tie uint64
	p        uint32
	flags    uint8
}

func (a *listItem) less(b *listItem) bool {
	return a.key < b.key || a.key == b.key && a.tie < b.tie
}

// lister is the state of one List call, pooled: its buffers are reused.
type lister struct {
	v    *View
	k    *catalog
	t    *listTables
	xl   *extListing // nil for a tenant without own parts
	sort ListSort

	attrs    []partAttr
	brandSel []uint64 // bit sets of the selected brands and categories (descendants
	catSel   []uint64 // included); nil: no filter
	inStock  bool
	brandCnt []int // facet counts; nil: not asked
	catCnt   []int

	needOffer bool
	names     *nameTable
	ownNames  *ownNames

	after      bool // there is a cursor
	cKey, cTie uint64
	cInclusive bool   // the cursor is a place between parts: a part with its key is after it
	rankOf     uint32 // the current candidate's rank
	total      int
	kept       []listItem
	cands      []candidate

	buf listBuffers
}

type brandCount struct{ b, n int }

type listBuffers struct {
	brands           []brandCount
	cands            []candidate
	a, b             []uint32 // a vehicle's two sets, as arrays
	ids              []uint32
	kept             []listItem
	brandSel, catSel []uint64
	brandCnt, catCnt []int
}

var listerPool = sync.Pool{New: func() any { return &lister{buf: listBuffers{ids: make([]uint32, 256)}} }}

func (l *lister) release() {
	l.buf.kept, l.buf.cands = l.kept[:0], l.cands[:0]
	*l = lister{buf: l.buf}
	listerPool.Put(l)
}

// prepare resolves the query's filters, sort and cursor against the view.
func (l *lister) prepare(v *View, q *ListQuery) error {
	k := v.cat
	l.v, l.k, l.t = v, k, k.listTables()
	l.attrs = l.t.attrs
	l.kept = l.buf.kept[:0]
	l.cands = l.buf.cands[:0]
	if !v.ext.empty() {
		l.xl = v.extListing()
	}
	nBrands := len(k.Brands)
	if l.xl != nil {
		nBrands += len(l.xl.brands)
	}
	switch {
	case q.Limit == 0:
		q.Limit = DefaultListLimit
	case q.Limit < 1 || q.Limit > MaxListLimit:
		return &QueryError{"limit", "must be 1.." + strconv.Itoa(MaxListLimit)}
	}
	l.sort = q.Sort
	if l.sort == SortDefault {
		l.sort = SortName
		if q.Matches != nil {
			l.sort = SortRelevance
		}
	}
	if l.sort == SortRelevance && q.Matches == nil {
		return &QueryError{"sort", "relevance needs a text query"}
	}
	if int(l.sort) >= len(sortNames) {
		return &QueryError{"sort", "is not one of relevance, name, price, -price"}
	}
	if len(q.Brands) > 0 {
		l.buf.brandSel = grow(l.buf.brandSel, (nBrands+63)/64)
		l.brandSel = l.buf.brandSel
		for _, name := range q.Brands {
			key := snapshot.Key(name)
			b, ok := k.brandByKey[key]
			if !ok && l.xl != nil {
				b, ok = l.xl.byKey[key]
			}
			if !ok {
				return &QueryError{"brand", quote(name) + " is not a brand of this catalog"}
			}
			l.brandSel[b/64] |= 1 << (b % 64)
		}
	}
	if len(q.Categories) > 0 {
		l.buf.catSel = grow(l.buf.catSel, (len(k.Categories)+63)/64)
		l.catSel = l.buf.catSel
		for _, id := range q.Categories {
			c, ok := l.t.categoryID[strings.TrimSpace(id)]
			if !ok {
				return &QueryError{"category", quote(id) + " is not a category id of this catalog"}
			}
			l.catSel[c/64] |= 1 << (c % 64)
		}
		// Categories are in path order, a parent before its children: one walk selects
		// every descendant of a selected category.
		for c, cat := range k.Categories {
			if p := cat.Parent; p != snapshot.None && l.catSel[p/64]&(1<<(p%64)) != 0 {
				l.catSel[c/64] |= 1 << (c % 64)
			}
		}
	}
	l.inStock = q.InStock
	if q.Facets&FacetBrand != 0 {
		l.buf.brandCnt = growInts(l.buf.brandCnt, nBrands)
		l.brandCnt = l.buf.brandCnt
	}
	if q.Facets&FacetCategory != 0 {
		l.buf.catCnt = growInts(l.buf.catCnt, len(k.Categories))
		l.catCnt = l.buf.catCnt
	}
	l.needOffer = l.inStock || l.sort == SortPrice || l.sort == SortPriceDesc
	if l.sort == SortName {
		l.names = k.nameTable(q.Lang)
		if l.xl != nil {
			l.ownNames = v.ownNameKeys(l.names, q.Lang)
		}
	}
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor, fingerprint(q, l.sort))
		if err != nil {
			return err
		}
		if c.sort != l.sort {
			return &QueryError{"cursor", errForeignCursor}
		}
		l.place(c, q.Lang)
	}
	return nil
}

func grow(s []uint64, n int) []uint64 {
	if cap(s) < n {
		return make([]uint64, n)
	}
	s = s[:n]
	clear(s)
	return s
}

func growInts(s []int, n int) []int {
	if cap(s) < n {
		return make([]int, n)
	}
	s = s[:n]
	clear(s)
	return s
}

func quote(s string) string { return `"` + s + `"` }

// scan is the one pass: every candidate, through the filters, facets and cursor.
func (l *lister) scan(s *listSource, m *Matches) {
	l.scanSets(s.central, s.centralFlags, s.wild, m)
	l.scanList(s.own, m, 0)
	if s.universal != nil {
		l.scanSets(s.universal, isUniversal, nil, m)
	}
	l.scanList(s.ownUniversal, m, isUniversal)
	l.flush()
}

// scanSets passes the parts of a (each with flags fa) and of b (viaWild; nil for none),
// a part in both once with both flags; with m, those matched.
func (l *lister) scanSets(a *roaring.Bitmap, fa uint8, b *roaring.Bitmap, m *Matches) {
	size := a.GetCardinality()
	if b != nil {
		size += b.GetCardinality()
	}
	if m != nil && uint64(m.Len())*4 < size {
		// Few matches in a large set (a search over a whole catalog): probe the sets.
		for _, x := range m.ms {
			inA, inB := a.Contains(x.Part), b != nil && b.Contains(x.Part)
			if !inA && !inB {
				continue
			}
			var f uint8
			if inA {
				f = fa
			}
			if inB {
				f |= viaWild
			}
			l.push(x.Part, x.Rank, f)
		}
		return
	}
	if b == nil {
		it := a.ManyIterator()
		mi := 0
		for {
			n := it.NextMany(l.buf.ids)
			if n == 0 {
				return
			}
			if mi = l.pushMatched(l.buf.ids[:n], fa, m, mi); mi < 0 {
				return
			}
		}
	}
	// Two sets of a vehicle's size (hundreds to thousands): merge them as arrays.
	as, bs := l.toArray(&l.buf.a, a), l.toArray(&l.buf.b, b)
	mi := 0
	for i, j := 0, 0; i < len(as) || j < len(bs); {
		var p uint32
		var f uint8
		switch {
		case j == len(bs) || i < len(as) && as[i] < bs[j]:
			p, f = as[i], fa
			i++
		case i == len(as) || bs[j] < as[i]:
			p, f = bs[j], viaWild
			j++
		default:
			p, f = as[i], fa|viaWild
			i, j = i+1, j+1
		}
		rank := uint32(0)
		if m != nil {
			if mi = m.seek(mi, p); mi == len(m.ms) {
				return
			}
			if m.ms[mi].Part != p {
				continue
			}
			rank = m.ms[mi].Rank
		}
		l.push(p, rank, f)
	}
}

func (l *lister) toArray(buf *[]uint32, b *roaring.Bitmap) []uint32 {
	n := int(b.GetCardinality())
	if cap(*buf) < n {
		*buf = make([]uint32, n)
	}
	out := (*buf)[:n]
	b.ManyIterator().NextMany(out)
	return out
}

// pushMatched passes ids (ascending), those matched with m (searched from mi on); it
// returns where the matches stand, -1 when none are left.
func (l *lister) pushMatched(ids []uint32, flags uint8, m *Matches, mi int) int {
	for _, p := range ids {
		rank := uint32(0)
		if m != nil {
			if mi = m.seek(mi, p); mi == len(m.ms) {
				return -1
			}
			if m.ms[mi].Part != p {
				continue
			}
			rank = m.ms[mi].Rank
		}
		l.push(p, rank, flags)
	}
	return mi
}

// scanList passes the parts of ids, ascending (those matched, with m).
func (l *lister) scanList(ids []uint32, m *Matches, flags uint8) {
	l.pushMatched(ids, flags, m, 0)
}

// candidate is a part on its way through the pass.
type candidate struct {
	p, rank uint32
	flags   uint8
}

// candidateBatch is how many candidates are looked up before any is passed: their table
// entries (brand and category, name place, offer) are scattered loads that miss the
// cache, and issued together they overlap instead of waiting one after the other.
const candidateBatch = 64

func (l *lister) push(p, rank uint32, flags uint8) {
	l.cands = append(l.cands, candidate{p, rank, flags})
	if len(l.cands) == candidateBatch {
		l.flush()
	}
}

func (l *lister) flush() {
	cs := l.cands
	nCat := uint32(len(l.attrs))
	var touch uint32
	for _, c := range cs {
		if c.p < nCat {
			touch += l.attrs[c.p].brand
			if l.names != nil {
				touch += l.names.rank[c.p]
			}
		}
		if l.needOffer {
			touch += uint32(l.v.offers.get(c.p))
		}
	}
	renderSink.Store(touch)
	for _, c := range cs {
		l.rankOf = c.rank
		l.add(c.p, c.flags)
	}
	l.cands = cs[:0]
}

// seek returns the first index from i on whose part is ≥ p, galloping: the scans move
// forward through matches much larger than the candidates.
func (m *Matches) seek(i int, p uint32) int {
	ms := m.ms
	if i >= len(ms) || ms[i].Part >= p {
		return i
	}
	step := 1
	lo := i
	for lo+step < len(ms) && ms[lo+step].Part < p {
		lo += step
		step *= 2
	}
	hi := min(lo+step, len(ms))
	return lo + 1 + sort.Search(hi-lo-1, func(j int) bool { return ms[lo+1+j].Part >= p })
}

// add passes one candidate.
func (l *lister) add(p uint32, flags uint8) {
	var a partAttr
	var tie uint64
	nCat := uint32(len(l.attrs))
	if p < nCat {
		a, tie = l.attrs[p], catalogKey(p)
	} else {
		seq := p - nCat
		a, tie = l.xl.attrs[seq], l.xl.tie[seq]
	}
	var o Offer
	if l.needOffer {
		o = l.v.offers.get(p)
	}
	stockOK := true
	if l.inStock {
		n, ok := o.Stock()
		stockOK = ok && n > 0
	}
	brandOK := l.brandSel == nil || l.brandSel[a.brand/64]&(1<<(a.brand%64)) != 0
	catOK := l.catSel == nil || a.category != snapshot.None && l.catSel[a.category/64]&(1<<(a.category%64)) != 0
	if l.brandCnt != nil && catOK && stockOK {
		l.brandCnt[a.brand]++
	}
	if l.catCnt != nil && brandOK && stockOK && a.category != snapshot.None {
		l.catCnt[a.category]++
	}
	if !brandOK || !catOK || !stockOK {
		return
	}
	l.total++
	var key uint64
	switch l.sort {
	case SortName:
		if p < nCat {
			key = catalogKey(l.names.rank[p])
		} else {
			key = l.ownNames.keys[p-nCat]
		}
	case SortPrice, SortPriceDesc:
		key = priceKey(o, l.sort == SortPriceDesc)
	case SortRelevance:
		key = relevanceKey(l.rankOf)
	}
	if l.after && (key < l.cKey || key == l.cKey && (tie < l.cTie || tie == l.cTie && !l.cInclusive)) {
		return
	}
	l.kept = append(l.kept, listItem{key: key, tie: tie, p: p, flags: flags})
}

// noPrice sorts after every price, in both directions.
const noPrice = ^uint64(0)

func priceKey(o Offer, desc bool) uint64 {
	c, ok := o.Price()
	switch {
	case !ok:
		return noPrice
	case desc:
		return uint64(MaxPriceCents - c)
	}
	return uint64(c)
}

func relevanceKey(rank uint32) uint64 { return uint64(^rank) }

// page selects, sorts and records the page, its facets and its cursor.
func (l *lister) page(page *ListPage, q *ListQuery) {
	kept := l.kept
	n := min(q.Limit, len(kept))
	if len(kept) > n {
		selectSmallest(kept, n)
	}
	top := kept[:n]
	slices.SortFunc(top, func(a, b listItem) int {
		if a.key != b.key {
			return cmp.Compare(a.key, b.key)
		}
		return cmp.Compare(a.tie, b.tie)
	})
	page.items = make([]pageItem, n)
	for i, it := range top {
		page.items[i] = pageItem{p: it.p, flags: it.flags}
	}
	if len(kept) > n && n > 0 {
		page.NextCursor = l.cursorAfter(top[n-1], q)
	}
	if l.catCnt != nil {
		page.Facets.Category = l.categoryFacets()
	}
	if l.brandCnt != nil {
		page.Facets.Brand = l.brandFacets()
	}
}

func (l *lister) categoryFacets() []CategoryFacet {
	k := l.k
	cnt := l.catCnt
	// Children come after their parents: rolling counts up from the end gives each
	// category its parts and those of every category below it.
	for c := len(k.Categories) - 1; c >= 0; c-- {
		if p := k.Categories[c].Parent; cnt[c] > 0 && p != snapshot.None {
			cnt[p] += cnt[c]
		}
	}
	used := 0
	for _, n := range cnt {
		if n > 0 {
			used++
		}
	}
	out := make([]CategoryFacet, 0, used)
	for c, n := range cnt {
		if n == 0 {
			continue
		}
		cat := &k.Categories[c]
		f := CategoryFacet{Value: cat.ID, Name: cat.Name, Count: n}
		if cat.Parent != snapshot.None {
			f.ParentID = &k.Categories[cat.Parent].ID
		}
		out = append(out, f)
	}
	return out
}

func (l *lister) brandFacets() []BrandFacet {
	counted := l.buf.brands[:0]
	for b, n := range l.brandCnt {
		if n > 0 {
			counted = append(counted, brandCount{b, n})
		}
	}
	l.buf.brands = counted
	out := make([]BrandFacet, 0, len(counted))
	nCat := len(l.k.Brands)
	slices.SortFunc(counted, func(a, b brandCount) int {
		if a.n != b.n {
			return b.n - a.n
		}
		if a.b < nCat && b.b < nCat {
			return a.b - b.b // catalog brands are in name order
		}
		return strings.Compare(snapshot.Key(l.v.brandName(uint32(a.b))), snapshot.Key(l.v.brandName(uint32(b.b))))
	})
	for _, c := range counted {
		out = append(out, BrandFacet{Value: l.v.brandName(uint32(c.b)), Count: c.n})
	}
	return out
}

// selectSmallest moves the n smallest items of a (distinct keys) to a[:n], in no order:
// quickselect, linear on average.
func selectSmallest(a []listItem, n int) {
	lo, hi := 0, len(a)-1
	t := n - 1
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if a[m].less(&a[lo]) {
			a[m], a[lo] = a[lo], a[m]
		}
		if a[hi].less(&a[lo]) {
			a[hi], a[lo] = a[lo], a[hi]
		}
		if a[hi].less(&a[m]) {
			a[hi], a[m] = a[m], a[hi]
		}
		pivot := a[m]
		i, j := lo, hi
		for i <= j {
			for a[i].less(&pivot) {
				i++
			}
			for pivot.less(&a[j]) {
				j--
			}
			if i <= j {
				a[i], a[j] = a[j], a[i]
				i++
				j--
			}
		}
		switch {
		case t <= j:
			hi = j
		case t >= i:
			lo = i
		default:
			return
		}
	}
}

// AppendJSON appends the page as JSON: {"items", "total", "facets", "nextCursor"}.
func (pg *ListPage) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"items":`...)
	dst = pg.AppendItems(dst)
	dst = append(dst, `,"total":`...)
	dst = strconv.AppendInt(dst, int64(pg.Total), 10)
	dst = append(dst, `,"facets":{`...)
	if pg.Facets.Category != nil {
		dst = append(dst, `"category":[`...)
		for i, f := range pg.Facets.Category {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"value":`...)
			dst = appendJSONString(dst, f.Value)
			dst = append(dst, `,"name":`...)
			dst = appendJSONString(dst, f.Name)
			dst = append(dst, `,"parentId":`...)
			dst = appendOptPtr(dst, f.ParentID)
			dst = append(dst, `,"count":`...)
			dst = strconv.AppendInt(dst, int64(f.Count), 10)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	if pg.Facets.Brand != nil {
		if pg.Facets.Category != nil {
			dst = append(dst, ',')
		}
		dst = append(dst, `"brand":[`...)
		for i, f := range pg.Facets.Brand {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"value":`...)
			dst = appendJSONString(dst, f.Value)
			dst = append(dst, `,"count":`...)
			dst = strconv.AppendInt(dst, int64(f.Count), 10)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `},"nextCursor":`...)
	if pg.NextCursor == "" {
		dst = append(dst, "null"...)
	} else {
		dst = appendJSONString(dst, pg.NextCursor)
	}
	return append(dst, '}')
}

// AppendItems appends the page's part summaries as a JSON array, as GET /api/t/parts
// writes them (fitments to the listing's vehicle; [] without a vehicle). Like
// AppendParts, it looks up a batch of parts before it copies any, so that the cache
// misses of scattered fragments and offers overlap.
func (pg *ListPage) AppendItems(dst []byte) []byte {
	v, k, s := pg.v, pg.v.cat, pg.src
	t := k.fragTable(pg.lang)
	var (
		frags   [renderBatch][]byte
		offers  [renderBatch]Offer
		scratch [renderBatch][]byte
		touch   byte
	)
	fitBuf, fits := pg.pageFitments()
	dst = append(dst, '[')
	for start := 0; start < len(pg.items); start += renderBatch {
		batch := pg.items[start:min(start+renderBatch, len(pg.items))]
		for j, it := range batch {
			offers[j] = v.offers.get(it.p)
			if int(it.p) < len(k.Parts) {
				frags[j] = k.fragment(t, it.p, scratch[j])
			} else {
				frags[j] = v.encodeExtFragment(scratch[j][:0], it.p, pg.lang) // own parts carry any language
			}
		}
		for j := range batch {
			f := frags[j]
			touch += f[0] + f[len(f)/2] + f[len(f)-1]
		}
		for j, it := range batch {
			if start+j > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, frags[j]...)
			dst = offers[j].AppendPrice(dst)
			dst = append(dst, `,"stock":`...)
			dst = offers[j].AppendStock(dst)
			dst = append(dst, `,"fitments":`...)
			switch f := fits; {
			case !s.vehicle || it.flags&isUniversal != 0:
				dst = append(dst, "[]"...)
			case int(it.p) >= len(k.Parts):
				dst = appendFitmentList(dst, s.extFits[it.p])
			default:
				dst = append(dst, fitBuf[f[start+j][0]:f[start+j][1]]...)
			}
			dst = append(dst, '}')
		}
	}
	renderSink.Store(uint32(touch))
	return append(dst, ']')
}

// pageFitments renders the fitments of the page's catalog parts, walking the vehicle's
// fitment details once in part order (as AppendParts does) instead of searching them part
// by part: fits[i] is item i's JSON in buf (empty when it is not such a part).
func (pg *ListPage) pageFitments() (buf []byte, fits [][2]uint32) {
	k, s := pg.v.cat, pg.src
	if !s.vehicle {
		return nil, nil
	}
	type ref struct {
		p uint32
		i int
	}
	order := make([]ref, 0, len(pg.items))
	for i, it := range pg.items {
		if it.flags&isUniversal == 0 && int(it.p) < len(k.Parts) {
			order = append(order, ref{it.p, i})
		}
	}
	slices.SortFunc(order, func(a, b ref) int { return cmpUint32(a.p, b.p) })
	fits = make([][2]uint32, len(pg.items))
	buf = make([]byte, 0, len(order)*len(plainFitmentJSON))
	var ownD, wildD detailCursor
	if s.vOwn != nil {
		ownD = newDetailCursor(k, s.veh)
	}
	if s.vWild != nil {
		wildD = newDetailCursor(k, k.wildcard[s.veh])
	}
	for _, r := range order {
		f := pg.items[r.i].flags
		inOwn, inWild := f&viaOwn != 0, f&viaWild != 0
		var od, wd []snapshot.Detail
		if inOwn {
			od = ownD.next(r.p)
		}
		if inWild {
			wd = wildD.next(r.p)
		}
		start := len(buf)
		buf = k.appendFitments(buf, r.p, inOwn, od, inWild, wd)
		fits[r.i] = [2]uint32{uint32(start), uint32(len(buf))}
	}
	return buf, fits
}

// Listing returns the page as a value (what AppendJSON writes).
func (pg *ListPage) Listing() Listing {
	v, k, s := pg.v, pg.v.cat, pg.src
	out := Listing{Items: make([]PartSummary, 0, len(pg.items)), Total: pg.Total, Facets: pg.Facets}
	for _, it := range pg.items {
		fits := []Fitment{}
		switch {
		case !s.vehicle || it.flags&isUniversal != 0:
		case int(it.p) >= len(k.Parts):
			fits = s.extFits[it.p]
		default:
			fits = k.fitments(s.veh, it.p, s.vOwn, s.vWild)
		}
		if int(it.p) < len(k.Parts) {
			out.Items = append(out.Items, v.summary(it.p, pg.lang, fits))
		} else {
			out.Items = append(out.Items, v.extSummary(it.p, pg.lang, fits))
		}
	}
	if pg.NextCursor != "" {
		out.NextCursor = &pg.NextCursor
	}
	return out
}

// PartNumbers lists the page's part numbers in order.
func (pg *ListPage) PartNumbers() []string {
	out := make([]string, len(pg.items))
	for i, it := range pg.items {
		out[i] = pg.v.partNumber(it.p)
	}
	return out
}
