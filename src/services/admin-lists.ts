// The Administration API's two lists. Listing has no side effects: unlike the user-facing Retrieve
// Messages, nothing is marked read or delivered.
import { ADMIN_DIALOGS, ADMIN_MESSAGES, type Catalogue } from '../query/catalogue.ts'
import { parseListQuery } from '../query/parse.ts'
import { planList, type ListPlan } from '../query/plan.ts'
import type { Store } from '../store/connect.ts'
import { countMatching, listPageRows, listWithTotal, type ItemTable } from '../store/items.ts'
import type { KeyCheck } from '../store/keys.ts'
import { dialogCodec } from './dialog-item.ts'
import type { ItemCodec } from './items.ts'
import { messageCodec } from './message-item.ts'
import type { ComputePage, NextPages, PageAnswer } from './next-page.ts'

/** A page as JSON text ({"total_entries", "skip", "limit", "items"}), or the answer to count=1. */
export type ListAnswer = { page: string } | { items: { count: number } }

/** `key`: an admin key for the page's statement to confirm (http/auth.ts); left unconfirmed by any other path. */
async function list(store: Store, table: ItemTable, catalogue: Catalogue, codec: ItemCodec, params: Record<string, unknown>, nextPages: NextPages | null, key?: KeyCheck): Promise<ListAnswer> {
  const plan = planList(parseListQuery(params, catalogue), catalogue)
  if (plan.count) return { items: { count: await countMatching(store, table, plan) } }
  // The key only for this request's own page: a page prepared ahead (next-page.ts) is checked with its mark.
  const compute: ComputePage = (s, p, ahead) => pageAnswer(s, table, codec, p, ahead?.total, ahead ? undefined : key)
  const answer = nextPages ? await nextPages.answer(store, table, plan, compute, key) : await compute(store, plan)
  return { page: answer.page }
}

/** `known`: the page's total in `store`'s snapshot, when the caller knows it (services/next-page.ts). */
async function pageAnswer(store: Store, table: ItemTable, codec: ItemCodec, plan: ListPlan, known?: number, key?: KeyCheck): Promise<PageAnswer> {
  // The page and its total from one snapshot: the total counts exactly what the page was cut from.
  const { rows, total, mark } = known === undefined ? await listWithTotal(store, table, plan, codec.itemText, key) : { rows: await listPageRows(store, table, plan, codec.itemText), total: known, mark: undefined }
  // Written as text straight from the rows: the items are never built as objects (decision 0006).
  const write = codec.textWriter(rows.columns, store.dialect)
  const items = rows.values.map(write).join(',')
  const last = rows.values.at(-1)
  return {
    page: `{"total_entries":${total},"skip":${plan.skip},"limit":${plan.limit},"items":[${items}]}`,
    total,
    lastId: last === undefined ? null : String(last[rows.columns.indexOf('id')]),
    full: rows.values.length === plan.limit,
    ...(mark === undefined ? {} : { mark }),
  }
}

/** The lists; with `nextPages`, a loop's next page is prepared while its client reads this one (services/next-page.ts). */
export const listAdminDialogs = (store: Store, params: Record<string, unknown>, nextPages: NextPages | null = null, key?: KeyCheck) =>
  list(store, 'dialogs', ADMIN_DIALOGS, dialogCodec, params, nextPages, key)
export const listAdminMessages = (store: Store, params: Record<string, unknown>, nextPages: NextPages | null = null, key?: KeyCheck) =>
  list(store, 'messages', ADMIN_MESSAGES, messageCodec, params, nextPages, key)
