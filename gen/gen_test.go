package gen

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

var outputFiles = []string{"vehicles.csv", "parts.csv", "fitments.csv", "tenants.json"}

func generate(t *testing.T, name string, seed uint64, opts Options) (string, Stats) {
	t.Helper()
	p, ok := ProfileByName(name)
	if !ok {
		t.Fatalf("ProfileByName(%q): not found", name)
	}
	dir := t.TempDir()
	st, err := Generate(p, seed, dir, opts)
	if err != nil {
		t.Fatalf("Generate(%s, %d): %v", name, seed, err)
	}
	return dir, st
}

func readAll(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDeterministic(t *testing.T) {
	profiles := []string{"tiny"}
	if !testing.Short() {
		profiles = append(profiles, "small")
	}
	for _, name := range profiles {
		a, sa := generate(t, name, 42, DefaultOptions())
		b, sb := generate(t, name, 42, DefaultOptions())
		if sa != sb {
			t.Errorf("Generate(%s, 42) stats: got %+v then %+v", name, sa, sb)
		}
		files := append(slices.Clone(outputFiles), feedFiles(t, a)...)
		if fb := feedFiles(t, b); !slices.Equal(files[len(outputFiles):], fb) {
			t.Errorf("Generate(%s, 42) feeds: got %q then %q", name, files[len(outputFiles):], fb)
		}
		if len(files) == len(outputFiles) {
			t.Errorf("Generate(%s, 42): no feeds", name)
		}
		for _, f := range files {
			if !bytes.Equal(readAll(t, filepath.Join(a, f)), readAll(t, filepath.Join(b, f))) {
				t.Errorf("Generate(%s, 42): %s differs between runs", name, f)
			}
		}
	}
}

// feedFiles lists the feed files (offers, location stock) and the own parts and vehicles of
// a generated directory, as paths relative to it.
func feedFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, sub := range []string{feedsDir, ownDir} {
		es, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			out = append(out, sub+"/"+e.Name())
		}
	}
	return out
}

func TestSeedsDiffer(t *testing.T) {
	a, _ := generate(t, "tiny", 1, DefaultOptions())
	b, _ := generate(t, "tiny", 2, DefaultOptions())
	for _, f := range []string{"vehicles.csv", "parts.csv", "fitments.csv"} {
		if bytes.Equal(readAll(t, filepath.Join(a, f)), readAll(t, filepath.Join(b, f))) {
			t.Errorf("Generate(tiny, 1) and (tiny, 2): %s identical", f)
		}
	}
}

func TestCompressedMatchesPlain(t *testing.T) {
	plain, _ := generate(t, "tiny", 7, DefaultOptions())
	plainTenants := readTenants(t, plain)
	for _, c := range []Compression{CompressGzip, CompressZstd} {
		dir, _ := generate(t, "tiny", 7, Options{Compress: c})
		files := []string{"vehicles.csv", "parts.csv", "fitments.csv"}
		// The same tenants, except that each names its compressed feed.
		tenants := readTenants(t, dir)
		for i := range tenants {
			for _, name := range []*string{&tenants[i].Offers, &tenants[i].LocationStock} {
				if *name == "" {
					continue
				}
				f, ok := strings.CutSuffix(*name, "."+string(c))
				if !ok {
					t.Errorf("Generate(tiny, 7, %s): tenant %s feed %q", c, tenants[i].ID, *name)
				}
				files = append(files, f)
				*name = f
			}
			// Own parts and vehicles are always plain.
			for _, f := range []string{tenants[i].OwnParts, tenants[i].OwnVehicles} {
				if f != "" && !bytes.Equal(readAll(t, filepath.Join(dir, f)), readAll(t, filepath.Join(plain, f))) {
					t.Errorf("Generate(tiny, 7, %s): %s differs from the plain run's", c, f)
				}
			}
		}
		if !reflect.DeepEqual(tenants, plainTenants) {
			t.Errorf("Generate(tiny, 7, %s): tenants.json differs from the plain one beyond the feed names", c)
		}
		for _, f := range files {
			got := decompress(t, filepath.Join(dir, f+"."+string(c)))
			if !bytes.Equal(got, readAll(t, filepath.Join(plain, f))) {
				t.Errorf("Generate(tiny, 7, %s): %s differs from the plain file", c, f)
			}
		}
	}
	if _, err := Generate(profiles[0], 1, t.TempDir(), Options{Compress: "lz4"}); err == nil {
		t.Errorf("Generate(compress lz4): got nil error, want ErrBadOptions")
	}
}

func readTenants(t *testing.T, dir string) []Tenant {
	t.Helper()
	var tenants []Tenant
	if err := json.Unmarshal(readAll(t, filepath.Join(dir, "tenants.json")), &tenants); err != nil {
		t.Fatalf("tenants.json: %v", err)
	}
	return tenants
}

func decompress(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader
	switch filepath.Ext(path) {
	case ".gz":
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case ".zst":
		zr, err := zstd.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		r = zr
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func within(got, want int, tol float64) bool {
	return float64(got) >= float64(want)*(1-tol) && float64(got) <= float64(want)*(1+tol)
}

func TestCountsAndValidity(t *testing.T) {
	type run struct {
		profile string
		seed    uint64
	}
	runs := []run{{"tiny", 1}, {"tiny", 2}, {"tiny", 3}, {"tiny", 4}, {"tiny", 5}}
	if !testing.Short() {
		runs = append(runs, run{"small", 1})
	}
	for _, r := range runs {
		t.Run(fmt.Sprintf("%s/%d", r.profile, r.seed), func(t *testing.T) {
			p, _ := ProfileByName(r.profile)
			dir, st := generate(t, r.profile, r.seed, DefaultOptions())
			got := checkCatalog(t, dir)
			if got != st {
				t.Errorf("Stats: got %+v, files say %+v", st, got)
			}
			for _, c := range []struct {
				what      string
				got, want int
			}{
				{"vehicles", st.Vehicles, p.Vehicles},
				{"parts", st.Parts, p.Parts},
				{"fitment links", st.FitmentLinks, p.Links},
				{"priced items", st.PricedItems, p.PricedItems},
			} {
				if !within(c.got, c.want, 0.25) {
					t.Errorf("%s: got %d, want %d ±25%%", c.what, c.got, c.want)
				}
			}
			if st.Brands != p.Brands || st.Tenants != p.Tenants {
				t.Errorf("brands, tenants: got %d, %d, want %d, %d", st.Brands, st.Tenants, p.Brands, p.Tenants)
			}
			if st.UniversalParts == 0 {
				t.Errorf("universal parts: got 0, want about 1%%")
			}
			if r.profile == "small" {
				checkNetworkShape(t, dir, st)
			}
		})
	}
}

// readCSV parses a generated file with encoding/csv and checks its header.
func readCSV(t *testing.T, path string, header []string) [][]string {
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
	if len(rows) == 0 || !slices.Equal(rows[0], header) {
		t.Fatalf("%s header: got %q, want %q", path, rows[0], header)
	}
	return rows[1:]
}

// parseYears is an independent reading of the spec's year syntax.
func parseYears(t *testing.T, s string) []int {
	t.Helper()
	var ys []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		b := a
		if isRange {
			b, err = strconv.Atoi(hi)
		}
		if err != nil || a > b || a < 1900 || b > 2100 {
			t.Fatalf("years %q: bad part %q", s, part)
		}
		for y := a; y <= b; y++ {
			if len(ys) > 0 && y <= ys[len(ys)-1] {
				t.Fatalf("years %q: not increasing", s)
			}
			ys = append(ys, y)
		}
	}
	return ys
}

func validEAN(s string) bool {
	if len(s) != 13 {
		return false
	}
	sum := 0
	for i := range 12 {
		n := int(s[i] - '0')
		if i%2 == 1 {
			n *= 3
		}
		sum += n
	}
	return int(s[12]-'0') == (10-sum%10)%10
}

// vkey is a vehicle's natural key without its year.
type vkey struct{ make, model, sub string }

// checkCatalog validates the three CSV files against the format spec, independently of the
// generator's internals, and the tenants' files against the catalog, and returns the counts
// they imply.
func checkCatalog(t *testing.T, dir string) Stats {
	t.Helper()
	var st Stats
	vyears := map[vkey]map[int]bool{}
	spelling := map[string]string{} // lower(make/model) -> spelling
	makes := map[string]bool{}
	vehicles := readCSV(t, filepath.Join(dir, "vehicles.csv"),
		[]string{"type", "make", "model", "submodel", "years", "engine_cc", "generation"})
	for i, r := range vehicles {
		if !slices.Contains(vehicleTypes, r[0]) || r[1] == "" || r[2] == "" {
			t.Fatalf("vehicles.csv:%d: bad row %q", i+2, r)
		}
		key := strings.ToLower(r[1] + "/" + r[2])
		if s, ok := spelling[key]; ok && s != r[1]+"/"+r[2] {
			t.Fatalf("vehicles.csv:%d: model %q also spelled %q", i+2, r[1]+"/"+r[2], s)
		}
		spelling[key] = r[1] + "/" + r[2]
		makes[r[1]] = true
		if r[5] != "" {
			if n, err := strconv.Atoi(r[5]); err != nil || n <= 0 {
				t.Fatalf("vehicles.csv:%d: engine_cc %q", i+2, r[5])
			}
		}
		for _, k := range []vkey{{r[1], r[2], ""}, {r[1], r[2], r[3]}} {
			if vyears[k] == nil {
				vyears[k] = map[int]bool{}
			}
			for _, y := range parseYears(t, r[4]) {
				vyears[k][y] = true
			}
		}
		st.VehicleRows++
	}
	for k, ys := range vyears {
		st.Vehicles += len(ys)
		if k.sub == "" {
			st.Models++
		}
	}
	st.Makes = len(makes)

	parts := readCSV(t, filepath.Join(dir, "parts.csv"), partsHeader)
	universal := map[string]bool{}
	pns := map[string]bool{}
	brandOf := map[string]string{} // lower(part number) -> brand
	brands := map[string]bool{}
	categories := map[string]bool{} // every path of the catalog's tree
	for i, r := range parts {
		for c := r[3]; c != ""; {
			categories[c] = true
			i := strings.LastIndex(c, " > ")
			if i < 0 {
				break
			}
			c = c[:i]
		}
		pn := strings.ToLower(r[0])
		if pn == "" || pns[pn] {
			t.Fatalf("parts.csv:%d: empty or repeated part number %q", i+2, r[0])
		}
		pns[pn] = true
		brandOf[pn] = r[1]
		brands[r[1]] = true
		if r[2] == "" || strings.Count(r[3], " > ") > 2 {
			t.Fatalf("parts.csv:%d: bad name or category %q", i+2, r[:4])
		}
		if r[6] != "" && !validEAN(r[6]) {
			t.Fatalf("parts.csv:%d: bad EAN %q", i+2, r[6])
		}
		for _, oem := range strings.Split(r[5], "|") {
			if r[5] != "" && !strings.Contains(oem, ":") {
				t.Fatalf("parts.csv:%d: bad OEM number %q", i+2, oem)
			}
		}
		for _, c := range r[7:11] {
			if _, err := strconv.ParseFloat(c, 64); c != "" && err != nil {
				t.Fatalf("parts.csv:%d: bad decimal %q", i+2, c)
			}
		}
		switch r[14] {
		case "true":
			universal[pn] = true
			st.UniversalParts++
		case "", "false":
		default:
			t.Fatalf("parts.csv:%d: universal %q", i+2, r[14])
		}
		st.Parts++
	}
	st.Brands = len(brands)

	fitments := readCSV(t, filepath.Join(dir, "fitments.csv"),
		[]string{"part_number", "make", "model", "submodel", "years", "position", "qty", "notes"})
	type link struct {
		pn string
		v  vkey
		y  int
		p  string
	}
	links := map[link]bool{}
	for i, r := range fitments {
		pn := strings.ToLower(r[0])
		if !pns[pn] {
			t.Fatalf("fitments.csv:%d: unknown part %q", i+2, r[0])
		}
		if universal[pn] {
			t.Fatalf("fitments.csv:%d: universal part %q has a fitment", i+2, r[0])
		}
		k := vkey{r[1], r[2], r[3]}
		ys := vyears[k]
		if ys == nil {
			t.Fatalf("fitments.csv:%d: unknown vehicle %q", i+2, r[1:4])
		}
		for _, y := range parseYears(t, r[4]) {
			if !ys[y] {
				t.Fatalf("fitments.csv:%d: unknown vehicle %s/%s/%s/%d", i+2, r[1], r[2], r[3], y)
			}
			l := link{pn, k, y, r[5]}
			if links[l] {
				t.Fatalf("fitments.csv:%d: duplicate link %v", i+2, l)
			}
			links[l] = true
		}
		if r[6] != "" {
			if n, err := strconv.Atoi(r[6]); err != nil || n <= 0 {
				t.Fatalf("fitments.csv:%d: qty %q", i+2, r[6])
			}
		}
		st.FitmentRows++
	}
	st.FitmentLinks = len(links)

	tenants := readTenants(t, dir)
	st.Tenants = len(tenants)
	cat := &catalogFacts{vyears: vyears, brandOf: brandOf, categories: categories}
	byID := map[string]*Tenant{}
	for i := range tenants {
		byID[tenants[i].ID] = &tenants[i]
	}
	for _, tn := range tenants {
		for _, pn := range append(slices.Clone(tn.Activate), tn.Deactivate...) {
			if !pns[strings.ToLower(pn)] {
				t.Errorf("tenant %s: unknown part %q", tn.ID, pn)
			}
		}
		own := checkOwn(t, dir, tn, cat, &st)
		stocked := checkOffers(t, dir, tn, brandOf, own, &st)
		checkLocations(t, dir, tn, byID, stocked, &st)
	}
	return st
}

// checkOffers validates a tenant's feed and aliases against parts.csv, its visible catalog and
// its own parts (lower-case numbers), and adds them to st. It returns the parts of the feed
// with a tracked stock (lower-case).
func checkOffers(t *testing.T, dir string, tn Tenant, brandOf map[string]string, own map[string]bool, st *Stats) map[string]bool {
	t.Helper()
	stockedSet := map[string]bool{}
	lower := func(pns []string) map[string]bool {
		m := map[string]bool{}
		for _, pn := range pns {
			m[strings.ToLower(pn)] = true
		}
		return m
	}
	act, deact := lower(tn.Activate), lower(tn.Deactivate)
	subscribed := func(pn string) bool { return slices.Contains(tn.Brands, brandOf[pn]) && !deact[pn] }
	visible := 0
	for pn := range brandOf {
		if subscribed(pn) || act[pn] {
			visible++
		}
	}

	priced := map[string]bool{}
	if tn.Offers == "" {
		if tn.PricedItems != 0 || tn.StockedItems != 0 || len(tn.Aliases) != 0 {
			t.Errorf("tenant %s: no offers file but %d priced, %d stocked, %d aliases", tn.ID, tn.PricedItems, tn.StockedItems, len(tn.Aliases))
		}
	} else {
		if want := feedsDir + "/" + tn.ID + ".csv"; tn.Offers != want {
			t.Errorf("tenant %s offers: got %q, want %q", tn.ID, tn.Offers, want)
		}
		stocked, ownRows := 0, 0
		for i, r := range readCSV(t, filepath.Join(dir, tn.Offers), []string{"partNumber", "price", "stock"}) {
			at := fmt.Sprintf("%s:%d", tn.Offers, i+2)
			pn := strings.ToLower(r[0])
			switch {
			case own[pn] && !priced[pn]:
				ownRows++
			case ownRows > 0:
				t.Fatalf("%s: part %q after the own parts, or an own part priced twice", at, r[0])
			case brandOf[pn] == "":
				t.Fatalf("%s: unknown part %q", at, r[0])
			case !subscribed(pn) && !act[pn]:
				t.Fatalf("%s: part %q is not visible to the tenant", at, r[0])
			case priced[pn]:
				t.Fatalf("%s: part %q priced twice", at, r[0])
			}
			priced[pn] = true
			if !validPrice(r[1]) {
				t.Fatalf("%s: price %q", at, r[1])
			}
			if r[2] != "null" {
				if n, err := strconv.Atoi(r[2]); err != nil || n < 0 || strconv.Itoa(n) != r[2] {
					t.Fatalf("%s: stock %q", at, r[2])
				}
				stocked++
				stockedSet[pn] = true
			}
		}
		if len(priced) != tn.PricedItems || stocked != tn.StockedItems || ownRows != tn.OwnPricedItems {
			t.Errorf("tenant %s: pricedItems, stockedItems, ownPricedItems %d, %d, %d; the file has %d, %d, %d",
				tn.ID, tn.PricedItems, tn.StockedItems, tn.OwnPricedItems, len(priced), stocked, ownRows)
		}
		st.Feeds++
		st.PricedItems += len(priced)
		st.StockedItems += stocked
		st.OwnPricedItems += ownRows
	}
	switch tn.Type {
	case TypeDataProvider:
		if tn.Offers != "" {
			t.Errorf("data provider %s: has offers %q", tn.ID, tn.Offers)
		}
	case TypeManufacturer:
		// Exactly its own brand: every visible part of it, nothing else.
		want := 0
		for pn := range brandOf {
			if subscribed(pn) {
				want++
				if !priced[pn] {
					t.Fatalf("manufacturer %s: own part %s not priced", tn.ID, pn)
				}
			}
		}
		if len(tn.Brands) != 1 || len(priced) != want {
			t.Errorf("manufacturer %s: brands %q, %d priced, want its brand's %d", tn.ID, tn.Brands, len(priced), want)
		}
	default:
		if visible > 0 && len(priced) == 0 {
			t.Errorf("%s %s: sees %d parts and prices none", tn.Type, tn.ID, visible)
		}
	}

	aliases := map[string]bool{}
	for _, a := range tn.Aliases {
		key := strings.ToLower(a.Alias)
		switch {
		case aliases[key]:
			t.Errorf("tenant %s: alias %q repeated", tn.ID, a.Alias)
		case brandOf[key] != "":
			t.Errorf("tenant %s: alias %q is a catalog part number", tn.ID, a.Alias)
		case !priced[strings.ToLower(a.PartNumber)]:
			t.Errorf("tenant %s: alias %q for %q, which it does not price", tn.ID, a.Alias, a.PartNumber)
		case !(a.Source == SourcePOS && strings.HasPrefix(a.Alias, "POS-")) && !(a.Source == SourceLegacy && strings.HasPrefix(a.Alias, "LEG-")):
			t.Errorf("tenant %s: alias %q with source %q", tn.ID, a.Alias, a.Source)
		}
		aliases[key] = true
	}
	if len(tn.Aliases) > 0 && tn.Type != TypeStandard && tn.Type != TypeRetail {
		t.Errorf("%s %s: has aliases", tn.Type, tn.ID)
	}
	st.Aliases += len(tn.Aliases)
	return stockedSet
}

// validPrice: a positive decimal with two decimals and a shop's ending.
func validPrice(s string) bool {
	whole, cents, ok := strings.Cut(s, ".")
	n, err := strconv.Atoi(whole)
	if !ok || err != nil || n < 0 || strconv.Itoa(n) != whole || len(cents) != 2 {
		return false
	}
	return slices.Contains([]string{"00", "50", "90", "95", "99"}, cents) && s != "0.00"
}

func TestTinyTenants(t *testing.T) {
	dir, _ := generate(t, "tiny", 1, DefaultOptions())
	var tenants []Tenant
	if err := json.Unmarshal(readAll(t, filepath.Join(dir, "tenants.json")), &tenants); err != nil {
		t.Fatalf("tenants.json: %v", err)
	}
	brandOf := map[string]string{}
	for _, r := range readCSV(t, filepath.Join(dir, "parts.csv"), partsHeader) {
		brandOf[r[0]] = r[1]
	}
	seen := map[string]string{}
	var sizes []int
	for _, tn := range tenants {
		if !slices.Contains([]string{TypeStandard, TypeRetail, TypeReseller, TypeHybrid,
			TypeManufacturer, TypeDistributor, TypeDataProvider}, tn.Type) {
			t.Errorf("tenant %s: type %q", tn.ID, tn.Type)
		}
		set := strings.Join(tn.Brands, "|")
		if other, ok := seen[set]; ok {
			t.Errorf("tenants %s and %s: same brands %q", tn.ID, other, set)
		}
		seen[set] = tn.ID
		sizes = append(sizes, len(tn.Brands))
		for _, pn := range tn.Activate {
			if slices.Contains(tn.Brands, brandOf[pn]) {
				t.Errorf("tenant %s: activates %s of subscribed brand %s", tn.ID, pn, brandOf[pn])
			}
		}
		for _, pn := range tn.Deactivate {
			if !slices.Contains(tn.Brands, brandOf[pn]) {
				t.Errorf("tenant %s: deactivates %s of unsubscribed brand %s", tn.ID, pn, brandOf[pn])
			}
		}
	}
	if !slices.Equal(sizes, []int{5, 2, 1}) {
		t.Errorf("tiny tenants' brand counts: got %v, want [5 2 1]", sizes)
	}
	if len(tenants[2].Activate) == 0 || len(tenants[2].Deactivate) == 0 {
		t.Errorf("tenant %s: want activations and deactivations, got %+v", tenants[2].ID, tenants[2])
	}
}

func TestYearsFormat(t *testing.T) {
	for _, c := range []struct {
		in   []int
		want string
	}{
		{[]int{2024}, "2024"},
		{[]int{2020, 2021, 2022, 2023, 2024}, "2020-2024"},
		{[]int{2012, 2013, 2014, 2015, 2016, 2018, 2019, 2020, 2021, 2022, 2023}, "2012-2016, 2018-2023"},
		{[]int{2013, 2018, 2019}, "2013, 2018-2019"},
	} {
		if got := formatYears(c.in); got != c.want {
			t.Errorf("formatYears(%v): got %q, want %q", c.in, got, c.want)
		}
	}
}
