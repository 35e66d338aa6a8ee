package gen

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fitment/fitment/ingest"
)

// The files of revision 0 as the generator wrote them before revisions existed (commit
// 4093afe): revisions must not change a byte of them.
var revisionZeroHashes = map[string]map[string]string{
	"tiny": {
		"vehicles.csv":                        "d15d6fda929865d7dba88006a70ee292e54038f1bce74611916ae5e87d069795",
		"parts.csv":                           "20dec98d1f2527bd630c53de7f66478c051c9fae1401a2f32c7f9c90b90fd150",
		"fitments.csv":                        "b04195c61da517436cd780a176506e6dbc72a3a9cd54b62785ea365e61102089",
		"tenants.json":                        "bdafeb306e7620bdbcf4dadff362f45ba32d86db63664a4b605a4b0fe27b607f",
		"feeds/demo-alpine-moto.csv":          "ac9dfccfe335fa0c827003153a0c613d43c9b6a16ea7f36faf88742a3f044a57",
		"feeds/demo-nordic-powersports.csv":   "dadb16c0c56886af90ea488753e26202ec06caf798e8c8f6e4714efb1f1beb2a",
		"feeds/demo-rhein-quad-locations.csv": "2c124727d2aca17a4ff540ac62723f25d414518f897d28950bd5beb121be1ea7",
		"feeds/demo-rhein-quad.csv":           "946e84f6f51da1e56f579fac04548f01aa5294dfc86e348692545d8b0bd58d56",
		"own/demo-alpine-moto-parts.ndjson":   "b78f230c6a4433b8e94497c612c0a36e3ec02e481fdd311a954239853919bf44",
		"own/demo-alpine-moto-vehicles.csv":   "7b5c73a1af8931ecac619809b6a0a9e5b7cda9bad2f37e97809a772f444f3a72",
	},
	"small": {
		"vehicles.csv": "72ed26e04d825b138e0c50e5d084f864b5ab74321420d657300edb80f48eed11",
		"parts.csv":    "6dd2823ed3c87205776133365eda58687614e8bd774669afca913452dcf40c2f",
		"fitments.csv": "80a3871e328901a12e9a329fe0304acc4cca2ffd18b1bdc893c535022adb6891",
		"tenants.json": "48c855f74bb4f4b6f1d4b875946b2d7afdc8236b308ce52a5fb6c9a6e61d0096",
	},
}

func TestRevisionZeroUnchanged(t *testing.T) {
	profiles := []string{"tiny"}
	if !testing.Short() {
		profiles = append(profiles, "small")
	}
	for _, name := range profiles {
		dir, _ := generate(t, name, 1, Options{Revision: 0})
		want := revisionZeroHashes[name]
		if name == "tiny" {
			if files := append(slices.Clone(outputFiles), feedFiles(t, dir)...); len(files) != len(want) {
				t.Errorf("Generate(%s, 1) revision 0: %d files, want %d", name, len(files), len(want))
			}
		}
		for f, h := range want {
			sum := sha256.Sum256(readAll(t, filepath.Join(dir, f)))
			if got := hex.EncodeToString(sum[:]); got != h {
				t.Errorf("Generate(%s, 1) revision 0: %s sha256 %s, want %s", name, f, got, h)
			}
		}
	}
}

// catalogCSV is a generated catalog read back: parts by lower-case number, each part's
// fitment rows (without the part number), the vehicle keys with their years, the brands.
type catalogCSV struct {
	parts    map[string][]string
	fits     map[string][][]string
	vehicles map[string]bool // make/model/submodel/year
	brands   map[string]bool
}

func readCatalogCSV(t *testing.T, dir string) *catalogCSV {
	t.Helper()
	c := &catalogCSV{parts: map[string][]string{}, fits: map[string][][]string{}, vehicles: map[string]bool{}, brands: map[string]bool{}}
	for _, r := range readCSV(t, filepath.Join(dir, "parts.csv"), partsHeader) {
		c.parts[strings.ToLower(r[0])] = r
		c.brands[r[1]] = true
	}
	for _, r := range readCSV(t, filepath.Join(dir, "fitments.csv"),
		[]string{"part_number", "make", "model", "submodel", "years", "position", "qty", "notes"}) {
		pn := strings.ToLower(r[0])
		c.fits[pn] = append(c.fits[pn], r[1:])
	}
	for _, r := range readCSV(t, filepath.Join(dir, "vehicles.csv"),
		[]string{"type", "make", "model", "submodel", "years", "engine_cc", "generation"}) {
		for _, y := range parseYears(t, r[4]) {
			for _, sub := range []string{"", r[3]} {
				c.vehicles[r[1]+"/"+r[2]+"/"+sub+"/"+itoa(y)] = true
			}
		}
	}
	return c
}

func itoa(n int) string { return string(appendInt(nil, n)) }

// fitKeys are the (make, model, submodel, position) of a part's rows: a refit adds or removes
// one; a new model year only extends a row's years.
func fitKeys(rows [][]string) []string {
	var ks []string
	for _, r := range rows {
		ks = append(ks, r[0]+"/"+r[1]+"/"+r[2]+"/"+r[4])
	}
	slices.Sort(ks)
	return ks
}

// revisionDiff counts what changed from a to b.
type revisionDiff struct {
	removed, added, renamed, recategorized, refitted, extended, vehicles int
	removedSet, addedSet                                                 map[string]bool
}

func diffCatalogs(t *testing.T, a, b *catalogCSV) revisionDiff {
	t.Helper()
	d := revisionDiff{removedSet: map[string]bool{}, addedSet: map[string]bool{}}
	for pn, ra := range a.parts {
		rb, ok := b.parts[pn]
		if !ok {
			d.removed++
			d.removedSet[pn] = true
			if len(b.fits[pn]) > 0 {
				t.Errorf("removed part %s: %d fitment rows left", pn, len(b.fits[pn]))
			}
			continue
		}
		if ra[3] != rb[3] {
			d.recategorized++
		} else if ra[2] != rb[2] {
			d.renamed++
		}
		if !slices.Equal(fitKeys(a.fits[pn]), fitKeys(b.fits[pn])) {
			d.refitted++
		} else if !slices.EqualFunc(a.fits[pn], b.fits[pn], slices.Equal) {
			d.extended++
		}
	}
	for pn := range b.parts {
		if _, ok := a.parts[pn]; !ok {
			d.added++
			d.addedSet[pn] = true
		}
	}
	for v := range b.vehicles {
		if !a.vehicles[v] {
			d.vehicles++
		}
	}
	for v := range a.vehicles {
		if !b.vehicles[v] {
			t.Errorf("vehicle %s: gone in the later revision", v)
		}
	}
	return d
}

func TestRevisions(t *testing.T) {
	name := "small"
	if testing.Short() {
		name = "tiny"
	}
	p, _ := ProfileByName(name)
	dirs := make([]string, 3)
	cats := make([]*catalogCSV, 3)
	sts := make([]Stats, 3)
	for r := range dirs {
		dirs[r], sts[r] = generate(t, name, 1, Options{Revision: r})
		cats[r] = readCatalogCSV(t, dirs[r])
	}

	t.Run("deterministic", func(t *testing.T) {
		again, _ := generate(t, name, 1, Options{Revision: 1})
		for _, f := range outputFiles {
			if !bytes.Equal(readAll(t, filepath.Join(dirs[1], f)), readAll(t, filepath.Join(again, f))) {
				t.Errorf("Generate(%s, 1) revision 1: %s differs between runs", name, f)
			}
		}
	})

	t.Run("amounts", func(t *testing.T) {
		d := diffCatalogs(t, cats[0], cats[1])
		t.Logf("revision 0 → 1: %+v", struct{ removed, added, renamed, recategorized, refitted, extended, vehicles int }{
			d.removed, d.added, d.renamed, d.recategorized, d.refitted, d.extended, d.vehicles})
		brandParts := max(2, p.Parts/2000)
		tol := 0.35
		if name == "tiny" {
			tol = 1
		}
		for _, c := range []struct {
			what      string
			got, want int
		}{
			{"removed", d.removed, p.Parts / 200},
			{"added", d.added, p.Parts/100 + brandParts},
			{"renamed", d.renamed, p.Parts / 100},
			{"recategorized", d.recategorized, p.Parts / 100},
			{"refitted", d.refitted, p.Parts / 100},
		} {
			if !within(c.got, c.want, tol) {
				t.Errorf("revision 1 %s parts: got %d, want %d ±%.0f%%", c.what, c.got, c.want, tol*100)
			}
		}
		if d.vehicles == 0 || d.extended == 0 {
			t.Errorf("revision 1: %d new vehicles, %d parts with extended fitments; want some of each", d.vehicles, d.extended)
		}
		if got, want := len(cats[1].brands), len(cats[0].brands)+1; got != want {
			t.Errorf("revision 1 brands: got %d, want %d (one new)", got, want)
		}
	})

	t.Run("cumulative", func(t *testing.T) {
		d1, d2 := diffCatalogs(t, cats[0], cats[1]), diffCatalogs(t, cats[0], cats[2])
		for pn := range d1.removedSet {
			if !d2.removedSet[pn] {
				t.Errorf("part %s removed in revision 1 is back in revision 2", pn)
			}
		}
		for pn := range d1.addedSet {
			if !d2.addedSet[pn] {
				t.Errorf("part %s added in revision 1 is missing in revision 2", pn)
			}
		}
		if d2.removed <= d1.removed || d2.added <= d1.added || d2.vehicles < d1.vehicles {
			t.Errorf("revision 2 (%d removed, %d added, %d vehicles) is not revision 1 (%d, %d, %d) and more",
				d2.removed, d2.added, d2.vehicles, d1.removed, d1.added, d1.vehicles)
		}
	})

	t.Run("builds", func(t *testing.T) {
		for r := 1; r < len(dirs); r++ {
			_, rep, err := ingest.Build(dirs[r], ingest.Options{MaxRejects: 0})
			if err != nil {
				t.Fatalf("ingest.Build(revision %d): %v", r, err)
			}
			if len(rep.Rejects) > 0 || rep.MergedDuplicates > 0 {
				t.Errorf("ingest.Build(revision %d): %d rejects (first %+v), %d duplicates merged", r, len(rep.Rejects), rep.Rejects[:min(1, len(rep.Rejects))], rep.MergedDuplicates)
			}
			st := sts[r]
			if rep.Parts != st.Parts || rep.UniversalParts != st.UniversalParts || rep.Brands != st.Brands ||
				rep.Vehicles != st.Vehicles || rep.FitmentRows != st.FitmentRows || rep.Fitments != st.FitmentLinks {
				t.Errorf("revision %d: Stats say %d parts (%d universal), %d brands, %d vehicles, %d fitment rows, %d links; the build %d (%d), %d, %d, %d, %d",
					r, st.Parts, st.UniversalParts, st.Brands, st.Vehicles, st.FitmentRows, st.FitmentLinks,
					rep.Parts, rep.UniversalParts, rep.Brands, rep.Vehicles, rep.FitmentRows, rep.Fitments)
			}
		}
	})
}
