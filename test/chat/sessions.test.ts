// Users and sessions through real HTTP: sign-up with the auth key, sign-in by login or email (JSON
// or form), CB-Token on every request, sign-out, the users list and the on-the-fly sign-up setting.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUTH_KEY, startChatServer, type ChatServer } from '../helpers/chat.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

for (const kind of STORES) {
  describe(`users and sessions (${kind.name})`, () => {
    let db: TestStore
    let server: ChatServer
    beforeAll(async () => {
      db = await kind.open()
      server = await startChatServer(db.store)
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    it('signs up with the auth key, and refuses without it or with a wrong one', async () => {
      const body = { user: { login: 'dacia', password: 'petU4or!x', email: 'Dacia_K@Domain.com', full_name: 'Dacia Kail', timezone: 180 } }
      const none = await server.anonymous('POST', '/users', { body })
      expect(none.status).toBe(401)
      const wrong = await server.anonymous('POST', '/users', { body, headers: { 'CB-AuthKey': 'nope-nope-nope' } })
      expect(wrong.status).toBe(401)
      const ok = await server.anonymous('POST', '/users', { body, headers: { 'CB-AuthKey': AUTH_KEY } })
      expect(ok.status).toBe(201)
      expect(ok.json.user).toMatchObject({ login: 'dacia', email: 'dacia_k@domain.com', full_name: 'Dacia Kail', timezone: 180, last_request_at: null })
      expect(ok.json.user).not.toHaveProperty('password')
      const again = await server.anonymous('POST', '/users', { body, headers: { 'CB-AuthKey': AUTH_KEY } })
      expect(again.status).toBe(422)
      expect(again.json.errors).toHaveProperty(['user[login]'])
      const sameEmail = await server.anonymous('POST', '/users', { body: { user: { login: 'other-login', password: 'petU4or!x', email: 'DACIA_K@domain.com' } }, headers: { 'CB-AuthKey': AUTH_KEY } })
      expect(sameEmail.status).toBe(422)
      expect(sameEmail.json.errors).toEqual({ 'user[email]': ['has already been taken'] })
    })

    it('names bad sign-up fields', async () => {
      const r = await server.anonymous('POST', '/users', { headers: { 'CB-AuthKey': AUTH_KEY }, body: { user: { login: 'x y', password: 'short' } } })
      expect(r.status).toBe(422)
      expect(Object.keys(r.json.errors).sort()).toEqual(['user[login]', 'user[password]'])
      const unknown = await server.anonymous('POST', '/users', { headers: { 'CB-AuthKey': AUTH_KEY }, body: { user: { login: 'abcdef', password: 'password1', role: 'admin' } } })
      expect(unknown.status).toBe(422)
      expect(unknown.json.errors).toHaveProperty(['user.role'])
    })

    it('creates a session by login (JSON) or email (form), with a 160-bit token', async () => {
      const byLogin = await server.anonymous('POST', '/session', { body: { application_id: '1', auth_key: AUTH_KEY, timestamp: '1544010993', user: { login: 'dacia', password: 'petU4or!x' } } })
      expect(byLogin.status).toBe(201)
      expect(byLogin.json.session.token).toMatch(/^[0-9a-f]{40}$/)
      expect(byLogin.json.session.user.login).toBe('dacia')
      const form = `auth_key=${AUTH_KEY}&user[email]=DACIA_K%40domain.com&user[password]=petU4or!x`
      const byEmail = await server.anonymous('POST', '/session', { body: form })
      expect(byEmail.status).toBe(201)
      expect(byEmail.json.session.user_id).toBe(byLogin.json.session.user_id)
      expect(byEmail.json.session.token).not.toBe(byLogin.json.session.token)
      const header = await server.anonymous('POST', '/session', { headers: { 'CB-AuthKey': AUTH_KEY }, body: { user: { login: 'dacia', password: 'petU4or!x' } } })
      expect(header.status).toBe(201)
    })

    it('answers a wrong password and an unknown user alike, and needs the auth key', async () => {
      const wrong = await server.anonymous('POST', '/session', { body: { auth_key: AUTH_KEY, user: { login: 'dacia', password: 'wrong-one' } } })
      const unknown = await server.anonymous('POST', '/session', { body: { auth_key: AUTH_KEY, user: { login: 'nobody', password: 'wrong-one' } } })
      expect(wrong.status).toBe(401)
      expect(unknown.status).toBe(401)
      expect(wrong.json).toEqual(unknown.json)
      const noKey = await server.anonymous('POST', '/session', { body: { user: { login: 'dacia', password: 'petU4or!x' } } })
      expect(noKey.status).toBe(401)
      expect(noKey.json.errors[0]).toMatch(/auth key/)
      const noName = await server.anonymous('POST', '/session', { body: { auth_key: AUTH_KEY, user: { password: 'petU4or!x' } } })
      expect(noName.status).toBe(422)
    })

    it('requires CB-Token, shows the session, and forgets it on DELETE /session', async () => {
      const u = await server.user('gabby')
      expect((await server.anonymous('GET', '/session')).status).toBe(401)
      expect((await server.anonymous('GET', '/session', { headers: { 'CB-Token': 'f'.repeat(40) } })).status).toBe(401)
      const s = await u.call('GET', '/session')
      expect(s.status).toBe(200)
      expect(s.json.session.user.id).toBe(u.id)
      expect(s.json.session).not.toHaveProperty('token')
      expect((await u.call('DELETE', '/session')).status).toBe(200)
      expect((await u.call('GET', '/session')).status).toBe(401)
    })

    it('rejects an expired token and prolongs a used one', async () => {
      const u = await server.user('timer')
      const hour = 60 * 60 * 1000
      // Two hours after its last use the token is dead.
      await db.store.db.updateTable('sessions').set({ expires_at: Date.now() - 1 }).where('user_id', '=', u.id).execute()
      expect((await u.call('GET', '/session')).status).toBe(401)
      const v = await server.user('timer2')
      await db.store.db.updateTable('sessions').set({ expires_at: Date.now() + hour }).where('user_id', '=', v.id).execute()
      expect((await v.call('GET', '/session')).status).toBe(200)
      const row = await db.store.db.selectFrom('sessions').select('expires_at').where('user_id', '=', v.id).executeTakeFirstOrThrow()
      expect(row.expires_at).toBeGreaterThan(Date.now() + 2 * hour - 60_000)
    })

    it('stores neither the password nor the token in clear', async () => {
      const u = await server.user('secret')
      const user = await db.store.db.selectFrom('users').selectAll().where('id', '=', u.id).executeTakeFirstOrThrow()
      expect(user.password_hash).toMatch(/^scrypt\$/)
      expect(user.password_hash).not.toContain('password1')
      const sessions = await db.store.db.selectFrom('sessions').select('token_hash').where('user_id', '=', u.id).execute()
      expect(sessions.map((s) => s.token_hash)).not.toContain(u.token)
    })

    it('shows a user by id and lists users by ids', async () => {
      const a = await server.user('alice')
      const b = await server.user('bob')
      const one = await a.call('GET', `/users/${b.id}`)
      expect(one.status).toBe(200)
      expect(one.json.user).toMatchObject({ id: b.id, login: b.login, full_name: 'bob' })
      expect((await a.call('GET', '/users/99999')).status).toBe(404)
      expect((await a.call('GET', '/users/abc')).status).toBe(400)
      const list = await a.call('GET', `/users?id[in]=${a.id},${b.id}`)
      expect(list.status).toBe(200)
      expect(list.json.items.map((u: { id: number }) => u.id)).toEqual([a.id, b.id])
      expect(list.json.total_entries).toBe(2)
      const v2 = await a.call('GET', `/users/v2?id[in][]=${b.id}&offset=0&limit=5`)
      expect(v2.json.items.map((u: { id: number }) => u.id)).toEqual([b.id])
      const bad = await a.call('GET', '/users?idd=1')
      expect(bad.status).toBe(400)
      expect(bad.json.errors).toHaveProperty('idd')
      expect((await server.anonymous('GET', '/users')).status).toBe(401)
      const everyone = await a.call('GET', '/users?limit=100')
      expect(everyone.status).toBe(400)
      expect(everyone.json.errors).toHaveProperty('id')
    })
  })

  describe(`session creates a missing user when the operator allows it (${kind.name})`, () => {
    it('is off by default and on with PARLEY_SESSION_CREATES_USERS=1', async () => {
      const db = await kind.open()
      const off = await startChatServer(db.store)
      const body = { auth_key: AUTH_KEY, user: { login: 'newcomer', password: 'password1' } }
      expect((await off.anonymous('POST', '/session', { body })).status).toBe(401)
      await off.close()
      const on = await startChatServer(db.store, { PARLEY_SESSION_CREATES_USERS: '1' })
      const r = await on.anonymous('POST', '/session', { body })
      expect(r.status).toBe(201)
      expect(r.json.session.user.login).toBe('newcomer')
      // The user now exists with that password: a wrong one is refused.
      expect((await on.anonymous('POST', '/session', { body: { ...body, user: { login: 'newcomer', password: 'other-pass' } } })).status).toBe(401)
      await on.close()
      await db.drop()
    })
  })
}
