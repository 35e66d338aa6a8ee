package engine_test

import (
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/gen"
	"github.com/fitment/fitment/ingest"
	"github.com/fitment/fitment/snapshot"
)

// Vehicle recognition measured on a catalog of real vehicle names: gen's (makes and models
// from NHTSA vPIC, gen/data/, with their series as submodels and synthetic trims), 70,000
// vehicles so that vehicle ids cross roaring's 65,536 container boundary. The parts are the
// test's own: ALL-1 (brand ALL) fits the wildcard of every model-year, so a tenant
// subscribed to ALL sees every vehicle; brand SOME fits a third of the vehicle rows
// (submodels as listed), brand FEW a twentieth as wildcards, for partial visibility.

const accuracyVehicles = 70_000

type genCatalog struct {
	cat *snapshot.Catalog
}

var (
	genCatOnce sync.Once
	genCat     genCatalog
	genCatErr  error
)

func genVehicleCatalog(t testing.TB) genCatalog {
	t.Helper()
	genCatOnce.Do(func() {
		dir, err := os.MkdirTemp("", "resolve-catalog")
		if err != nil {
			genCatErr = err
			return
		}
		defer os.RemoveAll(dir) // the built catalog lives in memory
		p := gen.Profile{Name: "resolve", Vehicles: accuracyVehicles, Parts: 10, Brands: 1, Links: 10, Tenants: 1}
		if _, err := gen.Generate(p, 1, dir, gen.DefaultOptions()); err != nil {
			genCatErr = err
			return
		}
		raw, err := os.ReadFile(filepath.Join(dir, "vehicles.csv"))
		if err != nil {
			genCatErr = err
			return
		}
		rows, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
		if err != nil {
			genCatErr = err
			return
		}
		r := rand.New(rand.NewPCG(7, 7))
		var parts, fits strings.Builder
		parts.WriteString("part_number,brand,name\nALL-1,ALL,Grease\n")
		fits.WriteString("part_number,make,model,submodel,years\n")
		for i, row := range rows[1:] { // type,make,model,submodel,years,engine_cc,generation
			q := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
			fmt.Fprintf(&fits, "ALL-1,%s,%s,,%s\n", q(row[1]), q(row[2]), q(row[4]))
			if r.IntN(3) == 0 {
				fmt.Fprintf(&parts, "SOME-%d,SOME,Part\n", i)
				fmt.Fprintf(&fits, "SOME-%d,%s,%s,%s,%s\n", i, q(row[1]), q(row[2]), q(row[3]), q(row[4]))
			}
			if r.IntN(20) == 0 {
				fmt.Fprintf(&parts, "FEW-%d,FEW,Part\n", i)
				fmt.Fprintf(&fits, "FEW-%d,%s,%s,,%s\n", i, q(row[1]), q(row[2]), q(row[4]))
			}
		}
		for name, s := range map[string]string{"parts.csv": parts.String(), "fitments.csv": fits.String()} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
				genCatErr = err
				return
			}
		}
		cat, _, err := ingest.Build(dir, ingest.Options{})
		if err != nil {
			genCatErr = err
			return
		}
		genCat = genCatalog{cat: cat}
	})
	if genCatErr != nil {
		t.Fatal(genCatErr)
	}
	return genCat
}

// Query noise, as shoppers type.

// makeSpellings are ways shoppers write some makes.
var shopperMakes = map[string][]string{
	"Can-Am":          {"can am", "canam", "CAN-AM", "BRP"},
	"Ski-Doo":         {"skidoo", "ski doo", "SkiDoo"},
	"Harley-Davidson": {"harley", "Harley Davidson", "HD"},
	"Husqvarna":       {"husky"},
	"CFMOTO":          {"cf moto", "CFMoto"},
	"GasGas":          {"gas gas"},
	"Kawasaki":        {"kawi"},
	"MV Agusta":       {"mv agusta", "MV"},
	"Moto Guzzi":      {"guzzi"},
	"Royal Enfield":   {"enfield"},
	"Arctic Cat":      {"arcticcat"},
	"Indian":          {"Indian Motorcycle"},
}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }
func isDigit(b byte) bool  { return b >= '0' && b <= '9' }

// joinCodes drops the separators between letters and digits ("YFZ 450R" → "YFZ450R").
func joinCodes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if (s[i] == ' ' || s[i] == '-') && i > 0 && i+1 < len(s) &&
			(isLetter(s[i-1]) && isDigit(s[i+1]) || isDigit(s[i-1]) && isLetter(s[i+1])) {
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// splitCodes puts a space between letters and digits ("YFZ450R" → "YFZ 450 R").
func splitCodes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i > 0 && (isLetter(s[i-1]) && isDigit(s[i]) || isDigit(s[i-1]) && isLetter(s[i])) {
			b.WriteByte(' ')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// spell writes a name the way a shopper might, and adds what it did to tags.
func spell(r *rand.Rand, s string, tags map[string]bool) string {
	orig := s
	switch r.IntN(6) {
	case 0:
		if s = joinCodes(s); s != orig {
			tags["codes joined"] = true
		}
	case 1:
		if s = splitCodes(s); s != orig {
			tags["codes split"] = true
		}
	case 2:
		if s = strings.ReplaceAll(s, "-", ""); s != orig { // X-MR → XMR
			tags["letters joined"] = true
		}
	case 3:
		s = strings.ReplaceAll(s, "-", " ")
	}
	switch r.IntN(4) {
	case 0, 1:
		s = strings.ToLower(s)
	case 2:
		s = strings.ToUpper(s)
	}
	if r.IntN(6) == 0 { // an accent the name does not have
		for _, p := range [][2]string{{"e", "é"}, {"a", "á"}, {"o", "ö"}, {"u", "ü"}} {
			if i := strings.Index(s, p[0]); i >= 0 {
				s = s[:i] + p[1] + s[i+1:]
				tags["accent"] = true
				break
			}
		}
	}
	return s
}

// typo makes one edit in one word of at least six letters, if there is one.
func typo(r *rand.Rand, words []string) bool {
	var long []int
	for i, w := range words {
		if len(w) >= 6 && strings.IndexFunc(w, func(c rune) bool { return !unicode.IsLetter(c) || c > 127 }) < 0 {
			long = append(long, i)
		}
	}
	if len(long) == 0 {
		return false
	}
	k := long[r.IntN(len(long))]
	w := []byte(words[k])
	p := 1 + r.IntN(len(w)-2)
	c := byte('a' + r.IntN(26))
	switch r.IntN(4) {
	case 0:
		w = slices.Delete(w, p, p+1)
	case 1:
		w[p] = c
	case 2:
		w[p], w[p+1] = w[p+1], w[p]
	case 3:
		w = slices.Insert(w, p, c)
	}
	words[k] = string(w)
	return true
}

// noisyQuery writes a query for vehicle id of cat as a shopper might: the make maybe left
// out or aliased, codes joined or split, cases and accents changed, a two-digit year, the
// parts in another order, one typo. It returns the vehicle it names (id, or the newest
// model-year's when it leaves the year out).
func noisyQuery(r *rand.Rand, cat *snapshot.Catalog, id uint32, newest map[[2]string]uint32, tags map[string]bool) (string, uint32) {
	veh := &cat.Vehicles[id]
	md := &cat.Models[veh.Model]
	mk := cat.Makes[md.Make].Name
	var parts [][]string // make, model, submodel, year: each a few words
	if r.IntN(10) < 6 {
		name := mk
		if alts := shopperMakes[mk]; len(alts) > 0 && r.IntN(2) == 0 {
			name = alts[r.IntN(len(alts))]
			tags["make alias"] = true
		}
		parts = append(parts, strings.Fields(spell(r, name, tags)))
	} else {
		tags["no make"] = true
	}
	model := md.Name
	if open, end := strings.IndexByte(model, '('), strings.LastIndexByte(model, ')'); open > 0 && end > open && r.IntN(3) > 0 {
		if r.IntN(2) == 0 {
			model = model[open+1 : end]
		} else {
			model = model[:open] + model[end+1:]
		}
	}
	parts = append(parts, strings.Fields(spell(r, model, tags)))
	if veh.Submodel != "" {
		parts = append(parts, strings.Fields(spell(r, veh.Submodel, tags)))
	}
	switch {
	case r.IntN(10) == 0:
		if n, ok := newest[[2]string{md.ID, snapshot.Key(veh.Submodel)}]; ok {
			id = n // no year: the newest model-year's vehicle
			tags["no year"] = true
			break
		}
		fallthrough
	case r.IntN(3) == 0:
		parts = append(parts, []string{fmt.Sprintf("%02d", veh.Year%100)})
		tags["two-digit year"] = true
	default:
		parts = append(parts, []string{fmt.Sprint(veh.Year)})
	}
	if r.IntN(3) == 0 && len(parts) > 1 {
		order := slices.Clone(parts)
		r.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
		if !slices.EqualFunc(order, parts, slices.Equal) {
			tags["reordered"] = true
		}
	}
	var words []string
	for _, p := range parts {
		words = append(words, p...)
	}
	if r.IntN(4) == 0 && typo(r, words) {
		tags["typo"] = true
	}
	return strings.Join(words, " "), id
}

// newestOf maps (model id, submodel key) to the vehicle of the model's newest model-year, when
// that model-year has the submodel.
func newestOf(cat *snapshot.Catalog) map[[2]string]uint32 {
	out := map[[2]string]uint32{}
	newest := map[uint32]uint16{}
	for i := range cat.Vehicles {
		veh := &cat.Vehicles[i]
		newest[veh.Model] = max(newest[veh.Model], veh.Year)
	}
	for i := range cat.Vehicles {
		if veh := &cat.Vehicles[i]; veh.Year == newest[veh.Model] {
			out[[2]string{cat.Models[veh.Model].ID, snapshot.Key(veh.Submodel)}] = uint32(i)
		}
	}
	return out
}

// sameName reports whether a query naming want could not tell got from it: the same year,
// and model and submodel the same letters and digits ("YFZ450 R" and "YFZ450R"), or the same
// words in another order ("Duke 390" and "390 Duke").
func sameName(got engine.VehicleInfo, want engine.VehicleInfo) bool {
	if got.ID == want.ID {
		return true
	}
	if got.Year != want.Year {
		return false
	}
	words := func(v engine.VehicleInfo) []string {
		f := strings.FieldsFunc(strings.ToLower(v.Model+" "+v.Submodel), func(c rune) bool { return !unicode.IsLetter(c) && !unicode.IsDigit(c) })
		slices.Sort(f)
		return f
	}
	squash := func(v engine.VehicleInfo) string {
		return strings.Join(strings.FieldsFunc(strings.ToLower(v.Model+v.Submodel), func(c rune) bool { return !unicode.IsLetter(c) && !unicode.IsDigit(c) }), "")
	}
	return squash(got) == squash(want) || slices.Equal(words(got), words(want))
}

// accuracy resolves every query and counts the top-1 answers that name the wanted vehicle,
// in all and by the tags of each query; it reports each figure and fails any below 95 %
// (of a tag with at least 50 queries).
func accuracy(t *testing.T, v *engine.View, cat *snapshot.Catalog, what string, qs []string, want []uint32, tags []map[string]bool) {
	t.Helper()
	ok, shown := 0, 0
	byTag := map[string][2]int{} // tag → right, all
	for i, q := range qs {
		w := v.ResolveVehicles(q, 3)
		wantInfo, err := v.Vehicle(cat.Vehicles[want[i]].ID)
		if err != nil {
			t.Fatalf("%s: query %q for invisible vehicle %s", what, q, cat.Vehicles[want[i]].ID)
		}
		right := len(w) > 0 && sameName(w[0].VehicleInfo, wantInfo)
		for tag := range tags[i] {
			n := byTag[tag]
			n[1]++
			if right {
				n[0]++
			}
			byTag[tag] = n
		}
		if right {
			ok++
			continue
		}
		if shown < 10 {
			shown++
			var got []string
			for _, c := range w {
				got = append(got, fmt.Sprintf("%s (%.3f)", vehicleName(c.VehicleInfo), c.Score))
			}
			t.Logf("%s miss: %q → %s; want %s", what, q, strings.Join(got, "; "), vehicleName(wantInfo))
		}
	}
	check := func(name string, right, all int) {
		acc := float64(right) / float64(all)
		t.Logf("resolve top-1 accuracy, %s: %d of %d = %.1f %%", name, right, all, 100*acc)
		if acc < 0.95 {
			t.Errorf("top-1 accuracy, %s: %.1f %%, below 95 %%", name, 100*acc)
		}
	}
	check(what, ok, len(qs))
	var names []string
	for tag := range byTag {
		names = append(names, tag)
	}
	slices.Sort(names)
	for _, tag := range names {
		if n := byTag[tag]; n[1] >= 50 {
			check(what+", "+tag, n[0], n[1])
		}
	}
}

// TestResolveAccuracyGenerated: noisy queries for random vehicles of the generated catalog
// name them first at least 95 % of the time, in all and for each kind of noise.
func TestResolveAccuracyGenerated(t *testing.T) {
	gc := genVehicleCatalog(t)
	e := engine.New()
	e.Load(gc.cat, "v1")
	mustUpdate(t, e, "all", engine.Change{Subscribe: []string{"ALL"}})
	v, _ := e.View("all")
	r := rand.New(rand.NewPCG(11, 12))
	newest := newestOf(gc.cat)
	var qs []string
	var want []uint32
	var tags []map[string]bool
	n := 4000
	if raceOn {
		n = 1500
	}
	for len(qs) < n {
		tag := map[string]bool{}
		q, id := noisyQuery(r, gc.cat, uint32(r.IntN(len(gc.cat.Vehicles))), newest, tag)
		qs, want, tags = append(qs, q), append(want, id), append(tags, tag)
	}
	accuracy(t, v, gc.cat, "generated noisy queries", qs, want, tags)
}

// TestResolveAccuracyRealNames: the real vPIC rows behind the catalog (gen/data/), typed as
// vPIC spells them ("CAN-AM", "Indian Motorcycle", its series as the submodel), name their
// vehicle first at least 95 % of the time.
func TestResolveAccuracyRealNames(t *testing.T) {
	gc := genVehicleCatalog(t)
	e := engine.New()
	e.Load(gc.cat, "v1")
	mustUpdate(t, e, "all", engine.Change{Subscribe: []string{"ALL"}})
	v, _ := e.View("all")
	cat := gc.cat
	f, err := os.Open(filepath.Join("..", "gen", "data", "vpic_powersport.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	cr := csv.NewReader(zr)
	cr.Read() // make,model,series,trim,year_from,year_to,displacement_cc,body_class
	// The catalog's models by name (gen keeps a model name under one make), and its vehicles
	// by (model, submodel).
	models := map[string]uint32{}
	for i, md := range cat.Models {
		models[snapshot.Key(md.Name)] = uint32(i)
	}
	type msub struct {
		model uint32
		sub   string
	}
	vehicles := map[msub][]uint32{}
	for i := range cat.Vehicles {
		veh := &cat.Vehicles[i]
		k := msub{veh.Model, snapshot.Key(veh.Submodel)}
		vehicles[k] = append(vehicles[k], uint32(i))
	}
	r := rand.New(rand.NewPCG(13, 14))
	seen := map[string]bool{}
	var qs []string
	var want []uint32
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		mk, model, series := rec[0], strings.Join(strings.Fields(rec[1]), " "), strings.Join(strings.Fields(rec[2]), " ")
		m, ok := models[snapshot.Key(model)]
		if !ok || seen[mk+"|"+model+"|"+series] {
			continue
		}
		seen[mk+"|"+model+"|"+series] = true
		if raceOn && len(seen)%3 != 0 {
			continue
		}
		words := []string{}
		if r.IntN(10) < 7 {
			words = append(words, mk)
		}
		words = append(words, model)
		cands := vehicles[msub{m, snapshot.Key(series)}]
		if series != "" && len(cands) > 0 {
			words = append(words, series)
		} else {
			cands = vehicles[msub{m, ""}]
		}
		id := cands[r.IntN(len(cands))]
		year := fmt.Sprint(cat.Vehicles[id].Year)
		if r.IntN(10) < 3 {
			year = year[2:]
		}
		qs, want = append(qs, strings.Join(append(words, year), " ")), append(want, id)
	}
	if len(qs) < 1000 {
		t.Fatalf("only %d real vPIC rows name a catalog model", len(qs))
	}
	accuracy(t, v, cat, "real vPIC names", qs, want, make([]map[string]bool, len(qs)))
}

// Part queries in the languages of the catalog, as shoppers type them around a vehicle.
var partPhrases = []string{
	"brake pads", "bremsbeläge", "bremsbelaege", "plaquettes de frein", "bromsbelägg", "jarrupalat", "remblokken",
	"pastiglie freno", "pastillas de freno", "oil filter", "ölfilter", "filtre à huile", "oljefilter", "öljynsuodatin",
	"chain kit", "kettensatz", "kit chaîne", "kedjesats", "air filter", "luftfilter", "spark plug", "zündkerze",
	"clutch kit", "kupplung", "battery", "batterie", "piston kit", "kolben", "handlebar", "lenker", "exhaust",
	"auspuff", "windshield", "windschild", "skid plate", "unterfahrschutz", "winch", "seilwinde", "drive belt",
	"keilriemen", "wheel bearing", "radlager", "fork seals", "gabeldichtringe", "sprocket", "ritzel", "track", "carbides",
	"ski", "tie rod", "spurstange", "axle", "cv boot", "hand guards", "grips", "mirror", "cover", "chain 520",
	"oil 10w40", "spark plug cr8e", "tyre 120/70-17", "bulb h4", "sprocket 14t", "fuel pump", "starter", "stator",
}

// TestFindVehicleMixed: a part phrase before or after a noisy vehicle query: when a vehicle
// is found it is the one named (at least 98 %) and the rest is the phrase (at least 98 %),
// and most are found; a part phrase alone never names a vehicle.
func TestFindVehicleMixed(t *testing.T) {
	gc := genVehicleCatalog(t)
	e := engine.New()
	e.Load(gc.cat, "v1")
	mustUpdate(t, e, "all", engine.Change{Subscribe: []string{"ALL"}})
	v, _ := e.View("all")
	for _, p := range partPhrases {
		if m, ok := v.FindVehicle(p); ok {
			t.Errorf("FindVehicle(%q): %s (text %q), want none", p, vehicleName(m.Vehicle), m.Text)
		}
	}
	r := rand.New(rand.NewPCG(21, 22))
	newest := newestOf(gc.cat)
	n := 3000
	if raceOn {
		n = 1000
	}
	found, right, restOK, shown := 0, 0, 0, 0
	for i := 0; i < n; i++ {
		vq, id := noisyQuery(r, gc.cat, uint32(r.IntN(len(gc.cat.Vehicles))), newest, map[string]bool{})
		phrase := partPhrases[r.IntN(len(partPhrases))]
		q := phrase + " " + vq
		if r.IntN(2) == 0 {
			q = vq + " " + phrase
		}
		m, ok := v.FindVehicle(q)
		if !ok {
			continue
		}
		found++
		want, _ := v.Vehicle(gc.cat.Vehicles[id].ID)
		if sameName(m.Vehicle, want) || !strings.Contains(q, fmt.Sprint(want.Year%100)) && sameName(m.Vehicle, engine.VehicleInfo{Model: want.Model, Submodel: want.Submodel, Year: m.Vehicle.Year}) {
			right++
		} else if shown < 10 {
			shown++
			t.Logf("FindVehicle(%q): %s (text %q), want %s", q, vehicleName(m.Vehicle), m.Text, vehicleName(want))
		}
		if m.Rest == strings.Join(strings.Fields(phrase), " ") {
			restOK++
		} else if shown < 10 {
			shown++
			t.Logf("FindVehicle(%q): rest %q, want %q", q, m.Rest, phrase)
		}
	}
	t.Logf("FindVehicle on %d mixed queries: found %d (%.1f %%); of those, the vehicle named %.1f %%, the rest the part phrase %.1f %%",
		n, found, 100*float64(found)/float64(n), 100*float64(right)/float64(found), 100*float64(restOK)/float64(found))
	if float64(right) < 0.98*float64(found) || float64(restOK) < 0.98*float64(found) || float64(found) < 0.6*float64(n) {
		t.Errorf("FindVehicle on mixed queries: found %d of %d, %d right, %d with the right rest", found, n, right, restOK)
	}
}
