package engine_test

import (
	"encoding/base64"
	"encoding/csv"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/ingest"
	"github.com/fitment/fitment/snapshot"
)

// The faceted listing (View.List) against a naive model: candidates, filters, facets,
// every sort and keyset paging computed with plain slices and maps from the rows the
// catalog was built from, with prices and stock changing between pages.

type lcPart struct {
	number, brand, category, name string
	names                         map[string]string // lang → translated name
	universal                     bool
}

type lcVehicle struct {
	make, model, sub string
	year             int
}

func (v lcVehicle) id() string { return snapshot.VehicleID(v.make, v.model, v.sub, v.year) }
func (v lcVehicle) wildcard() lcVehicle {
	return lcVehicle{make: v.make, model: v.model, year: v.year}
}

type lcCatalog struct {
	vehicles []lcVehicle         // concrete submodels and wildcards (sub "")
	parts    []lcPart            // catalog parts
	fits     map[string][]string // vehicle id → part numbers fitted directly
}

var (
	lcBrands = []string{"EBC", "K&N", "Alphatrac", "All Balls", "DID"}
	lcCats   = []string{"", "Brakes", "Brakes > Brake pads", "Brakes > Brake pads > Sintered", "Brakes > Brake pads > Organic",
		"Brakes > Discs", "Brakes Extra", "Engine > Filters", "Engine > Filters > Oil", "Drivetrain"}
	// Names with ties, case and accent variants, numbers to be compared by value, and
	// characters JSON must escape.
	lcNames = []string{"Brake pads %d", "brake Pads %d", "Ölfilter", "Oil filter", "oil filter", "Disc %d mm", "Åkerblom seal",
		"Zündkerze %d", "Éclair bolt", "Kit\t%d", `Seal "HD"`, "<b>x</b> & co", "Chain kit", "zebra"}
	lcNamesDE = []string{"Bremsbeläge %d", "Ölfilter", "Zündkerze %d", "Bremsscheibe %d mm", "Luftfilter", "äußere Dichtung"}
	lcNamesSV = []string{"Bromsbelägg %d", "Oljefilter", "Ändring %d", "Zon", "Ål", "Öra %d"}
)

func lcName(r *rand.Rand, pool []string) string {
	n := pool[r.IntN(len(pool))]
	if strings.Contains(n, "%d") {
		n = fmt.Sprintf(n, 1+r.IntN(150))
	}
	return n
}

// lcRandomCatalog makes nParts parts over a few makes, models and years; every model-year
// has a wildcard and two submodels, and each fitment target gets about perVehicle parts
// from all over the id range.
func lcRandomCatalog(r *rand.Rand, nParts, perVehicle int) *lcCatalog {
	c := &lcCatalog{fits: map[string][]string{}}
	for _, mk := range []string{"Yamaha", "KTM"} {
		for _, md := range []string{"YFZ450R", "EXC 300"} {
			for _, y := range []int{2019, 2020} {
				c.vehicles = append(c.vehicles, lcVehicle{mk, md, "", y}, lcVehicle{mk, md, "SE", y}, lcVehicle{mk, md, "Race", y})
			}
		}
	}
	prefixes := []string{"BP", "of", "CH", "xr", "ZZ"}
	for i := 0; i < nParts; i++ {
		p := lcPart{
			number:    fmt.Sprintf("%s-%06d", prefixes[i*len(prefixes)/nParts], i),
			brand:     lcBrands[r.IntN(len(lcBrands))],
			category:  lcCats[r.IntN(len(lcCats))],
			name:      lcName(r, lcNames),
			universal: r.IntN(40) == 0,
			names:     map[string]string{},
		}
		if r.IntN(3) > 0 {
			p.names["de"] = lcName(r, lcNamesDE)
		}
		if r.IntN(2) == 0 {
			p.names["sv"] = lcName(r, lcNamesSV)
		}
		c.parts = append(c.parts, p)
	}
	for _, v := range c.vehicles {
		seen := map[string]bool{}
		for n := perVehicle/2 + r.IntN(perVehicle); n > 0; n-- {
			p := c.parts[r.IntN(len(c.parts))]
			if !p.universal && !seen[p.number] {
				seen[p.number] = true
				c.fits[v.id()] = append(c.fits[v.id()], p.number)
			}
		}
	}
	return c
}

func (c *lcCatalog) build(t testing.TB) *snapshot.Catalog {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, rows [][]string) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		w := csv.NewWriter(f)
		w.WriteAll(rows)
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	rows := [][]string{{"type", "make", "model", "submodel", "years"}}
	for _, v := range c.vehicles {
		rows = append(rows, []string{"atv", v.make, v.model, v.sub, strconv.Itoa(v.year)})
	}
	write("vehicles.csv", rows)
	rows = [][]string{{"part_number", "brand", "name", "category", "universal", "name_de", "name_sv"}}
	for _, p := range c.parts {
		rows = append(rows, []string{p.number, p.brand, p.name, p.category, strconv.FormatBool(p.universal), p.names["de"], p.names["sv"]})
	}
	write("parts.csv", rows)
	rows = [][]string{{"part_number", "make", "model", "submodel", "years"}}
	for _, v := range c.vehicles {
		for _, pn := range c.fits[v.id()] {
			rows = append(rows, []string{pn, v.make, v.model, v.sub, strconv.Itoa(v.year)})
		}
	}
	write("fitments.csv", rows)
	cat, _, err := ingest.Build(dir, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// lcTenant is the reference tenant: what it set, by part number.
type lcTenant struct {
	brands   map[string]bool              // Key(brand)
	active   map[string]engine.Activation // Key(number)
	offers   map[string]refOffer          // Key(number); -1 = none
	own      []engine.TenantPart          // in put order: own part seq = index
	ownVeh   lcVehicle                    // an own submodel of a catalog model-year
	ownVehID string
}

var lcOwnBrands = []string{"House", "ebc", "K&N"} // own-only, and catalog brands in other spellings

func lcRandomTenant(r *rand.Rand, c *lcCatalog) *lcTenant {
	t := &lcTenant{brands: map[string]bool{}, active: map[string]engine.Activation{}, offers: map[string]refOffer{}}
	for _, b := range pick(r, lcBrands, 1+r.IntN(len(lcBrands))) {
		t.brands[snapshot.Key(b)] = true
	}
	for i := len(c.parts) / 20; i > 0; i-- {
		t.active[snapshot.Key(c.parts[r.IntN(len(c.parts))].number)] = engine.Activation(1 + r.IntN(2))
	}
	for i := len(c.parts) / 2; i > 0; i-- {
		t.offers[snapshot.Key(c.parts[r.IntN(len(c.parts))].number)] = lcRandomOffer(r)
	}
	w := c.vehicles[r.IntN(len(c.vehicles))].wildcard()
	t.ownVeh = lcVehicle{w.make, w.model, "Custom", w.year}
	t.ownVehID = t.ownVeh.id()
	for i := 0; i < 12; i++ {
		after := c.parts[r.IntN(len(c.parts))].number
		tp := engine.TenantPart{PartNumber: after + "-own" + strconv.Itoa(i), Brand: lcOwnBrands[max(0, r.IntN(len(lcOwnBrands)+1)-1)],
			Name: lcName(r, lcNames), Category: lcCats[r.IntN(len(lcCats))], Universal: i%6 == 5}
		if i%3 == 0 {
			// After every catalog name: own parts that share one place between catalog
			// parts, ordered among themselves by name, not by number.
			tp.Name = fmt.Sprintf("Zz own %d", r.IntN(30))
		}
		if r.IntN(2) == 0 {
			tp.Names.Set("de", lcName(r, lcNamesDE))
		}
		if r.IntN(4) == 0 {
			tp.Names.Set("fr", "Pièce "+strconv.Itoa(r.IntN(100))) // a language no catalog part has
		}
		if !tp.Universal {
			for _, v := range pickVehicles(r, append(slices.Clone(c.vehicles), t.ownVeh), 1+r.IntN(3)) {
				tp.Fitments = append(tp.Fitments, engine.TenantFitment{VehicleID: v.id(), Position: []string{"", "FRONT"}[r.IntN(2)]})
			}
		}
		t.own = append(t.own, tp)
		t.offers[snapshot.Key(tp.PartNumber)] = lcRandomOffer(r)
	}
	return t
}

func pickVehicles(r *rand.Rand, vs []lcVehicle, n int) []lcVehicle {
	out := []lcVehicle{}
	for _, i := range r.Perm(len(vs))[:n] {
		out = append(out, vs[i])
	}
	return out
}

// lcRandomOffer draws prices from a few values, so that equal prices are common.
func lcRandomOffer(r *rand.Rand) refOffer {
	o := refOffer{-1, -1}
	if r.IntN(10) < 7 {
		o.price = []int64{100, 999, 1000, 4250, 12345, 0}[r.IntN(6)]
		if r.IntN(3) == 0 {
			o.price = int64(r.IntN(200000))
		}
	}
	if r.IntN(10) < 7 {
		o.stock = int64(r.IntN(4)) // 0 (out of stock) often
	}
	return o
}

func (t *lcTenant) load(tb testing.TB, e *engine.Engine, id string, c *lcCatalog) {
	tb.Helper()
	st := engine.TenantState{}
	for b := range t.brands {
		st.Brands = append(st.Brands, b)
	}
	for _, p := range c.parts {
		key := snapshot.Key(p.number)
		a, set := t.active[key]
		o, priced := t.offers[key]
		if !set && !priced {
			continue
		}
		it := engine.ItemState{Number: p.number, Active: a}
		if priced {
			it.Offer = engine.Offer(0).WithPrice(o.price).WithStock(o.stock)
		}
		st.Items = append(st.Items, it)
	}
	e.Restore(id, st)
	mustUpdate(tb, e, id, engine.Change{PutVehicles: []engine.TenantVehicle{{ID: t.ownVehID, Type: "atv", Make: t.ownVeh.make,
		Model: t.ownVeh.model, Submodel: t.ownVeh.sub, Year: t.ownVeh.year}}})
	if out := mustUpdate(tb, e, id, engine.Change{PutParts: t.own}); out.PartsPut != len(t.own) {
		tb.Fatalf("PutParts: %+v", out)
	}
	var items []engine.ItemUpdate
	for _, p := range t.own {
		o := t.offers[snapshot.Key(p.PartNumber)]
		items = append(items, engine.ItemUpdate{Ref: p.PartNumber, SetPrice: true, Price: o.price, SetStock: true, Stock: o.stock})
	}
	mustUpdate(tb, e, id, engine.Change{Resolve: engine.ResolveActive, Items: items})
}

// lcItem is one candidate of the model: a catalog or own part as the tenant sees it.
type lcItem struct {
	id        uint32 // the engine's part id
	number    string
	brand     string // display name
	category  string // path
	names     map[string]string
	name      string
	universal bool
	own       bool
}

type lcModel struct {
	c        *lcCatalog
	cat      *snapshot.Catalog
	ids      map[string]uint32 // Key(number) → catalog part id
	index    map[string]int    // number → index in c.parts
	langs    map[string]bool   // languages some catalog part is translated into
	brandOf  map[string]string // Key(brand) → catalog spelling
	colByTag map[string]*collate.Collator
}

func newLcModel(c *lcCatalog, cat *snapshot.Catalog) *lcModel {
	m := &lcModel{c: c, cat: cat, ids: map[string]uint32{}, index: map[string]int{}, langs: map[string]bool{}, brandOf: map[string]string{},
		colByTag: map[string]*collate.Collator{}}
	for i, p := range c.parts {
		m.index[p.number] = i
	}
	for i, p := range cat.Parts {
		m.ids[snapshot.Key(p.Number)] = uint32(i)
	}
	for _, p := range c.parts {
		for l := range p.names {
			m.langs[l] = true
		}
		if _, ok := m.brandOf[snapshot.Key(p.brand)]; !ok {
			m.brandOf[snapshot.Key(p.brand)] = p.brand
		}
	}
	return m
}

func (m *lcModel) visible(t *lcTenant, p lcPart) bool {
	switch t.active[snapshot.Key(p.number)] {
	case engine.Activated:
		return true
	case engine.Deactivated:
		return false
	}
	return t.brands[snapshot.Key(p.brand)]
}

func (m *lcModel) catalogItem(p lcPart) lcItem {
	return lcItem{id: m.ids[snapshot.Key(p.number)], number: p.number, brand: p.brand, category: p.category, names: p.names,
		name: p.name, universal: p.universal}
}

func (m *lcModel) ownItem(t *lcTenant, seq int) lcItem {
	p := t.own[seq]
	it := lcItem{id: uint32(len(m.cat.Parts) + seq), number: p.PartNumber, brand: p.Brand, category: p.Category,
		names: map[string]string{}, name: p.Name, universal: p.Universal, own: true}
	if b, ok := m.brandOf[snapshot.Key(p.Brand)]; ok {
		it.brand = b
	}
	for _, tr := range p.Names {
		it.names[tr.Lang] = tr.Text
	}
	return it
}

// candidates lists what a listing of vehicleID considers ("" = every visible part).
func (m *lcModel) candidates(t *lcTenant, vehicleID string, universal bool) []lcItem {
	var out []lcItem
	if vehicleID == "" {
		for _, p := range m.c.parts {
			if m.visible(t, p) {
				out = append(out, m.catalogItem(p))
			}
		}
		for seq := range t.own {
			out = append(out, m.ownItem(t, seq))
		}
		return out
	}
	// The vehicle and, for a concrete submodel, its model-year's wildcard.
	targets := []string{vehicleID}
	var centralTargets []string
	if vehicleID == t.ownVehID {
		centralTargets = []string{t.ownVeh.wildcard().id()}
		targets = append(targets, t.ownVeh.wildcard().id())
	} else {
		for _, v := range m.c.vehicles {
			if v.id() == vehicleID {
				centralTargets = []string{vehicleID}
				if v.sub != "" {
					centralTargets = append(centralTargets, v.wildcard().id())
					targets = append(targets, v.wildcard().id())
				}
			}
		}
	}
	seen := map[string]bool{}
	for _, target := range centralTargets {
		for _, pn := range m.c.fits[target] {
			p := m.c.parts[m.partIndex(pn)]
			if !seen[pn] && m.visible(t, p) {
				seen[pn] = true
				out = append(out, m.catalogItem(p))
			}
		}
	}
	for seq, p := range t.own {
		fits := false
		for _, f := range p.Fitments {
			fits = fits || slices.Contains(targets, f.VehicleID)
		}
		if fits || universal && p.Universal {
			out = append(out, m.ownItem(t, seq))
		}
	}
	if universal {
		for _, p := range m.c.parts {
			if p.universal && m.visible(t, p) {
				out = append(out, m.catalogItem(p))
			}
		}
	}
	return out
}

func (m *lcModel) partIndex(pn string) int {
	i, ok := m.index[pn]
	if !ok {
		panic("no catalog part " + pn)
	}
	return i
}

// lcQuery is a listing query as the model takes it.
type lcQuery struct {
	q       engine.ListQuery
	ranks   map[uint32]uint32 // the matches (nil: no text query)
	tenant  *lcTenant
	offers  map[string]refOffer
	sortBy  engine.ListSort
	catSel  []string // paths
	brandSl []string // Keys
}

// lcKey is a part's sort values.
type lcKey struct {
	price int64
	rank  uint32
	name  string
	num   string // Key(number)
}

func (m *lcModel) collator(lang string) *collate.Collator {
	if !m.langs[lang] {
		lang = "" // the engine sorts a language no catalog part has by the default names' order
	}
	c, ok := m.colByTag[lang]
	if !ok {
		tag := language.Und
		if lang != "" {
			tag = language.Make(lang)
		}
		c = collate.New(tag, collate.IgnoreCase, collate.Numeric)
		m.colByTag[lang] = c
	}
	return c
}

func (m *lcModel) less(s engine.ListSort, lang string, a, b lcKey) bool {
	switch s {
	case engine.SortName:
		if c := m.collator(lang).CompareString(a.name, b.name); c != 0 {
			return c < 0
		}
	case engine.SortPrice, engine.SortPriceDesc:
		if (a.price < 0) != (b.price < 0) {
			return b.price < 0
		}
		if a.price != b.price {
			return (a.price < b.price) == (s == engine.SortPrice)
		}
	case engine.SortRelevance:
		if a.rank != b.rank {
			return a.rank > b.rank
		}
	}
	return a.num < b.num
}

func (it lcItem) display(lang string) string {
	if n := it.names[lang]; n != "" {
		return n
	}
	return it.name
}

func (m *lcModel) key(q *lcQuery, it lcItem) lcKey {
	o, ok := q.offers[snapshot.Key(it.number)]
	if !ok {
		o = refOffer{-1, -1}
	}
	return lcKey{price: o.price, rank: q.ranks[it.id], name: it.display(q.q.Lang), num: snapshot.Key(it.number)}
}

// lcPage is the model's answer.
type lcPage struct {
	numbers []string
	keys    []lcKey
	total   int
	facets  engine.Facets
	more    bool
	all     []string // every part passing, in order, before the cursor too
	allKeys []lcKey
}

// page answers q after the cursor values after (nil: the first page).
func (m *lcModel) page(q *lcQuery, after *lcKey) lcPage {
	inCat := func(path string) bool {
		if q.catSel == nil {
			return true
		}
		for _, s := range q.catSel {
			if path == s || strings.HasPrefix(path, s+" > ") {
				return true
			}
		}
		return false
	}
	inBrand := func(b string) bool { return q.brandSl == nil || slices.Contains(q.brandSl, snapshot.Key(b)) }
	inStock := func(it lcItem) bool {
		if !q.q.InStock {
			return true
		}
		o, ok := q.offers[snapshot.Key(it.number)]
		return ok && o.stock > 0
	}
	brandCnt, catCnt := map[string]int{}, map[string]int{}
	var pass []lcItem
	for _, it := range m.candidates(q.tenant, q.q.VehicleID, q.q.IncludeUniversal) {
		if q.ranks != nil {
			if _, ok := q.ranks[it.id]; !ok {
				continue
			}
		}
		c, b, s := inCat(it.category), inBrand(it.brand), inStock(it)
		if c && s {
			brandCnt[it.brand]++
		}
		if b && s && it.category != "" {
			levels := strings.Split(it.category, " > ")
			for i := range levels {
				catCnt[strings.Join(levels[:i+1], " > ")]++
			}
		}
		if c && b && s {
			pass = append(pass, it)
		}
	}
	lang := q.q.Lang
	type keyed struct {
		it lcItem
		k  lcKey
	}
	ks := make([]keyed, len(pass))
	for i, it := range pass {
		ks[i] = keyed{it, m.key(q, it)}
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		switch {
		case m.less(q.sortBy, lang, a.k, b.k):
			return -1
		case m.less(q.sortBy, lang, b.k, a.k):
			return 1
		}
		return 0
	})
	out := lcPage{total: len(pass)}
	limit := q.q.Limit
	if limit == 0 {
		limit = engine.DefaultListLimit
	}
	for _, x := range ks {
		out.all = append(out.all, x.it.number)
		out.allKeys = append(out.allKeys, x.k)
		if after != nil && !m.less(q.sortBy, lang, *after, x.k) || out.more {
			continue
		}
		if len(out.numbers) == limit {
			out.more = true
			continue
		}
		out.numbers = append(out.numbers, x.it.number)
		out.keys = append(out.keys, x.k)
	}
	if q.q.Facets&engine.FacetCategory != 0 {
		out.facets.Category = []engine.CategoryFacet{}
		var paths []string
		for p := range catCnt {
			paths = append(paths, p)
		}
		slices.SortFunc(paths, func(a, b string) int { return strings.Compare(snapshot.Key(a), snapshot.Key(b)) })
		for _, p := range paths {
			f := engine.CategoryFacet{Value: snapshot.CategoryID(p), Name: p, Count: catCnt[p]}
			if i := strings.LastIndex(p, " > "); i >= 0 {
				f.Name = p[i+3:]
				f.ParentID = ptr(snapshot.CategoryID(p[:i]))
			}
			out.facets.Category = append(out.facets.Category, f)
		}
	}
	if q.q.Facets&engine.FacetBrand != 0 {
		out.facets.Brand = []engine.BrandFacet{}
		for b, n := range brandCnt {
			out.facets.Brand = append(out.facets.Brand, engine.BrandFacet{Value: b, Count: n})
		}
		slices.SortFunc(out.facets.Brand, func(a, b engine.BrandFacet) int {
			if a.Count != b.Count {
				return b.Count - a.Count
			}
			return strings.Compare(snapshot.Key(a.Value), snapshot.Key(b.Value))
		})
	}
	return out
}

// randomListQuery draws a query over the tenant's candidates.
func (m *lcModel) randomListQuery(r *rand.Rand, t *lcTenant) *lcQuery {
	q := &lcQuery{tenant: t}
	vs := append(slices.Clone(m.c.vehicles), t.ownVeh)
	switch r.IntN(8) {
	case 0:
		q.q.VehicleID = "" // the whole visible catalog
	case 1:
		q.q.VehicleID = t.ownVehID
	default:
		q.q.VehicleID = vs[r.IntN(len(vs))].id()
	}
	q.q.IncludeUniversal = r.IntN(3) == 0
	if r.IntN(3) == 0 {
		cands := map[uint32]bool{}
		var ms []engine.Match
		for _, it := range m.candidates(t, q.q.VehicleID, q.q.IncludeUniversal) {
			cands[it.id] = true
			if r.IntN(3) == 0 {
				rank := uint32(r.IntN(5)) // ties are common
				if r.IntN(2) == 0 {
					rank = r.Uint32()
				}
				ms = append(ms, engine.Match{Part: it.id, Rank: rank})
				if r.IntN(10) == 0 {
					ms = append(ms, engine.Match{Part: it.id, Rank: rank / 2}) // a lower duplicate
				}
			}
		}
		// Matches outside the candidates (another vehicle's parts) change nothing.
		for i := 0; i < 20; i++ {
			ms = append(ms, engine.Match{Part: uint32(r.IntN(len(m.cat.Parts))), Rank: 7})
		}
		r.Shuffle(len(ms), func(i, j int) { ms[i], ms[j] = ms[j], ms[i] })
		q.ranks = map[uint32]uint32{}
		for _, x := range ms {
			if old, ok := q.ranks[x.Part]; cands[x.Part] && (!ok || x.Rank > old) {
				q.ranks[x.Part] = x.Rank
			}
		}
		q.q.Matches = engine.NewMatches(ms)
	}
	for i := r.IntN(3); i > 0; i-- {
		if p := lcCats[1+r.IntN(len(lcCats)-1)]; !slices.Contains(q.catSel, p) {
			q.catSel = append(q.catSel, p)
			q.q.Categories = append(q.q.Categories, snapshot.CategoryID(p))
		}
	}
	for i := r.IntN(3); i > 0; i-- {
		b := append(slices.Clone(lcBrands), "house")[r.IntN(len(lcBrands)+1)]
		if !slices.Contains(q.brandSl, snapshot.Key(b)) {
			q.brandSl = append(q.brandSl, snapshot.Key(b))
			q.q.Brands = append(q.q.Brands, strings.ToLower(b))
		}
	}
	q.q.InStock = r.IntN(4) == 0
	sorts := []engine.ListSort{engine.SortDefault, engine.SortName, engine.SortPrice, engine.SortPriceDesc}
	if q.ranks != nil {
		sorts = append(sorts, engine.SortRelevance, engine.SortRelevance)
	}
	q.q.Sort = sorts[r.IntN(len(sorts))]
	q.sortBy = q.q.Sort
	if q.sortBy == engine.SortDefault {
		q.sortBy = engine.SortName
		if q.ranks != nil {
			q.sortBy = engine.SortRelevance
		}
	}
	q.q.Lang = []string{"", "", "de", "sv", "fr"}[r.IntN(5)]
	q.q.Facets = engine.FacetSet(r.IntN(4))
	q.q.Limit = []int{0, 1, 3, 7, 25, 60}[r.IntN(6)]
	if q.q.VehicleID == "" && q.q.Limit < 25 {
		q.q.Limit = 25 // the whole catalog: fewer pages
	}
	return q
}

// checkPages pages through q to the end, changing prices and stock between pages, and
// compares every page with the model; then checks the promise of the cursor: a part
// whose sort values did not change and that matched the query throughout appears on
// exactly one page, and those parts come in sort order.
func (m *lcModel) checkPages(t *testing.T, label string, e *engine.Engine, id string, r *rand.Rand, q *lcQuery, changes bool) {
	t.Helper()
	var after *lcKey
	seen := map[string]int{}
	var order []lcKey
	stable := map[string]bool{} // parts whose sort values and match never changed
	first := true
	var prevKeys map[string]lcKey
	for pageNo := 0; ; pageNo++ {
		v, err := e.View(id)
		if err != nil {
			t.Fatal(err)
		}
		q.offers = q.tenant.offers
		want := m.page(q, after)
		// The parts matching now, with their keys: parts whose key moved are not stable.
		keys := map[string]lcKey{}
		for i, n := range want.all {
			keys[n] = want.allKeys[i]
			if first {
				stable[n] = true
			}
		}
		for n := range stable {
			if k, ok := keys[n]; !ok || prevKeys != nil && k != prevKeys[n] {
				delete(stable, n)
			}
		}
		prevKeys, first = keys, false

		page, err := v.List(q.q)
		if err != nil {
			t.Fatalf("%s page %d: List(%+v): %v", label, pageNo, q.q, err)
		}
		got := page.PartNumbers()
		if !slices.Equal(got, want.numbers) || page.Total != want.total || (page.NextCursor != "") != want.more {
			t.Fatalf("%s page %d: List(%s): got %v total %d more %v,\nwant %v total %d more %v", label, pageNo, describe(q),
				got, page.Total, page.NextCursor != "", want.numbers, want.total, want.more)
		}
		if !reflect.DeepEqual(page.Facets, want.facets) {
			t.Fatalf("%s page %d: List(%s) facets:\n got %+v\nwant %+v", label, pageNo, describe(q), page.Facets, want.facets)
		}
		l := page.Listing()
		if js, wantJS := page.AppendJSON(nil), marshal(t, l); string(js) != string(wantJS) {
			t.Fatalf("%s page %d: AppendJSON:\n%s\nwant (encoding/json of Listing)\n%s", label, pageNo, js, wantJS)
		}
		m.checkItems(t, label, v, q, l.Items)
		for i, n := range got {
			seen[n]++
			order = append(order, want.keys[i])
		}
		if !want.more {
			break
		}
		after = &want.keys[len(want.keys)-1]
		q.q.Cursor = page.NextCursor
		if changes {
			m.changeOffers(t, r, e, id, q.tenant)
		}
	}
	for n := range stable {
		if seen[n] != 1 {
			t.Fatalf("%s: List(%s): part %s, its key unchanged and matching throughout, was on %d pages", label, describe(q), n, seen[n])
		}
	}
	var stableOrder []lcKey
	for _, k := range order {
		for n := range stable {
			if snapshot.Key(n) == k.num {
				stableOrder = append(stableOrder, k)
			}
		}
	}
	for i := 1; i < len(stableOrder); i++ {
		if !m.less(q.sortBy, q.q.Lang, stableOrder[i-1], stableOrder[i]) {
			t.Fatalf("%s: List(%s): pages out of order at %+v, %+v", label, describe(q), stableOrder[i-1], stableOrder[i])
		}
	}
}

func describe(q *lcQuery) string {
	return fmt.Sprintf("vehicle %q universal %v matches %d cats %v brands %v inStock %v sort %v lang %q limit %d facets %d",
		q.q.VehicleID, q.q.IncludeUniversal, len(q.ranks), q.catSel, q.brandSl, q.q.InStock, q.sortBy, q.q.Lang, q.q.Limit, q.q.Facets)
}

// checkItems checks what the summaries carry: the tenant's price and stock, the name in
// the language, and for a vehicle the fitments GET /api/t/parts gives.
func (m *lcModel) checkItems(t *testing.T, label string, v *engine.View, q *lcQuery, items []engine.PartSummary) {
	t.Helper()
	var fits map[string][]engine.Fitment
	if q.q.VehicleID != "" {
		all, _, err := v.Parts(q.q.VehicleID, engine.PartsQuery{IncludeUniversal: true, Lang: q.q.Lang})
		if err != nil {
			t.Fatal(err)
		}
		fits = map[string][]engine.Fitment{}
		for _, s := range all {
			fits[s.PartNumber] = s.Fitments
		}
	}
	for _, s := range items {
		o, ok := q.offers[snapshot.Key(s.PartNumber)]
		if !ok {
			o = refOffer{-1, -1}
		}
		if !reflect.DeepEqual(s.Price, money(o.price)) || !reflect.DeepEqual(s.Stock, count(o.stock)) {
			t.Fatalf("%s: %s: price %v stock %v, want %+v", label, s.PartNumber, s.Price, s.Stock, o)
		}
		if fits != nil && !reflect.DeepEqual(s.Fitments, fits[s.PartNumber]) {
			t.Fatalf("%s: %s fitments %s, want %s as GET /api/t/parts has them", label, s.PartNumber, fitString(s.Fitments), fitString(fits[s.PartNumber]))
		}
		if fits == nil && len(s.Fitments) != 0 {
			t.Fatalf("%s: %s has fitments without a vehicle", label, s.PartNumber)
		}
	}
}

// changeOffers moves some prices and stock, in the engine and the model.
func (m *lcModel) changeOffers(t *testing.T, r *rand.Rand, e *engine.Engine, id string, rt *lcTenant) {
	var ups []engine.ItemUpdate
	for i := 3 + r.IntN(len(m.c.parts)/10+3); i > 0; i-- {
		var pn string
		if r.IntN(8) == 0 {
			pn = rt.own[r.IntN(len(rt.own))].PartNumber
		} else {
			pn = m.c.parts[r.IntN(len(m.c.parts))].number
		}
		o := lcRandomOffer(r)
		ups = append(ups, engine.ItemUpdate{Ref: pn, SetPrice: true, Price: o.price, SetStock: true, Stock: o.stock})
		rt.offers[snapshot.Key(pn)] = o
	}
	mustUpdate(t, e, id, engine.Change{Resolve: engine.ResolveCatalog, Items: ups})
}

func lcSetup(t *testing.T, r *rand.Rand, nParts, perVehicle int) (*lcModel, *engine.Engine, *lcTenant) {
	c := lcRandomCatalog(r, nParts, perVehicle)
	cat := c.build(t)
	m := newLcModel(c, cat)
	e := engine.New()
	e.Load(cat, "v1")
	rt := lcRandomTenant(r, c)
	rt.load(t, e, "t", c)
	return m, e, rt
}

func TestListingMatchesReferenceModel(t *testing.T) {
	seed := testSeed(t, "TestListingMatchesReferenceModel")
	rounds := 12
	if testing.Short() {
		rounds = 4
	}
	for round := 0; round < rounds; round++ {
		r := rand.New(rand.NewPCG(seed, uint64(round)))
		m, e, rt := lcSetup(t, r, 200+r.IntN(600), 10+r.IntN(120))
		for i := 0; i < 25; i++ {
			q := m.randomListQuery(r, rt)
			label := fmt.Sprintf("round %d query %d (seed %d)", round, i, seed)
			m.checkPages(t, label, e, "t", r, q, r.IntN(2) == 0)
			// The candidates search would restrict a text query to.
			v, _ := e.View("t")
			got, err := v.Candidates(q.q.VehicleID, q.q.IncludeUniversal)
			if err != nil {
				t.Fatal(err)
			}
			var want []uint32
			for _, it := range m.candidates(rt, q.q.VehicleID, q.q.IncludeUniversal) {
				want = append(want, it.id)
			}
			slices.Sort(want)
			if !slices.Equal(got.ToArray(), slices.Compact(want)) {
				t.Fatalf("%s: Candidates(%q, %v): %v, want %v", label, q.q.VehicleID, q.q.IncludeUniversal, got.ToArray(), want)
			}
		}
	}
}

// TestListingLarge pages through vehicles of thousands of parts spread over a catalog of
// 70,000 parts, across roaring's 65,536 container boundary.
func TestListingLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a catalog of 70,000 parts")
	}
	seed := testSeed(t, "TestListingLarge")
	r := rand.New(rand.NewPCG(seed, 1))
	m, e, rt := lcSetup(t, r, 70000, 1500)
	if len(m.cat.Parts) <= 1<<16 {
		t.Fatalf("%d parts do not cross the container boundary", len(m.cat.Parts))
	}
	crossed := false
	for i := 0; i < 10; i++ {
		q := m.randomListQuery(r, rt)
		if q.q.VehicleID == "" {
			q.q.VehicleID = m.c.vehicles[r.IntN(len(m.c.vehicles))].id()
		}
		q.q.Limit = []int{50, 200, 500}[r.IntN(3)]
		if i < 3 {
			q.q.Sort, q.sortBy = []engine.ListSort{engine.SortName, engine.SortPrice, engine.SortPriceDesc}[i], []engine.ListSort{engine.SortName, engine.SortPrice, engine.SortPriceDesc}[i]
			q.q.Categories, q.catSel, q.q.Brands, q.brandSl, q.q.InStock = nil, nil, nil, nil, false
		}
		for _, it := range m.candidates(rt, q.q.VehicleID, q.q.IncludeUniversal) {
			crossed = crossed || it.id >= 1<<16
		}
		m.checkPages(t, fmt.Sprintf("large query %d (seed %d)", i, seed), e, "t", r, q, true)
	}
	if !crossed {
		t.Fatal("no listing reached a part id past 65,535")
	}
}

// TestListingCursors: a cursor altered or handed to another query is a QueryError naming
// cursor; one from before a catalog rebuild goes on from where its values sort now.
func TestListingCursors(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	m, e, rt := lcSetup(t, r, 400, 150)
	veh := m.c.vehicles[1].id() // a concrete submodel
	v, _ := e.View("t")
	for _, s := range []engine.ListSort{engine.SortName, engine.SortPrice, engine.SortPriceDesc} {
		q := engine.ListQuery{VehicleID: veh, Sort: s, Limit: 5, Lang: "de"}
		page, err := v.List(q)
		if err != nil || page.NextCursor == "" {
			t.Fatalf("List(%v): %v, cursor %q", s, err, page.NextCursor)
		}
		raw, _ := base64.RawURLEncoding.DecodeString(page.NextCursor)
		flipped := slices.Clone(raw)
		flipped[len(flipped)/2] ^= 0x20
		other := q
		other.Brands = []string{"EBC"}
		otherSort := q
		otherSort.Sort = []engine.ListSort{engine.SortPrice, engine.SortName, engine.SortName}[s-engine.SortName]
		otherLang := q
		otherLang.Lang = "sv"
		otherVeh := q
		otherVeh.VehicleID = m.c.vehicles[2].id()
		for _, bad := range []struct {
			q      engine.ListQuery
			cursor string
		}{
			{q, "not a cursor!"}, {q, page.NextCursor[:len(page.NextCursor)-3]}, {q, base64.RawURLEncoding.EncodeToString(flipped)},
			{q, ""}, {other, page.NextCursor}, {otherSort, page.NextCursor}, {otherLang, page.NextCursor}, {otherVeh, page.NextCursor},
			{q, base64.RawURLEncoding.EncodeToString([]byte{1, 2, 3, 4, 5, 6, 7, 8})},
		} {
			if bad.cursor == "" {
				continue
			}
			bad.q.Cursor = bad.cursor
			_, err := v.List(bad.q)
			var qe *engine.QueryError
			if !errors.As(err, &qe) || qe.Param != "cursor" || !errors.Is(err, engine.ErrBadQuery) {
				t.Errorf("List(sort %v, cursor %q, brands %v, lang %q): %v, want a QueryError naming cursor", bad.q.Sort, bad.cursor,
					bad.q.Brands, bad.q.Lang, err)
			}
		}
		// A different page size is the same query.
		q.Cursor, q.Limit = page.NextCursor, 9
		if _, err := v.List(q); err != nil {
			t.Errorf("List with another limit: %v", err)
		}
	}

	// A rebuild drops and adds parts (ids shift) and renames some; a cursor from before goes
	// on from its values, as the model does.
	for _, s := range []engine.ListSort{engine.SortName, engine.SortPrice, engine.SortPriceDesc} {
		q := &lcQuery{q: engine.ListQuery{VehicleID: veh, Sort: s, Limit: 20, Lang: "de", Facets: engine.FacetBrand | engine.FacetCategory},
			tenant: rt, offers: rt.offers, sortBy: s}
		v, _ := e.View("t")
		page, err := v.List(q.q)
		if err != nil {
			t.Fatal(err)
		}
		want := m.page(q, nil)
		last := want.keys[len(want.keys)-1]
		c2 := *m.c
		c2.parts, c2.fits = nil, maps.Clone(m.c.fits)
		kept := map[string]bool{}
		for i, p := range m.c.parts {
			if r.IntN(8) == 0 {
				continue // left the catalog
			}
			if r.IntN(5) == 0 {
				p.names = map[string]string{"de": lcName(r, lcNamesDE)}
			}
			c2.parts = append(c2.parts, p)
			kept[p.number] = true
			if r.IntN(8) == 0 { // a new part beside it
				n := lcPart{number: fmt.Sprintf("%s-new%d", p.number, i), brand: p.brand, name: lcName(r, lcNames),
					names: map[string]string{"de": lcName(r, lcNamesDE)}}
				c2.parts = append(c2.parts, n)
				c2.fits[veh] = append(slices.Clone(c2.fits[veh]), n.number)
				kept[n.number] = true
			}
		}
		fits := map[string][]string{}
		for id, pns := range c2.fits {
			for _, pn := range pns {
				if kept[pn] {
					fits[id] = append(fits[id], pn)
				}
			}
		}
		c2.fits = fits
		cat2 := c2.build(t)
		e.Load(cat2, "v2-"+s.String())
		m2 := newLcModel(&c2, cat2)
		q.q.Cursor = page.NextCursor
		v, _ = e.View("t")
		got, err := v.List(q.q)
		if err != nil {
			t.Fatalf("List after a rebuild: %v", err)
		}
		want = m2.page(q, &last)
		if !slices.Equal(got.PartNumbers(), want.numbers) || got.Total != want.total {
			t.Errorf("sort %v after a rebuild: %v (total %d), want %v (total %d)", s, got.PartNumbers(), got.Total, want.numbers, want.total)
		}
		e.Load(m.cat, "v1-again")
	}
}

// TestListingErrors: bad filters name their parameter; an unknown vehicle is not found.
func TestListingErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	m, e, _ := lcSetup(t, r, 100, 30)
	v, _ := e.View("t")
	veh := m.c.vehicles[0].id()
	for _, c := range []struct {
		q     engine.ListQuery
		param string
	}{
		{engine.ListQuery{VehicleID: veh, Brands: []string{"Nope"}}, "brand"},
		{engine.ListQuery{VehicleID: veh, Brands: []string{"EBC", "house2"}}, "brand"},
		{engine.ListQuery{VehicleID: veh, Categories: []string{"cnope"}}, "category"},
		{engine.ListQuery{VehicleID: veh, Categories: []string{"Brakes"}}, "category"}, // a path, not an id
		{engine.ListQuery{VehicleID: veh, Sort: engine.SortRelevance}, "sort"},
		{engine.ListQuery{VehicleID: veh, Sort: engine.ListSort(42)}, "sort"},
		{engine.ListQuery{VehicleID: veh, Limit: engine.MaxListLimit + 1}, "limit"},
		{engine.ListQuery{VehicleID: veh, Limit: -1}, "limit"},
	} {
		_, err := v.List(c.q)
		var qe *engine.QueryError
		if !errors.As(err, &qe) || qe.Param != c.param {
			t.Errorf("List(%+v): %v, want a QueryError naming %s", c.q, err, c.param)
		}
	}
	if _, err := v.List(engine.ListQuery{VehicleID: "v-nope"}); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("List(unknown vehicle): %v, want ErrNotFound", err)
	}
	// An own brand of the tenant filters; another tenant does not know it.
	if _, err := v.List(engine.ListQuery{VehicleID: veh, Brands: []string{"HOUSE"}}); err != nil {
		t.Errorf("List(own brand): %v", err)
	}
	mustUpdate(t, e, "other", engine.Change{Subscribe: []string{"EBC"}})
	o, _ := e.View("other")
	if _, err := o.List(engine.ListQuery{VehicleID: veh, Brands: []string{"House"}}); err == nil {
		t.Errorf("another tenant filters by the first one's own brand")
	}
}

// TestListingCursorOfAGonePart: the part a cursor names is deleted before the next page;
// the page goes on from where its values sort, and a part sorting right after it with the
// same price (or name) is not skipped.
func TestListingCursorOfAGonePart(t *testing.T) {
	e := engine.New()
	e.Load(extCatalog(t), "v1")
	yfzSE := snapshot.VehicleID("Yamaha", "YFZ450R", "SE", 2019)
	mustUpdate(t, e, "t", engine.Change{Subscribe: []string{"EBC"}})
	var parts []engine.TenantPart
	var items []engine.ItemUpdate
	for _, pn := range []string{"OWN-1", "OWN-2", "OWN-3"} {
		parts = append(parts, engine.TenantPart{PartNumber: pn, Brand: "House", Name: "Same name",
			Fitments: []engine.TenantFitment{{VehicleID: yfzSE}}})
		items = append(items, engine.ItemUpdate{Ref: pn, SetPrice: true, Price: 500})
	}
	mustUpdate(t, e, "t", engine.Change{PutParts: parts})
	mustUpdate(t, e, "t", engine.Change{Resolve: engine.ResolveActive, Items: items})
	for _, s := range []engine.ListSort{engine.SortPrice, engine.SortPriceDesc, engine.SortName} {
		v, _ := e.View("t")
		q := engine.ListQuery{VehicleID: yfzSE, Sort: s, Brands: []string{"house"}, Limit: 1}
		first, err := v.List(q)
		if err != nil || !slices.Equal(first.PartNumbers(), []string{"OWN-1"}) {
			t.Fatalf("sort %v: first page %v, %v", s, first.PartNumbers(), err)
		}
		mustUpdate(t, e, "t", engine.Change{DeleteParts: []string{"OWN-1"}})
		v, _ = e.View("t")
		q.Cursor = first.NextCursor
		next, err := v.List(q)
		if err != nil || !slices.Equal(next.PartNumbers(), []string{"OWN-2"}) {
			t.Errorf("sort %v: after OWN-1 was deleted: %v, %v; want [OWN-2]", s, next.PartNumbers(), err)
		}
		mustUpdate(t, e, "t", engine.Change{PutParts: parts[:1]})
		mustUpdate(t, e, "t", engine.Change{Resolve: engine.ResolveActive, Items: items[:1]})
	}
}
