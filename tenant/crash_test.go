package tenant

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fitment/fitment/engine"
)

// crashChildEnv makes the test binary act as the child of TestKillNine: it writes to the
// store in the given directory forever, printing "ACK n" after write n has returned.
const crashChildEnv = "TENANT_CRASH_CHILD_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func crashChild(dir string) {
	s, err := Open(dir, quiet(DefaultOptions()))
	if err == nil {
		err = s.Attach(newEngine(nil))
	}
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	tn, keys, err := s.Create(Tenant{ID: "crash", Name: "Crash", Currency: "EUR", Language: "en"})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	fmt.Printf("KEY %s\n", keys.Secret)
	for n := 1; ; n++ {
		ch := engine.Change{Resolve: engine.ResolveCatalog, Subscribe: []string{[]string{"EBC", "KN", "AT"}[n%3]},
			Items: []engine.ItemUpdate{{Ref: fmt.Sprintf("AT-%d", n%60), SetActive: true, Active: engine.Activated, SetStock: true, Stock: int64(n)}}}
		if _, _, err := s.Write(tn.ID, ch); err != nil {
			fmt.Println("ERR", err)
			os.Exit(1)
		}
		fmt.Printf("ACK %d\n", n)
	}
}

// TestKillNine kills a writing process with SIGKILL and checks that every write it had
// acknowledged is in the file.
func TestKillNine(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	var key string
	acked := 0
	deadline := time.Now().Add(20 * time.Second)
	for sc.Scan() && acked < 200 && time.Now().Before(deadline) {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "KEY "):
			key = strings.TrimPrefix(line, "KEY ")
		case strings.HasPrefix(line, "ACK "):
			acked, _ = strconv.Atoi(strings.TrimPrefix(line, "ACK "))
		case strings.HasPrefix(line, "ERR"):
			t.Fatalf("child: %s", line)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if acked == 0 || key == "" {
		t.Fatalf("child acknowledged nothing (key %q)", key)
	}

	s, eng := openAttached(t, dir, DefaultOptions())
	defer s.Close()
	if id, _, ok := s.Authenticate(key); !ok || id != "crash" {
		t.Errorf("Authenticate(child key) after kill -9: got %q %v", id, ok)
	}
	st := stateOf(t, eng, "crash")
	// Write n set AT-(n%60) to stock n: the last acknowledged write of each part shows.
	for n := max(1, acked-59); n <= acked; n++ {
		it := st.Items[fmt.Sprintf("AT-%d", n%60)]
		if got, _ := it.Offer.Stock(); got < int64(n) || it.Active != engine.Activated {
			t.Errorf("AT-%d after kill -9: stock %d active %v, want ≥ %d (write %d was acknowledged)", n%60, got, it.Active, n, n)
		}
	}
	if len(st.Brands) == 0 {
		t.Errorf("subscriptions lost after kill -9")
	}
	t.Logf("%d acknowledged writes survived kill -9", acked)
}
