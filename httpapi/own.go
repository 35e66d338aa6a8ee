package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/ingest"
	"github.com/fitment/fitment/snapshot"
)

// A tenant's own vehicles and parts (/api/app/tenant-vehicles, /api/app/tenant-parts).
// Vehicles take the columns of vehicles.csv, parts the fields of parts.csv in camelCase,
// checked by the same rules as the central catalog's (ingest.ParsePart); fitments name
// vehicles of the catalog or the tenant's own, by id or by natural key.

const (
	maxOwnRows      = 10_000 // parts or vehicle rows in one request
	maxFitmentsPart = 10_000 // a part's fitments after expanding years
	maxNameLen      = 500
	maxNotesLen     = 1000
)

var vehicleFields = []field{
	{"type", true}, {"make", true}, {"model", true}, {"submodel", false}, {"years", true}, {"engineCc", false}, {"generation", false},
}

// VehicleMade is one vehicle a tenant-vehicles row made (one year of it): its id, for
// fitments. InCatalog: the catalog has this vehicle already, so it stays the catalog's.
type VehicleMade struct {
	Row       int    `json:"row"`
	ID        string `json:"id"`
	Make      string `json:"make"`
	Model     string `json:"model"`
	Submodel  string `json:"submodel"`
	Year      int    `json:"year"`
	InCatalog bool   `json:"inCatalog"`
}

// VehiclesResult answers POST /api/app/tenant-vehicles.
type VehiclesResult struct {
	Created  int             `json:"created"`
	Vehicles []VehicleMade   `json:"vehicles"`
	Rejected []KeyedRowError `json:"rejected"`
}

// postTenantVehicles is POST /api/app/tenant-vehicles: rows of vehicles.csv (type, make,
// model, submodel, years, engineCc, generation), each year of a row one vehicle.
func (s *Server) postTenantVehicles(c *fiber.Ctx) error {
	rows, err := readRows(c, s.opts.BodyLimit, vehicleFields)
	if err != nil {
		return err
	}
	if len(rows.rows) > maxOwnRows {
		return errorf(http.StatusRequestEntityTooLarge, "body_too_large", "at most %d rows in one request, not %d", maxOwnRows, len(rows.rows))
	}
	if err := s.needCatalog(); err != nil {
		return err
	}
	res := VehiclesResult{Vehicles: []VehicleMade{}, Rejected: []KeyedRowError{}}
	var puts []engine.TenantVehicle
	rows.eachRow(func(i int, row []cell) (string, string) {
		var f [7]string
		for j := range f {
			var reason string
			if j == 5 && (row[j].kind == cellNumber || row[j].kind == cellText) {
				f[j] = row[j].text // engineCc: a number, in JSON or CSV
				continue
			}
			if f[j], reason = textCell(row[j], vehicleFields[j].name, maxAliasLen); reason != "" {
				return "", reason
			}
		}
		typ, mk, md, sub, ys, cc, gen := f[0], f[1], f[2], f[3], f[4], f[5], f[6]
		key := strings.Join([]string{mk, md, sub, ys}, "/")
		switch {
		case typ == "":
			return key, "missing type"
		case mk == "":
			return key, "missing make"
		case md == "":
			return key, "missing model"
		case ys == "":
			return key, "missing years"
		}
		vt, ok := snapshot.ParseVehicleType(typ)
		if !ok {
			return key, fmt.Sprintf("bad type %q (want one of %s)", typ, strings.Join(vehicleTypes, ", "))
		}
		years, err := ingest.ParseYears(ys)
		if err != nil {
			return key, fmt.Sprintf("bad years %q: %v", ys, err)
		}
		engineCC := 0
		if cc != "" {
			n, err := strconv.Atoi(cc)
			if err != nil || n <= 0 || n > 100_000 {
				return key, fmt.Sprintf("bad engineCc %q (want a whole number of cc)", cc)
			}
			engineCC = n
		}
		for _, y := range years {
			puts = append(puts, engine.TenantVehicle{ID: snapshot.VehicleID(mk, md, sub, y), Type: vt.String(), Make: mk, Model: md,
				Submodel: sub, Year: y, EngineCC: engineCC, Generation: gen})
			res.Vehicles = append(res.Vehicles, VehicleMade{Row: i + 1, ID: snapshot.VehicleID(mk, md, sub, y), Make: mk, Model: md, Submodel: sub, Year: y})
		}
		return key, ""
	}, func(row int, key, reason string) {
		res.Rejected = append(res.Rejected, KeyedRowError{Row: row, Key: key, Reason: reason})
	})
	if len(puts) > 0 {
		out, seq, err := s.store.Write(tenantID(c), engine.Change{PutVehicles: puts})
		if err != nil {
			return err
		}
		for _, k := range out.VehicleInCatalog {
			res.Vehicles[k].InCatalog = true
		}
		res.Created = out.VehiclesPut
		setSeq(c, seq)
	}
	return sendJSON(c, http.StatusOK, res)
}

// listTenantVehicles is GET /api/app/tenant-vehicles, by id.
func (s *Server) listTenantVehicles(c *fiber.Ctx) error {
	limit, err := limitParam(c, 100, 1000)
	if err != nil {
		return err
	}
	after, err := cursorParam(c)
	if err != nil {
		return err
	}
	v, err := s.view(c)
	if err != nil {
		return err
	}
	all := v.TenantVehicles()
	i := 0
	for i < len(all) && after != "" && all[i].ID <= after {
		i++
	}
	page := Page[engine.TenantVehicle]{Items: all[i:min(len(all), i+limit)]}
	if n := len(page.Items); n > 0 {
		page.NextCursor = nextCursor(i+n < len(all), page.Items[n-1].ID)
	}
	return sendJSON(c, http.StatusOK, page)
}

// ownPartRow is one row of POST /api/app/tenant-parts as read: the part, and for each of
// its fitments (after expanding years) what the client wrote, for messages.
type ownPartRow struct {
	row     int // from 1
	part    engine.TenantPart
	fitFrom []string // per fitment: "fitment 2: Honda/TRX420/FA6/2019"
}

// postTenantParts is POST /api/app/tenant-parts: an array (JSON or NDJSON) of parts with
// the fields of parts.csv in camelCase (partNumber, brand, name, category, description,
// oemNumbers, ean, weightKg, …, nameDe, descriptionSv) and fitments, each {"vehicleId"}
// or {"make", "model", "submodel", "years"}, with position, qty and notes. A part is
// replaced whole.
func (s *Server) postTenantParts(c *fiber.Ctx) error {
	elems, err := readObjects(c, s.opts.BodyLimit)
	if err != nil {
		return err
	}
	if len(elems) > maxOwnRows {
		return errorf(http.StatusRequestEntityTooLarge, "body_too_large", "at most %d parts in one request, not %d", maxOwnRows, len(elems))
	}
	if err := s.needCatalog(); err != nil {
		return err
	}
	res := newBulkResult()
	var good []ownPartRow
	for i, el := range elems {
		r, pn, reason := readOwnPart(el)
		if reason != "" {
			res.Rejected = append(res.Rejected, RowError{Row: i + 1, PartNumber: pn, Reason: reason})
			continue
		}
		r.row = i + 1
		good = append(good, r)
	}
	if len(good) > 0 {
		puts := make([]engine.TenantPart, len(good))
		for i := range good {
			puts[i] = good[i].part
		}
		out, seq, err := s.store.Write(tenantID(c), engine.Change{PutParts: puts})
		if err != nil {
			return err
		}
		reject := func(k int, reason string) {
			res.Rejected = append(res.Rejected, RowError{Row: good[k].row, PartNumber: puts[k].PartNumber, Reason: reason})
		}
		for _, k := range out.PartInCatalog {
			reject(k, "partNumber "+puts[k].PartNumber+" is a part of the central catalog: a tenant part needs a number of its own")
		}
		for _, k := range out.PartUnknownCategory {
			reject(k, "category "+puts[k].Category+" is not in the catalog's category tree")
		}
		unknown := map[int][]int{}
		var order []int
		for _, u := range out.PartUnknownFit {
			if unknown[u.Part] == nil {
				order = append(order, u.Part)
			}
			unknown[u.Part] = append(unknown[u.Part], u.Fitment)
		}
		for _, k := range order {
			fits := unknown[k]
			reason := good[k].fitFrom[fits[0]] + ": unknown vehicle"
			if len(fits) > 1 {
				reason += fmt.Sprintf(" (and %d more unknown)", len(fits)-1)
			}
			reject(k, reason)
		}
		sortRejected(res.Rejected)
		res.Updated = out.PartsPut
		setSeq(c, seq)
	}
	return sendJSON(c, http.StatusOK, res)
}

// readObjects reads a body of JSON objects: an array (application/json) or one a line
// (application/x-ndjson). Each element is returned raw, to be read and checked one by one.
func readObjects(c *fiber.Ctx, limit int) ([]json.RawMessage, error) {
	ct := c.Get(fiber.HeaderContentType)
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != fiber.MIMEApplicationJSON && mt != mimeNDJSON && mt != "application/jsonl" {
		return nil, errorf(http.StatusUnsupportedMediaType, "unsupported_media_type",
			"content type %q is not supported: send application/json (an array of objects) or application/x-ndjson", ct)
	}
	body, err := readBody(c, limit)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errorf(http.StatusBadRequest, "bad_body", "request body is empty")
	}
	if mt == fiber.MIMEApplicationJSON {
		var elems []json.RawMessage
		if err := json.Unmarshal(body, &elems); err != nil {
			return nil, jsonRowError(body)
		}
		return elems, nil
	}
	var elems []json.RawMessage
	for line, rest := 1, body; len(rest) > 0; line++ {
		text, after, _ := bytes.Cut(rest, []byte{'\n'})
		rest = after
		if len(bytes.TrimSpace(text)) == 0 {
			continue
		}
		if !json.Valid(text) {
			return nil, errorf(http.StatusBadRequest, "bad_body", "line %d is not valid JSON", line)
		}
		elems = append(elems, json.RawMessage(bytes.TrimSpace(text)))
	}
	return elems, nil
}

// camelColumn spells a parts.csv column as the API does: part_number → partNumber.
func camelColumn(col string) string {
	var b strings.Builder
	up := false
	for _, r := range col {
		switch {
		case r == '_':
			up = true
		case up:
			b.WriteString(strings.ToUpper(string(r)))
			up = false
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// readOwnPart reads one element of a tenant-parts body.
func readOwnPart(el json.RawMessage) (r ownPartRow, pn, reason string) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(el, &obj); err != nil || obj == nil {
		return r, "", "row is not a JSON object"
	}
	var f ingest.PartFields
	texts := []*string{&f.Number, &f.Brand, &f.Name, &f.Category, &f.Description, &f.OEMNumbers, &f.EAN,
		&f.Dims[0], &f.Dims[1], &f.Dims[2], &f.Dims[3], &f.CountryOfOrigin, &f.ImageURLs, &f.ManualURL, &f.Universal}
	byName := map[string]int{}
	for i, col := range ingest.PartColumns {
		byName[csvName(col)] = i
	}
	type translation struct{ kind, lang, text string }
	var trans []translation
	var fitments json.RawMessage
	if raw, ok := obj["partNumber"]; ok {
		f.Number, _ = jsonText(raw, false)
		pn = f.Number
	}
	for key, raw := range obj {
		name := csvName(key)
		if i, ok := byName[name]; ok {
			list := ingest.PartColumns[i] == "oem_numbers" || ingest.PartColumns[i] == "image_urls"
			s, ok := jsonText(raw, list)
			if !ok {
				return r, pn, key + " must be a string" + map[bool]string{true: " or an array of strings", false: ""}[list]
			}
			*texts[i] = s
			continue
		}
		if name == "fitments" {
			fitments = raw
			continue
		}
		if kind, lang, ok := translationKey(name); ok {
			s, ok := jsonText(raw, false)
			if !ok {
				return r, pn, key + " must be a string"
			}
			if s != "" {
				trans = append(trans, translation{kind, lang, s})
			}
			continue
		}
		return r, pn, "unknown field " + key
	}
	for _, l := range [][2]string{{f.Number, "partNumber"}, {f.Brand, "brand"}} {
		if reason := validLabel(l[0], l[1], maxAliasLen); reason != "" {
			return r, pn, reason
		}
	}
	if len(f.Name) > maxNameLen {
		return r, pn, fmt.Sprintf("name is longer than %d bytes", maxNameLen)
	}
	p, reason := ingest.ParsePart(&f, camelColumn)
	if reason != "" {
		return r, pn, reason
	}
	tp := engine.TenantPart{PartNumber: p.Number, Brand: p.Brand, Name: p.Name, Universal: p.Universal, Detail: p.Detail}
	if p.Category != nil {
		tp.Category = strings.Join(p.Category, " > ")
	}
	for i, dst := range []**float64{&tp.Detail.WeightKg, &tp.Detail.LengthCm, &tp.Detail.WidthCm, &tp.Detail.HeightCm} {
		if p.HasDim[i] {
			*dst = &p.Dims[i]
		}
	}
	tp.Detail.Description = ingest.SanitizeDescription(tp.Detail.Description)
	for _, t := range trans {
		if t.kind == "name" {
			tp.Names.Set(t.lang, t.text)
			continue
		}
		if tp.Detail.Descriptions == nil {
			tp.Detail.Descriptions = map[string]string{}
		}
		tp.Detail.Descriptions[t.lang] = ingest.SanitizeDescription(t.text)
	}
	if fitments != nil && !isNull(fitments) {
		if tp.Fitments, r.fitFrom, reason = readOwnFitments(fitments); reason != "" {
			return r, pn, reason
		}
	}
	r.part = tp
	return r, pn, ""
}

// translationKey reports whether a field (in csvName form) is nameXx or descriptionXx.
func translationKey(name string) (kind, lang string, ok bool) {
	for _, k := range []string{"name", "description"} {
		if rest, found := strings.CutPrefix(name, k); found && len(rest) == 2 && alpha(rest) {
			return k, rest, true
		}
	}
	return "", "", false
}

// jsonText reads a JSON value as the text of a CSV cell: a string (trimmed), a number or
// a boolean as written, null as ""; where list, an array of strings joined by '|'.
func jsonText(raw json.RawMessage, list bool) (string, bool) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || isNull(raw):
		return "", true
	case raw[0] == '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return "", false
		}
		return strings.TrimSpace(s), true
	case raw[0] == '[' && list:
		var items []string
		if json.Unmarshal(raw, &items) != nil {
			return "", false
		}
		return strings.Join(items, "|"), true
	case raw[0] == '{' || raw[0] == '[':
		return "", false
	}
	return string(raw), true
}

// readOwnFitments reads a part's fitments, expanding natural keys' years into one
// fitment a vehicle. from describes each for messages.
func readOwnFitments(raw json.RawMessage) (fits []engine.TenantFitment, from []string, reason string) {
	var elems []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, nil, "fitments must be an array of objects"
	}
	for j, el := range elems {
		at := fmt.Sprintf("fitment %d", j+1)
		var v [8]string // vehicleId, make, model, submodel, years, position, qty, notes
		names := []string{"vehicleId", "make", "model", "submodel", "years", "position", "qty", "notes"}
		for key, val := range el {
			i := 0
			for i < len(names) && names[i] != key {
				i++
			}
			if i == len(names) {
				return nil, nil, at + ": unknown field " + key + " (want vehicleId, or make, model, submodel and years; position, qty, notes)"
			}
			s, ok := jsonText(val, false)
			if !ok {
				return nil, nil, at + ": " + key + " must be a string"
			}
			v[i] = s
		}
		fit := engine.TenantFitment{Position: strings.ToUpper(v[5]), Notes: v[7]}
		if fit.Position != "" && !ingest.ValidPosition(fit.Position) {
			return nil, nil, fmt.Sprintf("%s: bad position %q (want %s)", at, v[5], ingest.PositionRule)
		}
		if v[6] != "" {
			q, err := strconv.ParseUint(v[6], 10, 16)
			if err != nil || q == 0 {
				return nil, nil, fmt.Sprintf("%s: bad qty %q (want a whole number 1-65535)", at, v[6])
			}
			fit.Qty = int(q)
		}
		if len(fit.Notes) > maxNotesLen {
			return nil, nil, fmt.Sprintf("%s: notes longer than %d bytes", at, maxNotesLen)
		}
		id, mk, md, sub, ys := v[0], v[1], v[2], v[3], v[4]
		switch {
		case id != "" && (mk != "" || md != "" || sub != "" || ys != ""):
			return nil, nil, at + ": give vehicleId or make, model, submodel and years, not both"
		case id != "":
			fit.VehicleID = id
			fits = append(fits, fit)
			from = append(from, at+": vehicle "+id)
		case mk == "":
			return nil, nil, at + ": missing make (or vehicleId)"
		case md == "":
			return nil, nil, at + ": missing model"
		case ys == "":
			return nil, nil, at + ": missing years"
		default:
			years, err := ingest.ParseYears(ys)
			if err != nil {
				return nil, nil, fmt.Sprintf("%s: bad years %q: %v", at, ys, err)
			}
			for _, y := range years {
				fit.VehicleID = snapshot.VehicleID(mk, md, sub, y)
				fits = append(fits, fit)
				from = append(from, fmt.Sprintf("%s: %s/%s/%s/%d", at, mk, md, sub, y))
			}
		}
		if len(fits) > maxFitmentsPart {
			return nil, nil, fmt.Sprintf("more than %d fitments after expanding years", maxFitmentsPart)
		}
	}
	return fits, from, ""
}

// deleteTenantPart is DELETE /api/app/tenant-parts/:partNumber; its offers, location
// stock and fitments go with it, its aliases stay (unresolved).
func (s *Server) deleteTenantPart(c *fiber.Ctx) error {
	pn, err := pathParam(c, "partNumber")
	if err != nil {
		return err
	}
	if err := s.needCatalog(); err != nil {
		return err
	}
	out, seq, err := s.store.Write(tenantID(c), engine.Change{DeleteParts: []string{pn}})
	if err != nil {
		return err
	}
	if out.PartsDeleted == 0 {
		return errorf(http.StatusNotFound, "not_found", "part %s is not one of this tenant's own parts", pn)
	}
	setSeq(c, seq)
	c.Status(http.StatusNoContent)
	return nil
}

// listTenantParts is GET /api/app/tenant-parts, in part-number order, each part in the
// shape POST takes (fitments by vehicle id) with its price and stock.
func (s *Server) listTenantParts(c *fiber.Ctx) error {
	limit, err := limitParam(c, 100, 1000)
	if err != nil {
		return err
	}
	after, err := cursorParam(c)
	if err != nil {
		return err
	}
	v, err := s.view(c)
	if err != nil {
		return err
	}
	all := v.OwnParts()
	i := 0
	for i < len(all) && after != "" && keyOf(all[i].PartNumber) <= keyOf(after) {
		i++
	}
	page := Page[map[string]any]{Items: []map[string]any{}}
	for _, tp := range all[i:min(len(all), i+limit)] {
		page.Items = append(page.Items, ownPartJSON(v, &tp))
	}
	if n := len(page.Items); n > 0 {
		page.NextCursor = nextCursor(i+n < len(all), all[i+n-1].PartNumber)
	}
	return sendJSON(c, http.StatusOK, page)
}

// ownPartJSON shows an own part with the fields POST takes.
func ownPartJSON(v *engine.View, tp *engine.TenantPart) map[string]any {
	d := &tp.Detail
	out := map[string]any{"partNumber": tp.PartNumber, "brand": tp.Brand, "name": tp.Name, "universal": tp.Universal}
	for k, s := range map[string]string{"category": tp.Category, "description": d.Description, "ean": d.EAN,
		"countryOfOrigin": d.CountryOfOrigin, "manualUrl": d.ManualURL} {
		if s != "" {
			out[k] = s
		}
	}
	for k, f := range map[string]*float64{"weightKg": d.WeightKg, "lengthCm": d.LengthCm, "widthCm": d.WidthCm, "heightCm": d.HeightCm} {
		if f != nil {
			out[k] = *f
		}
	}
	if len(d.OEM) > 0 {
		oem := make([]string, len(d.OEM))
		for i, o := range d.OEM {
			oem[i] = o.Brand + ":" + o.Number
		}
		out["oemNumbers"] = oem
	}
	if len(d.Images) > 0 {
		out["imageUrls"] = d.Images
	}
	for _, t := range tp.Names {
		out["name"+strings.ToUpper(t.Lang[:1])+t.Lang[1:]] = t.Text
	}
	for lang, text := range d.Descriptions {
		out["description"+strings.ToUpper(lang[:1])+lang[1:]] = text
	}
	out["fitments"] = nonNil(tp.Fitments)
	out["price"], out["stock"] = nil, nil
	if pd, err := v.Part(tp.PartNumber, ""); err == nil {
		out["price"], out["stock"] = pd.Price, pd.Stock
	}
	return out
}
