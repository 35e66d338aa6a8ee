package gen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
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
	if opts.Revision < 0 {
		return st, fmt.Errorf("%w: revision %d", ErrBadOptions, opts.Revision)
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
	rv := newRevisions(seed, opts.Revision)
	st.VehicleRows, st.Vehicles, st.Models, st.Makes = u.stats.rows, u.stats.vehicles, len(u.models), len(u.makes)
	if rv != nil {
		st.Vehicles += rv.addModelYears(u)
	}
	rows, err := writeVehicles(u, outDir, opts.Compress)
	if err != nil {
		return st, err
	}
	st.VehicleRows = rows

	brands := makeBrands(p.Brands, p.Parts, newRand(seed, streamBrands))
	st.Brands = len(brands)
	last := &brands[len(brands)-1]
	partKinds := make([]uint8, last.firstIdx+last.parts)
	if err := writePartsAndFitments(p, u, brands, seed, rv, outDir, opts.Compress, partKinds, &st); err != nil {
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

// writeVehicles writes vehicles.csv and returns its rows. A revision's new model years
// extend the last row of each submodel (and of the wildcard's own row) that gets them; a model
// without a wildcard row whose new year no submodel has gets one for those years.
func writeVehicles(u *universe, dir string, c Compression) (int, error) {
	o, err := createCSV(dir, "vehicles", c)
	if err != nil {
		return 0, err
	}
	o.fields("type", "make", "model", "submodel", "years", "engine_cc", "generation")
	o.endRow()
	var yb []byte
	var ys []int
	rows := 0
	for _, m := range u.models {
		for i, r := range m.rows {
			ys = r.years
			if ny := m.rev[r.sub]; ny != nil && len(ny.years) > 0 && lastRowOf(m.rows, i) {
				ys = append(slices.Clone(r.years), ny.years...)
			}
			yb = appendYears(yb[:0], ys)
			o.fields(m.typ, m.make, m.name, r.sub, string(yb))
			o.intField(r.cc)
			o.field(r.gen)
			o.endRow()
			rows++
		}
		if m.rev == nil || slices.ContainsFunc(m.rows, func(r vehicleRow) bool { return r.sub == "" }) {
			continue
		}
		// The wildcard of a new year exists only if some row has that year.
		ys = ys[:0:0]
		for _, y := range m.rev[""].years {
			if !slices.ContainsFunc(m.subs, func(s submodel) bool { return slices.Contains(m.rev[s.name].years, y) }) {
				ys = append(ys, y)
			}
		}
		if len(ys) > 0 {
			yb = appendYears(yb[:0], ys)
			o.fields(m.typ, m.make, m.name, "", string(yb))
			o.intField(0)
			o.field("")
			o.endRow()
			rows++
		}
	}
	return rows, o.Close()
}

// lastRowOf reports whether rows[i] is the last row of its submodel.
func lastRowOf(rows []vehicleRow, i int) bool {
	for _, r := range rows[i+1:] {
		if r.sub == rows[i].sub {
			return false
		}
	}
	return true
}

// writePartsAndFitments streams both files together: each part's fitments are generated first so
// that its OEM cross-references can name the makes it fits.
//
// partKinds receives every part's kind, by global part index, for the offers' prices (those of
// revision 0 whatever rv says: the tenants stay those of revision 0).
func writePartsAndFitments(p Profile, u *universe, brands []brand, seed uint64, rv *revisions, dir string, c Compression, partKinds []uint8, st *Stats) error {
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
	fit.rev = rv
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
	var ed partEdit
	done := 0 // revision-0 parts generated, written or not: the link budget's count
	for bi := range brands {
		b := &brands[bi]
		rng := newRand(seed, streamParts^uint64(bi)<<32)
		for k := range b.parts {
			g := b.firstIdx + k
			pn := b.partNumber(k)
			ki := b.kinds[rng.IntN(len(b.kinds))]
			// Exactly every hundredth part (at a seed-dependent phase) is universal, so even
			// the tiny profile has some.
			universal := g%100 == int(seed%100)
			if universal {
				ki = universalKinds[rng.IntN(len(universalKinds))]
			}
			partKinds[g] = uint8(ki)
			kind := &kinds[ki]
			var te *textEdit
			if rv != nil {
				rv.edit(g, &ed)
				fit.pid, fit.drop, fit.capture = uint64(g), ed.removed, len(ed.refits) > 0 && !universal
				po.discard = ed.removed
				if ed.rename > 0 || ed.recat > 0 {
					te = &textEdit{rv: rv, e: &ed, g: g, ki: ki}
				}
			}
			makes = makes[:0]
			if !universal {
				// Spread what is left of the link budget over the parts still to come.
				left := float64(p.Parts - done)
				corr := (float64(p.Links) - float64(fit.links)) / (left * mean)
				corr = min(8, max(0.25, corr))
				makes = fit.fit(pn, kind, linkTarget(mean*corr, rng), rng, makes)
			}
			if fit.capture {
				fit.refit(pn, g, kind, ed.refits)
				fit.capture = false
			}
			writePart(po, b, bi, k, pn, kind, universal, makes, rng, &sb, te)
			done++
			if rv == nil || !ed.removed {
				st.Parts++
				if universal {
					st.UniversalParts++
				}
			}
		}
		if rv != nil {
			po.discard, fit.drop = false, false
			added := 0
			for r := 1; r <= rv.n; r++ {
				n := rv.newParts(r, bi, b.parts)
				writeNewParts(po, fit, b, bi, b.parts+added, n, mean, newRand(seed, streamRevision^uint64(bi)<<32^uint64(r)), &sb, st)
				added += n
			}
		}
	}
	if rv != nil {
		all := slices.Clone(brands)
		for r := 1; r <= rv.n; r++ {
			if (r-1)%revBrandEvery != 0 {
				continue
			}
			b := rv.newBrand(r, p, all)
			all = append(all, b)
			bi := len(all) - 1
			writeNewParts(po, fit, &b, bi, 0, b.parts, mean, newRand(seed, streamRevision^evBrand<<40^uint64(r)), &sb, st)
			st.Brands++
		}
	}
	st.FitmentRows, st.FitmentLinks = fit.rows, fit.outLinks
	errP, errF := po.Close(), fo.Close()
	return errors.Join(errP, errF)
}

// writeNewParts writes a revision's n new parts of brand b, numbered from k0, with fitments
// drawn from rng. The link budget of revision 0's parts does not see them.
func writeNewParts(po *csvFile, fit *fitter, b *brand, bi, k0, n int, mean float64, rng *rand.Rand, sb *strings.Builder, st *Stats) {
	budget := fit.links
	var makes []string
	for k := k0; k < k0+n; k++ {
		pn := b.partNumber(k)
		kind := &kinds[b.kinds[rng.IntN(len(b.kinds))]]
		fit.pid = 1<<62 | uint64(bi)<<32 | uint64(k)
		makes = fit.fit(pn, kind, linkTarget(mean, rng), rng, makes[:0])
		writePart(po, b, bi, k, pn, kind, false, makes, rng, sb, nil)
		st.Parts++
	}
	fit.links = budget
}
