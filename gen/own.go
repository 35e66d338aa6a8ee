package gen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Own parts and vehicles: the proprietary SKUs and vehicles some tenants add to what the
// central catalog gives them (about 15% of the STANDARD, RETAIL, RESELLER, HYBRID and
// DISTRIBUTOR tenants of small and eu; on tiny, demo-alpine-moto).
//
// own/<tenant-id>-vehicles.csv has the columns of vehicles.csv (type, make, model,
// submodel, years, engine_cc, generation): a new submodel of a catalog model (in years the
// model has), a new model of a catalog make, and sometimes a make the catalog lacks. None
// of its vehicles is a catalog vehicle. The file can be posted as it is (text/csv) to POST
// /api/app/tenant-vehicles.
//
// own/<tenant-id>-parts.ndjson holds one part a line, in the format of POST
// /api/app/tenant-parts (application/x-ndjson): partNumber (<CODE>-H<digits>, never a
// catalog part number), brand (the tenant's house brand), name, category (one the catalog's
// parts use), description, ean (in-store prefix 2), weightKg, countryOfOrigin, imageUrls,
// nameXx translations, and fitments by natural key ({"make", "model", "submodel", "years",
// "position", "qty", "notes"}) to the tenant's own vehicles and to catalog vehicles in
// years the catalog has. Load the vehicles first: fitments to them need them.
//
// Most own parts are priced, most of those with a tracked stock: they are the last rows of
// the tenant's offers feed (Tenant.OwnPricedItems of them), so load the own parts before
// the offers. Both files are always plain (uncompressed), whatever Options.Compress says.

// ownDir is the directory of the own parts and vehicles, relative to the catalog directory.
const ownDir = "own"

const (
	streamOwn       = 0x6f77_6e70 // xor tenant index << 32
	streamOwnOffers = 0x6f77_6f66 // xor tenant index << 32
)

// ownSet is what one tenant owns, kept for its offers feed.
type ownSet struct {
	parts []ownPart
}

type ownPart struct {
	number string
	kind   int
	priced bool
	base   float64 // EUR list price
	stock  int     // -1: not tracked
}

type ownVehicleRow struct {
	typ, make, model, sub string
	years                 []int
	cc                    int
}

// ownPartJSON is a line of the parts file; its field names are the API's.
type ownPartJSON struct {
	PartNumber      string       `json:"partNumber"`
	Brand           string       `json:"brand"`
	Name            string       `json:"name"`
	Category        string       `json:"category"`
	Description     string       `json:"description,omitempty"`
	EAN             string       `json:"ean,omitempty"`
	WeightKg        float64      `json:"weightKg,omitempty"`
	CountryOfOrigin string       `json:"countryOfOrigin,omitempty"`
	ImageURLs       []string     `json:"imageUrls,omitempty"`
	Universal       bool         `json:"universal,omitempty"`
	NameDe          string       `json:"nameDe,omitempty"`
	NameFr          string       `json:"nameFr,omitempty"`
	NameSv          string       `json:"nameSv,omitempty"`
	NameFi          string       `json:"nameFi,omitempty"`
	NameNl          string       `json:"nameNl,omitempty"`
	NameIt          string       `json:"nameIt,omitempty"`
	NameEs          string       `json:"nameEs,omitempty"`
	Fitments        []ownFitJSON `json:"fitments"`
}

type ownFitJSON struct {
	Make     string `json:"make"`
	Model    string `json:"model"`
	Submodel string `json:"submodel"`
	Years    string `json:"years"`
	Position string `json:"position,omitempty"`
	Qty      int    `json:"qty,omitempty"`
	Notes    string `json:"notes,omitempty"`
}

// Names of own vehicles.
var (
	ownTrims      = []string{"Nordic Edition", "Arctic Pack", "Winter Edition", "Alpine Edition", "Rally Kit", "Forest Pack", "Farm Edition", "Rental", "Tour Pack", "Dealer Special", "Track Pack", "Hunter Pack"}
	ownModelWords = []string{"Taiga", "Fjord", "Tundra", "Polar", "Ridge", "Glacier", "Timber", "Boreal", "Kodiak", "Nordkap", "Alpina", "Sarek"}
	// absentMakes are real makes the embedded vPIC extract does not have; a tenant
	// importing them adds them itself.
	absentMakes = []struct {
		make, typ string
		models    []string
		cc        int
	}{
		{"Lynx", Snowmobile, []string{"Rave RE 600R", "Commander 900 ACE", "Xtrim 850", "Adventure 600 EFI"}, 850},
		{"TGB", ATV, []string{"Blade 600", "Target 550", "Blade 1000 LTX"}, 600},
		{"Aeon", ATV, []string{"Crossland 400", "Cobra 400"}, 400},
		{"Goes", ATV, []string{"Iron 450", "Cobalt 550"}, 450},
		{"Access Motor", ATV, []string{"Shade Xtreme 850", "Max 650"}, 850},
	}
)

// ownFraction is the share of eligible tenants with own parts and vehicles (not on tiny).
const ownFraction = 0.15

func ownEligible(typ string) bool {
	switch typ {
	case TypeStandard, TypeRetail, TypeReseller, TypeHybrid, TypeDistributor:
		return true
	}
	return false
}

// makeOwn draws the own vehicles and parts, writes their files and fills in the tenants'
// fields. usedKinds are the kinds catalog parts have (so their categories exist).
func makeOwn(u *universe, brands []brand, usedKinds []int, tenants []Tenant, seed uint64, dir string, st *Stats) ([]*ownSet, error) {
	demo := len(tenants) <= 3
	sets := make([]*ownSet, len(tenants))
	rngs := make([]*rand.Rand, len(tenants))
	chosen := []int{}
	for i := range tenants {
		rngs[i] = newRand(seed, streamOwn^uint64(i)<<32)
		pick := rngs[i].Float64() < ownFraction && ownEligible(tenants[i].Type)
		if demo {
			pick = tenants[i].ID == "demo-alpine-moto"
		}
		if pick {
			chosen = append(chosen, i)
		}
	}
	if len(chosen) == 0 {
		for i := range tenants {
			if ownEligible(tenants[i].Type) {
				chosen = append(chosen, i)
				break
			}
		}
	}
	if len(chosen) == 0 {
		return sets, nil
	}
	if err := os.MkdirAll(filepath.Join(dir, ownDir), 0o755); err != nil {
		return nil, err
	}
	w := newOwnWorld(u, brands, usedKinds)
	for _, i := range chosen {
		t := &tenants[i]
		rng := rngs[i]
		rows := w.vehicles(demo, rng)
		nv, err := writeOwnVehicles(dir, t, rows)
		if err != nil {
			return nil, err
		}
		set, lines := w.parts(t, demo, rows, rng)
		if err := writeFileAtomic(filepath.Join(dir, ownDir, t.ID+"-parts.ndjson"), lines); err != nil {
			return nil, err
		}
		t.OwnVehicles = path.Join(ownDir, t.ID+"-vehicles.csv")
		t.OwnVehicleCount = nv
		t.OwnParts = path.Join(ownDir, t.ID+"-parts.ndjson")
		t.OwnPartCount = len(set.parts)
		sets[i] = set
		st.OwnTenants++
		st.OwnParts += len(set.parts)
		st.OwnVehicles += nv
	}
	return sets, nil
}

// ownWorld is what own data is drawn from: the catalog's models, by type, and names.
type ownWorld struct {
	u           *universe
	byType      [4][]int        // model indexes of each vehicle type
	modelKeys   map[string]bool // lower(make/model)
	makeKeys    map[string]bool // lower(make)
	brandKeys   map[string]bool // lower(brand name)
	usedKinds   []int
	idx         *partIndex
	absentMakes []int // indexes into absentMakes of makes the catalog does lack
}

func newOwnWorld(u *universe, brands []brand, usedKinds []int) *ownWorld {
	w := &ownWorld{u: u, modelKeys: map[string]bool{}, makeKeys: map[string]bool{}, brandKeys: map[string]bool{},
		usedKinds: usedKinds, idx: newPartIndex(brands)}
	for mi, m := range u.models {
		w.byType[typeIndex(m.typ)] = append(w.byType[typeIndex(m.typ)], mi)
		w.modelKeys[strings.ToLower(m.make+"/"+m.name)] = true
		w.makeKeys[strings.ToLower(m.make)] = true
	}
	for i := range brands {
		w.brandKeys[strings.ToLower(brands[i].name)] = true
	}
	for i, a := range absentMakes {
		if !w.makeKeys[strings.ToLower(a.make)] {
			w.absentMakes = append(w.absentMakes, i)
		}
	}
	return w
}

// yearWindow is a run of 1..maxLen consecutive entries of years.
func yearWindow(years []int, maxLen int, rng *rand.Rand) []int {
	n := min(len(years), 1+rng.IntN(maxLen))
	start := rng.IntN(len(years) - n + 1)
	return years[start : start+n]
}

// vehicles draws a tenant's own vehicle rows: 3-7 (3 on tiny: one of each kind).
func (w *ownWorld) vehicles(demo bool, rng *rand.Rand) []ownVehicleRow {
	n := 3 + rng.IntN(5)
	if demo {
		n = 3
	}
	var rows []ownVehicleRow
	have := map[string]bool{} // lower(make/model/sub) of rows made
	absentUsed := false
	for tries := 0; len(rows) < n && tries < 1000; tries++ {
		kind := len(rows) // 0: new submodel, 1: new model, then any
		if kind > 2 || (kind == 2 && !demo) {
			kind = []int{0, 0, 0, 1, 1, 2}[rng.IntN(6)]
		}
		if kind == 2 && (absentUsed || len(w.absentMakes) == 0) {
			kind = 1
		}
		var r ownVehicleRow
		switch kind {
		case 0: // a trim the catalog's model lacks
			m := w.u.models[rng.IntN(len(w.u.models))]
			sub := ownTrims[rng.IntN(len(ownTrims))]
			if slices.ContainsFunc(m.subs, func(s submodel) bool { return strings.EqualFold(s.name, sub) }) {
				continue
			}
			r = ownVehicleRow{typ: m.typ, make: m.make, model: m.name, sub: sub, years: yearWindow(m.years, 8, rng), cc: m.cc}
		case 1: // a model of a catalog make the catalog lacks
			m := w.u.models[rng.IntN(len(w.u.models))]
			cc := typicalCC(m.typ, rng)
			name := ownModelWords[rng.IntN(len(ownModelWords))] + " " + strconv.Itoa(cc)
			if w.modelKeys[strings.ToLower(m.make+"/"+name)] {
				continue
			}
			end := 2022 + rng.IntN(4)
			r = ownVehicleRow{typ: m.typ, make: m.make, model: name, years: yearRange(end-2-rng.IntN(6), end), cc: cc}
			if rng.IntN(5) < 2 {
				words := trimWords[m.typ]
				r.sub = words[rng.IntN(len(words))]
			}
		default: // a make the catalog lacks
			a := absentMakes[w.absentMakes[rng.IntN(len(w.absentMakes))]]
			end := 2021 + rng.IntN(5)
			r = ownVehicleRow{typ: a.typ, make: a.make, model: a.models[rng.IntN(len(a.models))], years: yearRange(end-2-rng.IntN(6), end), cc: a.cc}
			absentUsed = true
		}
		key := strings.ToLower(r.make + "/" + r.model + "/" + r.sub)
		if have[key] {
			continue
		}
		have[key] = true
		rows = append(rows, r)
	}
	return rows
}

func yearRange(lo, hi int) []int {
	var out []int
	for y := lo; y <= hi; y++ {
		out = append(out, y)
	}
	return out
}

// writeOwnVehicles writes own/<id>-vehicles.csv and returns its expanded vehicle count.
func writeOwnVehicles(dir string, t *Tenant, rows []ownVehicleRow) (int, error) {
	o, err := createCSV(dir, path.Join(ownDir, t.ID+"-vehicles"), CompressNone)
	if err != nil {
		return 0, err
	}
	o.fields("type", "make", "model", "submodel", "years", "engine_cc", "generation")
	o.endRow()
	n := 0
	for _, r := range rows {
		o.fields(r.typ, r.make, r.model, r.sub, formatYears(r.years))
		o.intField(r.cc)
		o.field("")
		o.endRow()
		n += len(r.years)
	}
	return n, o.Close()
}

// tenantCode is the upper-case initials of a tenant's name (2-4 letters), the prefix of its
// own part numbers.
func tenantCode(name string) string {
	var b []byte
	for _, word := range strings.Fields(shortName(name)) {
		s := strings.ToUpper(brandSlug(word))
		if s != "" && s[0] >= 'A' && s[0] <= 'Z' {
			b = append(b, s[0])
		}
	}
	for len(b) < 2 {
		b = append(b, 'X')
	}
	return string(b[:min(4, len(b))])
}

// parts draws a tenant's own parts and returns them with the lines of their file.
func (w *ownWorld) parts(t *Tenant, demo bool, vehicles []ownVehicleRow, rng *rand.Rand) (*ownSet, []byte) {
	n := 100 + int(400*math.Pow(rng.Float64(), 2))
	if demo {
		n = 8
	}
	code := tenantCode(t.Name)
	brandName := shortName(t.Name)
	if w.brandKeys[strings.ToLower(brandName)] {
		brandName += " House"
	}
	langs := []string{t.Language}
	for _, l := range rng.Perm(len(languages) - 1)[:2] {
		langs = append(langs, languages[1+l])
	}
	step := 1 + rng.IntN(3)
	number := 1000 + rng.IntN(9)*1000
	set := &ownSet{}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for j := range n {
		ki := w.usedKinds[rng.IntN(len(w.usedKinds))]
		kind := &kinds[ki]
		pn := code + "-H" + strconv.Itoa(number+j*step)
		if _, _, isCatalog := w.idx.lookup(pn); isCatalog {
			panic("gen: own part number " + pn + " is a catalog part number") // cannot be: H is no digit
		}
		variant := kind.variants[rng.IntN(len(kind.variants))]
		name := func(l int) string {
			if variant == "" {
				return kind.names[l]
			}
			return kind.names[l] + " " + variant
		}
		p := ownPartJSON{PartNumber: pn, Brand: brandName, Name: name(0), Category: kind.category,
			CountryOfOrigin: t.Country, Fitments: []ownFitJSON{}}
		if rng.IntN(10) < 7 {
			p.Description = descSentences[0][rng.IntN(3)]
			if rng.IntN(2) == 0 {
				p.Description = "<p><strong>" + p.Name + " – " + brandName + "</strong></p><p>" + p.Description + "</p>"
			}
		}
		if rng.IntN(10) < 8 {
			p.EAN = inStoreEAN(rng)
		}
		if rng.IntN(10) < 9 {
			p.WeightKg = math.Round((kind.weight[0]+rng.Float64()*(kind.weight[1]-kind.weight[0]))*100) / 100
		}
		if rng.IntN(10) < 7 {
			p.ImageURLs = []string{"https://img.example.com/" + t.ID + "/" + strings.ToLower(pn) + "-1.jpg"}
		}
		for _, l := range langs {
			li := slices.Index(languages[:], l)
			if li <= 0 {
				continue
			}
			*[]*string{&p.NameDe, &p.NameFr, &p.NameSv, &p.NameFi, &p.NameNl, &p.NameIt, &p.NameEs}[li-1] = name(li)
		}
		if kind.universal && rng.IntN(10) == 0 {
			p.Universal = true
		} else {
			p.Fitments = w.fitments(kind, vehicles, rng)
		}
		op := ownPart{number: pn, kind: ki, stock: -1}
		if rng.IntN(100) < 75 {
			op.priced = true
			r, ok := categoryPrice[kind.category]
			if !ok {
				r = defaultPrice
			}
			u := rng.Float64()
			op.base = r[0] * math.Pow(r[1]/r[0], u*u)
			if rng.IntN(100) < 85 {
				op.stock = stockLevel(rng)
			}
		}
		set.parts = append(set.parts, op)
		if err := enc.Encode(&p); err != nil {
			panic(err) // plain strings and numbers: cannot fail
		}
	}
	return set, buf.Bytes()
}

// fitments of an own part: sometimes to one of the tenant's own vehicles, and to 1-8
// catalog models (the wildcard or one submodel) in years the catalog has for them.
func (w *ownWorld) fitments(kind *partKind, vehicles []ownVehicleRow, rng *rand.Rand) []ownFitJSON {
	pos := ""
	if len(kind.positions) > 0 && rng.IntN(10) < 7 {
		pos = kind.positions[rng.IntN(len(kind.positions))]
	}
	qty := 0
	if len(kind.qty) > 0 && rng.IntN(10) < 3 {
		qty = kind.qty[rng.IntN(len(kind.qty))]
	}
	var out []ownFitJSON
	var fits []int
	for i, v := range vehicles {
		if kind.mask&(1<<typeIndex(v.typ)) != 0 {
			fits = append(fits, i)
		}
	}
	if len(fits) > 0 && rng.IntN(2) == 0 {
		v := &vehicles[fits[rng.IntN(len(fits))]]
		out = append(out, ownFitJSON{Make: v.make, Model: v.model, Submodel: v.sub,
			Years: formatYears(yearWindow(v.years, len(v.years), rng)), Position: pos, Qty: qty})
	}
	var models []int
	for ti := range w.byType {
		if kind.mask&(1<<ti) != 0 {
			models = append(models, w.byType[ti]...)
		}
	}
	if len(models) == 0 {
		return out
	}
	n := min(8, 1+int(rng.ExpFloat64()*1.5))
	used := map[int]bool{}
	for tries := 0; len(used) < n && tries < 4*n; tries++ {
		mi := models[rng.IntN(len(models))]
		if used[mi] {
			continue
		}
		used[mi] = true
		m := w.u.models[mi]
		f := ownFitJSON{Make: m.make, Model: m.name, Position: pos, Qty: qty}
		years := m.years
		if len(m.subs) > 0 && rng.IntN(2) == 0 {
			s := &m.subs[rng.IntN(len(m.subs))]
			f.Submodel, years = s.name, s.years
		}
		f.Years = formatYears(yearWindow(years, 8, rng))
		if rng.IntN(100) < 5 {
			f.Notes = fitmentNotes[rng.IntN(len(fitmentNotes))]
		}
		out = append(out, f)
	}
	return out
}

// inStoreEAN is an EAN-13 of GS1's restricted-circulation range (prefix 2): a shop's own
// numbering.
func inStoreEAN(rng *rand.Rand) string {
	var d [13]byte
	d[0] = '2'
	for i := 1; i < 12; i++ {
		d[i] = byte('0' + rng.IntN(10))
	}
	sum := 0
	for i := range 12 {
		n := int(d[i] - '0')
		if i%2 == 1 {
			n *= 3
		}
		sum += n
	}
	d[12] = byte('0' + (10-sum%10)%10)
	return string(d[:])
}

// writeOwnOffers appends the tenant's priced own parts to its feed; stocked receives the
// own parts with a tracked stock, as -(index+1).
func writeOwnOffers(o *csvFile, set *ownSet, style int, factor float64, rng *rand.Rand, stocked *[]int32) (rows, withStock int) {
	var b []byte
	for j, p := range set.parts {
		if !p.priced {
			continue
		}
		o.field(p.number)
		b = appendCents(b[:0], shelfPrice(p.base*factor, style, rng))
		o.bytesField(b)
		if p.stock >= 0 {
			o.bytesField(appendInt(b[:0], p.stock))
			withStock++
			if stocked != nil {
				*stocked = append(*stocked, int32(-(j + 1)))
			}
		} else {
			o.field("null")
		}
		o.endRow()
		rows++
	}
	return rows, withStock
}

// writeFileAtomic writes a file under a temporary name and renames it.
func writeFileAtomic(name string, data []byte) error {
	if err := os.WriteFile(name+".tmp", data, 0o644); err != nil {
		return fmt.Errorf("gen: write %s: %w", name, err)
	}
	return os.Rename(name+".tmp", name)
}
