// Where parley's own files are. Modules run from src/ (through tsx) or from the build in dist/server/
// (bin/parley.js picks), one directory deeper, so paths are taken from the package root rather than
// relative to the module asking.
import { existsSync } from 'node:fs'
import { dirname, extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

function packageRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir
    if (dirname(dir) === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`)
  }
}

/** The directory holding package.json. */
export const PACKAGE_ROOT = packageRoot()

/** '.ts' from the sources, '.js' from the build: what a sibling module to be loaded by URL ends in. */
export const MODULE_EXTENSION = extname(fileURLToPath(import.meta.url))

/** Entry of every worker thread of parley's (worker-thread.js registers tsx when the module is TypeScript). */
export const WORKER_ENTRY = new URL('./worker-thread.js', import.meta.url)

/** The URL of the module `name` beside `base` (an import.meta.url), as the sources or the build name it. */
export const siblingModule = (base: string, name: string): string => new URL(`./${name}${MODULE_EXTENSION}`, base).href
