package httpapi

import (
	"bytes"
	"context"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cespare/xxhash/v2"
	"github.com/gofiber/fiber/v2"
	"github.com/maypok86/otter/v2"
	"github.com/maypok86/otter/v2/stats"
)

// Storefront answers are kept in one cache for the whole process, bounded in bytes. An
// answer's key is built from the request as parsed — route, tenant, the generations of
// the tenant state it was derived from, and the normalised parameters — never from the
// raw URL, so a parameter the route does not read cannot make a new entry, and since the
// generations are those of the tenant's own view no answer can reach another tenant or
// outlive the state it shows. Entries of superseded generations are simply never asked
// for again and age out.
//
// An entry holds the identity body and, made on first demand, its gzip and zstd forms.
// Concurrent misses of one key render once (otter's loader).

// answer is one cached storefront answer.
type answer struct {
	body  []byte // identity
	etag  string
	total int // X-Total-Count; -1 when the route sends none
	gzip  variant
	zstd  variant
	extra atomic.Int64 // bytes of the compressed forms made so far
}

type variant struct {
	once sync.Once
	body []byte
}

// answerCache is nil when caching is off (every answer rendered, for cold benchmarks).
type answerCache struct {
	c     *otter.Cache[string, *answer]
	stats *stats.Counter
}

// answerOverhead approximates an entry's bytes besides its bodies (key, struct, otter's node).
const answerOverhead = 256

func newAnswerCache(maxBytes int64) *answerCache {
	if maxBytes <= 0 {
		return nil
	}
	counter := stats.NewCounter()
	return &answerCache{stats: counter, c: otter.Must(&otter.Options[string, *answer]{
		MaximumWeight: uint64(maxBytes),
		// An entry is weighed again (set anew) when it gains a compressed form.
		Weigher: func(key string, a *answer) uint32 {
			return uint32(min(len(key)+len(a.body)+int(a.extra.Load())+answerOverhead, 1<<31))
		},
		StatsRecorder: counter,
	})}
}

// keyBuilder builds cache keys: fields joined by a byte that no parameter can hold once
// parsed (ids, numbers, language codes, and URL-decoded part numbers stripped of control
// characters are all printable).
type keyBuilder struct{ b []byte }

func newKey(route, tenant string) *keyBuilder {
	k := &keyBuilder{b: make([]byte, 0, 96)}
	return k.str(route).str(tenant)
}

func (k *keyBuilder) str(s string) *keyBuilder {
	k.b = append(k.b, s...)
	k.b = append(k.b, 0)
	return k
}

func (k *keyBuilder) num(n uint64) *keyBuilder {
	k.b = strconv.AppendUint(k.b, n, 10)
	k.b = append(k.b, 0)
	return k
}

func (k *keyBuilder) int(n int) *keyBuilder { return k.num(uint64(int64(n))) }

func (k *keyBuilder) bool(v bool) *keyBuilder {
	if v {
		return k.str("1")
	}
	return k.str("0")
}

func (k *keyBuilder) String() string { return string(k.b) }

// renderFunc makes an answer's identity body; total is its X-Total-Count (-1 for none).
type renderFunc func() (body []byte, total int, err error)

func newAnswer(body []byte, total int) *answer {
	var sum [8]byte
	h := xxhash.Sum64(body)
	for i := range sum {
		sum[i] = byte(h >> (56 - 8*i))
	}
	return &answer{body: body, etag: `"` + hex.EncodeToString(sum[:]) + `"`, total: total}
}

// get returns the answer under key, rendering it on a miss.
func (ac *answerCache) get(key string, render renderFunc) (*answer, error) {
	if ac == nil {
		body, total, err := render()
		if err != nil {
			return nil, err
		}
		return newAnswer(body, total), nil
	}
	return ac.c.Get(context.Background(), key, otter.LoaderFunc[string, *answer](func(context.Context, string) (*answer, error) {
		body, total, err := render()
		if err != nil {
			return nil, err
		}
		return newAnswer(body, total), nil
	}))
}

// reweigh counts a's new compressed form in its weight, if a is still the entry of key.
func (ac *answerCache) reweigh(key string, a *answer) {
	if ac == nil {
		return
	}
	ac.c.ComputeIfPresent(key, func(old *answer) (*answer, otter.ComputeOp) {
		if old != a {
			return old, otter.CancelOp
		}
		return a, otter.WriteOp
	})
}

// CacheStats describes the answer cache.
type CacheStats struct {
	Entries int
	Bytes   uint64 // weighted size
	Hits    uint64
	Misses  uint64
}

func (ac *answerCache) Stats() CacheStats {
	if ac == nil {
		return CacheStats{}
	}
	st := ac.stats.Snapshot()
	return CacheStats{Entries: ac.c.EstimatedSize(), Bytes: ac.c.WeightedSize(), Hits: st.Hits, Misses: st.Misses}
}

// encoded returns the body to send for the encoding the client accepts, and that
// encoding ("" for identity): small bodies are sent as they are. made reports that this
// call made the compressed form.
func (a *answer) encoded(accept string, min int) (body []byte, enc string, made bool) {
	if len(a.body) < min {
		return a.body, "", false
	}
	var v *variant
	switch enc = pickEncoding(accept); enc {
	case "gzip":
		v = &a.gzip
	case "zstd":
		v = &a.zstd
	default:
		return a.body, "", false
	}
	v.once.Do(func() {
		v.body = compress(enc, a.body)
		a.extra.Add(int64(len(v.body)))
		made = true
	})
	return v.body, enc, made
}

// serveAnswer answers a storefront GET from the cache (rendering on a miss), with
// Cache-Control, Vary, the representation's strong ETag, or 304 when If-None-Match names it.
func (s *Server) serveAnswer(c *fiber.Ctx, key string, maxAge int, render renderFunc) error {
	a, err := s.cache.get(key, render)
	if err != nil {
		return err
	}
	return s.sendAnswer(c, a, publicFor(maxAge), key)
}

// publicFor is the Cache-Control of an answer any cache may keep for maxAge seconds
// (Vary keeps tenants apart).
func publicFor(maxAge int) string { return "public, max-age=" + strconv.Itoa(maxAge) }

// mustRevalidate is the Cache-Control of an answer that must never be served stale (stock
// that a revoked grant must hide at once): caches revalidate it by its ETag every time.
const mustRevalidate = "no-cache"

// sendAnswer sends a with Cache-Control cacheControl; a is kept under key ("" when it is
// not kept).
func (s *Server) sendAnswer(c *fiber.Ctx, a *answer, cacheControl string, key string) error {
	body, enc, made := a.encoded(c.Get(fiber.HeaderAcceptEncoding), s.opts.CompressMin)
	if made && key != "" {
		s.cache.reweigh(key, a)
	}
	etag := a.etag
	if enc != "" {
		etag = etag[:len(etag)-1] + "-" + enc + `"`
	}
	if a.total >= 0 {
		c.Set("X-Total-Count", strconv.Itoa(a.total))
	}
	c.Set(fiber.HeaderCacheControl, cacheControl)
	c.Set(fiber.HeaderVary, varyStorefront)
	c.Set(fiber.HeaderETag, etag)
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" && etagMatches(inm, etag) {
		c.Response().ResetBody()
		c.Status(fiber.StatusNotModified)
		return nil
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	if enc != "" {
		c.Set(fiber.HeaderContentEncoding, enc)
	}
	// Send does not copy; a kept body is shared, so cap it: nothing may append into it
	// (fasthttp itself never writes into a raw body).
	return c.Send(body[:len(body):len(body)])
}

// renderJSON is a renderFunc for a value encoded by encoding/json.
func renderJSON(v func() (any, error)) renderFunc {
	return func() ([]byte, int, error) {
		x, err := v()
		if err != nil {
			return nil, 0, err
		}
		b, err := marshal(x)
		return b, -1, err
	}
}

// cleanParam drops what a parsed parameter must not carry into a key.
func cleanParam(s string) string {
	if strings.IndexByte(s, 0) < 0 {
		return s
	}
	return string(bytes.ReplaceAll([]byte(s), []byte{0}, nil))
}
