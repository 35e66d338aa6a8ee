package httpapi

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fastjson"

	"github.com/fitment/fitment/engine"
)

// Fitment for product pages (part → vehicles, fit checks, a cart's checks) and for
// distributors (bulk lookups and exports, streamed).
//
// A stream is written after the handler returns, by fasthttp, from the view taken when
// the request came in (one catalog, one state of the tenant throughout): the link lines
// go through a bounded buffer and the chosen compressor straight to the connection, so
// memory does not grow with the answer; a connection that fails ends the stream at the
// next write. Streams are counted apart from the request slots (MaxStreams), and their
// write deadline slides with their progress: a client that reads keeps its stream, one
// that stalls for WriteTimeout loses it.

const (
	maxLookupInputs  = 100_000
	maxCartParts     = 500
	streamFlushEvery = 50 * time.Millisecond // a slow stream still shows its progress
)

// FitmentStats counts the bulk streams of a server.
type FitmentStats struct {
	Streams  int64 // streams started
	Aborted  int64 // streams ended early because the client went away (or stalled)
	Links    int64 // link lines written
	InFlight int64 // streams running now
	Refused  int64 // streams refused (MaxStreams running)
}

type fitmentCounters struct {
	streams, aborted, links, inFlight, refused atomic.Int64
}

// FitmentStats returns the bulk stream counters.
func (s *Server) FitmentStats() FitmentStats {
	f := &s.fits
	return FitmentStats{Streams: f.streams.Load(), Aborted: f.aborted.Load(), Links: f.links.Load(),
		InFlight: f.inFlight.Load(), Refused: f.refused.Load()}
}

// partVehicles is GET /api/t/parts/:partNumber/vehicles: the part's fitment table.
func (s *Server) partVehicles(c *fiber.Ctx) error {
	pn, err := pathParam(c, "partNumber")
	if err != nil {
		return err
	}
	v, err := s.view(c)
	if err != nil {
		return err
	}
	// Aliases resolve the number, so the answer is kept per view (Gen), not per visibility.
	key := newKey("part-vehicles", tenantID(c)).num(v.Gen()).str(cleanParam(strings.ToLower(pn))).String()
	return s.serveAnswer(c, key, maxAgeCatalog, renderJSON(func() (any, error) {
		pf, err := v.PartVehicles(pn)
		if err != nil {
			return nil, err
		}
		return pf.Vehicles, nil
	}))
}

// partFits is GET /api/t/parts/:partNumber/fits?vehicleId=: one fit check.
func (s *Server) partFits(c *fiber.Ctx) error {
	pn, err := pathParam(c, "partNumber")
	if err != nil {
		return err
	}
	vehicleID := strings.TrimSpace(c.Query("vehicleId"))
	if vehicleID == "" {
		return badParam("vehicleId", "is required")
	}
	vehicleID = strings.Clone(vehicleID)
	v, err := s.view(c)
	if err != nil {
		return err
	}
	key := newKey("part-fits", tenantID(c)).num(v.Gen()).str(cleanParam(strings.ToLower(pn))).str(cleanParam(vehicleID)).String()
	return s.serveAnswer(c, key, maxAgeCatalog, renderJSON(func() (any, error) {
		fc, err := v.Fits(pn, vehicleID)
		if err != nil {
			return nil, err
		}
		return fc, nil
	}))
}

// cartFits is POST /api/t/vehicles/:id/fits {"partNumbers": […]}: a cart's parts checked
// against one vehicle, in input order; parts outside the catalog are reported in place.
func (s *Server) cartFits(c *fiber.Ctx) error {
	id, err := pathParam(c, "id")
	if err != nil {
		return err
	}
	var body struct {
		PartNumbers []string `json:"partNumbers"`
	}
	if err := readJSON(c, s.opts.BodyLimit, &body); err != nil {
		return err
	}
	switch n := len(body.PartNumbers); {
	case body.PartNumbers == nil:
		return badParam("partNumbers", "is required (an array of part numbers)")
	case n > maxCartParts:
		return badParam("partNumbers", "has %d entries, at most %d are allowed", n, maxCartParts)
	}
	v, err := s.view(c)
	if err != nil {
		return err
	}
	results, err := v.FitsMany(id, body.PartNumbers)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return sendJSON(c, http.StatusOK, struct {
		VehicleID string           `json:"vehicleId"`
		Results   []engine.CartFit `json:"results"`
	}{id, results})
}

// lookupInput is a bulk lookup's parsed body: part numbers or vehicle ids.
type lookupInput struct {
	field  string // "partNumbers" or "vehicleIds"
	values []string
}

// fitmentLookup is POST /api/integrations/fitments/lookup: every fitment link of up to
// 100,000 parts or vehicles, streamed as NDJSON or CSV.
func (s *Server) fitmentLookup(c *fiber.Ctx) error {
	format, err := linkFormat(c)
	if err != nil {
		return err
	}
	in, err := s.readLookup(c)
	if err != nil {
		return err
	}
	v, err := s.view(c)
	if err != nil {
		return err
	}
	return s.stream(c, v, format, true, func(lw *engine.LinkWriter, flush func() error) error {
		each := lw.Part
		if in.field == "vehicleIds" {
			each = lw.Vehicle
		}
		for i, x := range in.values {
			if err := each(x); err != nil {
				return err
			}
			if i == 0 { // the first answer goes out at once
				if err := flush(); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// fitmentExport is GET /api/integrations/fitments/export?brand=: the tenant's whole
// fitment table (of one brand), streamed.
func (s *Server) fitmentExport(c *fiber.Ctx) error {
	format, err := linkFormat(c)
	if err != nil {
		return err
	}
	brand := strings.Clone(strings.TrimSpace(c.Query("brand")))
	v, err := s.view(c)
	if err != nil {
		return err
	}
	if brand != "" && !v.HasBrand(brand) { // refused with a status, before the stream begins
		return errorf(http.StatusNotFound, "not_found", "brand %s is not in this catalog", brand)
	}
	return s.stream(c, v, format, false, func(lw *engine.LinkWriter, _ func() error) error {
		return lw.Export(brand)
	})
}

// linkFormat reads the answer's format from Accept (or ?format=): NDJSON unless CSV is
// asked for; 406 for anything else that excludes both.
func linkFormat(c *fiber.Ctx) (engine.LinkFormat, error) {
	switch f := strings.ToLower(strings.TrimSpace(c.Query("format"))); f {
	case "ndjson", "jsonl":
		return engine.LinksNDJSON, nil
	case "csv":
		return engine.LinksCSV, nil
	case "":
	default:
		return 0, badParam("format", "must be ndjson or csv, not %q", f)
	}
	accept := c.Get(fiber.HeaderAccept)
	if accept == "" {
		return engine.LinksNDJSON, nil
	}
	for _, part := range strings.Split(accept, ",") {
		mt, _, _ := mime.ParseMediaType(strings.TrimSpace(part))
		switch mt {
		case mimeNDJSON, "application/jsonl", "application/json", "*/*", "application/*":
			return engine.LinksNDJSON, nil
		case mimeCSV, "text/*":
			return engine.LinksCSV, nil
		}
	}
	return 0, errorf(http.StatusNotAcceptable, "not_acceptable",
		"Accept %q names no format this endpoint writes: application/x-ndjson or text/csv", accept)
}

// readLookup parses a lookup body: a JSON object {"partNumbers": […]} or {"vehicleIds":
// […]}; NDJSON, one object with one of those fields (singular: partNumber, vehicleId) or
// one string a line; or CSV with a partNumber or vehicleId column.
func (s *Server) readLookup(c *fiber.Ctx) (*lookupInput, error) {
	ct := c.Get(fiber.HeaderContentType)
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || (mt != fiber.MIMEApplicationJSON && mt != mimeNDJSON && mt != "application/jsonl" && mt != mimeCSV) {
		return nil, errorf(http.StatusUnsupportedMediaType, "unsupported_media_type",
			"content type %q is not supported: send application/json, application/x-ndjson or text/csv", ct)
	}
	body, err := readBody(c, s.opts.BodyLimit)
	if err != nil {
		return nil, err
	}
	var in *lookupInput
	switch mt {
	case fiber.MIMEApplicationJSON:
		in, err = parseLookupJSON(body)
	case mimeCSV:
		in, err = parseLookupCSV(body)
	default:
		in, err = parseLookupNDJSON(body)
	}
	if err != nil {
		return nil, err
	}
	if n := len(in.values); n > maxLookupInputs {
		return nil, errorf(http.StatusRequestEntityTooLarge, "too_many_inputs",
			"%s has %d entries, at most %d are allowed per call", in.field, n, maxLookupInputs)
	}
	return in, nil
}

// parseLookupJSON reads {"partNumbers": […]} or {"vehicleIds": […]} with encoding/json,
// which allocates little more than the strings themselves (a generic parse tree of 100,000
// values would cost ~50 MB).
func parseLookupJSON(body []byte) (*lookupInput, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, errorf(http.StatusBadRequest, "bad_body", `body must be an object: {"partNumbers": […]} or {"vehicleIds": […]}`)
		}
		return nil, errorf(http.StatusBadRequest, "bad_body", "body is not valid JSON: %v", err)
	}
	parts, hasParts := doc["partNumbers"]
	vehicles, hasVehicles := doc["vehicleIds"]
	in := &lookupInput{}
	var raw json.RawMessage
	switch {
	case hasParts && hasVehicles:
		return nil, errorf(http.StatusBadRequest, "bad_body", "give partNumbers or vehicleIds, not both")
	case hasParts:
		in.field, raw = "partNumbers", parts
	case hasVehicles:
		in.field, raw = "vehicleIds", vehicles
	default:
		return nil, errorf(http.StatusBadRequest, "bad_body", `body must have partNumbers or vehicleIds (an array of strings)`)
	}
	if err := json.Unmarshal(raw, &in.values); err != nil || in.values == nil {
		var els []json.RawMessage
		if json.Unmarshal(raw, &els) != nil {
			return nil, badParam(in.field, "must be an array of strings")
		}
		for i, el := range els {
			var s string
			if json.Unmarshal(el, &s) != nil {
				return nil, badParam(in.field, "entry %d is not a string", i+1)
			}
		}
		return nil, badParam(in.field, "must be an array of strings")
	}
	return in, nil
}

func parseLookupNDJSON(body []byte) (*lookupInput, error) {
	var in lookupInput
	err := eachNDJSONLine(body, func(line int, v *fastjson.Value) error {
		field, x := "partNumbers", v
		if v.Type() == fastjson.TypeObject {
			if x = v.Get("partNumber"); x == nil {
				field, x = "vehicleIds", v.Get("vehicleId")
			}
		}
		if x == nil || x.Type() != fastjson.TypeString {
			return errorf(http.StatusBadRequest, "bad_body", `line %d must be a string or an object with a string partNumber or vehicleId`, line)
		}
		if in.field != "" && field != in.field {
			return errorf(http.StatusBadRequest, "bad_body", "line %d: give part numbers or vehicle ids, not both", line)
		}
		b, _ := x.StringBytes()
		in.field = field
		in.values = append(in.values, string(b))
		return nil
	})
	if err != nil {
		return nil, err
	}
	if in.field == "" {
		return nil, errorf(http.StatusBadRequest, "bad_body", "request body is empty")
	}
	return &in, nil
}

func parseLookupCSV(body []byte) (*lookupInput, error) {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff"))))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "bad_body", "CSV has no header row: %v", err)
	}
	in := &lookupInput{}
	col := -1
	for i, h := range header {
		switch csvName(h) {
		case "partnumber":
			in.field, col = "partNumbers", i
		case "vehicleid":
			in.field, col = "vehicleIds", i
		default:
			continue
		}
		break
	}
	if col < 0 {
		return nil, errorf(http.StatusBadRequest, "bad_body", "CSV header must have a partNumber or a vehicleId column (header: %s)", strings.Join(header, ","))
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return in, nil
		}
		if err != nil {
			return nil, csvError(err)
		}
		if col >= len(rec) {
			line, _ := r.FieldPos(0)
			return nil, errorf(http.StatusBadRequest, "bad_body", "CSV line %d has no %s field", line, header[col])
		}
		in.values = append(in.values, strings.Clone(rec[col]))
	}
}

// stream answers with link lines written by produce, compressed as Accept-Encoding asks.
// produce gets a LinkWriter and a function that pushes what is buffered to the client.
//
// On a TCP connection the stream takes the connection over (fasthttp's body streams go
// through a pipe in 4 KiB chunks, a write system call each, which caps a stream at a few
// hundred MB/s): the handler's headers are written as they are, the body in chunks of the
// LinkWriter's blocks through a 256 KiB buffer, and the connection is closed at the end.
// Elsewhere (fiber's in-memory test connections) it is a fasthttp body stream.
func (s *Server) stream(c *fiber.Ctx, v *engine.View, format engine.LinkFormat, lookup bool, produce func(lw *engine.LinkWriter, flush func() error) error) error {
	if format == engine.LinksCSV {
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	} else {
		c.Set(fiber.HeaderContentType, mimeNDJSON)
	}
	enc := pickEncoding(c.Get(fiber.HeaderAcceptEncoding))
	if enc != "" {
		c.Set(fiber.HeaderContentEncoding, enc)
	}
	c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	if c.Method() == http.MethodHead {
		return nil
	}
	if n := s.fits.inFlight.Add(1); n > int64(s.opts.MaxStreams) {
		s.fits.inFlight.Add(-1)
		s.fits.refused.Add(1)
		c.Set("Retry-After", "1")
		c.Response().Header.Del(fiber.HeaderContentEncoding)
		return errorf(http.StatusServiceUnavailable, "overloaded", "too many fitment streams in flight (%d), retry later", s.opts.MaxStreams)
	}
	s.fits.streams.Add(1)
	st := &fitStream{s: s, v: v, enc: enc, format: format, lookup: lookup, produce: produce,
		conn: c.Context().Conn(), timeout: s.opts.WriteTimeout, reqID: requestIDOf(c)}
	if _, tcp := st.conn.(*net.TCPConn); tcp {
		hdr := new(fasthttp.ResponseHeader)
		c.Response().Header.CopyTo(hdr)
		hdr.SetStatusCode(http.StatusOK)
		hdr.SetContentLength(-1) // chunked
		hdr.SetConnectionClose()
		head := append([]byte(nil), hdr.Header()...)
		c.Context().HijackSetNoResponse(true)
		c.Context().Hijack(func(hc net.Conn) {
			bw := bufio.NewWriterSize(hc, 256<<10)
			cw := &chunkedWriter{w: bw}
			_, err := bw.Write(head)
			st.run(cw, func() error {
				if err != nil {
					return err
				}
				return bw.Flush()
			}, func() error {
				if err := cw.close(); err != nil {
					return err
				}
				return bw.Flush()
			})
		})
		return nil
	}
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) { st.run(w, w.Flush, w.Flush) })
	return nil
}

// fitStream is one lookup or export stream, run after its handler has returned.
type fitStream struct {
	s       *Server
	v       *engine.View
	enc     string // "", "gzip" or "zstd"
	format  engine.LinkFormat
	lookup  bool
	produce func(lw *engine.LinkWriter, flush func() error) error
	conn    net.Conn
	timeout time.Duration
	reqID   string // for its log lines: the stream outlives the request's fiber.Ctx
}

// compressor is what the stream needs of gzip.Writer and zstd.Encoder.
type compressor interface {
	io.Writer
	Flush() error
	Close() error
}

// run writes the lines through the compressor to w; push sends what w holds to the
// client, end finishes the body. It runs in fasthttp's goroutine, out of reach of the
// recover middleware, so it recovers itself.
func (st *fitStream) run(w io.Writer, push, end func() error) {
	s := st.s
	defer s.fits.inFlight.Add(-1)
	defer func() {
		if e := recover(); e != nil {
			s.fits.aborted.Add(1)
			s.log.Error("panic in a fitment stream", "request_id", st.reqID, "panic", fmt.Sprint(e), "stack", string(debug.Stack()))
		}
	}()
	var out io.Writer = w
	var comp compressor
	switch st.enc {
	case "zstd":
		zw, _ := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1),
			zstd.WithWindowSize(1<<20), zstd.WithLowerEncoderMem(true))
		defer zw.Close() // idempotent: releases the encoder when the stream ends early
		comp = zw
	case "gzip":
		gw := gzipPool.Get().(*gzip.Writer)
		gw.Reset(w)
		defer gzipPool.Put(gw)
		comp = gw
	}
	if comp != nil {
		out = comp
	}
	extendDeadline(st.conn, st.timeout)
	last := time.Now()
	flush := func() error {
		if comp != nil {
			if err := comp.Flush(); err != nil {
				return err
			}
		}
		if err := push(); err != nil {
			return err
		}
		last = time.Now()
		extendDeadline(st.conn, st.timeout)
		return nil
	}
	sw := &streamWriter{out: out, tick: func() error {
		if time.Since(last) < streamFlushEvery {
			return nil
		}
		return flush()
	}}
	lw := st.v.NewLinkWriter(sw, st.format, st.lookup)
	err := st.produce(lw, func() error {
		if err := lw.Flush(); err != nil {
			return err
		}
		return flush()
	})
	if err == nil {
		err = lw.Flush()
	}
	if err == nil && comp != nil {
		err = comp.Close()
	}
	if err == nil {
		err = end()
	}
	s.fits.links.Add(lw.Links())
	if err != nil {
		s.fits.aborted.Add(1)
		s.log.Warn("fitment stream ended early", "request_id", st.reqID, "links", lw.Links(), "error", err)
	}
}

// chunkedWriter writes HTTP/1.1 chunked transfer coding: each Write one chunk.
type chunkedWriter struct {
	w   *bufio.Writer
	buf []byte
}

func (c *chunkedWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.buf = strconv.AppendInt(c.buf[:0], int64(len(p)), 16)
	c.buf = append(c.buf, "\r\n"...)
	if _, err := c.w.Write(c.buf); err != nil {
		return 0, err
	}
	if _, err := c.w.Write(p); err != nil {
		return 0, err
	}
	_, err := c.w.WriteString("\r\n")
	return len(p), err
}

// close writes the last chunk (and no trailers).
func (c *chunkedWriter) close() error {
	_, err := c.w.WriteString("0\r\n\r\n")
	return err
}

// streamWriter passes the LinkWriter's blocks on and lets the stream push them to the
// client now and then (tick).
type streamWriter struct {
	out  io.Writer
	tick func() error
}

func (w *streamWriter) Write(p []byte) (int, error) {
	n, err := w.out.Write(p)
	if err != nil {
		return n, err
	}
	return n, w.tick()
}

// extendDeadline slides the connection's write deadline: a stream that progresses may run
// longer than WriteTimeout, one that stalls for WriteTimeout is cut.
func extendDeadline(conn net.Conn, timeout time.Duration) {
	if conn != nil && timeout > 0 {
		conn.SetWriteDeadline(time.Now().Add(timeout))
	}
}
