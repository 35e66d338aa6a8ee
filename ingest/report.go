package ingest

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Reject is one rejected source row.
type Reject struct {
	File   string // base name of the source file
	Line   int    // physical line where the row starts (1-based; the header is line 1)
	Reason string
}

func (r Reject) String() string { return fmt.Sprintf("%s:%d: %s", r.File, r.Line, r.Reason) }

// FileStats counts one source file.
type FileStats struct {
	File     string // base name as found (parts.csv.gz)
	Bytes    int64  // size as stored
	Rows     int    // data rows read, rejected ones included
	Rejected int
}

// Report is what a build found: every rejected row, warnings and counts. It is filled
// even when Build fails, as far as the build got.
type Report struct {
	Files    []FileStats
	Rejects  []Reject
	Warnings []string

	Makes, Models  int
	Vehicles       int // all vehicles, implicit wildcards included
	ImplicitWilds  int // wildcard vehicles added because no row named them
	MergedVehicles int // vehicle rows that repeated an existing vehicle
	Brands         int
	Categories     int
	Parts          int
	UniversalParts int

	FitmentRows      int // accepted fitments.csv rows
	ExpandedFitments int // fitments after year expansion, before merging
	Fitments         int // distinct (part, vehicle, position) fitments
	Links            int // distinct (vehicle, part) links: the size of VehicleParts
	MergedDuplicates int // ExpandedFitments - Fitments
	DetailEntries    int

	DataRows   int // data rows of all files
	MaxRejects int // the reject threshold applied
	Err        string
}

func (r *Report) warnf(format string, args ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
}

func (r *Report) reject(file string, line int, reason string) {
	r.Rejects = append(r.Rejects, Reject{File: file, Line: line, Reason: reason})
}

// Summary is a few lines for a terminal.
func (r *Report) Summary() string {
	var b strings.Builder
	for _, f := range r.Files {
		fmt.Fprintf(&b, "%-20s %10d rows %8d rejected\n", f.File, f.Rows, f.Rejected)
	}
	fmt.Fprintf(&b, "makes %d, models %d, vehicles %d (%d implicit wildcards), brands %d, categories %d, parts %d (%d universal)\n",
		r.Makes, r.Models, r.Vehicles, r.ImplicitWilds, r.Brands, r.Categories, r.Parts, r.UniversalParts)
	fmt.Fprintf(&b, "fitment rows %d, expanded %d, fitments %d (%d duplicates merged), links %d, detail entries %d\n",
		r.FitmentRows, r.ExpandedFitments, r.Fitments, r.MergedDuplicates, r.Links, r.DetailEntries)
	fmt.Fprintf(&b, "rejected %d of %d rows (threshold %d), %d warnings", len(r.Rejects), r.DataRows, r.MaxRejects, len(r.Warnings))
	if r.Err != "" {
		fmt.Fprintf(&b, "\nerror: %s", r.Err)
	}
	return b.String()
}

// WriteTo writes the summary, every warning and every rejected row.
func (r *Report) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: bufio.NewWriter(w)}
	fmt.Fprintf(cw, "%s\n", r.Summary())
	if len(r.Warnings) > 0 {
		fmt.Fprintf(cw, "\nwarnings:\n")
		for _, s := range r.Warnings {
			fmt.Fprintf(cw, "%s\n", s)
		}
	}
	if len(r.Rejects) > 0 {
		fmt.Fprintf(cw, "\nrejected rows:\n")
		for _, rj := range r.Rejects {
			fmt.Fprintf(cw, "%s:%d: %s\n", rj.File, rj.Line, rj.Reason)
		}
	}
	if cw.err == nil {
		cw.err = cw.w.Flush()
	}
	return cw.n, cw.err
}

type countWriter struct {
	w   *bufio.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}
