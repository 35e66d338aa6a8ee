package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/fitment/fitment/snapshot"
)

func init() {
	commands["diff"] = command{summary: "compare two snapshots: parts, vehicles and fitment links added, removed or changed, per brand", run: runDiff}
}

// changedCovers says what makes a part "changed"; it is printed with every diff.
const changedCovers = "a part in both snapshots (matched by snapshot.Key of its number) is changed when its " +
	"number's spelling, brand name, name, translated names, category path, primary OEM number, primary image " +
	"or universal flag differ; its detail record (description, OEM references, EAN, dimensions, images, manual) " +
	"and its fitment attributes (position, qty, notes) are not compared"

// diffCounts are the differences of one brand, or of all.
type diffCounts struct {
	PartsAdded   int   `json:"partsAdded"`
	PartsRemoved int   `json:"partsRemoved"`
	PartsChanged int   `json:"partsChanged"`
	LinksAdded   int64 `json:"linksAdded"`
	LinksRemoved int64 `json:"linksRemoved"`
}

func (d *diffCounts) add(o diffCounts) {
	d.PartsAdded += o.PartsAdded
	d.PartsRemoved += o.PartsRemoved
	d.PartsChanged += o.PartsChanged
	d.LinksAdded += o.LinksAdded
	d.LinksRemoved += o.LinksRemoved
}

func (d diffCounts) zero() bool { return d == diffCounts{} }

type brandDiff struct {
	Brand string `json:"brand"`
	diffCounts
}

type diffSide struct {
	File     string `json:"file"`
	Version  string `json:"version"`
	Parts    int    `json:"parts"`
	Vehicles int    `json:"vehicles"`
	Links    int    `json:"links"`
}

// diffOut is what diff prints, as a table or (--json) as one JSON object.
type diffOut struct {
	Old           diffSide `json:"old"`
	New           diffSide `json:"new"`
	Brand         string   `json:"brand,omitempty"` // the --brand filter, as given
	ChangedCovers string   `json:"changedCovers"`
	// Brands holds every brand with a difference, sorted by name; a part counts under
	// its brand in the new snapshot (the old one for a removed part).
	Brands   []brandDiff `json:"brands"`
	Total    diffCounts  `json:"total"`
	Vehicles struct {
		Added   int `json:"added"`
		Removed int `json:"removed"`
	} `json:"vehicles"` // the whole catalog's, matched by vehicle id; not per brand
	// VehicleOrderSame: both snapshots have the same vehicles in the same rows, so the
	// fitment bitmaps were compared without translating vehicle indexes.
	VehicleOrderSame bool `json:"vehicleOrderSame"`
}

func runDiff(args []string) error {
	fs := flag.NewFlagSet("diff", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print one JSON object instead of a table")
	brand := fs.String("brand", "", "report only the parts of this brand (compared by snapshot.Key)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: fitctl diff [--json] [--brand B] OLD NEW\n\n"+
			"Reports, per brand and in total, the parts added, removed and changed and the fitment\n"+
			"links added and removed from snapshot OLD to NEW, and the vehicles added and removed.\n"+
			"Exits 0 whether or not the snapshots differ (1 on an error, e.g. an unreadable file).\n\n")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		fs.Usage()
		return fmt.Errorf("want two snapshot files, OLD and NEW; got %d arguments", len(pos))
	}
	start := time.Now()
	var cats [2]*snapshot.Catalog
	var infos [2]snapshot.Info
	var errs [2]error
	var wg sync.WaitGroup
	for i := range pos {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cats[i], infos[i], errs[i] = snapshot.Open(pos[i])
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return fmt.Errorf("open snapshot: %w", err)
		}
	}
	loaded := time.Now()
	out, err := diffCatalogs(cats[0], cats[1], *brand)
	if err != nil {
		return err
	}
	for i, s := range []*diffSide{&out.Old, &out.New} {
		*s = diffSide{File: pos[i], Version: infos[i].Version(), Parts: len(cats[i].Parts),
			Vehicles: len(cats[i].Vehicles), Links: infos[i].Counts.Links}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(out)
	} else {
		err = out.writeText(stdout)
	}
	fmt.Fprintf(os.Stderr, "diffed in %.3fs (snapshots loaded in %.3fs)\n", time.Since(loaded).Seconds(), loaded.Sub(start).Seconds())
	return err
}

// diffChunkParts is the fewest old parts a range of the merge walk has (a variable for
// the tests, which split the tiny catalog into many ranges).
var diffChunkParts = 1024

// diffCatalogs compares a (old) with b (new). Parts are matched by Key(Number) in one
// merge walk (both tables are sorted by it), split into ranges that every core walks in
// turn; vehicles by id, through a table translating a's vehicle rows to b's computed
// once. A matched part's fitment bitmaps are compared as stored (their bytes, then the
// sets) when no vehicle row moved, otherwise after translating a's.
func diffCatalogs(a, b *snapshot.Catalog, brand string) (*diffOut, error) {
	out := &diffOut{Brand: brand, ChangedCovers: changedCovers, Brands: []brandDiff{}}

	// Brands of both, by Key: a part's brand is a row of this union.
	var names []string
	union := map[string]int{}
	unionOf := func(brands []string) []int {
		m := make([]int, len(brands))
		for i, n := range brands {
			k := snapshot.Key(n)
			u, ok := union[k]
			if !ok {
				u = len(names)
				union[k] = u
				names = append(names, n)
			} else {
				names[u] = n // the new snapshot's spelling wins
			}
			m[i] = u
		}
		return m
	}
	oldBrand, newBrand := unionOf(a.Brands), unionOf(b.Brands)
	only := -1
	if brand != "" {
		u, ok := union[snapshot.Key(brand)]
		if !ok {
			return nil, fmt.Errorf("brand %q is in neither snapshot (%d and %d brands)", brand, len(a.Brands), len(b.Brands))
		}
		only = u
	}

	// Vehicles: a's row → b's row (snapshot.None when removed).
	newRow := make(map[string]uint32, len(b.Vehicles))
	for i := range b.Vehicles {
		newRow[b.Vehicles[i].ID] = uint32(i)
	}
	trans := make([]uint32, len(a.Vehicles))
	identity, monotonic := len(a.Vehicles) == len(b.Vehicles), true
	last, kept := -1, 0
	for i := range a.Vehicles {
		j, ok := newRow[a.Vehicles[i].ID]
		if !ok {
			trans[i] = snapshot.None
			identity = false
			continue
		}
		trans[i] = j
		kept++
		if j != uint32(i) {
			identity = false
		}
		if int(j) < last {
			monotonic = false
		}
		last = int(j)
	}
	out.Vehicles.Added, out.Vehicles.Removed = len(b.Vehicles)-kept, len(a.Vehicles)-kept
	out.VehicleOrderSame = identity

	// Ranges of a's parts and the ranges of b's parts with the same keys.
	na, nb := len(a.Parts), len(b.Parts)
	workers := runtime.GOMAXPROCS(0)
	chunks := max(1, min(workers*16, na/diffChunkParts))
	aLo, bLo := make([]int, chunks+1), make([]int, chunks+1)
	aLo[chunks], bLo[chunks] = na, nb
	for k := 1; k < chunks; k++ {
		aLo[k] = k * na / chunks
		key := snapshot.Key(a.Parts[aLo[k]].Number)
		bLo[k] = sort.Search(nb, func(j int) bool { return snapshot.Key(b.Parts[j].Number) >= key })
	}

	w := &partWalk{a: a, b: b, trans: trans, identity: identity, monotonic: monotonic,
		oldBrand: oldBrand, newBrand: newBrand, only: only}
	perWorker := make([][]diffCounts, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for t := range workers {
		perWorker[t] = make([]diffCounts, len(names))
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := &walkState{counts: perWorker[t]}
			for k := int(next.Add(1) - 1); k < chunks; k = int(next.Add(1) - 1) {
				w.walk(st, aLo[k], aLo[k+1], bLo[k], bLo[k+1])
			}
		}()
	}
	wg.Wait()
	for u, n := range names {
		var d diffCounts
		for _, pw := range perWorker {
			d.add(pw[u])
		}
		if !d.zero() {
			out.Brands = append(out.Brands, brandDiff{Brand: n, diffCounts: d})
			out.Total.add(d)
		}
	}
	sort.Slice(out.Brands, func(i, j int) bool {
		return snapshot.Key(out.Brands[i].Brand) < snapshot.Key(out.Brands[j].Brand)
	})
	return out, nil
}

// partWalk is what every range of the merge walk shares (read only).
type partWalk struct {
	a, b                *snapshot.Catalog
	trans               []uint32
	identity, monotonic bool
	oldBrand, newBrand  []int
	only                int // the one brand (union row) to count, -1 for all
}

// walkState is one worker's: its counts per brand and its buffers.
type walkState struct {
	counts []diffCounts
	ta, tb []uint32
}

// walk merges a.Parts[ai:aEnd] with b.Parts[bi:bEnd], which hold the same range of keys.
func (w *partWalk) walk(st *walkState, ai, aEnd, bi, bEnd int) {
	a, b := w.a, w.b
	for ai < aEnd || bi < bEnd {
		c := 0
		switch {
		case ai == aEnd:
			c = 1
		case bi == bEnd:
			c = -1
		case a.Parts[ai].Number == b.Parts[bi].Number: // the common case: no Key to compute
		default:
			c = strings.Compare(snapshot.Key(a.Parts[ai].Number), snapshot.Key(b.Parts[bi].Number))
		}
		switch {
		case c < 0: // only in a: removed
			if u := w.oldBrand[a.Parts[ai].Brand]; w.only < 0 || u == w.only {
				st.counts[u].PartsRemoved++
				st.counts[u].LinksRemoved += cardinality(a.PartVehicles, ai)
			}
			ai++
		case c > 0: // only in b: added
			if u := w.newBrand[b.Parts[bi].Brand]; w.only < 0 || u == w.only {
				st.counts[u].PartsAdded++
				st.counts[u].LinksAdded += cardinality(b.PartVehicles, bi)
			}
			bi++
		default:
			if u := w.newBrand[b.Parts[bi].Brand]; w.only < 0 || u == w.only {
				if partChanged(a, &a.Parts[ai], b, &b.Parts[bi]) {
					st.counts[u].PartsChanged++
				}
				added, removed := w.links(st, ai, bi)
				st.counts[u].LinksAdded += added
				st.counts[u].LinksRemoved += removed
			}
			ai++
			bi++
		}
	}
}

func cardinality(p *snapshot.Postings, i int) int64 {
	if p.Empty(i) {
		return 0
	}
	return int64(p.Get(i).GetCardinality())
}

// links counts the fitment links of a's part ai not in b's part bi (removed) and the
// reverse (added).
func (w *partWalk) links(st *walkState, ai, bi int) (added, removed int64) {
	pa, pb := w.a.PartVehicles, w.b.PartVehicles
	switch ea, eb := pa.Empty(ai), pb.Empty(bi); {
	case ea && eb:
		return 0, 0
	case ea:
		return cardinality(pb, bi), 0
	case eb:
		return 0, cardinality(pa, ai)
	}
	if w.identity && bytes.Equal(pa.Raw(ai), pb.Raw(bi)) {
		return 0, 0 // the same bytes: the same set
	}
	ba, bb := pa.Get(ai), pb.Get(bi)
	if w.identity {
		both := ba.AndCardinality(bb)
		return int64(bb.GetCardinality() - both), int64(ba.GetCardinality() - both)
	}
	// Translate a's vehicle rows into b's, dropping removed vehicles, then count the
	// common members of the two sorted lists.
	ta := st.ta[:0]
	old := 0
	ba.Iterate(func(x uint32) bool {
		old++
		if y := w.trans[x]; y != snapshot.None {
			ta = append(ta, y)
		}
		return true
	})
	if !w.monotonic {
		slices.Sort(ta)
	}
	tb := st.tb[:0]
	bb.Iterate(func(x uint32) bool {
		tb = append(tb, x)
		return true
	})
	st.ta, st.tb = ta, tb
	both := 0
	for i, j := 0, 0; i < len(ta) && j < len(tb); {
		switch {
		case ta[i] < tb[j]:
			i++
		case ta[i] > tb[j]:
			j++
		default:
			both++
			i++
			j++
		}
	}
	return int64(len(tb) - both), int64(old - both)
}

// partChanged reports whether the summary of a part differs between the catalogs (see
// changedCovers).
func partChanged(a *snapshot.Catalog, pa *snapshot.Part, b *snapshot.Catalog, pb *snapshot.Part) bool {
	return pa.Number != pb.Number || pa.Name != pb.Name || pa.OEM != pb.OEM || pa.Image != pb.Image ||
		pa.Universal != pb.Universal || a.Brands[pa.Brand] != b.Brands[pb.Brand] ||
		categoryPath(a, pa.Category) != categoryPath(b, pb.Category) || !slices.Equal(pa.Names, pb.Names)
}

func categoryPath(c *snapshot.Catalog, i uint32) string {
	if i == snapshot.None {
		return ""
	}
	return c.Categories[i].Path
}

func (o *diffOut) writeText(w io.Writer) error {
	for _, s := range []struct {
		label string
		d     diffSide
	}{{"old", o.Old}, {"new", o.New}} {
		fmt.Fprintf(w, "%s  %s  version %s: %d parts, %d vehicles, %d links\n", s.label, s.d.File, s.d.Version, s.d.Parts, s.d.Vehicles, s.d.Links)
	}
	if o.Brand != "" {
		fmt.Fprintf(w, "brand %s only\n", o.Brand)
	}
	fmt.Fprintf(w, "\n")
	if len(o.Brands) == 0 {
		fmt.Fprintf(w, "no part or link differs\n")
	} else {
		// Pad brand names by characters, not bytes: "Öhlins" is one column narrower than
		// its length.
		width := len("total")
		for _, r := range o.Brands {
			width = max(width, utf8.RuneCountInString(r.Brand))
		}
		pad := func(s string) string { return s + strings.Repeat(" ", width-utf8.RuneCountInString(s)) }
		fmt.Fprintf(w, "%s  %12s %12s %12s  %12s %12s\n", pad("brand"), "parts added", "removed", "changed", "links added", "removed")
		row := func(name string, d diffCounts) {
			fmt.Fprintf(w, "%s  %12d %12d %12d  %12d %12d\n", pad(name), d.PartsAdded, d.PartsRemoved, d.PartsChanged, d.LinksAdded, d.LinksRemoved)
		}
		for _, r := range o.Brands {
			row(r.Brand, r.diffCounts)
		}
		row("total", o.Total)
	}
	fmt.Fprintf(w, "\nvehicles (whole catalog, matched by id): %d added, %d removed\n", o.Vehicles.Added, o.Vehicles.Removed)
	_, err := fmt.Fprintf(w, "\n%s\n", wrap("changed: "+o.ChangedCovers+"; a part counts under its brand in the new snapshot (in the old one when removed).", 90))
	return err
}

// wrap breaks s into lines of at most width bytes at spaces (a longer word keeps its line).
func wrap(s string, width int) string {
	var b strings.Builder
	n := 0
	for i, word := range strings.Fields(s) {
		if i > 0 && n+1+len(word) > width {
			b.WriteByte('\n')
			n = 0
		} else if i > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(word)
		n += len(word)
	}
	return b.String()
}
