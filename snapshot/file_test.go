package snapshot

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// handCatalog is a small catalog covering every field and section.
func handCatalog() *Catalog {
	c := &Catalog{
		Makes:  []Make{{ID: MakeID("Can-Am"), Name: "Can-Am"}, {ID: MakeID("Yamaha"), Name: "Yamaha"}},
		Models: []Model{{ID: ModelID("Can-Am", "Outlander"), Make: 0, Name: "Outlander", Type: ATV}, {ID: ModelID("Yamaha", "YZF-R1"), Make: 1, Name: "YZF-R1", Type: Motorcycle}},
		Vehicles: []Vehicle{
			{ID: VehicleID("Can-Am", "Outlander", "", 2024), Model: 0, Year: 2024},
			{ID: VehicleID("Can-Am", "Outlander", "X-MR", 2024), Model: 0, Submodel: "X-MR", Year: 2024, EngineCC: 976, Generation: "G2"},
			{ID: VehicleID("Yamaha", "YZF-R1", "", 1998), Model: 1, Year: 1998, EngineCC: 998},
		},
		Brands: []string{"EBC", "K&N"},
		Categories: []Category{
			{ID: CategoryID("Brakes"), Name: "Brakes", Parent: None, Level: 1, Path: "Brakes"},
			{ID: CategoryID("Brakes > Pads"), Name: "Pads", Parent: 0, Level: 2, Path: "Brakes > Pads"},
		},
		Parts: []Part{
			{Number: "FA123", Brand: 0, Name: "Brake pads", Category: 1, OEM: "705601234", Image: "https://img.example.com/fa123.jpg", Names: Translations{{"de", "Bremsbeläge"}, {"sv", "Bromsbelägg"}}},
			{Number: "KN-1", Brand: 1, Name: "Oil filter", Category: None},
			{Number: "UNI-9", Brand: 1, Name: "Cable ties", Category: None, Universal: true},
		},
		Positions: []string{"", "FRONT"},
		Notes:     []string{"", "with electric start"},
	}
	vp := NewPostingsBuilder(3)
	vp.AddSorted([]uint32{1})
	vp.AddSorted([]uint32{0, 1})
	vp.AddSorted(nil)
	c.VehicleParts = vp.Postings()
	pv := NewPostingsBuilder(3)
	pv.AddSorted([]uint32{1})
	pv.AddSorted([]uint32{0, 1})
	pv.AddSorted(nil)
	c.PartVehicles = pv.Postings()
	bv := NewPostingsBuilder(2)
	bv.AddSorted([]uint32{1})
	bv.AddSorted([]uint32{0, 1})
	c.BrandVehicles = bv.Postings()
	c.Details = Details{Offsets: []uint32{0, 0, 2, 2}, Entries: []Detail{{Part: 0, Position: 1, Qty: 2}, {Part: 0, Note: 1}}}
	w := 1.25
	details := []PartDetail{
		{Description: "<p>Sintered</p>", Descriptions: map[string]string{"de": "<p>Gesintert</p>"}, OEM: []OEMRef{{"BRP", "705601234"}}, EAN: "4006381333931", WeightKg: &w, Images: []string{"https://img.example.com/fa123.jpg"}},
		{},
		{CountryOfOrigin: "SE"},
	}
	c.PartDetail = func(i uint32) (PartDetail, error) { return details[i], nil }
	return c
}

func TestWriteOpenRoundTrip(t *testing.T) {
	c := handCatalog()
	path := filepath.Join(t.TempDir(), "c.snap")
	info, err := Write(path, c)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	got, ginfo, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if ginfo.Hash != info.Hash || ginfo.Counts != info.Counts || info.Counts.Links != 3 {
		t.Errorf("Open info: got %+v, want %+v", ginfo, info)
	}
	for _, f := range []struct {
		name      string
		got, want any
	}{
		{"Makes", got.Makes, c.Makes}, {"Models", got.Models, c.Models}, {"Vehicles", got.Vehicles, c.Vehicles},
		{"Brands", got.Brands, c.Brands}, {"Categories", got.Categories, c.Categories}, {"Parts", got.Parts, c.Parts},
		{"Positions", got.Positions, c.Positions}, {"Notes", got.Notes, c.Notes}, {"Details", got.Details, c.Details},
	} {
		if !reflect.DeepEqual(f.got, f.want) {
			t.Errorf("Open(Write(c)).%s: got %+v, want %+v", f.name, f.got, f.want)
		}
	}
	for i := 0; i < c.VehicleParts.Len(); i++ {
		if g, w := got.VehicleParts.Get(i).ToArray(), c.VehicleParts.Get(i).ToArray(); !reflect.DeepEqual(g, w) {
			t.Errorf("VehicleParts.Get(%d): got %v, want %v", i, g, w)
		}
	}
	for i := range c.Parts {
		g, _ := got.PartDetail(uint32(i))
		w, _ := c.PartDetail(uint32(i))
		if !reflect.DeepEqual(g, w) {
			t.Errorf("PartDetail(%d): got %+v, want %+v", i, g, w)
		}
	}
	if d := got.Details.For(1, 0); len(d) != 2 {
		t.Errorf("Details.For(1, 0): got %v, want 2 entries", d)
	}
	if d := got.Details.For(0, 1); d != nil {
		t.Errorf("Details.For(0, 1): got %v, want nil", d)
	}
}

func TestWriteIsDeterministic(t *testing.T) {
	dir := t.TempDir()
	a, err := Write(filepath.Join(dir, "a.snap"), handCatalog())
	if err != nil {
		t.Fatal(err)
	}
	b, err := Write(filepath.Join(dir, "b.snap"), handCatalog())
	if err != nil {
		t.Fatal(err)
	}
	if a.Hash != b.Hash {
		t.Errorf("Write twice: hashes %s and %s differ", a.Hash, b.Hash)
	}
	c := handCatalog()
	c.Parts[0].Name = "Brake pads (sintered)"
	d, _ := Write(filepath.Join(dir, "d.snap"), c)
	if d.Hash == a.Hash {
		t.Errorf("Write(changed catalog): hash did not change")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Errorf("Write left temporary files: %v", entries)
	}
}

// corrupt rewrites one stored value in a snapshot file.
func corrupt(t *testing.T, path string, f func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(f); err != nil {
		t.Fatal(err)
	}
	db.Close()
}

func TestOpenRejectsDamage(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func(tx *bolt.Tx) error
		want string
	}{
		{"format version", func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put([]byte("format"), u32key(99)) }, "format version 99"},
		{"section replaced", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketSections).Bucket([]byte("parts")).Put(u32key(0), zenc.EncodeAll([]byte("garbage"), nil))
		}, "has the wrong size"},
		{"content changed", func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketSections).Bucket([]byte("brands"))
			plain, _ := zdec.DecodeAll(b.Get(u32key(0)), nil)
			plain[len(plain)-1] ^= 1 // same size, different content
			return b.Put(u32key(0), zenc.EncodeAll(plain, nil))
		}, "content hash"},
		{"chunk not zstd", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketSections).Bucket([]byte("makes")).Put(u32key(0), []byte("not zstd"))
		}, "section makes chunk 0"},
		{"section missing", func(tx *bolt.Tx) error { return tx.Bucket(bucketSections).DeleteBucket([]byte("notes")) }, "missing section notes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.snap")
			if _, err := Write(path, handCatalog()); err != nil {
				t.Fatal(err)
			}
			corrupt(t, path, tc.f)
			_, _, err := Open(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrFormat) {
				t.Errorf("Open(%s): got %v, want an ErrFormat naming %q", tc.name, err, tc.want)
			}
		})
	}
	path := filepath.Join(t.TempDir(), "not.snap")
	os.WriteFile(path, []byte("plain text"), 0o644)
	if _, _, err := Open(path); !errors.Is(err, ErrFormat) {
		t.Errorf("Open(text file): got %v, want ErrFormat", err)
	}
}

// TestOpenRefusesBadRecordedSizes: section sizes in info that the stored chunks cannot
// fill are an error, not a slice out of range.
func TestOpenRefusesBadRecordedSizes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		size   int
		chunks int
		extra  bool // store a second chunk
	}{
		{"negative", -1, 1, false},
		{"last chunk left empty", 10, 2, true},
		{"more than the chunks hold", chunkSize + 1, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.snap")
			if _, err := Write(path, handCatalog()); err != nil {
				t.Fatal(err)
			}
			corrupt(t, path, func(tx *bolt.Tx) error {
				var info map[string]any
				meta := tx.Bucket(bucketMeta)
				if err := json.Unmarshal(meta.Get([]byte("info")), &info); err != nil {
					return err
				}
				info["sections"].(map[string]any)["parts"] = map[string]any{"size": tc.size, "chunks": tc.chunks}
				js, _ := json.Marshal(info)
				if tc.extra {
					if err := tx.Bucket(bucketSections).Bucket([]byte("parts")).Put(u32key(1), zenc.EncodeAll([]byte("x"), nil)); err != nil {
						return err
					}
				}
				return meta.Put([]byte("info"), js)
			})
			if _, _, err := Open(path); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "section parts does not match its recorded size") {
				t.Errorf("Open: got %v, want an ErrFormat about the size of parts", err)
			}
		})
	}
}

// TestOpenCorruptPages gives each page of a snapshot file an invalid page type in turn:
// bbolt panics reading such a page, and Open turns that into an error.
func TestOpenCorruptPages(t *testing.T) {
	fixture, err := os.ReadFile(filepath.Join("..", "testdata", "snapshot", "v1.snap"))
	if err != nil {
		t.Fatal(err)
	}
	const pageSize = 4096 // the fixture's; the meta pages (0 and 1) are checksummed
	refused := 0
	for p := 2; p < len(fixture)/pageSize; p++ {
		b := append([]byte(nil), fixture...)
		binary.LittleEndian.PutUint16(b[p*pageSize+8:], 0xff) // the flags of the page header
		path := filepath.Join(t.TempDir(), "c.snap")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, err := Open(path); err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Errorf("page %d: Open: %v, not an ErrFormat", p, err)
			}
			refused++
		}
	}
	if refused == 0 {
		t.Errorf("no corrupt page was refused")
	}
}

// FuzzDecodeSections feeds arbitrary bytes to every table decoder and validates what
// decodes: an error, never a panic.
func FuzzDecodeSections(f *testing.F) {
	good := encodeSections(handCatalog())
	for _, name := range sectionOrder {
		f.Add(name, good[name])
	}
	f.Fuzz(func(t *testing.T, name string, b []byte) {
		s := encodeSections(handCatalog())
		s[name] = b
		c, err := decodeSections(s)
		if err == nil && c == nil {
			t.Fatal("decodeSections: nil catalog without an error")
		}
		if err == nil {
			c.validate()
		}
	})
}

// TestReadInfo: ReadInfo returns the Info that Open returns (fixtures of every version
// and a fresh file), without reading the content: a file whose content no longer matches
// its hash still has its info read; a file that is not a snapshot of a readable version
// is refused as Open refuses it.
func TestReadInfo(t *testing.T) {
	fresh := filepath.Join(t.TempDir(), "c.snap")
	if _, err := Write(fresh, handCatalog()); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{fresh, filepath.Join("..", "testdata", "snapshot", "v1.snap"), filepath.Join("..", "testdata", "snapshot", "v2.snap")} {
		_, want, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ReadInfo(path)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ReadInfo(%s): got %+v, %v; want %+v", path, got, err, want)
		}
		if got.Bytes == 0 || len(got.Sections) != len(sectionOrder) {
			t.Errorf("ReadInfo(%s): %d bytes, %d sections", path, got.Bytes, len(got.Sections))
		}
	}

	_, want, _ := Open(fresh)
	corrupt(t, fresh, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSections).Bucket([]byte("brands"))
		plain, _ := zdec.DecodeAll(b.Get(u32key(0)), nil)
		plain[len(plain)-1] ^= 1
		return b.Put(u32key(0), zenc.EncodeAll(plain, nil))
	})
	if _, _, err := Open(fresh); err == nil {
		t.Fatal("Open of a file with changed content: no error")
	}
	if got, err := ReadInfo(fresh); err != nil || got.Hash != want.Hash || got.Counts != want.Counts {
		t.Errorf("ReadInfo(changed content): got %+v, %v; want the recorded info %+v", got, err, want)
	}

	corrupt(t, fresh, func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put([]byte("format"), u32key(99)) })
	if _, err := ReadInfo(fresh); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "format version 99") {
		t.Errorf("ReadInfo(format 99): got %v, want an ErrFormat naming the version", err)
	}
	corrupt(t, fresh, func(tx *bolt.Tx) error {
		tx.Bucket(bucketMeta).Put([]byte("format"), u32key(FormatVersion))
		return tx.Bucket(bucketMeta).Put([]byte("info"), []byte("{"))
	})
	if _, err := ReadInfo(fresh); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "meta info") {
		t.Errorf("ReadInfo(bad info JSON): got %v, want an ErrFormat naming the meta info", err)
	}
	text := filepath.Join(t.TempDir(), "not.snap")
	os.WriteFile(text, []byte("plain text"), 0o644)
	if _, err := ReadInfo(text); !errors.Is(err, ErrFormat) {
		t.Errorf("ReadInfo(text file): got %v, want ErrFormat", err)
	}
	if _, err := ReadInfo(filepath.Join(t.TempDir(), "missing.snap")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadInfo(missing file): got %v, want os.ErrNotExist", err)
	}
}
