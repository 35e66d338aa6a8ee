// Package catalogs runs a server's catalogs over time: it opens snapshot files (the
// catalog and its text index, refused whole when either is bad), loads the first one,
// swaps later ones in live and rolls back (engine.Swap, engine.Rollback), and remembers
// in the data directory which file is served, so that a restart serves it again.
//
// Data flow: a snapshot file → Open (snapshot.Open validates every invariant, then the
// text index) → engine.Swap beside the serving catalog → the state file (fsynced, then
// renamed) → the report the admin API answers with.
package catalogs

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/index"
	"github.com/fitment/fitment/snapshot"
)

// ErrBadSnapshot wraps every reason a file cannot be served: unreadable, failing its
// checksum, format version or invariants, or its text index.
var ErrBadSnapshot = errors.New("bad snapshot")

// ErrUnchanged reports a swap to the version already served.
var ErrUnchanged = errors.New("that catalog version is already served")

// StateFile is the name of the state file in the data directory.
const StateFile = "catalog.json"

// Options configures a Manager.
type Options struct {
	// Dir is the data directory holding the state file; "" keeps no state.
	Dir string
	// KeepPrevious keeps the replaced catalog resident and derived for an instant
	// rollback, for RollbackWindow after a swap (0: until the next swap). Without it a
	// rollback reloads the previous file, as a swap does.
	KeepPrevious   bool
	RollbackWindow time.Duration
	// Workers derive tenants during a swap (engine.SwapOptions.Workers).
	Workers int
	// MemoryLimit is the process's soft memory limit with one catalog (0: none set). It is
	// doubled while two catalogs are resident — during a swap, and while the previous one
	// is kept — so that the collector does not run without pause over the second.
	MemoryLimit int64
	Logger      *slog.Logger
}

// Loaded describes a catalog the manager loaded.
type Loaded struct {
	Version  string          `json:"version"`
	Path     string          `json:"path"`
	Built    time.Time       `json:"built"`
	LoadedAt time.Time       `json:"loadedAt"`
	LoadMs   int64           `json:"loadMs"` // opening the file and its index, before the swap
	Counts   snapshot.Counts `json:"counts"`
	Text     bool            `json:"textIndex"`
}

// Report is what a swap or rollback did (engine.SwapReport, with the file's side).
type Report struct {
	Version         string              `json:"version"`
	PreviousVersion string              `json:"previousVersion"`
	Path            string              `json:"path"`
	Rollback        bool                `json:"rollback"`
	Tenants         int                 `json:"tenants"`
	Derived         int                 `json:"derived"`
	Replayed        int                 `json:"replayed"`
	Orphans         engine.OrphanCounts `json:"orphans"`
	OpenMs          float64             `json:"openMs"`
	PrepareMs       float64             `json:"prepareMs"`
	DeriveMs        float64             `json:"deriveMs"`
	CatchUpMs       float64             `json:"catchUpMs"`
	PublishPauseMs  float64             `json:"publishPauseMs"`
	TotalMs         float64             `json:"totalMs"`
	PreviousKept    bool                `json:"previousKept"`
	At              time.Time           `json:"at"`
}

// Status is what GET /api/admin/snapshot shows.
type Status struct {
	Current  *Loaded `json:"current"`
	Previous *Loaded `json:"previous"` // null: no previous catalog known
	// PreviousResident says the previous catalog is kept derived (an instant rollback),
	// until PreviousUntil (zero: until the next swap).
	PreviousResident bool       `json:"previousResident"`
	PreviousUntil    *time.Time `json:"previousUntil,omitempty"`
	Swapping         bool       `json:"swapping"`
	LastSwap         *Report    `json:"lastSwap"`
	// Since the server started: swaps and rollbacks done, and refused (bad file, busy).
	Swaps     int `json:"swaps"`
	Rollbacks int `json:"rollbacks"`
	Refused   int `json:"refused"`
}

// Manager owns the engine's catalog changes. Safe for concurrent use; one swap or
// rollback runs at a time (engine.ErrSwapBusy otherwise).
type Manager struct {
	eng  *engine.Engine
	opts Options
	log  *slog.Logger

	mu       sync.Mutex // guards the fields below
	swapping bool
	current  *Loaded
	previous *Loaded
	until    time.Time
	timer    *time.Timer
	last     *Report
	counts   struct{ swaps, rollbacks, refused int }
	flag     string // the path the server was started with (state.Flag)
}

// New returns a manager of eng.
func New(eng *engine.Engine, o Options) *Manager {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Manager{eng: eng, opts: o, log: o.Logger}
}

// state is the state file: which file is served and which it replaced, and the path the
// server was started with when they were written.
type state struct {
	Flag     string `json:"flag"`
	Current  string `json:"current"`
	Previous string `json:"previous,omitempty"`
}

// opened is a snapshot file read and checked, not yet published.
type opened struct {
	cat  *snapshot.Catalog
	text *index.Index
	meta Loaded
}

// Open reads and checks a snapshot file and its text index (a file without one is
// served without search, as before format 2). Every failure is ErrBadSnapshot.
func open(path string) (*opened, error) {
	start := time.Now()
	cat, info, err := snapshot.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSnapshot, err)
	}
	text, err := index.OpenSnapshot(path, info)
	switch {
	case errors.Is(err, index.ErrNoIndex):
		text = nil
	case err != nil:
		return nil, fmt.Errorf("%w: %s: text index: %w", ErrBadSnapshot, path, err)
	default:
		go text.Prewarm() // off the swap: the first searches would wait on page faults
	}
	abs, _ := filepath.Abs(path)
	return &opened{cat: cat, text: text, meta: Loaded{Version: info.Version(), Path: abs, Built: info.Built,
		LoadMs: time.Since(start).Milliseconds(), Counts: info.Counts, Text: text != nil}}, nil
}

// Start loads the first catalog: the one the state file names when it was written for
// the same flag path (a catalog swapped in survives a restart), else flagPath (a
// deployment with a new --snapshot starts over from it). It returns the path loaded.
func (m *Manager) Start(flagPath string) (string, error) {
	abs, err := filepath.Abs(flagPath)
	if err != nil {
		return "", err
	}
	m.flag = abs
	path, prev := abs, ""
	if st, err := m.readState(); err != nil {
		m.log.Warn("catalog state file unreadable: serving --snapshot", "error", err)
	} else if st != nil && st.Flag == abs && st.Current != "" {
		path, prev = st.Current, st.Previous
		if path != abs {
			m.log.Info("serving the catalog swapped in before the restart", "path", path, "flag", abs)
		}
	}
	o, err := open(path)
	if err != nil && path != abs {
		m.log.Error("the catalog swapped in before the restart cannot be served: serving --snapshot", "path", path, "error", err)
		path, prev = abs, ""
		o, err = open(abs)
	}
	if err != nil {
		return "", err
	}
	if _, err := m.eng.Swap(o.cat, o.meta.Version, o.text, engine.SwapOptions{}); err != nil {
		return "", err
	}
	o.meta.LoadedAt = time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.current = &o.meta
	if prev != "" {
		m.previous = &Loaded{Path: prev, Version: versionOf(prev)}
	}
	return path, m.writeState()
}

// versionOf reads a snapshot's version from its meta, "" if it cannot.
func versionOf(path string) string {
	info, err := snapshot.ReadInfo(path)
	if err != nil {
		return ""
	}
	return info.Version()
}

// Swap loads the snapshot at path beside the serving one and swaps it in (engine.Swap).
// A bad file is refused (ErrBadSnapshot) and the serving catalog stays.
func (m *Manager) Swap(path string) (Report, error) {
	r, err := m.swap(path)
	m.count(&m.counts.swaps, err)
	return r, err
}

func (m *Manager) swap(path string) (Report, error) {
	if err := m.begin(); err != nil {
		return Report{}, err
	}
	defer m.end()
	start := time.Now()
	// The file's recorded version first (its meta alone, cheap): the served version is
	// refused before anything is loaded, and the resident previous one is a rollback.
	info, err := snapshot.ReadInfo(path)
	switch {
	case err != nil:
		return Report{}, fmt.Errorf("%w: %w", ErrBadSnapshot, err)
	case info.Version() == m.eng.Version():
		return Report{}, fmt.Errorf("%w: %s (%s)", ErrUnchanged, info.Version(), path)
	}
	if pv, _, ok := m.eng.Previous(); ok && info.Version() == pv {
		return m.rollbackLocked()
	}
	// At most two catalogs in memory: the resident previous one goes before the new one is
	// read; a file whose content then fails its checks leaves the rollback to reload the
	// previous file.
	m.eng.DropPrevious()
	o, err := open(path)
	if err != nil {
		m.twoCatalogs(false)
		return Report{}, err
	}
	opening := time.Since(start)
	m.twoCatalogs(true)
	er, err := m.eng.Swap(o.cat, o.meta.Version, o.text, m.swapOptions())
	if err != nil {
		m.twoCatalogs(m.eng.HasPrevious())
		return Report{}, err
	}
	o.meta.LoadedAt = time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.previous, m.current = m.current, &o.meta
	r := m.report(er, o.meta.Path, opening)
	m.afterSwap(er.PreviousKept)
	m.log.Info("catalog swapped in", "version", r.Version, "previous", r.PreviousVersion, "path", r.Path,
		"tenants", r.Tenants, "total_ms", r.TotalMs, "publish_pause_ms", r.PublishPauseMs, "replayed", r.Replayed,
		"orphan_items", r.Orphans.Items, "orphan_aliases", r.Orphans.Aliases)
	return r, m.writeState()
}

// Rollback returns to the previous catalog: at once when it is kept derived, else by
// loading its file again (it must still be there).
func (m *Manager) Rollback() (Report, error) {
	r, err := m.rollback()
	m.count(&m.counts.rollbacks, err)
	return r, err
}

// count counts a swap or rollback done, or refused.
func (m *Manager) count(done *int, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		m.counts.refused++
	} else {
		*done++
	}
}

func (m *Manager) rollback() (Report, error) {
	if err := m.begin(); err != nil {
		return Report{}, err
	}
	defer m.end()
	return m.rollbackLocked()
}

// rollbackLocked is Rollback once begin has succeeded.
func (m *Manager) rollbackLocked() (Report, error) {
	start := time.Now()
	var er engine.SwapReport
	var err error
	var opening time.Duration
	m.mu.Lock()
	prev := m.previous
	m.mu.Unlock()
	if m.eng.HasPrevious() {
		er, err = m.eng.Rollback(m.swapOptions())
	} else {
		if prev == nil {
			return Report{}, engine.ErrNoPrevious
		}
		var o *opened
		if o, err = open(prev.Path); err != nil {
			return Report{}, fmt.Errorf("the previous catalog is not resident and its file cannot be loaded: %w", err)
		}
		opening = time.Since(start)
		meta := o.meta // a copy: Status reads *prev under mu
		prev = &meta
		m.twoCatalogs(true)
		er, err = m.eng.Swap(o.cat, o.meta.Version, o.text, m.swapOptions())
		er.Rollback = true
	}
	if err != nil {
		m.twoCatalogs(m.eng.HasPrevious())
		return Report{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	prev.LoadedAt = time.Now()
	m.previous, m.current = m.current, prev
	r := m.report(er, prev.Path, opening)
	m.afterSwap(er.PreviousKept)
	m.log.Info("catalog rolled back", "version", r.Version, "from", r.PreviousVersion, "total_ms", r.TotalMs,
		"derived", r.Derived, "replayed", r.Replayed)
	return r, m.writeState()
}

func (m *Manager) begin() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.swapping {
		return engine.ErrSwapBusy
	}
	m.swapping = true
	return nil
}

func (m *Manager) end() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.swapping = false
}

func (m *Manager) swapOptions() engine.SwapOptions {
	return engine.SwapOptions{Workers: m.opts.Workers, KeepPrevious: m.opts.KeepPrevious}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (m *Manager) report(er engine.SwapReport, path string, opening time.Duration) Report {
	r := Report{Version: er.Version, PreviousVersion: er.PreviousVersion, Path: path, Rollback: er.Rollback,
		Tenants: er.Tenants, Derived: er.Derived, Replayed: er.Replayed, Orphans: er.Orphans,
		OpenMs: ms(opening), PrepareMs: ms(er.Prepare), DeriveMs: ms(er.Derive), CatchUpMs: ms(er.CatchUp),
		PublishPauseMs: ms(er.PublishPause), TotalMs: ms(opening + er.Total), PreviousKept: er.PreviousKept, At: time.Now()}
	m.last = &r
	return r
}

// afterSwap (under mu) starts the rollback window of a previous catalog kept resident.
func (m *Manager) afterSwap(kept bool) {
	if m.timer != nil {
		m.timer.Stop()
		m.timer = nil
	}
	m.until = time.Time{}
	if !kept {
		m.twoCatalogs(false)
		return
	}
	if w := m.opts.RollbackWindow; w > 0 {
		m.until = time.Now().Add(w)
		m.timer = time.AfterFunc(w, func() {
			m.eng.DropPrevious()
			m.twoCatalogs(false)
			m.log.Info("rollback window over: previous catalog released; a rollback now reloads its file", "window", w)
		})
	}
}

// twoCatalogs raises the memory limit while two catalogs are resident, and restores it.
func (m *Manager) twoCatalogs(two bool) {
	if m.opts.MemoryLimit <= 0 {
		return
	}
	if two {
		debug.SetMemoryLimit(2 * m.opts.MemoryLimit)
	} else {
		debug.SetMemoryLimit(m.opts.MemoryLimit)
	}
}

// Status reports the catalogs.
func (m *Manager) Status() Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := Status{Current: m.current, Previous: m.previous, Swapping: m.swapping, LastSwap: m.last,
		PreviousResident: m.eng.HasPrevious(), Swaps: m.counts.swaps, Rollbacks: m.counts.rollbacks, Refused: m.counts.refused}
	if st.PreviousResident && !m.until.IsZero() {
		u := m.until
		st.PreviousUntil = &u
	}
	return st
}

// Close stops the rollback window's timer.
func (m *Manager) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.timer != nil {
		m.timer.Stop()
	}
}

func (m *Manager) readState() (*state, error) {
	if m.opts.Dir == "" {
		return nil, nil
	}
	b, err := os.ReadFile(filepath.Join(m.opts.Dir, StateFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("%s: %w", StateFile, err)
	}
	return &st, nil
}

// writeState (under mu) records the served file durably: written, fsynced, renamed, and
// the directory fsynced.
func (m *Manager) writeState() error {
	if m.opts.Dir == "" || m.current == nil {
		return nil
	}
	st := state{Flag: m.flag, Current: m.current.Path}
	if m.previous != nil {
		st.Previous = m.previous.Path
	}
	b, _ := json.MarshalIndent(st, "", "  ")
	path := filepath.Join(m.opts.Dir, StateFile)
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		var d *os.File
		if d, err = os.Open(m.opts.Dir); err == nil {
			err = d.Sync()
			d.Close()
		}
	}
	if err != nil {
		return fmt.Errorf("record the served catalog in %s: %w", path, err)
	}
	return nil
}
