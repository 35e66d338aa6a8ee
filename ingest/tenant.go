package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/snapshot"
)

// A tenant's own parts and vehicles, read by the rules of the catalog's parts.csv and
// vehicles.csv: the API takes them (POST /api/app/tenant-parts, /api/app/tenant-vehicles)
// and the demo loader reads the generator's files of them.

const (
	maxLabelLen     = 100  // part numbers, brands, makes, models
	maxNameLen      = 500  // part names
	maxNotesLen     = 1000 // fitment notes
	maxFitmentsPart = 10_000
)

// TenantPart is an own part as read, with what the client wrote for each of its fitments
// (after expanding years), to name one in a message: "fitment 2: Honda/TRX420/FA6/2019".
type TenantPart struct {
	engine.TenantPart
	FitmentFrom []string
}

// fieldKey is the comparison form of a field name: case and '_' ignored, so partNumber,
// part_number and PARTNUMBER are one field.
func fieldKey(s string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "_", "")
}

// label reports why s cannot be a short name (a part number, a brand) or "".
func label(s, name string, max int) string {
	if len(s) > max {
		return fmt.Sprintf("%s is longer than %d bytes", name, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return name + " holds a control character"
		}
	}
	return ""
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
			b.WriteString(string(unicode.ToUpper(r)))
			up = false
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ReadTenantPart reads one of a tenant's own parts from a JSON object: the fields of
// parts.csv in camelCase (partNumber, brand, name, category, description, oemNumbers, ean,
// weightKg, …, nameDe, descriptionSv; oemNumbers and imageUrls also as arrays of strings)
// and fitments, each {"vehicleId"} or {"make", "model", "submodel", "years"}, with
// position, qty and notes. It checks them by the catalog's rules; pn is the part number as
// given (for messages), reason why the part is refused ("" when it is not). Whether its
// vehicles exist is for the engine to say (FitmentFrom names each fitment for that).
func ReadTenantPart(el []byte) (r TenantPart, pn, reason string) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(el, &obj); err != nil || obj == nil {
		return r, "", "row is not a JSON object"
	}
	var f PartFields
	texts := []*string{&f.Number, &f.Brand, &f.Name, &f.Category, &f.Description, &f.OEMNumbers, &f.EAN,
		&f.Dims[0], &f.Dims[1], &f.Dims[2], &f.Dims[3], &f.CountryOfOrigin, &f.ImageURLs, &f.ManualURL, &f.Universal}
	byName := map[string]int{}
	for i, col := range PartColumns {
		byName[fieldKey(col)] = i
	}
	type translation struct{ kind, lang, text string }
	var trans []translation
	var fitments json.RawMessage
	if raw, ok := obj["partNumber"]; ok {
		f.Number, _ = jsonText(raw, false)
		pn = f.Number
	}
	for key, raw := range obj {
		name := fieldKey(key)
		if i, ok := byName[name]; ok {
			list := PartColumns[i] == "oem_numbers" || PartColumns[i] == "image_urls"
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
		if reason := label(l[0], l[1], maxLabelLen); reason != "" {
			return r, pn, reason
		}
	}
	if len(f.Name) > maxNameLen {
		return r, pn, fmt.Sprintf("name is longer than %d bytes", maxNameLen)
	}
	p, reason := ParsePart(&f, camelColumn)
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
	tp.Detail.Description = SanitizeDescription(tp.Detail.Description)
	for _, t := range trans {
		if t.kind == "name" {
			tp.Names.Set(t.lang, t.text)
			continue
		}
		if tp.Detail.Descriptions == nil {
			tp.Detail.Descriptions = map[string]string{}
		}
		tp.Detail.Descriptions[t.lang] = SanitizeDescription(t.text)
	}
	if fitments != nil && string(bytes.TrimSpace(fitments)) != "null" {
		if tp.Fitments, r.FitmentFrom, reason = readTenantFitments(fitments); reason != "" {
			return r, pn, reason
		}
	}
	r.TenantPart = tp
	return r, pn, ""
}

// translationKey reports whether a field (in csvName form) is nameXx or descriptionXx.
func translationKey(name string) (kind, lang string, ok bool) {
	for _, k := range []string{"name", "description"} {
		if rest, found := strings.CutPrefix(name, k); found && len(rest) == 2 && isLower(rest[0]) && isLower(rest[1]) {
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
	case len(raw) == 0 || string(raw) == "null":
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

// readTenantFitments reads a part's fitments, expanding natural keys' years into one
// fitment a vehicle. from describes each for messages.
func readTenantFitments(raw json.RawMessage) (fits []engine.TenantFitment, from []string, reason string) {
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
		if fit.Position != "" && !ValidPosition(fit.Position) {
			return nil, nil, fmt.Sprintf("%s: bad position %q (want %s)", at, v[5], PositionRule)
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
			years, err := ParseYears(ys)
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

// VehicleFields is one row of vehicles.csv as its source spells it.
type VehicleFields struct {
	Type, Make, Model, Submodel, Years, EngineCC, Generation string
}

// VehicleTypes are the vehicle types, as vehicles.csv spells them.
var VehicleTypes = []string{"motorcycle", "atv", "utv", "snowmobile"}

// TenantVehicles expands a vehicles.csv row of a tenant into its vehicles, one a year,
// each with its stable id; reason says why the row is refused ("" when it is not).
func TenantVehicles(f VehicleFields) ([]engine.TenantVehicle, string) {
	switch {
	case f.Type == "":
		return nil, "missing type"
	case f.Make == "":
		return nil, "missing make"
	case f.Model == "":
		return nil, "missing model"
	case f.Years == "":
		return nil, "missing years"
	}
	for _, l := range [][2]string{{f.Make, "make"}, {f.Model, "model"}, {f.Submodel, "submodel"}, {f.Generation, "generation"}} {
		if reason := label(l[0], l[1], maxLabelLen); reason != "" {
			return nil, reason
		}
	}
	vt, ok := snapshot.ParseVehicleType(f.Type)
	if !ok {
		return nil, fmt.Sprintf("bad type %q (want one of %s)", f.Type, strings.Join(VehicleTypes, ", "))
	}
	years, err := ParseYears(f.Years)
	if err != nil {
		return nil, fmt.Sprintf("bad years %q: %v", f.Years, err)
	}
	cc := 0
	if f.EngineCC != "" {
		n, err := strconv.Atoi(f.EngineCC)
		if err != nil || n <= 0 || n > 100_000 {
			return nil, fmt.Sprintf("bad engineCc %q (want a whole number of cc)", f.EngineCC)
		}
		cc = n
	}
	out := make([]engine.TenantVehicle, 0, len(years))
	for _, y := range years {
		out = append(out, engine.TenantVehicle{ID: snapshot.VehicleID(f.Make, f.Model, f.Submodel, y), Type: vt.String(),
			Make: f.Make, Model: f.Model, Submodel: f.Submodel, Year: y, EngineCC: cc, Generation: f.Generation})
	}
	return out, ""
}
