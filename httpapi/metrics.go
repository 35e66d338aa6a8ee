package httpapi

import (
	"crypto/sha256"
	"net/http"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// GET /metrics serves the server's metrics in the Prometheus text format (API.md,
// "Metrics"). Every Server has its own registry, so a process (a test) may hold many.
//
// Requests are counted by route pattern, never by raw path: a series per part number
// would grow without bound. State the server already keeps (the answer cache, the
// fitment streams, the tenant store and its journal, the catalog) is read when scraped
// by a collector, not mirrored into counters.

const (
	routeUnmatched = "unmatched" // the 404 catch-all: no such endpoint
	routeUnrouted  = "unrouted"  // answered before routing (the in-flight bound's 503, fasthttp's refusals)

	localUnmatched = "metrics.unmatched" // set by the catch-all

	maxScrapes = 2 // scrapes at once; more get 503 overloaded
)

// durationBuckets span a cached answer (~50 µs) to a slow feed or a stream's start (10 s).
var durationBuckets = []float64{
	0.00005, 0.0001, 0.00025, 0.0005,
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
	0.1, 0.25, 0.5, 1, 2.5, 5, 10,
}

// Feed names and row outcomes of fitment_feed_rows_total.
const (
	feedStock         = "stock"
	feedPrice         = "price"
	feedLocationStock = "location_stock"
)

type serverMetrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	feedRows *prometheus.CounterVec
	known    map[string]bool // every registered route path and mount prefix (routes() fills it)
	scrapes  chan struct{}
}

func newMetrics(s *Server) *serverMetrics {
	m := &serverMetrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fitment_http_requests_total",
			Help: "HTTP answers by route pattern, method and status, errors included.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "fitment_http_request_duration_seconds",
			Help:    "Time from a request's arrival to its answer (a stream's start; streams go on after), by route pattern and method.",
			Buckets: durationBuckets,
		}, []string{"route", "method"}),
		feedRows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fitment_feed_rows_total",
			Help: "Rows of accepted feed requests by feed and outcome (updated, not_found, rejected).",
		}, []string{"feed", "outcome"}),
		known:   map[string]bool{},
		scrapes: make(chan struct{}, maxScrapes),
	}
	for _, f := range []string{feedStock, feedPrice, feedLocationStock} {
		for _, o := range []string{"updated", "not_found", "rejected"} {
			m.feedRows.WithLabelValues(f, o) // present at 0 from the start
		}
	}
	m.reg.MustRegister(m.requests, m.duration, m.feedRows, &stateCollector{s: s},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector())
	return m
}

// Registry is the server's metrics registry, for collectors of the embedding program.
func (s *Server) Registry() *prometheus.Registry { return s.metrics.reg }

// statusText holds the status labels of every status code, so counting allocates nothing.
var statusText = func() (t [600]string) {
	for i := 100; i < len(t); i++ {
		t[i] = strconv.Itoa(i)
	}
	return t
}()

// instrument is the outermost middleware: it counts every answer and times it. Errors are
// written here, by the error handler, so the status counted is the one sent.
func (s *Server) instrument(c *fiber.Ctx) error {
	start := time.Now()
	if err := c.Next(); err != nil {
		if err := s.errorHandler(c, err); err != nil {
			c.Status(http.StatusInternalServerError) // as fiber does when its handler fails
		}
	}
	route, method, status, elapsed := s.metrics.route(c), methodLabel(c.Method()), c.Response().StatusCode(), time.Since(start)
	s.metrics.requests.WithLabelValues(route, method, statusLabel(status)).Inc()
	s.metrics.duration.WithLabelValues(route, method).Observe(elapsed.Seconds())
	s.logRequest(c, route, status, elapsed)
	return nil
}

// fiberErrorHandler is fiber's ErrorHandler. instrument writes the errors of the handler
// chain itself, so fiber calls this only for requests that fasthttp refused before the
// chain ran (a body over BodyLimit as sent, a read timeout, a malformed request): they
// are counted here, as route unrouted, without a duration.
func (s *Server) fiberErrorHandler(c *fiber.Ctx, err error) error {
	werr := s.errorHandler(c, err)
	s.metrics.requests.WithLabelValues(routeUnrouted, methodLabel(c.Method()), statusLabel(c.Response().StatusCode())).Inc()
	s.logRequest(c, routeUnrouted, c.Response().StatusCode(), 0)
	return werr
}

func statusLabel(status int) string {
	if status >= 100 && status < len(statusText) {
		return statusText[status]
	}
	return strconv.Itoa(status)
}

// methodLabel interns a request's method: fiber's Method aliases the request buffer,
// which is reused, and a label value is kept for as long as its series.
func methodLabel(m string) string {
	for _, k := range knownMethods {
		if m == k {
			return k
		}
	}
	return "other"
}

var knownMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace}

// route is the route label of an answered request: the pattern of the route that answered
// (c.Route().Path, a registered string), the prefix of the middleware that did (the
// authentication of /api/t and the others, CORS preflights), unrouted for a global
// middleware (the in-flight bound; fiber files it under "/"), and unmatched otherwise.
// Never the raw path: fiber's Route falls back to it when nothing matched, hence the
// check against the registered paths.
func (m *serverMetrics) route(c *fiber.Ctx) string {
	if u, _ := c.Locals(localUnmatched).(bool); u {
		return routeUnmatched
	}
	r := c.Route()
	switch {
	case m.known[r.Path]:
		return r.Path
	case r.Path == "/": // no route has it: a global middleware answered
		return routeUnrouted
	}
	return routeUnmatched
}

// learnRoutes records every registered path; call once the routes are registered.
func (m *serverMetrics) learnRoutes(app *fiber.App) {
	for _, r := range app.GetRoutes(false) {
		if r.Path != "/" {
			m.known[r.Path] = true
		}
	}
}

// feed counts the rows of a feed's answer.
func (m *serverMetrics) feed(name string, res *BulkResult) {
	m.feedRows.WithLabelValues(name, "updated").Add(float64(res.Updated))
	m.feedRows.WithLabelValues(name, "not_found").Add(float64(len(res.NotFound)))
	m.feedRows.WithLabelValues(name, "rejected").Add(float64(len(res.Rejected)))
}

// metricsHandler serves GET /metrics: no API key; the metrics token when one is set.
func (s *Server) metricsHandler() fiber.Handler {
	h := adaptor.HTTPHandler(promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{
		ErrorLog:      promLogger{s.log},
		ErrorHandling: promhttp.ContinueOnError, // serve what could be gathered; the log says what failed
	}))
	var want [sha256.Size]byte
	if s.opts.MetricsToken != "" {
		want = sha256.Sum256([]byte(s.opts.MetricsToken))
	}
	return func(c *fiber.Ctx) error {
		if s.opts.MetricsToken != "" {
			if err := bearer(c, want, true, "metrics token"); err != nil {
				return err
			}
		}
		select {
		case s.metrics.scrapes <- struct{}{}:
			defer func() { <-s.metrics.scrapes }()
		default:
			return errorf(http.StatusServiceUnavailable, "overloaded", "too many scrapes at once, retry later")
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		c.Set("X-Catalog-Version", s.version()) // as on every answer (/metrics skips common)
		return h(c)
	}
}

// stateCollector reads the server's state when scraped.
type stateCollector struct{ s *Server }

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

var (
	descReady         = desc("fitment_ready", "1 when /readyz answers 200 (catalog and tenants loaded, not draining), else 0.")
	descInFlight      = desc("fitment_http_requests_in_flight", "Requests holding one of the MaxInFlight slots now.")
	descCatalogInfo   = desc("fitment_catalog_info", "The loaded catalog snapshot's version (value 1); absent before one is loaded.", "version")
	descCatalogLoaded = desc("fitment_catalog_loaded_timestamp_seconds", "When the loaded catalog was published, in Unix seconds; absent before one is loaded.")

	descTenants      = desc("fitment_tenants", "Tenants in the tenant store.")
	descOverlayOffer = desc("fitment_overlay_offers", "Parts with a price or stock, summed over every tenant (absent before a catalog is loaded).")
	descOverlayAlias = desc("fitment_overlay_aliases", "SKU aliases, summed over every tenant (absent before a catalog is loaded).")
	descOverlayAside = desc("fitment_overlay_kept_aside", "Settings of parts the loaded catalog lacks, kept for a later one, summed over every tenant (absent before a catalog is loaded).")

	descJournalFirst   = desc("fitment_journal_first_seq", "Sequence number of the oldest journal record held.")
	descJournalLast    = desc("fitment_journal_last_seq", "Sequence number of the newest journal record (every acknowledged write is applied up to it).")
	descJournalCkpt    = desc("fitment_journal_checkpoint_seq", "The oldest checkpoint of a tenant changed since it (fitment_journal_last_seq when every tenant is checkpointed).")
	descJournalLag     = desc("fitment_journal_checkpoint_lag_records", "fitment_journal_last_seq - fitment_journal_checkpoint_seq: journal records a restart may replay.")
	descJournalAppends = desc("fitment_journal_appends_total", "Journal records acknowledged since the store was opened.")
	descJournalBatches = desc("fitment_journal_batches_total", "Journal write+fsync rounds that carried records (group commits).")
	descJournalSyncs   = desc("fitment_journal_syncs_total", "Every fsync the journal issued: batches, new segment files, directories.")
	descJournalBytes   = desc("fitment_journal_written_bytes_total", "Framed record bytes the journal wrote.")

	descCacheHits    = desc("fitment_answer_cache_hits_total", "Storefront answers served from the answer cache.")
	descCacheMisses  = desc("fitment_answer_cache_misses_total", "Storefront answers rendered because the cache did not hold them.")
	descCacheBytes   = desc("fitment_answer_cache_bytes", "Weighted size of the answer cache's entries (bodies, compressed forms, overhead).")
	descCacheEntries = desc("fitment_answer_cache_entries", "Entries in the answer cache (an estimate).")
	descCacheMax     = desc("fitment_answer_cache_max_bytes", "The answer cache's bound (0: the cache is off).")

	descStreams        = desc("fitment_streams_total", "Fitment lookup and export streams started.")
	descStreamsAborted = desc("fitment_streams_aborted_total", "Streams ended early because the client went away or stalled.")
	descStreamLinks    = desc("fitment_stream_links_total", "Fitment link lines written by streams.")
	descStreamsNow     = desc("fitment_streams_in_flight", "Streams running now.")
	descSwaps          = desc("fitment_catalog_swaps_total", "Catalog swaps and rollbacks since start, by kind (swap, rollback) and outcome (done, refused: a bad file or one running).", "kind", "outcome")
	descPrevResident   = desc("fitment_catalog_previous_resident", "1 while the previous catalog is kept resident for an instant rollback (two catalogs' memory).")
	descLastSwap       = desc("fitment_catalog_last_swap_seconds", "How long the last swap or rollback took, and how long writes waited at its publish.", "phase")
	descStreamsRefused = desc("fitment_streams_refused_total", "Streams refused with 503 because MaxStreams were running.")
)

func (sc *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descReady, descInFlight, descCatalogInfo, descCatalogLoaded,
		descTenants, descOverlayOffer, descOverlayAlias, descOverlayAside,
		descJournalFirst, descJournalLast, descJournalCkpt, descJournalLag,
		descJournalAppends, descJournalBatches, descJournalSyncs, descJournalBytes,
		descCacheHits, descCacheMisses, descCacheBytes, descCacheEntries, descCacheMax,
		descStreams, descStreamsAborted, descStreamLinks, descStreamsNow, descStreamsRefused,
		descSwaps, descPrevResident, descLastSwap} {
		ch <- d
	}
}

// loadedEngine is the engine when it tells when its catalog was loaded (*engine.Engine).
type loadedEngine interface {
	Loaded() (version string, at time.Time)
}

func (sc *stateCollector) Collect(ch chan<- prometheus.Metric) {
	s := sc.s
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	b2f := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}

	version, at := s.eng.Version(), time.Time{}
	if le, ok := s.eng.(loadedEngine); ok {
		version, at = le.Loaded() // one catalog for both
	}
	gauge(descReady, b2f(s.ready.Load() && !s.draining.Load() && version != ""))
	gauge(descInFlight, float64(len(s.sem)))
	if version != "" {
		gauge(descCatalogInfo, 1, version)
		if !at.IsZero() {
			gauge(descCatalogLoaded, float64(at.UnixNano())/1e9)
		}
	}

	if c := s.opts.Catalogs; c != nil {
		st := c.Status()
		for _, k := range []struct {
			kind, outcome string
			n             int
		}{{"swap", "done", st.Swaps}, {"rollback", "done", st.Rollbacks}, {"any", "refused", st.Refused}} {
			ch <- prometheus.MustNewConstMetric(descSwaps, prometheus.CounterValue, float64(k.n), k.kind, k.outcome)
		}
		gauge(descPrevResident, b2f(st.PreviousResident))
		if r := st.LastSwap; r != nil {
			gauge(descLastSwap, r.TotalMs/1000, "total")
			gauge(descLastSwap, r.PublishPauseMs/1000, "publish_pause")
		}
	}

	if s.store != nil {
		st := s.store.Stats()
		gauge(descTenants, float64(st.Tenants))
		gauge(descJournalFirst, float64(st.FirstSeq))
		gauge(descJournalLast, float64(st.LastSeq))
		gauge(descJournalCkpt, float64(st.Checkpoint))
		gauge(descJournalLag, float64(st.LastSeq-min(st.Checkpoint, st.LastSeq)))
		counter(descJournalAppends, float64(st.Journal.Appends))
		counter(descJournalBatches, float64(st.Journal.Batches))
		counter(descJournalSyncs, float64(st.Journal.Syncs))
		counter(descJournalBytes, float64(st.Journal.Bytes))
		if version != "" {
			// One View per tenant: Counts reads sizes the views keep (and a bitmap's
			// cardinality), so this is O(tenants), cheap next to a scrape interval.
			var offers, aliases, aside int
			for _, t := range s.store.List() {
				v, err := s.eng.View(t.ID)
				if err != nil {
					continue
				}
				n := v.Counts()
				offers, aliases, aside = offers+n.Offers, aliases+n.Aliases, aside+n.KeptAside
			}
			gauge(descOverlayOffer, float64(offers))
			gauge(descOverlayAlias, float64(aliases))
			gauge(descOverlayAside, float64(aside))
		}
	}

	cs := s.cache.Stats()
	counter(descCacheHits, float64(cs.Hits))
	counter(descCacheMisses, float64(cs.Misses))
	gauge(descCacheBytes, float64(cs.Bytes))
	gauge(descCacheEntries, float64(cs.Entries))
	gauge(descCacheMax, float64(max(s.opts.CacheBytes, 0)))

	fs := s.FitmentStats()
	counter(descStreams, float64(fs.Streams))
	counter(descStreamsAborted, float64(fs.Aborted))
	counter(descStreamLinks, float64(fs.Links))
	gauge(descStreamsNow, float64(fs.InFlight))
	counter(descStreamsRefused, float64(fs.Refused))
}
