package httpapi

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/fitment/fitment/snapshot"
	"github.com/fitment/fitment/tenant"
)

// Locations, their stock, stock sharing and the locator, through the API.

func names(ds []map[string]any) []string {
	out := []string{}
	for _, d := range ds {
		out = append(out, d["name"].(string))
	}
	return out
}

// TestLocationsAndDealers: locations are upserted by code, listed, and shown to the
// storefront (active ones, by country then name); a delete takes them off at once.
func TestLocationsAndDealers(t *testing.T) {
	e := newEnv(t)
	r := e.do("PUT", "/api/app/locations", e.a.Secret, `[
		{"code":"HEL","name":"Moto Helsinki","address":"Mannerheimintie 1","city":"Helsinki","postalCode":"00100","country":"Finland","phone":"+358 1","website":"https://hel.example","lat":60.17,"lng":24.94},
		{"code":"STO","name":"Moto Stockholm","city":"Stockholm","postalCode":"111 20","country":"Sweden","lat":59.33,"lng":18.07},
		{"code":"ESP","name":"Espoo (no map)","country":"Finland"},
		{"code":"OLD","name":"Closed","country":"Finland","active":false}]`).want(200)
	var res UpsertResult
	r.json(&res)
	if res.Updated != 4 || len(res.Rejected) != 0 {
		t.Fatalf("PUT locations: %s", r.body)
	}
	r = e.do("GET", "/api/t/dealers", e.a.Publishable, nil).want(200)
	var ds []map[string]any
	r.json(&ds)
	if got := names(ds); !reflect.DeepEqual(got, []string{"Espoo (no map)", "Moto Helsinki", "Moto Stockholm"}) {
		t.Errorf("dealers: %v, want the active ones by country, then name", got)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "public, max-age=300" {
		t.Errorf("dealers Cache-Control %q", cc)
	}
	want := map[string]any{"name": "Moto Helsinki", "address": "Mannerheimintie 1", "city": "Helsinki", "postalCode": "00100",
		"country": "Finland", "phone": "+358 1", "website": "https://hel.example", "lat": 60.17, "lng": 24.94}
	if !reflect.DeepEqual(ds[1], want) {
		t.Errorf("dealer [compat] shape: %v, want %v", ds[1], want)
	}
	if ds[0]["lat"] != nil || ds[0]["phone"] != "" {
		t.Errorf("a dealer without coordinates: %v, want lat null and phone \"\"", ds[0])
	}
	// b has none.
	e.do("GET", "/api/t/dealers", e.b.Publishable, nil).want(200).json(&ds)
	if len(ds) != 0 {
		t.Errorf("b's dealers: %v", ds)
	}
	// An upsert replaces the whole location; the answer kept for the old ones is not served.
	e.do("PUT", "/api/app/locations", e.a.Secret, `[{"code":"hel","name":"Moto Helsinki Centre","country":"Finland","active":false}]`).want(200)
	e.do("GET", "/api/t/dealers", e.a.Publishable, nil).want(200).json(&ds)
	if got := names(ds); !reflect.DeepEqual(got, []string{"Espoo (no map)", "Moto Stockholm"}) {
		t.Errorf("dealers after deactivating HEL: %v", got)
	}
	// Paged listing for the portal, in code order.
	var page Page[map[string]any]
	e.do("GET", "/api/app/locations?limit=3", e.a.Secret, nil).want(200).json(&page)
	if len(page.Items) != 3 || page.Items[0]["code"] != "ESP" || page.Items[1]["code"] != "hel" || page.NextCursor == nil {
		t.Fatalf("locations page 1: %+v", page)
	}
	e.do("GET", "/api/app/locations?limit=3&cursor="+*page.NextCursor, e.a.Secret, nil).want(200).json(&page)
	if len(page.Items) != 1 || page.Items[0]["code"] != "STO" || page.NextCursor != nil {
		t.Errorf("locations page 2: %+v", page)
	}
	e.do("DELETE", "/api/app/locations/sto", e.a.Secret, nil).want(204)
	e.do("DELETE", "/api/app/locations/sto", e.a.Secret, nil).want(404)
	e.do("GET", "/api/t/dealers", e.a.Publishable, nil).want(200).json(&ds)
	if got := names(ds); !reflect.DeepEqual(got, []string{"Espoo (no map)"}) {
		t.Errorf("dealers after deleting STO: %v", got)
	}
	// CSV, as a dealer list exported from a spreadsheet.
	e.do("PUT", "/api/app/locations", e.b.Secret, "code,name,country,lat,lng\nB1,Bike Shop,Sweden,59.3,18.0\n", "Content-Type", "text/csv").want(200)
	e.do("GET", "/api/t/dealers", e.b.Publishable, nil).want(200).json(&ds)
	if got := names(ds); !reflect.DeepEqual(got, []string{"Bike Shop"}) {
		t.Errorf("b's dealers from CSV: %v", got)
	}
}

// nearby calls the stock locator and returns each dealer's name, availability and stock.
func (e *env) nearby(key, query string) []string {
	e.t.Helper()
	var ds []map[string]any
	r := e.do("GET", "/api/t/dealers/stock?"+query, key, nil).want(200)
	if cc := r.Header.Get("Cache-Control"); cc != "no-cache" {
		e.t.Errorf("dealers/stock Cache-Control %q, want no-cache", cc)
	}
	r.json(&ds)
	out := []string{}
	for _, d := range ds {
		s := "null"
		if d["stock"] != nil {
			b, _ := json.Marshal(d["stock"])
			s = string(b)
		}
		out = append(out, d["name"].(string)+" "+d["availability"].(string)+" "+s)
		if _, ok := d["distanceKm"].(float64); !ok {
			e.t.Errorf("dealer without distanceKm: %v", d)
		}
	}
	return out
}

// TestLocationStockAndLocator: a chain pushes per-store stock; its storefront lists the
// nearest stores that hold the part.
func TestLocationStockAndLocator(t *testing.T) {
	e := newEnv(t)
	e.do("PUT", "/api/app/locations", e.a.Secret, `[
		{"code":"HEL","name":"Helsinki","postalCode":"00100","country":"Finland","lat":60.17,"lng":24.94},
		{"code":"TKU","name":"Turku","postalCode":"20100","country":"Finland","lat":60.45,"lng":22.27},
		{"code":"STO","name":"Stockholm","country":"Sweden","lat":59.33,"lng":18.07}]`).want(200)
	r := e.do("POST", "/api/integrations/location-stock-feed", e.a.Secret, `[
		{"location":"HEL","partNumber":"EBC-1","stock":5},
		{"location":"tku","partNumber":"ebc-1","stock":1},
		{"location":"STO","partNumber":"EBC-1","stock":0},
		{"location":"NOPE","partNumber":"EBC-1","stock":3},
		{"location":"HEL","partNumber":"KN-1","stock":3},
		{"location":"HEL","partNumber":"EBC-2","stock":-1},
		{"partNumber":"EBC-2","stock":1}]`).want(200)
	var res BulkResult
	r.json(&res)
	want := BulkResult{Updated: 3, NotFound: []string{"KN-1"}, Rejected: []RowError{
		{Row: 4, PartNumber: "EBC-1", Location: "NOPE", Reason: "unknown location NOPE"},
		{Row: 6, PartNumber: "EBC-2", Location: "HEL", Reason: "negative stock"},
		{Row: 7, PartNumber: "EBC-2", Reason: "missing location"},
	}}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("location-stock feed: %s\nwant %+v", r.body, want)
	}
	// From Espoo: Helsinki (16 km), then Turku; Stockholm has none.
	got := e.nearby(e.a.Publishable, "partNumber=EBC-1&lat=60.205&lng=24.65")
	if !reflect.DeepEqual(got, []string{"Helsinki in_stock 5", "Turku low 1"}) {
		t.Errorf("nearby EBC-1 from Espoo: %v", got)
	}
	got = e.nearby(e.a.Publishable, "partNumber=ebc-1&postalCode=20100&country=finland&limit=1")
	if !reflect.DeepEqual(got, []string{"Turku low 1"}) {
		t.Errorf("nearby EBC-1 from postal code 20100: %v", got)
	}
	// b sees none of a's stores, even for a part it sells.
	e.do("PUT", "/api/app/subscriptions/EBC", e.b.Secret, nil).want(200)
	if got := e.nearby(e.b.Publishable, "partNumber=EBC-1&lat=60.2&lng=24.6"); len(got) != 0 {
		t.Errorf("b's nearby EBC-1: %v", got)
	}
	// A full sync of HEL: EBC-1, not named, goes; TKU keeps its stock.
	r = e.do("POST", "/api/integrations/location-stock-feed?mode=replace", e.a.Secret, `[{"location":"HEL","partNumber":"EBC-2","stock":2}]`).want(200)
	r.json(&res)
	if res.Cleared == nil || *res.Cleared != 1 {
		t.Errorf("replace: %s, want cleared 1", r.body)
	}
	if got := e.nearby(e.a.Publishable, "partNumber=EBC-1&lat=60.2&lng=24.6"); !reflect.DeepEqual(got, []string{"Turku low 1"}) {
		t.Errorf("nearby EBC-1 after HEL's full sync: %v", got)
	}
	var page Page[map[string]any]
	e.do("GET", "/api/app/locations/hel/stock", e.a.Secret, nil).want(200).json(&page)
	if len(page.Items) != 1 || page.Items[0]["partNumber"] != "EBC-2" || page.Items[0]["stock"] != 2.0 {
		t.Errorf("HEL's stock: %+v", page)
	}
	e.do("GET", "/api/app/locations/nope/stock", e.a.Secret, nil).want(404)
	// Parameters.
	for q, msg := range map[string]string{
		"lat=60&lng=24":                          "parameter partNumber: is required",
		"partNumber=EBC-1":                       "parameter lat: lat and lng (or postalCode) are required",
		"partNumber=EBC-1&lat=91&lng=24":         "parameter lat: lat 91 is out of range -90..90",
		"partNumber=EBC-1&lat=60":                "parameter lng: is required with lat",
		"partNumber=EBC-1&lat=60&lng=x":          "parameter lng: lng must be a number",
		"partNumber=EBC-1&lat=60&lng=24&limit=0": "parameter limit: 0 is out of range 1..100",
		"partNumber=EBC-1&postalCode=99999":      "parameter postalCode: 99999 is not the postal code of any of this tenant's dealers; send lat and lng instead",
	} {
		if _, m := e.do("GET", "/api/t/dealers/stock?"+q, e.a.Publishable, nil).want(400).errCode(); m != msg {
			t.Errorf("dealers/stock?%s: %q, want %q", q, m, msg)
		}
	}
	if _, m := e.do("GET", "/api/t/dealers/stock?partNumber=NOPE&lat=60&lng=24", e.a.Publishable, nil).want(404).errCode(); m != "part NOPE is not in this catalog" {
		t.Errorf("unknown part: %q", m)
	}
}

// TestStockSharing: a manufacturer's locator lists a reseller's dealer only while the
// reseller shares with it, at the precision it chose; revocation shows on the next query.
func TestStockSharing(t *testing.T) {
	e := newEnv(t)
	_, m, err := e.store.Create(tenant.Tenant{ID: "maker", Name: "Maker Oy", Type: tenant.Manufacturer, Currency: "EUR", Language: "fi"})
	if err != nil {
		t.Fatal(err)
	}
	e.do("PUT", "/api/app/subscriptions/K%26N", m.Secret, nil).want(200)
	// b (a reseller selling K&N) stocks KN-1; the maker lists b's shop as a dealer linked to b.
	e.do("POST", "/api/integrations/stock-feed", e.b.Secret, `[{"partNumber":"KN-1","stock":7}]`).want(200)
	e.do("PUT", "/api/app/locations", m.Secret, `[
		{"code":"R-B","name":"Reseller B","country":"Sweden","lat":59.33,"lng":18.07,"linkedTenantId":"b"},
		{"code":"R-A","name":"Reseller A","country":"Finland","lat":60.17,"lng":24.94,"linkedTenantId":"a"}]`).want(200)
	q := "partNumber=KN-1&lat=60&lng=20"
	if got := e.nearby(m.Publishable, q); len(got) != 0 {
		t.Errorf("before any grant: %v", got)
	}
	r := e.do("PUT", "/api/app/stock-sharing/maker", e.b.Secret, `{"precision":"bucket","lowThreshold":10}`).want(200)
	var g Grant
	r.json(&g)
	if g != (Grant{TenantID: "maker", Name: "Maker Oy", Precision: "BUCKET", LowThreshold: 10}) {
		t.Errorf("PUT grant: %s", r.body)
	}
	if got := e.nearby(m.Publishable, q); !reflect.DeepEqual(got, []string{"Reseller B low null"}) {
		t.Errorf("BUCKET, low at 10: %v", got)
	}
	e.do("PUT", "/api/app/stock-sharing/maker", e.b.Secret, `{"precision":"EXACT"}`).want(200)
	if got := e.nearby(m.Publishable, q); !reflect.DeepEqual(got, []string{"Reseller B in_stock 7"}) {
		t.Errorf("EXACT: %v", got)
	}
	// a has not granted: its dealer never shows, whatever a stocks.
	e.do("PUT", "/api/app/subscriptions/K%26N", e.a.Secret, nil).want(200)
	e.do("POST", "/api/integrations/stock-feed", e.a.Secret, `[{"partNumber":"KN-1","stock":9}]`).want(200)
	if got := e.nearby(m.Publishable, q); !reflect.DeepEqual(got, []string{"Reseller B in_stock 7"}) {
		t.Errorf("with a not sharing: %v", got)
	}
	var gs Grants
	e.do("GET", "/api/app/stock-sharing", m.Secret, nil).want(200).json(&gs)
	if len(gs.Given) != 0 || len(gs.Received) != 1 || gs.Received[0].TenantID != "b" || gs.Received[0].Name != "Tenant B" {
		t.Errorf("maker's grants: %+v", gs)
	}
	e.do("GET", "/api/app/stock-sharing", e.b.Secret, nil).want(200).json(&gs)
	if len(gs.Given) != 1 || gs.Given[0].Precision != "EXACT" || gs.Given[0].LowThreshold != 2 || len(gs.Received) != 0 {
		t.Errorf("b's grants: %+v", gs)
	}
	// Stock changes show at once; revocation takes effect on the next query.
	e.do("POST", "/api/integrations/stock-feed", e.b.Secret, `[{"partNumber":"KN-1","stock":0}]`).want(200)
	if got := e.nearby(m.Publishable, q); len(got) != 0 {
		t.Errorf("b out of stock: %v", got)
	}
	e.do("POST", "/api/integrations/stock-feed", e.b.Secret, `[{"partNumber":"KN-1","stock":3}]`).want(200)
	e.do("DELETE", "/api/app/stock-sharing/maker", e.b.Secret, nil).want(204)
	if got := e.nearby(m.Publishable, q); len(got) != 0 {
		t.Errorf("after revocation: %v", got)
	}
	e.do("DELETE", "/api/app/stock-sharing/maker", e.b.Secret, nil).want(404)
	e.do("GET", "/api/app/stock-sharing", m.Secret, nil).want(200).json(&gs)
	if len(gs.Received) != 0 {
		t.Errorf("maker's grants after revocation: %+v", gs)
	}
}

// TestOwnPartsAndVehicles: a retailer's own SKUs fit its own vehicles (and the catalog's)
// and show in its cascade, part lists, detail, feeds and aliases, and nobody else's.
func TestOwnPartsAndVehicles(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/api/app/tenant-vehicles", e.a.Secret, `[
		{"type":"atv","make":"Can-Am","model":"Renegade","submodel":"X XC","years":"2022-2023","engineCc":1000},
		{"type":"motorcycle","make":"KTM","model":"450 SX-F","years":"2023"}]`).want(200)
	var vr VehiclesResult
	r.json(&vr)
	ren22 := snapshot.VehicleID("Can-Am", "Renegade", "X XC", 2022)
	if vr.Created != 2 || len(vr.Vehicles) != 3 || vr.Vehicles[0].ID != ren22 || !vr.Vehicles[2].InCatalog || vr.Vehicles[2].ID != v3 {
		t.Fatalf("POST tenant-vehicles: %s", r.body)
	}
	r = e.do("POST", "/api/app/tenant-parts", e.a.Secret, `[
		{"partNumber":"OWN-1","brand":"House","name":"Skid plate","nameDe":"Unterfahrschutz","category":"Brakes",
		 "description":"Tough.","oemNumbers":["CANAM:715"],"weightKg":"2.5","universal":false,
		 "fitments":[{"make":"Can-Am","model":"Renegade","submodel":"X XC","years":"2022-2023","position":"front"},{"vehicleId":"`+v1+`","qty":2}]}]`).want(200)
	var res BulkResult
	r.json(&res)
	if res.Updated != 1 || len(res.Rejected) != 0 {
		t.Fatalf("POST tenant-parts: %s", r.body)
	}
	// Cascade: the own vehicle's make-model shows for a, not for b.
	var models []map[string]any
	e.do("GET", "/api/t/models?makeId="+mkCanAm+"&year=2022", e.a.Publishable, nil).want(200).json(&models)
	if len(models) != 1 || models[0]["name"] != "Renegade" {
		t.Errorf("a's Can-Am models of 2022: %v", models)
	}
	e.do("GET", "/api/t/models?makeId="+mkCanAm+"&year=2022", e.b.Publishable, nil).want(200).json(&models)
	if len(models) != 0 {
		t.Errorf("b's Can-Am models of 2022: %v", models)
	}
	var parts []map[string]any
	e.do("GET", "/api/t/parts?vehicleId="+ren22, e.a.Publishable, nil).want(200).json(&parts)
	if len(parts) != 1 || parts[0]["partNumber"] != "OWN-1" {
		t.Errorf("parts of a's own vehicle: %v", parts)
	}
	e.do("GET", "/api/t/parts?vehicleId="+v1, e.a.Publishable, nil).want(200).json(&parts)
	if len(parts) != 2 || parts[0]["partNumber"] != "EBC-1" || parts[1]["partNumber"] != "OWN-1" {
		t.Errorf("parts of a catalog vehicle with an own part: %v", parts)
	}
	e.do("GET", "/api/t/parts?vehicleId="+v1, e.b.Publishable, nil).want(200).json(&parts)
	for _, p := range parts {
		if p["partNumber"] == "OWN-1" {
			t.Errorf("b sees a's own part: %v", parts)
		}
	}
	var d map[string]any
	e.do("GET", "/api/t/parts/own-1?lang=de", e.a.Publishable, nil).want(200).json(&d)
	if d["name"] != "Unterfahrschutz" || d["description"] != "<p>Tough.</p>" || d["oemPartNumber"] != "715" || d["weightKg"] != 2.5 {
		t.Errorf("own part detail: %v", d)
	}
	e.do("GET", "/api/t/parts/own-1", e.b.Publishable, nil).want(404)
	// Feeds and aliases reach it.
	e.do("POST", "/api/integrations/price-feed", e.a.Secret, `[{"partNumber":"OWN-1","price":49.9}]`).want(200)
	e.do("PUT", "/api/app/aliases", e.a.Secret, `[{"alias":"POS-77","partNumber":"own-1"}]`).want(200)
	e.do("POST", "/api/integrations/stock-feed", e.a.Secret, `[{"partNumber":"POS-77","stock":4}]`).want(200)
	e.do("GET", "/api/t/parts/POS-77", e.a.Publishable, nil).want(200).json(&d)
	if d["partNumber"] != "OWN-1" || d["price"] != 49.9 || d["stock"] != 4.0 {
		t.Errorf("own part through an alias: %v", d)
	}
	// Listed in the shape POST takes.
	var page Page[map[string]any]
	e.do("GET", "/api/app/tenant-parts", e.a.Secret, nil).want(200).json(&page)
	if len(page.Items) != 1 || page.Items[0]["nameDe"] != "Unterfahrschutz" || page.Items[0]["price"] != 49.9 ||
		len(page.Items[0]["fitments"].([]any)) != 3 {
		t.Errorf("GET tenant-parts: %+v", page)
	}
	var vpage Page[map[string]any]
	e.do("GET", "/api/app/tenant-vehicles", e.a.Secret, nil).want(200).json(&vpage)
	if len(vpage.Items) != 2 {
		t.Errorf("GET tenant-vehicles: %+v", vpage)
	}
	e.do("GET", "/api/app/tenant-parts", e.b.Secret, nil).want(200).json(&page)
	e.do("GET", "/api/app/tenant-vehicles", e.b.Secret, nil).want(200).json(&vpage)
	if len(page.Items) != 0 || len(vpage.Items) != 0 {
		t.Errorf("b's own parts %v and vehicles %v", page.Items, vpage.Items)
	}
	// Deleted: gone from every answer.
	e.do("DELETE", "/api/app/tenant-parts/own-1", e.a.Secret, nil).want(204)
	e.do("DELETE", "/api/app/tenant-parts/own-1", e.a.Secret, nil).want(404)
	e.do("GET", "/api/t/parts/OWN-1", e.a.Publishable, nil).want(404)
	e.do("GET", "/api/t/parts?vehicleId="+ren22, e.a.Publishable, nil).want(200).json(&parts)
	if len(parts) != 0 {
		t.Errorf("parts of the own vehicle after the delete: %v", parts)
	}
}

// state is what a tenant's portal and storefront show of everything issue 6 writes.
func (e *env) ownState(secret, publishable string) string {
	e.t.Helper()
	var b strings.Builder
	for _, p := range []string{"/api/app/locations", "/api/app/stock-sharing", "/api/app/tenant-parts", "/api/app/tenant-vehicles",
		"/api/app/locations/HEL/stock"} {
		b.WriteString(p + " " + string(e.do("GET", p, secret, nil).body) + "\n")
	}
	b.WriteString(string(e.do("GET", "/api/t/dealers", publishable, nil).body))
	return b.String()
}

// TestBadInputIssue6: each bad input is refused with its exact status and message, and
// nothing else changes.
func TestBadInputIssue6(t *testing.T) {
	e := newEnv(t)
	e.do("PUT", "/api/app/locations", e.a.Secret, `[{"code":"HEL","name":"Helsinki","lat":60.17,"lng":24.94}]`).want(200)
	before := e.ownState(e.a.Secret, e.a.Publishable)
	type rowCase struct {
		name, method, path, body string
		reason                   string // the one rejected row's reason
	}
	for _, c := range []rowCase{
		{"unknown location", "POST", "/api/integrations/location-stock-feed", `[{"location":"NOPE","partNumber":"EBC-1","stock":1}]`, "unknown location NOPE"},
		{"linked tenant missing", "PUT", "/api/app/locations", `[{"code":"X","name":"X","linkedTenantId":"ghost"}]`, "linkedTenantId ghost is not a tenant"},
		{"linked to itself", "PUT", "/api/app/locations", `[{"code":"X","name":"X","linkedTenantId":"a"}]`, "linkedTenantId names this tenant: a location of its own needs no link"},
		{"latitude out of range", "PUT", "/api/app/locations", `[{"code":"X","name":"X","lat":90.5,"lng":0}]`, "lat 90.5 is out of range -90..90"},
		{"longitude out of range", "PUT", "/api/app/locations", `[{"code":"X","name":"X","lat":0,"lng":-180.01}]`, "lng -180.01 is out of range -180..180"},
		{"lat without lng", "PUT", "/api/app/locations", `[{"code":"X","name":"X","lat":60}]`, "lat and lng go together: give both or neither"},
		{"coordinate not a number", "PUT", "/api/app/locations", `[{"code":"X","name":"X","lat":"north","lng":1}]`, "lat must be a number or null"},
		{"location without name", "PUT", "/api/app/locations", `[{"code":"X"}]`, "missing name"},
		{"tenant part with an unknown vehicle", "POST", "/api/app/tenant-parts",
			`[{"partNumber":"OWN-9","brand":"House","name":"X","fitments":[{"make":"Honda","model":"TRX420","submodel":"FA6","years":"2019"}]}]`,
			"fitment 1: Honda/TRX420/FA6/2019: unknown vehicle"},
		{"tenant part with an unknown vehicle id", "POST", "/api/app/tenant-parts",
			`[{"partNumber":"OWN-9","brand":"House","name":"X","fitments":[{"vehicleId":"v-nope"}]}]`, "fitment 1: vehicle v-nope: unknown vehicle"},
		{"tenant part number of the catalog", "POST", "/api/app/tenant-parts", `[{"partNumber":"ebc-1","brand":"House","name":"X"}]`,
			"partNumber ebc-1 is a part of the central catalog: a tenant part needs a number of its own"},
		{"tenant part of an unknown category", "POST", "/api/app/tenant-parts", `[{"partNumber":"OWN-9","brand":"House","name":"X","category":"Nowhere"}]`,
			"category Nowhere is not in the catalog's category tree"},
		{"tenant part with a bad ean", "POST", "/api/app/tenant-parts", `[{"partNumber":"OWN-9","brand":"House","name":"X","ean":"12"}]`,
			`bad ean "12" (want 8-14 digits)`},
		{"tenant part with a bad weight", "POST", "/api/app/tenant-parts", `[{"partNumber":"OWN-9","brand":"House","name":"X","weightKg":-1}]`,
			`bad weightKg "-1" (want a non-negative decimal number)`},
		{"tenant part with an unknown field", "POST", "/api/app/tenant-parts", `[{"partNumber":"OWN-9","brand":"House","name":"X","colour":"red"}]`,
			"unknown field colour"},
		{"tenant part without brand", "POST", "/api/app/tenant-parts", `[{"partNumber":"OWN-9","name":"X"}]`, "missing brand"},
		{"tenant vehicle of a bad type", "POST", "/api/app/tenant-vehicles", `[{"type":"boat","make":"X","model":"Y","years":"2020"}]`,
			`bad type "boat" (want one of motorcycle, atv, utv, snowmobile)`},
		{"tenant vehicle with bad years", "POST", "/api/app/tenant-vehicles", `[{"type":"atv","make":"X","model":"Y","years":"2024-2020"}]`,
			`bad years "2024-2020": reversed range 2024-2020`},
	} {
		r := e.do(c.method, c.path, e.a.Secret, c.body).want(200)
		var res struct {
			Updated  int `json:"updated"`
			Rejected []struct {
				Reason string `json:"reason"`
			} `json:"rejected"`
		}
		r.json(&res)
		if res.Updated != 0 || len(res.Rejected) != 1 || res.Rejected[0].Reason != c.reason {
			t.Errorf("%s: %s, want the row rejected: %q", c.name, r.body, c.reason)
		}
	}
	type reqCase struct {
		name, method, path, body string
		status                   int
		msg                      string
	}
	for _, c := range []reqCase{
		{"grant to oneself", "PUT", "/api/app/stock-sharing/a", `{"precision":"EXACT"}`, 400, "parameter tenantId: a is this tenant: stock is shared with another tenant"},
		{"grant to a tenant that does not exist", "PUT", "/api/app/stock-sharing/ghost", `{"precision":"EXACT"}`, 404, "tenant ghost does not exist"},
		{"grant of a bad precision", "PUT", "/api/app/stock-sharing/b", `{"precision":"ROUGH"}`, 400, `parameter precision: "ROUGH" is not EXACT or BUCKET`},
		{"grant without precision", "PUT", "/api/app/stock-sharing/b", `{"lowThreshold":3}`, 400, "parameter precision: is required: EXACT or BUCKET"},
		{"grant with a negative threshold", "PUT", "/api/app/stock-sharing/b", `{"precision":"BUCKET","lowThreshold":-1}`, 400, "parameter lowThreshold: -1 is not a whole number 0..1000000"},
		{"grant with an unknown field", "PUT", "/api/app/stock-sharing/b", `{"precision":"BUCKET","level":1}`, 400, "parameter level: is not a field of a grant (precision, lowThreshold)"},
		{"revoking a grant never given", "DELETE", "/api/app/stock-sharing/b", "", 404, "this tenant shares no stock with b"},
		{"deleting an unknown location", "DELETE", "/api/app/locations/NOPE", "", 404, "location NOPE is not one of this tenant's locations"},
		{"deleting an unknown own part", "DELETE", "/api/app/tenant-parts/NOPE", "", 404, "part NOPE is not one of this tenant's own parts"},
		{"location stock feed in an unknown mode", "POST", "/api/integrations/location-stock-feed?mode=all", `[]`, 400, `parameter mode: "all" is not merge or replace`},
		{"tenant parts as CSV", "POST", "/api/app/tenant-parts", "partNumber\nX\n", 415,
			`content type "text/csv" is not supported: send application/json (an array of objects) or application/x-ndjson`},
	} {
		var body any
		if c.body != "" {
			body = c.body
		}
		headers := []string{}
		if strings.HasPrefix(c.body, "partNumber") {
			headers = []string{"Content-Type", "text/csv"}
		}
		r := e.do(c.method, c.path, e.a.Secret, body, headers...)
		if _, msg := r.errCode(); r.StatusCode != c.status || msg != c.msg {
			t.Errorf("%s: %d %q, want %d %q", c.name, r.StatusCode, msg, c.status, c.msg)
		}
	}
	if after := e.ownState(e.a.Secret, e.a.Publishable); after != before {
		t.Errorf("bad input changed the tenant's state:\nbefore %s\nafter  %s", before, after)
	}
	// A body mixing good and bad rows applies the good ones only.
	r := e.do("PUT", "/api/app/locations", e.a.Secret, `[{"code":"OK","name":"Fine"},{"code":"BAD","name":"x","lat":100,"lng":0}]`).want(200)
	var res UpsertResult
	r.json(&res)
	if res.Updated != 1 || !reflect.DeepEqual(res.Rejected, []KeyedRowError{{Row: 2, Key: "BAD", Reason: "lat 100 is out of range -90..90"}}) {
		t.Errorf("mixed rows: %s", r.body)
	}
}
