package httpapi

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fitment/fitment/engine"
)

// listingAnswer is the JSON of GET /api/t/vehicles/:id/parts.
type listingAnswer struct {
	Items []struct {
		PartNumber string   `json:"partNumber"`
		Name       string   `json:"name"`
		Price      *float64 `json:"price"`
		Stock      *int64   `json:"stock"`
	} `json:"items"`
	Total  int `json:"total"`
	Facets map[string][]struct {
		Value string `json:"value"`
		Count int    `json:"count"`
	} `json:"facets"`
	NextCursor *string `json:"nextCursor"`
}

func (a listingAnswer) numbers() []string {
	out := []string{}
	for _, it := range a.Items {
		out = append(out, it.PartNumber)
	}
	return out
}

// A tenant with EBC and K&N: v1 (Outlander X-MR 2024) fits EBC-1 (Brake pads, Brakes) and
// KN-1 (Air filter, Filters).
func listingEnv(t *testing.T, o Options) *env {
	e := newEnvWith(t, envOptions{opts: o})
	e.do("PUT", "/api/app/subscriptions/K%26N", e.a.Secret, nil).want(200)
	e.do("POST", "/api/integrations/price-feed", e.a.Secret, `[{"partNumber":"EBC-1","price":20},{"partNumber":"KN-1","price":10}]`).want(200)
	e.do("POST", "/api/integrations/stock-feed", e.a.Secret, `[{"partNumber":"EBC-1","stock":0},{"partNumber":"KN-1","stock":4}]`).want(200)
	return e
}

func TestVehicleParts(t *testing.T) {
	e := listingEnv(t, Options{})
	base := "/api/t/vehicles/" + v1 + "/parts"
	var a listingAnswer
	r := e.do("GET", base+"?facets=category,brand", e.a.Publishable, nil).want(200).json(&a)
	if got := a.numbers(); !slices.Equal(got, []string{"KN-1", "EBC-1"}) || a.Total != 2 || a.NextCursor != nil {
		t.Errorf("default sort (name): %v total %d next %v, want [KN-1 EBC-1] (Air filter, Brake pads)", got, a.Total, a.NextCursor)
	}
	if len(a.Facets["brand"]) != 2 || len(a.Facets["category"]) != 2 {
		t.Errorf("facets: %+v", a.Facets)
	}
	if r.Header.Get("ETag") == "" || r.Header.Get("Cache-Control") != "public, max-age=600" || r.Header.Get("X-Total-Count") != "2" {
		t.Errorf("headers: %v", r.Header)
	}
	// No facets asked: an empty object.
	if r := e.do("GET", base+"?limit=1", e.a.Publishable, nil).want(200); !strings.Contains(string(r.body), `"facets":{}`) {
		t.Errorf("without facets: %s", r.body)
	}
	// Filters: brand (case-insensitive, repeatable), category id, inStock.
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"brand=k%26n", []string{"KN-1"}},
		{"brand=ebc&brand=K%26N&sort=-price", []string{"EBC-1", "KN-1"}},
		{"category=" + catID(t, e, "Brakes"), []string{"EBC-1"}},
		{"inStock=true", []string{"KN-1"}},
		{"sort=price", []string{"KN-1", "EBC-1"}},
	} {
		e.do("GET", base+"?"+c.query, e.a.Publishable, nil).want(200).json(&a)
		if got := a.numbers(); !slices.Equal(got, c.want) {
			t.Errorf("?%s: %v, want %v", c.query, got, c.want)
		}
	}
	// Disjunctive facets: the brand facet ignores the brand filter, the category facet not.
	e.do("GET", base+"?brand=EBC&facets=brand,category", e.a.Publishable, nil).want(200).json(&a)
	if len(a.Facets["brand"]) != 2 || len(a.Facets["category"]) != 1 || a.Total != 1 {
		t.Errorf("brand=EBC facets %+v total %d: want both brands, EBC's category", a.Facets, a.Total)
	}
	// Paging by cursor; a price change between pages shows on the next page.
	e.do("GET", base+"?sort=price&limit=1", e.a.Publishable, nil).want(200).json(&a)
	if got := a.numbers(); !slices.Equal(got, []string{"KN-1"}) || a.NextCursor == nil {
		t.Fatalf("page 1: %v next %v", got, a.NextCursor)
	}
	e.do("POST", "/api/integrations/price-feed", e.a.Secret, `[{"partNumber":"EBC-1","price":30}]`).want(200)
	next := base + "?sort=price&limit=1&cursor=" + url.QueryEscape(*a.NextCursor)
	e.do("GET", next, e.a.Publishable, nil).want(200).json(&a)
	if got := a.numbers(); !slices.Equal(got, []string{"EBC-1"}) || *a.Items[0].Price != 30 || a.NextCursor != nil {
		t.Errorf("page 2 after a price change: %+v", a)
	}
	// A kept answer never outlives a price or stock change.
	e.do("GET", base+"?sort=price", e.a.Publishable, nil).want(200)
	e.do("POST", "/api/integrations/price-feed", e.a.Secret, `[{"partNumber":"KN-1","price":40}]`).want(200)
	e.do("GET", base+"?sort=price", e.a.Publishable, nil).want(200).json(&a)
	if got := a.numbers(); !slices.Equal(got, []string{"EBC-1", "KN-1"}) || *a.Items[1].Price != 40 {
		t.Errorf("after KN-1's price went to 40: %+v", a)
	}
	// A cursor of another query, or altered, is a 400 naming cursor.
	for _, p := range []string{base + "?sort=-price&limit=1&cursor=" + url.QueryEscape(cursorOf(t, e, base+"?sort=price&limit=1")),
		base + "?sort=price&brand=EBC&limit=1&cursor=" + url.QueryEscape(cursorOf(t, e, base+"?sort=price&limit=1")),
		base + "?cursor=AQIDBAUGBwg", base + "?cursor=" + strings.Repeat("A", 2100)} {
		r := e.do("GET", p, e.a.Publishable, nil).want(400)
		if code, msg := r.errCode(); code != "bad_parameter" || !strings.Contains(msg, "cursor") {
			t.Errorf("GET %s: %s %q", p, code, msg)
		}
	}
	// An unknown vehicle is a 404; a vehicle nothing visible fits, an empty page.
	e.do("GET", "/api/t/vehicles/nope/parts", e.a.Publishable, nil).want(404)
	e.do("GET", "/api/t/vehicles/"+v3+"/parts?brand=EBC&facets=brand", e.a.Publishable, nil).want(200).json(&a)
	if len(a.Items) != 0 || a.Total != 0 || a.Facets["brand"] == nil {
		t.Errorf("v3 with brand=EBC: %+v, want no items and a brand facet", a)
	}
}

func catID(t *testing.T, e *env, path string) string {
	t.Helper()
	var cats []engine.CategoryRef
	e.do("GET", "/api/t/categories", e.a.Publishable, nil).want(200).json(&cats)
	for _, c := range cats {
		if c.Path == path {
			return c.ID
		}
	}
	t.Fatalf("no category %s in %+v", path, cats)
	return ""
}

func cursorOf(t *testing.T, e *env, path string) string {
	t.Helper()
	var a listingAnswer
	e.do("GET", path, e.a.Publishable, nil).want(200).json(&a)
	if a.NextCursor == nil {
		t.Fatalf("GET %s: no next cursor", path)
	}
	return *a.NextCursor
}

func TestVehiclePartsBadParameters(t *testing.T) {
	e := listingEnv(t, Options{})
	base := "/api/t/vehicles/" + v1 + "/parts?"
	for _, tc := range []struct{ query, param string }{
		{"category=cnope", "category"},
		{"brand=Nope", "brand"},
		{"sort=cheapest", "sort"},
		{"sort=relevance", "sort"},
		{"limit=0", "limit"},
		{"limit=501", "limit"},
		{"limit=ten", "limit"},
		{"cursor=%21%21", "cursor"},
		{"facets=category,colour", "facets"},
		{"inStock=maybe", "inStock"},
		{"includeUniversal=2", "includeUniversal"},
		{"lang=d3", "lang"},
		{"q=" + strings.Repeat("x", 257), "q"},
	} {
		r := e.do("GET", base+tc.query, e.a.Publishable, nil)
		code, msg := r.errCode()
		if r.StatusCode != 400 || code != "bad_parameter" || !strings.Contains(msg, "parameter "+tc.param+":") {
			t.Errorf("GET ?%s: %d %s %q, want 400 naming %s", tc.query, r.StatusCode, code, msg, tc.param)
		}
	}
}

// fakeMatcher matches the catalog parts whose name contains the text, with fixed ranks.
type fakeMatcher struct {
	t      *testing.T
	names  map[uint32]string
	ranks  map[string]uint32 // by name
	within *roaring.Bitmap   // the last restriction asked
}

func (f *fakeMatcher) MatchParts(v *engine.View, text, lang string, within *roaring.Bitmap) (*engine.Matches, error) {
	f.within = within
	var ms []engine.Match
	it := within.Iterator()
	for it.HasNext() {
		p := it.Next()
		if name, ok := f.names[p]; ok && (text == "*" || strings.Contains(strings.ToLower(name), strings.ToLower(text))) {
			ms = append(ms, engine.Match{Part: p, Rank: f.ranks[name]})
		}
	}
	return engine.NewMatches(ms), nil
}

// Without a text index (a snapshot of format 1), q is refused, naming it.
func TestTextQueryWithoutIndex(t *testing.T) {
	e := newEnvWith(t, envOptions{noText: true})
	for _, p := range []string{"/api/t/vehicles/" + v1 + "/parts?q=brake", "/api/t/search?q=brake"} {
		r := e.do("GET", p, e.a.Publishable, nil).want(400)
		if _, msg := r.errCode(); msg != "parameter q: text search is not available: the catalog was loaded without a text index" {
			t.Errorf("GET %s: %q", p, msg)
		}
	}
}

func TestVehiclePartsTextQuery(t *testing.T) {
	f := &fakeMatcher{t: t, names: map[uint32]string{}, ranks: map[string]uint32{"Brake pads": 9, "Air filter": 1}}
	for i, p := range fixtureCatalog(t).Parts {
		f.names[uint32(i)] = p.Name
	}
	e := listingEnv(t, Options{Matcher: f})
	base := "/api/t/vehicles/" + v1 + "/parts?"
	var a listingAnswer
	e.do("GET", base+"q=*", e.a.Publishable, nil).want(200).json(&a)
	if got := a.numbers(); !slices.Equal(got, []string{"EBC-1", "KN-1"}) {
		t.Errorf("q=* (by relevance): %v, want [EBC-1 KN-1]", got)
	}
	// The matcher was asked within the vehicle's candidates only.
	if got := f.within.GetCardinality(); got != 2 {
		t.Errorf("matcher asked within %d parts, want v1's 2", got)
	}
	e.do("GET", base+"q=*&sort=name", e.a.Publishable, nil).want(200).json(&a)
	if got := a.numbers(); !slices.Equal(got, []string{"KN-1", "EBC-1"}) {
		t.Errorf("q=*&sort=name: %v", got)
	}
	e.do("GET", base+"q=brake&facets=brand", e.a.Publishable, nil).want(200).json(&a)
	if got := a.numbers(); !slices.Equal(got, []string{"EBC-1"}) || len(a.Facets["brand"]) != 1 {
		t.Errorf("q=brake: %v facets %+v", got, a.Facets)
	}
	// A cursor belongs to its text query.
	c := cursorOf(t, e, base+"q=*&limit=1")
	e.do("GET", base+"q=*&limit=1&cursor="+url.QueryEscape(c), e.a.Publishable, nil).want(200).json(&a)
	if got := a.numbers(); !slices.Equal(got, []string{"KN-1"}) {
		t.Errorf("q=* page 2: %v", got)
	}
	e.do("GET", base+"q=brake&limit=1&cursor="+url.QueryEscape(c), e.a.Publishable, nil).want(400)
}
