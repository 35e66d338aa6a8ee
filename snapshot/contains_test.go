package snapshot

import (
	"math/rand/v2"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// TestPostingsContainsMatchesRoaring checks the in-place reader against roaring itself on
// bitmaps of every container kind (arrays, bitmaps, runs; with and without offsets: run
// bitmaps of fewer than 4 containers have none), keys on both sides of 65,536, and probes
// at, beside and between members.
func TestPostingsContainsMatchesRoaring(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	b := NewPostingsBuilder(0)
	var want []*roaring.Bitmap
	for i := 0; i < 400; i++ {
		bm := roaring.New()
		containers := 1 + r.IntN(6)
		if i%4 == 0 {
			containers = 1 + r.IntN(3) // with runs: no offset header
		}
		for c := 0; c < containers; c++ {
			key := uint32(r.IntN(8)) << 16
			switch r.IntN(3) {
			case 0: // array
				for j := r.IntN(200); j >= 0; j-- {
					bm.Add(key | uint32(r.IntN(1<<16)))
				}
			case 1: // bitmap
				for j := 0; j < 6000; j++ {
					bm.Add(key | uint32(r.IntN(1<<16)))
				}
			default: // runs
				for j := r.IntN(5); j >= 0; j-- {
					lo := uint64(key) + uint64(r.IntN(60000))
					bm.AddRange(lo, lo+1+uint64(r.IntN(3000)))
				}
			}
		}
		if i == 0 {
			bm = roaring.New() // empty entry
		}
		b.Add(bm) // run-optimises and serialises
		want = append(want, bm)
	}
	p := b.Postings()
	probes := 0
	for i, bm := range want {
		vals := bm.ToArray()
		check := func(x uint32) {
			t.Helper()
			probes++
			if got, w := p.Contains(i, x), bm.Contains(x); got != w {
				t.Fatalf("entry %d: Contains(%d) = %v, roaring says %v", i, x, got, w)
			}
		}
		for j := 0; j < 50 && len(vals) > 0; j++ {
			v := vals[r.IntN(len(vals))]
			check(v)
			check(v + 1)
			if v > 0 {
				check(v - 1)
			}
		}
		for j := 0; j < 50; j++ {
			check(uint32(r.IntN(9 << 16)))
		}
		check(0)
		check(1<<32 - 1)
	}
	if probes < 20000 {
		t.Fatalf("only %d probes", probes)
	}
}

func TestSerialContainsMalformed(t *testing.T) {
	bm := roaring.BitmapOf(1, 2, 3, 70000)
	buf, _ := bm.ToBytes()
	for n := 0; n < len(buf); n++ {
		serialContains(buf[:n], 70000) // must not panic on any truncation
	}
	if serialContains([]byte("not a bitmap at all"), 1) {
		t.Fatal("garbage contains 1")
	}
}
