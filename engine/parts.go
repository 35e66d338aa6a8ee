package engine

import (
	"fmt"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fitment/fitment/snapshot"
)

// Parts lists the visible parts that fit a vehicle (wildcard fitments of its model-year
// included), in part-number order, then — when asked — the visible universal parts.
// total counts every match before paging.
func (v *View) Parts(vehicleID string, q PartsQuery) (items []PartSummary, total int, err error) {
	id, ok := v.cat.vehicleByID[vehicleID]
	if !ok || !v.ext.empty() {
		m, err := v.mixedList(vehicleID, q)
		if err != nil {
			return nil, 0, err
		}
		items = make([]PartSummary, 0, len(m.page))
		for _, e := range m.page {
			if xp := v.extPart(e.p); xp != nil {
				items = append(items, v.extSummary(e.p, q.Lang, e.fits))
			} else {
				items = append(items, v.summary(e.p, q.Lang, e.fits))
			}
		}
		return items, m.total, nil
	}
	l := v.list(id, q)
	items = make([]PartSummary, 0, l.hi-l.lo)
	if l.lo < l.fitting {
		it := l.hits.Iterator()
		if l.lo > 0 {
			s, _ := l.hits.Select(uint32(l.lo))
			it.AdvanceIfNeeded(s)
		}
		for n := l.lo; n < min(l.hi, l.fitting) && it.HasNext(); n++ {
			p := it.Next()
			items = append(items, v.summary(p, q.Lang, v.cat.fitments(id, p, l.own, l.wild)))
		}
	}
	if l.universal != nil && l.hi > l.fitting {
		it := l.universal.Iterator()
		if start := max(l.lo-l.fitting, 0); start > 0 {
			s, _ := l.universal.Select(uint32(start))
			it.AdvanceIfNeeded(s)
		}
		for n := max(l.lo, l.fitting); n < l.hi && it.HasNext(); n++ {
			items = append(items, v.summary(it.Next(), q.Lang, []Fitment{}))
		}
	}
	return items, l.total, nil
}

// fitments lists how part p fits vehicle id: through the vehicle's own fitments (own)
// and through its model-year's wildcard (wild, nil for a wildcard vehicle).
func (k *catalog) fitments(id, p uint32, own, wild *roaring.Bitmap) []Fitment {
	var out []Fitment
	if own != nil && own.Contains(p) {
		out = k.addLinkFitments(out, id, p)
	}
	if wild != nil && wild.Contains(p) {
		out = k.addLinkFitments(out, k.wildcard[id], p)
	}
	return out
}

// plainFitment is the fitments of most links: one without position, qty or notes. It is
// shared, so results must be treated as read-only (as every engine result is).
var plainFitment = []Fitment{{}}

// appendFitment appends f unless an equal fitment is already listed.
func appendFitment(list []Fitment, f Fitment) []Fitment {
	for _, g := range list {
		if eqPtr(g.Position, f.Position) && eqPtr(g.Qty, f.Qty) && eqPtr(g.Notes, f.Notes) {
			return list
		}
	}
	return append(list[:len(list):len(list)], f) // never append into the shared plainFitment
}

func eqPtr[T comparable](a, b *T) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

func (k *catalog) fitment(d snapshot.Detail) Fitment {
	var f Fitment
	if d.Position != 0 {
		f.Position = &k.Positions[d.Position]
	}
	if d.Qty != 0 {
		q := int(d.Qty)
		f.Qty = &q
	}
	if d.Note != 0 {
		f.Notes = &k.Notes[d.Note]
	}
	return f
}

func (v *View) summary(p uint32, lang string, fits []Fitment) PartSummary {
	part := &v.cat.Parts[p]
	s := PartSummary{
		PartNumber:    part.Number,
		OEMPartNumber: optRef(&part.OEM),
		Brand:         v.cat.Brands[part.Brand],
		Name:          localName(part, lang),
		ImageURL:      optRef(&part.Image),
		Fitments:      fits,
	}
	if part.Category != snapshot.None {
		s.Category = &v.cat.Categories[part.Category].Name
	}
	o := v.offers.get(p)
	s.Price, s.Stock = o.money(), o.stockPtr()
	return s
}

func localName(p *snapshot.Part, lang string) string {
	if lang == "" {
		return p.Name
	}
	if n, ok := p.Names.Get(lang); ok && n != "" {
		return n
	}
	return p.Name
}

// optRef points into the immutable catalog instead of copying; nil for "".
func optRef(s *string) *string {
	if *s == "" {
		return nil
	}
	return s
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Part returns the product detail of a visible part, found by part number or by one of
// the tenant's aliases, case-insensitively; the answer carries the canonical number.
func (v *View) Part(partNumber, lang string) (*PartDetail, error) {
	p, ok := v.resolve(partNumber, ResolveActive)
	if !ok {
		return nil, notFoundf("part %s is not in this catalog", strings.TrimSpace(partNumber))
	}
	if v.extPart(p) != nil {
		return v.extDetail(p, lang), nil
	}
	d, err := v.cat.PartDetail(p)
	if err != nil {
		return nil, fmt.Errorf("part %s: %w", partNumber, err)
	}
	part := &v.cat.Parts[p]
	out := &PartDetail{
		PartNumber:      part.Number,
		OEMPartNumber:   optString(part.OEM),
		Brand:           v.cat.Brands[part.Brand],
		Name:            localName(part, lang),
		ImageURL:        optString(part.Image),
		ManualURL:       optString(d.ManualURL),
		WeightKg:        d.WeightKg,
		Images:          append([]string{}, d.Images...),
		OEMNumbers:      []OEMNumber{},
		EAN:             optString(d.EAN),
		CountryOfOrigin: optString(d.CountryOfOrigin),
		CategoryPath:    []string{},
		Universal:       part.Universal,
	}
	desc := d.Description
	if t, ok := d.Descriptions[lang]; ok && t != "" {
		desc = t
	}
	out.Description = optString(desc)
	for _, o := range d.OEM {
		out.OEMNumbers = append(out.OEMNumbers, OEMNumber{Brand: o.Brand, Number: o.Number})
	}
	if d.LengthCm != nil || d.WidthCm != nil || d.HeightCm != nil {
		out.DimensionsCm = &Dimensions{Length: d.LengthCm, Width: d.WidthCm, Height: d.HeightCm}
	}
	if part.Category != snapshot.None {
		out.Category = &v.cat.Categories[part.Category].Name
		out.CategoryPath = v.cat.categoryPath[part.Category]
	}
	o := v.offers.get(p)
	out.Price, out.Stock = o.money(), o.stockPtr()
	return out, nil
}

// Categories lists the categories holding visible parts, with their ancestors, in path
// order (the catalog keeps categories sorted by path). Computed once per view.
func (v *View) Categories() []CategoryRef {
	v.catsOnce.Do(func() {
		k := v.cat
		used := make([]bool, len(k.Categories))
		it := v.parts.Iterator()
		for it.HasNext() {
			p := it.Next()
			c := snapshot.None
			if int(p) < len(k.Parts) {
				c = k.Parts[p].Category
			} else {
				c = v.extPart(p).category
			}
			for ; c != snapshot.None && !used[c]; c = k.Categories[c].Parent {
				used[c] = true
			}
		}
		v.catUsed = used
		v.categories = []CategoryRef{}
		for i, c := range k.Categories {
			if !used[i] {
				continue
			}
			ref := CategoryRef{ID: c.ID, Name: c.Name, Level: int(c.Level), Path: c.Path}
			if c.Parent != snapshot.None {
				ref.ParentID = &k.Categories[c.Parent].ID
			}
			v.categories = append(v.categories, ref)
		}
	})
	return v.categories
}

// mixedList is a vehicle's part list when the tenant has own vehicles or parts: the catalog's
// parts and the tenant's, merged in part-number order and paged, each with its fitments.
type mixedList struct {
	page  []mixedItem
	total int
}

type mixedItem struct {
	p    uint32
	fits []Fitment // [] for a universal part
}

func (v *View) mixedList(vehicleID string, q PartsQuery) (mixedList, error) {
	k := v.cat
	var central []uint32                     // catalog parts fitting, in id order
	var centralFits func(p uint32) []Fitment // their fitments
	var ext extList
	if id, ok := k.vehicleByID[vehicleID]; ok {
		l := v.list(id, PartsQuery{})
		central = l.hits.ToArray()
		centralFits = func(p uint32) []Fitment { return k.fitments(id, p, l.own, l.wild) }
		ext = v.extParts(true, id, 0, q.IncludeUniversal)
	} else if i, ok := v.ext.vehByID[vehicleID]; ok {
		// Catalog parts reach an own vehicle only through its model-year's catalog wildcard.
		if w, ok := v.ownCentralWildcard(uint32(i)); ok {
			wp := k.VehicleParts.Get(int(w))
			central = roaring.And(wp, v.fit).ToArray()
			centralFits = func(p uint32) []Fitment { return k.fitments(w, p, wp, nil) }
		}
		ext = v.extParts(false, 0, i, q.IncludeUniversal)
	} else {
		return mixedList{}, notFoundf("vehicle %s is not in this catalog", vehicleID)
	}
	fitting := v.mergeByNumber(central, ext.fitting)
	var universal []uint32
	if q.IncludeUniversal {
		universal = v.mergeByNumber(roaring.And(v.parts, k.universal).ToArray(), ext.universal)
	}
	all := append(fitting, universal...)
	m := mixedList{total: len(all)}
	lo := min(max(q.Offset, 0), len(all))
	hi := len(all)
	if q.Limit > 0 {
		hi = min(lo+q.Limit, len(all))
	}
	for n := lo; n < hi; n++ {
		p := all[n]
		it := mixedItem{p: p, fits: []Fitment{}}
		switch {
		case n >= len(fitting):
		case v.extPart(p) != nil:
			it.fits = ext.fits[p]
		default:
			it.fits = centralFits(p)
		}
		m.page = append(m.page, it)
	}
	return m, nil
}
