import type { ComponentChildren } from 'preact'
import { useRef, useState } from 'preact/hooks'
import { ErrorNote } from './error-note'

type Props = {
  /** The button that opens the question. */
  label: string
  /** What will happen, in words the user confirms. */
  question: ComponentChildren
  confirmLabel: string
  onConfirm: () => Promise<void>
  danger?: boolean
  disabled?: boolean
}

/**
 * A button whose action runs only after a yes in a modal <dialog>: the
 * browser's own dialog traps focus, closes on Escape and returns focus to the
 * button. An API refusal is shown inside the dialog, which stays open.
 */
export function ConfirmButton({ label, question, confirmLabel, onConfirm, danger, disabled }: Props) {
  const dialog = useRef<HTMLDialogElement>(null)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(undefined)

  async function confirm() {
    setBusy(true)
    setError(undefined)
    try {
      await onConfirm()
      dialog.current?.close()
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  return (
    <>
      <button
        type="button"
        class={danger ? 'danger' : undefined}
        disabled={disabled}
        onClick={() => {
          setError(undefined)
          dialog.current?.showModal()
        }}
      >
        {label}
      </button>
      <dialog ref={dialog} aria-label={label}>
        <p>{question}</p>
        <ErrorNote error={error} />
        <div class="actions">
          <button type="button" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button type="button" class={danger ? 'danger' : 'primary'} disabled={busy} onClick={confirm}>
            {busy ? 'Working…' : confirmLabel}
          </button>
        </div>
      </dialog>
    </>
  )
}
