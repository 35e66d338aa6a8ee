package index

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/document"
	bindex "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
	zap "github.com/blevesearch/zapx/v17"
	"golang.org/x/sync/errgroup"

	"github.com/fitment/fitment/snapshot"
)

// Doc is the searchable text of one part.
type Doc struct {
	Number   string   // the part number
	OEM      []string // OEM cross-reference numbers (without the OEM brand)
	EAN      []string
	Brand    string
	Category string // the category path, "Brakes > Brake pads > Sintered"
	// Names and Descriptions hold one text per language (ISO 639-1); descriptions may be
	// the snapshot's sanitised HTML.
	Names, Descriptions []snapshot.Translation
}

func (d *Doc) reset() {
	*d = Doc{OEM: d.OEM[:0], EAN: d.EAN[:0], Names: d.Names[:0], Descriptions: d.Descriptions[:0]}
}

// Options tune Build.
type Options struct {
	// Shards is the number of segments built in parallel, one goroutine each; 0 means
	// one per core. Catalogs of fewer than 2×65,536 parts get one shard.
	Shards int
	// BatchSize is the number of documents analysed into one in-memory segment before it
	// is written out; the batches of a shard are merged at the end. 0 means 32,768.
	BatchSize int
	// Catalog is recorded in the index and returned by Index.Catalog, so a reader can
	// check that the index belongs to its snapshot (the snapshot's content hash).
	Catalog string
}

// BuildStats reports what Build did.
type BuildStats struct {
	Docs     int
	Shards   int
	Bytes    int64         // on disk
	Analyse  time.Duration // longest shard's analysis and batch segments
	Merge    time.Duration // longest shard's final merge
	Duration time.Duration
}

// metaFile is the index directory's description, written last.
const metaFile = "index.json"

// FormatVersion is the index directory format this code writes and reads.
//
// History:
//
//	1: index.json + one zap v17 segment per shard; doc number = part id − shard base.
const FormatVersion = 1

type meta struct {
	Format    int         `json:"format"`
	Catalog   string      `json:"catalog"`
	Parts     int         `json:"parts"`
	Languages []string    `json:"languages"` // language fields present (Other included)
	Shards    []shardMeta `json:"shards"`
}

type shardMeta struct {
	File string `json:"file"`
	Base uint32 `json:"base"` // first part id; a multiple of 65,536
	Docs int    `json:"docs"`
}

// Build writes the text index of parts 0..parts-1 to dir, which must not exist. doc
// fills d (reset before each call) with the text of one part; it is called from several
// goroutines at once, for distinct parts, each goroutine in ascending part order. The
// index is written under a temporary name beside dir, fsynced, and renamed into place,
// so dir either does not exist or holds a complete index.
//
// Document numbers are part ids: each shard covers a contiguous range of parts starting
// at a multiple of 65,536 and its documents are numbered in part order (segments are
// built from ordered batches and merged in order), so no mapping is needed at query
// time beyond the shard's base, and moving a bitmap between part ids and a shard's
// document numbers only relabels roaring containers.
func Build(dir string, parts int, doc func(part uint32, d *Doc) error, opts Options) (BuildStats, error) {
	start := time.Now()
	st := BuildStats{Docs: parts}
	if _, err := os.Stat(dir); err == nil {
		return st, fmt.Errorf("%s already exists", dir)
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 32768
	}
	if opts.Shards <= 0 {
		opts.Shards = runtime.GOMAXPROCS(0)
	}
	an, err := newAnalyzers()
	if err != nil {
		return st, err
	}
	var suffix [4]byte
	rand.Read(suffix[:])
	tmp := dir + ".tmp-" + hex.EncodeToString(suffix[:])
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return st, err
	}
	defer os.RemoveAll(tmp) // a no-op once renamed

	m := meta{Format: FormatVersion, Catalog: opts.Catalog, Parts: parts}
	for _, r := range shardRanges(parts, opts.Shards) {
		m.Shards = append(m.Shards, shardMeta{File: fmt.Sprintf("shard-%d.zap", len(m.Shards)), Base: r[0], Docs: int(r[1] - r[0])})
	}
	st.Shards = len(m.Shards)
	langs := make([]map[string]bool, len(m.Shards))
	results := make([]shardResult, len(m.Shards))
	var g errgroup.Group
	for i, sm := range m.Shards {
		g.Go(func() error {
			b := &shardBuilder{an: an, doc: doc, batch: opts.BatchSize, dir: tmp, name: sm.File, langs: map[string]bool{}}
			r, err := b.build(sm.Base, sm.Base+uint32(sm.Docs))
			results[i], langs[i] = r, b.langs
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return st, err
	}
	present := map[string]bool{}
	for i, r := range results {
		st.Analyse = max(st.Analyse, r.analyse)
		st.Merge = max(st.Merge, r.merge)
		for l := range langs[i] {
			present[l] = true
		}
	}
	for _, l := range append(Languages[:len(Languages):len(Languages)], Other) {
		if present[l] {
			m.Languages = append(m.Languages, l)
		}
	}
	mb, _ := json.MarshalIndent(m, "", "  ")
	if err := writeSynced(filepath.Join(tmp, metaFile), mb); err != nil {
		return st, err
	}
	for _, sm := range m.Shards {
		f := filepath.Join(tmp, sm.File)
		if err := os.Chmod(f, 0o644); err != nil { // zap creates segments 0600
			return st, err
		}
		if err := syncPath(f); err != nil {
			return st, err
		}
	}
	if err := syncPath(tmp); err != nil {
		return st, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return st, err
	}
	if err := syncPath(filepath.Dir(dir)); err != nil {
		return st, err
	}
	st.Bytes = dirSize(dir)
	st.Duration = time.Since(start)
	return st, nil
}

// BuildMemory builds the text index of parts 0..parts-1 in memory, as one segment that
// is never written to disk: for small sets that change at run time, such as a tenant's
// own parts. Its ranks compare with those of any other index, so the results of two
// indexes merge by rank. doc is called from the calling goroutine in part order.
func BuildMemory(parts int, doc func(part uint32, d *Doc) error) (*Index, error) {
	an, err := newAnalyzers()
	if err != nil {
		return nil, err
	}
	if _, err := levBuilder(1); err != nil {
		return nil, err
	}
	b := &shardBuilder{an: an, doc: doc, langs: map[string]bool{}}
	b.init()
	docs := make([]bindex.Document, 0, parts)
	for part := uint32(0); part < uint32(parts); part++ {
		b.d.reset()
		if err := doc(part, &b.d); err != nil {
			return nil, fmt.Errorf("part %d: %w", part, err)
		}
		docs = append(docs, b.document(part))
	}
	seg, _, err := zapPlugin.New(docs)
	if err != nil {
		return nil, err
	}
	ix := &Index{an: an, meta: meta{Format: FormatVersion, Parts: parts}}
	for _, l := range append(Languages[:len(Languages):len(Languages)], Other) {
		if b.langs[l] {
			ix.langs = append(ix.langs, l)
		}
	}
	if err := ix.addShard(seg, 0, uint32(parts)); err != nil {
		ix.Close()
		return nil, err
	}
	return ix, nil
}

// shardRanges cuts [0, parts) into at most n ranges whose starts are multiples of 65,536.
func shardRanges(parts, n int) [][2]uint32 {
	const c = 1 << 16
	per := (parts + n - 1) / max(n, 1)
	per = (per + c - 1) / c * c
	if per == 0 {
		per = c
	}
	var out [][2]uint32
	for lo := 0; lo < parts || lo == 0; lo += per {
		out = append(out, [2]uint32{uint32(lo), uint32(min(lo+per, parts))})
		if lo+per >= parts {
			break
		}
	}
	return out
}

type shardResult struct{ analyse, merge time.Duration }

// shardBuilder turns one range of parts into one segment file: batches of documents
// become in-memory zap segments, written out, then merged in order into the final file.
type shardBuilder struct {
	an    *analyzers
	doc   func(uint32, *Doc) error
	batch int
	dir   string
	name  string
	langs map[string]bool

	memos   map[analysis.Analyzer]*memo
	cache   map[sharedKey]sharedFreqs
	names   map[string]bindex.TokenFrequencies // the document's name terms, by language
	key     strings.Builder
	scratch []string
	byLang  []snapshot.Translation
	d       Doc
	docs    []bindex.Document
}

var zapPlugin = &zap.ZapPlugin{}

// Text fields are indexed only: no stored value, no term vectors, no doc values, and no
// frequencies or norms, since ranking is done on bitmaps (search.go), not by scoring.
const indexOnly = bindex.IndexField | bindex.SkipFreqNorm

func (b *shardBuilder) init() {
	b.memos = map[analysis.Analyzer]*memo{}
	b.cache = map[sharedKey]sharedFreqs{}
	b.names = map[string]bindex.TokenFrequencies{}
}

func (b *shardBuilder) build(lo, hi uint32) (shardResult, error) {
	var r shardResult
	start := time.Now()
	b.init()
	var segs []segment.Segment
	var paths []string
	defer func() {
		for _, s := range segs {
			s.Close()
		}
		for _, p := range paths {
			os.Remove(p)
		}
	}()
	for part := lo; part < hi; {
		end := min(hi, part+uint32(b.batch))
		b.docs = b.docs[:0]
		for ; part < end; part++ {
			b.d.reset()
			if err := b.doc(part, &b.d); err != nil {
				return r, fmt.Errorf("part %d: %w", part, err)
			}
			b.docs = append(b.docs, b.document(part))
		}
		s, _, err := zapPlugin.New(b.docs)
		if err != nil {
			return r, err
		}
		p := filepath.Join(b.dir, fmt.Sprintf("%s.%d", b.name, len(paths)))
		err = s.(segment.UnpersistedSegment).Persist(p)
		s.Close()
		if err != nil {
			return r, err
		}
		paths = append(paths, p)
		ps, err := zapPlugin.Open(p)
		if err != nil {
			return r, err
		}
		segs = append(segs, ps)
	}
	clear(b.memos)
	clear(b.cache)
	b.docs = nil
	r.analyse = time.Since(start)
	out := filepath.Join(b.dir, b.name)
	if len(paths) == 1 {
		segs[0].Close()
		segs = nil
		err := os.Rename(paths[0], out)
		paths = nil
		return r, err
	}
	start = time.Now()
	newNums, _, err := zapPlugin.Merge(segs, make([]*roaring.Bitmap, len(segs)), out, nil, nil)
	if err != nil {
		return r, err
	}
	// The merge numbers documents segment after segment, in input order; the index
	// relies on it (doc number = part − base), so check rather than trust.
	next := uint64(0)
	for _, nums := range newNums {
		for _, n := range nums {
			if n != next {
				return r, errors.New("zap merge did not keep document order")
			}
			next++
		}
	}
	if next != uint64(hi-lo) {
		return r, fmt.Errorf("zap merge kept %d of %d documents", next, hi-lo)
	}
	r.merge = time.Since(start)
	return r, nil
}

func (b *shardBuilder) analyzer(an analysis.Analyzer) *memo {
	m := b.memos[an]
	if m == nil {
		m = &memo{an: an, m: map[string]analysis.TokenStream{}}
		b.memos[an] = m
	}
	return m
}

// document maps b.d to a bleve document. Every part gets a document, even one with no
// text, so document numbers stay dense. Its _id (which zap requires) is the decimal
// part id.
//
// Texts are analysed word by word (whitespace-separated) through a memo: the analyzers'
// tokenizer never joins across whitespace and their filters work token by token, so the
// terms are those of the whole text, and a catalog's vocabulary is small. Each field
// gets one bleve field with the token frequencies of all its texts; those of the name,
// brand and category fields are shared by every document with the same text (zap only
// reads them), since thousands of parts share a name.
//
// A description's terms that the name in the same language already has are left out:
// a word found in a name ranks by the name (FieldName or FieldOtherName, both better
// than a description), so the posting would never decide a match or a rank.
func (b *shardBuilder) document(part uint32) bindex.Document {
	d := &b.d
	doc := document.NewDocument(strconv.FormatUint(uint64(part), 10))
	doc.AddIDField()
	add := func(name string, tf bindex.TokenFrequencies, n int) {
		if len(tf) > 0 {
			doc.AddField(&freqField{name: name, tf: tf, n: n})
		}
	}
	terms := func(field string, ts []string) {
		tf := bindex.TokenFrequencies{}
		for _, t := range ts {
			if t != "" && tf[t] == nil {
				tf[t] = &bindex.TokenFreq{Term: []byte(t)}
			}
		}
		add(field, tf, len(tf))
	}
	terms(fieldNumber, []string{NormalizeNumber(d.Number)})
	b.scratch = b.scratch[:0]
	for _, o := range d.OEM {
		b.scratch = append(b.scratch, NormalizeNumber(o))
	}
	terms(fieldOEM, b.scratch)
	b.scratch = b.scratch[:0]
	for _, e := range d.EAN {
		if n, ok := normalizeEAN(e); ok {
			b.scratch = append(b.scratch, n)
		}
	}
	terms(fieldEAN, b.scratch)

	tf, n := b.shared(fieldBrand, b.an.fold, d.Brand)
	add(fieldBrand, tf, n)
	tf, n = b.shared(fieldCategory, b.an.lang["en"], d.Category)
	add(fieldCategory, tf, n)
	// One field per language suffix: languages without an analyzer share Other, and a
	// cached frequency map must never reach zap twice in one document (zap merges a
	// repeated field into its first map).
	b.key.Reset()
	clear(b.names)
	b.byLang = b.byLang[:0]
	for _, t := range d.Names {
		_, suffix := b.an.analyzerFor(t.Lang)
		i := slices.IndexFunc(b.byLang, func(x snapshot.Translation) bool { return x.Lang == suffix })
		if i < 0 {
			b.byLang = append(b.byLang, snapshot.Translation{Lang: suffix, Text: t.Text})
		} else {
			b.byLang[i].Text += "\n" + t.Text
		}
		b.key.WriteString(t.Text)
		b.key.WriteByte('\n')
	}
	for _, t := range b.byLang {
		an, _ := b.an.analyzerFor(t.Lang)
		b.langs[t.Lang] = true
		tf, n := b.shared(nameField(t.Lang), an, t.Text)
		add(nameField(t.Lang), tf, n)
		b.names[t.Lang] = tf
	}
	tf, n = b.shared(fieldNames, b.an.fold, b.key.String())
	add(fieldNames, tf, n)
	b.byLang = b.byLang[:0]
	for _, t := range d.Descriptions {
		_, suffix := b.an.analyzerFor(t.Lang)
		if i := slices.IndexFunc(b.byLang, func(x snapshot.Translation) bool { return x.Lang == suffix }); i >= 0 {
			b.byLang[i].Text += "\n" + plainText(t.Text)
		} else {
			b.byLang = append(b.byLang, snapshot.Translation{Lang: suffix, Text: plainText(t.Text)})
		}
	}
	for _, t := range b.byLang {
		suffix := t.Lang
		an, _ := b.an.analyzerFor(suffix)
		b.langs[suffix] = true
		name := b.names[suffix]
		tf := bindex.TokenFrequencies{}
		n := 0
		m := b.analyzer(an)
		for w := range strings.FieldsSeq(t.Text) {
			for _, tok := range m.Analyze(w) {
				n++
				if name[string(tok.Term)] == nil && tf[string(tok.Term)] == nil {
					tf[string(tok.Term)] = &bindex.TokenFreq{Term: tok.Term}
				}
			}
		}
		add(descField(suffix), tf, n)
	}
	doc.VisitFields(func(f bindex.Field) {
		if f.Name() == "_id" {
			f.Analyze()
		}
	})
	return doc
}

// shared returns the token frequencies of text in field, from the shard's cache.
func (b *shardBuilder) shared(field string, an analysis.Analyzer, text string) (bindex.TokenFrequencies, int) {
	if text == "" {
		return nil, 0
	}
	k := sharedKey{field, text}
	if e, ok := b.cache[k]; ok {
		return e.tf, e.n
	}
	tf := bindex.TokenFrequencies{}
	n := 0
	m := b.analyzer(an)
	for w := range strings.FieldsSeq(text) {
		for _, tok := range m.Analyze(w) {
			n++
			if tf[string(tok.Term)] == nil {
				tf[string(tok.Term)] = &bindex.TokenFreq{Term: tok.Term}
			}
		}
	}
	if len(b.cache) >= sharedMax {
		clear(b.cache)
	}
	b.cache[sharedKey{field, strings.Clone(text)}] = sharedFreqs{tf, n}
	return tf, n
}

const sharedMax = 1 << 16 // cached texts per shard before the cache starts over

type sharedKey struct{ field, text string }

type sharedFreqs struct {
	tf bindex.TokenFrequencies
	n  int
}

// freqField is an indexed-only field whose token frequencies are already known.
type freqField struct {
	name string
	tf   bindex.TokenFrequencies
	n    int
}

func (f *freqField) Name() string                                      { return f.name }
func (f *freqField) ArrayPositions() []uint64                          { return nil }
func (f *freqField) Options() bindex.FieldIndexingOptions              { return indexOnly }
func (f *freqField) Analyze()                                          {}
func (f *freqField) Value() []byte                                     { return nil }
func (f *freqField) NumPlainTextBytes() uint64                         { return 0 }
func (f *freqField) Size() int                                         { return 0 }
func (f *freqField) EncodedFieldType() byte                            { return 't' }
func (f *freqField) AnalyzedLength() int                               { return f.n }
func (f *freqField) AnalyzedTokenFrequencies() bindex.TokenFrequencies { return f.tf }

// CatalogDocs returns the doc function of Build for a catalog: every name (the default
// one in lang) and description, the OEM numbers, the EAN, brand and category path.
func CatalogDocs(c *snapshot.Catalog, lang string) func(part uint32, d *Doc) error {
	return func(part uint32, d *Doc) error {
		p := &c.Parts[part]
		category := ""
		if p.Category != snapshot.None {
			category = c.Categories[p.Category].Path
		}
		det, err := c.PartDetail(part)
		if err != nil {
			return err
		}
		PartDoc(d, lang, p.Number, c.Brands[p.Brand], category, p.Name, p.Names, &det)
		return nil
	}
}

// PartDoc fills d with a part's searchable text, the way CatalogDocs does for the catalog's
// parts (and a tenant's own parts are indexed): its default name and description count as
// lang's unless it has a translation in lang; then every translation, the OEM numbers and
// the EAN.
func PartDoc(d *Doc, lang, number, brand, category, name string, names snapshot.Translations, det *snapshot.PartDetail) {
	d.Number, d.Brand, d.Category = number, brand, category
	if _, ok := names.Get(lang); !ok && name != "" {
		d.Names = append(d.Names, snapshot.Translation{Lang: lang, Text: name})
	}
	d.Names = append(d.Names, names...)
	for _, o := range det.OEM {
		d.OEM = append(d.OEM, o.Number)
	}
	if det.EAN != "" {
		d.EAN = append(d.EAN, det.EAN)
	}
	if det.Description != "" {
		if _, ok := det.Descriptions[lang]; !ok {
			d.Descriptions = append(d.Descriptions, snapshot.Translation{Lang: lang, Text: det.Description})
		}
	}
	for l, t := range det.Descriptions {
		d.Descriptions = append(d.Descriptions, snapshot.Translation{Lang: l, Text: t})
	}
}

func writeSynced(path string, b []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncPath(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

func dirSize(dir string) int64 {
	var n int64
	es, _ := os.ReadDir(dir)
	for _, e := range es {
		if fi, err := e.Info(); err == nil {
			n += fi.Size()
		}
	}
	return n
}
