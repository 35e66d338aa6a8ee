package tenant

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/journal"
)

// The first tenant layer (format 1) kept everything in one bbolt file, tenants.db, one
// fsynced transaction per write. migrateV1 carries such a data directory over: every
// tenant, with its key hashes (the keys handed out keep working), config, subscriptions and
// items, becomes journal records, then the old file is renamed so it is imported once.

const (
	v1File     = "tenants.db"
	v1Imported = "tenants.db.imported"
)

func migrateV1(dir string, jo journal.Options, lg *slog.Logger) error {
	old := filepath.Join(dir, v1File)
	if _, err := os.Stat(old); os.IsNotExist(err) {
		return nil
	}
	jdir := filepath.Join(dir, "journal")
	if names, _ := os.ReadDir(jdir); len(names) > 0 {
		return fmt.Errorf("both %s and a journal exist: move one away", old)
	}
	db, err := bolt.Open(old, 0o600, &bolt.Options{ReadOnly: true, Timeout: 2 * time.Second})
	if err != nil {
		return err
	}
	defer db.Close()
	var batches []*batch
	err = db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket([]byte("meta")).Get([]byte("version")); string(v) != "1" {
			return fmt.Errorf("tenant store format %q, want 1", v)
		}
		data := tx.Bucket([]byte("data"))
		return tx.Bucket([]byte("tenants")).ForEach(func(k, v []byte) error {
			var r record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("tenant %q: %w", k, err)
			}
			batches = append(batches, &batch{tenant: r.ID, meta: &metaOp{create: &r}})
			ch := engine.Change{Resolve: engine.ResolveExact}
			d := data.Bucket(k)
			if d == nil {
				return nil
			}
			if subs := d.Bucket([]byte("subs")); subs != nil {
				subs.ForEach(func(_, brand []byte) error {
					ch.Subscribe = append(ch.Subscribe, string(brand))
					return nil
				})
			}
			if items := d.Bucket([]byte("items")); items != nil {
				err := items.ForEach(func(_, v []byte) error {
					var it struct {
						PN     string   `json:"pn"`
						Active *bool    `json:"active"`
						Price  *float64 `json:"price"`
						Stock  *int64   `json:"stock"`
					}
					if err := json.Unmarshal(v, &it); err != nil {
						return fmt.Errorf("tenant %q item: %w", k, err)
					}
					u := engine.ItemUpdate{Ref: it.PN, SetActive: it.Active != nil}
					if it.Active != nil {
						u.Active = engine.Deactivated
						if *it.Active {
							u.Active = engine.Activated
						}
					}
					if it.Price != nil {
						u.SetPrice, u.Price = true, int64(math.Round(*it.Price*100))
					}
					if it.Stock != nil {
						u.SetStock, u.Stock = true, *it.Stock
					}
					ch.Items = append(ch.Items, u)
					return nil
				})
				if err != nil {
					return err
				}
			}
			if len(ch.Subscribe)+len(ch.Items) > 0 {
				batches = append(batches, &batch{tenant: r.ID, change: ch})
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	l, err := journal.Open(jdir, jo)
	if err != nil {
		return err
	}
	for _, b := range batches {
		if _, err := l.Append(encodeBatch(nil, b)); err != nil {
			l.Close()
			return err
		}
	}
	if err := l.Close(); err != nil {
		return err
	}
	db.Close()
	if err := os.Rename(old, filepath.Join(dir, v1Imported)); err != nil {
		return err
	}
	lg.Info("imported the tenants of the earlier format", "tenants", countCreates(batches), "from", old, "kept_as", v1Imported)
	return journal.OS.SyncDir(dir)
}

func countCreates(bs []*batch) int {
	n := 0
	for _, b := range bs {
		if b.meta != nil {
			n++
		}
	}
	return n
}
