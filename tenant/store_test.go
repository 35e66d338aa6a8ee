package tenant

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func open(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir, quiet(DefaultOptions()))
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	return s
}

func mustCreate(t *testing.T, s *Store, tn Tenant) (Tenant, Keys) {
	t.Helper()
	got, keys, err := s.Create(tn)
	if err != nil {
		t.Fatalf("Create(%+v): %v", tn, err)
	}
	return got, keys
}

func TestCreateAuthenticateRotate(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	defer s.Close()
	tn, keys := mustCreate(t, s, Tenant{Name: "Moto Nord", Currency: "EUR", Language: "de"})
	if !strings.HasPrefix(keys.Publishable, "pk_") || len(keys.Publishable) < 35 ||
		!strings.HasPrefix(keys.Secret, "sk_") || len(keys.Secret) < 35 {
		t.Fatalf("Create: keys %+v, want pk_/sk_ with 32+ random chars", keys)
	}
	if id, kind, ok := s.Authenticate(keys.Publishable); !ok || id != tn.ID || kind != Publishable {
		t.Errorf("Authenticate(pk): got %q %v %v, want %q publishable", id, kind, ok, tn.ID)
	}
	if id, kind, ok := s.Authenticate(keys.Secret); !ok || id != tn.ID || kind != Secret {
		t.Errorf("Authenticate(sk): got %q %v %v, want %q secret", id, kind, ok, tn.ID)
	}
	for _, k := range []string{"", "sk_nope", keys.Secret + "x"} {
		if _, _, ok := s.Authenticate(k); ok {
			t.Errorf("Authenticate(%q): got ok, want unknown", k)
		}
	}
	if _, _, err := s.Create(Tenant{ID: tn.ID, Name: "x", Currency: "EUR", Language: "de"}); !errors.Is(err, ErrExists) {
		t.Errorf("Create(same id): got %v, want ErrExists", err)
	}

	nk, err := s.RotateKeys(tn.ID)
	if err != nil {
		t.Fatalf("RotateKeys: %v", err)
	}
	for _, k := range []string{keys.Publishable, keys.Secret} {
		if _, _, ok := s.Authenticate(k); ok {
			t.Errorf("Authenticate(old key) after RotateKeys: got ok, want rejected")
		}
	}
	if id, _, ok := s.Authenticate(nk.Secret); !ok || id != tn.ID {
		t.Errorf("Authenticate(new sk): got %q %v", id, ok)
	}
	if _, err := s.RotateKeys("nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("RotateKeys(unknown): got %v, want ErrNotFound", err)
	}

	// Rotation survives a reopen; no file holds a key in clear.
	s.Close()
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			raw, _ := os.ReadFile(path)
			if strings.Contains(string(raw), nk.Secret) || strings.Contains(string(raw), nk.Publishable) {
				t.Errorf("%s holds an API key in clear", path)
			}
		}
		return nil
	})
	s2 := open(t, dir)
	defer s2.Close()
	if _, _, ok := s2.Authenticate(keys.Secret); ok {
		t.Errorf("Authenticate(old key) after reopen: got ok")
	}
	if id, kind, ok := s2.Authenticate(nk.Publishable); !ok || id != tn.ID || kind != Publishable {
		t.Errorf("Authenticate(new pk) after reopen: got %q %v %v", id, kind, ok)
	}
}

func TestConfig(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	tn, _ := mustCreate(t, s, Tenant{Name: "A", Currency: "EUR", Language: "de"})
	if cfg, ok := s.Config(tn.ID); !ok || cfg == nil || len(cfg) != 0 {
		t.Errorf("Config(new): got %v %v, want empty map", cfg, ok)
	}
	v := "tok"
	if _, err := s.SetConfig(tn.ID, map[string]*string{"bad key": &v}); !errors.Is(err, ErrInvalid) {
		t.Errorf("SetConfig(bad key): got %v, want ErrInvalid", err)
	}
	cfg, err := s.SetConfig(tn.ID, map[string]*string{"mapboxToken": &v, "other": &v})
	if err != nil || cfg["mapboxToken"] != "tok" || cfg["other"] != "tok" {
		t.Errorf("SetConfig: got %v %v", cfg, err)
	}
	cfg, _ = s.SetConfig(tn.ID, map[string]*string{"other": nil})
	if _, ok := cfg["other"]; ok || cfg["mapboxToken"] != "tok" {
		t.Errorf("SetConfig(delete other): got %v", cfg)
	}
}

func TestAdminToken(t *testing.T) {
	dir := t.TempDir()
	tok, path, gen, err := LoadAdminToken(dir)
	if err != nil || !gen || len(tok) < 32 || path != filepath.Join(dir, "admin-token") {
		t.Fatalf("LoadAdminToken(first): got %q %q %v %v", tok, path, gen, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("admin-token mode: got %v %v, want 0600", fi.Mode().Perm(), err)
	}
	tok2, _, gen2, err := LoadAdminToken(dir)
	if err != nil || gen2 || tok2 != tok {
		t.Errorf("LoadAdminToken(second): got %q %v %v, want %q not generated", tok2, gen2, err, tok)
	}
}
