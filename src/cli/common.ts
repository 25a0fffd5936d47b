// What every command shares: the store options, and opening a migrated store from them.
import { Option, type Command } from 'commander'
import { loadConfig, type Config, type Flags } from '../config.ts'
import { createStore, migrate, type Store } from '../store/connect.ts'

export function withStoreOptions(command: Command): Command {
  return command
    .addOption(new Option('--db <file>', 'SQLite database file (env PARLEY_DB)').default(undefined, './data/parley.db'))
    .addOption(new Option('--database-url <url>', 'PostgreSQL URL instead of SQLite (env PARLEY_DATABASE_URL)'))
}

/** Runs `work` with a migrated store (and the migrations this run applied), closing it afterwards whatever happens. */
export async function withStore<T>(flags: Flags, work: (store: Store, config: Config, applied: string[]) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env, flags)
  const store = createStore(config.store)
  try {
    const applied = await migrate(store)
    return await work(store, config, applied)
  } finally {
    await store.close()
  }
}
