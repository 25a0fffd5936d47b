// Update User and Delete User through real HTTP: a user changes and deletes their own account only;
// a new password needs the current one and signs the other sessions out; a deleted account's
// sessions stop at once while what it wrote stays in the Administration API's lists.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUTH_KEY, startChatServer, type ChatServer, type ChatUser } from '../helpers/chat.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

for (const kind of STORES) {
  describe(`user accounts: update and delete (${kind.name})`, () => {
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

    const signIn = (login: string, password: string) => server.anonymous('POST', '/session', { body: { auth_key: AUTH_KEY, user: { login, password } } })
    const profile = async (viewer: ChatUser, id: number) => (await viewer.call('GET', `/users/${id}`)).json.user

    it('updates the own profile from JSON or a form, clears a field with null, and moves updated_at', async () => {
      const ann = await server.user('ann')
      const before = await profile(ann, ann.id)
      const r = await ann.call('PUT', `/users/${ann.id}`, { body: { user: { email: 'Ann@Example.com', website: 'ann.example', full_name: 'Ann A', tag_list: 'a,b', external_user_id: 77 } } })
      expect(r.status, r.text).toBe(200)
      expect(r.json.user).toMatchObject({ id: ann.id, login: ann.login, email: 'ann@example.com', website: 'ann.example', full_name: 'Ann A', user_tags: 'a,b', external_user_id: 77 })
      expect(r.json.user).not.toHaveProperty('password_hash')
      expect(Date.parse(r.json.user.updated_at)).toBeGreaterThanOrEqual(Date.parse(before.updated_at))
      const form = await ann.call('PUT', `/users/${ann.id}`, { body: 'user[full_name]=Ann B&user[timezone]=60' })
      expect(form.status, form.text).toBe(200)
      expect(form.json.user).toMatchObject({ full_name: 'Ann B', timezone: 60, website: 'ann.example' })
      const cleared = await ann.call('PUT', `/users/${ann.id}`, { body: { user: { website: null, external_user_id: null } } })
      expect(cleared.json.user).toMatchObject({ website: null, external_user_id: null, full_name: 'Ann B' })
      const bob = await server.user('bob')
      expect(await profile(bob, ann.id)).toEqual(cleared.json.user)
    })

    it("refuses another user's account, existing or not, and changes nothing", async () => {
      const ann = await server.user('ann')
      const bob = await server.user('bob')
      const before = await profile(ann, ann.id)
      for (const id of [ann.id, 999_999]) {
        const put = await bob.call('PUT', `/users/${id}`, { body: { user: { full_name: 'hijacked' } } })
        expect(put.status, put.text).toBe(403)
        expect(put.json.errors).toEqual(['Users can update their own account only'])
        const del = await bob.call('DELETE', `/users/${id}`)
        expect(del.status, del.text).toBe(403)
      }
      expect(await profile(ann, ann.id)).toEqual(before)
      expect((await bob.call('PUT', '/users/abc', { body: { user: { full_name: 'x' } } })).status).toBe(400)
      expect((await server.anonymous('PUT', `/users/${ann.id}`, { body: { user: { full_name: 'x' } } })).status).toBe(401)
    })

    it('names the field of a bad or taken login or email, and keeps one of the two', async () => {
      const ann = await server.user('ann')
      const bob = await server.user('bob')
      await bob.call('PUT', `/users/${bob.id}`, { body: { user: { email: 'bob@example.org' } } })
      const before = await profile(ann, ann.id)
      const cases: Array<[object, Record<string, string[]>]> = [
        [{ login: bob.login }, { 'user[login]': ['has already been taken'] }],
        [{ email: 'BOB@example.org' }, { 'user[email]': ['has already been taken'] }],
        [{ login: 'a b' }, { 'user[login]': ['must be 3 to 50 characters without spaces'] }],
        [{ email: 'not-an-address' }, { 'user[email]': ['is not a valid email address'] }],
        [{ login: null }, { 'user[login]': ['login or email is required'] }],
        [{ role: 'admin' }, { 'user.role': ['is not allowed'] }],
      ]
      for (const [user, errors] of cases) {
        const r = await ann.call('PUT', `/users/${ann.id}`, { body: { user } })
        expect(r.status, `${JSON.stringify(user)}: ${r.text}`).toBe(422)
        expect(Object.keys(r.json.errors), r.text).toEqual(Object.keys(errors))
        if (!('role' in user)) expect(r.json.errors, r.text).toEqual(errors)
      }
      expect(await profile(ann, ann.id)).toEqual(before)
      // With an email, the login may go; the account then signs in by email.
      const swap = await ann.call('PUT', `/users/${ann.id}`, { body: { user: { email: 'ann2@example.org', login: null } } })
      expect(swap.status, swap.text).toBe(200)
      expect(swap.json.user).toMatchObject({ login: null, email: 'ann2@example.org' })
      expect((await server.anonymous('POST', '/session', { body: { auth_key: AUTH_KEY, user: { email: 'ann2@example.org', password: 'password1' } } })).status).toBe(201)
    })

    it('changes the password only with the current one, and signs out every other session', async () => {
      const ann = await server.user('ann')
      const other = await signIn(ann.login, 'password1')
      const otherToken = other.json.session.token as string
      const missing = await ann.call('PUT', `/users/${ann.id}`, { body: { user: { password: 'new-password-2' } } })
      expect(missing.status).toBe(422)
      expect(missing.json.errors).toEqual({ 'user[old_password]': ['is required to change the password'] })
      const wrong = await ann.call('PUT', `/users/${ann.id}`, { body: { user: { password: 'new-password-2', old_password: 'not-it-at-all' } } })
      expect(wrong.status).toBe(422)
      expect(wrong.json.errors).toEqual({ 'user[old_password]': ['is not the current password'] })
      const short = await ann.call('PUT', `/users/${ann.id}`, { body: { user: { password: 'short', old_password: 'password1' } } })
      expect(short.json.errors).toEqual({ 'user[password]': ['must be 8 to 200 characters'] })
      const alone = await ann.call('PUT', `/users/${ann.id}`, { body: { user: { old_password: 'password1' } } })
      expect(alone.json.errors).toEqual({ 'user[old_password]': ['is only used with user[password]'] })
      expect((await server.anonymous('GET', '/session', { headers: { 'CB-Token': otherToken } })).status).toBe(200)

      const ok = await ann.call('PUT', `/users/${ann.id}`, { body: { user: { password: 'new-password-2', old_password: 'password1' } } })
      expect(ok.status, ok.text).toBe(200)
      expect((await server.anonymous('GET', '/session', { headers: { 'CB-Token': otherToken } })).status).toBe(401)
      expect((await ann.call('GET', '/session')).status).toBe(200)
      expect((await signIn(ann.login, 'password1')).status).toBe(401)
      expect((await signIn(ann.login, 'new-password-2')).status).toBe(201)
    })

    it('lets one of two concurrent password changes win, never both', async () => {
      const ann = await server.user('ann')
      const change = (password: string) => ann.call('PUT', `/users/${ann.id}`, { body: { user: { password, old_password: 'password1' } } })
      const answers = await Promise.all([change('first-new-pass'), change('second-new-pass')])
      const statuses = answers.map((a) => a.status)
      expect(statuses.filter((s) => s === 200), JSON.stringify(answers.map((a) => a.text))).toHaveLength(1)
      // The other found the password changed: before its check (422) or after it (409).
      expect([409, 422]).toContain(statuses.find((s) => s !== 200))
      const works = await Promise.all(['first-new-pass', 'second-new-pass'].map(async (p) => (await signIn(ann.login, p)).status === 201))
      expect(works.filter(Boolean)).toHaveLength(1)
      expect(works[statuses.indexOf(200)]).toBe(true)
    })

    it('deletes the own account: its sessions end, what it wrote stays', async () => {
      const ann = await server.user('ann')
      const bob = await server.user('bob')
      const second = await signIn(ann.login, 'password1')
      const dialog = (await ann.call('POST', '/chat/Dialog', { body: { type: 2, name: 'kept', occupants_ids: [bob.id] } })).json
      const message = (await ann.call('POST', '/chat/Message', { body: { chat_dialog_id: dialog._id, message: 'still here' } })).json

      const r = await ann.call('DELETE', `/users/${ann.id}`)
      expect(r.status, r.text).toBe(200)
      expect(r.json).toEqual({})
      // Routes that need only the session, not the user row, refuse the tokens too.
      expect((await ann.call('GET', '/chat/Dialog')).status).toBe(401)
      expect((await server.anonymous('GET', '/chat/Dialog', { headers: { 'CB-Token': second.json.session.token } })).status).toBe(401)
      expect((await ann.call('GET', '/session')).status).toBe(401)
      expect((await signIn(ann.login, 'password1')).status).toBe(401)
      expect((await bob.call('GET', `/users/${ann.id}`)).status).toBe(404)

      const dialogs = await server.get(`/admin/chat/list?_id=${dialog._id}`)
      expect(dialogs.json.items[0]).toMatchObject({ user_id: ann.id, occupants_ids: [ann.id, bob.id] })
      const messages = await server.get(`/admin/chat/messages/list?chat_dialog_id=${dialog._id}`)
      expect(messages.json.items.map((m: { _id: string; sender_id: number }) => [m._id, m.sender_id])).toEqual([[message._id, ann.id]])
      const bobs = await bob.call('GET', `/chat/Message?chat_dialog_id=${dialog._id}`)
      expect(bobs.json.items.map((m: { message: string }) => m.message)).toEqual(['still here'])
      // The login is free again, for a new account with a new id.
      const again = await server.anonymous('POST', '/users', { headers: { 'CB-AuthKey': AUTH_KEY }, body: { user: { login: ann.login, password: 'password1' } } })
      expect(again.status).toBe(201)
      expect(again.json.user.id).not.toBe(ann.id)
    })

    it('deletes the own account by its external user id, and no other', async () => {
      const ann = await server.user('ann')
      const bob = await server.user('bob')
      await ann.call('PUT', `/users/${ann.id}`, { body: { user: { external_user_id: 52691165 } } })
      await bob.call('PUT', `/users/${bob.id}`, { body: { user: { external_user_id: 52691166 } } })
      const others = await bob.call('DELETE', '/users/external/52691165')
      expect(others.status, others.text).toBe(403)
      expect((await bob.call('DELETE', '/users/external/x1')).status).toBe(400)
      const own = await ann.call('DELETE', '/users/external/52691165')
      expect(own.status, own.text).toBe(200)
      expect((await bob.call('GET', `/users/${ann.id}`)).status).toBe(404)
      expect((await bob.call('GET', `/users/${bob.id}`)).json.user.external_user_id).toBe(52691166)
    })
  })
}
