package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/index"
	"github.com/fitment/fitment/ingest"
	"github.com/fitment/fitment/snapshot"
	"github.com/fitment/fitment/tenant"
)

// The handler tests run the real engine and tenant store on a small hand-written catalog:
// three vehicles, four parts of three brands.

const adminToken = "test-admin-token"

var fixture = map[string]string{
	"vehicles.csv": `type,make,model,submodel,years
atv,Can-Am,Outlander 1000,X-MR,2024
atv,Yamaha,YFZ450R,,2019
motorcycle,KTM,450 SX-F,,2023
`,
	"parts.csv": `part_number,brand,name,category,name_de
EBC-1,EBC,Brake pads,Brakes,Brake pads (de)
EBC-2,EBC,Brake disc,Brakes,
KN-1,K&N,Air filter,Filters,
AT/1,Alphatrac,Skid plate,Protection,
`,
	"fitments.csv": `part_number,make,model,submodel,years
EBC-1,Can-Am,Outlander 1000,X-MR,2024
EBC-2,Yamaha,YFZ450R,,2019
KN-1,Can-Am,Outlander 1000,X-MR,2024
KN-1,KTM,450 SX-F,,2023
AT/1,KTM,450 SX-F,,2023
`,
}

// Ids of the fixture.
var (
	mkCanAm = snapshot.MakeID("Can-Am")
	mdOut   = snapshot.ModelID("Can-Am", "Outlander 1000")
	v1      = snapshot.VehicleID("Can-Am", "Outlander 1000", "X-MR", 2024)
	v3      = snapshot.VehicleID("KTM", "450 SX-F", "", 2023)
)

var (
	fixtureOnce sync.Once
	fixtureCat  *snapshot.Catalog
	fixtureErr  error
)

func fixtureCatalog(t *testing.T) *snapshot.Catalog {
	t.Helper()
	fixtureOnce.Do(func() {
		dir, err := os.MkdirTemp("", "httpapi-fixture")
		if err != nil {
			fixtureErr = err
			return
		}
		defer os.RemoveAll(dir)
		for name, content := range fixture {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				fixtureErr = err
				return
			}
		}
		fixtureCat, _, fixtureErr = ingest.Build(dir, ingest.Options{})
	})
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	return fixtureCat
}

// gatedEngine is the real engine whose View calls can be held (to keep a request busy).
type gatedEngine struct {
	*engine.Engine
	mu   sync.Mutex
	gate chan struct{}
}

func (g *gatedEngine) View(id string) (*engine.View, error) {
	g.mu.Lock()
	gate := g.gate
	g.mu.Unlock()
	if gate != nil {
		<-gate
	}
	return g.Engine.View(id)
}

type env struct {
	t     *testing.T
	srv   *Server
	eng   *gatedEngine
	store *tenant.Store
	dir   string
	a, b  tenant.Keys // tenant "a" subscribes EBC; tenant "b" subscribes K&N

	noText bool
}

type envOptions struct {
	noCatalog bool
	noText    bool // load the catalog without its text index
	opts      Options
}

func newEnv(t *testing.T) *env { return newEnvWith(t, envOptions{}) }

func newEnvWith(t *testing.T, eo envOptions) *env {
	t.Helper()
	dir := t.TempDir()
	topts := tenant.DefaultOptions()
	topts.Logger = slog.New(slog.DiscardHandler)
	store, err := tenant.Open(dir, topts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	eng := &gatedEngine{Engine: engine.New()}
	o := eo.opts
	o.Engine, o.Store, o.AdminToken, o.Logger = eng, store, adminToken, slog.New(slog.DiscardHandler)
	if o.BodyLimit == 0 {
		o.BodyLimit = 64 << 10
	}
	e := &env{t: t, srv: New(o), eng: eng, store: store, dir: dir, noText: eo.noText}
	if _, e.a, err = store.Create(tenant.Tenant{ID: "a", Name: "Tenant A", Currency: "EUR", Language: "de"}); err != nil {
		t.Fatal(err)
	}
	if _, e.b, err = store.Create(tenant.Tenant{ID: "b", Name: "Tenant B", Currency: "SEK", Language: "sv"}); err != nil {
		t.Fatal(err)
	}
	if eo.noCatalog {
		return e
	}
	e.load()
	e.do("PUT", "/api/app/subscriptions/EBC", e.a.Secret, nil).want(200)
	e.do("PUT", "/api/app/subscriptions/k%26n", e.b.Secret, nil).want(200)
	return e
}

// load loads the fixture catalog (version v1) and attaches the store, as fitmentd does.
func (e *env) load() {
	e.t.Helper()
	cat := fixtureCatalog(e.t)
	if e.noText {
		e.eng.Load(cat, "v1")
	} else {
		dir := filepath.Join(e.t.TempDir(), "text")
		if _, err := index.Build(dir, len(cat.Parts), index.CatalogDocs(cat, "en"), index.Options{}); err != nil {
			e.t.Fatal(err)
		}
		ix, err := index.Open(dir)
		if err != nil {
			e.t.Fatal(err)
		}
		e.t.Cleanup(func() { ix.Close() })
		e.eng.LoadWithText(cat, "v1", ix)
	}
	if err := e.store.Attach(e.eng.Engine); err != nil {
		e.t.Fatal(err)
	}
	e.srv.SetReady(true)
}

type resp struct {
	t *testing.T
	*http.Response
	body []byte
	req  string
}

// do sends a request; body, when not nil, is sent as JSON (a string is sent as is).
func (e *env) do(method, path, key string, body any, headers ...string) *resp {
	e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		buf, _ := json.Marshal(b)
		r = bytes.NewReader(buf)
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	res, err := e.srv.App().Test(req, -1)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return &resp{t: e.t, Response: res, body: b, req: method + " " + path}
}

// serve runs the server on a loopback port until the test ends and returns its base URL.
func serve(t *testing.T, srv *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.App().Listener(ln)
	t.Cleanup(func() { srv.App().ShutdownWithTimeout(time.Second) })
	return "http://" + ln.Addr().String()
}

func (r *resp) want(status int) *resp {
	r.t.Helper()
	if r.StatusCode != status {
		r.t.Fatalf("%s: got status %d, want %d; body %s", r.req, r.StatusCode, status, r.body)
	}
	return r
}

func (r *resp) json(v any) *resp {
	r.t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		r.t.Fatalf("%s: body %q: %v", r.req, r.body, err)
	}
	return r
}

func (r *resp) errCode() (code, msg string) {
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	json.Unmarshal(r.body, &e)
	return e.Error.Code, e.Error.Message
}
