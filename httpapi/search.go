package httpapi

import (
	"encoding/json"

	"github.com/gofiber/fiber/v2"

	"github.com/fitment/fitment/engine"
)

// search is GET /api/t/search: the tenant's visible parts matching q (numbers, aliases,
// names and descriptions in every language, typos), optionally within a vehicle, as a
// listing (filters, facets, sorts, cursor) with two more fields: the text searched and the
// vehicle read from q. Without vehicleId, a vehicle named in q ("brake pads yfz450r
// 2019") restricts the search to it, and the rest of q is what is searched.
func (s *Server) search(c *fiber.Ctx) error {
	q, text, err := listParams(c)
	if err != nil {
		return err
	}
	if text == "" {
		return badParam("q", "is required")
	}
	q.VehicleID = cleanParam(c.Query("vehicleId"))
	v, err := s.view(c)
	if err != nil {
		return err
	}
	// The view's generation: matches read own parts and aliases, and the vehicle read
	// from q the tenant's own vehicles.
	key := newKey("search", tenantID(c)).num(v.Gen()).str(text)
	listKey(key, q)
	return s.serveAnswer(c, key.String(), maxAgeCatalog, func() ([]byte, int, error) {
		var mention *engine.VehicleMention
		searched := text
		if q.VehicleID == "" {
			if m, ok := v.FindVehicle(text); ok {
				mention, q.VehicleID, searched = &m, m.Vehicle.ID, m.Rest
			}
		}
		// A cursor belongs to its query: the text searched and where.
		q.Scope = "search\x00" + q.VehicleID + "\x00" + searched
		if searched == "" && (q.Sort == engine.SortDefault || q.Sort == engine.SortRelevance) {
			q.Sort = engine.SortName // q named only a vehicle: its parts, by name
		}
		page, err := s.list(v, q, searched)
		if err != nil {
			return nil, 0, err
		}
		head, err := json.Marshal(struct {
			Query   string                 `json:"query"`
			Vehicle *engine.VehicleMention `json:"vehicle"`
		}{searched, mention})
		if err != nil {
			return nil, 0, err
		}
		out := append(make([]byte, 0, 512+len(head)+min(q.Limit, page.Total)*320), head[:len(head)-1]...)
		out = append(out, ',')
		body := page.AppendJSON(nil)
		return append(out, body[1:]...), page.Total, nil
	})
}
