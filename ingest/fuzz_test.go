package ingest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/fitment/fitment/snapshot"
)

// FuzzBuild feeds arbitrary bytes as one of the three source files (the others are the
// base fixture): the build must not panic, and must either fail or produce a catalog
// that holds every documented invariant.
func FuzzBuild(f *testing.F) {
	for i, content := range []string{baseVehicles, baseParts, baseFitments} {
		f.Add(uint8(i), []byte(content))
		f.Add(uint8(i), []byte("\uFEFF"+strings.ToUpper(content[:strings.IndexByte(content, '\n')+1])+"\"a\nb\",\"\"\"\",x\r\n"))
	}
	f.Add(uint8(2), []byte(baseFitments+"P-1,Can-Am,Outlander 1000,,2020-2024,LH,3,n\nP-1,Can-Am,Outlander 1000,,2020-2021,,,\n"))
	f.Add(uint8(1), []byte(baseParts+"P-9,B,N,a>b>c,<p onclick=x>hi<img src=javascript:1></p>,A:1|B:2,12345678,1e3,TRUE,,\n"))
	f.Add(uint8(0), []byte(baseVehicles+"snowmobile,Ski-Doo,MXZ,,\"1900-2100\",600,\n"))
	f.Fuzz(func(t *testing.T, which uint8, content []byte) {
		files := baseFiles()
		name := []string{"vehicles.csv", "parts.csv", "fitments.csv"}[which%3]
		files[name] = string(content)
		cat, rep, err := Build(writeDir(t, files), Options{MaxRejects: 1 << 30})
		if rep == nil {
			t.Fatalf("Build: got a nil report (error %v)", err)
		}
		if err != nil {
			if cat != nil {
				t.Fatalf("Build: got a catalog and error %v", err)
			}
			return
		}
		if err := checkCatalog(cat); err != nil {
			t.Fatalf("Build(%q): got an inconsistent catalog: %v", content, err)
		}
	})
}

func TestCheckCatalogOnFixtures(t *testing.T) {
	cat, _ := mustBuild(t, with(appended("fitments.csv", "P-1,Can-Am,Outlander 1000,,2020,REAR,,", "P-1,Can-Am,Outlander 1000,,2020,,,")))
	if err := checkCatalog(cat); err != nil {
		t.Errorf("checkCatalog(base): got %v, want nil", err)
	}
}

// checkCatalog verifies the invariants documented in snapshot/catalog.go.
func checkCatalog(cat *snapshot.Catalog) error {
	key := snapshot.Key
	for i := 1; i < len(cat.Makes); i++ {
		if key(cat.Makes[i-1].Name) >= key(cat.Makes[i].Name) {
			return fmt.Errorf("makes %d, %d out of order", i-1, i)
		}
	}
	for i, m := range cat.Models {
		if int(m.Make) >= len(cat.Makes) || m.ID != snapshot.ModelID(cat.Makes[m.Make].Name, m.Name) {
			return fmt.Errorf("model %d: bad make or id", i)
		}
		if i > 0 {
			p := cat.Models[i-1]
			if p.Make > m.Make || p.Make == m.Make && key(p.Name) >= key(m.Name) {
				return fmt.Errorf("models %d, %d out of order", i-1, i)
			}
		}
	}
	for i, v := range cat.Vehicles {
		if int(v.Model) >= len(cat.Models) {
			return fmt.Errorf("vehicle %d: bad model", i)
		}
		first := i == 0 || cat.Vehicles[i-1].Model != v.Model || cat.Vehicles[i-1].Year != v.Year
		if first != v.Wildcard() {
			return fmt.Errorf("vehicle %d: wildcard %v but first in model-year %v", i, v.Wildcard(), first)
		}
		if i > 0 && !first && key(cat.Vehicles[i-1].Submodel) >= key(v.Submodel) {
			return fmt.Errorf("vehicles %d, %d out of order", i-1, i)
		}
		if i > 0 && cat.Vehicles[i-1].Model == v.Model && cat.Vehicles[i-1].Year > v.Year || i > 0 && cat.Vehicles[i-1].Model > v.Model {
			return fmt.Errorf("vehicles %d, %d out of order", i-1, i)
		}
	}
	for i := 1; i < len(cat.Brands); i++ {
		if key(cat.Brands[i-1]) >= key(cat.Brands[i]) {
			return fmt.Errorf("brands %d, %d out of order", i-1, i)
		}
	}
	for i, c := range cat.Categories {
		if i > 0 && key(cat.Categories[i-1].Path) >= key(c.Path) {
			return fmt.Errorf("categories %d, %d out of order", i-1, i)
		}
		if c.Parent != snapshot.None && (c.Parent >= uint32(i) || cat.Categories[c.Parent].Level+1 != c.Level) || c.Parent == snapshot.None && c.Level != 1 {
			return fmt.Errorf("category %d: bad parent %d or level %d", i, c.Parent, c.Level)
		}
	}
	for i, p := range cat.Parts {
		if i > 0 && key(cat.Parts[i-1].Number) >= key(p.Number) {
			return fmt.Errorf("parts %d, %d out of order", i-1, i)
		}
		if int(p.Brand) >= len(cat.Brands) || p.Category != snapshot.None && int(p.Category) >= len(cat.Categories) {
			return fmt.Errorf("part %d: bad brand or category", i)
		}
		if _, err := cat.PartDetail(uint32(i)); err != nil {
			return err
		}
	}
	nV, nP := len(cat.Vehicles), len(cat.Parts)
	if cat.VehicleParts.Len() != nV || cat.PartVehicles.Len() != nP || cat.BrandVehicles.Len() != len(cat.Brands) {
		return fmt.Errorf("postings lengths %d %d %d", cat.VehicleParts.Len(), cat.PartVehicles.Len(), cat.BrandVehicles.Len())
	}
	links := 0
	for v := 0; v < nV; v++ {
		for _, p := range cat.VehicleParts.Get(v).ToArray() {
			links++
			if int(p) >= nP || !cat.PartVehicles.Get(int(p)).Contains(uint32(v)) {
				return fmt.Errorf("link %d-%d missing from PartVehicles", v, p)
			}
			if !cat.Parts[p].Universal && !cat.BrandVehicles.Get(int(cat.Parts[p].Brand)).Contains(uint32(v)) {
				return fmt.Errorf("link %d-%d missing from BrandVehicles", v, p)
			}
		}
	}
	back := 0
	for p := 0; p < nP; p++ {
		back += int(cat.PartVehicles.Get(p).GetCardinality())
	}
	if back != links {
		return fmt.Errorf("PartVehicles holds %d links, VehicleParts %d", back, links)
	}
	d := cat.Details
	if len(d.Offsets) != nV+1 || d.Offsets[nV] != uint32(len(d.Entries)) {
		return fmt.Errorf("details offsets")
	}
	for v := 0; v < nV; v++ {
		es := d.Entries[d.Offsets[v]:d.Offsets[v+1]]
		for i, e := range es {
			if i > 0 && (es[i-1].Part > e.Part || es[i-1].Part == e.Part && es[i-1].Position >= e.Position) {
				return fmt.Errorf("details of vehicle %d out of order", v)
			}
			if !cat.VehicleParts.Get(v).Contains(e.Part) || int(e.Position) >= len(cat.Positions) || int(e.Note) >= len(cat.Notes) {
				return fmt.Errorf("detail %+v of vehicle %d: no such link, position or note", e, v)
			}
		}
	}
	for _, tab := range [][]string{cat.Positions, cat.Notes} {
		if len(tab) == 0 || tab[0] != "" {
			return fmt.Errorf("interned table %q does not start with \"\"", tab)
		}
		for i := 2; i < len(tab); i++ {
			if tab[i-1] >= tab[i] {
				return fmt.Errorf("interned table %q not sorted", tab)
			}
		}
	}
	return nil
}
