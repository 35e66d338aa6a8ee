package engine

import (
	"sort"
	"sync"

	"github.com/fitment/fitment/snapshot"
)

// Alias is a tenant's SKU alias: another number (a POS code, a distributor's or a legacy
// supplier's SKU) for one of the catalog's parts. Aliases resolve in feeds and part
// look-ups; answers always carry the canonical number.
type Alias struct {
	Alias      string `json:"alias"`      // as given
	PartNumber string `json:"partNumber"` // canonical
	Source     string `json:"source"`     // optional label ("POS", "distributor", ...)
}

// aliasTable is one tenant's aliases: a copy-on-write map split into shards, so that a
// change copies only the shards it touches. Immutable once published.
type aliasTable struct {
	shards [aliasShards]map[string]aliasEntry // Key(alias) → entry; nil = empty
	n      int

	sortOnce sync.Once
	sorted   []string // every key, sorted: built on the first listing
}

const aliasShards = 64

type aliasEntry struct {
	Alias
	part uint32 // the target in the table's catalog; snapshot.None when it is not there
}

var emptyAliases = &aliasTable{}

func aliasShard(key string) int {
	h := uint32(2166136261) // FNV-1a
	for i := 0; i < len(key); i++ {
		h = (h ^ uint32(key[i])) * 16777619
	}
	return int(h % aliasShards)
}

func (t *aliasTable) get(key string) (aliasEntry, bool) {
	e, ok := t.shards[aliasShard(key)][key]
	return e, ok
}

// keys returns every alias key in order. The slice is shared: do not modify it.
func (t *aliasTable) keys() []string {
	t.sortOnce.Do(func() {
		t.sorted = make([]string, 0, t.n)
		for _, m := range t.shards {
			for k := range m {
				t.sorted = append(t.sorted, k)
			}
		}
		sort.Strings(t.sorted)
	})
	return t.sorted
}

// aliasWriter builds the next table, copying a shard the first time it is written.
type aliasWriter struct {
	next   *aliasTable
	copied [aliasShards]bool
}

func (t *aliasTable) writer() *aliasWriter {
	w := &aliasWriter{next: &aliasTable{n: t.n}}
	w.next.shards = t.shards
	return w
}

func (w *aliasWriter) shard(key string) map[string]aliasEntry {
	i := aliasShard(key)
	if !w.copied[i] {
		m := make(map[string]aliasEntry, len(w.next.shards[i])+1)
		for k, v := range w.next.shards[i] {
			m[k] = v
		}
		w.next.shards[i] = m
		w.copied[i] = true
	}
	return w.next.shards[i]
}

func (w *aliasWriter) put(key string, e aliasEntry) {
	m := w.shard(key)
	if _, ok := m[key]; !ok {
		w.next.n++
	}
	m[key] = e
}

func (w *aliasWriter) remove(key string) bool {
	if _, ok := w.next.shards[aliasShard(key)][key]; !ok {
		return false
	}
	delete(w.shard(key), key)
	w.next.n--
	return true
}

func (w *aliasWriter) done() *aliasTable { return w.next }

// unresolved counts the aliases whose part the table's catalog does not have.
func (t *aliasTable) unresolved() (n int) {
	for _, m := range t.shards {
		for _, e := range m {
			if e.part == snapshot.None {
				n++
			}
		}
	}
	return n
}

// rebase resolves every alias target anew (after a catalog change, or a change of the
// tenant's own parts).
func (t *aliasTable) rebase(find func(number string) (uint32, string, bool)) *aliasTable {
	if t.n == 0 {
		return emptyAliases
	}
	next := &aliasTable{n: t.n}
	for i, m := range t.shards {
		if m == nil {
			continue
		}
		nm := make(map[string]aliasEntry, len(m))
		for k, e := range m {
			p, number, ok := find(e.PartNumber)
			e.part = snapshot.None
			if ok {
				e.part, e.PartNumber = p, number
			}
			nm[k] = e
		}
		next.shards[i] = nm
	}
	return next
}
