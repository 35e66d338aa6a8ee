package httpapi

import (
	"errors"
	"slices"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/gofiber/fiber/v2"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/snapshot"
)

// maxCursorLen bounds the cursor parameter (a name and a part number, base64; the whole
// request line must fit fasthttp's 4 KiB read buffer anyway).
const maxCursorLen = 2048

// vehicleParts is GET /api/t/vehicles/:id/parts: the vehicle's visible parts filtered,
// faceted, sorted and paged by cursor (engine.View.List), rendered from pre-encoded
// fragments and kept per (visibility, offers) of the tenant like GET /api/t/parts.
//
// q needs the text index: the handler asks Options.Matcher (by default the index loaded
// with the catalog) for the matches within the vehicle's candidates, and the engine lists
// those, by relevance unless another sort is asked for.
func (s *Server) vehicleParts(c *fiber.Ctx) error {
	id, err := pathParam(c, "id")
	if err != nil {
		return err
	}
	q, text, err := listParams(c)
	if err != nil {
		return err
	}
	q.VehicleID = cleanParam(id)
	q.Scope = text
	v, err := s.view(c)
	if err != nil {
		return err
	}
	key := newKey("vehicle-parts", tenantID(c)).num(v.VisibilityGen()).num(v.OffersGen())
	if text != "" {
		key.num(v.Gen()).str(text) // matches read aliases too, which only the view's generation names
	}
	listKey(key, q)
	return s.serveAnswer(c, key.String(), maxAgeCatalog, func() ([]byte, int, error) {
		page, err := s.list(v, q, text)
		if err != nil {
			return nil, 0, err
		}
		return page.AppendJSON(make([]byte, 0, 512+min(q.Limit, page.Total)*320)), page.Total, nil
	})
}

// listParams reads the parameters a listing and a search share: category, brand, inStock,
// includeUniversal, sort, limit, cursor, facets, lang, and the text query q (trimmed).
func listParams(c *fiber.Ctx) (q engine.ListQuery, text string, err error) {
	if q.Categories, err = queryValues(c, "category"); err != nil {
		return q, "", err
	}
	if q.Brands, err = queryValues(c, "brand"); err != nil {
		return q, "", err
	}
	if q.InStock, err = queryBool(c, "inStock"); err != nil {
		return q, "", err
	}
	if q.IncludeUniversal, err = queryBool(c, "includeUniversal"); err != nil {
		return q, "", err
	}
	sortBy, ok := engine.ParseListSort(c.Query("sort"))
	if !ok {
		return q, "", badParam("sort", "%q is not one of relevance, name, price, -price", c.Query("sort"))
	}
	q.Sort = sortBy
	if q.Limit, err = limitParam(c, engine.DefaultListLimit, engine.MaxListLimit); err != nil {
		return q, "", err
	}
	if q.Cursor = cleanParam(c.Query("cursor")); len(q.Cursor) > maxCursorLen {
		return q, "", badParam("cursor", "is not a cursor this API gave out")
	}
	if q.Facets, err = facetsParam(c); err != nil {
		return q, "", err
	}
	if q.Lang, err = lang(c); err != nil {
		return q, "", err
	}
	text = cleanParam(strings.TrimSpace(c.Query("q")))
	switch {
	case len(text) > maxTextQuery:
		return q, "", badParam("q", "is longer than %d bytes", maxTextQuery)
	case text == "" && sortBy == engine.SortRelevance:
		return q, "", badParam("sort", "relevance needs a text query (q)")
	}
	return q, text, nil
}

// maxTextQuery bounds q: a search box, not a document.
const maxTextQuery = 256

// listKey adds a listing's parameters to an answer's cache key.
func listKey(key *keyBuilder, q engine.ListQuery) {
	key.str(q.VehicleID).strs(normalised(q.Categories, strings.TrimSpace)).strs(normalised(q.Brands, snapshot.Key)).
		bool(q.InStock).bool(q.IncludeUniversal).str(q.Sort.String()).int(q.Limit).str(q.Cursor).int(int(q.Facets)).str(q.Lang).str(q.Scope)
}

// list runs a listing, restricted to the matches of text when there is one: the matcher
// is asked within the listing's candidates only, so the text query is restricted inside.
func (s *Server) list(v *engine.View, q engine.ListQuery, text string) (*engine.ListPage, error) {
	if text != "" {
		within, err := v.Candidates(q.VehicleID, q.IncludeUniversal)
		if err != nil {
			return nil, err
		}
		if q.Matches, err = s.opts.Matcher.MatchParts(v, text, q.Lang, within); err != nil {
			if errors.Is(err, engine.ErrNoTextIndex) {
				return nil, badParam("q", "%v", err)
			}
			return nil, err
		}
	}
	return v.List(q)
}

// viewMatcher is the default PartMatcher: the text index loaded with the catalog
// (engine.View.MatchParts).
type viewMatcher struct{}

func (viewMatcher) MatchParts(v *engine.View, text, lang string, within *roaring.Bitmap) (*engine.Matches, error) {
	return v.MatchParts(text, lang, within)
}

// queryValues reads a parameter that may be repeated (brand=EBC&brand=K%26N), dropping
// empty values.
func queryValues(c *fiber.Ctx, name string) ([]string, error) {
	var out []string
	for _, b := range c.Context().QueryArgs().PeekMulti(name) {
		if s := cleanParam(strings.TrimSpace(string(b))); s != "" {
			out = append(out, s)
		}
	}
	if len(out) > 100 {
		return nil, badParam(name, "is given %d times; at most 100", len(out))
	}
	return out, nil
}

// facetsParam reads facets=category,brand.
func facetsParam(c *fiber.Ctx) (engine.FacetSet, error) {
	var f engine.FacetSet
	for _, name := range strings.Split(c.Query("facets"), ",") {
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "":
		case "category":
			f |= engine.FacetCategory
		case "brand":
			f |= engine.FacetBrand
		default:
			return 0, badParam("facets", "%q is not one of category, brand", strings.TrimSpace(name))
		}
	}
	return f, nil
}

// normalised is values in their comparison form, sorted and without repeats: what a
// cache key holds of a set-valued parameter.
func normalised(values []string, norm func(string) string) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = norm(v)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// strs adds a list of values (count first, so that lists of different lengths differ).
func (k *keyBuilder) strs(values []string) *keyBuilder {
	k.int(len(values))
	for _, v := range values {
		k.str(v)
	}
	return k
}
