package snapshot

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unsafe"
)

// encbuf appends the primitive encodings used by every table section (FORMAT.md,
// "Encodings"): unsigned varints, and strings as a varint length followed by the bytes.
type encbuf struct{ b []byte }

func (e *encbuf) uvarint(x uint64) { e.b = binary.AppendUvarint(e.b, x) }
func (e *encbuf) u32(x uint32)     { e.b = binary.LittleEndian.AppendUint32(e.b, x) }
func (e *encbuf) byte1(x byte)     { e.b = append(e.b, x) }

func (e *encbuf) str(s string) {
	e.uvarint(uint64(len(s)))
	e.b = append(e.b, s...)
}

// ref encodes an optional reference: None as 0, i as i+1.
func (e *encbuf) ref(i uint32) {
	if i == None {
		e.uvarint(0)
		return
	}
	e.uvarint(uint64(i) + 1)
}

var errShort = errors.New("truncated section")

// decbuf reads what encbuf wrote. Strings are sliced out of one immutable backing string
// (the whole decompressed section), so decoding a million rows allocates no string copies.
// The first error sticks, with the row it was met in; callers check err once at the end.
// decbuf checks only the encoding: what a value means (a reference in range, a sort order)
// is checked by validate.
type decbuf struct {
	s      string
	pos    int
	err    error
	row    int // the row being read, set by the caller; -1 before the first
	errRow int // row when err was met
}

func newDecbuf(b []byte) *decbuf {
	// The section buffer is never modified after decompression, so sharing it is safe.
	return &decbuf{s: unsafe.String(unsafe.SliceData(b), len(b)), row: -1, errRow: -1}
}

func (d *decbuf) fail(err error) {
	if d.err == nil {
		d.err, d.errRow = err, d.row
	}
	d.pos = len(d.s)
}

func (d *decbuf) uvarint() uint64 {
	var x uint64
	var s uint
	for i := 0; i < binary.MaxVarintLen64; i++ {
		if d.pos >= len(d.s) {
			d.fail(errShort)
			return 0
		}
		c := d.s[d.pos]
		d.pos++
		if c < 0x80 {
			return x | uint64(c)<<s
		}
		x |= uint64(c&0x7f) << s
		s += 7
	}
	d.fail(errors.New("varint overflow"))
	return 0
}

func (d *decbuf) u32() uint32 {
	if len(d.s)-d.pos < 4 {
		d.fail(errShort)
		return 0
	}
	p := d.pos
	d.pos += 4
	return uint32(d.s[p]) | uint32(d.s[p+1])<<8 | uint32(d.s[p+2])<<16 | uint32(d.s[p+3])<<24
}

func (d *decbuf) byte1() byte {
	if d.pos >= len(d.s) {
		d.fail(errShort)
		return 0
	}
	d.pos++
	return d.s[d.pos-1]
}

func (d *decbuf) str() string {
	n := d.uvarint()
	if n > uint64(len(d.s)-d.pos) {
		d.fail(errShort)
		return ""
	}
	s := d.s[d.pos : d.pos+int(n)]
	d.pos += int(n)
	return s
}

// count reads a row count, refusing one that could not possibly fit in the rest of the
// section (each row takes at least min bytes), so corrupt input cannot force a huge make().
func (d *decbuf) count(min int) int {
	n := d.uvarint()
	if min < 1 {
		min = 1
	}
	if n > uint64(len(d.s)-d.pos)/uint64(min) || n > math.MaxInt32 {
		d.fail(errors.New("row count exceeds section size"))
		return 0
	}
	return int(n)
}

// ref reads an optional reference written by encbuf.ref: None, or a row that validate
// checks against its table.
func (d *decbuf) ref() uint32 {
	x := d.uvarint()
	if x == 0 {
		return None
	}
	if x > math.MaxUint32 { // x-1 would not fit, or would read as None
		d.fail(fmt.Errorf("reference %d does not fit 32 bits", x-1))
		return None
	}
	return uint32(x - 1)
}

// uv32 reads a uvarint that must fit 32 bits: a required reference (checked by validate)
// or a 32-bit field. A larger value is an error rather than truncated into range.
func (d *decbuf) uv32() uint32 {
	x := d.uvarint()
	if x > math.MaxUint32 {
		d.fail(fmt.Errorf("value %d does not fit 32 bits", x))
		return 0
	}
	return uint32(x)
}

// uv16 reads a uvarint that must fit 16 bits.
func (d *decbuf) uv16() uint16 {
	x := d.uvarint()
	if x > math.MaxUint16 {
		d.fail(fmt.Errorf("value %d does not fit 16 bits", x))
		return 0
	}
	return uint16(x)
}
