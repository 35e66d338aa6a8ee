// Package tenant is the durable tenant layer: tenants, their API keys, brand subscriptions,
// catalog items (activation, price, stock) and public config, kept in one bbolt file
// (DIR/tenants.db).
//
// Durability: every write method is one bbolt Update transaction, committed with fsync
// before the method returns. Once a write method has returned nil, the change survives a
// crash (kill -9, power loss) of the process.
//
// The store keeps three things in memory, rebuilt from the file by Open: the tenant records
// (with their config), the subscriptions per tenant, and a map from the SHA-256 hash of each
// live API key to its tenant, so that Authenticate costs one hash and one map look-up. Keys
// themselves are never stored; they are returned once, by Create and RotateKeys.
//
// A Store is safe for concurrent use. mu guards the in-memory maps; it is taken for writing
// only after the bbolt transaction has committed, so readers never see an uncommitted state.
//
// Catalog items carry a three-state activation: explicitly active, explicitly inactive, or
// unset (an item that only carries a price or stock). The store records it as given;
// engine.Item.Active has the same three states, and the engine resolves an unset one
// against the brand subscription at query time, so a subscription change never rewrites
// items.
//
//	st, err := tenant.Open(dir)
//	t, keys, err := st.Create(tenant.Tenant{Name: "Moto Nord", Currency: "EUR", Language: "de"})
//	id, kind, ok := st.Authenticate(keys.Secret)
package tenant
