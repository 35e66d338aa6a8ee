package engine_test

import (
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/ingest"
	"github.com/fitment/fitment/snapshot"
)

// This file checks the engine against a naive model: random source catalogs are written
// as CSV in varied styles (column order, header case, BOM, quoting, compression), built
// by package ingest, loaded by the engine, and every cascade answer is compared with one
// computed from the rows with plain maps and loops. The seed is logged; rerun one with
// -seed=N.

type refVehicle struct {
	typ, make, model, submodel string
	year                       int
	idx                        int    // in model.vehicles (set by newModel)
	makeID, modelID            string // set by newModel
}

type refPart struct {
	number, brand, category string
	universal               bool
	nameStyle               int    // refNames
	translated              bool   // has a German name
	key, brandKey           string // set by newModel
}

type refFitment struct {
	part, make, model, submodel string
	years                       []int
	position, notes             string
	qty                         int
}

type refCatalog struct {
	vehicles []refVehicle // concrete and explicit wildcard rows, one per year
	parts    []refPart
	fitments []refFitment
}

var (
	refMakes  = []string{"Can-Am", "Polaris", "Yamaha", "KTM", "Ski-Doo", "CFMOTO", "Honda, Inc."}
	refModels = []string{"Outlander 1000", "Sportsman 850", "MXZ 600", "YFZ450R", "EXC \"300\"", "RZR XP", "Grizzly"}
	refSubs   = []string{"X-MR", "XT", "EPS", "Limited", "ABS", "LE"}
	refBrands = []string{"EBC", "K&N", "Alphatrac", "All Balls", "DID"}
	refCats   = []string{"", "Brakes", "Brakes > Brake pads", "Brakes > Brake pads > Sintered", "Engine > Filters", "Drivetrain"}
	refPos    = []string{"", "", "LH", "RH", "FRONT", "REAR"}
	refNotes  = []string{"", "", "", "with electric start", "before VIN 12345"}
	refTypes  = []string{"motorcycle", "atv", "utv", "snowmobile"}
)

func randomCatalog(r *rand.Rand) *refCatalog {
	c := &refCatalog{}
	makes := pick(r, refMakes, 1+r.IntN(4))
	type modelKey struct{ make, model string }
	var models []modelKey
	for _, mk := range makes {
		typ := refTypes[r.IntN(len(refTypes))]
		for _, md := range pick(r, refModels, 1+r.IntN(3)) {
			models = append(models, modelKey{mk, md})
			subs := pick(r, refSubs, r.IntN(4))
			for y := 2000 + r.IntN(3); y < 2012; y += 1 + r.IntN(3) { // gaps between years
				spelling := mk
				if r.IntN(5) == 0 {
					spelling = strings.ToUpper(mk) // the same make; the first spelling is displayed
				}
				if r.IntN(4) == 0 || len(subs) == 0 {
					c.vehicles = append(c.vehicles, refVehicle{typ: typ, make: spelling, model: md, year: y})
				}
				for _, s := range subs {
					if r.IntN(3) > 0 {
						c.vehicles = append(c.vehicles, refVehicle{typ: typ, make: spelling, model: md, submodel: s, year: y})
					}
				}
			}
		}
	}
	nparts := 1 + r.IntN(60)
	for i := 0; i < nparts; i++ {
		c.parts = append(c.parts, refPart{
			number:    fmt.Sprintf("%s-%04d", []string{"BP", "of", "Ch", "x"}[r.IntN(4)], i),
			brand:     refBrands[r.IntN(len(refBrands))],
			category:  refCats[r.IntN(len(refCats))],
			universal: r.IntN(15) == 0,
			nameStyle: r.IntN(len(refNames)), translated: r.IntN(2) == 0,
		})
	}
	for i := r.IntN(120); i > 0; i-- {
		p := c.parts[r.IntN(len(c.parts))]
		if p.universal {
			continue
		}
		v := c.vehicles[r.IntN(len(c.vehicles))]
		sub := v.submodel
		if r.IntN(3) == 0 {
			sub = "" // wildcard
		}
		var years []int
		for _, w := range c.vehicles {
			if w.make == v.make && w.model == v.model && (sub == "" || w.submodel == sub) && r.IntN(2) == 0 {
				years = append(years, w.year)
			}
		}
		if len(years) == 0 {
			years = []int{v.year}
		}
		slices.Sort(years)
		years = slices.Compact(years)
		f := refFitment{part: p.number, make: v.make, model: v.model, submodel: sub, years: years,
			position: refPos[r.IntN(len(refPos))], notes: refNotes[r.IntN(len(refNotes))]}
		if r.IntN(4) == 0 {
			f.qty = 1 + r.IntN(4)
		}
		c.fitments = append(c.fitments, f)
	}
	return c
}

func pick(r *rand.Rand, from []string, n int) []string {
	p := r.Perm(len(from))
	out := make([]string, 0, n)
	for _, i := range p[:min(n, len(from))] {
		out = append(out, from[i])
	}
	return out
}

// yearsString writes years as ranges with gaps: "2001-2003, 2005".
func yearsString(years []int) string {
	var parts []string
	for i := 0; i < len(years); {
		j := i
		for j+1 < len(years) && years[j+1] == years[j]+1 {
			j++
		}
		if i == j {
			parts = append(parts, strconv.Itoa(years[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", years[i], years[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

// writeCSV writes one source file in a random style.
func writeCSV(t *testing.T, r *rand.Rand, dir, name string, header []string, rows [][]string) {
	t.Helper()
	order := r.Perm(len(header))
	ext := []string{".csv", ".csv", ".csv.gz", ".csv.zst"}[r.IntN(4)]
	f, err := os.Create(filepath.Join(dir, name+ext))
	if err != nil {
		t.Fatal(err)
	}
	var w io.Writer = f
	var closer io.Closer
	switch ext {
	case ".csv.gz":
		gz := gzip.NewWriter(f)
		w, closer = gz, gz
	case ".csv.zst":
		zw, _ := zstd.NewWriter(f)
		w, closer = zw, zw
	}
	if r.IntN(2) == 0 {
		io.WriteString(w, "\ufeff")
	}
	cw := csv.NewWriter(w)
	hdr := make([]string, len(header))
	for i, o := range order {
		hdr[i] = header[o]
		if r.IntN(2) == 0 {
			hdr[i] = strings.ToUpper(hdr[i])
		}
	}
	cw.Write(hdr)
	for _, row := range rows {
		out := make([]string, len(row))
		for i, o := range order {
			out[i] = row[o]
			if r.IntN(8) == 0 && out[i] != "" {
				out[i] = " " + out[i] + " " // outer whitespace is trimmed
			}
		}
		cw.Write(out)
	}
	cw.Flush()
	if closer != nil {
		closer.Close()
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func (c *refCatalog) write(t *testing.T, r *rand.Rand, dir string) {
	var rows [][]string
	for _, v := range c.vehicles {
		rows = append(rows, []string{v.typ, v.make, v.model, v.submodel, strconv.Itoa(v.year)})
	}
	writeCSV(t, r, dir, "vehicles", []string{"type", "make", "model", "submodel", "years"}, rows)
	rows = nil
	for _, p := range c.parts {
		name, de := fmt.Sprintf(refNames[p.nameStyle], p.number), ""
		if p.translated {
			de = "DE " + name
		}
		rows = append(rows, []string{p.number, p.brand, name, p.category, strconv.FormatBool(p.universal), de})
	}
	writeCSV(t, r, dir, "parts", []string{"part_number", "brand", "name", "category", "universal", "name_de"}, rows)
	rows = nil
	for _, f := range c.fitments {
		qty := ""
		if f.qty > 0 {
			qty = strconv.Itoa(f.qty)
		}
		pn := f.part
		if r.IntN(4) == 0 {
			pn = strings.ToLower(pn) // part numbers match case-insensitively
		}
		rows = append(rows, []string{pn, f.make, f.model, f.submodel, yearsString(f.years), f.position, qty, f.notes})
	}
	writeCSV(t, r, dir, "fitments", []string{"part_number", "make", "model", "submodel", "years", "position", "qty", "notes"}, rows)
}

// names gives part names that exercise JSON escaping and translated fragments.
var refNames = []string{"Name of %s", `Seal "HD" %s`, "Bremsbeläge %s", "Kit\t%s", "back\\slash %s", "line\u2028sep %s", "<b>%s</b> & co"}

// The reference tenant: plain maps of what the tenant set.

type refOffer struct{ price, stock int64 } // -1: none

type refAlias struct{ alias, target, source string } // target: canonical part number

type refTenant struct {
	brands  map[string]bool              // Key(brand)
	items   map[string]engine.Activation // Key(part number) → explicit setting
	offers  map[string]refOffer          // Key(part number) → price and stock
	aliases map[string]refAlias          // Key(alias)
	cache   [][]string                   // model.vehicles index → visible parts; cleared on every change
	visVeh  []int                        // indexes of the visible vehicles (nil: not computed)
}

func randomTenant(r *rand.Rand, c *refCatalog) *refTenant { return scaledTenant(r, c, 1) }

// scaledTenant is randomTenant with about scale times as many settings, offers and aliases.
func scaledTenant(r *rand.Rand, c *refCatalog, scale int) *refTenant {
	t := &refTenant{brands: map[string]bool{}, items: map[string]engine.Activation{}, offers: map[string]refOffer{}, aliases: map[string]refAlias{}}
	for _, b := range pick(r, refBrands, r.IntN(len(refBrands)+1)) {
		t.brands[snapshot.Key(b)] = true
	}
	for i := r.IntN(6 * scale); i > 0; i-- {
		t.items[snapshot.Key(c.parts[r.IntN(len(c.parts))].number)] = engine.Activation(r.IntN(3))
	}
	for i := r.IntN(8 * scale); i > 0; i-- {
		t.offers[snapshot.Key(c.parts[r.IntN(len(c.parts))].number)] = randomOffer(r)
	}
	for i := r.IntN(4 * scale); i > 0; i-- {
		p := c.parts[r.IntN(len(c.parts))].number
		a := fmt.Sprintf("POS-%d", r.IntN(20*scale))
		t.aliases[snapshot.Key(a)] = refAlias{a, p, []string{"", "POS", "legacy"}[r.IntN(3)]}
	}
	return t
}

func randomOffer(r *rand.Rand) refOffer {
	o := refOffer{-1, -1}
	if r.IntN(3) > 0 {
		o.price = int64(r.IntN(100000))
	}
	if r.IntN(3) > 0 {
		o.stock = int64(r.IntN(50))
	}
	return o
}

// state is the tenant as a checkpoint would hand it to Restore: by part number.
func (t *refTenant) state(m *model) engine.TenantState {
	st := engine.TenantState{}
	for b := range t.brands {
		st.Brands = append(st.Brands, b)
	}
	keys := map[string]bool{}
	for k := range t.items {
		keys[k] = true
	}
	for k := range t.offers {
		keys[k] = true
	}
	for k := range keys {
		it := engine.ItemState{Number: m.part(k).number, Active: t.items[k]}
		if o, ok := t.offers[k]; ok {
			it.Offer = engine.Offer(0).WithPrice(o.price).WithStock(o.stock)
		}
		st.Items = append(st.Items, it)
	}
	for _, a := range t.aliases {
		st.Aliases = append(st.Aliases, engine.Alias{Alias: a.alias, PartNumber: a.target, Source: a.source})
	}
	return st
}

func (t *refTenant) offer(pn string) (refOffer, bool) {
	o, ok := t.offers[snapshot.Key(pn)]
	if ok && o.price < 0 && o.stock < 0 {
		return o, false
	}
	return o, ok
}

// randomRef is a reference to a part as a client might send it: a number in another case,
// an alias, or a number nobody knows.
func randomRef(r *rand.Rand, c *refCatalog, t *refTenant) string {
	switch n := r.IntN(10); {
	case n == 0:
		return fmt.Sprintf("NOPE-%d", r.IntN(5))
	case n == 1 && len(t.aliases) > 0:
		for _, a := range t.aliases {
			return strings.ToLower(a.alias)
		}
	case n < 4:
		return " " + strings.ToLower(c.parts[r.IntN(len(c.parts))].number) + " "
	}
	return c.parts[r.IntN(len(c.parts))].number
}

// randomChange makes a change, applies it to the reference tenant as the engine should,
// and returns the change with the outcome the engine must report.
func (t *refTenant) randomChange(r *rand.Rand, m *model, rows int) (engine.Change, engine.Outcome) {
	c := m.c
	var ch engine.Change
	var out engine.Outcome
	defer func() { t.cache, t.visVeh = nil, nil }()
	switch r.IntN(4) {
	case 0: // a subscription
		b := refBrands[r.IntN(len(refBrands))]
		if r.IntN(2) == 0 {
			ch.Subscribe = []string{b}
			t.brands[snapshot.Key(b)] = true
		} else {
			ch.Unsubscribe = []string{strings.ToLower(b)}
			delete(t.brands, snapshot.Key(b))
		}
		return ch, out
	case 1: // aliases
		for i := r.IntN(4); i >= 0; i-- {
			a := engine.Alias{Alias: fmt.Sprintf("POS-%d", r.IntN(20)), PartNumber: randomRef(r, c, t), Source: "POS"}
			if r.IntN(6) == 0 {
				a.Alias = c.parts[r.IntN(len(c.parts))].number // a part number cannot be an alias
			}
			ch.PutAliases = append(ch.PutAliases, a)
		}
		for i := r.IntN(2); i > 0; i-- {
			ch.DeleteAliases = append(ch.DeleteAliases, fmt.Sprintf("pos-%d", r.IntN(20)))
		}
		for i, a := range ch.PutAliases {
			key := snapshot.Key(a.Alias)
			if _, isPart := m.partByKey[key]; isPart {
				out.AliasIsPart = append(out.AliasIsPart, i)
				continue
			}
			p, ok := m.partByKey[snapshot.Key(a.PartNumber)]
			if !ok {
				out.AliasNotFound = append(out.AliasNotFound, i)
				continue
			}
			t.aliases[key] = refAlias{a.Alias, p.number, a.Source}
			out.Aliases++
		}
		for i, a := range ch.DeleteAliases {
			if _, ok := t.aliases[snapshot.Key(a)]; ok {
				delete(t.aliases, snapshot.Key(a))
				out.Deleted++
			} else {
				out.DeleteMissing = append(out.DeleteMissing, i)
			}
		}
		return ch, out
	case 2: // a portal edit: any catalog part, activation, price and stock
		ch.Resolve = engine.ResolveCatalog
	default: // a feed: parts the tenant sells, price or stock, sometimes a full stock sync
		ch.Resolve = engine.ResolveActive
		ch.ClearStock = r.IntN(3) == 0
	}
	for i := r.IntN(rows); i >= 0; i-- {
		u := engine.ItemUpdate{Ref: randomRef(r, c, t)}
		if ch.Resolve == engine.ResolveCatalog && r.IntN(2) == 0 {
			u.SetActive, u.Active = true, engine.Activation(r.IntN(3))
		}
		if r.IntN(2) == 0 {
			u.SetPrice, u.Price = true, randomOffer(r).price
		}
		if r.IntN(2) == 0 || !u.SetPrice && !u.SetActive {
			u.SetStock, u.Stock = true, randomOffer(r).stock
		}
		ch.Items = append(ch.Items, u)
	}
	// Resolve every row against the state before the change.
	resolved := make([]string, len(ch.Items))
	for i, u := range ch.Items {
		key := snapshot.Key(u.Ref)
		p, ok := m.partByKey[key]
		if ok && (ch.Resolve == engine.ResolveCatalog || m.visible(t, p.number)) {
			resolved[i] = key
			continue
		}
		if a, ok := t.aliases[key]; ok && (ch.Resolve == engine.ResolveCatalog || m.visible(t, a.target)) {
			resolved[i] = snapshot.Key(a.target)
			continue
		}
		out.NotFound = append(out.NotFound, i)
	}
	stocked := map[string]bool{}
	visibleBefore := map[string]bool{}
	for _, p := range m.c.parts {
		if m.visible(t, p.number) {
			visibleBefore[snapshot.Key(p.number)] = true
		}
	}
	for i, u := range ch.Items {
		key := resolved[i]
		if key == "" {
			continue
		}
		stocked[key] = true
		out.Updated++
		if u.SetActive {
			t.items[key] = u.Active
		}
		o, ok := t.offers[key]
		if !ok {
			o = refOffer{-1, -1}
		}
		if u.SetPrice {
			o.price = u.Price
		}
		if u.SetStock {
			o.stock = u.Stock
		}
		if u.SetPrice || u.SetStock {
			t.offers[key] = o
		}
	}
	if ch.ClearStock {
		for key, o := range t.offers {
			if o.stock >= 0 && !stocked[key] && visibleBefore[key] {
				o.stock = -1
				t.offers[key] = o
				out.Cleared++
			}
		}
	}
	return ch, out
}

// The naive model: plain maps over the source rows.

type model struct {
	c         *refCatalog
	makeName  map[string]string // Key → first spelling
	vehicles  []refVehicle      // every vehicle, implicit wildcards added
	hasSub    map[string]bool   // model-year key → has a concrete submodel
	partByKey map[string]refPart
	sorted    []refPart                              // parts by key
	rows      map[string][]int                       // vkey of a fitment's target (one year) → fitment rows, in order
	fitCache  map[string]map[string][]engine.Fitment // vkey → Key(part) → fitments
}

func vkey(mk, md, sub string, y int) string {
	return snapshot.Key(mk) + "\x00" + snapshot.Key(md) + "\x00" + snapshot.Key(sub) + "\x00" + strconv.Itoa(y)
}

func newModel(c *refCatalog) *model {
	m := &model{c: c, makeName: map[string]string{}, hasSub: map[string]bool{}, rows: map[string][]int{}, fitCache: map[string]map[string][]engine.Fitment{}}
	seen := map[string]bool{}
	for _, v := range c.vehicles {
		if _, ok := m.makeName[snapshot.Key(v.make)]; !ok {
			m.makeName[snapshot.Key(v.make)] = v.make
		}
		for _, w := range []refVehicle{v, {typ: v.typ, make: v.make, model: v.model, year: v.year}} {
			if k := vkey(w.make, w.model, w.submodel, w.year); !seen[k] {
				seen[k] = true
				w.idx = len(m.vehicles)
				w.makeID, w.modelID = snapshot.MakeID(w.make), snapshot.ModelID(w.make, w.model)
				m.vehicles = append(m.vehicles, w)
			}
		}
		if v.submodel != "" {
			m.hasSub[vkey(v.make, v.model, "", v.year)] = true
		}
	}
	m.partByKey = map[string]refPart{}
	for _, p := range c.parts {
		p.key, p.brandKey = snapshot.Key(p.number), snapshot.Key(p.brand)
		m.partByKey[p.key] = p
		m.sorted = append(m.sorted, p)
	}
	sort.Slice(m.sorted, func(a, b int) bool { return m.sorted[a].key < m.sorted[b].key })
	for i, f := range c.fitments {
		for _, y := range f.years {
			k := vkey(f.make, f.model, f.submodel, y)
			m.rows[k] = append(m.rows[k], i)
		}
	}
	return m
}

func (m *model) part(pn string) refPart {
	p, ok := m.partByKey[snapshot.Key(pn)]
	if !ok {
		panic("no part " + pn)
	}
	return p
}

func (m *model) visible(t *refTenant, pn string) bool { return m.visiblePart(t, m.part(pn)) }

func (m *model) visiblePart(t *refTenant, p refPart) bool {
	switch t.items[p.key] {
	case engine.Activated:
		return true
	case engine.Deactivated:
		return false
	}
	return t.brands[p.brandKey]
}

// fitsOf gives, for every part fitting v, the fitments by which it fits: v's own rows, then
// for a concrete submodel its model-year's wildcard rows. Duplicate (vehicle, part,
// position) links merge attribute by attribute, the first given value winning.
func (m *model) fitsOf(v refVehicle) map[string][]engine.Fitment {
	vk := vkey(v.make, v.model, v.submodel, v.year)
	if out, ok := m.fitCache[vk]; ok {
		return out
	}
	out := map[string][]engine.Fitment{}
	m.addTargetFits(out, v, v.submodel)
	if v.submodel != "" {
		m.addTargetFits(out, v, "")
	}
	m.fitCache[vk] = out
	return out
}

// addTargetFits adds to out the fitments of the rows fitted directly to (v's model-year,
// submodel target), part by part.
func (m *model) addTargetFits(out map[string][]engine.Fitment, v refVehicle, target string) {
	type merged struct {
		order []string
		by    map[string]*refFitment
	}
	perPart := map[string]*merged{}
	var partOrder []string
	for _, i := range m.rows[vkey(v.make, v.model, target, v.year)] {
		f := m.c.fitments[i]
		pk := snapshot.Key(f.part)
		g := perPart[pk]
		if g == nil {
			g = &merged{by: map[string]*refFitment{}}
			perPart[pk] = g
			partOrder = append(partOrder, pk)
		}
		x, ok := g.by[f.position]
		if !ok {
			x = &refFitment{position: f.position}
			g.by[f.position] = x
			g.order = append(g.order, f.position)
		}
		if x.qty == 0 {
			x.qty = f.qty
		}
		if x.notes == "" {
			x.notes = f.notes
		}
	}
	for _, pk := range partOrder {
		g := perPart[pk]
		for _, pos := range g.order {
			f := g.by[pos]
			var e engine.Fitment
			if f.position != "" {
				e.Position = ptr(f.position)
			}
			if f.qty > 0 {
				e.Qty = ptr(f.qty)
			}
			if f.notes != "" {
				e.Notes = ptr(f.notes)
			}
			if !containsFitment(out[pk], e) {
				out[pk] = append(out[pk], e)
			}
		}
	}
}

// directFits is the direct links of vehicle v (its own rows only, no wildcard inherited).
func (m *model) directFits(v refVehicle) map[string][]engine.Fitment {
	out := map[string][]engine.Fitment{}
	m.addTargetFits(out, v, v.submodel)
	return out
}

func (m *model) fitments(v refVehicle, pn string) []engine.Fitment {
	return m.fitsOf(v)[snapshot.Key(pn)]
}

func containsFitment(list []engine.Fitment, f engine.Fitment) bool {
	for _, g := range list {
		if reflect.DeepEqual(g, f) {
			return true
		}
	}
	return false
}

func ptr[T any](v T) *T { return &v }

func (m *model) visibleParts(t *refTenant, v refVehicle) []string {
	if t.cache == nil {
		t.cache = make([][]string, len(m.vehicles))
	}
	if out := t.cache[v.idx]; out != nil {
		return out
	}
	var ps []refPart
	for pk := range m.fitsOf(v) {
		if p := m.partByKey[pk]; !p.universal && m.visiblePart(t, p) {
			ps = append(ps, p)
		}
	}
	sort.Slice(ps, func(a, b int) bool { return ps[a].key < ps[b].key })
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.number
	}
	t.cache[v.idx] = out
	return out
}

// countParts counts the distinct visible parts fitting a vehicle that keep accepts.
func (m *model) countParts(t *refTenant, keep func(refVehicle) bool) int {
	seen := map[string]bool{}
	for _, v := range m.vehicles {
		if keep(v) {
			for _, p := range m.visibleParts(t, v) {
				seen[snapshot.Key(p)] = true
			}
		}
	}
	return len(seen)
}

func (m *model) visibleUniversal(t *refTenant) []string {
	var out []string
	for _, p := range m.c.parts {
		if p.universal && m.visible(t, p.number) {
			out = append(out, p.number)
		}
	}
	sort.Slice(out, func(a, b int) bool { return snapshot.Key(out[a]) < snapshot.Key(out[b]) })
	return out
}

// categories lists the paths of the categories of visible parts and their ancestors,
// in path order.
func (m *model) categories(t *refTenant) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range m.c.parts {
		if p.category == "" || !m.visible(t, p.number) {
			continue
		}
		levels := strings.Split(p.category, " > ")
		for i := range levels {
			if path := strings.Join(levels[:i+1], " > "); !seen[path] {
				seen[path] = true
				out = append(out, path)
			}
		}
	}
	sort.Slice(out, func(a, b int) bool { return snapshot.Key(out[a]) < snapshot.Key(out[b]) })
	return out
}

func (m *model) visibleVehicles(t *refTenant, f engine.Filter) []*refVehicle {
	if t.visVeh == nil {
		t.visVeh = []int{}
		for i, v := range m.vehicles {
			if len(m.visibleParts(t, v)) > 0 {
				t.visVeh = append(t.visVeh, i)
			}
		}
	}
	var out []*refVehicle
	for _, i := range t.visVeh {
		if v := &m.vehicles[i]; (f.Year == 0 || v.year == f.Year) && (f.Type == "" || v.typ == f.Type) {
			out = append(out, v)
		}
	}
	return out
}

func (m *model) years(t *refTenant, f engine.Filter) []int {
	out := []int{}
	for _, v := range m.visibleVehicles(t, engine.Filter{Type: f.Type}) {
		if !slices.Contains(out, v.year) {
			out = append(out, v.year)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(out)))
	return out
}

func (m *model) makes(t *refTenant, f engine.Filter) []engine.MakeRef {
	out := []engine.MakeRef{}
	seen := map[engine.MakeRef]bool{}
	for _, v := range m.visibleVehicles(t, f) {
		ref := engine.MakeRef{ID: v.makeID, Name: m.makeName[snapshot.Key(v.make)]}
		if !seen[ref] {
			seen[ref] = true
			out = append(out, ref)
		}
	}
	sort.Slice(out, func(a, b int) bool { return snapshot.Key(out[a].Name) < snapshot.Key(out[b].Name) })
	return out
}

func (m *model) models(t *refTenant, f engine.Filter) []engine.ModelRef {
	type ref struct {
		engine.ModelRef
		make string
	}
	var refs []ref
	seen := map[ref]bool{}
	for _, v := range m.visibleVehicles(t, engine.Filter{Year: f.Year, Type: f.Type}) {
		if f.MakeID != "" && v.makeID != f.MakeID {
			continue
		}
		r := ref{engine.ModelRef{ID: v.modelID, Name: v.model}, snapshot.Key(v.make)}
		if !seen[r] {
			seen[r] = true
			refs = append(refs, r)
		}
	}
	sort.Slice(refs, func(a, b int) bool {
		if ka, kb := snapshot.Key(refs[a].Name), snapshot.Key(refs[b].Name); ka != kb {
			return ka < kb
		}
		return refs[a].make < refs[b].make
	})
	out := []engine.ModelRef{}
	for _, r := range refs {
		out = append(out, r.ModelRef)
	}
	return out
}

func (m *model) vehicleRefs(t *refTenant, f engine.Filter) []engine.VehicleRef {
	out := []engine.VehicleRef{}
	for _, v := range m.visibleVehicles(t, engine.Filter{Year: f.Year}) {
		if f.ModelID != "" && v.modelID != f.ModelID {
			continue
		}
		if v.submodel == "" && m.hasSub[vkey(v.make, v.model, "", v.year)] {
			continue
		}
		out = append(out, m.vehicleRef(*v))
	}
	sort.SliceStable(out, func(a, b int) bool {
		if ka, kb := snapshot.Key(out[a].Submodel), snapshot.Key(out[b].Submodel); ka != kb {
			return ka < kb
		}
		return out[a].Year > out[b].Year
	})
	return out
}

func (m *model) vehicleRef(v refVehicle) engine.VehicleRef {
	return engine.VehicleRef{
		ID: snapshot.VehicleID(v.make, v.model, v.submodel, v.year), Submodel: v.submodel, Year: v.year,
		ModelID: snapshot.ModelID(v.make, v.model), Model: v.model, Make: m.makeName[snapshot.Key(v.make)], Type: v.typ,
	}
}

// items is what the portal's item list must show: every part the tenant sees, has a
// setting for or an offer for, in part-number order.
func (m *model) items(t *refTenant) []engine.Item {
	var out []engine.Item
	for _, p := range m.sorted {
		o, offered := t.offers[p.key]
		offered = offered && (o.price >= 0 || o.stock >= 0)
		setting := t.items[p.key]
		vis := m.visiblePart(t, p)
		if !vis && setting == engine.Unset && !offered {
			continue
		}
		it := engine.Item{PartNumber: p.number, Brand: p.brand, Name: m.name(p), Active: vis, Subscribed: t.brands[p.brandKey]}
		switch setting {
		case engine.Activated:
			it.ActiveSetting = ptr(true)
		case engine.Deactivated:
			it.ActiveSetting = ptr(false)
		}
		if offered {
			it.Price, it.Stock = money(o.price), count(o.stock)
		}
		out = append(out, it)
	}
	return out
}

func (m *model) name(p refPart) string { return fmt.Sprintf(refNames[p.nameStyle], p.number) }

func money(c int64) *engine.Money {
	if c < 0 {
		return nil
	}
	x := engine.Money(c)
	return &x
}

func count(n int64) *int64 {
	if n < 0 {
		return nil
	}
	return &n
}

// checks bounds what compare looks at: every vehicle and part of a small catalog, a
// sample of a large one.
type checks struct {
	vehicles  []refVehicle
	parts     []refPart
	cascade   bool // every cascade question (years, makes, models, vehicles, counts)
	itemsPage int  // page size for listing items
}

func allChecks(m *model) checks {
	return checks{vehicles: m.vehicles, parts: m.c.parts, cascade: true, itemsPage: 3}
}

// compare checks the engine's answers for every tenant against the model's.
func compare(t *testing.T, label string, e *engine.Engine, m *model, tenants []*refTenant, ck checks) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%s: "+format, append([]any{label}, args...)...)
	}
	var years []int
	for _, v := range m.vehicles {
		if !slices.Contains(years, v.year) {
			years = append(years, v.year)
		}
	}
	years = append(years, 1999) // a year with no vehicles
	makes := map[string]bool{}
	type mdKey struct{ make, model string }
	models := map[mdKey]bool{}
	for _, v := range m.vehicles {
		makes[v.make] = true
		models[mdKey{v.make, v.model}] = true
	}
	for ti, rt := range tenants {
		id := fmt.Sprintf("t%d", ti)
		view, err := e.View(id)
		if err != nil {
			fail("View(%s): %v", id, err)
		}
		if !ck.cascade {
			// A large catalog: the years, and makes and models of two years and three makes.
			for _, typ := range []string{"", "atv"} {
				if got, want := view.Years(engine.Filter{Type: typ}), m.years(rt, engine.Filter{Type: typ}); !reflect.DeepEqual(got, want) {
					fail("tenant %d: Years(%s): got %v, want %v", ti, typ, got, want)
				}
			}
			for _, y := range []int{years[0], 0} {
				if got, want := view.Makes(engine.Filter{Year: y}), m.makes(rt, engine.Filter{Year: y}); !reflect.DeepEqual(got, want) {
					fail("tenant %d: Makes(%d): got %v, want %v", ti, y, got, want)
				}
				n := 0
				for mk := range makes {
					if n++; n > 3 {
						break
					}
					f := engine.Filter{Year: y, MakeID: snapshot.MakeID(mk)}
					if got, want := view.Models(f), m.models(rt, f); !reflect.DeepEqual(got, want) {
						fail("tenant %d: Models(%+v): got %v, want %v", ti, f, got, want)
					}
				}
			}
		}
		if ck.cascade {
			compareCascade(t, fail, view, m, rt, ti, years, makes)
			for mk := range models {
				for _, y := range append(years, 0) {
					f := engine.Filter{ModelID: snapshot.ModelID(mk.make, mk.model), Year: y}
					if got, want := view.Vehicles(f), m.vehicleRefs(rt, f); !reflect.DeepEqual(got, want) {
						fail("tenant %d: Vehicles(%s %s %d): got %v, want %v", ti, mk.make, mk.model, y, got, want)
					}
				}
			}
		}
		var buf []byte
		for _, v := range ck.vehicles {
			vid := snapshot.VehicleID(v.make, v.model, v.submodel, v.year)
			items, total, err := view.Parts(vid, engine.PartsQuery{})
			if err != nil {
				fail("tenant %d: Parts(%v): %v", ti, v, err)
			}
			want := m.visibleParts(rt, v)
			var got []string
			for _, it := range items {
				got = append(got, it.PartNumber)
				if wantFits := m.fitments(v, it.PartNumber); !sameFitments(it.Fitments, wantFits) {
					fail("tenant %d: Parts(%v) %s fitments: got %s, want %s", ti, v, it.PartNumber, fitString(it.Fitments), fitString(wantFits))
				}
				o, ok := rt.offer(it.PartNumber)
				if !ok {
					o = refOffer{-1, -1}
				}
				if !reflect.DeepEqual(it.Price, money(o.price)) || !reflect.DeepEqual(it.Stock, count(o.stock)) {
					fail("tenant %d: Parts(%v) %s: price %v stock %v, want %v", ti, v, it.PartNumber, it.Price, it.Stock, o)
				}
			}
			if !slices.Equal(got, want) || total != len(want) {
				fail("tenant %d: Parts(%v): got %v (total %d), want %v", ti, v, got, total, want)
			}
			// The byte renderer writes exactly what encoding/json makes of the summaries.
			for _, q := range []engine.PartsQuery{{}, {Lang: "de", Offset: 1, Limit: 3, IncludeUniversal: true}} {
				items, _, _ := view.Parts(vid, q)
				buf, _, err = view.AppendParts(buf[:0], vid, q)
				if want := marshal(t, items); err != nil || string(buf) != string(want) {
					fail("tenant %d: AppendParts(%v, %+v): got %s (%v), want %s", ti, v, q, buf, err, want)
				}
			}
			// Paging returns the same sequence in slices.
			if len(want) > 2 {
				page, total, _ := view.Parts(vid, engine.PartsQuery{Offset: 1, Limit: 2})
				if total != len(want) || len(page) != 2 || page[0].PartNumber != want[1] || page[1].PartNumber != want[2] {
					fail("tenant %d: Parts(%v, offset 1, limit 2): got %v", ti, v, page)
				}
			}
		}
		for _, p := range ck.parts {
			d, err := view.Part(strings.ToLower(p.number), "")
			if vis := m.visible(rt, p.number); vis != (err == nil) {
				fail("tenant %d: Part(%s): visible=%v, err=%v", ti, p.number, vis, err)
			}
			if err == nil {
				o, ok := rt.offer(p.number)
				if !ok {
					o = refOffer{-1, -1}
				}
				if !reflect.DeepEqual(d.Price, money(o.price)) || !reflect.DeepEqual(d.Stock, count(o.stock)) {
					fail("tenant %d: Part(%s): price %v stock %v, want %v", ti, p.number, d.Price, d.Stock, o)
				}
			}
		}
		// Aliases resolve to their part when the tenant sees it, and answer with its number.
		for key, a := range rt.aliases {
			d, err := view.Part(strings.ToUpper(key), "")
			vis := m.visible(rt, a.target)
			if vis != (err == nil) || err == nil && d.PartNumber != a.target {
				fail("tenant %d: Part(alias %s → %s): visible=%v, got %v %v", ti, a.alias, a.target, vis, d, err)
			}
		}
		var wantAliases []engine.Alias
		for _, a := range rt.aliases {
			wantAliases = append(wantAliases, engine.Alias{Alias: a.alias, PartNumber: a.target, Source: a.source})
		}
		sort.Slice(wantAliases, func(i, j int) bool { return snapshot.Key(wantAliases[i].Alias) < snapshot.Key(wantAliases[j].Alias) })
		if got := pageAliases(view, 2); !(len(got) == 0 && len(wantAliases) == 0) && !reflect.DeepEqual(got, wantAliases) {
			fail("tenant %d: Aliases(): got %v, want %v", ti, got, wantAliases)
		}
		if got, want := pageItems(t, view, ck.itemsPage), m.items(rt); !(len(got) == 0 && len(want) == 0) && !reflect.DeepEqual(got, want) {
			fail("tenant %d: Items(): got %d items %v,\nwant %d %v", ti, len(got), got, len(want), want)
		}
		var gotCats []string
		for _, c := range view.Categories() {
			gotCats = append(gotCats, c.Path)
		}
		if want := m.categories(rt); !reflect.DeepEqual(gotCats, want) {
			fail("tenant %d: Categories(): got %v, want %v", ti, gotCats, want)
		}
		// Universal parts follow the fitting ones when asked for, and count in the total.
		if len(m.vehicles) > 0 {
			v := m.vehicles[0]
			want := append(m.visibleParts(rt, v), m.visibleUniversal(rt)...)
			items, total, _ := view.Parts(snapshot.VehicleID(v.make, v.model, v.submodel, v.year), engine.PartsQuery{IncludeUniversal: true})
			var got []string
			for _, it := range items {
				got = append(got, it.PartNumber)
			}
			if !slices.Equal(got, want) || total != len(want) {
				fail("tenant %d: Parts(%v, includeUniversal): got %v (total %d), want %v", ti, v, got, total, want)
			}
			if len(want) > 1 {
				page, _, _ := view.Parts(snapshot.VehicleID(v.make, v.model, v.submodel, v.year), engine.PartsQuery{IncludeUniversal: true, Offset: len(want) - 1, Limit: 5})
				if len(page) != 1 || page[0].PartNumber != want[len(want)-1] {
					fail("tenant %d: Parts(%v, includeUniversal, last page): got %v, want [%s]", ti, v, page, want[len(want)-1])
				}
			}
		}
	}
}

func compareCascade(t *testing.T, fail func(string, ...any), view *engine.View, m *model, rt *refTenant, ti int, years []int, makes map[string]bool) {
	t.Helper()
	for _, typ := range append([]string{""}, refTypes...) {
		f := engine.Filter{Type: typ}
		if got, want := view.Years(f), m.years(rt, f); !reflect.DeepEqual(got, want) {
			fail("tenant %d: Years(%+v): got %v, want %v", ti, f, got, want)
		}
		for _, y := range append(years, 0) {
			f := engine.Filter{Year: y, Type: typ}
			if got, want := view.Makes(f), m.makes(rt, f); !reflect.DeepEqual(got, want) {
				fail("tenant %d: Makes(%+v): got %v, want %v", ti, f, got, want)
			}
			if got, want := view.Models(f), m.models(rt, f); !reflect.DeepEqual(got, want) {
				fail("tenant %d: Models(%+v): got %v, want %v", ti, f, got, want)
			}
			for mk := range makes {
				f := engine.Filter{Year: y, Type: typ, MakeID: snapshot.MakeID(mk)}
				if got, want := view.Models(f), m.models(rt, f); !reflect.DeepEqual(got, want) {
					fail("tenant %d: Models(%+v): got %v, want %v", ti, f, got, want)
				}
			}
		}
	}
	// counts=true: the parts that fit at least one vehicle of each year, make and model.
	for _, typ := range []string{"", "atv"} {
		f := engine.Filter{Type: typ}
		var want []engine.YearCount
		for _, y := range m.years(rt, f) {
			want = append(want, engine.YearCount{Year: y, Parts: m.countParts(rt, func(v refVehicle) bool { return v.year == y && (typ == "" || v.typ == typ) })})
		}
		if got := view.YearCounts(f); !(len(got) == 0 && len(want) == 0) && !reflect.DeepEqual(got, want) {
			fail("tenant %d: YearCounts(%+v): got %v, want %v", ti, f, got, want)
		}
		for _, y := range append(years[:1:1], 0) {
			f := engine.Filter{Year: y, Type: typ}
			var wantMakes []engine.MakeCount
			for _, mk := range m.makes(rt, f) {
				wantMakes = append(wantMakes, engine.MakeCount{MakeRef: mk, Parts: m.countParts(rt, func(v refVehicle) bool {
					return v.makeID == mk.ID && (y == 0 || v.year == y) && (typ == "" || v.typ == typ)
				})})
			}
			if got := view.MakeCounts(f); !(len(got) == 0 && len(wantMakes) == 0) && !reflect.DeepEqual(got, wantMakes) {
				fail("tenant %d: MakeCounts(%+v): got %v, want %v", ti, f, got, wantMakes)
			}
			var wantModels []engine.ModelCount
			for _, md := range m.models(rt, f) {
				wantModels = append(wantModels, engine.ModelCount{ModelRef: md, Parts: m.countParts(rt, func(v refVehicle) bool {
					return v.modelID == md.ID && (y == 0 || v.year == y)
				})})
			}
			if got := view.ModelCounts(f); !(len(got) == 0 && len(wantModels) == 0) && !reflect.DeepEqual(got, wantModels) {
				fail("tenant %d: ModelCounts(%+v): got %v, want %v", ti, f, got, wantModels)
			}
		}
	}
}

// pageItems lists every item, limit at a time, following the cursor.
func pageItems(t *testing.T, v *engine.View, limit int) []engine.Item {
	var out []engine.Item
	after := ""
	for {
		page, more, err := v.Items(engine.ItemQuery{After: after, Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page...)
		if !more {
			return out
		}
		after = page[len(page)-1].PartNumber
	}
}

func pageAliases(v *engine.View, limit int) []engine.Alias {
	var out []engine.Alias
	after := ""
	for {
		page, more := v.Aliases(engine.AliasQuery{After: after, Limit: limit})
		out = append(out, page...)
		if !more {
			return out
		}
		after = page[len(page)-1].Alias
	}
}

func marshal(t *testing.T, v any) []byte {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return []byte(strings.TrimSuffix(b.String(), "\n"))
}

func sameFitments(a, b []engine.Fitment) bool {
	return fitString(a) == fitString(b)
}

// fitString renders fitments order-independently.
func fitString(fs []engine.Fitment) string {
	var ss []string
	for _, f := range fs {
		s := "{"
		if f.Position != nil {
			s += "pos=" + *f.Position
		}
		if f.Qty != nil {
			s += fmt.Sprintf(" qty=%d", *f.Qty)
		}
		if f.Notes != nil {
			s += " notes=" + *f.Notes
		}
		ss = append(ss, s+"}")
	}
	sort.Strings(ss)
	return strings.Join(ss, ",")
}

// exportState is what a checkpoint would keep of a tenant: its whole state, by id.
func exportState(v *engine.View) engine.TenantState { return v.State() }

// changeAndCompare applies random changes to random tenants, checking every outcome and the
// answers after each.
func changeAndCompare(t *testing.T, r *rand.Rand, label string, e *engine.Engine, m *model, tenants []*refTenant, steps int, ck checks) {
	rows := 6
	if !ck.cascade {
		rows = 3000 // a large catalog: feeds of thousands of rows
	}
	for step := 0; step < steps; step++ {
		i := r.IntN(len(tenants))
		ch, want := tenants[i].randomChange(r, m, rows)
		got, err := e.Update(fmt.Sprintf("t%d", i), ch, nil)
		if err != nil {
			t.Fatalf("%s: Update: %v", label, err)
		}
		if !sameOutcome(got, want) {
			t.Fatalf("%s change %d: Update(%+v):\n got %+v\nwant %+v", label, step, ch, got, want)
		}
		compare(t, fmt.Sprintf("%s after change %d", label, step), e, m, tenants, ck)
	}
}

func sameOutcome(a, b engine.Outcome) bool {
	norm := func(o *engine.Outcome) {
		for _, s := range []*[]int{&o.NotFound, &o.AliasNotFound, &o.AliasIsPart, &o.DeleteMissing} {
			if len(*s) == 0 {
				*s = nil
			}
		}
	}
	norm(&a)
	norm(&b)
	return reflect.DeepEqual(a, b)
}

var seedFlag = flag.Uint64("seed", 0, "seed for the randomised reference tests (0: from the clock)")

func testSeed(t *testing.T, name string) uint64 {
	seed := uint64(time.Now().UnixNano())
	if *seedFlag != 0 {
		seed = *seedFlag
	}
	t.Logf("seed %d (rerun with: go test ./engine -run %s -seed=%d)", seed, name, seed)
	return seed
}

func TestEngineMatchesReferenceModel(t *testing.T) {
	seed := testSeed(t, "TestEngineMatchesReferenceModel")
	rounds := 40
	if testing.Short() {
		rounds = 10
	}
	for round := 0; round < rounds; round++ {
		r := rand.New(rand.NewPCG(seed, uint64(round)))
		c := randomCatalog(r)
		dir := t.TempDir()
		c.write(t, r, dir)
		cat, _, err := ingest.Build(dir, ingest.Options{})
		if err != nil {
			t.Fatalf("round %d: build: %v", round, err)
		}
		m := newModel(c)
		ck := allChecks(m)
		tenants := make([]*refTenant, 1+r.IntN(4))
		e := engine.New()
		for i := range tenants {
			tenants[i] = randomTenant(r, c)
			e.Restore(fmt.Sprintf("t%d", i), tenants[i].state(m))
		}
		e.Load(cat, "v1")
		label := fmt.Sprintf("round %d (seed %d)", round, seed)
		compare(t, label+" in memory", e, m, tenants, ck)

		// Incremental changes show in the next view, with the outcome of every row.
		changeAndCompare(t, r, label, e, m, tenants, 6, ck)

		// The same answers after a snapshot write and load, with tenants rebased.
		path := filepath.Join(dir, "catalog.snap")
		if _, err := snapshot.Write(path, cat); err != nil {
			t.Fatalf("%s: Write: %v", label, err)
		}
		loaded, _, err := snapshot.Open(path)
		if err != nil {
			t.Fatalf("%s: Open: %v", label, err)
		}
		e.Load(loaded, "v2")
		compare(t, label+" after snapshot round trip", e, m, tenants, ck)

		// A fresh engine given each tenant's exported state (as a checkpoint keeps it, by
		// id) agrees too, and so does one given the states by part number.
		e2, e3 := engine.New(), engine.New()
		e2.Load(loaded, "v2")
		for i, rt := range tenants {
			v, _ := e.View(fmt.Sprintf("t%d", i))
			e2.Restore(fmt.Sprintf("t%d", i), exportState(v))
			e3.Restore(fmt.Sprintf("t%d", i), rt.state(m))
		}
		e3.Load(loaded, "v3")
		compare(t, label+" restored by id", e2, m, tenants, ck)
		compare(t, label+" restored by number", e3, m, tenants, ck)
	}
}

// bigCatalog has more parts and more vehicles than one roaring container holds (65,536), so
// ids on both sides of the boundary are exercised: 16 makes × 40 models × 12 years with up
// to 12 submodels each (about 75,000 vehicles), 70,000 parts, 60,000 fitment rows.
func bigCatalog(r *rand.Rand) *refCatalog {
	c := &refCatalog{}
	type modelSubs struct {
		make, model string
		subs        []string
	}
	var models []modelSubs
	for mk := 0; mk < 16; mk++ {
		mkName := fmt.Sprintf("Make %02d", mk)
		typ := refTypes[mk%len(refTypes)]
		for md := 0; md < 40; md++ {
			ms := modelSubs{make: mkName, model: fmt.Sprintf("Model %03d", md)}
			for s := 0; s < 12; s++ {
				if s < 6 || r.IntN(2) == 0 {
					ms.subs = append(ms.subs, fmt.Sprintf("S%02d", s))
				}
			}
			models = append(models, ms)
			for y := 2000; y < 2012; y++ {
				for _, sub := range ms.subs {
					c.vehicles = append(c.vehicles, refVehicle{typ: typ, make: mkName, model: ms.model, submodel: sub, year: y})
				}
			}
		}
	}
	prefixes := []string{"BP", "OF", "CH", "XR", "ZZ"}
	for i := 0; i < 70000; i++ {
		b := i * len(refBrands) / 70000 // a brand's parts are contiguous, as real part numbers are
		c.parts = append(c.parts, refPart{
			number: fmt.Sprintf("%s-%06d", prefixes[b], i), brand: refBrands[b],
			category: refCats[r.IntN(len(refCats))], universal: r.IntN(100) == 0,
			nameStyle: r.IntN(len(refNames)), translated: r.IntN(2) == 0,
		})
	}
	for len(c.fitments) < 60000 {
		p := c.parts[r.IntN(len(c.parts))]
		if p.universal {
			continue
		}
		ms := models[r.IntN(len(models))]
		sub := ""
		if r.IntN(3) > 0 {
			sub = ms.subs[r.IntN(len(ms.subs))]
		}
		y0 := 2000 + r.IntN(12)
		var years []int
		for y := y0; y < min(2012, y0+1+r.IntN(3)); y++ {
			years = append(years, y)
		}
		f := refFitment{part: p.number, make: ms.make, model: ms.model, submodel: sub, years: years,
			position: refPos[r.IntN(len(refPos))], notes: refNotes[r.IntN(len(refNotes))]}
		if r.IntN(4) == 0 {
			f.qty = 1 + r.IntN(4)
		}
		c.fitments = append(c.fitments, f)
	}
	return c
}

// TestEngineMatchesReferenceModelLarge runs the model check on bigCatalog, with tenants
// holding thousands of offers and feeds of thousands of rows, sampling the questions.
func TestEngineMatchesReferenceModelLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a catalog of 75,000 vehicles and 70,000 parts")
	}
	seed := testSeed(t, "TestEngineMatchesReferenceModelLarge")
	r := rand.New(rand.NewPCG(seed, 1))
	c := bigCatalog(r)
	dir := t.TempDir()
	c.write(t, r, dir)
	cat, _, err := ingest.Build(dir, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Parts) <= 1<<16 || len(cat.Vehicles) <= 1<<16 {
		t.Fatalf("catalog of %d parts and %d vehicles does not cross the container boundary", len(cat.Parts), len(cat.Vehicles))
	}
	m := newModel(c)
	ck := checks{itemsPage: 700}
	for _, i := range r.Perm(len(m.vehicles))[:150] {
		ck.vehicles = append(ck.vehicles, m.vehicles[i])
	}
	ck.vehicles = append(ck.vehicles, m.vehicles[len(m.vehicles)-1])
	for _, i := range r.Perm(len(c.parts))[:300] {
		ck.parts = append(ck.parts, c.parts[i])
	}
	ck.parts = append(ck.parts, c.parts[len(c.parts)-50:]...)
	tenants := make([]*refTenant, 3)
	e := engine.New()
	e.Load(cat, "v1")
	for i := range tenants {
		tenants[i] = scaledTenant(r, c, 1500)
		e.Restore(fmt.Sprintf("t%d", i), tenants[i].state(m))
	}
	label := fmt.Sprintf("large (seed %d)", seed)
	compare(t, label, e, m, tenants, ck)
	for i, rt := range tenants {
		v, _ := e.View(fmt.Sprintf("t%d", i))
		ref := newSuggestRef(cat, m, rt)
		for _, q := range suggestQueries(r, cat, 15) {
			checkSuggest(t, fmt.Sprintf("%s tenant %d q=%q", label, i, q), v, ref, q, "de", 10)
		}
	}
	changeAndCompare(t, r, label, e, m, tenants, 8, ck)

	e2 := engine.New()
	e2.Load(cat, "v1")
	for i := range tenants {
		v, _ := e.View(fmt.Sprintf("t%d", i))
		e2.Restore(fmt.Sprintf("t%d", i), exportState(v))
	}
	compare(t, label+" restored by id", e2, m, tenants, ck)
}
