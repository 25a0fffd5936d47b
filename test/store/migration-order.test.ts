// 0004 was released before 0003 (the chat tables): a database migrated with 0001, 0002 and 0004
// only must take 0003 afterwards instead of refusing to start.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Migrator, type Kysely } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import { createStore, migrate } from '../../src/store/connect.ts'
import * as init from '../../src/store/migrations/0001-init.ts'
import * as changeLog from '../../src/store/migrations/0002-change-log.ts'
import * as itemSkews from '../../src/store/migrations/0004-item-skews.ts'
import { MIGRATION_NAMES } from '../../src/store/migrations/index.ts'

describe('migration order', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-order-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('applies 0003-chat to a database that already has 0004', async () => {
    const store = createStore({ ...loadConfig({}).store, dbFile: join(dir, 'p.db') })
    try {
      const released = { '0001-init': init, '0002-change-log': changeLog, '0004-item-skews': itemSkews }
      const before = new Migrator({
        db: store.db,
        provider: {
          getMigrations: async () =>
            Object.fromEntries(Object.entries(released).map(([name, step]) => [name, { up: (db: Kysely<unknown>) => step.up(db, store.dialect) }])),
        },
      })
      expect((await before.migrateToLatest()).error).toBeUndefined()
      // and whatever came after 0004 (0005-admin-audit onwards), in order
      expect(await migrate(store)).toEqual(['0003-chat', ...MIGRATION_NAMES.filter((n) => n > '0004-item-skews')])
      expect(await migrate(store)).toEqual([])
      await store.db.selectFrom('dialog_users').selectAll().execute()
    } finally {
      await store.close()
    }
  })
})
