// The admin-access audit log: one row per request to an /admin/ route (services/admin-audit.ts),
// written in batches. Read newest first by time (`parley audit`), and pruned by time: hence the
// index on `at`. The id only orders rows of the same millisecond.
import type { Kysely } from 'kysely'
import type { Dialect } from '../dialect.ts'

export async function up(db: Kysely<unknown>, d: Dialect): Promise<void> {
  await db.schema
    .createTable('admin_audit')
    // bigserial on PostgreSQL: a busy admin API can outgrow serial's 2^31 over the years.
    .addColumn('id', d.name === 'postgres' ? 'bigserial' : 'integer', (c) => c.primaryKey())
    .addColumn('at', d.types.bigint, (c) => c.notNull())
    .addColumn('key_id', d.types.bigint)
    .addColumn('key_name', 'text')
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('route', 'text', (c) => c.notNull())
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('duration_us', d.types.bigint, (c) => c.notNull())
    .addColumn('remote', 'text')
    .execute()
  await db.schema.createIndex('admin_audit_at').on('admin_audit').columns(['at', 'id']).execute()
}
