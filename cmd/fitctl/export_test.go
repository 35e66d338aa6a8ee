package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/gen"
	"github.com/fitment/fitment/ingest"
	"github.com/fitment/fitment/snapshot"
)

// tinySnapshot generates the tiny profile and writes its snapshot (no text index: an
// export does not need one).
func tinySnapshot(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	p, _ := gen.ProfileByName("tiny")
	src := filepath.Join(dir, "cat")
	if _, err := gen.Generate(p, 1, src, gen.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	cat, _, err := ingest.Build(src, ingest.Options{MaxRejects: -1, MaxRejectRatio: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "c.snap")
	if _, err := snapshot.Write(path, cat); err != nil {
		t.Fatal(err)
	}
	return path
}

// engineExport is what the engine's LinkWriter writes for a view of every brand.
func engineExport(t *testing.T, snap, brand string, format engine.LinkFormat) ([]byte, int64) {
	t.Helper()
	cat, info, err := snapshot.Open(snap)
	if err != nil {
		t.Fatal(err)
	}
	e := engine.New()
	e.Load(cat, info.Version())
	e.Restore("t", engine.TenantState{Brands: cat.Brands})
	v, err := e.View("t")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	lw := v.NewLinkWriter(&buf, format, false)
	if err := lw.Export(brand); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), lw.Links()
}

func decompress(t *testing.T, kind string, b []byte) []byte {
	t.Helper()
	var r io.Reader
	switch kind {
	case "none":
		return b
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case "zstd":
		zr, err := zstd.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		r = zr
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decompress %s: %v", kind, err)
	}
	return out
}

// TestExport runs fitctl export on the tiny profile: decompressed, its output is one line
// per fitment link (after the CSV header), the lines the engine's LinkWriter writes for a
// tenant of every brand; --out leaves only the file itself behind.
func TestExport(t *testing.T) {
	snap := tinySnapshot(t)
	cat, _, err := snapshot.Open(snap)
	if err != nil {
		t.Fatal(err)
	}
	// A brand with links, named in another case: brands are matched as the engine does.
	brand := ""
	for p := range cat.Parts {
		if !cat.PartVehicles.Empty(p) {
			brand = cat.Brands[cat.Parts[p].Brand]
			break
		}
	}
	for _, tc := range []struct {
		format   string
		lf       engine.LinkFormat
		compress string
		brand    string
		stdout   bool
	}{
		{"ndjson", engine.LinksNDJSON, "none", "", false},
		{"csv", engine.LinksCSV, "none", "", true},
		{"csv", engine.LinksCSV, "zstd", strings.ToUpper(brand), false},
		{"ndjson", engine.LinksNDJSON, "gzip", brand, false},
	} {
		name := tc.format + "-" + tc.compress + "-" + tc.brand
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "links.out")
			args := []string{"--snapshot", snap, "--format", tc.format, "--compress", tc.compress}
			if tc.brand != "" {
				args = append(args, "--brand", tc.brand)
			}
			var got []byte
			if tc.stdout {
				var buf bytes.Buffer
				stdout = &buf
				defer func() { stdout = os.Stdout }()
				if err := runExport(args); err != nil {
					t.Fatalf("fitctl export %v: %v", args, err)
				}
				got = buf.Bytes()
			} else {
				args = append(args, "--out", out)
				if err := runExport(args); err != nil {
					t.Fatalf("fitctl export %v: %v", args, err)
				}
				if got, err = os.ReadFile(out); err != nil {
					t.Fatal(err)
				}
				if es, _ := os.ReadDir(dir); len(es) != 1 {
					t.Errorf("after the export, %s holds %d entries, want only links.out", dir, len(es))
				}
				if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o644 {
					t.Errorf("links.out: %v, %v; want mode 0644", fi, err)
				}
			}
			got = decompress(t, tc.compress, got)
			want, links := engineExport(t, snap, tc.brand, tc.lf)
			if links == 0 {
				t.Fatal("the engine exports no links: the test checks nothing")
			}
			gotLines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
			wantLines := strings.Split(strings.TrimSuffix(string(want), "\n"), "\n")
			header := 0
			if tc.lf == engine.LinksCSV {
				header = 1
			}
			if int64(len(gotLines)-header) != links {
				t.Errorf("%d lines (%d header), want one per link: %d", len(gotLines), header, links)
			}
			if !slices.Equal(gotLines, wantLines) {
				for i := range min(len(gotLines), len(wantLines)) {
					if gotLines[i] != wantLines[i] {
						t.Fatalf("line %d:\n got %s\nwant %s", i+1, gotLines[i], wantLines[i])
					}
				}
				t.Fatalf("%d lines, want %d", len(gotLines), len(wantLines))
			}
		})
	}
}

// TestExportUnknownBrand: an unknown brand fails naming it, and writes nothing.
func TestExportUnknownBrand(t *testing.T) {
	snap := tinySnapshot(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "links.ndjson")
	err := runExport([]string{"--snapshot", snap, "--brand", "No Such Brand", "--out", out})
	if err == nil || !strings.Contains(err.Error(), `"No Such Brand"`) {
		t.Fatalf("unknown brand: got %v, want an error naming it", err)
	}
	if es, _ := os.ReadDir(dir); len(es) != 0 {
		t.Errorf("after the failed export, %s holds %d entries, want none", dir, len(es))
	}
	for _, args := range [][]string{
		{"--snapshot", snap, "--format", "xml"},
		{"--snapshot", snap, "--compress", "lz4"},
		{"--format", "csv"},
	} {
		if err := runExport(args); err == nil {
			t.Errorf("fitctl export %v: no error", args)
		}
	}
}
