package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/snapshot"
)

var v2 = snapshot.VehicleID("Yamaha", "YFZ450R", "", 2019)

// TestPartVehiclesAndFits: a product page's fitment table and fit checks, every result
// kind, through an alias, for an own part on an own vehicle, and 404 outside the catalog.
func TestPartVehiclesAndFits(t *testing.T) {
	e := newEnv(t)
	a := e.a
	e.do("PUT", "/api/app/aliases", a.Secret, `[{"alias":"MY-1","partNumber":"EBC-1"}]`).want(200)
	own := snapshot.VehicleID("Lynx", "Rave", "RE", 2024)
	e.do("POST", "/api/app/tenant-vehicles", a.Secret, `[{"type":"snowmobile","make":"Lynx","model":"Rave","submodel":"RE","years":"2023-2024"}]`).want(200)
	e.do("POST", "/api/app/tenant-parts", a.Secret, `[
		{"partNumber":"OWN-1","brand":"House","name":"Skid","fitments":[{"make":"Lynx","model":"Rave","submodel":"RE","years":"2023-2024","position":"FRONT","qty":2,"notes":"with winch"}]},
		{"partNumber":"UNI-1","brand":"House","name":"Grease","universal":true},
		{"partNumber":"NEW-1","brand":"House","name":"No data yet"}]`).want(200)

	var rows []engine.VehicleFit
	r := e.do("GET", "/api/t/parts/my-1/vehicles", a.Publishable, nil).want(200).json(&rows)
	if len(rows) != 1 || rows[0].Make != "Can-Am" || rows[0].Submodel != "X-MR" || rows[0].Years != "2024" || r.Header.Get("ETag") == "" {
		t.Errorf("EBC-1 through its alias: %s", r.body)
	}
	e.do("GET", "/api/t/parts/EBC-2/vehicles", a.Publishable, nil).want(200).json(&rows)
	if len(rows) != 1 || !rows[0].AllSubmodels || rows[0].Model != "YFZ450R" {
		t.Errorf("EBC-2 (a wildcard fitment): %+v", rows)
	}
	e.do("GET", "/api/t/parts/OWN-1/vehicles", a.Publishable, nil).want(200).json(&rows)
	if len(rows) != 1 || rows[0].Years != "2023-2024" || *rows[0].Fitments[0].Notes != "with winch" {
		t.Errorf("OWN-1: %+v", rows)
	}
	if code, _ := e.do("GET", "/api/t/parts/KN-1/vehicles", a.Publishable, nil).want(404).errCode(); code != "not_found" {
		t.Errorf("a part outside the catalog: %s", code)
	}
	e.do("GET", "/api/t/parts/UNI-1/vehicles", a.Publishable, nil).want(200).json(&rows)
	if len(rows) != 0 {
		t.Errorf("UNI-1 rows: %+v", rows)
	}

	for _, tc := range []struct {
		part, vehicle, result, body string
	}{
		{"my-1", v1, "fits", `"fitments":[{"position":null,"qty":null,"notes":null}]`},
		{"EBC-1", v3, "does_not_fit", `"fitments":[]`},
		{"OWN-1", own, "fits", `"fitments":[{"position":"FRONT","qty":2,"notes":"with winch"}]`},
		{"UNI-1", v1, "universal", `"fitments":[]`},
		{"NEW-1", v1, "unknown", `"fitments":[]`},
	} {
		var fc engine.FitCheck
		r := e.do("GET", "/api/t/parts/"+tc.part+"/fits?vehicleId="+tc.vehicle, a.Publishable, nil).want(200)
		r.json(&fc)
		if fc.Result.String() != tc.result || !strings.Contains(string(r.body), `"result":"`+tc.result+`"`) || !strings.Contains(string(r.body), tc.body) {
			t.Errorf("fits(%s, %s): %s, want %s with %s", tc.part, tc.vehicle, r.body, tc.result, tc.body)
		}
	}
	if !strings.Contains(string(e.do("GET", "/api/t/parts/my-1/fits?vehicleId="+v1, a.Publishable, nil).body), `"partNumber":"EBC-1"`) {
		t.Error("a fit check through an alias does not carry the canonical number")
	}
	e.do("GET", "/api/t/parts/KN-1/fits?vehicleId="+v1, a.Publishable, nil).want(404)
	e.do("GET", "/api/t/parts/EBC-1/fits?vehicleId=vNOPE", a.Publishable, nil).want(404)
	e.do("GET", "/api/t/parts/OWN-1/fits?vehicleId="+own, e.b.Publishable, nil).want(404) // b has no OWN-1
	if code, msg := e.do("GET", "/api/t/parts/EBC-1/fits", a.Publishable, nil).want(400).errCode(); code != "bad_parameter" || !strings.Contains(msg, "vehicleId") {
		t.Errorf("no vehicleId: %s %s", code, msg)
	}

	// A cart against one vehicle, with the publishable key; unknown parts in place.
	var cart struct {
		VehicleID string           `json:"vehicleId"`
		Results   []map[string]any `json:"results"`
	}
	e.do("POST", "/api/t/vehicles/"+v1+"/fits", a.Publishable, `{"partNumbers":["EBC-1","KN-1","my-1","EBC-2"]}`).want(200).json(&cart)
	var got []string
	for _, r := range cart.Results {
		if r["error"] != nil {
			got = append(got, "error")
		} else {
			got = append(got, r["result"].(string))
		}
	}
	if cart.VehicleID != v1 || strings.Join(got, ",") != "fits,error,fits,does_not_fit" {
		t.Errorf("cart: %+v", cart)
	}
	e.do("POST", "/api/t/vehicles/vNOPE/fits", a.Publishable, `{"partNumbers":["EBC-1"]}`).want(404)
	e.do("POST", "/api/t/vehicles/"+v1+"/fits", a.Publishable, `{}`).want(400)
	many := `{"partNumbers":[` + strings.Repeat(`"EBC-1",`, maxCartParts) + `"EBC-1"]}`
	e.do("POST", "/api/t/vehicles/"+v1+"/fits", a.Publishable, many).want(400)
	pre := e.do("OPTIONS", "/api/t/vehicles/"+v1+"/fits", "", nil, "Origin", "https://shop.example", "Access-Control-Request-Method", "POST")
	if !strings.Contains(pre.Header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Errorf("preflight for the cart: %v", pre.Header)
	}
}

// decode undoes a response's Content-Encoding.
func decode(t *testing.T, enc string, body []byte) []byte {
	t.Helper()
	switch enc {
	case "":
		return body
	case "gzip":
		r, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		return b
	case "zstd":
		r, _ := zstd.NewReader(nil)
		defer r.Close()
		b, err := r.DecodeAll(body, nil)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	t.Fatalf("encoding %q", enc)
	return nil
}

func encodeBody(t *testing.T, enc string, body []byte) []byte {
	switch enc {
	case "gzip":
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		w.Write(body)
		w.Close()
		return buf.Bytes()
	case "zstd":
		w, _ := zstd.NewWriter(nil)
		return w.EncodeAll(body, nil)
	}
	return body
}

// TestFitmentLookupFormats: every body format, answer format and encoding gives, decoded,
// what the engine's LinkWriter writes for the same inputs (which the engine's tests check
// against the naive model).
func TestFitmentLookupFormats(t *testing.T) {
	e := newEnv(t)
	k := e.b.Secret // b sees K&N
	e.do("PUT", "/api/app/aliases", k, `[{"alias":"POS,1","partNumber":"KN-1"}]`).want(200)
	parts := []string{"KN-1", "POS,1", "EBC-1", "nope", " kn-1 "}
	vehicles := []string{v1, "vNOPE", v3, v2}
	view, _ := e.eng.View("b")
	want := func(format engine.LinkFormat, inputs []string, vehicle bool) string {
		var buf bytes.Buffer
		lw := view.NewLinkWriter(&buf, format, true)
		for _, in := range inputs {
			if vehicle {
				lw.Vehicle(in)
			} else {
				lw.Part(in)
			}
		}
		lw.Flush()
		return buf.String()
	}
	quoteAll := func(xs []string) string {
		b, _ := json.Marshal(xs)
		return string(b)
	}
	bodies := []struct {
		name, ct string
		body     string
		inputs   []string
		vehicle  bool
	}{
		{"json parts", "application/json", `{"partNumbers":` + quoteAll(parts) + `}`, parts, false},
		{"json vehicles", "application/json", `{"vehicleIds":` + quoteAll(vehicles) + `}`, vehicles, true},
		{"ndjson strings", "application/x-ndjson", "\"KN-1\"\n\n\"POS,1\"\n\"nope\"\n", []string{"KN-1", "POS,1", "nope"}, false},
		{"ndjson objects", "application/x-ndjson", `{"vehicleId":"` + v1 + `"}` + "\n" + `{"vehicleId":"vNOPE"}`, []string{v1, "vNOPE"}, true},
		{"csv parts", "text/csv", "\ufeffpart_number,qty\nKN-1,1\n\"POS,1\",2\nEBC-1,3\n", []string{"KN-1", "POS,1", "EBC-1"}, false},
		{"csv vehicles", "text/csv", "vehicleId\n" + v3 + "\n" + v1 + "\n", []string{v3, v1}, true},
	}
	for _, b := range bodies {
		for _, accept := range []string{"", "application/x-ndjson", "text/csv"} {
			for _, enc := range []string{"", "gzip", "zstd"} {
				format := engine.LinksNDJSON
				if accept == "text/csv" {
					format = engine.LinksCSV
				}
				r := e.do("POST", "/api/integrations/fitments/lookup", k, encodeBody(t, enc, []byte(b.body)),
					"Content-Type", b.ct, "Content-Encoding", enc, "Accept", accept, "Accept-Encoding", enc)
				label := fmt.Sprintf("%s, Accept %q, encoding %q", b.name, accept, enc)
				if r.StatusCode != 200 {
					t.Fatalf("%s: %d %s", label, r.StatusCode, r.body)
				}
				if got := r.Header.Get("Content-Encoding"); got != enc {
					t.Errorf("%s: Content-Encoding %q", label, got)
				}
				if ct := r.Header.Get("Content-Type"); (format == engine.LinksCSV) != strings.HasPrefix(ct, "text/csv") {
					t.Errorf("%s: Content-Type %q", label, ct)
				}
				if r.Header.Get("X-Catalog-Version") != "v1" {
					t.Errorf("%s: X-Catalog-Version %q", label, r.Header.Get("X-Catalog-Version"))
				}
				if got, w := string(decode(t, enc, r.body)), want(format, b.inputs, b.vehicle); got != w {
					t.Errorf("%s:\n got %s\nwant %s", label, got, w)
				}
			}
		}
	}
	// Over a real connection the stream takes the connection over and writes its own chunked
	// body: the same bytes, in every format and encoding, and a complete chunked framing.
	base := serve(t, e.srv)
	for _, accept := range []string{"application/x-ndjson", "text/csv"} {
		for _, enc := range []string{"", "gzip", "zstd"} {
			format := map[string]engine.LinkFormat{"application/x-ndjson": engine.LinksNDJSON, "text/csv": engine.LinksCSV}[accept]
			req, _ := http.NewRequest("POST", base+"/api/integrations/fitments/lookup", strings.NewReader(bodies[0].body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-API-Key", k)
			req.Header.Set("Accept", accept)
			if enc != "" {
				req.Header.Set("Accept-Encoding", enc)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil || res.StatusCode != 200 || len(res.TransferEncoding) == 0 || res.TransferEncoding[0] != "chunked" ||
				res.Header.Get("Content-Encoding") != enc || res.Header.Get("X-Catalog-Version") != "v1" {
				t.Fatalf("over TCP, %s %q: %d %v %v %v", accept, enc, res.StatusCode, err, res.TransferEncoding, res.Header)
			}
			if got, w := string(decode(t, enc, raw)), want(format, bodies[0].inputs, false); got != w {
				t.Errorf("over TCP, %s %q:\n got %s\nwant %s", accept, enc, got, w)
			}
		}
	}

	// The lines themselves, for one call: canonical numbers, unknown inputs in place.
	r := e.do("POST", "/api/integrations/fitments/lookup", k, `{"partNumbers":["POS,1","nope"]}`, "Accept", "text/csv")
	wantCSV := "input,partNumber,brand,vehicleId,make,model,submodel,year,type,position,qty,notes,status\n" +
		`"POS,1",KN-1,K&N,` + v1 + ",Can-Am,Outlander 1000,X-MR,2024,atv,,,,\n" +
		`"POS,1",KN-1,K&N,` + v3 + ",KTM,450 SX-F,,2023,motorcycle,,,,\n" +
		"nope,,,,,,,,,,,,not_found\n"
	if string(r.body) != wantCSV {
		t.Errorf("CSV lines:\n%s\nwant\n%s", r.body, wantCSV)
	}

	// The export: the tenant's whole table, or one brand's.
	for _, q := range []string{"", "?brand=k%26n", "?format=csv", "?brand=EBC"} {
		r := e.do("GET", "/api/integrations/fitments/export"+q, k, nil, "Accept-Encoding", "zstd").want(200)
		format := engine.LinksNDJSON
		if strings.Contains(q, "csv") {
			format = engine.LinksCSV
		}
		var buf bytes.Buffer
		brand := map[string]string{"?brand=k%26n": "K&N", "?brand=EBC": "EBC"}[q]
		if err := view.NewLinkWriter(&buf, format, false).Export(brand); err != nil {
			t.Fatal(err)
		}
		if got := string(decode(t, "zstd", r.body)); got != buf.String() || q != "?brand=EBC" && got == "" {
			t.Errorf("export%s:\n got %s\nwant %s", q, got, buf.String())
		}
	}
}

// TestFitmentLookupBadInput: each bad request gets its status and a message naming the
// problem.
func TestFitmentLookupBadInput(t *testing.T) {
	e := newEnvWith(t, envOptions{opts: Options{BodyLimit: 4 << 20}})
	k := e.a.Secret
	tooMany := `{"partNumbers":[` + strings.Repeat(`"x",`, maxLookupInputs) + `"x"]}`
	for _, tc := range []struct {
		name, key, ct, body string
		headers             []string
		status              int
		code, msg           string
	}{
		{"publishable key", e.a.Publishable, "application/json", `{"partNumbers":["EBC-1"]}`, nil, 403, "forbidden", "secret key"},
		{"wrong content type", k, "text/plain", `EBC-1`, nil, 415, "unsupported_media_type", "text/plain"},
		{"malformed JSON", k, "application/json", `{"partNumbers":["EBC-1",}`, nil, 400, "bad_body", "not valid JSON"},
		{"an array", k, "application/json", `["EBC-1"]`, nil, 400, "bad_body", "must be an object"},
		{"both lists", k, "application/json", `{"partNumbers":[],"vehicleIds":[]}`, nil, 400, "bad_body", "not both"},
		{"no list", k, "application/json", `{"parts":["EBC-1"]}`, nil, 400, "bad_body", "partNumbers or vehicleIds"},
		{"a number in the list", k, "application/json", `{"partNumbers":["EBC-1",7]}`, nil, 400, "bad_parameter", "entry 2"},
		{"not a list", k, "application/json", `{"vehicleIds":"v1"}`, nil, 400, "bad_parameter", "vehicleIds"},
		{"too many", k, "application/json", tooMany, nil, 413, "too_many_inputs", "100000"},
		{"ndjson line 2", k, "application/x-ndjson", "\"EBC-1\"\n{\"partNumber\":", nil, 400, "bad_body", "line 2"},
		{"ndjson mixed", k, "application/x-ndjson", "{\"partNumber\":\"EBC-1\"}\n{\"vehicleId\":\"v\"}", nil, 400, "bad_body", "line 2"},
		{"ndjson number", k, "application/x-ndjson", "5\n", nil, 400, "bad_body", "line 1"},
		{"ndjson object without either", k, "application/x-ndjson", "\"EBC-1\"\n\n{\"sku\":\"EBC-1\"}\n", nil, 400, "bad_body", "line 3"},
		{"ndjson number field", k, "application/x-ndjson", "{\"partNumber\":7}\n", nil, 400, "bad_body", "line 1"},
		{"csv no column", k, "text/csv", "sku\nEBC-1\n", nil, 400, "bad_body", "partNumber or a vehicleId column"},
		{"csv bad quote", k, "text/csv", "partNumber\n\"EBC-1\n", nil, 400, "bad_body", "CSV line"},
		{"bad encoding", k, "application/json", `{"partNumbers":[]}`, []string{"Content-Encoding", "gzip"}, 400, "bad_body", "gzip"},
		{"unknown encoding", k, "application/json", `{"partNumbers":[]}`, []string{"Content-Encoding", "br"}, 415, "unsupported_media_type", "br"},
		{"unacceptable", k, "application/json", `{"partNumbers":[]}`, []string{"Accept", "image/png"}, 406, "not_acceptable", "text/csv"},
		{"csv accepted", k, "application/json", `{"partNumbers":[]}`, []string{"Accept", "text/csv"}, 200, "", ""},
	} {
		r := e.do("POST", "/api/integrations/fitments/lookup", tc.key, tc.body, append([]string{"Content-Type", tc.ct}, tc.headers...)...)
		code, msg := r.errCode()
		if r.StatusCode != tc.status || code != tc.code || !strings.Contains(msg, tc.msg) {
			t.Errorf("%s: %d %s %q, want %d %s containing %q", tc.name, r.StatusCode, code, msg, tc.status, tc.code, tc.msg)
		}
	}
	e.do("POST", "/api/integrations/fitments/lookup?format=xml", k, `{"partNumbers":[]}`).want(400)
	if code, msg := e.do("GET", "/api/integrations/fitments/export?brand=Nope", k, nil).want(404).errCode(); code != "not_found" || !strings.Contains(msg, "Nope") {
		t.Errorf("export of an unknown brand: %s %s", code, msg)
	}
	// Nothing streamed is left running.
	if st := e.srv.FitmentStats(); st.InFlight != 0 {
		t.Errorf("streams in flight after the table: %+v", st)
	}
}

// heavyEnv is a tenant whose own part fits 500 own vehicles: one input of it answers 498
// lines, so a call's answer can be made far larger than any buffer.
func heavyEnv(t *testing.T, o Options) *env {
	e := newEnvWith(t, envOptions{noText: true, opts: o})
	var vehicles, fits []string
	for _, sub := range []string{"A", "B", "C"} { // 3 × 166 = 498 vehicles
		vehicles = append(vehicles, `{"type":"atv","make":"Heavy","model":"Hauler","submodel":"`+sub+`","years":"1901-2066"}`)
		fits = append(fits, `{"make":"Heavy","model":"Hauler","submodel":"`+sub+`","years":"1901-2066","position":"FRONT","notes":"a note long enough to weigh something"}`)
	}
	var made struct{ Created int }
	e.do("POST", "/api/app/tenant-vehicles", e.a.Secret, "["+strings.Join(vehicles, ",")+"]").want(200).json(&made)
	var put struct{ Updated int }
	e.do("POST", "/api/app/tenant-parts", e.a.Secret, `[{"partNumber":"BIG-1","brand":"House","name":"Fits everything Heavy","fitments":[`+strings.Join(fits, ",")+`]}]`).want(200).json(&put)
	if made.Created != 498 || put.Updated != 1 {
		t.Fatalf("heavy tenant: %d vehicles, %d parts", made.Created, put.Updated)
	}
	return e
}

// TestFitmentLookupMemoryBounded: a call of 100,000 inputs whose answer is ~120 MB keeps the
// live heap within a bound far below the answer, measured while the answer streams.
var heavyEvery = 50

func TestFitmentLookupMemoryBounded(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's shadow memory and slowness make heap figures meaningless; runs in the plain test pass")
	}
	e := heavyEnv(t, Options{BodyLimit: 8 << 20})
	url := serve(t, e.srv)
	inputs := make([]string, maxLookupInputs)
	for i := range inputs {
		inputs[i] = []string{"EBC-1", "nope", "EBC-2"}[i%3]
		if i%100 == 0 {
			inputs[i] = "BIG-1"
		}
	}
	body, _ := json.Marshal(map[string]any{"partNumbers": inputs})

	// The live heap (what the last collection found reachable) is sampled while the answer
	// streams; a low GOGC makes collections frequent, so the samples are dense.
	defer debug.SetGCPercent(debug.SetGCPercent(25))
	runtime.GC()
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	base := live[0].Value.Uint64()
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
		}
	}()
	req, _ := http.NewRequest("POST", url+"/api/integrations/fitments/lookup", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", e.a.Secret)
	start := time.Now()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	ttfb := time.Since(start)
	atFirstByte := int64(peak.Load()) - int64(base)
	n, err := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	close(stop)
	<-sampled
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("status %d, %v", res.StatusCode, err)
	}
	const bound = 16 << 20
	grew := int64(peak.Load()) - int64(base)
	t.Logf("answer %d MB; live heap grew by at most %.1f MB (%.1f MB by the first byte; bound %d MB); first byte after %v",
		n>>20, float64(grew)/(1<<20), float64(atFirstByte)/(1<<20), bound>>20, ttfb)
	if n < 50<<20 {
		t.Fatalf("answer of %d bytes is too small to show anything", n)
	}
	if grew > bound {
		t.Errorf("live heap grew by %d MB while streaming a %d MB answer (bound %d MB)", grew>>20, n>>20, bound>>20)
	}
}

// TestFitmentLookupClientGoesAway: a client that reads a little and hangs up stops the
// stream: the server counts it aborted, and far fewer links were produced than asked for.
func TestFitmentLookupClientGoesAway(t *testing.T) {
	e := heavyEnv(t, Options{BodyLimit: 8 << 20, MaxStreams: 1})
	url := serve(t, e.srv)
	inputs := make([]string, maxLookupInputs)
	for i := range inputs {
		inputs[i] = "BIG-1" // 50,000,000 lines in all
	}
	body, _ := json.Marshal(map[string]any{"partNumbers": inputs})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", url+"/api/integrations/fitments/lookup", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", e.a.Secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(io.Discard, res.Body, 1<<20); err != nil {
		t.Fatal(err)
	}
	// While it runs, a second stream is refused (MaxStreams 1).
	r := e.do("POST", "/api/integrations/fitments/lookup", e.a.Secret, `{"partNumbers":["EBC-1"]}`)
	if r.StatusCode != 503 || r.Header.Get("Retry-After") == "" {
		t.Errorf("a second stream beside MaxStreams: %d %s", r.StatusCode, r.body)
	}
	cancel()
	res.Body.Close()
	deadline := time.Now().Add(20 * time.Second)
	for e.srv.FitmentStats().InFlight != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	st := e.srv.FitmentStats()
	if st.InFlight != 0 || st.Aborted != 1 {
		t.Fatalf("after the client left: %+v, want the stream ended and counted aborted", st)
	}
	if st.Links >= 5_000_000 {
		t.Errorf("%d links produced for a client that read 1 MB", st.Links)
	}
	t.Logf("stream stopped after %d links", st.Links)
	e.do("POST", "/api/integrations/fitments/lookup", e.a.Secret, `{"partNumbers":["EBC-1"]}`).want(200) // the slot is free again
}
