import type { ComponentChildren } from 'preact'

type Props = {
  id: string
  label: string
  hint?: ComponentChildren
  error?: string | undefined
  children: ComponentChildren
}

/**
 * A labelled form field with its hint and error below it. The control inside
 * must carry `id` and `aria-describedby={describedBy(id, error)}` so both are read with it.
 */
export function Field({ id, label, hint, error, children }: Props) {
  return (
    <div class={error ? 'field invalid' : 'field'}>
      <label for={id}>{label}</label>
      {children}
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  )
}

export function describedBy(id: string, error: string | undefined, hint = false): string | undefined {
  const ids = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean)
  return ids.length ? ids.join(' ') : undefined
}
