// The confirmation every change goes through: what will be sent, then Confirm or Cancel.
import type { ComponentChildren } from 'preact'

export interface Pending {
  readonly question: string
  readonly run: () => Promise<void>
}

export function Confirm({ pending, busy, onConfirm, onCancel }: { pending: Pending; busy: boolean; onConfirm: () => void; onCancel: () => void }): ComponentChildren {
  return (
    <div class="modal-backdrop">
      <div class="modal" role="alertdialog" aria-modal="true" aria-labelledby="confirm-question">
        <p id="confirm-question">{pending.question}</p>
        <div class="actions">
          <button type="button" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
          <button type="button" class="primary" onClick={onConfirm} disabled={busy}>
            Confirm
          </button>
        </div>
      </div>
    </div>
  )
}
