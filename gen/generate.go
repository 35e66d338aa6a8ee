package gen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// ErrBadOptions reports an Options value Generate cannot honour.
var ErrBadOptions = errors.New("gen: bad options")

// Independent random streams, so that a change to one file's generator does not reshuffle the
// others.
const (
	streamVehicles = 0x7665_6869
	streamBrands   = 0x6272_616e
	streamParts    = 0x7061_7274 // xor brand index
	streamTenants  = 0x7465_6e61
	streamOffers   = 0x6f66_6665 // xor tenant index
)

func newRand(seed, stream uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, stream)) }

// usedKinds lists the kinds that some catalog part has, so whose categories the catalog's
// tree holds.
func usedKinds(partKinds []uint8) []int {
	var seen [256]bool
	for _, k := range partKinds {
		seen[k] = true
	}
	var out []int
	for k := range kinds {
		if seen[k] {
			out = append(out, k)
		}
	}
	return out
}

// Generate writes vehicles.csv, parts.csv, fitments.csv, the tenants' offer feeds
// feeds/<tenant-id>.csv and the chains' location stock feeds/<tenant-id>-locations.csv (all
// compressed as opts says), the own vehicles and parts of some tenants,
// own/<tenant-id>-vehicles.csv and own/<tenant-id>-parts.ndjson (always plain), and
// tenants.json into outDir, creating it if needed.
func Generate(p Profile, seed uint64, outDir string, opts Options) (Stats, error) {
	var st Stats
	if opts.Compress == "" {
		opts.Compress = CompressNone
	}
	switch opts.Compress {
	case CompressNone, CompressGzip, CompressZstd:
	default:
		return st, fmt.Errorf("%w: compression %q", ErrBadOptions, opts.Compress)
	}
	if p.Vehicles <= 0 || p.Parts <= 0 || p.Brands <= 0 || p.Brands > p.Parts || p.Links < 0 || p.Tenants < 0 || p.PricedItems < 0 {
		return st, fmt.Errorf("%w: profile %+v", ErrBadOptions, p)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return st, err
	}
	seeds, err := loadSeeds()
	if err != nil {
		return st, err
	}
	u := buildUniverse(p, seeds, newRand(seed, streamVehicles))
	if err := writeVehicles(u, outDir, opts.Compress); err != nil {
		return st, err
	}
	st.VehicleRows, st.Vehicles, st.Models, st.Makes = u.stats.rows, u.stats.vehicles, len(u.models), len(u.makes)

	brands := makeBrands(p.Brands, p.Parts, newRand(seed, streamBrands))
	st.Brands = len(brands)
	last := &brands[len(brands)-1]
	partKinds := make([]uint8, last.firstIdx+last.parts)
	if err := writePartsAndFitments(p, u, brands, seed, outDir, opts.Compress, partKinds, &st); err != nil {
		return st, err
	}

	tenants := makeTenants(p, brands, newRand(seed, streamTenants))
	st.Tenants = len(tenants)
	if err := makeNetwork(brands, tenants, seed); err != nil {
		return st, err
	}
	for i := range tenants {
		t := &tenants[i]
		st.Grants += len(t.Grants)
		stores := 0
		for _, l := range t.Locations {
			if l.LinkedTenantID != "" {
				st.Dealers++
			} else {
				stores++
			}
		}
		st.Stores += stores
		if stores > 0 {
			st.Chains++
		}
	}
	owns, err := makeOwn(u, brands, usedKinds(partKinds), tenants, seed, outDir, &st)
	if err != nil {
		return st, err
	}
	if p.PricedItems > 0 {
		if err := writeOffers(p, brands, partKinds, tenants, owns, seed, outDir, opts.Compress, &st); err != nil {
			return st, err
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // brand names like "K&N" stay readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(tenants); err != nil {
		return st, err
	}
	path := filepath.Join(outDir, "tenants.json")
	if err := os.WriteFile(path+".tmp", buf.Bytes(), 0o644); err != nil {
		return st, err
	}
	return st, os.Rename(path+".tmp", path)
}

func writeVehicles(u *universe, dir string, c Compression) error {
	o, err := createCSV(dir, "vehicles", c)
	if err != nil {
		return err
	}
	o.fields("type", "make", "model", "submodel", "years", "engine_cc", "generation")
	o.endRow()
	var yb []byte
	for _, m := range u.models {
		for _, r := range m.rows {
			yb = appendYears(yb[:0], r.years)
			o.fields(m.typ, m.make, m.name, r.sub, string(yb))
			o.intField(r.cc)
			o.field(r.gen)
			o.endRow()
		}
	}
	return o.Close()
}

// writePartsAndFitments streams both files together: each part's fitments are generated first so
// that its OEM cross-references can name the makes it fits.
//
// partKinds receives every part's kind, by global part index, for the offers' prices.
func writePartsAndFitments(p Profile, u *universe, brands []brand, seed uint64, dir string, c Compression, partKinds []uint8, st *Stats) error {
	po, err := createCSV(dir, "parts", c)
	if err != nil {
		return err
	}
	fo, err := createCSV(dir, "fitments", c)
	if err != nil {
		po.abort()
		return err
	}
	po.fields(partsHeader...)
	po.endRow()
	fo.fields("part_number", "make", "model", "submodel", "years", "position", "qty", "notes")
	fo.endRow()

	fit := newFitter(u, fo)
	var universalKinds []int
	for i := range kinds {
		if kinds[i].universal {
			universalKinds = append(universalKinds, i)
		}
	}
	// Links per fitted part, corrected as we go so the total lands near the profile's target
	// whatever the truncation of the heavy tail does to the mean.
	mean := float64(p.Links) / (float64(p.Parts) * 0.99)
	var sb strings.Builder
	var makes []string
	for bi := range brands {
		b := &brands[bi]
		rng := newRand(seed, streamParts^uint64(bi)<<32)
		for k := range b.parts {
			pn := b.partNumber(k)
			ki := b.kinds[rng.IntN(len(b.kinds))]
			// Exactly every hundredth part (at a seed-dependent phase) is universal, so even
			// the tiny profile has some.
			universal := (b.firstIdx+k)%100 == int(seed%100)
			if universal {
				ki = universalKinds[rng.IntN(len(universalKinds))]
				st.UniversalParts++
			}
			partKinds[b.firstIdx+k] = uint8(ki)
			kind := &kinds[ki]
			makes = makes[:0]
			if !universal {
				// Spread what is left of the link budget over the parts still to come.
				left := float64(p.Parts - st.Parts)
				corr := (float64(p.Links) - float64(fit.links)) / (left * mean)
				corr = min(8, max(0.25, corr))
				makes = fit.fit(pn, kind, linkTarget(mean*corr, rng), rng, makes)
			}
			writePart(po, b, bi, k, pn, kind, universal, makes, rng, &sb)
			st.Parts++
		}
	}
	st.FitmentRows, st.FitmentLinks = fit.rows, fit.links
	errP, errF := po.Close(), fo.Close()
	return errors.Join(errP, errF)
}
