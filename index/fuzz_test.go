package index

import (
	"sync"
	"testing"
)

var (
	fuzzOnce sync.Once
	fuzzIx   *Index
	fuzzErr  error
)

// FuzzSearch: any query text searches without panicking, and its result is consistent:
// buckets disjoint, in rank order, covering Matches, and the pages walk them all.
func FuzzSearch(f *testing.F) {
	for _, s := range []string{"bremsbelaege", "55716-013", "k&n filter yfz450r", "  ", "ÄÖÜ ß", "a b c d e f g h i j k l", "\x00\xff", "0000000000000", "brake pads pads brake"} {
		f.Add(s, "de")
	}
	f.Fuzz(func(t *testing.T, q, lang string) {
		fuzzOnce.Do(func() {
			docs := []Doc{
				{Number: "55716-013", EAN: []string{"4006381333931"}, Brand: "K&N", Names: names("en", "Oil filter"), Descriptions: names("de", "<p>Ölfilter für YFZ450R</p>")},
				{Number: "BP-1", Names: append(names("en", "Brake pads"), names("de", "Bremsbeläge")...)},
			}
			fuzzIx, fuzzErr = BuildMemory(len(docs), func(p uint32, d *Doc) error { *d = docs[p]; return nil })
		})
		if fuzzErr != nil {
			t.Fatal(fuzzErr)
		}
		r := fuzzIx.Search(Query{Text: q, Lang: lang})
		n := uint64(0)
		for i, b := range r.Buckets {
			if i > 0 && b.Rank <= r.Buckets[i-1].Rank {
				t.Fatalf("Search(%q): bucket %d rank %v after %v", q, i, b.Rank, r.Buckets[i-1].Rank)
			}
			n += b.Parts.GetCardinality()
		}
		if n != r.Matches.GetCardinality() || len(r.Page(nil, 100)) != int(n) {
			t.Fatalf("Search(%q): buckets hold %d parts, Matches %d", q, n, r.Matches.GetCardinality())
		}
		fuzzIx.Complete(q, 5, nil)
	})
}
