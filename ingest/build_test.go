package ingest

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/fitment/fitment/snapshot"
)

// shuffleColumns rewrites a simple CSV (no quoted commas or newlines) with its columns
// reversed and the header upper-cased.
func shuffleColumns(content string) string {
	var out []string
	for i, line := range strings.Split(strings.TrimSuffix(content, "\n"), "\n") {
		cells := splitSimple(line)
		slices.Reverse(cells)
		if i == 0 {
			for j := range cells {
				cells[j] = " " + strings.ToUpper(cells[j]) + " "
			}
		}
		out = append(out, strings.Join(cells, ","))
	}
	return strings.Join(out, "\r\n") + "\r\n"
}

// splitSimple splits a line at commas outside double quotes, keeping the quotes.
func splitSimple(line string) []string {
	var cells []string
	start, quoted := 0, false
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				cells = append(cells, line[start:i])
				start = i + 1
			}
		}
	}
	return append(cells, line[start:])
}

func TestBuildEquivalentSources(t *testing.T) {
	base, _ := mustBuild(t, baseFiles())
	want := dump(base)
	tests := []struct {
		name  string
		files map[string]string
	}{
		{"BOM", with("vehicles.csv", "\uFEFF"+baseVehicles, "parts.csv", "\uFEFF"+baseParts, "fitments.csv", "\uFEFF"+baseFitments)},
		{"shuffled upper-case columns, CRLF", with("vehicles.csv", shuffleColumns(baseVehicles), "parts.csv", shuffleColumns(baseParts), "fitments.csv", shuffleColumns(baseFitments))},
		{"gzip and zstd", map[string]string{"vehicles.csv.gz": baseVehicles, "parts.csv.zst": baseParts, "fitments.csv.gz": baseFitments}},
		{"zstd", map[string]string{"vehicles.csv.zst": baseVehicles, "parts.csv.zst": baseParts, "fitments.csv.zst": baseFitments}},
		{"padded cells and blank lines", with("fitments.csv", strings.ReplaceAll(baseFitments, ",", " , ")+"\n\n")},
		{"optional columns absent", with("fitments.csv", baseFitments, "vehicles.csv", baseVehicles)},
		{"explicit repeated vehicles merge", with(appended("vehicles.csv", "ATV,can-am,OUTLANDER 1000,x-mr,2021-2022,,", "atv,Can-Am,Outlander 1000,,2024,,"))},
	}
	for _, tt := range tests {
		cat, rep := mustBuild(t, tt.files)
		if got := dump(cat); got != want {
			t.Errorf("Build(%s): got\n%s\nwant\n%s", tt.name, got, want)
		}
		if len(rep.Warnings) != 0 || len(rep.Rejects) != 0 {
			t.Errorf("Build(%s): got warnings %q, rejects %v, want none", tt.name, rep.Warnings, rep.Rejects)
		}
	}
}

func TestBuildCatalog(t *testing.T) {
	cat, rep := mustBuild(t, baseFiles())
	// Sort orders and stable ids.
	if !slices.IsSortedFunc(cat.Makes, func(a, b snapshot.Make) int { return strings.Compare(snapshot.Key(a.Name), snapshot.Key(b.Name)) }) {
		t.Errorf("Build: makes not sorted: %v", cat.Makes)
	}
	for i, v := range cat.Vehicles {
		m := cat.Models[v.Model]
		if want := snapshot.VehicleID(cat.Makes[m.Make].Name, m.Name, v.Submodel, int(v.Year)); v.ID != want {
			t.Errorf("Build: vehicle %d id: got %s, want %s", i, v.ID, want)
		}
		if i > 0 {
			p := cat.Vehicles[i-1]
			if p.Model > v.Model || (p.Model == v.Model && (p.Year > v.Year || (p.Year == v.Year && snapshot.Key(p.Submodel) >= snapshot.Key(v.Submodel)))) {
				t.Errorf("Build: vehicles %d and %d out of order", i-1, i)
			}
			if (p.Model != v.Model || p.Year != v.Year) && !v.Wildcard() {
				t.Errorf("Build: vehicle %d %+v: got a submodel first in its model-year, want the wildcard", i, v)
			}
		}
	}
	// The gap year of "2012-2014, 2016-2017" is a gap.
	if vehicleByName(cat, "Honda", "TRX420", "FA6", 2015) >= 0 || vehicleByName(cat, "Honda", "TRX420", "", 2015) >= 0 {
		t.Errorf("Build: got a Honda TRX420 2015, want none (gap year)")
	}
	if vehicleByName(cat, "Honda", "TRX420", "", 2016) < 0 {
		t.Errorf("Build: got no implicit wildcard Honda TRX420 2016")
	}
	if rep.ImplicitWilds != 5 {
		t.Errorf("Build: ImplicitWilds: got %d, want 5", rep.ImplicitWilds)
	}
	// Wildcard fitments go to the wildcard vehicles only, directly.
	p1 := uint32(partByNumber(cat, "P-1"))
	for y := 2020; y <= 2024; y++ {
		v := vehicleByName(cat, "Can-Am", "Outlander 1000", "", y)
		if !cat.VehicleParts.Get(v).Contains(p1) {
			t.Errorf("Build: wildcard Outlander %d: got parts %v, want P-1 (%d)", y, cat.VehicleParts.Get(v).ToArray(), p1)
		}
		if d := cat.Details.For(uint32(v), p1); len(d) != 1 || cat.Positions[d[0].Position] != "FRONT" || d[0].Qty != 2 {
			t.Errorf("Build: details of Outlander %d / P-1: got %v, want FRONT qty 2", y, d)
		}
	}
	xmr := vehicleByName(cat, "Can-Am", "Outlander 1000", "X-MR", 2020)
	if got := cat.VehicleParts.Get(xmr).ToArray(); len(got) != 0 {
		t.Errorf("Build: Outlander X-MR 2020: got parts %v, want none (wildcard parts are not copied)", got)
	}
	// Universal parts keep their fitments but stay out of BrandVehicles.
	p3 := partByNumber(cat, "p-3")
	if !cat.Parts[p3].Universal || cat.PartVehicles.Get(p3).GetCardinality() != 1 {
		t.Errorf("Build: p-3: got %+v with vehicles %v, want universal with its one fitment", cat.Parts[p3], cat.PartVehicles.Get(p3).ToArray())
	}
	if got := cat.BrandVehicles.Get(int(cat.Parts[p3].Brand)).GetCardinality(); got != 0 {
		t.Errorf("Build: BrandVehicles of Alphatrac: got %d vehicles, want 0", got)
	}
	// Part contents.
	p := cat.Parts[p1]
	d, _ := cat.PartDetail(p1)
	if p.OEM != "06455" || p.Names[0] != (snapshot.Translation{Lang: "de", Text: "Bremsbelag"}) || cat.Categories[p.Category].Path != "Brakes > Brake pads > Sintered" ||
		d.Description != "<p>Sintered pads, for mud</p>" || d.Descriptions["de"] != "<p>Gesintert</p>" || *d.WeightKg != 0.5 {
		t.Errorf("Build: P-1: got %+v %+v", p, d)
	}
	if len(cat.Categories) != 5 || cat.Categories[1].Parent != 0 || cat.Categories[1].Level != 2 || cat.Categories[1].ID != snapshot.CategoryID("Brakes > Brake pads") {
		t.Errorf("Build: categories: got %+v", cat.Categories)
	}
	d2, _ := cat.PartDetail(uint32(partByNumber(cat, "P-2")))
	if want := `<p>Washable bad <a href="https://kn.com">ok</a></p>`; d2.Description != want {
		t.Errorf("Build: P-2 description: got %q, want %q", d2.Description, want)
	}
	if _, err := cat.PartDetail(uint32(len(cat.Parts))); err == nil {
		t.Errorf("PartDetail(%d): got no error, want out of range", len(cat.Parts))
	}
	if rep.Parts != 3 || rep.Vehicles != 21 || rep.FitmentRows != 4 || rep.ExpandedFitments != 9 || rep.Links != 9 || rep.MergedDuplicates != 0 {
		t.Errorf("Build: report counts: got %+v", rep)
	}
}

func TestBuildMergesDuplicateFitments(t *testing.T) {
	files := with(appended("fitments.csv",
		"P-1,Can-Am,Outlander 1000,,2020-2021,FRONT,,with ABS", // same (part, vehicle, FRONT): qty 2 stays, the note fills in
		"P-1,Can-Am,Outlander 1000,,2020,REAR,,",
		"P-1,Can-Am,Outlander 1000,,2020,,,", // plain fitment of a link with positions
		"P-2,Honda,TRX420,FA6,2012,,,",       // a plain duplicate
		"P-2,Honda,TRX420,,2012,,3,",
		"P-2,Honda,TRX420,,2012,,,", // merges into the qty-3 fitment without position
	))
	cat, rep := mustBuild(t, files)
	pos := func(s string) uint16 { return uint16(slices.Index(cat.Positions, s)) }
	note := uint32(slices.Index(cat.Notes, "with ABS"))
	p1, p2 := uint32(partByNumber(cat, "P-1")), uint32(partByNumber(cat, "P-2"))
	tests := []struct {
		vehicle int
		part    uint32
		want    []snapshot.Detail
	}{
		{vehicleByName(cat, "Can-Am", "Outlander 1000", "", 2020), p1, []snapshot.Detail{{Part: p1}, {Part: p1, Position: pos("FRONT"), Qty: 2, Note: note}, {Part: p1, Position: pos("REAR")}}},
		{vehicleByName(cat, "Can-Am", "Outlander 1000", "", 2021), p1, []snapshot.Detail{{Part: p1, Position: pos("FRONT"), Qty: 2, Note: note}}},
		{vehicleByName(cat, "Can-Am", "Outlander 1000", "", 2022), p1, []snapshot.Detail{{Part: p1, Position: pos("FRONT"), Qty: 2}}},
		{vehicleByName(cat, "Honda", "TRX420", "FA6", 2012), p2, nil},
		{vehicleByName(cat, "Honda", "TRX420", "", 2012), p2, []snapshot.Detail{{Part: p2, Qty: 3}}},
	}
	for _, tt := range tests {
		if got := cat.Details.For(uint32(tt.vehicle), tt.part); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Details.For(%d, %d): got %v, want %v", tt.vehicle, tt.part, got, tt.want)
		}
	}
	if !slices.Equal(cat.Positions, []string{"", "FRONT", "REAR"}) || !slices.Equal(cat.Notes, []string{"", "with ABS"}) {
		t.Errorf("Build: got positions %q, notes %q", cat.Positions, cat.Notes)
	}
	// 9 base + 2 + 1 + 1 + 1 + 1 + 1 expanded; merged: FRONT 2020, 2021; FA6 2012; the plain P-2 2012.
	if rep.ExpandedFitments != 16 || rep.MergedDuplicates != 4 || rep.Fitments != 12 || rep.Links != 10 {
		t.Errorf("Build: counts: got expanded %d, merged %d, fitments %d, links %d, want 16, 4, 12, 10", rep.ExpandedFitments, rep.MergedDuplicates, rep.Fitments, rep.Links)
	}
}

func TestBuildQuotedFields(t *testing.T) {
	parts := baseParts + "P-4,EBC,\"Pad, \"\"large\"\"\",,\"Line one, with comma\nline two\n\nSecond < 2 paragraph\",,,,,,\n" +
		"P-5,EBC,Pad,,,,,,,,\n" +
		"P-6,EBC,Pad,,,,bad,,,,\n"
	cat, rep, err := buildFiles(t, with("parts.csv", parts), lenient)
	if err != nil {
		t.Fatal(err)
	}
	p4 := partByNumber(cat, "P-4")
	d, _ := cat.PartDetail(uint32(p4))
	if want := "<p>Line one, with comma<br>line two</p><p>Second &lt; 2 paragraph</p>"; cat.Parts[p4].Name != `Pad, "large"` || d.Description != want {
		t.Errorf("Build: P-4: got %q, %q, want %q, %q", cat.Parts[p4].Name, d.Description, `Pad, "large"`, want)
	}
	// Line numbers stay physical after a field with line breaks.
	if got := rejectLines(rep); got != `parts.csv:10: bad ean "bad" (want 8-14 digits)` {
		t.Errorf("Build: got rejects %q, want the one on line 10", got)
	}
}

func TestBuildWarnsUnknownColumns(t *testing.T) {
	parts := strings.Replace(baseParts, "description_de\n", "description_de,Color,name_deu\n", 1)
	parts = strings.ReplaceAll(parts, ",Gesintert\n", ",Gesintert,red,x\n")
	parts = strings.ReplaceAll(parts, ",,\n", ",,,,\n")
	cat, rep := mustBuild(t, with("parts.csv", parts, "vehicles.csv", strings.Replace(baseVehicles, "generation", "market", 1)))
	want := []string{`vehicles.csv: unknown column "market" ignored`, `parts.csv: unknown column "color" ignored`, `parts.csv: unknown column "name_deu" ignored`}
	if !slices.Equal(rep.Warnings, want) {
		t.Errorf("Build: got warnings %q, want %q", rep.Warnings, want)
	}
	if len(cat.Parts) != 3 {
		t.Errorf("Build: got %d parts, want 3", len(cat.Parts))
	}
}

func TestBuildMaxRejects(t *testing.T) {
	// 4 + 3 + 4 base rows + 2 bad rows = 13 rows, 2 rejected.
	files := with(appended("fitments.csv", "P-99,Honda,TRX420,FA6,2013,,,", "P-98,Honda,TRX420,FA6,2013,,,"))
	tests := []struct {
		opts    Options
		wantErr bool
		limit   int
	}{
		{Options{}, true, 0},
		{Options{MaxRejects: 1}, true, 1},
		{Options{MaxRejects: 2}, false, 2},
		{Options{MaxRejects: -1, MaxRejectRatio: 0.1}, true, 1},
		{Options{MaxRejects: -1, MaxRejectRatio: 0.2}, false, 2},
		{DefaultOptions(), true, 0},
	}
	for _, tt := range tests {
		cat, rep, err := buildFiles(t, files, tt.opts)
		if (err != nil) != tt.wantErr || (cat == nil) != tt.wantErr || rep.MaxRejects != tt.limit || len(rep.Rejects) != 2 || rep.DataRows != 13 || rep.Parts != 3 {
			t.Errorf("Build(%+v): got error %v, limit %d, %d of %d rejected, want error %v, limit %d, 2 of 13", tt.opts, err, rep.MaxRejects, len(rep.Rejects), rep.DataRows, tt.wantErr, tt.limit)
		}
		if err != nil && !errors.Is(err, ErrTooManyRejects) {
			t.Errorf("Build(%+v): got %v, want ErrTooManyRejects", tt.opts, err)
		}
		var b bytes.Buffer
		rep.WriteTo(&b)
		if !strings.Contains(b.String(), "fitments.csv:6: unknown part P-99\nfitments.csv:7: unknown part P-98\n") {
			t.Errorf("Report.WriteTo: got\n%s\nwant both rejected rows", b.String())
		}
	}
}

func TestBuildDeterministic(t *testing.T) {
	files := with(appended("fitments.csv",
		"P-1,Can-Am,Outlander 1000,X-MR,2020-2022,LH,1,note b",
		"P-1,Can-Am,Outlander 1000,X-MR,2020-2022,RH,1,note a",
		"P-2,Can-Am,Outlander 1000,,2020-2024,,,note c",
	))
	dir := writeDir(t, files)
	var cats []*snapshot.Catalog
	for range 2 {
		cat, _, err := Build(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		cats = append(cats, cat)
	}
	if d0, d1 := dump(cats[0]), dump(cats[1]); d0 != d1 {
		t.Fatalf("Build twice: got\n%s\nand\n%s", d0, d1)
	}
	for _, c := range cats {
		c.PartDetail = nil // funcs never compare equal
	}
	if !reflect.DeepEqual(cats[0], cats[1]) {
		t.Errorf("Build twice: got catalogs that differ")
	}
}

func TestInputSizeAndProgress(t *testing.T) {
	dir := writeDir(t, map[string]string{"vehicles.csv.gz": baseVehicles, "parts.csv": baseParts, "fitments.csv.zst": baseFitments})
	size, err := InputSize(dir)
	if err != nil {
		t.Fatal(err)
	}
	var last int64
	_, rep, err := Build(dir, Options{Progress: func(n int64) {
		if n < last {
			t.Errorf("Progress(%d): got a value below the last %d", n, last)
		}
		last = n
	}})
	if err != nil {
		t.Fatal(err)
	}
	if last != size {
		t.Errorf("Progress: got %d bytes at the end, want InputSize %d", last, size)
	}
	if rep.Files[0].File != "vehicles.csv.gz" || rep.Files[2].Rows != 4 {
		t.Errorf("Build: got files %+v", rep.Files)
	}
	if s := rep.Summary(); !strings.Contains(s, "rejected 0 of 11 rows") {
		t.Errorf("Report.Summary(): got %q", s)
	}
}
