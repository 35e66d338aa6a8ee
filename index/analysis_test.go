package index

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/fitment/fitment/snapshot"
)

func TestNormalizeNumber(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"55716-013", "55716013"},
		{"55716 013", "55716013"},
		{"55716.013", "55716013"},
		{"55716/013", "55716013"},
		{" 55716_013 ", "55716013"},
		{"KN-YA-4504", "knya4504"},
		{"BMW 11 42 7673541", "bmw11427673541"},
		{"Ø-12", "ø12"},
		{"", ""},
	} {
		if got := NormalizeNumber(tc.in); got != tc.want {
			t.Errorf("NormalizeNumber(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"4006381333931", "4006381333931", true},
		{"04006381333931", "4006381333931", true}, // GTIN-14
		{"0012345678905", "12345678905", true},    // EAN-13 of a UPC
		{"012345678905", "12345678905", true},     // the UPC
		{"400-638-133-393-1", "4006381333931", true},
		{"1234567", "", false},
		{"40063813339X1", "", false},
		{"00000000", "", false},
	} {
		if got, ok := normalizeEAN(tc.in); got != tc.want || ok != tc.ok {
			t.Errorf("normalizeEAN(%q): got %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestPlainText(t *testing.T) {
	got := plainText("<p><strong>Bremsbeläge</strong></p><ul><li>Direkter&nbsp;Ersatz</li><li>R&amp;D</li></ul>")
	an, err := newAnalyzers()
	if err != nil {
		t.Fatal(err)
	}
	if ts := terms(an.fold, got); !slices.Equal(ts, []string{"bremsbelage", "direkter", "ersatz", "r", "d"}) {
		t.Errorf("plainText: got %q, terms %q", got, ts)
	}
}

// handIndex builds a small index of docs in a temporary directory.
func handIndex(t *testing.T, docs []Doc, opts Options) *Index {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "idx")
	if _, err := Build(dir, len(docs), func(p uint32, d *Doc) error { *d = docs[p]; return nil }, opts); err != nil {
		t.Fatalf("Build: %v", err)
	}
	ix, err := Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

func names(lang string, texts ...string) []snapshot.Translation {
	var out []snapshot.Translation
	for _, t := range texts {
		out = append(out, snapshot.Translation{Lang: lang, Text: t})
	}
	return out
}

func parts(r *Result) []uint32 {
	var out []uint32
	for _, h := range r.Page(nil, 1000) {
		out = append(out, h.Part)
	}
	return out
}

// TestLanguages checks that each language's inflections meet its part names: the
// stemmers and normalisers of bleve's analyzers, per field.
func TestLanguages(t *testing.T) {
	cases := []struct {
		lang, name string
		queries    []string
	}{
		{"en", "Sintered brake pads", []string{"brake pad", "pads", "Brake Pads", "sintered"}},
		{"de", "Sinter-Bremsbeläge", []string{"bremsbelaege", "Bremsbeläge", "bremsbelag", "BREMSBELÄGE", "Bremsbelägen"}},
		{"de", "Ölfilter", []string{"ölfilter", "oelfilter", "olfilter"}},
		{"fr", "Plaquettes de frein frittées", []string{"plaquette frein", "plaquettes de frein", "frittée"}},
		{"fr", "Bougie d'allumage", []string{"allumage", "bougies"}},
		{"sv", "Sintrade bromsbelägg", []string{"bromsbelägg", "bromsbeläggen", "bromsbeläggs", "sintrade"}},
		{"fi", "Sintratut jarrupalat", []string{"jarrupalat", "jarrupala", "jarrupalan"}},
		{"nl", "Gesinterde remblokken", []string{"remblok", "remblokken"}},
		{"it", "Pastiglie freno sinterizzate", []string{"pastiglia", "pastiglie freno", "Pastiglie"}},
		{"es", "Pastillas de freno sinterizadas", []string{"pastilla", "pastillas de freno", "frenos"}},
		{"da", "Bremseklodser", []string{"bremseklods", "bremseklodserne"}},
		{"no", "Bremseklosser", []string{"bremsekloss", "bremseklossene"}},
		{"pt", "Pastilhas de travão", []string{"pastilha", "travões"}},
		{"pl", "Klocki hamulcowe", []string{"klocki", "hamulcowe"}}, // no analyzer: words as given
	}
	var docs []Doc
	for _, c := range cases {
		docs = append(docs, Doc{Number: "P" + c.lang, Names: names(c.lang, c.name)})
	}
	ix := handIndex(t, docs, Options{})
	for i, c := range cases {
		for _, q := range c.queries {
			r := ix.Search(Query{Text: q, Lang: c.lang})
			if !slices.Contains(parts(r), uint32(i)) {
				t.Errorf("Search(%q, lang %s): got %v, want part %d (%q)", q, c.lang, parts(r), i, c.name)
				continue
			}
			if rk, _ := r.RankOf(uint32(i)); rk.Typos() != 0 {
				t.Errorf("Search(%q, lang %s): %q found with %d typos, want by its stem", q, c.lang, c.name, rk.Typos())
			}
		}
	}
}

func TestNumbers(t *testing.T) {
	docs := []Doc{
		{Number: "55716-013", Names: names("en", "Brake pads")},
		{Number: "KN-204", OEM: []string{"15410-MFJ-D01"}, EAN: []string{"0012345678905"}, Names: names("en", "Oil filter")},
		{Number: "55716013X", Names: names("en", "Brake pads 55716")},
		{Number: "HF204", EAN: []string{"4006381333931"}, Names: names("en", "Oil filter KN 204")},
	}
	ix := handIndex(t, docs, Options{})
	for _, tc := range []struct {
		q    string
		want []uint32
		rank Rank
	}{
		{"55716-013", []uint32{0}, TierRank(TierPartNumber)},
		{"55716013", []uint32{0}, TierRank(TierPartNumber)},
		{"55716 013", []uint32{0}, TierRank(TierPartNumber)},
		{"55716.013", []uint32{0}, TierRank(TierPartNumber)},
		{"kn204", []uint32{1}, TierRank(TierPartNumber)},
		{"KN 204", []uint32{1, 3}, TierRank(TierPartNumber)}, // then the name "KN 204"
		{"oil filter KN-204", []uint32{1, 3}, TierRank(TierPartNumber)},
		{"15410MFJD01", []uint32{1}, TierRank(TierOEM)},
		{"15410 MFJ D01", []uint32{1}, TierRank(TierOEM)},
		{"012345678905", []uint32{1}, TierRank(TierEAN)},
		{"12345678905", []uint32{1}, TierRank(TierEAN)},
		{"0012345678905", []uint32{1}, TierRank(TierEAN)},
		{"4006381333931", []uint32{3}, TierRank(TierEAN)},
		{"04006381333931", []uint32{3}, TierRank(TierEAN)},
	} {
		r := ix.Search(Query{Text: tc.q})
		got := parts(r)
		if !slices.Equal(got, tc.want) {
			t.Errorf("Search(%q): got %v, want %v", tc.q, got, tc.want)
			continue
		}
		if rk, _ := r.RankOf(tc.want[0]); rk != tc.rank {
			t.Errorf("Search(%q): part %d ranked %v, want %v", tc.q, tc.want[0], rk, tc.rank)
		}
	}
}

func TestTypos(t *testing.T) {
	docs := []Doc{
		{Number: "A", Names: names("en", "Brake lever")},
		{Number: "B", Names: names("de", "Bremsbeläge")},
		{Number: "C", Names: names("en", "Chain")},
		{Number: "D", Names: names("en", "Handlebar")},
	}
	ix := handIndex(t, docs, Options{})
	for _, tc := range []struct {
		q     string
		want  []uint32
		typos int
	}{
		{"levre", []uint32{0}, 1},         // transposition
		{"brakke", []uint32{0}, 1},        // insertion
		{"brakes", []uint32{0}, 0},        // the English stem, not a typo
		{"bremsbelge", []uint32{1}, 1},    // deletion, ten letters
		{"bremsbeloge", []uint32{1}, 1},   // substitution (folded "bremsbelage")
		{"brmsbelge", []uint32{1}, 2},     // two edits: nine letters
		{"handlbr", nil, 0},               // two edits in seven letters: too many
		{"chian", []uint32{2}, 1},         // five letters: one typo
		{"chn", nil, 0},                   // three letters: none
		{"bramsbelxge", []uint32{1}, 2},   // two substitutions
		{"brxmsbxlxge", nil, 0},           // three: too many
		{"lever brakke", []uint32{0}, 1},  // one word exact, one with a typo
		{"chaim", []uint32{2}, 1},         // substitution in a short word
		{"handleb", []uint32{3}, 0},       // the last word as a prefix
		{"handleb lever", []uint32{0}, 0}, // a prefix only in the last word: no part holds both, so those with the most
		{"levers brake", []uint32{0}, 0},  // the English stem of "levers"
		{"Bremsbeläge", []uint32{1}, 0},   // exact
		{"bremsbelaege", []uint32{1}, 0},  // German normalisation, not a typo
		{"handlebar9", nil, 0},            // words with digits get no typo
	} {
		r := ix.Search(Query{Text: tc.q})
		got := parts(r)
		if !slices.Equal(got, tc.want) {
			t.Errorf("Search(%q): got %v, want %v", tc.q, got, tc.want)
			continue
		}
		if len(got) > 0 {
			if rk, _ := r.RankOf(got[0]); rk.Typos() != tc.typos {
				t.Errorf("Search(%q): %v, want %d typos", tc.q, rk, tc.typos)
			}
		}
	}
}
