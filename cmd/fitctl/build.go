package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

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
	info, err := snapshot.Write(*out, cat)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s: %d bytes, format %d, hash %s; built in %s, total %s\n",
		*out, info.Bytes, info.FormatVersion, info.Hash, built.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	return nil
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
