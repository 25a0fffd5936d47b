// PUT /admin/chat/{dialog_id} (Dialog Update) through real HTTP: the Update Dialog fields, the
// user_id + is_muted pair (silent_ids), the documented curl form, validation, and that the change is
// what GET /admin/chat/list shows afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importValues } from '../../src/services/import.ts'
import type { Item } from '../../src/services/items.ts'
import { startServer, type Answer, type TestServer } from '../helpers/app.ts'
import { dialogItem, iso, messageItem } from '../helpers/factories.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

const B = 1645095700

/** A group dialog (type 2) whose updated_at is long past. */
const group = (n: number, overrides: Item = {}): Item =>
  dialogItem(B + n * 10, {
    type: 2,
    name: `group ${n}`,
    user_id: 1,
    occupants_ids: [1, 2, 3],
    admins_ids: [1],
    updated_at: iso(B + n * 10 + 5),
    ...overrides,
  })

for (const kind of STORES) {
  describe(`Dialog Update (${kind.name})`, () => {
    let db: TestStore
    let server: TestServer
    const d = {
      fields: group(1),
      ext: group(2, { extensions: { old: 'x' } }),
      perms: group(3),
      lists: group(4),
      pins: group(5),
      other: group(6),
      mute: group(7),
      curl: dialogItem(B + 80), // the spec's private dialog of 32241 and 32242
      bad: group(9),
      bare: { _id: dialogItem(B + 100)._id, type: 2, created_at: iso(B + 100), updated_at: iso(B + 100), name: 'bare' } as Item,
      custom: group(11, { custom_key: { kept: true } }),
    }
    const pinned = [messageItem(d.pins._id as string, B + 60), messageItem(d.pins._id as string, B + 61)]
    const foreign = messageItem(d.other._id as string, B + 62)

    const put = (id: unknown, body: object | string, contentType?: string) => server.call('PUT', `/admin/chat/${id as string}`, { body, contentType })
    const listed = async (id: unknown): Promise<Item> => {
      const r = await server.get(`/admin/chat/list?_id=${id as string}`)
      expect(r.json.items).toHaveLength(1)
      return r.json.items[0] as Item
    }
    /** The answer is 200, the dialog with `changes` and a later updated_at, and the list shows the same. */
    const expectUpdated = async (r: Answer, before: Item, changes: Item): Promise<Item> => {
      expect(r.status, r.text).toBe(200)
      const { updated_at, ...rest } = r.json as Item
      const { updated_at: was, ...beforeRest } = before
      expect(rest).toEqual({ ...beforeRest, ...changes })
      expect(Date.parse(updated_at as string)).toBeGreaterThan(Date.parse(was as string))
      expect(updated_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
      expect(await listed(before._id)).toEqual(r.json)
      return r.json as Item
    }

    beforeAll(async () => {
      db = await kind.open()
      server = await startServer(db.store)
      await importValues(db.store, 'dialogs', Object.values(d))
      await importValues(db.store, 'messages', [...pinned, foreign])
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    it('sets name, photo and description, and clears them with null', async () => {
      const r = await put(d.fields._id, { name: 'Renamed', photo: 'https://example.com/p.png', description: 'what we talk about' })
      const after = await expectUpdated(r, d.fields, { name: 'Renamed', photo: 'https://example.com/p.png', description: 'what we talk about' })
      const cleared = await put(d.fields._id, { photo: null, description: null })
      expect(cleared.status).toBe(200)
      expect(cleared.json).toMatchObject({ name: 'Renamed', photo: null, description: null })
      expect(Date.parse(cleared.json.updated_at)).toBeGreaterThanOrEqual(Date.parse(after.updated_at as string))
      expect(await listed(d.fields._id)).toEqual(cleared.json)
      // an empty string is a value, not a null
      const empty = await put(d.fields._id, { photo: '' })
      expect(empty.json).toMatchObject({ photo: '', description: null })
      // the change is filterable at once
      const byName = await server.get('/admin/chat/list?name=Renamed')
      expect(byName.json.items.map((i: Item) => i._id)).toEqual([d.fields._id])
    })

    it('stores extension values as strings, and resets them with null', async () => {
      const r = await put(d.ext._id, { extensions: { location: 'Sun bar', level: 5, vip: true, ratio: 1.5, obj: { a: 1 }, gone: null } })
      await expectUpdated(r, d.ext, { extensions: { location: 'Sun bar', level: '5', vip: 'true', ratio: '1.5', obj: '{"a":1}' } })
      const found = await server.get('/admin/chat/list?extensions[level]=5&extensions[vip]=true')
      expect(found.json.items.map((i: Item) => i._id)).toEqual([d.ext._id])
      const reset = await put(d.ext._id, { extensions: null })
      expect(reset.status).toBe(200)
      expect(reset.json.extensions).toBeNull()
      expect((await listed(d.ext._id)).extensions).toBeNull()
      expect((await server.get('/admin/chat/list?extensions[level]=5')).json.total_entries).toBe(0)
    })

    it('sets permissions', async () => {
      const r = await put(d.perms._id, { permissions: { allow_preview: false } })
      await expectUpdated(r, d.perms, { permissions: { allow_preview: false } })
      const again = await put(d.perms._id, { permissions: { allow_preview: true } })
      expect((await listed(d.perms._id)).permissions).toEqual({ allow_preview: true })
      expect(again.json.permissions).toEqual({ allow_preview: true })
      const cleared = await put(d.perms._id, { permissions: { allow_preview: null } })
      expect(cleared.json.permissions).toEqual({ allow_preview: null })
      const bad = await put(d.perms._id, { permissions: { allow_everything: true } })
      expect(bad.status).toBe(422)
      expect(Object.keys(bad.json.errors).join(' ')).toContain('allow_everything')
    })

    it('adds and removes occupants and admins with push_all / pull_all', async () => {
      const r = await put(d.lists._id, { push_all: { occupants_ids: [4, '5', 3], admins_ids: [2] }, pull_all: { occupants_ids: [2] } })
      await expectUpdated(r, d.lists, { occupants_ids: [1, 3, 4, 5], admins_ids: [1, 2] })
      const r2 = await put(d.lists._id, { pull_all: { admins_ids: [1, 99], occupants_ids: [5] } })
      expect(r2.json.occupants_ids).toEqual([1, 3, 4])
      expect(r2.json.admins_ids).toEqual([2])
      expect(await listed(d.lists._id)).toEqual(r2.json)
      const byOccupant = await server.get('/admin/chat/list?occupants_ids=4')
      expect(byOccupant.json.items.map((i: Item) => i._id)).toEqual([d.lists._id])
    })

    it('pins and unpins messages of the dialog, and refuses one from another dialog', async () => {
      const [m1, m2] = pinned.map((m) => m._id as string) as [string, string]
      const r = await put(d.pins._id, { push_all: { pinned_messages_ids: [m1, m2.toUpperCase()] } })
      await expectUpdated(r, d.pins, { pinned_messages_ids: [m1, m2] })
      const r2 = await put(d.pins._id, { pull_all: { pinned_messages_ids: [m1] } })
      expect(r2.json.pinned_messages_ids).toEqual([m2])
      const before = await listed(d.pins._id)
      for (const id of [foreign._id as string, '620e2b14e45f5b089d0000ff']) {
        const bad = await put(d.pins._id, { name: 'not applied', push_all: { pinned_messages_ids: [id] } })
        expect(bad.status, bad.text).toBe(422)
        expect(Object.keys(bad.json.errors)).toContain('push_all.pinned_messages_ids')
        expect(bad.json.errors['push_all.pinned_messages_ids'].join(' ')).toContain(id)
      }
      const malformed = await put(d.pins._id, { push_all: { pinned_messages_ids: ['nothex'] } })
      expect(malformed.status).toBe(422)
      expect(Object.keys(malformed.json.errors).join(' ')).toContain('pinned_messages_ids')
      // nothing of a refused update is applied, updated_at included
      expect(await listed(d.pins._id)).toEqual(before)
    })

    it('mutes and unmutes the dialog for user_id (silent_ids)', async () => {
      const r = await put(d.mute._id, { user_id: 32242, is_muted: true })
      await expectUpdated(r, d.mute, { silent_ids: [32242] })
      expect(r.json.is_muted).toBeNull()
      const twice = await put(d.mute._id, { user_id: 32242, is_muted: true })
      expect(twice.json.silent_ids).toEqual([32242])
      const other = await put(d.mute._id, { user_id: 7, is_muted: true })
      expect(other.json.silent_ids).toEqual([32242, 7])
      const unmuted = await put(d.mute._id, { user_id: 32242, is_muted: false })
      expect(unmuted.json.silent_ids).toEqual([7])
      const notMuted = await put(d.mute._id, { user_id: 5, is_muted: false })
      expect(notMuted.json.silent_ids).toEqual([7])
      expect((await listed(d.mute._id)).silent_ids).toEqual([7])
    })

    it('accepts the documented curl form: JSON text sent as application/x-www-form-urlencoded', async () => {
      const r = await put(d.curl._id, '{"user_id": 32242, "is_muted": true}', 'application/x-www-form-urlencoded')
      const after = await expectUpdated(r, d.curl, { silent_ids: [32242] })
      // the spec's example answer, times and ids aside
      expect(after).toMatchObject({ user_id: 32241, type: 3, occupants_ids: [32241, 32242], admins_ids: [], is_muted: null, deleted_ids: [], silent_ids: [32242] })
      // and a real form
      const form = await put(d.curl._id, 'user_id=32242&is_muted=false', 'application/x-www-form-urlencoded')
      expect(form.status, form.text).toBe(200)
      expect(form.json.silent_ids).toEqual([])
    })

    it('refuses is_muted without user_id, and user_id without is_muted', async () => {
      const before = await listed(d.bad._id)
      const r = await put(d.bad._id, { is_muted: true })
      expect(r.status).toBe(422)
      expect(Object.keys(r.json.errors)).toContain('user_id')
      const r2 = await put(d.bad._id, { user_id: 32242 })
      expect(r2.status).toBe(422)
      expect(Object.keys(r2.json.errors)).toContain('is_muted')
      const r3 = await put(d.bad._id, '{"is_muted": true}', 'application/x-www-form-urlencoded')
      expect(r3.status).toBe(422)
      expect(Object.keys(r3.json.errors)).toContain('user_id')
      expect(await listed(d.bad._id)).toEqual(before)
    })

    it('refuses an unknown or ill-typed body field with a 422 naming it', async () => {
      const before = await listed(d.bad._id)
      const cases: Array<[object, string]> = [
        [{ nmae: 'typo' }, 'nmae'],
        [{ name: 'ok', occupants_ids: [5] }, 'occupants_ids'],
        [{ constructor: 1 }, 'constructor'],
        [{ push_all: { members: [1] } }, 'push_all.members'],
        [{ user_id: 'abc', is_muted: true }, 'user_id'],
        [{ user_id: 1, is_muted: 'maybe' }, 'is_muted'],
        [{ push_all: { occupants_ids: ['x'] } }, 'push_all.occupants_ids'],
        [{ extensions: 'not an object' }, 'extensions'],
      ]
      for (const [body, field] of cases) {
        const r = await put(d.bad._id, body)
        expect(r.status, `${JSON.stringify(body)}: ${r.text}`).toBe(422)
        const keys = Object.keys(r.json.errors)
        expect(keys.some((k) => k === field || k.startsWith(`${field}.`) || k.startsWith(`${field}/`)), `${field} in ${r.text}`).toBe(true)
      }
      expect(await listed(d.bad._id)).toEqual(before)
    })

    it('refuses an extension key that no filter could name, and changes nothing', async () => {
      const before = await listed(d.bad._id)
      for (const key of ['', 'a b', 'a\nb', 'loc-ation', 'k'.repeat(65), 'é']) {
        const r = await put(d.bad._id, { name: 'renamed', extensions: { ok: '1', [key]: 'v' } })
        expect(r.status, `${JSON.stringify(key)}: ${r.text}`).toBe(422)
        expect(r.json.errors, r.text).toEqual({ [`extensions.${key}`]: ['keys are letters, digits and _ (at most 64), as filters name them'] })
      }
      expect(await listed(d.bad._id)).toEqual(before)
      // The longest key accepted is one a filter finds.
      const key = 'K_9'.repeat(21) + 'x'
      expect((await put(d.bad._id, { extensions: { [key]: 'v' } })).status).toBe(200)
      expect((await server.get(`/admin/chat/list?extensions[${key}]=v`)).json.items.map((i: { _id: string }) => i._id)).toEqual([d.bad._id])
    })

    it('refuses a malformed JSON body', async () => {
      const r = await put(d.bad._id, '{"name": ', 'application/json')
      expect(r.status).toBe(400)
      expect(r.json.errors).toBeDefined()
      const form = await put(d.bad._id, '{"name": ', 'application/x-www-form-urlencoded')
      expect(form.status).toBe(400)
      expect(form.json.errors).toBeDefined()
    })

    it('answers 404 for an unknown dialog and 400 for a malformed id', async () => {
      const missing = await put('620e2b1463ee2a1977b4ee00', { name: 'x' })
      expect(missing.status).toBe(404)
      expect(Array.isArray(missing.json.errors) || typeof missing.json.errors === 'object').toBe(true)
      expect(JSON.stringify(missing.json.errors)).toMatch(/not found/i)
      for (const id of ['zzz', '620e2b1463ee2a1977b4ee6', '620e2b1463ee2a1977b4ee650', 'g20e2b1463ee2a1977b4ee65']) {
        const bad = await put(id, { name: 'x' })
        expect(bad.status, id).toBe(400)
        expect(Object.keys(bad.json.errors)).toContain('dialog_id')
      }
      // the id is case-insensitive, like the list's _id
      const upper = await put((d.custom._id as string).toUpperCase(), { description: 'via upper-case id' })
      expect(upper.status).toBe(200)
      expect(upper.json._id).toBe(d.custom._id)
    })

    it('keeps custom keys of an imported dialog', async () => {
      const r = await put(d.custom._id, { name: 'still custom' })
      expect(r.status).toBe(200)
      expect(r.json.custom_key).toEqual({ kept: true })
      expect((await listed(d.custom._id)).custom_key).toEqual({ kept: true })
    })

    it('shows a field the imported dialog lacked once it is set', async () => {
      const r = await put(d.bare._id, { user_id: 32242, is_muted: true, description: 'now described' })
      expect(r.status, r.text).toBe(200)
      expect(r.json.silent_ids).toEqual([32242])
      expect(r.json.description).toBe('now described')
      const after = await listed(d.bare._id)
      expect(after).toEqual(r.json)
      // what it never had stays absent
      expect(after).not.toHaveProperty('deleted_ids')
      expect(after).not.toHaveProperty('photo')
      expect(after.name).toBe('bare')
      const byMuted = await server.get('/admin/chat/list?name=bare')
      expect(byMuted.json.items).toEqual([r.json])
    })

    it('moves updated_at forward, so an updated_at[gt] sync picks the dialog up', async () => {
      const since = B + 1000
      const before = await server.get(`/admin/chat/list?updated_at[gt]=${since}&_id=${d.other._id}`)
      expect(before.json.total_entries).toBe(0)
      const r = await put(d.other._id, { name: 'touched' })
      expect(r.status).toBe(200)
      const after = await server.get(`/admin/chat/list?updated_at[gt]=${since}&_id=${d.other._id}`)
      expect(after.json.items).toEqual([r.json])
      // created_at never moves
      expect(r.json.created_at).toBe(d.other.created_at)
      const first = await server.get(`/admin/chat/list?sort_desc=updated_at&limit=1&_id[ne]=${d.pins._id}&name=touched`)
      expect(first.json.items[0]._id).toBe(d.other._id)
    })
  })
}
