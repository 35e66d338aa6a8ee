package engine

import (
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/cespare/xxhash/v2"
)

// Vehicle recognition: free text ("can am outlander 1000 xmr 2024", "yfz450r 19") → the
// vehicles the tenant can see that it names, best first, with a score in 0..1.
//
// The text and every make, model and submodel name are cut into atoms (vtext.go) and looked
// up in a name index (vindex.go): one over the catalog, one over the tenant's own vehicles.
// Query runs match name terms exactly or, for words of letters, within one typo. A model is
// a candidate when a term of the query names it or its make. For each candidate the
// query's atoms are aligned with the model's name first, then the make's (its aliases
// included), greedily, longer matches first (align); of the atoms left, a year (a word of
// four digits, or of two: 00–40 → 2000s, 41–99 → 1900s) picks the model-year, then the
// submodel and the engine cc take what they can. A candidate vehicle's score is
//
//	(query credit / query weight) × (make·1 + model·3 + submodel·1.5 [+ year·1]) / (5.5 [+1])
//
// where the query credit sums the weights of the atoms explained (1 each, ½ for a single
// letter; a typo counts 0.8), each field counts the share of its name's atoms named (of its
// best alternative: a make's aliases, a model's part in parentheses at 0.98; submodel atoms
// that repeat the model's named atoms count as named), and the year counts when the query
// names one. A query word cut across two fields ("yfz450r" read as model YFZ450 and
// submodel R) costs 3 %.
//
// What a query resolves to:
//   - Without a submodel: the wildcard vehicle of the model-year ("all submodels"), which
//     the catalog has for every model-year, scores as a fully named submodel: it comes
//     first, then the concrete submodels of that model-year (their submodel unnamed). When
//     the tenant cannot see the wildcard (no visible part fits it), only the concrete ones.
//   - Without a year: the newest model-year of each model that the tenant can see; with a
//     year the model lacks, the nearest visible one (the newer of two), without the year's
//     credit.
//   - Own vehicles are ranked beside the catalog's, as models of their own (an own
//     submodel of a catalog model-year is a candidate beside the catalog's).
//
// Ties go to the catalog, then to the order of make, model, year and submodel names.
//
// Cost: the candidates' make and model names are aligned (a few hundred models for a
// make's name alone), then models are visited by the bound of what their vehicles can
// score, and the visit stops when no later one can enter the k best.

// Scoring weights.
const (
	wMake        = 1.0
	wModel       = 3.0
	wSub         = 1.5
	wYear        = 1.0
	typoCredit   = 0.8
	splitPenalty = 0.97
)

// maxQueryAtoms bounds the atoms of a query that are read; the rest is ignored.
const maxQueryAtoms = 24

// DefaultResolveLimit is the number of candidates ResolveVehicles returns for limit 0.
const DefaultResolveLimit = 10

// VehicleInfo is a vehicle as GET /api/t/vehicles/:id shows it.
type VehicleInfo struct {
	ID         string  `json:"id"`
	Make       string  `json:"make"`
	MakeID     string  `json:"makeId"`
	Model      string  `json:"model"`
	ModelID    string  `json:"modelId"`
	Type       string  `json:"type"`
	Year       int     `json:"year"`
	Submodel   string  `json:"submodel"` // "" = the wildcard vehicle of its model-year
	EngineCC   *int    `json:"engineCc"`
	Generation *string `json:"generation"`
}

// VehicleMatch is one candidate of ResolveVehicles.
type VehicleMatch struct {
	VehicleInfo
	Score float64 `json:"score"` // 0..1, three decimals
}

// VehicleMention is a vehicle named inside a part query (FindVehicle).
type VehicleMention struct {
	Vehicle VehicleInfo `json:"vehicle"`
	// Score is the vehicle's score over the words that name it (0..1, three decimals).
	Score float64 `json:"score"`
	// Text is the words of the query that name the vehicle, as typed; Rest the others, in
	// order, joined by single spaces ("" when the query is only the vehicle).
	Text string `json:"text"`
	Rest string `json:"rest"`
	// YearGiven reports that the query names the vehicle's year; otherwise Vehicle is of
	// the newest model-year the tenant can see (or, for a year the model lacks, the nearest).
	YearGiven bool `json:"yearGiven"`
}

// Vehicle returns a vehicle the tenant can see, the catalog's or its own, by id.
func (v *View) Vehicle(id string) (VehicleInfo, error) {
	if i, ok := v.cat.vehicleByID[id]; ok && v.vehicles.Contains(i) {
		return v.cat.vehicleInfo(i), nil
	}
	if i, ok := v.ext.vehByID[id]; ok && v.ownVisible(uint32(i)) {
		return v.ownVehicleInfo(uint32(i)), nil
	}
	return VehicleInfo{}, notFoundf("vehicle %s is not in this catalog", id)
}

func (k *catalog) vehicleInfo(id uint32) VehicleInfo {
	veh := &k.Vehicles[id]
	md := &k.Models[veh.Model]
	mk := &k.Makes[md.Make]
	info := VehicleInfo{ID: veh.ID, Make: mk.Name, MakeID: mk.ID, Model: md.Name, ModelID: md.ID, Type: md.Type.String(),
		Year: int(veh.Year), Submodel: veh.Submodel}
	if veh.EngineCC > 0 {
		info.EngineCC = ptrTo(int(veh.EngineCC))
	}
	if veh.Generation != "" {
		info.Generation = ptrTo(veh.Generation)
	}
	return info
}

func (v *View) ownVehicleInfo(i uint32) VehicleInfo {
	ev := &v.ext.vehicles[i]
	info := VehicleInfo{ID: ev.ID, Make: v.makeName(ev), MakeID: ev.makeID, Model: ev.Model, ModelID: ev.modelID, Type: ev.typ.String(),
		Year: ev.Year, Submodel: ev.Submodel}
	if ev.EngineCC > 0 {
		info.EngineCC = ptrTo(ev.EngineCC)
	}
	if ev.Generation != "" {
		info.Generation = ptrTo(ev.Generation)
	}
	return info
}

// ownVisible reports whether own vehicle i is visible (visibility.ext is ascending).
func (v *View) ownVisible(i uint32) bool {
	_, ok := slices.BinarySearch(v.visibility.ext, int(i))
	return ok
}

// ResolveVehicles returns the vehicles the tenant can see that text names, best first, at
// most limit (DefaultResolveLimit when limit <= 0). See the top of resolve.go for how they
// are found and scored.
func (v *View) ResolveVehicles(text string, limit int) []VehicleMatch {
	if limit <= 0 {
		limit = DefaultResolveLimit
	}
	_, cands := v.resolveVehicles(text, limit, false)
	out := make([]VehicleMatch, len(cands))
	for i := range cands {
		out[i] = VehicleMatch{VehicleInfo: v.candInfo(&cands[i]), Score: round3(cands[i].score)}
	}
	return out
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

func (v *View) candInfo(c *vcand) VehicleInfo {
	if c.own {
		return v.ownVehicleInfo(v.ownVehicleNames().rows[c.order].id)
	}
	return v.cat.vehicleInfo(c.order)
}

// vquery is a parsed query.
type vquery struct {
	atoms []atom
	text  string // the atoms' texts concatenated (atomize)
	all   uint32 // every atom
	w     []float64
	total float64
	multi []uint32 // the atoms of each word that has more than one
	words []uint32 // the atoms of each word
	year  []int    // the year atom i names, 0 for none
	num   []uint32 // atom i as a number, 0 when not a digit atom or 0 or above 99,999
	year4 uint32   // atoms that are four-digit years
	ccish uint32   // digit atoms that may be an engine cc (two digits or more)
}

func parseVehicleQuery(text string) *vquery {
	q := &vquery{}
	q.atoms, q.text = atomize(text, make([]atom, 0, 12))
	if len(q.atoms) > maxQueryAtoms {
		q.atoms = q.atoms[:maxQueryAtoms]
	}
	n := len(q.atoms)
	q.w, q.year, q.num = make([]float64, n), make([]int, n), make([]uint32, n)
	q.all = uint32(1)<<n - 1
	for i, a := range q.atoms {
		q.w[i] = 1
		if !a.digit && len(a.text) == 1 {
			q.w[i] = 0.5
		}
		q.total += q.w[i]
		for len(q.words) <= a.word {
			q.words = append(q.words, 0)
		}
		q.words[a.word] |= 1 << i
		if !a.digit {
			continue
		}
		x, err := strconv.Atoi(a.text)
		if err != nil || len(a.text) > 5 {
			x = -1
		}
		if x > 0 {
			q.num[i] = uint32(x)
		}
		if len(a.text) >= 2 {
			q.ccish |= 1 << i
		}
		if i > 0 && q.atoms[i-1].word == a.word || i+1 < n && q.atoms[i+1].word == a.word {
			continue // digits inside a code ("VN2000", "R13") are no year
		}
		switch {
		case len(a.text) == 4 && x >= 1900 && x <= 2099:
			q.year[i] = x
			q.year4 |= 1 << i
		case len(a.text) == 2 && x >= 0 && x <= 40:
			q.year[i] = 2000 + x
		case len(a.text) == 2 && x > 40:
			q.year[i] = 1900 + x
		}
	}
	for _, wm := range q.words {
		if bits.OnesCount32(wm) > 1 {
			q.multi = append(q.multi, wm)
		}
	}
	return q
}

// shortAtom reports whether one of atoms i..j (j exclusive) is a single letter.
func (q *vquery) shortAtom(i, j int) bool {
	for ; i < j; i++ {
		if len(q.atoms[i].text) == 1 {
			return true
		}
	}
	return false
}

// join returns the text of atoms i..j (j exclusive) joined.
func (q *vquery) join(i, j int) string {
	return q.text[q.atoms[i].off : q.atoms[j-1].off+len(q.atoms[j-1].text)]
}

// credit sums the weights of the atoms in m, a typo's at typoCredit.
func (q *vquery) credit(m, typo uint32) float64 {
	c := 0.0
	for i := range q.atoms {
		bit := uint32(1) << i
		switch {
		case m&bit == 0:
		case typo&bit != 0:
			c += q.w[i] * typoCredit
		default:
			c += q.w[i]
		}
	}
	return c
}

// pickYear chooses the year among the atoms of free: the last four-digit year, else the
// last two-digit one; -1 for none.
func (q *vquery) pickYear(free uint32) (atom, year int) {
	atom = -1
	for i := range q.atoms {
		if free&(1<<i) != 0 && q.year[i] != 0 && (q.year4&(1<<i) != 0 || atom < 0 || q.year4&(1<<atom) == 0) {
			atom = i
		}
	}
	if atom >= 0 {
		year = q.year[atom]
	}
	return atom, year
}

// split reports whether a word of several atoms was read into more than one field.
func (q *vquery) split(fields ...uint32) bool {
	for _, wm := range q.multi {
		n := 0
		for _, f := range fields {
			if f&wm != 0 {
				n++
			}
		}
		if n > 1 {
			return true
		}
	}
	return false
}

// vscore is the score of a candidate (see the top of this file).
func vscore(credit, total, makeCov, modelCov, subCov float64, yearGiven, yearOK, split bool) float64 {
	num := wMake*makeCov + wModel*modelCov + wSub*subCov
	den := wMake + wModel + wSub
	if yearGiven {
		den += wYear
		if yearOK {
			num += wYear
		}
	}
	s := credit / total * (num / den)
	if split {
		s *= splitPenalty
	}
	return s
}

// qspan is a run of query atoms that is (exactly, or within one typo) a term of an index.
type qspan struct {
	term   uint32
	qi, qn uint8
	typo   bool
}

// qterms is a query looked up in one index.
type qterms struct {
	spans []qspan // by term
}

func spanMask(qi, qn uint8) uint32 { return (uint32(1)<<qn - 1) << qi }

// lookup finds the terms of ix that runs of q's atoms are: every atom, and two or three
// consecutive letter atoms joined, exactly or within one typo.
func (ix *nameIndex) lookup(q *vquery) qterms {
	var qt qterms
	var keyBuf [64]byte
	n := len(q.atoms)
	add := func(t uint32, i, l int, typo bool) {
		for _, sp := range qt.spans {
			if sp.term == t && int(sp.qi) == i && int(sp.qn) == l {
				return
			}
		}
		qt.spans = append(qt.spans, qspan{term: t, qi: uint8(i), qn: uint8(l), typo: typo})
	}
	for i := 0; i < n; i++ {
		for l := 1; l <= 3 && i+l <= n; l++ {
			if l > 1 && (q.atoms[i].digit || q.atoms[i+l-1].digit) {
				break
			}
			s := q.join(i, i+l)
			exact, ok := ix.terms[s]
			if ok {
				add(exact, i, l, false)
			}
			if q.atoms[i].digit || len(s) < typoQueryMin || len(s) > len(keyBuf) || l > 1 && q.shortAtom(i, i+l) {
				continue // a typo must not swallow a whole one-letter atom ("summit x" is not "summit")
			}
			// The query word and its one-deletion variants meet the terms' (vindex.go).
			for d := -1; d < len(s); d++ {
				if d > 0 && s[d] == s[d-1] {
					continue
				}
				var key []byte
				if d < 0 {
					key = append(keyBuf[:0], s...)
				} else {
					key = append(append(keyBuf[:0], s[:d]...), s[d+1:]...)
				}
				h := xxhash.Sum64(key)
				lo, hi := 0, len(ix.typo)
				for lo < hi {
					m := int(uint(lo+hi) >> 1)
					if ix.typo[m].hash < h {
						lo = m + 1
					} else {
						hi = m
					}
				}
				for ; lo < len(ix.typo) && ix.typo[lo].hash == h; lo++ {
					t := ix.typo[lo].term
					if (!ok || t != exact) && s != ix.termText[t] && within1(s, ix.termText[t]) {
						add(t, i, l, true)
					}
				}
			}
		}
	}
	// Insertion sort: a query has a few dozen spans at most.
	for i := 1; i < len(qt.spans); i++ {
		for j := i; j > 0 && qt.spans[j].term < qt.spans[j-1].term; j-- {
			qt.spans[j], qt.spans[j-1] = qt.spans[j-1], qt.spans[j]
		}
	}
	return qt
}

// aligned is how query atoms were matched to one name.
type aligned struct {
	q, qTypo uint32 // query atoms matched, and those by a typo
	f, fTypo uint64 // name atoms matched, and those by a typo
}

type vmatch struct {
	qi, qn, fp, fn uint8
	typo           bool
}

// align matches the atoms of free to the name greedily: matches covering more of the name
// first, then exact before typo, more of the query, leftmost in the query, then in the name.
// A name with alternatives is matched to each of them on its own and the best one counts,
// so the atoms of the others are left to the other fields: for a model, the one covered
// most (of equals, the one naming more query atoms); for a make, whose alternatives are
// spellings, the one naming more query atoms (of equals, the one covered most); then the
// first. cov is the name's coverage: the share of that alternative named, a typo's atoms at
// typoCredit.
func (qt *qterms) align(nm *vname, free uint32) (a aligned, cov float64) {
	if len(nm.alts) == 0 {
		return a, 0
	}
	var buf [48]vmatch
	ms := buf[:0]
	for _, t := range nm.terms {
		lo, hi := 0, len(qt.spans)
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if qt.spans[m].term < t.term {
				lo = m + 1
			} else {
				hi = m
			}
		}
		for ; lo < len(qt.spans) && qt.spans[lo].term == t.term; lo++ {
			sp := qt.spans[lo]
			if qm := spanMask(sp.qi, sp.qn); qm&free == qm {
				ms = append(ms, vmatch{qi: sp.qi, qn: sp.qn, fp: t.pos, fn: t.n, typo: sp.typo})
			}
		}
	}
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && matchBefore(&ms[j], &ms[j-1]); j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
	cov = -1
	for i, alt := range nm.alts {
		var in aligned
		for _, m := range ms {
			qm, fm := spanMask(m.qi, m.qn), atomRange(int(m.fp), int(m.fp)+int(m.fn))
			if fm&alt != fm || in.q&qm != 0 || in.f&fm != 0 {
				continue
			}
			in.q, in.f = in.q|qm, in.f|fm
			if m.typo {
				in.qTypo, in.fTypo = in.qTypo|qm, in.fTypo|fm
			}
		}
		c := altCoverage(nm, i, in.f, in.fTypo)
		// In fifths of an atom, a typo's at four.
		qc, bestQc := 5*bits.OnesCount32(in.q)-bits.OnesCount32(in.qTypo), 5*bits.OnesCount32(a.q)-bits.OnesCount32(a.qTypo)
		better := c > cov || c == cov && qc > bestQc
		if nm.spellings {
			better = qc > bestQc || qc == bestQc && c > cov
		}
		if better {
			a, cov = in, c
		}
	}
	return a, cov
}

// altPenalty is what naming a model by a part of its name costs ("tenere 700" for "XTZ690
// (Tenere 700)"): a model that is all of it ("Tenere 700") wins a tie.
const altPenalty = 0.98

// altCoverage is the share of alternative i of nm that the name atoms f name, a typo's at
// typoCredit.
func altCoverage(nm *vname, i int, f, fTypo uint64) float64 {
	alt := nm.alts[i]
	c := (float64(popcount(f&alt)) - (1-typoCredit)*float64(popcount(fTypo&alt))) / float64(popcount(alt))
	if nm.parts && i != int(nm.whole) {
		c *= altPenalty
	}
	return c
}

// bestAlt is the alternative of nm that f covers best (the first of equals): for a name
// whose matches are known only as name atoms.
func bestAlt(nm *vname, f, fTypo uint64) int {
	best, bestCov := 0, -1.0
	for i := range nm.alts {
		if c := altCoverage(nm, i, f, fTypo); c > bestCov {
			best, bestCov = i, c
		}
	}
	return best
}

// coverage is the share of the name that f names, in its best alternative; 0 for a name
// without atoms.
func coverage(nm *vname, f, fTypo uint64) float64 {
	if len(nm.alts) == 0 {
		return 0
	}
	return altCoverage(nm, bestAlt(nm, f, fTypo), f, fTypo)
}

// implied returns the atoms of the submodel sub that repeat an atom of the model name
// matched by modelF ("YFM660R" of model "YFM660 (Raptor 660)" named "yfm660"): named
// already.
func implied(sub, model *vname, modelF uint64) uint64 {
	var out uint64
	for i, s := range sub.atoms {
		for m := modelF; m != 0; m &= m - 1 {
			if model.atoms[bits.TrailingZeros64(m)] == s {
				out |= 1 << i
				break
			}
		}
	}
	return out
}

func matchBefore(a, b *vmatch) bool {
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
}

// vcand is a scored candidate vehicle.
type vcand struct {
	score float64
	own   bool   // from the own-vehicle index
	order uint32 // its row in its index: the tie-break
	m     uint32 // its model in its index
	// The query atoms read as each field.
	model, make, sub, year, cc, typo uint32
	modelF                           uint64 // the model name's atoms matched
	yearGiven                        bool
	subCode                          bool // the submodel was named by letters and digits
}

// better orders candidates: higher score, then the catalog's, then by row.
func better(a, b *vcand) bool {
	switch {
	case a.score != b.score:
		return a.score > b.score
	case a.own != b.own:
		return !a.own
	}
	return a.order < b.order
}

// topK keeps the k best candidates, best first.
type topK struct {
	k int
	c []vcand
}

func (t *topK) full() bool { return len(t.c) == t.k }

// admits reports whether a candidate that is not better than c could still enter.
func (t *topK) admits(c *vcand) bool { return !t.full() || better(c, &t.c[len(t.c)-1]) }

func (t *topK) push(c vcand) {
	if !t.admits(&c) {
		return
	}
	i := len(t.c)
	for i > 0 && better(&c, &t.c[i-1]) {
		i--
	}
	if t.full() {
		t.c = t.c[:len(t.c)-1]
	}
	t.c = slices.Insert(t.c, i, c)
}

// vsource is one name index with the tenant's view of its vehicles.
type vsource struct {
	ix *nameIndex
	v  *View
}

func (s *vsource) visible(r *vrow) bool {
	if s.ix.own {
		return s.v.ownVisible(r.id)
	}
	return s.v.vehicles.Contains(r.id)
}

func (s *vsource) yearVisible(m uint32, y *myear) bool {
	if !s.ix.own {
		return s.v.has(m, int(y.year))
	}
	for r := y.lo; r < y.hi; r++ {
		if s.visible(&s.ix.rows[r]) {
			return true
		}
	}
	return false
}

// modelYear picks the model-year of model m for a query naming year (0: none): that year
// when visible, else the nearest visible one (the newer of two); -1 when none is visible.
func (s *vsource) modelYear(m uint32, year int) (my int, ok bool) {
	if !s.ix.own && !s.v.has(m, 0) {
		return -1, false
	}
	ys := s.ix.models[m].years
	my = -1
	for i := len(ys) - 1; i >= 0; i-- {
		y := &ys[i]
		if !s.yearVisible(m, y) {
			continue
		}
		if year == 0 || int(y.year) == year {
			return i, year != 0
		}
		if my < 0 || abs(int(y.year)-year) < abs(int(ys[my].year)-year) {
			my = i
		}
	}
	return my, false
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// stage1 is a candidate model, aligned with its make and model names, and the bound of
// what its vehicles can score.
type stage1 struct {
	m                 uint32
	ub                float64
	mdl, mk           aligned
	modelCov, makeCov float64
	yearAtom          int
	yearOK            bool
	my                int
	free              uint32 // atoms left for the submodel and cc
}

// collect scores the candidates of s for q into top. For a mention (FindVehicle), only
// models that the query names (modelNamed) are candidates.
func (s *vsource) collect(q *vquery, top *topK, mention bool) {
	ix := s.ix
	qt := ix.lookup(q)
	if len(qt.spans) == 0 {
		return
	}
	var models []uint32
	for _, sp := range qt.spans {
		models = append(models, ix.modelPost[sp.term]...)
		if mention {
			continue
		}
		for _, mk := range ix.makePost[sp.term] {
			models = append(models, ix.makeModels[mk]...)
		}
	}
	slices.Sort(models)
	models = slices.Compact(models)
	// The atoms each model's submodels could match, for its bound.
	subable := make([]uint32, len(ix.models))
	for _, sp := range qt.spans {
		for _, m := range ix.subPost[sp.term] {
			subable[m] |= spanMask(sp.qi, sp.qn)
		}
	}

	firsts := make([]stage1, 0, len(models))
	for _, m := range models {
		md := &ix.models[m]
		e := stage1{m: m, yearAtom: -1}
		e.mdl, e.modelCov = qt.align(&md.name, q.all)
		e.mk, e.makeCov = qt.align(&ix.makes[md.make], q.all&^e.mdl.q)
		if e.mdl.q|e.mk.q == 0 {
			continue
		}
		if named, _ := modelNamed(&md.name, e.mdl.f); mention && !named {
			continue
		}
		free := q.all &^ (e.mdl.q | e.mk.q)
		var year int
		e.yearAtom, year = q.pickYear(free)
		if e.my, e.yearOK = s.modelYear(m, year); e.my < 0 {
			continue
		}
		matched := e.mdl.q | e.mk.q
		if e.yearAtom >= 0 {
			free &^= 1 << e.yearAtom
			if e.yearOK {
				matched |= 1 << e.yearAtom
			}
		}
		e.free = free
		e.ub = vscore(q.credit(matched|free&(subable[m]|q.ccish), e.mdl.qTypo|e.mk.qTypo), q.total,
			e.makeCov, e.modelCov, 1, e.yearAtom >= 0, e.yearOK, false)
		firsts = append(firsts, e)
	}
	slices.SortFunc(firsts, func(a, b stage1) int {
		switch {
		case a.ub > b.ub:
			return -1
		case a.ub < b.ub:
			return 1
		}
		return int(a.m) - int(b.m)
	})

	for i := range firsts {
		e := &firsts[i]
		y := &ix.models[e.m].years[e.my]
		if bound := (vcand{score: e.ub, own: ix.own, order: y.lo}); !top.admits(&bound) {
			break // later models bound no higher, and come later on a tie
		}
		var yearBit uint32
		if e.yearOK {
			yearBit = 1 << e.yearAtom
		}
		for r := y.lo; r < y.hi; r++ {
			row := &ix.rows[r]
			if !s.visible(row) {
				continue
			}
			var sa aligned
			subCov, subCode := 1.0, false
			if row.sub != 0 {
				sub := &ix.subs[row.sub]
				sa, _ = qt.align(sub, e.free)
				imp := implied(sub, &ix.models[e.m].name, e.mdl.f)
				subCov = coverage(sub, sa.f|imp, sa.fTypo&^imp)
				subCode = sa.f&sub.digit != 0 && sa.f&^sub.digit != 0
			}
			cc := q.ccMatch(e.free&^sa.q, row)
			c := vcand{own: ix.own, order: r, m: e.m, model: e.mdl.q, make: e.mk.q, sub: sa.q, year: yearBit, cc: cc,
				typo: e.mdl.qTypo | e.mk.qTypo | sa.qTypo, modelF: e.mdl.f, yearGiven: e.yearAtom >= 0, subCode: subCode}
			matched := c.model | c.make | c.sub | c.year | c.cc
			c.score = vscore(q.credit(matched, c.typo), q.total, e.makeCov, e.modelCov, subCov, c.yearGiven, e.yearOK,
				q.split(c.model, c.make, c.sub, c.year, c.cc))
			top.push(c)
		}
	}
}

// ccMatch returns the first atom of free that is the row's engine cc (or its wildcard's).
func (q *vquery) ccMatch(free uint32, row *vrow) uint32 {
	if row.cc == 0 && row.wcc == 0 {
		return 0
	}
	for i := range q.atoms {
		if bit := uint32(1) << i; free&q.ccish&bit != 0 && (q.num[i] == row.cc || q.num[i] == row.wcc) && q.num[i] != 0 {
			return bit
		}
	}
	return 0
}

// resolveVehicles parses text and returns its k best candidates (see collect for mention).
func (v *View) resolveVehicles(text string, k int, mention bool) (*vquery, []vcand) {
	q := parseVehicleQuery(text)
	if len(q.atoms) == 0 {
		return q, nil
	}
	top := &topK{k: k, c: make([]vcand, 0, min(k, 64))}
	(&vsource{ix: v.cat.vehicleNames(), v: v}).collect(q, top, mention)
	if len(v.visibility.ext) > 0 {
		(&vsource{ix: v.ownVehicleNames(), v: v}).collect(q, top, mention)
	}
	return q, top.c
}

// mentionCandidates is how many of the best candidates FindVehicle examines.
const mentionCandidates = 20

// FindVehicle finds a vehicle confidently named inside a part query ("brake pads yfz450r
// 2019" → the 2019 YFZ450R, rest "brake pads"). The vehicle must be one the tenant can see,
// and named so that ordinary part words are never taken for it:
//   - its model name in full (of one alternative: "tenere 700" names "XTZ690 (Tenere 700)"),
//     or all but a last letter or two after a code ("yfz 450" names "YFZ450R"), in words of
//     the query that name nothing else;
//   - with its make, or by a model or submodel name holding both letters and digits (a
//     code: "yfz450r", "outlander 1000", "ranger xp 1000"): a model that is a plain word
//     ("Ranger") or a number needs the make;
//   - its model, submodel, engine cc and a two-digit year in one run of words that name
//     nothing but the vehicle; the make and a four-digit year anywhere.
//
// ok is false when no vehicle is named so.
func (v *View) FindVehicle(text string) (m VehicleMention, ok bool) {
	q, cands := v.resolveVehicles(text, mentionCandidates, true)
	for i := range cands {
		c := &cands[i]
		ix := v.cat.vehicleNames()
		if c.own {
			ix = v.ownVehicleNames()
		}
		if words, weight, ok := q.mention(c, &ix.models[c.m].name); ok {
			fields := strings.Fields(text)
			var named, rest []string
			for w, f := range fields {
				if w < len(words) && words[w] {
					named = append(named, f)
				} else {
					rest = append(rest, f)
				}
			}
			// Rescored over the words naming it: every matched atom is in them.
			return VehicleMention{Vehicle: v.candInfo(c), Score: round3(min(1, c.score*q.total/weight)),
				Text: strings.Join(named, " "), Rest: strings.Join(rest, " "), YearGiven: c.year != 0}, true
		}
	}
	return VehicleMention{}, false
}

// modelNamed reports whether the matched atoms f of a model's name name it for a mention:
// all of one alternative, or all but a last atom of one or two characters after a code (a
// run of letters and digits); code, whether the atoms named include letters and digits.
func modelNamed(model *vname, f uint64) (named, code bool) {
	for _, alt := range model.alts {
		have := f & alt
		missing := alt &^ have
		isCode := have&model.digit != 0 && have&^model.digit != 0
		if missing == 0 || (popcount(missing) == 1 && isCode && missing > have && len(model.atoms[bits.TrailingZeros64(missing)]) <= 2) {
			named = true
			code = code || isCode
		}
	}
	return named, code
}

// mention checks that candidate c is named confidently (see FindVehicle); words marks the
// query words that name it, weight is their atoms' weight.
func (q *vquery) mention(c *vcand, model *vname) (words []bool, weight float64, ok bool) {
	named, code := modelNamed(model, c.modelF)
	if !named || (!code && !c.subCode && c.make == 0) {
		return nil, 0, false
	}
	matched := c.model | c.make | c.sub | c.year | c.cc
	words = make([]bool, len(q.words))
	first := -1
	for w, wm := range q.words {
		if wm&matched == 0 {
			continue
		}
		if wm&^matched != 0 {
			return nil, 0, false // a word only partly the vehicle's
		}
		words[w] = true
		weight += q.credit(wm, 0)
		if first < 0 && wm&c.model != 0 {
			first = w
		}
	}
	// The block of the vehicle's words around the model's first: the model, submodel, cc and
	// a two-digit year must be in it, the make and a four-digit year may be anywhere.
	lo, hi := first, first
	for lo > 0 && words[lo-1] {
		lo--
	}
	for hi+1 < len(words) && words[hi+1] {
		hi++
	}
	for w, wm := range q.words {
		if words[w] && (w < lo || w > hi) && wm&(c.model|c.sub|c.cc|c.year&^q.year4) != 0 {
			return nil, 0, false
		}
	}
	return words, weight, true
}
