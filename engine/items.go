package engine

import (
	"sort"
	"strconv"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fitment/fitment/snapshot"
)

// Money is an amount in cents. It encodes as a JSON number with two decimals (12.50).
type Money int64

// MarshalJSON implements json.Marshaler.
func (m Money) MarshalJSON() ([]byte, error) {
	return Offer(0).WithPrice(int64(m)).AppendPrice(nil), nil
}

// UnmarshalJSON implements json.Unmarshaler (tests read answers back).
func (m *Money) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return err
	}
	*m = Money(f*100 + 0.5)
	return nil
}

func (o Offer) money() *Money {
	c, ok := o.Price()
	if !ok {
		return nil
	}
	m := Money(c)
	return &m
}

// Item is one catalog item as the portal lists it: a part the tenant sells, or has a
// setting for.
type Item struct {
	PartNumber string `json:"partNumber"`
	Brand      string `json:"brand"`
	Name       string `json:"name"`
	// Active: the part is in the tenant's storefront catalog.
	Active bool `json:"active"`
	// ActiveSetting is the tenant's own setting: true or false, or null when the part
	// follows its brand subscription.
	ActiveSetting *bool  `json:"activeSetting"`
	Subscribed    bool   `json:"subscribed"` // its brand is subscribed
	Price         *Money `json:"price"`
	Stock         *int64 `json:"stock"`
}

// ItemQuery selects and pages catalog items. Zero values mean "no filter".
type ItemQuery struct {
	After  string // a part number: list the items after it (cursor)
	Limit  int    // ≥ 1
	Prefix string // part numbers starting with it (case-insensitively)
	Brand  string
	Active *bool // listed when Active matches
	Priced *bool // has a price, or has none
	Stock  *bool // stock tracked, or not
	// InStock lists only items with stock > 0.
	InStock bool
}

// Items lists the tenant's catalog items in part-number order: every part it sees, and
// every part it has an explicit setting or an offer for. more reports that items follow.
func (v *View) Items(q ItemQuery) (items []Item, more bool, err error) {
	k := v.cat
	cand := roaring.Or(v.parts, v.off)
	cand.Or(v.on)
	var offered []uint32
	v.offers.each(func(p uint32, _ Offer) { offered = append(offered, p) })
	cand.AddMany(offered)
	if q.Brand != "" {
		b, ok := k.brandByKey[snapshot.Key(q.Brand)]
		if !ok {
			return []Item{}, false, nil
		}
		cand.And(k.brandParts[b])
	}
	start := k.partsAfter(q.After)
	prefix := snapshot.Key(q.Prefix)
	if prefix != "" {
		if s := k.firstPartFrom(prefix); s > start {
			start = s
		}
	}
	items = []Item{}
	it := cand.Iterator()
	it.AdvanceIfNeeded(start)
	for it.HasNext() {
		p := it.Next()
		if int(p) >= len(k.Parts) {
			break // own parts come after the catalog's; they are listed apart
		}
		part := &k.Parts[p]
		if prefix != "" && !strings.HasPrefix(snapshot.Key(part.Number), prefix) {
			break // parts are sorted by key: no later part has the prefix
		}
		o := v.offers.get(p)
		active := v.parts.Contains(p)
		_, priced := o.Price()
		stock, stocked := o.Stock()
		if q.Active != nil && *q.Active != active || q.Priced != nil && *q.Priced != priced ||
			q.Stock != nil && *q.Stock != stocked || q.InStock && stock <= 0 {
			continue
		}
		if len(items) == q.Limit {
			return items, true, nil
		}
		_, subscribed := v.subs[snapshot.Key(k.Brands[part.Brand])]
		item := Item{PartNumber: part.Number, Brand: k.Brands[part.Brand], Name: part.Name, Active: active,
			Subscribed: subscribed, Price: o.money(), Stock: o.stockPtr()}
		switch v.activation(p) {
		case Activated:
			item.ActiveSetting = ptrTo(true)
		case Deactivated:
			item.ActiveSetting = ptrTo(false)
		}
		items = append(items, item)
	}
	return items, false, nil
}

func ptrTo[T any](x T) *T { return &x }

// partsAfter is the first part id whose number sorts after the given one (0 for "").
func (k *catalog) partsAfter(after string) uint32 {
	if after == "" {
		return 0
	}
	key := snapshot.Key(after)
	return uint32(sort.Search(len(k.Parts), func(i int) bool { return snapshot.Key(k.Parts[i].Number) > key }))
}

// firstPartFrom is the first part id whose number sorts at or after key.
func (k *catalog) firstPartFrom(key string) uint32 {
	return uint32(sort.Search(len(k.Parts), func(i int) bool { return snapshot.Key(k.Parts[i].Number) >= key }))
}

// AliasQuery selects and pages aliases. Zero values mean "no filter".
type AliasQuery struct {
	After      string // an alias: list the ones after it (cursor)
	Limit      int
	PartNumber string // aliases of this part
	Source     string
}

// Aliases lists the tenant's aliases in alias order (case-insensitively).
func (v *View) Aliases(q AliasQuery) (out []Alias, more bool) {
	keys := v.aliases.keys()
	i := sort.SearchStrings(keys, snapshot.Key(q.After))
	if q.After != "" && i < len(keys) && keys[i] == snapshot.Key(q.After) {
		i++
	}
	out = []Alias{}
	pn, src := snapshot.Key(q.PartNumber), snapshot.Key(q.Source)
	for ; i < len(keys); i++ {
		e, _ := v.aliases.get(keys[i])
		if pn != "" && snapshot.Key(e.PartNumber) != pn || src != "" && snapshot.Key(e.Source) != src {
			continue
		}
		if q.Limit > 0 && len(out) == q.Limit {
			return out, true
		}
		out = append(out, e.Alias)
	}
	return out, false
}

// Subscriptions returns the subscribed brands as stored, sorted case-insensitively.
func (v *View) Subscriptions() []string {
	out := make([]string, 0, len(v.subs))
	for _, b := range v.subs {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return snapshot.Key(out[i]) < snapshot.Key(out[j]) })
	return out
}

// EachItem calls fn for every part the tenant has a setting or an offer for: first the
// catalog's parts in id order (Part valid in this view's catalog), then the parts kept
// aside (Part = snapshot.None), until fn returns false. For checkpoints.
func (v *View) EachItem(fn func(ItemState) bool) {
	set := roaring.Or(v.on, v.off)
	var offered []uint32
	v.offers.each(func(p uint32, _ Offer) { offered = append(offered, p) })
	set.AddMany(offered)
	it := set.Iterator()
	for it.HasNext() {
		p := it.Next()
		st := ItemState{Part: p, Number: v.partNumber(p), Active: v.activation(p), Offer: v.offers.get(p)}
		if int(p) >= len(v.cat.Parts) {
			st.Part = snapshot.None // an own part: found again by number
		}
		if !fn(st) {
			return
		}
	}
	keys := make([]string, 0, len(v.orphans))
	for key := range v.orphans {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		o := v.orphans[key]
		if !fn(ItemState{Part: snapshot.None, Number: o.number, Active: o.active, Offer: o.offer}) {
			return
		}
	}
}

// AllAliases returns every alias in alias order. For checkpoints.
func (v *View) AllAliases() []Alias {
	out, _ := v.Aliases(AliasQuery{})
	return out
}

// Counts of a tenant's state, for operators and metrics.
type StateCounts struct {
	Subscriptions int `json:"subscriptions"`
	VisibleParts  int `json:"visibleParts"`
	Offers        int `json:"offers"`
	Aliases       int `json:"aliases"`
	KeptAside     int `json:"keptAside"` // settings of parts the catalog does not have
}

// Counts summarises the view.
func (v *View) Counts() StateCounts {
	return StateCounts{Subscriptions: len(v.subs), VisibleParts: int(v.parts.GetCardinality()),
		Offers: v.offers.n, Aliases: v.aliases.n, KeptAside: len(v.orphans)}
}

// LocationStockState returns every location's stock, as a checkpoint keeps it: per
// location its parts in id order (Part valid in this view's catalog, the Offer carrying
// the stock), then the parts kept aside (Part = snapshot.None).
func (v *View) LocationStockState() []LocationStock {
	out := make([]LocationStock, 0, len(v.locStock))
	for i, l := range v.locs.list {
		key := v.locs.keys[i]
		ls := LocationStock{Code: l.Code}
		if t := v.stockAt(i); t != nil {
			t.each(func(p uint32, s uint32) {
				it := ItemState{Part: p, Number: v.partNumber(p), Offer: Offer(0).WithStock(int64(s) - 1)}
				if int(p) >= len(v.cat.Parts) {
					it.Part = snapshot.None
				}
				ls.Items = append(ls.Items, it)
			})
		}
		numbers := make([]string, 0, len(v.locOrphans[key]))
		for n := range v.locOrphans[key] {
			numbers = append(numbers, n)
		}
		sort.Strings(numbers)
		for _, n := range numbers {
			ls.Items = append(ls.Items, ItemState{Part: snapshot.None, Number: n, Offer: Offer(0).WithStock(int64(v.locOrphans[key][n]) - 1)})
		}
		if len(ls.Items) > 0 {
			out = append(out, ls)
		}
	}
	return out
}

// LocationStockOf returns the stock of a part at a location (ok false: none recorded).
func (v *View) LocationStockOf(code, partRef string) (int64, bool) {
	t := v.stockOf(code)
	p, ok := v.resolve(partRef, ResolveActive)
	if t == nil || !ok || t.get(p) == 0 {
		return 0, false
	}
	return int64(t.get(p)) - 1, true
}

// StockItem is a part's stock at one location, as the portal lists it.
type StockItem struct {
	PartNumber string `json:"partNumber"`
	Stock      int64  `json:"stock"`
}

// LocationStockItems lists the stock recorded at a location: the catalog's parts in
// part-number order, then the tenant's own, after the part number after (a cursor; ""
// from the start). ok is false for an unknown location.
func (v *View) LocationStockItems(code, after string, limit int) (items []StockItem, more, ok bool) {
	li, ok := v.locs.byKey[snapshot.Key(code)]
	if !ok {
		return nil, false, false
	}
	items = []StockItem{}
	t := v.stockAt(li)
	if t == nil {
		return items, false, true
	}
	add := func(p uint32, s uint32) bool {
		if len(items) == limit {
			more = true
			return false
		}
		items = append(items, StockItem{PartNumber: v.partNumber(p), Stock: int64(s) - 1})
		return true
	}
	afterKey := snapshot.Key(after)
	_, afterOwn := v.ext.byKey[afterKey]
	if !afterOwn {
		n := uint32(len(v.cat.Parts))
		t.eachFrom(v.cat.partsAfter(after), func(p uint32, s uint32) bool { return p < n && add(p, s) })
	}
	for _, seq := range v.ext.sorted {
		if more {
			break
		}
		if afterOwn && v.ext.parts[seq].key <= afterKey {
			continue
		}
		p := v.cat.extID(seq)
		if s := t.get(p); s != 0 && !add(p, s) {
			break
		}
	}
	return items, more, true
}

// TenantVehicles lists the tenant's own vehicles, by id.
func (v *View) TenantVehicles() []TenantVehicle { return v.ext.tenantVehicles() }

// TenantParts lists the tenant's own parts by sequence number (nil where one was deleted):
// the order a TenantState keeps, so their ids survive a restore.
func (v *View) TenantParts() []*TenantPart { return v.ext.tenantParts() }

// OwnParts lists the tenant's own parts in part-number order.
func (v *View) OwnParts() []TenantPart {
	out := make([]TenantPart, 0, len(v.ext.sorted))
	for _, seq := range v.ext.sorted {
		out = append(out, v.ext.parts[seq].TenantPart)
	}
	return out
}

// State is the tenant's whole state, as Restore takes it.
func (v *View) State() TenantState {
	st := TenantState{Catalog: v.Version(), Brands: v.Subscriptions(), Aliases: v.AllAliases(),
		Locations: v.Locations(), LocationStock: v.LocationStockState(), Grants: v.GrantsGiven(),
		Vehicles: v.TenantVehicles(), Parts: v.TenantParts()}
	v.EachItem(func(it ItemState) bool { st.Items = append(st.Items, it); return true })
	return st
}
