package httpapi

import (
	"errors"
	"net/http"
	"path/filepath"

	"github.com/gofiber/fiber/v2"

	"github.com/fitment/fitment/catalogs"
	"github.com/fitment/fitment/engine"
)

// The operators' catalog endpoints (Options.Catalogs): GET /api/admin/snapshot, POST
// /api/admin/snapshot {"path"} (swap), POST /api/admin/snapshot/rollback.

// SwapRequest is the body of POST /api/admin/snapshot.
type SwapRequest struct {
	Path string `json:"path"` // absolute path of a snapshot file on the server
}

func (s *Server) snapshotStatus(c *fiber.Ctx) error {
	return sendJSON(c, http.StatusOK, s.opts.Catalogs.Status())
}

func (s *Server) swapSnapshot(c *fiber.Ctx) error {
	var req SwapRequest
	if err := readJSON(c, s.opts.BodyLimit, &req); err != nil {
		return err
	}
	switch {
	case req.Path == "":
		return errorf(http.StatusBadRequest, "bad_request", "field path: the snapshot file to load is required")
	case !filepath.IsAbs(req.Path):
		return errorf(http.StatusBadRequest, "bad_request", "field path: %q is not absolute (the server's working directory is not yours)", req.Path)
	}
	r, err := s.opts.Catalogs.Swap(req.Path)
	if err != nil {
		return swapError(err)
	}
	c.Set("X-Catalog-Version", r.Version)
	return sendJSON(c, http.StatusOK, r)
}

func (s *Server) rollbackSnapshot(c *fiber.Ctx) error {
	r, err := s.opts.Catalogs.Rollback()
	if err != nil {
		return swapError(err)
	}
	c.Set("X-Catalog-Version", r.Version)
	return sendJSON(c, http.StatusOK, r)
}

// swapError answers a failed swap or rollback; the serving catalog stays in every case.
func swapError(err error) error {
	switch {
	case errors.Is(err, catalogs.ErrBadSnapshot):
		return errorf(http.StatusUnprocessableEntity, "bad_snapshot", "%s; the current catalog keeps serving", err.Error())
	case errors.Is(err, catalogs.ErrUnchanged):
		return errorf(http.StatusConflict, "already_serving", "%s", err.Error())
	case errors.Is(err, engine.ErrSwapBusy):
		return errorf(http.StatusConflict, "swap_in_progress", "%s; try again when it ends", err.Error())
	case errors.Is(err, engine.ErrNoPrevious):
		return errorf(http.StatusConflict, "no_previous", "%s", err.Error())
	case errors.Is(err, engine.ErrClosed):
		return errorf(http.StatusServiceUnavailable, "draining", "shutting down")
	}
	return err
}
