package httpapi

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/tenant"
)

// Subscription is one brand subscription with its catalog part count.
type Subscription struct {
	Brand string `json:"brand"`
	Parts int    `json:"parts"`
}

// needCatalog fails with 503 until a catalog is loaded: writes validate against it.
func (s *Server) needCatalog(c *fiber.Ctx) error {
	if s.eng.Version() == "" {
		return engine.ErrNoCatalog
	}
	return nil
}

func brandParam(c *fiber.Ctx) (string, error) {
	b, err := url.PathUnescape(c.Params("brand"))
	if err != nil || strings.TrimSpace(b) == "" {
		return "", badParam("brand", "is empty or not validly URL-encoded")
	}
	return strings.TrimSpace(b), nil
}

func (s *Server) listSubscriptions(c *fiber.Ctx) error {
	if err := s.needCatalog(c); err != nil {
		return err
	}
	brands := s.store.Subscriptions(tenantID(c))
	out := make([]Subscription, 0, len(brands))
	for _, b := range brands {
		if name, n, ok := s.eng.Brand(b); ok {
			out = append(out, Subscription{Brand: name, Parts: n})
		} else {
			out = append(out, Subscription{Brand: b}) // a brand that left the catalog
		}
	}
	return sendJSON(c, http.StatusOK, out)
}

func (s *Server) subscribe(c *fiber.Ctx) error {
	brand, err := brandParam(c)
	if err != nil {
		return err
	}
	if err := s.needCatalog(c); err != nil {
		return err
	}
	name, n, ok := s.eng.Brand(brand)
	if !ok {
		return errorf(http.StatusNotFound, "not_found", "brand %s is not in the catalog", brand)
	}
	id := tenantID(c)
	s.wmu.Lock()
	ch, err := s.store.Subscribe(id, name) // the catalog's spelling, whatever the caller typed
	if err == nil {
		s.eng.UpdateTenant(id, ch)
	}
	s.wmu.Unlock()
	if err != nil {
		return err
	}
	return sendJSON(c, http.StatusOK, Subscription{Brand: name, Parts: n})
}

func (s *Server) unsubscribe(c *fiber.Ctx) error {
	brand, err := brandParam(c)
	if err != nil {
		return err
	}
	if err := s.needCatalog(c); err != nil {
		return err
	}
	id := tenantID(c)
	// A brand that left the catalog can still be unsubscribed.
	if _, _, ok := s.eng.Brand(brand); !ok && !s.store.Subscribed(id, brand) {
		return errorf(http.StatusNotFound, "not_found", "brand %s is not in the catalog", brand)
	}
	s.wmu.Lock()
	ch, err := s.store.Unsubscribe(id, brand)
	if err == nil {
		s.eng.UpdateTenant(id, ch)
	}
	s.wmu.Unlock()
	if err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// RowError is a rejected row of a bulk write. Row counts from 1.
type RowError struct {
	Row        int    `json:"row"`
	PartNumber string `json:"partNumber"`
	Reason     string `json:"reason"`
}

// BulkResult answers a bulk write.
type BulkResult struct {
	Updated  int        `json:"updated"`
	NotFound []string   `json:"notFound"`
	Rejected []RowError `json:"rejected"`
}

// catalogItems upserts [{"partNumber", "active", "price", "stock"}]. A missing field keeps
// its current value; an explicit null price or stock clears it. Rows are validated one by
// one; the accepted ones are written in one transaction.
func (s *Server) catalogItems(c *fiber.Ctx) error {
	var rows []json.RawMessage
	if err := readJSON(c, s.opts.BodyLimit, &rows); err != nil {
		return err
	}
	if err := s.needCatalog(c); err != nil {
		return err
	}
	res := BulkResult{NotFound: []string{}, Rejected: []RowError{}}
	ups := make([]tenant.ItemUpdate, 0, len(rows))
	for i, raw := range rows {
		u, pn, reason := s.parseItem(raw)
		switch {
		case reason != "":
			res.Rejected = append(res.Rejected, RowError{Row: i + 1, PartNumber: pn, Reason: reason})
		case u == nil:
			res.NotFound = append(res.NotFound, pn)
		default:
			ups = append(ups, *u)
		}
	}
	if len(ups) > 0 {
		id := tenantID(c)
		s.wmu.Lock()
		ch, err := s.store.UpdateItems(id, ups)
		if err == nil {
			s.eng.UpdateTenant(id, ch)
		}
		s.wmu.Unlock()
		if err != nil {
			return err
		}
	}
	res.Updated = len(ups)
	return sendJSON(c, http.StatusOK, res)
}

const (
	maxPrice = 1e12
	maxStock = 1e15
)

// parseItem validates one row. It returns the update, or nil for a part the catalog does
// not know, or a reason to reject the row.
func (s *Server) parseItem(raw json.RawMessage) (u *tenant.ItemUpdate, pn, reason string) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, "", "row is not a JSON object"
	}
	if err := json.Unmarshal(m["partNumber"], &pn); err != nil || strings.TrimSpace(pn) == "" {
		return nil, "", "missing partNumber"
	}
	pn = strings.TrimSpace(pn)
	var up tenant.ItemUpdate
	if v, ok := m["active"]; ok {
		up.SetActive = true // null: no longer set, the part follows its brand subscription
		if !isNull(v) {
			var a bool
			if err := json.Unmarshal(v, &a); err != nil {
				return nil, pn, "active must be true, false or null"
			}
			up.Active = &a
		}
	}
	if v, ok := m["price"]; ok {
		up.SetPrice = true
		if !isNull(v) {
			var f float64
			if err := json.Unmarshal(v, &f); err != nil {
				return nil, pn, "price must be a number or null"
			}
			switch {
			case f < 0:
				return nil, pn, "negative price"
			case f > maxPrice:
				return nil, pn, "price too large"
			}
			f = math.Round(f*100) / 100 // two decimals
			up.Price = &f
		}
	}
	if v, ok := m["stock"]; ok {
		up.SetStock = true
		if !isNull(v) {
			var f float64
			if err := json.Unmarshal(v, &f); err != nil {
				return nil, pn, "stock must be a number or null"
			}
			switch {
			case f < 0:
				return nil, pn, "negative stock"
			case f > maxStock:
				return nil, pn, "stock too large"
			}
			n := int64(math.Floor(f))
			up.Stock = &n
		}
	}
	canonical, ok := s.eng.PartNumber(pn)
	if !ok {
		return nil, pn, ""
	}
	up.PartNumber = canonical
	return &up, pn, ""
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

func (s *Server) appConfig(c *fiber.Ctx) error {
	cfg, ok := s.store.Config(tenantID(c))
	if !ok {
		return errorf(http.StatusNotFound, "not_found", "tenant not found")
	}
	return sendJSON(c, http.StatusOK, withDefaults(cfg))
}

// putConfig merges a flat object into the tenant's public config: a string sets a key,
// null deletes it. It answers the resulting config.
func (s *Server) putConfig(c *fiber.Ctx) error {
	var body map[string]json.RawMessage
	if err := readJSON(c, s.opts.BodyLimit, &body); err != nil {
		return err
	}
	if body == nil {
		return errorf(http.StatusBadRequest, "bad_body", "body must be a JSON object")
	}
	set := make(map[string]*string, len(body))
	for k, v := range body {
		if !tenant.ValidConfigKey(k) {
			return badParam(k, "is not a valid config key")
		}
		if isNull(v) {
			set[k] = nil
			continue
		}
		var str string
		if err := json.Unmarshal(v, &str); err != nil {
			return badParam(k, "must be a string or null")
		}
		if len(str) > 4096 {
			return badParam(k, "is longer than 4096 bytes")
		}
		set[k] = &str
	}
	cfg, err := s.store.SetConfig(tenantID(c), set)
	if err != nil {
		return err
	}
	return sendJSON(c, http.StatusOK, withDefaults(cfg))
}
