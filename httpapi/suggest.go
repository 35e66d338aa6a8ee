package httpapi

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/fitment/fitment/engine"
)

const (
	defaultSuggest  = 5
	maxSuggestQuery = 200 // bytes: a search box, not a document
	maxAgeSuggest   = 60  // seconds: the browser may keep a keystroke's answer this long
)

// suggest answers type-ahead (GET /api/t/suggest): completions of q from the part names,
// categories, brands, makes and models, and part numbers the tenant sees, and its own
// parts. Computed per request (a few microseconds) rather than kept in the answer cache,
// which every keystroke would fill with a new key.
func (s *Server) suggest(c *fiber.Ctx) error {
	q := c.Query("q")
	switch {
	case strings.TrimSpace(q) == "":
		return badParam("q", "is required")
	case len(q) > maxSuggestQuery:
		return badParam("q", "is longer than %d bytes", maxSuggestQuery)
	}
	limit, ok, err := queryInt(c, "limit", 1, engine.MaxSuggest)
	if err != nil {
		return err
	}
	if !ok {
		limit = defaultSuggest
	}
	lg, err := lang(c)
	if err != nil {
		return err
	}
	v, err := s.view(c)
	if err != nil {
		return err
	}
	return s.sendCacheable(c, v.Suggest(q, lg, limit), publicFor(maxAgeSuggest))
}
