package engine

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fitment/fitment/index"
)

// matchesByPart merges a result's disjoint buckets into part order, each part with its
// bucket's rank, as plain sorting does.
func TestMatchesByPart(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 200; round++ {
		res := &index.Result{Matches: roaring.New()}
		var want []Match
		nb := r.IntN(12)
		for b := 0; b < nb; b++ {
			parts := roaring.New()
			for i := r.IntN(300); i > 0; i-- {
				p := uint32(r.IntN(200_000)) // past one roaring container
				if !res.Matches.Contains(p) {
					parts.Add(p)
					res.Matches.Add(p)
					want = append(want, Match{Part: p, Rank: ^uint32(b)})
				}
			}
			res.Buckets = append(res.Buckets, index.Bucket{Rank: index.Rank(b), Parts: parts})
		}
		slices.SortFunc(want, func(a, b Match) int { return cmpUint32(a.Part, b.Part) })
		if got := matchesByPart(res); !slices.Equal(got, want) && len(got)+len(want) > 0 {
			t.Fatalf("round %d: %d buckets: got %v, want %v", round, nb, got[:min(len(got), 10)], want[:min(len(want), 10)])
		}
	}
}
