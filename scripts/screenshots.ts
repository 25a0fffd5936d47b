// `npm run screenshots`: the console over the demo data set, signed in, photographed in its main
// views into docs/screenshots/ (shown in the README). Deterministic data: demoData, seed 1.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { demoData } from '../src/services/demo-data.ts'
import { adminUpdateDialog } from '../src/services/dialogs.ts'
import { importValues } from '../src/services/import.ts'
import { createAdminKey } from '../src/services/keys.ts'
import { createStore, migrate } from '../src/store/connect.ts'
import { buildConsole, hasChromium, openBrowser } from './chromium.ts'

const OUT = fileURLToPath(new URL('../docs/screenshots/', import.meta.url))
if (!hasChromium) throw new Error('screenshots need /usr/bin/chromium (apt-get install -y chromium)')

const dir = mkdtempSync(join(tmpdir(), 'parley-shots-'))
const config = loadConfig({}, { db: join(dir, 'demo.db'), port: 0 })
const store = createStore(config.store)
const built = await buildConsole()
const browser = await openBrowser({ width: 1440, height: 900 })
try {
  await migrate(store)
  // 2000 dialogs ten minutes apart: two weeks of messages, for a chart with a shape.
  const data = demoData({ dialogs: 2000, messagesPerDialog: 12 })
  const messages = [...data.messages()]
  await importValues(store, 'dialogs', data.dialogs)
  await importValues(store, 'messages', messages)
  // A pinned message, so the detail pane shows every field filled.
  const shown = data.dialogs.find((d) => d.type === 2 && (d.silent_ids as number[]).length > 0 && messages.some((m) => m.chat_dialog_id === d._id))!
  const pinned = messages.find((m) => m.chat_dialog_id === shown._id)!
  await adminUpdateDialog(store, shown._id as string, { push_all: { pinned_messages_ids: [pinned._id as string] } })

  const app = await buildApp({ config, store, logger: false, uiDir: built.dir })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  const { key } = await createAdminKey(store, 'screenshots')
  const page = await browser.context.newPage()
  mkdirSync(OUT, { recursive: true })
  const shot = (name: string) => page.screenshot({ path: join(OUT, `${name}.png`) })

  await page.goto(`${url}/admin/ui`)
  await page.getByLabel('Administration API key').fill(key)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.locator('tbody tr').first().waitFor()
  await shot('dialogs')

  await page.locator('form.filters [name="name"]').fill(shown.name as string)
  await page.getByRole('button', { name: 'Apply filters' }).click()
  await page.locator(`tbody tr[data-id="${shown._id}"]`).click()
  await page.locator('.detail').waitFor()
  await shot('dialog-detail')

  await page.getByRole('button', { name: 'Close detail' }).click()
  await page.getByRole('button', { name: 'Messages', exact: true }).click()
  await page.locator('svg rect.bar').first().waitFor()
  await page.locator('tbody tr').first().waitFor()
  await shot('messages')

  const message = messages.find((m) => m.mission && (m.attachments as unknown[]).length > 0)!
  await page.locator('form.filters [name="dialog"]').fill(message.chat_dialog_id as string)
  await page.locator('form.filters [name="sender"]').fill(String(message.sender_id))
  await page.getByRole('button', { name: 'Apply filters' }).click()
  await page.locator(`tbody tr[data-id="${message._id}"]`).click()
  await page.locator('.detail').waitFor()
  await shot('message-detail')

  await app.close()
  process.stdout.write(`screenshots written to ${OUT}\n`)
} finally {
  await browser.close()
  built.remove()
  await store.close()
  rmSync(dir, { recursive: true, force: true })
}
