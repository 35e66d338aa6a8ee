package index

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fitment/fitment/snapshot"
)

// BenchmarkRestrict compares the two ways of restricting one term's postings to a
// candidate set: a roaring And of the postings bitmap with the candidates (what Search
// does), and leapfrogging an unscored postings iterator over the candidates with
// Advance (the bottom of bleve's unscored conjunction of a term searcher with a bitmap
// searcher, without its searcher and DocumentMatch overhead). It uses the snapshot
// that BenchmarkSearch built (or FITMENT_INDEX_SNAPSHOT) and skips without one.
func BenchmarkRestrict(b *testing.B) {
	path := os.Getenv("FITMENT_INDEX_SNAPSHOT")
	if path == "" {
		dir := os.Getenv("FITMENT_BENCH_DIR")
		if dir == "" {
			dir = filepath.Join(os.TempDir(), "fitment-bench")
		}
		path = filepath.Join(dir, "small-seed1-text.snap")
	}
	cat, info, err := snapshot.Open(path)
	if err != nil {
		b.Skipf("no benchmark snapshot (run BenchmarkSearch first): %v", err)
	}
	ix, err := OpenSnapshot(path, info)
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	_ = cat
	s := &ix.shards[0]
	rng := rand.New(rand.NewPCG(5, 6))
	// Frequent name terms of the English names.
	var ts []string
	for _, t := range []string{"brake", "filter", "kit", "chain", "pad", "oil", "tyre", "batteri"} {
		if bm := s.postings(nameField("en"), t, nil); bm != nil {
			ts = append(ts, t)
		}
	}
	for _, size := range []int{200, 2000, 20000} {
		var sets []*roaring.Bitmap
		for range 50 {
			bm := roaring.New()
			for bm.GetCardinality() < uint64(size) {
				bm.Add(uint32(rng.IntN(int(s.docs))))
			}
			sets = append(sets, bm)
		}
		b.Run("and/"+strconv.Itoa(size), func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for i := 0; i < b.N; i++ {
				if bm := s.postings(nameField("en"), ts[i%len(ts)], sets[i%len(sets)]); bm != nil {
					n += int(bm.GetCardinality())
				}
			}
		})
		b.Run("advance/"+strconv.Itoa(size), func(b *testing.B) {
			b.ReportAllocs()
			d := s.dictionary(nameField("en"))
			n := 0
			for i := 0; i < b.N; i++ {
				pl, _ := d.PostingsList([]byte(ts[i%len(ts)]), nil, nil)
				it := pl.Iterator(false, false, false, nil)
				for c := sets[i%len(sets)].Iterator(); c.HasNext(); {
					doc := c.Next()
					p, err := it.Advance(uint64(doc))
					if err != nil || p == nil {
						break
					}
					if p.Number() == uint64(doc) {
						n++
					} else {
						c.AdvanceIfNeeded(uint32(p.Number()))
					}
				}
			}
		})
	}
}
