package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/journal"
	"github.com/fitment/fitment/snapshot"
)

func init() {
	commands["export"] = command{summary: "write a snapshot's fitment links (of one brand or all) as NDJSON or CSV", run: runExport}
}

// exportTenant is the synthetic tenant an export reads through: subscribed to every brand.
const exportTenant = "export"

// stdout is where an export without --out goes (a variable for the tests).
var stdout io.Writer = os.Stdout

func runExport(args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	snap := fs.String("snapshot", "", "snapshot file to export")
	brand := fs.String("brand", "", "export only the parts of this brand (default: every brand)")
	format := fs.String("format", "ndjson", "line format: ndjson or csv")
	compress := fs.String("compress", "none", "compression: none, gzip or zstd")
	out := fs.String("out", "", "file to write (default: standard output); written beside it under a temporary name, fsynced and renamed into place")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *snap == "" || fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("--snapshot is required and no positional arguments are accepted")
	}
	var lf engine.LinkFormat
	switch *format {
	case "ndjson":
		lf = engine.LinksNDJSON
	case "csv":
		lf = engine.LinksCSV
	default:
		return fmt.Errorf("--format %q: want ndjson or csv", *format)
	}
	if *compress != "none" && *compress != "gzip" && *compress != "zstd" {
		return fmt.Errorf("--compress %q: want none, gzip or zstd", *compress)
	}

	start := time.Now()
	cat, info, err := snapshot.Open(*snap)
	if err != nil {
		return fmt.Errorf("open snapshot: %w", err)
	}
	if *brand != "" && !hasBrand(cat, *brand) {
		return fmt.Errorf("brand %q is not in snapshot %s (%d brands)", *brand, *snap, len(cat.Brands))
	}
	e := engine.New()
	e.Load(cat, info.Version())
	e.Restore(exportTenant, engine.TenantState{Brands: cat.Brands})
	v, err := e.View(exportTenant)
	if err != nil {
		return err
	}

	loaded := time.Now()
	dst, err := createOutput(*out)
	if err != nil {
		return err
	}
	defer dst.abort()
	counted := &countingWriter{w: dst.w}
	bw := bufio.NewWriterSize(counted, 256<<10)
	var w io.Writer = bw
	var comp io.WriteCloser
	switch *compress {
	case "gzip":
		// BestSpeed and SpeedFastest: the levels BenchmarkBulkLookup measures.
		if comp, err = gzip.NewWriterLevel(bw, gzip.BestSpeed); err != nil {
			return err
		}
	case "zstd":
		if comp, err = zstd.NewWriter(bw, zstd.WithEncoderLevel(zstd.SpeedFastest)); err != nil {
			return err
		}
	}
	if comp != nil {
		w = comp
	}
	lw := v.NewLinkWriter(w, lf, false)
	if err := lw.Export(*brand); err != nil {
		return err
	}
	if comp != nil {
		if err := comp.Close(); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := dst.commit(); err != nil {
		return err
	}
	secs := time.Since(loaded).Seconds()
	fmt.Fprintf(os.Stderr, "exported %d links, %d bytes (%s, compression %s) in %.3fs (%.0f links/s; snapshot loaded in %.3fs)\n",
		lw.Links(), counted.n, *format, *compress, secs, float64(lw.Links())/secs, loaded.Sub(start).Seconds())
	return nil
}

// hasBrand reports whether the catalog has brand (compared as the engine does, by Key).
func hasBrand(cat *snapshot.Catalog, brand string) bool {
	key := snapshot.Key(brand)
	for _, b := range cat.Brands {
		if snapshot.Key(b) == key {
			return true
		}
	}
	return false
}

// output is where an export goes: standard output, or a temporary file beside the target
// that commit fsyncs and renames into place (and abort removes).
type output struct {
	w         io.Writer
	f         *os.File
	tmp, path string
	done      bool
}

func createOutput(path string) (*output, error) {
	if path == "" {
		return &output{w: stdout, done: true}, nil
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, err
	}
	return &output{w: f, f: f, tmp: f.Name(), path: path}, nil
}

func (o *output) commit() error {
	if o.done {
		return nil
	}
	err := os.Chmod(o.tmp, 0o644) // CreateTemp makes it 0600
	if err == nil {
		err = o.f.Sync()
	}
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(o.tmp, o.path)
	}
	if err != nil {
		os.Remove(o.tmp)
		o.done = true
		return fmt.Errorf("write %s: %w", o.path, err)
	}
	o.done = true
	// The rename is durable once the directory is synced.
	if err := journal.OS.SyncDir(filepath.Dir(o.path)); err != nil {
		return fmt.Errorf("write %s: %w", o.path, err)
	}
	return nil
}

// abort discards an output that was not committed.
func (o *output) abort() {
	if o.done {
		return
	}
	o.done = true
	o.f.Close()
	os.Remove(o.tmp)
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
