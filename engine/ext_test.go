package engine_test

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/ingest"
	"github.com/fitment/fitment/snapshot"
)

// A small catalog for hand-checked tests: Yamaha YFZ450R 2019 (wildcard and SE), KTM 450
// SX-F 2023 (wildcard only); parts EBC-1 (YFZ wildcard), EBC-2 (YFZ SE), KN-1 (KTM).
var extFixture = map[string]string{
	"vehicles.csv": "type,make,model,submodel,years\natv,Yamaha,YFZ450R,SE,2019\nmotorcycle,KTM,450 SX-F,,2023\n",
	"parts.csv":    "part_number,brand,name,category\nEBC-1,EBC,Brake pads,Brakes\nEBC-2,EBC,Brake disc,Brakes\nKN-1,K&N,Air filter,Engine > Filters\nZZ-9,EBC,Last part,Brakes\n",
	"fitments.csv": "part_number,make,model,submodel,years,position\nEBC-1,Yamaha,YFZ450R,,2019,FRONT\nEBC-2,Yamaha,YFZ450R,SE,2019,\nKN-1,KTM,450 SX-F,,2023,\nZZ-9,KTM,450 SX-F,,2023,\n",
}

func extCatalog(t testing.TB) *snapshot.Catalog {
	t.Helper()
	dir := t.TempDir()
	for name, content := range extFixture {
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

func mustUpdate(t testing.TB, e *engine.Engine, id string, ch engine.Change) engine.Outcome {
	t.Helper()
	out, err := e.Update(id, ch, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func partNumbers(items []engine.PartSummary) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, it.PartNumber)
	}
	return out
}

// TestOwnVehiclesAndParts: a tenant's own vehicles and parts join its cascade, part lists,
// detail, feeds and aliases, in part-number order, and nobody else's.
func TestOwnVehiclesAndParts(t *testing.T) {
	e := engine.New()
	e.Load(extCatalog(t), "v1")
	yfzSE := snapshot.VehicleID("Yamaha", "YFZ450R", "SE", 2019)
	yfzW := snapshot.VehicleID("Yamaha", "YFZ450R", "", 2019)
	own := func(make, model, sub string, year int, typ string) engine.TenantVehicle {
		return engine.TenantVehicle{ID: snapshot.VehicleID(make, model, sub, year), Type: typ, Make: make, Model: model, Submodel: sub, Year: year}
	}
	custom := own("Yamaha", "YFZ450R", "Custom", 2019, "atv") // a new submodel of a catalog model-year
	y2020 := own("Yamaha", "YFZ450R", "SE", 2020, "atv")      // a new year of a catalog model
	sled := own("Lynx", "Rave", "", 2024, "snowmobile")       // a make the catalog lacks
	mustUpdate(t, e, "t", engine.Change{Subscribe: []string{"EBC"}})
	out := mustUpdate(t, e, "t", engine.Change{PutVehicles: []engine.TenantVehicle{custom, y2020, sled, own("Yamaha", "YFZ450R", "SE", 2019, "atv")}})
	if out.VehiclesPut != 3 || !reflect.DeepEqual(out.VehicleInCatalog, []int{3}) {
		t.Errorf("PutVehicles: %+v, want 3 put and the catalog's SE 2019 reported", out)
	}
	out = mustUpdate(t, e, "t", engine.Change{PutParts: []engine.TenantPart{
		{PartNumber: "EBC-15", Brand: "Own", Name: "Own pads", Category: "Brakes", Fitments: []engine.TenantFitment{{VehicleID: yfzSE, Position: "REAR"}}},
		{PartNumber: "AAA-1", Brand: "Own", Name: "Skid plate", Fitments: []engine.TenantFitment{{VehicleID: custom.ID}, {VehicleID: sled.ID}}},
		{PartNumber: "own-w", Brand: "Own", Name: "For every YFZ 2019", Fitments: []engine.TenantFitment{{VehicleID: yfzW, Qty: 2}}},
		{PartNumber: "UNI-1", Brand: "Own", Name: "Grease", Universal: true},
		{PartNumber: "EBC-1", Brand: "Own", Name: "clash"},
		{PartNumber: "BAD-1", Brand: "Own", Name: "bad", Fitments: []engine.TenantFitment{{VehicleID: "v-nope"}}},
	}})
	if out.PartsPut != 4 || !reflect.DeepEqual(out.PartInCatalog, []int{4}) || !reflect.DeepEqual(out.PartUnknownFit, []engine.UnknownFitment{{Part: 5, Fitment: 0}}) {
		t.Fatalf("PutParts: %+v", out)
	}
	v, _ := e.View("t")
	// 2020: the own SE 2020 has no part fitting it.
	if got := v.Years(engine.Filter{}); !reflect.DeepEqual(got, []int{2024, 2023, 2019}) {
		t.Errorf("Years: %v, want [2024 2023 2019]", got)
	}
	var makes []string
	for _, m := range v.Makes(engine.Filter{}) {
		makes = append(makes, m.Name)
	}
	if !reflect.DeepEqual(makes, []string{"KTM", "Lynx", "Yamaha"}) {
		t.Errorf("Makes: %v", makes)
	}
	var subs []string
	for _, veh := range v.Vehicles(engine.Filter{ModelID: snapshot.ModelID("Yamaha", "YFZ450R"), Year: 2019}) {
		subs = append(subs, veh.Submodel)
	}
	if !reflect.DeepEqual(subs, []string{"Custom", "SE"}) {
		t.Errorf("Vehicles(YFZ 2019): %v, want the own Custom beside SE", subs)
	}
	// SE 2019: catalog parts (its own and the wildcard's) and own parts fitted to it and to
	// the wildcard, in part-number order; with universal parts at the end.
	items, total, err := v.Parts(yfzSE, engine.PartsQuery{IncludeUniversal: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := partNumbers(items); !reflect.DeepEqual(got, []string{"EBC-1", "EBC-15", "EBC-2", "own-w", "UNI-1"}) || total != 5 {
		t.Errorf("Parts(SE 2019): %v (total %d)", got, total)
	}
	if f := items[1].Fitments; len(f) != 1 || f[0].Position == nil || *f[0].Position != "REAR" {
		t.Errorf("EBC-15 fitments: %+v", f)
	}
	// Custom 2019 inherits the catalog wildcard's EBC-1 and the own wildcard part.
	items, _, _ = v.Parts(custom.ID, engine.PartsQuery{})
	if got := partNumbers(items); !reflect.DeepEqual(got, []string{"AAA-1", "EBC-1", "own-w"}) {
		t.Errorf("Parts(Custom 2019): %v", got)
	}
	// The byte renderer agrees with the summaries.
	for _, id := range []string{yfzSE, custom.ID, sled.ID} {
		for _, q := range []engine.PartsQuery{{}, {IncludeUniversal: true, Offset: 1, Limit: 2}} {
			items, _, _ := v.Parts(id, q)
			buf, _, err := v.AppendParts(nil, id, q)
			if want := marshal(t, items); err != nil || string(buf) != string(want) {
				t.Errorf("AppendParts(%s, %+v): %s, want %s", id, q, buf, want)
			}
		}
	}
	counts := v.YearCounts(engine.Filter{})
	if !reflect.DeepEqual(counts, []engine.YearCount{{2024, 1}, {2023, 1}, {2019, 5}}) {
		t.Errorf("YearCounts: %+v", counts)
	}
	// Feeds, aliases and detail find own parts; others never see them.
	out = mustUpdate(t, e, "t", engine.Change{Resolve: engine.ResolveActive, Items: []engine.ItemUpdate{{Ref: "aaa-1", SetStock: true, Stock: 3}}})
	mustUpdate(t, e, "t", engine.Change{PutAliases: []engine.Alias{{Alias: "POS-7", PartNumber: "AAA-1"}}})
	v, _ = e.View("t")
	d, err := v.Part("pos-7", "")
	if out.Updated != 1 || err != nil || d.PartNumber != "AAA-1" || d.Stock == nil || *d.Stock != 3 {
		t.Errorf("feed and alias to an own part: %+v, %+v %v", out, d, err)
	}
	mustUpdate(t, e, "other", engine.Change{Subscribe: []string{"EBC"}})
	o, _ := e.View("other")
	if _, err := o.Part("AAA-1", ""); err == nil || slices.Contains(o.Years(engine.Filter{}), 2024) {
		t.Errorf("another tenant sees an own part or vehicle")
	}
	if items, _, _ := o.Parts(yfzSE, engine.PartsQuery{}); !reflect.DeepEqual(partNumbers(items), []string{"EBC-1", "EBC-2"}) {
		t.Errorf("another tenant's Parts(SE 2019): %v", partNumbers(items))
	}
	// Restored from an export, and rebased on a new catalog, nothing changes.
	want := func(v *engine.View) string {
		items, _, _ := v.Parts(custom.ID, engine.PartsQuery{IncludeUniversal: true})
		d, _ := v.Part("POS-7", "")
		return strings.Join(partNumbers(items), ",") + "|" + d.PartNumber
	}
	before := want(v)
	e2 := engine.New()
	e2.Load(extCatalog(t), "v1")
	e2.Restore("t", exportState(v))
	v2, _ := e2.View("t")
	if got := want(v2); got != before {
		t.Errorf("after restore: %s, want %s", got, before)
	}
	e.Load(extCatalog(t), "v2")
	v3, _ := e.View("t")
	if got := want(v3); got != before {
		t.Errorf("after a catalog rebase: %s, want %s", got, before)
	}
	// Deleting an own part takes its stock with it.
	out = mustUpdate(t, e, "t", engine.Change{DeleteParts: []string{"aaa-1", "nope"}})
	v, _ = e.View("t")
	if _, err := v.Part("AAA-1", ""); err == nil || out.PartsDeleted != 1 || !reflect.DeepEqual(out.PartDeleteMissing, []int{1}) {
		t.Errorf("DeleteParts: %+v, AAA-1 still there: %v", out, err == nil)
	}
}

// An own part's translation shows in part lists even in a language no catalog part has.
func TestOwnPartNameInItsOwnLanguage(t *testing.T) {
	e := engine.New()
	e.Load(extCatalog(t), "v1")
	yfz := snapshot.VehicleID("Yamaha", "YFZ450R", "", 2019)
	mustUpdate(t, e, "t", engine.Change{PutParts: []engine.TenantPart{{PartNumber: "OWN-PL", Brand: "Own", Name: "Brake pads",
		Names: snapshot.Translations{{Lang: "pl", Text: "Klocki hamulcowe"}}, Fitments: []engine.TenantFitment{{VehicleID: yfz}}}}})
	v, _ := e.View("t")
	out, _, err := v.AppendParts(nil, yfz, engine.PartsQuery{Lang: "pl"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"Klocki hamulcowe"`) {
		t.Errorf("parts in pl: %s, want the own part's Polish name", out)
	}
}
