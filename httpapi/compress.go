package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/valyala/fasthttp"
)

// fasthttp's own compression has no zstd, so responses are compressed here, after the
// handler, with klauspost/compress.

var (
	zstdEnc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	gzipPool   = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed); return w }}
)

// pickEncoding chooses zstd over gzip among the encodings the client accepts (q > 0).
func pickEncoding(accept string) string {
	var zstdOK, gzipOK bool
	for _, part := range strings.Split(accept, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if q, err := strconv.ParseFloat(v, 64); err != nil || q <= 0 {
				continue
			}
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "zstd":
			zstdOK = true
		case "gzip", "x-gzip":
			gzipOK = true
		}
	}
	switch {
	case zstdOK:
		return "zstd"
	case gzipOK:
		return "gzip"
	}
	return ""
}

// compress encodes body as gzip or zstd, at the fastest level: answers are compressed on
// the request path.
func compress(enc string, body []byte) []byte {
	switch enc {
	case "zstd":
		return zstdEnc.EncodeAll(body, make([]byte, 0, len(body)/4))
	case "gzip":
		var buf bytes.Buffer
		buf.Grow(len(body) / 4)
		w := gzipPool.Get().(*gzip.Writer)
		w.Reset(&buf)
		w.Write(body)
		w.Close()
		gzipPool.Put(w)
		return buf.Bytes()
	}
	return body
}

// compressMiddleware compresses successful bodies of at least min bytes.
func compressMiddleware(min int) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := c.Next(); err != nil {
			return err
		}
		res := c.Response()
		if res.StatusCode() == http.StatusNotModified {
			// A 304 carries the ETag that the 200 would have had, compressed or not.
			if n, ok := c.Locals(notModifiedLen{}).(int); ok && n >= min {
				if enc := pickEncoding(c.Get(fiber.HeaderAcceptEncoding)); enc != "" {
					suffixETag(res, enc)
				}
			}
			return nil
		}
		if res.IsBodyStream() {
			return nil // a stream compresses itself (and Body would read it whole)
		}
		body := res.Body()
		if len(body) < min || res.StatusCode() != http.StatusOK || c.Method() == http.MethodHead ||
			len(res.Header.Peek(fiber.HeaderContentEncoding)) > 0 {
			return nil
		}
		enc := pickEncoding(c.Get(fiber.HeaderAcceptEncoding))
		if enc == "" {
			return nil
		}
		res.SetBodyRaw(compress(enc, body))
		res.Header.Set(fiber.HeaderContentEncoding, enc)
		suffixETag(res, enc)
		if vary := string(res.Header.Peek(fiber.HeaderVary)); !strings.Contains(strings.ToLower(vary), "accept-encoding") {
			if vary == "" {
				res.Header.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
			} else {
				res.Header.Set(fiber.HeaderVary, vary+", "+fiber.HeaderAcceptEncoding)
			}
		}
		return nil
	}
}

// readJSON decodes a write request's JSON body into v: 415 unless the content type is JSON
// (or the content encoding is not gzip, zstd or identity), 413 when the body, decoded,
// exceeds limit, 400 when it is not valid JSON.
func readJSON(c *fiber.Ctx, limit int, v any) error {
	ct := c.Get(fiber.HeaderContentType)
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || !(mt == fiber.MIMEApplicationJSON || strings.HasSuffix(mt, "+json")) {
		return errorf(http.StatusUnsupportedMediaType, "unsupported_media_type",
			"content type %q is not supported: send application/json", ct)
	}
	body, err := readBody(c, limit)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return errorf(http.StatusBadRequest, "bad_body", "request body is empty")
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field == "" {
			want := "an object"
			if te.Type.Kind() == reflect.Slice {
				want = "an array"
			}
			return errorf(http.StatusBadRequest, "bad_body", "body must be %s, not %s", want, te.Value)
		}
		return errorf(http.StatusBadRequest, "bad_body", "body is not valid JSON: %v", err)
	}
	return nil
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// notModifiedLen is the c.Locals key under which sendCacheable leaves, on a 304, the
// length of the body it did not send, so the ETag can follow the same compression rule.
type notModifiedLen struct{}

// suffixETag gives the compressed representation its own strong ETag ("…-gzip").
func suffixETag(res *fasthttp.Response, enc string) {
	if etag := res.Header.Peek(fiber.HeaderETag); len(etag) > 1 {
		e := string(etag)
		res.Header.Set(fiber.HeaderETag, e[:len(e)-1]+"-"+enc+`"`)
	}
}
