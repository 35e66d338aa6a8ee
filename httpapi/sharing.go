package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/fitment/fitment/engine"
)

// Stock sharing: a tenant (a reseller) lets another (a manufacturer) show its stock at the
// dealers that other tenant links to it, at a precision of its choosing. A grant and its
// revocation are journalled like every write and take effect on the next query.

const maxLowThreshold = 1_000_000

// Grant is a stock-sharing grant as the portal shows it: given to, or received from,
// TenantID.
type Grant struct {
	TenantID     string `json:"tenantId"`
	Name         string `json:"name"` // the other tenant's name
	Precision    string `json:"precision"`
	LowThreshold int    `json:"lowThreshold"`
}

// Grants lists a tenant's grants both ways.
type Grants struct {
	Given    []Grant `json:"given"`
	Received []Grant `json:"received"`
}

func (s *Server) grant(g engine.SharingGrant) Grant {
	t, _ := s.store.Get(g.Tenant)
	return Grant{TenantID: g.Tenant, Name: t.Name, Precision: g.Precision, LowThreshold: g.LowThreshold}
}

// grantee reads and checks the :tenantId of a grant: another tenant that exists.
func (s *Server) grantee(c *fiber.Ctx) (string, error) {
	id, err := pathParam(c, "tenantId")
	if err != nil {
		return "", err
	}
	if id == tenantID(c) {
		return "", badParam("tenantId", "%s is this tenant: stock is shared with another tenant", id)
	}
	if _, ok := s.store.Get(id); !ok {
		return "", errorf(http.StatusNotFound, "not_found", "tenant %s does not exist", id)
	}
	return id, nil
}

// putGrant is PUT /api/app/stock-sharing/:tenantId {"precision": "EXACT" | "BUCKET",
// "lowThreshold": 2}: the tenant shares its stock with tenantId. lowThreshold (default 2)
// is the stock at or under which a part shows as "low".
func (s *Server) putGrant(c *fiber.Ctx) error {
	id, err := s.grantee(c)
	if err != nil {
		return err
	}
	var body map[string]json.RawMessage
	if err := readJSON(c, s.opts.BodyLimit, &body); err != nil {
		return err
	}
	for k := range body {
		if k != "precision" && k != "lowThreshold" {
			return badParam(k, "is not a field of a grant (precision, lowThreshold)")
		}
	}
	g := engine.Grant{LowThreshold: engine.DefaultLowThreshold}
	var precision string
	if err := json.Unmarshal(body["precision"], &precision); err != nil || body["precision"] == nil {
		return badParam("precision", "is required: EXACT or BUCKET")
	}
	switch {
	case strings.EqualFold(precision, engine.Exact):
		g.Precision = engine.Exact
	case strings.EqualFold(precision, engine.Bucket):
		g.Precision = engine.Bucket
	default:
		return badParam("precision", "%q is not EXACT or BUCKET", precision)
	}
	if raw, ok := body["lowThreshold"]; ok && !isNull(raw) {
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return badParam("lowThreshold", "must be a whole number")
		}
		v, err := n.Int64()
		if err != nil || v < 0 || v > maxLowThreshold {
			return badParam("lowThreshold", "%s is not a whole number 0..%d", n, maxLowThreshold)
		}
		g.LowThreshold = int(v)
	}
	if err := s.needCatalog(); err != nil {
		return err
	}
	_, seq, err := s.store.Write(tenantID(c), engine.Change{Grants: []engine.GrantChange{{Tenant: id, Grant: &g}}})
	if err != nil {
		return err
	}
	setSeq(c, seq)
	return sendJSON(c, http.StatusOK, s.grant(engine.SharingGrant{Tenant: id, Grant: g}))
}

// deleteGrant is DELETE /api/app/stock-sharing/:tenantId: the grant is revoked.
func (s *Server) deleteGrant(c *fiber.Ctx) error {
	id, err := pathParam(c, "tenantId")
	if err != nil {
		return err
	}
	v, err := s.view(c)
	if err != nil {
		return err
	}
	given := false
	for _, g := range v.GrantsGiven() {
		given = given || g.Tenant == id
	}
	if !given {
		return errorf(http.StatusNotFound, "not_found", "this tenant shares no stock with %s", id)
	}
	_, seq, err := s.store.Write(tenantID(c), engine.Change{Grants: []engine.GrantChange{{Tenant: id}}})
	if err != nil {
		return err
	}
	setSeq(c, seq)
	c.Status(http.StatusNoContent)
	return nil
}

// listGrants is GET /api/app/stock-sharing: the grants the tenant gave, and those it
// received.
func (s *Server) listGrants(c *fiber.Ctx) error {
	v, err := s.view(c)
	if err != nil {
		return err
	}
	out := Grants{Given: []Grant{}, Received: []Grant{}}
	for _, g := range v.GrantsGiven() {
		out.Given = append(out.Given, s.grant(g))
	}
	for _, g := range s.eng.GrantsReceived(tenantID(c)) {
		out.Received = append(out.Received, s.grant(g))
	}
	return sendJSON(c, http.StatusOK, out)
}
