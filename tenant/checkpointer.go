package tenant

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"time"

	"github.com/fitment/fitment/journal"
)

// checkpointer runs checkpoint rounds until Close.
func (s *Store) checkpointer() {
	defer close(s.done)
	t := time.NewTicker(s.opts.CheckpointInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		case <-s.kick:
		}
		if err := s.Checkpoint(); err != nil {
			s.lg.Error("checkpoint failed", "error", err)
		}
	}
}

// Checkpoint writes the checkpoint of every tenant changed since its last one, then lets
// the journal drop the records that every checkpoint covers.
//
// A tenant is captured without stopping its writers: its last applied seq is read first,
// then its record and view, which are at least that new. A checkpoint may so hold a few
// changes after its seq; replaying them again on recovery changes nothing, since every
// journaled operation sets values.
func (s *Store) Checkpoint() error {
	box := s.eng.Load()
	if box == nil {
		return nil // nothing restored yet: the checkpoints on disk are still the truth
	}
	s.ckptMu.Lock()
	defer s.ckptMu.Unlock()
	s.sinceCkpt.Store(0)
	// Read the truncation bounds before looking at any tenant (see inflight).
	upTo := s.inflight.min(s.log.Last())

	type done struct {
		m   *meta
		seq uint64
	}
	var written []done
	var errs []error
	for _, id := range s.ids() {
		m, _ := s.meta(id)
		last := m.lastSeq.Load()
		if last <= m.ckptSeq.Load() {
			continue
		}
		s.mu.RLock()
		rec := m.rec
		rec.Tenant = rec.Tenant.clone()
		s.mu.RUnlock()
		v, err := box.View(id)
		if err != nil {
			return err
		}
		if err := writeFileSync(s.fs, checkpointPath(s.dir, id), encodeCheckpoint(last, &rec, v), 0o600); err != nil {
			errs = append(errs, fmt.Errorf("tenant %s: %w", id, err))
			continue
		}
		written = append(written, done{m, last})
	}
	if len(written) > 0 {
		if err := s.fs.SyncDir(path.Join(s.dir, checkpointDir)); err != nil {
			return errors.Join(append(errs, fmt.Errorf("sync %s: %w", checkpointDir, err))...)
		}
	}
	for _, w := range written {
		w.m.ckptSeq.Store(w.seq)
	}
	for _, id := range s.ids() {
		m, _ := s.meta(id)
		if c := m.ckptSeq.Load(); m.lastSeq.Load() > c {
			upTo = min(upTo, c)
		}
	}
	if err := s.log.Truncate(upTo); err != nil {
		errs = append(errs, fmt.Errorf("truncate journal: %w", err))
	}
	return errors.Join(errs...)
}

func (s *Store) ids() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.tenants))
	for id := range s.tenants {
		out = append(out, id)
	}
	return out
}

func readCheckpointFile(fsys journal.FS, dir, id string) ([]byte, error) {
	f, err := fsys.OpenFile(checkpointPath(dir, id), os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, f); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
