package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// varyStorefront is on every cacheable storefront answer: the answer depends on the key
// (the tenant), and a shared cache must never hand one tenant's answer to another.
const varyStorefront = "X-API-Key, Accept-Encoding, Accept-Language"

// marshal encodes v without escaping <, > and & (answers are JSON, not HTML).
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func sendJSON(c *fiber.Ctx, status int, v any) error {
	body, err := marshal(v)
	if err != nil {
		return err
	}
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(body)
}

// sendCacheable answers a storefront GET with Cache-Control, Vary and a strong ETag (a
// hash of the body), or 304 when If-None-Match already names that ETag.
func sendCacheable(c *fiber.Ctx, v any, maxAge int) error {
	r := render(v)
	if r.err != nil {
		return r.err
	}
	return sendRendered(c, r, maxAge)
}

// sendFromView is sendCacheable for an answer that depends on nothing but the tenant's
// view and the request URL (the cascade, categories): it is rendered once per view and
// kept in the view, so repeated questions cost neither the engine nor JSON nor hashing,
// and a tenant change, which makes a new view, forgets them all.
func sendFromView(c *fiber.Ctx, v View, maxAge int, answer func() any) error {
	r := v.Memo(c.OriginalURL(), func() any { return render(answer()) }).(rendered)
	if r.err != nil {
		return r.err
	}
	return sendRendered(c, r, maxAge)
}

// rendered is an answer as sent: JSON body and its ETag.
type rendered struct {
	body []byte
	etag string
	err  error
}

func render(v any) rendered {
	body, err := marshal(v)
	if err != nil {
		return rendered{err: err}
	}
	sum := sha256.Sum256(body)
	return rendered{body: body, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
}

func sendRendered(c *fiber.Ctx, r rendered, maxAge int) error {
	c.Set(fiber.HeaderCacheControl, "public, max-age="+strconv.Itoa(maxAge))
	c.Set(fiber.HeaderVary, varyStorefront)
	c.Set(fiber.HeaderETag, r.etag)
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" && etagMatches(inm, r.etag) {
		c.Response().ResetBody()
		c.Status(fiber.StatusNotModified)
		c.Locals(notModifiedLen{}, len(r.body))
		return nil
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	// Send does not copy; a body kept in a view is shared, so cap it: nothing may append
	// into it (fasthttp itself never writes into a raw body).
	return c.Send(r.body[:len(r.body):len(r.body)])
}

// etagMatches applies If-None-Match's weak comparison; it also accepts the tag as
// suffixed by response compression ("…-gzip").
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" {
			return true
		}
		t = strings.TrimPrefix(t, "W/")
		if t == etag {
			return true
		}
		for _, enc := range []string{"-gzip\"", "-zstd\""} {
			if base, ok := strings.CutSuffix(t, enc); ok && base+`"` == etag {
				return true
			}
		}
	}
	return false
}
