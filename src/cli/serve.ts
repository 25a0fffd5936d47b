// `parley serve`: migrate, make sure an admin key exists (printing a new one once), optionally load
// the demo data, then listen. SIGINT/SIGTERM make /ready answer 503, drain in-flight requests (the
// admin audit log's last batch is written then) and close the store.
import { setFlagsFromString } from 'node:v8'
import { Command } from 'commander'
import { buildApp } from '../app.ts'
import { loadConfig, type Flags } from '../config.ts'
import { DEMO_PASSWORD, loadChatDemo } from '../services/demo-chat.ts'
import { createAdminKey, hasActiveKey } from '../services/keys.ts'
import { ensureAuthKey, storedAuthKey } from '../services/sessions.ts'
import { createStore, migrate, type Store } from '../store/connect.ts'
import { countMatching } from '../store/items.ts'
import { withStoreOptions } from './common.ts'

interface ServeFlags extends Flags {
  demo?: boolean
}

export function serveCommand(): Command {
  return withStoreOptions(new Command('serve'))
    .description('Run the HTTP server')
    .option('--port <port>', 'port to listen on (env PARLEY_PORT)', undefined)
    .option('--host <host>', 'address to listen on (env PARLEY_HOST)', undefined)
    .option('--log-level <level>', 'pino log level (env PARLEY_LOG_LEVEL)', undefined)
    .option('--auth-key <key>', 'the application auth key for sign-up and sessions (env PARLEY_AUTH_KEY); default: generated once and stored')
    .option('--demo', 'fill an empty database with a realistic demo data set')
    .action(serve)
}

async function loadDemo(store: Store): Promise<void> {
  if ((await countMatching(store, 'dialogs', { conditions: [] })) > 0) {
    process.stderr.write('--demo: the database already has dialogs; leaving it as it is.\n')
    return
  }
  // Built by users acting through the chat services, so every field is what the chat API produces.
  const loaded = await loadChatDemo(store, { users: 50, dialogs: 300, messagesPerDialog: 14 })
  process.stderr.write(
    `--demo: loaded ${loaded.dialogs} dialogs and ${loaded.messages} messages. ` +
      `Users demo1 … demo${loaded.users} sign in with password "${DEMO_PASSWORD}" (POST /session, auth key from \`parley app\`).\n`,
  )
}

async function serve(flags: ServeFlags): Promise<void> {
  const config = loadConfig(process.env, flags)
  // With plenty of memory V8 lets the old generation grow to several times what survived its last
  // full collection, so under bursts (32 concurrent pages) a server holding ~90 MB of heap climbed to
  // 350–410 MB RSS. A growth factor bounds that by what is live, unlike a hard heap limit, which turns
  // a large burst into an out-of-memory exit. The flag is read at each collection, so setting it now
  // works (unlike --max-old-space-size). docs/operations.md, Memory.
  if (config.server.heapGrowthPercent > 0) setFlagsFromString(`--heap-growing-percent=${config.server.heapGrowthPercent}`)
  const store = createStore(config.store)
  await migrate(store)
  if (flags.demo) await loadDemo(store)

  const app = await buildApp({ config, store })
  // Handlers before listen: a SIGTERM as soon as the URL is logged (while the key check still waits on
  // the database) must drain and exit 0, not kill the process.
  let closing = false
  const shutdown = async (signal: string) => {
    if (closing) return
    closing = true
    // /ready answers 503 at once, so load balancers stop sending; with PARLEY_DRAIN_DELAY requests
    // are still served for that long (the time a balancer takes to notice) before the listener closes.
    app.startDraining()
    app.log.info(`${signal}: draining: /ready answers 503; closing in ${config.server.drainDelay} ms`)
    if (config.server.drainDelay > 0) await new Promise((resolve) => setTimeout(resolve, config.server.drainDelay))
    app.log.info('closing: waiting for in-flight requests, then closing the store')
    const timer = setTimeout(() => {
      app.log.error(`requests still running after ${config.server.shutdownTimeout} ms; exiting anyway`)
      process.exit(1)
    }, config.server.shutdownTimeout)
    timer.unref()
    await app.close() // stops accepting, waits for in-flight requests, closes idle keep-alive sockets
    await store.close()
    process.exit(0)
  }
  process.on('SIGINT', () => void shutdown('SIGINT'))
  process.on('SIGTERM', () => void shutdown('SIGTERM'))

  const url = await app.listen({ host: config.server.host, port: config.server.port })
  app.log.info({ store: store.dialect.name, location: store.location, heapGrowthPercent: config.server.heapGrowthPercent }, `parley listening on ${url}`)

  // The auth key exists from the first start, so that `parley app` and clients agree on it.
  if (config.chat.authKey === null && (await storedAuthKey(store)) === undefined) {
    const authKey = await ensureAuthKey(store, null)
    process.stdout.write(`\nApplication auth key (CB-AuthKey), generated and stored; \`parley app\` shows it again:\n\n  ${authKey}\n`)
  }

  if (!(await hasActiveKey(store))) {
    const { key } = await createAdminKey(store, 'default')
    process.stdout.write(
      [
        '',
        'No Administration API key existed, so one was created. It is shown only this once:',
        '',
        `  ${key}`,
        '',
        'Try it:',
        `  curl -H "CB-Administration-API-Key: ${key}" "${url}/admin/chat/list?limit=5"`,
        '',
      ].join('\n') + '\n',
    )
  }
}
