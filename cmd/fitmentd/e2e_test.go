package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fitment/fitment/ingest"
	"github.com/fitment/fitment/snapshot"
)

// The end-to-end test builds the real binaries, prepares a tiny catalog and demo tenants
// with fitctl, runs fitmentd on a loopback port and talks HTTP to it.

const (
	e2eAdminToken   = "e2e-admin-token"
	e2eMetricsToken = "e2e-metrics-token"
)

type e2e struct {
	t        *testing.T
	bin      string // directory of the built binaries
	snap     string
	data     string
	pk, sk   string // first demo tenant's keys
	tenantID string
	brands   []string // catalog brands
}

func setupE2E(t *testing.T) *e2e {
	if testing.Short() {
		t.Skip("builds and runs the binaries")
	}
	dir := t.TempDir()
	e := &e2e{t: t, bin: filepath.Join(dir, "bin"), snap: filepath.Join(dir, "tiny.snap"), data: filepath.Join(dir, "data")}
	e.bin = buildBinaries(t)
	catDir := filepath.Join(dir, "cat")
	e.fitctl("gen", "--profile", "tiny", "--out", catDir)
	if e.hasCommand("build") {
		e.fitctl("build", "--in", catDir, "--out", e.snap)
	} else {
		// fitctl build is not there yet: build the snapshot in-process the same way.
		cat, _, err := ingest.Build(catDir, ingest.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := snapshot.Write(e.snap, cat); err != nil {
			t.Fatal(err)
		}
	}
	out := e.fitctl("demo", "--catalog", catDir, "--data", e.data, "--snapshot", e.snap)
	if !strings.Contains(out, "curl -s -H 'X-API-Key: pk_") || strings.Contains(out, "VEHICLE_ID") {
		t.Errorf("fitctl demo: want curl lines with a key and real ids, got\n%s", out)
	}
	raw, err := os.ReadFile(filepath.Join(e.data, "demo-keys.txt"))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Split(strings.SplitN(string(raw), "\n", 2)[0], "\t")
	if len(f) < 3 {
		t.Fatalf("demo-keys.txt: %q", raw)
	}
	e.tenantID, e.pk, e.sk = f[0], f[1], f[2]
	// A second demo run is idempotent and still prints the keys.
	if out := e.fitctl("demo", "--catalog", catDir, "--data", e.data, "--snapshot", e.snap); !strings.Contains(out, e.pk) || !strings.Contains(out, "0 created now") {
		t.Errorf("second fitctl demo: want the same keys and nothing created, got\n%s", out)
	}
	cat, _, err := snapshot.Open(e.snap)
	if err != nil {
		t.Fatal(err)
	}
	e.brands = cat.Brands
	return e
}

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// buildBinaries builds fitmentd and fitctl once per test run.
func buildBinaries(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "fitment-e2e-bin")
		for _, cmd := range []string{"fitmentd", "fitctl"} {
			if buildErr != nil {
				return
			}
			out, err := exec.Command("go", "build", "-o", filepath.Join(binDir, cmd), "github.com/fitment/fitment/cmd/"+cmd).CombinedOutput()
			if err != nil {
				buildErr = fmt.Errorf("go build %s: %v\n%s", cmd, err, out)
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

func (e *e2e) hasCommand(name string) bool {
	out, _ := exec.Command(filepath.Join(e.bin, "fitctl")).CombinedOutput()
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == name {
			return true
		}
	}
	return false
}

func (e *e2e) fitctl(args ...string) string {
	e.t.Helper()
	out, err := exec.Command(filepath.Join(e.bin, "fitctl"), args...).CombinedOutput()
	if err != nil {
		e.t.Fatalf("fitctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

type server struct {
	cmd  *exec.Cmd
	base string
	done chan error
}

// start runs fitmentd on a free loopback port and waits until it is ready.
func (e *e2e) start() *server { return e.startWith(nil, os.Stderr) }

// startWith is start with more flags (later ones win) and the log going to stderr.
func (e *e2e) startWith(args []string, stderr io.Writer) *server {
	e.t.Helper()
	args = append([]string{"--snapshot", e.snap, "--data", e.data, "--addr", "127.0.0.1:0", "--drain", "50ms"}, args...)
	cmd := exec.Command(filepath.Join(e.bin, "fitmentd"), args...)
	cmd.Env = append(os.Environ(), "FITMENT_ADMIN_TOKEN="+e2eAdminToken, "FITMENT_METRICS_TOKEN="+e2eMetricsToken)
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	s := &server{cmd: cmd, done: make(chan error, 1)}
	e.t.Cleanup(func() { cmd.Process.Kill(); <-s.done })
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		s.done <- cmd.Wait()
	}()
	deadline := time.After(20 * time.Second)
	for s.base == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				e.t.Fatal("fitmentd exited before listening")
			}
			if addr, ok := strings.CutPrefix(l, "listening on "); ok {
				s.base = addr
			}
		case <-deadline:
			e.t.Fatal("fitmentd did not print its address")
		}
	}
	go func() {
		for range lines {
		}
	}()
	if code, _ := e.req(s, "GET", "/healthz", "", ""); code != 200 {
		e.t.Errorf("healthz right after listening: %d", code)
	}
	for i := 0; ; i++ {
		code, _ := e.req(s, "GET", "/readyz", "", "")
		if code == 200 {
			break
		}
		if code != 503 || i > 200 {
			e.t.Fatalf("readyz: %d", code)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s
}

func (e *e2e) req(s *server, method, path, key, body string) (int, []byte) {
	e.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.base+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if strings.HasPrefix(key, "Bearer ") {
		req.Header.Set("Authorization", key)
	} else if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.Header.Get("X-Catalog-Version") == "" {
		e.t.Errorf("%s %s: no X-Catalog-Version", method, path)
	}
	return res.StatusCode, b
}

func (e *e2e) getJSON(s *server, path, key string, v any) {
	e.t.Helper()
	code, b := e.req(s, "GET", path, key, "")
	if code != 200 {
		e.t.Fatalf("GET %s: %d %s", path, code, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		e.t.Fatalf("GET %s: %v", path, err)
	}
}

// otherTenant is the id of a demo tenant other than the one the test writes as.
func (e *e2e) otherTenant() string {
	e.t.Helper()
	raw, err := os.ReadFile(filepath.Join(e.data, "demo-keys.txt"))
	if err != nil {
		e.t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if id, _, _ := strings.Cut(line, "\t"); id != "" && id != e.tenantID {
			return id
		}
	}
	e.t.Fatal("demo-keys.txt names one tenant only")
	return ""
}

// unsubscribedBrand returns a catalog brand the demo tenant does not subscribe.
func (e *e2e) unsubscribedBrand(s *server) string {
	var subs []struct{ Brand string }
	e.getJSON(s, "/api/app/subscriptions", e.sk, &subs)
	have := map[string]bool{}
	for _, b := range subs {
		have[strings.ToLower(b.Brand)] = true
	}
	for _, b := range e.brands {
		if !have[strings.ToLower(b)] {
			return b
		}
	}
	e.t.Skip("the demo tenant subscribes every brand")
	return ""
}

func (e *e2e) subscribed(s *server, brand string) bool {
	var subs []struct{ Brand string }
	e.getJSON(s, "/api/app/subscriptions", e.sk, &subs)
	for _, b := range subs {
		if strings.EqualFold(b.Brand, brand) {
			return true
		}
	}
	return false
}

func TestEndToEnd(t *testing.T) {
	e := setupE2E(t)
	s := e.start()

	// The cascade down to parts.
	var years []int
	e.getJSON(s, "/api/t/years", e.pk, &years)
	if len(years) == 0 {
		t.Fatal("years: empty for the demo tenant")
	}
	var makes []struct{ ID, Name string }
	e.getJSON(s, fmt.Sprintf("/api/t/makes?year=%d", years[0]), e.pk, &makes)
	if len(makes) == 0 {
		t.Fatal("makes: empty")
	}
	var models []struct{ ID, Name string }
	e.getJSON(s, fmt.Sprintf("/api/t/models?makeId=%s&year=%d", url.QueryEscape(makes[0].ID), years[0]), e.pk, &models)
	if len(models) == 0 {
		t.Fatal("models: empty")
	}
	var vehicles []struct{ ID string }
	e.getJSON(s, fmt.Sprintf("/api/t/vehicles?modelId=%s&year=%d", url.QueryEscape(models[0].ID), years[0]), e.pk, &vehicles)
	if len(vehicles) == 0 {
		t.Fatal("vehicles: empty")
	}
	var parts []struct{ PartNumber string }
	e.getJSON(s, "/api/t/parts?vehicleId="+url.QueryEscape(vehicles[0].ID), e.pk, &parts)
	if len(parts) == 0 {
		t.Fatal("parts: empty for a vehicle of the cascade")
	}

	// Auth.
	if code, _ := e.req(s, "GET", "/api/t/years", "", ""); code != 401 {
		t.Errorf("no key: %d, want 401", code)
	}
	if code, _ := e.req(s, "GET", "/api/t/years", "pk_nope", ""); code != 401 {
		t.Errorf("wrong key: %d, want 401", code)
	}
	if code, _ := e.req(s, "GET", "/api/app/subscriptions", e.pk, ""); code != 403 {
		t.Errorf("publishable key on /api/app: %d, want 403", code)
	}
	if code, _ := e.req(s, "GET", "/api/admin/tenants", "Bearer "+e2eAdminToken, ""); code != 200 {
		t.Errorf("admin: %d, want 200", code)
	}

	// Metrics, behind FITMENT_METRICS_TOKEN.
	if code, _ := e.req(s, "GET", "/metrics", "", ""); code != 401 {
		t.Errorf("/metrics without the token: %d, want 401", code)
	}
	if code, b := e.req(s, "GET", "/metrics", "Bearer "+e2eMetricsToken, ""); code != 200 ||
		!strings.Contains(string(b), `fitment_http_requests_total{method="GET",route="/api/t",status="401"} 2`) ||
		!strings.Contains(string(b), "fitment_ready 1") {
		t.Errorf("/metrics with the token: %d\n%s", code, b)
	}

	// A subscription change is visible at once.
	brand := e.unsubscribedBrand(s)
	code, b := e.req(s, "PUT", "/api/app/subscriptions/"+url.PathEscape(brand), e.sk, "")
	if code != 200 {
		t.Fatalf("PUT subscription %s: %d %s", brand, code, b)
	}
	var sub struct {
		Brand string
		Parts int
	}
	json.Unmarshal(b, &sub)
	if sub.Parts == 0 {
		t.Errorf("PUT subscription %s: got %s, want a part count", brand, b)
	}
	if !e.subscribed(s, brand) {
		t.Errorf("subscription %s not listed after PUT", brand)
	}
	if code, _ := e.req(s, "DELETE", "/api/app/subscriptions/"+url.PathEscape(brand), e.sk, ""); code != 204 {
		t.Errorf("DELETE subscription: %d", code)
	}

	// Graceful stop.
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("fitmentd after SIGTERM: %v, want exit 0", err)
		}
		s.done <- nil // for the cleanup
	case <-time.After(15 * time.Second):
		t.Fatal("fitmentd did not stop on SIGTERM")
	}
}

// TestKillNine: an acknowledged subscription survives kill -9 of the server.
func TestKillNine(t *testing.T) {
	e := setupE2E(t)
	s := e.start()
	brand := e.unsubscribedBrand(s)
	if code, b := e.req(s, "PUT", "/api/app/subscriptions/"+url.PathEscape(brand), e.sk, ""); code != 200 {
		t.Fatalf("PUT subscription: %d %s", code, b)
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
	s.done <- nil

	s = e.start()
	if !e.subscribed(s, brand) {
		t.Errorf("acknowledged subscription %s lost after kill -9", brand)
	}
	var years []int
	e.getJSON(s, "/api/t/years", e.pk, &years)
	if len(years) == 0 {
		t.Error("years empty after restart")
	}
}

// TestKillNineDuringFeeds kills the real server with SIGKILL while four clients push
// stock feeds as fast as they are answered (JSON, NDJSON and CSV bodies). Client c owns a
// set of parts and its feed n sets every one of them to stock n. After a restart every part
// of a client must show one same stock (no feed half applied), at least the last feed that
// client saw acknowledged.
func TestKillNineDuringFeeds(t *testing.T) {
	e := setupE2E(t)
	s := e.start()
	var page struct {
		Items []struct{ PartNumber string }
	}
	e.getJSON(s, "/api/app/catalog-items?active=true&limit=160", e.sk, &page)
	if len(page.Items) < 40 {
		t.Fatalf("the demo tenant sells %d parts, want 40 or more", len(page.Items))
	}
	const clients = 4 // stock feeds; then one client pushes location stock, one sets a grant
	per := len(page.Items) / clients
	owned := make([][]string, clients)
	for i, it := range page.Items[:per*clients] {
		owned[i/per] = append(owned[i/per], it.PartNumber)
	}
	if code, b := e.req(s, "PUT", "/api/app/locations", e.sk, `[{"code":"K9","name":"Kill store","lat":60.2,"lng":24.9}]`); code != 200 {
		t.Fatalf("PUT locations: %d %s", code, b)
	}
	grantee := e.otherTenant()
	body := func(c, n int) (path, contentType, body string) {
		var b strings.Builder
		switch {
		case c == clients:
			b.WriteString("location,part_number,stock\n")
			for _, pn := range owned[0] {
				fmt.Fprintf(&b, "K9,%s,%d\n", pn, n)
			}
			return "/api/integrations/location-stock-feed", "text/csv", b.String()
		case c == clients+1:
			return "/api/app/stock-sharing/" + grantee, "application/json", fmt.Sprintf(`{"precision":"BUCKET","lowThreshold":%d}`, n)
		case c%3 == 0:
			b.WriteString("[")
			for i, pn := range owned[c] {
				if i > 0 {
					b.WriteString(",")
				}
				fmt.Fprintf(&b, `{"partNumber":%q,"stock":%d}`, pn, n)
			}
			b.WriteString("]")
			return "/api/integrations/stock-feed", "application/json", b.String()
		case c%3 == 1:
			for _, pn := range owned[c] {
				fmt.Fprintf(&b, "{\"partNumber\":%q,\"stock\":%d}\n", pn, n)
			}
			return "/api/integrations/stock-feed", "application/x-ndjson", b.String()
		}
		b.WriteString("part_number,stock\n")
		for _, pn := range owned[c] {
			fmt.Fprintf(&b, "%s,%d\n", pn, n)
		}
		return "/api/integrations/stock-feed", "text/csv", b.String()
	}
	var acked [clients + 2]int
	var wg sync.WaitGroup
	var mu sync.Mutex
	for c := 0; c < clients+2; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 1; ; n++ {
				path, ct, b := body(c, n)
				method := "POST"
				if c == clients+1 {
					method = "PUT"
				}
				req, _ := http.NewRequest(method, s.base+path, strings.NewReader(b))
				req.Header.Set("Content-Type", ct)
				req.Header.Set("X-API-Key", e.sk)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					return // the server is gone
				}
				out, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					t.Errorf("client %d write %d: %d %s", c, n, res.StatusCode, out)
					return
				}
				mu.Lock()
				acked[c] = n
				mu.Unlock()
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
	s.done <- nil
	wg.Wait()

	s = e.start()
	var full struct {
		Items []struct {
			PartNumber string
			Stock      *int
		}
	}
	e.getJSON(s, "/api/app/catalog-items?active=true&limit=160", e.sk, &full)
	stock := map[string]int{}
	for _, it := range full.Items {
		if it.Stock != nil {
			stock[it.PartNumber] = *it.Stock
		}
	}
	var loc struct {
		Items []struct {
			PartNumber string
			Stock      int
		}
	}
	e.getJSON(s, "/api/app/locations/K9/stock?limit=1000", e.sk, &loc)
	locStock := map[string]int{}
	for _, it := range loc.Items {
		locStock[it.PartNumber] = it.Stock
	}
	total := 0
	for c := 0; c < clients+1; c++ {
		st, list, what := locStock, owned[0], "location stock"
		if c < clients {
			st, list, what = stock, owned[c], "stock"
		}
		got := st[list[0]]
		for _, pn := range list {
			if st[pn] != got {
				t.Fatalf("client %d after kill -9: %s has %s %d, %s %d: a feed was half applied", c, pn, what, st[pn], list[0], got)
			}
		}
		if got < acked[c] {
			t.Errorf("client %d after kill -9: %s %d, but feed %d was acknowledged", c, what, got, acked[c])
		}
		total += acked[c]
	}
	var grants struct {
		Given []struct {
			TenantID     string
			LowThreshold int
		}
	}
	e.getJSON(s, "/api/app/stock-sharing", e.sk, &grants)
	if a := acked[clients+1]; a > 0 && (len(grants.Given) != 1 || grants.Given[0].TenantID != grantee || grants.Given[0].LowThreshold < a) {
		t.Errorf("grants after kill -9: %+v, but the grant with threshold %d was acknowledged", grants.Given, a)
	}
	if total < clients || acked[clients] == 0 || acked[clients+1] == 0 {
		t.Fatalf("acknowledged before the kill: %v: the test proved little", acked)
	}
	t.Logf("%d acknowledged writes of %d rows survived kill -9 (per client, the last two location stock and grants: %v)", total+acked[clients+1], per, acked)
}

// TestSwapAndRestart swaps next week's catalog in through the admin API, then by SIGHUP on
// a --snapshot rebuilt in place, and restarts: the server must come back on the catalog it
// served, with the tenants' settings of the parts still there.
func TestSwapAndRestart(t *testing.T) {
	e := setupE2E(t)
	dir := t.TempDir()
	next := filepath.Join(dir, "next.snap")
	e.fitctl("gen", "--profile", "tiny", "--revision", "1", "--out", filepath.Join(dir, "r1"))
	e.fitctl("build", "--in", filepath.Join(dir, "r1"), "--out", next)
	s := e.start()
	version := func() string {
		var r struct{ CatalogVersion string }
		e.getJSON(s, "/readyz", "", &r)
		return r.CatalogVersion
	}
	first := version()
	admin := "Bearer " + e2eAdminToken
	code, b := e.req(s, "POST", "/api/admin/snapshot", admin, fmt.Sprintf(`{"path":%q}`, next))
	if code != 200 {
		t.Fatalf("swap: %d %s", code, b)
	}
	second := version()
	if second == first {
		t.Fatal("the swap did not change the catalog version")
	}
	if code, b := e.req(s, "POST", "/api/admin/snapshot/rollback", admin, ""); code != 200 || version() != first {
		t.Fatalf("rollback: %d %s, serving %s", code, b, version())
	}

	// SIGHUP: the --snapshot file rebuilt in place (revision 2) is swapped in.
	e.fitctl("gen", "--profile", "tiny", "--revision", "2", "--out", filepath.Join(dir, "r2"))
	e.fitctl("build", "--in", filepath.Join(dir, "r2"), "--out", e.snap)
	s.cmd.Process.Signal(syscall.SIGHUP)
	var third string
	for i := 0; i < 200; i++ {
		if third = version(); third != first {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if third == first || third == second {
		t.Fatalf("after SIGHUP: serving %s (first %s, second %s)", third, first, second)
	}
	if code, b := e.req(s, "POST", "/api/admin/snapshot", admin, fmt.Sprintf(`{"path":%q}`, next)); code != 200 {
		t.Fatalf("swap back to next week: %d %s", code, b)
	}

	// A restart serves what was swapped in last, not --snapshot.
	s.cmd.Process.Signal(syscall.SIGTERM)
	<-s.done
	s.done <- nil
	s = e.start()
	if got := version(); got != second {
		t.Errorf("after a restart: serving %s, want the swapped-in %s", got, second)
	}
	var years []int
	e.getJSON(s, "/api/t/years", e.pk, &years)
	if len(years) == 0 {
		t.Error("no years for the demo tenant after the restart")
	}
}
