package httpapi

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/fitment/fitment/engine"
)

const (
	maxAgeCatalog = 600
	maxAgeConfig  = 300
)

// view returns the calling tenant's view and stamps its catalog version on the answer.
func (s *Server) view(c *fiber.Ctx) (*engine.View, error) {
	v, err := s.eng.View(tenantID(c))
	if err != nil {
		return nil, err
	}
	c.Set("X-Catalog-Version", v.Version())
	return v, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// cascadeQuery reads what years, makes and models share: the year and type filters, the
// make filter, counts=true, and the tenant's view.
func (s *Server) cascadeQuery(c *fiber.Ctx) (f engine.Filter, counts bool, v *engine.View, err error) {
	if f.Year, err = queryYear(c); err != nil {
		return
	}
	if f.Type, err = queryType(c); err != nil {
		return
	}
	if counts, err = queryBool(c, "counts"); err != nil {
		return
	}
	f.MakeID = cleanParam(c.Query("makeId"))
	v, err = s.view(c)
	return
}

// cascadeKey is the cache key of a cascade answer: it depends on the tenant's visibility
// alone, so price and stock changes keep it.
func cascadeKey(route string, c *fiber.Ctx, v *engine.View, f engine.Filter, counts bool) string {
	return newKey(route, tenantID(c)).num(v.VisibilityGen()).int(f.Year).str(f.Type).str(f.MakeID).
		str(f.ModelID).bool(counts).String()
}

func (s *Server) years(c *fiber.Ctx) error {
	f, counts, v, err := s.cascadeQuery(c)
	if err != nil {
		return err
	}
	f = engine.Filter{Type: f.Type} // years take no other filter
	return s.serveAnswer(c, cascadeKey("years", c, v, f, counts), maxAgeCatalog, renderJSON(func() (any, error) {
		if counts {
			return nonNil(v.YearCounts(f)), nil
		}
		return nonNil(v.Years(f)), nil
	}))
}

func (s *Server) makes(c *fiber.Ctx) error {
	f, counts, v, err := s.cascadeQuery(c)
	if err != nil {
		return err
	}
	f.MakeID = ""
	return s.serveAnswer(c, cascadeKey("makes", c, v, f, counts), maxAgeCatalog, renderJSON(func() (any, error) {
		if counts {
			return nonNil(v.MakeCounts(f)), nil
		}
		return nonNil(v.Makes(f)), nil
	}))
}

func (s *Server) models(c *fiber.Ctx) error {
	f, counts, v, err := s.cascadeQuery(c)
	if err != nil {
		return err
	}
	return s.serveAnswer(c, cascadeKey("models", c, v, f, counts), maxAgeCatalog, renderJSON(func() (any, error) {
		if counts {
			return nonNil(v.ModelCounts(f)), nil
		}
		return nonNil(v.Models(f)), nil
	}))
}

func (s *Server) vehicles(c *fiber.Ctx) error {
	modelID := cleanParam(c.Query("modelId"))
	if modelID == "" {
		return badParam("modelId", "is required")
	}
	year, err := queryYear(c)
	if err != nil {
		return err
	}
	typ, err := queryType(c)
	if err != nil {
		return err
	}
	v, err := s.view(c)
	if err != nil {
		return err
	}
	f := engine.Filter{ModelID: modelID, Year: year, Type: typ}
	return s.serveAnswer(c, cascadeKey("vehicles", c, v, f, false), maxAgeCatalog, renderJSON(func() (any, error) {
		return nonNil(v.Vehicles(f)), nil
	}))
}

// parts is GET /api/t/parts?vehicleId= [compat]: rendered by the engine from pre-encoded
// fragments, kept per (visibility, offers) of the tenant.
func (s *Server) parts(c *fiber.Ctx) error {
	vehicleID := cleanParam(c.Query("vehicleId"))
	if vehicleID == "" {
		return badParam("vehicleId", "is required")
	}
	limit, _, err := queryInt(c, "limit", 1, maxLimit)
	if err != nil {
		return err
	}
	offset, _, err := queryInt(c, "offset", 0, 1<<31-1)
	if err != nil {
		return err
	}
	lg, err := lang(c)
	if err != nil {
		return err
	}
	universal, err := queryBool(c, "includeUniversal")
	if err != nil {
		return err
	}
	v, err := s.view(c)
	if err != nil {
		return err
	}
	q := engine.PartsQuery{Limit: limit, Offset: offset, Lang: lg, IncludeUniversal: universal}
	key := newKey("parts", tenantID(c)).num(v.VisibilityGen()).num(v.OffersGen()).str(vehicleID).
		int(limit).int(offset).str(lg).bool(universal).String()
	return s.serveAnswer(c, key, maxAgeCatalog, func() ([]byte, int, error) {
		return v.AppendParts(nil, vehicleID, q)
	})
}

func (s *Server) part(c *fiber.Ctx) error {
	pn, err := url.PathUnescape(c.Params("partNumber"))
	if err != nil {
		return badParam("partNumber", "is not validly URL-encoded")
	}
	lg, err := lang(c)
	if err != nil {
		return err
	}
	v, err := s.view(c)
	if err != nil {
		return err
	}
	key := newKey("part", tenantID(c)).num(v.Gen()).str(cleanParam(strings.ToLower(strings.TrimSpace(pn)))).str(lg).String()
	return s.serveAnswer(c, key, maxAgeCatalog, renderJSON(func() (any, error) {
		d, err := v.Part(pn, lg)
		if err != nil {
			return nil, err
		}
		out := *d
		out.Images = nonNil(out.Images)
		out.OEMNumbers = nonNil(out.OEMNumbers)
		out.CategoryPath = nonNil(out.CategoryPath)
		return &out, nil
	}))
}

func (s *Server) categories(c *fiber.Ctx) error {
	v, err := s.view(c)
	if err != nil {
		return err
	}
	key := newKey("categories", tenantID(c)).num(v.VisibilityGen()).String()
	return s.serveAnswer(c, key, maxAgeCatalog, renderJSON(func() (any, error) { return nonNil(v.Categories()), nil }))
}

// config is the tenant's public storefront config; it does not need a catalog.
func (s *Server) config(c *fiber.Ctx) error {
	cfg, ok := s.store.Config(tenantID(c))
	if !ok {
		return errorf(http.StatusNotFound, "not_found", "tenant not found")
	}
	return s.sendCacheable(c, withDefaults(cfg), publicFor(maxAgeConfig))
}

// withDefaults adds the keys the storefront always expects ("" when unset).
func withDefaults(cfg map[string]string) map[string]string {
	out := make(map[string]string, len(cfg)+1)
	out["mapboxToken"] = ""
	for k, v := range cfg {
		out[k] = v
	}
	return out
}
