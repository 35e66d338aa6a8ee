package engine

import (
	"errors"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fitment/fitment/index"
	"github.com/fitment/fitment/snapshot"
)

// Text search: the catalog's text index (package index, built beside the snapshot) matches
// the catalog's parts; a tenant's own parts are matched by a small index of their own, built
// in memory on the first search after they change; the tenant's SKU aliases name parts
// exactly. The three merge by rank into one Matches, which View.List filters, facets,
// sorts and pages like any listing.

// ErrNoTextIndex reports a catalog loaded without its text index (a snapshot built before
// it existed): text queries cannot be answered.
var ErrNoTextIndex = errors.New("text search is not available: the catalog was loaded without a text index")

// defaultNameLang is the language of the catalog's default names, as fitctl build indexes
// them (its --lang); own parts' default names are indexed in it too.
const defaultNameLang = "en"

// HasTextIndex reports whether the loaded catalog has its text index.
func (e *Engine) HasTextIndex() bool {
	k := e.cat.Load()
	return k != nil && k.text != nil
}

// LoadWithText is Load with the catalog's text index (nil: none). The index is published
// with the catalog: a query sees both of one snapshot.
func (e *Engine) LoadWithText(c *snapshot.Catalog, version string, text *index.Index) {
	e.load(c, version, text)
}

// MatchParts matches text against the parts within (part ids as the engine numbers them:
// the catalog's, then the tenant's own; typically View.Candidates) in lang, and returns
// them with their relevance: exact numbers (part, SKU alias, OEM, EAN) first, then text
// matches by the index's rank. within is only read.
func (v *View) MatchParts(text, lang string, within *roaring.Bitmap) (*Matches, error) {
	res, err := v.textResult(text, lang, within)
	if err != nil {
		return nil, err
	}
	return NewMatches(matchesByPart(res)), nil
}

// matchesByPart lists a result's matches in part order, each with its bucket's rank (the
// index's rank is better when smaller, a Match's when larger). The buckets are disjoint
// and each in part order, so they merge: NewMatches then finds them sorted, where a sort of
// bucket after bucket cost milliseconds for the tens of thousands of matches of a common
// word over a whole catalog.
func matchesByPart(res *index.Result) []Match {
	type cursor struct {
		it   roaring.IntPeekable
		rank uint32
	}
	var curs []cursor
	for _, b := range res.Buckets {
		if it := b.Parts.Iterator(); it.HasNext() {
			curs = append(curs, cursor{it, ^uint32(b.Rank)})
		}
	}
	ms := make([]Match, 0, res.Matches.GetCardinality())
	for len(curs) > 0 {
		best := 0
		for i := 1; i < len(curs); i++ {
			if curs[i].it.PeekNext() < curs[best].it.PeekNext() {
				best = i
			}
		}
		c := &curs[best]
		// Take the run of this bucket's parts below every other bucket's next.
		next := ^uint32(0)
		for i := range curs {
			if i != best && curs[i].it.PeekNext() < next {
				next = curs[i].it.PeekNext()
			}
		}
		for c.it.HasNext() && c.it.PeekNext() < next {
			ms = append(ms, Match{Part: c.it.Next(), Rank: c.rank})
		}
		if !c.it.HasNext() {
			curs = append(curs[:best], curs[best+1:]...)
		}
	}
	return ms
}

// textResult is the merged index result of a text query within a candidate set.
func (v *View) textResult(text, lang string, within *roaring.Bitmap) (*index.Result, error) {
	k := v.cat
	if k.text == nil {
		return nil, ErrNoTextIndex
	}
	nCentral := uint32(len(k.Parts))
	hasOwn := !within.IsEmpty() && within.Maximum() >= nCentral
	// Own parts' ids are past the catalog's: they never meet its index's postings, so
	// within goes in as it is (no copy of a tenant's whole visible set).
	res := k.text.Search(index.Query{Text: text, Lang: lang, Candidates: within})

	// A SKU alias the tenant gave names its part as exactly as the part's own number.
	if p, ok := v.aliasPart(text); ok && within.Contains(p) {
		res.Add(index.TierRank(index.TierAlias), roaring.BitmapOf(p))
	}
	if ix := v.ext.textIndex(k); ix != nil && hasOwn {
		own := roaring.New()
		it := within.Iterator()
		it.AdvanceIfNeeded(nCentral)
		for it.HasNext() {
			own.Add(it.Next() - nCentral)
		}
		res.Merge(ix.Search(index.Query{Text: text, Lang: lang, Candidates: own}), nCentral)
	}
	return res, nil
}

// aliasPart resolves the whole of text as one of the tenant's SKU aliases.
func (v *View) aliasPart(text string) (uint32, bool) {
	if v.aliases.n == 0 {
		return 0, false
	}
	a, ok := v.aliases.get(snapshot.Key(text))
	return a.part, ok && a.part != snapshot.None
}

// extText is an extension's text index, built on first use.
type extText struct {
	once sync.Once
	ix   *index.Index
}

// textIndex returns the own parts' text index (nil when there are none or it could not be
// built: own parts then match by number only, through aliases and resolution).
func (x *extension) textIndex(k *catalog) *index.Index {
	if len(x.parts) == 0 {
		return nil
	}
	x.text.once.Do(func() {
		ix, err := index.BuildMemory(len(x.parts), func(seq uint32, d *index.Doc) error {
			p := x.parts[seq]
			if p == nil {
				return nil // deleted: an empty document matches nothing
			}
			category := ""
			if p.category != snapshot.None {
				category = k.Categories[p.category].Path
			}
			index.PartDoc(d, defaultNameLang, p.PartNumber, p.Brand, category, p.Name, p.Names, &p.Detail)
			return nil
		})
		if err == nil {
			x.text.ix = ix
		}
	})
	return x.text.ix
}
