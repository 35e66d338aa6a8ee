package tenant

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/fitment/fitment/engine"
)

// File layout (format version 1):
//
//	meta                     "version" → "1"
//	tenants                  tenant id → JSON record (Tenant + the hashes of its live keys)
//	keys                     SHA-256(key), 32 bytes → JSON {"tenant", "kind"}
//	data / <tenant id> / subs    Key(brand) → brand as first given
//	data / <tenant id> / items   Key(part number) → JSON itemRecord
const formatVersion = "1"

var (
	bucketMeta    = []byte("meta")
	bucketTenants = []byte("tenants")
	bucketKeys    = []byte("keys")
	bucketData    = []byte("data")
	bucketSubs    = []byte("subs")
	bucketItems   = []byte("items")
)

type record struct {
	Tenant
	KeyHashes [][]byte `json:"keyHashes"`
}

type keyEntry struct {
	Tenant string  `json:"tenant"`
	Kind   KeyKind `json:"kind"`
}

// Item is a tenant's stored per-part state.
type Item struct {
	PartNumber string   `json:"pn"` // canonical, as in the catalog
	Active     *bool    `json:"active,omitempty"`
	Price      *float64 `json:"price,omitempty"`
	Stock      *int64   `json:"stock,omitempty"`
}

// ItemUpdate changes one catalog item. Active, Price and Stock are applied only when their
// Set flag is true; a nil value then clears them (a nil Active: the part follows its brand
// subscription again). An unset field keeps its current value.
type ItemUpdate struct {
	PartNumber string
	SetActive  bool
	Active     *bool
	SetPrice   bool
	Price      *float64
	SetStock   bool
	Stock      *int64
}

// Store is the durable tenant layer. See the package documentation.
type Store struct {
	db *bolt.DB

	mu      sync.RWMutex
	tenants map[string]*Tenant
	subs    map[string]map[string]string // tenant → Key(brand) → brand
	keys    map[keyHash]keyEntry
}

// Open opens (creating if needed) the store in dir/tenants.db. Only one process may have it
// open; a second Open waits up to two seconds and fails.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	db, err := bolt.Open(filepath.Join(dir, "tenants.db"), 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open tenant store: %w", err)
	}
	s := &Store{db: db}
	if err := s.init(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) init() error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if v := meta.Get([]byte("version")); v == nil {
			if err := meta.Put([]byte("version"), []byte(formatVersion)); err != nil {
				return err
			}
		} else if string(v) != formatVersion {
			return fmt.Errorf("tenant store format %s, want %s", v, formatVersion)
		}
		for _, b := range [][]byte{bucketTenants, bucketKeys, bucketData} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("init tenant store: %w", err)
	}
	s.tenants = map[string]*Tenant{}
	s.subs = map[string]map[string]string{}
	s.keys = map[keyHash]keyEntry{}
	return s.db.View(func(tx *bolt.Tx) error {
		err := tx.Bucket(bucketTenants).ForEach(func(k, v []byte) error {
			var r record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("tenant %q: %w", k, err)
			}
			t := r.Tenant
			s.tenants[t.ID] = &t
			subs := map[string]string{}
			if d := tx.Bucket(bucketData).Bucket([]byte(t.ID)); d != nil {
				if b := d.Bucket(bucketSubs); b != nil {
					b.ForEach(func(k, v []byte) error { subs[string(k)] = string(v); return nil })
				}
			}
			s.subs[t.ID] = subs
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketKeys).ForEach(func(k, v []byte) error {
			var e keyEntry
			if err := json.Unmarshal(v, &e); err != nil || len(k) != len(keyHash{}) {
				return fmt.Errorf("corrupt key entry")
			}
			s.keys[keyHash(k)] = e
			return nil
		})
	})
}

// Close closes the file. Later calls fail with ErrClosed or a bbolt error.
func (s *Store) Close() error { return s.db.Close() }

// Create validates and stores a new tenant with a fresh pair of keys. An empty ID gets a
// random one; an ID already in use fails with ErrExists.
func (s *Store) Create(t Tenant) (Tenant, Keys, error) {
	if err := t.Normalize(); err != nil {
		return Tenant{}, Keys{}, err
	}
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
	err = s.db.Update(func(tx *bolt.Tx) error {
		tb := tx.Bucket(bucketTenants)
		if tb.Get([]byte(t.ID)) != nil {
			return fmt.Errorf("%w: %s", ErrExists, t.ID)
		}
		if err := putJSON(tb, []byte(t.ID), record{Tenant: t, KeyHashes: [][]byte{hp[:], hs[:]}}); err != nil {
			return err
		}
		if err := putKeys(tx, t.ID, hp, hs); err != nil {
			return err
		}
		d, err := tx.Bucket(bucketData).CreateBucketIfNotExists([]byte(t.ID))
		if err != nil {
			return err
		}
		if _, err := d.CreateBucketIfNotExists(bucketSubs); err != nil {
			return err
		}
		_, err = d.CreateBucketIfNotExists(bucketItems)
		return err
	})
	if err != nil {
		return Tenant{}, Keys{}, err
	}
	t = t.clone()
	s.mu.Lock()
	c := t
	s.tenants[t.ID] = &c
	s.subs[t.ID] = map[string]string{}
	s.keys[hp] = keyEntry{t.ID, Publishable}
	s.keys[hs] = keyEntry{t.ID, Secret}
	s.mu.Unlock()
	return t, keys, nil
}

func putKeys(tx *bolt.Tx, id string, hp, hs keyHash) error {
	kb := tx.Bucket(bucketKeys)
	if err := putJSON(kb, hp[:], keyEntry{id, Publishable}); err != nil {
		return err
	}
	return putJSON(kb, hs[:], keyEntry{id, Secret})
}

// RotateKeys replaces both keys of a tenant; the old ones stop working when it returns.
func (s *Store) RotateKeys(id string) (Keys, error) {
	id = strings.Clone(id)
	keys, err := newKeys()
	if err != nil {
		return Keys{}, err
	}
	hp, hs := hashKey(keys.Publishable), hashKey(keys.Secret)
	var old [][]byte
	err = s.db.Update(func(tx *bolt.Tx) error {
		tb := tx.Bucket(bucketTenants)
		var r record
		if err := getJSON(tb, []byte(id), &r); err != nil {
			return err
		}
		old = r.KeyHashes
		kb := tx.Bucket(bucketKeys)
		for _, h := range old {
			if err := kb.Delete(h); err != nil {
				return err
			}
		}
		r.KeyHashes = [][]byte{hp[:], hs[:]}
		if err := putJSON(tb, []byte(id), r); err != nil {
			return err
		}
		return putKeys(tx, id, hp, hs)
	})
	if err != nil {
		return Keys{}, err
	}
	s.mu.Lock()
	for _, h := range old {
		if len(h) == len(keyHash{}) {
			delete(s.keys, keyHash(h))
		}
	}
	s.keys[hp] = keyEntry{id, Publishable}
	s.keys[hs] = keyEntry{id, Secret}
	s.mu.Unlock()
	return keys, nil
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
	return e.Tenant, e.Kind, ok
}

// Get returns a copy of a tenant's record.
func (s *Store) Get(id string) (Tenant, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.tenants[id]
	if !ok {
		return Tenant{}, false
	}
	return t.clone(), true
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
	for _, t := range s.tenants {
		out = append(out, t.clone())
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
	var t Tenant
	err := s.db.Update(func(tx *bolt.Tx) error {
		tb := tx.Bucket(bucketTenants)
		var r record
		if err := getJSON(tb, []byte(id), &r); err != nil {
			return err
		}
		if r.Config == nil {
			r.Config = map[string]string{}
		}
		for k, v := range set {
			if v == nil {
				delete(r.Config, k)
			} else {
				r.Config[k] = *v
			}
		}
		t = r.Tenant
		return putJSON(tb, []byte(id), r)
	})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	c := t.clone()
	s.tenants[c.ID] = &c
	s.mu.Unlock()
	if t.Config == nil {
		t.Config = map[string]string{}
	}
	return t.Config, nil
}

// Subscriptions returns a tenant's subscribed brands as first given, sorted
// case-insensitively.
func (s *Store) Subscriptions(id string) []string {
	s.mu.RLock()
	out := make([]string, 0, len(s.subs[id]))
	for _, b := range s.subs[id] {
		out = append(out, b)
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return key(out[i]) < key(out[j]) })
	return out
}

// Subscribed reports whether a tenant subscribes to brand (compared case-insensitively).
func (s *Store) Subscribed(id, brand string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.subs[id][key(brand)]
	return ok
}

// key is the comparison form of brands and part numbers (as snapshot.Key).
func key(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Subscribe adds a brand subscription (idempotent). The returned change, applied to the
// engine, makes the engine agree with the store: the subscription plus the items of that
// brand whose activation is unset.
func (s *Store) Subscribe(id, brand string) (engine.TenantChange, error) {
	return s.setSubscription(id, brand, true)
}

// Unsubscribe removes a brand subscription (idempotent); see Subscribe for the change.
func (s *Store) Unsubscribe(id, brand string) (engine.TenantChange, error) {
	return s.setSubscription(id, brand, false)
}

func (s *Store) setSubscription(id, brand string, on bool) (engine.TenantChange, error) {
	// Callers may pass strings that alias a reused request buffer (fiber); keep copies.
	id, brand = strings.Clone(id), strings.Clone(brand)
	k := key(brand)
	if k == "" {
		return engine.TenantChange{}, fmt.Errorf("%w: empty brand", ErrInvalid)
	}
	var ch engine.TenantChange
	stored := brand
	err := s.db.Update(func(tx *bolt.Tx) error {
		d, err := dataBucket(tx, id)
		if err != nil {
			return err
		}
		subs := d.Bucket(bucketSubs)
		if on {
			if v := subs.Get([]byte(k)); v != nil {
				stored = string(v)
			} else if err := subs.Put([]byte(k), []byte(strings.TrimSpace(brand))); err != nil {
				return err
			} else {
				stored = strings.TrimSpace(brand)
			}
			ch.Subscribe = []string{stored}
		} else {
			if v := subs.Get([]byte(k)); v != nil {
				stored = string(v)
			}
			if err := subs.Delete([]byte(k)); err != nil {
				return err
			}
			ch.Unsubscribe = []string{stored}
		}
		return nil
	})
	if err != nil {
		return engine.TenantChange{}, err
	}
	s.mu.Lock()
	if s.subs[id] == nil {
		s.subs[id] = map[string]string{}
	}
	if on {
		s.subs[id][k] = stored
	} else {
		delete(s.subs[id], k)
	}
	s.mu.Unlock()
	return ch, nil
}

func dataBucket(tx *bolt.Tx, id string) (*bolt.Bucket, error) {
	if tx.Bucket(bucketTenants).Get([]byte(id)) == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	d, err := tx.Bucket(bucketData).CreateBucketIfNotExists([]byte(id))
	if err != nil {
		return nil, err
	}
	if _, err := d.CreateBucketIfNotExists(bucketSubs); err != nil {
		return nil, err
	}
	if _, err := d.CreateBucketIfNotExists(bucketItems); err != nil {
		return nil, err
	}
	return d, nil
}

// UpdateItems applies item updates in one transaction (later rows win over earlier rows of
// the same part) and returns the resolved change for the engine.
func (s *Store) UpdateItems(id string, ups []ItemUpdate) (engine.TenantChange, error) {
	ch := engine.TenantChange{Items: make(map[string]engine.Item, len(ups))}
	err := s.db.Update(func(tx *bolt.Tx) error {
		d, err := dataBucket(tx, id)
		if err != nil {
			return err
		}
		items := d.Bucket(bucketItems)
		for _, u := range ups {
			k := []byte(key(u.PartNumber))
			if len(k) == 0 {
				return fmt.Errorf("%w: empty part number", ErrInvalid)
			}
			var it Item
			if v := items.Get(k); v != nil {
				if err := json.Unmarshal(v, &it); err != nil {
					return err
				}
			}
			it.PartNumber = strings.Clone(u.PartNumber)
			if u.SetActive {
				it.Active = nil
				if u.Active != nil {
					a := *u.Active
					it.Active = &a
				}
			}
			if u.SetPrice {
				it.Price = u.Price
			}
			if u.SetStock {
				it.Stock = u.Stock
			}
			if err := putJSON(items, k, it); err != nil {
				return err
			}
			ch.Items[it.PartNumber] = it.engineItem()
		}
		return nil
	})
	if err != nil {
		return engine.TenantChange{}, err
	}
	return ch, nil
}

func (it *Item) engineItem() engine.Item {
	return engine.Item{Active: it.Active, Price: it.Price, Stock: it.Stock}
}

// Item returns a tenant's stored item for a part number (compared case-insensitively).
func (s *Store) Item(id, partNumber string) (Item, bool, error) {
	var it Item
	found := false
	err := s.db.View(func(tx *bolt.Tx) error {
		d := tx.Bucket(bucketData).Bucket([]byte(id))
		if d == nil {
			return nil
		}
		b := d.Bucket(bucketItems)
		if b == nil {
			return nil
		}
		v := b.Get([]byte(key(partNumber)))
		if v == nil {
			return nil
		}
		found = true
		return json.Unmarshal(v, &it)
	})
	return it, found, err
}

// State returns everything the engine needs to know about a tenant, with item activation
// resolved against the subscriptions. An unknown tenant has an empty state.
func (s *Store) State(id string) (engine.TenantState, error) {
	st := engine.TenantState{Brands: []string{}, Items: map[string]engine.Item{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		d := tx.Bucket(bucketData).Bucket([]byte(id))
		if d == nil {
			return nil
		}
		subs := d.Bucket(bucketSubs)
		if subs != nil {
			subs.ForEach(func(_, v []byte) error { st.Brands = append(st.Brands, string(v)); return nil })
		}
		items := d.Bucket(bucketItems)
		if items == nil {
			return nil
		}
		return items.ForEach(func(_, v []byte) error {
			var it Item
			if err := json.Unmarshal(v, &it); err != nil {
				return err
			}
			st.Items[it.PartNumber] = it.engineItem()
			return nil
		})
	})
	return st, err
}

func putJSON(b *bolt.Bucket, k []byte, v any) error {
	buf, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, buf)
}

func getJSON(b *bolt.Bucket, k []byte, v any) error {
	buf := b.Get(k)
	if buf == nil {
		return fmt.Errorf("%w: %s", ErrNotFound, k)
	}
	return json.Unmarshal(buf, v)
}
