// One transaction as a Store view, so that services compose repository calls atomically without
// touching Kysely themselves.
import type { Store } from './connect.ts'

export async function withTransaction<T>(store: Store, work: (tx: Store) => Promise<T>): Promise<T> {
  if (store.db.isTransaction) return work(store)
  return store.db.transaction().execute((trx) => work({ ...store, db: trx }))
}
