// The real `parley` command as a child process: `node bin/parley.js …` from the repo root, spawned
// without a shell (arguments are passed as they are). PARLEY_* variables of the test run are not
// inherited, so a child only sees the store and settings its test gives it.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const BIN = 'bin/parley.js'

export interface RunOptions {
  /** Written to the child's stdin, which is then closed (closed at once when absent). */
  input?: string
  /** Added to the environment (PARLEY_* of the test run are dropped first). */
  env?: Record<string, string>
}

export interface RunResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PARLEY_')) env[k] = v
  return { ...env, ...extra }
}

function spawnParley(args: string[], env?: Record<string, string>): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: childEnv(env), stdio: 'pipe' })
}

/** Runs `parley args…` to completion. */
export function runParley(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const child = spawnParley(args, options.env)
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s))
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s))
  child.stdin.end(options.input ?? '')
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
}

/** A long-running `parley` (serve): its output so far, waiting for a line, and stopping it. */
export interface ParleyProcess {
  readonly pid: number
  stdout(): string
  stderr(): string
  /** Resolves with the first match of `pattern` in stdout (already seen or still to come). */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>
  /** Resolves when the process has exited (it is not signalled). */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Sends `signal` (SIGTERM by default) and resolves when the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  readonly running: boolean
}

export function startParley(args: string[], options: Omit<RunOptions, 'input'> = {}): ParleyProcess {
  const child = spawnParley(args, options.env)
  child.stdin.end()
  let stdout = ''
  let stderr = ''
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null
  const waiters = new Set<() => void>()
  const wake = () => {
    for (const w of [...waiters]) w()
  }
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    stdout += s
    wake()
  })
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s))
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      exit = { code, signal }
      resolve(exit)
      wake()
    })
  })

  return {
    pid: child.pid ?? -1,
    stdout: () => stdout,
    stderr: () => stderr,
    get running() {
      return exit === null
    },
    waitFor(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = stdout.match(pattern)
          if (m) {
            waiters.delete(check)
            resolve(m)
          } else if (exit) {
            waiters.delete(check)
            reject(new Error(`parley exited (${JSON.stringify(exit)}) before printing ${pattern}\nstdout:\n${stdout}\nstderr:\n${stderr}`))
          }
        }
        waiters.add(check)
        check()
      })
    },
    exited: () => done,
    stop(signal = 'SIGTERM') {
      if (exit === null) child.kill(signal)
      return done
    },
  }
}

/** A TCP port that was free a moment ago (bound to 0 by the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** The `parley listening on URL` line of serve's JSON log. */
export const LISTENING = /"msg":"parley listening on (http:\/\/[^"]+)"/

/** The Administration API key a first start prints, on a line of its own. */
export const KEY_LINE = /^ {2}([A-Za-z0-9_-]{43})$/m
