package httpapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/fitment/fitment/engine"
)

// logBuffer collects JSON log lines, safe for the server's goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func (b *logBuffer) reset() { b.mu.Lock(); b.buf.Reset(); b.mu.Unlock() }

// withLog replaces e's server by one that logs JSON at level into the returned buffer.
func (e *env) withLog(level slog.Level, o Options) *logBuffer {
	lb := &logBuffer{}
	o.Engine, o.Store, o.AdminToken = e.eng, e.store, adminToken
	o.Logger = slog.New(slog.NewJSONHandler(lb, &slog.HandlerOptions{Level: level}))
	e.srv = New(o)
	e.srv.SetReady(true)
	return lb
}

var generatedID = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestRequestID(t *testing.T) {
	e := newEnv(t)
	lb := e.withLog(slog.LevelDebug, Options{})
	long := strings.Repeat("a", 128)
	for _, tc := range []struct {
		in   string
		echo bool
	}{
		{"abc-123", true},
		{"A.b_c:d-9", true},
		{long, true},
		{long + "a", false}, // 129 characters
		{"", false},
		{"has space", false},
		{"semi;colon", false},
		{"ünï", false},
	} {
		lb.reset()
		r := e.do("GET", "/api/t/years", e.a.Publishable, nil, "X-Request-Id", tc.in).want(200)
		got := r.Header.Get("X-Request-Id")
		switch {
		case tc.echo && got != tc.in:
			t.Errorf("X-Request-Id %q: got %q, want it echoed", tc.in, got)
		case !tc.echo && !generatedID.MatchString(got):
			t.Errorf("X-Request-Id %q: got %q, want a generated id (32 hex digits)", tc.in, got)
		}
		lines := lb.lines(t)
		if len(lines) != 1 || lines[0]["request_id"] != got || lines[0]["level"] != "DEBUG" ||
			lines[0]["route"] != "/api/t/years" || lines[0]["status"] != float64(200) || lines[0]["tenant"] != "a" {
			t.Errorf("X-Request-Id %q: got log lines %v, want one debug access line with request_id %q, route, status, tenant", tc.in, lines, got)
		}
	}

	// Generated ids differ; errors answered before any handler carry one too.
	seen := map[string]bool{}
	for range 100 {
		id := e.do("GET", "/api/t/years", "", nil).want(401).Header.Get("X-Request-Id")
		if !generatedID.MatchString(id) || seen[id] {
			t.Fatalf("401: X-Request-Id %q: want a fresh generated id (seen before: %v)", id, seen[id])
		}
		seen[id] = true
	}
}

// panicEngine panics in View: a handler bug.
type panicEngine struct{ *gatedEngine }

func (panicEngine) View(string) (*engine.View, error) { panic("boom") }

// TestErrorLog: at level info a 4xx logs nothing; a panic and its 500 log at error level
// with the request's id, method, route, status and duration.
func TestErrorLog(t *testing.T) {
	e := newEnv(t)
	lb := e.withLog(slog.LevelInfo, Options{})
	e.srv = New(Options{Engine: panicEngine{e.eng}, Store: e.store, Logger: e.srv.log})
	e.srv.SetReady(true)

	e.do("GET", "/api/t/years", "", nil).want(401)
	e.do("GET", "/nope", "", nil).want(404)
	if l := lb.lines(t); len(l) != 0 {
		t.Errorf("4xx at level info: got log lines %v, want none", l)
	}

	r := e.do("GET", "/api/t/years", e.a.Publishable, nil, "X-Request-Id", "req-42").want(500)
	if code, _ := r.errCode(); code != "internal" || strings.Contains(string(r.body), "boom") || r.Header.Get("X-Request-Id") != "req-42" {
		t.Errorf("panic: got %s, X-Request-Id %q; want internal, no panic text, the request's id", r.body, r.Header.Get("X-Request-Id"))
	}
	lines := lb.lines(t)
	if len(lines) != 2 {
		t.Fatalf("panic: got log lines %v, want 2 (the panic, the request)", lines)
	}
	p, q := lines[0], lines[1]
	if p["msg"] != "panic" || p["level"] != "ERROR" || p["request_id"] != "req-42" || p["panic"] != "boom" ||
		!strings.Contains(p["stack"].(string), "panicEngine") {
		t.Errorf("panic line: got %v", p)
	}
	if q["msg"] != "request" || q["level"] != "ERROR" || q["request_id"] != "req-42" || q["method"] != "GET" ||
		q["route"] != "/api/t/years" || q["status"] != float64(500) || q["duration"] == nil || q["error"] == nil {
		t.Errorf("request line: got %v, want level ERROR, request_id, method, route, status 500, duration, error", q)
	}

	// A probe's 503 is its answer, not an error.
	lb.reset()
	e.srv.SetDraining()
	e.do("GET", "/readyz", "", nil).want(503)
	if l := lb.lines(t); len(l) != 0 {
		t.Errorf("/readyz 503 while draining at level info: got log lines %v, want none", l)
	}
}

// TestRequestTimeout: past the handler deadline a bulk write answers 503 timeout and
// records nothing; reads without a check point still answer.
func TestRequestTimeout(t *testing.T) {
	e := newEnv(t)
	e.withLog(slog.LevelError, Options{RequestTimeout: time.Nanosecond})
	feed := `[{"partNumber":"EBC-1","stock":7}]`
	r := e.do("POST", "/api/integrations/stock-feed", e.a.Secret, feed).want(503)
	if code, msg := r.errCode(); code != "timeout" || !strings.Contains(msg, "nothing of it was applied") || r.Header.Get("X-Change-Seq") != "" {
		t.Errorf("stock-feed past the deadline: got %s (X-Change-Seq %q), want 503 timeout, nothing applied", r.body, r.Header.Get("X-Change-Seq"))
	}
	e.do("GET", "/api/t/years", e.a.Publishable, nil).want(200)
	var part struct{ Stock *int64 }
	e.do("GET", "/api/t/parts/EBC-1", e.a.Publishable, nil).want(200).json(&part)
	if part.Stock != nil && *part.Stock == 7 {
		t.Errorf("stock-feed past the deadline was applied: stock %d", *part.Stock)
	}

	e.withLog(slog.LevelError, Options{}) // the default, 10 s
	e.do("POST", "/api/integrations/stock-feed", e.a.Secret, feed).want(200)
	e.do("GET", "/api/t/parts/EBC-1", e.a.Publishable, nil).want(200).json(&part)
	if part.Stock == nil || *part.Stock != 7 {
		t.Errorf("stock-feed within the deadline: stock %v, want 7", part.Stock)
	}
}

// TestServerLeavesNoGoroutines serves a real engine and tenant store on a loopback port,
// answers a few requests and a fitment stream, shuts down and closes everything: nothing
// the server started may be left running.
func TestServerLeavesNoGoroutines(t *testing.T) {
	// Registered first, so it runs after every other cleanup (the store, the text index).
	// Goroutines that predate the test belong to earlier tests' servers.
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		goleak.VerifyNone(t, ignore,
			// fasthttp's worker pool cleaner notices Stop only after its sleep of
			// MaxIdleWorkerDuration (10 s; fiber does not expose it): it ends late, not
			// never (fasthttp workerpool.go, Start).
			goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"))
	})

	e := newEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	served := make(chan error, 1)
	go func() { served <- e.srv.App().Listener(ln) }()

	tr := &http.Transport{}
	client := &http.Client{Transport: tr}
	get := func(path, key string) []byte {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("X-API-Key", key)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
		}
		return b
	}
	get("/api/t/years", e.a.Publishable)
	get("/api/t/parts?vehicleId="+v1, e.a.Publishable)
	get("/api/t/search?q=brake", e.a.Publishable)
	if b := get("/api/integrations/fitments/export", e.a.Secret); !bytes.Contains(b, []byte("EBC-1")) {
		t.Errorf("export: got %q, want EBC-1's links", b)
	}
	get("/metrics", "")

	tr.CloseIdleConnections()
	if err := e.srv.App().ShutdownWithTimeout(5 * time.Second); err != nil {
		t.Fatalf("ShutdownWithTimeout: %v", err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Listener: %v", err)
	}
}
