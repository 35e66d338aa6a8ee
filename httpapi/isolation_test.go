package httpapi

import (
	"bytes"
	"fmt"
	"io"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/snapshot"
	"github.com/fitment/fitment/tenant"
)

// TestIsolation: two tenants see the same parts (overlapping part numbers), each with its
// own prices, stock and an alias of the same spelling naming different parts. Every
// endpoint is called as each tenant, cold and then from the cache, in alternation and with
// parameters the routes ignore; no answer may carry the other tenant's data.
func TestIsolation(t *testing.T) {
	e := newEnv(t)
	for _, k := range []string{e.a.Secret, e.b.Secret} {
		e.do("PUT", "/api/app/subscriptions/EBC", k, nil).want(200)
		e.do("PUT", "/api/app/subscriptions/K%26N", k, nil).want(200)
	}
	// a's values end in 11, b's in 22: an answer holding the other's number is a leak.
	e.do("POST", "/api/integrations/price-feed", e.a.Secret, `[{"partNumber":"EBC-1","price":1.11},{"partNumber":"KN-1","price":2.11}]`).want(200)
	e.do("POST", "/api/integrations/price-feed", e.b.Secret, `[{"partNumber":"EBC-1","price":1.22},{"partNumber":"KN-1","price":2.22}]`).want(200)
	e.do("POST", "/api/integrations/stock-feed", e.a.Secret, `[{"partNumber":"EBC-1","stock":1011},{"partNumber":"KN-1","stock":2011}]`).want(200)
	e.do("POST", "/api/integrations/stock-feed", e.b.Secret, `[{"partNumber":"EBC-1","stock":1022},{"partNumber":"KN-1","stock":2022}]`).want(200)
	e.do("PUT", "/api/app/aliases", e.a.Secret, `[{"alias":"SHARED-SKU","partNumber":"EBC-1","source":"pos-a"}]`).want(200)
	e.do("PUT", "/api/app/aliases", e.b.Secret, `[{"alias":"shared-sku","partNumber":"KN-1","source":"pos-b"}]`).want(200)
	e.do("PUT", "/api/app/config", e.a.Secret, `{"mapboxToken":"token-a-11"}`).want(200)
	e.do("PUT", "/api/app/config", e.b.Secret, `{"mapboxToken":"token-b-22"}`).want(200)
	// Stores of the same code, own vehicles of the same name and own parts of the same
	// number in both tenants.
	ownVehicle := snapshot.VehicleID("Can-Am", "Renegade", "X XC", 2021)
	for _, x := range []struct{ key, n string }{{e.a.Secret, "11"}, {e.b.Secret, "22"}} {
		e.do("PUT", "/api/app/locations", x.key, `[{"code":"HQ","name":"HQ shop `+x.n+`","city":"City-`+x.n+`","country":"Finland","lat":60.1,"lng":24.9}]`).want(200)
		e.do("POST", "/api/integrations/location-stock-feed", x.key, `[{"location":"HQ","partNumber":"EBC-1","stock":30`+x.n+`}]`).want(200)
		e.do("POST", "/api/app/tenant-vehicles", x.key, `[{"type":"atv","make":"Can-Am","model":"Renegade","submodel":"X XC","years":"2021","generation":"G`+x.n+`"}]`).want(200)
		e.do("POST", "/api/app/tenant-parts", x.key, `[{"partNumber":"OWN-1","brand":"House-`+x.n+`","name":"Own part `+x.n+`","fitments":[{"vehicleId":"`+ownVehicle+`","notes":"note-`+x.n+`"}]}]`).want(200)
	}

	paths := []string{
		"/api/t/years", "/api/t/years?counts=true", "/api/t/makes?year=2024", "/api/t/makes?counts=true",
		"/api/t/models?makeId=" + mkCanAm, "/api/t/vehicles?modelId=" + mdOut + "&year=2024",
		"/api/t/parts?vehicleId=" + v1, "/api/t/parts?vehicleId=" + v1 + "&limit=1&offset=1",
		"/api/t/parts?vehicleId=" + url.QueryEscape(v1) + "&junk=" + fmt.Sprint(time.Now().UnixNano()),
		"/api/t/parts/EBC-1", "/api/t/parts/kn-1", "/api/t/parts/SHARED-SKU", "/api/t/categories", "/api/t/config",
		"/api/app/catalog-items", "/api/app/aliases", "/api/app/subscriptions", "/api/app/config",
		"/api/t/dealers", "/api/t/dealers/stock?partNumber=EBC-1&lat=60&lng=24", "/api/t/parts/OWN-1",
		"/api/t/parts?vehicleId=" + ownVehicle, "/api/t/vehicles?modelId=" + snapshot.ModelID("Can-Am", "Renegade") + "&year=2021",
		"/api/app/locations", "/api/app/locations/HQ/stock", "/api/app/stock-sharing", "/api/app/tenant-parts", "/api/app/tenant-vehicles",
		"/api/t/suggest?q=own", "/api/t/suggest?q=own-1", "/api/t/suggest?q=part&limit=20", "/api/t/suggest?q=h",
		"/api/t/search?q=own", "/api/t/search?q=own-1&facets=brand,category", "/api/t/search?q=Shared-Sku", "/api/t/search?q=part+renegade+2021",
		"/api/t/vehicles/" + v1, "/api/t/vehicles/" + ownVehicle, "/api/t/vehicles/resolve?q=can-am+renegade+xxc+21",
		"/api/t/vehicles/resolve?q=renegade&limit=50", "/api/t/vehicles/resolve?q=Renegade+X+XC",
		"/api/t/vehicles/" + v1 + "/parts?facets=category,brand", "/api/t/vehicles/" + v1 + "/parts?sort=price&inStock=true&limit=1",
		"/api/t/vehicles/" + ownVehicle + "/parts?facets=brand,category&sort=-price",
		"/api/t/parts/SHARED-SKU/vehicles", "/api/t/parts/OWN-1/vehicles", "/api/t/parts/shared-sku/fits?vehicleId=" + v1,
		"/api/t/parts/OWN-1/fits?vehicleId=" + ownVehicle, "/api/integrations/fitments/export", "/api/integrations/fitments/export?format=csv",
		"/api/integrations/fitments/export?brand=EBC",
	}
	leak := map[string][]string{ // tenant → markers of the other tenant
		"a": {".22", "1022", "2022", "pos-b", "token-b", "shared-sku", "shop 22", "City-22", "3022", "G22", "part 22", "note-22", "House-22"},
		"b": {".11", "1011", "2011", "pos-a", "token-a", "SHARED-SKU", "shop 11", "City-11", "3011", "G11", "part 11", "note-11", "House-11"},
	}
	keys := map[string][2]string{"a": {e.a.Publishable, e.a.Secret}, "b": {e.b.Publishable, e.b.Secret}}
	for round := 0; round < 3; round++ { // cold, then kept answers, then kept answers again
		for _, p := range paths {
			for _, id := range []string{"a", "b", "a"} {
				key := keys[id][0]
				if strings.HasPrefix(p, "/api/app/") || strings.HasPrefix(p, "/api/integrations/") {
					key = keys[id][1]
				}
				for _, enc := range []string{"", "gzip"} {
					r := e.do("GET", p, key, nil, "Accept-Encoding", enc)
					body := decodeBody(t, r)
					if r.StatusCode != 200 {
						t.Fatalf("GET %s as %s: %d %s", p, id, r.StatusCode, body)
					}
					for _, m := range leak[id] {
						if strings.Contains(body, m) {
							t.Errorf("round %d: GET %s as %s carries the other tenant's %q: %s", round, p, id, m, body)
						}
					}
				}
			}
		}
	}
	// Bulk lookups through the shared alias and the own part, and a cart, as each tenant.
	// (Each sends the alias in its own spelling: the input is echoed.)
	for id, k := range map[string]string{"a": e.a.Secret, "b": e.b.Secret} {
		alias := map[string]string{"a": "SHARED-SKU", "b": "shared-sku"}[id]
		for _, body := range []string{`{"partNumbers":["` + alias + `","OWN-1","EBC-1","KN-1"]}`, `{"vehicleIds":["` + v1 + `","` + ownVehicle + `"]}`} {
			r := e.do("POST", "/api/integrations/fitments/lookup", k, body).want(200)
			for _, m := range leak[id] {
				if strings.Contains(string(r.body), m) {
					t.Errorf("lookup %s as %s carries the other tenant's %q: %s", body, id, m, r.body)
				}
			}
		}
		r := e.do("POST", "/api/t/vehicles/"+ownVehicle+"/fits", keys[id][0], `{"partNumbers":["`+alias+`","OWN-1"]}`).want(200)
		for _, m := range leak[id] {
			if strings.Contains(string(r.body), m) {
				t.Errorf("cart as %s carries the other tenant's %q: %s", id, m, r.body)
			}
		}
	}
	// A listing filters by a tenant's own brand only for that tenant: for the other it is
	// an unknown brand, as any other would be.
	e.do("GET", "/api/t/vehicles/"+ownVehicle+"/parts?brand=House-11", e.a.Publishable, nil).want(200)
	e.do("GET", "/api/t/vehicles/"+ownVehicle+"/parts?brand=House-11", e.b.Publishable, nil).want(400)
	// The alias names each tenant's own part, and feeds through it write only there.
	var d map[string]any
	e.do("GET", "/api/t/parts/shared-sku", e.a.Publishable, nil).want(200).json(&d)
	if d["partNumber"] != "EBC-1" || d["price"] != 1.11 {
		t.Errorf("a's SHARED-SKU: %v", d)
	}
	e.do("GET", "/api/t/parts/shared-sku", e.b.Publishable, nil).want(200).json(&d)
	if d["partNumber"] != "KN-1" || d["price"] != 2.22 {
		t.Errorf("b's SHARED-SKU: %v", d)
	}
	e.do("POST", "/api/integrations/stock-feed", e.a.Secret, `[{"partNumber":"shared-sku","stock":5}]`).want(200)
	if got := e.offersOf(e.b.Secret); got["EBC-1"][1] != 1022.0 || got["KN-1"][1] != 2022.0 {
		t.Errorf("b's stock after a's feed through the shared alias: %v", got)
	}
	// A key of one tenant never reads the other's portal data, even by id in the path.
	e.do("GET", "/api/admin/tenants/b", e.a.Secret, nil).want(401)

	// An own vehicle only a has: b never gets it by id or by name, cold or cached.
	onlyA := snapshot.VehicleID("Lynx", "Xterrain", "RE 900", 2025)
	e.do("POST", "/api/app/tenant-vehicles", e.a.Secret, `[{"type":"snowmobile","make":"Lynx","model":"Xterrain","submodel":"RE 900","years":"2025","generation":"GA-ONLY"}]`).want(200)
	e.do("POST", "/api/app/tenant-parts", e.a.Secret, `[{"partNumber":"OWN-2","brand":"House","name":"Track","fitments":[{"vehicleId":"`+onlyA+`"}]}]`).want(200)
	resolve := "/api/t/vehicles/resolve?q=" + url.QueryEscape("lynx xterrain re 900 2025") + "&limit=50"
	for round := 0; round < 2; round++ {
		for _, id := range []string{"b", "a", "b"} {
			key := keys[id][0]
			detail := e.do("GET", "/api/t/vehicles/"+onlyA, key, nil)
			r := e.do("GET", resolve, key, nil).want(200)
			if id == "a" {
				if detail.StatusCode != 200 || !strings.Contains(string(r.body), onlyA) {
					t.Errorf("round %d: a's own vehicle for a: %d %s; resolve %s", round, detail.StatusCode, detail.body, r.body)
				}
				continue
			}
			if detail.StatusCode != 404 || strings.Contains(string(r.body), onlyA) || strings.Contains(string(r.body), "GA-ONLY") {
				t.Errorf("round %d: a's own vehicle for b: %d %s; resolve %s", round, detail.StatusCode, detail.body, r.body)
			}
		}
	}
}

// TestCachedAnswersFollowChanges: a kept answer is served until the tenant's state it
// shows changes: a stock change renews part lists but keeps cascade answers.
func TestCachedAnswersFollowChanges(t *testing.T) {
	e := newEnv(t)
	parts := "/api/t/parts?vehicleId=" + v1
	e.do("GET", "/api/t/years", e.a.Publishable, nil).want(200)
	e.do("GET", parts, e.a.Publishable, nil).want(200)
	before := e.srv.CacheStats()
	// Parameters the route does not read make no new entry.
	e.do("GET", "/api/t/years?utm_source=mail&x=1", e.a.Publishable, nil).want(200)
	e.do("GET", parts+"&fbclid=123", e.a.Publishable, nil).want(200)
	if st := e.srv.CacheStats(); st.Entries != before.Entries || st.Hits != before.Hits+2 {
		t.Errorf("junk parameters: cache %+v, before %+v: want two hits, no new entry", st, before)
	}
	e.do("POST", "/api/integrations/stock-feed", e.a.Secret, `[{"partNumber":"EBC-1","stock":7}]`).want(200)
	st := e.srv.CacheStats()
	if r := e.do("GET", parts, e.a.Publishable, nil).want(200); !strings.Contains(string(r.body), `"stock":7`) {
		t.Errorf("parts after a stock feed: %s, want stock 7", r.body)
	}
	e.do("GET", "/api/t/years", e.a.Publishable, nil).want(200)
	if after := e.srv.CacheStats(); after.Hits != st.Hits+1 || after.Misses != st.Misses+1 {
		t.Errorf("after a stock change: cache %+v, before %+v: want the part list rendered anew and years kept", after, st)
	}
	// An activation change renews the cascade too.
	e.do("PUT", "/api/app/catalog-items", e.a.Secret, `[{"partNumber":"EBC-1","active":false}]`).want(200)
	var years []int
	e.do("GET", "/api/t/years", e.a.Publishable, nil).want(200).json(&years)
	if len(years) != 1 || years[0] != 2019 {
		t.Errorf("years after deactivating EBC-1: %v, want [2019]", years)
	}
}

// TestAnswerCache: concurrent misses of one key render once, and the cache stays within
// its byte bound.
func TestAnswerCache(t *testing.T) {
	ac := newAnswerCache(1 << 20)
	var renders atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := ac.get("k", func() ([]byte, int, error) {
				renders.Add(1)
				<-release
				return []byte(`[1,2,3]`), -1, nil
			})
			if err != nil || string(a.body) != `[1,2,3]` {
				t.Errorf("get: %v %v", a, err)
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	if n := renders.Load(); n != 1 {
		t.Errorf("20 concurrent misses rendered %d times, want 1", n)
	}
	a, _ := ac.get("k", nil)
	ac.c.CleanUp()
	w := ac.c.WeightedSize()
	if _, _, made := a.encoded("gzip", 1); !made {
		t.Fatal("encoded(gzip): no compressed form made")
	}
	ac.reweigh("k", a)
	ac.c.CleanUp()
	if got := ac.c.WeightedSize(); got <= w {
		t.Errorf("weight after a compressed form: %d, before %d", got, w)
	}
	body := []byte(strings.Repeat("x", 10<<10))
	for i := 0; i < 1000; i++ {
		ac.get(fmt.Sprint("big", i), func() ([]byte, int, error) { return body, -1, nil })
	}
	ac.c.CleanUp()
	if w := ac.c.WeightedSize(); w > 1<<20 {
		t.Errorf("cache holds %d bytes, over its bound of %d", w, 1<<20)
	}
}

// decodeBody returns the body as text, decompressed as its Content-Encoding says.
func decodeBody(t *testing.T, r *resp) string {
	t.Helper()
	switch r.Header.Get("Content-Encoding") {
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(r.body))
		if err != nil {
			t.Fatalf("%s: %v", r.req, err)
		}
		b, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%s: %v", r.req, err)
		}
		return string(b)
	case "zstd":
		d, _ := zstd.NewReader(nil)
		b, err := d.DecodeAll(r.body, nil)
		if err != nil {
			t.Fatalf("%s: %v", r.req, err)
		}
		return string(b)
	}
	return string(r.body)
}

// panicky is the engine with a failure injected in its apply step, after the change is
// durable: the worst moment.
type panicky struct {
	*engine.Engine
	armed atomic.Bool
}

func (p *panicky) Update(id string, ch engine.Change, commit func(engine.Change) error) (engine.Outcome, error) {
	if commit == nil {
		return p.Engine.Update(id, ch, nil)
	}
	return p.Engine.Update(id, ch, func(res engine.Change) error {
		err := commit(res)
		if err == nil && p.armed.CompareAndSwap(true, false) {
			panic("injected failure in the engine step")
		}
		return err
	})
}

// TestFailureWhileApplying: a panic in the engine step of a feed answers 500, the server
// keeps serving, the next writes succeed, and what the storefront shows is what the
// tenant layer holds on disk.
func TestFailureWhileApplying(t *testing.T) {
	e := newEnvWith(t, envOptions{noCatalog: true})
	e.eng.Load(fixtureCatalog(t), "v1")
	p := &panicky{Engine: e.eng.Engine}
	if err := e.store.Attach(p); err != nil {
		t.Fatal(err)
	}
	e.srv.SetReady(true)
	e.do("PUT", "/api/app/subscriptions/EBC", e.a.Secret, nil).want(200)
	p.armed.Store(true)
	r := e.do("POST", "/api/integrations/stock-feed", e.a.Secret, `[{"partNumber":"EBC-1","stock":4}]`).want(500)
	if code, _ := r.errCode(); code != "internal" || strings.Contains(string(r.body), "goroutine") {
		t.Errorf("feed with a failure: %s", r.body)
	}
	e.do("GET", "/api/t/years", e.a.Publishable, nil).want(200)
	e.do("POST", "/api/integrations/stock-feed", e.a.Secret, `[{"partNumber":"EBC-2","stock":2}]`).want(200)
	live := e.offersOf(e.a.Secret)
	// The failed feed was durable before the failure, so it shows, as it will after a restart.
	if live["EBC-1"][1] != 4.0 || live["EBC-2"][1] != 2.0 {
		t.Errorf("after a failure and a write: %v, want EBC-1 at 4 and EBC-2 at 2", live)
	}
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	topts := tenant.DefaultOptions()
	topts.Logger = e.srv.log
	store, err := tenant.Open(e.dir, topts)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	eng := engine.New()
	eng.Load(fixtureCatalog(t), "v1")
	if err := store.Attach(eng); err != nil {
		t.Fatal(err)
	}
	v, _ := eng.View("a")
	items, _, _ := v.Items(engine.ItemQuery{Limit: 10})
	disk := map[string][2]any{}
	for _, it := range items {
		var stock any
		if it.Stock != nil {
			stock = float64(*it.Stock)
		}
		disk[it.PartNumber] = [2]any{nil, stock}
	}
	if !reflect.DeepEqual(disk, live) {
		t.Errorf("disk %v, served %v: they disagree", disk, live)
	}
}
