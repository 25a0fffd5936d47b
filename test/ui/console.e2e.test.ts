// The admin console end to end: the real app over a seeded store, driven in headless Chromium.
// Sign in, the dialogs table and its total, sorting, keyset and skip paging both ways, filters by
// date range and sender, the detail panes, rename and mute with confirmation (checked through the
// API), the NDJSON export download, and the chart's bars against counts made here.
import { readFileSync } from 'node:fs'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importValues } from '../../src/services/import.ts'
import type { Item } from '../../src/services/items.ts'
import { startServer, type TestServer } from '../helpers/app.ts'
import { dialogItem, iso, messageItem, objectId } from '../helpers/factories.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'
import { buildConsole, CHROMIUM, hasChromium, openBrowser, type Browser } from '../../scripts/chromium.ts'

// CI (.ci/run) installs Chromium and sets PARLEY_REQUIRE_CHROMIUM: there a missing browser fails, never skips.
if (!hasChromium && process.env.PARLEY_REQUIRE_CHROMIUM) throw new Error(`${CHROMIUM} is missing and PARLEY_REQUIRE_CHROMIUM is set`)
if (!hasChromium) console.warn(`console e2e skipped: ${CHROMIUM} is missing (apt-get install -y chromium); CI installs it`)

const DAY = 86_400
const HOUR = 3600
/** 2022-02-17T00:00:00Z */
const B = 1645056000
const DIALOGS = 45

// _id order is not created_at order (created times are a permutation), so the sorts differ.
const dialogs: Item[] = Array.from({ length: DIALOGS }, (_, i) => {
  const created = B + ((i * 17) % DIALOGS) * 3 * HOUR
  return dialogItem(B + i * 60, {
    created_at: iso(created),
    updated_at: iso(created + (i % 5) * HOUR),
    type: (i % 4) + 1,
    name: `Room ${i}`,
    occupants_ids: [100 + i, 200 + i, 300],
    admins_ids: [100 + i],
    silent_ids: i % 6 === 0 ? [200 + i] : [],
    deleted_ids: i % 9 === 0 ? [300] : [],
  })
})
const talkative = dialogs.filter((d) => d.type === 2).slice(0, 3)
const messages: Item[] = []
for (let i = 0; i < 150; i++) {
  const t = B + Math.floor((i * 7919) % (6 * DAY))
  messages.push(
    messageItem(talkative[i % 3]!._id as string, t, {
      _id: objectId(t),
      sender_id: 11 + (i % 4),
      read_ids: [11 + (i % 4), 40 + (i % 3)],
      delivered_ids: [11 + (i % 4), 40 + (i % 3), 50],
      deleted_for_ids: i % 10 === 0 ? [50] : [],
      attachments: i % 3 === 0 ? [{ type: 'video', id: `v${i}` }] : [],
      ...(i % 5 === 0 ? { mission: 'take over the planet' } : {}),
    }),
  )
}

const seconds = (t: unknown) => Date.parse(t as string) / 1000
const byIdDesc = (a: Item, b: Item) => ((a._id as string) < (b._id as string) ? 1 : -1)
const byCreated = (dir: 1 | -1) => (a: Item, b: Item) => dir * (seconds(a.created_at) - seconds(b.created_at)) || dir * -byIdDesc(a, b)
const ids = (items: Item[]) => items.map((i) => i._id as string)

const rowIds = (page: Page) => page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.id))
const total = (page: Page) => page.getByTestId('total').textContent()
const field = (page: Page, name: string) => page.locator(`.detail dd[data-field="${name}"]`).textContent()

describe.skipIf(!hasChromium)('admin console in Chromium', () => {
  let browser: Browser
  let built: { dir: string; remove(): void }
  beforeAll(async () => {
    built = await buildConsole()
    browser = await openBrowser()
  })
  afterAll(async () => {
    await browser?.close()
    built?.remove()
  })

  for (const kind of STORES) {
    describe(kind.name, () => {
      let db: TestStore
      let server: TestServer
      let page: Page
      const pageErrors: string[] = []
      beforeAll(async () => {
        db = await kind.open()
        await importValues(db.store, 'dialogs', dialogs)
        await importValues(db.store, 'messages', messages)
        server = await startServer(db.store, {}, { uiDir: built.dir })
        page = await browser.context.newPage()
        // Anything the page logs as an error — a CSP violation, an uncaught exception — fails the run.
        page.on('console', (m) => m.type() === 'error' && !/status of 401/.test(m.text()) && pageErrors.push(m.text()))
        page.on('pageerror', (e) => pageErrors.push(e.message))
        await page.goto(`${server.url}/admin/ui`)
      })
      afterAll(async () => {
        await page?.close()
        await server?.close()
        await db?.drop()
      })

      it('signs in with a key, which it keeps in session storage only', async () => {
        await page.getByLabel('Administration API key').fill('wrong-key')
        await page.getByRole('button', { name: 'Sign in' }).click()
        await expect.poll(() => page.getByRole('alert').textContent()).toContain('not accepted')
        await page.getByLabel('Administration API key').fill(server.key)
        await page.getByRole('button', { name: 'Sign in' }).click()
        await expect.poll(() => total(page)).toBe(`1–20 of ${DIALOGS}`)
        expect(await page.evaluate(() => [sessionStorage.getItem('parley.adminKey'), localStorage.length])).toEqual([server.key, 0])
      })

      it('shows the newest dialogs and pages forward and back by _id', async () => {
        const expected = ids([...dialogs].sort(byIdDesc))
        await expect.poll(() => rowIds(page)).toEqual(expected.slice(0, 20))
        const next = page.getByRole('button', { name: 'Next →' })
        await next.click()
        await expect.poll(() => rowIds(page)).toEqual(expected.slice(20, 40))
        expect(await total(page)).toBe(`21–40 of ${DIALOGS}`)
        await next.click()
        await expect.poll(() => rowIds(page)).toEqual(expected.slice(40))
        expect(await total(page)).toBe(`41–45 of ${DIALOGS}`)
        expect(await next.isDisabled()).toBe(true)
        await page.getByRole('button', { name: '← Previous' }).click()
        await expect.poll(() => rowIds(page)).toEqual(expected.slice(20, 40))
        await page.getByRole('button', { name: '← Previous' }).click()
        await expect.poll(() => rowIds(page)).toEqual(expected.slice(0, 20))
      })

      it('sorts by created_at both ways and pages that order', async () => {
        const header = page.getByRole('button', { name: /^Created/ })
        await header.click()
        const desc = ids([...dialogs].sort(byCreated(-1)))
        await expect.poll(() => rowIds(page)).toEqual(desc.slice(0, 20))
        await header.click()
        const asc = ids([...dialogs].sort(byCreated(1)))
        await expect.poll(() => rowIds(page)).toEqual(asc.slice(0, 20))
        await page.getByRole('button', { name: 'Next →' }).click()
        await expect.poll(() => rowIds(page)).toEqual(asc.slice(20, 40))
        expect(await total(page)).toBe(`21–40 of ${DIALOGS}`)
      })

      it('filters dialogs by type and a created date range picked as days', async () => {
        await page.locator('form.filters [name="type"]').selectOption('2')
        await page.locator('form.filters [name="created_at_from"]').fill('2022-02-18')
        await page.locator('form.filters [name="created_at_to"]').fill('2022-02-20')
        await page.getByRole('button', { name: 'Apply filters' }).click()
        const match = dialogs.filter((d) => d.type === 2 && seconds(d.created_at) >= B + DAY && seconds(d.created_at) < B + 4 * DAY)
        expect(match.length).toBeGreaterThan(3)
        await expect.poll(() => total(page)).toBe(`1–${match.length} of ${match.length}`)
        // Still sorted by created_at ascending, from the first page.
        expect(await rowIds(page)).toEqual(ids(match.sort(byCreated(1))))
        await page.getByRole('button', { name: 'Clear' }).click()
        await expect.poll(() => total(page)).toBe(`1–20 of ${DIALOGS}`)
      })

      it('shows a dialog in the detail pane, and renames it only once confirmed', async () => {
        const dialog = dialogs.find((d) => (d.silent_ids as number[]).length > 0 && (d.deleted_ids as number[]).length > 0)!
        await page.locator('form.filters [name="name"]').fill(dialog.name as string)
        await page.getByRole('button', { name: 'Apply filters' }).click()
        await expect.poll(() => rowIds(page)).toEqual([dialog._id])
        await page.locator(`tbody tr[data-id="${dialog._id}"]`).click()
        expect(await field(page, 'occupants')).toBe((dialog.occupants_ids as number[]).join(', '))
        expect(await field(page, 'admins')).toBe((dialog.admins_ids as number[]).join(', '))
        expect(await field(page, 'muted by')).toBe((dialog.silent_ids as number[]).join(', '))
        expect(await field(page, 'deleted by')).toBe('300')
        expect(await field(page, 'pinned')).toBe('—')

        const nameOf = async () => (await server.get(`/admin/chat/list?_id=${dialog._id}`)).json.items[0].name
        await page.locator('[name="new-name"]').fill('Renamed room')
        await page.getByRole('button', { name: 'Rename' }).click()
        expect(await page.getByRole('alertdialog').textContent()).toContain(`Rename dialog "${dialog.name}" to "Renamed room"?`)
        await page.getByRole('button', { name: 'Cancel' }).click()
        expect(await nameOf()).toBe(dialog.name)
        await page.getByRole('button', { name: 'Rename' }).click()
        await page.getByRole('button', { name: 'Confirm' }).click()
        await expect.poll(nameOf).toBe('Renamed room')
        await expect.poll(() => page.locator('.detail h2').textContent()).toBe('Dialog Renamed room')
      })

      it('mutes the dialog for a user once confirmed', async () => {
        const dialog = dialogs.find((d) => (d.silent_ids as number[]).length > 0 && (d.deleted_ids as number[]).length > 0)!
        await page.locator('[name="mute-user"]').fill('300')
        await page.getByRole('button', { name: 'Mute for user', exact: true }).click()
        expect(await page.getByRole('alertdialog').textContent()).toContain('for user 300?')
        await page.getByRole('button', { name: 'Confirm' }).click()
        const silent = async () => (await server.get(`/admin/chat/list?_id=${dialog._id}`)).json.items[0].silent_ids
        await expect.poll(silent).toEqual([...(dialog.silent_ids as number[]), 300])
        await expect.poll(() => field(page, 'muted by')).toBe([...(dialog.silent_ids as number[]), 300].join(', '))
      })

      it("pins a message, opens the dialog's messages, filters them by sender and dates, and charts them per day", async () => {
        const dialog = talkative[0]!
        await page.locator('form.filters [name="name"]').fill(dialog.name as string)
        await page.getByRole('button', { name: 'Apply filters' }).click()
        await page.locator(`tbody tr[data-id="${dialog._id}"]`).click()
        const ofDialog = messages.filter((m) => m.chat_dialog_id === dialog._id)
        // Pin one of its messages, confirmed, and see it through the API and in the pane.
        const pin = ofDialog[5]!._id as string
        await page.locator('[name="pin-message"]').fill(pin)
        await page.getByRole('button', { name: 'Pin', exact: true }).click()
        expect(await page.getByRole('alertdialog').textContent()).toContain(`Pin message ${pin}`)
        await page.getByRole('button', { name: 'Confirm' }).click()
        const pinned = async () => (await server.get(`/admin/chat/list?_id=${dialog._id}`)).json.items[0].pinned_messages_ids
        await expect.poll(pinned).toEqual([pin])
        await expect.poll(() => field(page, 'pinned')).toBe(pin)
        await page.getByRole('button', { name: "Show this dialog's messages" }).click()
        await expect.poll(() => total(page)).toBe(`1–20 of ${ofDialog.length}`)

        await page.locator('form.filters [name="sender"]').fill('12')
        await page.locator('form.filters [name="created_at_from"]').fill('2022-02-18')
        await page.locator('form.filters [name="created_at_to"]').fill('2022-02-21')
        await page.getByRole('button', { name: 'Apply filters' }).click()
        const match = ofDialog.filter((m) => m.sender_id === 12 && seconds(m.created_at) >= B + DAY && seconds(m.created_at) < B + 5 * DAY)
        await expect.poll(() => total(page)).toBe(`1–${Math.min(20, match.length)} of ${match.length}`)
        expect(await rowIds(page)).toEqual(ids([...match].sort(byIdDesc)).slice(0, 20))

        const days = new Map<string, number>()
        const first = Math.min(...match.map((m) => Math.floor(seconds(m.created_at) / DAY)))
        const last = Math.max(...match.map((m) => Math.floor(seconds(m.created_at) / DAY)))
        for (let d = first; d <= last; d++) days.set(iso(d * DAY).slice(0, 10), 0)
        for (const m of match) days.set((m.created_at as string).slice(0, 10), days.get((m.created_at as string).slice(0, 10))! + 1)
        const bars = () => page.locator('svg rect.bar').evaluateAll((rects) => rects.map((r) => [r.getAttribute('data-day'), Number(r.getAttribute('data-count'))]))
        await expect.poll(bars).toEqual([...days.entries()])
        // Taller bars for busier days.
        const heights = await page.locator('svg rect.bar').evaluateAll((rects) => rects.map((r) => Number(r.getAttribute('height'))))
        const counts = [...days.values()]
        expect(heights[counts.indexOf(Math.max(...counts))]).toBe(Math.max(...heights))
      })

      it('downloads the NDJSON export of the current filters', async () => {
        const dialog = talkative[0]!
        const match = messages.filter(
          (m) => m.chat_dialog_id === dialog._id && m.sender_id === 12 && seconds(m.created_at) >= B + DAY && seconds(m.created_at) < B + 5 * DAY,
        )
        const download = page.waitForEvent('download')
        await page.getByRole('button', { name: 'Export NDJSON' }).click()
        const file = await (await download).path()
        const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Item)
        expect(ids(lines)).toEqual(ids([...match].sort(byIdDesc)))
        const byId = new Map(messages.map((m) => [m._id, m]))
        for (const line of lines) expect(line).toStrictEqual(byId.get(line._id))
        await expect.poll(() => page.getByRole('status').textContent()).toBe(`Exported ${match.length} messages`)
      })

      it('shows a message in the detail pane: reads, deliveries, deletions, attachments, custom parameters', async () => {
        const message = messages.find((m) => m.mission && (m.deleted_for_ids as number[]).length > 0 && (m.attachments as Item[]).length > 0)!
        await page.getByRole('button', { name: 'Clear' }).click()
        await page.locator('form.filters [name="id_after"]').fill(objectIdBefore(message._id as string))
        await page.locator('form.filters [name="id_before"]').fill(objectIdAfter(message._id as string))
        await page.getByRole('button', { name: 'Apply filters' }).click()
        await expect.poll(() => rowIds(page)).toEqual([message._id])
        await page.locator(`tbody tr[data-id="${message._id}"]`).click()
        expect(await field(page, 'read by')).toBe((message.read_ids as number[]).join(', '))
        expect(await field(page, 'delivered to')).toBe((message.delivered_ids as number[]).join(', '))
        expect(await field(page, 'deleted for')).toBe('50')
        expect(await field(page, 'attachments')).toBe(`video · id: ${(message.attachments as Item[])[0]!.id}`)
        expect(await field(page, 'custom parameters')).toBe('mission: take over the planet')
      })

      it('ran under the CSP without a violation or a script error', () => {
        expect(pageErrors).toEqual([])
      })
    })
  }
})

/** The ObjectIds just below and above one, for an _id[gt] / _id[lt] range holding only it. */
function objectIdBefore(id: string): string {
  return (BigInt(`0x${id}`) - 1n).toString(16).padStart(24, '0')
}
function objectIdAfter(id: string): string {
  return (BigInt(`0x${id}`) + 1n).toString(16).padStart(24, '0')
}
