package httpapi

import (
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/tenant"
)

// NewTenant is the body of POST /api/admin/tenants. ID is optional (a random one is made).
type NewTenant struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Type     string `json:"type"`
	Currency string `json:"currency"`
	Language string `json:"language"`
}

// TenantKeys answers tenant creation and key rotation; keys are shown only here.
type TenantKeys struct {
	ID             string `json:"id"`
	PublishableKey string `json:"publishableKey"`
	SecretKey      string `json:"secretKey"`
}

// TenantInfo is a tenant as operators list it (never its keys).
type TenantInfo struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	Type          string    `json:"type"`
	Currency      string    `json:"currency"`
	Language      string    `json:"language"`
	Created       time.Time `json:"created"`
	Subscriptions []string  `json:"subscriptions"`
	// Counts of the tenant's state in the loaded catalog; absent before one is loaded.
	Counts *engine.StateCounts `json:"counts,omitempty"`
}

func (s *Server) createTenant(c *fiber.Ctx) error {
	var req NewTenant
	if err := readJSON(c, s.opts.BodyLimit, &req); err != nil {
		return err
	}
	t, keys, err := s.store.Create(tenant.Tenant{ID: req.ID, Name: req.Name, Type: req.Type, Currency: req.Currency, Language: req.Language})
	if err != nil {
		return err
	}
	c.Location("/api/admin/tenants/" + t.ID)
	c.Set(fiber.HeaderCacheControl, "no-store") // the keys are shown only here
	return sendJSON(c, http.StatusCreated, TenantKeys{ID: t.ID, PublishableKey: keys.Publishable, SecretKey: keys.Secret})
}

func (s *Server) tenantInfo(t tenant.Tenant) TenantInfo {
	info := TenantInfo{ID: t.ID, Name: t.Name, Type: t.Type, Currency: t.Currency,
		Language: t.Language, Created: t.Created, Subscriptions: []string{}}
	if v, err := s.eng.View(t.ID); err == nil {
		info.Subscriptions = v.Subscriptions()
		counts := v.Counts()
		info.Counts = &counts
	}
	return info
}

func (s *Server) listTenants(c *fiber.Ctx) error {
	ts := s.store.List()
	out := make([]TenantInfo, 0, len(ts))
	for _, t := range ts {
		out = append(out, s.tenantInfo(t))
	}
	return sendJSON(c, http.StatusOK, out)
}

func (s *Server) getTenant(c *fiber.Ctx) error {
	t, ok := s.store.Get(c.Params("id"))
	if !ok {
		return errorf(http.StatusNotFound, "not_found", "tenant %s does not exist", c.Params("id"))
	}
	return sendJSON(c, http.StatusOK, s.tenantInfo(t))
}

func (s *Server) rotateKeys(c *fiber.Ctx) error {
	id := c.Params("id")
	keys, err := s.store.RotateKeys(id)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store") // the keys are shown only here
	return sendJSON(c, http.StatusOK, TenantKeys{ID: id, PublishableKey: keys.Publishable, SecretKey: keys.Secret})
}
