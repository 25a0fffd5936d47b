// Whether dist/server (npm run build, which npm ci runs) is a build of the sources checked out: its
// entry is newer than every file and directory under src/. A directory's time covers a file deleted
// from it; git sets the time of every file it writes. Stating ~150 files takes a few milliseconds.
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

export const BUILT_ENTRY = 'dist/server/main.js'

/** Latest modification time (ms) of `dir` and of everything under it. */
function newestUnder(dir) {
  let newest = statSync(dir).mtimeMs
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestUnder(path) : statSync(path).mtimeMs)
  }
  return newest
}

/** True when `root`/dist/server was built from `root`/src as it is now. */
export function buildIsCurrent(root) {
  let built
  try {
    built = statSync(join(root, BUILT_ENTRY)).mtimeMs
  } catch {
    return false
  }
  return newestUnder(join(root, 'src')) <= built
}
