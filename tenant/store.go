package tenant

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/journal"
)

// Errors returned by the store (besides ErrNotFound, ErrExists and ErrInvalid).
var (
	// ErrNotReady: the store has no engine attached yet (no catalog loaded).
	ErrNotReady = errors.New("tenant layer not ready: no catalog loaded yet")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("tenant store closed")
)

// Applier is what the store needs of the engine: *engine.Engine implements it.
type Applier interface {
	Version() string
	View(id string) (*engine.View, error)
	// Restore must keep nothing of st after it returns (Attach decodes the next tenant's
	// items into the same buffer); *engine.Engine keeps nothing once a catalog is loaded,
	// which Attach requires.
	Restore(id string, st engine.TenantState)
	Update(id string, ch engine.Change, commit func(resolved engine.Change) error) (engine.Outcome, error)
}

// Options configures a Store. Zero fields take DefaultOptions' values.
type Options struct {
	FS      journal.FS      // default journal.OS
	Journal journal.Options // its FS is Options.FS
	// A checkpoint round writes every tenant changed since its last checkpoint and then
	// lets the journal drop what all checkpoints cover. A round starts after
	// CheckpointInterval, or once CheckpointBytes of records were written since the last.
	CheckpointInterval time.Duration
	CheckpointBytes    int64
	Logger             *slog.Logger // nil: slog.Default()
}

// DefaultOptions returns the production defaults.
func DefaultOptions() Options {
	return Options{FS: journal.OS, CheckpointInterval: 5 * time.Minute, CheckpointBytes: 256 << 20}
}

// record is a tenant's record as journaled and checkpointed: the tenant and the hashes of
// its live keys (publishable first, then secret).
type record struct {
	Tenant
	KeyHashes [][]byte `json:"keyHashes"`
}

type keyEntry struct {
	tenant string
	kind   KeyKind
}

// Store is the durable tenant layer. See the package documentation.
type Store struct {
	dir  string
	fs   journal.FS
	log  journal.Log
	lock *os.File // dir/LOCK, held while open (nil off the OS file system)
	opts Options
	lg   *slog.Logger

	mu      sync.RWMutex // guards tenants, keys and every meta.rec
	tenants map[string]*meta
	keys    map[keyHash]keyEntry

	createMu sync.Mutex // orders creations (ids are unique)

	eng      atomic.Pointer[applierBox]
	pending  map[string]*checkpoint // checkpoints read by Open, restored by Attach
	inflight inflight

	ckptMu     sync.Mutex   // one checkpoint round at a time
	sinceCkpt  atomic.Int64 // record bytes written since the last round started
	kick, stop chan struct{}
	done       chan struct{}
	closed     atomic.Bool
}

type applierBox struct{ Applier }

// meta is one tenant's record and where it stands in the journal.
type meta struct {
	mu      sync.Mutex // serialises writes of the record (keys, config)
	rec     record     // guarded by Store.mu
	lastSeq atomic.Uint64
	ckptSeq atomic.Uint64
}

func (m *meta) applied(seq uint64) {
	for {
		cur := m.lastSeq.Load()
		if seq <= cur || m.lastSeq.CompareAndSwap(cur, seq) {
			return
		}
	}
}

// Open opens the tenant layer in dir: the journal in dir/journal, checkpoints in
// dir/checkpoints. It reads every tenant's record (so keys authenticate at once) but
// applies nothing to an engine: call Attach once a catalog is loaded. A data directory of
// the earlier bbolt format (tenants.db) is imported first.
func Open(dir string, o Options) (*Store, error) {
	d := DefaultOptions()
	if o.FS == nil {
		o.FS = d.FS
	}
	if o.CheckpointInterval <= 0 {
		o.CheckpointInterval = d.CheckpointInterval
	}
	if o.CheckpointBytes <= 0 {
		o.CheckpointBytes = d.CheckpointBytes
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.Journal.FS = o.FS
	if err := o.FS.MkdirAll(dir); err != nil {
		return nil, err
	}
	var lock *os.File
	if o.FS == journal.OS {
		var err error
		if lock, err = lockDir(dir); err != nil {
			return nil, err
		}
		if err := migrateV1(dir, o.Journal, o.Logger); err != nil {
			lock.Close()
			return nil, fmt.Errorf("import %s: %w", path.Join(dir, v1File), err)
		}
	}
	lg, err := journal.Open(path.Join(dir, "journal"), o.Journal)
	if err != nil {
		if lock != nil {
			lock.Close()
		}
		return nil, fmt.Errorf("open journal: %w", err)
	}
	s := &Store{dir: dir, fs: o.FS, log: lg, lock: lock, opts: o, lg: o.Logger, tenants: map[string]*meta{},
		keys: map[keyHash]keyEntry{}, pending: map[string]*checkpoint{}, inflight: inflight{floors: map[uint64]uint64{}}}
	if err := s.load(); err != nil {
		s.closeFiles()
		return nil, err
	}
	return s, nil
}

// load reads the checkpoints' heads and replays the records of the journal's tenant
// records (creations, keys, config) after them.
func (s *Store) load() error {
	files, err := readCheckpoints(s.fs, s.dir)
	if err != nil {
		return err
	}
	for id, content := range files {
		c, err := decodeCheckpoint(content)
		if err != nil {
			return fmt.Errorf("%s: %w", checkpointPath(s.dir, id), err)
		}
		if c.rec.ID != id {
			return fmt.Errorf("%s: %w: holds tenant %q", checkpointPath(s.dir, id), errCheckpoint, c.rec.ID)
		}
		m := s.install(c.rec)
		m.lastSeq.Store(c.seq)
		m.ckptSeq.Store(c.seq)
		s.pending[id] = c
	}
	return s.log.ReadFrom(s.log.First(), func(seq uint64, rec []byte) error {
		id, isMeta, err := peekBatch(rec)
		if err != nil {
			return fmt.Errorf("journal record %d: %w", seq, err)
		}
		m := s.tenants[id]
		if m != nil && seq <= m.ckptSeq.Load() {
			return nil
		}
		if !isMeta {
			if m == nil {
				return fmt.Errorf("journal record %d: %w: change for unknown tenant %q", seq, errRecord, id)
			}
			m.applied(seq)
			return nil
		}
		b, err := decodeBatch(rec)
		if err != nil {
			return fmt.Errorf("journal record %d: %w", seq, err)
		}
		return s.applyMeta(b, seq)
	})
}

// install adds a tenant from its record, with its keys. Callers hold no lock.
func (s *Store) install(r record) *meta {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.tenants[r.ID]
	if m == nil {
		m = &meta{}
		s.tenants[r.ID] = m
	}
	for _, h := range m.rec.KeyHashes {
		if len(h) == len(keyHash{}) {
			delete(s.keys, keyHash(h))
		}
	}
	m.rec = r
	for i, h := range r.KeyHashes {
		if len(h) == len(keyHash{}) {
			kind := Secret
			if i == 0 {
				kind = Publishable
			}
			s.keys[keyHash(h)] = keyEntry{r.ID, kind}
		}
	}
	return m
}

// applyMeta applies a tenant record change (live or replayed).
func (s *Store) applyMeta(b *batch, seq uint64) error {
	op := b.meta
	if op.create != nil {
		if op.create.ID != b.tenant {
			return fmt.Errorf("journal record %d: %w: creates %q in a batch of %q", seq, errRecord, op.create.ID, b.tenant)
		}
		s.install(*op.create).applied(seq)
		return nil
	}
	s.mu.RLock()
	m := s.tenants[b.tenant]
	s.mu.RUnlock()
	if m == nil {
		return fmt.Errorf("journal record %d: %w: change for unknown tenant %q", seq, errRecord, b.tenant)
	}
	s.mu.RLock()
	r := m.rec
	s.mu.RUnlock()
	r.Tenant = r.Tenant.clone()
	if op.keys != nil {
		r.KeyHashes = op.keys
	}
	if op.config != nil {
		if r.Config == nil {
			r.Config = map[string]string{}
		}
		for k, v := range op.config {
			if v == nil {
				delete(r.Config, k)
			} else {
				r.Config[k] = *v
			}
		}
	}
	s.install(r).applied(seq)
	return nil
}

// Attach restores every tenant's overlay into eng (whose catalog is loaded) from its
// checkpoint and the journal records after it, and starts checkpointing. Writes to the
// overlay fail with ErrNotReady until it returns.
func (s *Store) Attach(eng Applier) error {
	if eng.Version() == "" {
		return engine.ErrNoCatalog
	}
	// Checkpoints first, on every core: they are most of a cold start.
	ids := make([]string, 0, len(s.pending))
	for id := range s.pending {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	// Each worker decodes into one items buffer, reused tenant after tenant: Restore reads
	// the items into the engine's own tables and keeps none of them.
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	var bufs sync.Pool
	for _, id := range ids {
		g.Go(func() error {
			buf, _ := bufs.Get().([]engine.ItemState)
			st, err := s.pending[id].overlayInto(eng.Version(), buf)
			if err != nil {
				return fmt.Errorf("%s: %w", checkpointPath(s.dir, id), err)
			}
			eng.Restore(id, st)
			bufs.Put(st.Items[:0]) //nolint:staticcheck // a slice header, as the pool's users expect
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	s.pending = nil
	err := s.log.ReadFrom(s.log.First(), func(seq uint64, rec []byte) error {
		id, isMeta, err := peekBatch(rec)
		if err != nil {
			return err
		}
		s.mu.RLock()
		m := s.tenants[id]
		s.mu.RUnlock()
		if isMeta || m == nil || seq <= m.ckptSeq.Load() {
			return nil
		}
		b, err := decodeBatch(rec)
		if err != nil {
			return fmt.Errorf("journal record %d: %w", seq, err)
		}
		_, err = eng.Update(id, b.change, nil)
		return err
	})
	if err != nil {
		return fmt.Errorf("replay journal: %w", err)
	}
	s.eng.Store(&applierBox{eng})
	s.kick, s.stop, s.done = make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
	go s.checkpointer()
	return nil
}

// Ready reports whether an engine is attached.
func (s *Store) Ready() bool { return s.eng.Load() != nil }

func (s *Store) meta(id string) (*meta, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, ok := s.tenants[id]
	return m, ok
}

// append writes a record and counts it toward the next checkpoint round.
func (s *Store) append(rec []byte) (uint64, error) {
	if s.closed.Load() {
		return 0, ErrClosed
	}
	seq, err := s.log.Append(rec)
	if err != nil {
		return 0, err
	}
	if s.sinceCkpt.Add(int64(len(rec))) >= s.opts.CheckpointBytes && s.kick != nil {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
	return seq, nil
}

// Write applies an overlay change to a tenant: it is resolved and derived by the engine,
// made durable in the journal (fsynced; concurrent writes share the fsync), and only then
// published. It returns what became of each row and the change's journal sequence number
// (0 when nothing changed).
//
// If anything fails after the record is durable (a panic), the tenant is re-derived from
// its durable state before the panic goes on, so the engine never disagrees with the
// journal.
func (s *Store) Write(id string, ch engine.Change) (out engine.Outcome, seq uint64, err error) {
	box := s.eng.Load()
	if box == nil {
		return out, 0, ErrNotReady
	}
	m, ok := s.meta(id)
	if !ok {
		return out, 0, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	defer s.inflight.end(s.inflight.begin(s.log.Last()))
	appended := false
	defer func() {
		if r := recover(); r != nil {
			if appended {
				if err := s.resync(box.Applier, id, m); err != nil {
					s.lg.Error("re-deriving a tenant after a failed write", "tenant", id, "error", err)
				}
			}
			panic(r)
		}
	}()
	out, err = box.Update(id, ch, func(res engine.Change) error {
		n, err := s.append(encodeBatch(nil, &batch{tenant: id, change: res}))
		if err != nil {
			return err
		}
		seq, appended = n, true
		return nil
	})
	if err != nil {
		return engine.Outcome{}, 0, err
	}
	if seq > 0 {
		m.applied(seq)
	}
	return out, seq, nil
}

// resync rebuilds a tenant in the engine from its checkpoint and the journal records after
// it: the durable state.
func (s *Store) resync(eng Applier, id string, m *meta) error {
	var st engine.TenantState
	from := uint64(0)
	if content, err := readCheckpointFile(s.fs, s.dir, id); err == nil {
		c, err := decodeCheckpoint(content)
		if err != nil {
			return err
		}
		if st, err = c.overlay(eng.Version()); err != nil {
			return err
		}
		from = c.seq
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	eng.Restore(id, st)
	var last uint64
	err := s.log.ReadFrom(s.log.First(), func(seq uint64, rec []byte) error {
		rid, isMeta, err := peekBatch(rec)
		if err != nil || rid != id || isMeta || seq <= from {
			return err
		}
		b, err := decodeBatch(rec)
		if err != nil {
			return err
		}
		last = seq
		_, err = eng.Update(id, b.change, nil)
		return err
	})
	if last > 0 {
		m.applied(last)
	}
	return err
}

// Create validates and stores a new tenant with a fresh pair of keys. An empty ID gets a
// random one; an ID already in use fails with ErrExists.
func (s *Store) Create(t Tenant) (Tenant, Keys, error) {
	if err := t.Normalize(); err != nil {
		return Tenant{}, Keys{}, err
	}
	t = t.clone()
	if t.ID == "" {
		id, err := newSecret("")
		if err != nil {
			return Tenant{}, Keys{}, err
		}
		t.ID = "t_" + id[:12]
	}
	t.Created = time.Now().UTC().Truncate(time.Second)
	t.Config = nil
	keys, err := newKeys()
	if err != nil {
		return Tenant{}, Keys{}, err
	}
	hp, hs := hashKey(keys.Publishable), hashKey(keys.Secret)
	s.createMu.Lock()
	defer s.createMu.Unlock()
	if _, ok := s.meta(t.ID); ok {
		return Tenant{}, Keys{}, fmt.Errorf("%w: %s", ErrExists, t.ID)
	}
	r := record{Tenant: t, KeyHashes: [][]byte{hp[:], hs[:]}}
	b := &batch{tenant: t.ID, meta: &metaOp{create: &r}}
	seq, err := s.append(encodeBatch(nil, b))
	if err != nil {
		return Tenant{}, Keys{}, err
	}
	if err := s.applyMeta(b, seq); err != nil {
		return Tenant{}, Keys{}, err
	}
	return t.clone(), keys, nil
}

// RotateKeys replaces both keys of a tenant; the old ones stop working when it returns.
func (s *Store) RotateKeys(id string) (Keys, error) {
	m, ok := s.meta(id)
	if !ok {
		return Keys{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	keys, err := newKeys()
	if err != nil {
		return Keys{}, err
	}
	hp, hs := hashKey(keys.Publishable), hashKey(keys.Secret)
	m.mu.Lock()
	defer m.mu.Unlock()
	b := &batch{tenant: strings.Clone(id), meta: &metaOp{keys: [][]byte{hp[:], hs[:]}}}
	if err := s.writeMeta(m, b); err != nil {
		return Keys{}, err
	}
	return keys, nil
}

func (s *Store) writeMeta(m *meta, b *batch) error {
	defer s.inflight.end(s.inflight.begin(s.log.Last()))
	seq, err := s.append(encodeBatch(nil, b))
	if err != nil {
		return err
	}
	return s.applyMeta(b, seq)
}

// Authenticate maps an API key to its tenant and kind.
func (s *Store) Authenticate(key string) (id string, kind KeyKind, ok bool) {
	if key == "" {
		return "", 0, false
	}
	h := hashKey(key)
	s.mu.RLock()
	e, ok := s.keys[h]
	s.mu.RUnlock()
	return e.tenant, e.kind, ok
}

// Get returns a copy of a tenant's record.
func (s *Store) Get(id string) (Tenant, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, ok := s.tenants[id]
	if !ok {
		return Tenant{}, false
	}
	return m.rec.Tenant.clone(), true
}

// clone deep-copies t, strings included: callers may hand in strings that alias a reused
// request buffer.
func (t *Tenant) clone() Tenant {
	c := *t
	c.ID, c.Name, c.Type = strings.Clone(t.ID), strings.Clone(t.Name), strings.Clone(t.Type)
	c.Currency, c.Language = strings.Clone(t.Currency), strings.Clone(t.Language)
	if t.Config != nil {
		c.Config = make(map[string]string, len(t.Config))
		for k, v := range t.Config {
			c.Config[strings.Clone(k)] = strings.Clone(v)
		}
	}
	return c
}

// List returns every tenant, oldest first (ties by id).
func (s *Store) List() []Tenant {
	s.mu.RLock()
	out := make([]Tenant, 0, len(s.tenants))
	for _, m := range s.tenants {
		out = append(out, m.rec.Tenant.clone())
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Config returns a tenant's public config (never nil for a known tenant).
func (s *Store) Config(id string) (map[string]string, bool) {
	t, ok := s.Get(id)
	if !ok {
		return nil, false
	}
	if t.Config == nil {
		t.Config = map[string]string{}
	}
	return t.Config, true
}

// SetConfig merges set into a tenant's public config: a nil value deletes the key. It
// returns the resulting config.
func (s *Store) SetConfig(id string, set map[string]*string) (map[string]string, error) {
	for k := range set {
		if !ValidConfigKey(k) {
			return nil, fmt.Errorf("%w: config key %q", ErrInvalid, k)
		}
	}
	m, ok := s.meta(id)
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	cfg := make(map[string]*string, len(set))
	for k, v := range set {
		if v != nil {
			c := strings.Clone(*v)
			v = &c
		}
		cfg[strings.Clone(k)] = v
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := s.writeMeta(m, &batch{tenant: strings.Clone(id), meta: &metaOp{config: cfg}}); err != nil {
		return nil, err
	}
	c, _ := s.Config(id)
	return c, nil
}

// Stats describe the tenant layer, for operators and metrics.
type Stats struct {
	Tenants    int
	Journal    journal.Stats
	LastSeq    uint64 // newest journal record
	FirstSeq   uint64 // oldest journal record held
	Checkpoint uint64 // the oldest checkpoint of a tenant changed since (LastSeq when none)
}

// Stats returns the current counters.
func (s *Store) Stats() Stats {
	st := Stats{LastSeq: s.log.Last(), FirstSeq: s.log.First()}
	if js, ok := s.log.(interface{ Stats() journal.Stats }); ok {
		st.Journal = js.Stats()
	}
	st.Checkpoint = st.LastSeq
	s.mu.RLock()
	st.Tenants = len(s.tenants)
	for _, m := range s.tenants {
		if c := m.ckptSeq.Load(); m.lastSeq.Load() > c && c < st.Checkpoint {
			st.Checkpoint = c
		}
	}
	s.mu.RUnlock()
	return st
}

// Close writes a checkpoint of every changed tenant (so the next start replays nothing)
// and closes the journal. Writes fail with ErrClosed afterwards.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	var err error
	if s.stop != nil {
		close(s.stop)
		<-s.done
		err = s.Checkpoint()
	}
	return errors.Join(err, s.closeFiles())
}

func (s *Store) closeFiles() error {
	err := s.log.Close()
	if s.lock != nil {
		s.lock.Close()
	}
	return err
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // records are plain structs: Marshal cannot fail
	}
	return b
}

func unmarshalJSON(b []byte, v any) error { return json.Unmarshal(b, v) }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// inflight tracks writes between their journal append and their publication, so a
// checkpoint round never lets the journal drop a record that no checkpoint holds yet.
type inflight struct {
	mu     sync.Mutex
	next   uint64
	floors map[uint64]uint64 // token → a seq every record of that write is above
}

func (f *inflight) begin(floor uint64) uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	f.floors[f.next] = floor
	return f.next
}

func (f *inflight) end(token uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.floors, token)
}

func (f *inflight) min(upTo uint64) uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, fl := range f.floors {
		upTo = min(upTo, fl)
	}
	return upTo
}
