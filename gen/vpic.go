package gen

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

//go:embed data/vpic_powersport.csv.gz
var vpicGz []byte

// Vehicle types of the catalog format.
const (
	Motorcycle = "motorcycle"
	ATV        = "atv"
	UTV        = "utv"
	Snowmobile = "snowmobile"
)

var vehicleTypes = []string{Motorcycle, ATV, UTV, Snowmobile}

func typeIndex(t string) int { return slices.Index(vehicleTypes, t) }

// A modelSeed is one real (make, model) with the years and trims vPIC knows for it.
type modelSeed struct {
	make, model, typ string
	years            []int // sorted, distinct; tightly dated years when vPIC has any
	allYears         []int // also the years of catch-all VIN rules (latest 20), for big profiles
	trims            []string
	cc               int
}

// makeSpelling maps vPIC make names to the spelling European catalogs use; vPIC's case is
// inconsistent across makes ("CAN-AM", "KYMCO" next to "Honda").
var makeSpelling = map[string]string{
	"CAN-AM":            "Can-Am",
	"APRILIA":           "Aprilia",
	"SEGWAY":            "Segway",
	"KYMCO":             "Kymco",
	"Indian Motorcycle": "Indian",
	"MV Agusta Motor":   "MV Agusta",
	"PIAGGIO":           "Piaggio",
	"VESPA":             "Vespa",
	"Zero Motorcycles":  "Zero",
	"HISUN":             "Hisun",
}

// motorcycleOnly makes build nothing but motorcycles, so a vPIC row of theirs without a body
// class is still a motorcycle.
var motorcycleOnly = map[string]bool{
	"KTM": true, "Husqvarna": true, "BMW": true, "Ducati": true, "Triumph": true,
	"Harley-Davidson": true, "Aprilia": true, "Beta": true, "GasGas": true, "Sherco": true,
	"MV Agusta": true, "Moto Guzzi": true, "Benelli": true, "Royal Enfield": true, "Indian": true,
	"Zero": true, "Buell": true, "Victory": true, "Vespa": true, "Piaggio": true, "Husaberg": true,
}

// bodyType maps a vPIC body class to a vehicle type; "" means not a powersport vehicle we keep.
func bodyType(body string) string {
	switch {
	case body == "":
		return ""
	case strings.Contains(body, "Snowmobile"):
		return Snowmobile
	case strings.Contains(body, "All Terrain Vehicle"):
		return ATV
	case strings.Contains(body, "MOHUV"), strings.Contains(body, "Recreational Off-Highway"):
		return UTV
	case strings.HasPrefix(body, "Motorcycle"),
		strings.Contains(body, "Motocross"), strings.Contains(body, "Dirt Bike"),
		strings.Contains(body, "Enduro"):
		return Motorcycle
	}
	return ""
}

// junkModel rejects vPIC "models" that are really VIN-rule placeholders or categories.
func junkModel(make_, model string) bool {
	l := strings.ToLower(model)
	if len(model) < 2 || len(model) > 40 || strings.Contains(l, strings.ToLower(make_)) {
		return true
	}
	for _, w := range []string{"competition", "street legal", "utility vehicle", "scooter",
		"products", "four-stroke", "frame", "police", "passenger", "unknown"} {
		if strings.Contains(l, w) {
			return true
		}
	}
	switch l {
	case "atv", "motorcycle", "other", "brp", "enduro", "tbd":
		return true
	}
	return false
}

const (
	firstYear = 1995
	lastYear  = 2026
)

// loadSeeds parses the embedded vPIC extract and returns real models sorted by (make, model),
// unique case-insensitively within each make and across makes.
func loadSeeds() ([]modelSeed, error) {
	zr, err := gzip.NewReader(bytes.NewReader(vpicGz))
	if err != nil {
		return nil, fmt.Errorf("gen: embedded vpic data: %w", err)
	}
	r := csv.NewReader(zr)
	if _, err := r.Read(); err != nil {
		return nil, fmt.Errorf("gen: embedded vpic data: %w", err)
	}
	type acc struct {
		make, model  string
		rows         int
		types        [4]int
		tight, loose map[int]bool
		trims        map[string]string
		cc           map[int]int
	}
	byKey := map[string]*acc{}
	var keys []string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("gen: embedded vpic data: %w", err)
		}
		// make,model,series,trim,year_from,year_to,displacement_cc,body_class
		mk := rec[0]
		if s, ok := makeSpelling[mk]; ok {
			mk = s
		}
		model := strings.Join(strings.Fields(rec[1]), " ")
		if junkModel(mk, model) {
			continue
		}
		body := rec[7]
		typ := bodyType(body)
		if body != "" && typ == "" {
			continue // golf carts, construction equipment, low-speed vehicles
		}
		from, err1 := strconv.Atoi(rec[4])
		to := lastYear
		if rec[5] != "" {
			to, _ = strconv.Atoi(rec[5])
		}
		if err1 != nil || to < firstYear {
			continue
		}
		to = min(to, lastYear)
		key := strings.ToLower(mk + "\x00" + model)
		a := byKey[key]
		if a == nil {
			a = &acc{make: mk, model: model, tight: map[int]bool{}, loose: map[int]bool{},
				trims: map[string]string{}, cc: map[int]int{}}
			byKey[key] = a
			keys = append(keys, key)
		}
		a.rows++
		if typ != "" {
			a.types[typeIndex(typ)]++
		}
		// Long or open-ended VIN-schema ranges are catch-alls, not production years: prefer the
		// tightly dated rows of a model when it has any.
		set := a.loose
		if to-from <= 5 {
			set = a.tight
		}
		for y := max(from, firstYear); y <= to; y++ {
			set[y] = true
		}
		for _, t := range []string{rec[3], rec[2]} {
			t = strings.Join(strings.Fields(t), " ")
			if t != "" && len(t) <= 20 && !strings.EqualFold(t, model) && !strings.ContainsAny(t, ",;/") {
				a.trims[strings.ToLower(t)] = t
			}
		}
		if cc, err := strconv.Atoi(rec[6]); err == nil && cc > 0 {
			a.cc[cc]++
		}
	}

	// A model name filed under several makes is a WMI mix-up in vPIC (Kawasaki models under
	// KYMCO); keep it only under the make that files it most.
	owner := map[string]*acc{}
	for _, k := range keys {
		a := byKey[k]
		m := strings.ToLower(a.model)
		if o := owner[m]; o == nil || a.rows > o.rows || (a.rows == o.rows && a.make < o.make) {
			owner[m] = a
		}
	}
	var seeds []modelSeed
	for _, k := range keys {
		a := byKey[k]
		if owner[strings.ToLower(a.model)] != a {
			continue
		}
		s := modelSeed{make: a.make, model: a.model}
		best := -1
		for i, n := range a.types {
			if n > 0 && (best < 0 || n > a.types[best]) {
				best = i
			}
		}
		switch {
		case best >= 0:
			s.typ = vehicleTypes[best]
		case motorcycleOnly[a.make]:
			s.typ = Motorcycle
		default:
			continue
		}
		set := a.tight
		if len(set) == 0 {
			set = a.loose
		}
		for y := range set {
			s.years = append(s.years, y)
		}
		slices.Sort(s.years)
		if len(a.tight) == 0 && len(s.years) > 15 {
			s.years = s.years[len(s.years)-15:]
		}
		for y := range a.loose {
			if !a.tight[y] {
				s.allYears = append(s.allYears, y)
			}
		}
		s.allYears = append(s.allYears, s.years...)
		slices.Sort(s.allYears)
		s.allYears = slices.Compact(s.allYears)
		if len(s.allYears) > 20 {
			s.allYears = s.allYears[len(s.allYears)-20:]
		}
		for _, t := range a.trims {
			s.trims = append(s.trims, t)
		}
		slices.Sort(s.trims)
		bestN := 0
		for cc, n := range a.cc {
			if n > bestN || (n == bestN && cc < s.cc) {
				s.cc, bestN = cc, n
			}
		}
		seeds = append(seeds, s)
	}
	seeds = append(seeds, curatedSeeds()...)
	slices.SortFunc(seeds, func(a, b modelSeed) int {
		if c := strings.Compare(a.make, b.make); c != 0 {
			return c
		}
		return strings.Compare(strings.ToLower(a.model), strings.ToLower(b.model))
	})
	return seeds, nil
}

// curatedSeeds adds real models of makes that vPIC lacks or files only under placeholder model
// names (Ski-Doo, Lynx, Arctic Cat snowmobiles and side-by-sides). Model names are facts; the
// year spans are approximate production runs.
func curatedSeeds() []modelSeed {
	type c struct {
		make, model, typ string
		from, to, cc     int
	}
	list := []c{
		{"Ski-Doo", "MXZ", Snowmobile, 2003, 2026, 850},
		{"Ski-Doo", "Summit", Snowmobile, 2003, 2026, 850},
		{"Ski-Doo", "Renegade", Snowmobile, 2009, 2026, 850},
		{"Ski-Doo", "Backcountry", Snowmobile, 2016, 2026, 850},
		{"Ski-Doo", "Expedition", Snowmobile, 2005, 2026, 900},
		{"Ski-Doo", "Grand Touring", Snowmobile, 2003, 2026, 900},
		{"Ski-Doo", "Skandic", Snowmobile, 2003, 2026, 600},
		{"Ski-Doo", "Tundra", Snowmobile, 2003, 2026, 600},
		{"Ski-Doo", "Freeride", Snowmobile, 2012, 2026, 850},
		{"Ski-Doo", "Neo", Snowmobile, 2023, 2026, 600},
		{"Ski-Doo", "Legend", Snowmobile, 2003, 2011, 600},
		{"Ski-Doo", "GSX", Snowmobile, 2003, 2015, 600},
		{"Lynx", "Rave", Snowmobile, 2004, 2026, 850},
		{"Lynx", "Boondocker", Snowmobile, 2013, 2026, 850},
		{"Lynx", "Commander", Snowmobile, 2012, 2026, 900},
		{"Lynx", "Xterrain", Snowmobile, 2013, 2026, 850},
		{"Lynx", "Adventure", Snowmobile, 2006, 2026, 600},
		{"Lynx", "49 Ranger", Snowmobile, 2012, 2026, 600},
		{"Lynx", "59 Ranger", Snowmobile, 2012, 2026, 900},
		{"Lynx", "Shredder", Snowmobile, 2022, 2026, 850},
		{"Lynx", "Brutal", Snowmobile, 2023, 2026, 850},
		{"Arctic Cat", "ZR 8000", Snowmobile, 2016, 2025, 794},
		{"Arctic Cat", "ZR 6000", Snowmobile, 2017, 2025, 599},
		{"Arctic Cat", "M 8000", Snowmobile, 2012, 2025, 794},
		{"Arctic Cat", "Riot 8000", Snowmobile, 2019, 2025, 794},
		{"Arctic Cat", "Bearcat 570", Snowmobile, 2006, 2025, 565},
		{"Arctic Cat", "Blast", Snowmobile, 2020, 2025, 397},
		{"Arctic Cat", "Norseman", Snowmobile, 2021, 2025, 794},
		{"Arctic Cat", "Pantera 7000", Snowmobile, 2014, 2025, 1049},
		{"Arctic Cat", "Alterra 300", ATV, 2017, 2025, 270},
		{"Arctic Cat", "Alterra 600", ATV, 2017, 2025, 600},
		{"Arctic Cat", "Alterra 700", ATV, 2017, 2025, 695},
		{"Arctic Cat", "Wildcat XX", UTV, 2018, 2024, 998},
		{"Arctic Cat", "Wildcat Trail", UTV, 2014, 2023, 695},
		{"Arctic Cat", "Prowler Pro", UTV, 2019, 2024, 812},
	}
	out := make([]modelSeed, len(list))
	for i, c := range list {
		s := modelSeed{make: c.make, model: c.model, typ: c.typ, cc: c.cc}
		for y := c.from; y <= c.to; y++ {
			s.years = append(s.years, y)
		}
		s.allYears = s.years
		out[i] = s
	}
	return out
}
