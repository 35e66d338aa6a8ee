package httpapi

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/valyala/fastjson"
)

// Bulk bodies (feeds, portal upserts) are rows of named fields in one of three formats: a
// JSON array of objects, NDJSON (one object a line) or CSV with a header row. They are read
// whole (within the decoded body limit) into rows of cells that the endpoint then
// validates one by one: a bad value rejects its row only, while a body that cannot be
// parsed at all (malformed JSON, a CSV quoting error, a missing column) fails the request
// before anything is applied.

// cellKind is what a row holds for a field.
type cellKind uint8

const (
	cellAbsent cellKind = iota // the field is not in the row (or an empty CSV cell)
	cellNull                   // JSON null, or the CSV word null
	cellNumber                 // a JSON number (text is its literal)
	cellString                 // a JSON string (text is its value)
	cellText                   // a CSV cell: text, to be read as the field needs
	cellBool                   // a JSON true or false (text is the literal)
	cellOther                  // a JSON object or array
)

type cell struct {
	kind cellKind
	text string
}

// field names one field of a row: its name in JSON, and the spellings a CSV header may
// use for it (compared case-insensitively, '_' ignored: partNumber, part_number,
// PARTNUMBER).
type field struct {
	name     string
	required bool // a CSV header must have the column
}

// bulkRows is a parsed body: rows[i][j] is field j of row i+1.
type bulkRows struct {
	fields []field
	rows   [][]cell
	// bad holds, per row, a reason the whole row is unreadable ("row is not a JSON
	// object"), "" when it is fine.
	bad []string
}

const (
	mimeNDJSON = "application/x-ndjson"
	mimeCSV    = "text/csv"
)

// readBody returns the request body decoded from its Content-Encoding: 415 for an encoding
// other than gzip, zstd or identity, 413 when it exceeds limit decoded, 400 when it does
// not decode.
func readBody(c *fiber.Ctx, limit int) ([]byte, error) {
	body := c.Request().Body() // raw: c.Body() would decode gzip itself, without our limit
	var r io.Reader
	switch enc := strings.ToLower(strings.TrimSpace(c.Get(fiber.HeaderContentEncoding))); enc {
	case "", "identity":
		return body, nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "bad_body", "body is not valid gzip")
		}
		r = zr
	case "zstd":
		zr, err := zstd.NewReader(bytes.NewReader(body), zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(uint64(limit)+1))
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "bad_body", "body is not valid zstd")
		}
		defer zr.Close()
		r = zr
	default:
		return nil, errorf(http.StatusUnsupportedMediaType, "unsupported_media_type",
			"content encoding %q is not supported: send gzip, zstd or identity", enc)
	}
	b, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if len(b) > limit || errors.Is(err, zstd.ErrDecoderSizeExceeded) || errors.Is(err, zstd.ErrWindowSizeExceeded) {
		return nil, errorf(http.StatusRequestEntityTooLarge, "body_too_large", "request body too large (limit %d bytes decoded)", limit)
	}
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "bad_body", "body does not decompress: %v", err)
	}
	return b, nil
}

// readRows parses a bulk body by its Content-Type: application/json (an array of
// objects), application/x-ndjson or text/csv.
func readRows(c *fiber.Ctx, limit int, fields []field) (*bulkRows, error) {
	ct := c.Get(fiber.HeaderContentType)
	mt, params, err := mime.ParseMediaType(ct)
	if cs := strings.ToLower(params["charset"]); err == nil && cs != "" && cs != "utf-8" && cs != "utf8" {
		return nil, errorf(http.StatusUnsupportedMediaType, "unsupported_media_type", "charset %q is not supported: send UTF-8", cs)
	}
	parse := map[string]func([]byte, []field) (*bulkRows, error){
		fiber.MIMEApplicationJSON: parseJSONRows,
		mimeNDJSON:                parseNDJSONRows,
		"application/jsonl":       parseNDJSONRows,
		mimeCSV:                   parseCSVRows,
	}[mt]
	if err != nil || parse == nil {
		return nil, errorf(http.StatusUnsupportedMediaType, "unsupported_media_type",
			"content type %q is not supported: send application/json (an array of objects), application/x-ndjson or text/csv", ct)
	}
	body, err := readBody(c, limit)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errorf(http.StatusBadRequest, "bad_body", "request body is empty")
	}
	return parse(body, fields)
}

// parseJSONRows reads an array of objects. fastjson parses the whole body at memory speed;
// when it fails, the body is scanned again with encoding/json to name the row at fault.
func parseJSONRows(body []byte, fields []field) (*bulkRows, error) {
	var p fastjson.Parser
	v, err := p.ParseBytes(body)
	if err != nil {
		return nil, jsonRowError(body)
	}
	arr, err := v.Array()
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "bad_body", "body must be a JSON array of objects, not %s", v.Type())
	}
	out := &bulkRows{fields: fields, rows: make([][]cell, len(arr)), bad: make([]string, len(arr))}
	for i, el := range arr {
		out.rows[i], out.bad[i] = jsonRow(el, fields)
	}
	return out, nil
}

// jsonRowError finds where an array of objects stops being valid JSON.
func jsonRowError(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return errorf(http.StatusBadRequest, "bad_body", "body is not valid JSON: %v", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return errorf(http.StatusBadRequest, "bad_body", "body must be a JSON array of objects")
	}
	for row := 1; dec.More(); row++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return errorf(http.StatusBadRequest, "bad_body", "body is not valid JSON at row %d: %v", row, err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return errorf(http.StatusBadRequest, "bad_body", "body is not valid JSON after the last row: %v", err)
	}
	return errorf(http.StatusBadRequest, "bad_body", "body is not valid JSON: trailing data after the array")
}

func jsonRow(v *fastjson.Value, fields []field) ([]cell, string) {
	o, err := v.Object()
	if err != nil {
		return nil, "row is not a JSON object"
	}
	row := make([]cell, len(fields))
	for j, f := range fields {
		x := o.Get(f.name)
		if x == nil {
			continue
		}
		switch x.Type() {
		case fastjson.TypeNull:
			row[j].kind = cellNull
		case fastjson.TypeNumber:
			row[j] = cell{cellNumber, string(x.MarshalTo(nil))}
		case fastjson.TypeString:
			s, _ := x.StringBytes()
			row[j] = cell{cellString, string(s)}
		case fastjson.TypeTrue:
			row[j] = cell{cellBool, "true"}
		case fastjson.TypeFalse:
			row[j] = cell{cellBool, "false"}
		default:
			row[j].kind = cellOther
		}
	}
	return row, ""
}

// parseNDJSONRows reads one object a line; blank lines are skipped and do not count.
func parseNDJSONRows(body []byte, fields []field) (*bulkRows, error) {
	out := &bulkRows{fields: fields}
	err := eachNDJSONLine(body, func(_ int, v *fastjson.Value) error {
		row, bad := jsonRow(v, fields)
		out.rows = append(out.rows, row)
		out.bad = append(out.bad, bad)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eachNDJSONLine calls fn with every line of body that is not blank, parsed, and its
// number (counting from 1, blank lines included); a line that is not JSON is a 400 naming it.
func eachNDJSONLine(body []byte, fn func(line int, v *fastjson.Value) error) error {
	var p fastjson.Parser
	for line, rest := 1, body; len(rest) > 0; line++ {
		text, after, _ := bytes.Cut(rest, []byte{'\n'})
		rest = after
		if len(bytes.TrimSpace(text)) == 0 {
			continue
		}
		v, err := p.ParseBytes(text)
		if err != nil {
			return errorf(http.StatusBadRequest, "bad_body", "line %d is not valid JSON: %v", line, firstLine(err))
		}
		if err := fn(line, v); err != nil {
			return err
		}
	}
	return nil
}

// firstLine shortens fastjson's messages, which quote the whole unparsed tail.
func firstLine(err error) string {
	s := err.Error()
	if i := strings.Index(s, "; unparsed tail"); i >= 0 {
		s = s[:i]
	}
	return s
}

// csvName is the comparison form of a CSV header name.
func csvName(s string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "_", "")
}

func parseCSVRows(body []byte, fields []field) (*bulkRows, error) {
	body = bytes.TrimPrefix(body, []byte("\ufeff"))
	r := csv.NewReader(bytes.NewReader(body))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "bad_body", "CSV header: %v", err)
	}
	col := make([]int, len(fields))
	for j, f := range fields {
		col[j] = -1
		for i, h := range header {
			if csvName(h) == csvName(f.name) {
				col[j] = i
			}
		}
		if col[j] < 0 && f.required {
			return nil, errorf(http.StatusBadRequest, "bad_body", "CSV header has no %s column (header: %s)", f.name, strings.Join(header, ","))
		}
	}
	out := &bulkRows{fields: fields}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, csvError(err)
		}
		row := make([]cell, len(fields))
		bad := ""
		for j, i := range col {
			switch {
			case i < 0:
			case i >= len(rec):
				bad = fmt.Sprintf("row has %d fields, the header %d", len(rec), len(header))
			default:
				switch v := strings.TrimSpace(rec[i]); {
				case v == "":
				case strings.EqualFold(v, "null"):
					row[j].kind = cellNull
				default:
					row[j] = cell{cellText, v}
				}
			}
		}
		out.rows = append(out.rows, row)
		out.bad = append(out.bad, bad)
	}
}

// csvError is the 400 of a CSV body that does not parse, naming its line.
func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return errorf(http.StatusBadRequest, "bad_body", "CSV line %d: %v", pe.StartLine, pe.Err)
	}
	return errorf(http.StatusBadRequest, "bad_body", "CSV: %v", err)
}

// each calls fn for every readable row (i counts from 0); fn returns the row's part
// reference and, to reject the row, a reason ("" accepts it). Rejections go into res, in
// row order.
func (b *bulkRows) each(res *BulkResult, fn func(i int, row []cell) (pn, reason string)) {
	b.eachRow(fn, func(row int, pn, reason string) {
		res.Rejected = append(res.Rejected, RowError{Row: row, PartNumber: pn, Reason: reason})
	})
}

// eachRow is each for rows keyed by something else than a part number: reject gets each
// rejected row (counting from 1), its key and the reason.
func (b *bulkRows) eachRow(fn func(i int, row []cell) (key, reason string), reject func(row int, key, reason string)) {
	for i, row := range b.rows {
		key, reason := "", b.bad[i]
		if reason == "" {
			key, reason = fn(i, row)
		}
		if reason != "" {
			reject(i+1, key, reason)
		}
	}
}

// Field readers. Each returns the value or the reason its row is rejected.

// partNumberCell reads a part number (or alias): a non-empty string.
func partNumberCell(c cell, name string) (string, string) {
	switch c.kind {
	case cellString, cellText:
		if s := strings.TrimSpace(c.text); s != "" {
			return s, ""
		}
	case cellNull, cellAbsent:
	default:
		return "", name + " must be a string"
	}
	return "", "missing " + name
}

// decimal splits a number literal ([-]digits[.digits][e[+-]digits]) into its parts; ok is
// false for anything else (NaN, Inf, hex, a string of letters).
func decimal(s string) (neg bool, intPart, frac string, exp int, ok bool) {
	if s == "" {
		return
	}
	if s[0] == '-' || s[0] == '+' {
		neg, s = s[0] == '-', s[1:]
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intPart, s = s[:i], s[i:]
	if len(s) > 0 && s[0] == '.' {
		j := 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		frac, s = s[1:j], s[j:]
	}
	if intPart == "" && frac == "" {
		return
	}
	if len(s) > 0 && (s[0] == 'e' || s[0] == 'E') {
		e, err := strconv.Atoi(strings.TrimPrefix(s[1:], "+"))
		if err != nil || e > 400 || e < -400 {
			return
		}
		exp, s = e, ""
	}
	return neg, intPart, frac, exp, s == ""
}

// scaled reads a number literal as an integer of 10^-places units, rounding half up:
// scaled("12.345", 2) is 1235. ok is false when it is not a number; big when it exceeds
// max.
func scaled(s string, places int, max int64) (v int64, neg, ok, big bool) {
	neg, ip, frac, exp, ok := decimal(s)
	if !ok {
		return 0, false, false, false
	}
	digits := strings.TrimLeft(ip+frac, "0")
	shift := places + exp - len(frac) // digits × 10^shift is the value in units
	var n int64
	if shift >= 0 {
		if len(digits)+shift > 18 {
			return 0, neg, true, digits != ""
		}
		for _, d := range digits {
			n = n*10 + int64(d-'0')
		}
		for ; shift > 0; shift-- {
			n *= 10
		}
	} else {
		keep := len(digits) + shift // digits before the cut
		if keep > 18 {
			return 0, neg, true, true
		}
		for i := 0; i < keep; i++ {
			n = n*10 + int64(digits[i]-'0')
		}
		if keep >= 0 && keep < len(digits) && digits[keep] >= '5' {
			n++
		}
	}
	return n, neg && n != 0, true, n > max
}

// stockCell reads a stock: a non-negative number, fractions floored; null clears it.
func stockCell(c cell, max int64) (n int64, clear bool, reason string) {
	switch c.kind {
	case cellAbsent:
		return 0, false, "missing stock"
	case cellNull:
		return 0, true, ""
	case cellNumber, cellText:
	default:
		return 0, false, "stock must be a number or null"
	}
	neg, ip, _, exp, ok := decimal(c.text)
	if !ok {
		return 0, false, "stock must be a number or null"
	}
	if neg && strings.Trim(c.text, "-+0.eE") != "" {
		return 0, false, "negative stock"
	}
	// Floor: the integer part after the exponent.
	digits := strings.TrimLeft(ip, "0")
	if exp != 0 {
		f, err := strconv.ParseFloat(c.text, 64)
		if err != nil {
			return 0, false, "stock must be a number or null"
		}
		if f >= float64(max)+1 {
			return 0, false, fmt.Sprintf("stock too large (max %d)", max)
		}
		return int64(f), false, ""
	}
	if len(digits) > 18 {
		return 0, false, fmt.Sprintf("stock too large (max %d)", max)
	}
	n, _ = strconv.ParseInt("0"+digits, 10, 64)
	if n > max {
		return 0, false, fmt.Sprintf("stock too large (max %d)", max)
	}
	return n, false, ""
}

// priceCell reads a price: a non-negative number, rounded to cents; null clears it.
func priceCell(c cell, maxCents int64) (cents int64, clear bool, reason string) {
	switch c.kind {
	case cellAbsent:
		return 0, false, "missing price"
	case cellNull:
		return 0, true, ""
	case cellNumber, cellText:
	default:
		return 0, false, "price must be a number or null"
	}
	v, neg, ok, big := scaled(c.text, 2, maxCents)
	switch {
	case !ok:
		return 0, false, "price must be a number or null"
	case neg:
		return 0, false, "negative price"
	case big:
		return 0, false, fmt.Sprintf("price too large (max %d.%02d)", maxCents/100, maxCents%100)
	}
	return v, false, ""
}

// boolCell reads true, false (or null, when nullable) from JSON; CSV accepts the words.
func boolCell(c cell, name string) (v, null bool, reason string) {
	switch c.kind {
	case cellNull:
		return false, true, ""
	case cellText:
		switch strings.ToLower(c.text) {
		case "true", "1", "yes":
			return true, false, ""
		case "false", "0", "no":
			return false, false, ""
		}
	case cellBool:
		return c.text == "true", false, ""
	}
	return false, false, name + " must be true, false or null"
}

// textCell reads an optional text field: "" when absent or null; at most max bytes, no
// control characters.
func textCell(c cell, name string, max int) (string, string) {
	switch c.kind {
	case cellAbsent, cellNull:
		return "", ""
	case cellString, cellText:
		s := strings.TrimSpace(c.text)
		return s, validLabel(s, name, max)
	}
	return "", name + " must be a string"
}

// floatCell reads an optional number within lo..hi; nil when absent or null.
func floatCell(c cell, name string, lo, hi float64) (*float64, string) {
	switch c.kind {
	case cellAbsent, cellNull:
		return nil, ""
	case cellNumber, cellText:
		f, err := strconv.ParseFloat(c.text, 64)
		if err != nil || f != f {
			return nil, name + " must be a number"
		}
		if f < lo || f > hi {
			return nil, fmt.Sprintf("%s %s is out of range %g..%g", name, c.text, lo, hi)
		}
		return &f, ""
	}
	return nil, name + " must be a number or null"
}
