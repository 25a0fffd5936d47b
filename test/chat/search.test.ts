// Global search through real HTTP: a case-sensitive substring of the messages and dialog names a user
// can read, newest first, across chunk boundaries of long histories; the documented parameters and
// each bad one named.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importValues } from '../../src/services/import.ts'
import { SEARCH_CHUNK } from '../../src/services/search.ts'
import { startChatServer, type ChatServer, type ChatUser } from '../helpers/chat.ts'
import { iso, messageItem } from '../helpers/factories.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

interface Found {
  results: { dialogs: Array<{ _id: string; name: string }>; messages: Array<{ _id: string; message: string; chat_dialog_id: string }>; users: unknown[] }
}

for (const kind of STORES) {
  describe(`global search (${kind.name})`, () => {
    let db: TestStore
    let server: ChatServer
    let ann: ChatUser
    let bob: ChatUser
    let cat: ChatUser
    const d: Record<string, string> = {}
    const m: Record<string, string> = {}

    const dialog = async (owner: ChatUser, body: object) => {
      const r = await owner.call('POST', '/chat/Dialog', { body })
      expect(r.status, r.text).toBe(201)
      return r.json._id as string
    }
    const say = async (who: ChatUser, dialogId: string, message: string) => {
      const r = await who.call('POST', '/chat/Message', { body: { chat_dialog_id: dialogId, message } })
      expect(r.status, r.text).toBe(201)
      return r.json._id as string
    }
    const find = async (who: ChatUser, query: string): Promise<Found> => {
      const r = await who.call('GET', `/chat/search?${query}`)
      expect(r.status, r.text).toBe(200)
      return r.json as Found
    }
    const texts = (f: Found) => f.results.messages.map((x) => x.message)

    beforeAll(async () => {
      db = await kind.open()
      server = await startChatServer(db.store)
      ann = await server.user('ann')
      bob = await server.user('bob')
      cat = await server.user('cat')
      d.party = await dialog(ann, { type: 2, name: 'Lorem party', occupants_ids: [bob.id] })
      d.work = await dialog(ann, { type: 2, name: 'work lorem ipsum', occupants_ids: [cat.id] })
      d.secret = await dialog(bob, { type: 3, occupants_ids: [cat.id] })
      d.club = await dialog(cat, { type: 4, name: 'lorem club' })
      m.first = await say(ann, d.party, 'Ipsa lorem tempore')
      m.none = await say(bob, d.party, 'nothing to see')
      m.again = await say(bob, d.party, 'lorem again')
      m.upper = await say(cat, d.work, 'Lorem with a capital')
      m.work = await say(cat, d.work, 'the lorem ipsum of work')
      m.secret = await say(bob, d.secret, 'a secret lorem')
      m.club = await say(cat, d.club, 'lorem in the club')
    })
    afterAll(async () => {
      await server.close()
      await db.drop()
    })

    it("finds the text in the user's messages and dialog names, case-sensitive, newest first", async () => {
      const f = await find(ann, 'search_text=lorem')
      expect(texts(f)).toEqual(['the lorem ipsum of work', 'lorem again', 'Ipsa lorem tempore'])
      expect(f.results.messages[0]).toMatchObject({ _id: m.work, chat_dialog_id: d.work })
      expect(f.results.dialogs.map((x) => x.name)).toEqual(['work lorem ipsum'])
      expect(f.results.users).toEqual([])
      expect(texts(await find(ann, 'search_text=Lorem'))).toEqual(['Lorem with a capital'])
      expect((await find(ann, 'search_text=Lorem')).results.dialogs.map((x) => x.name)).toEqual(['Lorem party'])
      // Bob reads the party and the private dialog; cat the work dialog, the private one and the club.
      expect(texts(await find(bob, 'search_text=lorem'))).toEqual(['a secret lorem', 'lorem again', 'Ipsa lorem tempore'])
      expect(texts(await find(cat, 'search_text=lorem'))).toEqual(['lorem in the club', 'a secret lorem', 'the lorem ipsum of work'])
    })

    it('takes limit, chat_dialog_ids, a time window, and the parameters in a GET body', async () => {
      expect(texts(await find(ann, 'search_text=lorem&limit=2'))).toEqual(['the lorem ipsum of work', 'lorem again'])
      expect(texts(await find(ann, `search_text=lorem&chat_dialog_ids=${d.party}`))).toEqual(['lorem again', 'Ipsa lorem tempore'])
      // A dialog the user does not read is left out, as if it were not asked for.
      expect(texts(await find(ann, `search_text=lorem&chat_dialog_ids=${d.secret},${d.work}`))).toEqual(['the lorem ipsum of work'])
      const now = Math.floor(Date.now() / 1000)
      expect(texts(await find(ann, `search_text=lorem&start_date=${iso(now + 60)}&end_date=${iso(now - 3600)}`))).toHaveLength(3)
      const past = await find(ann, `search_text=lorem&start_date=${iso(now - 3600)}&end_date=${iso(now - 7200)}`)
      expect(past.results).toEqual({ dialogs: [], messages: [], users: [] })
      expect(texts(await find(ann, `search_text=lorem&start_date=${now + 60}&end_date=${now - 3600}`))).toHaveLength(3)
      const body = await ann.call('GET', '/chat/search', { body: 'search_text=lorem&limit=1' })
      expect(body.status, body.text).toBe(200)
      expect(texts(body.json)).toEqual(['the lorem ipsum of work'])
    })

    it('leaves out what is deleted for the user, and dialogs the user left', async () => {
      const eve = await server.user('eve')
      const room = await dialog(eve, { type: 2, name: 'room', occupants_ids: [bob.id] })
      const hidden = await say(bob, room, 'hidden lorem for eve')
      await say(bob, room, 'kept lorem for eve')
      expect((await eve.call('DELETE', `/chat/Message/${hidden}`)).status).toBe(200)
      expect(texts(await find(eve, 'search_text=lorem'))).toEqual(['kept lorem for eve'])
      expect(texts(await find(bob, `search_text=lorem&chat_dialog_ids=${room}`))).toEqual(['kept lorem for eve', 'hidden lorem for eve'])
      expect((await eve.call('DELETE', `/chat/Dialog/${room}`)).status).toBe(200)
      expect(texts(await find(eve, 'search_text=lorem'))).toEqual([])
    })

    it('reads a long history in chunks without losing or repeating a message, ties of time included', async () => {
      const zed = await server.user('zed')
      const long = await dialog(zed, { type: 2, name: 'long', occupants_ids: [bob.id] })
      const base = 1_700_000_000
      // Two chunks and more, oldest first; `edge` is the last message of the first chunk read (newest
      // first), and a block of 300 messages of one second straddles it.
      const n = 2 * SEARCH_CHUNK + 500
      const edge = n - SEARCH_CHUNK
      const second = (i: number) => (i >= edge - 150 && i < edge + 150 ? base + edge : base + i)
      const items = Array.from({ length: n }, (_, i) =>
        messageItem(long, second(i), { message: `filler ${i}`, sender_id: bob.id, recipient_id: 0, read_ids: [], delivered_ids: [], attachments: [], created_at: iso(second(i)), updated_at: iso(second(i)) }),
      )
      // Newest first: the newest, both sides of the first chunk's edge (in the block of ties), the
      // last of the second chunk, and the oldest.
      const matching = [n - 1, edge, edge - 1, edge - 2, n - 2 * SEARCH_CHUNK, 0]
      for (const i of matching) items[i]!.message = `needle ${i}`
      await importValues(db.store, 'messages', items)
      expect(texts(await find(zed, 'search_text=needle'))).toEqual(matching.map((i) => `needle ${i}`))
      expect(texts(await find(zed, 'search_text=needle&limit=4'))).toEqual(matching.slice(0, 4).map((i) => `needle ${i}`))
      const window = `start_date=${iso(base + edge)}&end_date=${iso(base + n - 2 * SEARCH_CHUNK)}`
      expect(texts(await find(zed, `search_text=needle&${window}`))).toEqual(matching.slice(1, 5).map((i) => `needle ${i}`))
    })

    it('names each bad parameter with a 400, and needs a session', async () => {
      const now = Math.floor(Date.now() / 1000)
      const ids = Array.from({ length: 11 }, (_, i) => `6b0a4600ec25b466c4d5d4${(i + 16).toString(16)}`).join(',')
      const cases: Array<[string, string]> = [
        ['', 'search_text'],
        ['search_text=lore', 'search_text'],
        ['search_text[a]=lorem', 'search_text'],
        [`search_text=lorem&chat_dialog_ids=${ids}`, 'chat_dialog_ids'],
        ['search_text=lorem&chat_dialog_ids=nope', 'chat_dialog_ids'],
        [`search_text=lorem&start_date=${iso(now)}`, 'end_date'],
        [`search_text=lorem&start_date=${iso(now)}&end_date=${iso(now + 1)}`, 'end_date'],
        [`search_text=lorem&start_date=${iso(now)}&end_date=${iso(now - 93 * 86400)}`, 'end_date'],
        ['search_text=lorem&start_date=yesterday&end_date=2016-01-23T17:00:42Z', 'start_date'],
        ['search_text=lorem&limit=0', 'limit'],
        ['search_text=lorem&limit=101', 'limit'],
        ['search_text=lorem&colour=red', 'colour'],
      ]
      for (const [query, param] of cases) {
        const r = await ann.call('GET', `/chat/search?${query}`)
        expect(r.status, `${query}: ${r.text}`).toBe(400)
        expect(r.json.errors, `${query}: ${r.text}`).toHaveProperty([param])
      }
      expect((await server.anonymous('GET', '/chat/search?search_text=lorem')).status).toBe(401)
    })
  })
}
