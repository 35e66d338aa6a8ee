package gen

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// csvFile writes RFC 4180 rows through an optional compressor. Rows are appended to a byte
// buffer field by field, which is several times faster than encoding/csv's []string API at the
// eu profile's tens of millions of rows.
type csvFile struct {
	path, tmp string
	f         *os.File
	comp      io.WriteCloser
	w         *bufio.Writer
	row       []byte
	nfield    int
	rows      int
	// discard drops the rows ended while it is set: a revision's removed parts are still
	// generated, so that the random streams of the parts after them stay those of revision 0.
	discard bool
}

func createCSV(dir, name string, c Compression) (*csvFile, error) {
	path := filepath.Join(dir, name+".csv")
	switch c {
	case CompressGzip:
		path += ".gz"
	case CompressZstd:
		path += ".zst"
	}
	// Written under a temporary name and renamed on Close, so a reader never sees half a file.
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return nil, err
	}
	cf := &csvFile{path: path, tmp: tmp, f: f}
	var w io.Writer = f
	switch c {
	case CompressGzip:
		zw, err := gzip.NewWriterLevel(f, gzip.DefaultCompression)
		if err != nil {
			f.Close()
			return nil, err
		}
		cf.comp, w = zw, zw
	case CompressZstd:
		// A fixed concurrency keeps the output identical on machines with different core counts.
		zw, err := zstd.NewWriter(f, zstd.WithEncoderConcurrency(2), zstd.WithEncoderLevel(zstd.SpeedDefault))
		if err != nil {
			f.Close()
			return nil, err
		}
		cf.comp, w = zw, zw
	}
	cf.w = bufio.NewWriterSize(w, 1<<20)
	return cf, nil
}

func (c *csvFile) field(s string) {
	if c.nfield > 0 {
		c.row = append(c.row, ',')
	}
	c.nfield++
	if !strings.ContainsAny(s, ",\"\r\n") {
		c.row = append(c.row, s...)
		return
	}
	c.row = append(c.row, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			c.row = append(c.row, '"')
		}
		c.row = append(c.row, s[i])
	}
	c.row = append(c.row, '"')
}

// bytesField writes a field that needs no quoting (part numbers, numbers, words) from a scratch
// buffer, so hot loops need not make a string per cell.
func (c *csvFile) bytesField(b []byte) {
	if c.nfield > 0 {
		c.row = append(c.row, ',')
	}
	c.nfield++
	c.row = append(c.row, b...)
}

func (c *csvFile) fields(ss ...string) {
	for _, s := range ss {
		c.field(s)
	}
}

func (c *csvFile) intField(n int) {
	if n == 0 {
		c.field("")
		return
	}
	if c.nfield > 0 {
		c.row = append(c.row, ',')
	}
	c.nfield++
	c.row = strconv.AppendInt(c.row, int64(n), 10)
}

func (c *csvFile) endRow() error {
	if c.discard {
		c.row, c.nfield = c.row[:0], 0
		return nil
	}
	c.row = append(c.row, '\n')
	_, err := c.w.Write(c.row)
	c.row, c.nfield = c.row[:0], 0
	c.rows++
	return err
}

// Close flushes and publishes the file; after an error the temporary file is removed.
func (c *csvFile) Close() error {
	err := c.w.Flush()
	if c.comp != nil {
		if e := c.comp.Close(); err == nil {
			err = e
		}
	}
	if e := c.f.Close(); err == nil {
		err = e
	}
	if err == nil {
		err = os.Rename(c.tmp, c.path)
	}
	if err != nil {
		os.Remove(c.tmp)
		return fmt.Errorf("gen: write %s: %w", c.path, err)
	}
	return nil
}

// abort discards a file that will not be completed.
func (c *csvFile) abort() {
	c.f.Close()
	os.Remove(c.tmp)
}

func appendInt(b []byte, n int) []byte { return strconv.AppendInt(b, int64(n), 10) }
