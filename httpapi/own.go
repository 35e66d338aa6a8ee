package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/ingest"
	"github.com/fitment/fitment/snapshot"
)

// A tenant's own vehicles and parts (/api/app/tenant-vehicles, /api/app/tenant-parts).
// Vehicles take the columns of vehicles.csv, parts the fields of parts.csv in camelCase,
// read by ingest (ReadTenantPart, TenantVehicles) by the central catalog's rules; fitments name
// vehicles of the catalog or the tenant's own, by id or by natural key.

const (
	maxOwnRows = 10_000 // parts or vehicle rows in one request
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
		vf := ingest.VehicleFields{Type: f[0], Make: f[1], Model: f[2], Submodel: f[3], Years: f[4], EngineCC: f[5], Generation: f[6]}
		key := strings.Join([]string{vf.Make, vf.Model, vf.Submodel, vf.Years}, "/")
		vs, reason := ingest.TenantVehicles(vf)
		if reason != "" {
			return key, reason
		}
		for _, tv := range vs {
			puts = append(puts, tv)
			res.Vehicles = append(res.Vehicles, VehicleMade{Row: i + 1, ID: tv.ID, Make: tv.Make, Model: tv.Model, Submodel: tv.Submodel, Year: tv.Year})
		}
		return key, ""
	}, func(row int, key, reason string) {
		res.Rejected = append(res.Rejected, KeyedRowError{Row: row, Key: key, Reason: reason})
	})
	if len(puts) > 0 {
		if err := s.checkDeadline(c); err != nil { // the body is parsed; nothing is recorded yet
			return err
		}
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
	limit, after, v, err := s.listQuery(c)
	if err != nil {
		return err
	}
	byID := func(tv *engine.TenantVehicle) string { return tv.ID }
	return sendJSON(c, http.StatusOK, pageOf(v.TenantVehicles(), byID, after, limit))
}

// ownPartRow is one part of a POST /api/app/tenant-parts body, as read.
type ownPartRow struct {
	ingest.TenantPart
	row int // from 1
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
		p, pn, reason := ingest.ReadTenantPart(el)
		if reason != "" {
			res.Rejected = append(res.Rejected, RowError{Row: i + 1, PartNumber: pn, Reason: reason})
			continue
		}
		good = append(good, ownPartRow{TenantPart: p, row: i + 1})
	}
	if len(good) > 0 {
		puts := make([]engine.TenantPart, len(good))
		for i := range good {
			puts[i] = good[i].TenantPart.TenantPart
		}
		if err := s.checkDeadline(c); err != nil { // the body is parsed; nothing is recorded yet
			return err
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
			reason := good[k].FitmentFrom[fits[0]] + ": unknown vehicle"
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
	limit, after, v, err := s.listQuery(c)
	if err != nil {
		return err
	}
	parts := pageOf(v.OwnParts(), func(tp *engine.TenantPart) string { return snapshot.Key(tp.PartNumber) }, after, limit)
	page := Page[map[string]any]{Items: []map[string]any{}, NextCursor: parts.NextCursor}
	for i := range parts.Items {
		page.Items = append(page.Items, ownPartJSON(v, &parts.Items[i]))
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
