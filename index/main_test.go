package index

import (
	"os"
	"sync"
	"testing"
)

var (
	tempOnce sync.Once
	tempRoot string
	tempErr  error
)

// tempDir is a directory for indexes shared by the package's tests (built once, in a
// sync.Once, outlive the test that first needs them); TestMain removes it.
func tempDir() (string, error) {
	tempOnce.Do(func() { tempRoot, tempErr = os.MkdirTemp("", "fitment-index-test-") })
	return tempRoot, tempErr
}

func TestMain(m *testing.M) {
	code := m.Run()
	if tempRoot != "" {
		os.RemoveAll(tempRoot)
	}
	os.Exit(code)
}
