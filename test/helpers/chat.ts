// Chat API test clients: a server with a known auth key, and users signed up and signed in through
// the real routes, each calling with its own CB-Token.
import type { Store } from '../../src/store/connect.ts'
import { send, startServer, type Answer, type CallOptions, type ServerOptions, type TestServer } from './app.ts'

export const AUTH_KEY = 'test-auth-key-1234'

export interface ChatUser {
  readonly id: number
  readonly login: string
  readonly token: string
  call(method: string, path: string, options?: CallOptions): Promise<Answer>
}

export interface ChatServer extends TestServer {
  /** Signs up `login` (password "password1") and opens a session for it. */
  user(login: string): Promise<ChatUser>
  /** Any route with no credentials at all. */
  anonymous(method: string, path: string, options?: CallOptions): Promise<Answer>
}

let serial = 0

export async function startChatServer(store: Store, env: Record<string, string> = {}, options: ServerOptions = {}): Promise<ChatServer> {
  const server = await startServer(store, { PARLEY_AUTH_KEY: AUTH_KEY, ...env }, options)
  const anonymous = (method: string, path: string, options: CallOptions = {}) => send(server.url + path, method, options)
  return {
    ...server,
    anonymous,
    async user(name: string) {
      const login = `${name}${++serial}`
      const up = await anonymous('POST', '/users', { headers: { 'CB-AuthKey': AUTH_KEY }, body: { user: { login, password: 'password1', full_name: name } } })
      if (up.status !== 201) throw new Error(`sign-up failed: ${up.status} ${up.text}`)
      const s = await anonymous('POST', '/session', { body: { auth_key: AUTH_KEY, user: { login, password: 'password1' } } })
      if (s.status !== 201) throw new Error(`session failed: ${s.status} ${s.text}`)
      const token = s.json.session.token as string
      return {
        id: up.json.user.id as number,
        login,
        token,
        call: (method, path, options = {}) => send(server.url + path, method, { ...options, headers: { ...options.headers, 'CB-Token': token } }),
      }
    },
  }
}
