// The static, ordered list of migrations. A migration never changes once released: add a new one.
import type { Kysely, Migration, MigrationProvider } from 'kysely'
import type { Dialect } from '../dialect.ts'
import * as init from './0001-init.ts'
import * as changeLog from './0002-change-log.ts'
import * as chat from './0003-chat.ts'
import * as itemSkews from './0004-item-skews.ts'
import * as adminAudit from './0005-admin-audit.ts'
import * as bulkLoadGuard from './0006-bulk-load-guard.ts'
import * as connectionTriggers from './0007-connection-triggers.ts'

type Step = { up(db: Kysely<unknown>, d: Dialect): Promise<void> }

const STEPS: Record<string, Step> = {
  '0001-init': init,
  '0002-change-log': changeLog,
  '0003-chat': chat,
  '0004-item-skews': itemSkews,
  '0005-admin-audit': adminAudit,
  '0006-bulk-load-guard': bulkLoadGuard,
  '0007-connection-triggers': connectionTriggers,
}

/** Every migration's name, in order. */
export const MIGRATION_NAMES: readonly string[] = Object.keys(STEPS)

export function migrationProvider(dialect: Dialect): MigrationProvider {
  return {
    async getMigrations(): Promise<Record<string, Migration>> {
      return Object.fromEntries(
        Object.entries(STEPS).map(([name, step]) => [name, { up: (db: Kysely<unknown>) => step.up(db, dialect) }]),
      )
    },
  }
}
