// Package tenant is the durable tenant layer: tenants and their API keys and public config,
// and every change to their overlay of the catalog (subscriptions, activations, prices,
// stock, SKU aliases), kept as one ordered journal of batches plus a checkpoint per tenant
// (FORMAT.md).
//
// Write path. A write (Store.Write, Create, RotateKeys, SetConfig) is one batch. An overlay
// change is resolved and derived by the engine without being published, then encoded as
// one journal record (canonical part numbers, set-style operations), appended and fsynced
// — concurrent writes of any tenants share the fsync (group commit) — and only then
// published in the engine and acknowledged. So an acknowledged write survives a crash and
// a power loss, and what a storefront sees is always what the journal holds. Writes of one
// tenant are applied in journal order (the engine's per-tenant lock); writes of different
// tenants never wait on each other beyond the shared fsync. If anything fails after a
// record is durable, the tenant is re-derived from disk before the failure propagates.
//
// Recovery. Open reads each tenant's checkpoint head (its record: keys authenticate at once)
// and replays the journal's record changes after them; Attach, once the engine has a
// catalog, restores every tenant's overlay from its checkpoint (by part id when the catalog
// is the one the checkpoint was written against, else by part number) and replays the
// overlay records after it. Replaying a record onto a state that already holds it changes
// nothing, which lets checkpoints be taken without stopping writers.
//
// Checkpoints. A background round (every Options.CheckpointInterval, or once
// Options.CheckpointBytes were journaled) rewrites the checkpoint of every tenant changed
// since its last one, then truncates the journal below the oldest record some tenant
// still needs. Close runs a last round, so a clean restart replays nothing.
//
// Keys are never stored, only their SHA-256; Create and RotateKeys return them once.
//
// A Store is safe for concurrent use. mu guards the tenant records and the key map;
// meta.mu serialises writes of one tenant's record.
//
//	st, err := tenant.Open(dir, tenant.DefaultOptions())
//	t, keys, err := st.Create(tenant.Tenant{Name: "Moto Nord", Currency: "EUR", Language: "de"})
//	err = st.Attach(eng) // eng has its catalog loaded
//	out, seq, err := st.Write(t.ID, engine.Change{Subscribe: []string{"EBC"}})
package tenant
