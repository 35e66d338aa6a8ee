// Package index is the catalog's text index: multilingual part search over names,
// descriptions, brands, categories and part, OEM and EAN numbers, restricted to a set of
// candidate parts (a vehicle's, a tenant's), with every match ranked.
//
// It is built offline next to the snapshot (Build, run by fitctl build; the snapshot's
// info names it and one rename publishes both, see snapshot/FORMAT.md) and opened
// read-only by the server (Open, OpenSnapshot). The format is in FORMAT.md.
//
// # What bleve does here, and what it does not
//
// bleve v2 provides the analysis (one analyzer per language: stop words, elision,
// normalisation, stemming; see Languages) and the storage: each shard is one zap v17
// segment, bleve's own file format, with an FST term dictionary per field and roaring
// postings, memory-mapped at Open. Segments are built with zap's New and Merge from
// batches in part order, so a shard's document numbers are part ids minus the shard's
// base, a multiple of 65,536: no per-query translation, and none of scorch's Builder
// scrambling (it numbers each batch in Go map order).
//
// Queries do not go through bleve's searchers. A term's postings are a roaring bitmap
// in the file (zap's PostingsIterator.ActualBitmap), so a query word is the union of its
// terms' bitmaps, each restricted to the candidates by one roaring And inside the
// evaluation (per term for a sparse candidate set, per word for a dense one), and a
// query is the intersection of its words. This is what scorch does itself for unscored
// term conjunctions ("unadorned" searchers), without the doc-by-doc iteration of the
// searcher tree, which costs 40-70 ns a posting unscored and, scored, walks every posting
// whatever the candidates (search-bleve.md, §2.3). Typos and prefixes expand a word over
// the FST (vellum's Levenshtein automaton, with transpositions), as bleve's fuzzy query
// does.
//
// Ranking is ours, by bitmap buckets (Algolia's and Meilisearch's criteria): an exact
// part, OEM or EAN number first, then the parts holding every word (or, when no
// candidate does, the most words), then fewer typos, then the field (a name in the
// shopper's language, another language's name, brand or category, a description in the
// shopper's language, another's), then more words matched exactly. A Result holds every
// match as a bitmap and its disjoint Buckets in rank order, so a caller counts facets
// over all matches in one pass and pages by (rank, part) cursor however many parts match.
//
// # Concurrency
//
// An Index is immutable: Search and Complete are safe for concurrent use. A Result's
// bitmaps are the caller's, read-only (they may share containers with each other).
// Build runs one goroutine per shard.
package index
