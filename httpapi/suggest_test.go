package httpapi

import (
	"strings"
	"testing"

	"github.com/fitment/fitment/engine"
)

// TestSuggest: type-ahead over what the tenant sees, in its language, with its own parts
// the moment they are written; bad parameters are 400s that name them.
func TestSuggest(t *testing.T) {
	e := newEnv(t)
	e.do("PUT", "/api/app/subscriptions/EBC", e.a.Secret, nil).want(200)
	get := func(q string) engine.Suggestions {
		t.Helper()
		var s engine.Suggestions
		e.do("GET", "/api/t/suggest?"+q, e.a.Publishable, nil).want(200).json(&s)
		return s
	}
	s := get("q=bra")
	if len(s.Queries) != 2 || s.Queries[0].Text != "Brake disc" || s.Queries[1].Text != "Brake pads" {
		t.Errorf("q=bra queries: %+v, want Brake disc and Brake pads (one part each, in key order)", s.Queries)
	}
	if len(s.Categories) != 1 || s.Categories[0].Name != "Brakes" {
		t.Errorf("q=bra categories: %+v", s.Categories)
	}
	if s := get("q=pads&lang=de"); len(s.Queries) != 1 || s.Queries[0].Text != "Brake pads (de)" {
		t.Errorf("q=pads lang=de: %+v", s.Queries)
	}
	if s := get("q=air"); len(s.Queries)+len(s.Brands)+len(s.Parts) != 0 {
		t.Errorf("q=air: K&N is not the tenant's, yet %+v", s)
	}
	if s := get("q=ebc+1"); len(s.Parts) != 1 || s.Parts[0].PartNumber != "EBC-1" || s.Parts[0].Brand != "EBC" {
		t.Errorf("q=ebc 1 parts: %+v", s.Parts)
	}
	if s := get("q=can"); len(s.Vehicles) != 2 || s.Vehicles[0].Make != "Can-Am" || s.Vehicles[0].Kind != "make" {
		t.Errorf("q=can vehicles: %+v", s.Vehicles)
	}
	if s := get("q=b&limit=1"); len(s.Queries) != 1 {
		t.Errorf("limit=1: %+v", s.Queries)
	}
	// An own part is suggested by the very next request.
	e.do("POST", "/api/app/tenant-parts", e.a.Secret, `[{"partNumber":"OWN-77","brand":"House","name":"Bark buster","universal":true}]`).want(200)
	if s := get("q=bark"); len(s.Parts) != 1 || s.Parts[0].PartNumber != "OWN-77" {
		t.Errorf("q=bark after the write: %+v", s.Parts)
	}
	r := e.do("GET", "/api/t/suggest?q=br", e.a.Publishable, nil).want(200)
	if cc := r.Header.Get("Cache-Control"); cc != "public, max-age=60" || !strings.Contains(r.Header.Get("Vary"), "X-API-Key") {
		t.Errorf("headers: Cache-Control %q, Vary %q", cc, r.Header.Get("Vary"))
	}
	for q, msg := range map[string]string{
		"":                              "parameter q: is required",
		"q=+":                           "parameter q: is required",
		"q=b&limit=0":                   "parameter limit: 0 is out of range 1..20",
		"q=b&limit=21":                  "parameter limit: 21 is out of range 1..20",
		"q=b&lang=1x":                   `parameter lang: "1x" is not a language code`,
		"q=" + strings.Repeat("x", 201): "parameter q: is longer than 200 bytes",
	} {
		if _, m := e.do("GET", "/api/t/suggest?"+q, e.a.Publishable, nil).want(400).errCode(); m != msg {
			t.Errorf("GET /api/t/suggest?%.20s: message %q, want %q", q, m, msg)
		}
	}
}
