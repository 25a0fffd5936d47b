// Headless Chromium for the console's end-to-end tests (test/ui) and its screenshots (scripts/screenshots.ts): Debian's /usr/bin/chromium
// driven by playwright-core (no browser download), with a fresh profile that is removed on close.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type BrowserContext } from 'playwright-core'
import { build } from 'vite'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const CHROMIUM = '/usr/bin/chromium'
export const hasChromium = existsSync(CHROMIUM)

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export interface Browser {
  readonly context: BrowserContext
  close(): Promise<void>
}

export async function openBrowser(viewport = { width: 1400, height: 900 }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'parley-chromium-'))
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport, acceptDownloads: true })
  return {
    context,
    async close() {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}

/** The console built from ui/ as it is now into a directory of its own (a stale dist/ui is never tested). */
export async function buildConsole(): Promise<{ dir: string; remove(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-ui-build-'))
  await build({ configFile: join(ROOT, 'ui/vite.config.ts'), build: { outDir: dir, emptyOutDir: true, sourcemap: false }, logLevel: 'silent' })
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}
