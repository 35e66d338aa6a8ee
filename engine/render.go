package engine

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fitment/fitment/snapshot"
)

// Part lists are rendered to JSON here, at close to memory speed: the catalog fields of a
// part summary (number, OEM number, brand, name, category, image) are the same bytes for
// every tenant of a snapshot, so they are encoded once per part and language and kept
// (fragments); a list is then those fragments copied end to end with the tenant's price and
// stock and the link's fitments between them. The output is byte for byte what
// encoding/json makes of the same []PartSummary (SetEscapeHTML(false)); a test holds it to
// that.

// fragments keeps the encoded catalog fields of parts, per language, built on demand in
// chunks of fragChunkParts parts. Memory is bounded by limit: past it, fragments are
// encoded on every use instead of kept.
type fragments struct {
	limit int64
	bytes atomic.Int64
	langs sync.Map // language ("" = default) → *fragTable
}

const fragChunkParts = 256

// DefaultFragmentBytes bounds the memory kept for encoded part fragments per catalog.
const DefaultFragmentBytes = 384 << 20

// fragTable is one language's fragments. A part's fragment is found with one load of
// loc, then its bytes: a list of a thousand parts scattered over the catalog costs two
// cache misses a part, and the look-ups of many parts can be in flight at once.
type fragTable struct {
	lang string
	// loc[p] is part p's fragment in its chunk's data: offset<<16 | length, 0 until built.
	// It is stored after data[p/fragChunkParts] is set, so a reader that loads it non-zero
	// also sees the data.
	loc  []atomic.Uint64
	data [][]byte   // per chunk, set once (under mu) before the chunk's loc entries
	mu   sync.Mutex // serialises chunk building
}

// fragTable returns the fragment table of lang; a language no part is translated into
// shares the default table.
func (k *catalog) fragTable(lang string) *fragTable {
	if !k.langs[lang] {
		lang = ""
	}
	if t, ok := k.frags.langs.Load(lang); ok {
		return t.(*fragTable)
	}
	lang = strings.Clone(lang) // a key kept for the catalog's lifetime: never a caller's buffer
	t := &fragTable{lang: lang, loc: make([]atomic.Uint64, len(k.Parts)),
		data: make([][]byte, (len(k.Parts)+fragChunkParts-1)/fragChunkParts)}
	got, _ := k.frags.langs.LoadOrStore(lang, t)
	return got.(*fragTable)
}

// fragment returns part p's catalog fields, from `{"partNumber":` to `"price":`; scratch
// holds it when it is not kept (past the memory bound, or longer than 64 KiB).
func (k *catalog) fragment(t *fragTable, p uint32, scratch []byte) []byte {
	e := t.loc[p].Load()
	if e == 0 {
		if k.frags.bytes.Load() >= k.frags.limit || !k.buildChunk(t, p/fragChunkParts) {
			return k.encodeFragment(scratch[:0], p, t.lang)
		}
		if e = t.loc[p].Load(); e == 0 {
			return k.encodeFragment(scratch[:0], p, t.lang)
		}
	}
	off, n := e>>16, e&0xffff
	return t.data[p/fragChunkParts][off : off+n : off+n]
}

// buildChunk encodes chunk n's fragments; false if it cannot keep them.
func (k *catalog) buildChunk(t *fragTable, n uint32) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.data[n] != nil {
		return true
	}
	lo := n * fragChunkParts
	hi := min(lo+fragChunkParts, uint32(len(k.Parts)))
	data := make([]byte, 0, (hi-lo)*200)
	locs := make([]uint64, 0, hi-lo)
	for p := lo; p < hi; p++ {
		start := len(data)
		data = k.encodeFragment(data, p, t.lang)
		if n := len(data) - start; n < 1<<16 {
			locs = append(locs, uint64(start)<<16|uint64(n))
		} else {
			locs = append(locs, 0) // too long to keep: encoded on use
		}
	}
	t.data[n] = data[:len(data):len(data)]
	for i, e := range locs {
		t.loc[lo+uint32(i)].Store(e)
	}
	k.frags.bytes.Add(int64(len(data)))
	return true
}

func (k *catalog) encodeFragment(dst []byte, p uint32, lang string) []byte {
	part := &k.Parts[p]
	dst = append(dst, `{"partNumber":`...)
	dst = appendJSONString(dst, part.Number)
	dst = append(dst, `,"oemPartNumber":`...)
	dst = appendOptString(dst, part.OEM)
	dst = append(dst, `,"brand":`...)
	dst = appendJSONString(dst, k.Brands[part.Brand])
	dst = append(dst, `,"name":`...)
	dst = appendJSONString(dst, localName(part, lang))
	dst = append(dst, `,"category":`...)
	if part.Category != snapshot.None {
		dst = appendJSONString(dst, k.Categories[part.Category].Name)
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"imageUrl":`...)
	dst = appendOptString(dst, part.Image)
	return append(dst, `,"price":`...)
}

func appendOptString(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, "null"...)
	}
	return appendJSONString(dst, s)
}

const plainFitmentJSON = `[{"position":null,"qty":null,"notes":null}]`

// renderBatch is how many parts AppendParts looks up before it copies any: the look-ups
// of a batch (fragment, offer) are independent loads that miss the cache at random places,
// and issued together they overlap instead of waiting one after the other.
const renderBatch = 32

// AppendParts appends the JSON array of Parts(vehicleID, q) to dst.
func (v *View) AppendParts(dst []byte, vehicleID string, q PartsQuery) (out []byte, total int, err error) {
	id, ok := v.cat.vehicleByID[vehicleID]
	if !ok || !v.ext.empty() {
		return v.appendMixed(dst, vehicleID, q)
	}
	r := renderer{v: v, k: v.cat, t: v.cat.fragTable(q.Lang), lang: q.Lang, l: v.list(id, q)}
	if dst == nil { // one allocation for the whole answer: summaries run to about 260 bytes
		dst = make([]byte, 0, 2+(r.l.hi-r.l.lo)*300)
	}
	r.dst = append(dst, '[')
	if r.l.lo < r.l.fitting {
		r.own = newDetailCursor(r.k, id)
		if r.l.wild != nil {
			r.wild = newDetailCursor(r.k, r.k.wildcard[id])
		}
		r.run(r.l.hits, r.l.lo, min(r.l.hi, r.l.fitting), true)
	}
	if r.l.universal != nil && r.l.hi > r.l.fitting {
		r.run(r.l.universal, max(r.l.lo-r.l.fitting, 0), r.l.hi-r.l.fitting, false)
	}
	renderSink.Store(uint32(r.touch))
	return append(r.dst, ']'), r.l.total, nil
}

// appendMixed is AppendParts for a tenant with own vehicles or parts.
func (v *View) appendMixed(dst []byte, vehicleID string, q PartsQuery) ([]byte, int, error) {
	m, err := v.mixedList(vehicleID, q)
	if err != nil {
		return dst, 0, err
	}
	r := renderer{v: v, k: v.cat, t: v.cat.fragTable(q.Lang), lang: q.Lang}
	r.dst = append(dst, '[')
	byP := make(map[uint32][]Fitment, len(m.page))
	for start := 0; start < len(m.page); start += renderBatch {
		n := min(renderBatch, len(m.page)-start)
		for j := 0; j < n; j++ {
			r.ps[j] = m.page[start+j].p
			byP[r.ps[j]] = m.page[start+j].fits
		}
		r.fitList = byP
		r.batch(n, true)
	}
	renderSink.Store(uint32(r.touch))
	return append(r.dst, ']'), m.total, nil
}

// renderSink keeps the batches' touches from being optimised away.
var renderSink atomic.Uint32

// renderer is the state of one AppendParts call.
type renderer struct {
	v     *View
	k     *catalog
	t     *fragTable
	lang  string // the request's: own parts carry any language, the catalog's fragments only its own
	l     partList
	dst   []byte
	n     int          // summaries written
	own   detailCursor // the vehicle's fitment details, and its wildcard's
	wild  detailCursor
	touch byte

	fitList map[uint32][]Fitment // the fitments of a mixed list (nil: from the catalog's details)

	ps      [renderBatch]uint32
	frags   [renderBatch][]byte
	offers  [renderBatch]Offer
	scratch [renderBatch][]byte
}

// run writes items [lo, hi) of set; fitting: parts that fit the vehicle (else universal).
func (r *renderer) run(set *roaring.Bitmap, lo, hi int, fitting bool) {
	it := set.Iterator()
	if lo > 0 {
		s, _ := set.Select(uint32(lo))
		it.AdvanceIfNeeded(s)
	}
	for i := lo; i < hi && it.HasNext(); {
		m := 0
		for ; m < renderBatch && i < hi && it.HasNext(); m, i = m+1, i+1 {
			r.ps[m] = it.Next()
		}
		r.batch(m, fitting)
	}
}

func (r *renderer) batch(m int, fitting bool) {
	for j := 0; j < m; j++ { // look up the batch: independent loads
		r.offers[j] = r.v.offers.get(r.ps[j])
		if int(r.ps[j]) < len(r.k.Parts) {
			r.frags[j] = r.k.fragment(r.t, r.ps[j], r.scratch[j])
		} else {
			r.frags[j] = r.v.encodeExtFragment(r.scratch[j][:0], r.ps[j], r.lang)
		}
	}
	for j := 0; j < m; j++ { // bring its bytes in, all at once
		f := r.frags[j]
		r.touch += f[0] + f[len(f)/2] + f[len(f)-1]
	}
	dst := r.dst
	for j := 0; j < m; j++ { // then write it
		if r.n > 0 {
			dst = append(dst, ',')
		}
		r.n++
		dst = append(dst, r.frags[j]...)
		dst = r.offers[j].AppendPrice(dst)
		dst = append(dst, `,"stock":`...)
		dst = r.offers[j].AppendStock(dst)
		if fitting {
			dst = append(dst, `,"fitments":`...)
			dst = r.fitments(dst, r.ps[j])
			dst = append(dst, '}')
		} else {
			dst = append(dst, `,"fitments":[]}`...)
		}
	}
	r.dst = dst
}

// fitments appends how part p fits the vehicle: its own fitments, then its model-year
// wildcard's, as catalog.fitments gives them. Most links carry no details: then the answer
// is one plain fitment whichever way the part fits, and no set is searched.
func (r *renderer) fitments(dst []byte, p uint32) []byte {
	if r.fitList != nil {
		return appendFitmentList(dst, r.fitList[p])
	}
	ownD := r.own.next(p)
	wildD := r.wild.next(p)
	if len(ownD) == 0 && len(wildD) == 0 {
		return append(dst, plainFitmentJSON...)
	}
	// A link with details lists all of its fitments; one without is one plain fitment.
	inOwn := len(ownD) > 0 || r.l.own.Contains(p)
	inWild := len(wildD) > 0 || r.l.wild != nil && r.l.wild.Contains(p)
	return r.k.appendFitments(dst, p, inOwn, ownD, inWild, wildD)
}

// partList is the paging of one vehicle's part list: the fitting parts (hits) then, when
// asked, the universal ones; items [lo, hi) of total are on the page.
type partList struct {
	own, wild      *roaring.Bitmap // the vehicle's own parts, its wildcard's (nil for none)
	ownHits        *roaring.Bitmap // visible ones of own, of wild (nil when wild is)
	wildHits       *roaring.Bitmap
	hits           *roaring.Bitmap // their union
	universal      *roaring.Bitmap
	fitting, total int
	lo, hi         int
}

func (v *View) list(id uint32, q PartsQuery) partList {
	var l partList
	l.own, l.wild = v.cat.vehicleParts(id)
	l.ownHits = roaring.And(l.own, v.fit)
	l.hits = l.ownHits
	if l.wild != nil {
		l.wildHits = roaring.And(l.wild, v.fit)
		l.hits = roaring.Or(l.ownHits, l.wildHits)
	}
	l.fitting = int(l.hits.GetCardinality())
	l.total = l.fitting
	if q.IncludeUniversal {
		l.universal = roaring.And(v.parts, v.cat.universal)
		l.total += int(l.universal.GetCardinality())
	}
	l.lo = min(max(q.Offset, 0), l.total)
	l.hi = l.total
	if q.Limit > 0 {
		l.hi = min(l.lo+q.Limit, l.total)
	}
	return l
}

// detailCursor walks one vehicle's fitment details (sorted by part) alongside a list
// walked in part order, so each part's details cost no search.
type detailCursor struct {
	es []snapshot.Detail
	i  int
}

func newDetailCursor(k *catalog, veh uint32) detailCursor {
	return detailCursor{es: k.Details.Entries[k.Details.Offsets[veh]:k.Details.Offsets[veh+1]]}
}

// next returns the details of part p (nil: none); parts must come in increasing order.
func (c *detailCursor) next(p uint32) []snapshot.Detail {
	for c.i < len(c.es) && c.es[c.i].Part < p {
		c.i++
	}
	j := c.i
	for j < len(c.es) && c.es[j].Part == p {
		j++
	}
	return c.es[c.i:j]
}

// appendFitments appends the fitments of a link found through the vehicle's own fitments
// (inOwn, with details ownD: none = one plain fitment) and its wildcard's, distinct ones
// in order, as catalog.fitments lists them.
func (k *catalog) appendFitments(dst []byte, p uint32, inOwn bool, ownD []snapshot.Detail, inWild bool, wildD []snapshot.Detail) []byte {
	var buf [8]snapshot.Detail
	fs := buf[:0]
	add := func(in bool, ds []snapshot.Detail) {
		if !in {
			return
		}
		if len(ds) == 0 {
			ds = []snapshot.Detail{{}}
		}
		for _, d := range ds {
			d.Part = 0
			if !slices.Contains(fs, d) {
				fs = append(fs, d)
			}
		}
	}
	add(inOwn, ownD)
	add(inWild, wildD)
	if len(fs) == 1 && fs[0] == (snapshot.Detail{}) {
		return append(dst, plainFitmentJSON...)
	}
	dst = append(dst, '[')
	for i, d := range fs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"position":`...)
		if d.Position != 0 {
			dst = appendJSONString(dst, k.Positions[d.Position])
		} else {
			dst = append(dst, "null"...)
		}
		dst = append(dst, `,"qty":`...)
		if d.Qty != 0 {
			dst = strconv.AppendInt(dst, int64(d.Qty), 10)
		} else {
			dst = append(dst, "null"...)
		}
		dst = append(dst, `,"notes":`...)
		if d.Note != 0 {
			dst = appendJSONString(dst, k.Notes[d.Note])
		} else {
			dst = append(dst, "null"...)
		}
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// appendFitmentList appends fitments as JSON.
func appendFitmentList(dst []byte, fs []Fitment) []byte {
	dst = append(dst, '[')
	for i, f := range fs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"position":`...)
		dst = appendOptPtr(dst, f.Position)
		dst = append(dst, `,"qty":`...)
		if f.Qty != nil {
			dst = strconv.AppendInt(dst, int64(*f.Qty), 10)
		} else {
			dst = append(dst, "null"...)
		}
		dst = append(dst, `,"notes":`...)
		dst = appendOptPtr(dst, f.Notes)
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// appendJSONString appends s as a JSON string exactly as encoding/json does with HTML
// escaping off: \" \\ \b \f \n \r \t, other control characters as \u00XX, invalid UTF-8 as
// \ufffd, and U+2028, U+2029 escaped.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
