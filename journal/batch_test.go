package journal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"path/filepath"
	"strings"
	"testing"
)

// commitBatch writes recs as one batch, as the committer does with appends that arrive
// together, and returns the seq of the first. No Append may be in flight.
func commitBatch(t testing.TB, l *Segmented, recs ...[]byte) uint64 {
	t.Helper()
	batch := make([]*request, len(recs))
	for i, rec := range recs {
		batch[i] = &request{rec: rec}
	}
	first, err := l.commit(batch)
	if err != nil {
		t.Fatalf("commit: %v", err)
	}
	return first
}

// frameAt is a v2 frame found in a segment file.
type frameAt struct {
	start, end int
	seq        uint64
	index      uint32
	last       bool
}

// parseFrames decodes the frames of a v2 segment, checking their checksums.
func parseFrames(t testing.TB, data []byte) []frameAt {
	t.Helper()
	if v := binary.LittleEndian.Uint32(data[4:]); v != 2 {
		t.Fatalf("parseFrames: segment of version %d", v)
	}
	var out []frameAt
	for off := headerSize; off < len(data); {
		word := binary.LittleEndian.Uint32(data[off+4:])
		end := off + frameHeaderSize + int(word&^lastInBatch)
		if crc32.Checksum(data[off+4:end], castagnoli) != binary.LittleEndian.Uint32(data[off:]) {
			t.Fatalf("parseFrames: bad checksum at %d", off)
		}
		out = append(out, frameAt{off, end, binary.LittleEndian.Uint64(data[off+8:]),
			binary.LittleEndian.Uint32(data[off+16:]), word&lastInBatch != 0})
		off = end
	}
	return out
}

// checkBatches checks the batch structure of the segments in dir, each record numbered
// in its batch and every segment ending with a batch, and returns the number of batches.
func checkBatches(t testing.TB, fsys FS, dir string) int {
	t.Helper()
	batches := 0
	for _, name := range segmentFiles(t, fsys, dir) {
		f, err := fsys.OpenFile(filepath.Join(dir, name), 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := f.Stat()
		data := make([]byte, fi.Size())
		f.ReadAt(data, 0)
		f.Close()
		var index uint32
		for _, fm := range parseFrames(t, data) {
			if fm.index != index {
				t.Fatalf("%s: record %d is number %d of its batch, want %d", name, fm.seq, fm.index, index)
			}
			index++
			if fm.last {
				batches++
				index = 0
			}
		}
		if index != 0 {
			t.Fatalf("%s ends inside a batch", name)
		}
	}
	return batches
}

// flipAt returns a copy of data with a bit of byte off flipped.
func flipAt(data []byte, off int) []byte {
	d := bytes.Clone(data)
	d[off] ^= 0x20
	return d
}

// zero returns a copy of data with [from, to) zeroed: a page that never reached the disk.
func zero(data []byte, from, to int) []byte {
	d := bytes.Clone(data)
	clear(d[from:to])
	return d
}

// The last batch of the newest segment, torn by a crash in any way — its pages persisted
// in any order — is cut off, even when records of it after the damage survived whole; the
// log ends after the last complete batch, and the next append continues from there. Damage
// followed by a record of a later batch is corruption: the later batch was written only
// once the damaged one was durable.
func TestTornBatch(t *testing.T) {
	rec := func(c byte, n int) []byte { return bytes.Repeat([]byte{c}, n) }
	// Complete batches [r1] [r2 r3], then the batch T = [t1 t2 t3 t4] and, for some
	// cases, a later batch U = [u1 u2].
	build := func(t *testing.T, withU bool) (*CrashFS, string, [][]byte, []frameAt) {
		c := NewCrashFS()
		l := mustOpen(t, "log", Options{FS: c})
		durable := [][]byte{rec('a', 40), rec('b', 30), rec('c', 50)}
		mustAppend(t, l, durable[0])
		commitBatch(t, l, durable[1:]...)
		commitBatch(t, l, rec('t', 100), rec('u', 5), rec('v', 120), rec('w', 60))
		if withU {
			commitBatch(t, l, rec('x', 70), rec('y', 80))
		}
		mustClose(t, l)
		path := filepath.Join("log", segmentName(1))
		data, _ := c.ReadFile(path)
		return c, path, durable, parseFrames(t, data)
	}
	const r3, t1, t2, t3, t4, u1, u2 = 2, 3, 4, 5, 6, 7, 8 // indexes into the frames
	for _, tc := range []struct {
		name   string
		withU  bool
		damage func(data []byte, f []frameAt) []byte
		// corruptAt is the frame whose start the error names, or -1: Open succeeds and
		// the log holds r1..r3.
		corruptAt int
	}{
		{"record zeroed, the batch's later records whole", false, func(d []byte, f []frameAt) []byte {
			return zero(d, f[t2].start, f[t2].end)
		}, -1},
		{"first record damaged, the rest of the batch whole", false, func(d []byte, f []frameAt) []byte {
			return flipAt(d, f[t1].start+frameHeaderSize+3)
		}, -1},
		{"a page across two records lost", false, func(d []byte, f []frameAt) []byte {
			return zero(d, f[t2].start+2, f[t3].start+30)
		}, -1},
		{"every record but the first lost", false, func(d []byte, f []frameAt) []byte {
			return zero(d, f[t2].start, f[t4].end)
		}, -1},
		{"only the last record, which ends the batch, is missing", false, func(d []byte, f []frameAt) []byte {
			return d[:f[t4].start]
		}, -1},
		{"last record torn", false, func(d []byte, f []frameAt) []byte {
			return d[:f[t4].start+frameHeaderSize+7]
		}, -1},
		{"last record zeroed, the size reached the disk", false, func(d []byte, f []frameAt) []byte {
			return zero(d, f[t4].start, f[t4].end)
		}, -1},
		{"header of a record lost, its payload whole", false, func(d []byte, f []frameAt) []byte {
			return zero(d, f[t3].start, f[t3].start+frameHeaderSize)
		}, -1},
		{"seq gap inside the batch", false, func(d []byte, f []frameAt) []byte {
			// A well-framed record with a valid checksum, but not the seq that follows.
			fm := f[t3]
			d = bytes.Clone(d)
			copy(d[fm.start:], appendFrame(nil, fm.seq+5, fm.index, false, d[fm.start+frameHeaderSize:fm.end]))
			return d
		}, -1},
		{"damage, then a complete later batch", true, func(d []byte, f []frameAt) []byte {
			return zero(d, f[t2].start, f[t2].end)
		}, t2},
		{"damage, then a later batch that is torn itself", true, func(d []byte, f []frameAt) []byte {
			return d[:f[u2].start+10]
		}, -1}, // T is whole and complete: only U is torn, and cut
		{"damage, then the first record of a later batch", true, func(d []byte, f []frameAt) []byte {
			return zero(d, f[t2].start, f[t2].end)[:f[u2].start+10]
		}, t2},
		{"damage, then the last record of a later batch", true, func(d []byte, f []frameAt) []byte {
			// What a last-of-batch flag alone cannot tell from t4: u2's number in its
			// batch says that its batch began after T's first record.
			return zero(zero(d, f[t2].start, f[t2].end), f[u1].start, f[u1].end)
		}, t2},
		{"damage in a complete batch, then the torn last batch", false, func(d []byte, f []frameAt) []byte {
			return zero(flipAt(d, f[r3].start+frameHeaderSize), f[t2].start, f[t4].end)
		}, r3},
		{"damage in the end record of a complete batch", true, func(d []byte, f []frameAt) []byte {
			return flipAt(d, f[t4].start+1)
		}, t4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c0, path, durable, frames := build(t, tc.withU)
			if len(frames) != 7+2*btoi(tc.withU) || !frames[t4].last || frames[t4].index != 3 || frames[t3].last {
				t.Fatalf("layout: %+v", frames)
			}
			data, _ := c0.ReadFile(path)
			damaged := tc.damage(data, frames)
			c := NewCrashFS()
			c.MkdirAll("log")
			c.WriteFile(path, damaged)
			if tc.corruptAt >= 0 {
				l, err := Open("log", Options{FS: c})
				if err == nil {
					l.Close()
					t.Fatal("Open succeeded, want ErrCorrupt")
				}
				want := fmt.Sprintf("%s offset %d: ", path, frames[tc.corruptAt].start)
				if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "later batch") {
					t.Fatalf("Open: got %v, want ErrCorrupt naming %q and a later batch", err, want)
				}
				return
			}
			want, cut := durable, frames[t1].start
			if tc.withU {
				want = nil
				for _, fm := range frames[:u1] {
					want = append(want, data[fm.start+frameHeaderSize:fm.end])
				}
				cut = frames[u1].start
			}
			l := checkRecords(t, c, want)
			if got := l.Stats().TornBytes; got != uint64(len(damaged)-cut) {
				t.Errorf("TornBytes: got %d, want %d", got, len(damaged)-cut)
			}
			if seq := mustAppend(t, l, []byte("after")); seq != uint64(len(want))+1 {
				t.Errorf("Append after recovery: got seq %d, want %d", seq, len(want)+1)
			}
			mustClose(t, l)
			// The cut was durable, and the new batch went where the torn one was (unless
			// that segment was full: checkRecords opens with SegmentBytes 256).
			c.Crash()
			checkRecords(t, c, append(want[:len(want):len(want)], []byte("after"))).Close()
			wantSize := cut
			if cut < 256 {
				wantSize += frameHeaderSize + len("after")
			}
			if got, _ := c.ReadFile(path); len(got) != wantSize {
				t.Errorf("segment after the append: %d bytes, want %d", len(got), wantSize)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// appendFrameV1 appends rec framed as record seq in format version 1.
func appendFrameV1(b []byte, seq uint64, rec []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(rec)))
	at := len(b)
	b = append(b, 0, 0, 0, 0)
	b = binary.LittleEndian.AppendUint64(b, seq)
	b = append(b, rec...)
	binary.LittleEndian.PutUint32(b[at:], crc32.Checksum(b[at+4:], castagnoli))
	return b
}

// segmentV1 is a version 1 segment holding recs from record base on.
func segmentV1(base uint64, recs ...[]byte) []byte {
	b := append(magic[:], 1, 0, 0, 0)
	b = binary.LittleEndian.AppendUint64(b, base)
	for i, rec := range recs {
		b = appendFrameV1(b, base+uint64(i), rec)
	}
	return b
}

// Version 1 segments, written before there were batches, are recovered with the rule of
// version 1: in the newest, damage is a torn write only if no valid record follows it.
// The log goes on in a new segment of the current version, even when the newest v1
// segment is empty.
func TestFormatV1(t *testing.T) {
	recs := [][]byte{[]byte("one"), []byte("two"), []byte("three"), bytes.Repeat([]byte("4"), 40), []byte("five"), []byte("six")}
	older, newest := filepath.Join("log", segmentName(1)), filepath.Join("log", segmentName(4))
	plant := func(t *testing.T, newestData []byte) *CrashFS {
		c := NewCrashFS()
		c.MkdirAll("log")
		c.WriteFile(older, segmentV1(1, recs[:3]...))
		c.WriteFile(newest, newestData)
		return c
	}
	whole := segmentV1(4, recs[3:]...)
	pos := func(i int) int { // where record i (from 4) starts in the newest segment
		off := headerSize
		for _, rec := range recs[3 : i-1] {
			off += frameHeaderSizeV1 + len(rec)
		}
		return off
	}
	// goesOn appends to the recovered log and checks it after a crash: the record is in
	// a new segment of the current version, the v1 segments are as recovered.
	goesOn := func(t *testing.T, c *CrashFS, l *Segmented, want [][]byte, segments int) {
		t.Helper()
		seq := mustAppend(t, l, []byte("next"))
		if seq != uint64(len(want))+1 {
			t.Fatalf("Append: got seq %d, want %d", seq, len(want)+1)
		}
		mustClose(t, l)
		c.Crash()
		checkRecords(t, c, append(want[:len(want):len(want)], []byte("next"))).Close()
		names := segmentFiles(t, c, "log")
		if len(names) != segments || names[len(names)-1] != segmentName(seq) {
			t.Fatalf("segments: got %v, want %d ending with %s", names, segments, segmentName(seq))
		}
		data, _ := c.ReadFile(filepath.Join("log", segmentName(seq)))
		if frames := parseFrames(t, data); len(frames) != 1 || !frames[0].last {
			t.Fatalf("new segment: frames %+v", frames)
		}
	}

	t.Run("whole", func(t *testing.T) {
		c := plant(t, whole)
		goesOn(t, c, checkRecords(t, c, recs), recs, 3)
	})
	t.Run("torn tail", func(t *testing.T) {
		c := plant(t, append(bytes.Clone(whole[:pos(6)+frameHeaderSizeV1+1]), 0, 0, 0))
		l := checkRecords(t, c, recs[:5])
		if got, want := l.Stats().TornBytes, uint64(frameHeaderSizeV1+4); got != want {
			t.Errorf("TornBytes: got %d, want %d", got, want)
		}
		goesOn(t, c, l, recs[:5], 3)
	})
	t.Run("damage then a valid record", func(t *testing.T) {
		// In v1 that is corruption, as it always was: there are no batches to say the
		// valid record was not acknowledged.
		c := plant(t, flipAt(whole, pos(5)+frameHeaderSizeV1))
		l, err := Open("log", Options{FS: c})
		if err == nil {
			l.Close()
			t.Fatal("Open succeeded, want ErrCorrupt")
		}
		want := fmt.Sprintf("%s offset %d: checksum mismatch, and a valid record follows at offset %d", newest, pos(5), pos(6))
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), want) {
			t.Fatalf("Open: got %v, want ErrCorrupt containing %q", err, want)
		}
	})
	t.Run("wrong seq", func(t *testing.T) {
		d := bytes.Clone(whole)
		copy(d[pos(5):], appendFrameV1(nil, 9, recs[4]))
		l, err := Open("log", Options{FS: plant(t, d)})
		if err == nil {
			l.Close()
			t.Fatal("Open succeeded, want ErrCorrupt")
		}
		if want := fmt.Sprintf("%s offset %d: record 9 where 5 belongs", newest, pos(5)); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), want) {
			t.Fatalf("Open: got %v, want ErrCorrupt containing %q", err, want)
		}
	})
	t.Run("empty newest", func(t *testing.T) {
		// The empty v1 segment is replaced by an empty one of the current version with
		// the same name.
		c := plant(t, segmentV1(4))
		goesOn(t, c, checkRecords(t, c, recs[:3]), recs[:3], 2)
	})
	t.Run("v2 segment after v1 ones, torn", func(t *testing.T) {
		c := plant(t, whole)
		l := mustOpen(t, "log", Options{FS: c})
		commitBatch(t, l, []byte("b1"), []byte("b2"), []byte("b3"))
		mustClose(t, l)
		path := filepath.Join("log", segmentName(7))
		data, _ := c.ReadFile(path)
		frames := parseFrames(t, data)
		c.WriteFile(path, zero(data, frames[1].start, frames[1].end))
		goesOn(t, c, checkRecords(t, c, recs), recs, 3)
	})
}
