package gen

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// A brand of parts with its share of the catalog.
type brand struct {
	name     string
	prefix   string // part-number prefix, unique across brands
	dash     bool   // part numbers written PREFIX-123 instead of PREFIX123
	suffix   string // constant part-number suffix, e.g. "HH"
	base     int    // first number; part k is base + k*step
	step     int
	country  string
	kinds    []int // indexes into kinds this brand makes
	parts    int
	firstIdx int // global index of the brand's first part
}

// Real aftermarket brands with the categories they are known for. The first five are the tiny
// profile's brands, chosen to cover every vehicle type.
var realBrands = []struct {
	name, country string
	cats          []string
}{
	{"EBC", "GB", []string{"Brakes", "Drivetrain > Clutch"}},
	{"K&N", "US", []string{"Engine > Filters"}},
	{"All Balls", "US", []string{"Suspension", "Drivetrain > CV axles", "Engine > Fuel system", "Controls"}},
	{"Yuasa", "JP", []string{"Electrical > Batteries"}},
	{"Kimpex", "CA", []string{"Snowmobile", "Body", "Controls", "Accessories", "Luggage"}},
	{"DID", "JP", []string{"Drivetrain > Chains", "Drivetrain > Chain kits"}},
	{"Alphatrac", "SE", []string{"Drivetrain > CV axles", "Suspension > Ball joints", "Brakes > Brake pads", "Engine > Filters"}},
	{"Hiflofiltro", "GB", []string{"Engine > Filters", "Electrical > Batteries"}},
	{"Ferodo", "IT", []string{"Brakes > Brake pads"}},
	{"Galfer", "ES", []string{"Brakes"}},
	{"Pro Taper", "US", []string{"Controls"}},
	{"Renthal", "GB", []string{"Controls", "Drivetrain > Sprockets", "Drivetrain > Chains"}},
	{"Moose Racing", "US", []string{"Body", "Controls", "Accessories", "Suspension > Bearings"}},
	{"SP1", "CA", []string{"Snowmobile", "Engine > Pistons", "Engine > Gaskets", "Drivetrain > Drive belts"}},
	{"Camso", "CA", []string{"Snowmobile > Tracks", "Wheels & Tyres"}},
	{"Bronco", "US", []string{"Suspension", "Drivetrain > CV axles", "Electrical", "Engine > Filters"}},
	{"NGK", "JP", []string{"Engine > Ignition"}},
	{"Brembo", "IT", []string{"Brakes"}},
	{"Twin Air", "NL", []string{"Engine > Filters > Air filters"}},
	{"JT Sprockets", "GB", []string{"Drivetrain > Sprockets"}},
	{"Regina", "IT", []string{"Drivetrain > Chains", "Drivetrain > Chain kits"}},
	{"Athena", "IT", []string{"Engine > Gaskets", "Engine > Pistons", "Engine > Filters"}},
	{"Wiseco", "US", []string{"Engine > Pistons", "Drivetrain > Clutch"}},
	{"Vertex", "IT", []string{"Engine > Pistons", "Engine > Gaskets"}},
	{"Polisport", "PT", []string{"Body"}},
	{"Acerbis", "IT", []string{"Body", "Controls"}},
	{"Barkbusters", "AU", []string{"Controls"}},
	{"Oxford", "GB", []string{"Controls > Grips", "Luggage", "Maintenance"}},
	{"Motul", "FR", []string{"Maintenance"}},
	{"Maxxis", "TW", []string{"Wheels & Tyres"}},
	{"ITP", "US", []string{"Wheels & Tyres"}},
	{"Michelin", "FR", []string{"Wheels & Tyres"}},
	{"Pirelli", "IT", []string{"Wheels & Tyres"}},
	{"Metzeler", "DE", []string{"Wheels & Tyres"}},
	{"Dunlop", "JP", []string{"Wheels & Tyres"}},
	{"Warn", "US", []string{"Accessories"}},
	{"Woody's", "US", []string{"Snowmobile > Carbides"}},
	{"Stud Boy", "US", []string{"Snowmobile > Carbides", "Snowmobile > Slides"}},
	{"Gates", "US", []string{"Drivetrain > Drive belts"}},
	{"Dayco", "IT", []string{"Drivetrain > Drive belts"}},
	{"Ultimax", "US", []string{"Drivetrain > Drive belts"}},
	{"EPI", "US", []string{"Drivetrain > Clutch", "Drivetrain > Drive belts"}},
	{"Akrapovič", "SI", []string{"Exhaust"}},
	{"Arrow", "IT", []string{"Exhaust"}},
	{"Yoshimura", "JP", []string{"Exhaust", "Engine > Filters"}},
	{"Öhlins", "SE", []string{"Suspension"}},
	{"Hagon", "GB", []string{"Suspension"}},
	{"YSS", "TH", []string{"Suspension"}},
	{"Wilbers", "DE", []string{"Suspension"}},
	{"Tecnium", "ES", []string{"Electrical > Batteries"}},
	{"Puig", "ES", []string{"Body > Windshields", "Body > Mirrors", "Controls > Levers"}},
	{"Givi", "IT", []string{"Luggage", "Body > Windshields"}},
	{"SW-Motech", "DE", []string{"Luggage", "Electrical > Lighting"}},
	{"Hepco & Becker", "DE", []string{"Luggage", "Body"}},
	{"Denali", "US", []string{"Electrical > Lighting"}},
	{"Shorai", "US", []string{"Electrical > Batteries"}},
	{"Arrowhead", "US", []string{"Electrical > Starters", "Electrical > Regulators"}},
	{"Ricks Motorsport Electrics", "US", []string{"Electrical"}},
	{"Tourmax", "JP", []string{"Brakes", "Electrical", "Engine > Filters"}},
	{"Newfren", "IT", []string{"Brakes", "Drivetrain > Clutch"}},
}

var inventedHead = []string{"Nord", "Alpi", "Velo", "Torq", "Fjell", "Rally", "Trail", "Iron", "Apex",
	"Volt", "Glacier", "Lumo", "Stag", "Falk", "Vega", "Tundra", "Bora", "Sila", "Kraft", "Polar",
	"Ridge", "Boreal", "Carve", "Dyna", "Ferro", "Grip", "Hexa", "Kodi", "Lynk", "Moxa", "Orra",
	"Pulsa", "Quant", "Riva", "Skarv", "Taiga", "Ursa", "Vinter", "Wolfe", "Zenit"}
var inventedTail = []string{"tek", "parts", "moto", "line", "works", "craft", "flex", "max", "tech",
	" Racing", " Performance", " Components", " Motorsport", " Offroad", " Industries", " Pro"}

// Top-level categories and countries of origin of the invented brands.
var (
	topCats = []string{"Brakes", "Engine", "Drivetrain", "Electrical", "Suspension", "Body",
		"Controls", "Snowmobile", "Wheels & Tyres", "Accessories", "Exhaust", "Maintenance", "Luggage"}
	origin = []string{"DE", "IT", "SE", "FI", "FR", "ES", "PL", "CZ", "NL", "GB", "US", "CN", "TW", "JP", "AT"}
)

// kindsOf lists the kinds whose category is one of cats or below one of them.
func kindsOf(cats []string) []int {
	var out []int
	for ki, k := range kinds {
		for _, c := range cats {
			if k.category == c || strings.HasPrefix(k.category, c+" > ") {
				out = append(out, ki)
				break
			}
		}
	}
	return out
}

// makeBrands returns n brands, biggest first, with Zipf-like part counts summing to parts.
func makeBrands(n, parts int, rng *rand.Rand) []brand {
	names := make([]string, 0, n)
	countries := make([]string, 0, n)
	cats := make([][]string, 0, n)
	seen := map[string]bool{}
	for _, r := range realBrands[:min(n, len(realBrands))] {
		names = append(names, r.name)
		countries = append(countries, r.country)
		cats = append(cats, r.cats)
		seen[strings.ToLower(r.name)] = true
	}
	for len(names) < n {
		name := inventedHead[rng.IntN(len(inventedHead))] + inventedTail[rng.IntN(len(inventedTail))]
		if seen[strings.ToLower(name)] {
			name += " " + string(rune('A'+rng.IntN(26))) + string(rune('A'+rng.IntN(26)))
		}
		if seen[strings.ToLower(name)] {
			continue
		}
		seen[strings.ToLower(name)] = true
		names = append(names, name)
		countries = append(countries, origin[rng.IntN(len(origin))])
		var c []string
		for _, i := range rng.Perm(len(topCats))[:1+rng.IntN(4)] {
			c = append(c, topCats[i])
		}
		cats = append(cats, c)
	}

	// Zipf-like sizes in list order: the well-known real brands are the big ones, and the
	// invented padding of the eu profile forms the long tail.
	weights := make([]float64, n)
	sum := 0.0
	for i := range weights {
		weights[i] = 1 / math.Pow(float64(i+1), 1.05)
		sum += weights[i]
	}
	brands := make([]brand, n)
	usedPrefix := map[string]bool{}
	assigned := 0
	for i := range brands {
		b := &brands[i]
		b.name, b.country = names[i], countries[i]
		b.parts = max(1, int(float64(parts)*weights[i]/sum))
		assigned += b.parts
		b.kinds = kindsOf(cats[i])
		if len(b.kinds) == 0 {
			b.kinds = []int{rng.IntN(len(kinds))}
		}
		b.prefix = uniquePrefix(b.name, usedPrefix, rng)
		b.dash = rng.IntN(2) == 0
		if rng.IntN(4) == 0 {
			b.suffix = []string{"HH", "X", "R", "S", "EU"}[rng.IntN(5)]
		}
		b.base = 100 + rng.IntN(9000)
		b.step = 1 + rng.IntN(7)
	}
	// Rounding leaves a remainder; the biggest brand absorbs it so the total is exact.
	brands[0].parts += parts - assigned
	first := 0
	for i := range brands {
		brands[i].firstIdx = first
		first += brands[i].parts
	}
	return brands
}

// uniquePrefix derives an all-letter part-number prefix from a brand name. Prefixes are unique,
// and a part number is prefix + digits (+ letters), so part numbers of different brands can
// never collide.
func uniquePrefix(name string, used map[string]bool, rng *rand.Rand) string {
	var letters []byte
	for _, r := range strings.ToUpper(name) {
		if r >= 'A' && r <= 'Z' {
			letters = append(letters, byte(r))
		}
	}
	for l := 2; l <= 4 && l <= len(letters); l++ {
		if p := string(letters[:l]); !used[p] {
			used[p] = true
			return p
		}
	}
	for {
		p := string(letters[:min(2, len(letters))])
		for len(p) < 4 {
			p += string(rune('A' + rng.IntN(26)))
		}
		if !used[p] {
			used[p] = true
			return p
		}
	}
}

// partNumber of the k-th part of a brand; a pure function so tenants can name parts without
// the part stream.
func (b *brand) partNumber(k int) string {
	return string(b.appendPartNumber(make([]byte, 0, 16), k))
}

// appendPartNumber appends partNumber(k) to dst without allocating a string, for the feeds'
// tens of millions of rows.
func (b *brand) appendPartNumber(dst []byte, k int) []byte {
	dst = append(dst, b.prefix...)
	if b.dash {
		dst = append(dst, '-')
	}
	dst = appendInt(dst, b.base+k*b.step)
	return append(dst, b.suffix...)
}

// A partIndex finds the brand and number of a part from its part number, the inverse of
// partNumber. Part numbers are prefix letters, an optional dash, digits and a letter suffix, and
// prefixes are unique, so the leading letters name the brand.
type partIndex struct {
	brands   []brand
	byPrefix map[string]int
}

func newPartIndex(brands []brand) *partIndex {
	x := &partIndex{brands: brands, byPrefix: make(map[string]int, len(brands))}
	for i := range brands {
		x.byPrefix[brands[i].prefix] = i
	}
	return x
}

// lookup returns the brand index and the part's index k within the brand; ok is false when pn
// is no catalog part number. Matching is case-insensitive, as the importer's.
func (x *partIndex) lookup(pn string) (bi, k int, ok bool) {
	pn = strings.ToUpper(strings.TrimSpace(pn))
	i := 0
	for i < len(pn) && pn[i] >= 'A' && pn[i] <= 'Z' {
		i++
	}
	bi, ok = x.byPrefix[pn[:i]]
	if !ok {
		return 0, 0, false
	}
	b := &x.brands[bi]
	rest := pn[i:]
	if b.dash {
		if !strings.HasPrefix(rest, "-") {
			return 0, 0, false
		}
		rest = rest[1:]
	}
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	if j == 0 || j > 9 || rest[j:] != b.suffix || (j > 1 && rest[0] == '0') {
		return 0, 0, false
	}
	n, _ := strconv.Atoi(rest[:j])
	if n < b.base || (n-b.base)%b.step != 0 || (n-b.base)/b.step >= b.parts {
		return 0, 0, false
	}
	return bi, (n - b.base) / b.step, true
}
