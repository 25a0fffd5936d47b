// The detail pane: everything about one dialog or message, and for a dialog the admin Dialog Update
// (rename, mute or unmute for a user, pin or unpin a message), each through a confirmation.
import { useState } from 'preact/hooks'
import type { ComponentChildren } from 'preact'
import type { Item } from './api.ts'
import type { Pending } from './confirm.tsx'
import { attachment, customParameters, DIALOG_TYPES, idList, json, time, unixTime } from './format.ts'

function Fields({ rows }: { rows: Array<[string, ComponentChildren]> }) {
  return (
    <dl>
      {rows.map(([name, value]) => (
        <>
          <dt>{name}</dt>
          <dd data-field={name}>{value}</dd>
        </>
      ))}
    </dl>
  )
}

export interface DialogDetailProps {
  dialog: Item
  /** Asks for confirmation, then sends the update. */
  confirm(pending: Pending): void
  update(body: Record<string, unknown>): Promise<void>
  showMessages(): void
  close(): void
}

export function DialogDetail({ dialog, confirm, update, showMessages, close }: DialogDetailProps) {
  const [name, setName] = useState<string>(dialog.name ?? '')
  const [user, setUser] = useState('')
  const [pin, setPin] = useState('')
  const label = dialog.name ? `"${dialog.name}"` : dialog._id
  return (
    <aside class="detail" aria-label="Dialog detail">
      <header>
        <h2>Dialog {dialog.name ?? ''}</h2>
        <button type="button" class="link" onClick={close} aria-label="Close detail">
          ✕
        </button>
      </header>
      <Fields
        rows={[
          ['_id', <span class="mono">{dialog._id}</span>],
          ['type', `${dialog.type} ${DIALOG_TYPES[dialog.type as number] ?? ''}`],
          ['owner', String(dialog.user_id ?? '—')],
          ['occupants', idList(dialog.occupants_ids)],
          ['admins', idList(dialog.admins_ids)],
          ['muted by', idList(dialog.silent_ids)],
          ['deleted by', idList(dialog.deleted_ids)],
          ['pinned', idList(dialog.pinned_messages_ids)],
          ['last message', dialog.last_message ? `${unixTime(dialog.last_message_date_sent)} · ${dialog.last_message}` : '—'],
          ['description', dialog.description ?? '—'],
          ['extensions', dialog.extensions ? json(dialog.extensions) : '—'],
          ['created', time(dialog.created_at)],
          ['updated', time(dialog.updated_at)],
        ]}
      />
      <button type="button" onClick={showMessages}>
        Show this dialog's messages
      </button>

      <h3>Update</h3>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault()
          confirm({ question: `Rename dialog ${label} to "${name}"?`, run: () => update({ name }) })
        }}
      >
        <label>
          <span>New name</span>
          <input name="new-name" value={name} onInput={(e) => setName(e.currentTarget.value)} required />
        </label>
        <button type="submit">Rename</button>
      </form>
      <form class="inline" onSubmit={(e) => e.preventDefault()}>
        <label>
          <span>User id</span>
          <input name="mute-user" type="number" value={user} onInput={(e) => setUser(e.currentTarget.value)} />
        </label>
        {[true, false].map((muted) => (
          <button
            type="button"
            disabled={user === ''}
            onClick={() =>
              confirm({
                question: `${muted ? 'Mute' : 'Unmute'} dialog ${label} for user ${user}?`,
                run: () => update({ user_id: Number(user), is_muted: muted }),
              })
            }
          >
            {muted ? 'Mute for user' : 'Unmute for user'}
          </button>
        ))}
      </form>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault()
          confirm({ question: `Pin message ${pin} in dialog ${label}?`, run: () => update({ push_all: { pinned_messages_ids: [pin] } }) })
        }}
      >
        <label>
          <span>Message _id</span>
          <input name="pin-message" value={pin} onInput={(e) => setPin(e.currentTarget.value)} required pattern="[0-9a-fA-F]{24}" />
        </label>
        <button type="submit">Pin</button>
      </form>
      {Array.isArray(dialog.pinned_messages_ids) &&
        dialog.pinned_messages_ids.map((id: string) => (
          <button
            type="button"
            class="chip"
            onClick={() => confirm({ question: `Unpin message ${id} in dialog ${label}?`, run: () => update({ pull_all: { pinned_messages_ids: [id] } }) })}
          >
            Unpin {id}
          </button>
        ))}
    </aside>
  )
}

export function MessageDetail({ message, close }: { message: Item; close(): void }) {
  const attachments = Array.isArray(message.attachments) ? (message.attachments as Item[]) : []
  const custom = customParameters(message)
  return (
    <aside class="detail" aria-label="Message detail">
      <header>
        <h2>Message</h2>
        <button type="button" class="link" onClick={close} aria-label="Close detail">
          ✕
        </button>
      </header>
      <Fields
        rows={[
          ['_id', <span class="mono">{message._id}</span>],
          ['dialog', <span class="mono">{message.chat_dialog_id}</span>],
          ['sender', String(message.sender_id ?? '—')],
          ['recipient', String(message.recipient_id ?? '—')],
          ['text', message.message ?? '—'],
          ['date sent', unixTime(message.date_sent)],
          ['read by', idList(message.read_ids)],
          ['delivered to', idList(message.delivered_ids)],
          ['deleted for', idList(message.deleted_for_ids)],
          [
            'attachments',
            attachments.length === 0 ? '—' : (
              <ul>
                {attachments.map((a) => (
                  <li>{attachment(a)}</li>
                ))}
              </ul>
            ),
          ],
          ['reactions', message.reactions ? json(message.reactions) : '—'],
          [
            'custom parameters',
            custom.length === 0 ? '—' : (
              <ul>
                {custom.map(([k, v]) => (
                  <li>
                    {k}: {json(v)}
                  </li>
                ))}
              </ul>
            ),
          ],
          ['edited', message.edited_at ? json(message.edited_at) : '—'],
          ['created', time(message.created_at)],
          ['updated', time(message.updated_at)],
        ]}
      />
    </aside>
  )
}
