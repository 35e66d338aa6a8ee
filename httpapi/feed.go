package httpapi

import (
	"net/http"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/fitment/fitment/engine"
)

// Feeds: POS, ERP and WMS jobs push stock and prices in bulk (/api/integrations/*, secret
// key). A feed is one journal batch: durable before the answer, applied all or nothing,
// visible to the next storefront query.

// RowError is a rejected row of a bulk write. Row counts from 1 (the array element, the
// non-blank NDJSON line, or the CSV record after the header).
type RowError struct {
	Row        int    `json:"row"`
	PartNumber string `json:"partNumber"`
	Location   string `json:"location,omitempty"` // location-stock feed rows
	Reason     string `json:"reason"`
}

// BulkResult answers a bulk write.
type BulkResult struct {
	Updated  int        `json:"updated"`
	NotFound []string   `json:"notFound"`
	Rejected []RowError `json:"rejected"`
	// Cleared counts the parts a full stock sync (mode=replace) set to "not tracked".
	Cleared *int `json:"cleared,omitempty"`
}

func newBulkResult() BulkResult { return BulkResult{NotFound: []string{}, Rejected: []RowError{}} }

// feedValue is the column a feed sets besides partNumber.
type feedValue struct {
	name string
	set  func(u *engine.ItemUpdate, c cell) (reason string)
}

var (
	stockValue = feedValue{"stock", func(u *engine.ItemUpdate, c cell) string {
		n, clear, reason := stockCell(c, engine.MaxStock)
		if clear {
			n = -1
		}
		u.SetStock, u.Stock = true, n
		return reason
	}}
	priceValue = feedValue{"price", func(u *engine.ItemUpdate, c cell) string {
		cents, clear, reason := priceCell(c, engine.MaxPriceCents)
		if clear {
			cents = -1
		}
		u.SetPrice, u.Price = true, cents
		return reason
	}}
)

// stockFeed is POST /api/integrations/stock-feed [compat]; ?mode=replace makes it a full
// sync of the tenant's stock.
func (s *Server) stockFeed(c *fiber.Ctx) error { return s.feed(c, stockValue, feedStock, true) }

// priceFeed is POST /api/integrations/price-feed.
func (s *Server) priceFeed(c *fiber.Ctx) error { return s.feed(c, priceValue, feedPrice, false) }

func (s *Server) feed(c *fiber.Ctx, value feedValue, name string, canReplace bool) error {
	replace, err := modeParam(c, canReplace)
	if err != nil {
		return err
	}
	rows, err := readRows(c, s.opts.BodyLimit, []field{{"partNumber", true}, {value.name, true}})
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
		if reason := value.set(&u, row[1]); reason != "" {
			return pn, reason
		}
		ups = append(ups, u)
		return pn, ""
	})
	var keep []engine.ItemUpdate // a full sync keeps the stock of parts whose rows it rejects
	for _, r := range res.Rejected {
		if replace && r.PartNumber != "" {
			keep = append(keep, engine.ItemUpdate{Ref: r.PartNumber})
		}
	}
	if len(ups) > 0 || replace {
		if err := s.checkDeadline(c); err != nil { // the body is parsed; nothing is recorded yet
			return err
		}
		n := len(ups)
		out, seq, err := s.store.Write(tenantID(c), engine.Change{Items: append(ups, keep...), Resolve: engine.ResolveActive, ClearStock: replace})
		if err != nil {
			return err
		}
		res.Updated = out.Updated
		for _, k := range out.NotFound {
			if k < n {
				res.NotFound = append(res.NotFound, ups[k].Ref)
			}
		}
		if replace {
			res.Cleared = &out.Cleared
		}
		setSeq(c, seq)
	}
	s.metrics.feed(name, &res)
	return sendJSON(c, http.StatusOK, res)
}

// setSeq tells the client which journal record holds its write (X-Change-Seq), so a later
// read can wait for a replica to have applied it.
func setSeq(c *fiber.Ctx, seq uint64) {
	if seq > 0 {
		c.Set("X-Change-Seq", strconv.FormatUint(seq, 10))
	}
}
