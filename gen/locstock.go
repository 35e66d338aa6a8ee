package gen

import (
	"math/rand/v2"
	"path"
	"path/filepath"
)

// Location stock: what each store of a chain holds, as its POS would push it to POST
// /api/integrations/location-stock-feed. One file per chain, feeds/<tenant-id>-locations.csv
// (.csv.gz, .csv.zst, as the offer feeds), header location,part_number,stock: rows grouped by
// location (open stores only, in code order), then in feed order; stock a non-negative
// integer, skewed small (many 1-3, some 0, a few dozens). Every open store holds at least one
// item.
//
// Each open store holds a share of the chain's items with a tracked stock (its offer feed's
// rows with a stock other than null, own parts included): 20-40% of them, but no more than
// its shelves take (2,000-4,000 items: the eu profile's chains stock some 46,000 items each,
// small's 5,000-13,000), and scaled down should the profile's total pass locationStockBudget.
// A store carries product lines rather than scattered SKUs, so it takes runs of neighbouring
// part numbers (up to about 96 of the chain's items long when the chain stocks thousands);
// that also keeps the engine's paged per-store stock tables dense. Location stock draws from
// its own random streams: the offer feeds are the same with or without it.

const streamLocationStock = 0x6c73_746b // xor tenant index << 32

// locationStockBudget is the most location-stock rows a profile should have: the server
// holds them all in memory (a safety net: the stores' shelves keep eu near 3.3 million).
func locationStockBudget(p Profile) int { return p.PricedItems * 2 / 5 }

// locationShare is the mean share of a chain's stocked items that one store holds, before
// its shelf (shelfMin-shelfMax items) and the budget limit it.
const (
	locationShare = 0.3
	shelfMin      = 2_000
	shelfMax      = 4_000
)

// expectedStoreRows is about how many rows a store of a chain stocking n items gets, before
// the budget's scaling.
func expectedStoreRows(n float64) float64 {
	return min(locationShare*n, (shelfMin+shelfMax)/2)
}

// locationStockLevel: some out of stock, most 1-3, a few dozens.
func locationStockLevel(rng *rand.Rand) int {
	switch u := rng.IntN(100); {
	case u < 12:
		return 0
	case u < 70:
		return 1 + rng.IntN(3)
	case u < 93:
		return 4 + rng.IntN(7)
	case u < 99:
		return 11 + rng.IntN(30)
	default:
		return 41 + rng.IntN(160)
	}
}

// openStores counts a tenant's active locations of its own.
func openStores(t *Tenant) int {
	n := 0
	for _, l := range t.Locations {
		if l.Active && l.LinkedTenantID == "" {
			n++
		}
	}
	return n
}

// writeLocationStock writes a chain's location stock from its stocked items (global part
// indexes, or -(i+1) for own part i) and returns the rows written.
func writeLocationStock(dir string, c Compression, t *Tenant, stocked []int32, brands []brand, own *ownSet, scale float64, rng *rand.Rand) (string, int, error) {
	o, err := createCSV(dir, path.Join(feedsDir, t.ID+"-locations"), c)
	if err != nil {
		return "", 0, err
	}
	o.fields("location", "part_number", "stock")
	o.endRow()
	// Mean run length in items: long runs where the chain stocks thousands, single items
	// where it stocks a few dozen (tiny), so every store still holds something.
	run := float64(max(1, min(96, len(stocked)/100)))
	var b []byte
	for _, l := range t.Locations {
		if !l.Active || l.LinkedTenantID != "" {
			continue
		}
		f := locationShare - 0.1 + 0.2*rng.Float64()
		shelf := shelfMin + rng.IntN(shelfMax-shelfMin+1)
		f = min(f, float64(shelf)/float64(max(1, len(stocked)))) * scale
		// A two-state chain (in a run, between runs) that holds a share f of the items:
		// independent draws when run is short.
		pOut := min(1-f, 1/run)
		pIn := f * pOut / (1 - f)
		in := rng.Float64() < f
		emit := func(g int32) {
			o.field(l.Code)
			if g >= 0 {
				bi := brandAt(brands, int(g))
				b = brands[bi].appendPartNumber(b[:0], int(g)-brands[bi].firstIdx)
				o.bytesField(b)
			} else {
				o.field(own.parts[-g-1].number)
			}
			o.bytesField(appendInt(b[:0], locationStockLevel(rng)))
			o.endRow()
		}
		before := o.rows
		for _, g := range stocked {
			if in {
				emit(g)
			}
			if in {
				in = rng.Float64() >= pOut
			} else {
				in = rng.Float64() < pIn
			}
		}
		if o.rows == before && len(stocked) > 0 {
			emit(stocked[rng.IntN(len(stocked))]) // every open store holds something
		}
	}
	if err := o.Close(); err != nil {
		return "", 0, err
	}
	return path.Join(feedsDir, filepath.Base(o.path)), o.rows - 1, nil
}
