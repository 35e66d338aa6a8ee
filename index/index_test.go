package index

import (
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// TestDocumentNumbersArePartIDs reads the stored _id of documents on both sides of the
// shard boundary: the index's only mapping from document numbers to parts is the shard
// base.
func TestDocumentNumbersArePartIDs(t *testing.T) {
	r := refIndex(t)
	if len(r.ix.shards) != 2 || r.ix.shards[1].base != 1<<16 {
		t.Fatalf("reference index: %d shards, want 2 split at 65,536", len(r.ix.shards))
	}
	for _, part := range []uint32{0, 1, 12345, 65535, 65536, 65537, refParts - 1} {
		s := &r.ix.shards[0]
		if part >= r.ix.shards[1].base {
			s = &r.ix.shards[1]
		}
		id, err := s.seg.DocID(uint64(part - s.base))
		if err != nil || string(id) != strconv.Itoa(int(part)) {
			t.Errorf("part %d: document %d of shard at %d has _id %q, %v", part, part-s.base, s.base, id, err)
		}
	}
}

func TestComplete(t *testing.T) {
	docs := []Doc{
		{Names: names("de", "Bremsbeläge vorne")},
		{Names: names("de", "Bremsbeläge hinten")},
		{Names: names("de", "Bremsscheibe")},
		{Names: names("sv", "Bromsbelägg")},
	}
	ix := handIndex(t, docs, Options{})
	for _, tc := range []struct {
		prefix string
		cands  *roaring.Bitmap
		want   []Term
	}{
		{"brem", nil, []Term{{"bremsbelage", 2}, {"bremsscheibe", 1}}},
		{"Bremsb", nil, []Term{{"bremsbelage", 2}}},
		{"BR", nil, []Term{{"bremsbelage", 2}, {"bremsscheibe", 1}, {"bromsbelagg", 1}}},
		{"brem", roaring.BitmapOf(1, 2), []Term{{"bremsbelage", 1}, {"bremsscheibe", 1}}},
		{"brem", roaring.BitmapOf(3), nil},
		{"x", nil, nil},
	} {
		got := ix.Complete(tc.prefix, 10, tc.cands)
		if !slices.Equal(got, tc.want) {
			t.Errorf("Complete(%q, %v): got %v, want %v", tc.prefix, tc.cands, got, tc.want)
		}
	}
	if got := ix.Complete("b", 1, nil); len(got) != 1 || got[0].Text != "bremsbelage" {
		t.Errorf("Complete(b, limit 1): got %v", got)
	}
}

func TestBuildAndOpenErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "idx")
	docs := []Doc{{Number: "A1", Names: names("en", "Oil filter")}}
	fill := func(p uint32, d *Doc) error { *d = docs[p]; return nil }
	if _, err := Build(dir, 1, fill, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Build(dir, 1, fill, Options{}); err == nil {
		t.Errorf("Build over an existing index: no error")
	}
	if _, err := Build(filepath.Join(filepath.Dir(dir), "x"), 1, func(uint32, *Doc) error { return os.ErrInvalid }, Options{}); err == nil {
		t.Errorf("Build with a failing doc source: no error")
	}
	if es, _ := os.ReadDir(filepath.Dir(dir)); len(es) != 1 {
		t.Errorf("Build left %d entries beside the index, want only it", len(es))
	}
	meta := filepath.Join(dir, metaFile)
	b, _ := os.ReadFile(meta)
	for _, bad := range []string{`{"format": 99}`, `{`, string(b[:len(b)/2])} {
		os.WriteFile(meta, []byte(bad), 0o644)
		if ix, err := Open(dir); err == nil {
			ix.Close()
			t.Errorf("Open with index.json %q: no error", bad)
		}
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Errorf("Open of a missing directory: no error")
	}
}

// TestBuildMemoryMatchesDisk: an index built in memory answers as one built on disk.
func TestBuildMemoryMatchesDisk(t *testing.T) {
	r := refIndex(t)
	docs := r.docs[:9000]
	fill := func(p uint32, d *Doc) error { *d = docs[p]; return nil }
	mem, err := BuildMemory(len(docs), fill)
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	disk := handIndex(t, docs, Options{BatchSize: 1000})
	rng := rand.New(rand.NewPCG(r.seed, 13))
	for _, q := range refQueries(rng, docs, 40) {
		want := rankMap(disk.Search(q))
		if got := rankMap(mem.Search(q)); !maps.Equal(got, want) {
			t.Errorf("Search(%q): the memory index gives %d ranked parts, the disk index %d", q.Text, len(got), len(want))
		}
	}
}

func TestPrewarm(t *testing.T) {
	r := refIndex(t)
	if err := r.ix.Prewarm(); err != nil {
		t.Errorf("Prewarm: %v", err)
	}
}

func TestResultAddAndMerge(t *testing.T) {
	text := textRank(0, FieldName, 0)
	worse := textRank(1, FieldName, 0)
	r := &Result{Matches: roaring.BitmapOf(1, 2, 3, 4), Buckets: []Bucket{
		{Rank: TierRank(TierPartNumber), Parts: roaring.BitmapOf(1)},
		{Rank: text, Parts: roaring.BitmapOf(2, 3)},
		{Rank: worse, Parts: roaring.BitmapOf(4)},
	}}
	r.Add(TierRank(TierAlias), roaring.BitmapOf(1, 3, 9)) // 1 stays a part number, 3 and 9 become aliases
	own := &Result{Matches: roaring.BitmapOf(0, 4), Buckets: []Bucket{{Rank: text, Parts: roaring.BitmapOf(0, 4)}}}
	r.Merge(own, 100)                 // own parts 0 and 4 are 100 and 104
	r.Add(worse, roaring.BitmapOf(2)) // already better
	want := map[uint32]Rank{1: TierRank(TierPartNumber), 3: TierRank(TierAlias), 9: TierRank(TierAlias), 2: text, 100: text, 104: text, 4: worse}
	if got := rankMap(r); !maps.Equal(got, want) {
		t.Errorf("after Add and Merge: got %v, want %v", got, want)
	}
	if r.Matches.GetCardinality() != uint64(len(want)) {
		t.Errorf("Matches: %v", r.Matches)
	}
	for i := 1; i < len(r.Buckets); i++ {
		if r.Buckets[i].Rank <= r.Buckets[i-1].Rank {
			t.Errorf("buckets out of order: %v after %v", r.Buckets[i].Rank, r.Buckets[i-1].Rank)
		}
	}
}
