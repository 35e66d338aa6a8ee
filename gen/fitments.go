package gen

import (
	"math"
	"math/rand/v2"
	"slices"
)

// fitter emits the fitment rows of one part at a time, tracking how many links it has written.
type fitter struct {
	u   *universe
	out *csvFile
	// cumulative model counts per mask, to pick a make in proportion to its model count.
	cum   [16][]int
	links int
	rows  int
	ybuf  []byte
	years []int
	// outLinks counts the links written; links, which steers the link budget, also counts
	// those a revision drops, so that the parts after them are those of revision 0.
	outLinks int

	// Revisions only (rev nil at revision 0): the part being fitted, for the hashes; whether
	// its rows are dropped (a removed part) or captured for refit.
	rev      *revisions
	pid      uint64
	drop     bool
	capture  bool
	captured []capRow
	ext      []int
}

func newFitter(u *universe, out *csvFile) *fitter {
	f := &fitter{u: u, out: out}
	for mask := range f.cum {
		s := 0
		for _, mm := range u.byMask[mask] {
			s += len(mm.models)
			f.cum[mask] = append(f.cum[mask], s)
		}
	}
	return f
}

func (f *fitter) pickMake(mask int, rng *rand.Rand) int {
	c := f.cum[mask]
	return sortSearch(c, rng.IntN(c[len(c)-1]))
}

func sortSearch(c []int, x int) int {
	i, _ := slices.BinarySearch(c, x+1)
	return i
}

// fit writes rows for one part until about want links exist, and returns the makes it used
// (for OEM cross-references). Each model is visited at most once and each submodel at most
// once per position, so no two rows of a part share a (vehicle, position) link.
func (f *fitter) fit(pn string, k *partKind, want int, rng *rand.Rand, makes []string) []string {
	mask := k.mask
	if len(f.cum[mask]) == 0 || want <= 0 {
		return makes
	}
	pos := ""
	if len(k.positions) > 0 && rng.IntN(10) < 7 {
		pos = k.positions[rng.IntN(len(k.positions))]
	}
	broad := want >= 400 // parts that fit whole makes: batteries, chains, plugs
	lists := f.u.byMask[mask]
	visited := make([]int, 0, 2)
	need := want
	for len(visited) < len(lists) && need > 0 {
		mi := f.pickMake(mask, rng)
		for slices.Contains(visited, mi) {
			mi = (mi + 1) % len(lists)
		}
		visited = append(visited, mi)
		ms := lists[mi].models
		makes = append(makes, lists[mi].make)
		start := rng.IntN(len(ms))
		for j := 0; j < len(ms) && need > 0; j++ {
			m := f.u.models[ms[(start+j)%len(ms)]]
			if broad || len(m.subs) == 0 || rng.IntN(100) < 45 {
				need -= f.row(pn, m, "", m.years, need, broad, pos, k, rng)
				// Sometimes listed for some trims as well (often in other years than the
				// wildcard row): the same part catalogued twice, as real data does.
				if broad || len(m.subs) == 0 || need <= 0 || rng.IntN(2) == 0 {
					continue
				}
			}
			n := 1 + rng.IntN(min(3, len(m.subs)))
			if need > n*len(m.years) {
				// A part meant to fit many vehicles fits most trims of each model it touches.
				n = min(len(m.subs), need/len(m.years)+1)
			}
			for _, si := range rng.Perm(len(m.subs))[:n] {
				if need <= 0 {
					break
				}
				s := &m.subs[si]
				need -= f.row(pn, m, s.name, s.years, need, false, pos, k, rng)
			}
		}
	}
	return makes
}

// row writes one fitment row over a window of years (all of them when full) and, sometimes,
// its twin at the opposite position; it returns the links written.
func (f *fitter) row(pn string, m *model, sub string, ys []int, need int, full bool, pos string, k *partKind, rng *rand.Rand) int {
	w := len(ys)
	if !full {
		w = min(w, max(1, need))
		if rng.IntN(10) < 3 {
			w = 1 + rng.IntN(w)
		}
	}
	start := rng.IntN(len(ys) - w + 1)
	f.years = append(f.years[:0], ys[start:start+w]...)
	// A year left out in the middle: the "2012-2016, 2018-2023" shape of real applications.
	if w >= 5 && rng.IntN(8) == 0 {
		i := 1 + rng.IntN(w-2)
		f.years = slices.Delete(f.years, i, i+1)
	}
	f.ybuf = appendYears(f.ybuf[:0], f.years)
	qty := 0
	if len(k.qty) > 0 && rng.IntN(10) < 3 {
		qty = k.qty[rng.IntN(len(k.qty))]
	}
	note := ""
	if rng.IntN(100) < 6 {
		note = fitmentNotes[rng.IntN(len(fitmentNotes))]
	}
	f.emit(pn, m, sub, pos, qty, note)
	links := len(f.years)
	if twin := opposite(pos); twin != "" && rng.IntN(100) < 15 {
		f.emit(pn, m, sub, twin, qty, "")
		links *= 2
	}
	f.links += links
	return links
}

func (f *fitter) emit(pn string, m *model, sub, pos string, qty int, note string) {
	if f.rev != nil {
		f.emitRevised(pn, m, sub, pos, qty, note)
		return
	}
	f.write(pn, m, sub, pos, qty, note)
	f.outLinks += len(f.years)
}

// write writes one row over the years in f.ybuf.
func (f *fitter) write(pn string, m *model, sub, pos string, qty int, note string) {
	o := f.out
	o.fields(pn, m.make, m.name, sub, string(f.ybuf), pos)
	o.intField(qty)
	o.field(note)
	o.endRow()
	f.rows++
}

// emitRevised is emit in a revision: the row is dropped, extended to new model years,
// captured, or written.
func (f *fitter) emitRevised(pn string, m *model, sub, pos string, qty int, note string) {
	if f.drop {
		return
	}
	ys := f.years
	if m.rev != nil {
		if ext := f.rev.extension(f.pid, m.idx, m, sub, ys); len(ext) > 0 {
			f.ext = append(append(f.ext[:0], ys...), ext...)
			ys = f.ext
		}
	}
	if f.capture {
		f.captured = append(f.captured, capRow{mi: m.idx, sub: sub, pos: pos, years: slices.Clone(ys), qty: qty, note: note})
		return
	}
	ybuf := f.ybuf
	if len(ys) != len(f.years) {
		f.ybuf = appendYears(nil, ys)
	}
	f.write(pn, m, sub, pos, qty, note)
	f.ybuf = ybuf
	f.outLinks += len(ys)
}

func opposite(pos string) string {
	switch pos {
	case "FRONT":
		return "REAR"
	case "REAR":
		return "FRONT"
	case "LH":
		return "RH"
	case "RH":
		return "LH"
	}
	return ""
}

// linkTarget draws how many links a part should have: log-normal, so most parts fit a handful
// of vehicles and a few fit thousands, with mean about mean.
func linkTarget(mean float64, rng *rand.Rand) int {
	const sigma = 1.4
	if rng.IntN(1000) == 0 {
		// The "fits every Honda" battery or chain.
		return 1000 + rng.IntN(6000)
	}
	mu := math.Log(mean) - sigma*sigma/2
	return max(1, int(math.Round(math.Exp(mu+sigma*rng.NormFloat64()))))
}
