package tenant

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fitment/fitment/engine"
)

func open(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir)
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

func f64(v float64) *float64 { return &v }
func i64(v int64) *int64     { return &v }
func bp(v bool) *bool        { return &v }

func TestNormalize(t *testing.T) {
	tests := []struct {
		in      Tenant
		wantErr string // substring; "" = valid
	}{
		{Tenant{Name: "A", Currency: "eur", Language: "DE"}, ""},
		{Tenant{Name: "A", Type: "retail", Currency: "SEK", Language: "sv"}, ""},
		{Tenant{Name: "", Currency: "EUR", Language: "de"}, "name"},
		{Tenant{Name: "A", Type: "SHOP", Currency: "EUR", Language: "de"}, "type"},
		{Tenant{Name: "A", Currency: "EURO", Language: "de"}, "currency"},
		{Tenant{Name: "A", Currency: "E1R", Language: "de"}, "currency"},
		{Tenant{Name: "A", Currency: "EUR", Language: "deu"}, "language"},
		{Tenant{Name: "A", Currency: "EUR", Language: ""}, "language"},
		{Tenant{ID: "Bad ID", Name: "A", Currency: "EUR", Language: "de"}, "id"},
	}
	for _, tc := range tests {
		in := tc.in
		err := in.Normalize()
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("Normalize(%+v): got %v, want nil", tc.in, err)
		case tc.wantErr != "" && (err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("Normalize(%+v): got %v, want ErrInvalid naming %q", tc.in, err, tc.wantErr)
		}
	}
	in := Tenant{Name: " A ", Currency: "eur", Language: "DE"}
	in.Normalize()
	if in.Type != Standard || in.Currency != "EUR" || in.Language != "de" || in.Name != "A" {
		t.Errorf("Normalize: got %+v, want STANDARD/EUR/de/A", in)
	}
}

func TestCreateAuthenticateRotate(t *testing.T) {
	s := open(t, t.TempDir())
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

	// Rotation survives a reopen; the file holds no key in clear.
	dir := filepath.Dir(s.db.Path())
	s.Close()
	raw, _ := os.ReadFile(filepath.Join(dir, "tenants.db"))
	if strings.Contains(string(raw), nk.Secret) || strings.Contains(string(raw), nk.Publishable) {
		t.Errorf("tenants.db holds an API key in clear")
	}
	s2 := open(t, dir)
	defer s2.Close()
	if _, _, ok := s2.Authenticate(keys.Secret); ok {
		t.Errorf("Authenticate(old key) after reopen: got ok")
	}
	if id, kind, ok := s2.Authenticate(nk.Publishable); !ok || id != tn.ID || kind != Publishable {
		t.Errorf("Authenticate(new pk) after reopen: got %q %v %v", id, kind, ok)
	}
}

func TestStateAndActivation(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	tn, _ := mustCreate(t, s, Tenant{ID: "a", Name: "A", Currency: "EUR", Language: "de"})

	// A price alone leaves the activation unset (nil: the engine lets it follow the brand).
	ch, err := s.UpdateItems(tn.ID, []ItemUpdate{
		{PartNumber: "EBC-1", SetPrice: true, Price: f64(12.5)},
		{PartNumber: "KN-1", SetActive: true, Active: bp(true), SetStock: true, Stock: i64(3)},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]engine.Item{
		"EBC-1": {Price: f64(12.5)},
		"KN-1":  {Active: bp(true), Stock: i64(3)},
	}
	if !reflect.DeepEqual(ch.Items, want) {
		t.Errorf("UpdateItems: got %+v, want %+v", ch.Items, want)
	}

	// Subscriptions: case-insensitive, idempotent, the first spelling kept.
	ch, err = s.Subscribe(tn.ID, "ebc")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ch, engine.TenantChange{Subscribe: []string{"ebc"}}) {
		t.Errorf("Subscribe(ebc): got %+v", ch)
	}
	if _, err := s.Subscribe(tn.ID, "EBC"); err != nil {
		t.Fatal(err)
	}
	if got := s.Subscriptions(tn.ID); !reflect.DeepEqual(got, []string{"ebc"}) {
		t.Errorf("Subscriptions: got %v, want [ebc]", got)
	}

	// A row without active keeps the activation; an explicit deactivation is kept.
	if _, err := s.UpdateItems(tn.ID, []ItemUpdate{{PartNumber: "ebc-1", SetStock: true, Stock: i64(7)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateItems(tn.ID, []ItemUpdate{{PartNumber: "EBC-2", SetActive: true, Active: bp(false)}}); err != nil {
		t.Fatal(err)
	}
	st, err := s.State(tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantState := engine.TenantState{
		Brands: []string{"ebc"},
		Items: map[string]engine.Item{
			"ebc-1": {Price: f64(12.5), Stock: i64(7)},
			"EBC-2": {Active: bp(false)},
			"KN-1":  {Active: bp(true), Stock: i64(3)},
		},
	}
	if !reflect.DeepEqual(st, wantState) {
		t.Errorf("State: got %+v, want %+v", st, wantState)
	}

	// An explicit nil activation: EBC-2 follows its brand subscription again.
	ch, err = s.UpdateItems(tn.ID, []ItemUpdate{{PartNumber: "EBC-2", SetActive: true}})
	if err != nil {
		t.Fatal(err)
	}
	if got := ch.Items["EBC-2"]; got.Active != nil {
		t.Errorf("UpdateItems(EBC-2, active null): got %+v, want Active nil", got)
	}
	if it, _, _ := s.Item(tn.ID, "ebc-2"); it.Active != nil {
		t.Errorf("Item(ebc-2) after active null: got %+v, want Active nil", it)
	}

	// Clearing price and stock with an explicit nil.
	if _, err := s.UpdateItems(tn.ID, []ItemUpdate{{PartNumber: "KN-1", SetPrice: true, SetStock: true}}); err != nil {
		t.Fatal(err)
	}
	it, ok, err := s.Item(tn.ID, "kn-1")
	if err != nil || !ok || it.Price != nil || it.Stock != nil || it.Active == nil || !*it.Active {
		t.Errorf("Item(kn-1) after clear: got %+v %v %v", it, ok, err)
	}

	ch, err = s.Unsubscribe(tn.ID, "EBC")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ch, engine.TenantChange{Unsubscribe: []string{"ebc"}}) {
		t.Errorf("Unsubscribe(EBC): got %+v", ch)
	}
	if got := s.Subscriptions(tn.ID); len(got) != 0 {
		t.Errorf("Subscriptions after Unsubscribe: got %v, want []", got)
	}
	if _, err := s.Subscribe("nobody", "EBC"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Subscribe(unknown tenant): got %v, want ErrNotFound", err)
	}
}

func TestReopen(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	tn, keys := mustCreate(t, s, Tenant{Name: "A", Type: "reseller", Currency: "nok", Language: "nb"})
	s.Subscribe(tn.ID, "Alphatrac")
	s.UpdateItems(tn.ID, []ItemUpdate{{PartNumber: "AT-1", SetPrice: true, Price: f64(9.99), SetStock: true, Stock: i64(0)}})
	tok := "pk.abc"
	s.SetConfig(tn.ID, map[string]*string{"mapboxToken": &tok})
	before, _ := s.State(tn.ID)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, dir)
	defer s.Close()
	got, ok := s.Get(tn.ID)
	if !ok || got.Name != "A" || got.Type != Reseller || got.Currency != "NOK" || got.Language != "nb" || got.Created.IsZero() {
		t.Errorf("Get after reopen: got %+v %v", got, ok)
	}
	if cfg, _ := s.Config(tn.ID); cfg["mapboxToken"] != tok {
		t.Errorf("Config after reopen: got %v", cfg)
	}
	if id, _, ok := s.Authenticate(keys.Secret); !ok || id != tn.ID {
		t.Errorf("Authenticate after reopen: got %q %v", id, ok)
	}
	after, _ := s.State(tn.ID)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("State after reopen: got %+v, want %+v", after, before)
	}
	if l := s.List(); len(l) != 1 || l[0].ID != tn.ID {
		t.Errorf("List after reopen: got %+v", l)
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
