package snapshot

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"
	bolt "go.etcd.io/bbolt"
)

// FormatVersion is the snapshot format this code writes and reads.
//
// History:
//
//	1: bbolt file; meta, sections (zstd chunks) and part_details (zstd blocks of 64 parts).
//	2: meta info names the text index directory published with the file (textIndex).
const FormatVersion = 2

// oldestReadable is the oldest format version Open still reads.
const oldestReadable = 1

// chunkSize bounds one stored value of a section before compression.
const chunkSize = 4 << 20

var (
	bucketMeta     = []byte("meta")
	bucketSections = []byte("sections")
	bucketDetails  = []byte("part_details")
)

// ErrFormat reports a file that is not a snapshot this code can read.
var ErrFormat = errors.New("not a readable snapshot")

// Counts summarises the size of a catalog.
type Counts struct {
	Makes      int `json:"makes"`
	Models     int `json:"models"`
	Vehicles   int `json:"vehicles"`
	Brands     int `json:"brands"`
	Categories int `json:"categories"`
	Parts      int `json:"parts"`
	Links      int `json:"links"` // (vehicle, part) pairs, direct fitments
}

// Info describes one snapshot file.
type Info struct {
	FormatVersion int                    `json:"formatVersion"`
	Hash          string                 `json:"hash"` // hex SHA-256 of the content (FORMAT.md, "Content hash")
	Built         time.Time              `json:"built"`
	Counts        Counts                 `json:"counts"`
	Sections      map[string]sectionInfo `json:"sections"`
	// TextIndex names the text index directory beside the file (package index), ""
	// when there is none (every version-1 file).
	TextIndex string `json:"textIndex,omitempty"`
	Bytes     int64  `json:"-"` // file size
}

type sectionInfo struct {
	Size   int `json:"size"`   // uncompressed bytes
	Chunks int `json:"chunks"` // stored values
}

// Version is the short id of the snapshot's content, as served in X-Catalog-Version.
func (i Info) Version() string {
	if len(i.Hash) < 12 {
		return i.Hash
	}
	return i.Hash[:12]
}

// CountsOf counts the rows of c.
func CountsOf(c *Catalog) Counts {
	links := 0
	for i := 0; i < c.VehicleParts.Len(); i++ {
		if !c.VehicleParts.Empty(i) {
			links += int(c.VehicleParts.Get(i).GetCardinality())
		}
	}
	return Counts{
		Makes: len(c.Makes), Models: len(c.Models), Vehicles: len(c.Vehicles), Brands: len(c.Brands),
		Categories: len(c.Categories), Parts: len(c.Parts), Links: links,
	}
}

var zenc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))

// zdec inflates sections and part-detail blocks. Chunks are at most chunkSize and detail
// blocks far smaller, so a frame that claims more than maxInflate is refused (it is read
// before the content hash is checked: a crafted file must not make Open allocate without
// bound).
var zdec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(maxInflate))

const maxInflate = 4 * chunkSize

// Write stores c as a snapshot at path, without a text index. It writes a temporary
// file beside path, fsyncs it and renames it into place, so a reader never sees a
// half-written snapshot.
func Write(path string, c *Catalog) (Info, error) {
	p, err := Prepare(path, c)
	if err != nil {
		return Info{}, err
	}
	defer p.Abort()
	return p.Publish("")
}

// Pending is a snapshot written under a temporary name and not yet published: its
// content hash is known (Info), so a companion text index can be named after it and
// built before the one rename that publishes both.
type Pending struct {
	path string
	tmp  string
	db   *bolt.DB
	info Info
}

// Prepare writes every section of c to a temporary file beside path. The catalog is not
// read again afterwards, so the caller may release what it no longer needs. Publish or
// Abort the result.
func Prepare(path string, c *Catalog) (*Pending, error) {
	sections := encodeSections(c)
	blocks, err := encodeDetailBlocks(c)
	if err != nil {
		return nil, err
	}
	info := Info{FormatVersion: FormatVersion, Built: time.Now().UTC().Truncate(time.Second),
		Counts: CountsOf(c), Sections: map[string]sectionInfo{}}
	info.Hash = contentHash(sections, blocks)

	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, err
	}
	p := &Pending{path: path, tmp: tmp.Name(), info: info}
	tmp.Close()
	if err := os.Chmod(p.tmp, 0o644); err != nil { // CreateTemp makes it 0600
		p.Abort()
		return nil, err
	}
	p.db, err = bolt.Open(p.tmp, 0o644, &bolt.Options{NoSync: true, NoFreelistSync: true, Timeout: time.Second})
	if err != nil {
		p.Abort()
		return nil, err
	}
	// One transaction per section keeps the dirty pages of a transaction bounded.
	for _, name := range sectionOrder {
		chunks := compressChunks(sections[name])
		p.info.Sections[name] = sectionInfo{Size: len(sections[name]), Chunks: len(chunks)}
		err = p.db.Update(func(tx *bolt.Tx) error {
			root, err := tx.CreateBucketIfNotExists(bucketSections)
			if err != nil {
				return err
			}
			b, err := root.CreateBucket([]byte(name))
			if err != nil {
				return err
			}
			b.FillPercent = 1
			for i, ch := range chunks {
				if err := b.Put(u32key(uint32(i)), ch); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			p.Abort()
			return nil, fmt.Errorf("write section %s: %w", name, err)
		}
	}
	const blocksPerTx = 4096
	for lo := 0; lo < len(blocks) || lo == 0; lo += blocksPerTx {
		hi := min(lo+blocksPerTx, len(blocks))
		comp := compressAll(blocks[lo:hi])
		err = p.db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists(bucketDetails)
			if err != nil {
				return err
			}
			b.FillPercent = 1
			for i, v := range comp {
				if err := b.Put(u32key(uint32(lo+i)), v); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			p.Abort()
			return nil, fmt.Errorf("write part details: %w", err)
		}
		if hi == len(blocks) {
			break
		}
	}
	return p, nil
}

// Info describes the pending snapshot; TextIndex is set by Publish.
func (p *Pending) Info() Info { return p.info }

// Publish records textIndex (the name of a complete, fsynced text index directory beside
// the snapshot, or "" for none) in the snapshot's info, fsyncs the file and renames it
// into place: the one step that publishes the catalog and its text index together.
func (p *Pending) Publish(textIndex string) (Info, error) {
	if p.db == nil {
		return Info{}, errors.New("snapshot already published or aborted")
	}
	if textIndex != "" {
		if filepath.Base(textIndex) != textIndex {
			return Info{}, fmt.Errorf("text index %q: want a name beside the snapshot, not a path", textIndex)
		}
		if st, err := os.Stat(filepath.Join(filepath.Dir(p.path), textIndex)); err != nil || !st.IsDir() {
			return Info{}, fmt.Errorf("text index %q: not a directory beside %s", textIndex, p.path)
		}
	}
	p.info.TextIndex = textIndex
	meta, _ := json.Marshal(p.info)
	db := p.db
	p.db = nil
	err := db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		if err := b.Put([]byte("format"), u32key(FormatVersion)); err != nil {
			return err
		}
		return b.Put([]byte("info"), meta)
	})
	if err == nil {
		err = db.Sync()
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Info{}, err
	}
	if err := syncFile(p.tmp); err != nil {
		return Info{}, err
	}
	if err := os.Rename(p.tmp, p.path); err != nil {
		return Info{}, err
	}
	if err := syncFile(filepath.Dir(p.path)); err != nil {
		return Info{}, err
	}
	st, err := os.Stat(p.path)
	if err != nil {
		return Info{}, err
	}
	p.info.Bytes = st.Size()
	return p.info, nil
}

// Abort removes the temporary file of a snapshot not published; after Publish it does
// nothing.
func (p *Pending) Abort() {
	if p.db != nil {
		p.db.Close()
		p.db = nil
	}
	os.Remove(p.tmp) // a no-op after the rename
}

// TextIndexName returns a fresh name for the text index of the pending snapshot:
// "<snapshot file name>.text-<first 12 hex digits of its hash>-<8 random hex digits>".
// The random part keeps a rebuild of the same content from colliding with the index
// that a running server may still have open.
func (p *Pending) TextIndexName() string {
	var r [4]byte
	rand.Read(r[:])
	return filepath.Base(p.path) + textIndexInfix + p.info.Version() + "-" + hex.EncodeToString(r[:])
}

const textIndexInfix = ".text-"

// TextIndexPath returns the text index directory of the snapshot at path, or "" when
// the snapshot has none.
func TextIndexPath(path string, info Info) string {
	if info.TextIndex == "" {
		return ""
	}
	return filepath.Join(filepath.Dir(path), info.TextIndex)
}

// RemoveTextIndexes removes the text index directories (and unfinished builds) of the
// snapshot at path other than keep: those of earlier builds, once a new snapshot naming
// keep is published. A server that opened an older snapshot keeps its index mapped
// (the files live until unmapped) but must not try to open it afresh.
func RemoveTextIndexes(path, keep string) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	es, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range es {
		if name := e.Name(); strings.HasPrefix(name, base+textIndexInfix) && name != keep {
			errs = append(errs, os.RemoveAll(filepath.Join(dir, name)))
		}
	}
	return errors.Join(errs...)
}

// Open reads a whole snapshot into memory, verifies its content hash and checks that its
// content keeps every invariant of the format the engine relies on (validate; FORMAT.md,
// "What Open checks"): a file that does not is refused with an error naming the section,
// the row and the problem (a *FormatError), and every error of a file that is not a
// readable snapshot wraps ErrFormat. The file is closed before Open returns; the Catalog
// holds no reference to it.
func Open(path string) (*Catalog, Info, error) {
	var stored map[string][][]byte // section → compressed chunks (copied out of the mmap)
	var blocks [][]byte
	info, err := view(path, func(tx *bolt.Tx) error {
		root := tx.Bucket(bucketSections)
		if root == nil {
			return fmt.Errorf("%w: no sections bucket", ErrFormat)
		}
		stored = make(map[string][][]byte, len(sectionOrder))
		for _, name := range sectionOrder {
			b := root.Bucket([]byte(name))
			if b == nil {
				return fmt.Errorf("%w: missing section %s", ErrFormat, name)
			}
			var chunks [][]byte
			if err := b.ForEach(func(k, v []byte) error {
				chunks = append(chunks, append([]byte(nil), v...))
				return nil
			}); err != nil {
				return err
			}
			stored[name] = chunks
		}
		if b := tx.Bucket(bucketDetails); b != nil {
			return b.ForEach(func(k, v []byte) error {
				blocks = append(blocks, append([]byte(nil), v...))
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return nil, info, err
	}

	sections, err := decompressSections(stored, info)
	if err != nil {
		return nil, info, fmt.Errorf("%s: %w", path, err)
	}
	plain, err := decompressAll(blocks)
	if err != nil {
		return nil, info, fmt.Errorf("%s: part details: %w", path, err)
	}
	if h := contentHash(sections, plain); h != info.Hash {
		return nil, info, fmt.Errorf("%s: %w: content hash %s does not match the recorded %s", path, ErrFormat, h[:12], info.Version())
	}
	plain = nil
	c, err := decodeSections(sections)
	if err != nil {
		return nil, info, fmt.Errorf("snapshot %s: %w", path, err)
	}
	if want := (len(c.Parts) + detailBlock - 1) / detailBlock; len(blocks) != want {
		return nil, info, fmt.Errorf("%s: %w: %d part detail blocks, want %d", path, ErrFormat, len(blocks), want)
	}
	if err := c.validate(); err != nil {
		return nil, info, fmt.Errorf("snapshot %s: %w", path, err)
	}
	c.PartDetail = func(i uint32) (PartDetail, error) {
		b, err := zdec.DecodeAll(blocks[i/detailBlock], nil)
		if err != nil {
			return PartDetail{}, err
		}
		return decodeDetail(b, int(i))
	}
	return c, info, nil
}

// ReadInfo reads only the meta info of the snapshot at path (and its size): what Open
// returns as Info, without loading, hashing or validating the content. It is as cheap as
// opening the bbolt file read-only, whatever the catalog's size, so the recorded hash and
// counts are the writer's claims: only Open verifies them.
func ReadInfo(path string) (Info, error) {
	return view(path, nil)
}

// view opens the snapshot at path read-only, reads and checks its meta info (format
// version, info JSON), then runs f, if not nil, in the same read transaction, and closes
// the file. Every error wraps ErrFormat unless it is the file's own (a missing file), and
// names path; a panic of bbolt's on a corrupt page is such an error too.
func view(path string, f func(tx *bolt.Tx) error) (Info, error) {
	var info Info
	st, err := os.Stat(path)
	if err != nil {
		return info, err
	}
	if st.Size() == 0 {
		return info, fmt.Errorf("%s: %w: empty file", path, ErrFormat)
	}
	db, err := bolt.Open(path, 0o444, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return info, fmt.Errorf("%s: %w: %v", path, ErrFormat, err)
	}
	defer db.Close()
	// bbolt panics on some corrupt pages (an invalid page type, a page id past the end):
	// that too is a file refused, not a crash.
	err = func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("%w: corrupt file: %v", ErrFormat, r)
			}
		}()
		return db.View(func(tx *bolt.Tx) error {
			// A file cut short (a copy or a download that stopped) still has valid meta
			// pages, but its mapping ends before its pages do: reading one faults
			// (SIGBUS), past any recover.
			if tx.Size() > st.Size() {
				return fmt.Errorf("%w: truncated: %d bytes, its pages reach %d", ErrFormat, st.Size(), tx.Size())
			}
			if err := readMeta(tx, &info); err != nil {
				return err
			}
			if f != nil {
				return f(tx)
			}
			return nil
		})
	}()
	if err != nil {
		return info, fmt.Errorf("%s: %w", path, err)
	}
	info.Bytes = st.Size()
	return info, nil
}

// readMeta checks the format version in the meta bucket and decodes the info.
func readMeta(tx *bolt.Tx, info *Info) error {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return fmt.Errorf("%w: no meta bucket", ErrFormat)
	}
	if v := meta.Get([]byte("format")); len(v) != 4 || binary.BigEndian.Uint32(v) < oldestReadable || binary.BigEndian.Uint32(v) > FormatVersion {
		got := "unknown"
		if len(v) == 4 {
			got = fmt.Sprint(binary.BigEndian.Uint32(v))
		}
		return fmt.Errorf("%w: format version %s, this binary reads %d to %d", ErrFormat, got, oldestReadable, FormatVersion)
	}
	if err := json.Unmarshal(meta.Get([]byte("info")), info); err != nil {
		return fmt.Errorf("%w: meta info: %v", ErrFormat, err)
	}
	return nil
}

// contentHash is SHA-256 over one line per section in order (name, uncompressed length,
// SHA-256 of its bytes), then the same for the part-detail blocks as one stream (each
// block: length, bytes). It covers uncompressed content only, so it does not depend on the
// compressor or on bbolt's page layout; the digests are computed on every core.
func contentHash(sections map[string][]byte, blocks [][]byte) string {
	digests := make([][sha256.Size]byte, len(sectionOrder)+1)
	parallel(len(digests), func(i int) {
		if i < len(sectionOrder) {
			digests[i] = sha256.Sum256(sections[sectionOrder[i]])
			return
		}
		h := sha256.New()
		var n [8]byte
		for _, b := range blocks {
			binary.LittleEndian.PutUint64(n[:], uint64(len(b)))
			h.Write(n[:])
			h.Write(b)
		}
		h.Sum(digests[i][:0])
	})
	h := sha256.New()
	var n [8]byte
	for i, name := range append(sectionOrder[:len(sectionOrder):len(sectionOrder)], "part_details") {
		size := 0
		if i < len(sectionOrder) {
			size = len(sections[name])
		} else {
			for _, b := range blocks {
				size += 8 + len(b)
			}
		}
		h.Write([]byte(name))
		binary.LittleEndian.PutUint64(n[:], uint64(size))
		h.Write(n[:])
		h.Write(digests[i][:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

func compressChunks(b []byte) [][]byte {
	var parts [][]byte
	for lo := 0; lo < len(b); lo += chunkSize {
		parts = append(parts, b[lo:min(lo+chunkSize, len(b))])
	}
	return compressAll(parts)
}

// parallel runs f(i) for i in [0, n) on every core.
func parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}

func compressAll(in [][]byte) [][]byte {
	out := make([][]byte, len(in))
	parallel(len(in), func(i int) { out[i] = zenc.EncodeAll(in[i], nil) })
	return out
}

func decompressAll(in [][]byte) ([][]byte, error) {
	out := make([][]byte, len(in))
	errs := make([]error, len(in))
	parallel(len(in), func(i int) { out[i], errs[i] = zdec.DecodeAll(in[i], nil) })
	return out, errors.Join(errs...)
}

// decompressSections inflates every section into one buffer of its recorded size, so
// postings payloads start 8-byte aligned (roaring reads them in place).
func decompressSections(stored map[string][][]byte, info Info) (map[string][]byte, error) {
	type job struct {
		name string
		i    int
	}
	var jobs []job
	names := make([]string, 0, len(stored))
	for name := range stored {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make(map[string][]byte, len(stored))
	for _, name := range names {
		// Every chunk but the last is chunkSize bytes: a size that leaves a chunk nothing
		// to fill (or is negative) is an error, not a slice out of range.
		si, ok := info.Sections[name]
		if !ok || si.Chunks != len(stored[name]) || si.Size < 0 || si.Size > si.Chunks*chunkSize ||
			si.Chunks > 0 && si.Size <= (si.Chunks-1)*chunkSize {
			return nil, fmt.Errorf("%w: section %s does not match its recorded size", ErrFormat, name)
		}
		out[name] = make([]byte, si.Size)
		for i := range stored[name] {
			jobs = append(jobs, job{name, i})
		}
	}
	errs := make([]error, len(jobs))
	parallel(len(jobs), func(k int) {
		j := jobs[k]
		dst := out[j.name][j.i*chunkSize:]
		b, err := zdec.DecodeAll(stored[j.name][j.i], dst[:0:min(len(dst), chunkSize)])
		switch {
		case err != nil:
			errs[k] = fmt.Errorf("%w: section %s chunk %d: %v", ErrFormat, j.name, j.i, err)
		case len(b) != min(len(dst), chunkSize) || (len(b) > 0 && &b[0] != &dst[0]):
			errs[k] = fmt.Errorf("%w: section %s chunk %d has the wrong size", ErrFormat, j.name, j.i)
		}
	})
	return out, errors.Join(errs...)
}

func u32key(i uint32) []byte {
	var k [4]byte
	binary.BigEndian.PutUint32(k[:], i)
	return k[:]
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
