// `npm run bench:explain -- --database-url URL [--messages 1m] [--keep-database]`: loads the bench data
// set into a fresh PostgreSQL database and prints, as markdown, EXPLAIN (ANALYZE, BUFFERS) of each
// admin list shape's page query and count, and the table and index sizes. docs/scaling.md quotes it.
import { parseArgs } from 'node:util'
import qs from 'qs'
import { CompiledQuery, sql } from 'kysely'
import { loadConfig } from '../src/config.ts'
import { applyPage, whereOf } from '../src/query/apply.ts'
import { ADMIN_DIALOGS, ADMIN_MESSAGES } from '../src/query/catalogue.ts'
import { parseListQuery } from '../src/query/parse.ts'
import { planList } from '../src/query/plan.ts'
import { createStore } from '../src/store/connect.ts'
import { createPostgresDatabase } from '../test/helpers/stores.ts'
import { parseSize, postgresDataset } from './dataset.ts'

const { values: opts } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    messages: { type: 'string', default: '1m' },
    seed: { type: 'string', default: '1' },
    'keep-database': { type: 'boolean', default: false },
  },
})
const base = opts['database-url'] ?? process.env.PARLEY_BENCH_DATABASE_URL
if (!base) throw new Error('--database-url (or PARLEY_BENCH_DATABASE_URL) is required')
const out = (s: string) => process.stdout.write(`${s}\n`)

const db = await createPostgresDatabase(base)
try {
  const { figures } = await postgresDataset(db.url, parseSize(opts.messages), Number(opts.seed))
  process.stderr.write(`imported ${figures.items} items in ${figures.seconds.toFixed(1)} s\n`)
  const store = createStore(loadConfig({ PARLEY_STATEMENT_TIMEOUT: '0' }, { databaseUrl: db.url }).store)
  const one = async <T>(q: string): Promise<T> => (await store.db.executeQuery<T>(CompiledQuery.raw(q))).rows[0] as T
  const { n } = await one<{ n: number }>('select count(*)::int as n from messages')
  const { median } = await one<{ median: number }>(`select (updated_at / 1000)::bigint as median from messages order by updated_at offset ${Math.floor(n / 2)} limit 1`)
  const { mid } = await one<{ mid: string }>(`select id as mid from messages order by id offset ${Math.floor(n / 2)} limit 1`)
  const { dialog, size } = await one<{ dialog: string; size: number }>('select chat_dialog_id as dialog, count(*)::int as size from messages group by 1 order by 2 desc limit 1')

  out(`Data set: ${n} messages (seed ${opts.seed}); largest dialog ${dialog} with ${size} messages; PostgreSQL ${(await one<{ v: string }>("select current_setting('server_version') as v")).v}, after VACUUM ANALYZE.\n`)
  const sizes = await store.db.executeQuery<Record<string, string>>(
    CompiledQuery.raw(`select relname as table, pg_size_pretty(pg_relation_size(oid)) as heap, pg_size_pretty(pg_indexes_size(oid)) as indexes,
      pg_size_pretty(pg_total_relation_size(oid)) as total from pg_class where relname in ('messages', 'dialogs') order by relname`),
  )
  out('| table | heap | indexes | total |\n|---|---|---|---|')
  for (const r of sizes.rows) out(`| ${r.table} | ${r.heap} | ${r.indexes} | ${r.total} |`)

  const shapes: Array<['messages' | 'dialogs', string]> = [
    ['messages', 'limit=100'],
    ['messages', `limit=100&_id[lt]=${mid}`],
    ['messages', `limit=100&updated_at[gt]=${median}`],
    ['messages', `limit=100&updated_at[gt]=${median}&sort_asc=updated_at`],
    ['messages', `limit=100&chat_dialog_id=${dialog}`],
    ['messages', `limit=100&chat_dialog_id=${dialog}&updated_at[gt]=${median}&sort_desc=created_at`],
    ['messages', `limit=100&_id[lt]=${mid}&updated_at[gt]=${median}&sort_desc=updated_at`],
    ['dialogs', `limit=100&updated_at[gt]=${median}`],
  ]
  for (const [table, params] of shapes) {
    const catalogue = table === 'messages' ? ADMIN_MESSAGES : ADMIN_DIALOGS
    const plan = planList(parseListQuery(qs.parse(params), catalogue), catalogue)
    const page = applyPage(store.db.selectFrom(table).selectAll(), plan, store.dialect).compile()
    const count = store.db.selectFrom(table).select(sql`count(*)`.as('n')).where(whereOf({ conditions: plan.conditions }, store.dialect)).compile()
    out(`\n#### \`GET /admin/chat/${table === 'messages' ? 'messages/' : ''}list?${params}\`\n`)
    for (const [what, q] of [['page', page], ['total_entries (COUNT)', count]] as const) {
      const r = await store.db.executeQuery<Record<string, string>>(CompiledQuery.raw(`explain (analyze, buffers) ${q.sql}`, [...q.parameters]))
      out(`${what}:\n\n\`\`\`\n${r.rows.map((x) => x['QUERY PLAN']).join('\n')}\n\`\`\``)
    }
  }
  await store.close()
} finally {
  if (opts['keep-database']) process.stderr.write(`kept ${db.url}\n`)
  else await db.drop()
}
