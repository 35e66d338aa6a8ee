package snapshot

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/klauspost/compress/zstd"
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
		if got := p.Cardinality(i); got != int(bm.GetCardinality()) {
			t.Fatalf("entry %d: Cardinality %d, roaring says %d", i, got, bm.GetCardinality())
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

// TestDetailsForMatchesScan checks Details.For (interpolation, then binary search) against a
// scan, on vehicles with few and many entries, evenly and unevenly spread part ids.
func TestDetailsForMatchesScan(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var d Details
	d.Offsets = []uint32{0}
	for v := 0; v < 300; v++ {
		n := r.IntN(400)
		var part uint32
		for i := 0; i < n; i++ {
			switch v % 3 {
			case 0:
				part += uint32(1 + r.IntN(50)) // even
			case 1:
				part += uint32(1 + r.IntN(2)*r.IntN(100000)) // clustered, with jumps
			default:
				if r.IntN(3) > 0 {
					part += uint32(r.IntN(3)) // runs of one part (a link with several fitments)
				} else {
					part += uint32(r.IntN(1 << 20))
				}
			}
			d.Entries = append(d.Entries, Detail{Part: part, Position: uint16(i)})
		}
		d.Offsets = append(d.Offsets, uint32(len(d.Entries)))
	}
	for v := 0; v < 300; v++ {
		es := d.Entries[d.Offsets[v]:d.Offsets[v+1]]
		probes := []uint32{0, 1 << 31}
		for _, e := range es {
			probes = append(probes, e.Part, e.Part+1, e.Part-1)
		}
		for _, p := range probes {
			var want []Detail
			for _, e := range es {
				if e.Part == p {
					want = append(want, e)
				}
			}
			got := d.For(uint32(v), p)
			if len(got) != len(want) || len(want) > 0 && &got[0] != &es[indexOf(es, p)] {
				t.Fatalf("vehicle %d part %d: For gives %d entries, want %d", v, p, len(got), len(want))
			}
		}
	}
}

func indexOf(es []Detail, p uint32) int {
	for i, e := range es {
		if e.Part == p {
			return i
		}
	}
	return -1
}

// TestPostingsRaw: Raw is the entry's portable serialisation (padded), which parses back
// to the set added, is empty for an empty set, and is the same for the same set built
// into another list.
func TestPostingsRaw(t *testing.T) {
	sets := [][]uint32{{}, {7}, {1, 2, 3, 70000}, nil}
	for i := 0; i < 5000; i++ {
		sets[3] = append(sets[3], uint32(i*3))
	}
	a, b := NewPostingsBuilder(0), NewPostingsBuilder(0)
	b.AddSorted([]uint32{9}) // b's entries start elsewhere in its buffer
	for _, s := range sets {
		a.AddSorted(s)
		b.AddSorted(s)
	}
	pa, pb := a.Postings(), b.Postings()
	for i, s := range sets {
		raw := pa.Raw(i)
		if len(s) == 0 {
			if len(raw) != 0 {
				t.Errorf("Raw(%d) of the empty set: %d bytes", i, len(raw))
			}
			continue
		}
		if len(raw)%8 != 0 {
			t.Errorf("Raw(%d): %d bytes, not padded to 8", i, len(raw))
		}
		bm := roaring.New()
		if _, err := bm.FromBuffer(raw); err != nil || !slices.Equal(bm.ToArray(), s) {
			t.Errorf("Raw(%d) parses to %v, %v; want %d members", i, bm.GetCardinality(), err, len(s))
		}
		if !bytes.Equal(raw, pb.Raw(i+1)) {
			t.Errorf("Raw(%d) differs between two lists of the same sets", i)
		}
		if cap(raw) != len(raw) {
			t.Errorf("Raw(%d): capacity %d past its %d bytes: an append would overwrite the next entry", i, cap(raw), len(raw))
		}
	}
}

// TestInflateBounded: a chunk that inflates past maxInflate (a crafted file: chunks are read
// before the content hash is checked) is refused, not allocated.
func TestInflateBounded(t *testing.T) {
	enc, _ := zstd.NewWriter(nil)
	bomb := enc.EncodeAll(make([]byte, maxInflate+1), nil)
	if len(bomb) > 1<<16 {
		t.Fatalf("the test's bomb is %d bytes compressed", len(bomb))
	}
	if _, err := zdec.DecodeAll(bomb, nil); err == nil {
		t.Fatal("a frame inflating past maxInflate was decoded")
	}
	ok := enc.EncodeAll(make([]byte, chunkSize), nil)
	if out, err := zdec.DecodeAll(ok, nil); err != nil || len(out) != chunkSize {
		t.Fatalf("a full chunk: %d bytes, %v", len(out), err)
	}
}
