package httpapi

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/fitment/fitment/engine"
)

// offersOf reads what the portal lists of a tenant's items: part → [price, stock].
func (e *env) offersOf(secret string) map[string][2]any {
	e.t.Helper()
	var page Page[map[string]any]
	e.do("GET", "/api/app/catalog-items?limit=1000", secret, nil).want(200).json(&page)
	out := map[string][2]any{}
	for _, it := range page.Items {
		out[it["partNumber"].(string)] = [2]any{it["price"], it["stock"]}
	}
	return out
}

func gzipped(b string) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write([]byte(b))
	w.Close()
	return buf.Bytes()
}

func zstded(b string) []byte {
	enc, _ := zstd.NewWriter(nil)
	return enc.EncodeAll([]byte(b), nil)
}

// TestStockFeedFormats: the same feed as a JSON array, NDJSON and CSV, plain and
// compressed, gives the same answer and the same state.
func TestStockFeedFormats(t *testing.T) {
	type form struct {
		name, contentType, encoding string
		body                        any
	}
	forms := []form{
		{"json", "application/json", "", `[{"partNumber":"EBC-1","stock":4},{"partNumber":"ebc-2 ","stock":2.9},{"partNumber":"KN-1","stock":1},{"partNumber":"EBC-2","stock":-3}]`},
		{"ndjson", "application/x-ndjson", "", "{\"partNumber\":\"EBC-1\",\"stock\":4}\n\n{\"partNumber\":\"ebc-2 \",\"stock\":2.9}\n{\"partNumber\":\"KN-1\",\"stock\":1}\n{\"partNumber\":\"EBC-2\",\"stock\":-3}\n"},
		{"csv", "text/csv", "", "\ufeffpart_number,stock\nEBC-1,4\nebc-2 ,2.9\nKN-1,1\nEBC-2,-3\n"},
		{"csv camelCase, extra column, gzip", "text/csv; charset=utf-8", "gzip", gzipped("partNumber,note,stock\nEBC-1,x,4\nebc-2,y,2.9\nKN-1,,1\nEBC-2,z,-3\n")},
		{"json zstd", "application/json", "zstd", zstded(`[{"partNumber":"EBC-1","stock":4},{"partNumber":"ebc-2","stock":2.9},{"partNumber":"KN-1","stock":1},{"partNumber":"EBC-2","stock":-3}]`)},
	}
	for _, f := range forms {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t)
			var res BulkResult
			e.do("POST", "/api/integrations/stock-feed", e.a.Secret, f.body, "Content-Type", f.contentType, "Content-Encoding", f.encoding).want(200).json(&res)
			want := BulkResult{Updated: 2, NotFound: []string{"KN-1"}, Rejected: []RowError{{Row: 4, PartNumber: "EBC-2", Reason: "negative stock"}}}
			if !reflect.DeepEqual(res, want) {
				t.Errorf("stock-feed (%s): got %+v, want %+v", f.name, res, want)
			}
			if got := e.offersOf(e.a.Secret); !reflect.DeepEqual(got, map[string][2]any{"EBC-1": {nil, 4.0}, "EBC-2": {nil, 2.0}}) {
				t.Errorf("items after the feed: %v", got)
			}
		})
	}
}

// TestFeedBadInput: every malformed request fails whole with its exact status and message,
// and changes nothing; every bad row is rejected alone with its reason.
func TestFeedBadInput(t *testing.T) {
	e := newEnv(t)
	e.do("POST", "/api/integrations/stock-feed", e.a.Secret, `[{"partNumber":"EBC-1","stock":5}]`).want(200)
	before := e.offersOf(e.a.Secret)

	rows := []struct {
		row    string
		reason string // "" = accepted
	}{
		{`{"partNumber":"EBC-2","stock":-1}`, "negative stock"},
		{`{"partNumber":"EBC-2","stock":-0.5}`, "negative stock"},
		{`{"partNumber":"EBC-2","stock":"12"}`, "stock must be a number or null"},
		{`{"partNumber":"EBC-2","stock":true}`, "stock must be a number or null"},
		{`{"partNumber":"EBC-2","stock":1e12}`, "stock too large (max 268435454)"},
		{`{"partNumber":"EBC-2","stock":99999999999999999999999}`, "stock too large (max 268435454)"},
		{`{"partNumber":"EBC-2"}`, "missing stock"},
		{`{"stock":3}`, "missing partNumber"},
		{`{"partNumber":"  ","stock":3}`, "missing partNumber"},
		{`{"partNumber":12,"stock":3}`, "partNumber must be a string"},
		{`[1,2]`, "row is not a JSON object"},
	}
	for _, r := range rows {
		var res BulkResult
		e.do("POST", "/api/integrations/stock-feed", e.a.Secret, "["+r.row+"]").want(200).json(&res)
		if len(res.Rejected) != 1 || res.Rejected[0].Reason != r.reason || res.Rejected[0].Row != 1 || res.Updated != 0 {
			t.Errorf("stock-feed [%s]: got %+v, want row 1 rejected: %s", r.row, res, r.reason)
		}
	}
	prices := []struct{ row, reason string }{
		{`{"partNumber":"EBC-2","price":-1}`, "negative price"},
		{`{"partNumber":"EBC-2","price":"9.90"}`, "price must be a number or null"},
		{`{"partNumber":"EBC-2","price":1e9}`, "price too large (max 687194767.34)"},
		{`{"partNumber":"EBC-2"}`, "missing price"},
	}
	for _, r := range prices {
		var res BulkResult
		e.do("POST", "/api/integrations/price-feed", e.a.Secret, "["+r.row+"]").want(200).json(&res)
		if len(res.Rejected) != 1 || res.Rejected[0].Reason != r.reason {
			t.Errorf("price-feed [%s]: got %+v, want rejected: %s", r.row, res, r.reason)
		}
	}

	requests := []struct {
		name        string
		contentType string
		encoding    string
		body        any
		status      int
		code, msg   string
	}{
		{"malformed JSON at row 3", "application/json", "", `[{"partNumber":"EBC-1","stock":1},{"partNumber":"EBC-2","stock":2},{"partNumber":"EBC-1","stock":}]`,
			400, "bad_body", "body is not valid JSON at row 3: invalid character '}' looking for beginning of value"},
		{"not an array", "application/json", "", `{"partNumber":"EBC-1","stock":1}`, 400, "bad_body", "body must be a JSON array of objects, not object"},
		{"trailing data", "application/json", "", `[{"partNumber":"EBC-1","stock":1}] x`, 400, "bad_body", "body is not valid JSON: trailing data after the array"},
		{"empty body", "application/json", "", ``, 400, "bad_body", "request body is empty"},
		{"malformed NDJSON line 2", "application/x-ndjson", "", "{\"partNumber\":\"EBC-1\",\"stock\":1}\n{\"partNumber\":\n", 400, "bad_body", "line 2 is not valid JSON"},
		{"CSV without a stock column", "text/csv", "", "partNumber,qty\nEBC-1,1\n", 400, "bad_body", "CSV header has no stock column (header: partNumber,qty)"},
		{"CSV quoting error", "text/csv", "", "partNumber,stock\nEBC-1,1\n\"EBC-2,2\n", 400, "bad_body", "CSV line 3: extraneous or missing \" in quoted-field"},
		{"wrong content type", "text/plain", "", `[]`, 415, "unsupported_media_type", `content type "text/plain" is not supported: send application/json (an array of objects), application/x-ndjson or text/csv`},
		{"no content type", "", "", `[]`, 415, "unsupported_media_type", `content type "" is not supported`},
		{"latin-1", "text/csv; charset=iso-8859-1", "", "partNumber,stock\n", 415, "unsupported_media_type", `charset "iso-8859-1" is not supported: send UTF-8`},
		{"brotli", "application/json", "br", `[]`, 415, "unsupported_media_type", `content encoding "br" is not supported: send gzip, zstd or identity`},
		{"not gzip", "application/json", "gzip", `[{"partNumber":"EBC-1","stock":1}]`, 400, "bad_body", "body is not valid gzip"},
		{"zstd bomb", "application/json", "zstd", zstded("[" + strings.Repeat(" ", 1<<20) + "]"), 413, "body_too_large", "request body too large (limit 65536 bytes decoded)"},
		{"bad mode", "application/json", "", `[]`, 400, "bad_parameter", `parameter mode: "all" is not merge or replace`},
	}
	for _, r := range requests {
		path := "/api/integrations/stock-feed"
		if r.name == "bad mode" {
			path += "?mode=all"
		}
		res := e.do("POST", path, e.a.Secret, r.body, "Content-Type", r.contentType, "Content-Encoding", r.encoding)
		code, msg := res.errCode()
		if res.StatusCode != r.status || code != r.code || !strings.HasPrefix(msg, r.msg) {
			t.Errorf("%s: got %d %s %q, want %d %s %q", r.name, res.StatusCode, code, msg, r.status, r.code, r.msg)
		}
		if got := e.offersOf(e.a.Secret); !reflect.DeepEqual(got, before) {
			t.Fatalf("%s changed the items: %v, before %v", r.name, got, before)
		}
	}
	e.do("POST", "/api/integrations/price-feed?mode=replace", e.a.Secret, `[]`).want(400)
	// Only the secret key writes.
	e.do("POST", "/api/integrations/stock-feed", e.a.Publishable, `[]`).want(403)
	e.do("POST", "/api/integrations/stock-feed", "", `[]`).want(401)
	e.do("GET", "/api/integrations/stock-feed", e.a.Secret, nil).want(405)
}

// TestFeedSemantics: rounding, clearing, later rows winning, idempotence, full sync.
func TestFeedSemantics(t *testing.T) {
	e := newEnv(t)
	var res BulkResult
	e.do("POST", "/api/integrations/price-feed", e.a.Secret, `[{"partNumber":"EBC-1","price":12.345},{"partNumber":"EBC-2","price":7},{"partNumber":"EBC-2","price":7.5}]`).want(200).json(&res)
	if res.Updated != 3 {
		t.Errorf("price-feed: got %+v", res)
	}
	feed := `[{"partNumber":"EBC-1","stock":3.7},{"partNumber":"EBC-2","stock":0}]`
	for i := 0; i < 2; i++ { // idempotent
		e.do("POST", "/api/integrations/stock-feed", e.a.Secret, feed).want(200)
	}
	want := map[string][2]any{"EBC-1": {12.35, 3.0}, "EBC-2": {7.5, 0.0}}
	if got := e.offersOf(e.a.Secret); !reflect.DeepEqual(got, want) {
		t.Errorf("after price and stock feeds: got %v, want %v", got, want)
	}
	// The storefront shows them with two decimals.
	r := e.do("GET", "/api/t/parts?vehicleId="+v1, e.a.Publishable, nil).want(200)
	if !strings.Contains(string(r.body), `"price":12.35,"stock":3,`) {
		t.Errorf("parts(v1): %s, want EBC-1 at 12.35 with stock 3", r.body)
	}
	e.do("POST", "/api/integrations/price-feed", e.a.Secret, `[{"partNumber":"EBC-2","price":null}]`).want(200)
	r = e.do("GET", "/api/t/parts/EBC-2", e.a.Publishable, nil).want(200)
	if !strings.Contains(string(r.body), `"price":null,"stock":0`) {
		t.Errorf("part(EBC-2) after a null price: %s", r.body)
	}
	// A full sync: parts absent from the feed lose their stock, counted.
	e.do("POST", "/api/integrations/stock-feed?mode=replace", e.a.Secret, `[{"partNumber":"EBC-2","stock":9}]`).want(200).json(&res)
	if res.Cleared == nil || *res.Cleared != 1 || res.Updated != 1 {
		t.Errorf("stock-feed?mode=replace: got %+v, want 1 updated, 1 cleared", res)
	}
	if got := e.offersOf(e.a.Secret); !reflect.DeepEqual(got, map[string][2]any{"EBC-1": {12.35, nil}, "EBC-2": {nil, 9.0}}) {
		t.Errorf("after a full sync: %v", got)
	}
	// A part whose row a full sync rejects keeps its stock; a part the tenant does not sell
	// (KN-1, K&N not subscribed) is neither found nor cleared.
	e.do("PUT", "/api/app/catalog-items", e.a.Secret, `[{"partNumber":"KN-1","stock":5}]`).want(200)
	e.do("POST", "/api/integrations/stock-feed?mode=replace", e.a.Secret, `[{"partNumber":"EBC-1","stock":1},{"partNumber":"EBC-2","stock":-4}]`).want(200).json(&res)
	if res.Cleared == nil || *res.Cleared != 0 || res.Updated != 1 || len(res.Rejected) != 1 {
		t.Errorf("full sync with a rejected row: %+v", res)
	}
	if got := e.offersOf(e.a.Secret); got["EBC-2"][1] != 9.0 || got["KN-1"][1] != 5.0 || got["EBC-1"][1] != 1.0 {
		t.Errorf("after a full sync with a rejected row: %v, want EBC-2 kept at 9, KN-1 at 5", got)
	}
	if r := e.do("POST", "/api/integrations/stock-feed", e.a.Secret, `[]`).want(200); strings.Contains(string(r.body), "cleared") {
		t.Errorf("a merge feed answers cleared: %s", r.body)
	}
}

// TestAliases: PUT, GET with cursor, DELETE, resolution in feeds and part look-ups, and
// that each tenant's aliases are its own.
func TestAliases(t *testing.T) {
	e := newEnv(t)
	var res BulkResult
	e.do("PUT", "/api/app/aliases", e.a.Secret, `[
		{"alias":"POS-1","partNumber":"ebc-1","source":"POS"},
		{"alias":"POS-2","partNumber":"EBC-2"},
		{"alias":"POS-3","partNumber":"NOPE"},
		{"alias":"KN-1","partNumber":"EBC-1"},
		{"alias":"","partNumber":"EBC-1"},
		{"alias":"X\u0001","partNumber":"EBC-1"}
	]`).want(200).json(&res)
	want := BulkResult{Updated: 2, NotFound: []string{"NOPE"}, Rejected: []RowError{
		{Row: 4, PartNumber: "EBC-1", Reason: "alias KN-1 is a part number of the catalog"},
		{Row: 5, PartNumber: "EBC-1", Reason: "missing alias"},
		{Row: 6, PartNumber: "EBC-1", Reason: "alias holds a control character"},
	}}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("PUT aliases: got %+v, want %+v", res, want)
	}
	// b's POS-1 names another part.
	e.do("PUT", "/api/app/aliases", e.b.Secret, `[{"alias":"pos-1","partNumber":"KN-1"}]`).want(200)

	var d map[string]any
	e.do("GET", "/api/t/parts/pos-1", e.a.Publishable, nil).want(200).json(&d)
	if d["partNumber"] != "EBC-1" {
		t.Errorf("part(pos-1) as a: %v, want EBC-1", d["partNumber"])
	}
	e.do("GET", "/api/t/parts/POS-1", e.b.Publishable, nil).want(200).json(&d)
	if d["partNumber"] != "KN-1" {
		t.Errorf("part(POS-1) as b: %v, want KN-1", d["partNumber"])
	}
	// Feeds resolve aliases, to the tenant's own part.
	e.do("POST", "/api/integrations/stock-feed", e.a.Secret, `[{"partNumber":"POS-1","stock":8}]`).want(200).json(&res)
	if res.Updated != 1 {
		t.Errorf("stock-feed through an alias: %+v", res)
	}
	if got := e.offersOf(e.a.Secret)["EBC-1"]; got[1] != 8.0 {
		t.Errorf("EBC-1 after a feed through POS-1: %v", got)
	}
	if got := e.offersOf(e.b.Secret)["KN-1"]; got[1] != nil {
		t.Errorf("b's KN-1 after a's feed: %v", got)
	}

	var page Page[engine.Alias]
	e.do("GET", "/api/app/aliases?limit=1", e.a.Secret, nil).want(200).json(&page)
	if len(page.Items) != 1 || page.Items[0] != (engine.Alias{Alias: "POS-1", PartNumber: "EBC-1", Source: "POS"}) || page.NextCursor == nil {
		t.Fatalf("GET aliases?limit=1: %+v", page)
	}
	e.do("GET", "/api/app/aliases?limit=1&cursor="+*page.NextCursor, e.a.Secret, nil).want(200).json(&page)
	if len(page.Items) != 1 || page.Items[0].Alias != "POS-2" || page.NextCursor != nil {
		t.Errorf("GET aliases, page 2: %+v", page)
	}
	e.do("GET", "/api/app/aliases?partNumber=ebc-2", e.a.Secret, nil).want(200).json(&page)
	if len(page.Items) != 1 || page.Items[0].Alias != "POS-2" {
		t.Errorf("GET aliases?partNumber=ebc-2: %+v", page)
	}
	e.do("GET", "/api/app/aliases?cursor=!!", e.a.Secret, nil).want(400)

	e.do("DELETE", "/api/app/aliases/pos-1", e.a.Secret, nil).want(204)
	e.do("DELETE", "/api/app/aliases/pos-1", e.a.Secret, nil).want(404)
	e.do("GET", "/api/t/parts/POS-1", e.a.Publishable, nil).want(404)
	e.do("GET", "/api/t/parts/POS-1", e.b.Publishable, nil).want(200)
}

// TestCatalogItemsList: filters and cursor pagination over the tenant's items.
func TestCatalogItemsList(t *testing.T) {
	e := newEnv(t)
	e.do("PUT", "/api/app/catalog-items", e.a.Secret, `[{"partNumber":"EBC-2","active":false},{"partNumber":"AT/1","active":true,"price":5}]`).want(200)
	e.do("POST", "/api/integrations/stock-feed", e.a.Secret, `[{"partNumber":"EBC-1","stock":2}]`).want(200)
	list := func(query string) []string {
		var page Page[engine.Item]
		e.do("GET", "/api/app/catalog-items?"+query, e.a.Secret, nil).want(200).json(&page)
		var out []string
		for _, it := range page.Items {
			out = append(out, fmt.Sprintf("%s:%v", it.PartNumber, it.Active))
		}
		return out
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{"AT/1:true", "EBC-1:true", "EBC-2:false"}},
		{"active=true", []string{"AT/1:true", "EBC-1:true"}},
		{"active=false", []string{"EBC-2:false"}},
		{"brand=ebc", []string{"EBC-1:true", "EBC-2:false"}},
		{"priced=true", []string{"AT/1:true"}},
		{"inStock=true", []string{"EBC-1:true"}},
		{"q=ebc-", []string{"EBC-1:true", "EBC-2:false"}},
		{"brand=nobody", nil},
	} {
		if got := list(tc.query); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("catalog-items?%s: got %v, want %v", tc.query, got, tc.want)
		}
	}
	var page Page[engine.Item]
	e.do("GET", "/api/app/catalog-items?limit=2", e.a.Secret, nil).want(200).json(&page)
	if len(page.Items) != 2 || page.NextCursor == nil {
		t.Fatalf("catalog-items?limit=2: %+v", page)
	}
	e.do("GET", "/api/app/catalog-items?limit=2&cursor="+*page.NextCursor, e.a.Secret, nil).want(200).json(&page)
	if len(page.Items) != 1 || page.Items[0].PartNumber != "EBC-2" || page.NextCursor != nil {
		t.Errorf("catalog-items page 2: %+v", page)
	}
	e.do("GET", "/api/app/catalog-items?limit=0", e.a.Secret, nil).want(400)
	e.do("GET", "/api/app/catalog-items?active=maybe", e.a.Secret, nil).want(400)
}
