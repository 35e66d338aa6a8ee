package journal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"
	"strings"
)

// FormatVersion is the segment format written by this package (see FORMAT.md). Segments
// of every version listed here are read.
//
//	1: first format
//	2: batches are delimited: each record carries its index in its batch and a last-of-batch
//	   flag, and the checksum covers them (and the length)
const FormatVersion = 2

const (
	headerSize = 16 // magic, version, base seq
	// frameHeaderSize is the v2 frame header: crc, length and flags, seq, index in batch.
	frameHeaderSize   = 20
	frameHeaderSizeV1 = 16 // length, crc, seq
	segmentSuffix     = ".wal"
	tmpSuffix         = ".tmp"

	// lastInBatch is the flag bit of a v2 length word: the record is the last of its
	// batch. The other 31 bits are the payload length (at most MaxRecordBytes, 2^30).
	lastInBatch = 1 << 31
	// maxBatchRecords bounds the records of one batch: the index is a u32.
	maxBatchRecords = 1<<32 - 1
)

var (
	magic      = [4]byte{'F', 'J', 'N', 'L'}
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
)

// segmentName is the file name of the segment whose first record is base. Zero padding
// makes name order sequence order.
func segmentName(base uint64) string {
	return fmt.Sprintf("%020d%s", base, segmentSuffix)
}

func parseSegmentName(name string) (base uint64, ok bool) {
	digits, found := strings.CutSuffix(name, segmentSuffix)
	if !found || len(digits) != 20 {
		return 0, false
	}
	base, err := strconv.ParseUint(digits, 10, 64)
	return base, err == nil && base > 0
}

func appendHeader(b []byte, base uint64) []byte {
	b = append(b, magic[:]...)
	b = binary.LittleEndian.AppendUint32(b, FormatVersion)
	return binary.LittleEndian.AppendUint64(b, base)
}

// checkHeader returns the format version of the segment named for base, or says what is
// wrong with its header.
func checkHeader(h []byte, base uint64) (version uint32, why string) {
	switch {
	case len(h) < headerSize:
		return 0, "short header"
	case [4]byte(h[:4]) != magic:
		return 0, "not a journal segment (bad magic)"
	}
	version = binary.LittleEndian.Uint32(h[4:])
	switch {
	case version < 1 || version > FormatVersion:
		return 0, fmt.Sprintf("unsupported format version %d (this code reads 1 to %d)", version, FormatVersion)
	case binary.LittleEndian.Uint64(h[8:]) != base:
		return 0, fmt.Sprintf("header names first record %d, file name %d", binary.LittleEndian.Uint64(h[8:]), base)
	}
	return version, ""
}

// appendFrame appends rec framed as record seq, number index (from 0) of its batch; last
// marks the batch's last record. The checksum covers everything after it.
func appendFrame(b []byte, seq uint64, index uint32, last bool, rec []byte) []byte {
	at := len(b)
	word := uint32(len(rec))
	if last {
		word |= lastInBatch
	}
	b = append(b, 0, 0, 0, 0)
	b = binary.LittleEndian.AppendUint32(b, word)
	b = binary.LittleEndian.AppendUint64(b, seq)
	b = binary.LittleEndian.AppendUint32(b, index)
	b = append(b, rec...)
	binary.LittleEndian.PutUint32(b[at:], crc32.Checksum(b[at+4:], castagnoli))
	return b
}

func frameSize(rec []byte) int { return frameHeaderSize + len(rec) }

// errBadFrame is a frame that does not check out; why says how.
type errBadFrame struct{ why string }

func (e *errBadFrame) Error() string { return e.why }

// frame is one record as read from a segment.
type frame struct {
	seq   uint64
	index uint32 // its number in its batch, from 0; 0 in a v1 segment
	last  bool   // the last record of its batch; always in a v1 segment, which has no batches
	rec   []byte
}

// frameReader reads the frames of one segment of the given version, from just after its
// header to end.
type frameReader struct {
	r       *bufio.Reader
	version uint32
	hsize   int64 // frame header size
	off     int64 // file offset of the next frame
	end     int64
	hdr     [frameHeaderSize]byte
	buf     []byte
}

func newFrameReader(f io.ReaderAt, end int64, version uint32) *frameReader {
	hsize := int64(frameHeaderSize)
	if version == 1 {
		hsize = frameHeaderSizeV1
	}
	return &frameReader{
		r:       bufio.NewReaderSize(io.NewSectionReader(f, headerSize, end-headerSize), 64<<10),
		version: version,
		hsize:   hsize,
		off:     headerSize,
		end:     end,
	}
}

// next reads the frame at fr.off. It returns io.EOF at end, *errBadFrame for a frame that
// is short or fails its checksum (fr.off is then still its offset), other errors from the
// file. With skip, the payload is neither checked nor returned. The frame's rec is valid
// until the next call.
func (fr *frameReader) next(skip bool) (fm frame, err error) {
	left := fr.end - fr.off
	if left == 0 {
		return fm, io.EOF
	}
	if left < fr.hsize {
		return fm, &errBadFrame{"short record header"}
	}
	hdr := fr.hdr[:fr.hsize]
	if _, err := io.ReadFull(fr.r, hdr); err != nil {
		return fm, unexpected(err)
	}
	var n int64
	var want uint32
	var covered []byte // the header bytes the checksum covers
	if fr.version == 1 {
		n, want = int64(binary.LittleEndian.Uint32(hdr[0:])), binary.LittleEndian.Uint32(hdr[4:])
		fm.seq, fm.last, covered = binary.LittleEndian.Uint64(hdr[8:]), true, hdr[8:]
	} else {
		word := binary.LittleEndian.Uint32(hdr[4:])
		want, n, fm.last = binary.LittleEndian.Uint32(hdr[0:]), int64(word&^lastInBatch), word&lastInBatch != 0
		fm.seq, fm.index, covered = binary.LittleEndian.Uint64(hdr[8:]), binary.LittleEndian.Uint32(hdr[16:]), hdr[4:]
		if n > MaxRecordBytes {
			return frame{}, &errBadFrame{fmt.Sprintf("record length %d exceeds the maximum", n)}
		}
	}
	if n > left-fr.hsize {
		return frame{}, &errBadFrame{fmt.Sprintf("record of %d bytes runs past the end", n)}
	}
	if skip {
		if _, err := fr.r.Discard(int(n)); err != nil {
			return frame{}, unexpected(err)
		}
		fr.off += fr.hsize + n
		return fm, nil
	}
	if int64(cap(fr.buf)) < n {
		fr.buf = make([]byte, n)
	}
	fm.rec = fr.buf[:n]
	if _, err := io.ReadFull(fr.r, fm.rec); err != nil {
		return frame{}, unexpected(err)
	}
	if crc32.Update(crc32.Checksum(covered, castagnoli), castagnoli, fm.rec) != want {
		return frame{}, &errBadFrame{"checksum mismatch"}
	}
	fr.off += fr.hsize + n
	return fm, nil
}

// unexpected turns an EOF inside a region the caller knows exists into an error: the
// file shrank under the reader.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// findFrameV1 reports the offset in b, a v1 segment's bytes, of the first well-framed
// record with a valid checksum and a sequence number that could follow minSeq, or -1. It
// decides whether damage at the end of a newest v1 segment is a torn write (nothing valid
// after it) or corruption of a record that was followed by acknowledged ones.
func findFrameV1(b []byte, minSeq uint64) int {
	maxSeq := minSeq + uint64(len(b)/frameHeaderSizeV1) // a frame is at least a header long
	for p := 0; p+frameHeaderSizeV1 <= len(b); p++ {
		n := int(binary.LittleEndian.Uint32(b[p:]))
		seq := binary.LittleEndian.Uint64(b[p+8:])
		if seq < minSeq || seq > maxSeq || n > len(b)-p-frameHeaderSizeV1 {
			continue
		}
		if crc32.Checksum(b[p+8:p+frameHeaderSizeV1+n], castagnoli) == binary.LittleEndian.Uint32(b[p+4:]) {
			return p
		}
	}
	return -1
}

// findLaterBatch looks in b, bytes of a v2 segment, for a record of a batch that began
// after record torn: a well-framed record with a valid checksum whose batch's first
// record (its seq minus its index) is above torn, and whose seq is at most maxSeq. It
// returns the record's offset in b and its seq, or -1. The torn batch itself, whose
// first record is torn, never yields one, however many of its records survived; a
// later batch was only written once the torn one was durable, so finding one proves
// that the damage is not a torn write.
func findLaterBatch(b []byte, torn, maxSeq uint64) (int, uint64) {
	for p := 0; p+frameHeaderSize <= len(b); p++ {
		seq := binary.LittleEndian.Uint64(b[p+8:])
		if seq <= torn || seq > maxSeq {
			continue
		}
		index := uint64(binary.LittleEndian.Uint32(b[p+16:]))
		n := int(binary.LittleEndian.Uint32(b[p+4:]) &^ lastInBatch)
		if index >= seq-torn || n > len(b)-p-frameHeaderSize {
			continue
		}
		if crc32.Checksum(b[p+4:p+frameHeaderSize+n], castagnoli) == binary.LittleEndian.Uint32(b[p:]) {
			return p, seq
		}
	}
	return -1, 0
}
