package ingest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/fitment/fitment/snapshot"
)

// The base fixture: every test starts from it and replaces or edits files.
const (
	baseVehicles = `type,make,model,submodel,years,engine_cc,generation
atv,Can-Am,Outlander 1000,,2020-2024,976,G2
atv,Can-Am,Outlander 1000,X-MR,2020-2022,976,G2
utv,Polaris,RZR XP 1000,,2019-2021,999,
atv,Honda,TRX420,FA6,"2012-2014, 2016-2017",420,
`
	baseParts = `part_number,brand,name,category,description,oem_numbers,ean,weight_kg,universal,name_de,description_de
P-1,EBC,Brake pad,Brakes > Brake pads > Sintered,"Sintered pads, for mud",HONDA:06455|YAMAHA:5X,4006633123456,0.5,false,Bremsbelag,Gesintert
P-2,K&N,Air filter,Engine > Air filters,"<p>Washable <script>alert(1)</script><a href=""javascript:x"">bad</a> <a href=""https://kn.com"">ok</a></p>",,,,,,
p-3,Alphatrac,Grease,,,,,,true,,
`
	baseFitments = `part_number,make,model,submodel,years,position,qty,notes
P-1,Can-Am,Outlander 1000,,2020-2024,FRONT,2,
P-1,Can-Am,Outlander 1000,X-MR,2021,,,
P-2,Honda,TRX420,FA6,2012-2013,,,
P-3,Polaris,RZR XP 1000,,2019,,,
`
)

func baseFiles() map[string]string {
	return map[string]string{"vehicles.csv": baseVehicles, "parts.csv": baseParts, "fitments.csv": baseFitments}
}

// writeDir writes files (name → content) into a new temporary directory.
func writeDir(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		data := []byte(content)
		switch {
		case strings.HasSuffix(name, ".gz"):
			var b bytes.Buffer
			w := gzip.NewWriter(&b)
			w.Write(data)
			w.Close()
			data = b.Bytes()
		case strings.HasSuffix(name, ".zst"):
			w, _ := zstd.NewWriter(nil)
			data = w.EncodeAll(data, nil)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// lenient tolerates any number of rejects.
var lenient = Options{MaxRejects: 1 << 30}

// dump renders every table of a catalog, postings and part details included, so that
// two catalogs can be compared as text and a failure shows the difference.
func dump(cat *snapshot.Catalog) string {
	var b strings.Builder
	for i, m := range cat.Makes {
		fmt.Fprintf(&b, "make %d %+v\n", i, m)
	}
	for i, m := range cat.Models {
		fmt.Fprintf(&b, "model %d %+v\n", i, m)
	}
	for i, v := range cat.Vehicles {
		fmt.Fprintf(&b, "vehicle %d %+v parts=%v\n", i, v, cat.VehicleParts.Get(i).ToArray())
	}
	for i, br := range cat.Brands {
		fmt.Fprintf(&b, "brand %d %s vehicles=%v\n", i, br, cat.BrandVehicles.Get(i).ToArray())
	}
	for i, c := range cat.Categories {
		fmt.Fprintf(&b, "category %d %+v\n", i, c)
	}
	for i, p := range cat.Parts {
		d, err := cat.PartDetail(uint32(i))
		dims := []*float64{d.WeightKg, d.LengthCm, d.WidthCm, d.HeightCm}
		d.WeightKg, d.LengthCm, d.WidthCm, d.HeightCm = nil, nil, nil, nil
		fmt.Fprintf(&b, "part %d %+v vehicles=%v\n  detail %+v %v", i, p, cat.PartVehicles.Get(i).ToArray(), d, err)
		for _, f := range dims {
			if f != nil {
				fmt.Fprintf(&b, " %g", *f)
			} else {
				b.WriteString(" -")
			}
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "details %v %v\npositions %q\nnotes %q\n", cat.Details.Offsets, cat.Details.Entries, cat.Positions, cat.Notes)
	return b.String()
}

func buildFiles(t testing.TB, files map[string]string, opts Options) (*snapshot.Catalog, *Report, error) {
	t.Helper()
	return Build(writeDir(t, files), opts)
}

func mustBuild(t testing.TB, files map[string]string) (*snapshot.Catalog, *Report) {
	t.Helper()
	cat, rep, err := buildFiles(t, files, Options{})
	if err != nil {
		t.Fatalf("Build: %v\n%s", err, rejectLines(rep))
	}
	return cat, rep
}

func rejectLines(rep *Report) string {
	if rep == nil {
		return ""
	}
	var lines []string
	for _, r := range rep.Rejects {
		lines = append(lines, r.String())
	}
	return strings.Join(lines, "\n")
}

// vehicleByName finds a vehicle by make/model/submodel/year, -1 when absent.
func vehicleByName(cat *snapshot.Catalog, mk, md, sub string, year int) int {
	for i, v := range cat.Vehicles {
		m := cat.Models[v.Model]
		if cat.Makes[m.Make].Name == mk && m.Name == md && v.Submodel == sub && int(v.Year) == year {
			return i
		}
	}
	return -1
}

func partByNumber(cat *snapshot.Catalog, num string) int {
	for i, p := range cat.Parts {
		if snapshot.Key(p.Number) == snapshot.Key(num) {
			return i
		}
	}
	return -1
}
