// `parley migrate`: apply pending migrations explicitly (serve and every command also do it).
import { Command } from 'commander'
import type { Flags } from '../config.ts'
import { createStore, migrate } from '../store/connect.ts'
import { loadConfig } from '../config.ts'
import { withStoreOptions } from './common.ts'

export function migrateCommand(): Command {
  return withStoreOptions(new Command('migrate'))
    .description('Apply pending database migrations')
    .action(async (opts: Flags) => {
      const store = createStore(loadConfig(process.env, opts).store)
      try {
        const applied = await migrate(store)
        process.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'Up to date.\n')
      } finally {
        await store.close()
      }
    })
}
