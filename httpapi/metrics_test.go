package httpapi

import (
	"bufio"
	"bytes"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/fitment/fitment/engine"
)

// scrape reads /metrics (with an Authorization header when auth is not "") and parses it.
func (e *env) scrape(auth string) (map[string]*dto.MetricFamily, []byte) {
	e.t.Helper()
	r := e.do("GET", "/metrics", "", nil, "Authorization", auth).want(200)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		e.t.Fatalf("/metrics: Content-Type %q, want the text format", ct)
	}
	if r.Header.Get("X-Catalog-Version") == "" || r.Header.Get("Cache-Control") != "no-store" {
		e.t.Errorf("/metrics: X-Catalog-Version %q, Cache-Control %q", r.Header.Get("X-Catalog-Version"), r.Header.Get("Cache-Control"))
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(r.body))
	if err != nil {
		e.t.Fatalf("/metrics does not parse: %v\n%s", err, r.body)
	}
	return fams, r.body
}

// series finds the series of family name whose labels include want; nil when none.
func series(fams map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	f := fams[name]
	if f == nil {
		return nil
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		return m
	}
	return nil
}

// value is a counter's, gauge's or untyped metric's value; fails when the series is absent.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	m := series(fams, name, labels)
	switch {
	case m == nil:
		t.Fatalf("no series %s%v", name, labels)
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	}
	t.Fatalf("%s%v is neither a counter nor a gauge", name, labels)
	return 0
}

func requests(route, method, status string) map[string]string {
	return map[string]string{"route": route, "method": method, "status": status}
}

// TestMetrics makes answers of every kind (200, 404 from a route and from the catch-all,
// 401 from authentication, a feed with updated, unknown and rejected rows, a stream) and
// checks what /metrics says of them: counts by route pattern (never a raw path),
// histograms with their buckets, and the state read at scrape time.
func TestMetrics(t *testing.T) {
	start := time.Now()
	e := newEnv(t) // two PUT /api/app/subscriptions/:brand
	e.do("GET", "/api/t/parts/EBC-1", e.a.Publishable, nil).want(200)
	e.do("GET", "/api/t/parts/EBC-1", e.a.Publishable, nil).want(200) // from the cache
	e.do("GET", "/api/t/parts/NOPE-9", e.a.Publishable, nil).want(404)
	e.do("GET", "/api/t/nope/EBC-1", e.a.Publishable, nil).want(404)
	e.do("GET", "/api/t/parts/EBC-1", "", nil).want(401)
	e.do("DELETE", "/api/t/parts/EBC-1", e.a.Publishable, nil).want(405)
	var res BulkResult
	e.do("POST", "/api/integrations/stock-feed", e.a.Secret,
		`[{"partNumber":"EBC-1","stock":4},{"partNumber":"ebc-2 ","stock":2.9},{"partNumber":"KN-1","stock":1},{"partNumber":"EBC-2","stock":-3}]`).want(200).json(&res)
	if res.Updated != 2 || len(res.NotFound) != 1 || len(res.Rejected) != 1 {
		t.Fatalf("stock feed: %+v, want 2 updated, 1 not found, 1 rejected", res)
	}
	e.do("POST", "/api/integrations/price-feed", e.a.Secret, `[{"partNumber":"EBC-1","price":"x"}]`).want(200)
	e.do("POST", "/api/integrations/fitments/lookup", e.a.Secret, `{"partNumbers":["EBC-1"]}`).want(200)
	for deadline := time.Now().Add(5 * time.Second); e.srv.FitmentStats().InFlight != 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}

	fams, body := e.scrape("")
	cache, fits, st := e.srv.CacheStats(), e.srv.FitmentStats(), e.store.Stats()

	// Route labels are patterns: no raw path, no part number.
	for name, f := range fams {
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if l.GetName() != "route" {
					continue
				}
				r := l.GetValue()
				if !e.srv.metrics.known[r] && r != routeUnmatched && r != routeUnrouted {
					t.Errorf("%s: route label %q is not a registered route pattern", name, r)
				}
				for _, raw := range []string{"EBC", "NOPE", "nope", "ebc"} {
					if strings.Contains(r, raw) {
						t.Errorf("%s: route label %q holds a raw path", name, r)
					}
				}
			}
		}
	}

	for _, c := range []struct {
		labels map[string]string
		want   float64
	}{
		{requests("/api/app/subscriptions/:brand", "PUT", "200"), 2},
		{requests("/api/t/parts/:partNumber", "GET", "200"), 2},
		{requests("/api/t/parts/:partNumber", "GET", "404"), 1},
		{requests("/api/t/parts/:partNumber", "DELETE", "405"), 1},
		{requests(routeUnmatched, "GET", "404"), 1},
		{requests("/api/t", "GET", "401"), 1}, // authentication answers before routing
		{requests("/api/integrations/stock-feed", "POST", "200"), 1},
		{requests("/api/integrations/price-feed", "POST", "200"), 1},
		{requests("/api/integrations/fitments/lookup", "POST", "200"), 1},
	} {
		if got := value(t, fams, "fitment_http_requests_total", c.labels); got != c.want {
			t.Errorf("fitment_http_requests_total%v = %v, want %v", c.labels, got, c.want)
		}
	}
	var total float64
	for _, m := range fams["fitment_http_requests_total"].Metric {
		total += m.Counter.GetValue()
	}
	if total != 2+2+1+1+1+1+1+1+1 {
		t.Errorf("fitment_http_requests_total sums to %v over every series, want 11 (each request once)", total)
	}

	// Histograms: the configured buckets, cumulative, and one observation per answer.
	f := fams["fitment_http_request_duration_seconds"]
	if f == nil || f.GetType() != dto.MetricType_HISTOGRAM {
		t.Fatalf("fitment_http_request_duration_seconds: %v, want a histogram", f)
	}
	m := series(fams, "fitment_http_request_duration_seconds", map[string]string{"route": "/api/t/parts/:partNumber", "method": "GET"})
	if m == nil {
		t.Fatal("no duration histogram of GET /api/t/parts/:partNumber")
	}
	h := m.Histogram
	bounds := append(append([]float64(nil), durationBuckets...), math.Inf(1)) // the parser keeps +Inf
	if h.GetSampleCount() != 3 || len(h.Bucket) != len(bounds) {
		t.Fatalf("histogram: %d samples in %d buckets, want 3 in %d", h.GetSampleCount(), len(h.Bucket), len(bounds))
	}
	for i, b := range h.Bucket {
		if b.GetUpperBound() != bounds[i] || (i > 0 && b.GetCumulativeCount() < h.Bucket[i-1].GetCumulativeCount()) {
			t.Errorf("bucket %d: le=%v count %d", i, b.GetUpperBound(), b.GetCumulativeCount())
		}
	}
	if last := h.Bucket[len(h.Bucket)-1].GetCumulativeCount(); last != 3 {
		t.Errorf("+Inf bucket holds %d, want every sample (3)", last)
	}
	if !strings.Contains(string(body), `fitment_http_request_duration_seconds_bucket{method="GET",route="/api/t/parts/:partNumber",le="5e-05"}`) {
		t.Error("no 50 µs bucket line in the text")
	}

	// Feed rows where the feeds built their answers.
	for _, c := range []struct {
		feed, outcome string
		want          float64
	}{
		{feedStock, "updated", 2}, {feedStock, "not_found", 1}, {feedStock, "rejected", 1},
		{feedPrice, "updated", 0}, {feedPrice, "rejected", 1}, {feedLocationStock, "updated", 0},
	} {
		l := map[string]string{"feed": c.feed, "outcome": c.outcome}
		if got := value(t, fams, "fitment_feed_rows_total", l); got != c.want {
			t.Errorf("fitment_feed_rows_total%v = %v, want %v", l, got, c.want)
		}
	}

	// State read at scrape time.
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"fitment_ready", nil, 1},
		{"fitment_catalog_info", map[string]string{"version": "v1"}, 1},
		{"fitment_tenants", nil, 2},
		{"fitment_journal_last_seq", nil, float64(st.LastSeq)},
		{"fitment_journal_checkpoint_seq", nil, float64(st.Checkpoint)},
		{"fitment_journal_checkpoint_lag_records", nil, float64(st.LastSeq - st.Checkpoint)},
		{"fitment_journal_appends_total", nil, float64(st.Journal.Appends)},
		{"fitment_overlay_offers", nil, 2}, // EBC-1 and EBC-2 of tenant a
		{"fitment_answer_cache_hits_total", nil, float64(cache.Hits)},
		{"fitment_answer_cache_misses_total", nil, float64(cache.Misses)},
		{"fitment_answer_cache_bytes", nil, float64(cache.Bytes)},
		{"fitment_answer_cache_entries", nil, float64(cache.Entries)},
		{"fitment_streams_total", nil, 1},
		{"fitment_stream_links_total", nil, float64(fits.Links)},
		{"fitment_streams_in_flight", nil, 0},
		{"fitment_streams_refused_total", nil, 0},
	} {
		if got := value(t, fams, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if st.LastSeq == 0 || cache.Hits == 0 || cache.Misses == 0 || fits.Links == 0 {
		t.Errorf("the requests left no trace: store %+v, cache %+v, streams %+v", st, cache, fits)
	}
	if at := value(t, fams, "fitment_catalog_loaded_timestamp_seconds", nil); at < float64(start.Unix()) || at > float64(time.Now().Unix()+1) {
		t.Errorf("fitment_catalog_loaded_timestamp_seconds = %v, want between %d and now", at, start.Unix())
	}
	for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "process_resident_memory_bytes", "go_build_info"} {
		if fams[name] == nil {
			t.Errorf("no %s (runtime, process and build collectors)", name)
		}
	}

	// The scrape itself is counted too, on the next one.
	fams, _ = e.scrape("")
	if got := value(t, fams, "fitment_http_requests_total", requests("/metrics", "GET", "200")); got != 1 {
		t.Errorf("scrapes counted: %v, want 1", got)
	}

	promtoolCheck(t, body)
}

// promtoolCheck runs `promtool check metrics` on a scrape when promtool is installed.
func promtoolCheck(t *testing.T, body []byte) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		t.Log("promtool not on PATH: skipping `promtool check metrics`")
		return
	}
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
		return
	}
	t.Logf("promtool check metrics: no problems (%s)", path)
}

// TestMetricsBeforeCatalog: a server still loading serves /metrics, says it is not ready
// and has no catalog, and counts the 503s it answers.
func TestMetricsBeforeCatalog(t *testing.T) {
	e := newEnvWith(t, envOptions{noCatalog: true})
	e.do("GET", "/api/t/years", e.a.Publishable, nil).want(503)
	e.do("GET", "/readyz", "", nil).want(503)
	fams, _ := e.scrape("")
	if got := value(t, fams, "fitment_ready", nil); got != 0 {
		t.Errorf("fitment_ready = %v before a catalog, want 0", got)
	}
	for _, name := range []string{"fitment_catalog_info", "fitment_catalog_loaded_timestamp_seconds", "fitment_overlay_offers"} {
		if fams[name] != nil {
			t.Errorf("%s present before a catalog is loaded", name)
		}
	}
	if got := value(t, fams, "fitment_http_requests_total", requests("/api/t/years", "GET", "503")); got != 1 {
		t.Errorf("503 no_catalog counted %v times, want 1", got)
	}
	if got := value(t, fams, "fitment_http_requests_total", requests("/readyz", "GET", "503")); got != 1 {
		t.Errorf("503 /readyz counted %v times, want 1", got)
	}
}

// holdFirst is the real engine whose first View call waits until release is closed.
type holdFirst struct {
	*engine.Engine
	once          sync.Once
	held, release chan struct{}
}

func (h *holdFirst) View(id string) (*engine.View, error) {
	first := false
	h.once.Do(func() { first = true })
	if first {
		close(h.held)
		<-h.release
	}
	return h.Engine.View(id)
}

// TestMetricsOverloaded: a request refused by the in-flight bound is counted with its 503
// (route unrouted: it never reached routing), and /metrics still answers while every
// request slot is taken.
func TestMetricsOverloaded(t *testing.T) {
	e := newEnv(t)
	eng := &holdFirst{Engine: e.eng.Engine, held: make(chan struct{}), release: make(chan struct{})}
	srv := New(Options{Engine: eng, Store: e.store, MaxInFlight: 1, QueueWait: 50 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)})
	srv.SetReady(true)
	e.srv = srv

	first := make(chan int)
	go func() {
		req := httptest.NewRequest("GET", "/api/t/years", nil)
		req.Header.Set("X-API-Key", e.a.Publishable)
		res, err := srv.App().Test(req, -1)
		if err != nil {
			first <- 0
			return
		}
		first <- res.StatusCode
	}()
	<-eng.held // the first request holds the only slot
	e.do("GET", "/api/t/years", e.a.Publishable, nil).want(503)
	e.do("GET", "/api/t/parts/EBC-1", e.a.Publishable, nil).want(503)
	fams, _ := e.scrape("")
	if got := value(t, fams, "fitment_http_requests_total", requests(routeUnrouted, "GET", "503")); got != 2 {
		t.Errorf("refused requests counted %v times, want 2", got)
	}
	if got := value(t, fams, "fitment_http_requests_in_flight", nil); got != 1 {
		t.Errorf("fitment_http_requests_in_flight = %v, want 1", got)
	}
	close(eng.release)
	if code := <-first; code != 200 {
		t.Errorf("first request: got %d, want 200", code)
	}
	fams, _ = e.scrape("")
	if got := value(t, fams, "fitment_http_requests_total", requests("/api/t/years", "GET", "200")); got != 1 {
		t.Errorf("the held request counted %v times, want 1", got)
	}
}

// TestMetricsRefusedByFasthttp: a body over BodyLimit as sent is refused before any
// handler runs, and still counted.
func TestMetricsRefusedByFasthttp(t *testing.T) {
	e := newEnv(t)
	base := serve(t, e.srv)
	// Only the headers, as in TestBodyRules: the server refuses on Content-Length alone.
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/integrations/stock-feed HTTP/1.1\r\nHost: x\r\nX-API-Key: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", e.a.Secret, 64<<20)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 413 {
		t.Fatalf("body over the limit: %d, want 413", res.StatusCode)
	}
	fams, _ := e.scrape("")
	if got := value(t, fams, "fitment_http_requests_total", requests(routeUnrouted, "POST", "413")); got != 1 {
		t.Errorf("413 counted %v times, want 1", got)
	}
}

// TestMetricsToken: with a metrics token /metrics needs it as a bearer token; without
// one it is open. Refusals are counted too.
func TestMetricsToken(t *testing.T) {
	e := newEnvWith(t, envOptions{opts: Options{MetricsToken: "scrape-me"}})
	for _, auth := range []string{"", "Bearer", "Bearer wrong", "Basic scrape-me", "Bearer " + adminToken} {
		r := e.do("GET", "/metrics", "", nil, "Authorization", auth).want(401)
		if code, _ := r.errCode(); code != "unauthorized" || r.Header.Get("WWW-Authenticate") != "Bearer" {
			t.Errorf("Authorization %q: code %q, WWW-Authenticate %q", auth, code, r.Header.Get("WWW-Authenticate"))
		}
	}
	// The admin token opens nothing but /api/admin; the metrics token nothing but /metrics.
	e.do("GET", "/api/admin/tenants", "", nil, "Authorization", "Bearer scrape-me").want(401)
	fams, _ := e.scrape("bearer scrape-me")
	if got := value(t, fams, "fitment_http_requests_total", requests("/metrics", "GET", "401")); got != 5 {
		t.Errorf("refused scrapes counted %v times, want 5", got)
	}
	e.do("POST", "/metrics", "", nil).want(405)

	open := newEnv(t)
	open.scrape("")
	r := open.do("GET", "/metrics", "", nil, "Accept-Encoding", "gzip").want(200)
	if r.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("/metrics with Accept-Encoding gzip: Content-Encoding %q", r.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	if fams, err := p.TextToMetricFamilies(zr); err != nil || fams["fitment_tenants"] == nil {
		t.Errorf("gzipped /metrics: %v, fitment_tenants %v", err, fams["fitment_tenants"])
	}
}

// TestMetricsRegistryPerServer: servers do not share series.
func TestMetricsRegistryPerServer(t *testing.T) {
	a, b := newEnv(t), newEnv(t)
	a.do("GET", "/api/t/years", a.a.Publishable, nil).want(200)
	fa, _ := a.scrape("")
	fb, _ := b.scrape("")
	if got := value(t, fa, "fitment_http_requests_total", requests("/api/t/years", "GET", "200")); got != 1 {
		t.Errorf("server a: %v, want 1", got)
	}
	if m := series(fb, "fitment_http_requests_total", requests("/api/t/years", "GET", "200")); m != nil {
		t.Errorf("server b counted server a's request: %v", m)
	}
	names := make([]string, 0, len(fa))
	for n := range fa {
		names = append(names, n)
	}
	sort.Strings(names)
	t.Logf("%d metric families: %s", len(names), strings.Join(names, " "))
}
