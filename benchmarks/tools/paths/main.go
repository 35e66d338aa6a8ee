// Command paths walks tenants' YMM cascades over HTTP, as storefront visitors do, and
// writes the real request paths it saw for wrk to rotate through (benchmarks/rotate.lua).
//
//	paths --url http://127.0.0.1:18080 --keys DATA/demo-keys.txt --tenants 200 --per-tenant 5 --out DIR
//
// A walk is years → a random year → makes?year → a random make → models?makeId&year → a
// random model → vehicles?modelId&year → a random vehicle, with the tenant's publishable
// key. Each file holds one "publishableKey TAB path" a line, shuffled (seeded) so that
// consecutive requests belong to different tenants:
//
//	cascade.paths    every cascade request of every walk (so years, makes, models and
//	                 vehicles weigh the same, as they do for a visitor walking the cascade)
//	parts-all.paths  /api/t/parts?vehicleId=V for every vehicle reached (once each)
//	parts-50.paths   /api/t/parts?vehicleId=V&limit=50 for the same vehicles
//	detail.paths     /api/t/parts/:partNumber for a few random parts of each vehicle's list
//
// The whole list of every vehicle reached is fetched once (identity) to pick those parts
// and to report the list sizes; tenants whose catalog has no years are skipped.
//
// With --warm FILE it instead requests every path of FILE once (a cache's first pass, or
// the "each path's first answer" figure) and reports the rate and the statuses.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type options struct {
	url         string
	keys        string
	tenants     int
	perTenant   int
	details     int
	seed        uint64
	out         string
	concurrency int
	warm        string
	encoding    string
}

func main() {
	var o options
	flag.StringVar(&o.url, "url", "http://127.0.0.1:18080", "fitmentd base `URL`")
	flag.StringVar(&o.keys, "keys", "", "demo-keys.txt `file` (id TAB publishable TAB secret TAB name)")
	flag.IntVar(&o.tenants, "tenants", 200, "tenants to sample (seeded); 0 or more than there are: all")
	flag.IntVar(&o.perTenant, "per-tenant", 5, "random walks per tenant")
	flag.IntVar(&o.details, "details", 2, "parts per vehicle written to detail.paths")
	flag.Uint64Var(&o.seed, "seed", 1, "random seed (sample, walks, shuffles)")
	flag.StringVar(&o.out, "out", "", "output `directory`")
	flag.IntVar(&o.concurrency, "concurrency", 4, "tenants walked at once (or requests in flight with --warm)")
	flag.StringVar(&o.warm, "warm", "", "request every path of this paths `file` once instead of walking")
	flag.StringVar(&o.encoding, "encoding", "gzip", "Accept-Encoding with --warm: identity, gzip or zstd")
	flag.Parse()
	var err error
	if o.warm != "" {
		err = warm(o)
	} else {
		err = walkAll(o)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "paths: %v\n", err)
		os.Exit(1)
	}
}

func newClient(conns int) *http.Client {
	return &http.Client{
		Timeout: 2 * time.Minute,
		Transport: &http.Transport{
			MaxIdleConns:        conns * 2,
			MaxIdleConnsPerHost: conns * 2,
			DisableCompression:  true, // Accept-Encoding is the caller's to set
			IdleConnTimeout:     time.Minute,
		},
	}
}

// key is one line of demo-keys.txt.
type key struct{ id, publishable string }

func readKeys(path string) ([]key, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []key
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) >= 2 && fields[1] != "" {
			out = append(out, key{id: fields[0], publishable: fields[1]})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s lists no keys", path)
	}
	return out, nil
}

// walker fetches storefront JSON for one tenant and counts what went wrong.
type walker struct {
	base   string
	client *http.Client
	errs   *errCounter
}

type errCounter struct {
	mu     sync.Mutex
	byCode map[string]int
	first  []string
}

func (e *errCounter) add(what, path string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.byCode[what]++
	if len(e.first) < 5 {
		e.first = append(e.first, what+" "+path)
	}
}

func (e *errCounter) String() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.byCode) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(e.byCode))
	for k := range e.byCode {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s×%d ", k, e.byCode[k])
	}
	fmt.Fprintf(&b, "(first: %s)", strings.Join(e.first, "; "))
	return b.String()
}

// get GETs path with the key (identity) and decodes its JSON into v; it returns the body
// size and the X-Total-Count header (-1 when absent).
func (w *walker) get(pk, path string, v any) (size, total int, err error) {
	req, err := http.NewRequest(http.MethodGet, w.base+path, nil)
	if err != nil {
		return 0, -1, err
	}
	req.Header.Set("X-API-Key", pk)
	res, err := w.client.Do(req)
	if err != nil {
		w.errs.add("transport", path)
		return 0, -1, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		w.errs.add("read", path)
		return 0, -1, err
	}
	if res.StatusCode != http.StatusOK {
		w.errs.add(strconv.Itoa(res.StatusCode), path)
		return 0, -1, fmt.Errorf("GET %s: %d %s", path, res.StatusCode, strings.TrimSpace(string(body)))
	}
	total = -1
	if t := res.Header.Get("X-Total-Count"); t != "" {
		total, _ = strconv.Atoi(t)
	}
	if err := json.Unmarshal(body, v); err != nil {
		w.errs.add("bad JSON", path)
		return 0, -1, fmt.Errorf("GET %s: %w", path, err)
	}
	return len(body), total, nil
}

type idName struct {
	ID string `json:"id"`
}

// found is what the walks of one tenant produced.
type found struct {
	cascade  []string
	vehicles []string        // distinct, in order of discovery
	details  []string        // part detail paths
	sizes    map[string]int  // vehicle → body bytes of its whole list
	totals   map[string]int  // vehicle → X-Total-Count
	seen     map[string]bool // vehicles already listed
	empty    bool            // no years: skipped
	failed   bool
}

func walkTenant(w *walker, pk string, o options, rng *rand.Rand) found {
	f := found{sizes: map[string]int{}, totals: map[string]int{}, seen: map[string]bool{}}
	var years []int
	if _, _, err := w.get(pk, "/api/t/years", &years); err != nil {
		f.failed = true
		return f
	}
	if len(years) == 0 {
		f.empty = true
		return f
	}
	for range o.perTenant {
		f.cascade = append(f.cascade, "/api/t/years")
		y := years[rng.IntN(len(years))]
		p := fmt.Sprintf("/api/t/makes?year=%d", y)
		f.cascade = append(f.cascade, p)
		var makes []idName
		if _, _, err := w.get(pk, p, &makes); err != nil || len(makes) == 0 {
			continue
		}
		mk := makes[rng.IntN(len(makes))].ID
		p = fmt.Sprintf("/api/t/models?makeId=%s&year=%d", url.QueryEscape(mk), y)
		f.cascade = append(f.cascade, p)
		var models []idName
		if _, _, err := w.get(pk, p, &models); err != nil || len(models) == 0 {
			continue
		}
		md := models[rng.IntN(len(models))].ID
		p = fmt.Sprintf("/api/t/vehicles?modelId=%s&year=%d", url.QueryEscape(md), y)
		f.cascade = append(f.cascade, p)
		var vehicles []idName
		if _, _, err := w.get(pk, p, &vehicles); err != nil || len(vehicles) == 0 {
			continue
		}
		v := vehicles[rng.IntN(len(vehicles))].ID
		if f.seen[v] {
			continue
		}
		f.seen[v] = true
		f.vehicles = append(f.vehicles, v)
		var parts []struct {
			PartNumber string `json:"partNumber"`
		}
		size, total, err := w.get(pk, "/api/t/parts?vehicleId="+url.QueryEscape(v), &parts)
		if err != nil {
			continue
		}
		f.sizes[v], f.totals[v] = size, total
		for _, k := range rng.Perm(len(parts))[:min(o.details, len(parts))] {
			f.details = append(f.details, "/api/t/parts/"+url.PathEscape(parts[k].PartNumber))
		}
	}
	return f
}

func walkAll(o options) error {
	if o.keys == "" || o.out == "" {
		return errors.New("--keys and --out are required (or --warm FILE)")
	}
	keys, err := readKeys(o.keys)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(o.seed, 0x9a7c5))
	sample := slices.Clone(keys)
	rng.Shuffle(len(sample), func(i, j int) { sample[i], sample[j] = sample[j], sample[i] })
	if o.tenants > 0 && o.tenants < len(sample) {
		sample = sample[:o.tenants]
	}
	w := &walker{base: strings.TrimSuffix(o.url, "/"), client: newClient(o.concurrency), errs: &errCounter{byCode: map[string]int{}}}

	start := time.Now()
	results := make([]found, len(sample))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, o.concurrency) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(sample) {
					return
				}
				// One stream per tenant: the output does not depend on scheduling.
				trng := rand.New(rand.NewPCG(o.seed, uint64(i)+1))
				results[i] = walkTenant(w, sample[i].publishable, o, trng)
			}
		}()
	}
	wg.Wait()

	var cascade, all, page, detail []string
	var sizes, totals []int
	walked, empty, failed := 0, 0, 0
	for i, f := range results {
		pk := sample[i].publishable
		switch {
		case f.failed:
			failed++
			continue
		case f.empty:
			empty++
			continue
		}
		walked++
		for _, p := range f.cascade {
			cascade = append(cascade, pk+"\t"+p)
		}
		for _, v := range f.vehicles {
			all = append(all, pk+"\t/api/t/parts?vehicleId="+url.QueryEscape(v))
			page = append(page, pk+"\t/api/t/parts?vehicleId="+url.QueryEscape(v)+"&limit=50")
			if s, ok := f.sizes[v]; ok {
				sizes, totals = append(sizes, s), append(totals, f.totals[v])
			}
		}
		for _, p := range f.details {
			detail = append(detail, pk+"\t"+p)
		}
	}
	if walked == 0 {
		return fmt.Errorf("no tenant could be walked (%d sampled, %d with empty years, %d failed; errors: %s)", len(sample), empty, failed, w.errs)
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	files := []struct {
		name  string
		lines []string
		note  string
	}{
		{"cascade.paths", cascade, cascadeNote(cascade)},
		{"parts-all.paths", all, sizeNote(sizes, totals)},
		{"parts-50.paths", page, "the same vehicles, first page of 50"},
		{"detail.paths", detail, fmt.Sprintf("up to %d random parts of each vehicle's list", o.details)},
	}
	for i, f := range files {
		srng := rand.New(rand.NewPCG(o.seed, 0x5f0ff1e+uint64(i)))
		srng.Shuffle(len(f.lines), func(a, b int) { f.lines[a], f.lines[b] = f.lines[b], f.lines[a] })
		if err := writeLines(filepath.Join(o.out, f.name), f.lines); err != nil {
			return err
		}
		fmt.Printf("%s: %d paths; %s\n", f.name, len(f.lines), f.note)
	}
	fmt.Printf("paths: %d tenants sampled of %d, %d walked (%d skipped with empty years, %d failed), %d walks each, in %v; non-200 answers: %s\n",
		len(sample), len(keys), walked, empty, failed, o.perTenant, time.Since(start).Round(time.Millisecond), w.errs)
	return nil
}

func cascadeNote(lines []string) string {
	n := map[string]int{}
	for _, l := range lines {
		_, p, _ := strings.Cut(l, "\t")
		route, _, _ := strings.Cut(strings.TrimPrefix(p, "/api/t/"), "?")
		n[route]++
	}
	distinct := map[string]bool{}
	for _, l := range lines {
		distinct[l] = true
	}
	return fmt.Sprintf("years %d, makes %d, models %d, vehicles %d; %d distinct", n["years"], n["makes"], n["models"], n["vehicles"], len(distinct))
}

func sizeNote(sizes, totals []int) string {
	if len(sizes) == 0 {
		return "no list fetched"
	}
	sum := 0
	for _, s := range sizes {
		sum += s
	}
	slices.Sort(sizes)
	slices.Sort(totals)
	q := func(xs []int, p float64) int { return xs[min(len(xs)-1, int(p*float64(len(xs))))] }
	return fmt.Sprintf("parts per vehicle p50 %d, p99 %d, max %d; JSON body (identity) p50 %.0f KB, p99 %.0f KB; all lists together %.1f MB",
		q(totals, 0.5), q(totals, 0.99), totals[len(totals)-1], float64(q(sizes, 0.5))/1e3, float64(q(sizes, 0.99))/1e3, float64(sum)/1e6)
}

func writeLines(path string, lines []string) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	for _, l := range lines {
		bw.WriteString(l)
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// warm requests every path of o.warm once.
func warm(o options) error {
	raw, err := os.ReadFile(o.warm)
	if err != nil {
		return err
	}
	type line struct{ pk, path string }
	var lines []line
	for _, l := range strings.Split(string(raw), "\n") {
		pk, p, ok := strings.Cut(l, "\t")
		if ok && p != "" {
			lines = append(lines, line{pk, p})
		}
	}
	if len(lines) == 0 {
		return fmt.Errorf("%s holds no paths", o.warm)
	}
	enc := ""
	switch o.encoding {
	case "identity", "":
	case "gzip", "zstd":
		enc = o.encoding
	default:
		return fmt.Errorf("--encoding %q: want identity, gzip or zstd", o.encoding)
	}
	base := strings.TrimSuffix(o.url, "/")
	client := newClient(o.concurrency)
	var mu sync.Mutex
	statuses := map[string]int{}
	var bytes atomic.Int64
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range max(1, o.concurrency) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(lines) {
					return
				}
				status := "transport"
				req, err := http.NewRequest(http.MethodGet, base+lines[i].path, nil)
				if err == nil {
					req.Header.Set("X-API-Key", lines[i].pk)
					if enc != "" {
						req.Header.Set("Accept-Encoding", enc)
					}
					if res, err := client.Do(req); err == nil {
						n, _ := io.Copy(io.Discard, res.Body)
						res.Body.Close()
						bytes.Add(n)
						status = strconv.Itoa(res.StatusCode)
					}
				}
				mu.Lock()
				statuses[status]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	codes := make([]string, 0, len(statuses))
	bad := 0
	for k, n := range statuses {
		codes = append(codes, fmt.Sprintf("%s:%d", k, n))
		if k != "200" && k != "304" {
			bad += n
		}
	}
	sort.Strings(codes)
	fmt.Printf("WARM file=%s requests=%d duration_s=%.2f rps=%.0f concurrency=%d encoding=%s non2xx=%d statuses=%s bytes=%d\n",
		filepath.Base(o.warm), len(lines), el.Seconds(), float64(len(lines))/el.Seconds(), o.concurrency, o.encoding, bad, strings.Join(codes, ","), bytes.Load())
	return nil
}
