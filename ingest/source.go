package ingest

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	kgzip "github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// sourceExts are the accepted spellings of a source file, in the order they are looked for.
var sourceExts = []string{".csv", ".csv.gz", ".csv.zst"}

// findSource returns the path of the one file that holds source name ("vehicles",
// "parts", "fitments") in dir.
func findSource(dir, name string) (string, int64, error) {
	var found []string
	var size int64
	for _, ext := range sourceExts {
		p := filepath.Join(dir, name+ext)
		fi, err := os.Stat(p)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			return "", 0, err
		}
		if fi.IsDir() {
			continue
		}
		found = append(found, p)
		size = fi.Size()
	}
	switch len(found) {
	case 0:
		return "", 0, fmt.Errorf("%s.csv: %w (also looked for .csv.gz and .csv.zst in %s)", name, ErrMissingFile, dir)
	case 1:
		return found[0], size, nil
	default:
		return "", 0, fmt.Errorf("%s.csv: %w: %s", name, ErrAmbiguousFile, strings.Join(baseNames(found), ", "))
	}
}

func baseNames(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = filepath.Base(p)
	}
	return out
}

// InputSize is the total size in bytes of the source files in dir as stored (compressed
// files count compressed), the scale of Options.Progress.
func InputSize(dir string) (int64, error) {
	var total int64
	for _, name := range sourceNames {
		_, n, err := findSource(dir, name)
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

// countingReader reports the bytes read from the file underneath any decompression.
type countingReader struct {
	r        io.Reader
	n        *int64
	progress func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	if c.progress != nil && n > 0 {
		c.progress(*c.n)
	}
	return n, err
}

// column describes one column a source file understands.
type column struct {
	name     string
	required bool
}

// source is one open CSV source file positioned after its header.
type source struct {
	name   string // base file name, used in messages
	f      *os.File
	closer io.Closer // decompressor, if any
	csv    *csv.Reader
	header []string // lower-cased, trimmed column names
	// idx maps each known column to its index in a record, -1 when absent.
	idx  map[string]int
	rows int // data rows read
}

// cell returns column i of rec, "" for an optional column the file does not have (-1).
func cell(rec []string, i int) string {
	if i < 0 {
		return ""
	}
	return rec[i]
}

// decompress reads a source file's bytes as its name says (.gz, .zst or plain), without a
// leading byte order mark.
func decompress(name string, raw io.Reader) (*bufio.Reader, io.Closer, error) {
	var r io.Reader = bufio.NewReaderSize(raw, 256<<10)
	var closer io.Closer
	switch {
	case strings.HasSuffix(name, ".gz"):
		zr, err := kgzip.NewReader(r)
		if err != nil {
			return nil, nil, err
		}
		closer, r = zr, zr
	case strings.HasSuffix(name, ".zst"):
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(false))
		if err != nil {
			return nil, nil, err
		}
		closer, r = zr.IOReadCloser(), zr
	}
	br := bufio.NewReaderSize(r, 256<<10)
	if bom, err := br.Peek(3); err == nil && string(bom) == "\uFEFF" {
		br.Discard(3)
	}
	return br, closer, nil
}

// OpenSource opens a CSV file of the source format for reading: decompressed when its name
// ends in .gz or .zst, without a leading byte order mark. Close releases everything.
func OpenSource(path string) (io.Reader, io.Closer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	br, closer, err := decompress(filepath.Base(path), f)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return br, closeBoth{closer, f}, nil
}

type closeBoth struct{ a, b io.Closer }

func (c closeBoth) Close() error {
	if c.a != nil {
		c.a.Close()
	}
	return c.b.Close()
}

// openSource opens path, checks its header against cols and reports unknown columns
// (those not in cols and not accepted by extra) as one warning each.
func openSource(path string, read *int64, progress func(int64), cols []column, extra func(string) bool, rep *Report) (*source, error) {
	name := filepath.Base(path)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	s := &source{name: name, f: f}
	br, closer, err := decompress(name, &countingReader{r: f, n: read, progress: progress})
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	s.closer = closer
	s.csv = csv.NewReader(br)
	s.csv.ReuseRecord = true
	if err := s.readHeader(cols, extra, rep); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

func (s *source) readHeader(cols []column, extra func(string) bool, rep *Report) error {
	rec, err := s.csv.Read()
	if err == io.EOF {
		return fmt.Errorf("%s: %w", s.name, ErrNoHeader)
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return fmt.Errorf("%s:%d: %w: %v", s.name, pe.StartLine, ErrBadHeader, pe.Err)
		}
		return fmt.Errorf("%s: %w", s.name, err)
	}
	s.header = make([]string, len(rec))
	s.idx = make(map[string]int, len(cols))
	known := make(map[string]bool, len(cols))
	for _, c := range cols {
		known[c.name] = true
		s.idx[c.name] = -1
	}
	seen := make(map[string]bool, len(rec))
	for i, h := range rec {
		h = strings.ToLower(strings.TrimSpace(h))
		if !utf8.ValidString(h) {
			return fmt.Errorf("%s:1: %w: invalid UTF-8", s.name, ErrBadHeader)
		}
		s.header[i] = h
		if seen[h] {
			return fmt.Errorf("%s: %w %q", s.name, ErrDuplicateColumn, h)
		}
		seen[h] = true
		switch {
		case known[h]:
			s.idx[h] = i
		case extra != nil && extra(h):
		default:
			rep.warnf("%s: unknown column %q ignored", s.name, h)
		}
	}
	for _, c := range cols {
		if c.required && s.idx[c.name] < 0 {
			return fmt.Errorf("%s: %w %q", s.name, ErrMissingColumn, c.name)
		}
	}
	s.csv.FieldsPerRecord = len(rec)
	return nil
}

// next reads the next data row, with every cell trimmed. It returns the row's first
// physical line. reject is non-empty when the row is malformed but the reader knows
// where the next row starts, so reading can go on; err is io.EOF at the end or a fatal
// error (I/O, decompression, or bad quoting whose extent cannot be known).
func (s *source) next() (rec []string, line int, reject string, err error) {
	rec, err = s.csv.Read()
	if err == nil {
		s.rows++
		line, _ = s.csv.FieldPos(0)
		for i, c := range rec {
			rec[i] = strings.TrimSpace(c)
			if !utf8.ValidString(rec[i]) {
				return rec, line, fmt.Sprintf("invalid UTF-8 in column %q", s.header[i]), nil
			}
		}
		return rec, line, "", nil
	}
	if err == io.EOF {
		return nil, 0, "", io.EOF
	}
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return nil, 0, "", fmt.Errorf("%s: %w", s.name, err)
	}
	s.rows++
	switch {
	case errors.Is(pe.Err, csv.ErrFieldCount):
		return nil, pe.StartLine, fmt.Sprintf("wrong number of fields: got %d, want %d", len(rec), s.csv.FieldsPerRecord), nil
	case pe.Line == pe.StartLine && (errors.Is(pe.Err, csv.ErrBareQuote) || errors.Is(pe.Err, csv.ErrQuote)):
		// The reader consumed exactly this line and resumes at the next one.
		return nil, pe.StartLine, fmt.Sprintf("bad quoting at column %d: %v", pe.Column, pe.Err), nil
	case errors.Is(pe.Err, csv.ErrBareQuote) || errors.Is(pe.Err, csv.ErrQuote):
		// A quoted field ran over line ends and then broke: the lines in between may
		// have been rows, swallowed into this field. Going on would silently lose them.
		return nil, pe.StartLine, "", fmt.Errorf("%s:%d: %w: quoted field opened here breaks at line %d column %d (%v); cannot tell where the next row starts",
			s.name, pe.StartLine, ErrBadQuoting, pe.Line, pe.Column, pe.Err)
	default:
		return nil, pe.StartLine, "", fmt.Errorf("%s:%d: %w", s.name, pe.StartLine, pe.Err)
	}
}

func (s *source) close() {
	if s.closer != nil {
		s.closer.Close()
	}
	s.f.Close()
}
