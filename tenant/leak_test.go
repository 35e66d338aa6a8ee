package tenant

import (
	"testing"

	"go.uber.org/goleak"
)

// TestStoreLeavesNoGoroutines opens a store, attaches an engine (which starts the
// checkpointer), writes, checkpoints and closes it: nothing it started may outlive Close.
func TestStoreLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent()) // goroutines of earlier tests are theirs
	s, _ := openAttached(t, t.TempDir(), Options{})
	fill(t, s)
	if err := s.Checkpoint(); err != nil {
		t.Fatalf("Checkpoint: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}
