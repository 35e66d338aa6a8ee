package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fitment/fitment/snapshot"
)

func init() {
	commands["inspect"] = command{summary: "print a snapshot's version, hash, counts, section sizes, text index and build report", run: runInspect}
}

// reportHead is how many lines of the build report inspect prints.
const reportHead = 20

// inspectOut is what inspect prints, as text or (--json) as one JSON object.
type inspectOut struct {
	File             string                    `json:"file"`
	Version          string                    `json:"version"`
	FormatVersion    int                       `json:"formatVersion"`
	Hash             string                    `json:"hash"`
	Built            time.Time                 `json:"built"`
	Bytes            int64                     `json:"bytes"`
	Counts           snapshot.Counts           `json:"counts"`
	Sections         map[string]inspectSection `json:"sections"` // uncompressed sizes
	SectionBytes     int                       `json:"sectionBytes"`
	TextIndex        string                    `json:"textIndex,omitempty"`
	TextIndexPresent bool                      `json:"textIndexPresent"`
	Report           *inspectReport            `json:"report,omitempty"`
	// Verified is set by --verify: the whole file was read, its content hash and
	// invariants checked (snapshot.Open).
	Verified bool `json:"verified,omitempty"`
}

type inspectSection struct {
	Size   int `json:"size"`
	Chunks int `json:"chunks"`
}

type inspectReport struct {
	Path  string   `json:"path"`
	Lines int      `json:"lines"` // in the whole report
	Head  []string `json:"head"`  // the first reportHead lines
}

func runInspect(args []string) error {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print one JSON object instead of text")
	verify := fs.Bool("verify", false, "also read the whole snapshot and check its content hash and invariants (as fitmentd does at start-up)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: fitctl inspect [--json] [--verify] FILE\n\n"+
			"Prints what the snapshot's meta info records, without loading the catalog.\n\n")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return fmt.Errorf("want one snapshot file, got %d arguments", len(pos))
	}
	out, err := inspect(pos[0], *verify)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	return out.writeText(stdout)
}

func inspect(path string, verify bool) (*inspectOut, error) {
	info, err := snapshot.ReadInfo(path)
	if err != nil {
		return nil, err
	}
	if verify {
		_, vinfo, err := snapshot.Open(path)
		if err != nil {
			return nil, err
		}
		info = vinfo
	}
	out := &inspectOut{
		File: path, Version: info.Version(), FormatVersion: info.FormatVersion, Hash: info.Hash,
		Built: info.Built, Bytes: info.Bytes, Counts: info.Counts, Sections: map[string]inspectSection{},
		TextIndex: info.TextIndex, Verified: verify,
	}
	for name, s := range info.Sections {
		out.Sections[name] = inspectSection{Size: s.Size, Chunks: s.Chunks}
		out.SectionBytes += s.Size
	}
	if dir := snapshot.TextIndexPath(path, info); dir != "" {
		st, err := os.Stat(dir)
		out.TextIndexPresent = err == nil && st.IsDir()
	}
	rep, err := readReportHead(path+".report.txt", reportHead)
	if err != nil {
		return nil, err
	}
	out.Report = rep
	return out, nil
}

// readReportHead reads the first n lines of the build report at path and counts the
// rest; nil when there is no report.
func readReportHead(path string, n int) (*inspectReport, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rep := &inspectReport{Path: path, Head: []string{}}
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadString('\n')
		if line != "" {
			rep.Lines++
			if len(rep.Head) < n {
				rep.Head = append(rep.Head, strings.TrimRight(line, "\r\n"))
			}
		}
		if err == io.EOF {
			return rep, nil
		}
		if err != nil {
			return nil, fmt.Errorf("report %s: %w", path, err)
		}
	}
}

func (o *inspectOut) writeText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "file\t%s\n", o.File)
	fmt.Fprintf(tw, "version\t%s\n", o.Version)
	fmt.Fprintf(tw, "format\t%d\n", o.FormatVersion)
	fmt.Fprintf(tw, "hash\t%s\n", o.Hash)
	fmt.Fprintf(tw, "built\t%s\n", o.Built.UTC().Format(time.RFC3339))
	fmt.Fprintf(tw, "size\t%d bytes (%s)\n", o.Bytes, humanBytes(o.Bytes))
	switch {
	case o.TextIndex == "":
		fmt.Fprintf(tw, "text index\tnone\n")
	case o.TextIndexPresent:
		fmt.Fprintf(tw, "text index\t%s\n", o.TextIndex)
	default:
		fmt.Fprintf(tw, "text index\t%s (missing: no such directory beside the file)\n", o.TextIndex)
	}
	if o.Verified {
		fmt.Fprintf(tw, "verified\tcontent hash and invariants checked\n")
	} else {
		fmt.Fprintf(tw, "verified\tno (as recorded in the file's meta info; --verify reads and checks the whole file)\n")
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	c := o.Counts
	fmt.Fprintf(w, "\ncounts\n")
	for _, r := range []struct {
		name string
		n    int
	}{{"makes", c.Makes}, {"models", c.Models}, {"vehicles", c.Vehicles}, {"brands", c.Brands},
		{"categories", c.Categories}, {"parts", c.Parts}, {"links", c.Links}} {
		fmt.Fprintf(w, "  %-20s %12d\n", r.name, r.n)
	}

	fmt.Fprintf(w, "\nsections (uncompressed)\n")
	names := make([]string, 0, len(o.Sections))
	for n := range o.Sections {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(w, "  %-20s %12s %10s %7s\n", "section", "bytes", "", "chunks")
	for _, n := range names {
		s := o.Sections[n]
		fmt.Fprintf(w, "  %-20s %12d %10s %7d\n", n, s.Size, humanBytes(int64(s.Size)), s.Chunks)
	}
	fmt.Fprintf(w, "  %-20s %12d %10s\n", "total", o.SectionBytes, humanBytes(int64(o.SectionBytes)))
	fmt.Fprintf(w, "  (part details are stored apart, compressed, and not counted here)\n")

	if o.Report == nil {
		_, err := fmt.Fprintf(w, "\nbuild report: none (no %s.report.txt beside the file)\n", o.File)
		return err
	}
	fmt.Fprintf(w, "\nbuild report %s", o.Report.Path)
	if o.Report.Lines > len(o.Report.Head) {
		fmt.Fprintf(w, " (first %d of %d lines)", len(o.Report.Head), o.Report.Lines)
	}
	fmt.Fprintf(w, "\n")
	for _, l := range o.Report.Head {
		fmt.Fprintf(w, "  %s\n", l)
	}
	if o.Report.Lines > len(o.Report.Head) {
		fmt.Fprintf(w, "  ... %d more lines in %s\n", o.Report.Lines-len(o.Report.Head), o.Report.Path)
	}
	return nil
}

// humanBytes writes n in binary units, one decimal.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// parseInterspersed parses fs from args, allowing flags after positional arguments
// ("fitctl diff OLD NEW --json"), and returns the positional arguments; everything after
// "--" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		// Parse stopped at a positional argument.
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
