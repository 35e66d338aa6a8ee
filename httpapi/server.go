// Package httpapi is the HTTP surface of the fitment engine (see the project's API
// reference): the storefront /api/t/*, the integrations /api/integrations/* (feeds), the
// portal back end /api/app/*, the operators' /api/admin/* and the health probes, on fiber.
//
// Handlers read through a narrow seam, Engine (*engine.Engine in production), and write
// through the tenant store, which journals every change (durable before the answer) and
// publishes it in the engine; writes of different tenants never wait on each other.
// Storefront answers are kept in one process-wide cache bounded in bytes (cache.go).
//
// A Server is safe for concurrent use; SetReady and SetDraining may be called at any time.
package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/fitment/fitment/catalogs"
	"github.com/fitment/fitment/tenant"
)

// Options configures a Server.
type Options struct {
	Engine     Engine
	Store      *tenant.Store
	Matcher    PartMatcher // the text index behind q; nil: the one loaded with the catalog (q is refused without one)
	AdminToken string      // "" disables /api/admin/*
	// Catalogs swaps and rolls back catalogs for /api/admin/snapshot; nil leaves those
	// endpoints out.
	Catalogs *catalogs.Manager
	// MetricsToken, when set, makes GET /metrics require "Authorization: Bearer <token>";
	// "" serves it to anyone who can reach the port (like /healthz).
	MetricsToken string

	BodyLimit    int           // request body limit in bytes, also after decompression
	CacheBytes   int64         // answer cache bound; negative turns the cache off
	MaxInFlight  int           // requests handled at once; more wait up to QueueWait
	MaxStreams   int           // fitment lookup and export streams at once; more get 503
	QueueWait    time.Duration // then get 503
	CompressMin  int           // smallest response body worth compressing
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	IdleTimeout  time.Duration
	// RequestTimeout is the handler deadline in c.UserContext() (requests.go says what it
	// covers and what not).
	RequestTimeout time.Duration
	Logger         *slog.Logger // nil: slog.Default()
}

// DefaultOptions returns the production defaults, without Engine, Store and AdminToken.
func DefaultOptions() Options {
	return Options{
		BodyLimit:    64 << 20, // a 100,000-row feed fits
		CacheBytes:   256 << 20,
		MaxInFlight:  256,
		MaxStreams:   16,
		QueueWait:    2 * time.Second,
		CompressMin:  1024,
		ReadTimeout:  30 * time.Second,
		WriteTimeout: 60 * time.Second,
		IdleTimeout:  120 * time.Second,

		RequestTimeout: 10 * time.Second,
	}
}

// Server is the HTTP API.
type Server struct {
	opts     Options
	eng      Engine
	store    *tenant.Store
	app      *fiber.App
	log      *slog.Logger
	admin    [sha256.Size]byte
	adminOn  bool
	ready    atomic.Bool
	draining atomic.Bool
	sem      chan struct{}
	cache    *answerCache
	fits     fitmentCounters // bulk streams (fitment.go)
	metrics  *serverMetrics  // GET /metrics (metrics.go)
}

// New builds a server from o; zero fields of o take DefaultOptions' values.
func New(o Options) *Server {
	d := DefaultOptions()
	if o.BodyLimit <= 0 {
		o.BodyLimit = d.BodyLimit
	}
	if o.Matcher == nil {
		o.Matcher = viewMatcher{}
	}
	if o.CacheBytes == 0 {
		o.CacheBytes = d.CacheBytes
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = d.MaxInFlight
	}
	if o.MaxStreams <= 0 {
		o.MaxStreams = d.MaxStreams
	}
	if o.QueueWait <= 0 {
		o.QueueWait = d.QueueWait
	}
	if o.CompressMin <= 0 {
		o.CompressMin = d.CompressMin
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = d.ReadTimeout
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = d.WriteTimeout
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = d.IdleTimeout
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = d.RequestTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	s := &Server{opts: o, eng: o.Engine, store: o.Store, log: o.Logger, sem: make(chan struct{}, o.MaxInFlight),
		cache: newAnswerCache(o.CacheBytes)}
	if o.AdminToken != "" {
		s.admin, s.adminOn = sha256.Sum256([]byte(o.AdminToken)), true
	}
	s.metrics = newMetrics(s)
	s.app = fiber.New(fiber.Config{
		AppName:               "fitmentd",
		ErrorHandler:          s.fiberErrorHandler, // errors of the handler chain: instrument
		BodyLimit:             o.BodyLimit,
		ReadTimeout:           o.ReadTimeout,
		WriteTimeout:          o.WriteTimeout,
		IdleTimeout:           o.IdleTimeout,
		DisableStartupMessage: true,
		// Part numbers may hold an encoded '/'; handlers unescape path parameters.
		UnescapePath: false,
	})
	s.routes()
	s.metrics.learnRoutes(s.app)
	return s
}

// App returns the fiber application (for Listen, Listener, Test, ShutdownWithContext).
func (s *Server) App() *fiber.App { return s.app }

// SetReady marks the server ready (catalog and tenants loaded) or not.
func (s *Server) SetReady(ok bool) { s.ready.Store(ok) }

// CacheStats describes the answer cache.
func (s *Server) CacheStats() CacheStats { return s.cache.Stats() }

// SetDraining makes /readyz fail from now on, ahead of a shutdown.
func (s *Server) SetDraining() { s.draining.Store(true) }

func (s *Server) version() string {
	if v := s.eng.Version(); v != "" {
		return v
	}
	return "none"
}

type handlers map[string]fiber.Handler // method → handler

// route registers path's handlers and answers every other method with 405 and Allow.
func (s *Server) route(path string, hs handlers) {
	allow := make([]string, 0, len(hs)+1)
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		h, ok := hs[m]
		if !ok && m == http.MethodHead {
			h, ok = hs[http.MethodGet] // fiber's Add, unlike Get, does not answer HEAD by itself
		}
		if !ok {
			continue
		}
		s.app.Add(m, path, h)
		allow = append(allow, m)
	}
	allowHeader := strings.Join(allow, ", ")
	s.app.All(path, func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderAllow, allowHeader)
		return errorf(http.StatusMethodNotAllowed, "method_not_allowed", "method %s is not allowed on %s (allowed: %s)", c.Method(), path, allowHeader)
	})
}

func (s *Server) routes() {
	app := s.app
	app.Use(s.instrument) // outermost: counts every answer with its final status, logs it
	app.Use(s.requestID)
	app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: s.logPanic}))
	// Before the in-flight bound (a scrape must get through when the server is
	// overloaded: that is when it is needed; it has its own, smaller bound) and before
	// the compression middleware (promhttp compresses by itself).
	s.route("/metrics", handlers{http.MethodGet: s.metricsHandler()})
	app.Use(s.common)
	app.Use(compressMiddleware(s.opts.CompressMin))

	app.Get("/healthz", func(c *fiber.Ctx) error { return sendJSON(c, 200, fiber.Map{"status": "ok"}) })
	app.Get("/readyz", s.readyz)

	app.Use("/api/t", cors, s.keyAuth(false))
	app.Use("/api/app", s.keyAuth(true))
	app.Use("/api/integrations", s.keyAuth(true))
	app.Use("/api/admin", s.adminAuth)

	get := func(h fiber.Handler) handlers { return handlers{http.MethodGet: h} }
	s.route("/api/t/years", get(s.years))
	s.route("/api/t/makes", get(s.makes))
	s.route("/api/t/models", get(s.models))
	s.route("/api/t/vehicles", get(s.vehicles))
	s.route("/api/t/vehicles/resolve", get(s.resolveVehicles)) // before /:id, which would take "resolve"
	s.route("/api/t/vehicles/:id", get(s.vehicle))
	s.route("/api/t/parts", get(s.parts))
	s.route("/api/t/parts/:partNumber", get(s.part))
	s.route("/api/t/parts/:partNumber/vehicles", get(s.partVehicles))
	s.route("/api/t/parts/:partNumber/fits", get(s.partFits))
	s.route("/api/t/vehicles/:id/parts", get(s.vehicleParts))
	s.route("/api/t/vehicles/:id/fits", handlers{http.MethodPost: s.cartFits})
	s.route("/api/t/categories", get(s.categories))
	s.route("/api/t/config", get(s.config))
	s.route("/api/t/dealers", get(s.dealers))
	s.route("/api/t/dealers/stock", get(s.dealerStock))
	s.route("/api/t/suggest", get(s.suggest))
	s.route("/api/t/search", get(s.search))

	s.route("/api/integrations/stock-feed", handlers{http.MethodPost: s.stockFeed})
	s.route("/api/integrations/price-feed", handlers{http.MethodPost: s.priceFeed})
	s.route("/api/integrations/location-stock-feed", handlers{http.MethodPost: s.locationStockFeed})
	s.route("/api/integrations/fitments/lookup", handlers{http.MethodPost: s.fitmentLookup})
	s.route("/api/integrations/fitments/export", get(s.fitmentExport))

	s.route("/api/app/subscriptions", get(s.listSubscriptions))
	s.route("/api/app/subscriptions/:brand", handlers{http.MethodPut: s.subscribe, http.MethodDelete: s.unsubscribe})
	s.route("/api/app/catalog-items", handlers{http.MethodGet: s.listCatalogItems, http.MethodPut: s.catalogItems})
	s.route("/api/app/aliases", handlers{http.MethodGet: s.listAliases, http.MethodPut: s.putAliases})
	s.route("/api/app/aliases/:alias", handlers{http.MethodDelete: s.deleteAlias})
	s.route("/api/app/config", handlers{http.MethodGet: s.appConfig, http.MethodPut: s.putConfig})
	s.route("/api/app/locations", handlers{http.MethodGet: s.listLocations, http.MethodPut: s.putLocations})
	s.route("/api/app/locations/:code", handlers{http.MethodDelete: s.deleteLocation})
	s.route("/api/app/locations/:code/stock", get(s.listLocationStock))
	s.route("/api/app/stock-sharing", get(s.listGrants))
	s.route("/api/app/stock-sharing/:tenantId", handlers{http.MethodPut: s.putGrant, http.MethodDelete: s.deleteGrant})
	s.route("/api/app/tenant-vehicles", handlers{http.MethodGet: s.listTenantVehicles, http.MethodPost: s.postTenantVehicles})
	s.route("/api/app/tenant-parts", handlers{http.MethodGet: s.listTenantParts, http.MethodPost: s.postTenantParts})
	s.route("/api/app/tenant-parts/:partNumber", handlers{http.MethodDelete: s.deleteTenantPart})

	s.route("/api/admin/tenants", handlers{http.MethodGet: s.listTenants, http.MethodPost: s.createTenant})
	s.route("/api/admin/tenants/:id", get(s.getTenant))
	s.route("/api/admin/tenants/:id/keys/rotate", handlers{http.MethodPost: s.rotateKeys})
	if s.opts.Catalogs != nil {
		s.route("/api/admin/snapshot", handlers{http.MethodGet: s.snapshotStatus, http.MethodPost: s.swapSnapshot})
		s.route("/api/admin/snapshot/rollback", handlers{http.MethodPost: s.rollbackSnapshot})
	}

	app.Use(func(c *fiber.Ctx) error {
		c.Locals(localUnmatched, true)
		return errorf(http.StatusNotFound, "not_found", "no such endpoint: %s %s", c.Method(), c.Path())
	})
}

// common stamps X-Catalog-Version on every answer (handlers holding a view overwrite it
// with the view's own version), bounds the number of requests in flight and, once a
// request holds a slot, gives it its handler deadline.
func (s *Server) common(c *fiber.Ctx) error {
	c.Set("X-Catalog-Version", s.version())
	select {
	case s.sem <- struct{}{}:
	default:
		t := time.NewTimer(s.opts.QueueWait)
		select {
		case s.sem <- struct{}{}:
			t.Stop()
		case <-t.C:
			return errorf(http.StatusServiceUnavailable, "overloaded", "too many requests in flight, retry later")
		}
	}
	defer func() { <-s.sem }()
	return s.withDeadline(c)
}

func (s *Server) readyz(c *fiber.Ctx) error {
	switch {
	case s.draining.Load():
		return errorf(http.StatusServiceUnavailable, "draining", "shutting down")
	case !s.ready.Load() || s.eng.Version() == "":
		return errorf(http.StatusServiceUnavailable, "no_catalog", "no catalog loaded yet")
	}
	return sendJSON(c, 200, fiber.Map{"status": "ready", "catalogVersion": s.eng.Version()})
}

// cors opens the storefront surface to browsers and answers preflights.
func cors(c *fiber.Ctx) error {
	c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
	c.Set(fiber.HeaderAccessControlExposeHeaders, "ETag, X-Total-Count, X-Catalog-Version")
	if c.Method() == http.MethodOptions {
		c.Set(fiber.HeaderAccessControlAllowMethods, "GET, HEAD, POST, OPTIONS") // POST: a cart's fit checks
		c.Set(fiber.HeaderAccessControlAllowHeaders, "X-API-Key, Content-Type, If-None-Match, Accept-Language")
		c.Set(fiber.HeaderAccessControlMaxAge, "86400")
		c.Status(http.StatusNoContent)
		return nil
	}
	return c.Next()
}

const localTenant = "tenant"

// keyAuth authenticates X-API-Key; secretOnly refuses publishable keys (403).
func (s *Server) keyAuth(secretOnly bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		key := c.Get("X-API-Key")
		if key == "" {
			return errorf(http.StatusUnauthorized, "unauthorized", "missing X-API-Key header")
		}
		id, kind, ok := s.store.Authenticate(key)
		if !ok {
			return errorf(http.StatusUnauthorized, "unauthorized", "unknown API key")
		}
		if secretOnly && kind != tenant.Secret {
			return errorf(http.StatusForbidden, "forbidden", "a publishable key cannot use %s: use the secret key", c.Path())
		}
		c.Locals(localTenant, id)
		return c.Next()
	}
}

func tenantID(c *fiber.Ctx) string { id, _ := c.Locals(localTenant).(string); return id }

func (s *Server) adminAuth(c *fiber.Ctx) error {
	if err := bearer(c, s.admin, s.adminOn, "admin token"); err != nil {
		return err
	}
	return c.Next()
}

// bearer checks "Authorization: Bearer <token>" against want, the token's SHA-256 (on:
// a token is set at all); what names the token in the 401.
func bearer(c *fiber.Ctx, want [sha256.Size]byte, on bool, what string) error {
	// The scheme name is case-insensitive (RFC 9110 §11.1).
	scheme, tok, ok := strings.Cut(c.Get(fiber.HeaderAuthorization), " ")
	ok = ok && strings.EqualFold(scheme, "Bearer")
	if !ok || tok == "" {
		c.Set(fiber.HeaderWWWAuthenticate, "Bearer")
		return errorf(http.StatusUnauthorized, "unauthorized", "missing %s (Authorization: Bearer …)", what)
	}
	h := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	if !on || subtle.ConstantTimeCompare(h[:], want[:]) != 1 {
		c.Set(fiber.HeaderWWWAuthenticate, "Bearer")
		return errorf(http.StatusUnauthorized, "unauthorized", "wrong %s", what)
	}
	return nil
}
