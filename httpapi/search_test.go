package httpapi

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/fitment/fitment/engine"
)

type searchAnswer struct {
	listingAnswer
	Query   string                 `json:"query"`
	Vehicle *engine.VehicleMention `json:"vehicle"`
}

// TestSearch: the tenant's visible parts by text, number and alias, in a vehicle named by
// id or in q, with its own parts at once; cursors page through; bad input names its
// parameter.
func TestSearch(t *testing.T) {
	e := newEnv(t) // tenant a sees EBC: EBC-1 Brake pads (Can-Am), EBC-2 Brake disc (YFZ450R)
	e.do("POST", "/api/integrations/price-feed", e.a.Secret, `[{"partNumber":"EBC-1","price":20},{"partNumber":"EBC-2","price":10}]`).want(200)
	get := func(q string) searchAnswer {
		t.Helper()
		var a searchAnswer
		e.do("GET", "/api/t/search?"+q, e.a.Publishable, nil).want(200).json(&a)
		return a
	}
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"q=brake", []string{"EBC-1", "EBC-2"}}, // equal rank: part number order
		{"q=brake+pads", []string{"EBC-1"}},
		{"q=braek+pads", []string{"EBC-1"}}, // a typo
		{"q=ebc1", []string{"EBC-1"}},       // a number without its separator
		{"q=EBC+-+2", []string{"EBC-2"}},
		{"q=air+filter", nil}, // K&N is not tenant a's
		{"q=brake&vehicleId=" + url.QueryEscape(v1), []string{"EBC-1"}},
		{"q=brake&sort=-price", []string{"EBC-1", "EBC-2"}},
		{"q=brake&sort=price", []string{"EBC-2", "EBC-1"}},
		{"q=brake&sort=name", []string{"EBC-2", "EBC-1"}}, // Brake disc, Brake pads
	} {
		a := get(tc.q)
		if got := a.numbers(); !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
			t.Errorf("search %s: %v, want %v", tc.q, got, tc.want)
		}
		if a.Vehicle != nil {
			t.Errorf("search %s read a vehicle: %+v", tc.q, a.Vehicle)
		}
	}
	// A vehicle named in q restricts the search to it, and the answer says so.
	a := get("q=brake+yfz450r+2019")
	if got := a.numbers(); !slices.Equal(got, []string{"EBC-2"}) || a.Vehicle == nil || a.Vehicle.Vehicle.Model != "YFZ450R" || a.Query != "brake" {
		t.Errorf("brake yfz450r 2019: %v query %q vehicle %+v", got, a.Query, a.Vehicle)
	}
	// An alias names its part first; an own part is found the moment it is written.
	e.do("PUT", "/api/app/aliases", e.a.Secret, `[{"alias":"POS-77","partNumber":"EBC-2"}]`).want(200)
	e.do("POST", "/api/app/tenant-parts", e.a.Secret, `[{"partNumber":"OWN-5","brand":"House","name":"Brake lever","universal":true}]`).want(200)
	if got := get("q=pos-77").numbers(); !slices.Equal(got, []string{"EBC-2"}) {
		t.Errorf("alias: %v", got)
	}
	if got := get("q=brake&facets=brand").numbers(); !slices.Equal(got, []string{"EBC-1", "EBC-2", "OWN-5"}) {
		t.Errorf("with the own part: %v", got)
	}
	if a := get("q=lever"); !slices.Equal(a.numbers(), []string{"OWN-5"}) {
		t.Errorf("own part by name: %v", a.numbers())
	}
	// Pages by cursor.
	var pages []string
	path := "/api/t/search?q=brake&limit=1"
	for cursor := ""; ; {
		var a searchAnswer
		e.do("GET", path+"&cursor="+url.QueryEscape(cursor), e.a.Publishable, nil).want(200).json(&a)
		pages = append(pages, a.numbers()...)
		if a.NextCursor == nil {
			break
		}
		cursor = *a.NextCursor
	}
	if !slices.Equal(pages, []string{"EBC-1", "EBC-2", "OWN-5"}) {
		t.Errorf("pages of 1: %v", pages)
	}
	c := cursorOf(t, e, path)
	e.do("GET", "/api/t/search?q=disc&limit=1&cursor="+url.QueryEscape(c), e.a.Publishable, nil).want(400)
	// The other tenant finds none of it.
	var b searchAnswer
	e.do("GET", "/api/t/search?q=lever", e.b.Publishable, nil).want(200).json(&b)
	if len(b.Items) != 0 {
		t.Errorf("tenant b found a's own part: %v", b.numbers())
	}
	e.do("GET", "/api/t/search?q=pos-77", e.b.Publishable, nil).want(200).json(&b)
	if len(b.Items) != 0 {
		t.Errorf("tenant b found a's alias: %v", b.numbers())
	}
	for q, msg := range map[string]string{
		"":                              "parameter q: is required",
		"q=+":                           "parameter q: is required",
		"q=" + strings.Repeat("x", 257): "parameter q: is longer than 256 bytes",
		"q=brake&sort=cheap":            `parameter sort: "cheap" is not one of relevance, name, price, -price`,
		"q=brake&limit=501":             "parameter limit: 501 is out of range 1..500",
	} {
		if _, m := e.do("GET", "/api/t/search?"+q, e.a.Publishable, nil).want(400).errCode(); m != msg {
			t.Errorf("GET /api/t/search?%.30s: %q, want %q", q, m, msg)
		}
	}
}
