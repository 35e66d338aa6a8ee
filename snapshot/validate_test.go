package snapshot

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// postings builds a Postings of the given member lists (nil: an empty entry).
func postings(lists ...[]uint32) *Postings {
	b := NewPostingsBuilder(len(lists))
	for _, l := range lists {
		b.AddSorted(l)
	}
	return b.Postings()
}

// rawPostings is a Postings of the given serialised entries, taken as they are.
func rawPostings(entries ...[]byte) *Postings {
	p := &Postings{off: []uint64{0}}
	for _, e := range entries {
		p.data = append(p.data, e...)
		p.off = append(p.off, uint64(len(p.data)))
	}
	return p
}

// serial is the portable serialisation of a bitmap of the given members, padded to 8 bytes.
func serial(members ...uint32) []byte {
	bm := roaring.BitmapOf(members...)
	bm.RunOptimize()
	b, _ := bm.ToBytes()
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	return b
}

// arrayBitmap hand-encodes a bitmap of one array container (cookie without runs) holding
// vals as given, sorted or not.
func arrayBitmap(key uint16, vals ...uint16) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 12346)
	b = binary.LittleEndian.AppendUint32(b, 1)
	b = binary.LittleEndian.AppendUint16(b, key)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(vals)-1))
	b = binary.LittleEndian.AppendUint32(b, 16) // the container starts after the offsets
	for _, v := range vals {
		b = binary.LittleEndian.AppendUint16(b, v)
	}
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	return b
}

// runBitmap hand-encodes a bitmap of one run container (no offsets: fewer than 4
// containers) of the given [start, length] runs, declaring card members.
func runBitmap(card uint16, runs ...[2]uint16) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 12347) // one container
	b = append(b, 1)                                  // it is a run container
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint16(b, card-1)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(runs)))
	for _, r := range runs {
		b = binary.LittleEndian.AppendUint16(b, r[0])
		b = binary.LittleEndian.AppendUint16(b, r[1])
	}
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	return b
}

// TestOpenRefusesBrokenInvariants writes handCatalog with one invariant broken (Write
// computes a valid content hash) and checks that Open refuses it, naming the section, the
// row and the problem.
func TestOpenRefusesBrokenInvariants(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(c *Catalog)
		want   string
	}{
		// References.
		{"model→make", func(c *Catalog) { c.Models[1].Make = 7 }, "models row 1: make 7 out of range (2 makes)"},
		{"vehicle→model", func(c *Catalog) { c.Vehicles[2].Model = 4000 }, "vehicles row 2: model 4000 out of range (2 models)"},
		{"part→brand", func(c *Catalog) { c.Parts[1].Brand = 5 }, "parts row 1: brand 5 out of range (2 brands)"},
		{"part→category", func(c *Catalog) { c.Parts[0].Category = 9 }, "parts row 0: category 9 out of range (2 categories)"},
		{"category→parent out of range", func(c *Catalog) { c.Categories[1].Parent = 5 }, "categories row 1: parent 5 out of range (2 categories)"},
		{"category→parent after the child", func(c *Catalog) { c.Categories[0].Parent = 1 }, "categories row 0: parent 1 does not come before its child"},
		{"category level", func(c *Catalog) { c.Categories[1].Level = 3 }, "categories row 1: level 3, want 2"},
		{"detail part", func(c *Catalog) { c.Details.Entries[0].Part = 3 }, "details.entries row 0: part 3 out of range (3 parts)"},
		{"detail position", func(c *Catalog) { c.Details.Entries[0].Position = 7 }, "details.entries row 0: position 7 out of range (2 positions)"},
		{"detail note", func(c *Catalog) { c.Details.Entries[1].Note = 9 }, "details.entries row 1: note 9 out of range (2 notes)"},
		{"details.off length", func(c *Catalog) { c.Details.Offsets = []uint32{0, 0, 2} }, "details.off: 3 offsets, want 4 (vehicles + 1)"},
		{"details.off backwards", func(c *Catalog) { c.Details.Offsets = []uint32{0, 2, 1, 2} }, "details.off row 2: offset 1 is before the previous one, 2"},
		{"details.off short of the entries", func(c *Catalog) { c.Details.Offsets = []uint32{0, 0, 1, 1} }, "details.off row 3: the last offset is 1, want 2"},
		{"details.off not from 0", func(c *Catalog) { c.Details.Offsets = []uint32{1, 1, 2, 2} }, "details.off row 0: offset 1, want 0"},

		// Sort orders and natural keys.
		{"makes order", func(c *Catalog) { c.Makes[0], c.Makes[1] = c.Makes[1], c.Makes[0] }, `makes row 1: not sorted: name "Can-Am" after "Yamaha"`},
		{"makes duplicate", func(c *Catalog) { c.Makes[1].Name = "CAN-AM" }, `makes row 1: duplicate name "CAN-AM"`},
		{"make without models", func(c *Catalog) { c.Makes = append(c.Makes, Make{ID: MakeID("Zündapp"), Name: "Zündapp"}) }, "makes row 2: no models"},
		{"models grouped by make", func(c *Catalog) {
			c.Models = append(c.Models, Model{ID: ModelID("Can-Am", "Zz"), Make: 0, Name: "Zz", Type: ATV})
		}, "models row 2: not sorted: make 0 after make 1"},
		{"models by name within a make", func(c *Catalog) {
			c.Models = append([]Model{c.Models[0], {ID: ModelID("Can-Am", "Alpha"), Make: 0, Name: "Alpha", Type: ATV}}, c.Models[1:]...)
		}, `models row 1: not sorted: name "Alpha" after "Outlander"`},
		{"model without vehicles", func(c *Catalog) {
			c.Models = append(c.Models, Model{ID: ModelID("Yamaha", "Zz"), Make: 1, Name: "Zz", Type: Motorcycle})
		}, "models row 2: no vehicles"},
		{"model type", func(c *Catalog) { c.Models[0].Type = 9 }, "models row 0: type 9 is not 1 to 4"},
		{"vehicles grouped by model", func(c *Catalog) {
			c.Vehicles = append(c.Vehicles, Vehicle{ID: VehicleID("Can-Am", "Outlander", "", 2025), Model: 0, Year: 2025})
		}, "vehicles row 3: not sorted: model 0 after model 1"},
		{"vehicles by year", func(c *Catalog) {
			c.Vehicles = append(c.Vehicles[:2:2], Vehicle{ID: VehicleID("Can-Am", "Outlander", "", 2023), Model: 0, Year: 2023}, c.Vehicles[2])
		}, "vehicles row 2: not sorted: year 2023 after year 2024 of model 0"},
		{"vehicles by submodel", func(c *Catalog) {
			c.Vehicles = append(c.Vehicles[:2:2], Vehicle{ID: VehicleID("Can-Am", "Outlander", "DPS", 2024), Model: 0, Submodel: "DPS", Year: 2024}, c.Vehicles[2])
		}, `vehicles row 2: not sorted: submodel "DPS" after "X-MR"`},
		{"wildcard not first", func(c *Catalog) { c.Vehicles[0], c.Vehicles[1] = c.Vehicles[1], c.Vehicles[0] }, `vehicles row 0: model 0 year 2024 has no wildcard vehicle first (submodel "X-MR")`},
		{"wildcard missing", func(c *Catalog) { c.Vehicles[2].Submodel = "R1M" }, `vehicles row 2: model 1 year 1998 has no wildcard vehicle first (submodel "R1M")`},
		{"vehicle duplicate", func(c *Catalog) {
			c.Vehicles = append(c.Vehicles[:2:2], Vehicle{ID: "vdup", Model: 0, Submodel: " x-mr", Year: 2024}, c.Vehicles[2])
		}, `vehicles row 2: duplicate of row 1: model 0 year 2024 submodel " x-mr"`},
		{"vehicle year", func(c *Catalog) { c.Vehicles[2].Year = 65000 }, "vehicles row 2: year 65000 outside 1900 to 2100"},
		{"brands order", func(c *Catalog) { c.Brands[0], c.Brands[1] = c.Brands[1], c.Brands[0] }, `brands row 1: not sorted: name "EBC" after "K&N"`},
		{"brands duplicate", func(c *Catalog) { c.Brands[1] = "ebc" }, `brands row 1: duplicate name "ebc"`},
		{"categories order", func(c *Catalog) {
			c.Categories = append(c.Categories, Category{ID: CategoryID("Air"), Name: "Air", Parent: None, Level: 1, Path: "Air"})
		}, `categories row 2: not sorted: path "Air" after "Brakes > Pads"`},
		{"parts order", func(c *Catalog) { c.Parts[0], c.Parts[1] = c.Parts[1], c.Parts[0] }, `parts row 1: not sorted: number "FA123" after "KN-1"`},
		{"parts duplicate", func(c *Catalog) { c.Parts[1].Number = "fa123 " }, `parts row 1: duplicate number "fa123 " (row 0 is "FA123")`},
		{"translations order", func(c *Catalog) { c.Parts[0].Names = Translations{{"sv", "x"}, {"de", "y"}} }, `parts row 0: translations not in ascending language order: "de" after "sv"`},
		{"positions row 0", func(c *Catalog) { c.Positions[0] = "REAR" }, `positions row 0: "REAR", want ""`},
		{"notes empty", func(c *Catalog) { c.Notes = nil; c.Details.Entries[1].Note = 0 }, `notes: no rows; row 0 must be ""`},
		{"details by part", func(c *Catalog) { c.Details.Entries[0].Part = 1 }, "details.entries row 1: not sorted: part 0 after part 1 within vehicle 1"},

		// Postings.
		{"vehicle_parts length", func(c *Catalog) { c.VehicleParts = postings([]uint32{1}, []uint32{0, 1}) }, "vehicle_parts.off: 2 entries, want 3 (one per vehicle)"},
		{"part_vehicles length", func(c *Catalog) { c.PartVehicles = postings([]uint32{1}, []uint32{0, 1}, nil, nil) }, "part_vehicles.off: 4 entries, want 3 (one per part)"},
		{"brand_vehicles length", func(c *Catalog) { c.BrandVehicles = postings([]uint32{1}) }, "brand_vehicles.off: 1 entries, want 2 (one per brand)"},
		{"vehicle_parts member", func(c *Catalog) { c.VehicleParts = postings([]uint32{1}, []uint32{0, 1}, []uint32{70000}) }, "vehicle_parts.data row 2: part 70000 out of range (3 parts)"},
		{"part_vehicles member", func(c *Catalog) { c.PartVehicles = postings([]uint32{1}, []uint32{0, 1}, []uint32{3}) }, "part_vehicles.data row 2: vehicle 3 out of range (3 vehicles)"},
		{"brand_vehicles member", func(c *Catalog) { c.BrandVehicles = postings([]uint32{1, 9}, []uint32{0, 1}) }, "brand_vehicles.data row 0: vehicle 9 out of range (3 vehicles)"},
		{"directions differ in size", func(c *Catalog) { c.PartVehicles = postings([]uint32{1}, []uint32{0, 1}, []uint32{2}) }, "part_vehicles.data: 4 links, but vehicle_parts.data has 3"},
		{"directions differ in links", func(c *Catalog) { c.PartVehicles = postings([]uint32{2}, []uint32{0, 1}, nil) }, "part_vehicles.data: not the inverse of vehicle_parts.data (both have 3 links, not the same ones)"},
		{"bitmap not sorted", func(c *Catalog) {
			c.VehicleParts = rawPostings(serial(1), arrayBitmap(0, 1, 0), nil)
		}, "vehicle_parts.data row 1: container 0: value 0 not above the previous one, 1"},
		{"bitmap entry misaligned", func(c *Catalog) {
			unpadded, _ := roaring.BitmapOf(1).ToBytes()
			c.BrandVehicles = rawPostings(unpadded, serial(0, 1))
		}, "brand_vehicles.off row 1: entry at byte 18 is not 8-byte aligned"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := handCatalog()
			tc.mutate(c)
			path := filepath.Join(t.TempDir(), "catalog.snap")
			if _, err := Write(path, c); err != nil {
				t.Fatal(err)
			}
			_, _, err := Open(path)
			var fe *FormatError
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrFormat) || !errors.As(err, &fe) {
				t.Fatalf("Open: got %v, want a FormatError naming %q", err, tc.want)
			}
			if want := "snapshot " + path + ": "; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("Open: got %q, want it to start with %q", err, want)
			}
		})
	}
}

// TestValidateAcceptsEmpty: a catalog without rows (ingest's answer to empty sources) is valid.
func TestValidateAcceptsEmpty(t *testing.T) {
	c := &Catalog{
		VehicleParts: postings(), PartVehicles: postings(), BrandVehicles: postings(),
		Details:   Details{Offsets: []uint32{0}},
		Positions: []string{""}, Notes: []string{""},
	}
	if err := c.validate(); err != nil {
		t.Fatalf("validate(empty catalog): %v", err)
	}
}

// TestDecodeRefusesWideValues: a value too wide for its field is an error, not truncated
// into range (a year of 65536+1998 would read as 1998).
func TestDecodeRefusesWideValues(t *testing.T) {
	for _, tc := range []struct {
		section string
		row     func(e *encbuf)
		want    string
	}{
		{"vehicles", func(e *encbuf) {
			e.str("v1")
			e.uvarint(0)
			e.str("")
			e.uvarint(1<<16 + 1998)
			e.uvarint(0)
			e.str("")
		}, "vehicles row 0: value 67534 does not fit 16 bits"},
		{"models", func(e *encbuf) {
			e.str("md1")
			e.uvarint(1 << 32)
			e.str("M")
			e.byte1(1)
		}, "models row 0: value 4294967296 does not fit 32 bits"},
		{"categories", func(e *encbuf) {
			e.str("c1")
			e.str("C")
			e.uvarint(1<<32 + 1)
			e.byte1(1)
			e.str("C")
		}, "categories row 0: reference 4294967296 does not fit 32 bits"},
	} {
		s := encodeSections(handCatalog())
		var e encbuf
		e.uvarint(1)
		tc.row(&e)
		s[tc.section] = e.b
		_, err := decodeSections(s)
		if err == nil || err.Error() != tc.want {
			t.Errorf("decodeSections(%s): got %v, want %q", tc.section, err, tc.want)
		}
	}
}

// TestCheckBitmap compares checkBitmap with roaring on valid bitmaps of every container
// kind and layout, and checks that it refuses what roaring would read wrong, or panic on
// later.
func TestCheckBitmap(t *testing.T) {
	var dense, runs []uint32 // a bitmap container (key 1); a run container (key 0)
	for x := uint32(0); x < 10000; x += 2 {
		dense = append(dense, 70000+x)
	}
	for x := uint32(0); x < 100; x++ {
		runs = append(runs, x)
	}
	for _, members := range [][]uint32{
		{0}, {1, 5, 65535}, {65536}, dense,
		{0, 1, 2, 3, 4, 100, 101, 102, 1 << 20},                       // runs, fewer than 4 containers: no offsets
		append([]uint32{1 << 17, 1 << 18, 3 << 17, 1 << 19}, runs...), // runs and offsets
		append([]uint32{1, 1 << 17, 1 << 18, 3 << 17}, dense...),      // no runs: offsets
	} {
		b := serial(members...)
		st, err := checkBitmap(b, true, 0, 0)
		bm := roaring.BitmapOf(members...)
		if err != nil || st.card != bm.GetCardinality() || st.max != bm.Maximum() {
			t.Errorf("checkBitmap(%d members up to %d): %+v, %v", len(members), bm.Maximum(), st, err)
		}
		var sum uint64
		for _, x := range members {
			sum += linkHash(uint64(x))
		}
		if st.sum != sum {
			t.Errorf("checkBitmap(%d members): link hash %x, want %x", len(members), st.sum, sum)
		}
	}

	// serial(3, 9): cookie, container count, key and cardinality-1, offset, then the values.
	notSorted := serial(3, 9)
	binary.LittleEndian.PutUint16(notSorted[16:], 9)
	binary.LittleEndian.PutUint16(notSorted[18:], 3)
	wrongCard := serial(dense...)
	binary.LittleEndian.PutUint16(wrongCard[10:], 5000)
	badOffset := serial(1, 2)
	binary.LittleEndian.PutUint32(badOffset[12:], 20)
	twoKeys := serial(1, 65537)
	binary.LittleEndian.PutUint16(twoKeys[12:], 0) // the second key, 1 → 0
	padding := serial(1)
	padding[20] = 1
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"short", []byte{1, 2, 3}, "bitmap of 3 bytes"},
		{"not padded", serial(1)[:20], "bitmap of 20 bytes, want a multiple of 8"},
		{"no cookie", make([]byte, 16), "no roaring cookie"},
		{"no containers", binary.LittleEndian.AppendUint64(nil, 12346), "bitmap of 0 containers"},
		{"keys not ascending", twoKeys, "container 1: key 0 not above the previous one"},
		{"offset", badOffset, "container 0: offset 20, but it starts at 16"},
		{"array not sorted", notSorted, "container 0: value 3 not above the previous one, 9"},
		{"array duplicate", arrayBitmap(0, 4, 4), "container 0: value 4 not above the previous one, 4"},
		{"bitmap cardinality", wrongCard, "container 0: cardinality 5001, but 5000 bits are set"},
		{"bitmap truncated", serial(dense...)[:1024], "container 0 truncated"},
		{"runs overlap", runBitmap(8, [2]uint16{0, 4}, [2]uint16{3, 2}), "container 0: run 1 [3, 5] overlaps"},
		{"runs touch", runBitmap(6, [2]uint16{0, 4}, [2]uint16{5, 0}), "container 0: run 1 [5, 5] overlaps, touches"},
		{"run past the container", runBitmap(11, [2]uint16{65530, 10}), "container 0: run 0 [65530, 65540]"},
		{"run cardinality", runBitmap(3, [2]uint16{0, 4}), "container 0: cardinality 3, but its runs hold 5"},
		{"no runs", runBitmap(1), "container 0: 0 runs"},
		{"trailing bytes", append(serial(1), make([]byte, 8)...), "14 bytes after the bitmap's end"},
		{"padding", padding, "padding after the bitmap is not zero"},
	} {
		if _, err := checkBitmap(tc.b, true, 0, 0); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("checkBitmap(%s): got %v, want %q", tc.name, err, tc.want)
		}
	}
}

// benchSnapshot is $FITMENT_SNAPSHOT, or the small profile's snapshot that the engine's
// benchmarks cache ($TMPDIR/fitment-bench/small-seed1.snap).
func benchSnapshot(b *testing.B) string {
	path := os.Getenv("FITMENT_SNAPSHOT")
	if path == "" {
		path = filepath.Join(os.TempDir(), "fitment-bench", "small-seed1.snap")
	}
	if _, err := os.Stat(path); err != nil {
		b.Skipf("no snapshot at %s (set FITMENT_SNAPSHOT)", path)
	}
	return path
}

// BenchmarkValidate times the checks Open runs after decoding, on a real snapshot.
func BenchmarkValidate(b *testing.B) {
	c, _, err := Open(benchSnapshot(b))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := c.validate(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen times Open (which validates) on a real snapshot.
func BenchmarkOpen(b *testing.B) {
	path := benchSnapshot(b)
	for b.Loop() {
		if _, _, err := Open(path); err != nil {
			b.Fatal(err)
		}
	}
}
