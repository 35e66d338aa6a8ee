package httpapi

import (
	"net/url"
	"strings"
	"testing"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/snapshot"
)

// TestVehicleAndResolve: a vehicle by id and vehicle recognition, for the tenant that sees
// them only; parameters checked, answers cacheable.
func TestVehicleAndResolve(t *testing.T) {
	e := newEnv(t) // a sees EBC's vehicles (Outlander X-MR 2024, YFZ450R 2019), b K&N's (Outlander, KTM)
	yfz := snapshot.VehicleID("Yamaha", "YFZ450R", "", 2019)

	var got map[string]any
	r := e.do("GET", "/api/t/vehicles/"+v1, e.a.Publishable, nil).want(200).json(&got)
	want := map[string]any{"id": v1, "make": "Can-Am", "makeId": mkCanAm, "model": "Outlander 1000", "modelId": mdOut,
		"type": "atv", "year": 2024.0, "submodel": "X-MR", "engineCc": nil, "generation": nil}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("GET /api/t/vehicles/%s: %s = %v, want %v (%s)", v1, k, got[k], w, r.body)
		}
	}
	if len(got) != len(want) {
		t.Errorf("GET /api/t/vehicles/%s: fields %v, want %v", v1, got, want)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "public, max-age=600" || r.Header.Get("ETag") == "" {
		t.Errorf("vehicle: Cache-Control %q, ETag %q", cc, r.Header.Get("ETag"))
	}
	e.do("GET", "/api/t/vehicles/"+v1, e.a.Publishable, nil, "If-None-Match", r.Header.Get("ETag")).want(304)
	e.do("GET", "/api/t/vehicles/"+yfz, e.a.Publishable, nil).want(200)
	for _, id := range []string{yfz, "nope", url.PathEscape("v/with slash")} {
		r := e.do("GET", "/api/t/vehicles/"+id, e.b.Publishable, nil).want(404)
		if code, msg := r.errCode(); code != "not_found" || !strings.Contains(msg, "is not in this catalog") {
			t.Errorf("GET /api/t/vehicles/%s as b: %s %q", id, code, msg)
		}
	}

	var matches []engine.VehicleMatch
	r = e.do("GET", "/api/t/vehicles/resolve?q="+url.QueryEscape("can am outlander 1000 xmr 2024"), e.a.Publishable, nil).want(200).json(&matches)
	if len(matches) == 0 || matches[0].ID != v1 || matches[0].Score <= 0 || matches[0].Score > 1 || matches[0].Make != "Can-Am" {
		t.Errorf("resolve(can am outlander 1000 xmr 2024): %s", r.body)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "public, max-age=600" || r.Header.Get("ETag") == "" {
		t.Errorf("resolve: Cache-Control %q, ETag %q", cc, r.Header.Get("ETag"))
	}
	before := e.srv.CacheStats()
	e.do("GET", "/api/t/vehicles/resolve?q="+url.QueryEscape("  Can AM   outlander 1000 XMR 2024 "), e.a.Publishable, nil).want(200)
	if st := e.srv.CacheStats(); st.Hits != before.Hits+1 || st.Entries != before.Entries {
		t.Errorf("resolve with other case and spaces: cache %+v, before %+v: want one hit", st, before)
	}
	e.do("GET", "/api/t/vehicles/resolve?q=yfz450r+19", e.a.Publishable, nil).want(200).json(&matches)
	if len(matches) == 0 || matches[0].ID != yfz {
		t.Errorf("resolve(yfz450r 19) as a: %+v", matches)
	}
	e.do("GET", "/api/t/vehicles/resolve?q=yfz450r+19", e.b.Publishable, nil).want(200).json(&matches)
	for _, m := range matches {
		if m.ID == yfz {
			t.Errorf("resolve(yfz450r 19) as b, who sees no YFZ: %+v", matches)
		}
	}
	if r := e.do("GET", "/api/t/vehicles/resolve?q=brake+pads", e.b.Publishable, nil).want(200); string(r.body) != "[]" {
		t.Errorf("resolve(brake pads): %s, want []", r.body)
	}
	e.do("GET", "/api/t/vehicles/resolve?q=outlander&limit=1", e.b.Publishable, nil).want(200).json(&matches)
	if len(matches) != 1 {
		t.Errorf("resolve(outlander, limit 1): %+v", matches)
	}
	e.do("HEAD", "/api/t/vehicles/resolve?q=outlander", e.b.Publishable, nil).want(200)
	e.do("POST", "/api/t/vehicles/resolve?q=outlander", e.b.Publishable, nil).want(405)

	for _, tc := range []struct{ query, param string }{
		{"", "q"}, {"q=", "q"}, {"q=%20%20", "q"}, {"q=" + strings.Repeat("x", 201), "q"}, {"q=%ff%fe", "q"},
		{"q=outlander&limit=0", "limit"}, {"q=outlander&limit=51", "limit"}, {"q=outlander&limit=ten", "limit"},
	} {
		r := e.do("GET", "/api/t/vehicles/resolve?"+tc.query, e.a.Publishable, nil)
		code, msg := r.errCode()
		if r.StatusCode != 400 || code != "bad_parameter" || !strings.HasPrefix(msg, "parameter "+tc.param+":") {
			t.Errorf("GET /api/t/vehicles/resolve?%s: %d %s %q, want 400 naming %s", tc.query, r.StatusCode, code, msg, tc.param)
		}
	}
}
