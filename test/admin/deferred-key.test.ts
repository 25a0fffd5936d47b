// A list page confirms its admin key in the statement that reads it, on PostgreSQL, once this
// process has found the key live (services/keys.ts deferAdmin): no look-up of its own first. The
// promise stays the look-up's: a key revoked a moment ago — here by another store on the same
// database, as another parley process or `parley keys revoke` would — is refused on the very next
// request, whichever path its page takes, and nothing of the data goes out with the refusal.
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { installErrorHandler } from '../../src/http/error-handler.ts'
import { confirmBeforeSending, requireAdminKey } from '../../src/http/auth.ts'
import { createStore, type Store } from '../../src/store/connect.ts'
import { importValues } from '../../src/services/import.ts'
import { createAdminKey, revokeAdminKey } from '../../src/services/keys.ts'
import { startServer, type Answer, type TestServer } from '../helpers/app.ts'
import { dialogItem, messageItem } from '../helpers/factories.ts'
import { sentDuring } from '../helpers/pg-spy.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

const B = 1_700_000_000

const keyLookups = (sent: string[]) => sent.filter((s) => /^select \* from "admin_keys"/.test(s))

function expectRefused(r: Answer): void {
  expect(r.status, r.text).toBe(401)
  expect(r.json).toEqual({ errors: ['CB-Administration-API-Key is not a valid key'] })
}

for (const kind of STORES) {
  describe(`an admin key confirmed with the page (${kind.name})`, () => {
    let db: TestStore
    let other: Store
    let server: TestServer
    let dialogId: string
    const messages = Array.from({ length: 30 }, (_, i) => i)

    beforeAll(async () => {
      db = await kind.open()
      // Another store on the same database: as another parley process would be.
      other = createStore(db.config)
      server = await startServer(db.store)
      const d = dialogItem(B, { type: 2, name: 'Secret room' })
      dialogId = d._id as string
      await importValues(db.store, 'dialogs', [d])
      await importValues(db.store, 'messages', messages.map((i) => messageItem(dialogId, B + i, { message: `secret ${i}` })))
    })
    afterAll(async () => {
      await server.close()
      await other.close()
      await db.drop()
    })

    /** A fresh key, used for a few pages so that this process knows it live and keeps counts of these filters. */
    async function warmKey(name: string, paths: string[]): Promise<string> {
      const { key } = await createAdminKey(other, name)
      for (let i = 0; i < 3; i++) for (const path of paths) expect((await server.get(path, { key })).status).toBe(200)
      return key
    }

    it('answers a page as a looked-up key would', async () => {
      const path = '/admin/chat/messages/list?limit=5&sort_asc=created_at'
      const key = await warmKey('reader', [path])
      const sent = await sentDuring(async () => {
        const r = await server.get(path, { key })
        expect(r.status).toBe(200)
        expect(r.json.total_entries).toBe(messages.length)
        expect(r.json.items.map((m: { message: string }) => m.message)).toEqual(['secret 0', 'secret 1', 'secret 2', 'secret 3', 'secret 4'])
      })
      // PostgreSQL: the key confirmed by the page's own statement, no look-up before it.
      if (kind.name === 'postgres') {
        expect(keyLookups(sent)).toEqual([])
        expect(sent.filter((s) => s.includes('key_live'))).toHaveLength(1)
      }
    })

    it('refuses a key revoked elsewhere on the very next page, and sends nothing of it', async () => {
      for (const path of ['/admin/chat/messages/list?limit=5', `/admin/chat/list?_id=${dialogId}`]) {
        const name = `revoked-between-pages ${path}`
        const key = await warmKey(name, [path])
        expect((await revokeAdminKey(other, name)).map((k) => k.name)).toEqual([name])
        const sent = await sentDuring(async () => {
          const r = await server.get(path, { key })
          expectRefused(r)
          expect(r.text).not.toContain('secret')
          expect(r.text).not.toContain('Secret room')
        })
        // Refused by the page's statement itself on PostgreSQL (by the look-up on SQLite).
        if (kind.name === 'postgres') expect(keyLookups(sent)).toEqual([])
        // Then refused for good, as a key refused up front is: looked up each time.
        const again = await sentDuring(async () => expectRefused(await server.get(path, { key })))
        if (kind.name === 'postgres') expect(keyLookups(again)).toHaveLength(1)
      }
    })

    it('confirms the key of a loop page prepared ahead with the statement that checks the page, and refuses one revoked since', async () => {
      const base = '/admin/chat/messages/list?limit=5'
      for (const revoke of [false, true]) {
        const name = `loop page prepared ahead, ${revoke ? 'revoked' : 'kept'}`
        const key = await warmKey(name, [base])
        const p1 = await server.get(base, { key })
        // Page 2 continues the loop: page 3 is prepared while this test waits.
        const p2 = await server.get(`${base}&_id[lt]=${p1.json.items.at(-1)._id}`, { key })
        await new Promise((r) => setTimeout(r, 50))
        if (revoke) await revokeAdminKey(other, name)
        const sent = await sentDuring(async () => {
          const r = await server.get(`${base}&_id[lt]=${p2.json.items.at(-1)._id}`, { key })
          if (revoke) {
            expectRefused(r)
            expect(r.text).not.toContain('secret')
          } else {
            expect(r.status, r.text).toBe(200)
            expect(r.json.items.map((m: { message: string }) => m.message)).toEqual(['secret 19', 'secret 18', 'secret 17', 'secret 16', 'secret 15'])
          }
        })
        // PostgreSQL: the prepared page's mark checked once, the key confirmed by that statement
        // (or by the page's, computed again had anything been committed since); no look-up first.
        if (kind.name === 'postgres') {
          expect(sent.filter((s) => /^select pg_current_snapshot\(\)::text as mark, .* as key_live$/.test(s)), sent.join('\n')).toHaveLength(1)
          expect(keyLookups(sent)).toEqual([])
        }
      }
    })

    it('refuses it too when the page takes another path, or the parameters are wrong', async () => {
      // A filter never asked before (no kept count: not one statement), a count, bad parameters.
      const paths = [
        `/admin/chat/messages/list?chat_dialog_id=${dialogId}&updated_at[gt]=${B}&limit=2`,
        '/admin/chat/messages/list?count=1',
        '/admin/chat/messages/list?bogus=1',
        '/admin/chat/list?limit=0',
      ]
      for (const [i, path] of paths.entries()) {
        // A key each: the first refusal forgets the key, and later ones are refused up front.
        const key = await warmKey(`revoked-other-paths ${i}`, ['/admin/chat/messages/list?limit=5'])
        await revokeAdminKey(other, `revoked-other-paths ${i}`)
        const r = await server.get(path, { key })
        expectRefused(r)
        expect(r.text).not.toContain('secret')
      }
    })

    it('keeps the server’s own key and other keys working', async () => {
      const key = await warmKey('stays', ['/admin/chat/messages/list?limit=5'])
      await revokeAdminKey(other, 'reader')
      expect((await server.get('/admin/chat/messages/list?limit=5', { key })).status).toBe(200)
      expect((await server.get('/admin/chat/messages/list?limit=5')).status).toBe(200)
    })

    it('refuses it on a route that defers the key and forgets to confirm it (the onSend backstop)', async () => {
      const app = Fastify()
      installErrorHandler(app)
      app.addHook('onRequest', requireAdminKey(db.store))
      app.addHook('onSend', confirmBeforeSending(db.store))
      app.get('/forgetful', { config: { confirmsAdminKey: true } }, async () => ({ secret: 'secret data' }))
      const { key } = await createAdminKey(other, 'forgotten')
      const call = () => app.inject({ method: 'GET', url: '/forgetful', headers: { 'cb-administration-api-key': key } })
      expect((await call()).statusCode).toBe(200)
      await revokeAdminKey(other, 'forgotten')
      const r = await call()
      expect(r.statusCode, r.body).toBe(401)
      expect(r.body).not.toContain('secret')
      await app.close()
    })
  })
}
