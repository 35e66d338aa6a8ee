package gen

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// A model of the generated vehicle universe.
type model struct {
	make, name, typ string
	cc              int
	years           []int // every year with a vehicle: the implicit wildcard vehicles
	subs            []submodel
	rows            []vehicleRow
	idx             int32 // in universe.models
	// rev holds the model years that a revision adds, by submodel ("" the wildcard); nil for
	// most models and at revision 0.
	rev map[string]*newYears
}

type submodel struct {
	name  string
	years []int
}

type vehicleRow struct {
	sub, gen string
	years    []int
	cc       int
}

// universe is the vehicle side of a catalog, indexed the ways fitment generation samples it.
type universe struct {
	models []*model
	makes  []string
	// byMask[mask] lists the makes having models of any type in mask, each with those models.
	byMask [16][]makeModels
	stats  struct{ rows, vehicles int }
}

type makeModels struct {
	make   string
	models []int32
}

// makeWeight is how common a make is in a European powersport shop; it orders which real models
// a small profile keeps.
var makeWeight = map[string]float64{
	"Honda": 10, "Yamaha": 10, "Kawasaki": 8, "Suzuki": 7, "KTM": 8, "Can-Am": 9, "Polaris": 9,
	"Ski-Doo": 8, "Lynx": 6, "Arctic Cat": 5, "BMW": 6, "Harley-Davidson": 4, "Husqvarna": 5,
	"Ducati": 4, "Triumph": 4, "CFMOTO": 5, "Aprilia": 3, "Beta": 3, "GasGas": 3, "Sherco": 2,
	"Segway": 2, "Kymco": 2, "Linhai": 2,
}

// Synthetic trims per type, combined with suffixes when a model needs many submodels.
var trimWords = map[string][]string{
	Motorcycle: {"ABS", "SE", "Limited", "R", "S", "Sport", "Touring", "DCT", "Adventure", "Pro",
		"Classic", "Special", "Race", "Street", "Rally", "Edition", "Performance", "Comfort"},
	ATV: {"EPS", "XT", "X-MR", "DPS", "4x4", "2WD", "Limited", "SE", "Pro", "Trail", "XT-P",
		"Touring", "X mr", "Max", "LT", "Hunter"},
	UTV: {"XT", "DPS", "X-MR", "Pro", "Limited", "Max", "Crew", "Sport", "Ultimate", "Turbo",
		"Premium", "X rs", "Trail", "Northstar", "EPS", "XC"},
	Snowmobile: {"X", "RS", "XRS", "Adrenaline", "Blizzard", "LE", "SP", "Pro", "Sport", "Limited",
		"Trail", "Mountain", "Touring", "Enduro", "Expert", "Alpha"},
}

var trimSuffix = map[string][]string{
	Motorcycle: {"", "ABS", "Low", "Plus", "II"},
	ATV:        {"", "T3", "EU", "Camo", "HD"},
	UTV:        {"", "T", "Turbo", "Camo", "HD"},
	Snowmobile: {"", "137", "146", "154", "165", "600R", "850", "Turbo"},
}

// buildUniverse picks real models until the profile's vehicle count is reached, giving each
// model submodels, year spans and generations.
func buildUniverse(p Profile, seeds []modelSeed, rng *rand.Rand) *universe {
	// Weighted random order (Efraimidis–Spirakis): popular makes first, but a make with hundreds
	// of models does not crowd out the others.
	perMake := map[string]int{}
	for _, s := range seeds {
		perMake[s.make]++
	}
	type cand struct {
		key float64
		i   int
	}
	order := make([]cand, len(seeds))
	for i, s := range seeds {
		w, ok := makeWeight[s.make]
		if !ok {
			w = 1
		}
		w /= math.Sqrt(float64(perMake[s.make]))
		if s.typ != Motorcycle {
			w *= 3 // off-road types are a large share of Nordic sales
		}
		order[i] = cand{key: math.Pow(rng.Float64(), 1/w), i: i}
	}
	slices.SortStableFunc(order, func(a, b cand) int {
		switch {
		case a.key > b.key:
			return -1
		case a.key < b.key:
			return 1
		}
		return 0
	})
	// Every type must appear even in the tiny profile.
	var first []int
	seenType := map[string]bool{}
	for _, c := range order {
		if t := seeds[c.i].typ; !seenType[t] {
			seenType[t] = true
			first = append(first, c.i)
		}
	}
	picked := make([]int, 0, len(order))
	picked = append(picked, first...)
	for _, c := range order {
		if !slices.Contains(first, c.i) {
			picked = append(picked, c.i)
		}
	}

	u := &universe{}
	spanCap := 4
	switch {
	case p.Vehicles >= 100_000:
		spanCap = 24
	case p.Vehicles >= 1_000:
		spanCap = 12
	}
	total := 0
	for n, si := range picked {
		if total >= p.Vehicles {
			break
		}
		remainingModels := len(picked) - n
		goal := max(12, (p.Vehicles-total)/remainingModels+1)
		if p.Vehicles < 200 {
			goal = 12
		}
		m := newModel(seeds[si], goal, spanCap, rng)
		c := countVehicles(m)
		if total > 0 && total+c > p.Vehicles+p.Vehicles/10 {
			continue // would overshoot the profile; a smaller model may still fit
		}
		u.models = append(u.models, m)
		total += c
	}
	slices.SortFunc(u.models, func(a, b *model) int {
		if c := strings.Compare(a.make, b.make); c != 0 {
			return c
		}
		return strings.Compare(strings.ToLower(a.name), strings.ToLower(b.name))
	})
	u.index()
	for _, m := range u.models {
		u.stats.rows += len(m.rows)
		u.stats.vehicles += countVehicles(m)
	}
	return u
}

func countVehicles(m *model) int {
	n := len(m.years)
	for _, s := range m.subs {
		n += len(s.years)
	}
	return n
}

func newModel(s modelSeed, goal, spanCap int, rng *rand.Rand) *model {
	m := &model{make: s.make, name: s.model, typ: s.typ, cc: s.cc}
	if m.cc == 0 {
		m.cc = typicalCC(s.typ, rng)
	}
	// The latest years of the model, at most spanCap of them, and no stray early year that a
	// catch-all VIN rule left far before the rest.
	src := s.years
	n := min(len(src), 2+rng.IntN(spanCap))
	big := goal > 8*len(src)
	if big {
		// The biggest profile needs more model-years than the tightly dated ones.
		src = s.allYears
		n = len(src)
	}
	years := slices.Clone(src[len(src)-n:])
	for i := len(years) - 1; i > 0; i-- {
		if years[i]-years[i-1] > 3 {
			years = years[i:]
			break
		}
	}
	// Some models skipped a year (a gap the format must keep).
	if len(years) >= 5 && rng.IntN(6) == 0 {
		years = slices.Delete(years, len(years)/2, len(years)/2+1)
	}

	nsubs := max(0, int(math.Round(float64(goal)/float64(len(years))-1+rng.NormFloat64()*0.7)))
	nsubs = min(nsubs, 60, 6+(3+btoi(big))*len(years))
	names := submodelNames(s, nsubs, rng)

	// Generation boundaries are shared by all submodels of a model.
	var genCut []int
	if len(years) >= 6 && rng.IntN(3) == 0 {
		genCut = []int{years[len(years)/3], years[2*len(years)/3]}
	}
	union := map[int]bool{}
	for _, name := range names {
		ys := years
		if len(years) > 1 && rng.IntN(4) < 2-btoi(big) {
			lo := rng.IntN(len(years))
			hi := lo + 1 + rng.IntN(len(years)-lo)
			ys = years[lo:hi]
		}
		ys = slices.Clone(ys)
		m.subs = append(m.subs, submodel{name: name, years: ys})
		for _, y := range ys {
			union[y] = true
		}
	}
	// The base row names the wildcard vehicle explicitly; models without submodels need it.
	if len(names) == 0 || rng.IntN(2) == 0 {
		m.rows = append(m.rows, splitGenerations(m, "", years, genCut, rng)...)
		for _, y := range years {
			union[y] = true
		}
	}
	for _, sub := range m.subs {
		m.rows = append(m.rows, splitGenerations(m, sub.name, sub.years, genCut, rng)...)
	}
	for y := range union {
		m.years = append(m.years, y)
	}
	slices.Sort(m.years)
	return m
}

// splitGenerations writes one vehicle row per generation a submodel spans.
func splitGenerations(m *model, sub string, years, cut []int, rng *rand.Rand) []vehicleRow {
	cc := 0
	if rng.IntN(5) < 3 {
		cc = m.cc
	}
	if len(cut) == 0 {
		return []vehicleRow{{sub: sub, years: years, cc: cc}}
	}
	var rows []vehicleRow
	start := 0
	for g := 0; g <= len(cut); g++ {
		end := len(years)
		if g < len(cut) {
			end, _ = slices.BinarySearch(years, cut[g])
		}
		if end > start {
			rows = append(rows, vehicleRow{sub: sub, gen: "G" + strconv.Itoa(g+1), years: years[start:end], cc: cc})
		}
		start = max(start, end)
	}
	return rows
}

func submodelNames(s modelSeed, n int, rng *rand.Rand) []string {
	seen := map[string]bool{}
	var out []string
	add := func(t string) {
		if k := strings.ToLower(t); !seen[k] && len(out) < n {
			seen[k] = true
			out = append(out, t)
		}
	}
	for _, i := range rng.Perm(len(s.trims)) {
		add(s.trims[i])
	}
	words, suffixes := trimWords[s.typ], trimSuffix[s.typ]
	for tries := 0; len(out) < n && tries < 40*n; tries++ {
		t := words[rng.IntN(len(words))]
		if tries >= len(words) || rng.IntN(3) == 0 {
			if sfx := suffixes[rng.IntN(len(suffixes))]; sfx != "" {
				t += " " + sfx
			}
		}
		add(t)
	}
	return out
}

func typicalCC(typ string, rng *rand.Rand) int {
	choices := map[string][]int{
		Motorcycle: {125, 250, 300, 390, 450, 500, 650, 690, 750, 890, 1000, 1200},
		ATV:        {90, 250, 450, 570, 650, 850, 1000},
		UTV:        {570, 800, 900, 1000},
		Snowmobile: {600, 800, 850, 900},
	}[typ]
	return choices[rng.IntN(len(choices))]
}

func (u *universe) index() {
	seen := map[string]bool{}
	for mi, m := range u.models {
		m.idx = int32(mi)
		if !seen[m.make] {
			seen[m.make] = true
			u.makes = append(u.makes, m.make)
		}
		for mask := 1; mask < 16; mask++ {
			if mask&(1<<typeIndex(m.typ)) == 0 {
				continue
			}
			l := u.byMask[mask]
			if len(l) == 0 || l[len(l)-1].make != m.make {
				l = append(l, makeModels{make: m.make})
			}
			l[len(l)-1].models = append(l[len(l)-1].models, int32(mi))
			u.byMask[mask] = l
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
