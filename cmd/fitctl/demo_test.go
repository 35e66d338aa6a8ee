package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/gen"
	"github.com/fitment/fitment/ingest"
	"github.com/fitment/fitment/snapshot"
	"github.com/fitment/fitment/tenant"
)

// demoCatalog generates a profile and builds its snapshot in dir.
func demoCatalog(t *testing.T, profile, dir string) (cat, snap string) {
	t.Helper()
	p, ok := gen.ProfileByName(profile)
	if !ok {
		t.Fatalf("no profile %s", profile)
	}
	return demoCatalogOf(t, p, dir)
}

func demoCatalogOf(t *testing.T, p gen.Profile, dir string) (cat, snap string) {
	t.Helper()
	cat, snap = filepath.Join(dir, "cat"), filepath.Join(dir, p.Name+".snap")
	if _, err := gen.Generate(p, 1, cat, gen.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	built, _, err := ingest.Build(cat, ingest.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := snapshot.Write(snap, built); err != nil {
		t.Fatal(err)
	}
	return cat, snap
}

// openDemo opens a data directory demo wrote, as fitmentd would.
func openDemo(t *testing.T, snap, data string) *engine.Engine {
	t.Helper()
	c, info, err := snapshot.Open(snap)
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.New()
	eng.Load(c, info.Version())
	store, err := tenant.Open(data, tenant.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Attach(eng); err != nil {
		t.Fatal(err)
	}
	return eng
}

func runDemoTo(t *testing.T, cat, data, snap string) string {
	t.Helper()
	var out bytes.Buffer
	if err := demo(&out, cat, data, snap, "http://127.0.0.1:8080"); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	return out.String()
}

// TestDemoTiny loads the tiny profile: the chain's stores and their stock, the own parts
// and vehicles, the printed examples; a second run creates nothing.
func TestDemoTiny(t *testing.T) {
	dir := t.TempDir()
	cat, snap := demoCatalog(t, "tiny", dir)
	data := filepath.Join(dir, "data")
	out := runDemoTo(t, cat, data, snap)
	for _, want := range []string{"(3 created now,", "4 open stores", "Find it nearby", "/api/t/dealers'", "/api/t/dealers/stock?partNumber=", "/api/t/parts/AM-H", "curl -s -H 'X-API-Key: pk_", "/vehicles'", "/fits?vehicleId=v", "/api/integrations/fitments/lookup'", "/api/integrations/fitments/export?brand="} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output: no %q in\n%s", want, out)
		}
	}
	if again := runDemoTo(t, cat, data, snap); !strings.Contains(again, "(0 created now, 0 offers") {
		t.Errorf("second demo run: want nothing created, got\n%s", again)
	}

	eng := openDemo(t, snap, data)
	rq, err := eng.View("demo-rhein-quad")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rq.Locations()); n != 4 || len(rq.Dealers()) != 4 {
		t.Errorf("demo-rhein-quad: %d locations, %d dealers, want 4", n, len(rq.Dealers()))
	}
	held := 0
	for _, l := range rq.Locations() {
		items, _, _ := rq.LocationStockItems(l.Code, "", 1000)
		held += len(items)
	}
	if held == 0 {
		t.Errorf("demo-rhein-quad: no location stock")
	}
	am, err := eng.View("demo-alpine-moto")
	if err != nil {
		t.Fatal(err)
	}
	if len(am.TenantParts()) != 8 || len(am.TenantVehicles()) == 0 {
		t.Errorf("demo-alpine-moto: %d own parts, %d own vehicles, want 8 and some", len(am.TenantParts()), len(am.TenantVehicles()))
	}
	priced := 0
	for _, p := range am.TenantParts() {
		d, err := am.Part(p.PartNumber, "")
		if err != nil {
			t.Fatalf("own part %s: %v", p.PartNumber, err)
		}
		if d.Price != nil {
			priced++
		}
	}
	if priced == 0 {
		t.Errorf("demo-alpine-moto: no own part priced")
	}
}

// TestDemoNetwork: with manufacturers (a tenth of small, with 40 tenants), a manufacturer's
// locator finds a sharing reseller's stock, and the printed example is the manufacturer's.
func TestDemoNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and loads a catalog of 40 tenants")
	}
	dir := t.TempDir()
	p := gen.Profile{Name: "mini", Vehicles: 500, Parts: 5_000, Brands: 20, Links: 50_000, Tenants: 40, PricedItems: 40_000}
	cat, snap := demoCatalogOf(t, p, dir)
	data := filepath.Join(dir, "data")
	out := runDemoTo(t, cat, data, snap)
	if !strings.Contains(out, "its dealers that share their stock with it holding") {
		t.Errorf("demo output: no manufacturer's locator example in\n%s", out)
	}
	eng := openDemo(t, snap, data)
	grants := 0
	for _, id := range []string{"ebc-europe"} {
		grants += len(eng.GrantsReceived(id))
	}
	if grants == 0 {
		t.Errorf("the manufacturer received no grants")
	}
}

// TestDemoRefusesBadData: generated data the engine refuses stops the demo with the file and
// line.
func TestDemoRefusesBadData(t *testing.T) {
	dir := t.TempDir()
	cat, snap := demoCatalog(t, "tiny", dir)
	parts := filepath.Join(cat, "own", "demo-alpine-moto-parts.ndjson")
	good, err := os.ReadFile(parts)
	if err != nil {
		t.Fatal(err)
	}
	stock := filepath.Join(cat, "feeds", "demo-rhein-quad-locations.csv")
	goodStock, err := os.ReadFile(stock)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(cat, "parts.csv"))
	if err != nil {
		t.Fatal(err)
	}
	catalogPart := strings.Split(strings.Split(string(raw), "\n")[1], ",")[0]
	stocked := strings.Split(strings.Split(string(goodStock), "\n")[1], ",")[1]
	lines := strings.SplitAfter(strings.TrimSuffix(string(good), "\n"), "\n")
	// edit changes one field of line i of the own parts.
	edit := func(i int, change func(p map[string]any)) string {
		var p map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &p); err != nil {
			t.Fatal(err)
		}
		change(p)
		b, _ := json.Marshal(p)
		out := slices.Clone(lines)
		out[i] = string(b) + "\n"
		return strings.Join(out, "")
	}
	for i, c := range []struct {
		file, body string
		want       []string
	}{
		{parts, edit(1, func(p map[string]any) { p["partNumber"] = catalogPart }),
			[]string{"demo-alpine-moto-parts.ndjson:2: part " + catalogPart, "central catalog"}},
		{parts, edit(1, func(p map[string]any) { p["fitments"].([]any)[0].(map[string]any)["model"] = "Nope" }),
			[]string{"demo-alpine-moto-parts.ndjson:2: part AM-H", "/Nope/", "unknown vehicle"}},
		{parts, edit(0, func(p map[string]any) { p["category"] = "Nope > Brakes" }),
			[]string{"demo-alpine-moto-parts.ndjson:1:", "category"}},
		{parts, edit(0, func(p map[string]any) { p["price"] = 12 }),
			[]string{"demo-alpine-moto-parts.ndjson:1:", "unknown field price"}},
		{stock, string(goodStock) + "S01,NOPE-1,3\n", []string{"tenant demo-rhein-quad", "demo-rhein-quad-locations.csv:" + strconv.Itoa(strings.Count(string(goodStock), "\n")+1) + ": part NOPE-1"}},
		{stock, string(goodStock) + "S99," + stocked + ",3\n", []string{"no location S99"}},
	} {
		if err := os.WriteFile(c.file, []byte(c.body), 0o644); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		err := demo(&out, cat, filepath.Join(dir, "data"+strconv.Itoa(i)), snap, "http://x")
		t.Logf("case %d: %v", i, err)
		for _, want := range c.want {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("case %d: demo error %v, want one naming %q", i, err, want)
			}
		}
		os.WriteFile(parts, good, 0o644)
		os.WriteFile(stock, goodStock, 0o644)
	}
}
