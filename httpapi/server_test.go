package httpapi

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/fitment/fitment/tenant"
)

func TestCascadeAndParts(t *testing.T) {
	e := newEnv(t)
	var years []int
	e.do("GET", "/api/t/years", e.a.Publishable, nil).want(200).json(&years)
	if len(years) != 2 || years[0] != 2024 || years[1] != 2019 {
		t.Errorf("years(a): got %v, want [2024 2019]", years)
	}
	var makes []map[string]string
	e.do("GET", "/api/t/makes?year=2024", e.a.Publishable, nil).want(200).json(&makes)
	if len(makes) != 1 || makes[0]["name"] != "Can-Am" || makes[0]["id"] != mkCanAm {
		t.Errorf("makes(a, 2024): got %v", makes)
	}
	var models []map[string]string
	e.do("GET", "/api/t/models?makeId="+mkCanAm+"&year=2024&type=ATV", e.a.Publishable, nil).want(200).json(&models)
	if len(models) != 1 || models[0]["id"] != mdOut {
		t.Errorf("models(a): got %v", models)
	}
	var vehicles []map[string]any
	e.do("GET", "/api/t/vehicles?modelId="+mdOut+"&year=2024", e.a.Publishable, nil).want(200).json(&vehicles)
	if len(vehicles) != 1 || vehicles[0]["id"] != v1 || vehicles[0]["submodel"] != "X-MR" || vehicles[0]["modelId"] != mdOut {
		t.Errorf("vehicles(a): got %v", vehicles)
	}
	r := e.do("GET", "/api/t/parts?vehicleId="+v1+"&limit=10&offset=0&lang=de-AT", e.a.Secret, nil).want(200)
	var parts []map[string]any
	r.json(&parts)
	if len(parts) != 1 || parts[0]["partNumber"] != "EBC-1" || parts[0]["name"] != "Brake pads (de)" ||
		parts[0]["price"] != nil || parts[0]["stock"] != nil {
		t.Errorf("parts(a, v1): got %v", parts)
	}
	if fits, ok := parts[0]["fitments"].([]any); !ok || fits == nil {
		t.Errorf("parts(a, v1): fitments %v, want []", parts[0]["fitments"])
	}
	if got := r.Header.Get("X-Total-Count"); got != "1" {
		t.Errorf("parts(a, v1): X-Total-Count %q, want 1", got)
	}
	// Accept-Language is the fallback for lang.
	e.do("GET", "/api/t/parts?vehicleId="+v1, e.a.Publishable, nil, "Accept-Language", "fr;q=0.5, de-CH").want(200).json(&parts)
	if parts[0]["name"] != "Brake pads (de)" {
		t.Errorf("parts(Accept-Language de-CH): got name %v", parts[0]["name"])
	}

	var cats []map[string]any
	e.do("GET", "/api/t/categories", e.a.Publishable, nil).want(200).json(&cats)
	if len(cats) != 1 || cats[0]["name"] != "Brakes" || cats[0]["parentId"] != nil {
		t.Errorf("categories(a): got %v", cats)
	}
}

func TestPartDetail(t *testing.T) {
	e := newEnv(t)
	e.do("PUT", "/api/app/subscriptions/Alphatrac", e.a.Secret, nil).want(200)
	var d map[string]any
	e.do("GET", "/api/t/parts/ebc-1", e.a.Publishable, nil).want(200).json(&d)
	if d["partNumber"] != "EBC-1" || d["brand"] != "EBC" {
		t.Errorf("part(ebc-1): got %v", d)
	}
	for _, f := range []string{"images", "oemNumbers", "categoryPath"} {
		if v, ok := d[f].([]any); !ok || v == nil {
			t.Errorf("part(ebc-1).%s: got %v, want []", f, d[f])
		}
	}
	e.do("GET", "/api/t/parts/AT%2F1", e.a.Publishable, nil).want(200).json(&d)
	if d["partNumber"] != "AT/1" {
		t.Errorf("part(AT%%2F1): got %v", d["partNumber"])
	}
	r := e.do("GET", "/api/t/parts/KN-1", e.a.Publishable, nil).want(404)
	if code, msg := r.errCode(); code != "not_found" || !strings.Contains(msg, "KN-1") {
		t.Errorf("part(KN-1) outside catalog: got %s %q", code, msg)
	}
	e.do("GET", "/api/t/parts/NOPE", e.a.Publishable, nil).want(404)
}

func TestEmptyListsAreArrays(t *testing.T) {
	e := newEnv(t)
	// Tenant c has no subscriptions: every list is [].
	_, kc, err := e.store.Create(tenant.Tenant{ID: "c", Name: "C", Currency: "EUR", Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/t/years", "/api/t/makes", "/api/t/models", "/api/t/vehicles?modelId=" + mdOut,
		"/api/t/parts?vehicleId=" + v1, "/api/t/categories", "/api/t/makes?year=1999"} {
		r := e.do("GET", path, kc.Publishable, nil).want(200)
		if string(r.body) != "[]" {
			t.Errorf("GET %s (empty tenant): got %s, want []", path, r.body)
		}
	}
	r := e.do("GET", "/api/app/subscriptions", kc.Secret, nil).want(200)
	if string(r.body) != "[]" {
		t.Errorf("GET /api/app/subscriptions (none): got %s, want []", r.body)
	}
}

func TestAuth(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		method, path, key string
		body              any
		status            int
		code              string
	}{
		{"GET", "/api/t/years", "", nil, 401, "unauthorized"},
		{"GET", "/api/t/years", "pk_wrong", nil, 401, "unauthorized"},
		{"GET", "/api/t/years", e.a.Publishable, nil, 200, ""},
		{"GET", "/api/t/years", e.a.Secret, nil, 200, ""},
		{"GET", "/api/app/subscriptions", "", nil, 401, "unauthorized"},
		{"GET", "/api/app/subscriptions", "sk_wrong", nil, 401, "unauthorized"},
		{"GET", "/api/app/subscriptions", e.a.Publishable, nil, 403, "forbidden"},
		{"PUT", "/api/app/subscriptions/EBC", e.a.Publishable, nil, 403, "forbidden"},
		{"PUT", "/api/app/catalog-items", e.a.Publishable, "[]", 403, "forbidden"},
		{"PUT", "/api/app/config", e.a.Publishable, "{}", 403, "forbidden"},
		{"GET", "/api/admin/tenants", "", nil, 401, "unauthorized"},
		{"GET", "/api/admin/tenants", e.a.Secret, nil, 401, "unauthorized"},
	}
	for _, tc := range tests {
		r := e.do(tc.method, tc.path, tc.key, tc.body)
		if r.StatusCode != tc.status {
			t.Errorf("%s %s (key %q): got %d, want %d; %s", tc.method, tc.path, tc.key, r.StatusCode, tc.status, r.body)
			continue
		}
		if code, _ := r.errCode(); code != tc.code {
			t.Errorf("%s %s (key %q): got code %q, want %q", tc.method, tc.path, tc.key, code, tc.code)
		}
	}
	r := e.do("GET", "/api/admin/tenants", "", nil, "Authorization", "Bearer wrong")
	r.want(401)
	e.do("GET", "/api/admin/tenants", "", nil, "Authorization", "Bearer "+adminToken).want(200)
}

func TestBadParameters(t *testing.T) {
	e := newEnv(t)
	tests := []struct{ path, param string }{
		{"/api/t/makes?year=abc", "year"},
		{"/api/t/makes?year=-1", "year"},
		{"/api/t/years?type=boat", "type"},
		{"/api/t/makes?type=car", "type"},
		{"/api/t/models?year=20x4", "year"},
		{"/api/t/vehicles", "modelId"},
		{"/api/t/vehicles?modelId=" + mdOut + "&year=x", "year"},
		{"/api/t/parts", "vehicleId"},
		{"/api/t/parts?vehicleId=" + v1 + "&limit=abc", "limit"},
		{"/api/t/parts?vehicleId=" + v1 + "&limit=0", "limit"},
		{"/api/t/parts?vehicleId=" + v1 + "&limit=100000", "limit"},
		{"/api/t/parts?vehicleId=" + v1 + "&offset=-5", "offset"},
		{"/api/t/parts?vehicleId=" + v1 + "&includeUniversal=maybe", "includeUniversal"},
		{"/api/t/parts?vehicleId=" + v1 + "&lang=d3", "lang"},
	}
	for _, tc := range tests {
		r := e.do("GET", tc.path, e.a.Publishable, nil)
		code, msg := r.errCode()
		if r.StatusCode != 400 || code != "bad_parameter" || !strings.Contains(msg, tc.param) {
			t.Errorf("GET %s: got %d %s %q, want 400 naming %s", tc.path, r.StatusCode, code, msg, tc.param)
		}
		if strings.Contains(string(r.body), "goroutine") {
			t.Errorf("GET %s: body has a stack trace", tc.path)
		}
	}
	// An unknown vehicle is a 404, an unknown make an empty list.
	e.do("GET", "/api/t/parts?vehicleId=nope", e.a.Publishable, nil).want(404)
	if r := e.do("GET", "/api/t/models?makeId=nope", e.a.Publishable, nil).want(200); string(r.body) != "[]" {
		t.Errorf("models(unknown make): got %s, want []", r.body)
	}
}

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/nope", "", nil).want(404)
	if code, _ := r.errCode(); code != "not_found" || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("GET /nope: got code %q, content type %q", code, r.Header.Get("Content-Type"))
	}
	e.do("GET", "/api/t/nope", e.a.Publishable, nil).want(404)
	tests := []struct{ method, path, key, allow string }{
		{"POST", "/api/t/years", e.a.Publishable, "GET, HEAD"},
		{"DELETE", "/api/t/parts/EBC-1", e.a.Publishable, "GET, HEAD"},
		{"DELETE", "/api/app/catalog-items", e.a.Secret, "GET, HEAD, PUT"},
		{"POST", "/api/app/subscriptions/EBC", e.a.Secret, "PUT, DELETE"},
		{"DELETE", "/api/admin/tenants", "", "GET, HEAD, POST"},
		{"POST", "/healthz", "", ""},
	}
	for _, tc := range tests {
		var r *resp
		if strings.HasPrefix(tc.path, "/api/admin") {
			r = e.do(tc.method, tc.path, "", nil, "Authorization", "Bearer "+adminToken)
		} else {
			r = e.do(tc.method, tc.path, tc.key, nil)
		}
		if tc.path == "/healthz" {
			// Probes are GET only; fiber answers other methods on them with 404 or 405.
			if r.StatusCode != 404 && r.StatusCode != 405 {
				t.Errorf("POST /healthz: got %d", r.StatusCode)
			}
			continue
		}
		if r.StatusCode != 405 || r.Header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: got %d Allow %q, want 405 Allow %q", tc.method, tc.path, r.StatusCode, r.Header.Get("Allow"), tc.allow)
		}
		if code, _ := r.errCode(); code != "method_not_allowed" {
			t.Errorf("%s %s: got code %q", tc.method, tc.path, code)
		}
	}
}

func TestBodyRules(t *testing.T) {
	e := newEnv(t)
	// fiber's in-memory Test cannot show a 413: the server refuses the body before any
	// handler, so this part talks to a real listener.
	base := serve(t, e.srv)
	// Only the headers are sent: the server must refuse on Content-Length alone, and a
	// client still writing a body when the server closes would make the test flaky.
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PUT /api/app/catalog-items HTTP/1.1\r\nHost: x\r\nX-API-Key: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", e.a.Secret, 64<<20)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	r := &resp{t: t, Response: res, body: b, req: "PUT /api/app/catalog-items (64 MiB)"}
	r.want(413)
	if code, _ := r.errCode(); code != "body_too_large" || strings.Contains(string(b), "goroutine") {
		t.Errorf("PUT catalog-items (too large): got code %q body %s", code, b)
	}
	r = e.do("PUT", "/api/app/catalog-items", e.a.Secret, `[]`, "Content-Type", "text/plain").want(415)
	if code, _ := r.errCode(); code != "unsupported_media_type" {
		t.Errorf("PUT catalog-items (text/plain): got code %q", code)
	}
	e.do("PUT", "/api/app/catalog-items", e.a.Secret, `[]`, "Content-Type", "").want(415)
	e.do("POST", "/api/admin/tenants", "", `{"name":"x"}`, "Authorization", "Bearer "+adminToken, "Content-Type", "application/x-www-form-urlencoded").want(415)
	e.do("PUT", "/api/app/catalog-items", e.a.Secret, `[]`, "Content-Type", "application/json; charset=utf-8").want(200)
	r = e.do("PUT", "/api/app/catalog-items", e.a.Secret, `{"partNumber":"EBC-1"}`).want(400)
	if _, msg := r.errCode(); !strings.Contains(msg, "array") {
		t.Errorf("PUT catalog-items (object): got %q, want a message about an array", msg)
	}
	e.do("PUT", "/api/app/catalog-items", e.a.Secret, `[{`).want(400)

	// Compressed request bodies.
	body := []byte(`[{"partNumber":"EBC-1","stock":5}]`)
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(body)
	w.Close()
	e.do("PUT", "/api/app/catalog-items", e.a.Secret, gz.Bytes(), "Content-Encoding", "gzip").want(200)
	enc, _ := zstd.NewWriter(nil)
	e.do("PUT", "/api/app/catalog-items", e.a.Secret, enc.EncodeAll([]byte(`[{"partNumber":"EBC-1","stock":6}]`), nil), "Content-Encoding", "zstd").want(200)
	var parts []map[string]any
	e.do("GET", "/api/t/parts?vehicleId="+v1, e.a.Publishable, nil).want(200).json(&parts)
	if parts[0]["stock"] != 6.0 {
		t.Errorf("stock after zstd body: got %v, want 6", parts[0]["stock"])
	}
	e.do("PUT", "/api/app/catalog-items", e.a.Secret, body, "Content-Encoding", "br").want(415)
	// A zip bomb is cut at the body limit.
	bomb := enc.EncodeAll([]byte("["+strings.Repeat(" ", 1<<20)+"]"), nil)
	e.do("PUT", "/api/app/catalog-items", e.a.Secret, bomb, "Content-Encoding", "zstd").want(413)
}

func TestNoCatalog(t *testing.T) {
	e := newEnvWith(t, envOptions{noCatalog: true})
	for _, p := range []string{"/api/t/years", "/api/t/makes", "/api/t/parts?vehicleId=" + v1, "/api/t/parts/EBC-1", "/api/t/categories"} {
		r := e.do("GET", p, e.a.Publishable, nil).want(503)
		if code, _ := r.errCode(); code != "no_catalog" {
			t.Errorf("GET %s before load: got code %q, want no_catalog", p, code)
		}
		if r.Header.Get("X-Catalog-Version") == "" {
			t.Errorf("GET %s before load: no X-Catalog-Version", p)
		}
	}
	e.do("PUT", "/api/app/subscriptions/EBC", e.a.Secret, nil).want(503)
	e.do("PUT", "/api/app/catalog-items", e.a.Secret, `[]`).want(503)
	e.do("GET", "/api/t/config", e.a.Publishable, nil).want(200)
	e.do("GET", "/healthz", "", nil).want(200)
	e.do("GET", "/readyz", "", nil).want(503)
	e.load()
	e.do("GET", "/readyz", "", nil).want(200)
	e.do("PUT", "/api/app/subscriptions/EBC", e.a.Secret, nil).want(200)
	e.srv.SetDraining()
	r := e.do("GET", "/readyz", "", nil).want(503)
	if code, _ := r.errCode(); code != "draining" {
		t.Errorf("readyz while draining: got code %q", code)
	}
}

func TestHeaders(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/api/t/years", e.a.Publishable, nil).want(200)
	checks := map[string]string{
		"X-Catalog-Version":             "v1",
		"Cache-Control":                 "public, max-age=600",
		"Vary":                          "X-API-Key, Accept-Encoding, Accept-Language",
		"Access-Control-Allow-Origin":   "*",
		"Access-Control-Expose-Headers": "ETag, X-Total-Count, X-Catalog-Version",
		"Content-Type":                  "application/json",
	}
	for h, want := range checks {
		if got := r.Header.Get(h); got != want {
			t.Errorf("GET /api/t/years: %s %q, want %q", h, got, want)
		}
	}
	etag := r.Header.Get("ETag")
	if !strings.HasPrefix(etag, `"`) || len(etag) < 10 {
		t.Fatalf("GET /api/t/years: ETag %q, want a strong tag", etag)
	}
	r = e.do("GET", "/api/t/years", e.a.Publishable, nil, "If-None-Match", etag).want(304)
	if len(r.body) != 0 || r.Header.Get("ETag") != etag || r.Header.Get("X-Catalog-Version") != "v1" {
		t.Errorf("304: body %q ETag %q", r.body, r.Header.Get("ETag"))
	}
	e.do("GET", "/api/t/years", e.a.Publishable, nil, "If-None-Match", `"other"`).want(200)
	// Another tenant's answer differs, so does its tag.
	if rb := e.do("GET", "/api/t/years", e.b.Publishable, nil).want(200); rb.Header.Get("ETag") == etag {
		t.Errorf("tenants a and b got the same ETag %s for different years", etag)
	}

	r = e.do("GET", "/api/t/config", e.a.Publishable, nil).want(200)
	if r.Header.Get("Cache-Control") != "public, max-age=300" || string(r.body) != `{"mapboxToken":""}` {
		t.Errorf("config: Cache-Control %q body %s", r.Header.Get("Cache-Control"), r.body)
	}
	// X-Catalog-Version on every answer, errors and probes included.
	for _, p := range []string{"/healthz", "/readyz", "/nope", "/api/t/years?year=x"} {
		if r := e.do("GET", p, e.a.Publishable, nil); r.Header.Get("X-Catalog-Version") != "v1" {
			t.Errorf("GET %s: X-Catalog-Version %q, want v1", p, r.Header.Get("X-Catalog-Version"))
		}
	}
	if r := e.do("GET", "/api/t/years", "", nil); r.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("401 on /api/t: no CORS header, a browser could not read the error")
	}

	// Preflight.
	r = e.do("OPTIONS", "/api/t/parts?vehicleId="+v1, "", nil, "Origin", "https://shop.example",
		"Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "x-api-key")
	r.want(204)
	if !strings.Contains(r.Header.Get("Access-Control-Allow-Headers"), "X-API-Key") || r.Header.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(r.Header.Get("Access-Control-Allow-Methods"), "GET") {
		t.Errorf("preflight: headers %v", r.Header)
	}
}

func TestCompression(t *testing.T) {
	e := newEnv(t)
	// Enough visible parts for a body over the threshold.
	e.do("PUT", "/api/app/subscriptions/Alphatrac", e.a.Secret, nil).want(200)
	e.do("PUT", "/api/app/subscriptions/K&N", e.a.Secret, nil).want(200)
	e.srv = New(Options{Engine: e.eng, Store: e.store, CompressMin: 1, Logger: e.srv.log}) // the fixture's answers are small
	e.srv.SetReady(true)
	plain := e.do("GET", "/api/t/categories", e.a.Publishable, nil).want(200)
	for _, enc := range []string{"zstd", "gzip"} {
		r := e.do("GET", "/api/t/categories", e.a.Publishable, nil, "Accept-Encoding", enc).want(200)
		if r.Header.Get("Content-Encoding") != enc {
			t.Errorf("Accept-Encoding %s: Content-Encoding %q", enc, r.Header.Get("Content-Encoding"))
			continue
		}
		var got []byte
		if enc == "zstd" {
			d, _ := zstd.NewReader(nil)
			got, _ = d.DecodeAll(r.body, nil)
		} else {
			zr, _ := gzip.NewReader(bytes.NewReader(r.body))
			got, _ = io.ReadAll(zr)
		}
		if !bytes.Equal(got, plain.body) {
			t.Errorf("Accept-Encoding %s: decoded %q, want %q", enc, got, plain.body)
		}
		etag := r.Header.Get("ETag")
		if etag == plain.Header.Get("ETag") {
			t.Errorf("Accept-Encoding %s: same strong ETag as the identity body", enc)
		}
		// The 304 names the same representation as the 200 it stands for.
		nm := e.do("GET", "/api/t/categories", e.a.Publishable, nil, "Accept-Encoding", enc, "If-None-Match", etag).want(304)
		if nm.Header.Get("ETag") != etag {
			t.Errorf("Accept-Encoding %s: 304 ETag %q, want the 200's %q", enc, nm.Header.Get("ETag"), etag)
		}
		nm = e.do("GET", "/api/t/categories", e.a.Publishable, nil, "If-None-Match", plain.Header.Get("ETag")).want(304)
		if nm.Header.Get("ETag") != plain.Header.Get("ETag") {
			t.Errorf("identity 304 ETag %q, want %q", nm.Header.Get("ETag"), plain.Header.Get("ETag"))
		}
	}
	if r := e.do("GET", "/api/t/categories", e.a.Publishable, nil, "Accept-Encoding", "gzip;q=0, br"); r.Header.Get("Content-Encoding") != "" {
		t.Errorf("Accept-Encoding gzip;q=0: got Content-Encoding %q", r.Header.Get("Content-Encoding"))
	}
}

// TestHead answers HEAD on every GET route with the GET's status and headers, no body.
func TestHead(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/api/t/years", "/api/t/makes?year=2024", "/api/t/categories", "/api/t/config"} {
		get := e.do("GET", path, e.a.Publishable, nil).want(200)
		head := e.do("HEAD", path, e.a.Publishable, nil).want(200)
		if len(head.body) != 0 || head.Header.Get("ETag") != get.Header.Get("ETag") {
			t.Errorf("HEAD %s: body %q ETag %q, want no body and ETag %q", path, head.body, head.Header.Get("ETag"), get.Header.Get("ETag"))
		}
	}
	e.do("HEAD", "/api/t/years", "", nil).want(401)
}

// TestOverloaded fills the only request slot and checks that the next request is refused
// with 503 overloaded, Retry-After, and CORS headers a browser can read.
func TestOverloaded(t *testing.T) {
	e := newEnv(t)
	srv := New(Options{Engine: e.eng, Store: e.store, MaxInFlight: 1, QueueWait: 50 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)})
	srv.SetReady(true)
	e.srv = srv

	gate := make(chan struct{})
	e.eng.mu.Lock()
	e.eng.gate = gate // the first request waits in View, holding the only slot
	e.eng.mu.Unlock()
	first := make(chan int)
	go func() {
		req := httptest.NewRequest("GET", "/api/t/years", nil)
		req.Header.Set("X-API-Key", e.a.Publishable)
		res, err := srv.App().Test(req, -1)
		if err != nil {
			first <- 0
			return
		}
		first <- res.StatusCode
	}()
	time.Sleep(100 * time.Millisecond) // let it take the slot
	r := e.do("GET", "/api/t/years", e.a.Publishable, nil).want(503)
	if code, _ := r.errCode(); code != "overloaded" || r.Header.Get("Retry-After") == "" || r.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("second request: code %q Retry-After %q ACAO %q", code, r.Header.Get("Retry-After"), r.Header.Get("Access-Control-Allow-Origin"))
	}
	close(gate)
	if code := <-first; code != 200 {
		t.Errorf("first request: got %d, want 200", code)
	}
}

// TestCounts checks the counts=true form of the cascade and its parameter.
func TestCounts(t *testing.T) {
	e := newEnv(t)
	var years []struct{ Year, Parts int }
	e.do("GET", "/api/t/years?counts=true", e.a.Publishable, nil).want(200).json(&years)
	if len(years) == 0 || years[0].Year == 0 || years[0].Parts == 0 {
		t.Errorf("years?counts=true: got %+v", years)
	}
	var makes []map[string]any
	e.do("GET", fmt.Sprintf("/api/t/makes?year=%d&counts=true", years[0].Year), e.a.Publishable, nil).want(200).json(&makes)
	if len(makes) == 0 || makes[0]["id"] == nil || makes[0]["name"] == nil || makes[0]["parts"] == nil {
		t.Errorf("makes?counts=true: got %+v", makes)
	}
	var plain []int
	e.do("GET", "/api/t/years?counts=false", e.a.Publishable, nil).want(200).json(&plain)
	r := e.do("GET", "/api/t/models?counts=maybe", e.a.Publishable, nil).want(400)
	if _, msg := r.errCode(); !strings.Contains(msg, "counts") {
		t.Errorf("models?counts=maybe: message %q does not name counts", msg)
	}
}
