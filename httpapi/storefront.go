package httpapi

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/fitment/fitment/engine"
)

const (
	maxAgeCatalog = 600
	maxAgeConfig  = 300
)

// view returns the calling tenant's view and stamps its catalog version on the answer.
func (s *Server) view(c *fiber.Ctx) (View, error) {
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
func (s *Server) cascadeQuery(c *fiber.Ctx) (f engine.Filter, counts bool, v View, err error) {
	if f.Year, err = queryYear(c); err != nil {
		return
	}
	if f.Type, err = queryType(c); err != nil {
		return
	}
	if counts, err = queryBool(c, "counts"); err != nil {
		return
	}
	f.MakeID = c.Query("makeId")
	v, err = s.view(c)
	return
}

func (s *Server) years(c *fiber.Ctx) error {
	f, counts, v, err := s.cascadeQuery(c)
	if err != nil {
		return err
	}
	f = engine.Filter{Type: f.Type} // years take no other filter
	return sendFromView(c, v, maxAgeCatalog, func() any {
		if counts {
			return nonNil(v.YearCounts(f))
		}
		return nonNil(v.Years(f))
	})
}

func (s *Server) makes(c *fiber.Ctx) error {
	f, counts, v, err := s.cascadeQuery(c)
	if err != nil {
		return err
	}
	f.MakeID = ""
	return sendFromView(c, v, maxAgeCatalog, func() any {
		if counts {
			return nonNil(v.MakeCounts(f))
		}
		return nonNil(v.Makes(f))
	})
}

func (s *Server) models(c *fiber.Ctx) error {
	f, counts, v, err := s.cascadeQuery(c)
	if err != nil {
		return err
	}
	return sendFromView(c, v, maxAgeCatalog, func() any {
		if counts {
			return nonNil(v.ModelCounts(f))
		}
		return nonNil(v.Models(f))
	})
}

func (s *Server) vehicles(c *fiber.Ctx) error {
	modelID := c.Query("modelId")
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
	return sendFromView(c, v, maxAgeCatalog, func() any {
		return nonNil(v.Vehicles(engine.Filter{ModelID: modelID, Year: year, Type: typ}))
	})
}

func (s *Server) parts(c *fiber.Ctx) error {
	vehicleID := c.Query("vehicleId")
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
	items, total, err := v.Parts(vehicleID, engine.PartsQuery{Limit: limit, Offset: offset, Lang: lg, IncludeUniversal: universal})
	if err != nil {
		return err
	}
	items = nonNil(items)
	for i := range items {
		items[i].Fitments = nonNil(items[i].Fitments)
	}
	c.Set("X-Total-Count", strconv.Itoa(total))
	return sendCacheable(c, items, maxAgeCatalog)
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
	d, err := v.Part(pn, lg)
	if err != nil {
		return err
	}
	if d == nil {
		return errorf(http.StatusNotFound, "not_found", "part %s is not in this catalog", pn)
	}
	out := *d
	out.Images = nonNil(out.Images)
	out.OEMNumbers = nonNil(out.OEMNumbers)
	out.CategoryPath = nonNil(out.CategoryPath)
	return sendCacheable(c, &out, maxAgeCatalog)
}

func (s *Server) categories(c *fiber.Ctx) error {
	v, err := s.view(c)
	if err != nil {
		return err
	}
	return sendFromView(c, v, maxAgeCatalog, func() any { return nonNil(v.Categories()) })
}

// config is the tenant's public storefront config; it does not need a catalog.
func (s *Server) config(c *fiber.Ctx) error {
	cfg, ok := s.store.Config(tenantID(c))
	if !ok {
		return errorf(http.StatusNotFound, "not_found", "tenant not found")
	}
	return sendCacheable(c, withDefaults(cfg), maxAgeConfig)
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
