package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fitment/fitment/gen"
	"github.com/fitment/fitment/ingest"
	"github.com/fitment/fitment/snapshot"
)

// csvTable is one source file, header first.
type csvTable [][]string

func readCSV(t *testing.T, path string) csvTable {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

func writeCSV(t *testing.T, path string, rows csvTable) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	w.WriteAll(rows)
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func (tb csvTable) col(t *testing.T, name string) int {
	t.Helper()
	i := slices.Index(tb[0], name)
	if i < 0 {
		t.Fatalf("no column %q in %v", name, tb[0])
	}
	return i
}

// sources is a catalog's three source files.
type sources struct{ vehicles, parts, fitments csvTable }

func readSources(t *testing.T, dir string) sources {
	return sources{readCSV(t, filepath.Join(dir, "vehicles.csv")), readCSV(t, filepath.Join(dir, "parts.csv")), readCSV(t, filepath.Join(dir, "fitments.csv"))}
}

// build writes the sources to dir and builds them into dir/c.snap (no text index: diff
// does not read one). Rows the changes made invalid (fitments of dropped parts or
// vehicles) are rejected, as a real update's would be.
func (s sources) build(t *testing.T, dir string) string {
	t.Helper()
	os.MkdirAll(dir, 0o755)
	writeCSV(t, filepath.Join(dir, "vehicles.csv"), s.vehicles)
	writeCSV(t, filepath.Join(dir, "parts.csv"), s.parts)
	writeCSV(t, filepath.Join(dir, "fitments.csv"), s.fitments)
	cat, _, err := ingest.Build(dir, ingest.Options{MaxRejects: -1, MaxRejectRatio: 1})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "c.snap")
	if _, err := snapshot.Write(path, cat); err != nil {
		t.Fatal(err)
	}
	return path
}

func clone(tb csvTable) csvTable {
	out := make(csvTable, len(tb))
	for i, r := range tb {
		out[i] = slices.Clone(r)
	}
	return out
}

// pick returns a random data row (not the header).
func pick(r *rand.Rand, tb csvTable) []string { return tb[1+r.IntN(len(tb)-1)] }

// dropRows keeps the header and each data row with probability 1-p.
func dropRows(r *rand.Rand, tb csvTable, p float64) csvTable {
	out := csvTable{tb[0]}
	for _, row := range tb[1:] {
		if r.Float64() >= p {
			out = append(out, row)
		}
	}
	return out
}

// modify returns a randomly changed copy of s: parts dropped, added and changed in every
// field diff compares (and in one it does not: the description), vehicles dropped and
// added (when vehicles is set), fitment rows dropped and added.
func modify(t *testing.T, r *rand.Rand, s sources, vehicles bool) sources {
	m := sources{clone(s.vehicles), clone(s.parts), clone(s.fitments)}
	P := m.parts
	num, brand, name, cat := P.col(t, "part_number"), P.col(t, "brand"), P.col(t, "name"), P.col(t, "category")
	oem, img, univ, nameDE, desc := P.col(t, "oem_numbers"), P.col(t, "image_urls"), P.col(t, "universal"), P.col(t, "name_de"), P.col(t, "description")
	for _, row := range P[1:] {
		if r.Float64() >= 0.2 {
			continue
		}
		switch r.IntN(10) {
		case 0:
			row[name] += " v2"
		case 1:
			row[brand] = pick(r, P)[brand] // often another brand
		case 2:
			row[brand] = "Brand New Co"
		case 3:
			row[cat] = pick(r, P)[cat]
		case 4:
			row[cat] = "Zubehör > Neu"
		case 5:
			row[oem] = "HONDA:9999-" + fmt.Sprint(r.IntN(1000))
		case 6:
			row[img] = "https://img.example.com/new/" + fmt.Sprint(r.IntN(1000)) + ".jpg"
		case 7:
			if strings.EqualFold(row[univ], "true") {
				row[univ] = "false"
			} else {
				row[univ] = "true"
			}
		case 8:
			row[nameDE] += " neu"
		case 9:
			if r.IntN(2) == 0 {
				row[num] = strings.ToLower(row[num]) // the same key, another spelling
			} else {
				row[desc] += " Now better." // not compared
			}
		}
	}
	var added []string
	for i := range (len(P) - 1) / 10 {
		row := slices.Clone(pick(r, P))
		row[num] += fmt.Sprintf("-N%d", i) // sorts among the others
		if r.IntN(3) == 0 {
			row[brand] = "Brand New Co"
		}
		P = append(P, row)
		added = append(added, row[num])
	}
	m.parts = dropRows(r, P, 0.07)

	V := m.vehicles
	if vehicles {
		sub := V.col(t, "submodel")
		for i := range 3 {
			row := slices.Clone(pick(r, V))
			row[sub] = fmt.Sprintf("New Trim %d", i)
			V = append(V, row)
		}
		m.vehicles = dropRows(r, V, 0.1)
	}

	F := dropRows(r, m.fitments, 0.1)
	fn, fmk, fmd, fsub, fyears := F.col(t, "part_number"), F.col(t, "make"), F.col(t, "model"), F.col(t, "submodel"), F.col(t, "years")
	vmk, vmd, vsub, vyears := V.col(t, "make"), V.col(t, "model"), V.col(t, "submodel"), V.col(t, "years")
	for range (len(F) - 1) / 10 {
		v := pick(r, V) // possibly one just added, or just dropped
		row := make([]string, len(F[0]))
		row[fmk], row[fmd], row[fsub], row[fyears] = v[vmk], v[vmd], v[vsub], v[vyears]
		if len(added) > 0 && r.IntN(3) == 0 {
			row[fn] = added[r.IntN(len(added))]
		} else {
			row[fn] = pick(r, m.parts)[num]
		}
		if r.IntN(4) == 0 {
			row[fsub] = "" // the wildcard
		}
		F = append(F, row)
	}
	m.fitments = F
	return m
}

// naivePart is every field of a part that diff compares, with names for ids.
type naivePart struct {
	number, brand, name, category, oem, image string
	universal                                 bool
	names                                     snapshot.Translations
}

type naiveCatalog struct {
	parts    map[string]naivePart       // by Key(number)
	links    map[[2]string]bool         // (Key(number), vehicle id)
	linksOf  map[string]map[string]bool // Key(number) → vehicle ids
	vehicles map[string]bool
}

func naive(t *testing.T, path string) naiveCatalog {
	t.Helper()
	c, _, err := snapshot.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	n := naiveCatalog{parts: map[string]naivePart{}, links: map[[2]string]bool{}, linksOf: map[string]map[string]bool{}, vehicles: map[string]bool{}}
	for _, v := range c.Vehicles {
		n.vehicles[v.ID] = true
	}
	for i, p := range c.Parts {
		k := snapshot.Key(p.Number)
		np := naivePart{number: p.Number, brand: c.Brands[p.Brand], name: p.Name, oem: p.OEM, image: p.Image, universal: p.Universal, names: p.Names}
		if len(np.names) == 0 {
			np.names = nil // no translations, however decoded
		}
		if p.Category != snapshot.None {
			np.category = c.Categories[p.Category].Path
		}
		n.parts[k] = np
		n.linksOf[k] = map[string]bool{}
		for _, v := range c.PartVehicles.Get(i).ToArray() {
			n.links[[2]string{k, c.Vehicles[v].ID}] = true
			n.linksOf[k][c.Vehicles[v].ID] = true
		}
	}
	return n
}

// naiveDiff computes what diff should report from a to b, with plain maps: counts by
// Key(brand), only brand (a Key) when not "".
func naiveDiff(a, b naiveCatalog, only string) (map[string]diffCounts, diffCounts, [2]int) {
	per := map[string]diffCounts{}
	brandOf := func(k string) string { // the new snapshot's brand, the old one's for a removed part
		if p, ok := b.parts[k]; ok {
			return snapshot.Key(p.brand)
		}
		return snapshot.Key(a.parts[k].brand)
	}
	bump := func(k string, f func(*diffCounts)) {
		br := brandOf(k)
		if only != "" && br != only {
			return
		}
		d := per[br]
		f(&d)
		per[br] = d
	}
	for k, pa := range a.parts {
		pb, ok := b.parts[k]
		switch {
		case !ok:
			bump(k, func(d *diffCounts) { d.PartsRemoved++ })
		case !reflect.DeepEqual(pa, pb):
			bump(k, func(d *diffCounts) { d.PartsChanged++ })
		}
	}
	for k := range b.parts {
		if _, ok := a.parts[k]; !ok {
			bump(k, func(d *diffCounts) { d.PartsAdded++ })
		}
	}
	for l := range a.links {
		if !b.links[l] {
			bump(l[0], func(d *diffCounts) { d.LinksRemoved++ })
		}
	}
	for l := range b.links {
		if !a.links[l] {
			bump(l[0], func(d *diffCounts) { d.LinksAdded++ })
		}
	}
	var total diffCounts
	for br, d := range per {
		if d.zero() {
			delete(per, br)
		}
		total.add(d)
	}
	var veh [2]int
	for v := range b.vehicles {
		if !a.vehicles[v] {
			veh[0]++
		}
	}
	for v := range a.vehicles {
		if !b.vehicles[v] {
			veh[1]++
		}
	}
	return per, total, veh
}

// runDiffJSON runs fitctl diff --json and decodes its output.
func runDiffJSON(t *testing.T, args ...string) diffOut {
	t.Helper()
	js, err := runCaptured(t, runDiff, append([]string{"--json"}, args...)...)
	if err != nil {
		t.Fatalf("fitctl diff %v: %v", args, err)
	}
	var out diffOut
	if err := json.Unmarshal([]byte(js), &out); err != nil {
		t.Fatalf("fitctl diff --json: %v\n%s", err, js)
	}
	return out
}

func checkDiff(t *testing.T, label string, got diffOut, a, b naiveCatalog, only string) (diffCounts, [2]int) {
	t.Helper()
	per, total, veh := naiveDiff(a, b, only)
	gotPer := map[string]diffCounts{}
	for _, r := range got.Brands {
		gotPer[snapshot.Key(r.Brand)] = r.diffCounts
	}
	if !reflect.DeepEqual(gotPer, per) {
		for br := range per {
			if gotPer[br] != per[br] {
				t.Errorf("%s: brand %q: got %+v, want %+v", label, br, gotPer[br], per[br])
			}
		}
		for br := range gotPer {
			if _, ok := per[br]; !ok {
				t.Errorf("%s: brand %q: got %+v, want no row", label, br, gotPer[br])
			}
		}
	}
	if got.Total != total {
		t.Errorf("%s: total %+v, want %+v", label, got.Total, total)
	}
	if [2]int{got.Vehicles.Added, got.Vehicles.Removed} != veh {
		t.Errorf("%s: vehicles added, removed %d, %d; want %v", label, got.Vehicles.Added, got.Vehicles.Removed, veh)
	}
	if got.ChangedCovers != changedCovers {
		t.Errorf("%s: changedCovers %q", label, got.ChangedCovers)
	}
	return total, veh
}

// TestDiffMatchesNaive builds the tiny profile's snapshot, then over several rounds a
// randomly changed copy of its sources, and checks fitctl diff --json in both directions
// (and with --brand) against a diff of plain maps of every part's fields and every
// (part key, vehicle id) link. Diff's merge walk is cut into many small ranges, so range
// boundaries fall everywhere. One round changes no vehicle (the bitmaps are compared
// without translation), the others add and drop vehicles.
func TestDiffMatchesNaive(t *testing.T) {
	defer func(n int) { diffChunkParts = n }(diffChunkParts)
	diffChunkParts = 3

	dir := t.TempDir()
	p, _ := gen.ProfileByName("tiny")
	src := filepath.Join(dir, "gen")
	if _, err := gen.Generate(p, 1, src, gen.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	base := readSources(t, src)
	snapA := base.build(t, filepath.Join(dir, "a"))
	a := naive(t, snapA)

	// The same content: nothing differs, and the vehicles are in the same rows.
	same := runDiffJSON(t, snapA, base.build(t, filepath.Join(dir, "same")))
	checkDiff(t, "identical", same, a, a, "")
	if !same.VehicleOrderSame || len(same.Brands) != 0 {
		t.Errorf("identical snapshots: %+v", same)
	}

	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 9))
	var seen diffCounts
	var seenVeh [2]int
	sameOrder := false
	for round := range 6 {
		label := fmt.Sprintf("round %d (seed %d)", round, seed)
		changedVehicles := round > 0
		snapB := modify(t, r, base, changedVehicles).build(t, filepath.Join(dir, fmt.Sprint("b", round)))
		b := naive(t, snapB)

		got := runDiffJSON(t, snapA, snapB)
		total, veh := checkDiff(t, label, got, a, b, "")
		if !changedVehicles {
			sameOrder = got.VehicleOrderSame
		}
		rev := runDiffJSON(t, snapB, snapA)
		checkDiff(t, label+" reversed", rev, b, a, "")

		// --brand, in another spelling, of a brand with a difference.
		if len(got.Brands) > 0 {
			br := got.Brands[r.IntN(len(got.Brands))].Brand
			one := runDiffJSON(t, "--brand", strings.ToUpper(br), snapA, snapB)
			checkDiff(t, label+" --brand "+br, one, a, b, snapshot.Key(br))
			if len(one.Brands) != 1 {
				t.Errorf("%s --brand %s: %d brands", label, br, len(one.Brands))
			}
		}
		seen.add(total)
		seenVeh[0] += veh[0]
		seenVeh[1] += veh[1]
	}
	if !sameOrder {
		t.Error("the round without vehicle changes did not keep the vehicle rows: the untranslated comparison is not tested")
	}
	if seen.PartsAdded == 0 || seen.PartsRemoved == 0 || seen.PartsChanged == 0 || seen.LinksAdded == 0 || seen.LinksRemoved == 0 || seenVeh[0] == 0 || seenVeh[1] == 0 {
		t.Errorf("the rounds changed too little to test everything: %+v, vehicles %v", seen, seenVeh)
	}
	t.Logf("all rounds: %+v, vehicles added, removed %v", seen, seenVeh)

	// The table: the brands with a difference, then the total; exit status 0.
	snapB := modify(t, r, base, true).build(t, filepath.Join(dir, "text"))
	text, err := runCaptured(t, runDiff, snapA, snapB)
	if err != nil {
		t.Fatalf("fitctl diff: %v", err)
	}
	got := runDiffJSON(t, snapA, snapB)
	lines := strings.Split(text, "\n")
	hdr := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "brand ") })
	if hdr < 0 || len(lines) < hdr+len(got.Brands)+2 {
		t.Fatalf("fitctl diff table:\n%s", text)
	}
	for i, r := range append(got.Brands, brandDiff{Brand: "total", diffCounts: got.Total}) {
		want := strings.Fields(fmt.Sprintf("%s %d %d %d %d %d", r.Brand, r.PartsAdded, r.PartsRemoved, r.PartsChanged, r.LinksAdded, r.LinksRemoved))
		if f := strings.Fields(lines[hdr+1+i]); !slices.Equal(f, want) {
			t.Errorf("table row %d: %q, want %q", i, lines[hdr+1+i], strings.Join(want, " "))
		}
	}
	if !strings.Contains(text, fmt.Sprintf("%d added, %d removed", got.Vehicles.Added, got.Vehicles.Removed)) || !strings.Contains(text, "is changed when") {
		t.Errorf("fitctl diff table:\n%s", text)
	}

	for _, args := range [][]string{{snapA}, {snapA, snapB, snapA}, {"--brand", "No Such Brand", snapA, snapB}, {snapA, filepath.Join(dir, "missing.snap")}} {
		if _, err := runCaptured(t, runDiff, args...); err == nil {
			t.Errorf("fitctl diff %v: no error", args)
		}
	}
}
