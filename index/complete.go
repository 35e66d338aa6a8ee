package index

import (
	"cmp"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
	bindex "github.com/blevesearch/bleve_index_api"
	"github.com/blevesearch/vellum"
)

// Term is a word of the part names and the number of parts whose names hold it.
type Term struct {
	Text  string
	Parts int
}

// completeWalk bounds the dictionary words Complete looks at, per shard.
const completeWalk = 256

// Complete returns up to limit words of the part names (folded to ASCII, lower case) that
// start with prefix (folded the same way), the most frequent first, counting only
// candidates when they are given (nil: every part) and leaving out words no candidate
// has. It reads at most 256 words per shard in dictionary order, so for a one- or
// two-letter prefix the answer is the most frequent among the first words
// alphabetically: a type-ahead helper, cheap on every keystroke, not an exact top list.
func (ix *Index) Complete(prefix string, limit int, candidates *roaring.Bitmap) []Term {
	fold := terms(ix.an.fold, prefix)
	if len(fold) != 1 || limit <= 0 {
		return nil
	}
	p := fold[0]
	counts := map[string]int{}
	for si := range ix.shards {
		s := &ix.shards[si]
		var within *roaring.Bitmap
		if candidates != nil {
			within = s.toShard(candidates)
		}
		n := 0
		s.expand(fieldNames, &vellum.AlwaysMatch{}, []byte(p), prefixEnd(p), within == nil, func(e *bindex.DictEntry) bool {
			if within == nil {
				counts[e.Term] += int(e.Count)
			} else if bm := s.postings(fieldNames, e.Term, within); bm != nil {
				counts[e.Term] += int(bm.GetCardinality())
			}
			n++
			return n < completeWalk
		})
	}
	out := make([]Term, 0, len(counts))
	for t, c := range counts {
		out = append(out, Term{Text: t, Parts: c})
	}
	slices.SortFunc(out, func(a, b Term) int { return cmp.Or(cmp.Compare(b.Parts, a.Parts), cmp.Compare(a.Text, b.Text)) })
	return out[:min(limit, len(out))]
}
