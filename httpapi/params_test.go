package httpapi

import (
	"testing"
	"unsafe"
)

// The language picked from a request never points into the request: fasthttp reuses its
// buffers, and languages become keys of the engine's long-lived maps (a key that changed
// under a sync.Map made search panic with "ran out of hash bits").
func TestPrimaryTagCopies(t *testing.T) {
	for _, in := range []string{"de", "de-AT", "sv", "FI"} {
		p, ok := primaryTag(in)
		if !ok {
			t.Fatalf("primaryTag(%q): not a tag", in)
		}
		if start, end := uintptr(unsafe.Pointer(unsafe.StringData(in))), uintptr(unsafe.Pointer(unsafe.StringData(p))); end >= start && end < start+uintptr(len(in)) {
			t.Errorf("primaryTag(%q) = %q shares the input's bytes", in, p)
		}
	}
}
