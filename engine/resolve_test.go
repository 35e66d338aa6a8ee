package engine_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/ingest"
	"github.com/fitment/fitment/snapshot"
)

// A hand-written catalog of real vehicles for the recogniser's examples. Brand ALL fits every
// model-year's wildcard (so a tenant subscribed to it sees every vehicle); brand YFZ only the
// YFZ450R SE.
var resolveFixture = map[string]string{
	"vehicles.csv": `type,make,model,submodel,years,engine_cc,generation
atv,Can-Am,Outlander 1000,,2022-2024,976,
atv,Can-Am,Outlander 1000,X-MR,2022-2024,976,G2
atv,Can-Am,Outlander 1000,XT,2022-2024,976,G2
atv,Can-Am,Outlander 1000,XT-P,2022-2024,976,G2
atv,Can-Am,Outlander 650,X-MR,2022-2024,649,
atv,Can-Am,Renegade,X XC,2021-2024,976,
atv,Yamaha,YFZ450R,,2018-2021,449,
atv,Yamaha,YFZ450R,SE,2019-2020,449,
atv,Yamaha,YFZ450,,2012-2013,449,
atv,Yamaha,Raptor 700R,,2019-2024,686,
motorcycle,KTM,300 EXC,TPI,2019-2023,293,
motorcycle,KTM,300 EXC,TPI Six Days,2020-2023,293,
motorcycle,KTM,250 EXC,TPI,2019-2023,249,
motorcycle,KTM,300 XC-W,TPI,2019-2023,293,
motorcycle,Yamaha,XTZ690 (Ténéré 700),,2019-2024,689,
motorcycle,Yamaha,XTZ690 (Ténéré 700),World Raid,2022-2024,689,
motorcycle,Yamaha,XTZ690 (Ténéré 700),Rally,2021-2022,689,
snowmobile,Ski-Doo,Summit,X,2020-2024,849,
snowmobile,Ski-Doo,Summit,SP,2020-2024,849,
snowmobile,Ski-Doo,Summit,Expert 600R,2020-2024,599,
snowmobile,Ski-Doo,MXZ,X-RS,2020-2024,849,
snowmobile,Lynx,Rave,RE 600R,2020-2024,599,
motorcycle,Harley-Davidson,Road Glide,Special,2019-2023,1868,
motorcycle,Harley-Davidson,Street Glide,Special,2019-2023,1868,
utv,Polaris,Ranger,XP 1000,2019-2024,999,
utv,Polaris,RZR,XP Turbo,2019-2024,925,
motorcycle,Honda,CRF450R,,2019-2024,449,
motorcycle,Honda,CRF450RX,,2019-2024,449,
motorcycle,Husqvarna,TE 300i,,2019-2023,293,
`,
	"parts.csv": "part_number,brand,name\nALL-1,ALL,Grease nipple\nYFZ-1,YFZ,Brake pads\n",
}

func resolveCatalog(t testing.TB) *snapshot.Catalog {
	t.Helper()
	dir := t.TempDir()
	var fits strings.Builder
	fits.WriteString("part_number,make,model,submodel,years\n")
	seen := map[string]bool{}
	for _, line := range strings.Split(resolveFixture["vehicles.csv"], "\n")[1:] {
		f := strings.Split(line, ",")
		if len(f) < 5 || seen[f[1]+f[2]+f[4]] {
			continue
		}
		seen[f[1]+f[2]+f[4]] = true
		fmt.Fprintf(&fits, "ALL-1,%s,%s,,%s\n", f[1], f[2], f[4])
	}
	fits.WriteString("YFZ-1,Yamaha,YFZ450R,SE,2019-2020\n")
	files := map[string]string{"fitments.csv": fits.String()}
	for k, v := range resolveFixture {
		files[k] = v
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cat, _, err := ingest.Build(dir, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func vehicleName(m engine.VehicleInfo) string {
	return strings.Join(strings.Fields(fmt.Sprintf("%s %s %s %d", m.Make, m.Model, m.Submodel, m.Year)), " ")
}

// TestResolveExamples: the examples and their kin, each to its vehicle first.
func TestResolveExamples(t *testing.T) {
	e := engine.New()
	e.Load(resolveCatalog(t), "v1")
	mustUpdate(t, e, "t", engine.Change{Subscribe: []string{"ALL"}})
	v, _ := e.View("t")
	for _, c := range []struct{ q, want string }{
		{"can am outlander 1000 xmr 2024", "Can-Am Outlander 1000 X-MR 2024"},
		{"Can-Am Outlander 1000 X-MR 2024", "Can-Am Outlander 1000 X-MR 2024"},
		{"canam outlander 1000 x mr 24", "Can-Am Outlander 1000 X-MR 2024"},
		{"brp outlander 1000 xtp 2023", "Can-Am Outlander 1000 XT-P 2023"},
		{"outlander 1000 2023", "Can-Am Outlander 1000 2023"},
		{"outlnader 1000 2023", "Can-Am Outlander 1000 2023"},
		{"yfz450r 19", "Yamaha YFZ450R 2019"},
		{"yfz 450 r 2019", "Yamaha YFZ450R 2019"},
		{"yfz-450r se 2020", "Yamaha YFZ450R SE 2020"},
		{"2019 yamaha yfz 450", "Yamaha YFZ450R 2019"}, // YFZ450 has no 2019
		{"yamaha yfz 450 2012", "Yamaha YFZ450 2012"},
		{"KTM 300 EXC TPI 2021", "KTM 300 EXC TPI 2021"},
		{"ktm 300exc tpi six days 22", "KTM 300 EXC TPI Six Days 2022"},
		{"tenere 700 world raid 22", "Yamaha XTZ690 (Ténéré 700) World Raid 2022"},
		{"Ténéré 700 2020", "Yamaha XTZ690 (Ténéré 700) 2020"},
		{"xtz690 rally 2021", "Yamaha XTZ690 (Ténéré 700) Rally 2021"},
		{"skidoo summit 850", "Ski-Doo Summit 2024"},
		{"ski-doo summit x 2021", "Ski-Doo Summit X 2021"},
		{"SKI DOO MXZ XRS", "Ski-Doo MXZ X-RS 2024"},
		{"harley road glide special 2020", "Harley-Davidson Road Glide Special 2020"},
		{"2020 street glide special hd", "Harley-Davidson Street Glide Special 2020"},
		{"polaris ranger xp1000 2021", "Polaris Ranger XP 1000 2021"},
		{"crf450rx 2020", "Honda CRF450RX 2020"},
		{"crf 450 r 2020", "Honda CRF450R 2020"},
		{"husky te300i 2021", "Husqvarna TE 300i 2021"},
		{"raptor 700 2020", "Yamaha Raptor 700R 2020"},
		{"2030 raptor 700r", "Yamaha Raptor 700R 2024"}, // no 2030: the nearest year
	} {
		got := v.ResolveVehicles(c.q, 5)
		if len(got) == 0 {
			t.Errorf("ResolveVehicles(%q): none, want %s", c.q, c.want)
			continue
		}
		if name := vehicleName(got[0].VehicleInfo); name != c.want {
			var all []string
			for _, g := range got {
				all = append(all, fmt.Sprintf("%s (%.3f)", vehicleName(g.VehicleInfo), g.Score))
			}
			t.Errorf("ResolveVehicles(%q): got %s, want %s; all: %s", c.q, name, c.want, strings.Join(all, "; "))
		}
	}
	for _, q := range []string{"", "   ", "brake pads", "xyzzy 2019", "-- //"} {
		if got := v.ResolveVehicles(q, 5); len(got) != 0 {
			t.Errorf("ResolveVehicles(%q): %v, want none", q, got)
		}
	}
}

// TestFindVehicle: a vehicle named inside a part query is found, and the rest is the part
// query; ordinary part words are never taken for a vehicle.
func TestFindVehicle(t *testing.T) {
	e := engine.New()
	e.Load(resolveCatalog(t), "v1")
	mustUpdate(t, e, "t", engine.Change{Subscribe: []string{"ALL"}})
	v, _ := e.View("t")
	for _, c := range []struct{ q, vehicle, text, rest string }{
		{"brake pads yfz450r 2019", "Yamaha YFZ450R 2019", "yfz450r 2019", "brake pads"},
		{"bremsbelaege yfz 450 2019", "Yamaha YFZ450R 2019", "yfz 450 2019", "bremsbelaege"},
		{"bremsbelaege yfz 450 2012", "Yamaha YFZ450 2012", "yfz 450 2012", "bremsbelaege"},
		{"k&n filter yfz450r", "Yamaha YFZ450R 2021", "yfz450r", "k&n filter"},
		{"2019 chain kit yfz450r se", "Yamaha YFZ450R SE 2019", "2019 yfz450r se", "chain kit"},
		{"yfz450r 19 chain", "Yamaha YFZ450R 2019", "yfz450r 19", "chain"},
		{"oil filter outlander 1000 xmr 2024", "Can-Am Outlander 1000 X-MR 2024", "outlander 1000 xmr 2024", "oil filter"},
		{"can-am air filter outlander 1000", "Can-Am Outlander 1000 2024", "can-am outlander 1000", "air filter"},
		{"polaris ranger windshield", "Polaris Ranger 2024", "polaris ranger", "windshield"},
		{"ktm 300 exc tpi 2021 piston kit", "KTM 300 EXC TPI 2021", "ktm 300 exc tpi 2021", "piston kit"},
		{"tenere 700 crash bars", "Yamaha XTZ690 (Ténéré 700) 2024", "tenere 700", "crash bars"},
		{"yfz450r", "Yamaha YFZ450R 2021", "yfz450r", ""},
	} {
		m, ok := v.FindVehicle(c.q)
		if !ok {
			t.Errorf("FindVehicle(%q): none, want %s", c.q, c.vehicle)
			continue
		}
		if got := vehicleName(m.Vehicle); got != c.vehicle || m.Text != c.text || m.Rest != c.rest {
			t.Errorf("FindVehicle(%q): %s, text %q, rest %q; want %s, %q, %q", c.q, got, m.Text, m.Rest, c.vehicle, c.text, c.rest)
		}
	}
	for _, q := range []string{
		"brake pads", "oil filter", "chain 520", "ranger windshield", "yamaha brake pads", "sport exhaust",
		"filter 2019", "summit", "x 850", "glide", "brake pads yfz", "drive chain 450", "raptor", "special",
		"yfz450r19mm", "brake pads yfz450r nut 19",
	} {
		if m, ok := v.FindVehicle(q); ok {
			t.Errorf("FindVehicle(%q): %s (text %q), want none", q, vehicleName(m.Vehicle), m.Text)
		}
	}
}

// TestVehicleDetail: a visible vehicle by id, with its attributes; invisible and unknown
// ones are not found; own vehicles for their tenant only.
func TestVehicleDetail(t *testing.T) {
	e := engine.New()
	e.Load(resolveCatalog(t), "v1")
	mustUpdate(t, e, "yfz", engine.Change{Subscribe: []string{"YFZ"}})
	v, _ := e.View("yfz")
	se := snapshot.VehicleID("Yamaha", "YFZ450R", "SE", 2019)
	got, err := v.Vehicle(se)
	cc, g := 449, "G2"
	want := engine.VehicleInfo{ID: se, Make: "Yamaha", MakeID: snapshot.MakeID("Yamaha"), Model: "YFZ450R",
		ModelID: snapshot.ModelID("Yamaha", "YFZ450R"), Type: "atv", Year: 2019, Submodel: "SE", EngineCC: &cc}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Vehicle(SE 2019): %+v %v, want %+v", got, err, want)
	}
	out := snapshot.VehicleID("Can-Am", "Outlander 1000", "X-MR", 2024)
	for _, id := range []string{out, snapshot.VehicleID("Yamaha", "YFZ450R", "", 2019), "v-nope"} {
		if _, err := v.Vehicle(id); err == nil {
			t.Errorf("Vehicle(%s): found, want not found (nothing visible fits it)", id)
		}
	}
	mustUpdate(t, e, "all", engine.Change{Subscribe: []string{"ALL"}})
	a, _ := e.View("all")
	if got, err := a.Vehicle(out); err != nil || got.Generation == nil || *got.Generation != g || got.Submodel != "X-MR" {
		t.Errorf("Vehicle(Outlander X-MR 2024): %+v %v", got, err)
	}
	// An own vehicle, visible once an own part fits it; another tenant never sees it.
	own := engine.TenantVehicle{ID: snapshot.VehicleID("Lynx", "Xterrain", "RE 900 ACE", 2025), Type: "snowmobile", Make: "Lynx",
		Model: "Xterrain", Submodel: "RE 900 ACE", Year: 2025, EngineCC: 899, Generation: "REV Gen5"}
	mustUpdate(t, e, "all", engine.Change{PutVehicles: []engine.TenantVehicle{own}})
	a, _ = e.View("all")
	if _, err := a.Vehicle(own.ID); err == nil {
		t.Errorf("own vehicle without a part fitting it: found")
	}
	mustUpdate(t, e, "all", engine.Change{PutParts: []engine.TenantPart{{PartNumber: "OWN-1", Brand: "Own", Name: "Track",
		Fitments: []engine.TenantFitment{{VehicleID: own.ID}}}}})
	a, _ = e.View("all")
	got, err = a.Vehicle(own.ID)
	cc, g = 899, "REV Gen5"
	want = engine.VehicleInfo{ID: own.ID, Make: "Lynx", MakeID: snapshot.MakeID("Lynx"), Model: "Xterrain",
		ModelID: snapshot.ModelID("Lynx", "Xterrain"), Type: "snowmobile", Year: 2025, Submodel: "RE 900 ACE", EngineCC: &cc, Generation: &g}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Vehicle(own): %+v %v, want %+v", got, err, want)
	}
	if r := a.ResolveVehicles("lynx xterrain re 900 ace 25", 3); len(r) == 0 || r[0].ID != own.ID {
		t.Errorf("ResolveVehicles(own vehicle): %+v", r)
	}
	if m, ok := a.FindVehicle("track lynx xterrain 900 ace 2025"); !ok || m.Vehicle.ID != own.ID {
		t.Errorf("FindVehicle(own vehicle): %+v %v", m, ok)
	}
	if _, err := v.Vehicle(own.ID); err == nil {
		t.Errorf("another tenant sees the own vehicle")
	}
	for _, r := range v.ResolveVehicles("lynx xterrain re 900 ace 25", 50) {
		if r.ID == own.ID {
			t.Errorf("another tenant resolves the own vehicle")
		}
	}
}

// TestResolveConcurrent: the name indexes are built on first use by whichever query comes
// first; concurrent first queries (catalog and own vehicles) agree (run with -race).
func TestResolveConcurrent(t *testing.T) {
	e := engine.New()
	e.Load(resolveCatalog(t), "v1")
	mustUpdate(t, e, "t", engine.Change{Subscribe: []string{"ALL"}})
	own := engine.TenantVehicle{ID: snapshot.VehicleID("Lynx", "Xterrain", "RE 900", 2025), Type: "snowmobile", Make: "Lynx",
		Model: "Xterrain", Submodel: "RE 900", Year: 2025}
	mustUpdate(t, e, "t", engine.Change{PutVehicles: []engine.TenantVehicle{own}})
	mustUpdate(t, e, "t", engine.Change{PutParts: []engine.TenantPart{{PartNumber: "OWN-1", Brand: "Own", Name: "Track",
		Fitments: []engine.TenantFitment{{VehicleID: own.ID}}}}})
	v, _ := e.View("t")
	queries := []string{"yfz450r 19", "lynx xterrain re 900", "brake pads outlander 1000 xmr 2024", "skidoo summit"}
	want := make([]string, len(queries))
	done := make(chan [2]int, 8*len(queries))
	got := make([][]string, 8)
	for g := 0; g < 8; g++ {
		got[g] = make([]string, len(queries))
		go func() {
			for i, q := range queries {
				r := v.ResolveVehicles(q, 3)
				m, _ := v.FindVehicle(q)
				b, _ := json.Marshal([]any{r, m})
				got[g][i] = string(b)
				done <- [2]int{g, i}
			}
		}()
	}
	for range 8 * len(queries) {
		<-done
	}
	for i, q := range queries {
		want[i] = got[0][i]
		for g := 1; g < 8; g++ {
			if got[g][i] != want[i] {
				t.Errorf("%q: goroutine %d got %s, goroutine 0 %s", q, g, got[g][i], want[i])
			}
		}
	}
	if !strings.Contains(want[1], own.ID) {
		t.Errorf("own vehicle not resolved: %s", want[1])
	}
}
