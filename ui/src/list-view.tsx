// One list of the Administration API as a table: the filter form, sortable headers, keyset (or skip)
// paging forward and back, total_entries, the NDJSON export of the filters, and for messages the
// chart of messages per day. Rows open the detail pane.
import { useEffect, useState } from 'preact/hooks'
import { ApiError, exportBlob, listPage, messagesPerDay, type DayCount, type Item, type Page, type Resource } from './api.ts'
import { DayChart } from './chart.tsx'
import { FIELDS, filterParams, type FormValues, type Kind } from './filters.ts'
import { DIALOG_TYPES, idList, time, unixTime } from './format.ts'
import { firstPage, nextPage, pageParams, PAGE_SIZE, previousPage, type Paging, type SortField } from './paging.ts'

interface Column {
  readonly title: string
  readonly sort?: SortField
  cell(item: Item): string
  readonly class?: string
}

const COLUMNS: Record<Resource, Column[]> = {
  dialogs: [
    { title: '_id', sort: '_id', cell: (d) => d._id, class: 'mono' },
    { title: 'Type', cell: (d) => `${d.type} ${DIALOG_TYPES[d.type as number] ?? ''}` },
    { title: 'Name', cell: (d) => d.name ?? '—' },
    { title: 'Occupants', cell: (d) => idList(d.occupants_ids) },
    { title: 'Last message', cell: (d) => (d.last_message ? `${unixTime(d.last_message_date_sent)} · ${d.last_message}` : '—'), class: 'wide' },
    { title: 'Created', sort: 'created_at', cell: (d) => time(d.created_at) },
    { title: 'Updated', sort: 'updated_at', cell: (d) => time(d.updated_at) },
  ],
  messages: [
    { title: '_id', sort: '_id', cell: (m) => m._id, class: 'mono' },
    { title: 'Dialog', cell: (m) => m.chat_dialog_id, class: 'mono' },
    { title: 'Sender', cell: (m) => String(m.sender_id ?? '—') },
    { title: 'Message', cell: (m) => m.message ?? '', class: 'wide' },
    { title: 'Attachments', cell: (m) => (Array.isArray(m.attachments) ? m.attachments.map((a: Item) => a.type).join(', ') : '') },
    { title: 'Created', sort: 'created_at', cell: (m) => time(m.created_at) },
    { title: 'Updated', sort: 'updated_at', cell: (m) => time(m.updated_at) },
  ],
}

export interface ListViewProps {
  apiKey: string
  resource: Resource
  values: FormValues
  onValues(values: FormValues): void
  selected: string | null
  onSelect(item: Item): void
  /** Bumped after a change, to read the page again. */
  version: number
  onError(error: unknown): void
}

export function ListView({ apiKey, resource, values, onValues, selected, onSelect, version, onError }: ListViewProps) {
  const filters = filterParams(resource, values)
  const filterKey = JSON.stringify(filters)
  // Paging belongs to the filters it was made for: new filters start from their first page.
  const [paged, setPaged] = useState<{ key: string; paging: Paging }>({ key: filterKey, paging: firstPage({ field: '_id', direction: 'desc' }) })
  const paging = paged.key === filterKey ? paged.paging : firstPage(paged.paging.sort)
  const pagingKey = JSON.stringify(paging)
  const setPaging = (next: (p: Paging) => Paging) => setPaged({ key: filterKey, paging: next(paging) })
  const [page, setPage] = useState<Page | null>(null)
  const [total, setTotal] = useState<number | null>(null)
  const [days, setDays] = useState<DayCount[] | null>(null)
  const [chartError, setChartError] = useState<string | null>(null)
  const [exported, setExported] = useState<string | null>(null)

  useEffect(() => {
    let live = true
    listPage(apiKey, resource, pageParams(filters, paging))
      .then((answer) => {
        if (!live) return
        setPage(answer)
        // A keyset page's total_entries counts from its cursor on; the filters' total is the first page's.
        if (paging.index === 0 || paging.sort.field !== '_id') setTotal(answer.total_entries)
      })
      .catch((error: unknown) => live && onError(error))
    return () => {
      live = false
    }
  }, [apiKey, resource, filterKey, pagingKey, version])

  useEffect(() => {
    if (resource !== 'messages') return
    let live = true
    setChartError(null)
    messagesPerDay(apiKey, filters)
      .then((answer) => live && setDays(answer))
      .catch((error: unknown) => {
        if (!live) return
        if (error instanceof ApiError && error.status === 400) {
          setDays(null)
          setChartError(error.message)
        } else onError(error)
      })
    return () => {
      live = false
    }
  }, [apiKey, resource, filterKey, version])

  const sortBy = (field: SortField) =>
    setPaging((p) => firstPage({ field, direction: p.sort.field === field && p.sort.direction === 'desc' ? 'asc' : 'desc' }))

  async function download() {
    setExported('Exporting…')
    try {
      // The export is in _id order only: ascending when the table is, newest first otherwise.
      const params = paging.sort.field === '_id' && paging.sort.direction === 'asc' ? { ...filters, sort_asc: '_id' } : filters
      const { blob, total: count } = await exportBlob(apiKey, resource, params)
      const url = URL.createObjectURL(blob)
      const link = document.createElement('a')
      link.href = url
      link.download = `parley-${resource}-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.ndjson`
      document.body.append(link)
      link.click()
      link.remove()
      setTimeout(() => URL.revokeObjectURL(url), 60_000)
      setExported(`Exported ${count} ${resource}`)
    } catch (error) {
      setExported(null)
      onError(error)
    }
  }

  const items = page?.items ?? []
  const from = paging.index * PAGE_SIZE
  const hasNext = items.length === PAGE_SIZE && (total === null || from + items.length < total)
  const columns = COLUMNS[resource]

  return (
    <section class="list" aria-label={resource}>
      <FilterForm
        resource={resource}
        values={values}
        onApply={(next) => {
          // Applied filters start from their first page, even filters applied before (Clear).
          setPaged({ key: JSON.stringify(filterParams(resource, next)), paging: firstPage(paging.sort) })
          onValues(next)
        }}
      />
      {resource === 'messages' && (chartError ? <p class="warning">Chart: {chartError}</p> : days && <DayChart days={days} />)}
      <div class="toolbar">
        <span class="total" data-testid="total">
          {total === null ? '…' : items.length === 0 ? `0 of ${total}` : `${from + 1}–${from + items.length} of ${total}`}
        </span>
        <span class="sort-note">
          sorted by {paging.sort.field} {paging.sort.direction}
          {paging.sort.field === '_id' ? ' · keyset paging' : ' · skip paging'}
        </span>
        <button type="button" onClick={() => setPaging(previousPage)} disabled={paging.index === 0}>
          ← Previous
        </button>
        <button type="button" onClick={() => setPaging((p) => nextPage(p, items[items.length - 1]!._id))} disabled={!hasNext}>
          Next →
        </button>
        <button type="button" onClick={() => void download()}>
          Export NDJSON
        </button>
        {exported && <span class="muted" role="status">{exported}</span>}
      </div>
      <table>
        <thead>
          <tr>
            {columns.map((c) => (
              <th class={c.class} aria-sort={c.sort === paging.sort.field ? (paging.sort.direction === 'asc' ? 'ascending' : 'descending') : undefined}>
                {c.sort ? (
                  <button type="button" class="link" onClick={() => sortBy(c.sort!)}>
                    {c.title}
                    {c.sort === paging.sort.field ? (paging.sort.direction === 'asc' ? ' ▲' : ' ▼') : ''}
                  </button>
                ) : (
                  c.title
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <tr key={item._id} data-id={item._id} class={item._id === selected ? 'selected' : undefined} onClick={() => onSelect(item)}>
              {columns.map((c) => (
                <td class={c.class}>{c.cell(item)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

const inputType = (kind: Kind): string => (kind === 'date-from' || kind === 'date-to' ? 'date' : kind === 'int' ? 'number' : 'text')

function FilterForm({ resource, values, onApply }: { resource: Resource; values: FormValues; onApply(values: FormValues): void }) {
  const [draft, setDraft] = useState<FormValues>(values)
  useEffect(() => setDraft(values), [values])
  const set = (name: string, value: string) => setDraft((d) => ({ ...d, [name]: value }))
  return (
    <form
      class="filters"
      onSubmit={(e) => {
        e.preventDefault()
        onApply(draft)
      }}
    >
      {FIELDS[resource].map((f) => (
        <label>
          <span>{f.label}</span>
          {f.kind === 'select' ? (
            <select name={f.name} value={draft[f.name] ?? ''} onChange={(e) => set(f.name, e.currentTarget.value)}>
              {f.options!.map(([value, text]) => (
                <option value={value}>{text}</option>
              ))}
            </select>
          ) : (
            <input
              name={f.name}
              type={inputType(f.kind) as 'text'}
              placeholder={f.placeholder}
              value={draft[f.name] ?? ''}
              onInput={(e) => set(f.name, e.currentTarget.value)}
            />
          )}
        </label>
      ))}
      <div class="actions">
        <button type="submit" class="primary">
          Apply filters
        </button>
        <button type="button" onClick={() => onApply({})}>
          Clear
        </button>
      </div>
    </form>
  )
}
