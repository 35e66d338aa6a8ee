package engine_test

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/ingest"
	"github.com/fitment/fitment/snapshot"
)

// The recogniser against a reference model: the rules of resolve.go's comment computed
// plainly. Every visible vehicle's names are cut into atoms afresh and every run of query
// atoms is compared with every run of name atoms (a typo by an edit-distance table); no
// vocabulary, no typo keys, no postings, no bounds. Only the tokeniser and the tables of
// make aliases and model spellings are shared.

var resolveSeedFlag = flag.Uint64("resolveseed", 0, "seed for the randomised recogniser tests (0: from the clock)")

func resolveSeed(t testing.TB) uint64 {
	seed := uint64(time.Now().UnixNano())
	if *resolveSeedFlag != 0 {
		seed = *resolveSeedFlag
	}
	t.Logf("seed %d (rerun with: go test ./engine -run '%s' -resolveseed=%d)", seed, t.Name(), seed)
	return seed
}

// refName is a name cut into atoms: segments (each one way of naming it) and alternatives.
type refName struct {
	atoms     []string
	seg       []int // atom → its segment
	alts      []uint64
	whole     int
	union     bool // alternatives are parts of the whole name
	spellings bool // alternatives are spellings (a make's)
}

func refNameOf(segs []string, union bool) refName {
	nm := refName{whole: 0}
	var all uint64
	for s, text := range segs {
		lo := len(nm.atoms)
		for _, a := range engine.AtomsForTest(text) {
			if len(nm.atoms) < 64 {
				nm.atoms, nm.seg = append(nm.atoms, a.Text), append(nm.seg, s)
			}
		}
		if len(nm.atoms) > lo {
			alt := (uint64(1)<<(len(nm.atoms)-lo) - 1) << lo
			nm.alts, all = append(nm.alts, alt), all|alt
		}
	}
	switch {
	case len(nm.alts) == 0:
		nm.whole = -1
	case union && len(nm.alts) > 1:
		nm.whole, nm.union = len(nm.alts), true
		nm.alts = append(nm.alts, all)
	}
	return nm
}

func isDigits(s string) bool { return s != "" && s[0] >= '0' && s[0] <= '9' }

// osa is the optimal-string-alignment distance of a and b (bytes).
func osa(a, b string) int {
	if abs(len(a)-len(b)) > 1 {
		return 2 // at least that
	}
	var buf [3][72]int
	if len(b) >= len(buf[0]) {
		return 2
	}
	prev2, prev, cur := buf[0][:len(b)+1], buf[1][:len(b)+1], buf[2][:len(b)+1]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

type refQuery struct {
	atoms []engine.AtomForTest
	w     []float64
	total float64
	words []uint32
}

func refParse(text string) *refQuery {
	q := &refQuery{atoms: engine.AtomsForTest(text)}
	if len(q.atoms) > 24 {
		q.atoms = q.atoms[:24]
	}
	for i, a := range q.atoms {
		w := 1.0
		if !a.Digit && len(a.Text) == 1 {
			w = 0.5
		}
		q.w = append(q.w, w)
		q.total += w
		for len(q.words) <= a.Word {
			q.words = append(q.words, 0)
		}
		q.words[a.Word] |= 1 << i
	}
	return q
}

// run returns the text of query atoms i..i+n joined, ok false when it is not a run: more
// than one atom, not all letters.
func (q *refQuery) run(i, n int) (string, bool) {
	var b strings.Builder
	for k := i; k < i+n; k++ {
		if n > 1 && q.atoms[k].Digit {
			return "", false
		}
		b.WriteString(q.atoms[k].Text)
	}
	return b.String(), true
}

type refMatch struct {
	qi, qn, fp, fn int
	typo           bool
}

type refAligned struct {
	q, qTypo uint32
	f, fTypo uint64
}

// refAlign matches the atoms of free to nm: the candidates are every run of query atoms equal
// to a run of name atoms within a segment (runs of two or three only of letters), or one edit
// from it (both letters; the name's run at least five letters, the query's at least four, no
// one-letter atom in a joined query run); then as resolve.go's align.
func refAlign(q *refQuery, nm *refName, free uint32) (refAligned, float64) {
	if len(nm.alts) == 0 {
		return refAligned{}, 0
	}
	var ms []refMatch
	for qi := range q.atoms {
		for qn := 1; qn <= 3 && qi+qn <= len(q.atoms); qn++ {
			qs, ok := q.run(qi, qn)
			if !ok {
				break
			}
			qm := (uint32(1)<<qn - 1) << qi
			if qm&free != qm {
				continue
			}
			short := false
			for k := qi; k < qi+qn; k++ {
				short = short || len(q.atoms[k].Text) == 1
			}
			for fp := range nm.atoms {
				for fn := 1; fn <= 3 && fp+fn <= len(nm.atoms) && nm.seg[fp+fn-1] == nm.seg[fp]; fn++ {
					if fn > 1 && (isDigits(nm.atoms[fp]) || isDigits(nm.atoms[fp+fn-1])) {
						break
					}
					fs := strings.Join(nm.atoms[fp:fp+fn], "")
					exact := qs == fs
					typo := !exact && !isDigits(qs) && !isDigits(fs) && len(fs) >= 5 && len(qs) >= 4 && len(qs) <= 64 &&
						(qn == 1 || !short) && osa(qs, fs) <= 1
					if exact || typo {
						ms = append(ms, refMatch{qi, qn, fp, fn, typo})
					}
				}
			}
		}
	}
	sort.SliceStable(ms, func(i, j int) bool {
		a, b := ms[i], ms[j]
		switch {
		case a.fn != b.fn:
			return a.fn > b.fn
		case a.typo != b.typo:
			return !a.typo
		case a.qn != b.qn:
			return a.qn > b.qn
		case a.qi != b.qi:
			return a.qi < b.qi
		}
		return a.fp < b.fp
	})
	var best refAligned
	bestCov := -1.0
	for i, alt := range nm.alts {
		var a refAligned
		for _, m := range ms {
			qm, fm := (uint32(1)<<m.qn-1)<<m.qi, (uint64(1)<<m.fn-1)<<m.fp
			if fm&alt != fm || a.q&qm != 0 || a.f&fm != 0 {
				continue
			}
			a.q, a.f = a.q|qm, a.f|fm
			if m.typo {
				a.qTypo, a.fTypo = a.qTypo|qm, a.fTypo|fm
			}
		}
		c := refAltCoverage(nm, i, a.f, a.fTypo)
		credit := func(x refAligned) float64 { return float64(popcnt(uint64(x.q))) - 0.2*float64(popcnt(uint64(x.qTypo))) }
		better := c > bestCov || c == bestCov && credit(a) > credit(best)
		if nm.spellings {
			better = credit(a) > credit(best) || credit(a) == credit(best) && c > bestCov
		}
		if better {
			best, bestCov = a, c
		}
	}
	return best, bestCov
}

func refAltCoverage(nm *refName, i int, f, fTypo uint64) float64 {
	alt := nm.alts[i]
	c := (float64(popcnt(f&alt)) - (1-0.8)*float64(popcnt(fTypo&alt))) / float64(popcnt(alt))
	if nm.union && i != nm.whole {
		c *= 0.98
	}
	return c
}

func popcnt(m uint64) int {
	n := 0
	for ; m != 0; m &= m - 1 {
		n++
	}
	return n
}

func refCoverage(nm *refName, f, fTypo uint64) float64 {
	best := -1.0
	for i := range nm.alts {
		best = max(best, refAltCoverage(nm, i, f, fTypo))
	}
	return max(best, 0)
}

func (q *refQuery) credit(m, typo uint32) float64 {
	c := 0.0
	for i := range q.atoms {
		switch {
		case m&(1<<i) == 0:
		case typo&(1<<i) != 0:
			c += q.w[i] * 0.8
		default:
			c += q.w[i]
		}
	}
	return c
}

// year is the year atom i names as a word of its own, 0 for none.
func (q *refQuery) year(i int) int {
	a := q.atoms[i]
	if !a.Digit || (i > 0 && q.atoms[i-1].Word == a.Word) || (i+1 < len(q.atoms) && q.atoms[i+1].Word == a.Word) {
		return 0
	}
	x, _ := strconv.Atoi(a.Text)
	switch {
	case len(a.Text) == 4 && x >= 1900 && x <= 2099:
		return x
	case len(a.Text) == 2 && x <= 40:
		return 2000 + x
	case len(a.Text) == 2:
		return 1900 + x
	}
	return 0
}

// rvVehicle is a vehicle as the reference sees it.
type rvVehicle struct {
	id                  string
	own                 bool
	order               int    // catalog id, or row among the own vehicles by names
	group               string // its model
	make, model, sub    string
	year, cc, wcc       int
	visible             bool
	makeName, modelName *refName
	subName             refName
}

type refCand struct {
	id    string
	score float64
	own   bool
	order int
}

// refResolve ranks every candidate for text (all of them, best first).
func refResolve(vs []rvVehicle, text string) []refCand {
	q := refParse(text)
	all := uint32(1)<<len(q.atoms) - 1
	groups := map[string][]*rvVehicle{}
	var keys []string
	for i := range vs {
		if !vs[i].visible {
			continue
		}
		if groups[vs[i].group] == nil {
			keys = append(keys, vs[i].group)
		}
		groups[vs[i].group] = append(groups[vs[i].group], &vs[i])
	}
	var out []refCand
	for _, key := range keys {
		g := groups[key]
		mdl, modelCov := refAlign(q, g[0].modelName, all)
		mk, makeCov := refAlign(q, g[0].makeName, all&^mdl.q)
		if mdl.q|mk.q == 0 {
			continue
		}
		free := all &^ (mdl.q | mk.q)
		yearAtom, year := -1, 0
		for i := range q.atoms {
			y := q.year(i)
			if free&(1<<i) == 0 || y == 0 {
				continue
			}
			if len(q.atoms[i].Text) == 4 || yearAtom < 0 || len(q.atoms[yearAtom].Text) != 4 {
				yearAtom, year = i, y
			}
		}
		years := map[int]bool{}
		for _, v := range g {
			years[v.year] = true
		}
		pick, yearOK := 0, false
		for y := range years {
			switch {
			case year == 0:
				pick = max(pick, y)
			case y == year:
				pick, yearOK = y, true
			case !yearOK && (pick == 0 || abs(y-year) < abs(pick-year) || abs(y-year) == abs(pick-year) && y > pick):
				pick = y
			}
		}
		var yearBit uint32
		if yearAtom >= 0 {
			free &^= 1 << yearAtom
			if yearOK {
				yearBit = 1 << yearAtom
			}
		}
		for _, v := range g {
			if v.year != pick {
				continue
			}
			var sa refAligned
			subCov := 1.0
			if v.sub != "" {
				sa, _ = refAlign(q, &v.subName, free)
				var imp uint64
				for i, s := range v.subName.atoms {
					for j, m := range v.modelName.atoms {
						if mdl.f&(1<<j) != 0 && m == s {
							imp |= 1 << i
						}
					}
				}
				subCov = refCoverage(&v.subName, sa.f|imp, sa.fTypo&^imp)
			}
			var cc uint32
			for i, a := range q.atoms {
				x, err := strconv.Atoi(a.Text)
				if (free&^sa.q)&(1<<i) != 0 && a.Digit && len(a.Text) >= 2 && len(a.Text) <= 5 && err == nil && x > 0 &&
					(x == v.cc || x == v.wcc) {
					cc = 1 << i
					break
				}
			}
			matched := mdl.q | mk.q | sa.q | yearBit | cc
			num := 1.0*makeCov + 3.0*modelCov + 1.5*subCov
			den := 1.0 + 3.0 + 1.5
			if yearAtom >= 0 {
				den += 1.0
				if yearOK {
					num += 1.0
				}
			}
			s := q.credit(matched, mdl.qTypo|mk.qTypo|sa.qTypo) / q.total * (num / den)
			for _, wm := range q.words {
				n := 0
				for _, f := range []uint32{mdl.q, mk.q, sa.q, yearBit, cc} {
					if f&wm != 0 {
						n++
					}
				}
				if popcnt(uint64(wm)) > 1 && n > 1 {
					s *= 0.97
					break
				}
			}
			out = append(out, refCand{id: v.id, score: s, own: v.own, order: v.order})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch {
		case a.score != b.score:
			return a.score > b.score
		case a.own != b.own:
			return !a.own
		}
		return a.order < b.order
	})
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// rvVehicles lists the vehicles a tenant's recogniser sees: the catalog's and its own (as
// the extension holds them: those the catalog lacks, and an implicit wildcard for each own
// model-year without one), each marked visible as View.Vehicle says.
func rvVehicles(cat *snapshot.Catalog, own []engine.TenantVehicle, v *engine.View) []rvVehicle {
	var out []rvVehicle
	makeNames, modelNames := map[uint32]*refName{}, map[uint32]*refName{}
	ids := map[string]int{}
	for i := range cat.Vehicles {
		veh := &cat.Vehicles[i]
		ids[veh.ID] = i
		md := &cat.Models[veh.Model]
		if makeNames[md.Make] == nil {
			nm := refNameOf(engine.MakeSpellingsForTest(cat.Makes[md.Make].Name), false)
			nm.spellings = true
			makeNames[md.Make] = &nm
		}
		if modelNames[veh.Model] == nil {
			nm := refNameOf(engine.ModelSpellingsForTest(md.Name))
			modelNames[veh.Model] = &nm
		}
		w := i
		for cat.Vehicles[w].Submodel != "" {
			w--
		}
		_, err := v.Vehicle(veh.ID)
		out = append(out, rvVehicle{id: veh.ID, order: i, group: fmt.Sprint(veh.Model), make: cat.Makes[md.Make].Name,
			model: md.Name, sub: veh.Submodel, year: int(veh.Year), cc: int(veh.EngineCC), wcc: int(cat.Vehicles[w].EngineCC),
			visible: err == nil, makeName: makeNames[md.Make], modelName: modelNames[veh.Model], subName: refNameOf([]string{veh.Submodel}, false)})
	}
	// The extension: own vehicles the catalog lacks (first of an id), implicit wildcards.
	var ext []engine.TenantVehicle
	seen := map[string]bool{}
	for _, tv := range own {
		if _, ok := ids[tv.ID]; !ok && !seen[tv.ID] {
			seen[tv.ID] = true
			ext = append(ext, tv)
		}
	}
	for _, tv := range slices.Clone(ext) {
		w := snapshot.VehicleID(tv.Make, tv.Model, "", tv.Year)
		if _, ok := ids[w]; !ok && !seen[w] {
			seen[w] = true
			ext = append(ext, engine.TenantVehicle{ID: w, Type: tv.Type, Make: tv.Make, Model: tv.Model, Year: tv.Year})
		}
	}
	sort.SliceStable(ext, func(i, j int) bool {
		a, b := ext[i], ext[j]
		switch {
		case snapshot.Key(a.Make) != snapshot.Key(b.Make):
			return snapshot.Key(a.Make) < snapshot.Key(b.Make)
		case snapshot.Key(a.Model) != snapshot.Key(b.Model):
			return snapshot.Key(a.Model) < snapshot.Key(b.Model)
		case a.Year != b.Year:
			return a.Year < b.Year
		case snapshot.Key(a.Submodel) != snapshot.Key(b.Submodel):
			return snapshot.Key(a.Submodel) < snapshot.Key(b.Submodel)
		}
		return a.ID < b.ID
	})
	wcc := map[string]int{}
	for _, tv := range ext {
		if tv.Submodel == "" && tv.EngineCC > 0 {
			wcc[tv.ID] = tv.EngineCC
		}
	}
	for i, tv := range ext {
		w := snapshot.VehicleID(tv.Make, tv.Model, "", tv.Year)
		c := wcc[w]
		if c == 0 {
			if k, ok := ids[w]; ok {
				c = int(cat.Vehicles[k].EngineCC)
			}
		}
		mkn := refNameOf(engine.MakeSpellingsForTest(tv.Make), false)
		mkn.spellings = true
		mdn := refNameOf(engine.ModelSpellingsForTest(tv.Model))
		_, err := v.Vehicle(tv.ID)
		out = append(out, rvVehicle{id: tv.ID, own: true, order: i, group: "own|" + snapshot.Key(tv.Make) + "|" + snapshot.Key(tv.Model),
			make: tv.Make, model: tv.Model, sub: tv.Submodel, year: tv.Year, cc: tv.EngineCC, wcc: c, visible: err == nil,
			makeName: &mkn, modelName: &mdn, subName: refNameOf([]string{tv.Submodel}, false)})
	}
	// One make and model name per group (the first vehicle's), as the index has one.
	first := map[string]*rvVehicle{}
	for i := range out {
		if f := first[out[i].group]; f != nil {
			out[i].makeName, out[i].modelName = f.makeName, f.modelName
		} else {
			first[out[i].group] = &out[i]
		}
	}
	return out
}

// checkResolve compares View.ResolveVehicles with the reference for one query.
func checkResolve(t *testing.T, v *engine.View, ref []rvVehicle, q string, k int) bool {
	t.Helper()
	want := refResolve(ref, q)
	got := v.ResolveVehicles(q, k)
	byID := map[string]float64{}
	for _, c := range want {
		byID[c.id] = c.score
	}
	n := min(k, len(want))
	fail := func(format string, args ...any) bool {
		var w []string
		for _, c := range want[:min(len(want), k+3)] {
			w = append(w, fmt.Sprintf("%s %.6f", c.id, c.score))
		}
		var g []string
		for _, c := range got {
			g = append(g, fmt.Sprintf("%s %.3f", c.ID, c.Score))
		}
		t.Errorf("ResolveVehicles(%q, %d): %s\n got  %v\n want %v", q, k, fmt.Sprintf(format, args...), g, w)
		return false
	}
	if len(got) != n {
		return fail("%d candidates, want %d", len(got), n)
	}
	for i, c := range got {
		s, ok := byID[c.ID]
		switch {
		case !ok:
			return fail("candidate %d, %s, is none of the reference's", i, c.ID)
		case math.Abs(s-want[i].score) > 1e-9:
			return fail("candidate %d, %s, scores %.9f in the reference, where the reference's %d scores %.9f", i, c.ID, s, i, want[i].score)
		case math.Abs(math.Round(s*1000)/1000-c.Score) > 1e-9:
			return fail("candidate %d, %s, scores %.3f, want %.3f", i, c.ID, c.Score, s)
		}
	}
	return true
}

// Random catalogs whose names share atoms, codes, joins, aliases and numbers on purpose.
var (
	rvMakes  = []string{"Can-Am", "Ski-Doo", "Harley-Davidson", "KTM", "Yamaha", "Honda", "CFMOTO", "GasGas", "Indian", "Lynx", "Arctic Cat", "MV Agusta"}
	rvModels = []string{"YFZ450R", "YFZ 450", "CRF450R", "CRF 450 RX", "Outlander", "Outlander 1000", "1000", "650", "MXZ", "X-RS",
		"Summit", "Raptor", "700R", "Ténéré", "700", "Rhino", "450", "Grizzly", "19", "2000", "Road Glide", "Special", "Ranger",
		"XTZ690 (Tenere 700)", "YFM660 (Raptor 660)", "Renegade", "Bearcat", "Super Duke", "Duke"}
	rvSubs = []string{"X-MR", "XT", "XT-P", "SE", "R", "X", "X mr", "Limited", "Special", "850", "RS 850", "Six Days", "TPI",
		"ABS", "Outlander", "YFZ450R", "Ranger XP", "Limitd", "Summit X", "1000 R"}
	rvWords = []string{"brake", "pads", "filter", "chain", "kit", "bremsbeläge", "2019", "19", "24", "1000", "xmr", "canam",
		"skidoo", "outlnader", "yfz450r", "x", "r", "hd", "brp", "tenere", "limted", "850", "449", "976", "summitx", "raptr"}
)

// randomResolveCatalog writes a random catalog and builds it: about n vehicle rows, brand ALL
// fitting about 70 % of the model-years' wildcards and a fifth of the concrete submodels.
func randomResolveCatalog(t *testing.T, r *rand.Rand, n int) *snapshot.Catalog {
	dir := t.TempDir()
	var veh, fits strings.Builder
	veh.WriteString("type,make,model,submodel,years,engine_cc\n")
	fits.WriteString("part_number,make,model,submodel,years\n")
	seen := map[string]bool{}
	for i := 0; i < n; i++ {
		mk := rvMakes[r.IntN(len(rvMakes))]
		md := rvModels[r.IntN(len(rvModels))]
		if r.IntN(3) == 0 {
			md += " " + rvModels[r.IntN(len(rvModels))]
		}
		sub := ""
		if r.IntN(4) > 0 {
			sub = rvSubs[r.IntN(len(rvSubs))]
		}
		key := snapshot.Key(mk + "|" + md + "|" + sub)
		if seen[key] || strings.Count(md, "(") > 1 {
			continue
		}
		seen[key] = true
		from := 1998 + r.IntN(26)
		to := min(2026, from+r.IntN(5))
		cc := []int{0, 449, 850, 976, 1000}[r.IntN(5)]
		ccs := ""
		if cc > 0 {
			ccs = strconv.Itoa(cc)
		}
		fmt.Fprintf(&veh, "atv,%s,%q,%q,%d-%d,%s\n", mk, md, sub, from, to, ccs)
		for y := from; y <= to; y++ {
			if r.IntN(10) < 7 {
				fmt.Fprintf(&fits, "ALL-1,%s,%q,,%d\n", mk, md, y)
			}
			if sub != "" && r.IntN(5) == 0 {
				fmt.Fprintf(&fits, "ALL-1,%s,%q,%q,%d\n", mk, md, sub, y)
			}
		}
	}
	files := map[string]string{"vehicles.csv": veh.String(), "fitments.csv": fits.String(), "parts.csv": "part_number,brand,name\nALL-1,ALL,Part\n"}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cat, _, err := ingest.Build(dir, ingest.Options{MaxRejects: -1, MaxRejectRatio: 1})
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// randomOwn puts n own vehicles in tenant id, and own parts fitting about half of them (and
// some catalog wildcards).
func randomOwn(t *testing.T, r *rand.Rand, e *engine.Engine, cat *snapshot.Catalog, id string, n int) []engine.TenantVehicle {
	var own []engine.TenantVehicle
	var fits []engine.TenantFitment
	for i := 0; i < n; i++ {
		mk := rvMakes[r.IntN(len(rvMakes))]
		if r.IntN(4) == 0 {
			mk = "Tinkerbike"
		}
		md := rvModels[r.IntN(len(rvModels))]
		sub := ""
		if r.IntN(3) > 0 {
			sub = rvSubs[r.IntN(len(rvSubs))]
		}
		year := 1998 + r.IntN(29)
		tv := engine.TenantVehicle{ID: snapshot.VehicleID(mk, md, sub, year), Type: "atv", Make: mk, Model: md, Submodel: sub, Year: year,
			EngineCC: []int{0, 449, 850}[r.IntN(3)]}
		own = append(own, tv)
		if r.IntN(2) == 0 {
			fits = append(fits, engine.TenantFitment{VehicleID: tv.ID})
		}
		if r.IntN(3) == 0 {
			fits = append(fits, engine.TenantFitment{VehicleID: snapshot.VehicleID(mk, md, "", year)})
		}
	}
	if len(cat.Vehicles) > 0 {
		fits = append(fits, engine.TenantFitment{VehicleID: cat.Vehicles[r.IntN(len(cat.Vehicles))].ID})
	}
	mustUpdate(t, e, id, engine.Change{PutVehicles: own})
	mustUpdate(t, e, id, engine.Change{PutParts: []engine.TenantPart{{PartNumber: "OWN-" + id, Brand: "Own", Name: "Own", Fitments: fits}}})
	return own
}

// refQueries draws queries: a vehicle's names spelt with noise, bags of words, part words
// around a vehicle.
func refQueries(r *rand.Rand, vs []rvVehicle, n int) []string {
	var out []string
	for len(out) < n {
		v := vs[r.IntN(len(vs))]
		var words []string
		switch r.IntN(3) {
		case 0, 1:
			parts := [][]string{strings.Fields(spell(r, v.model, map[string]bool{}))}
			if r.IntN(2) == 0 {
				parts = append(parts, strings.Fields(spell(r, v.make, map[string]bool{})))
			}
			if v.sub != "" && r.IntN(3) > 0 {
				parts = append(parts, strings.Fields(spell(r, v.sub, map[string]bool{})))
			}
			switch r.IntN(4) {
			case 0:
				parts = append(parts, []string{fmt.Sprintf("%02d", v.year%100)})
			case 1, 2:
				parts = append(parts, []string{fmt.Sprint(v.year + r.IntN(3) - 1)})
			}
			if r.IntN(3) == 0 {
				parts = append(parts, []string{rvWords[r.IntN(len(rvWords))]})
			}
			r.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
			for _, p := range parts {
				words = append(words, p...)
			}
			if r.IntN(3) == 0 {
				typo(r, words)
			}
		default:
			for k := 1 + r.IntN(5); k > 0; k-- {
				words = append(words, rvWords[r.IntN(len(rvWords))])
			}
		}
		out = append(out, strings.Join(words, " "))
	}
	return out
}

// TestResolveMatchesReference: random catalogs with own vehicles, random queries; the
// recogniser's candidates and scores are the reference's, for the tenant with own
// vehicles and for one without (who never gets the other's).
func TestResolveMatchesReference(t *testing.T) {
	seed := resolveSeed(t)
	r := rand.New(rand.NewPCG(seed, 17))
	rounds := 12
	if raceOn {
		rounds = 4
	}
	for round := 0; round < rounds; round++ {
		cat := randomResolveCatalog(t, r, 100+r.IntN(400))
		e := engine.New()
		e.Load(cat, "v1")
		mustUpdate(t, e, "a", engine.Change{Subscribe: []string{"ALL"}})
		mustUpdate(t, e, "b", engine.Change{Subscribe: []string{"ALL"}})
		own := randomOwn(t, r, e, cat, "a", 5+r.IntN(30))
		for _, id := range []string{"a", "b"} {
			v, _ := e.View(id)
			mine := own
			if id == "b" {
				mine = nil
			}
			ref := rvVehicles(cat, mine, v)
			for _, q := range refQueries(r, ref, 60) {
				if !checkResolve(t, v, ref, q, []int{1, 3, 10, 50}[r.IntN(4)]) {
					return
				}
			}
		}
	}
}

// TestResolveMatchesReferenceLarge: the same on the 70,000 vehicles of the generated
// catalog, for a tenant that sees part of them, with queries for vehicles past id 65,536.
func TestResolveMatchesReferenceLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("large catalog")
	}
	seed := resolveSeed(t)
	r := rand.New(rand.NewPCG(seed, 19))
	gc := genVehicleCatalog(t)
	e := engine.New()
	e.Load(gc.cat, "v1")
	mustUpdate(t, e, "t", engine.Change{Subscribe: []string{"SOME", "FEW"}})
	own := randomOwn(t, r, e, gc.cat, "t", 20)
	v, _ := e.View("t")
	ref := rvVehicles(gc.cat, own, v)
	var high []rvVehicle
	for _, rv := range ref {
		if rv.visible && (rv.own || rv.order > 65_536) {
			high = append(high, rv)
		}
	}
	if len(high) < 100 {
		t.Fatalf("only %d visible vehicles past id 65,536", len(high))
	}
	n := 40
	if raceOn {
		n = 15
	}
	for _, q := range refQueries(r, high, n) {
		if !checkResolve(t, v, ref, q, []int{1, 10, 50}[r.IntN(3)]) {
			return
		}
	}
}
