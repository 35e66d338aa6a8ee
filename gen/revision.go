package gen

import (
	"math/rand/v2"
	"slices"
	"strings"
)

// Revisions: Options.Revision N > 0 writes the catalog "N weeks later". Every change is
// decided by a hash of the seed, the revision it happens in (1..N) and what it touches, never
// by the random streams of revision 0, which are consumed exactly as revision 0 consumes them
// (a removed part is still generated, then discarded). So revision N's changes are revision
// N-1's plus that week's, and everything a change does not touch is byte-identical to
// revision 0. Per revision, of the revision-0 parts:
//
//   - revRemove are removed, with their fitments;
//   - revRename get another name (another variant of the same kind) and revRecategory another
//     category (another kind of the brand, which renames them too);
//   - revRefit gain a fitment row on a model they did not fit, or lose one of their rows;
//
// and revNew of the catalog's size is added as new parts at the end of each brand (new part
// numbers continuing the brand's numbering), with fitments; revModelYear of the current models
// get the next model year (the wildcard vehicle and most of the submodels that had the last
// year), and revExtend of the fitment rows that reached the last year are extended to it;
// every revBrandEvery revisions (1, 4, 7, …) a new brand appears at the end of parts.csv.
//
// The tenants (tenants.json, feeds, own data) stay those of revision 0: their feeds name some
// removed parts and none of the new ones, as a real tenant's feed does a week later.
const (
	revRemove     = 0.005
	revRename     = 0.01
	revRecategory = 0.01
	revRefit      = 0.01
	revNew        = 0.01
	revModelYear  = 0.02
	revSubYear    = 0.7 // of a new model year's submodels that had the year before
	revExtend     = 0.6 // of the fitment rows reaching a model's last year
	revBrandEvery = 3
)

const streamRevision = 0x7265_7669

// What a revision hash decides; one hash stream each.
const (
	evRemove uint64 = iota + 1
	evRename
	evRecategory
	evRefit
	evModelYear
	evSubYear
	evExtend
	evNewParts
	evBrand
)

// revisions holds the revision being generated; nil at revision 0.
type revisions struct {
	n    int
	seed uint64
}

func newRevisions(seed uint64, n int) *revisions {
	if n <= 0 {
		return nil
	}
	return &revisions{n: n, seed: seed}
}

func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

func (rv *revisions) hash(ev uint64, r int, a, b uint64) uint64 {
	h := mix64(rv.seed ^ streamRevision)
	h = mix64(h ^ ev<<48 ^ uint64(r))
	h = mix64(h ^ a)
	return mix64(h ^ b)
}

// chance reports whether the event with probability p happens in revision r.
func (rv *revisions) chance(ev uint64, r int, a, b uint64, p float64) bool {
	return float64(rv.hash(ev, r, a, b)>>11)/(1<<53) < p
}

// last returns the latest revision ≤ n in which the event happens, or 0.
func (rv *revisions) last(ev uint64, a uint64, p float64) int {
	for r := rv.n; r >= 1; r-- {
		if rv.chance(ev, r, a, 0, p) {
			return r
		}
	}
	return 0
}

// A partEdit is what the revisions do to one revision-0 part.
type partEdit struct {
	removed bool
	rename  int // revision of the last rename, or 0
	recat   int // revision of the last category change, or 0
	refits  []int
}

func (e *partEdit) none() bool {
	return !e.removed && e.rename == 0 && e.recat == 0 && len(e.refits) == 0
}

// edit decides the fate of the revision-0 part with global index g.
func (rv *revisions) edit(g int, e *partEdit) {
	id := uint64(g)
	*e = partEdit{refits: e.refits[:0]}
	for r := 1; r <= rv.n; r++ {
		if rv.chance(evRemove, r, id, 0, revRemove) {
			e.removed = true
			return
		}
	}
	e.rename = rv.last(evRename, id, revRename)
	e.recat = rv.last(evRecategory, id, revRecategory)
	for r := 1; r <= rv.n; r++ {
		if rv.chance(evRefit, r, id, 0, revRefit) {
			e.refits = append(e.refits, r)
		}
	}
}

// text returns the name, category and variant that a part of kind ki, brand b, variant vi
// is written with after the edit.
func (rv *revisions) text(e *partEdit, g int, b *brand, ki, vi int, universal bool) (*partKind, string) {
	kind, variant := &kinds[ki], kinds[ki].variants[vi]
	if e == nil {
		return kind, variant
	}
	if e.recat > 0 {
		var cands []int
		if universal {
			for i := range kinds {
				if kinds[i].universal && i != ki {
					cands = append(cands, i)
				}
			}
		} else {
			for _, i := range b.kinds {
				if i != ki {
					cands = append(cands, i)
				}
			}
			if len(cands) == 0 {
				for i := range kinds {
					if kinds[i].mask == kinds[ki].mask && i != ki {
						cands = append(cands, i)
					}
				}
			}
		}
		if len(cands) > 0 {
			h := rv.hash(evRecategory, e.recat, uint64(g), 1)
			kind = &kinds[cands[h%uint64(len(cands))]]
			variant = kind.variants[(h>>32)%uint64(len(kind.variants))]
		}
	}
	if e.rename > 0 {
		h := rv.hash(evRename, e.rename, uint64(g), 1)
		if n := uint64(len(kind.variants)); n >= 2 {
			cur := uint64(slices.Index(kind.variants, variant))
			variant = kind.variants[(cur+1+h%(n-1))%n]
		} else {
			suffix := []string{"Evo", "Plus", "Pro", "II"}[h%4]
			variant = strings.TrimSpace(variant + " " + suffix)
		}
	}
	return kind, variant
}

// newYears are the model years a revision gives a model's wildcard ("") or one submodel.
type newYears struct {
	last0 int   // the last year it had in revision 0
	years []int // consecutive, after last0
}

func (ny *newYears) last() int {
	if len(ny.years) > 0 {
		return ny.years[len(ny.years)-1]
	}
	return ny.last0
}

// addModelYears gives some current models a new model year in each revision: the wildcard
// vehicle always, each submodel that had the year before with probability revSubYear. The
// universe's years stay those of revision 0 (the fitments' random streams read them); the
// new years live in model.rev.
func (rv *revisions) addModelYears(u *universe) (vehicles int) {
	top := 0
	for _, m := range u.models {
		top = max(top, m.years[len(m.years)-1])
	}
	for r := 1; r <= rv.n; r++ {
		var picked []int
		best, bestH := -1, uint64(0)
		for mi, m := range u.models {
			last := m.years[len(m.years)-1]
			if ny := m.rev[""]; ny != nil {
				last = ny.last()
			}
			if last < top-1 || last > top+1 {
				continue // out of production, or already two years ahead
			}
			if rv.chance(evModelYear, r, uint64(mi), 0, revModelYear) {
				picked = append(picked, mi)
			}
			if h := rv.hash(evModelYear, r, uint64(mi), 1); best < 0 || h < bestH {
				best, bestH = mi, h
			}
		}
		if len(picked) == 0 && best >= 0 {
			picked = append(picked, best) // even the tiny profile gets a new year every week
		}
		for _, mi := range picked {
			m := u.models[mi]
			if m.rev == nil {
				m.rev = map[string]*newYears{"": {last0: m.years[len(m.years)-1]}}
				for _, s := range m.subs {
					m.rev[s.name] = &newYears{last0: s.years[len(s.years)-1]}
				}
			}
			w := m.rev[""]
			y := w.last() + 1
			w.years = append(w.years, y)
			vehicles++
			for si, s := range m.subs {
				ny := m.rev[s.name]
				if ny.last() == y-1 && rv.chance(evSubYear, r, uint64(mi), uint64(si), revSubYear) {
					ny.years = append(ny.years, y)
					vehicles++
				}
			}
		}
	}
	return vehicles
}

// extension returns the new years a fitment row of model m (index mi), submodel sub, over
// years ys is extended to: those after the last year it reached, up to the first that the
// row's vehicle lacks or that the part's hash skips.
func (rv *revisions) extension(pid uint64, mi int32, m *model, sub string, ys []int) []int {
	ny := m.rev[sub]
	if ny == nil || len(ny.years) == 0 || ys[len(ys)-1] != ny.last0 {
		return nil
	}
	n := 0
	for _, y := range ny.years {
		if !rv.chance(evExtend, 0, pid, uint64(mi)<<16^uint64(y), revExtend) {
			break
		}
		n++
	}
	return ny.years[:n]
}

// A capRow is a fitment row held back so that a revision can add or remove rows of its part.
type capRow struct {
	mi       int32
	sub, pos string
	years    []int
	qty      int
	note     string
}

// refit applies a part's fitment changes to its captured rows and writes them: in each
// revision of refits, one row removed (when it has two or more) or one wildcard row added on
// a model of its vehicle types that it does not fit yet.
func (f *fitter) refit(pn string, g int, k *partKind, refits []int) {
	rv := f.rev
	rows := f.captured
	for _, r := range refits {
		h := rv.hash(evRefit, r, uint64(g), 1)
		if h&1 == 0 && len(rows) >= 2 {
			i := int((h >> 1) % uint64(len(rows)))
			rows = slices.Delete(rows, i, i+1)
			continue
		}
		lists := f.u.byMask[k.mask]
		if len(lists) == 0 {
			continue
		}
		rng := rand.New(rand.NewPCG(h, streamRevision))
		ms := lists[f.pickMake(k.mask, rng)].models
		start := rng.IntN(len(ms))
		for j := range ms {
			mi := ms[(start+j)%len(ms)]
			if slices.ContainsFunc(rows, func(c capRow) bool { return c.mi == mi }) {
				continue
			}
			m := f.u.models[mi]
			w := 1 + rng.IntN(min(3, len(m.years)))
			ys := slices.Clone(m.years[len(m.years)-w:])
			if ny := m.rev[""]; ny != nil {
				ys = append(ys, ny.years...)
			}
			pos := ""
			if len(rows) > 0 {
				pos = rows[0].pos
			}
			rows = append(rows, capRow{mi: mi, pos: pos, years: ys})
			break
		}
	}
	for _, c := range rows {
		m := f.u.models[c.mi]
		f.ybuf = appendYears(f.ybuf[:0], c.years)
		f.write(pn, m, c.sub, c.pos, c.qty, c.note)
		f.outLinks += len(c.years)
	}
	f.captured = rows[:0]
}

// newBrand invents revision r's new brand, small, with a name and prefix no brand has.
func (rv *revisions) newBrand(r int, p Profile, all []brand) brand {
	rng := rand.New(rand.NewPCG(rv.seed, streamRevision^evBrand<<40^uint64(r)))
	seen := map[string]bool{}
	used := map[string]bool{}
	for i := range all {
		seen[strings.ToLower(all[i].name)] = true
		used[all[i].prefix] = true
	}
	var name string
	for {
		name = inventedHead[rng.IntN(len(inventedHead))] + inventedTail[rng.IntN(len(inventedTail))]
		if seen[strings.ToLower(name)] {
			name += " " + string(rune('A'+rng.IntN(26))) + string(rune('A'+rng.IntN(26)))
		}
		if !seen[strings.ToLower(name)] {
			break
		}
	}
	var cats []string
	for _, i := range rng.Perm(len(topCats))[:1+rng.IntN(2)] {
		cats = append(cats, topCats[i])
	}
	b := brand{name: name, country: origin[rng.IntN(len(origin))], kinds: kindsOf(cats),
		parts: max(2, p.Parts/2000), firstIdx: -1}
	if len(b.kinds) == 0 {
		b.kinds = []int{rng.IntN(len(kinds))}
	}
	b.prefix = uniquePrefix(b.name, used, rng)
	b.dash = rng.IntN(2) == 0
	if rng.IntN(4) == 0 {
		b.suffix = []string{"HH", "X", "R", "S", "EU"}[rng.IntN(5)]
	}
	b.base = 100 + rng.IntN(9000)
	b.step = 1 + rng.IntN(7)
	return b
}

// newParts is how many parts revision r adds to brand bi of size n: revNew of it, the
// fraction rounded by the hash so that small brands get some too.
func (rv *revisions) newParts(r, bi, n int) int {
	e := float64(n) * revNew
	c := int(e)
	if float64(rv.hash(evNewParts, r, uint64(bi), 0)>>11)/(1<<53) < e-float64(c) {
		c++
	}
	return c
}
