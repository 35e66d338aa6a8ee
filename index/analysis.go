package index

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	"github.com/blevesearch/bleve/v2/analysis/lang/da"
	"github.com/blevesearch/bleve/v2/analysis/lang/de"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/lang/es"
	"github.com/blevesearch/bleve/v2/analysis/lang/fi"
	"github.com/blevesearch/bleve/v2/analysis/lang/fr"
	"github.com/blevesearch/bleve/v2/analysis/lang/it"
	"github.com/blevesearch/bleve/v2/analysis/lang/nl"
	"github.com/blevesearch/bleve/v2/analysis/lang/no"
	"github.com/blevesearch/bleve/v2/analysis/lang/pt"
	"github.com/blevesearch/bleve/v2/analysis/lang/sv"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	unicodetok "github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/registry"
)

// Languages lists the languages with their own analyzer (bleve's: Unicode words, lower
// case, the language's stop words, elision and normalisation where it has them, a
// stemmer). Text in any other language is indexed under Other with a generic analyzer.
var Languages = []string{da.AnalyzerName, de.AnalyzerName, en.AnalyzerName, es.AnalyzerName,
	fi.AnalyzerName, fr.AnalyzerName, it.AnalyzerName, nl.AnalyzerName, no.AnalyzerName,
	pt.AnalyzerName, sv.AnalyzerName}

// Other is the field suffix of texts in languages without an analyzer of their own.
const Other = "xx"

// Field names. A part's names and descriptions go to one field per language ("n.de",
// "d.de"), analysed by that language's analyzer; all its names also go, unstemmed and
// folded to ASCII, to fieldNames, the field typos and prefixes are matched on.
const (
	fieldNames    = "n"   // every name, every language: folded words
	fieldBrand    = "b"   // brand name: folded words
	fieldCategory = "c"   // category path: English analyzer
	fieldNumber   = "pn"  // part number, normalised (NormalizeNumber), one term
	fieldOEM      = "oem" // OEM numbers, normalised
	fieldEAN      = "ean" // EANs: digits without leading zeros
)

func nameField(lang string) string { return "n." + lang }
func descField(lang string) string { return "d." + lang }

// analyzers holds the analyzers of one index. bleve's analyzers are safe for concurrent
// use; the memoising wrappers the builder puts around them are not (one per shard).
type analyzers struct {
	lang  map[string]analysis.Analyzer // by language code, Other included
	fold  analysis.Analyzer            // fieldNames, fieldBrand
	words analysis.Analyzer            // query words: Unicode segmentation only
}

func newAnalyzers() (*analyzers, error) {
	c := registry.NewCache()
	a := &analyzers{lang: map[string]analysis.Analyzer{}}
	for _, l := range Languages {
		an, err := c.AnalyzerNamed(l)
		if err != nil {
			return nil, err
		}
		a.lang[l] = an
	}
	var err error
	// Other languages: words, folded and lower-cased, no stop words, no stemming.
	if a.fold, err = c.DefineAnalyzer("fitment_fold", map[string]interface{}{
		"type":          custom.Name,
		"char_filters":  []string{asciifolding.Name},
		"tokenizer":     unicodetok.Name,
		"token_filters": []string{lowercase.Name},
	}); err != nil {
		return nil, err
	}
	a.lang[Other] = a.fold
	if a.words, err = c.DefineAnalyzer("fitment_words", map[string]interface{}{
		"type":      custom.Name,
		"tokenizer": unicodetok.Name,
	}); err != nil {
		return nil, err
	}
	return a, nil
}

// analyzerFor returns the language's analyzer and the field suffix it indexes under.
func (a *analyzers) analyzerFor(lang string) (analysis.Analyzer, string) {
	lang = strings.ToLower(strings.TrimSpace(lang))
	if an, ok := a.lang[lang]; ok {
		return an, lang
	}
	return a.lang[Other], Other
}

// terms analyses s and returns its terms in order.
func terms(an analysis.Analyzer, s string) []string {
	ts := an.Analyze([]byte(s))
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = string(t.Term)
	}
	return out
}

// memo caches the token streams of the words one builder analyses. analysis.TokenFrequency
// only reads the tokens, so one stream serves every document that has the word.
type memo struct {
	an analysis.Analyzer
	m  map[string]analysis.TokenStream
}

const memoMax = 1 << 20 // entries before the cache starts over

func (m *memo) Analyze(w string) analysis.TokenStream {
	if ts, ok := m.m[w]; ok {
		return ts
	}
	ts := m.an.Analyze([]byte(w))
	if len(m.m) >= memoMax {
		clear(m.m)
	}
	m.m[strings.Clone(w)] = ts
	return ts
}

// NormalizeNumber is the form under which part, OEM and EAN numbers are compared: lower
// case, letters and digits only, so "55716-013", "55716 013", "55716.013" and
// "55716013" meet, and "KN-YA-4504" is "knya4504".
func NormalizeNumber(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf && (r >= '0' && r <= '9' || r >= 'a' && r <= 'z'):
			b.WriteRune(r)
		case r < utf8.RuneSelf && r >= 'A' && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
		case r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// normalizeEAN returns the digits of an EAN or GTIN without leading zeros, so an EAN-13
// and the same number written as a 12-digit UPC or a 14-digit GTIN meet. ok is false for
// anything that is not 8 to 14 digits once separators are dropped.
func normalizeEAN(s string) (string, bool) {
	n := NormalizeNumber(s)
	if len(n) < 8 || len(n) > 14 {
		return "", false
	}
	for i := 0; i < len(n); i++ {
		if n[i] < '0' || n[i] > '9' {
			return "", false
		}
	}
	n = strings.TrimLeft(n, "0")
	return n, n != ""
}

// plainText drops the tags of the snapshot's sanitised HTML descriptions and decodes
// their entities; every tag becomes a line break, so words on either side stay apart
// and list items and paragraphs split as sentences do.
func plainText(s string) string {
	if strings.IndexByte(s, '<') < 0 && strings.IndexByte(s, '&') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			break // an unterminated tag: the sanitiser never leaves one
		}
		b.WriteByte('\n')
		s = s[i+j+1:]
	}
	return html.UnescapeString(b.String())
}
