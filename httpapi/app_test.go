package httpapi

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestSubscriptions(t *testing.T) {
	e := newEnv(t)
	var sub Subscription
	e.do("PUT", "/api/app/subscriptions/alphatrac", e.a.Secret, nil).want(200).json(&sub)
	if sub != (Subscription{Brand: "Alphatrac", Parts: 1}) { // the catalog's spelling
		t.Errorf("PUT subscriptions/alphatrac: got %+v", sub)
	}
	// Idempotent, case-insensitive.
	e.do("PUT", "/api/app/subscriptions/ALPHATRAC", e.a.Secret, nil).want(200).json(&sub)
	if sub.Parts != 1 {
		t.Errorf("PUT subscriptions/ALPHATRAC again: got %+v", sub)
	}
	var subs []Subscription
	e.do("GET", "/api/app/subscriptions", e.a.Secret, nil).want(200).json(&subs)
	want := []Subscription{{"Alphatrac", 1}, {"EBC", 2}}
	if !reflect.DeepEqual(subs, want) {
		t.Errorf("GET subscriptions: got %+v, want %+v", subs, want)
	}
	// Visible at once.
	var d map[string]any
	e.do("GET", "/api/t/parts/AT%2F1", e.a.Publishable, nil).want(200).json(&d)

	r := e.do("PUT", "/api/app/subscriptions/NoSuchBrand", e.a.Secret, nil).want(404)
	if _, msg := r.errCode(); !strings.Contains(msg, "NoSuchBrand") {
		t.Errorf("PUT unknown brand: message %q does not name it", msg)
	}
	e.do("DELETE", "/api/app/subscriptions/NoSuchBrand", e.a.Secret, nil).want(404)
	e.do("DELETE", "/api/app/subscriptions/Alphatrac", e.a.Secret, nil).want(204)
	e.do("DELETE", "/api/app/subscriptions/Alphatrac", e.a.Secret, nil).want(204)
	e.do("GET", "/api/t/parts/AT%2F1", e.a.Publishable, nil).want(404)
	e.do("GET", "/api/app/subscriptions", e.a.Secret, nil).want(200).json(&subs)
	if !reflect.DeepEqual(subs, []Subscription{{"EBC", 2}}) {
		t.Errorf("GET subscriptions after DELETE: got %+v", subs)
	}
}

func TestCatalogItems(t *testing.T) {
	e := newEnv(t)
	body := `[
		{"partNumber": "EBC-1", "price": 12.499, "stock": 3.9},
		{"partNumber": "KN-1", "active": true, "price": 20},
		{"partNumber": "LP-9", "stock": 1},
		{"partNumber": "EBC-2", "stock": -1},
		{"partNumber": "EBC-2", "price": "cheap"},
		{"partNumber": "EBC-2", "active": "yes"},
		{"stock": 4},
		17,
		{"partNumber": "EBC-2", "active": false}
	]`
	var res BulkResult
	e.do("PUT", "/api/app/catalog-items", e.a.Secret, body).want(200).json(&res)
	want := BulkResult{Updated: 3, NotFound: []string{"LP-9"}, Rejected: []RowError{
		{Row: 4, PartNumber: "EBC-2", Reason: "negative stock"},
		{Row: 5, PartNumber: "EBC-2", Reason: "price must be a number or null"},
		{Row: 6, PartNumber: "EBC-2", Reason: "active must be true, false or null"},
		{Row: 7, PartNumber: "", Reason: "missing partNumber"},
		{Row: 8, PartNumber: "", Reason: "row is not a JSON object"},
	}}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("PUT catalog-items: got %+v, want %+v", res, want)
	}

	var parts []map[string]any
	e.do("GET", "/api/t/parts?vehicleId="+v1, e.a.Publishable, nil).want(200).json(&parts)
	got := map[string][2]any{}
	for _, p := range parts {
		got[p["partNumber"].(string)] = [2]any{p["price"], p["stock"]}
	}
	wantParts := map[string][2]any{"EBC-1": {12.5, 3.0}, "KN-1": {20.0, nil}}
	if !reflect.DeepEqual(got, wantParts) {
		t.Errorf("parts(v1) after catalog-items: got %v, want %v", got, wantParts)
	}
	// EBC-2 deactivated under its subscribed brand.
	e.do("GET", "/api/t/parts/EBC-2", e.a.Publishable, nil).want(404)

	// A row without active keeps the activation; null clears price.
	e.do("PUT", "/api/app/catalog-items", e.a.Secret, `[{"partNumber":"kn-1","price":null,"stock":0}]`).want(200).json(&res)
	var d map[string]any
	e.do("GET", "/api/t/parts/KN-1", e.a.Publishable, nil).want(200).json(&d)
	if d["price"] != nil || d["stock"] != 0.0 {
		t.Errorf("part(KN-1) after clear: price %v stock %v, want null 0", d["price"], d["stock"])
	}
	// Activation of KN-1 is explicit, so it stays when K&N is subscribed and unsubscribed.
	e.do("PUT", "/api/app/subscriptions/K%26N", e.a.Secret, nil).want(200)
	e.do("DELETE", "/api/app/subscriptions/K%26N", e.a.Secret, nil).want(204)
	e.do("GET", "/api/t/parts/KN-1", e.a.Publishable, nil).want(200)
	// EBC-1 follows the subscription: unsubscribing hides it even though it has a price.
	e.do("DELETE", "/api/app/subscriptions/EBC", e.a.Secret, nil).want(204)
	e.do("GET", "/api/t/parts/EBC-1", e.a.Publishable, nil).want(404)
	e.do("PUT", "/api/app/subscriptions/EBC", e.a.Secret, nil).want(200)
	e.do("GET", "/api/t/parts/EBC-1", e.a.Publishable, nil).want(200).json(&d)
	if d["price"] != 12.5 {
		t.Errorf("part(EBC-1) after resubscribe: price %v, want 12.5 kept", d["price"])
	}

	// Empty array.
	e.do("PUT", "/api/app/catalog-items", e.a.Secret, `[]`).want(200).json(&res)
	if res.Updated != 0 || res.NotFound == nil || res.Rejected == nil {
		t.Errorf("PUT catalog-items []: got %+v", res)
	}
}

func TestTenantIsolation(t *testing.T) {
	e := newEnv(t)
	// a: EBC with prices; b: K&N with prices. Both set stock on a part of the other's brand
	// without activating it.
	e.do("PUT", "/api/app/catalog-items", e.a.Secret, `[{"partNumber":"EBC-1","price":11,"stock":1},{"partNumber":"KN-1","stock":99}]`).want(200)
	e.do("PUT", "/api/app/catalog-items", e.b.Secret, `[{"partNumber":"KN-1","price":22,"stock":2},{"partNumber":"EBC-1","price":77}]`).want(200)

	tests := []struct {
		key        string
		vehicle    string
		wantPN     []string
		wantPrices []any
	}{
		{e.a.Publishable, v1, []string{"EBC-1"}, []any{11.0}},
		{e.b.Publishable, v1, []string{"KN-1"}, []any{22.0}},
		{e.a.Publishable, v3, []string{}, []any{}},
		{e.b.Publishable, v3, []string{"KN-1"}, []any{22.0}},
	}
	for _, tc := range tests {
		var parts []map[string]any
		e.do("GET", "/api/t/parts?vehicleId="+tc.vehicle, tc.key, nil).want(200).json(&parts)
		pns, prices := []string{}, []any{}
		for _, p := range parts {
			pns = append(pns, p["partNumber"].(string))
			prices = append(prices, p["price"])
		}
		if !reflect.DeepEqual(pns, tc.wantPN) || !reflect.DeepEqual(prices, tc.wantPrices) {
			t.Errorf("parts(%s) as %s: got %v %v, want %v %v", tc.vehicle, tc.key[:6], pns, prices, tc.wantPN, tc.wantPrices)
		}
	}
	var years []int
	e.do("GET", "/api/t/years", e.b.Publishable, nil).want(200).json(&years)
	if !reflect.DeepEqual(years, []int{2024, 2023}) {
		t.Errorf("years(b): got %v, want [2024 2023]", years)
	}
	e.do("GET", "/api/t/parts/KN-1", e.a.Publishable, nil).want(404)
	e.do("GET", "/api/t/parts/EBC-1", e.b.Publishable, nil).want(404)
	var d map[string]any
	e.do("GET", "/api/t/parts/KN-1", e.b.Publishable, nil).want(200).json(&d)
	if d["price"] != 22.0 || d["stock"] != 2.0 {
		t.Errorf("part(KN-1) as b: price %v stock %v, want 22 2", d["price"], d["stock"])
	}
	var subs []Subscription
	e.do("GET", "/api/app/subscriptions", e.b.Secret, nil).want(200).json(&subs)
	if len(subs) != 1 || subs[0].Brand != "K&N" {
		t.Errorf("subscriptions(b): got %+v", subs)
	}
	// Config is per tenant.
	e.do("PUT", "/api/app/config", e.a.Secret, `{"mapboxToken":"pk.a"}`).want(200)
	if r := e.do("GET", "/api/t/config", e.b.Publishable, nil).want(200); string(r.body) != `{"mapboxToken":""}` {
		t.Errorf("config(b) after a's PUT: got %s", r.body)
	}
}

func TestConfig(t *testing.T) {
	e := newEnv(t)
	var cfg map[string]string
	e.do("PUT", "/api/app/config", e.a.Secret, `{"mapboxToken":"pk.eyJ1"}`).want(200).json(&cfg)
	if cfg["mapboxToken"] != "pk.eyJ1" {
		t.Errorf("PUT config: got %v", cfg)
	}
	r := e.do("GET", "/api/t/config", e.a.Publishable, nil).want(200)
	if string(r.body) != `{"mapboxToken":"pk.eyJ1"}` {
		t.Errorf("GET config: got %s", r.body)
	}
	e.do("GET", "/api/app/config", e.a.Secret, nil).want(200).json(&cfg)
	if cfg["mapboxToken"] != "pk.eyJ1" {
		t.Errorf("GET /api/app/config: got %v", cfg)
	}
	r = e.do("PUT", "/api/app/config", e.a.Secret, `{"mapboxToken":5}`).want(400)
	if _, msg := r.errCode(); !strings.Contains(msg, "mapboxToken") {
		t.Errorf("PUT config (number): message %q does not name mapboxToken", msg)
	}
	e.do("PUT", "/api/app/config", e.a.Secret, `["x"]`).want(400)
	e.do("PUT", "/api/app/config", e.a.Secret, `{"mapboxToken":null}`).want(200)
	if r := e.do("GET", "/api/t/config", e.a.Publishable, nil).want(200); string(r.body) != `{"mapboxToken":""}` {
		t.Errorf("GET config after null: got %s", r.body)
	}
}

func TestAdminTenants(t *testing.T) {
	e := newEnv(t)
	auth := []string{"Authorization", "Bearer " + adminToken}
	var k TenantKeys
	e.do("POST", "/api/admin/tenants", "", `{"name":"Moto Nord","type":"RETAIL","currency":"nok","language":"NB"}`, auth...).want(201).json(&k)
	if k.ID == "" || !strings.HasPrefix(k.PublishableKey, "pk_") || !strings.HasPrefix(k.SecretKey, "sk_") {
		t.Fatalf("POST tenants: got %+v", k)
	}
	// The new tenant works at once, with an empty catalog.
	if r := e.do("GET", "/api/t/years", k.PublishableKey, nil).want(200); string(r.body) != "[]" {
		t.Errorf("years(new tenant): got %s", r.body)
	}
	for _, bad := range []struct{ body, field string }{
		{`{"name":"x","currency":"EURO","language":"de"}`, "currency"},
		{`{"name":"x","currency":"EUR","language":"deu"}`, "language"},
		{`{"name":"x","type":"SHOP","currency":"EUR","language":"de"}`, "type"},
		{`{"currency":"EUR","language":"de"}`, "name"},
	} {
		r := e.do("POST", "/api/admin/tenants", "", bad.body, auth...).want(400)
		if _, msg := r.errCode(); !strings.Contains(msg, bad.field) {
			t.Errorf("POST tenants %s: message %q does not name %s", bad.body, msg, bad.field)
		}
	}
	e.do("POST", "/api/admin/tenants", "", `{"id":"a","name":"dup","currency":"EUR","language":"de"}`, auth...).want(409)

	// The Location of the new tenant answers, the keys are not cached anywhere, and the
	// scheme name of Authorization is case-insensitive.
	r := e.do("POST", "/api/admin/tenants", "", `{"name":"Moto Syd","currency":"EUR","language":"sv"}`, "Authorization", "bearer "+adminToken).want(201)
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("POST tenants: Cache-Control %q, want no-store", r.Header.Get("Cache-Control"))
	}
	var one TenantInfo
	e.do("GET", r.Header.Get("Location"), "", nil, auth...).want(200).json(&one)
	if one.Name != "Moto Syd" || one.Currency != "EUR" {
		t.Errorf("GET %s: got %+v", r.Header.Get("Location"), one)
	}
	e.do("GET", "/api/admin/tenants/nobody", "", nil, auth...).want(404)

	var list []TenantInfo
	e.do("GET", "/api/admin/tenants", "", nil, auth...).want(200).json(&list)
	i := slices.IndexFunc(list, func(ti TenantInfo) bool { return ti.ID == k.ID })
	if len(list) != 4 || list[0].ID != "a" || i < 0 || list[i].Type != "RETAIL" || list[i].Currency != "NOK" || list[i].Language != "nb" {
		t.Errorf("GET tenants: got %+v", list)
	}
	if !reflect.DeepEqual(list[0].Subscriptions, []string{"EBC"}) {
		t.Errorf("GET tenants: a's subscriptions %v", list[0].Subscriptions)
	}

	// Rotation: old keys stop working at once.
	var nk TenantKeys
	e.do("POST", "/api/admin/tenants/a/keys/rotate", "", nil, auth...).want(200).json(&nk)
	if nk.ID != "a" || nk.SecretKey == e.a.Secret {
		t.Errorf("rotate: got %+v", nk)
	}
	e.do("GET", "/api/t/years", e.a.Publishable, nil).want(401)
	e.do("GET", "/api/app/subscriptions", e.a.Secret, nil).want(401)
	e.do("GET", "/api/t/years", nk.PublishableKey, nil).want(200)
	e.do("GET", "/api/app/subscriptions", nk.SecretKey, nil).want(200)
	e.do("POST", "/api/admin/tenants/nobody/keys/rotate", "", nil, auth...).want(404)
}
