package snapshot

import (
	"encoding/binary"
	"fmt"
)

// Portable roaring format constants (https://github.com/RoaringBitmap/RoaringFormatSpec).
const (
	serialNoRuns   = 12346
	serialWithRuns = 12347
	noOffsetBelow  = 4 // containers: a bitmap with runs and fewer has no offset header
	arrayMax       = 4096
)

// serialHeader is the start of a portable roaring serialisation: n containers, their keys
// and cardinalities (keys), which of them are runs (runFlags; nil: none), and where their
// offsets (when hasOffsets) or their data begin (body).
type serialHeader struct {
	n          int
	runFlags   []byte
	keys       []byte // n × (key, cardinality-1), little-endian uint16s
	hasOffsets bool
	body       int // offset of the offset header, or of the first container without one
}

// parseSerialHeader reads the header of b, checking only that it fits in b.
func parseSerialHeader(b []byte) (h serialHeader, err error) {
	if len(b) < 8 {
		return h, fmt.Errorf("bitmap of %d bytes is too short", len(b))
	}
	cookie := binary.LittleEndian.Uint32(b)
	pos := 0
	switch {
	case cookie == serialNoRuns:
		h.n, pos = int(binary.LittleEndian.Uint32(b[4:])), 8
	case cookie&0xffff == serialWithRuns:
		h.n, pos = int(cookie>>16)+1, 4
		flagBytes := (h.n + 7) / 8
		if len(b) < pos+flagBytes {
			return h, fmt.Errorf("bitmap of %d containers truncated", h.n)
		}
		h.runFlags, pos = b[pos:pos+flagBytes], pos+flagBytes
	default:
		return h, fmt.Errorf("bitmap has no roaring cookie")
	}
	if h.n > 1<<16 || len(b) < pos+4*h.n {
		return h, fmt.Errorf("bitmap of %d containers truncated", h.n)
	}
	h.keys, h.body = b[pos:pos+4*h.n], pos+4*h.n
	h.hasOffsets = h.runFlags == nil || h.n >= noOffsetBelow
	if h.hasOffsets && len(b) < h.body+4*h.n {
		return h, fmt.Errorf("bitmap of %d containers truncated", h.n)
	}
	return h, nil
}

func (h *serialHeader) card(c int) int { return int(binary.LittleEndian.Uint16(h.keys[4*c+2:])) + 1 }

// Contains reports whether bitmap i has x. It reads the portable serialisation in place:
// no bitmap is materialised and nothing is allocated, so a fit check (is part p fitted to
// vehicle v?) costs two binary searches, where Get(i).Contains(x) would first build the
// bitmap's container index.
func (p *Postings) Contains(i int, x uint32) bool {
	return serialContains(p.data[p.off[i]:p.off[i+1]], x)
}

// serialContains reads the portable roaring format
// (https://github.com/RoaringBitmap/RoaringFormatSpec): a cookie, per container a 16-bit
// key and cardinality-1, container offsets (absent when the bitmap has run containers and
// fewer than 4 containers), then the containers: runs, a 2^16-bit bitmap (cardinality >
// 4096) or a sorted array of 16-bit values. Entries were validated when the snapshot was
// opened; a malformed one answers false rather than reading out of bounds.
//
// It parses the header itself rather than through parseSerialHeader: on the fit check's
// hot path the shared parser (a call and a header struct) cost ~20 ns of ~60.
func serialContains(b []byte, x uint32) bool {
	if len(b) < 8 {
		return false
	}
	cookie := binary.LittleEndian.Uint32(b)
	var n, pos int
	var runFlags []byte
	switch {
	case cookie == serialNoRuns:
		n, pos = int(binary.LittleEndian.Uint32(b[4:])), 8
	case cookie&0xffff == serialWithRuns:
		n, pos = int(cookie>>16)+1, 4
		flagBytes := (n + 7) / 8
		if len(b) < pos+flagBytes {
			return false
		}
		runFlags, pos = b[pos:pos+flagBytes], pos+flagBytes
	default:
		return false
	}
	if n > 1<<16 || len(b) < pos+4*n {
		return false
	}
	keys := b[pos : pos+4*n] // key, cardinality-1
	pos += 4 * n
	hasOffsets := runFlags == nil || n >= noOffsetBelow
	if hasOffsets && len(b) < pos+4*n {
		return false
	}

	key := uint16(x >> 16)
	lo, hi := 0, n
	for lo < hi { // the container with this key
		m := int(uint(lo+hi) >> 1)
		if binary.LittleEndian.Uint16(keys[4*m:]) < key {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == n || binary.LittleEndian.Uint16(keys[4*lo:]) != key {
		return false
	}
	c := lo
	isRun := func(j int) bool { return runFlags != nil && runFlags[j/8]&(1<<(j%8)) != 0 }
	card := func(j int) int { return int(binary.LittleEndian.Uint16(keys[4*j+2:])) + 1 }

	var start int
	if hasOffsets {
		start = int(binary.LittleEndian.Uint32(b[pos+4*c:]))
	} else { // walk the containers before c (at most 3)
		start = pos
		for j := 0; j < c; j++ {
			switch {
			case isRun(j):
				if len(b) < start+2 {
					return false
				}
				start += 2 + 4*int(binary.LittleEndian.Uint16(b[start:]))
			case card(j) > arrayMax:
				start += 8192
			default:
				start += 2 * card(j)
			}
		}
	}
	low := uint16(x)
	switch {
	case isRun(c):
		if len(b) < start+2 {
			return false
		}
		runs := int(binary.LittleEndian.Uint16(b[start:]))
		rs := start + 2
		if len(b) < rs+4*runs {
			return false
		}
		lo, hi := 0, runs // the last run starting at or before low
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if binary.LittleEndian.Uint16(b[rs+4*m:]) <= low {
				lo = m + 1
			} else {
				hi = m
			}
		}
		if lo == 0 {
			return false
		}
		r := rs + 4*(lo-1)
		first, length := binary.LittleEndian.Uint16(b[r:]), binary.LittleEndian.Uint16(b[r+2:])
		return uint32(low) <= uint32(first)+uint32(length)
	case card(c) > arrayMax:
		if len(b) < start+8192 {
			return false
		}
		w := binary.LittleEndian.Uint64(b[start+8*int(low>>6):])
		return w&(1<<(low&63)) != 0
	default:
		k := card(c)
		if len(b) < start+2*k {
			return false
		}
		lo, hi := 0, k
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if binary.LittleEndian.Uint16(b[start+2*m:]) < low {
				lo = m + 1
			} else {
				hi = m
			}
		}
		return lo < k && binary.LittleEndian.Uint16(b[start+2*lo:]) == low
	}
}

// Cardinality is the number of members of bitmap i, read from its container headers in
// place (each holds its cardinality-1).
func (p *Postings) Cardinality(i int) int {
	h, err := parseSerialHeader(p.data[p.off[i]:p.off[i+1]])
	if err != nil {
		return 0
	}
	total := 0
	for c := 0; c < h.n; c++ {
		total += h.card(c)
	}
	return total
}
