// Reading and writing whole items of the two listed tables: a page of rows for a ListPlan, the
// count of everything the plan's filters match, and batched upserts by id.
//
// countMatching is deliberately its own function: the route asks "how many?" and this module is the
// one place that decides how to answer: from a kept count brought up to date, or COUNT(*) when none
// serves (store/counts.ts, docs/performance.md).
import { sql, type CompiledQuery, type RawBuilder, type SqlBool } from 'kysely'
import { applyPage, pageShape, whereOf } from '../query/apply.ts'
import { countTerms, hasTwoRanges, mayImplyBounds, rangesOverTwo, withImpliedBounds, type Skews } from '../query/implied.ts'
import type { ListPlan } from '../query/plan.ts'
import type { Store } from './connect.ts'
import { compiledOnce, rowsPerStatement, type Shaped } from './compiled.ts'
import { CountAside } from './counts.ts'
import { toJson } from './dialect.ts'
import { ITEM_TEXT, type ItemText } from './item-text.ts'
import { liveKeyColumn, type KeyCheck } from './keys.ts'
import { asArrays, emptyRowSet, rowSetOf, type RowSet } from './row-set.ts'

export type ItemTable = 'dialogs' | 'messages'
type Row = Record<string, unknown>

/**
 * A page of rows. When its filters range over _id / created_at / updated_at and it sorts by
 * another of them, the bounds they imply on the sort column are added (query/implied.ts), read from
 * item_skews in the same snapshot as the page; when they imply that nothing matches, no query runs.
 */
export async function listPage(store: Store, table: ItemTable, plan: ListPlan): Promise<Row[]> {
  const walk = await walkOf(store, table, plan)
  return walk === null ? [] : ((await pageQuery(store, table, walk).execute()) as Row[])
}

/**
 * listPage's rows as arrays (row-set.ts): for pages and batches that go straight to JSON text. With
 * `text`, a row is its ITEM_TEXT, its id and its sort column instead of every column (store/item-text.ts).
 */
export async function listPageRows(store: Store, table: ItemTable, plan: ListPlan, text?: ItemText): Promise<RowSet> {
  const walk = await walkOf(store, table, plan)
  if (walk === null) return emptyRowSet
  return rowSetOf((await store.db.executeQuery(pageStatement(store, table, walk, text))).rows)
}

/** The page's SELECT of rows as arrays, compiled once per shape (store/compiled.ts) where its plan has one. */
export function pageStatement(store: Store, table: ItemTable, walk: ListPlan, text?: ItemText): CompiledQuery {
  const shape = pageShape(walk)
  if (shape === null) return asArrays(pageQuery(store, table, walk, text)).compile()
  return compiledOnce(store, `page ${table}|${text ? 'text' : 'rows'}|${shape.key}`, shape.values, (marks) => asArrays(pageQuery(store, table, shape.withValues(marks), text)))
}

const walkOf = async (store: Store, table: ItemTable, plan: ListPlan): Promise<ListPlan | null> =>
  mayImplyBounds(plan) ? withImpliedBounds(plan, await readSkews(store, table)) : plan

/**
 * The page's SELECT. On PostgreSQL a page of one dialog sorted by _id also gets the dialog's own
 * first and last ids as bounds (two look-ups in (chat_dialog_id, id), dialect boundsDialogPages):
 * the same rows, but PostgreSQL otherwise walked the primary key down from the newest message of
 * the app and filtered — 93 ms for a 200k-message dialog at 1M messages, 0.24 ms with the bounds.
 */
export function pageQuery(store: Store, table: ItemTable, plan: ListPlan, text?: ItemText) {
  const from = store.db.selectFrom(table)
  // The sort column for pageWithDerivedTotal's outer ORDER BY. Typed as selectAll's: the page's rows
  // are read as a RowSet either way, its columns named by the result.
  const columns = [...new Set(['id', plan.sort.column])] as Array<'id'>
  let qb = text ? (from.select([store.dialect.itemText(text).as(ITEM_TEXT), ...columns]) as unknown as ReturnType<typeof from.selectAll>) : from.selectAll()
  const dialog = plan.conditions.find((c) => c.test === 'cmp' && c.op === '=' && c.target.column === 'chat_dialog_id' && c.target.jsonKey === undefined)
  if (store.dialect.boundsDialogPages && table === 'messages' && plan.sort.column === 'id' && dialog?.test === 'cmp') {
    const ids = (fn: 'min' | 'max') => sql`(select ${sql.raw(fn)}(id) from messages where chat_dialog_id = ${dialog.value})`
    qb = qb.where(sql<SqlBool>`id >= ${ids('min')} and id <= ${ids('max')}`)
  }
  return applyPage(qb, plan, store.dialect)
}

/** Read once per read snapshot: a page and its count (or an export's batches) may each need them. */
const skewsOfSnapshot = new WeakMap<Store, Partial<Record<ItemTable, Promise<Skews | null>>>>()

function readSkews(store: Store, table: ItemTable): Promise<Skews | null> {
  if (!store.snapshot) return currentSkews(store, table)
  let read = skewsOfSnapshot.get(store)
  if (!read) skewsOfSnapshot.set(store, (read = {}))
  return (read[table] ??= currentSkews(store, table))
}

/** The table's skew bounds (migration 0004): the min/max over its rows, or null while it has none. */
export async function currentSkews(store: Store, table: ItemTable): Promise<Skews | null> {
  const query = compiledOnce(store, 'skews', [table], ([t]) => skewsQuery(store, t as ItemTable))
  const skews = skewsOf((await store.db.executeQuery<Row>(query)).rows[0]!)
  rememberSkews(store, table, skews)
  return skews
}

function skewsQuery(store: Store, table: ItemTable) {
  return store.db
    .selectFrom('item_skews')
    .select((eb) => [eb.fn.min('id_lo').as('skew_id_lo'), eb.fn.max('id_hi').as('skew_id_hi'), eb.fn.min('upd_lo').as('skew_upd_lo'), eb.fn.max('upd_hi').as('skew_upd_hi')])
    .where('tbl', '=', table)
}

function skewsOf(row: Record<string, unknown>): Skews | null {
  const { skew_id_lo: idLo, skew_id_hi: idHi, skew_upd_lo: updLo, skew_upd_hi: updHi } = row
  // No row yet: the table has never had one, and no bound is implied.
  if (idLo === null || idHi === null || updLo === null || updHi === null) return null
  return { idLo: Number(idLo), idHi: Number(idHi), updLo: Number(updLo), updHi: Number(updHi) }
}

const sameSkews = (a: Skews | null, b: Skews | null): boolean =>
  a === b || (a !== null && b !== null && a.idLo === b.idLo && a.idHi === b.idHi && a.updLo === b.updLo && a.updHi === b.updHi)

/** The skews this process read last, per table: pageWithDerivedTotal's guess. Keyed by counts, which a store's views share. */
const lastSkews = new WeakMap<Store['counts'], Partial<Record<ItemTable, Skews | null>>>()

function rememberSkews(store: Store, table: ItemTable, skews: Skews | null): void {
  let known = lastSkews.get(store.counts)
  if (!known) lastSkews.set(store.counts, (known = {}))
  known[table] = skews
}

/**
 * Runs `read` in one read-only transaction, so that everything it reads comes from one snapshot:
 * REPEATABLE READ on PostgreSQL; on SQLite any transaction reads one snapshot (Kysely sends a plain
 * BEGIN there and ignores the level).
 */
export async function readSnapshot<T>(store: Store, read: (snapshot: Store) => Promise<T>): Promise<T> {
  if (store.snapshot) return read(store)
  return store.db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute((trx) => read({ ...store, db: trx, snapshot: true }))
}

/** Rounds of counts read aside for one request: one per count term, ladder or count from scratch it needs. */
const ASIDE_ROUNDS = 4

/**
 * readSnapshot for a read that counts. On a store with a count thread, a count from scratch or a
 * ladder the read needs — a COUNT(*) over every matching row: a second or more at ten million
 * rows on SQLite, holding the one thread and every request with it — is not read in the snapshot:
 * the snapshot is left, the count thread reads it while this thread serves other requests, it is
 * kept, and the read runs again, deriving from it (exact, whatever was written in between:
 * store/counts.ts). Only for tables of the thread's minimum size; smaller ones count here.
 */
async function readCounting<T>(store: Store, table: ItemTable, read: (snapshot: Store) => Promise<T>): Promise<T> {
  const thread = store.countThread
  if (thread === null || store.snapshot || !(await thread.serves(table, () => tableRows(store, table)))) return readSnapshot(store, read)
  for (let round = 0; round < ASIDE_ROUNDS; round++) {
    try {
      return await readSnapshot({ ...store, countsAside: true }, read)
    } catch (error) {
      if (!(error instanceof CountAside)) throw error
      const got = await thread.read(error.table, error.conditions, error.withSkews, error.ladder, store.counts.ladderStep)
      if (got === null) break
      store.counts.adopt(got)
    }
  }
  return readSnapshot(store, read)
}

/** About how many rows `table` has (its largest rowid): one look at the end of its b-tree. */
async function tableRows(store: Store, table: ItemTable): Promise<number> {
  const { rows } = await sql<{ n: number | null }>`select max(rowid) as n from ${sql.table(table)}`.execute(store.db)
  return Number(rows[0]?.n ?? 0)
}

/**
 * The store's commit mark (dialect.commitMark): read as the first statement of a snapshot, and again
 * later, the two are equal only if nothing at all was committed in between. Null on stores without one.
 * With `key`, the statement also reads whether that admin key is live, where statements cost round
 * trips (as a page's own statement does, decision 0015): a prepared page then costs one round trip.
 */
export async function commitMark(store: Store, key?: KeyCheck): Promise<string | null> {
  const mark = store.dialect.commitMark
  if (mark === null) return null
  const keyHash = key !== undefined && store.dialect.statementsCostRoundTrips ? key.keyHash : undefined
  const query = compiledOnce(store, `commit mark|${keyHash === undefined ? '' : 'key'}`, keyHash === undefined ? [] : [keyHash], ([k]) => sql`select ${mark} as mark${keyLiveColumn(k)}`)
  const { rows } = await store.db.executeQuery<{ mark: string; key_live?: number }>(query)
  if (key !== undefined && rows[0]!.key_live !== undefined) key.live = Number(rows[0]!.key_live) > 0
  return String(rows[0]!.mark)
}

/**
 * A page and the exact count of everything its filters match, from one snapshot. With `key`, the
 * statement that reads the page also reads whether that admin key is live, when the page is one
 * statement (PostgreSQL, pageWithDerivedTotal); `key.live` stays unset otherwise.
 */
export async function listWithTotal(store: Store, table: ItemTable, plan: ListPlan, text?: ItemText, key?: KeyCheck): Promise<{ rows: RowSet; total: number; mark?: string }> {
  const together = store.dialect.statementsCostRoundTrips && !store.snapshot ? await pageWithDerivedTotal(store, table, plan, text, key) : null
  if (together) return together
  return readCounting(store, table, async (snapshot) => {
    const rows = await listPageRows(snapshot, table, plan, text)
    const total = await countMatching(snapshot, table, plan)
    return { rows, total }
  })
}

/**
 * The page and the statement deriving its total from a kept count, as one statement: one round trip
 * instead of four to six (BEGIN, skews, page, count, COMMIT), and one snapshot without a transaction.
 * A page whose walk takes implied bounds takes them from the skews this process read last, and the
 * statement reads the skews of its own snapshot beside the page: when they differ (a write widened
 * them since), its rows are not used. When the guess says nothing can match, the skews alone are
 * read. A count over two ranges that keptCount would split into terms derives each term in the same
 * statement. Null when that is not enough — no kept count is near one of them, rows changed since
 * it, or the skews moved — and the caller reads them in a transaction as usual.
 */
async function pageWithDerivedTotal(store: Store, table: ItemTable, plan: ListPlan, text?: ItemText, key?: KeyCheck): Promise<{ rows: RowSet; total: number; mark?: string } | null> {
  if (store.db.isTransaction) return null
  // The walk's implied bounds and the count's band both come from the skews; a count ranging over
  // two columns (rangesOverTwo) always has one besides the sort column, so this covers it too.
  const needsSkews = mayImplyBounds(plan)
  const guess = needsSkews ? lastSkews.get(store.counts)?.[table] : undefined
  if (guess === undefined && needsSkews) return null
  const walk = guess === undefined ? plan : withImpliedBounds(plan, guess)
  // Nothing can match by the guess. Exact if the skews, read in one snapshot, are still the guess:
  // they only ever widen, so every row of that snapshot lies within them (one round trip instead of
  // a transaction's four or more).
  if (walk === null) {
    const { rows } = await store.db.executeQuery<Row>(noPageStatement(store, table, key?.keyHash))
    if (key) key.live = Number(rows[0]!.key_live) > 0
    const read = skewsOf(rows[0]!)
    rememberSkews(store, table, read)
    return sameSkews(read, guess!) ? { rows: emptyRowSet, total: 0 } : null
  }
  // Split into terms as keptCount splits it (a two-range count with no count of its own kept).
  const split = hasTwoRanges(plan.conditions) && !store.counts.keeps(table, plan.conditions)
  const terms = split ? countTerms(plan.conditions, guess ?? null) : [{ sign: 1, conditions: plan.conditions }]
  if (terms === null || terms.length === 0) return null
  const derivations = []
  for (const term of terms) {
    const derivation = store.counts.derivation(store.dialect, table, term.conditions, guess ?? null)
    if (!derivation) return null
    derivations.push({ sign: term.sign, ...derivation })
  }
  const statement = togetherStatement(store, table, walk, derivations.map((x) => x.delta), guess !== undefined, text, key?.keyHash)
  const { rows } = await store.db.executeQuery<Row>(statement)
  if (key) key.live = Number(rows[0]!.key_live) > 0
  if (guess !== undefined) {
    const read = skewsOf(rows[0]!)
    if (!sameSkews(read, guess)) {
      rememberSkews(store, table, read)
      return null
    }
  }
  let total = 0
  let position: string | null = null
  for (const [i, x] of derivations.entries()) {
    const got = x.settle(derivations.length === 1 ? rows[0]! : (rows[0]![`d${i}`] as Row))
    if (got === null) return null
    total += x.sign * got.count
    position ??= got.position
  }
  // Kept as keptCount keeps a split's total: the same request asked again derives from it.
  if (split) store.counts.keepCount(table, plan.conditions, guess ?? null, total, position!)
  // On PostgreSQL a change position is the statement's snapshot: the store's commit mark too.
  const mark = position!
  if (text) return { rows: joinedRows(text, rows[0]!.page_text as string | null), total, mark }
  const pageColumns = Object.keys(rows[0]!).filter((k) => !DELTA_COLUMN.test(k))
  return { rows: rowSetOf(rows.filter((r) => r.id !== null), pageColumns), total, mark }
}

/** The skews alone, and whether the admin key is live: an empty page's one statement. Compiled once. */
function noPageStatement(store: Store, table: ItemTable, keyHash?: string): CompiledQuery {
  const values = keyHash === undefined ? [table] : [table, keyHash]
  return compiledOnce(store, `no page|${keyHash === undefined ? '' : 'key'}`, values, ([t, k]) => sql<Row>`select s.*${keyLiveColumn(k)} from (${skewsQuery(store, t as ItemTable)}) as s`)
}

/** The admin key's column (liveKeyColumn), confirmed in the page's statement rather than looked up first: a round trip less per page. */
const keyLiveColumn = (keyHash: unknown) => (keyHash === undefined ? sql`` : sql`, ${liveKeyColumn(keyHash as string)} as key_live`)

/**
 * pageWithDerivedTotal's statement: the walk's page, its total's delta statements, the skews (when
 * the walk took its bounds from them) and the admin key, compiled once per shape when the page and
 * every delta have one (store/compiled.ts): built and compiled on every request, PostgreSQL's pages
 * took 0.09 ms longer (median over the benchmark's shapes, docs/performance.md §6q).
 */
export function togetherStatement(
  store: Store,
  table: ItemTable,
  walk: ListPlan,
  deltas: ReadonlyArray<Shaped<RawBuilder<Row>>>,
  withSkews: boolean,
  text?: ItemText,
  keyHash?: string,
): CompiledQuery {
  const page = pageShape(walk)
  if (page === null || deltas.some((x) => x.key === null)) {
    return togetherQuery(store, table, walk, deltas.map((x) => x.direct()), withSkews ? skewsQuery(store, table) : null, text, keyHash).compile(store.db)
  }
  const key = `together ${table}|${text ? 'text' : 'rows'}|${keyHash === undefined ? '' : 'key'}|${withSkews ? 'skews' : ''}|${page.key}|${deltas.map((x) => x.key).join('|')}`
  const values = [...page.values, ...deltas.flatMap((x) => x.values), ...(withSkews ? [table] : []), ...(keyHash === undefined ? [] : [keyHash])]
  return compiledOnce(store, key, values, (marks) => {
    let at = page.values.length
    const marked = page.withValues(marks.slice(0, at))
    const built = deltas.map((x) => x.build(marks.slice(at, (at += x.values.length))))
    const skews = withSkews ? skewsQuery(store, marks[at++] as ItemTable) : null
    return togetherQuery(store, table, marked, built, skews, text, keyHash === undefined ? undefined : marks[at])
  })
}

/** togetherStatement's query as Kysely builds it. `skews`: null when the walk did not need them. */
function togetherQuery(
  store: Store,
  table: ItemTable,
  walk: ListPlan,
  deltas: ReadonlyArray<RawBuilder<Row>>,
  skews: ReturnType<typeof skewsQuery> | null,
  text: ItemText | undefined,
  keyHash: unknown,
): RawBuilder<Row> {
  const page = pageQuery(store, table, walk, text)
  const { column, direction } = walk.sort
  const order = sql.raw(direction)
  const pageOrder = sql`${sql.ref(`p.${column}`)} ${order}, p.id ${order}`
  const deltaName = (i: number) => sql.ref(`d${i}`)
  const parts = sql`with ${sql.join(deltas.map((x, i) => sql`${deltaName(i)} as (${x})`))}, s as (${skews ?? sql`select 1 as skews_unused`}), p as (${page})`
  // One delta's columns as they are; several deltas' (a split count's terms) as one JSON object each.
  const deltaColumns = deltas.length === 1 ? sql`d0.*` : sql.join(deltas.map((_, i) => sql`row_to_json(${deltaName(i)}) as ${deltaName(i)}`))
  const fromDeltas = sql.join(
    deltas.map((_, i) => deltaName(i)),
    sql` cross join `,
  )
  const keyLive = keyLiveColumn(keyHash)
  // With item text, the page comes back as one value: its rows' texts joined in page order. One
  // row to decode instead of a hundred, each repeating the delta's and the skews' columns, which
  // was most of what the driver spent on a page (pg's row parsing and its garbage).
  return text
    ? sql<Row>`${parts}
    select ${deltaColumns}, s.*${keyLive}, (select string_agg(p.${sql.ref(ITEM_TEXT)}, ',' order by ${pageOrder}) from p) as page_text from ${fromDeltas} cross join s`
    : sql<Row>`${parts}
    select p.*, ${deltaColumns}, s.*${keyLive} from ${fromDeltas} cross join s left join p on true
    order by ${pageOrder}`
}

/**
 * The rows of a page whose item texts the database joined with commas (null: no rows). Only
 * PostgreSQL's join path reads it, and there a row's item text is the array of its values under
 * text.columns (store/item-text.ts), so the rows are those arrays, which the codec's writer takes.
 */
function joinedRows(text: ItemText, joined: string | null): RowSet {
  return joined === null ? { columns: text.columns, values: [] } : { columns: text.columns, values: JSON.parse(`[${joined}]`) as unknown[][] }
}

/** The delta statements' columns (store/counts.ts deriveQueries; d0, d1, … for a split's), the skews' and the key's, none of them a column of the listed tables. */
const DELTA_COLUMN = /^(position|usable|changed|piece\d+|d\d+|skews_unused|skew_id_lo|skew_id_hi|skew_upd_lo|skew_upd_hi|key_live)$/

/** The exact number of rows the plan's conditions match. */
export async function countMatching(store: Store, table: ItemTable, plan: Pick<ListPlan, 'conditions'>): Promise<number> {
  if (store.snapshot) return keptCount(store, table, plan.conditions)
  // Inside a caller's (writing) transaction a kept count could take in uncommitted rows: count plainly.
  if (store.db.isTransaction) return countNow(store, table, plan)
  return readCounting(store, table, (snapshot) => keptCount(snapshot, table, plan.conditions))
}

/**
 * From kept counts, in a read snapshot. Ranges on two of _id / created_at / updated_at with no kept
 * count to derive from (the documented loop has one: its filter stays while its cursor moves) are
 * first split into counts over one range each where the skews allow (query/implied.ts countTerms).
 */
async function keptCount(snapshot: Store, table: ItemTable, conditions: ListPlan['conditions']): Promise<number> {
  // Ranges over two of the columns: the skews bound the count's walks (store/counts.ts CountQuery.band).
  const skews = rangesOverTwo(conditions) ? await readSkews(snapshot, table) : null
  const split = hasTwoRanges(conditions) && !snapshot.counts.keeps(table, conditions)
  const terms = split ? countTerms(conditions, skews) : null
  if (terms === null) return snapshot.counts.count(snapshot, table, conditions, skews)
  let total = 0
  let position: string | null = null
  for (const term of terms) {
    const got = await snapshot.counts.countAt(snapshot, table, term.conditions, skews)
    total += term.sign * got.count
    // Every term is read in this one snapshot: any term's position is the total's.
    position ??= got.position
  }
  if (position !== null) snapshot.counts.keepCount(table, conditions, skews, total, position)
  return total
}

/** COUNT(*), nothing kept. */
export async function countNow(store: Store, table: ItemTable, plan: Pick<ListPlan, 'conditions'>): Promise<number> {
  const { n } = await store.db
    .selectFrom(table)
    .select(sql<number>`count(*)`.as('n'))
    // Only the conditions: a count has no order, so every index may serve it.
    .where(whereOf({ conditions: plan.conditions }, store.dialect))
    .executeTakeFirstOrThrow()
  return Number(n)
}

/**
 * Inserts or replaces rows by id, in one transaction. Every row must carry every column (the item
 * codec makes them so), so that a replaced row keeps nothing of the old one.
 */
export async function upsertRows(store: Store, table: ItemTable, rows: Row[]): Promise<void> {
  if (rows.length === 0) return
  await store.db.transaction().execute((trx) => upsertIn({ ...store, db: trx }, table, rows))
}

/**
 * Updates one row by id with the given columns, JSON ones given as values and encoded here (those
 * named in `jsonColumns`); returns the new row.
 */
export async function writeRow(store: Store, table: ItemTable, id: string, fields: Record<string, unknown>, jsonColumns: ReadonlySet<string>): Promise<Row> {
  const set: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(fields)) set[k] = jsonColumns.has(k) ? toJson(v) : v
  // The two tables' builders are of different types; the columns are the caller's to name.
  return (await store.db
    .updateTable(table as 'messages')
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    .set(set as any)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()) as Row
}

/**
 * upsertIn inside the caller's transaction. Sorted by id: one lock order for every writer, so
 * that concurrent imports of overlapping sets never deadlock.
 */
export async function upsertIn(trx: Store, table: ItemTable, rows: Row[]): Promise<void> {
  for (const query of upsertStatements(trx, table, rows)) await trx.db.executeQuery(query)
}

/**
 * The statements that upsert `rows`, ready to run in any transaction of the store: an import builds
 * them before its turn to write comes (services/import-blocks.ts). Each is compiled once per shape
 * — row count and columns — and run with the rows' values (store/compiled.ts; Kysely would
 * rebuild and recompile a 500-row insert for every chunk: a third of an import's time).
 */
export function upsertStatements(store: Store, table: ItemTable, rows: Row[]): CompiledQuery[] {
  if (rows.length === 0) return []
  const columns = Object.keys(rows[0]!)
  const ordered = [...rows].sort((a, b) => ((a.id as string) < (b.id as string) ? -1 : 1))
  const statements: CompiledQuery[] = []
  for (let i = 0; i < ordered.length; ) {
    const chunk = ordered.slice(i, i + rowsPerStatement(ordered.length - i))
    i += chunk.length
    const values: unknown[] = []
    for (const row of chunk) for (const c of columns) values.push(row[c])
    statements.push(
      compiledOnce(store, `upsert ${table}|${chunk.length}|${columns.join(',')}`, values, (marks) =>
        store.db
          .insertInto(table)
          // eslint-disable-next-line @typescript-eslint/no-explicit-any
          .values(chunk.map((_, r) => Object.fromEntries(columns.map((c, j) => [c, marks[r * columns.length + j]]))) as any)
          .onConflict((oc) => oc.column('id').doUpdateSet(Object.fromEntries(columns.filter((c) => c !== 'id').map((c) => [c, sql.ref(`excluded.${c}`)])))),
      ),
    )
  }
  return statements
}
