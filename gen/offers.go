package gen

import (
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

// Offers are the tenants' commercial data, as a POS or ERP would push it: one feed file per
// tenant, feeds/<tenant-id>.csv (.csv.gz, .csv.zst), header partNumber,price,stock, one row per
// priced item in catalog order (brands in catalog order, parts by index), then the tenant's
// priced own parts (Tenant.OwnPricedItems rows, in the order of its own parts file). price has two
// decimals in the tenant's currency; stock is a non-negative integer, or the word null when the
// tenant does not track it. tenants.json names the file and its counts, and carries the tenant's
// SKU aliases.
//
// Every priced part is visible to its tenant (a subscribed brand's part that is not
// deactivated, or an activated one, or one of its own parts); a MANUFACTURER prices exactly
// its own brand's visible parts; a DATA_PROVIDER prices nothing. The other types price a share
// of their visible catalog parts drawn per tenant and scaled so that the total lands on
// Profile.PricedItems; a tenant that shares its stock with a manufacturer prices enough that
// some 30 parts of that brand are expected among its rows. A tenant's priced own parts (see
// own.go) follow its catalog rows, at the end of the feed.

// feedsDir is the directory of the feed files, relative to the catalog directory.
const feedsDir = "feeds"

// Alias is one SKU alias of tenants.json: the tenant's own code for a catalog part.
type Alias struct {
	Alias      string `json:"alias"`
	PartNumber string `json:"partNumber"`
	Source     string `json:"source"`
}

// Alias sources.
const (
	SourcePOS    = "POS"
	SourceLegacy = "legacy"
)

// currencyFactor converts a EUR price into a tenant's currency (rounded mid-2020s rates).
var currencyFactor = map[string]float64{
	"EUR": 1, "SEK": 11.3, "NOK": 11.6, "DKK": 7.46, "CHF": 0.94, "PLN": 4.3, "GBP": 0.85,
}

// categoryPrice is the EUR price range of a part kind, by category.
var categoryPrice = map[string][2]float64{
	"Brakes > Brake pads > Sintered":  {18, 90},
	"Brakes > Brake pads > Organic":   {14, 60},
	"Brakes > Brake discs":            {60, 450},
	"Brakes > Brake lines":            {40, 180},
	"Engine > Filters > Oil filters":  {5, 25},
	"Engine > Filters > Air filters":  {12, 90},
	"Engine > Ignition > Spark plugs": {5, 25},
	"Engine > Gaskets":                {8, 180},
	"Engine > Pistons":                {60, 450},
	"Engine > Cooling":                {15, 400},
	"Engine > Fuel system":            {15, 350},
	"Drivetrain > Chains":             {40, 250},
	"Drivetrain > Sprockets > Front":  {12, 40},
	"Drivetrain > Sprockets > Rear":   {25, 120},
	"Drivetrain > Chain kits":         {90, 400},
	"Drivetrain > Drive belts":        {60, 350},
	"Drivetrain > CV axles":           {80, 450},
	"Drivetrain > Clutch":             {40, 400},
	"Electrical > Batteries":          {30, 250},
	"Electrical > Starters":           {60, 350},
	"Electrical > Lighting":           {20, 600},
	"Electrical > Regulators":         {40, 250},
	"Suspension":                      {60, 2000},
	"Suspension > Fork seals":         {15, 60},
	"Suspension > Bearings":           {10, 90},
	"Suspension > Ball joints":        {15, 80},
	"Body > Plastics":                 {25, 250},
	"Body > Plastics > Kits":          {120, 600},
	"Body > Mirrors":                  {15, 120},
	"Body > Windshields":              {60, 450},
	"Controls > Handlebars":           {40, 180},
	"Controls > Grips":                {8, 60},
	"Controls > Levers":               {15, 180},
	"Snowmobile > Tracks":             {400, 2000},
	"Snowmobile > Skis":               {150, 700},
	"Snowmobile > Slides":             {20, 120},
	"Snowmobile > Carbides":           {40, 250},
	"Wheels & Tyres > Tyres":          {40, 350},
	"Accessories > Winches":           {150, 900},
	"Exhaust > Silencers":             {200, 2000},
	"Maintenance > Lubricants":        {5, 30},
	"Maintenance > Oils":              {8, 80},
	"Luggage > Tie-downs":             {10, 60},
}

// defaultPrice is the range of a kind missing from categoryPrice.
var defaultPrice = [2]float64{10, 200}

// How a tenant rounds its shelf prices.
const (
	styleCharm = iota // .99, .95, .90
	styleRound        // .00, .50
	styleWhole        // whole numbers ending in 9 (common with SEK, NOK, DKK, PLN)
)

var (
	charmCents = []int64{99, 99, 99, 95, 95, 95, 90, 90, 50}
	roundCents = []int64{0, 0, 0, 0, 0, 50, 50, 50, 90, 95}
	wholeCents = []int64{0, 0, 0, 90, 50} // under 100, where a trailing 9 is too coarse
)

// pricedExp is the elasticity of a tenant's priced items to its visible parts (see planOffers).
const pricedExp = 0.75

// offerPlan is what one tenant prices, fixed before any feed is written.
type offerPlan struct {
	rng *rand.Rand // the tenant's own stream: plan draws, then its rows
	// share is the tenant's drawn share of its candidates, before the profile's scaling.
	share float64
	// ownBrand: a manufacturer prices its subscription only, all of it.
	ownBrand bool
	// candidates are the parts the tenant may price: its visible parts, or for a manufacturer
	// its brand's visible parts. priced of them are written.
	candidates, priced int
	markup             float64
	track              float64 // probability that a priced item has a tracked stock
	style              int
	aliases            int
	posStart           int
	subscribed         []bool // by brand index
	// activated and deactivated are global part indexes (brand.firstIdx + k), ascending.
	activated, deactivated []int
	// minPriced is the least the tenant prices: enough that about sharedParts parts of
	// each brand it shares its stock with are expected among its rows.
	minPriced int
}

// sharedParts is how many parts of a manufacturer's brand a reseller that shares its stock
// with that manufacturer is expected to price at least.
const sharedParts = 30

// planOffers draws every tenant's offer parameters and scales the shares so that the total
// lands on p.PricedItems. It needs only the brand table and the tenants, not the parts.
func planOffers(p Profile, brands []brand, idx *partIndex, tenants []Tenant, seed uint64) ([]offerPlan, error) {
	byName := make(map[string]int, len(brands))
	for i := range brands {
		byName[brands[i].name] = i
	}
	globals := func(t *Tenant, pns []string) ([]int, error) {
		out := make([]int, 0, len(pns))
		for _, pn := range pns {
			bi, k, ok := idx.lookup(pn)
			if !ok {
				return nil, fmt.Errorf("gen: tenant %s: %q is no catalog part", t.ID, pn)
			}
			out = append(out, brands[bi].firstIdx+k)
		}
		slices.Sort(out)
		return slices.Compact(out), nil
	}
	demo := p.Tenants <= 3 // the hand-checkable tenants of makeTenants

	// A manufacturer tenant's own brand, for the resellers that share their stock with it.
	brandOf := make(map[string]int, len(tenants))
	for i := range tenants {
		if t := &tenants[i]; t.Type == TypeManufacturer && len(t.Brands) == 1 {
			brandOf[t.ID] = byName[t.Brands[0]]
		}
	}
	plans := make([]offerPlan, len(tenants))
	fixed := 0 // manufacturers' rows, not scaled
	for i := range tenants {
		t := &tenants[i]
		pl := &plans[i]
		pl.rng = newRand(seed, streamOffers^uint64(i)<<32)
		// Always the same draws in the same order, whatever the type, so that one tenant's
		// parameters never depend on another's.
		pl.share = 0.55 + 0.45*pl.rng.Float64()
		pl.markup = 0.9 + 0.3*pl.rng.Float64()
		pl.track = 0.65 + 0.3*pl.rng.Float64()
		pl.style = priceStyle(t.Currency, pl.rng)
		hasAliases := pl.rng.Float64() < 0.3
		nAliases := 5 + pl.rng.IntN(46)
		// POS item numbers start at a round thousand; a few tenants happen to share a start,
		// and so alias strings that name different parts. Both demo shops start at 1000, so
		// the tiny profile has such a case to check by hand.
		pl.posStart = 1000 * (1 + pl.rng.IntN(max(1, 2*p.Tenants)))
		if demo {
			hasAliases, pl.posStart = true, 1000
		}
		if (t.Type == TypeStandard || t.Type == TypeRetail) && hasAliases {
			pl.aliases = nAliases
		}

		pl.subscribed = make([]bool, len(brands))
		for _, name := range t.Brands {
			bi, ok := byName[name]
			if !ok {
				return nil, fmt.Errorf("gen: tenant %s: unknown brand %q", t.ID, name)
			}
			pl.subscribed[bi] = true
		}
		var err error
		if pl.activated, err = globals(t, t.Activate); err != nil {
			return nil, err
		}
		if pl.deactivated, err = globals(t, t.Deactivate); err != nil {
			return nil, err
		}
		// makeTenants activates only parts of other brands and deactivates only subscribed
		// ones; keep just those, so the walk of writeFeed meets exactly the counted candidates.
		inSub := func(g int) bool { return pl.subscribed[brandAt(brands, g)] }
		pl.activated = slices.DeleteFunc(pl.activated, inSub)
		pl.deactivated = slices.DeleteFunc(pl.deactivated, func(g int) bool { return !inSub(g) })
		inBrands := 0
		for bi := range brands {
			if pl.subscribed[bi] {
				inBrands += brands[bi].parts
			}
		}
		inBrands -= len(pl.deactivated)
		switch t.Type {
		case TypeDataProvider:
		case TypeManufacturer:
			pl.ownBrand = true
			pl.candidates, pl.priced = inBrands, inBrands
			fixed += inBrands
		default:
			pl.candidates = inBrands + len(pl.activated)
			for _, g := range t.Grants {
				if bi, ok := brandOf[g.TenantID]; ok && pl.subscribed[bi] {
					pl.minPriced = max(pl.minPriced, int(math.Ceil(float64(sharedParts*pl.candidates)/float64(brands[bi].parts))))
				}
			}
			pl.minPriced = min(pl.minPriced, pl.candidates)
		}
	}

	// Scale the shares to the target. A shop that sees a few hundred parts prices most of them,
	// a distributor that sees most of the catalog a fraction, so the priced share falls with
	// the visible count: priced = min(candidates, s·share·candidates^pricedExp). The total is
	// monotone in s, so bisect.
	want := float64(max(0, p.PricedItems-fixed))
	pricedOf := func(pl *offerPlan, s float64) float64 {
		n := float64(pl.candidates)
		return max(float64(pl.minPriced), min(n, s*pl.share*math.Pow(n, pricedExp)))
	}
	total := func(s float64) float64 {
		sum := 0.0
		for i := range plans {
			if pl := &plans[i]; !pl.ownBrand {
				sum += pricedOf(pl, s)
			}
		}
		return sum
	}
	// At hi every tenant prices all its candidates.
	lo, hi := 0.0, 1.0
	for i := range plans {
		hi = max(hi, math.Pow(float64(plans[i].candidates), 1-pricedExp)/0.55)
	}
	if total(hi) <= want {
		lo = hi
	}
	for range 100 {
		mid := (lo + hi) / 2
		if total(mid) < want {
			lo = mid
		} else {
			hi = mid
		}
	}
	for i := range plans {
		pl := &plans[i]
		if pl.ownBrand || pl.candidates == 0 {
			continue
		}
		// Every pricing tenant sells something, however small the profile's target.
		pl.priced = max(1, int(math.Round(pricedOf(pl, lo))))
	}
	for i := range plans {
		plans[i].aliases = min(plans[i].aliases, plans[i].priced)
	}
	return plans, nil
}

// brandAt is the index of the brand holding global part index g.
func brandAt(brands []brand, g int) int {
	i, _ := slices.BinarySearchFunc(brands, g, func(b brand, g int) int {
		switch {
		case g < b.firstIdx:
			return 1
		case g >= b.firstIdx+b.parts:
			return -1
		}
		return 0
	})
	return i
}

func priceStyle(currency string, rng *rand.Rand) int {
	u := rng.IntN(10)
	switch currency {
	case "SEK", "NOK", "DKK", "PLN":
		switch {
		case u < 6:
			return styleWhole
		case u < 8:
			return styleCharm
		}
		return styleRound
	}
	switch {
	case u < 5:
		return styleCharm
	case u < 8:
		return styleRound
	}
	return styleWhole
}

// basePrices is every part's EUR list price, by global part index: a hash of the part within
// its kind's range, log-scaled and skewed towards the cheap end.
func basePrices(seed uint64, partKinds []uint8) []float32 {
	ranges := make([][2]float64, len(kinds))
	for i := range kinds {
		r, ok := categoryPrice[kinds[i].category]
		if !ok {
			r = defaultPrice
		}
		ranges[i] = r
	}
	out := make([]float32, len(partKinds))
	for g, ki := range partKinds {
		r := ranges[ki]
		u := float64(splitmix(seed^streamOffers, uint64(g))>>11) / (1 << 53)
		out[g] = float32(r[0] * math.Pow(r[1]/r[0], u*u))
	}
	return out
}

// splitmix hashes (seed, x): SplitMix64's finaliser over their combination.
func splitmix(seed, x uint64) uint64 {
	z := seed*0x9e3779b97f4a7c15 + x*0xbf58476d1ce4e5b9 + 0x94d049bb133111eb
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// shelfPrice rounds a price in currency units to cents with the tenant's kind of ending.
func shelfPrice(p float64, style int, rng *rand.Rand) int64 {
	n := int64(p)
	var c int64
	switch style {
	case styleCharm:
		c = charmCents[rng.IntN(len(charmCents))]
	case styleRound:
		c = roundCents[rng.IntN(len(roundCents))]
	default:
		switch {
		case n >= 1000:
			n = n/50*50 + 49
		case n >= 100:
			n = n/10*10 + 9
		default:
			c = wholeCents[rng.IntN(len(wholeCents))]
		}
	}
	if n == 0 && c == 0 {
		c = 90
	}
	return n*100 + c
}

// stockLevel: a fifth out of stock, most a handful, a few some hundreds.
func stockLevel(rng *rand.Rand) int {
	switch u := rng.IntN(100); {
	case u < 20:
		return 0
	case u < 88:
		return 1 + min(9, int(rng.ExpFloat64()*3))
	case u < 98:
		return 11 + rng.IntN(40)
	default:
		return 51 + int(450*math.Pow(rng.Float64(), 2))
	}
}

func appendCents(b []byte, cents int64) []byte {
	b = strconv.AppendInt(b, cents/100, 10)
	c := cents % 100
	return append(b, '.', byte('0'+c/10), byte('0'+c%10))
}

// writeOffers writes every pricing tenant's feed, with its priced own parts (owns, by tenant
// index, nil where none) last, and every chain's location stock, and fills in their
// tenants.json fields.
func writeOffers(p Profile, brands []brand, partKinds []uint8, tenants []Tenant, owns []*ownSet, seed uint64, dir string, c Compression, st *Stats) error {
	idx := newPartIndex(brands)
	plans, err := planOffers(p, brands, idx, tenants, seed)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, feedsDir), 0o755); err != nil {
		return err
	}
	// The stores' share of their chain's stocked items, scaled so that the profile's
	// location stock stays within its budget.
	expected := 0.0
	for i := range tenants {
		expected += expectedStoreRows(float64(plans[i].priced)*plans[i].track) * float64(openStores(&tenants[i]))
	}
	scale := 1.0
	if budget := float64(locationStockBudget(p)); expected > budget {
		scale = budget / expected
	}
	base := basePrices(seed, partKinds)
	var buf []byte
	var stocked []int32
	for i := range tenants {
		t, pl := &tenants[i], &plans[i]
		own := owns[i]
		if pl.priced == 0 && own == nil {
			continue
		}
		o, err := createCSV(dir, path.Join(feedsDir, t.ID), c)
		if err != nil {
			return err
		}
		chain := openStores(t) > 0
		var keep *[]int32
		if chain {
			stocked = stocked[:0]
			keep = &stocked
		}
		factor := currencyFactor[t.Currency] * pl.markup
		aliased, withStock := writeFeed(o, t, pl, brands, base, factor, &buf, keep)
		if own != nil {
			n, s := writeOwnOffers(o, own, pl.style, factor, newRand(seed, streamOwnOffers^uint64(i)<<32), keep)
			t.OwnPricedItems = n
			withStock += s
		}
		if err := o.Close(); err != nil {
			return err
		}
		if o.rows == 1 { // own parts, none of them priced
			if err := os.Remove(o.path); err != nil {
				return err
			}
			continue
		}
		t.Offers = path.Join(feedsDir, filepath.Base(o.path))
		t.PricedItems, t.StockedItems = o.rows-1, withStock
		t.Aliases = makeAliases(aliased, pl, idx)
		st.Feeds++
		st.PricedItems += t.PricedItems
		st.StockedItems += withStock
		st.OwnPricedItems += t.OwnPricedItems
		st.Aliases += len(t.Aliases)
		if chain {
			name, rows, err := writeLocationStock(dir, c, t, stocked, brands, own, scale, newRand(seed, streamLocationStock^uint64(i)<<32))
			if err != nil {
				return err
			}
			t.LocationStock, t.LocationStockRows = name, rows
			st.LocationStockRows += rows
		}
	}
	return nil
}

// writeFeed streams one tenant's rows: it walks the tenant's candidates in catalog order and
// keeps exactly pl.priced of them (selection sampling), so counts are known in advance. It
// returns the part numbers chosen for aliases and the number of rows with a tracked stock.
//
// keep, when not nil, receives the global part index of every row with a tracked stock.
func writeFeed(o *csvFile, t *Tenant, pl *offerPlan, brands []brand, base []float32, factor float64, buf *[]byte, keep *[]int32) (aliased []string, stocked int) {
	rng := pl.rng
	o.fields("partNumber", "price", "stock")
	o.endRow()
	ranks := pickRanks(pl.aliases, pl.priced, rng)
	need, left, row := pl.priced, pl.candidates, 0
	b := *buf
	emit := func(bi, k int) {
		br := &brands[bi]
		b = br.appendPartNumber(b[:0], k)
		if len(ranks) > 0 && ranks[0] == row {
			ranks = ranks[1:]
			aliased = append(aliased, string(b))
		}
		o.bytesField(b)
		b = appendCents(b[:0], shelfPrice(float64(base[br.firstIdx+k])*factor, pl.style, rng))
		o.bytesField(b)
		if rng.Float64() < pl.track {
			b = appendInt(b[:0], stockLevel(rng))
			o.bytesField(b)
			stocked++
			if keep != nil {
				*keep = append(*keep, int32(br.firstIdx+k))
			}
		} else {
			o.field("null")
		}
		o.endRow()
		row++
	}
	// take decides whether the next candidate is priced: with probability need/left, which
	// keeps exactly need of the remaining left.
	take := func() bool {
		ok := need == left || rng.IntN(left) < need
		left--
		if ok {
			need--
		}
		return ok
	}
	act, deact := pl.activated, pl.deactivated
	for bi := range brands {
		if need == 0 {
			break
		}
		br := &brands[bi]
		end := br.firstIdx + br.parts
		if pl.subscribed[bi] {
			for k := range br.parts {
				if len(deact) > 0 && deact[0] == br.firstIdx+k {
					deact = deact[1:]
					continue
				}
				if take() {
					emit(bi, k)
				}
			}
			continue
		}
		for len(act) > 0 && act[0] < end {
			g := act[0]
			act = act[1:]
			if !pl.ownBrand && take() {
				emit(bi, g-br.firstIdx)
			}
		}
	}
	*buf = b
	return aliased, stocked
}

// pickRanks returns n distinct rows of [0, m) in increasing order (Floyd's algorithm).
func pickRanks(n, m int, rng *rand.Rand) []int {
	out := make([]int, 0, n)
	for j := m - n; j < m; j++ {
		r := rng.IntN(j + 1)
		if slices.Contains(out, r) {
			r = j
		}
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

// makeAliases names the chosen parts by POS item numbers (increasing from the tenant's
// start, with gaps) or by a legacy supplier's codes. Aliases are unique within the tenant and
// never a catalog part number.
func makeAliases(pns []string, pl *offerPlan, idx *partIndex) []Alias {
	if len(pns) == 0 {
		return nil
	}
	rng := pl.rng
	seen := make(map[string]bool, len(pns))
	pos := pl.posStart
	out := make([]Alias, 0, len(pns))
	for _, pn := range pns {
		for {
			var a Alias
			if rng.IntN(4) > 0 {
				pos += 1 + rng.IntN(3)
				a = Alias{Alias: "POS-" + strconv.Itoa(pos), PartNumber: pn, Source: SourcePOS}
			} else {
				a = Alias{Alias: "LEG-" + strconv.Itoa(100000+rng.IntN(900000)), PartNumber: pn, Source: SourceLegacy}
			}
			key := strings.ToLower(a.Alias)
			if _, _, isPart := idx.lookup(a.Alias); seen[key] || isPart {
				continue
			}
			seen[key] = true
			out = append(out, a)
			break
		}
	}
	return out
}
