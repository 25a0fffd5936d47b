// The OpenAPI document and the docs page are generated from the route schemas.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { send, startServer, type TestServer } from '../helpers/app.ts'
import { STORES, type TestStore } from '../helpers/stores.ts'

describe('OpenAPI', () => {
  let db: TestStore
  let server: TestServer
  beforeAll(async () => {
    db = await STORES[0]!.open()
    server = await startServer(db.store)
  })
  afterAll(async () => {
    await server.close()
    await db.drop()
  })

  it('documents every route with its parameters and item shapes', async () => {
    const r = await send(`${server.url}/openapi.json`, 'GET')
    expect(r.status).toBe(200)
    const doc = r.json
    expect(doc.openapi).toMatch(/^3\./)
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/admin/chat/export', '/admin/chat/messages/export', '/admin/chat/list', '/admin/chat/messages/list', '/admin/chat/{dialog_id}', '/health']),
    )
    const list = doc.paths['/admin/chat/messages/list'].get
    const names = list.parameters.map((p: { name: string }) => p.name)
    for (const n of ['updated_at[gt]', 'created_at[lte]', '_id[lt]', 'chat_dialog_id', 'limit', 'skip', 'count', 'sort_desc']) expect(names).toContain(n)
    expect(list.security).toEqual([{ adminKey: [] }])
    const ref = list.responses['200'].content['application/json'].schema.properties.items.items.$ref
    expect(ref).toBe('#/components/schemas/Message')
    const item = doc.components.schemas.Message
    expect(Object.keys(item.properties)).toEqual(expect.arrayContaining(['_id', 'chat_dialog_id', 'deleted_for_ids', 'read_ids']))
    const exported = doc.paths['/admin/chat/messages/export'].get
    const exportNames = exported.parameters.map((p: { name: string }) => p.name)
    expect(exportNames).toEqual(expect.arrayContaining(['updated_at[gt]', '_id[lt]', 'chat_dialog_id', 'sort_asc']))
    expect(exportNames).not.toContain('limit')
    expect(exported.security).toEqual([{ adminKey: [] }])
    const line = exported.responses['200'].content['application/x-ndjson'].schema
    expect(Object.keys(line.properties ?? doc.components.schemas.Message.properties)).toEqual(expect.arrayContaining(['_id', 'chat_dialog_id']))
    expect(exported.responses['200'].headers['x-total-entries']).toBeDefined()
    const perDay = doc.paths['/admin/chat/messages/per_day'].get
    const perDayNames = perDay.parameters.map((p: { name: string }) => p.name)
    expect(perDayNames).toEqual(expect.arrayContaining(['created_at[gte]', 'created_at[lt]', 'sender_id', 'chat_dialog_id', '_id[lt]']))
    expect(perDayNames).not.toContain('limit')
    expect(perDay.security).toEqual([{ adminKey: [] }])
    const day = perDay.responses['200'].content['application/json'].schema
    expect(Object.keys((day.items ?? doc.components.schemas.MessagesPerDay.items).properties)).toEqual(['day', 'count'])
    const put = doc.paths['/admin/chat/{dialog_id}'].put
    expect(Object.keys(put.requestBody.content['application/json'].schema.properties)).toEqual(
      expect.arrayContaining(['name', 'push_all', 'pull_all', 'user_id', 'is_muted']),
    )
  })

  it("takes sign-up's fields in Update User, with the same bounds, each also null but the password", async () => {
    const doc = (await send(`${server.url}/openapi.json`, 'GET')).json
    const fields = (op: { requestBody: { content: Record<string, { schema: { properties: { user: { properties: Record<string, Record<string, unknown>> } } } }> } }) =>
      op.requestBody.content['application/json']!.schema.properties.user.properties
    const signUp = fields(doc.paths['/users'].post)
    const update = fields(doc.paths['/users/{user_id}'].put)
    // The two schemas list the fields apart (schemas/users.ts); this keeps their bounds the same.
    expect(Object.keys(update).sort()).toEqual([...Object.keys(signUp), 'old_password'].sort())
    for (const [name, schema] of Object.entries(signUp)) {
      // OpenAPI 3.0 writes a type array with null as the type and `nullable: true`.
      const { nullable, ...same } = update[name]!
      expect(same, name).toEqual(schema)
      expect(nullable, name).toBe(name === 'password' ? undefined : true)
    }
  })

  it('documents the chat API: users, sessions, dialogs, messages, with CB-Token', async () => {
    const doc = (await send(`${server.url}/openapi.json`, 'GET')).json
    const expected: Record<string, string[]> = {
      '/users': ['get', 'post'],
      '/users/{user_id}': ['delete', 'get', 'put'],
      '/users/external/{external_user_id}': ['delete'],
      '/session': ['delete', 'get', 'post'],
      '/chat/Dialog': ['get', 'post'],
      '/chat/Dialog/{dialog_id}': ['delete', 'put'],
      '/chat/Dialog/clearHistory/{dialog_id}': ['delete'],
      '/chat/Dialog/{dialog_id}/subscribe': ['delete', 'post'],
      '/chat/Dialog/{dialog_id}/admins': ['put'],
      '/chat/Dialog/{dialog_id}/notifications': ['get', 'put'],
      '/chat/Dialog/{dialog_id}/occupants': ['get'],
      '/chat/Message': ['get', 'post', 'put'],
      '/chat/Message/{message_id}': ['delete', 'put'],
      '/chat/Message/unread': ['get'],
      '/chat/Message/{message_id}/reactions': ['get', 'put'],
      '/chat/search': ['get'],
    }
    for (const [path, methods] of Object.entries(expected)) {
      expect(Object.keys(doc.paths[path] ?? {}).sort(), path).toEqual(methods)
    }
    expect(doc.components.securitySchemes.sessionToken).toEqual({ type: 'apiKey', in: 'header', name: 'CB-Token' })
    const retrieve = doc.paths['/chat/Message'].get
    expect(retrieve.security).toEqual([{ sessionToken: [] }])
    const names = retrieve.parameters.map((p: { name: string }) => p.name)
    for (const n of ['chat_dialog_id', 'mark_as_read', 'preview', 'updated_at[gt]', 'date_sent', 'attachments.type', 'sort_asc']) expect(names).toContain(n)
    const create = doc.paths['/chat/Dialog'].post
    expect(Object.keys(create.requestBody.content['application/json'].schema.properties)).toEqual(
      expect.arrayContaining(['type', 'name', 'occupants_ids', 'admins_ids', 'extensions', 'permissions']),
    )
    expect(Object.keys(create.responses['201'].content['application/json'].schema.properties)).toEqual(
      expect.arrayContaining(['_id', 'occupants_ids', 'unread_messages_count', 'is_muted', 'last_message_status']),
    )
    const session = doc.paths['/session'].post.responses['201'].content['application/json'].schema
    expect(Object.keys(session.properties.session.properties)).toEqual(expect.arrayContaining(['token', 'user_id', 'user']))
  })

  it('serves a docs page', async () => {
    const r = await send(`${server.url}/docs/`, 'GET')
    expect(r.status).toBe(200)
    expect(r.text).toContain('<html')
  })
})
