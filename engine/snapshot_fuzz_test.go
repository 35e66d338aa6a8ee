package engine_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"maps"
	"path/filepath"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	bolt "go.etcd.io/bbolt"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/gen"
	"github.com/fitment/fitment/ingest"
	"github.com/fitment/fitment/snapshot"
)

// FuzzOpenMutated changes the content of one section of a valid snapshot (or its first
// block of part details) and writes the file back with a content hash that matches, as
// snapshot.Write would: the mutation gets past the checksum, as a bug in a writer would.
// Open must refuse the file with an ErrFormat, or the engine must load the catalog and
// answer queries on it; nothing may panic. The fuzzer's bytes choose the snapshot (the
// hand-made fixture or a generated tiny profile), the section, an offset in it, how many
// bytes from there to drop (or, with cut ≥ 128, as many as it puts in) and the bytes to
// put in their place.
func FuzzOpenMutated(f *testing.F) {
	bases := []*rawSnapshot{readRaw(f, filepath.Join("..", "testdata", "snapshot", "v2.snap")), tinySnapshot(f)}
	names := append(append([]string(nil), sectionOrder...), "part_details")
	for b := range bases {
		for s := range names {
			f.Add(uint8(b), uint8(s), uint16(0), uint8(1), []byte{0xff})
			f.Add(uint8(b), uint8(s), uint16(3), uint8(0), []byte{1})
			f.Add(uint8(b), uint8(s), uint16(17), uint8(4), []byte{})
			f.Add(uint8(b), uint8(s), uint16(9), uint8(128), []byte{0, 0x7f})
		}
	}
	zenc, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	f.Fuzz(func(t *testing.T, base, section uint8, offset uint16, cut uint8, repl []byte) {
		raw := bases[int(base)%len(bases)]
		name := names[int(section)%len(names)]
		sections, blocks := maps.Clone(raw.sections), append([][]byte(nil), raw.blocks...)
		old := raw.blocks[0]
		if name != "part_details" {
			old = raw.sections[name]
		}
		lo := int(offset) % (len(old) + 1)
		hi := min(lo+int(cut%32), len(old))
		if cut >= 128 { // overwrite in place: the length prefixes stay right more often
			hi = min(lo+len(repl), len(old))
		}
		b := append(append(append([]byte(nil), old[:lo]...), repl...), old[hi:]...)
		if name == "part_details" {
			blocks[0] = b
		} else {
			sections[name] = b
		}
		path := filepath.Join(t.TempDir(), "m.snap")
		writeRaw(t, zenc, path, raw.info, sections, blocks)

		cat, info, err := snapshot.Open(path)
		if err != nil {
			if !errors.Is(err, snapshot.ErrFormat) {
				t.Fatalf("Open: %v, not an ErrFormat", err)
			}
			return
		}
		queryAll(t, cat, info.Version())
	})
}

// queryAll loads cat into an engine and asks it the queries a storefront starts with, for
// a tenant subscribed to every brand and one that activated a part of a brand it does not
// subscribe to. Answers and errors do not matter here, only that nothing panics.
func queryAll(t *testing.T, cat *snapshot.Catalog, version string) {
	e := engine.New()
	e.Restore("all", engine.TenantState{Brands: cat.Brands})
	if len(cat.Parts) > 0 {
		e.Restore("one", engine.TenantState{Items: []engine.ItemState{{Number: cat.Parts[0].Number, Active: engine.Activated}}})
	}
	e.Load(cat, version)
	var vehicles, parts []string
	for _, i := range []int{0, len(cat.Vehicles) - 1} {
		if i >= 0 {
			vehicles = append(vehicles, cat.Vehicles[i].ID)
		}
	}
	for _, i := range []int{0, len(cat.Parts) - 1} {
		if i >= 0 {
			parts = append(parts, cat.Parts[i].Number)
		}
	}
	for _, tenant := range []string{"all", "one"} {
		v, err := e.View(tenant)
		if err != nil {
			continue
		}
		v.Years(engine.Filter{})
		for _, mk := range v.Makes(engine.Filter{}) {
			for _, md := range v.Models(engine.Filter{MakeID: mk.ID}) {
				v.Vehicles(engine.Filter{ModelID: md.ID})
			}
		}
		v.Categories()
		for _, veh := range vehicles {
			v.Parts(veh, engine.PartsQuery{IncludeUniversal: true})
			v.FitsMany(veh, parts)
		}
		for _, n := range parts {
			v.PartVehicles(n)
			v.Part(n, "de")
			for _, veh := range vehicles {
				v.Fits(n, veh)
			}
		}
	}
}

// rawSnapshot is a snapshot file's content: its info and the uncompressed sections and
// part-detail blocks.
type rawSnapshot struct {
	info     rawInfo
	sections map[string][]byte
	blocks   [][]byte
}

// rawInfo is snapshot.Info as stored (FORMAT.md, "Container").
type rawInfo struct {
	FormatVersion int                       `json:"formatVersion"`
	Hash          string                    `json:"hash"`
	Built         time.Time                 `json:"built"`
	Counts        snapshot.Counts           `json:"counts"`
	Sections      map[string]rawSectionInfo `json:"sections"`
}

type rawSectionInfo struct {
	Size   int `json:"size"`
	Chunks int `json:"chunks"`
}

// sectionOrder is the hash order of FORMAT.md, "Sections, in hash order".
var sectionOrder = []string{
	"makes", "models", "vehicles", "brands", "categories", "parts",
	"positions", "notes",
	"vehicle_parts.off", "vehicle_parts.data",
	"part_vehicles.off", "part_vehicles.data",
	"brand_vehicles.off", "brand_vehicles.data",
	"details.off", "details.entries",
}

const chunkSize = 4 << 20

// tinySnapshot writes the snapshot of the generated tiny profile.
func tinySnapshot(f *testing.F) *rawSnapshot {
	p, _ := gen.ProfileByName("tiny")
	dir := f.TempDir()
	if _, err := gen.Generate(p, 1, dir, gen.DefaultOptions()); err != nil {
		f.Fatal(err)
	}
	cat, _, err := ingest.Build(dir, ingest.Options{MaxRejects: -1})
	if err != nil {
		f.Fatal(err)
	}
	path := filepath.Join(dir, "tiny.snap")
	if _, err := snapshot.Write(path, cat); err != nil {
		f.Fatal(err)
	}
	return readRaw(f, path)
}

// readRaw reads a snapshot file's content and checks that the content hash of FORMAT.md
// computes as recorded, so that writeRaw's files pass Open's check.
func readRaw(f *testing.F, path string) *rawSnapshot {
	db, err := bolt.Open(path, 0o444, &bolt.Options{ReadOnly: true})
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	dec, _ := zstd.NewReader(nil)
	defer dec.Close()
	raw := &rawSnapshot{sections: map[string][]byte{}}
	err = db.View(func(tx *bolt.Tx) error {
		if err := json.Unmarshal(tx.Bucket([]byte("meta")).Get([]byte("info")), &raw.info); err != nil {
			return err
		}
		for _, name := range sectionOrder {
			var b []byte
			if err := tx.Bucket([]byte("sections")).Bucket([]byte(name)).ForEach(func(_, v []byte) error {
				chunk, err := dec.DecodeAll(v, nil)
				b = append(b, chunk...)
				return err
			}); err != nil {
				return err
			}
			raw.sections[name] = b
		}
		return tx.Bucket([]byte("part_details")).ForEach(func(_, v []byte) error {
			block, err := dec.DecodeAll(v, nil)
			raw.blocks = append(raw.blocks, block)
			return err
		})
	})
	if err != nil {
		f.Fatalf("%s: %v", path, err)
	}
	if h := contentHash(raw.sections, raw.blocks); h != raw.info.Hash {
		f.Fatalf("%s: content hash computed as FORMAT.md says is %s, the file records %s", path, h, raw.info.Hash)
	}
	if len(raw.blocks) == 0 {
		f.Fatalf("%s: no part details", path)
	}
	return raw
}

// writeRaw writes sections and blocks as a snapshot file (FORMAT.md, "Container") whose
// info is info with the content hash and section sizes of what it holds.
func writeRaw(t *testing.T, zenc *zstd.Encoder, path string, info rawInfo, sections map[string][]byte, blocks [][]byte) {
	info.Hash = contentHash(sections, blocks)
	info.Sections = map[string]rawSectionInfo{}
	db, err := bolt.Open(path, 0o644, &bolt.Options{NoSync: true, NoFreelistSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		root, err := tx.CreateBucket([]byte("sections"))
		if err != nil {
			return err
		}
		for _, name := range sectionOrder {
			b, err := root.CreateBucket([]byte(name))
			if err != nil {
				return err
			}
			s := sections[name]
			n := 0
			for lo := 0; lo < len(s); lo += chunkSize {
				if err := b.Put(u32key(n), zenc.EncodeAll(s[lo:min(lo+chunkSize, len(s))], nil)); err != nil {
					return err
				}
				n++
			}
			info.Sections[name] = rawSectionInfo{Size: len(s), Chunks: n}
		}
		b, err := tx.CreateBucket([]byte("part_details"))
		if err != nil {
			return err
		}
		for i, block := range blocks {
			if err := b.Put(u32key(i), zenc.EncodeAll(block, nil)); err != nil {
				return err
			}
		}
		meta, err := tx.CreateBucket([]byte("meta"))
		if err != nil {
			return err
		}
		js, err := json.Marshal(info)
		if err != nil {
			return err
		}
		if err := meta.Put([]byte("format"), u32key(info.FormatVersion)); err != nil {
			return err
		}
		return meta.Put([]byte("info"), js)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func u32key(i int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(i)) }

// contentHash is FORMAT.md's "Content hash": one line per section in hash order (name,
// uncompressed length as uint64 LE, SHA-256 of the bytes), then one for the part details,
// every block preceded by its length.
func contentHash(sections map[string][]byte, blocks [][]byte) string {
	h := sha256.New()
	line := func(name string, size int, sum []byte) {
		h.Write([]byte(name))
		h.Write(binary.LittleEndian.AppendUint64(nil, uint64(size)))
		h.Write(sum)
	}
	for _, name := range sectionOrder {
		sum := sha256.Sum256(sections[name])
		line(name, len(sections[name]), sum[:])
	}
	var details bytes.Buffer
	for _, b := range blocks {
		details.Write(binary.LittleEndian.AppendUint64(nil, uint64(len(b))))
		details.Write(b)
	}
	sum := sha256.Sum256(details.Bytes())
	line("part_details", details.Len(), sum[:])
	return hex.EncodeToString(h.Sum(nil))
}
