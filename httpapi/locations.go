package httpapi

import (
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/snapshot"
)

// Locations (a tenant's stores and dealers), their stock, and the storefront's dealer map
// and "find it nearby" locator.

const (
	maxCodeLen      = 64
	maxLocationText = 256
	maxAgeDealers   = 300
	defaultNearby   = 10
	maxNearby       = 100
)

// KeyedRowError is a rejected row of a bulk write whose rows are not parts: Key is the
// row's code (a location) or natural key (a vehicle), "" when the row has none.
type KeyedRowError struct {
	Row    int    `json:"row"`
	Key    string `json:"key"`
	Reason string `json:"reason"`
}

// UpsertResult answers a bulk upsert of rows that are not parts.
type UpsertResult struct {
	Updated  int             `json:"updated"`
	Rejected []KeyedRowError `json:"rejected"`
}

var locationFields = []field{
	{"code", true}, {"name", true}, {"address", false}, {"city", false}, {"postalCode", false}, {"country", false},
	{"phone", false}, {"website", false}, {"lat", false}, {"lng", false}, {"active", false}, {"linkedTenantId", false},
}

// putLocations is PUT /api/app/locations: upserts by code. A row is the whole location:
// a field left out is empty, and active defaults to true.
func (s *Server) putLocations(c *fiber.Ctx) error {
	rows, err := readRows(c, s.opts.BodyLimit, locationFields)
	if err != nil {
		return err
	}
	if err := s.needCatalog(); err != nil {
		return err
	}
	self := tenantID(c)
	res := UpsertResult{Rejected: []KeyedRowError{}}
	var puts []engine.Location
	rows.eachRow(func(_ int, row []cell) (string, string) {
		code, reason := partNumberCell(row[0], "code")
		if reason == "" {
			reason = validLabel(code, "code", maxCodeLen)
		}
		if reason != "" {
			return code, reason
		}
		l := engine.Location{Code: code, Active: true}
		for _, f := range []struct {
			dst *string
			col int
		}{{&l.Name, 1}, {&l.Address, 2}, {&l.City, 3}, {&l.PostalCode, 4}, {&l.Country, 5}, {&l.Phone, 6}, {&l.Website, 7}, {&l.LinkedTenantID, 11}} {
			if *f.dst, reason = textCell(row[f.col], locationFields[f.col].name, maxLocationText); reason != "" {
				return code, reason
			}
		}
		if l.Name == "" {
			return code, "missing name"
		}
		if l.Lat, reason = floatCell(row[8], "lat", -90, 90); reason != "" {
			return code, reason
		}
		if l.Lng, reason = floatCell(row[9], "lng", -180, 180); reason != "" {
			return code, reason
		}
		if (l.Lat == nil) != (l.Lng == nil) {
			return code, "lat and lng go together: give both or neither"
		}
		if row[10].kind != cellAbsent {
			on, null, reason := boolCell(row[10], "active")
			if reason != "" || null {
				return code, "active must be true or false"
			}
			l.Active = on
		}
		switch linked := l.LinkedTenantID; {
		case linked == "":
		case linked == self:
			return code, "linkedTenantId names this tenant: a location of its own needs no link"
		default:
			if _, ok := s.store.Get(linked); !ok {
				return code, "linkedTenantId " + linked + " is not a tenant"
			}
		}
		puts = append(puts, l)
		return code, ""
	}, func(row int, code, reason string) {
		res.Rejected = append(res.Rejected, KeyedRowError{Row: row, Key: code, Reason: reason})
	})
	if len(puts) > 0 {
		out, seq, err := s.store.Write(self, engine.Change{PutLocations: puts})
		if err != nil {
			return err
		}
		res.Updated = out.LocationsPut
		setSeq(c, seq)
	}
	return sendJSON(c, http.StatusOK, res)
}

// listLocations is GET /api/app/locations, in code order.
func (s *Server) listLocations(c *fiber.Ctx) error {
	limit, after, v, err := s.listQuery(c)
	if err != nil {
		return err
	}
	byCode := func(l *engine.Location) string { return snapshot.Key(l.Code) }
	return sendJSON(c, http.StatusOK, pageOf(v.Locations(), byCode, after, limit))
}

// deleteLocation is DELETE /api/app/locations/:code; the location's stock goes with it.
func (s *Server) deleteLocation(c *fiber.Ctx) error {
	code, err := pathParam(c, "code")
	if err != nil {
		return err
	}
	if err := s.needCatalog(); err != nil {
		return err
	}
	out, seq, err := s.store.Write(tenantID(c), engine.Change{DeleteLocations: []string{code}})
	if err != nil {
		return err
	}
	if out.LocationsDeleted == 0 {
		return errorf(http.StatusNotFound, "not_found", "location %s is not one of this tenant's locations", code)
	}
	setSeq(c, seq)
	c.Status(http.StatusNoContent)
	return nil
}

// listLocationStock is GET /api/app/locations/:code/stock: the stock recorded there.
func (s *Server) listLocationStock(c *fiber.Ctx) error {
	code, err := pathParam(c, "code")
	if err != nil {
		return err
	}
	limit, after, v, err := s.listQuery(c)
	if err != nil {
		return err
	}
	items, more, ok := v.LocationStockItems(code, after, limit)
	if !ok {
		return errorf(http.StatusNotFound, "not_found", "location %s is not one of this tenant's locations", code)
	}
	page := Page[engine.StockItem]{Items: items}
	if len(items) > 0 {
		page.NextCursor = nextCursor(more, items[len(items)-1].PartNumber)
	}
	return sendJSON(c, http.StatusOK, page)
}

// dealers is GET /api/t/dealers [compat]: the active locations, by country then name.
func (s *Server) dealers(c *fiber.Ctx) error {
	v, err := s.view(c)
	if err != nil {
		return err
	}
	key := newKey("dealers", tenantID(c)).num(v.LocationsGen()).String()
	return s.serveAnswer(c, key, maxAgeDealers, renderJSON(func() (any, error) { return v.Dealers(), nil }))
}

// locationStockFeed is POST /api/integrations/location-stock-feed: rows of location code,
// part number and stock, with the stock feed's formats and rules. ?mode=replace makes it
// a full sync of every location it names.
func (s *Server) locationStockFeed(c *fiber.Ctx) error {
	replace, err := modeParam(c, true)
	if err != nil {
		return err
	}
	rows, err := readRows(c, s.opts.BodyLimit, []field{{"location", true}, {"partNumber", true}, {"stock", true}})
	if err != nil {
		return err
	}
	if err := s.needCatalog(); err != nil {
		return err
	}
	res := newBulkResult()
	var ups, keep []engine.LocationStockUpdate
	var rowOf []int
	rowLoc := "" // the location of the row being read, for its rejection
	rows.eachRow(func(i int, row []cell) (string, string) {
		pn, reason := partNumberCell(row[1], "partNumber")
		if reason != "" {
			return pn, reason
		}
		loc, reason := partNumberCell(row[0], "location")
		if reason != "" {
			return pn, reason
		}
		rowLoc = loc
		n, clear, reason := stockCell(row[2], engine.MaxStock)
		if reason != "" {
			keep = append(keep, engine.LocationStockUpdate{Location: loc, Ref: pn}) // a full sync keeps it
			return pn, reason
		}
		if clear {
			n = -1
		}
		ups = append(ups, engine.LocationStockUpdate{Location: loc, Ref: pn, SetStock: true, Stock: n})
		rowOf = append(rowOf, i)
		return pn, ""
	}, func(row int, pn, reason string) {
		res.Rejected = append(res.Rejected, RowError{Row: row, PartNumber: pn, Location: rowLoc, Reason: reason})
		rowLoc = ""
	})
	if !replace {
		keep = nil
	}
	if len(ups) > 0 || len(keep) > 0 {
		if err := s.checkDeadline(c); err != nil { // the body is parsed; nothing is recorded yet
			return err
		}
		n := len(ups)
		out, seq, err := s.store.Write(tenantID(c), engine.Change{LocationStock: append(ups, keep...),
			Resolve: engine.ResolveActive, ReplaceLocationStock: replace})
		if err != nil {
			return err
		}
		res.Updated = out.LocationRows
		for _, k := range out.LocationUnknown {
			if k < n {
				res.Rejected = append(res.Rejected, RowError{Row: rowOf[k] + 1, PartNumber: ups[k].Ref, Location: ups[k].Location,
					Reason: "unknown location " + ups[k].Location})
			}
		}
		sortRejected(res.Rejected)
		for _, k := range out.LocationPartAbsent {
			if k < n {
				res.NotFound = append(res.NotFound, ups[k].Ref)
			}
		}
		if replace {
			res.Cleared = &out.LocationCleared
		}
		setSeq(c, seq)
	}
	s.metrics.feed(feedLocationStock, &res)
	return sendJSON(c, http.StatusOK, res)
}

// modeParam reads a feed's mode: merge (the default) or, where allowed, replace.
func modeParam(c *fiber.Ctx, canReplace bool) (replace bool, err error) {
	switch m := c.Query("mode"); m {
	case "", "merge":
		return false, nil
	case "replace":
		if !canReplace {
			return false, badParam("mode", "replace is only for stock feeds")
		}
		return true, nil
	default:
		return false, badParam("mode", "%q is not merge or replace", m)
	}
}

// dealerStock is GET /api/t/dealers/stock [compat]: the nearest dealers holding a part,
// from lat/lng or from a postal code of the tenant's own dealers. It is never served
// stale: stock and sharing change at any moment.
func (s *Server) dealerStock(c *fiber.Ctx) error {
	pn := strings.TrimSpace(c.Query("partNumber"))
	if pn == "" {
		return badParam("partNumber", "is required")
	}
	limit, ok, err := queryInt(c, "limit", 1, maxNearby)
	if err != nil {
		return err
	}
	if !ok {
		limit = defaultNearby
	}
	v, err := s.view(c)
	if err != nil {
		return err
	}
	lat, lng, err := origin(c, v)
	if err != nil {
		return err
	}
	out, err := s.eng.NearbyStock(tenantID(c), pn, lat, lng, limit)
	if err != nil {
		return err
	}
	return s.sendCacheable(c, out, mustRevalidate)
}

// origin reads where a locator search starts: lat and lng, or postalCode (and country).
func origin(c *fiber.Ctx, v *engine.View) (lat, lng float64, err error) {
	la, lo, pc := c.Query("lat"), c.Query("lng"), strings.TrimSpace(c.Query("postalCode"))
	switch {
	case la != "" || lo != "":
		p, err := coordParam("lat", la, 90)
		if err != nil {
			return 0, 0, err
		}
		q, err := coordParam("lng", lo, 180)
		if err != nil {
			return 0, 0, err
		}
		return p, q, nil
	case pc != "":
		country := strings.TrimSpace(c.Query("country"))
		lat, lng, ok := v.LocatePostalCode(pc, country)
		if !ok {
			where := ""
			if country != "" {
				where = " in " + country
			}
			return 0, 0, badParam("postalCode", "%s%s is not the postal code of any of this tenant's dealers; send lat and lng instead", pc, where)
		}
		return lat, lng, nil
	}
	return 0, 0, badParam("lat", "lat and lng (or postalCode) are required")
}

func coordParam(name, s string, limit float64) (float64, error) {
	if s == "" {
		return 0, badParam(name, "is required with %s", map[string]string{"lat": "lng", "lng": "lat"}[name])
	}
	f, reason := floatCell(cell{cellText, s}, name, -limit, limit)
	if reason != "" {
		return 0, badParam(name, "%s", reason)
	}
	return *f, nil
}
