// The bench's crash durability phase: test/helpers/crash.ts (the same run and checks as
// test/scale/crash.test.ts) at a larger scale, on a fresh database per store. Acknowledged writes
// and the ones found after the restarts must be equal, with no problem listed.
import { crashRun, type CrashReport } from '../test/helpers/crash.ts'

export type DurabilityResult = CrashReport & { store: string; writes: number }

export async function durability(store: string, storeArgs: string[], writes: number, kills: number, seed: number, log: (line: string) => void): Promise<DurabilityResult> {
  const report = await crashRun({ storeArgs, seed, writes, kills, log })
  return { store, writes, ...report }
}

export function durabilityLine(r: DurabilityResult): string {
  const verdict = r.problems.length === 0 && r.present === r.acknowledged ? 'ok' : `FAILED: ${r.problems.length} problems, e.g. ${r.problems[0] ?? 'present ≠ acknowledged'}`
  return `durability ${r.store}: ${r.kills} kills, ${r.acknowledged} acknowledged writes, ${r.present} present, ${r.unanswered} unanswered (${r.unansweredSendsFound} of ${r.unansweredSends} unanswered sends found whole) in ${r.seconds.toFixed(0)} s: ${verdict}`
}

export function durabilityMarkdown(results: DurabilityResult[]): string {
  if (results.length === 0) return ''
  const out = ['', '#### Crash durability (`parley serve` killed with SIGKILL mid-stream, restarted on the same database)', '']
  out.push(
    'Six chat clients send, edit, delete and mark read at once; each kill lands while requests are in flight. After each restart every acknowledged (2xx) write must be found, unanswered ones whole or absent, and every dialog\'s last message and member\'s unread count equal to a recount (test/helpers/crash.ts).',
    '',
    '| store | kills | acknowledged writes | present | unanswered | unanswered sends found whole | database check | problems |',
    '|---|---:|---:|---:|---:|---:|---|---:|',
  )
  for (const r of results) {
    const check = r.integrity.at(-1)?.replace(/^after round \d+: /, '') ?? ''
    out.push(`| ${r.store} | ${r.kills} | ${r.acknowledged} | ${r.present}${r.present === r.acknowledged ? '' : ' ⚠'} | ${r.unanswered} | ${r.unansweredSendsFound} / ${r.unansweredSends} | ${check} | ${r.problems.length}${r.problems.length ? ' ⚠' : ''} |`)
  }
  return out.join('\n') + '\n'
}
