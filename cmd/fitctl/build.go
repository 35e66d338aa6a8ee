package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/fitment/fitment/index"
	"github.com/fitment/fitment/ingest"
	"github.com/fitment/fitment/snapshot"
)

func init() {
	commands["build"] = command{summary: "build a snapshot from a directory of source CSV files", run: runBuild}
}

func runBuild(args []string) error {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	in := fs.String("in", "", "source directory with vehicles, parts and fitments .csv[.gz|.zst]")
	out := fs.String("out", "", "snapshot file to write; the report goes to FILE.report.txt")
	textLang := fs.String("lang", "en", "language of the catalog's default part names and descriptions")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the build to FILE")
	maxRejects := fs.String("max-rejects", "0.1%", "rejected rows tolerated: a count (N) or a percentage of all rows (P%)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" || *out == "" || fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("--in and --out are required and no positional arguments are accepted")
	}
	opts, err := parseMaxRejects(*maxRejects)
	if err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	total, err := ingest.InputSize(*in)
	if err != nil {
		return err
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		// The build's live heap peaks near half its garbage-collected peak at the
		// default GOGC; a soft limit makes the collector work harder instead, keeping
		// the eu profile well under 8 GiB.
		debug.SetMemoryLimit(6 << 30)
	}
	progress, done := newProgress(total)
	opts.Progress = progress

	start := time.Now()
	cat, rep, err := ingest.Build(*in, opts)
	done()
	built := time.Since(start)
	reportPath := *out + ".report.txt"
	if rep != nil {
		if werr := writeReport(reportPath, rep); werr != nil {
			fmt.Fprintf(os.Stderr, "fitctl build: writing report: %v\n", werr)
		}
		fmt.Fprintf(os.Stderr, "%s\nreport: %s\n", rep.Summary(), reportPath)
	}
	if err != nil {
		return err
	}
	info, ist, err := writeSnapshot(*out, cat, *textLang)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "text index %s: %d parts in %d shards, %d bytes, in %s (%.0f parts/s; analysis %s, merge %s)\n",
		info.TextIndex, ist.Docs, ist.Shards, ist.Bytes, ist.Duration.Round(time.Millisecond),
		float64(ist.Docs)/ist.Duration.Seconds(), ist.Analyse.Round(time.Millisecond), ist.Merge.Round(time.Millisecond))
	fmt.Fprintf(os.Stderr, "wrote %s: %d bytes, format %d, hash %s; built in %s, total %s\n",
		*out, info.Bytes, info.FormatVersion, info.Hash, built.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	return nil
}

// writeSnapshot writes the snapshot and its text index and publishes both with one
// rename: the snapshot goes to a temporary file first (its content hash names the
// index), the catalog's fitment structures are released, the index is built beside it
// (complete and fsynced), and only then is the snapshot renamed into place, naming the
// index in its info. Indexes of earlier builds of the same path are removed afterwards.
func writeSnapshot(path string, cat *snapshot.Catalog, lang string) (snapshot.Info, index.BuildStats, error) {
	p, err := snapshot.Prepare(path, cat)
	if err != nil {
		return snapshot.Info{}, index.BuildStats{}, err
	}
	defer p.Abort()
	// The text index reads parts, brands, categories and part details only: let the
	// collector have the fitment postings and details before the index allocates.
	cat.VehicleParts, cat.PartVehicles, cat.BrandVehicles = nil, nil, nil
	cat.Details = snapshot.Details{}
	runtime.GC()

	name := p.TextIndexName()
	ist, err := index.Build(filepath.Join(filepath.Dir(path), name), len(cat.Parts), index.CatalogDocs(cat, lang),
		index.Options{Catalog: p.Info().Hash})
	if err != nil {
		return snapshot.Info{}, ist, fmt.Errorf("text index: %w", err)
	}
	info, err := p.Publish(name)
	if err != nil {
		os.RemoveAll(filepath.Join(filepath.Dir(path), name))
		return info, ist, err
	}
	if err := snapshot.RemoveTextIndexes(path, name); err != nil {
		fmt.Fprintf(os.Stderr, "fitctl build: removing old text indexes: %v\n", err)
	}
	return info, ist, nil
}

// parseMaxRejects reads "N" (an absolute count) or "P%" (a percentage of all rows).
func parseMaxRejects(s string) (ingest.Options, error) {
	opts := ingest.DefaultOptions()
	if p, ok := strings.CutSuffix(strings.TrimSpace(s), "%"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || f < 0 || f > 100 {
			return opts, fmt.Errorf("--max-rejects %q: want a count N or a percentage P%%", s)
		}
		opts.MaxRejects, opts.MaxRejectRatio = -1, f/100
		return opts, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return opts, fmt.Errorf("--max-rejects %q: want a count N or a percentage P%%", s)
	}
	opts.MaxRejects = n
	return opts, nil
}

// newProgress shows reading progress on stderr: a bar on a terminal, otherwise a plain
// line at every tenth of the input.
func newProgress(total int64) (progress func(int64), done func()) {
	if term.IsTerminal(int(os.Stderr.Fd())) {
		bar := progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionSetDescription("reading sources"),
			progressbar.OptionShowBytes(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
		return func(n int64) { bar.Set64(n) }, func() { bar.Finish() }
	}
	next := int64(0)
	return func(n int64) {
		if total > 0 && n >= next {
			fmt.Fprintf(os.Stderr, "read %d of %d bytes (%d%%)\n", n, total, n*100/total)
			next = n + total/10
		}
	}, func() {}
}

func writeReport(path string, rep *ingest.Report) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := rep.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
