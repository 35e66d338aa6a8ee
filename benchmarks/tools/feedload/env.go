package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// env is what every mode shares: the server, the demo tenants' keys and the catalog's
// tenants with their offers.
type env struct {
	o       options
	base    string
	client  *http.Client
	keys    map[string]tenantKeys
	tenants []catalogTenant // with keys, most offers first
	rng     *rand.Rand
}

type tenantKeys struct{ id, publishable, secret string }

// catalogTenant is the part of a tenants.json entry feedload reads.
type catalogTenant struct {
	ID          string `json:"id"`
	Offers      string `json:"offers"`
	PricedItems int    `json:"pricedItems"`
}

func newEnv(o options) (*env, error) {
	e := &env{o: o, base: strings.TrimSuffix(o.url, "/"), keys: map[string]tenantKeys{},
		rng: rand.New(rand.NewPCG(o.seed, 0xfeed)),
		client: &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{
			MaxIdleConns: 128, MaxIdleConnsPerHost: 128, IdleConnTimeout: time.Minute,
			DisableCompression: true, // the storefront reads here want identity JSON
		}}}
	f, err := os.Open(o.keys)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Split(sc.Text(), "\t")
		if len(fl) >= 3 {
			e.keys[fl[0]] = tenantKeys{id: fl[0], publishable: fl[1], secret: fl[2]}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(filepath.Join(o.catalog, "tenants.json"))
	if err != nil {
		return nil, err
	}
	var all []catalogTenant
	if err := json.Unmarshal(raw, &all); err != nil {
		return nil, fmt.Errorf("tenants.json: %w", err)
	}
	for _, t := range all {
		if _, ok := e.keys[t.ID]; ok && t.Offers != "" && t.PricedItems > 0 {
			e.tenants = append(e.tenants, t)
		}
	}
	sort.SliceStable(e.tenants, func(i, j int) bool { return e.tenants[i].PricedItems > e.tenants[j].PricedItems })
	return e, nil
}

func (e *env) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		res, err := e.client.Get(e.base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s/readyz is not 200 after %v (%v)", e.base, limit, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// pick returns the --tenant, or the n tenants with the most offers.
func (e *env) pick(n int) ([]catalogTenant, error) {
	if e.o.tenant != "" {
		for _, t := range e.tenants {
			if t.ID == e.o.tenant {
				return []catalogTenant{t}, nil
			}
		}
		return nil, fmt.Errorf("tenant %s: not in tenants.json with offers and a key in %s", e.o.tenant, e.o.keys)
	}
	if len(e.tenants) == 0 {
		return nil, errors.New("no tenant of tenants.json has offers and a key")
	}
	if n > len(e.tenants) {
		n = len(e.tenants)
	}
	return e.tenants[:n], nil
}

// openSource opens path, or path.gz / path.zst, decompressing.
func openSource(path string) (io.ReadCloser, error) {
	for _, p := range []string{path, path + ".gz", path + ".zst"} {
		f, err := os.Open(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		switch {
		case strings.HasSuffix(p, ".gz"):
			zr, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<20))
			if err != nil {
				f.Close()
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			return readCloser{zr, f}, nil
		case strings.HasSuffix(p, ".zst"):
			zr, err := zstd.NewReader(bufio.NewReaderSize(f, 1<<20))
			if err != nil {
				f.Close()
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			return readCloser{zr.IOReadCloser(), f}, nil
		}
		return f, nil
	}
	return nil, fmt.Errorf("%s: no such file (nor .gz, .zst)", path)
}

type readCloser struct {
	io.Reader
	f *os.File
}

func (r readCloser) Close() error {
	if c, ok := r.Reader.(io.Closer); ok {
		c.Close()
	}
	return r.f.Close()
}

// offers returns the part numbers of a tenant's offer feed (feeds/<id>.csv).
func (e *env) offers(t catalogTenant) ([]string, error) {
	p := filepath.Join(e.o.catalog, t.Offers)
	p = strings.TrimSuffix(strings.TrimSuffix(p, ".gz"), ".zst")
	r, err := openSource(p)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	cr := csv.NewReader(bufio.NewReaderSize(r, 1<<20))
	cr.ReuseRecord = true
	if _, err := cr.Read(); err != nil {
		return nil, fmt.Errorf("%s: header: %w", p, err)
	}
	var pns []string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		pns = append(pns, strings.Clone(rec[0]))
	}
	if len(pns) == 0 {
		return nil, fmt.Errorf("%s: no offers", p)
	}
	return pns, nil
}

// catalogParts reads every part number and the brands (first-seen order) of parts.csv.
func (e *env) catalogParts() (pns, brands []string, err error) {
	pns, brands, _, err = e.catalogPartBrands()
	return pns, brands, err
}

// catalogPartBrands is catalogParts with each part's brand (an index into brands).
func (e *env) catalogPartBrands() (pns, brands []string, brandOf []int, err error) {
	p := filepath.Join(e.o.catalog, "parts.csv")
	r, err := openSource(p)
	if err != nil {
		return nil, nil, nil, err
	}
	defer r.Close()
	cr := csv.NewReader(bufio.NewReaderSize(r, 4<<20))
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: header: %w", p, err)
	}
	pnCol, brandCol := -1, -1
	for i, h := range head {
		switch strings.ReplaceAll(strings.ToLower(strings.TrimSpace(h)), "_", "") {
		case "partnumber":
			pnCol = i
		case "brand":
			brandCol = i
		}
	}
	if pnCol < 0 || brandCol < 0 {
		return nil, nil, nil, fmt.Errorf("%s: header has no part_number or brand column", p)
	}
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", p, err)
		}
		if len(rec) <= max(pnCol, brandCol) {
			continue
		}
		pns = append(pns, strings.Clone(rec[pnCol]))
		b := rec[brandCol]
		bi, ok := seen[b]
		if !ok {
			bi = len(brands)
			seen[strings.Clone(b)] = bi
			brands = append(brands, strings.Clone(b))
		}
		brandOf = append(brandOf, bi)
	}
	return pns, brands, brandOf, nil
}

// stockAt is the stock row i of feed number gen sets: rows repeating a part carry other
// values, and consecutive feeds change every part.
func stockAt(i, gen int) int64 { return int64((gen*7919 + i) % 1_000_000) }

// stockFeed is a prepared stock feed: rows rows over pns (repeated when short).
type stockFeed struct {
	body  []byte
	ctype string
	rows  int
	gen   int
	pns   []string
}

// expect is the stock the feed leaves part pns[k] with: that of the part's last row.
func (f *stockFeed) expect(k int) int64 {
	l := len(f.pns)
	last := k + l*((f.rows-1-k)/l)
	return stockAt(last, f.gen)
}

func contentType(format string) string {
	switch format {
	case "ndjson":
		return "application/x-ndjson"
	case "csv":
		return "text/csv"
	}
	return "application/json"
}

func newStockFeed(format string, pns []string, rows, gen int) *stockFeed {
	f := &stockFeed{ctype: contentType(format), rows: rows, gen: gen, pns: pns}
	b := make([]byte, 0, rows*40)
	rowsBody(&b, format, "stock", rows, func(i int) (string, []byte) {
		return pns[i%len(pns)], strconv.AppendInt(nil, stockAt(i, gen), 10)
	})
	f.body = b
	return f
}

// rowsBody appends a feed of rows rows: row(i) gives the part number and the value's
// literal.
func rowsBody(b *[]byte, format, field string, rows int, row func(i int) (string, []byte)) {
	out := *b
	switch format {
	case "csv":
		out = append(out, "partNumber,"+field+"\n"...)
	case "json":
		out = append(out, '[')
	}
	for i := range rows {
		pn, v := row(i)
		switch format {
		case "csv":
			out = appendCSV(out, pn)
			out = append(out, ',')
			out = append(out, v...)
			out = append(out, '\n')
		default:
			if format == "json" && i > 0 {
				out = append(out, ',')
			}
			out = append(out, `{"partNumber":`...)
			out = appendJSONString(out, pn)
			out = append(out, `,"`+field+`":`...)
			out = append(out, v...)
			out = append(out, '}')
			if format == "ndjson" {
				out = append(out, '\n')
			}
		}
	}
	if format == "json" {
		out = append(out, ']')
	}
	*b = out
}

func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, fmt.Sprintf(`\u%04x`, c)...)
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

func appendCSV(b []byte, s string) []byte {
	if !strings.ContainsAny(s, ",\"\r\n") {
		return append(b, s...)
	}
	return append(b, `"`+strings.ReplaceAll(s, `"`, `""`)+`"`...)
}

// bulkResult is the answer of a feed.
type bulkResult struct {
	Updated  int               `json:"updated"`
	NotFound []string          `json:"notFound"`
	Rejected []json.RawMessage `json:"rejected"`
}

// postResult is one feed request.
type postResult struct {
	status  int
	elapsed time.Duration // to the whole answer read
	res     bulkResult
	seq     string
	errText string // transport error or non-200 body
}

func (p postResult) ok() bool { return p.status == http.StatusOK }

func (p postResult) String() string {
	if p.status == 0 {
		return "transport error: " + p.errText
	}
	return fmt.Sprintf("%d %s", p.status, strings.TrimSpace(p.errText))
}

// post sends one feed to path (stock-feed or price-feed) with the secret key.
func (e *env) post(path, secret, ctype string, body []byte) postResult {
	req, err := http.NewRequest(http.MethodPost, e.base+path, bytes.NewReader(body))
	if err != nil {
		return postResult{errText: err.Error()}
	}
	req.Header.Set("X-API-Key", secret)
	req.Header.Set("Content-Type", ctype)
	start := time.Now()
	res, err := e.client.Do(req)
	if err != nil {
		return postResult{elapsed: time.Since(start), errText: err.Error()}
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	out := postResult{status: res.StatusCode, elapsed: time.Since(start), seq: res.Header.Get("X-Change-Seq")}
	if err != nil {
		out.status, out.errText = 0, err.Error()
		return out
	}
	if res.StatusCode != http.StatusOK {
		out.errText = truncate(string(raw), 300)
		return out
	}
	if err := json.Unmarshal(raw, &out.res); err != nil {
		out.status, out.errText = 0, "answer is not JSON: "+truncate(string(raw), 200)
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// partDetail is what the checks read from GET /api/t/parts/:pn.
type partDetail struct {
	Price *json.Number `json:"price"`
	Stock *int64       `json:"stock"`
}

// getPart reads a part's detail with the publishable key.
func (e *env) getPart(pk, pn string) (partDetail, int, error) {
	var d partDetail
	status, _, err := e.getJSON(pk, "/api/t/parts/"+url.PathEscape(pn), "", &d)
	return d, status, err
}

// getJSON GETs a storefront path; v may be nil (the body is then discarded). It returns
// the status and the ETag.
func (e *env) getJSON(pk, path, ifNoneMatch string, v any) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, e.base+path, nil)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("X-API-Key", pk)
	if ifNoneMatch != "" {
		req.Header.Set("If-None-Match", ifNoneMatch)
	}
	res, err := e.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, "", err
	}
	if res.StatusCode != http.StatusOK {
		if res.StatusCode == http.StatusNotModified {
			return res.StatusCode, res.Header.Get("ETag"), nil
		}
		return res.StatusCode, "", fmt.Errorf("GET %s: %d %s", path, res.StatusCode, truncate(string(raw), 200))
	}
	if v != nil {
		if err := json.Unmarshal(raw, v); err != nil {
			return res.StatusCode, "", fmt.Errorf("GET %s: %w", path, err)
		}
	}
	return res.StatusCode, res.Header.Get("ETag"), nil
}

// do sends an authenticated JSON request (admin or portal) and decodes the answer.
func (e *env) do(method, path string, auth [2]string, body any, want int, v any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set(auth[0], auth[1])
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := e.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: %d %s (want %d)", method, path, res.StatusCode, truncate(string(raw), 300), want)
	}
	if v != nil {
		return json.Unmarshal(raw, v)
	}
	return nil
}
