package ingest

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestRadixSort(t *testing.T) {
	type rec struct{ key, seq uint64 }
	for _, n := range []int{0, 1, 2, 1000, chunkLen + 3} {
		for _, keyBits := range []int{1, 11, 30, 64} {
			r := rand.New(rand.NewPCG(uint64(n), uint64(keyBits)))
			var c chunks[rec]
			var want []rec
			for i := 0; i < n; i++ {
				k := r.Uint64()
				if keyBits < 64 {
					k &= 1<<keyBits - 1
				}
				if n > 1000 && keyBits == 64 {
					k &^= 0xffff // a digit that never varies is skipped
				}
				c.add(rec{k, uint64(i)})
				want = append(want, rec{k, uint64(i)})
			}
			slices.SortStableFunc(want, func(a, b rec) int {
				switch {
				case a.key < b.key:
					return -1
				case a.key > b.key:
					return 1
				}
				return 0
			})
			got, _ := radixSort(&c, keyBits, func(x *rec) uint64 { return x.key }, nil)
			if !slices.Equal(got, want) {
				t.Errorf("radixSort(n=%d, bits=%d): got a different order than a stable sort", n, keyBits)
			}
			if len(want) > 0 {
				flatGot, _ := radixSort(flat(slices.Clone(want)), keyBits, func(x *rec) uint64 { return x.key }, make([]rec, n))
				if !slices.Equal(flatGot, want) {
					t.Errorf("radixSort(flat, n=%d, bits=%d): got a different order", n, keyBits)
				}
			}
		}
	}
}
