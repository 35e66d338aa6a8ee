package ingest

import "errors"

// Fatal build errors. Build wraps them with the file (and line) they concern.
var (
	ErrMissingFile      = errors.New("missing source file")
	ErrAmbiguousFile    = errors.New("more than one file for the same source")
	ErrNoHeader         = errors.New("missing header row")
	ErrBadHeader        = errors.New("malformed header row")
	ErrMissingColumn    = errors.New("missing required column")
	ErrDuplicateColumn  = errors.New("duplicate column")
	ErrBadQuoting       = errors.New("bad quoting")
	ErrTooManyRejects   = errors.New("too many rejected rows")
	ErrTooManyPositions = errors.New("too many distinct fitment positions")
)
