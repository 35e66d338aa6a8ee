package index

import (
	"cmp"
	"flag"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fitment/fitment/snapshot"
)

var seedFlag = flag.Uint64("seed", 0, "seed of the random catalog and queries (0: random)")

// The reference catalog: refParts part ids, crossing roaring's 65,536 container boundary
// and the boundary of two shards, of which every refEvery-th on average has text (parts
// without text still get a document, so the empty ones cost little to build).
const (
	refParts = 70_000
	refEvery = 10
)

// Words of the reference catalog, by language: names draw from the first rows, so they
// share stems ("pads"/"pad"), typos are one edit from another word, stop words appear.
var refVocab = map[string][]string{
	"en": {"brake", "brakes", "pad", "pads", "oil", "filter", "filters", "chain", "sprocket", "front", "rear", "battery", "lever", "levers", "mirror", "the", "for", "sintered", "organic", "racing", "cable", "gasket"},
	"de": {"Bremsbeläge", "Bremsbelag", "Bremsscheibe", "Ölfilter", "Luftfilter", "Kette", "Ketten", "Ritzel", "Batterie", "Spiegel", "für", "die", "vorne", "hinten", "Dichtung", "Dichtungen"},
	"fr": {"plaquettes", "plaquette", "frein", "freins", "filtre", "huile", "chaîne", "pignon", "de", "pour", "avant", "arrière", "batterie", "rétroviseur"},
	"sv": {"bromsbelägg", "bromsklossar", "oljefilter", "kedja", "kedjor", "drev", "batteri", "backspegel", "för", "och"},
	"fi": {"jarrupalat", "jarrupala", "öljynsuodatin", "ketju", "ketjut", "akku", "peili"},
	"nl": {"remblokken", "remblok", "oliefilter", "ketting", "kettingen", "accu", "spiegel", "voor", "de"},
	"it": {"pastiglie", "pastiglia", "freno", "filtro", "olio", "catena", "catene", "batteria", "specchietto", "per"},
	"es": {"pastillas", "pastilla", "freno", "filtro", "aceite", "cadena", "cadenas", "batería", "espejo", "para"},
	"pl": {"klocki", "hamulcowe", "filtr", "oleju", "łańcuch"}, // no analyzer: Other
}

var refBrands = []string{"EBC", "K&N", "Brembo", "Hiflofiltro", "DID", "Yuasa", "Motion Pro", "Ferodo"}
var refCategories = []string{"Brakes > Brake pads > Sintered", "Brakes > Brake discs", "Engine > Filters > Oil filters", "Drivetrain > Chains", "Electrical > Batteries", ""}

type refCatalog struct {
	docs []Doc
	dir  string
	ix   *Index
	seed uint64
}

var (
	refOnce sync.Once
	ref     *refCatalog
	refErr  error
)

func refDoc(rng *rand.Rand, part uint32) Doc {
	if rng.IntN(refEvery) != 0 {
		return Doc{}
	}
	d := Doc{
		Number:   fmt.Sprintf("%s-%05d-%s", []string{"FA", "KN", "HF", "X"}[rng.IntN(4)], part, []string{"", "R", "013"}[rng.IntN(3)]),
		Brand:    refBrands[rng.IntN(len(refBrands))],
		Category: refCategories[rng.IntN(len(refCategories))],
	}
	if rng.IntN(2) == 0 {
		d.OEM = append(d.OEM, fmt.Sprintf("%d-%03d", 10000+rng.IntN(90000), rng.IntN(1000)))
	}
	if rng.IntN(3) == 0 {
		d.EAN = append(d.EAN, fmt.Sprintf("0%012d", 400000000000+int(part)))
	}
	phrase := func(lang string, n int) string {
		vs := refVocab[lang]
		ws := make([]string, n)
		for i := range ws {
			ws[i] = vs[rng.IntN(len(vs))]
		}
		return strings.Join(ws, " ")
	}
	langs := []string{"en", "de", "fr", "sv", "fi", "nl", "it", "es", "pl"}
	for _, l := range langs {
		if l == "en" || rng.IntN(3) == 0 {
			d.Names = append(d.Names, snapshot.Translation{Lang: l, Text: phrase(l, 1+rng.IntN(3))})
		}
		if rng.IntN(4) == 0 {
			text := phrase(l, 3+rng.IntN(6))
			if rng.IntN(2) == 0 {
				text = "<p><strong>" + text + "</strong></p><ul><li>" + phrase(l, 2) + "</li></ul>"
			}
			d.Descriptions = append(d.Descriptions, snapshot.Translation{Lang: l, Text: text})
		}
	}
	return d
}

// refIndex builds the reference catalog's index once for the package's tests.
func refIndex(t testing.TB) *refCatalog {
	refOnce.Do(func() {
		seed := *seedFlag
		if seed == 0 {
			seed = rand.Uint64()
		}
		rng := rand.New(rand.NewPCG(seed, 7))
		r := &refCatalog{seed: seed, docs: make([]Doc, refParts)}
		for p := range r.docs {
			r.docs[p] = refDoc(rng, uint32(p))
		}
		dir, err := tempDir()
		if err != nil {
			refErr = err
			return
		}
		r.dir = filepath.Join(dir, "ref")
		if _, err := Build(r.dir, len(r.docs), func(p uint32, d *Doc) error { *d = r.docs[p]; return nil }, Options{Shards: 2, BatchSize: 4096}); err != nil {
			refErr = err
			return
		}
		r.ix, refErr = Open(r.dir)
		ref = r
	})
	if refErr != nil {
		t.Fatal(refErr)
	}
	t.Logf("reference catalog seed %d (rerun with -seed=%d)", ref.seed, ref.seed)
	return ref
}

// model is the naive matcher: every document's text analysed into plain sets, every
// query answered by looking at every document.
type model struct {
	an    *analyzers
	docs  []modelDoc
	vocab map[string][]uint32 // every folded name word: the parts that have it
	text  []uint32            // the parts with any text
	ui    string
}

type modelDoc struct {
	names, descs map[string]map[string]bool // language suffix → terms
	fold         map[string]bool            // folded name words
	brand, cat   map[string]bool
	pn, oem, ean map[string]bool
}

func set(ts []string) map[string]bool {
	m := map[string]bool{}
	for _, t := range ts {
		m[t] = true
	}
	return m
}

func newModel(t testing.TB, docs []Doc) *model {
	an, err := newAnalyzers()
	if err != nil {
		t.Fatal(err)
	}
	m := &model{an: an, docs: make([]modelDoc, len(docs)), vocab: map[string][]uint32{}}
	for i, d := range docs {
		md := modelDoc{names: map[string]map[string]bool{}, descs: map[string]map[string]bool{}, fold: map[string]bool{},
			pn: set([]string{NormalizeNumber(d.Number)}), oem: map[string]bool{}, ean: map[string]bool{},
			brand: set(terms(an.fold, d.Brand)), cat: set(terms(an.lang["en"], d.Category))}
		for _, o := range d.OEM {
			md.oem[NormalizeNumber(o)] = true
		}
		for _, e := range d.EAN {
			md.ean[strings.TrimLeft(NormalizeNumber(e), "0")] = true
		}
		for _, n := range d.Names {
			a, l := an.analyzerFor(n.Lang)
			if md.names[l] == nil {
				md.names[l] = map[string]bool{}
			}
			for _, t := range terms(a, n.Text) {
				md.names[l][t] = true
			}
			for _, t := range terms(an.fold, n.Text) {
				if !md.fold[t] {
					m.vocab[t] = append(m.vocab[t], uint32(i))
				}
				md.fold[t] = true
			}
		}
		for _, n := range d.Descriptions {
			a, l := an.analyzerFor(n.Lang)
			if md.descs[l] == nil {
				md.descs[l] = map[string]bool{}
			}
			// Tags are dropped by hand here, differently from plainText.
			text := n.Text
			for _, tag := range []string{"<p>", "</p>", "<strong>", "</strong>", "<ul>", "</ul>", "<li>", "</li>"} {
				text = strings.ReplaceAll(text, tag, " ")
			}
			for _, t := range terms(a, text) {
				md.descs[l][t] = true
			}
		}
		m.docs[i] = md
		if d.Number != "" {
			m.text = append(m.text, uint32(i))
		}
	}
	return m
}

// osa is the optimal string alignment distance (Levenshtein with adjacent
// transpositions), by runes.
func osa(a, b string) int {
	x, y := []rune(a), []rune(b)
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			c := 1
			if x[i-1] == y[j-1] {
				c = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+c)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}

func subset(ts []string, m map[string]bool) bool {
	if len(ts) == 0 {
		return false
	}
	for _, t := range ts {
		if !m[t] {
			return false
		}
	}
	return true
}

// wordMatch is how one document matches one query word in the model.
type wordMatch struct {
	ok    bool
	typos int
	field Field
	exact bool
}

// nearParts returns, for a query word, the parts with a folded name word it matches by
// typo (with the least distance) or as a prefix (distance 0).
func (m *model) nearParts(w *word) map[uint32]int {
	near := map[uint32]int{}
	see := func(t string, dist int) {
		for _, p := range m.vocab[t] {
			if d, ok := near[p]; !ok || dist < d {
				near[p] = dist
			}
		}
	}
	if len(w.fold) != 1 || w.digit {
		return near
	}
	f := w.fold[0]
	n := utf8.RuneCountInString(f)
	for t := range m.vocab {
		if n >= oneTypoLen && t != f {
			maxD := 1
			if n >= twoTyposLen {
				maxD = 2
			}
			if dist := osa(f, t); dist <= maxD {
				see(t, dist)
			}
		}
		if w.last && n >= prefixLen && t != f && strings.HasPrefix(t, f) {
			see(t, 0)
		}
	}
	return near
}

func (m *model) matchWord(part uint32, d *modelDoc, w *word, near map[uint32]int, langs []string) wordMatch {
	best := wordMatch{typos: 9, field: nFields}
	found := func(typos int, f Field, exact bool) {
		best.ok = true
		best.typos = min(best.typos, typos)
		best.field = min(best.field, f)
		best.exact = best.exact || exact && typos == 0
	}
	for _, l := range langs {
		ts := w.stems[l]
		nf, df := FieldOtherName, FieldOtherDescription
		if l == m.ui {
			nf, df = FieldName, FieldDescription
		}
		if subset(ts, d.names[l]) {
			found(0, nf, false)
		}
		if subset(ts, d.descs[l]) {
			found(0, df, false)
		}
	}
	if subset(w.fold, d.fold) {
		found(0, FieldOtherName, true)
	}
	if subset(w.fold, d.brand) {
		found(0, FieldBrand, true)
	}
	if subset(w.cat, d.cat) {
		found(0, FieldBrand, false)
	}
	if dist, ok := near[part]; ok {
		found(dist, FieldOtherName, false)
	}
	return best
}

// search answers q naively, once for each candidate set (nil: every part): the same
// contract as Index.Search, document by document.
func (m *model) search(ix *Index, q Query, candSets ...*roaring.Bitmap) []map[uint32]Rank {
	_, m.ui = m.an.analyzerFor(q.Lang)
	if q.Lang == "" {
		m.ui = "en"
	}
	words := ix.parse(q.Text) // query parsing is shared; matching and ranking are not
	var req []*word
	var near []map[uint32]int
	for i := range words {
		if !words[i].stop {
			req = append(req, &words[i])
			near = append(near, m.nearParts(&words[i]))
		}
	}
	keys := numberKeys(q.Text)
	type cand struct {
		part    uint32
		tier    int
		matches []wordMatch
		count   int
	}
	var all []cand
	for _, part := range m.text { // the others match nothing
		d := &m.docs[part]
		c := cand{part: part, tier: TierText}
		for _, k := range keys {
			if d.pn[k] {
				c.tier = min(c.tier, TierPartNumber)
			}
			if d.oem[k] {
				c.tier = min(c.tier, TierOEM)
			}
			if e, ok := normalizeEAN(k); ok && d.ean[e] {
				c.tier = min(c.tier, TierEAN)
			}
		}
		if c.tier == TierText {
			for i, w := range req {
				wm := m.matchWord(part, d, w, near[i], ix.langs)
				c.matches = append(c.matches, wm)
				if wm.ok {
					c.count++
				}
			}
		}
		if c.tier < TierText || c.count > 0 {
			all = append(all, c)
		}
	}
	var outs []map[uint32]Rank
	for _, cands := range candSets {
		out := map[uint32]Rank{}
		bestCount := 0
		for _, c := range all {
			if cands != nil && !cands.Contains(c.part) {
				continue
			}
			if c.tier < TierText {
				out[c.part] = TierRank(c.tier)
			}
			bestCount = max(bestCount, c.count)
		}
		need := len(req)
		if bestCount < need && len(out) == 0 && len(req) > 1 {
			need = bestCount // the fallback: the parts holding the most words
		}
		for _, c := range all {
			if c.tier < TierText || c.count < need || need == 0 || cands != nil && !cands.Contains(c.part) {
				continue
			}
			typos, field, inexact := 0, FieldName, 0
			for _, wm := range c.matches {
				if !wm.ok {
					inexact++
					continue
				}
				typos += wm.typos
				field = max(field, wm.field)
				if !wm.exact {
					inexact++
				}
			}
			out[c.part] = textRank(typos, field, inexact)
		}
		outs = append(outs, out)
	}
	return outs
}

// refQueries draws queries from the catalog: words of names and descriptions in every
// language, typos, prefixes, stop words, part/OEM/EAN numbers in several spellings.
func refQueries(rng *rand.Rand, docs []Doc, n int) []Query {
	var withText []int
	for p, d := range docs {
		if len(d.Names) > 0 {
			withText = append(withText, p)
		}
	}
	typo := func(w string) string {
		r := []rune(strings.ToLower(w))
		if len(r) < 3 {
			return w
		}
		i := 1 + rng.IntN(len(r)-2)
		switch rng.IntN(3) {
		case 0:
			r[i], r[i+1] = r[i+1], r[i]
		case 1:
			r = append(r[:i], r[i+1:]...)
		default:
			r[i] = 'x'
		}
		return string(r)
	}
	langs := []string{"en", "de", "fr", "sv", "it", ""}
	var qs []Query
	for len(qs) < n {
		d := docs[withText[rng.IntN(len(withText))]]
		q := Query{Lang: langs[rng.IntN(len(langs))]}
		switch rng.IntN(10) {
		case 0:
			seps := []string{"-", " ", ".", "", "/"}
			q.Text = strings.ReplaceAll(d.Number, "-", seps[rng.IntN(len(seps))])
		case 1:
			if len(d.OEM) > 0 {
				q.Text = strings.ReplaceAll(d.OEM[0], "-", " ")
			} else if len(d.EAN) > 0 {
				q.Text = strings.TrimLeft(d.EAN[0], "0")
			} else {
				q.Text = strings.ToLower(d.Number)
			}
		default:
			var ws []string
			for range 1 + rng.IntN(3) {
				var pool []string
				for _, t := range append(slices.Clone(d.Names), d.Descriptions...) {
					pool = append(pool, strings.Fields(plainText(t.Text))...)
				}
				pool = append(pool, d.Brand)
				w := pool[rng.IntN(len(pool))]
				switch rng.IntN(6) {
				case 0:
					w = typo(w)
				case 1:
					if r := []rune(w); len(r) > 5 {
						w = string(r[:len(r)-1-rng.IntN(2)])
					}
				case 2:
					// a word of another part, so some queries hold words no part has together
					other := docs[withText[rng.IntN(len(withText))]]
					w = strings.Fields(other.Names[0].Text)[0]
				}
				ws = append(ws, w)
			}
			q.Text = strings.Join(ws, " ")
		}
		qs = append(qs, q)
	}
	return qs
}

func rankMap(r *Result) map[uint32]Rank {
	out := map[uint32]Rank{}
	for _, b := range r.Buckets {
		for it := b.Parts.Iterator(); it.HasNext(); {
			out[it.Next()] = b.Rank
		}
	}
	return out
}

// TestSearchMatchesReferenceModel checks every match and every rank of random queries
// against the naive model, over the whole catalog, a vehicle-sized candidate set and a
// tenant-sized one, and pages through each result with cursors.
func TestSearchMatchesReferenceModel(t *testing.T) {
	r := refIndex(t)
	m := newModel(t, r.docs)
	rng := rand.New(rand.NewPCG(r.seed, 11))
	queries := refQueries(rng, r.docs, 150)
	sparse := roaring.New()
	for sparse.GetCardinality() < 400 {
		sparse.Add(uint32(rng.IntN(refParts)))
	}
	sparse.Add(65535)
	sparse.Add(65536)
	dense := roaring.New()
	for p := range refParts {
		if rng.IntN(10) < 6 {
			dense.Add(uint32(p))
		}
	}
	nonEmpty := 0
	for _, q := range queries {
		sets := []*roaring.Bitmap{nil, sparse, dense}
		wants := m.search(r.ix, q, sets...)
		for si, cands := range sets {
			q.Candidates = cands
			got := r.ix.Search(q)
			want := wants[si]
			gotRanks := rankMap(got)
			if len(want) > 0 {
				nonEmpty++
			}
			if uint64(len(gotRanks)) != got.Matches.GetCardinality() {
				t.Fatalf("Search(%q): buckets hold %d parts, Matches %d", q.Text, len(gotRanks), got.Matches.GetCardinality())
			}
			n := 0
			for p, wr := range want {
				if gr, ok := gotRanks[p]; !ok || gr != wr {
					if n++; n <= 5 {
						t.Errorf("Search(%q, lang %q, %d candidates): part %d %+v: got %v (found %v), want %v",
							q.Text, q.Lang, card(cands), p, r.docs[p], gr, ok, wr)
					}
				}
			}
			for p, gr := range gotRanks {
				if _, ok := want[p]; !ok {
					if n++; n <= 5 {
						t.Errorf("Search(%q, lang %q, %d candidates): part %d %+v: got %v, want no match", q.Text, q.Lang, card(cands), p, r.docs[p], gr)
					}
				}
				if cands != nil && !cands.Contains(p) {
					t.Fatalf("Search(%q): part %d is not a candidate", q.Text, p)
				}
			}
			if n > 0 {
				t.FailNow()
			}
			checkPages(t, q.Text, got, want)
		}
	}
	if nonEmpty < len(queries) {
		t.Errorf("only %d of %d searches found anything: the queries do not exercise the index", nonEmpty, 3*len(queries))
	}
}

func card(b *roaring.Bitmap) int {
	if b == nil {
		return -1
	}
	return int(b.GetCardinality())
}

// checkPages walks the result by cursor in pages of 7 and compares with the model's
// order: by rank, then part id.
func checkPages(t *testing.T, q string, got *Result, want map[uint32]Rank) {
	t.Helper()
	order := make([]Hit, 0, len(want))
	for p, r := range want {
		order = append(order, Hit{Part: p, Rank: r})
	}
	slices.SortFunc(order, func(a, b Hit) int { return cmp.Or(cmp.Compare(a.Rank, b.Rank), cmp.Compare(a.Part, b.Part)) })
	var walked []Hit
	var cur *Cursor
	for {
		page := got.Page(cur, 7)
		walked = append(walked, page...)
		if len(page) < 7 {
			break
		}
		last := page[len(page)-1]
		cur = &Cursor{Rank: last.Rank, Part: last.Part}
	}
	if !slices.Equal(walked, order) {
		t.Fatalf("Search(%q): pages give %d hits %v…, want %d %v…", q, len(walked), walked[:min(5, len(walked))], len(order), order[:min(5, len(order))])
	}
}
