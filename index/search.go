package index

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/RoaringBitmap/roaring/v2"
	bindex "github.com/blevesearch/bleve_index_api"
	"github.com/blevesearch/vellum"
	"github.com/blevesearch/vellum/levenshtein"
)

// Query is one search.
type Query struct {
	Text string
	// Lang is the shopper's language (ISO 639-1): its names and descriptions rank before
	// those of other languages. "" means English.
	Lang string
	// Candidates restricts the search to these part ids (a vehicle's visible parts, a
	// tenant's visible catalog); nil means every part. It is only read.
	Candidates *roaring.Bitmap
}

// Result is every part that matches a query, within its candidates, in rank order.
//
// Its bitmaps are read-only: they may share containers with each other. Clone one
// before modifying it.
type Result struct {
	// Matches is every matching part: the union of Buckets, for totals and facets.
	Matches *roaring.Bitmap
	// Buckets partition Matches by rank, best first; within a bucket parts are in part
	// id order (the catalog's part number order).
	Buckets []Bucket
	// Words is the number of query words that text matches must contain (stop words
	// do not count), Matched the number every text match does contain: equal, unless
	// no candidate holds all the words, when the text matches are the parts holding
	// the most of them (Algolia's "remove words if no results").
	Words, Matched int
}

// Bucket is a set of equally ranked parts.
type Bucket struct {
	Rank  Rank
	Parts *roaring.Bitmap
}

// Hit is one part of a result page.
type Hit struct {
	Part uint32
	Rank Rank
}

// Cursor is a position in a result's order: the last hit of a page.
type Cursor struct {
	Rank Rank
	Part uint32
}

// Page returns up to limit hits after the cursor (nil: from the first), in rank order
// and, within a rank, in part id order. Because the order is a function of (rank, part),
// a cursor stays valid when the candidates change between pages (prices, stock): the next
// page starts after it in the new result.
func (r *Result) Page(after *Cursor, limit int) []Hit {
	var out []Hit
	for _, b := range r.Buckets {
		if len(out) >= limit {
			break
		}
		if after != nil && b.Rank < after.Rank {
			continue
		}
		it := b.Parts.Iterator()
		if after != nil && b.Rank == after.Rank {
			if after.Part == ^uint32(0) {
				continue
			}
			it.AdvanceIfNeeded(after.Part + 1)
		}
		for it.HasNext() && len(out) < limit {
			out = append(out, Hit{Part: it.Next(), Rank: b.Rank})
		}
	}
	return out
}

// Add ranks parts at rank unless the result already ranks them as well or better, and
// adds them to Matches: for matches found outside the index, such as a tenant's SKU
// aliases (TierRank(TierAlias)). parts is only read.
func (r *Result) Add(rank Rank, parts *roaring.Bitmap) {
	if parts == nil || parts.IsEmpty() {
		return
	}
	moved := parts.Clone()
	for _, b := range r.Buckets {
		if b.Rank <= rank {
			moved.AndNot(b.Parts)
		}
	}
	if moved.IsEmpty() {
		return
	}
	out := make([]Bucket, 0, len(r.Buckets)+1)
	placed := false
	for _, b := range r.Buckets {
		switch {
		case b.Rank == rank:
			b.Parts = roaring.Or(b.Parts, moved)
			placed = true
		case b.Rank > rank:
			if !placed {
				out = append(out, Bucket{Rank: rank, Parts: moved})
				placed = true
			}
			if b.Parts.Intersects(moved) {
				b.Parts = roaring.AndNot(b.Parts, moved)
			}
		}
		if !b.Parts.IsEmpty() {
			out = append(out, b)
		}
	}
	if !placed {
		out = append(out, Bucket{Rank: rank, Parts: moved})
	}
	r.Buckets = out
	r.Matches = roaring.Or(r.Matches, moved)
}

// Merge adds the matches of o, an answer to the same query from another index whose
// part p is part p+offset here (an index of a tenant's own parts, BuildMemory), keeping
// every part's best rank. Ranks of different indexes compare: they are buckets, not
// scores. Words and Matched stay r's.
func (r *Result) Merge(o *Result, offset uint32) {
	for _, b := range o.Buckets {
		parts := b.Parts
		if offset != 0 {
			parts = roaring.AddOffset64(parts, int64(offset))
		}
		r.Add(b.Rank, parts)
	}
}

// RankOf returns the rank of part in the result.
func (r *Result) RankOf(part uint32) (Rank, bool) {
	for _, b := range r.Buckets {
		if b.Parts.Contains(part) {
			return b.Rank, true
		}
	}
	return 0, false
}

// Rank orders hits: a smaller rank is better. It packs, most significant first, the tier
// (an exact number match, then text), then for text the number of typos, the worst field
// any query word was found in (Field), and the number of words not matched exactly.
type Rank uint32

// Tiers, best first. TierAlias is not produced here: it is the caller's, for a tenant's
// SKU aliases, which rank with the catalog's own numbers.
const (
	TierPartNumber = iota // the part number, normalised (NormalizeNumber)
	TierAlias
	TierOEM // an OEM cross-reference number
	TierEAN // an EAN, with or without leading zeros
	TierText
)

// TierRank is the rank of every hit in a number tier.
func TierRank(tier int) Rank { return Rank(tier) << 24 }

func textRank(typos int, f Field, inexact int) Rank {
	return TierRank(TierText) | Rank(min(typos, 255))<<16 | Rank(f)<<8 | Rank(min(inexact, 255))
}

func (r Rank) Tier() int    { return int(r >> 24) }
func (r Rank) Typos() int   { return int(r >> 16 & 0xff) }
func (r Rank) Field() Field { return Field(r >> 8 & 0xff) }
func (r Rank) Inexact() int { return int(r & 0xff) }
func (r Rank) String() string {
	switch r.Tier() {
	case TierPartNumber:
		return "part-number"
	case TierAlias:
		return "alias"
	case TierOEM:
		return "oem"
	case TierEAN:
		return "ean"
	}
	return fmt.Sprintf("text typos=%d field=%s inexact=%d", r.Typos(), r.Field(), r.Inexact())
}

// Field is where a query word was found, best first.
type Field uint8

const (
	FieldName             Field = iota // a name in the query's language
	FieldOtherName                     // a name in another language, or matched by prefix or typo
	FieldBrand                         // the brand or the category path
	FieldDescription                   // a description in the query's language
	FieldOtherDescription              // a description in another language
	nFields
)

var fieldNamesText = [...]string{"name", "name:other", "brand/category", "description", "description:other"}

func (f Field) String() string {
	if int(f) < len(fieldNamesText) {
		return fieldNamesText[f]
	}
	return "?"
}

// Typo tolerance: one edit from 5 characters, two from 9 (Meilisearch's defaults; an
// edit is an insertion, deletion, substitution or transposition), on names only, and
// never in words with digits.
const (
	oneTypoLen  = 5
	twoTyposLen = 9
	maxWords    = 10  // query words considered
	maxExpand   = 128 // typo and prefix expansions of one word, per shard
	prefixLen   = 4   // the last word also matches as a prefix from this length
)

// A query word and its forms.
type word struct {
	fold  []string            // folded, lower-cased terms (fieldNames, fieldBrand)
	stems map[string][]string // terms by language suffix; absent where a stop word
	cat   []string            // terms for the category path (English analyzer)
	stop  bool                // a stop word in some language: ignored
	digit bool
	last  bool
	dfa   *levenshtein.DFA // the typo automaton, nil for words too short or with digits
}

func (ix *Index) parse(text string) []word {
	var ws []word
	seen := map[string]bool{}
	for _, t := range ix.an.words.Analyze([]byte(text)) {
		raw := string(t.Term)
		fold := terms(ix.an.fold, raw)
		key := strings.Join(fold, " ")
		if len(fold) == 0 || seen[key] {
			continue
		}
		seen[key] = true
		w := word{fold: fold, stems: map[string][]string{}}
		for _, r := range raw {
			w.digit = w.digit || unicode.IsDigit(r)
		}
		for _, l := range ix.langs {
			an, _ := ix.an.analyzerFor(l)
			if ts := terms(an, raw); len(ts) > 0 {
				w.stems[l] = ts
			} else {
				w.stop = true
			}
		}
		w.cat = terms(ix.an.lang["en"], raw)
		ws = append(ws, w)
		if len(ws) == maxWords {
			break
		}
	}
	if len(ws) > 0 {
		ws[len(ws)-1].last = true
	}
	for i := range ws {
		w := &ws[i]
		if len(w.fold) != 1 || w.digit || w.stop {
			continue
		}
		d := 0
		switch n := utf8.RuneCountInString(w.fold[0]); {
		case n >= twoTyposLen:
			d = 2
		case n >= oneTypoLen:
			d = 1
		}
		if d > 0 {
			if lb, err := levBuilder(d); err == nil {
				w.dfa, _ = lb.BuildDfa(w.fold[0], uint8(d))
			}
		}
	}
	allStop := true
	for _, w := range ws {
		allStop = allStop && w.stop
	}
	if allStop {
		for i := range ws {
			ws[i].stop = false
		}
	}
	return ws
}

// numberKeys returns the normalised forms under which the query may name a number: the
// whole query, and every run of up to four whitespace-separated tokens holding a digit.
func numberKeys(text string) []string {
	toks := strings.Fields(text)
	var keys []string
	seen := map[string]bool{}
	add := func(s string) {
		if k := NormalizeNumber(s); len(k) >= 3 && !seen[k] && strings.IndexFunc(k, unicode.IsDigit) >= 0 {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	add(text)
	for i := range toks {
		for j := i + 1; j <= min(len(toks), i+4); j++ {
			add(strings.Join(toks[i:j], ""))
		}
	}
	return keys
}

// kind is one way a word can match: field, typos and exactness.
type kind struct {
	field Field
	typos uint8
	exact bool
}

func (k kind) index() int {
	i := int(k.field)*3 + int(k.typos)
	if k.exact {
		i += int(nFields) * 3
	}
	return i
}

const nKinds = int(nFields) * 3 * 2

func kindOf(i int) kind {
	exact := i >= int(nFields)*3
	i %= int(nFields) * 3
	return kind{field: Field(i / 3), typos: uint8(i % 3), exact: exact}
}

// sparseRatio: candidate sets smaller than 1/sparseRatio of a shard restrict every
// postings list before the union (And per term is cheap against few candidates); larger
// ones are restricted once, after the union of a word's postings.
const sparseRatio = 16

// Search returns every part matching q within its candidates. It never fails: a query
// with no usable word matches nothing.
//
// A part matches when it holds every query word in some field: a name or description
// in any language, analysed by that language's analyzer (so "Bremsbeläge",
// "bremsbelaege" and "bremsbelag" meet), the brand, the category path, a name word
// within the typo tolerance, or, for the last word, a name word it is a prefix of. Stop
// words (a word some language's analyzer drops, like "de" in "plaquettes de frein") are
// ignored unless the query has nothing else. Parts whose part, OEM or EAN number the
// query names (NormalizeNumber; the whole query or a run of up to four of its words)
// match too and rank first.
//
// The candidates restrict every postings list inside the evaluation (roaring And of
// the term's postings with the candidates, in the segment's document space), so the cost
// follows the candidates for a vehicle and the matches for a whole catalog; nothing is
// filtered after the fact.
func (ix *Index) Search(q Query) *Result {
	res := &Result{Matches: roaring.New()}
	if q.Candidates != nil && q.Candidates.IsEmpty() {
		return res
	}
	_, ui := ix.an.analyzerFor(q.Lang)
	if q.Lang == "" {
		ui = "en"
	}
	words := ix.parse(q.Text)
	keys := numberKeys(q.Text)

	// Per word, per kind: the matching parts (part ids), one bitmap per shard.
	hits := make([][nKinds][]*roaring.Bitmap, len(words))
	var numbers [TierText][]*roaring.Bitmap
	for si := range ix.shards {
		s := &ix.shards[si]
		var within *roaring.Bitmap // candidates in shard document numbers
		sparse := false
		if q.Candidates != nil {
			within = s.toShard(q.Candidates)
			sparse = within.GetCardinality()*sparseRatio < uint64(s.docs)
		}
		for _, k := range keys {
			for _, f := range [...]struct {
				tier  int
				field string
			}{{TierPartNumber, fieldNumber}, {TierOEM, fieldOEM}} {
				if bm := s.postings(f.field, k, within); bm != nil {
					numbers[f.tier] = append(numbers[f.tier], s.toParts(bm))
				}
			}
			if e, ok := normalizeEAN(k); ok {
				if bm := s.postings(fieldEAN, e, within); bm != nil {
					numbers[TierEAN] = append(numbers[TierEAN], s.toParts(bm))
				}
			}
		}
		for wi := range words {
			if words[wi].stop {
				continue
			}
			ix.matchWord(s, &words[wi], ui, within, sparse, &hits[wi])
		}
	}
	for tier, bms := range numbers {
		if len(bms) > 0 {
			bm := roaring.FastOr(bms...) // a fresh bitmap
			bm.AndNot(res.Matches)
			if !bm.IsEmpty() {
				res.Buckets = append(res.Buckets, Bucket{Rank: TierRank(tier), Parts: bm})
				res.Matches.Or(bm)
			}
		}
	}
	ix.rankText(res, words, hits)
	return res
}

// matchWord adds to acc, by kind, the parts of shard s matching w.
func (ix *Index) matchWord(s *shard, w *word, ui string, within *roaring.Bitmap, sparse bool, acc *[nKinds][]*roaring.Bitmap) {
	var lists [nKinds][]*roaring.Bitmap
	restrict := (*roaring.Bitmap)(nil)
	if sparse {
		restrict = within
	}
	add := func(k kind, bm *roaring.Bitmap) {
		if bm != nil {
			lists[k.index()] = append(lists[k.index()], bm)
		}
	}
	// all returns the documents holding every term in field.
	all := func(field string, ts []string) *roaring.Bitmap {
		var bm *roaring.Bitmap
		for i, t := range ts {
			p := s.postings(field, t, restrict)
			if p == nil {
				return nil
			}
			if i == 0 {
				bm = p
			} else if bm = roaring.And(bm, p); bm.IsEmpty() {
				return nil
			}
		}
		return bm
	}
	for _, l := range ix.langs {
		ts, ok := w.stems[l]
		if !ok || len(ts) == 0 {
			continue
		}
		nf, df := FieldOtherName, FieldOtherDescription
		if l == ui {
			nf, df = FieldName, FieldDescription
		}
		add(kind{field: nf}, all(nameField(l), ts))
		add(kind{field: df}, all(descField(l), ts))
	}
	add(kind{field: FieldOtherName, exact: true}, all(fieldNames, w.fold))
	add(kind{field: FieldBrand, exact: true}, all(fieldBrand, w.fold))
	if len(w.cat) > 0 {
		add(kind{field: FieldBrand}, all(fieldCategory, w.cat))
	}
	if len(w.fold) == 1 && !w.digit {
		f := w.fold[0]
		if w.dfa != nil {
			count := 0
			s.expand(fieldNames, w.dfa, nil, nil, false, func(e *bindex.DictEntry) bool {
				if e.Term == f {
					return true
				}
				_, dist := w.dfa.MatchAndDistance(e.Term)
				if dist >= 1 && dist <= 2 {
					add(kind{field: FieldOtherName, typos: dist}, s.postings(fieldNames, e.Term, restrict))
				}
				count++
				return count < maxExpand
			})
		}
		if w.last && utf8.RuneCountInString(f) >= prefixLen {
			count := 0
			s.expand(fieldNames, &vellum.AlwaysMatch{}, []byte(f), prefixEnd(f), false, func(e *bindex.DictEntry) bool {
				if e.Term != f {
					add(kind{field: FieldOtherName}, s.postings(fieldNames, e.Term, restrict))
				}
				count++
				return count < maxExpand
			})
		}
	}
	for k, l := range lists {
		if len(l) == 0 {
			continue
		}
		var bm *roaring.Bitmap
		switch {
		case len(l) > 1:
			bm = roaring.FastOr(l...)
		case sparse:
			bm = l[0] // already a fresh result of And
		default:
			bm = l[0].Clone() // may be backed by the file mapping
		}
		if within != nil && !sparse {
			bm.And(within)
		}
		if !bm.IsEmpty() {
			acc[k] = append(acc[k], s.toParts(bm))
		}
	}
}

// prefixEnd is the first key after every key starting with p.
func prefixEnd(p string) []byte {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return b[:i+1]
		}
	}
	return nil
}

// rankText adds the text matches to res, bucketed by rank.
func (ix *Index) rankText(res *Result, words []word, hits [][nKinds][]*roaring.Bitmap) {
	// Per required word: every part it matches, by kind (part ids, fresh bitmaps).
	type wm struct {
		any   *roaring.Bitmap
		kinds [nKinds]*roaring.Bitmap
	}
	var req []wm
	for wi, w := range words {
		if w.stop {
			continue
		}
		m := wm{any: roaring.New()}
		for k, bms := range hits[wi] {
			if len(bms) > 0 {
				m.kinds[k] = roaring.FastOr(bms...)
				m.any.Or(m.kinds[k])
			}
		}
		req = append(req, m)
	}
	n := len(req)
	res.Words = n
	if n == 0 {
		return
	}
	// R: the parts holding every word; failing that (and no number matched), those
	// holding the most.
	r := req[0].any.Clone()
	for _, m := range req[1:] {
		r.And(m.any)
	}
	res.Matched = n
	if r.IsEmpty() && n > 1 && len(res.Buckets) == 0 {
		atLeast := make([]*roaring.Bitmap, n+1) // atLeast[j]: parts holding ≥ j words so far
		for j := range atLeast {
			atLeast[j] = roaring.New()
		}
		for _, m := range req {
			for j := n; j >= 2; j-- {
				atLeast[j].Or(roaring.And(atLeast[j-1], m.any))
			}
			atLeast[1].Or(m.any)
		}
		res.Matched = 0
		for j := n - 1; j >= 1; j-- {
			if !atLeast[j].IsEmpty() {
				r, res.Matched = atLeast[j], j
				break
			}
		}
	}
	if r.IsEmpty() {
		res.Matched = 0
		return
	}
	r.AndNot(res.Matches) // number matches already have their rank
	if r.IsEmpty() {
		return
	}
	res.Matches.Or(r)

	// Per word, within r: the parts whose best match has t typos (a part not holding
	// the word, possible only in the fallback, counts as 0), whose best field is ≤ f,
	// and those matching the word exactly.
	typo := make([][3]*roaring.Bitmap, n)
	field := make([][nFields]*roaring.Bitmap, n)
	exact := make([]*roaring.Bitmap, n)
	for i, m := range req {
		missing := roaring.AndNot(r, m.any)
		var byTypo [3][]*roaring.Bitmap
		var byField [nFields][]*roaring.Bitmap
		var ex []*roaring.Bitmap
		for k, bm := range m.kinds {
			if bm == nil {
				continue
			}
			kd := kindOf(k)
			byTypo[kd.typos] = append(byTypo[kd.typos], bm)
			byField[kd.field] = append(byField[kd.field], bm)
			if kd.exact && kd.typos == 0 {
				ex = append(ex, bm)
			}
		}
		seen := missing
		for t := 0; t < 3; t++ {
			bm := roaring.And(r, roaring.FastOr(byTypo[t]...))
			bm.AndNot(seen)
			typo[i][t] = bm
			seen = roaring.Or(seen, bm)
		}
		typo[i][0].Or(missing)
		cum := missing
		for f := Field(0); f < nFields; f++ {
			cum = roaring.Or(cum, roaring.And(r, roaring.FastOr(byField[f]...)))
			field[i][f] = cum
		}
		exact[i] = roaring.And(r, roaring.FastOr(ex...))
	}

	// Parts by total typos: a sum over words, by dynamic programming on bitmaps.
	byTypos := []*roaring.Bitmap{r}
	for i := range req {
		next := make([]*roaring.Bitmap, len(byTypos)+2)
		for t, bm := range byTypos {
			if bm == nil || bm.IsEmpty() {
				continue
			}
			for k := 0; k < 3; k++ {
				if typo[i][k].IsEmpty() {
					continue
				}
				if x := roaring.And(bm, typo[i][k]); !x.IsEmpty() {
					if next[t+k] == nil {
						next[t+k] = x
					} else {
						next[t+k].Or(x)
					}
				}
			}
		}
		byTypos = next
	}
	// Parts by worst field: in field f exactly when every word's best field is ≤ f.
	var byField [nFields]*roaring.Bitmap
	prev := roaring.New()
	for f := Field(0); f < nFields; f++ {
		all := field[0][f].Clone()
		for i := 1; i < n; i++ {
			all.And(field[i][f])
		}
		byField[f] = roaring.AndNot(all, prev)
		prev = all
	}
	// Parts by number of words matched exactly.
	atLeast := make([]*roaring.Bitmap, n+1)
	atLeast[0] = r
	for j := 1; j <= n; j++ {
		atLeast[j] = roaring.New()
	}
	for i := range req {
		for j := n; j >= 2; j-- {
			atLeast[j].Or(roaring.And(atLeast[j-1], exact[i]))
		}
		atLeast[1].Or(exact[i])
	}
	byExact := make([]*roaring.Bitmap, n+1) // by words not matched exactly
	for j := 0; j <= n; j++ {
		if j < n {
			byExact[n-j] = roaring.AndNot(atLeast[j], atLeast[j+1])
		} else {
			byExact[0] = atLeast[n]
		}
	}

	for t, bt := range byTypos {
		if bt == nil || bt.IsEmpty() {
			continue
		}
		for f, bf := range byField {
			x := roaring.And(bt, bf)
			if x.IsEmpty() {
				continue
			}
			for in, be := range byExact {
				if y := roaring.And(x, be); !y.IsEmpty() {
					res.Buckets = append(res.Buckets, Bucket{Rank: textRank(t, Field(f), in), Parts: y})
				}
			}
		}
	}
}
