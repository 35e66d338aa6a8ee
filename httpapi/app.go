package httpapi

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/gofiber/fiber/v2"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/tenant"
)

// The portal back end (/api/app/*, secret key): subscriptions, catalog items, aliases and
// config. Every write goes through the tenant store, which journals it (durable before the
// answer) and then publishes it in the engine.

// Subscription is one brand subscription with its catalog part count.
type Subscription struct {
	Brand string `json:"brand"`
	Parts int    `json:"parts"`
}

// needCatalog fails with 503 until a catalog is loaded and the tenants restored: writes
// resolve against them.
func (s *Server) needCatalog() error {
	if s.eng.Version() == "" || !s.store.Ready() {
		return engine.ErrNoCatalog
	}
	return nil
}

func brandParam(c *fiber.Ctx) (string, error) { return pathParam(c, "brand") }

func (s *Server) listSubscriptions(c *fiber.Ctx) error {
	v, err := s.view(c)
	if err != nil {
		return err
	}
	brands := v.Subscriptions()
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
	if err := s.needCatalog(); err != nil {
		return err
	}
	name, n, ok := s.eng.Brand(brand)
	if !ok {
		return errorf(http.StatusNotFound, "not_found", "brand %s is not in the catalog", brand)
	}
	// The catalog's spelling, whatever the caller typed.
	_, seq, err := s.store.Write(tenantID(c), engine.Change{Subscribe: []string{name}})
	if err != nil {
		return err
	}
	setSeq(c, seq)
	return sendJSON(c, http.StatusOK, Subscription{Brand: name, Parts: n})
}

func (s *Server) unsubscribe(c *fiber.Ctx) error {
	brand, err := brandParam(c)
	if err != nil {
		return err
	}
	v, err := s.view(c)
	if err != nil {
		return err
	}
	// A brand that left the catalog can still be unsubscribed.
	subscribed := false
	for _, b := range v.Subscriptions() {
		subscribed = subscribed || strings.EqualFold(b, brand)
	}
	if _, _, ok := s.eng.Brand(brand); !ok && !subscribed {
		return errorf(http.StatusNotFound, "not_found", "brand %s is not in the catalog", brand)
	}
	_, seq, err := s.store.Write(tenantID(c), engine.Change{Unsubscribe: []string{brand}})
	if err != nil {
		return err
	}
	setSeq(c, seq)
	c.Status(http.StatusNoContent)
	return nil
}

// catalogItems upserts [{"partNumber", "active", "price", "stock"}]: a field left out keeps
// its value, null clears it (active null: the part follows its brand subscription again).
// Any part of the catalog may be named, or a tenant alias of one.
func (s *Server) catalogItems(c *fiber.Ctx) error {
	rows, err := readRows(c, s.opts.BodyLimit, []field{{"partNumber", true}, {"active", false}, {"price", false}, {"stock", false}})
	if err != nil {
		return err
	}
	if err := s.needCatalog(); err != nil {
		return err
	}
	res := newBulkResult()
	ups := make([]engine.ItemUpdate, 0, len(rows.rows))
	rows.each(&res, func(_ int, row []cell) (string, string) {
		pn, reason := partNumberCell(row[0], "partNumber")
		if reason != "" {
			return pn, reason
		}
		u := engine.ItemUpdate{Ref: pn}
		if row[1].kind != cellAbsent {
			on, null, reason := boolCell(row[1], "active")
			if reason != "" {
				return pn, reason
			}
			u.SetActive = true
			switch {
			case null:
				u.Active = engine.Unset
			case on:
				u.Active = engine.Activated
			default:
				u.Active = engine.Deactivated
			}
		}
		for j, v := range []feedValue{priceValue, stockValue} {
			if row[2+j].kind == cellAbsent {
				continue
			}
			if reason := v.set(&u, row[2+j]); reason != "" {
				return pn, reason
			}
		}
		ups = append(ups, u)
		return pn, ""
	})
	if len(ups) > 0 {
		if err := s.checkDeadline(c); err != nil { // the body is parsed; nothing is recorded yet
			return err
		}
		out, seq, err := s.store.Write(tenantID(c), engine.Change{Items: ups, Resolve: engine.ResolveCatalog})
		if err != nil {
			return err
		}
		res.Updated = out.Updated
		for _, k := range out.NotFound {
			res.NotFound = append(res.NotFound, ups[k].Ref)
		}
		setSeq(c, seq)
	}
	return sendJSON(c, http.StatusOK, res)
}

// Page is one page of a listing; NextCursor is null on the last.
type Page[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"nextCursor"`
}

func cursorParam(c *fiber.Ctx) (string, error) {
	s := c.Query("cursor")
	if s == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return "", badParam("cursor", "is not a cursor this API gave out")
	}
	return string(b), nil
}

func nextCursor(more bool, last string) *string {
	if !more {
		return nil
	}
	s := base64.RawURLEncoding.EncodeToString([]byte(last))
	return &s
}

func optBool(c *fiber.Ctx, name string) (*bool, error) {
	if c.Query(name) == "" {
		return nil, nil
	}
	b, err := queryBool(c, name)
	return &b, err
}

// listCatalogItems is GET /api/app/catalog-items: the tenant's items in part-number order.
func (s *Server) listCatalogItems(c *fiber.Ctx) error {
	q := engine.ItemQuery{Brand: c.Query("brand"), Prefix: c.Query("q")}
	var err error
	if q.Limit, err = limitParam(c, 100, 1000); err != nil {
		return err
	}
	if q.After, err = cursorParam(c); err != nil {
		return err
	}
	if q.Active, err = optBool(c, "active"); err != nil {
		return err
	}
	if q.Priced, err = optBool(c, "priced"); err != nil {
		return err
	}
	if q.Stock, err = optBool(c, "stocked"); err != nil {
		return err
	}
	if q.InStock, err = queryBool(c, "inStock"); err != nil {
		return err
	}
	v, err := s.view(c)
	if err != nil {
		return err
	}
	items, more, err := v.Items(q)
	if err != nil {
		return err
	}
	page := Page[engine.Item]{Items: items}
	if len(items) > 0 {
		page.NextCursor = nextCursor(more, items[len(items)-1].PartNumber)
	}
	return sendJSON(c, http.StatusOK, page)
}

// listQuery reads what every portal listing takes, limit (1..1000, default 100) and cursor,
// and the tenant's view.
func (s *Server) listQuery(c *fiber.Ctx) (limit int, after string, v *engine.View, err error) {
	if limit, err = limitParam(c, 100, 1000); err != nil {
		return
	}
	if after, err = cursorParam(c); err != nil {
		return
	}
	v, err = s.view(c)
	return
}

// pageOf is the page of all (sorted by key) after the cursor after, at most limit items.
// key gives an item's comparison form, which the cursor carries.
func pageOf[T any](all []T, key func(*T) string, after string, limit int) Page[T] {
	i := 0
	if after != "" {
		i = sort.Search(len(all), func(i int) bool { return key(&all[i]) > after })
	}
	page := Page[T]{Items: all[i:min(len(all), i+limit)]}
	if n := len(page.Items); n > 0 {
		page.NextCursor = nextCursor(i+n < len(all), key(&page.Items[n-1]))
	}
	return page
}

func limitParam(c *fiber.Ctx, def, max int) (int, error) {
	n, ok, err := queryInt(c, "limit", 1, max)
	if !ok {
		n = def
	}
	return n, err
}

const (
	maxAliasLen  = 100
	maxSourceLen = 64
)

// validLabel reports a reason s cannot be an alias or a source ("" when it can).
func validLabel(s, name string, max int) string {
	if len(s) > max {
		return name + " is longer than " + itoa(max) + " bytes"
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return name + " holds a control character"
		}
	}
	return ""
}

// putAliases upserts [{"alias", "partNumber", "source"}]: the alias then names that part
// in feeds and part look-ups.
func (s *Server) putAliases(c *fiber.Ctx) error {
	rows, err := readRows(c, s.opts.BodyLimit, []field{{"alias", true}, {"partNumber", true}, {"source", false}})
	if err != nil {
		return err
	}
	if err := s.needCatalog(); err != nil {
		return err
	}
	res := newBulkResult()
	var puts []engine.Alias
	var rowOf []int
	rows.each(&res, func(i int, row []cell) (string, string) {
		pn, reason := partNumberCell(row[1], "partNumber")
		if reason != "" {
			return pn, reason
		}
		alias, reason := partNumberCell(row[0], "alias")
		if reason == "" {
			reason = validLabel(alias, "alias", maxAliasLen)
		}
		if reason != "" {
			return pn, reason
		}
		var src string
		switch row[2].kind {
		case cellAbsent, cellNull:
		case cellString, cellText:
			src = strings.TrimSpace(row[2].text)
			reason = validLabel(src, "source", maxSourceLen)
		default:
			reason = "source must be a string"
		}
		if reason != "" {
			return pn, reason
		}
		puts = append(puts, engine.Alias{Alias: alias, PartNumber: pn, Source: src})
		rowOf = append(rowOf, i)
		return pn, ""
	})
	if len(puts) > 0 {
		out, seq, err := s.store.Write(tenantID(c), engine.Change{PutAliases: puts})
		if err != nil {
			return err
		}
		res.Updated = out.Aliases
		for _, k := range out.AliasNotFound {
			res.NotFound = append(res.NotFound, puts[k].PartNumber)
		}
		for _, k := range out.AliasIsPart {
			res.Rejected = append(res.Rejected, RowError{Row: rowOf[k] + 1, PartNumber: puts[k].PartNumber,
				Reason: "alias " + puts[k].Alias + " is a part number of the catalog"})
		}
		sortRejected(res.Rejected)
		setSeq(c, seq)
	}
	return sendJSON(c, http.StatusOK, res)
}

// sortRejected puts rejections found in two passes (reading, then applying) in row order.
func sortRejected(rs []RowError) {
	slices.SortStableFunc(rs, func(a, b RowError) int { return cmp.Compare(a.Row, b.Row) })
}

// listAliases is GET /api/app/aliases, in alias order.
func (s *Server) listAliases(c *fiber.Ctx) error {
	q := engine.AliasQuery{PartNumber: c.Query("partNumber"), Source: c.Query("source")}
	var err error
	if q.Limit, err = limitParam(c, 100, 1000); err != nil {
		return err
	}
	if q.After, err = cursorParam(c); err != nil {
		return err
	}
	v, err := s.view(c)
	if err != nil {
		return err
	}
	items, more := v.Aliases(q)
	page := Page[engine.Alias]{Items: items}
	if len(items) > 0 {
		page.NextCursor = nextCursor(more, items[len(items)-1].Alias)
	}
	return sendJSON(c, http.StatusOK, page)
}

// deleteAlias is DELETE /api/app/aliases/:alias.
func (s *Server) deleteAlias(c *fiber.Ctx) error {
	a, err := pathParam(c, "alias")
	if err != nil {
		return err
	}
	out, seq, err := s.store.Write(tenantID(c), engine.Change{DeleteAliases: []string{a}})
	if err != nil {
		return err
	}
	if out.Deleted == 0 {
		return errorf(http.StatusNotFound, "not_found", "alias %s is not one of this tenant's aliases", a)
	}
	setSeq(c, seq)
	c.Status(http.StatusNoContent)
	return nil
}

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
