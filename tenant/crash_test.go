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
	s, err := Open(dir)
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
		pn := fmt.Sprintf("P-%d", n)
		if _, err := s.UpdateItems(tn.ID, []ItemUpdate{{PartNumber: pn, SetActive: true, Active: bp(true), SetStock: true, Stock: i64(int64(n))}}); err != nil {
			fmt.Println("ERR", err)
			os.Exit(1)
		}
		if _, err := s.Subscribe(tn.ID, fmt.Sprintf("Brand-%d", n)); err != nil {
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
	for sc.Scan() && acked < 25 && time.Now().Before(deadline) {
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

	s := open(t, dir)
	defer s.Close()
	if id, _, ok := s.Authenticate(key); !ok || id != "crash" {
		t.Errorf("Authenticate(child key) after kill -9: got %q %v", id, ok)
	}
	st, err := s.State("crash")
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= acked; n++ {
		it, ok := st.Items[fmt.Sprintf("P-%d", n)]
		if !ok || it.Stock == nil || *it.Stock != int64(n) {
			t.Errorf("item P-%d after kill -9: got %+v %v, want stock %d", n, it, ok, n)
		}
		if !s.Subscribed("crash", fmt.Sprintf("brand-%d", n)) {
			t.Errorf("subscription Brand-%d after kill -9: missing", n)
		}
	}
	t.Logf("%d acknowledged writes survived kill -9", acked)
}
