package ingest

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fitment/fitment/snapshot"
)

// Options tune a build.
type Options struct {
	// MaxRejects is the most rejected rows a build tolerates. A negative value means
	// "use MaxRejectRatio". The zero Options tolerate no rejected row at all.
	MaxRejects int
	// MaxRejectRatio is the tolerated fraction of all data rows (of the three files
	// together), rounded down, used when MaxRejects is negative.
	MaxRejectRatio float64
	// Progress, when set, is called as the source files are read with the running
	// total of bytes read from disk (compressed bytes for compressed files), the scale
	// of InputSize. It is called from the goroutine that called Build.
	Progress func(bytesRead int64)
}

// DefaultOptions tolerate 0.1 % of rows rejected, as catalog-format.md asks.
func DefaultOptions() Options { return Options{MaxRejects: -1, MaxRejectRatio: 0.001} }

// RejectLimit is the number of rejected rows tolerated among rows data rows.
func (o Options) RejectLimit(rows int) int {
	if o.MaxRejects >= 0 {
		return o.MaxRejects
	}
	return int(o.MaxRejectRatio * float64(rows))
}

var sourceNames = []string{"vehicles", "parts", "fitments"}

// Build reads vehicles, parts and fitments from dir and builds the catalog. The report
// is always returned, filled as far as the build got. On a fatal problem (a missing file
// or column, unreadable input, quoting the reader cannot recover from) or when more rows
// were rejected than opts allows, Build returns an error and no catalog.
func Build(dir string, opts Options) (*snapshot.Catalog, *Report, error) {
	rep := &Report{}
	cat, err := build(dir, opts, rep)
	if err != nil {
		rep.Err = err.Error()
		return nil, rep, err
	}
	return cat, rep, nil
}

func build(dir string, opts Options, rep *Report) (*snapshot.Catalog, error) {
	var paths [3]string
	for i, name := range sourceNames {
		p, size, err := findSource(dir, name)
		if err != nil {
			return nil, err
		}
		paths[i] = p
		rep.Files = append(rep.Files, FileStats{File: baseNames([]string{p})[0], Bytes: size})
	}
	// Open all three first, so that a header problem in the last file fails at once.
	var read int64
	var srcs [3]*source
	defer func() {
		for _, s := range srcs {
			if s != nil {
				s.close()
			}
		}
	}()
	extras := [3]func(string) bool{nil, func(h string) bool { _, _, ok := translationColumn(h); return ok }, nil}
	for i, cols := range [3][]column{vehicleColumns, partColumns, fitmentColumns} {
		s, err := openSource(paths[i], &read, opts.Progress, cols, extras[i], rep)
		if err != nil {
			return nil, err
		}
		srcs[i] = s
	}
	finishFile := func(i, rejectsBefore int) {
		rep.Files[i].Rows = srcs[i].rows
		rep.Files[i].Rejected = len(rep.Rejects) - rejectsBefore
		rep.DataRows += srcs[i].rows
	}

	n := len(rep.Rejects)
	vs, err := readVehicles(srcs[0], rep)
	if err != nil {
		return nil, err
	}
	finishFile(0, n)
	rep.Makes, rep.Models, rep.Vehicles = len(vs.makes), len(vs.models), len(vs.vehicles)

	n = len(rep.Rejects)
	ps, err := readParts(srcs[1], rep)
	if err != nil {
		return nil, err
	}
	finishFile(1, n)
	rep.Parts, rep.Brands, rep.Categories = len(ps.raw), len(ps.brands), len(ps.categories)

	wait := sanitizeAll(ps.raw)
	n = len(rep.Rejects)
	fs, err := readFitments(srcs[2], vs, ps, rep)
	wait()
	if err != nil {
		return nil, err
	}
	finishFile(2, n)

	rep.MaxRejects = opts.RejectLimit(rep.DataRows)
	if len(rep.Rejects) > rep.MaxRejects {
		return nil, fmt.Errorf("%w: %d of %d rows rejected, at most %d allowed", ErrTooManyRejects, len(rep.Rejects), rep.DataRows, rep.MaxRejects)
	}
	return assemble(vs, ps, fs, rep), nil
}

// assemble puts the parsed tables into their final orders and builds the postings and
// fitment details.
func assemble(vs *vehicleSet, ps *partSet, fs *fitmentSet, rep *Report) *snapshot.Catalog {
	cat := &snapshot.Catalog{Makes: vs.makes, Models: vs.models, Vehicles: vs.vehicles}

	brandNew := sortedOrder(ps.brandKeys)
	cat.Brands = make([]string, len(ps.brands))
	for old, id := range brandNew {
		cat.Brands[id] = ps.brands[old]
	}

	catKeys := make([]string, len(ps.categories))
	for i := range ps.categories {
		catKeys[i] = ps.categories[i].key
	}
	catNew := sortedOrder(catKeys)
	cat.Categories = make([]snapshot.Category, len(ps.categories))
	for old, id := range catNew {
		c := &ps.categories[old]
		parent := snapshot.None
		if c.parent != snapshot.None {
			parent = catNew[c.parent]
		}
		cat.Categories[id] = snapshot.Category{ID: snapshot.CategoryID(c.path), Name: c.name, Parent: parent, Level: c.level, Path: c.path}
	}

	cat.Parts = make([]snapshot.Part, len(ps.order))
	details := make([]snapshot.PartDetail, len(ps.order))
	for id, old := range ps.order {
		r := &ps.raw[old]
		p := r.part
		p.Brand = brandNew[p.Brand]
		if p.Category != snapshot.None {
			p.Category = catNew[p.Category]
		}
		if p.Universal {
			rep.UniversalParts++
		}
		cat.Parts[id] = p
		details[id] = r.detail
	}
	ps.raw = nil
	cat.PartDetail = func(i uint32) (snapshot.PartDetail, error) {
		if int(i) >= len(details) {
			return snapshot.PartDetail{}, fmt.Errorf("part %d out of range (%d parts)", i, len(details))
		}
		return details[i], nil
	}

	// Interned strings, sorted so that the tables do not depend on row order.
	posNew := sortedOrder(fs.positions)
	noteNew := sortedOrder(fs.notes)
	cat.Positions = permute(fs.positions, posNew)
	cat.Notes = permute(fs.notes, noteNew)
	fs.details.each(func(d *fitDetail) {
		d.pos = uint16(posNew[d.pos])
		d.note = noteNew[d.note]
	})

	nV, nP := len(cat.Vehicles), len(cat.Parts)
	// Details by (vehicle, part, position), stably: merging keeps the first values given.
	pBits, posBits := bitLen(nP), bitLen(len(cat.Positions))
	var dets []fitDetail
	if bitLen(nV)+pBits+posBits <= 64 {
		dets, _ = radixSort(&fs.details, bitLen(nV)+pBits+posBits, func(d *fitDetail) uint64 {
			return (d.vp>>32)<<(pBits+posBits) | uint64(uint32(d.vp))<<posBits | uint64(d.pos)
		}, nil)
	} else { // far beyond any real catalog; correct, only slower
		fs.details.each(func(d *fitDetail) { dets = append(dets, *d) })
		slices.SortStableFunc(dets, func(a, b fitDetail) int {
			return cmp.Or(cmp.Compare(a.vp, b.vp), cmp.Compare(a.pos, b.pos))
		})
	}
	links, scratch := radixSort(&fs.links, bitLen(nV)+33, func(x *uint64) uint64 { return *x }, nil)

	// Vehicle-major pass: VehicleParts, Details, and the links rewritten part-major in
	// place (a link's slot is never ahead of the reading position).
	vpb := snapshot.NewPostingsBuilder(nV)
	cat.Details.Offsets = make([]uint32, nV+1)
	var entries []snapshot.Detail
	var buf []uint32
	out, i, di := 0, 0, 0
	for v := 0; v < nV; v++ {
		cat.Details.Offsets[v] = uint32(len(entries))
		buf = buf[:0]
		for i < len(links) && int(links[i]>>33) == v {
			link := links[i] >> 1
			hasPlain := false
			for i < len(links) && links[i]>>1 == link {
				hasPlain = hasPlain || links[i]&plainBit != 0
				i++
			}
			p := uint32(link)
			buf = append(buf, p)
			links[out] = uint64(p)<<32 | uint64(v)
			out++
			key := uint64(v)<<32 | uint64(p)
			if di >= len(dets) || dets[di].vp != key {
				rep.Fitments++
				continue
			}
			n0 := len(entries)
			if hasPlain && dets[di].pos != 0 {
				entries = append(entries, snapshot.Detail{Part: p})
			}
			for di < len(dets) && dets[di].vp == key {
				d := dets[di]
				e := snapshot.Detail{Part: p, Position: d.pos, Qty: d.qty, Note: d.note}
				for di++; di < len(dets) && dets[di].vp == key && dets[di].pos == d.pos; di++ {
					if e.Qty == 0 {
						e.Qty = dets[di].qty
					}
					if e.Note == 0 {
						e.Note = dets[di].note
					}
				}
				entries = append(entries, e)
			}
			rep.Fitments += len(entries) - n0
		}
		vpb.AddSorted(buf)
	}
	cat.Details.Offsets[nV] = uint32(len(entries))
	cat.Details.Entries = entries
	cat.VehicleParts = vpb.Postings()
	rep.Links = out
	rep.MergedDuplicates = rep.ExpandedFitments - rep.Fitments
	rep.DetailEntries = len(entries)
	dets = nil

	// Part-major pass: PartVehicles and BrandVehicles.
	links, _ = radixSort(flat(links[:out]), bitLen(nP)+32, func(x *uint64) uint64 { return *x }, scratch)
	pvb := snapshot.NewPostingsBuilder(nP)
	brandVehicles := make([]*roaring.Bitmap, len(cat.Brands))
	i = 0
	for p := 0; p < nP; p++ {
		buf = buf[:0]
		for i < len(links) && int(links[i]>>32) == p {
			buf = append(buf, uint32(links[i]))
			i++
		}
		pvb.AddSorted(buf)
		if len(buf) > 0 && !cat.Parts[p].Universal {
			b := cat.Parts[p].Brand
			if brandVehicles[b] == nil {
				brandVehicles[b] = roaring.New()
			}
			brandVehicles[b].AddMany(buf)
		}
	}
	cat.PartVehicles = pvb.Postings()
	bvb := snapshot.NewPostingsBuilder(len(cat.Brands))
	for _, bm := range brandVehicles {
		bvb.Add(bm)
	}
	cat.BrandVehicles = bvb.Postings()

	return cat
}

// sortedOrder returns, for each index of keys, its rank in ascending order of keys
// (ties keep their index order).
func sortedOrder(keys []string) []uint32 {
	order := make([]uint32, len(keys))
	for i := range order {
		order[i] = uint32(i)
	}
	slices.SortStableFunc(order, func(a, b uint32) int { return cmp.Compare(keys[a], keys[b]) })
	rank := make([]uint32, len(keys))
	for r, old := range order {
		rank[old] = uint32(r)
	}
	return rank
}

// permute returns s reordered so that s[i] lands at rank[i].
func permute(s []string, rank []uint32) []string {
	out := make([]string, len(s))
	for i, r := range rank {
		out[r] = s[i]
	}
	return out
}
