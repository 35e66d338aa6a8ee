package httpapi_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/gen"
	"github.com/fitment/fitment/httpapi"
	"github.com/fitment/fitment/ingest"
	"github.com/fitment/fitment/snapshot"
	"github.com/fitment/fitment/tenant"
)

// The golden tests run the real engine on the generated tiny profile. They import gen and
// ingest only to make their fixture; the httpapi package itself never does.

var update = flag.Bool("update", false, "rewrite testdata/golden/*.json")

type liveEnv struct {
	t     *testing.T
	srv   *httpapi.Server
	keys  map[string]tenant.Keys
	store *tenant.Store
	first gen.Tenant
	all   []gen.Tenant
}

// newLiveEnv generates the tiny catalog, builds and writes its snapshot, opens it, creates
// the generated tenants (as fitctl demo does) and loads everything as fitmentd does.
func newLiveEnv(t *testing.T) *liveEnv {
	t.Helper()
	dir := t.TempDir()
	p, ok := gen.ProfileByName("tiny")
	if !ok {
		t.Fatal("no tiny profile")
	}
	if _, err := gen.Generate(p, 1, filepath.Join(dir, "cat"), gen.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	built, _, err := ingest.Build(filepath.Join(dir, "cat"), ingest.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	snapPath := filepath.Join(dir, "tiny.snap")
	if _, err := snapshot.Write(snapPath, built); err != nil {
		t.Fatal(err)
	}
	cat, info, err := snapshot.Open(snapPath)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "cat", "tenants.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tenants []gen.Tenant
	if err := json.Unmarshal(raw, &tenants); err != nil || len(tenants) < 2 {
		t.Fatalf("tenants.json: %v (%d tenants)", err, len(tenants))
	}
	eng := engine.New()
	eng.Load(cat, info.Version())
	topts := tenant.DefaultOptions()
	topts.Logger = slog.New(slog.DiscardHandler)
	store, err := tenant.Open(filepath.Join(dir, "data"), topts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Attach(eng); err != nil {
		t.Fatal(err)
	}
	e := &liveEnv{t: t, keys: map[string]tenant.Keys{}, store: store, first: tenants[0], all: tenants}
	for _, gt := range tenants {
		_, k, err := store.Create(tenant.Tenant{ID: gt.ID, Name: gt.Name, Type: gt.Type, Currency: gt.Currency, Language: gt.Language})
		if err != nil {
			t.Fatal(err)
		}
		e.keys[gt.ID] = k
		ch := engine.Change{Subscribe: gt.Brands}
		for _, pn := range gt.Activate {
			ch.Items = append(ch.Items, engine.ItemUpdate{Ref: pn, SetActive: true, Active: engine.Activated})
		}
		for _, pn := range gt.Deactivate {
			ch.Items = append(ch.Items, engine.ItemUpdate{Ref: pn, SetActive: true, Active: engine.Deactivated})
		}
		if _, _, err := store.Write(gt.ID, ch); err != nil {
			t.Fatal(err)
		}
	}
	e.srv = httpapi.New(httpapi.Options{Engine: eng, Store: store, AdminToken: "admin", Logger: slog.New(slog.DiscardHandler)})
	e.srv.SetReady(true)
	return e
}

type golden struct {
	Request string            `json:"request"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

var goldenHeaders = []string{"Content-Type", "Cache-Control", "Vary", "ETag", "X-Total-Count", "Access-Control-Allow-Origin", "Allow"}

func (e *liveEnv) get(method, path, key string, body string) golden {
	e.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	req.Header.Set("X-API-Key", key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := e.srv.App().Test(req, -1)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	g := golden{Request: method + " " + path, Status: res.StatusCode, Headers: map[string]string{}}
	for _, h := range goldenHeaders {
		if v := res.Header.Get(h); v != "" {
			g.Headers[h] = v
		}
	}
	if res.Header.Get("X-Catalog-Version") == "" {
		e.t.Errorf("%s %s: no X-Catalog-Version", method, path)
	}
	var buf bytes.Buffer
	if len(b) > 0 {
		if err := json.Indent(&buf, b, "", "  "); err != nil {
			e.t.Fatalf("%s %s: body %q is not JSON: %v", method, path, b, err)
		}
	}
	g.Body = buf.Bytes()
	if len(g.Body) == 0 {
		g.Body = json.RawMessage("null")
	}
	return g
}

func first[T any](t *testing.T, what string, list []T) T {
	t.Helper()
	if len(list) == 0 {
		t.Fatalf("%s: empty list, cannot walk the cascade", what)
	}
	return list[0]
}

func decode[T any](t *testing.T, g golden) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(g.Body, &v); err != nil {
		t.Fatalf("%s: %v", g.Request, err)
	}
	return v
}

// TestGolden walks the cascade of the first generated tenant to real ids and compares every
// answer with testdata/golden/NAME.json. Regenerate with go test ./httpapi -update.
func TestGolden(t *testing.T) {
	e := newLiveEnv(t)
	pk := e.keys[e.first.ID].Publishable
	check := func(name string, g golden) {
		t.Helper()
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(g); err != nil {
			t.Fatal(err)
		}
		got := buf.Bytes()
		path := filepath.Join("testdata", "golden", name+".json")
		if *update {
			os.MkdirAll(filepath.Dir(path), 0o755)
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v (run go test ./httpapi -update)", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: %s differs from %s (if the generator or engine changed on purpose, review and run go test ./httpapi -update):\n%s", name, g.Request, path, got)
		}
	}

	years := e.get("GET", "/api/t/years", pk, "")
	check("years", years)
	y := first(t, "years", decode[[]int](t, years))
	makes := e.get("GET", fmt.Sprintf("/api/t/makes?year=%d", y), pk, "")
	check("makes", makes)
	mk := first(t, "makes", decode[[]engine.MakeRef](t, makes))
	check("makes_all", e.get("GET", "/api/t/makes", pk, ""))
	check("years_counts", e.get("GET", "/api/t/years?counts=true", pk, ""))
	check("makes_counts", e.get("GET", fmt.Sprintf("/api/t/makes?year=%d&counts=true", y), pk, ""))
	check("models_counts", e.get("GET", fmt.Sprintf("/api/t/models?makeId=%s&counts=true&type=motorcycle", url.QueryEscape(mk.ID)), pk, ""))
	models := e.get("GET", fmt.Sprintf("/api/t/models?makeId=%s&year=%d", url.QueryEscape(mk.ID), y), pk, "")
	check("models", models)
	md := first(t, "models", decode[[]engine.ModelRef](t, models))
	vehicles := e.get("GET", fmt.Sprintf("/api/t/vehicles?modelId=%s&year=%d", url.QueryEscape(md.ID), y), pk, "")
	check("vehicles", vehicles)
	v := first(t, "vehicles", decode[[]engine.VehicleRef](t, vehicles))
	parts := e.get("GET", fmt.Sprintf("/api/t/parts?vehicleId=%s&limit=5", url.QueryEscape(v.ID)), pk, "")
	check("parts", parts)
	check("parts_offset", e.get("GET", fmt.Sprintf("/api/t/parts?vehicleId=%s&limit=2&offset=1&includeUniversal=true", url.QueryEscape(v.ID)), pk, ""))
	listing := e.get("GET", fmt.Sprintf("/api/t/vehicles/%s/parts?facets=category,brand&limit=3", url.PathEscape(v.ID)), pk, "")
	check("vehicle_parts", listing)
	if next := decode[engine.Listing](t, listing).NextCursor; next != nil {
		check("vehicle_parts_next", e.get("GET", fmt.Sprintf("/api/t/vehicles/%s/parts?facets=category,brand&limit=3&cursor=%s", url.PathEscape(v.ID), url.QueryEscape(*next)), pk, ""))
	}
	check("vehicle_parts_fr", e.get("GET", fmt.Sprintf("/api/t/vehicles/%s/parts?sort=name&lang=fr&brand=EBC&facets=brand&limit=2", url.PathEscape(v.ID)), pk, ""))
	p := first(t, "parts", decode[[]engine.PartSummary](t, parts))
	check("part", e.get("GET", "/api/t/parts/"+url.PathEscape(strings.ToLower(p.PartNumber)), pk, ""))
	check("categories", e.get("GET", "/api/t/categories", pk, ""))
	check("config", e.get("GET", "/api/t/config", pk, ""))
	check("error_year", e.get("GET", "/api/t/makes?year=abc", pk, ""))
	check("error_part", e.get("GET", "/api/t/parts/NO-SUCH-PART", pk, ""))
	check("error_vehicle", e.get("GET", "/api/t/parts?vehicleId=nope", pk, ""))
	check("error_method", e.get("POST", "/api/t/years", pk, ""))
	check("vehicle", e.get("GET", "/api/t/vehicles/"+url.PathEscape(v.ID), pk, ""))
	check("vehicles_resolve", e.get("GET", "/api/t/vehicles/resolve?limit=3&q="+url.QueryEscape(fmt.Sprintf("%s %s %s %d", mk.Name, md.Name, v.Submodel, y%100)), pk, ""))
	check("error_resolve", e.get("GET", "/api/t/vehicles/resolve?q=", pk, ""))
	check("error_vehicle_id", e.get("GET", "/api/t/vehicles/nope", pk, ""))
}

// TestLiveIsolation checks on the real engine that what one tenant writes stays its own.
func TestLiveIsolation(t *testing.T) {
	e := newLiveEnv(t)
	a, b := e.all[0], e.all[1]
	ka, kb := e.keys[a.ID], e.keys[b.ID]

	// A brand b does not subscribe and a part of it.
	subsB := map[string]bool{}
	for _, br := range b.Brands {
		subsB[strings.ToLower(br)] = true
	}
	var brand string
	for _, br := range a.Brands {
		if !subsB[strings.ToLower(br)] {
			brand = br
		}
	}
	if brand == "" {
		t.Skip("the first two generated tenants subscribe the same brands")
	}
	// Find a part of that brand that a sees, through a's parts of a vehicle.
	years := decode[[]int](t, e.get("GET", "/api/t/years", ka.Publishable, ""))
	var pn string
	for _, y := range years {
		for _, mk := range decode[[]engine.MakeRef](t, e.get("GET", fmt.Sprintf("/api/t/makes?year=%d", y), ka.Publishable, "")) {
			for _, md := range decode[[]engine.ModelRef](t, e.get("GET", fmt.Sprintf("/api/t/models?makeId=%s&year=%d", mk.ID, y), ka.Publishable, "")) {
				for _, v := range decode[[]engine.VehicleRef](t, e.get("GET", fmt.Sprintf("/api/t/vehicles?modelId=%s&year=%d", md.ID, y), ka.Publishable, "")) {
					for _, p := range decode[[]engine.PartSummary](t, e.get("GET", "/api/t/parts?vehicleId="+v.ID, ka.Publishable, "")) {
						if strings.EqualFold(p.Brand, brand) && pn == "" {
							pn = p.PartNumber
						}
					}
					if pn != "" {
						goto found
					}
				}
			}
		}
	}
	t.Fatalf("no visible part of %s for %s", brand, a.ID)
found:
	g := e.get("PUT", "/api/app/catalog-items", ka.Secret, fmt.Sprintf(`[{"partNumber":%q,"price":123.45,"stock":7}]`, pn))
	if g.Status != 200 {
		t.Fatalf("PUT catalog-items as a: %d %s", g.Status, g.Body)
	}
	d := decode[engine.PartDetail](t, e.get("GET", "/api/t/parts/"+url.PathEscape(pn), ka.Publishable, ""))
	if d.Price == nil || *d.Price != 12345 || d.Stock == nil || *d.Stock != 7 {
		t.Errorf("part %s as a: price %v stock %v, want 123.45 7", pn, d.Price, d.Stock)
	}
	if g := e.get("GET", "/api/t/parts/"+url.PathEscape(pn), kb.Publishable, ""); g.Status != 404 {
		t.Errorf("part %s (brand %s, not subscribed by b) as b: got %d, want 404", pn, brand, g.Status)
	}
	// b subscribes: it sees the part, without a's price and stock. Answers b had before (kept
	// in b's view) must not outlive the change.
	partsBefore := 0
	for _, yc := range decode[[]engine.YearCount](t, e.get("GET", "/api/t/years?counts=true", kb.Publishable, "")) {
		partsBefore += yc.Parts
	}
	if g := e.get("PUT", "/api/app/subscriptions/"+url.PathEscape(brand), kb.Secret, ""); g.Status != 200 {
		t.Fatalf("PUT subscription as b: %d %s", g.Status, g.Body)
	}
	partsAfter := 0
	for _, yc := range decode[[]engine.YearCount](t, e.get("GET", "/api/t/years?counts=true", kb.Publishable, "")) {
		partsAfter += yc.Parts
	}
	if partsAfter <= partsBefore {
		t.Errorf("years?counts=true as b after subscribing %s: %d parts in all, before %d", brand, partsAfter, partsBefore)
	}
	d = decode[engine.PartDetail](t, e.get("GET", "/api/t/parts/"+url.PathEscape(pn), kb.Publishable, ""))
	if d.Price != nil || d.Stock != nil {
		t.Errorf("part %s as b: price %v stock %v, want a's commercial data hidden", pn, d.Price, d.Stock)
	}
	// a deactivates it; b keeps seeing it.
	e.get("PUT", "/api/app/catalog-items", ka.Secret, fmt.Sprintf(`[{"partNumber":%q,"active":false}]`, pn))
	if g := e.get("GET", "/api/t/parts/"+url.PathEscape(pn), ka.Publishable, ""); g.Status != 404 {
		t.Errorf("deactivated part %s as a: got %d, want 404", pn, g.Status)
	}
	if g := e.get("GET", "/api/t/parts/"+url.PathEscape(pn), kb.Publishable, ""); g.Status != 200 {
		t.Errorf("part %s as b after a deactivated it: got %d, want 200", pn, g.Status)
	}

	// A tenant with nothing visible gets empty answers, whatever the others asked before.
	c := e.get("GET", "/api/t/makes", ka.Publishable, "")
	if c.Status != 200 || string(c.Body) == "[]" {
		t.Fatalf("makes as a: %d %s", c.Status, c.Body)
	}
	_, kc, err := e.store.Create(tenant.Tenant{ID: "newcomer", Name: "Newcomer", Currency: "EUR", Language: "fi"})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/t/years", "/api/t/makes", "/api/t/years?counts=true", "/api/t/categories"} {
		if g := e.get("GET", path, kc.Publishable, ""); g.Status != 200 || string(g.Body) != "[]" {
			t.Errorf("%s as a new tenant: %d %s, want 200 []", path, g.Status, g.Body)
		}
	}
}
