// `parley app`: the application's settings for clients: the auth key (CB-AuthKey / auth_key) that
// sign-up and session creation need, generated and stored on first use unless --auth-key /
// PARLEY_AUTH_KEY sets it. The key is the last line of stdout, for scripts (`tail -n 1`).
import { Command } from 'commander'
import type { Flags } from '../config.ts'
import { ensureAuthKey } from '../services/sessions.ts'
import { withStore, withStoreOptions } from './common.ts'

export function appCommand(): Command {
  return withStoreOptions(new Command('app'))
    .description('Show the application auth key (CB-AuthKey) and chat settings')
    .option('--auth-key <key>', 'the auth key set by the operator (env PARLEY_AUTH_KEY)')
    .action(async (opts: Flags) => {
      await withStore(opts, async (store, config) => {
        const key = await ensureAuthKey(store, config.chat.authKey)
        process.stderr.write(
          [
            `Auth key source: ${config.chat.authKey === null ? 'stored in the database (generated on first use)' : '--auth-key / PARLEY_AUTH_KEY'}`,
            `Session creates missing users (PARLEY_SESSION_CREATES_USERS): ${config.chat.sessionCreatesUsers ? 'on' : 'off'}`,
            'Auth key:',
          ].join('\n') + '\n',
        )
        process.stdout.write(`${key}\n`)
      })
    })
}
