// The servers under test, each a child process so that it and the measuring client are scheduled
// apart: `parley serve`, and the bare node:http floor (http-floor.ts); and the export loop's client,
// a child process of its own (loop-client.ts).
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { promisify } from 'node:util'
import { ROOT } from './dataset.ts'
import { peakRssMb, resetPeakRss, type LoopFigures } from './measure.ts'

const execFileAsync = promisify(execFile)

export interface Server {
  readonly port: number
  readonly pid: number
  /** The child's peak RSS so far (VmHWM), MB. */
  peakRssMb(): number
  /** Starts a new peak: peakRssMb() then reads the peak since this call. */
  resetPeakRss(): void
  /** SIGTERM, then SIGKILL after 10 s. Safe to call twice. */
  stop(): Promise<void>
}

/** The environment without the caller's PARLEY_* settings, plus `extra`. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PARLEY_')) env[k] = v
  return { ...env, ...extra }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

function handle(child: ChildProcess, port: number): Server {
  const exited = once(child, 'exit')
  return {
    port,
    pid: child.pid!,
    peakRssMb: () => peakRssMb(child.pid!),
    resetPeakRss: () => resetPeakRss(child.pid!),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** `parley keys create` on the store; the key is the last line of stdout. */
export async function createKey(storeArgs: string[]): Promise<string> {
  const { stdout } = await execFileAsync(process.execPath, ['bin/parley.js', 'keys', 'create', '--name', 'bench', ...storeArgs], { cwd: ROOT, env: childEnv() })
  const key = stdout.trim().split('\n').at(-1)
  if (!key) throw new Error('parley keys create printed no key')
  return key
}

/**
 * `parley serve` on the store, at PARLEY_LOG_LEVEL=warn; resolves once /health answers 200. `env`:
 * PARLEY_* settings of this server (the bench's own environment's are not passed on).
 */
export async function startParley(storeArgs: string[], env: Record<string, string> = {}): Promise<Server> {
  const port = await freePort()
  const child = spawn(process.execPath, ['bin/parley.js', 'serve', ...storeArgs, '--host', '127.0.0.1', '--port', String(port)], {
    cwd: ROOT,
    // Rate limiting off: the benchmarks measure parley, not the limiter.
    env: childEnv({ PARLEY_LOG_LEVEL: 'warn', PARLEY_RATE_LIMIT_ADMIN: '0', PARLEY_RATE_LIMIT_SESSION: '0', ...env }),
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    stderr = (stderr + s).slice(-4000)
    process.stderr.write(`  [parley] ${s}`)
  })
  const server = handle(child, port)
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`parley serve exited (${child.exitCode}): ${stderr}`)
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false)
    if (ok) return server
    await new Promise((r) => setTimeout(r, 100))
  }
  await server.stop()
  throw new Error(`parley serve did not become healthy in 60 s: ${stderr}`)
}

/** The bare node:http server answering every request with `body`. */
export async function startHttpFloor(body: string): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/http-floor.ts'], { cwd: ROOT, env: childEnv(), stdio: ['pipe', 'pipe', 'inherit'] })
  child.stdin!.end(body)
  child.stdout!.setEncoding('utf8')
  const [line] = (await once(child.stdout!, 'data')) as [string]
  const port = Number(line.trim())
  if (!Number.isInteger(port)) throw new Error(`http-floor printed ${JSON.stringify(line)}`)
  return handle(child, port)
}

/** The documented export loop, run by bench/loop-client.ts in a fresh Node process. */
export async function exportLoopInChild(port: number, key: string, filter: string, capSeconds: number): Promise<LoopFigures> {
  const args = ['--import', 'tsx', 'bench/loop-client.ts', String(port), filter, String(capSeconds)]
  const { stdout } = await execFileAsync(process.execPath, args, { cwd: ROOT, env: childEnv({ PARLEY_BENCH_KEY: key }), maxBuffer: 16 * 2 ** 20 })
  return JSON.parse(stdout) as LoopFigures
}
