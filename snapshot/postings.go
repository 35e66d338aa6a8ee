package snapshot

import (
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"
)

// Postings is a frozen list of roaring bitmaps: the portable serialisations laid end to end
// in one buffer, with offsets. Millions of small *roaring.Bitmap values would cost several
// times their payload in heap and GC scan time; here a list costs its payload plus 8 bytes
// an entry, and a bitmap is materialised only when asked for.
//
// A Postings is immutable and safe for concurrent readers.
type Postings struct {
	data []byte
	off  []uint64 // len = Len()+1
}

// Len is the number of bitmaps.
func (p *Postings) Len() int { return len(p.off) - 1 }

// Bytes is the size of the serialised payload.
func (p *Postings) Bytes() int { return len(p.data) }

// Get returns bitmap i as a read-only view over the shared buffer. The caller must not
// modify it (use roaring.And/Or and friends, which allocate, never in-place operations).
func (p *Postings) Get(i int) *roaring.Bitmap {
	b := roaring.New()
	lo, hi := p.off[i], p.off[i+1]
	if lo == hi {
		return b
	}
	if _, err := b.FromBuffer(p.data[lo:hi]); err != nil {
		// The buffer was validated when the snapshot was opened.
		panic(fmt.Sprintf("snapshot: corrupt postings entry %d: %v", i, err))
	}
	return b
}

// Raw returns the stored serialisation of bitmap i (roaring's portable format, zero-padded
// to a multiple of 8 bytes; empty for an empty set), a view the caller must not modify.
// Two entries with the same bytes hold the same set: that is how fitctl diff compares
// two snapshots' bitmaps without materialising them. Different bytes need not mean
// different sets (another roaring version may serialise a set otherwise).
func (p *Postings) Raw(i int) []byte { return p.data[p.off[i]:p.off[i+1]:p.off[i+1]] }

// Empty reports whether bitmap i has no members, without materialising it.
func (p *Postings) Empty(i int) bool { return p.off[i] == p.off[i+1] }

// PostingsBuilder appends bitmaps in order to build a Postings.
type PostingsBuilder struct {
	p Postings
}

// NewPostingsBuilder starts a list expected to hold about n bitmaps.
func NewPostingsBuilder(n int) *PostingsBuilder {
	b := &PostingsBuilder{}
	b.p.off = make([]uint64, 1, n+1)
	return b
}

// Add appends the next bitmap (nil or empty adds an empty entry).
func (b *PostingsBuilder) Add(bm *roaring.Bitmap) {
	if bm != nil && !bm.IsEmpty() {
		bm.RunOptimize()
		buf, err := bm.ToBytes()
		if err != nil {
			panic(err) // ToBytes only fails writing to a buffer, which cannot fail
		}
		b.p.data = append(b.p.data, buf...)
		// Start every entry 8-byte aligned: roaring reads containers in place, and an
		// unaligned []uint16 view trips the race detector's pointer checks.
		for len(b.p.data)%8 != 0 {
			b.p.data = append(b.p.data, 0)
		}
	}
	b.p.off = append(b.p.off, uint64(len(b.p.data)))
}

// AddSorted appends a bitmap of the given ascending ids.
func (b *PostingsBuilder) AddSorted(ids []uint32) {
	if len(ids) == 0 {
		b.Add(nil)
		return
	}
	bm := roaring.New()
	bm.AddMany(ids)
	b.Add(bm)
}

// Postings returns the list built so far; the builder must not be used afterwards.
func (b *PostingsBuilder) Postings() *Postings { return &b.p }
