package journal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// buildLog writes records of the given sizes to a fresh CrashFS log in "log" and returns
// the FS, the records, and where each record's frame starts in which segment file.
func buildLog(t *testing.T, segmentBytes int64, sizes ...int) (*CrashFS, [][]byte, []framePos) {
	t.Helper()
	c := NewCrashFS()
	l := mustOpen(t, "log", Options{FS: c, SegmentBytes: segmentBytes})
	var recs [][]byte
	for i, n := range sizes {
		rec := bytes.Repeat([]byte{byte('a' + i%26)}, n)
		mustAppend(t, l, rec)
		recs = append(recs, rec)
	}
	mustClose(t, l)
	var pos []framePos
	for _, name := range segmentFiles(t, c, "log") {
		path := filepath.Join("log", name)
		data, _ := c.ReadFile(path)
		for off := headerSize; off < len(data); {
			n := frameHeaderSize + int(binary.LittleEndian.Uint32(data[off+4:])&^lastInBatch)
			pos = append(pos, framePos{path, off, off + n})
			off += n
		}
	}
	if len(pos) != len(recs) {
		t.Fatalf("buildLog: found %d frames, wrote %d records", len(pos), len(recs))
	}
	return c, recs, pos
}

type framePos struct {
	path       string
	start, end int
}

// checkRecords opens the log and checks that it holds exactly recs.
func checkRecords(t *testing.T, c *CrashFS, recs [][]byte) *Segmented {
	t.Helper()
	l, err := Open("log", Options{FS: c, SegmentBytes: 256})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	got := readAll(t, l, 1)
	if len(got) != len(recs) || l.Last() != uint64(len(recs)) {
		l.Close()
		t.Fatalf("got %d records, Last() %d; want %d", len(got), l.Last(), len(recs))
	}
	for i := range got {
		if !bytes.Equal(got[i].rec, recs[i]) {
			l.Close()
			t.Fatalf("record %d differs", got[i].seq)
		}
	}
	return l
}

// A write torn anywhere inside the last record, possibly followed by zeros or garbage, is
// cut off on open: the earlier records are intact and the sequence continues after them.
func TestTornTail(t *testing.T) {
	c0, recs, pos := buildLog(t, 256, 40, 300, 50, 10, 60, 37)
	last := pos[len(pos)-1]
	data, _ := c0.ReadFile(last.path)
	tails := map[string][]byte{
		"nothing": nil,
		"zeros":   make([]byte, 100),
		"garbage": []byte("\x07\x00\x00\x00garbage that is not a record\xff\xfe"),
		"one":     {1},
	}
	for cut := last.start; cut <= last.end; cut++ {
		for name, tail := range tails {
			if cut == last.end && len(tail) == 0 {
				continue // no damage
			}
			t.Run(fmt.Sprintf("cut%d+%s", cut-last.start, name), func(t *testing.T) {
				c := cloneFS(t, c0)
				damaged := append(bytes.Clone(data[:cut]), tail...)
				if err := c.WriteFile(last.path, damaged); err != nil {
					t.Fatal(err)
				}
				want, kept := recs[:len(recs)-1], last.start
				if cut == last.end {
					want, kept = recs, last.end // only what follows a whole record is damaged
				}
				l := checkRecords(t, c, want)
				if got := l.Stats().TornBytes; got != uint64(len(damaged)-kept) {
					t.Errorf("TornBytes: got %d, want %d", got, len(damaged)-kept)
				}
				if seq := mustAppend(t, l, []byte("after")); seq != uint64(len(want))+1 {
					t.Errorf("Append after recovery: got seq %d, want %d", seq, len(want)+1)
				}
				mustClose(t, l)
				// The cut was made durable and the new record went where the torn one was.
				c.Crash()
				checkRecords(t, c, append(want[:len(want):len(want)], []byte("after"))).Close()
			})
		}
	}
}

// cloneFS copies every durable file of c into a new CrashFS.
func cloneFS(t *testing.T, c *CrashFS) *CrashFS {
	t.Helper()
	n := NewCrashFS()
	n.MkdirAll("log")
	for _, name := range segmentFiles(t, c, "log") {
		data, _ := c.ReadFile(filepath.Join("log", name))
		n.WriteFile(filepath.Join("log", name), data)
	}
	return n
}

// A flipped byte in a record that is followed by good records is corruption, not a torn
// write: open refuses, naming the file and the offset of the damage. That holds in the
// newest segment (where a torn tail is expected) and in an older one (where none is).
func TestMidLogCorruption(t *testing.T) {
	c0, _, pos := buildLog(t, 256, 40, 50, 60, 70, 80, 10, 20, 30, 40, 50, 60)
	newest := pos[len(pos)-1].path
	var inNewest, inOlder framePos
	for i, p := range pos {
		if p.path == newest && i+1 < len(pos) && inNewest.path == "" {
			inNewest = p // followed by at least one good record
		}
		if p.path != newest && (i+1 == len(pos) || pos[i+1].path != p.path) {
			inOlder = p // the last record of an older segment: nothing follows it there
		}
	}
	if inNewest.path == "" || inOlder.path == "" {
		t.Fatalf("layout: want records in several segments, got %v", pos)
	}
	for _, tc := range []struct {
		name string
		p    framePos
	}{{"newest segment", inNewest}, {"older segment", inOlder}} {
		t.Run(tc.name, func(t *testing.T) {
			data, _ := c0.ReadFile(tc.p.path)
			for off := tc.p.start; off < tc.p.end; off++ {
				c := cloneFS(t, c0)
				damaged := bytes.Clone(data)
				damaged[off] ^= 0x20
				c.WriteFile(tc.p.path, damaged)
				l, err := Open("log", Options{FS: c})
				if err == nil {
					l.Close()
					t.Fatalf("flipped byte %d of the record at %d: Open succeeded, want ErrCorrupt", off-tc.p.start, tc.p.start)
				}
				want := fmt.Sprintf("%s offset %d", tc.p.path, tc.p.start)
				if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), want) {
					t.Fatalf("flipped byte %d of the record at %d: got %v, want ErrCorrupt naming %q", off-tc.p.start, tc.p.start, err, want)
				}
			}
		})
	}
}

// Damage to what a crash cannot damage: headers, file names, missing segments.
func TestCorruptLayout(t *testing.T) {
	c0, _, pos := buildLog(t, 256, 100, 100, 100, 100, 100, 100, 100, 100)
	names := segmentFiles(t, c0, "log")
	if len(names) < 3 {
		t.Fatalf("segments: got %d, want at least 3", len(names))
	}
	seg := func(i int) string { return filepath.Join("log", names[i]) }
	lastOfFirst := 0 // the index of the last record of the first segment
	for pos[lastOfFirst+1].path == pos[0].path {
		lastOfFirst++
	}
	for _, tc := range []struct {
		name   string
		damage func(c *CrashFS)
		want   string // in the error
	}{
		{"bad magic", func(c *CrashFS) { flip(c, seg(0), 1) }, seg(0) + " offset 0: not a journal segment"},
		{"bad magic in the newest", func(c *CrashFS) { flip(c, seg(len(names)-1), 0) }, seg(len(names)-1) + " offset 0"},
		{"future version", func(c *CrashFS) { flip(c, seg(1), 4) }, "unsupported format version"},
		{"header base differs from name", func(c *CrashFS) { flip(c, seg(1), 8) }, seg(1) + " offset 0: header names"},
		{"short header in the newest", func(c *CrashFS) {
			c.WriteFile(seg(len(names)-1), []byte("FJNL"))
		}, "short header"},
		{"missing middle segment", func(c *CrashFS) {
			c.Remove(seg(1))
			c.SyncDir("log")
		}, seg(2) + " offset 0: segment starts at record"},
		{"record with the wrong seq", func(c *CrashFS) {
			// A well-framed record with a valid checksum but the seq of its neighbour.
			p := pos[1]
			data, _ := c.ReadFile(p.path)
			rec := appendFrame(nil, 1, 0, true, data[p.start+frameHeaderSize:p.end])
			copy(data[p.start:], rec)
			c.WriteFile(p.path, data)
		}, fmt.Sprintf("%s offset %d: record 1 where 2 belongs", pos[1].path, pos[1].start)},
		{"older segment ends inside a batch", func(c *CrashFS) {
			// Its last record, rewritten valid but not marked last of its batch: a
			// segment is full of complete batches before the next one is created.
			p := pos[lastOfFirst]
			data, _ := c.ReadFile(p.path)
			copy(data[p.start:], appendFrame(nil, uint64(lastOfFirst+1), 0, false, data[p.start+frameHeaderSize:p.end]))
			c.WriteFile(p.path, data)
		}, fmt.Sprintf("%s offset %d: the batch from record %d has no last record", pos[lastOfFirst].path, pos[lastOfFirst].start, lastOfFirst+1)},
		{"record misnumbered in its batch", func(c *CrashFS) {
			p := pos[1]
			data, _ := c.ReadFile(p.path)
			copy(data[p.start:], appendFrame(nil, 2, 1, true, data[p.start+frameHeaderSize:p.end]))
			c.WriteFile(p.path, data)
		}, fmt.Sprintf("%s offset %d: record 2 is number 1 of its batch, want 0", pos[1].path, pos[1].start)},
		{"length beyond the maximum", func(c *CrashFS) {
			p := pos[1]
			data, _ := c.ReadFile(p.path)
			binary.LittleEndian.PutUint32(data[p.start+4:], MaxRecordBytes+1)
			c.WriteFile(p.path, data)
		}, fmt.Sprintf("%s offset %d: record length %d exceeds the maximum", pos[1].path, pos[1].start, MaxRecordBytes+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cloneFS(t, c0)
			tc.damage(c)
			l, err := Open("log", Options{FS: c})
			if err == nil {
				l.Close()
				t.Fatal("Open succeeded, want ErrCorrupt")
			}
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open: got %v, want ErrCorrupt containing %q", err, tc.want)
			}
		})
	}
}

func flip(c *CrashFS, path string, off int) {
	data, _ := c.ReadFile(path)
	data[off] ^= 0x01
	c.WriteFile(path, data)
}

// A segment whose creation did not finish is removed on open; unrelated files stay.
func TestLeftovers(t *testing.T) {
	c, recs, _ := buildLog(t, 1<<20, 10, 20)
	c.WriteFile("log/00000000000000000003.wal.tmp", []byte("FJNL"))
	c.WriteFile("log/checkpoint.json", []byte("{}"))
	checkRecords(t, c, recs).Close()
	names, _ := c.ReadDir("log")
	if fmt.Sprint(names) != "[00000000000000000001.wal checkpoint.json]" {
		t.Errorf("files after Open: %v", names)
	}
}

// fixtureRecords are the records of the checked-in segments, testdata/vN/...1.wal.
var fixtureRecords = [][]byte{[]byte("stock feed 1"), {}, []byte("price feed 2"), bytes.Repeat([]byte{0xAB}, 300)}

func fixturePath(version int) string {
	return filepath.Join("testdata", fmt.Sprintf("v%d", version), segmentName(1))
}

// writeFixture writes the fixture of the current version to a new log in dir: the
// records in the batches [0] [1 2] [3].
func writeFixture(t testing.TB, fsys FS, dir string) []byte {
	t.Helper()
	l := mustOpen(t, dir, Options{FS: fsys})
	mustAppend(t, l, fixtureRecords[0])
	commitBatch(t, l, fixtureRecords[1:3]...)
	mustAppend(t, l, fixtureRecords[3])
	mustClose(t, l)
	f, err := fsys.OpenFile(filepath.Join(dir, segmentName(1)), os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	data := make([]byte, fi.Size())
	if _, err := f.ReadAt(data, 0); err != nil {
		t.Fatal(err)
	}
	return data
}

// The checked-in segment of every format version opens and reads back, and the log goes
// on in a segment of the current version; the current writer still writes its fixture
// byte for byte. -update rewrites the fixture of the current version.
func TestOpenFixture(t *testing.T) {
	for version := 1; version <= FormatVersion; version++ {
		t.Run(fmt.Sprintf("v%d", version), func(t *testing.T) {
			fixture := fixturePath(version)
			if *update && version == FormatVersion {
				data := writeFixture(t, OS, t.TempDir())
				if err := os.MkdirAll(filepath.Dir(fixture), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(fixture, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			data, err := os.ReadFile(fixture)
			if err != nil {
				t.Fatalf("%v (regenerate the current version's with -update)", err)
			}
			if got := binary.LittleEndian.Uint32(data[4:]); got != uint32(version) {
				t.Fatalf("%s: header says version %d", fixture, got)
			}
			switch version {
			case 1:
				// The test's v1 encoder, which the v1 tests build segments with, agrees.
				if enc := segmentV1(1, fixtureRecords...); !bytes.Equal(enc, data) {
					t.Errorf("segmentV1 differs from %s", fixture)
				}
			case FormatVersion:
				if enc := writeFixture(t, NewCrashFS(), "log"); !bytes.Equal(enc, data) {
					t.Errorf("the writer no longer writes %s: format changed without a version bump?\ngot  %x\nwant %x", fixture, enc, data)
				}
			}
			c := NewCrashFS()
			c.MkdirAll("log")
			c.WriteFile(filepath.Join("log", segmentName(1)), data)
			l := checkRecords(t, c, fixtureRecords)
			if version == FormatVersion {
				if n := checkBatches(t, c, "log"); n != 3 {
					t.Errorf("batches: got %d, want 3", n)
				}
			}
			if seq := mustAppend(t, l, []byte("next")); seq != 5 {
				t.Fatalf("Append: got seq %d, want 5", seq)
			}
			mustClose(t, l)
			c.Crash()
			checkRecords(t, c, append(slices.Clone(fixtureRecords), []byte("next"))).Close()
			names := segmentFiles(t, c, "log")
			newest, _ := c.ReadFile(filepath.Join("log", names[len(names)-1]))
			if got := binary.LittleEndian.Uint32(newest[4:]); got != FormatVersion {
				t.Errorf("newest segment %s after an append: version %d, want %d", names[len(names)-1], got, FormatVersion)
			}
			if old, _ := c.ReadFile(filepath.Join("log", names[0])); !bytes.Equal(old, data) {
				t.Errorf("the fixture's segment changed")
			}
		})
	}
}

// Whatever the newest segment holds, Open either refuses it as corrupt or yields a log
// that reads back, takes an append and reopens.
func FuzzOpen(f *testing.F) {
	for version := 1; version <= FormatVersion; version++ {
		if data, err := os.ReadFile(fixturePath(version)); err == nil {
			f.Add(data)
			f.Add(data[:len(data)-5])
			f.Add(append(bytes.Clone(data), make([]byte, 21)...))
			f.Add(zero(data, 60, 90)) // inside the second batch of v2
		}
	}
	f.Add(appendHeader(nil, 1))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := NewCrashFS()
		c.MkdirAll("log")
		path := filepath.Join("log", "00000000000000000001.wal")
		c.WriteFile(path, data)
		l, err := Open("log", Options{FS: c})
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open: %v, want success or ErrCorrupt", err)
			}
			return
		}
		got := readAll(t, l, 1)
		if uint64(len(got)) != l.Last() {
			t.Fatalf("read %d records, Last() is %d", len(got), l.Last())
		}
		seq := mustAppend(t, l, []byte("next"))
		mustClose(t, l)
		l = mustOpen(t, "log", Options{FS: c})
		defer mustClose(t, l)
		if l.Last() != seq {
			t.Fatalf("after append and reopen: Last() %d, want %d", l.Last(), seq)
		}
	})
}
