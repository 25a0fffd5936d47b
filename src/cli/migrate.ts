// `parley migrate`: apply pending migrations explicitly (serve and every command also do it).
import { Command } from 'commander'
import type { Flags } from '../config.ts'
import { withStore, withStoreOptions } from './common.ts'

export function migrateCommand(): Command {
  return withStoreOptions(new Command('migrate'))
    .description('Apply pending database migrations')
    .action(async (opts: Flags) => {
      await withStore(opts, async (_store, _config, applied) => {
        process.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'Up to date.\n')
      })
    })
}
