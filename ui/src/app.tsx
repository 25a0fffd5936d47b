// The console: sign in with an admin key, then the dialogs and messages lists side by side with the
// detail of whatever row was opened. Every change goes through a confirmation first.
import { useState } from 'preact/hooks'
import { ApiError, checkKey, forgetKey, loadKey, saveKey, updateDialog, type Item, type Resource } from './api.ts'
import { Confirm, type Pending } from './confirm.tsx'
import { DialogDetail, MessageDetail } from './detail.tsx'
import type { FormValues } from './filters.ts'
import { ListView } from './list-view.tsx'

export function App() {
  const [key, setKey] = useState<string | null>(loadKey())
  const [notice, setNotice] = useState<string | null>(null)
  if (key === null) {
    return (
      <SignIn
        notice={notice}
        onKey={(k) => {
          saveKey(k)
          setNotice(null)
          setKey(k)
        }}
      />
    )
  }
  const signOut = (why: string | null) => {
    forgetKey()
    setNotice(why)
    setKey(null)
  }
  return <Console apiKey={key} signOut={signOut} />
}

function SignIn({ notice, onKey }: { notice: string | null; onKey(key: string): void }) {
  const [key, setKey] = useState('')
  const [error, setError] = useState<string | null>(notice)
  const [busy, setBusy] = useState(false)
  async function submit(e: Event) {
    e.preventDefault()
    setBusy(true)
    try {
      await checkKey(key.trim())
      onKey(key.trim())
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'That key was not accepted.' : String((err as Error).message))
    } finally {
      setBusy(false)
    }
  }
  return (
    <main class="sign-in">
      <h1>parley admin console</h1>
      <form onSubmit={(e) => void submit(e)}>
        <label>
          <span>Administration API key</span>
          <input name="admin-key" type="password" autocomplete="off" value={key} onInput={(e) => setKey(e.currentTarget.value)} required />
        </label>
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <p class="muted">
          The key is kept in this tab's session storage only, and sent as the CB-Administration-API-Key header. <code>parley keys create</code> makes
          one.
        </p>
      </form>
    </main>
  )
}

function Console({ apiKey, signOut }: { apiKey: string; signOut(why: string | null): void }) {
  const [view, setView] = useState<Resource>('dialogs')
  const [values, setValues] = useState<Record<Resource, FormValues>>({ dialogs: {}, messages: {} })
  const [selected, setSelected] = useState<{ resource: Resource; item: Item } | null>(null)
  const [pending, setPending] = useState<Pending | null>(null)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [version, setVersion] = useState(0)

  const onError = (err: unknown) => {
    if (err instanceof ApiError && err.status === 401) signOut('The key was refused (revoked?): sign in again.')
    else setError(err instanceof Error ? err.message : String(err))
  }
  const open = (resource: Resource) => (item: Item) => setSelected({ resource, item })

  async function confirmed() {
    if (!pending) return
    setBusy(true)
    try {
      await pending.run()
      setPending(null)
    } catch (err) {
      setPending(null)
      onError(err)
    } finally {
      setBusy(false)
    }
  }

  return (
    <div class="console">
      <header class="top">
        <h1>parley</h1>
        <nav>
          {(['dialogs', 'messages'] as const).map((r) => (
            <button type="button" class={view === r ? 'tab active' : 'tab'} aria-pressed={view === r} onClick={() => setView(r)}>
              {r === 'dialogs' ? 'Dialogs' : 'Messages'}
            </button>
          ))}
        </nav>
        <button type="button" onClick={() => signOut(null)}>
          Sign out
        </button>
      </header>
      {error && (
        <div class="error" role="alert">
          {error}
          <button type="button" class="link" onClick={() => setError(null)} aria-label="Dismiss">
            ✕
          </button>
        </div>
      )}
      <div class="body">
        <ListView
          key={view}
          apiKey={apiKey}
          resource={view}
          values={values[view]}
          onValues={(v) => {
            setError(null)
            setValues((all) => ({ ...all, [view]: v }))
          }}
          selected={selected?.item._id ?? null}
          onSelect={open(view)}
          version={version}
          onError={onError}
        />
        {selected?.resource === 'dialogs' && (
          <DialogDetail
            key={selected.item._id + selected.item.updated_at}
            dialog={selected.item}
            confirm={setPending}
            update={async (body) => {
              const updated = await updateDialog(apiKey, selected.item._id, body)
              setSelected({ resource: 'dialogs', item: updated })
              setVersion((v) => v + 1)
            }}
            showMessages={() => {
              setValues((all) => ({ ...all, messages: { dialog: selected.item._id } }))
              setSelected(null)
              setView('messages')
            }}
            close={() => setSelected(null)}
          />
        )}
        {selected?.resource === 'messages' && <MessageDetail message={selected.item} close={() => setSelected(null)} />}
      </div>
      {pending && <Confirm pending={pending} busy={busy} onConfirm={() => void confirmed()} onCancel={() => setPending(null)} />}
    </div>
  )
}
