// `parley keys create|list|revoke`: Administration API keys. A new key is printed once, as the
// last line of stdout, so scripts can take it with `tail -n 1`.
import { Command } from 'commander'
import type { Flags } from '../config.ts'
import { createAdminKey, listAdminKeys, revokeAdminKey } from '../services/keys.ts'
import { withStore, withStoreOptions } from './common.ts'

export function keysCommand(): Command {
  const keys = new Command('keys').description('Manage Administration API keys (CB-Administration-API-Key)')

  keys.addCommand(
    withStoreOptions(new Command('create'))
      .description('Create a key and print it (it is never shown again)')
      .option('--name <name>', 'a label for the key', 'default')
      .action(async (opts: Flags & { name: string }) => {
        await withStore(opts, async (store) => {
          const { key, info } = await createAdminKey(store, opts.name)
          process.stderr.write(`Created key ${info.id} "${info.name}". Store it now: it is not shown again.\n`)
          process.stdout.write(`${key}\n`)
        })
      }),
  )

  keys.addCommand(
    withStoreOptions(new Command('list'))
      .description('List keys (name, created, last used, revoked); never the keys themselves')
      .option('--json', 'print JSON')
      .action(async (opts: Flags & { json?: boolean }) => {
        await withStore(opts, async (store) => {
          const list = await listAdminKeys(store)
          if (opts.json) {
            process.stdout.write(`${JSON.stringify(list, null, 2)}\n`)
            return
          }
          const rows = [['ID', 'NAME', 'CREATED', 'LAST USED', 'REVOKED'], ...list.map((k) => [String(k.id), k.name, k.created_at, k.last_used_at ?? '-', k.revoked_at ?? '-'])]
          const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
          for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}\n`)
        })
      }),
  )

  keys.addCommand(
    withStoreOptions(new Command('revoke'))
      .description('Revoke a key by id or name; requests with it get 401 at once')
      .argument('<id-or-name>')
      .action(async (idOrName: string, opts: Flags) => {
        await withStore(opts, async (store) => {
          const revoked = await revokeAdminKey(store, idOrName)
          if (revoked.length === 0) {
            process.stderr.write(`No active key with id or name "${idOrName}".\n`)
            process.exitCode = 1
            return
          }
          for (const k of revoked) process.stdout.write(`Revoked key ${k.id} "${k.name}".\n`)
        })
      }),
  )
  return keys
}
