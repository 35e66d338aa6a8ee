package index

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	bindex "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
	"github.com/blevesearch/vellum"
	"github.com/blevesearch/vellum/levenshtein"

	"github.com/fitment/fitment/snapshot"
)

// ErrFormat reports an index directory this code cannot read.
var ErrFormat = errors.New("not a readable text index")

// ErrNoIndex reports a snapshot that names no text index.
var ErrNoIndex = errors.New("snapshot has no text index")

// Index is an open, read-only text index. It is immutable and safe for concurrent use;
// Close it once no search is running.
type Index struct {
	dir    string
	meta   meta
	shards []shard
	an     *analyzers
	langs  []string // language suffixes present, Other included
}

type shard struct {
	base   uint32
	docs   uint32
	seg    segment.Segment
	fields map[string]bool // the fields the shard has
}

// dictionary returns a term dictionary of field, or nil when the shard lacks the field.
// Each search takes its own: a zap dictionary's FST reader keeps the state of its last
// lookup, so one shared by concurrent searches corrupts their lookups (and crashed the
// server under load). The FST itself is loaded once per segment and shared.
func (s *shard) dictionary(field string) segment.TermDictionary {
	if !s.fields[field] {
		return nil
	}
	d, err := s.seg.Dictionary(field)
	if err != nil {
		return nil
	}
	return d
}

// Open opens the index in dir. It maps the segment files and reads their footers and
// field tables; terms and postings are read from the mapping on demand.
func Open(dir string) (*Index, error) {
	b, err := os.ReadFile(filepath.Join(dir, metaFile))
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", dir, ErrFormat, err)
	}
	var m meta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", dir, ErrFormat, err)
	}
	if m.Format != FormatVersion {
		return nil, fmt.Errorf("%s: %w: format %d, this binary reads %d", dir, ErrFormat, m.Format, FormatVersion)
	}
	an, err := newAnalyzers()
	if err != nil {
		return nil, err
	}
	if _, err := levBuilder(1); err != nil { // ~2 ms once per process, not on a first query
		return nil, err
	}
	ix := &Index{dir: dir, meta: m, an: an, langs: m.Languages}
	next := uint32(0)
	for _, sm := range m.Shards {
		if sm.Base != next || sm.Base%(1<<16) != 0 {
			ix.Close()
			return nil, fmt.Errorf("%s: %w: shard %s starts at %d", dir, ErrFormat, sm.File, sm.Base)
		}
		seg, err := zapPlugin.Open(filepath.Join(dir, sm.File))
		if err != nil {
			ix.Close()
			return nil, fmt.Errorf("%s: %w: %v", dir, ErrFormat, err)
		}
		if err := ix.addShard(seg, sm.Base, uint32(sm.Docs)); err != nil {
			seg.Close()
			ix.Close()
			return nil, fmt.Errorf("%s: %w: %s: %v", dir, ErrFormat, sm.File, err)
		}
		next += uint32(sm.Docs)
	}
	if int(next) != m.Parts {
		ix.Close()
		return nil, fmt.Errorf("%s: %w: shards hold %d parts, index.json says %d", dir, ErrFormat, next, m.Parts)
	}
	return ix, nil
}

// addShard adds an open segment holding the parts [base, base+docs).
func (ix *Index) addShard(seg segment.Segment, base, docs uint32) error {
	if seg.Count() != uint64(docs) {
		return fmt.Errorf("%d documents, want %d", seg.Count(), docs)
	}
	s := shard{base: base, docs: docs, seg: seg, fields: map[string]bool{}}
	for _, f := range seg.Fields() {
		if _, err := seg.Dictionary(f); err != nil {
			return fmt.Errorf("field %s: %v", f, err)
		}
		s.fields[f] = true
	}
	ix.shards = append(ix.shards, s)
	return nil
}

// OpenSnapshot opens the text index that the snapshot at snapPath names (Info.TextIndex,
// a directory beside the file) and checks that it was built from that snapshot.
func OpenSnapshot(snapPath string, info snapshot.Info) (*Index, error) {
	dir := snapshot.TextIndexPath(snapPath, info)
	if dir == "" {
		return nil, fmt.Errorf("%s: %w", snapPath, ErrNoIndex)
	}
	ix, err := Open(dir)
	if err != nil {
		return nil, err
	}
	if ix.meta.Catalog != info.Hash || ix.meta.Parts != info.Counts.Parts {
		ix.Close()
		return nil, fmt.Errorf("%s: %w: built for catalog %.12s with %d parts, the snapshot is %s with %d", dir, ErrFormat, ix.meta.Catalog, ix.meta.Parts, info.Version(), info.Counts.Parts)
	}
	return ix, nil
}

// Close unmaps the segment files.
func (ix *Index) Close() error {
	var errs []error
	for _, s := range ix.shards {
		if s.seg != nil {
			errs = append(errs, s.seg.Close())
		}
	}
	ix.shards = nil
	return errors.Join(errs...)
}

// Prewarm reads the segment files once, so that the page cache holds them and the first
// searches do not wait on page faults (about 250 MiB on eu). A server may call it in the
// background after start-up; an index built in memory has nothing to read.
func (ix *Index) Prewarm() error {
	for _, sm := range ix.meta.Shards {
		f, err := os.Open(filepath.Join(ix.dir, sm.File))
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, f)
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// Parts is the number of parts indexed (part ids 0..Parts()-1).
func (ix *Index) Parts() int { return ix.meta.Parts }

// Catalog is the content hash of the snapshot the index was built for (Options.Catalog).
func (ix *Index) Catalog() string { return ix.meta.Catalog }

// Dir is the index directory.
func (ix *Index) Dir() string { return ix.dir }

// postings returns the documents of term in field of shard s, in shard document numbers,
// restricted to within when it is not nil. A returned bitmap may be backed by the
// read-only file mapping: never modify it.
func (s *shard) postings(field, term string, within *roaring.Bitmap) *roaring.Bitmap {
	if term == "" {
		return nil
	}
	d := s.dictionary(field)
	if d == nil {
		return nil
	}
	pl, err := d.PostingsList([]byte(term), nil, nil)
	if err != nil || pl == nil || pl.Count() == 0 {
		return nil
	}
	it := pl.Iterator(false, false, false, nil)
	o, ok := it.(segment.OptimizablePostingsIterator)
	if !ok {
		return nil
	}
	if n, ok := o.DocNum1Hit(); ok {
		if within != nil && !within.Contains(uint32(n)) {
			return nil
		}
		return roaring.BitmapOf(uint32(n))
	}
	bm := o.ActualBitmap()
	if bm == nil || bm.IsEmpty() {
		return nil
	}
	if within != nil {
		bm = roaring.And(bm, within)
		if bm.IsEmpty() {
			return nil
		}
	}
	return bm
}

// expand calls yield with every term of field in shard s that the automaton accepts,
// between start (inclusive) and end (exclusive; nil = no bound).
func (s *shard) expand(field string, a vellum.Automaton, start, end []byte, count bool, yield func(e *bindex.DictEntry) bool) {
	d := s.dictionary(field)
	if d == nil {
		return
	}
	type omit interface {
		AutomatonIteratorOmitCount(a segment.Automaton, start, end []byte) segment.DictionaryIterator
	}
	var it segment.DictionaryIterator
	if o, ok := d.(omit); ok && !count {
		it = o.AutomatonIteratorOmitCount(a, start, end)
	} else {
		it = d.AutomatonIterator(a, start, end)
	}
	for {
		e, err := it.Next()
		if err != nil || e == nil {
			return
		}
		if !yield(e) {
			return
		}
	}
}

// toShard returns the part ids of bm within shard s as its document numbers. With a
// base that is a multiple of 65,536 this only relabels containers.
func (s *shard) toShard(bm *roaring.Bitmap) *roaring.Bitmap {
	if bm == nil {
		return nil
	}
	if s.base == 0 {
		return bm // values past the shard's end never meet its postings
	}
	return roaring.AddOffset64(bm, -int64(s.base))
}

// toParts returns the documents of bm as part ids.
func (s *shard) toParts(bm *roaring.Bitmap) *roaring.Bitmap {
	if bm == nil || s.base == 0 {
		return bm
	}
	return roaring.AddOffset64(bm, int64(s.base))
}

// Levenshtein automaton builders are costly to make (tables for every state) and
// read-only afterwards: one per distance for the process.
var (
	levOnce sync.Once
	lev     [3]*levenshtein.LevenshteinAutomatonBuilder
	levErr  error
)

func levBuilder(d int) (*levenshtein.LevenshteinAutomatonBuilder, error) {
	levOnce.Do(func() {
		for i := 1; i <= 2; i++ {
			lev[i], levErr = levenshtein.NewLevenshteinAutomatonBuilder(uint8(i), true)
			if levErr != nil {
				return
			}
		}
	})
	return lev[d], levErr
}
