package httpapi

import (
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/fitment/fitment/engine"
)

// One vehicle by id, and vehicle recognition: free text → the vehicles it names. Both
// read only the tenant's visibility (its own vehicles included), so their answers are kept
// under the visibility generation: a price or stock feed keeps them.

const (
	maxResolveLimit = 50
	maxResolveQuery = 200 // characters
)

// vehicle is GET /api/t/vehicles/:id: a vehicle the tenant can see, the catalog's or its own.
func (s *Server) vehicle(c *fiber.Ctx) error {
	id, err := pathParam(c, "id")
	if err != nil {
		return err
	}
	v, err := s.view(c)
	if err != nil {
		return err
	}
	key := newKey("vehicle", tenantID(c)).num(v.VisibilityGen()).str(cleanParam(id)).String()
	return s.serveAnswer(c, key, maxAgeCatalog, renderJSON(func() (any, error) {
		info, err := v.Vehicle(id)
		if err != nil {
			return nil, err
		}
		return info, nil
	}))
}

// resolveVehicles is GET /api/t/vehicles/resolve?q=&limit=: the vehicles the text names,
// best first, each with its score.
func (s *Server) resolveVehicles(c *fiber.Ctx) error {
	q := strings.TrimSpace(c.Query("q"))
	switch {
	case q == "":
		return badParam("q", "is required")
	case !utf8.ValidString(q):
		return badParam("q", "is not valid UTF-8")
	case utf8.RuneCountInString(q) > maxResolveQuery:
		return badParam("q", "is longer than %d characters", maxResolveQuery)
	}
	limit, ok, err := queryInt(c, "limit", 1, maxResolveLimit)
	if err != nil {
		return err
	}
	if !ok {
		limit = engine.DefaultResolveLimit
	}
	v, err := s.view(c)
	if err != nil {
		return err
	}
	q = strings.Clone(q) // fiber's value lives in the request buffer
	// The recogniser folds case and reads words between spaces, so queries that differ only
	// so share one answer.
	norm := strings.ToLower(strings.Join(strings.Fields(q), " "))
	key := newKey("resolve", tenantID(c)).num(v.VisibilityGen()).str(cleanParam(norm)).int(limit).String()
	return s.serveAnswer(c, key, maxAgeCatalog, renderJSON(func() (any, error) {
		return nonNil(v.ResolveVehicles(q, limit)), nil
	}))
}
