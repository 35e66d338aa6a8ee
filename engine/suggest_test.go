package engine_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/ingest"
	"github.com/fitment/fitment/snapshot"
)

// Suggest is checked against plain loops over the catalog's tables: for each list, every
// entry is one the tenant sees and the query completes (at the start of the phrase or of
// one of its words), none twice, as many as the limit allows, heaviest first, and none
// left out heavier than one given. Part numbers complete in number order.
func TestSuggestMatchesReference(t *testing.T) {
	seed := testSeed(t, "TestSuggestMatchesReference")
	rounds := 30
	if testing.Short() {
		rounds = 8
	}
	for round := 0; round < rounds; round++ {
		r := rand.New(rand.NewPCG(seed, uint64(round)))
		c := randomCatalog(r)
		dir := t.TempDir()
		c.write(t, r, dir)
		cat, _, err := ingest.Build(dir, ingest.Options{})
		if err != nil {
			t.Fatalf("round %d: build: %v", round, err)
		}
		m := newModel(c)
		e := engine.New()
		e.Load(cat, "v1")
		for i := 0; i < 3; i++ {
			rt := randomTenant(r, c)
			id := fmt.Sprintf("t%d", i)
			e.Restore(id, rt.state(m))
			v, err := e.View(id)
			if err != nil {
				t.Fatal(err)
			}
			ref := newSuggestRef(cat, m, rt)
			for _, q := range suggestQueries(r, cat, 40) {
				for _, lang := range []string{"", "de", "xx"} {
					checkSuggest(t, fmt.Sprintf("round %d (seed %d) tenant %d q=%q lang=%q", round, seed, i, q, lang), v, ref, q, lang, 1+r.IntN(6))
				}
			}
		}
	}
}

// suggestRef is what a tenant sees of the catalog, by plain loops.
type suggestRef struct {
	cat                    *snapshot.Catalog
	part, cat2, brand      []bool // visible part; category with a visible part in or below it; brand with a visible part
	model, mk              []bool // model, make with a visible vehicle
	catWeight, brandWeight []int
	modelWeight, mkWeight  []int
	folded                 map[string]string // foldRef, memoised
}

func newSuggestRef(cat *snapshot.Catalog, m *model, rt *refTenant) *suggestRef {
	s := &suggestRef{cat: cat, part: make([]bool, len(cat.Parts)), cat2: make([]bool, len(cat.Categories)), brand: make([]bool, len(cat.Brands)),
		model: make([]bool, len(cat.Models)), mk: make([]bool, len(cat.Makes)), catWeight: make([]int, len(cat.Categories)),
		brandWeight: make([]int, len(cat.Brands)), modelWeight: make([]int, len(cat.Models)), mkWeight: make([]int, len(cat.Makes)),
		folded: map[string]string{}}
	for i := range cat.Parts {
		p := &cat.Parts[i]
		s.part[i] = m.visiblePart(rt, m.part(p.Number))
		s.brandWeight[p.Brand]++
		if s.part[i] {
			s.brand[p.Brand] = true
		}
		for c := p.Category; c != snapshot.None; c = cat.Categories[c].Parent {
			s.catWeight[c]++
			if s.part[i] {
				s.cat2[c] = true
			}
		}
	}
	modelOf := map[string]int{}
	for i, md := range cat.Models {
		modelOf[md.ID] = i
	}
	for _, v := range cat.Vehicles {
		s.modelWeight[v.Model]++
		s.mkWeight[cat.Models[v.Model].Make]++
	}
	for i := range s.mkWeight {
		s.mkWeight[i]++
	}
	for _, v := range m.visibleVehicles(rt, engine.Filter{}) {
		md := modelOf[v.modelID]
		s.model[md] = true
		s.mk[cat.Models[md].Make] = true
	}
	return s
}

// foldRef is the folding the engine documents, written out slowly.
func foldRef(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case strings.ContainsRune("äàáâãå", r):
			r = 'a'
		case strings.ContainsRune("öòóôõ", r):
			r = 'o'
		case strings.ContainsRune("üùúû", r):
			r = 'u'
		case strings.ContainsRune("éèêë", r):
			r = 'e'
		case r == 'ß':
			b.WriteString("ss")
			continue
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
		case r > 127 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			// other letters are kept as they are
		default:
			r = ' '
		}
		b.WriteRune(r)
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// weightFor is the weight an entry has for a prefix: its own when the prefix begins the
// phrase, half of it when it only begins a later word, -1 when it begins neither.
func (s *suggestRef) weightFor(phrase, prefix string, w int) int {
	f, ok := s.folded[phrase]
	if !ok {
		f = foldRef(phrase)
		s.folded[phrase] = f
	}
	if strings.HasPrefix(f, prefix) {
		return w
	}
	for i := 0; i < len(f); i++ {
		if f[i] == ' ' && strings.HasPrefix(f[i+1:], prefix) {
			return w / 2
		}
	}
	return -1
}

// keysFor is how many of a phrase's keys (its start, each later word) prefix begins.
func (s *suggestRef) keysFor(phrase, prefix string) int {
	f, ok := s.folded[phrase]
	if !ok {
		f = foldRef(phrase)
		s.folded[phrase] = f
	}
	n := 0
	if strings.HasPrefix(f, prefix) {
		n++
	}
	for i := 0; i < len(f); i++ {
		if f[i] == ' ' && strings.HasPrefix(f[i+1:], prefix) {
			n++
		}
	}
	return n
}

// checkTop checks one list: got (entry names, in order) against the weights of every
// entry the prefix completes and the tenant sees.
func checkTop(t *testing.T, label, list string, got []string, ref map[string]int, limit int) {
	t.Helper()
	checkTopKeys(t, label, list, got, ref, limit, 0)
}

// checkTopKeys is checkTop for a list whose prefix completes keys keys in all (visible or
// not): past engine.MaxSuggestLooks of them, the engine may stop before the limit, so only
// what it gave is checked (each valid, once, heaviest first).
func checkTopKeys(t *testing.T, label, list string, got []string, ref map[string]int, limit, keys int) {
	t.Helper()
	seen := map[string]bool{}
	for i, g := range got {
		w, ok := ref[g]
		switch {
		case !ok:
			t.Fatalf("%s: %s: %q is not one the prefix completes for this tenant (want from %v)", label, list, g, ref)
		case seen[g]:
			t.Fatalf("%s: %s: %q twice", label, list, g)
		case i > 0 && w > ref[got[i-1]]:
			t.Fatalf("%s: %s: %q (weight %d) after %q (weight %d)", label, list, g, w, got[i-1], ref[got[i-1]])
		}
		seen[g] = true
	}
	if keys > engine.MaxSuggestLooks {
		if len(got) > limit {
			t.Fatalf("%s: %s: %d entries, limit %d", label, list, len(got), limit)
		}
		return
	}
	if want := min(limit, len(ref)); len(got) != want {
		t.Fatalf("%s: %s: got %d entries %v, want %d of %v", label, list, len(got), got, want, ref)
	}
	if len(got) > 0 {
		least := ref[got[len(got)-1]]
		for name, w := range ref {
			if !seen[name] && w > least {
				t.Fatalf("%s: %s: %q (weight %d) left out, but %q (weight %d) given", label, list, name, w, got[len(got)-1], least)
			}
		}
	}
}

func checkSuggest(t *testing.T, label string, v *engine.View, s *suggestRef, q, lang string, limit int) {
	t.Helper()
	got := v.Suggest(q, lang, limit)
	prefix := foldRef(q)
	if prefix == "" {
		if len(got.Queries)+len(got.Categories)+len(got.Brands)+len(got.Vehicles)+len(got.Parts) > 0 {
			t.Fatalf("%s: an empty query suggested %+v", label, got)
		}
		return
	}
	cat := s.cat
	hasLang := false
	for _, p := range cat.Parts {
		if _, ok := p.Names.Get(lang); ok && lang != "" {
			hasLang = true
		}
	}
	// Part names: a phrase per distinct name, weighted by the parts carrying it.
	names := map[string][]int{}
	for i := range cat.Parts {
		p := &cat.Parts[i]
		name := p.Name
		if n, ok := p.Names.Get(lang); ok && n != "" && hasLang {
			name = n
		}
		names[name] = append(names[name], i)
	}
	ref := map[string]int{}
	keys := 0
	for name, parts := range names {
		vis := false
		for _, p := range parts {
			vis = vis || s.part[p]
		}
		keys += s.keysFor(name, prefix)
		if w := s.weightFor(name, prefix, len(parts)); vis && w >= 0 {
			ref[name] = w
		}
	}
	var list []string
	for _, x := range got.Queries {
		list = append(list, x.Text)
	}
	checkTopKeys(t, label, "queries", list, ref, limit, keys)

	ref, list = map[string]int{}, nil
	for i, c := range cat.Categories {
		if w := s.weightFor(c.Name, prefix, s.catWeight[i]); s.cat2[i] && w >= 0 {
			ref[c.ID] = w
		}
	}
	for _, x := range got.Categories {
		list = append(list, x.ID)
	}
	checkTop(t, label, "categories", list, ref, limit)

	ref, list = map[string]int{}, nil
	for i, b := range cat.Brands {
		if w := s.weightFor(b, prefix, s.brandWeight[i]); s.brand[i] && w >= 0 {
			ref[b] = w
		}
	}
	for _, x := range got.Brands {
		list = append(list, x.Name)
	}
	checkTop(t, label, "brands", list, ref, limit)

	ref, list = map[string]int{}, nil
	for i, md := range cat.Models {
		if w := s.weightFor(cat.Makes[md.Make].Name+" "+md.Name, prefix, s.modelWeight[i]); s.model[i] && w >= 0 {
			ref["model "+md.ID] = w
		}
	}
	for i, mk := range cat.Makes {
		if w := s.weightFor(mk.Name, prefix, s.mkWeight[i]); s.mk[i] && w >= 0 {
			ref["make "+mk.ID] = w
		}
	}
	for _, x := range got.Vehicles {
		if x.Kind == "model" {
			list = append(list, "model "+*x.ModelID)
		} else {
			list = append(list, "make "+x.MakeID)
		}
	}
	checkTop(t, label, "vehicles", list, ref, limit)

	// Numbers: the visible parts whose number, separators dropped, the query begins (only
	// when it has a digit), in that order.
	num := strings.ReplaceAll(prefix, " ", "")
	var want []string
	completed := 0 // numbers the prefix begins, visible or not
	if strings.ContainsAny(num, "0123456789") {
		var keys []string
		byKey := map[string][]string{}
		for i, p := range cat.Parts {
			if _, ok := s.folded[p.Number]; !ok {
				s.folded[p.Number] = foldRef(p.Number)
			}
			k := strings.ReplaceAll(s.folded[p.Number], " ", "")
			if strings.HasPrefix(k, num) {
				completed++
			}
			if s.part[i] && strings.HasPrefix(k, num) {
				if byKey[k] == nil {
					keys = append(keys, k)
				}
				byKey[k] = append(byKey[k], p.Number)
			}
		}
		sortStrings(keys)
		for _, k := range keys {
			want = append(want, byKey[k]...)
		}
		want = want[:min(limit, len(want))]
	}
	list = nil
	for _, x := range got.Parts {
		list = append(list, x.PartNumber)
	}
	if completed > engine.MaxSuggestLooks && len(list) < len(want) {
		want = want[:len(list)] // the engine stopped looking: what it gave must be the first
	}
	if strings.Join(list, "|") != strings.Join(want, "|") {
		t.Fatalf("%s: parts: got %v, want %v", label, list, want)
	}
}

// suggestQueries draws prefixes of the catalog's phrases (at their start and at later
// words, in varied case and spacing), of part numbers with and without separators, and a
// few that complete nothing.
func suggestQueries(r *rand.Rand, cat *snapshot.Catalog, n int) []string {
	var names, numbers, cats, vehicles []string // by kind, so that each is drawn as often
	for _, p := range cat.Parts {
		names = append(names, p.Name)
		numbers = append(numbers, p.Number)
		for _, tr := range p.Names {
			names = append(names, tr.Text)
		}
	}
	for _, c := range cat.Categories {
		cats = append(cats, c.Name)
	}
	for _, md := range cat.Models {
		vehicles = append(vehicles, cat.Makes[md.Make].Name+" "+md.Name)
	}
	kinds := [][]string{names, numbers, cats, cat.Brands, vehicles}
	out := []string{"", " ", "-", "zzzz", "ü"}
	for len(out) < n {
		phrases := kinds[r.IntN(len(kinds))]
		if len(phrases) == 0 {
			continue
		}
		p := phrases[r.IntN(len(phrases))]
		words := strings.Fields(p)
		if len(words) == 0 {
			continue
		}
		p = strings.Join(words[r.IntN(len(words)):], " ")
		q := p[:1+r.IntN(len(p))]
		switch r.IntN(4) {
		case 0:
			q = strings.ToUpper(q)
		case 1:
			q = strings.ReplaceAll(q, "-", " ")
		case 2:
			q = strings.ReplaceAll(q, "-", "")
		}
		out = append(out, q)
	}
	return out
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// A tenant's own parts complete by number (separators dropped) and by any word of their
// name in the request language, for that tenant only; catalog numbers complete for tenants
// that see the part.
func TestSuggestOwnParts(t *testing.T) {
	e := engine.New()
	e.Load(extCatalog(t), "v1")
	mustUpdate(t, e, "t", engine.Change{Subscribe: []string{"EBC"}})
	mustUpdate(t, e, "t", engine.Change{PutParts: []engine.TenantPart{
		{PartNumber: "OWN-55716-013", Brand: "Own", Name: "Brake pads special", Names: snapshot.Translations{{Lang: "de", Text: "Bremsbeläge Spezial"}}, Universal: true},
		{PartNumber: "OWN-2", Brand: "Own", Name: "Skid plate", Universal: true},
	}})
	mustUpdate(t, e, "u", engine.Change{Subscribe: []string{"K&N"}})
	parts := func(id, q, lang string) string {
		v, err := e.View(id)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range v.Suggest(q, lang, 10).Parts {
			out = append(out, p.PartNumber+" "+p.Name)
		}
		return strings.Join(out, ", ")
	}
	for _, tc := range []struct{ id, q, lang, want string }{
		{"t", "own 55716 0", "", "OWN-55716-013 Brake pads special"},
		{"t", "own55716013", "", "OWN-55716-013 Brake pads special"},
		{"t", "SPEZ", "de", "OWN-55716-013 Bremsbeläge Spezial"},
		{"t", "bremsbela", "de", "OWN-55716-013 Bremsbeläge Spezial"},
		{"t", "spez", "", ""}, // the English name has no such word
		{"t", "plate", "", "OWN-2 Skid plate"},
		{"t", "ebc-", "", ""}, // a catalog number completes once a digit is typed
		{"t", "ebc 2", "", "EBC-2 Brake disc"},
		{"t", "kn-1", "", ""}, // K&N is not t's
		{"u", "own", "", ""},
		{"u", "plate", "", ""},
		{"u", "kn1", "", "KN-1 Air filter"},
	} {
		if got := parts(tc.id, tc.q, tc.lang); got != tc.want {
			t.Errorf("tenant %s Suggest(%q, %q) parts: got %q, want %q", tc.id, tc.q, tc.lang, got, tc.want)
		}
	}
}

// The folding suggestions match by: case, accents, punctuation.
func TestSuggestFolding(t *testing.T) {
	e := engine.New()
	e.Load(extCatalog(t), "v1")
	mustUpdate(t, e, "t", engine.Change{Subscribe: []string{"EBC", "K&N"}})
	v, _ := e.View("t")
	for q, want := range map[string]string{"k&n": "K&N", "K N": "K&N", "kn": "", "ÉBC": "EBC"} {
		var got []string
		for _, b := range v.Suggest(q, "", 5).Brands {
			got = append(got, b.Name)
		}
		if strings.Join(got, ",") != want {
			t.Errorf("Suggest(%q) brands: got %v, want %q", q, got, want)
		}
	}
	s := v.Suggest("yfz", "", 5)
	if len(s.Vehicles) != 1 || s.Vehicles[0].Kind != "model" || *s.Vehicles[0].Model != "YFZ450R" || s.Vehicles[0].Make != "Yamaha" {
		t.Errorf("Suggest(yfz) vehicles: %+v", s.Vehicles)
	}
	s = v.Suggest("ya", "", 5)
	if len(s.Vehicles) != 2 || s.Vehicles[0].Kind != "make" || s.Vehicles[1].Kind != "model" {
		t.Errorf("Suggest(ya) vehicles: want the make Yamaha, then its model: %+v", s.Vehicles)
	}
	if c := v.Suggest("filt", "", 5).Categories; len(c) != 1 || c[0].Path != "Engine > Filters" {
		t.Errorf("Suggest(filt) categories: %+v", c)
	}
}
